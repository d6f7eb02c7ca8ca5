#!/usr/bin/env bash
# Install what `make test` needs when it is missing: C and C++ compilers,
# pkg-config and cmake (the install test), openssl (test certificates), Go
# (the Go shim, cgo) and the Ruby stack Debian ships (ruby, ruby-ffi,
# ruby-msgpack, minitest, rake, and ruby-async for the fiber-scheduler
# test). Python needs python3 and its venv module; the Python install test
# fetches setuptools and mypy from PyPI into its venv; valgrind runs the C
# test's memcheck.
set -euo pipefail
need=()
command -v cc >/dev/null || need+=(gcc)
command -v c++ >/dev/null || need+=(g++)
command -v pkg-config >/dev/null || need+=(pkg-config)
command -v cmake >/dev/null || need+=(cmake)
command -v python3 >/dev/null || need+=(python3)
command -v go >/dev/null || need+=(golang-go)
command -v openssl >/dev/null || need+=(openssl)
# The wheel and gem builds strip libzizq's debug info; the Python install
# test makes venvs; the gem is built with rake.
command -v strip >/dev/null || need+=(binutils)
python3 -c 'import ensurepip' 2>/dev/null || need+=(python3-venv)
command -v rake >/dev/null || need+=(rake)
command -v valgrind >/dev/null || need+=(valgrind)
command -v ruby >/dev/null || need+=(ruby)
if command -v ruby >/dev/null; then
  ruby -e 'require "ffi"' 2>/dev/null || need+=(ruby-ffi)
  ruby -e 'require "msgpack"' 2>/dev/null || need+=(ruby-msgpack)
  ruby -e 'require "minitest"' 2>/dev/null || need+=(ruby-minitest)
  ruby -e 'require "async"' 2>/dev/null || need+=(ruby-async)
else
  need+=(ruby-ffi ruby-msgpack ruby-minitest ruby-async)
fi
[ ${#need[@]} -eq 0 ] && exit 0
echo "installing: ${need[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq || true
$sudo apt-get install -y -qq "${need[@]}"

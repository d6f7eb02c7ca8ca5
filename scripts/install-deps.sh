#!/usr/bin/env bash
# Install what `make test` needs when it is missing: a C compiler, openssl
# (test certificates), Go (the Go shim, cgo) and the Ruby stack Debian ships
# (ruby, ruby-ffi, ruby-msgpack, minitest), and valgrind (the C test's
# memcheck run). Python needs only python3.
set -euo pipefail
need=()
command -v cc >/dev/null || need+=(gcc)
command -v python3 >/dev/null || need+=(python3)
command -v go >/dev/null || need+=(golang-go)
command -v openssl >/dev/null || need+=(openssl)
command -v valgrind >/dev/null || need+=(valgrind)
command -v ruby >/dev/null || need+=(ruby)
if command -v ruby >/dev/null; then
  ruby -e 'require "ffi"' 2>/dev/null || need+=(ruby-ffi)
  ruby -e 'require "msgpack"' 2>/dev/null || need+=(ruby-msgpack)
  ruby -e 'require "minitest"' 2>/dev/null || need+=(ruby-minitest)
else
  need+=(ruby-ffi ruby-msgpack ruby-minitest)
fi
[ ${#need[@]} -eq 0 ] && exit 0
echo "installing: ${need[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq || true
$sudo apt-get install -y -qq "${need[@]}"

#!/usr/bin/env bash
# Install libzizq the way users do and run each language's quick start
# outside the checkout: `make install PREFIX=<fresh temp dir>/prefix`, then
# every section below builds in that temp dir against the installed files
# only, and runs against a fresh zizq-testserver from the installed bin/.
# Nothing at run time points into the checkout's target/ (ZIZQ_LIB is unset,
# and each linked program is checked to load the installed library).
#
#   scripts/test-install.sh              every section
#   scripts/test-install.sh c go         some of them
#
# Needs a release build (`make build`). Each section is a function named
# after it, listed in SECTIONS. The python and ruby sections do not use the
# `make install` prefix: the wheel and the gem carry their own libzizq.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
SECTIONS=(make c cmake go python ruby)

work="$(mktemp -d "${TMPDIR:-/tmp}/zizq-install.XXXXXX")"
trap 'rm -rf "$work"' EXIT
prefix="$work/prefix"
version="$(sed -n '/^\[workspace.package\]/,/^\[/s/^version = "\(.*\)"/\1/p' "$root/Cargo.toml")"

# The environment of a user with libzizq installed in $prefix.
unset ZIZQ_LIB ZIZQ_URL ZIZQ_TEST_URL
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
export LD_LIBRARY_PATH="$prefix/lib"
export PATH="$prefix/bin:$PATH"
export ZIZQ_TESTSERVER="$prefix/bin/zizq-testserver"

fail() {
  echo "test-install: $*" >&2
  exit 1
}

# Runs a program against a fresh installed zizq-testserver; its output must
# contain the expected line.
run_quickstart() {
  local expect="$1"
  shift
  local out
  out="$("$root/scripts/with-testserver.sh" "$@")" || fail "$* failed: $out"
  grep -qF -- "$expect" <<<"$out" || fail "$* printed no \"$expect\": $out"
}

# A dynamically linked program must load libzizq from $prefix.
loads_installed() {
  local lib
  lib="$(ldd "$1" | awk '/libzizq/ {print $3}')"
  [ "$lib" = "$prefix/lib/libzizq.so.${version%%.*}" ] || fail "$1 loads libzizq from '$lib'"
}

# What `make install` and `make uninstall` put where, DESTDIR staging included.
section_make() {
  local major="${version%%.*}"
  [ -f "$prefix/lib/libzizq.so.$version" ] || fail "no lib/libzizq.so.$version"
  [ "$(readlink "$prefix/lib/libzizq.so.$major")" = "libzizq.so.$version" ] || fail "libzizq.so.$major link"
  [ "$(readlink "$prefix/lib/libzizq.so")" = "libzizq.so.$major" ] || fail "libzizq.so link"
  objdump -p "$prefix/lib/libzizq.so.$version" | grep -q "SONAME *libzizq.so.$major\$" || fail "SONAME"
  for f in lib/libzizq.a include/zizq.h include/zizq.abi.json lib/pkgconfig/zizq.pc lib/cmake/zizq/zizqConfig.cmake \
    lib/cmake/zizq/zizqConfigVersion.cmake bin/zizq-testserver; do
    [ -f "$prefix/$f" ] || fail "no $f"
  done
  [ "$(pkg-config --modversion zizq)" = "$version" ] || fail "zizq.pc version"

  make -C "$root" --no-print-directory -s install DESTDIR="$work/destdir" PREFIX=/opt/zizq
  [ -f "$work/destdir/opt/zizq/lib/libzizq.so.$version" ] || fail "DESTDIR install"
  grep -qx 'prefix=/opt/zizq' "$work/destdir/opt/zizq/lib/pkgconfig/zizq.pc" || fail "zizq.pc prefix under DESTDIR"
  make -C "$root" --no-print-directory -s uninstall DESTDIR="$work/destdir" PREFIX=/opt/zizq
  local left
  left="$(find "$work/destdir" -type f -o -type l)"
  [ -z "$left" ] || fail "make uninstall left: $left"
}

# C and C++ with pkg-config: shared, then static (libzizq.a with the
# Libs.private system libraries).
section_c() {
  mkdir "$work/c" && cd "$work/c"
  cp "$root/examples-c/quickstart.c" app.c
  cp "$root/examples-c/quickstart.cpp" app.cpp
  # shellcheck disable=SC2046
  cc -std=c11 -Wall -Wextra -Werror app.c -o app $(pkg-config --cflags --libs zizq)
  loads_installed app
  run_quickstart 'count: 0 job(s) left on "emails"' ./app

  local static
  static="$(pkg-config --static --libs zizq)"
  # shellcheck disable=SC2046,SC2086
  cc -std=c11 -Wall -Wextra -Werror app.c -o app-static $(pkg-config --cflags zizq) ${static/-lzizq/-l:libzizq.a}
  if readelf -d app-static | grep -q 'NEEDED.*libzizq'; then fail "app-static needs libzizq.so"; fi
  run_quickstart 'count: 0 job(s) left on "emails"' ./app-static

  # shellcheck disable=SC2046
  c++ -std=c++17 -Wall -Wextra -Werror -pedantic app.cpp -o app-cpp $(pkg-config --cflags --libs zizq)
  loads_installed app-cpp
  run_quickstart "(header $version)" ./app-cpp
}

# A CMake project with find_package(zizq): the version file accepts this
# version and refuses the next major one.
section_cmake() {
  mkdir "$work/cmake" && cd "$work/cmake"
  cp "$root/tests/install/CMakeLists.txt" .
  cp "$root/examples-c/quickstart.c" "$root/examples-c/quickstart.cpp" .
  cmake -S . -B build -DCMAKE_PREFIX_PATH="$prefix" -DZIZQ_WANTED="$version" >cmake.log 2>&1 ||
    fail "cmake configure: $(cat cmake.log)"
  cmake --build build >>cmake.log 2>&1 || fail "cmake build: $(cat cmake.log)"
  loads_installed build/quickstart
  run_quickstart 'count: 0 job(s) left on "emails"' build/quickstart
  run_quickstart "(header $version)" build/quickstart_cpp
  if cmake -S . -B refused -DCMAKE_PREFIX_PATH="$prefix" -DZIZQ_WANTED="$((${version%%.*} + 1)).0" \
    >refused.log 2>&1; then
    fail "find_package(zizq $((${version%%.*} + 1)).0) accepted version $version"
  fi
}

# A module outside the tree that requires the Go package, as `go get` would
# fetch it (a copy of bindings/go, by a replace directive), built and run
# against the installed library; no network (GOPROXY=off).
section_go() {
  mkdir -p "$work/go/app" && cd "$work/go"
  cp -r "$root/bindings/go" zizq-go
  cp "$root/bindings/go/examples/quickstart/main.go" app/main.go
  cat >app/go.mod <<'EOF'
module example.com/app

go 1.21

require github.com/zizq/libzizq/bindings/go v0.0.0

replace github.com/zizq/libzizq/bindings/go => ../zizq-go
EOF
  cd app
  GOFLAGS=-mod=mod GOPROXY=off GOWORK=off go build -o app .
  loads_installed app
  run_quickstart 'jobs left in emails: 0' ./app
}

# The platform wheel, built with pip (reusing the release build) and
# installed into a fresh venv; its quick start, and mypy --strict on a typed
# user program (bindings/python/test_install.sh).
section_python() {
  "$root/bindings/python/test_install.sh"
}

# The platform gem, built with rake (reusing the release build) and installed
# into a temporary GEM_HOME; a check of the installed gem and its quick start
# (bindings/ruby/test_install.sh).
section_ruby() {
  "$root/bindings/ruby/test_install.sh"
}

selected=("$@")
[ ${#selected[@]} -gt 0 ] || selected=("${SECTIONS[@]}")
for s in "${selected[@]}"; do
  declare -F "section_$s" >/dev/null || fail "no section '$s' (sections: ${SECTIONS[*]})"
done

start=$SECONDS
echo "== make install PREFIX=$prefix"
make -C "$root" --no-print-directory -s install PREFIX="$prefix"
cd "$work"
for s in "${selected[@]}"; do
  t=$SECONDS
  ( section_"$s" )
  echo "== test-install $s: ok ($((SECONDS - t)) s)"
done
echo "== test-install: ${selected[*]} passed in $((SECONDS - start)) s"

#!/usr/bin/env bash
# Fails unless everything that carries libzizq's version carries the one set
# in Cargo.toml ([workspace.package] version):
#   - every crate of the workspace (cargo metadata);
#   - the header's ZIZQ_VERSION_MAJOR/MINOR/PATCH and ZIZQ_VERSION;
#   - the staged install (`make stage`, target/stage): the library's file
#     name and SONAME, zizq.pc, the CMake version file;
#   - the Python package's metadata (bindings/python/pyproject.toml) and the
#     gem's (bindings/ruby/zizq.gemspec, loaded by RubyGems);
#   - each shim's library_version against the staged library: Python and
#     Ruby print it, the Go suite's TestLibraryAndStatuses compares it with
#     the header it was compiled against.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
stage="$root/target/stage"

version="$(sed -n '/^\[workspace.package\]/,/^\[/s/^version = "\(.*\)"/\1/p' Cargo.toml)"
[ -n "$version" ] || { echo "check-versions: no [workspace.package] version in Cargo.toml" >&2; exit 1; }
major="${version%%.*}"
echo "Cargo.toml: $version"

bad=0
# expect WHAT GOT WANTED
expect() {
  if [ "$2" = "$3" ]; then
    echo "  ok   $1: $2"
  else
    echo "  FAIL $1: '$2', expected '$3'" >&2
    bad=1
  fi
}
same() { expect "$1" "$2" "$version"; }

while read -r name v; do
  same "crate $name" "$v"
done < <(cargo metadata --no-deps --format-version 1 --offline |
  python3 -c 'import json, sys
for p in json.load(sys.stdin)["packages"]: print(p["name"], p["version"])')

macro() { sed -n "s/^#define $1 \"\{0,1\}\([^\"]*\)\"\{0,1\}\$/\1/p" include/zizq.h; }
same "zizq.h ZIZQ_VERSION_MAJOR.MINOR.PATCH" \
  "$(macro ZIZQ_VERSION_MAJOR).$(macro ZIZQ_VERSION_MINOR).$(macro ZIZQ_VERSION_PATCH)"
same "zizq.h ZIZQ_VERSION" "$(macro ZIZQ_VERSION)"

lib="$(readlink "$stage/lib/libzizq.so.$major" || true)"
same "installed library file" "${lib#libzizq.so.}"
expect "installed SONAME" "$(objdump -p "$stage/lib/libzizq.so.$version" 2>/dev/null |
  awk '$1 == "SONAME" {print $2}')" "libzizq.so.$major"
same "zizq.pc" "$(PKG_CONFIG_PATH="$stage/lib/pkgconfig" pkg-config --modversion zizq)"
same "zizqConfigVersion.cmake" \
  "$(sed -n 's/^set(PACKAGE_VERSION "\(.*\)")$/\1/p' "$stage/lib/cmake/zizq/zizqConfigVersion.cmake")"

# The Python package: a static [project] version, or a dynamic one that its
# build (maturin, or bindings/python/setup.py through `cargo metadata`) takes
# from the crate, checked above; the install test checks the built wheel's
# zizq.__version__ against the library it carries.
same "bindings/python/pyproject.toml" "$(python3 - "$version" <<'EOF'
import sys, tomllib
with open("bindings/python/pyproject.toml", "rb") as f:
    meta = tomllib.load(f)
project = meta["project"]
if "version" in project:
    print(project["version"])
elif "version" in project.get("dynamic", []) and meta["build-system"]["build-backend"] in (
        "maturin", "setuptools.build_meta"):
    print(sys.argv[1])  # the crate's version, checked with the crates
else:
    print("dynamic: teach scripts/check-versions.sh where it comes from")
EOF
)"
same "bindings/ruby/zizq.gemspec" \
  "$(ruby -e 'spec = Gem::Specification.load(ARGV[0]); print spec&.version' bindings/ruby/zizq.gemspec)"

export ZIZQ_LIB="$stage/lib/libzizq.so.$version"
shim_version() { sed -n 's|^libzizq/\([^ ]*\) .*|\1|p' <<<"$1"; }
same "Python zizq.library_version()" "$(shim_version "$(PYTHONPATH=bindings/python/src \
  python3 -c 'import zizq; print(zizq.library_version())')")"
same "Ruby Zizq.library_version" "$(shim_version "$(ruby -Ibindings/ruby/lib \
  -e 'require "zizq"; print Zizq.library_version')")"
if (cd bindings/go && PKG_CONFIG_PATH="$stage/lib/pkgconfig" LD_LIBRARY_PATH="$stage/lib" \
  ZIZQ_TESTSERVER="$stage/bin/zizq-testserver" go test -count=1 -run '^TestLibraryAndStatuses$' ./zizq/ >/dev/null); then
  echo "  ok   Go zizq.LibraryVersion() == zizq.HeaderVersion (go test)"
else
  echo "  FAIL Go zizq.LibraryVersion() != zizq.HeaderVersion (go test -run TestLibraryAndStatuses ./zizq/)" >&2
  bad=1
fi

[ "$bad" -eq 0 ] || { echo "check-versions: versions disagree" >&2; exit 1; }
echo "check-versions: every version is $version"

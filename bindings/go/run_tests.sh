#!/bin/sh
# The Go suite: gofmt check, go vet, then every test and runnable example
# (each test runs once per format, MessagePack and JSON) against a
# zizq-testserver started on port 0, or against ZIZQ_TEST_URL when set.
#
# The package links with `#cgo pkg-config: zizq`, as it does for users, so
# this script builds against an install of this checkout staged in
# target/stage (`make stage`: the release build, then `make install` there)
# and takes zizq-testserver from it (unless ZIZQ_TESTSERVER is set). Exits
# non-zero on any failure. Extra arguments go to `go test` (e.g. -race, -run
# Worker).
set -eu
cd "$(dirname "$0")"
root=$(cd ../.. && pwd)

make -C "$root" --no-print-directory stage >/dev/null
stage="$root/target/stage"
export PKG_CONFIG_PATH="$stage/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
export LD_LIBRARY_PATH="$stage/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export ZIZQ_TESTSERVER="${ZIZQ_TESTSERVER:-$stage/bin/zizq-testserver}"

echo "== gofmt"
unformatted=$(gofmt -l .)
if [ -n "$unformatted" ]; then
  echo "gofmt: these files need formatting:" >&2
  echo "$unformatted" >&2
  exit 1
fi

echo "== go vet"
go vet ./...

echo "== go test"
go test -p 1 -count=1 "$@" ./...

echo "== quick start (README)"
"$root/scripts/with-testserver.sh" go run ./examples/quickstart

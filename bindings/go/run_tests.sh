#!/bin/sh
# The Go suite: gofmt check, go vet, then every test (each runs once per
# format, MessagePack and JSON) against a zizq-testserver started on port 0
# (ZIZQ_TESTSERVER, default ../../target/release/zizq-testserver), or
# against ZIZQ_TEST_URL when set. Needs target/release/libzizq.so (cargo
# build --release -p libzizq -p zizq-testserver). Exits non-zero on any
# failure. Extra arguments go to `go test` (e.g. -race, -run Worker).
set -eu
cd "$(dirname "$0")"

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
export ZIZQ_TESTSERVER="${ZIZQ_TESTSERVER:-$PWD/../../target/release/zizq-testserver}"
../../scripts/with-testserver.sh go run ./examples/quickstart

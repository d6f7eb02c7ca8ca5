#!/bin/sh
# The whole Python suite (stdlib unittest): every test once per format
# (msgpack, then json). Uses ZIZQ_LIB (libzizq.so) and ZIZQ_TESTSERVER
# (zizq-testserver), defaulting to the release builds in ../../target/release,
# or ZIZQ_TEST_URL to run against an existing server (ZIZQ_TEST_TIER=free for
# a server without the Pro features). Exits non-zero on any failure.
set -eu
cd "$(dirname "$0")"

: "${ZIZQ_LIB:=$(pwd)/../../target/release/libzizq.so}"
: "${ZIZQ_TESTSERVER:=$(pwd)/../../target/release/zizq-testserver}"
export ZIZQ_LIB ZIZQ_TESTSERVER
PYTHON=${PYTHON:-python3}

for format in msgpack json; do
  echo "== Python suite, $format"
  ZIZQ_TEST_FORMAT=$format "$PYTHON" -m unittest discover -s tests -t . "$@"
done

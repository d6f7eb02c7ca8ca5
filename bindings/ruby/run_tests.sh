#!/bin/sh
# The whole Ruby suite: every test once per format (msgpack, then json),
# then the RBS signatures check. (test_install.sh tests the installed gem.)
# Uses ZIZQ_LIB (libzizq.so) and
# ZIZQ_TESTSERVER (zizq-testserver), defaulting to the release builds, or
# ZIZQ_TEST_URL to run against an existing server. Exits non-zero on any
# failure.
set -eu
cd "$(dirname "$0")"

for format in msgpack json; do
  echo "== Ruby suite, $format"
  ZIZQ_TEST_FORMAT=$format ruby -w -Itest \
    -e 'Dir.glob("test/*_test.rb").sort.each { |file| require File.expand_path(file) }'
done

if ruby -e 'require "rbs"' 2> /dev/null; then
  echo "== Ruby signatures (sig/)"
  ZIZQ_LIB=${ZIZQ_LIB:-$(pwd)/../../target/release/libzizq.so} rake sig
else
  echo "== Ruby signatures: the rbs library is not installed, not checked"
fi

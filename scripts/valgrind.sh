#!/usr/bin/env bash
# valgrind memcheck of the C ABI test against the release libzizq.so (the
# `make build` one), with abi_test compiled without AddressSanitizer (the
# two cannot be combined). Any memory error fails the run, in the test and
# in its fork child; so does any definite leak of the test process. The
# fork child is left out of the leak check: it exits leaking the parent's
# client on purpose (abi_test.c, "leaks the parent's state on purpose").
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "valgrind is missing: run scripts/install-deps.sh" >&2; exit 1; }
lib=target/release
mkdir -p target/c
cc -g -O1 -std=c11 -Wall -Wextra -Werror -pedantic -Iinclude tests/c/abi_test.c \
  -o target/c/abi_test_plain -L"$lib" -lzizq -lpthread -Wl,-rpath,"$PWD/$lib"
log=target/c/valgrind.log
# shellcheck disable=SC2086
scripts/with-testserver.sh valgrind --tool=memcheck --error-exitcode=99 \
  --leak-check=full --errors-for-leak-kinds=none --show-leak-kinds=definite \
  --track-origins=yes --child-silent-after-fork=yes --log-file="$log" \
  ${VALGRIND_ARGS:-} target/c/abi_test_plain \
  || { cat "$log" >&2; exit 1; }
if grep -qE 'definitely lost: [1-9]' "$log"; then
  cat "$log" >&2
  echo "valgrind: the C test leaks memory" >&2
  exit 1
fi
grep -E 'ERROR SUMMARY|definitely lost|no leaks are possible' "$log"

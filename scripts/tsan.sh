#!/usr/bin/env bash
# ThreadSanitizer run of the C ABI test: libzizq and the Rust standard
# library built with -Zsanitizer=thread (nightly, build-std) into
# target/tsan, tests/c/abi_test.c compiled with -fsanitize=thread, run
# against a fresh zizq-testserver (target/release, built by `make build`).
set -euo pipefail
cd "$(dirname "$0")/.."
rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
rustup +nightly component list --installed | grep -q '^rust-src' || rustup +nightly component add rust-src
triple=x86_64-unknown-linux-gnu
out=target/tsan
RUSTFLAGS="-Zsanitizer=thread" nice -n 19 cargo +nightly build -Zbuild-std --target "$triple" \
  --release --lib -p libzizq --target-dir "$out"
lib="$out/$triple/release"
mkdir -p "$out/c"
cc -g -O1 -fsanitize=thread -std=c11 -Wall -Wextra -Werror -pedantic -Iinclude \
  tests/c/abi_test.c -o "$out/c/abi_test" -L"$lib" -lzizq -lpthread -Wl,-rpath,"$PWD/$lib"
TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 ${TSAN_OPTIONS:-}" \
  scripts/with-testserver.sh "$out/c/abi_test"

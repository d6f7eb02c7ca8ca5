#!/usr/bin/env bash
# ThreadSanitizer run of the C ABI test: libzizq and the Rust standard
# library built with -Zsanitizer=thread (nightly, build-std) into
# target/tsan, tests/c/abi_test.c compiled with -fsanitize=thread, run
# against a fresh zizq-testserver (target/release, built by `make build`).
# scripts/tsan.supp lists the suppressed reports and why.
set -euo pipefail
cd "$(dirname "$0")/.."
rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
rustup +nightly component list --installed | grep -q '^rust-src' || rustup +nightly component add rust-src
triple=x86_64-unknown-linux-gnu
out=target/tsan
RUSTFLAGS="-Zsanitizer=thread" nice -n 19 cargo +nightly build -Zbuild-std --target "$triple" \
  --release --lib -p libzizq --target-dir "$out"
lib="$out/$triple/release"
# The C side is instrumented by the C compiler but linked with the TSan
# runtime that rustc ships: it defines the entry points rustc's LLVM emits
# (__tsan_memcpy...), which GCC 12's libtsan lacks. The runtime lives in
# the executable and is exported for libzizq.so to bind to.
rt="$(rustc +nightly --print sysroot)/lib/rustlib/$triple/lib/librustc-nightly_rt.tsan.a"
mkdir -p "$out/c"
cc -g -O1 -fsanitize=thread -std=c11 -Wall -Wextra -Werror -pedantic -Iinclude \
  -c tests/c/abi_test.c -o "$out/c/abi_test.o"
cc -o "$out/c/abi_test" "$out/c/abi_test.o" -Wl,--whole-archive "$rt" -Wl,--no-whole-archive \
  -Wl,--export-dynamic -L"$lib" -lzizq -lpthread -ldl -lm -lstdc++ -Wl,-rpath,"$PWD/$lib"
# die_after_fork=0: the test's fork child starts a new client (new runtime
# threads) after forking a multi-threaded process, which TSan does not
# support and by default kills; the child's own checks still decide.
TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 die_after_fork=0 suppressions=$PWD/scripts/tsan.supp ${TSAN_OPTIONS:-}" \
  scripts/with-testserver.sh "$out/c/abi_test"

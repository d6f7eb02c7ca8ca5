#!/usr/bin/env bash
# Run each cargo-fuzz target in fuzz/ for FUZZ_SECONDS (default 25) seconds,
# or only the targets named as arguments. Installs cargo-fuzz (and the
# nightly toolchain) when missing. New inputs go to fuzz/target/corpus/<t>;
# the seeds in fuzz/corpus/<t> are only read. A crash stops the run and
# leaves its input in fuzz/artifacts/<t>/. Extra libFuzzer flags: FUZZ_ARGS.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${FUZZ_SECONDS:-25}"
rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(cargo +nightly fuzz list)
for t in "${targets[@]}"; do
  mkdir -p "fuzz/target/corpus/$t"
  log="fuzz/target/$t.log"
  echo "== fuzz $t (${seconds}s)"
  # -a: debug assertions and overflow checks on, as in the test builds.
  # shellcheck disable=SC2086
  if ! nice -n 19 cargo +nightly fuzz run -a "$t" "fuzz/target/corpus/$t" "fuzz/corpus/$t" -- \
    -max_total_time="$seconds" -print_final_stats=1 ${FUZZ_ARGS:-} >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    echo "fuzz target $t failed: the input is in fuzz/artifacts/$t/" >&2
    exit 1
  fi
  grep -E '^(Done|stat::number_of_executed_units|stat::average_exec_per_sec)' "$log"
done

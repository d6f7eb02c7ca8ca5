#!/usr/bin/env bash
# Alternating rounds on one test server, for calibrating the cost-shaped mode
# (testserver/README.md, "Calibration") and for A/B comparisons: each round
# runs the official client's throughput program and each given command, the
# order rotating from round to round, and prints per run (in command order)
# the dequeue rate, ack requests and completion and journal commits per
# 1,000 jobs, and (when `perf` is installed) the run's client CPU in ms and
# its context switches, then the round's dequeue ratios to the official
# client. The last line gives the median ratio of each command.
#
#   bench/rounds.sh ROUNDS [COMMAND...]
#   bench/rounds.sh 10 bench/target/throughput \
#       "env LD_LIBRARY_PATH=/path/to/other/lib bench/target/throughput"
#
# Environment: COST_PROFILE (reference), JOB_COUNT (20000), CONCURRENCY,
# PREFETCH (passed through). Run `make bench` (or bench/run.sh) once first:
# it builds the programs. Every command reads ZIZQ_URL and prints the
# throughput programs' "Dequeued N jobs in S (R jobs/sec)" line.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"

ROUNDS="${1:?usage: bench/rounds.sh ROUNDS [COMMAND...]}"
shift
COMMANDS=("$ROOT/bench/official/target/release/throughput" "$@")
JOB_COUNT="${JOB_COUNT:-20000}"
export JOB_COUNT ZIZQ_LIB="${ZIZQ_LIB:-$ROOT/target/release/libzizq.so}"

coproc SRV { exec "$ROOT/target/release/zizq-testserver" --port 0 --exit-on-stdin-eof \
  --cost-profile "${COST_PROFILE:-reference}"; }
SERVER_PID="$SRV_PID"
trap 'kill "$SERVER_PID" 2>/dev/null || true' EXIT
IFS= read -r -t 20 -u "${SRV[0]}" line
export ZIZQ_URL="${line#listening on }"

# ack requests, completion commits and journal commits so far
counters() { python3 "$ROOT/bench/report.py" counters "$ZIZQ_URL"; }

ratios_file="$(mktemp)"
stat_file="$(mktemp)"
trap 'kill "$SERVER_PID" 2>/dev/null || true; rm -f "$ratios_file" "$stat_file"' EXIT
# Client CPU and context switches of each run, counted by perf.
timed=()
if command -v perf >/dev/null && perf stat -e task-clock true >/dev/null 2>&1; then
  timed=(perf stat -x, -e task-clock,context-switches -o "$stat_file" --)
fi
cpu_and_switches() {
  if [ ${#timed[@]} -eq 0 ]; then
    echo "-"
  else
    awk -F, '/task-clock/ { cpu = $1 } /context-switches/ { cs = $1 }
      END { printf "%.0f/%.0fK", cpu, cs / 1000 }' "$stat_file"
  fi
}
n=${#COMMANDS[@]}
for ((r = 0; r < ROUNDS; r++)); do
  rates=() cells=()
  for ((k = 0; k < n; k++)); do
    i=$(( (k + r) % n ))
    read -r acks0 completions0 commits0 < <(counters)
    # word splitting is wanted: a command may carry arguments
    # shellcheck disable=SC2086
    rates[i]="$("${timed[@]}" ${COMMANDS[i]} 2>/dev/null | sed -n 's/^Dequeued .*(\([0-9]*\) jobs\/sec)$/\1/p')"
    read -r acks1 completions1 commits1 < <(counters)
    per_k() { echo $(( ($2 - $1) * 1000 / JOB_COUNT )); }
    cells[i]="$(printf '%6s %3s/%3s/%3s %10s   ' "${rates[i]}" "$(per_k "$acks0" "$acks1")" \
      "$(per_k "$completions0" "$completions1")" "$(per_k "$commits0" "$commits1")" \
      "$(cpu_and_switches)")"
  done
  ratios=""
  for ((i = 1; i < n; i++)); do
    ratios+="$(awk -v a="${rates[i]}" -v b="${rates[0]}" 'BEGIN { printf "%.2f ", a / b }')"
  done
  echo "$(printf '%s' "${cells[@]}")| $ratios"
  echo "$ratios" >>"$ratios_file"
done
echo "(per run: dequeue jobs/s, ack requests/completion commits/journal commits per 1,000 jobs, client CPU ms/context switches; | each command's dequeue ÷ the official client's)"
echo "median ratio to official: $(python3 "$ROOT/bench/report.py" medians "$ratios_file")"

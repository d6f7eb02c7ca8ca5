#!/usr/bin/env bash
# Side-by-side throughput benchmark: libzizq (examples-c/throughput.c) against
# the official Rust client (bench/official, crate zizq 0.6), both against one
# release zizq-testserver on this machine. See bench/README.md.
#
#   bench/run.sh            throughput table for each format (make bench)
#   bench/run.sh memory     peak RSS of the libzizq worker over 1,000,000 jobs
#
# Knobs (environment): REPEAT (3), JOB_COUNT (20000), CONCURRENCY (25),
# PREFETCH (2 x CONCURRENCY), FORMATS ("msgpack json"), WARMUP (1 untimed
# run of each client per format before the measured ones), SKIP_BUILD (0),
# MEMORY_JOBS (1000000), THROUGHPUT_C (examples-c/throughput.c: the C program
# run as the libzizq side; point it at a variant to compare).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT="$PWD"
unset CARGO_TARGET_DIR

MODE="${1:-throughput}"
REPEAT="${REPEAT:-3}"
JOB_COUNT="${JOB_COUNT:-20000}"
CONCURRENCY="${CONCURRENCY:-25}"
PREFETCH="${PREFETCH:-$((2 * CONCURRENCY))}"
FORMATS="${FORMATS:-msgpack json}"
WARMUP="${WARMUP:-1}"
MEMORY_JOBS="${MEMORY_JOBS:-1000000}"
THROUGHPUT_C="${THROUGHPUT_C:-examples-c/throughput.c}"
CC="${CC:-cc}"
CARGO="${CARGO:-cargo}"

OUT="$ROOT/bench/target"
SERVER_BIN="$ROOT/target/release/zizq-testserver"
LIBZIZQ_BIN="$OUT/throughput"
MEMORY_BIN="$OUT/memory"
OFFICIAL_DIR="$ROOT/bench/official"
OFFICIAL_BIN="$OFFICIAL_DIR/target/release/throughput"

case "$MODE" in
  throughput|memory) ;;
  *) echo "usage: bench/run.sh [throughput|memory]" >&2; exit 2 ;;
esac

log() { printf '%s\n' "$*" >&2; }

# ---------------------------------------------------------------- build
build() {
  mkdir -p "$OUT"
  log "== building libzizq and zizq-testserver (release)"
  # make build also links libzizq.so.MAJOR (the SONAME) beside the build.
  make -C "$ROOT" --no-print-directory -s build CARGO="$CARGO" >/dev/null
  local link=(-L"$ROOT/target/release" -lzizq -lpthread -Wl,-rpath,"$ROOT/target/release")
  if [ "$MODE" = memory ]; then
    log "== compiling bench/memory.c"
    "$CC" -O2 -std=c11 -Wall -Wextra -Iinclude bench/memory.c -o "$MEMORY_BIN" "${link[@]}"
  else
    log "== compiling $THROUGHPUT_C"
    "$CC" -O2 -std=c11 -Wall -Wextra -Iinclude "$THROUGHPUT_C" -o "$LIBZIZQ_BIN" "${link[@]}"
    log "== building bench/official (zizq $(sed -n '/^name = "zizq"$/{n;s/version = "\(.*\)"/\1/p}' "$OFFICIAL_DIR/Cargo.lock"), release)"
    CARGO_TARGET_DIR="$OFFICIAL_DIR/target" \
      "$CARGO" build --release --quiet --locked --manifest-path "$OFFICIAL_DIR/Cargo.toml"
  fi
}

# --------------------------------------------------------------- server
# One server for the whole run. Its stdin is a pipe held open by this script
# (coproc), so with --exit-on-stdin-eof it also goes away if we are killed;
# the EXIT trap stops it in the normal case.
SERVER_PID=""
SERVER_LOG=""
stop_server() {
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
  fi
  [ -n "$SERVER_LOG" ] && rm -f "$SERVER_LOG"
  return 0
}
trap stop_server EXIT
trap 'exit 130' INT TERM

start_server() {
  SERVER_LOG="$(mktemp)"
  coproc SERVER { exec "$SERVER_BIN" --port 0 --exit-on-stdin-eof 2>"$SERVER_LOG"; }
  SERVER_PID="$SERVER_PID"
  local line=""
  if ! IFS= read -r -t 20 -u "${SERVER[0]}" line; then
    log "zizq-testserver did not start"; cat "$SERVER_LOG" >&2; exit 1
  fi
  ZIZQ_URL="${line#listening on }"
  export ZIZQ_URL
  log "== zizq-testserver (pid $SERVER_PID) on $ZIZQ_URL"
}

# ----------------------------------------------------------- throughput
# Server-side counters around each run (not part of the client's figures):
# CPU ticks of the server process and its HTTP request count (control API,
# needs curl; -1 when unavailable).
CLK_TCK="$(getconf CLK_TCK 2>/dev/null || echo 100)"
server_ticks() { awk '{ print $14 + $15 }' "/proc/$SERVER_PID/stat"; }
server_requests() {
  command -v curl >/dev/null || { echo -1; return; }
  curl -fsS "$ZIZQ_URL/_testserver/state" | sed -n 's/.*"requests":\([0-9]*\).*/\1/p'
}

# run_once PROGRAM FORMAT ->
#   "enqueue scan dequeue cpu_seconds wall_seconds peak_rss_kib (0 if unknown)
#    server_cpu_seconds server_requests (-1 if unknown)"
# CPU is user+sys of the client process alone (bash's `time` keyword:
# getrusage of the waited-for child; the server is not a child of it).
run_once() {
  local prog="$1" format="$2" tmp rates
  tmp="$(mktemp -d)"
  local TIMEFORMAT='%3U %3S %3R'
  # GNU time, when installed, only adds the client's peak RSS (%M, KiB).
  local rss=()
  [ -x /usr/bin/time ] && rss=(/usr/bin/time -f %M -o "$tmp/rss")
  local ticks0 req0
  ticks0="$(server_ticks)"; req0="$(server_requests)"
  if ! { time "${rss[@]}" env ZIZQ_URL="$ZIZQ_URL" ZIZQ_FORMAT="$format" JOB_COUNT="$JOB_COUNT" \
           CONCURRENCY="$CONCURRENCY" PREFETCH="$PREFETCH" \
           "$prog" >"$tmp/out" 2>"$tmp/err"; } 2>"$tmp/time"; then
    log "$prog failed:"; cat "$tmp/out" "$tmp/err" >&2; rm -rf "$tmp"; exit 1
  fi
  rates="$(awk '
    /^Enqueued [0-9]+ jobs/ { e = $0; sub(/.*\(/, "", e); sub(/ .*/, "", e) }
    /^Scanned [0-9]+ jobs/  { s = $0; sub(/.*\(/, "", s); sub(/ .*/, "", s) }
    /^Dequeued [0-9]+ jobs/ { d = $0; sub(/.*\(/, "", d); sub(/ .*/, "", d); n = $2 }
    END { if (e == "" || s == "" || d == "") exit 1; print e, s, d, n }' "$tmp/out")" || {
    log "$prog: unexpected output:"; cat "$tmp/out" "$tmp/err" >&2; rm -rf "$tmp"; exit 1; }
  set -- $rates
  if [ "$4" != "$JOB_COUNT" ]; then
    log "$prog: dequeued $4 of $JOB_COUNT jobs"; rm -rf "$tmp"; exit 1
  fi
  local srv_cpu reqs=-1 req1
  srv_cpu="$(awk -v a="$ticks0" -v b="$(server_ticks)" -v hz="$CLK_TCK" 'BEGIN { printf "%.2f", (b - a) / hz }')"
  req1="$(server_requests)"
  [ "$req0" -ge 0 ] && [ "$req1" -ge 0 ] && reqs=$((req1 - req0))
  read -r user sys real <"$tmp/time"
  local maxrss=0
  [ -s "$tmp/rss" ] && maxrss="$(tail -1 "$tmp/rss")"
  rm -rf "$tmp"
  echo "$1 $2 $3 $(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.3f", u + s }') $real $maxrss $srv_cpu $reqs"
}

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ v[NR] = $1 } END {
  if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

throughput() {
  log "== JOB_COUNT=$JOB_COUNT CONCURRENCY=$CONCURRENCY PREFETCH=$PREFETCH REPEAT=$REPEAT WARMUP=$WARMUP, formats: $FORMATS"
  local tables=""
  for format in $FORMATS; do
    declare -A col=()
    # Warm-up: the first run on a fresh server (or in a new format) is
    # slower for whoever happens to go first; it is not counted.
    for ((r = 1; r <= WARMUP; r++)); do
      run_once "$LIBZIZQ_BIN" "$format" >/dev/null
      run_once "$OFFICIAL_BIN" "$format" >/dev/null
    done
    for ((r = 1; r <= REPEAT; r++)); do
      # Alternate which client goes first, so neither always runs on a
      # server that has just been warmed up (or fragmented) by the other.
      local order="libzizq official"
      (( r % 2 == 0 )) && order="official libzizq"
      for client in $order; do
        local prog="$LIBZIZQ_BIN"
        [ "$client" = official ] && prog="$OFFICIAL_BIN"
        local res
        res="$(run_once "$prog" "$format")"
        set -- $res
        col[$client.enq]+=" $1"; col[$client.scan]+=" $2"; col[$client.deq]+=" $3"
        col[$client.cpu]+=" $4"; col[$client.rss]+=" $6"; col[$client.srv]+=" $7"; col[$client.req]+=" $8"
        log "$(printf '   %-7s run %d/%d %-8s enqueue %7s  scan %7s  dequeue %7s jobs/s  cpu %6ss  wall %6ss  rss %6s KiB  server cpu %5ss  requests %5s' \
          "$format" "$r" "$REPEAT" "$client" "$1" "$2" "$3" "$4" "$5" "$6" "$7" "$8")"
      done
    done
    local t
    t="$(
      printf '\n%s — JOB_COUNT=%s CONCURRENCY=%s PREFETCH=%s, median of %s runs\n' \
        "$format" "$JOB_COUNT" "$CONCURRENCY" "$PREFETCH" "$REPEAT"
      printf '%-22s %12s %12s %18s\n' "" libzizq official "libzizq/official"
      for phase in enq scan deq; do
        local a b name
        a="$(median <<<"${col[libzizq.$phase]}")"; b="$(median <<<"${col[official.$phase]}")"
        case $phase in enq) name="enqueue jobs/s" ;; scan) name="scan jobs/s" ;; deq) name="dequeue jobs/s" ;; esac
        awk -v n="$name" -v a="$a" -v b="$b" 'BEGIN { printf "%-22s %12.0f %12.0f %17.2fx\n", n, a, b, a / b }'
      done
      local ca cb
      ca="$(median <<<"${col[libzizq.cpu]}")"; cb="$(median <<<"${col[official.cpu]}")"
      awk -v a="$ca" -v b="$cb" -v n="$JOB_COUNT" 'BEGIN {
        printf "%-22s %12.2f %12.2f %17.2fx\n", "client CPU s/run", a, b, a / b
        printf "%-22s %12.1f %12.1f %17.2fx\n", "client CPU us/job", a * 1e6 / n, b * 1e6 / n, a / b }'
      ca="$(median <<<"${col[libzizq.rss]}")"; cb="$(median <<<"${col[official.rss]}")"
      if [ "$ca" != 0 ]; then
        awk -v a="$ca" -v b="$cb" 'BEGIN {
          printf "%-22s %12.1f %12.1f %17.2fx\n", "client peak RSS MiB", a / 1024, b / 1024, a / b }'
      fi
      ca="$(median <<<"${col[libzizq.srv]}")"; cb="$(median <<<"${col[official.srv]}")"
      awk -v a="$ca" -v b="$cb" 'BEGIN {
        printf "%-22s %12.2f %12.2f %18s\n", "server CPU s/run", a, b, (b > 0 ? sprintf("%.2fx", a / b) : "-") }'
      ca="$(median <<<"${col[libzizq.req]}")"; cb="$(median <<<"${col[official.req]}")"
      if [ "$ca" != -1 ]; then
        awk -v a="$ca" -v b="$cb" 'BEGIN {
          printf "%-22s %12.0f %12.0f %17.2fx\n", "HTTP requests/run", a, b, a / b }'
      fi
    )"
    printf '%s\n' "$t"
    tables+="$t"$'\n'
    unset col
  done
  cat <<EOF

client CPU = user+sys of the client process for a whole run (start-up, cleanup,
enqueue, scan and dequeue phases), server excluded; us/job = that / JOB_COUNT
(each job is enqueued, scanned and dequeued once). Ratios > 1 favour libzizq
for jobs/s, < 1 favour libzizq for CPU and RSS. Server CPU (10 ms ticks) and
HTTP requests are what the server spent on that client's run; they are not
part of the client CPU.
EOF
}

# --------------------------------------------------------------- memory
memory() {
  log "== libzizq worker over $MEMORY_JOBS jobs (CONCURRENCY=$CONCURRENCY PREFETCH=$PREFETCH)"
  env ZIZQ_URL="$ZIZQ_URL" ZIZQ_FORMAT="${ZIZQ_FORMAT:-msgpack}" JOB_COUNT="$MEMORY_JOBS" \
    CONCURRENCY="$CONCURRENCY" PREFETCH="$PREFETCH" "$MEMORY_BIN"
}

[ "${SKIP_BUILD:-0}" = 1 ] || build
start_server
if [ "$MODE" = memory ]; then memory; else throughput; fi

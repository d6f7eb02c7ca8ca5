#!/usr/bin/env bash
# Side-by-side throughput benchmark: libzizq (examples-c/throughput.c) against
# the official Rust client (bench/official, crate zizq 0.6), both against a
# release zizq-testserver on this machine, once per server mode: "instant"
# (the default server: measures client overhead only) and "reference" (the
# cost-shaped server, --cost-profile: judge throughput by this one). See
# bench/README.md.
#
#   bench/run.sh            a table per server mode and format (make bench)
#   bench/run.sh memory     peak RSS of the libzizq worker over 1,000,000 jobs
#                           (instant server)
#   bench/run.sh latency    idle request latencies and the hand-out of a
#                           burst to waiting worker threads
#                           (bench/latency.c), per server mode
#
# Knobs (environment): MODES ("instant reference"), COST_PROFILE (reference:
# the --cost-profile spec of the "reference" mode, e.g.
# reference,commit_wait=500), REPEAT (3), JOB_COUNT (20000), CONCURRENCY
# (25), PREFETCH (2 x CONCURRENCY), FORMATS ("msgpack json"), WARMUP (1
# untimed run of each client per mode and format before the measured ones),
# SKIP_BUILD (0), MEMORY_JOBS (1000000), THROUGHPUT_C
# (examples-c/throughput.c: the C program run as the libzizq side; point it
# at a variant to compare), SHIMS ("python python-async ruby go": the shims' workers,
# bindings/*/bench, run the same way and tabled against the official client;
# "" for none).
set -euo pipefail
shopt -s inherit_errexit  # a failure inside $(run_once ...) stops the bench

cd "$(dirname "$0")/.."
ROOT="$PWD"
unset CARGO_TARGET_DIR

MODE="${1:-throughput}"
REPEAT="${REPEAT:-3}"
JOB_COUNT="${JOB_COUNT:-20000}"
CONCURRENCY="${CONCURRENCY:-25}"
PREFETCH="${PREFETCH:-$((2 * CONCURRENCY))}"
FORMATS="${FORMATS:-msgpack json}"
MODES="${MODES:-instant reference}"
COST_PROFILE="${COST_PROFILE:-reference}"
WARMUP="${WARMUP:-1}"
MEMORY_JOBS="${MEMORY_JOBS:-1000000}"
THROUGHPUT_C="${THROUGHPUT_C:-examples-c/throughput.c}"
SHIMS="${SHIMS-python python-async ruby go}"
CC="${CC:-cc}"
CARGO="${CARGO:-cargo}"

OUT="$ROOT/bench/target"
SERVER_BIN="$ROOT/target/release/zizq-testserver"
LIBZIZQ_BIN="$OUT/throughput"
MEMORY_BIN="$OUT/memory"
LATENCY_BIN="$OUT/latency"
OFFICIAL_DIR="$ROOT/bench/official"
OFFICIAL_BIN="$OFFICIAL_DIR/target/release/throughput"
GO_BIN="$OUT/throughput-go"
STAGE="$ROOT/target/stage"
REPORT=(python3 "$ROOT/bench/report.py")
RUNS="$OUT/runs.jsonl"

case "$MODE" in
  throughput|memory|latency) ;;
  *) echo "usage: bench/run.sh [throughput|memory|latency]" >&2; exit 2 ;;
esac
# client_command CLIENT: the command that runs CLIENT's throughput program,
# in the array `prog`; fails for a client it does not know.
client_command() {
  case "$1" in
    libzizq) prog=("$LIBZIZQ_BIN") ;;
    official) prog=("$OFFICIAL_BIN") ;;
    python) prog=(python3 "$ROOT/bindings/python/bench/worker_throughput.py") ;;
    python-async) prog=(python3 "$ROOT/bindings/python/bench/async_worker_throughput.py") ;;
    ruby) prog=(ruby "$ROOT/bindings/ruby/bench/worker_throughput.rb") ;;
    go) prog=("$GO_BIN") ;;
    *) return 1 ;;
  esac
}
for s in $SHIMS; do
  [ "$s" != libzizq ] && [ "$s" != official ] && client_command "$s" || {
    echo "bench/run.sh: SHIMS: unknown shim '$s' (python, python-async, ruby, go)" >&2; exit 2; }
done
for m in $MODES; do
  case "$m" in
    instant|reference) ;;
    *) echo "bench/run.sh: MODES: unknown server mode '$m' (instant, reference)" >&2; exit 2 ;;
  esac
done

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
  elif [ "$MODE" = latency ]; then
    log "== compiling bench/latency.c"
    "$CC" -O2 -std=c11 -Wall -Wextra -Iinclude bench/latency.c -o "$LATENCY_BIN" "${link[@]}"
  else
    log "== compiling $THROUGHPUT_C"
    "$CC" -O2 -std=c11 -Wall -Wextra -Iinclude "$THROUGHPUT_C" -o "$LIBZIZQ_BIN" "${link[@]}"
    log "== building bench/official (zizq $(sed -n '/^name = "zizq"$/{n;s/version = "\(.*\)"/\1/p}' "$OFFICIAL_DIR/Cargo.lock"), release)"
    CARGO_TARGET_DIR="$OFFICIAL_DIR/target" \
      "$CARGO" build --release --quiet --locked --manifest-path "$OFFICIAL_DIR/Cargo.toml"
    if [[ " $SHIMS " == *" go "* ]]; then
      # The Go package links through pkg-config, as for users: against the
      # staged install, run with the build's libzizq.so.MAJOR (the rpath),
      # like the C program.
      log "== building bindings/go/bench/throughput"
      make -C "$ROOT" --no-print-directory -s stage CARGO="$CARGO" >/dev/null
      (cd "$ROOT/bindings/go" &&
        PKG_CONFIG_PATH="$STAGE/lib/pkgconfig" CGO_LDFLAGS="-Wl,-rpath,$ROOT/target/release" \
          go build -o "$GO_BIN" ./bench/throughput)
    fi
  fi
}

# --------------------------------------------------------------- server
# One server per mode, shared by every run in that mode. Its stdin is a pipe
# held open by this script (coproc), so with --exit-on-stdin-eof it also goes
# away if we are killed; stop_server (and the EXIT trap) stops it otherwise.
SERVER_PID=""
SERVER_LOG=""
stop_server() {
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
  fi
  [ -n "$SERVER_LOG" ] && rm -f "$SERVER_LOG"
  SERVER_LOG=""
}
trap stop_server EXIT
trap 'exit 130' INT TERM

# start_server MODE
start_server() {
  local args=(--port 0 --exit-on-stdin-eof)
  [ "$1" = reference ] && args+=(--cost-profile "$COST_PROFILE")
  SERVER_LOG="$(mktemp)"
  # bash unsets SRV and SRV_PID when the coproc exits: keep the pid, and
  # treat a vanished pipe as a failed start.
  coproc SRV { exec "$SERVER_BIN" "${args[@]}" 2>"$SERVER_LOG"; }
  SERVER_PID="${SRV_PID:-}"
  local line=""
  if ! IFS= read -r -t 20 -u "${SRV[0]:-}" line 2>/dev/null; then
    log "zizq-testserver did not start"; cat "$SERVER_LOG" >&2; exit 1
  fi
  ZIZQ_URL="${line#listening on }"
  export ZIZQ_URL
  log "== server mode $1: zizq-testserver ${args[*]} (pid $SERVER_PID) on $ZIZQ_URL"
}

# ----------------------------------------------------------- throughput
# Server-side counters around each run (not part of the client's figures):
# CPU ticks of the server process, and the control API's state (requests by
# kind, journal commits), whose differences report.py records.
CLK_TCK="$(getconf CLK_TCK 2>/dev/null || echo 100)"
server_ticks() { awk '{ print $14 + $15 }' "/proc/$SERVER_PID/stat"; }

# run_once RUNS_FILE SERVER_MODE FORMAT CLIENT: one run, appended to
# RUNS_FILE as a JSON line; prints a one-line summary.
# Client CPU is that process's alone, user and sys (bash's `time` keyword:
# getrusage of the waited-for child; the server is not a child of it).
run_once() {
  local runs="$1" mode="$2" format="$3" client="$4" tmp rates prog
  client_command "$client"
  tmp="$(mktemp -d)"
  local TIMEFORMAT='%3U %3S %3R'
  # GNU time, when installed, only adds the client's peak RSS (%M, KiB).
  local rss=()
  [ -x /usr/bin/time ] && rss=(/usr/bin/time -f %M -o "$tmp/rss")
  local ticks0
  "${REPORT[@]}" state "$ZIZQ_URL" >"$tmp/before"
  ticks0="$(server_ticks)"
  if ! { time "${rss[@]}" env ZIZQ_URL="$ZIZQ_URL" ZIZQ_FORMAT="$format" JOB_COUNT="$JOB_COUNT" \
           CONCURRENCY="$CONCURRENCY" PREFETCH="$PREFETCH" \
           ZIZQ_LIB="${ZIZQ_LIB:-$ROOT/target/release/libzizq.so}" \
           "${prog[@]}" >"$tmp/out" 2>"$tmp/err"; } 2>"$tmp/time"; then
    log "${prog[*]} failed:"; cat "$tmp/out" "$tmp/err" >&2; rm -rf "$tmp"; exit 1
  fi
  local srv_cpu
  srv_cpu="$(awk -v a="$ticks0" -v b="$(server_ticks)" -v hz="$CLK_TCK" 'BEGIN { printf "%.2f", (b - a) / hz }')"
  "${REPORT[@]}" state "$ZIZQ_URL" >"$tmp/after"
  rates="$(awk '
    /^Enqueued [0-9]+ jobs/ { e = $0; sub(/.*\(/, "", e); sub(/ .*/, "", e) }
    /^Scanned [0-9]+ jobs/  { s = $0; sub(/.*\(/, "", s); sub(/ .*/, "", s) }
    /^Dequeued [0-9]+ jobs/ { d = $0; sub(/.*\(/, "", d); sub(/ .*/, "", d); n = $2 }
    END { if (e == "" || s == "" || d == "") exit 1; print e, s, d, n }' "$tmp/out")" || {
    log "${prog[*]}: unexpected output:"; cat "$tmp/out" "$tmp/err" >&2; rm -rf "$tmp"; exit 1; }
  local enq scan deq n user sys real maxrss=0
  read -r enq scan deq n <<<"$rates"
  if [ "$n" != "$JOB_COUNT" ]; then
    log "${prog[*]}: dequeued $n of $JOB_COUNT jobs"; rm -rf "$tmp"; exit 1
  fi
  read -r user sys real <"$tmp/time"
  [ -s "$tmp/rss" ] && maxrss="$(tail -1 "$tmp/rss")"
  local spec=""
  [ "$mode" = reference ] && spec="$COST_PROFILE"
  "${REPORT[@]}" record "$runs" "$tmp/before" "$tmp/after" \
    mode="$mode" spec="$spec" format="$format" client="$client" \
    jobs="$JOB_COUNT" concurrency="$CONCURRENCY" prefetch="$PREFETCH" \
    enqueue="$enq" scan="$scan" dequeue="$deq" user="$user" sys="$sys" wall="$real" \
    rss="$maxrss" server_cpu="$srv_cpu"
  rm -rf "$tmp"
}

throughput() {
  log "== JOB_COUNT=$JOB_COUNT CONCURRENCY=$CONCURRENCY PREFETCH=$PREFETCH REPEAT=$REPEAT WARMUP=$WARMUP, modes: $MODES, formats: $FORMATS"
  : >"$RUNS"
  for mode in $MODES; do
    start_server "$mode"
    for format in $FORMATS; do
      # Warm-up: the first run on a fresh server (or in a new format) is
      # slower for whoever happens to go first; it is not counted.
      for ((r = 1; r <= WARMUP; r++)); do
        for client in libzizq official $SHIMS; do
          run_once /dev/null "$mode" "$format" "$client" >/dev/null
        done
      done
      for ((r = 1; r <= REPEAT; r++)); do
        # Alternate which client goes first, so neither always runs on a
        # server that has just been warmed up (or fragmented) by the other.
        local order="libzizq official"
        (( r % 2 == 0 )) && order="official libzizq"
        for client in $order $SHIMS; do
          local summary
          summary="$(run_once "$RUNS" "$mode" "$format" "$client")"
          log "$(printf '   %-9s %-7s run %d/%d %-8s %s' "$mode" "$format" "$r" "$REPEAT" "$client" "$summary")"
        done
      done
      "${REPORT[@]}" table "$RUNS" "$mode" "$format"
    done
    stop_server
  done
  "${REPORT[@]}" legend
}

# --------------------------------------------------------------- memory
memory() {
  log "== libzizq worker over $MEMORY_JOBS jobs (CONCURRENCY=$CONCURRENCY PREFETCH=$PREFETCH)"
  env ZIZQ_URL="$ZIZQ_URL" ZIZQ_FORMAT="${ZIZQ_FORMAT:-msgpack}" JOB_COUNT="$MEMORY_JOBS" \
    CONCURRENCY="$CONCURRENCY" PREFETCH="$PREFETCH" "$MEMORY_BIN"
}

# --------------------------------------------------------------- latency
latency() {
  for mode in $MODES; do
    start_server "$mode"
    env ZIZQ_URL="$ZIZQ_URL" "$LATENCY_BIN"
    stop_server
  done
}

[ "${SKIP_BUILD:-0}" = 1 ] || build
case "$MODE" in
  memory) start_server instant; memory ;;
  latency) latency ;;
  *) throughput ;;
esac

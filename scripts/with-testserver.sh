#!/usr/bin/env bash
# Run a command with ZIZQ_URL pointing at a fresh zizq-testserver (started on
# port 0 and stopped afterwards), or at ZIZQ_TEST_URL when that is set.
# Extra server flags: ZIZQ_SERVER_ARGS="--tier free ...".
set -euo pipefail
if [ -n "${ZIZQ_TEST_URL:-}" ]; then
  export ZIZQ_URL="$ZIZQ_TEST_URL"
  exec "$@"
fi
bin="${ZIZQ_TESTSERVER:-target/release/zizq-testserver}"
log="$(mktemp)"
# shellcheck disable=SC2086
"$bin" --port 0 --heartbeat-interval 100ms ${ZIZQ_SERVER_ARGS:-} >"$log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -f "$log"' EXIT
url=""
for _ in $(seq 200); do
  url="$(sed -n 's/^listening on //p' "$log" | head -1)"
  [ -n "$url" ] && break
  kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; exit 1; }
  sleep 0.05
done
[ -n "$url" ] || { echo "zizq-testserver did not start" >&2; cat "$log" >&2; exit 1; }
export ZIZQ_URL="$url"
"$@"

#!/bin/sh
# The Python package installed as a user installs it: builds the wheel
# (`pip wheel ./bindings/python`, which compiles libzizq or reuses a fresh
# release build), checks it is a platform wheel carrying libzizq.so,
# installs it into a fresh venv in a temporary directory and there, with
# ZIZQ_LIB unset and no path into the checkout, runs the quick start against
# a fresh zizq-testserver. Then `mypy --strict` (installed into that venv from
# PyPI) checks the package, the examples and a small user program typed
# against the installed package, which also runs. Prints the wheel's size and
# the build and install times. ZIZQ_TESTSERVER: the server binary (default:
# the release build, copied out first). Exits non-zero on any failure.
set -eu

python_dir=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$python_dir/../.." && pwd)
PYTHON=${PYTHON:-python3}
work=$(mktemp -d)
cleanup() {
  rm -rf "$work"
}
trap cleanup EXIT INT TERM
fail() { echo "python install test: $*" >&2; exit 1; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
# Run a command with ZIZQ_URL set to a fresh copy of the installed server.
with_server() { ZIZQ_TESTSERVER="$work/zizq-testserver" "$repo/scripts/with-testserver.sh" "$@"; }

cp "${ZIZQ_TESTSERVER:-$repo/target/release/zizq-testserver}" "$work/zizq-testserver"

# The venv's own pip builds the wheel too, so the system's Python needs only
# venv (a Debian python3 refuses pip outside a venv).
"$PYTHON" -m venv "$work/venv"
# After `make build` the release build is fresh: the package build must
# reuse it, not compile libzizq again.
release_lib="${CARGO_TARGET_DIR:-$repo/target}/release/libzizq.so"
release_stamp=$(stat -c %y "$release_lib" 2>/dev/null || true)
started=$(now_ms)
"$work/venv/bin/pip" wheel --quiet --no-deps --wheel-dir "$work/dist" "$python_dir"
built=$(now_ms)
if [ -n "$release_stamp" ] && [ "$(stat -c %y "$release_lib")" != "$release_stamp" ]; then
  fail "the package build compiled libzizq again instead of reusing $release_lib (run make build first)"
fi
wheel=$(ls "$work"/dist/zizq-*.whl)
case "$wheel" in
  *-py3-none-linux_*.whl | *-py3-none-manylinux*.whl) ;;
  *) fail "not a platform wheel: $wheel" ;;
esac
"$work/venv/bin/python" -m zipfile -l "$wheel" > "$work/wheel.txt"
grep -q "^zizq/libzizq.so " "$work/wheel.txt" || fail "no zizq/libzizq.so in $wheel"

installing=$(now_ms)
"$work/venv/bin/pip" install --quiet --no-index --no-deps "$wheel"
installed=$(now_ms)
echo "wheel $(basename "$wheel"): $(wc -c < "$wheel") bytes; pip wheel $((built - started)) ms," \
  "pip install $((installed - installing)) ms"

cd "$work"

cp "$python_dir/examples/quickstart.py" "$python_dir/tests/typed_user.py" "$work/"
env -u ZIZQ_LIB "$work/venv/bin/python" -c '
import sys, zizq
assert zizq._native.PATH.startswith(sys.prefix), zizq._native.PATH
assert zizq.__version__ in zizq.library_version(), (zizq.__version__, zizq.library_version())
'
with_server env -u ZIZQ_LIB "$work/venv/bin/python" quickstart.py > quickstart.out ||
  { cat quickstart.out >&2; fail "the quick start failed"; }
grep -q "jobs left in emails: 0" quickstart.out || { cat quickstart.out >&2; fail "unexpected quick start output"; }
with_server env -u ZIZQ_LIB "$work/venv/bin/python" typed_user.py
echo "quick start and user program on the installed wheel: ok"

"$work/venv/bin/pip" install --quiet "mypy==2.4.1"
echo "mypy --strict: the user program against the installed package"
"$work/venv/bin/mypy" --strict --no-incremental typed_user.py
echo "mypy --strict: the package and the examples"
(cd "$python_dir" && "$work/venv/bin/mypy" --strict --no-incremental --cache-dir "$work/mypy-cache" \
  src/zizq examples)

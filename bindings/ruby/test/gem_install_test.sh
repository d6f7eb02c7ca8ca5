#!/bin/sh
# Builds the gem with a libzizq.so inside (ZIZQ_LIB, default: the release
# build), installs it into a temporary GEM_HOME, and runs a script outside
# the source tree that loads the installed gem (and its bundled library)
# to enqueue, take, ack and count against ZIZQ_TEST_URL or a fresh
# zizq-testserver (ZIZQ_TESTSERVER). Exits non-zero on any failure.
set -eu

ruby_dir=$(cd "$(dirname "$0")/.." && pwd)
repo=$(cd "$ruby_dir/../.." && pwd)
lib=${ZIZQ_LIB:-$repo/target/release/libzizq.so}
[ -f "$lib" ] || { echo "gem_install_test: no libzizq.so at $lib (set ZIZQ_LIB)" >&2; exit 1; }

work=$(mktemp -d)
server_pid=
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

# Build from a copy so the source tree is left untouched.
mkdir -p "$work/src"
cp -R "$ruby_dir/lib" "$ruby_dir/zizq.gemspec" "$ruby_dir/README.md" "$work/src/"
mkdir -p "$work/src/lib/zizq/native"
cp "$lib" "$work/src/lib/zizq/native/libzizq.so"
(cd "$work/src" && gem build zizq.gemspec > "$work/build.log" 2>&1) || { cat "$work/build.log" >&2; exit 1; }
gem_file=$(ls "$work"/src/zizq-*.gem)

# ffi and msgpack come from the system (Debian packages) through GEM_PATH.
export GEM_HOME="$work/gems"
export GEM_PATH="$GEM_HOME:$(ruby -e 'print Gem.default_path.join(":")')"
gem install --local --no-document --quiet "$gem_file" > /dev/null

url=${ZIZQ_TEST_URL:-}
if [ -z "$url" ]; then
  server=${ZIZQ_TESTSERVER:-$repo/target/release/zizq-testserver}
  "$server" --port 0 > "$work/server.out" &
  server_pid=$!
  tries=0
  until url=$(sed -n 's/^listening on //p' "$work/server.out") && [ -n "$url" ]; do
    tries=$((tries + 1))
    [ "$tries" -lt 100 ] || { echo "gem_install_test: the test server did not start" >&2; exit 1; }
    sleep 0.05
  done
fi

cat > "$work/check.rb" <<'RUBY'
require "zizq"

spec = Gem.loaded_specs.fetch("zizq")
abort "zizq was not loaded from #{ENV['GEM_HOME']}: #{spec.full_gem_path}" unless
  spec.full_gem_path.start_with?(ENV.fetch("GEM_HOME"))

client = Zizq::Client.new(url: ENV.fetch("URL"))
client.erase_all_data
client.enqueue(queue: "gem-test", type: "hello", payload: { "from" => "installed gem" })
taken = nil
client.take_jobs(queues: ["gem-test"]) do |job|
  taken = job
  client.ack(job.id)
  break
end
abort "unexpected job #{taken.inspect}" unless taken&.payload == { "from" => "installed gem" }
abort "the job was not acknowledged" unless client.count_jobs(queue: "gem-test").zero?
client.close
puts "gem install test: ok (#{spec.full_name}, #{Zizq.library_version})"
RUBY

# Outside the source tree, with the library found inside the gem; then the
# README's quick start, as written, on the installed gem.
cd "$work"
env -u ZIZQ_LIB URL="$url" ruby "$work/check.rb"
cp "$ruby_dir/examples/quickstart.rb" "$work/"
env -u ZIZQ_LIB ZIZQ_URL="$url" ruby "$work/quickstart.rb" > "$work/quickstart.out"
grep -q "jobs left in emails: 0" "$work/quickstart.out" || { cat "$work/quickstart.out" >&2; exit 1; }
echo "quick start on the installed gem: ok"

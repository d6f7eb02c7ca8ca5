#!/bin/sh
# The gem installed as a user installs it: builds the platform gem (`rake
# gem`: compiles libzizq, or reuses a fresh release build, and packs it),
# installs it into a temporary GEM_HOME (ffi and msgpack come from the
# system's gems) and there, with ZIZQ_LIB unset and no path into the
# checkout, runs a check of the installed gem and the README's quick start
# against a fresh zizq-testserver. Prints the gem's size and the build and
# install times. ZIZQ_TESTSERVER: the server binary (default: the release
# build, copied out first). Exits non-zero on any failure.
set -eu

ruby_dir=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$ruby_dir/../.." && pwd)
work=$(mktemp -d)
cleanup() {
  rm -rf "$work"
}
trap cleanup EXIT INT TERM
fail() { echo "ruby install test: $*" >&2; exit 1; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
# Run a command with ZIZQ_URL set to a fresh copy of the installed server.
with_server() { ZIZQ_TESTSERVER="$work/zizq-testserver" "$repo/scripts/with-testserver.sh" "$@"; }

cp "${ZIZQ_TESTSERVER:-$repo/target/release/zizq-testserver}" "$work/zizq-testserver"

# After `make build` the release build is fresh: the package build must
# reuse it, not compile libzizq again.
release_lib="${CARGO_TARGET_DIR:-$repo/target}/release/libzizq.so"
release_stamp=$(stat -c %y "$release_lib" 2>/dev/null || true)
started=$(now_ms)
(cd "$ruby_dir" && rake gem > "$work/build.log" 2>&1) || { cat "$work/build.log" >&2; fail "rake gem failed"; }
built=$(now_ms)
if [ -n "$release_stamp" ] && [ "$(stat -c %y "$release_lib")" != "$release_stamp" ]; then
  fail "the package build compiled libzizq again instead of reusing $release_lib (run make build first)"
fi
version=$(ruby -e 'load ARGV[0]; print Zizq::VERSION' "$ruby_dir/lib/zizq/version.rb")
platform=$(ruby -e 'print Gem::Platform.local')
gem_file="$ruby_dir/zizq-$version-$platform.gem"
[ -f "$gem_file" ] || fail "rake gem made no $gem_file"
mv "$gem_file" "$work/"
gem_file="$work/$(basename "$gem_file")"

export GEM_HOME="$work/gems"
GEM_PATH="$GEM_HOME:$(ruby -e 'print Gem.default_path.join(":")')"
export GEM_PATH
installing=$(now_ms)
gem install --local --no-document --quiet "$gem_file" > /dev/null
installed=$(now_ms)
echo "gem $(basename "$gem_file"): $(wc -c < "$gem_file") bytes; rake gem $((built - started)) ms," \
  "gem install $((installed - installing)) ms"

cd "$work"

cat > "$work/check.rb" <<'RUBY'
require "zizq"

spec = Gem.loaded_specs.fetch("zizq")
abort "zizq was not loaded from #{ENV['GEM_HOME']}: #{spec.full_gem_path}" unless
  spec.full_gem_path.start_with?(ENV.fetch("GEM_HOME"))
abort "libzizq was not loaded from the gem: #{Zizq::NativeLibrary.path}" unless
  Zizq::NativeLibrary.path.start_with?(spec.full_gem_path)
abort "gem #{Zizq::VERSION} loaded #{Zizq.library_version}" unless
  Zizq.library_version.start_with?("libzizq/#{Zizq::VERSION} ")

client = Zizq::Client.new(url: ENV.fetch("ZIZQ_URL"))
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

with_server env -u ZIZQ_LIB ruby "$work/check.rb"
cp "$ruby_dir/examples/quickstart.rb" "$work/"
with_server env -u ZIZQ_LIB ruby "$work/quickstart.rb" > "$work/quickstart.out" ||
  { cat "$work/quickstart.out" >&2; fail "the quick start failed"; }
grep -q "jobs left in emails: 0" "$work/quickstart.out" || { cat "$work/quickstart.out" >&2; fail "unexpected quick start output"; }
echo "quick start on the installed gem: ok"

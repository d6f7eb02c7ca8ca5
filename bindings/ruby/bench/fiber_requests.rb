# frozen_string_literal: true

# CALLS enqueues (10,000) made three ways: one after another in one thread
# (blocking calls), from TASKS (200) Async tasks on one thread (each waits
# on the completion queue's descriptor), and from TASKS threads (blocking
# calls, GVL released). Each line gives the wall time, calls per second, the
# process CPU time and the RSS after the run; a last Async run of CALLS
# get_job calls for a missing id (every one a NotFoundError built from its
# completion's error object) shows that errors are released too.
#
#   ZIZQ_URL=http://127.0.0.1:7890 ZIZQ_LIB=../../target/release/libzizq.so \
#     ruby -Ilib bench/fiber_requests.rb
#
# Without ZIZQ_URL a zizq-testserver is started (ZIZQ_TESTSERVER, default
# the release build). Needs the async gem (Debian: ruby-async).
require "zizq"
require_relative "server"
require "async"

CALLS = Integer(ENV.fetch("CALLS", "10000"))
TASKS = Integer(ENV.fetch("TASKS", "200"))

url = BenchServer.url

client = Zizq::Client.new(url: url)

def measure(label)
  clock = Process.clock_gettime(Process::CLOCK_MONOTONIC)
  cpu = Process.clock_gettime(Process::CLOCK_PROCESS_CPUTIME_ID)
  yield
  wall = Process.clock_gettime(Process::CLOCK_MONOTONIC) - clock
  cpu = Process.clock_gettime(Process::CLOCK_PROCESS_CPUTIME_ID) - cpu
  rss = File.read("/proc/self/status")[/^VmRSS:\s+(\d+)/, 1].to_i
  puts format("%-38<label>s %6.2<wall>f s %7.0<rate>f calls/s  cpu %5.2<cpu>f s  RSS %6<rss>d KiB",
              label: label, wall: wall, rate: CALLS / wall, cpu: cpu, rss: rss)
end

# CALLS calls of the block split between `workers` runners.
def shares(workers)
  Array.new(workers) { |index| (CALLS / workers) + (index < CALLS % workers ? 1 : 0) }
end

enqueue = -> { client.enqueue(queue: "bench", type: "fiber", payload: { "n" => 1 }) }
client.erase_all_data
measure("blocking, one thread") { CALLS.times { enqueue.call } }
client.erase_all_data
measure("Async, #{TASKS} tasks on one thread") do
  Async do |task|
    shares(TASKS).map { |share| task.async { share.times { enqueue.call } } }.each(&:wait)
  end
end
client.erase_all_data
measure("blocking, #{TASKS} threads") do
  shares(TASKS).map { |share| Thread.new { share.times { enqueue.call } } }.each(&:join)
end
client.erase_all_data
measure("Async, #{TASKS} tasks, NotFoundError") do
  Async do |task|
    shares(TASKS).map do |share|
      task.async do
        share.times do
          client.get_job("no-such-job")
        rescue Zizq::NotFoundError
          nil
        end
      end
    end.each(&:wait)
  end
end
client.close

# frozen_string_literal: true

# 100,000 calls through libzizq (enqueue, get_job, and every 100th call a
# list_jobs page plus a delete_all_jobs to keep the server small), printing
# the process RSS at the start and after 10k, 50k and 100k calls. Memory
# should stay flat: every buffer, error and handle crossing the boundary is
# released.
#
#   ZIZQ_URL=http://127.0.0.1:7890 ZIZQ_LIB=../../target/release/libzizq.so \
#     ruby -Ilib bench/memory_loop.rb
#
# Without ZIZQ_URL a zizq-testserver is started (ZIZQ_TESTSERVER, default
# the release build). CALLS overrides the number of calls.
require "zizq"
require_relative "server"

def rss_kib
  File.read("/proc/self/status")[/^VmRSS:\s+(\d+)/, 1].to_i
end

def report(calls)
  puts format("%<calls>7d calls  RSS %<rss>7d KiB", calls: calls, rss: rss_kib)
end

url = BenchServer.url

total = Integer(ENV.fetch("CALLS", "100000"))
checkpoints = [10_000, 50_000, 100_000].select { |n| n <= total } | [total]
client = Zizq::Client.new(url: url, format: ENV.fetch("FORMAT", "msgpack").to_sym)
client.erase_all_data
report(0)

calls = 0
while calls < total
  job = client.enqueue(queue: "memory", type: "loop", payload: { "n" => calls, "text" => "x" * 100 })
  client.get_job(job.id)
  calls += 2
  if (calls % 100).zero?
    client.list_jobs(queue: "memory", limit: 10).to_a
    client.delete_all_jobs(where: { queue: "memory" })
    begin
      client.get_job("0000000000000000000000000")
    rescue Zizq::NotFoundError
      nil # an error object crossed the boundary too
    end
    calls += 3
  end
  report(checkpoints.shift) while checkpoints.any? && calls >= checkpoints.first
end
client.close

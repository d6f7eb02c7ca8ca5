# frozen_string_literal: true

# examples-c/throughput.c on the Ruby shim, for bench/run.sh (client
# "ruby"): the same environment, steps and three output lines.
#
# Environment: ZIZQ_URL, ZIZQ_FORMAT (msgpack|json), JOB_COUNT (10000),
# CONCURRENCY (25: Zizq::Worker threads), PREFETCH (2 x CONCURRENCY). The
# gem comes from bindings/ruby/lib and libzizq from ZIZQ_LIB, as in the
# test suite.
$LOAD_PATH.unshift(File.expand_path("../lib", __dir__))
require "zizq"

QUEUE = "throughput_bench"

def report(verb, count, seconds)
  puts format("%s %d jobs in %.2fs (%.0f jobs/sec)", verb, count, seconds, count / seconds)
  $stdout.flush
end

def now = Process.clock_gettime(Process::CLOCK_MONOTONIC)

url = ENV.fetch("ZIZQ_URL", "http://127.0.0.1:7890")
count = Integer(ENV.fetch("JOB_COUNT", "10000"))
concurrency = Integer(ENV.fetch("CONCURRENCY", "25"))
prefetch = Integer(ENV.fetch("PREFETCH", (2 * concurrency).to_s))
client = Zizq::Client.new(url: url, format: ENV.fetch("ZIZQ_FORMAT", "msgpack").to_sym)
client.delete_all_jobs(where: { queue: QUEUE })

started = now
(0...count).step(1000) do |start|
  client.enqueue_bulk(jobs: (start...[count, start + 1000].min).map do |n|
    { type: "bench", queue: QUEUE, payload: { n: n } }
  end)
end
report("Enqueued", count, now - started)

started = now
scanned = 0
page = client.list_jobs(queue: QUEUE, limit: 2000)
while page
  scanned += page.jobs.size
  page = page.next_page
end
report("Scanned", scanned, now - started)

handled = 0
lock = Mutex.new
done = Queue.new
started = now
worker = Zizq::Worker.new(client: client, queues: [QUEUE], threads: concurrency, prefetch: prefetch) do |_job|
  lock.synchronize do
    handled += 1
    done << true if handled == count
  end
end
worker.start
done.pop
abort "worker_throughput: the worker did not shut down cleanly" unless worker.stop
report("Dequeued", handled, now - started)
client.close

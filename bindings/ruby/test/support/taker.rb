# frozen_string_literal: true

# Runs `take_jobs` in a background thread and queues the jobs it yields, so
# a test can ack or nack them while the stream stays open (closing a stream
# makes the server requeue its unacknowledged jobs). The stream ends when
# its client is closed; `finish` then returns what take_jobs returned or
# raises what it raised.
class Taker
  def initialize(client, **options)
    @jobs = Thread::Queue.new
    @thread = Thread.new { client.take_jobs(**options) { |job| @jobs << job } }
    @thread.report_on_exception = false
  end

  # The next `count` jobs, waiting up to `timeout` seconds for them.
  def pop(count = 1, timeout: 5)
    deadline = Process.clock_gettime(Process::CLOCK_MONOTONIC) + timeout
    until @jobs.size >= count
      raise "take_jobs ended: #{finish.inspect}" unless @thread.alive?
      raise "expected #{count} job(s), got #{@jobs.size} in #{timeout}s" if
        Process.clock_gettime(Process::CLOCK_MONOTONIC) > deadline

      sleep 0.005
    end
    Array.new(count) { @jobs.pop }
  end

  def finish
    @thread.value
  end
end

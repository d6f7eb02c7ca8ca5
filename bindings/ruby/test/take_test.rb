# frozen_string_literal: true

require_relative "test_helper"

# take_jobs: delivery, callbacks, stopping, and streams that end or die.
class TakeTest < ZizqTest
  def test_yields_jobs_and_callbacks
    enqueue_job(queue: "a", payload: { "x" => 1 })
    enqueue_job(queue: "b", payload: { "x" => 2 })
    events = []
    jobs = []
    result = client.take_jobs(prefetch: 5, queues: ["b"], worker_id: "ruby-test",
                              on_connect: -> { events << :connect },
                              on_response: ->(response) { events << response.status }) do |job|
      jobs << job
      break
    end
    assert_nil result
    assert_equal [:connect, 200], events
    assert_equal 1, jobs.size
    job = jobs.first
    assert_instance_of Zizq::Resources::Job, job
    assert_equal ["b", "in_flight", { "x" => 2 }], [job.queue, job.status, job.payload]
    assert_raises(ArgumentError) { client.take_jobs }
  end

  def test_breaking_out_requeues_unacknowledged_jobs
    2.times { enqueue_job }
    client.take_jobs(prefetch: 2) { break }
    wait_until { client.count_jobs(status: "ready") == 2 }
  end

  def test_prefetch_limits_unacknowledged_jobs
    3.times { enqueue_job }
    taker = start_taker(prefetch: 2)
    first, second = taker.pop(2)
    assert_equal 1, client.count_jobs(status: "ready")
    client.ack(first.id)
    third = taker.pop.first
    refute_includes [first.id, second.id], third.id
  end

  def test_close_from_another_thread_stops_take_jobs
    enqueue_job
    other = new_client
    seen = Thread::Queue.new
    taking = Thread.new { other.take_jobs { |job| seen << job } }
    wait_until { seen.size == 1 }
    other.close
    assert_nil taking.join(5)&.value
    assert_raises(Zizq::ConnectionError) { other.take_jobs { nil } }
  end

  def test_cleanup_internal_clients_stops_streams_but_keeps_the_client
    taking = Thread.new { client.take_jobs { nil } }
    wait_for_open_stream
    client.cleanup_internal_clients
    assert_nil taking.join(5).value
    assert_equal({ "status" => "ok" }, client.health)
  end

  def test_thread_raise_interrupts_take_jobs
    taking = Thread.new { client.take_jobs { nil } }
    taking.report_on_exception = false
    wait_for_open_stream
    taking.raise(Interrupt)
    assert_raises(Interrupt) { taking.join(2).value }
  end

  def test_stream_closed_by_the_server_returns_and_requeues
    require_own_server
    enqueue_job
    taken = Thread::Queue.new
    taking = Thread.new { client.take_jobs { |job| taken << job } }
    wait_until { taken.size == 1 }
    assert_equal 1, server.close_streams
    assert_nil taking.join(5).value
    wait_until { client.count_jobs(status: "ready") == 1 }
  end

  def test_heartbeats_keep_a_quiet_stream_alive
    require_own_server
    quiet = new_client(stream_idle_timeout: 0.5)
    taking = Thread.new { quiet.take_jobs { nil } }
    taking.report_on_exception = false
    refute taking.join(1.5), "a stream with heartbeats (every 100 ms) must outlive its 0.5 s idle timeout"
    server.faults(heartbeats: false)
    assert_raises(Zizq::ConnectionError) { taking.join(5).value }
  end

  def test_truncated_and_corrupt_frames_raise_stream_errors
    require_own_server
    enqueue_job
    server.faults(truncate_next_frame: true)
    error = assert_raises(Zizq::StreamError) { client.take_jobs { nil } }
    assert_match(/truncated/, error.message)
    server.faults(corrupt_next_frame: true)
    error = assert_raises(Zizq::StreamError) { client.take_jobs { nil } }
    assert_match(/invalid job frame/, error.message)
  end

  def test_refused_stream_raises_stream_error
    require_own_server
    server.faults(fail_requests: { status: 500, count: 1, path: "/jobs/take" })
    error = assert_raises(Zizq::StreamError) { client.take_jobs { nil } }
    assert_match(/500/, error.message)
  end

  private

  # The control API tells when the stream is open; a foreign server cannot.
  def wait_for_open_stream
    return sleep(0.5) unless server.own?

    wait_until { server.state.fetch("take_streams") == 1 }
  end
end

require_relative "support/recording_scheduler"

# Under a fiber scheduler, waiting for jobs goes through the scheduler
# (IO#wait_readable on the stream's descriptor): the thread's other fibers
# run meanwhile.
class TakeFiberTest < ZizqTest
  def test_waiting_for_jobs_yields_to_other_fibers
    scheduler = RecordingScheduler.new
    taken = []
    ticks = 0
    Thread.new do
      Fiber.set_scheduler(scheduler)
      Fiber.schedule do
        client.take_jobs(prefetch: 1, queues: ["fibers"]) do |job|
          taken << job.id
          break
        end
      end
      Fiber.schedule do
        # Runs while the other fiber waits for a job, then supplies it.
        3.times do
          sleep 0.01
          ticks += 1
        end
        enqueue_job(queue: "fibers")
      end
    end.join(30)
    assert_equal 3, ticks
    assert_equal 1, taken.size
    refute_empty scheduler.waited_fds, "the take stream's wait went through the scheduler"
  end
end

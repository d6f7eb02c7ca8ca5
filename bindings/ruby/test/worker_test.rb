# frozen_string_literal: true

require_relative "test_helper"

# Zizq::Worker on the core's worker loop.
class WorkerTest < ZizqTest
  def test_handles_and_acks_every_job
    ids = Array.new(30) { |n| enqueue_job(payload: { "n" => n }).id }
    handled = Thread::Queue.new
    worker = Zizq::Worker.new(client: client, threads: 3) { |job| handled << job }
    worker.start
    wait_until { handled.size == 30 }
    assert worker.stop
    jobs = Array.new(30) { handled.pop }
    assert_equal ids.sort, jobs.map(&:id).sort
    assert(jobs.all? { |job| job.is_a?(Zizq::Resources::Job) && job.status == "in_flight" })
    assert_equal 0, client.count_jobs
    stats = worker.stats
    assert_equal ["stopped", 30, 0], [stats[:state], stats[:acked], stats[:pending_acks]]
  end

  def test_a_failing_handler_nacks_with_class_message_and_backtrace
    job = enqueue_job(payload: { "fail" => true })
    worker = start_worker { |j| raise ArgumentError, "bad payload #{j.payload}" if j.payload["fail"] }
    record = wait_until { client.list_errors(job.id).first }
    assert worker.stop
    assert_equal "ArgumentError: bad payload {\"fail\"=>true}", record.message
    assert_equal "ArgumentError", record.error_type
    assert_match(/worker_test\.rb:\d+/, record.backtrace)
    assert_includes record.backtrace, "\n"
    assert_equal ["scheduled", 1], client.get_job(job.id).then { |j| [j.status, j.attempts] }
    assert_equal 1, worker.stats[:nacked]
  end

  def test_retry_chooses_the_retry_time_and_reports_its_cause
    job = enqueue_job
    worker = start_worker do
      {}.fetch("missing")
    rescue KeyError
      raise Zizq::Retry.new(after: 3600)
    end
    record = wait_until { client.list_errors(job.id).first }
    assert worker.stop
    assert_equal "KeyError", record.error_type
    assert_match(/\AKeyError: key not found/, record.message)
    retried = client.get_job(job.id)
    assert_equal "scheduled", retried.status
    assert_in_delta Time.now.to_f + 3600, retried.ready_at, 30
  end

  def test_retry_at_and_kill
    soon = enqueue_job(type: "soon")
    doomed = enqueue_job(type: "doomed", retry_limit: 100)
    at = Time.now + 7200
    worker = start_worker do |job|
      raise Zizq::Retry.new(at: at) if job.type == "soon"

      raise Zizq::Kill, "not worth it"
    end
    wait_until { client.count_jobs(status: %w[scheduled dead]) == 2 }
    assert worker.stop
    assert_in_delta at.to_f, client.get_job(soon.id).ready_at, 0.001
    dead = client.get_job(doomed.id)
    assert_equal "dead", dead.status
    record = dead.errors.first
    assert_equal ["Zizq::Kill", "Zizq::Kill: not worth it"], [record.error_type, record.message]
  end

  def test_stop_waits_for_running_handlers_and_flushes_their_acks
    5.times { enqueue_job }
    started = Thread::Queue.new
    release = Thread::Queue.new
    worker = start_worker(threads: 2, prefetch: 2) do |job|
      started << job
      release.pop
    end
    wait_until { started.size == 2 }
    stopping = Thread.new { worker.stop }
    wait_until { worker.stats[:state] == "stopping" }
    2.times { release << :go }
    assert stopping.value
    assert_equal 2, worker.stats[:acked]
    # The two handled jobs are acked; the rest are back in the queue.
    assert_equal 3, client.count_jobs
    wait_until { client.count_jobs(status: "ready") == 3 }
  end

  def test_failed_ack_requests_are_retried_before_stop_returns
    require_own_server
    server.faults(fail_requests: { status: 503, count: 2, method: "POST", path: "/jobs/success" })
    handled = Thread::Queue.new
    4.times { enqueue_job }
    worker = start_worker { |job| handled << job }
    wait_until { handled.size == 4 }
    assert worker.stop
    assert_equal 0, client.count_jobs
    assert_equal 4, worker.stats[:acked]
    assert_nil server.state.dig("faults", "fail_requests"), "both injected failures were hit"
  end

  def test_reconnects_after_the_server_drops_the_stream
    require_own_server
    handled = Thread::Queue.new
    worker = start_worker { |job| handled << job.id }
    first = enqueue_job
    wait_until { handled.size == 1 }
    wait_until { server.close_streams == 1 }
    second = enqueue_job
    # The first job may come again (its ack can arrive after the server
    # requeued it): at least once, so wait for both ids, not for a count.
    seen = []
    wait_until do
      seen << handled.pop until handled.empty?
      seen.include?(first.id) && seen.include?(second.id)
    end
    assert worker.stop
    assert_operator worker.stats[:reconnects], :>=, 1
    assert_equal 0, client.count_jobs
  end

  def test_stop_timeout_leaves_the_job_to_the_server
    job = enqueue_job
    release = Thread::Queue.new
    started = Thread::Queue.new
    worker = start_worker(threads: 1) do
      started << true
      release.pop
    end
    started.pop
    refute worker.stop(timeout: 0.2), "a handler is still running"
    release << :go
    wait_until { client.get_job(job.id).status == "ready" }
  end

  def test_run_blocks_until_stopped_from_another_thread
    enqueue_job
    handled = Thread::Queue.new
    worker = Zizq::Worker.new(client: client, threads: 1, queues: ["default"], worker_id: "w1") do |job|
      handled << job
    end
    running = Thread.new { worker.run }
    wait_until { handled.size == 1 }
    assert running.alive?
    assert worker.stop
    assert_nil running.join(5).value
    assert worker.stop, "stop is idempotent"
  end

  def test_run_raises_when_the_server_refuses_the_stream
    require_own_server
    server.faults(fail_requests: { status: 403, path: "/jobs/take" })
    worker = Zizq::Worker.new(client: client, threads: 2) { nil }
    error = assert_raises(Zizq::StreamError) { worker.run }
    assert_match(/403/, error.message)
    assert_equal "stopped", worker.stats[:state]
  end

  def test_arguments
    assert_raises(ArgumentError) { Zizq::Worker.new(client: client) }
    assert_raises(ArgumentError) { Zizq::Worker.new(client: client, threads: 0) { nil } }
    [[nil, 1], [client.url, 1], [client, "2"], [client, 2.5]].each do |wrong_client, threads|
      assert_raises(TypeError) { Zizq::Worker.new(client: wrong_client, threads: threads) { nil } }
    end
    idle = Zizq::Worker.new(client: client) { nil }
    assert_equal({ state: "not started" }, idle.stats)
    assert idle.stop
    started = start_worker { nil }
    assert_raises(Zizq::Error) { started.start }
    assert started.stop
  end

  private

  def start_worker(threads: 2, prefetch: nil, &handler)
    Zizq::Worker.new(client: client, threads: threads, prefetch: prefetch, &handler).start
  end
end

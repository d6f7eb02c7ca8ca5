# frozen_string_literal: true

require_relative "test_helper"
require_relative "support/recording_scheduler"

# Requests under a fiber scheduler: each fiber's request waits on the
# completion queue's descriptor through the scheduler, so the thread's other
# fibers run meanwhile, and answers and exceptions are those of the blocking
# calls. Against our own server, every answer is slowed down (300 ms) so
# that the requests are surely in flight together.
class FiberTest < ZizqTest
  # Raised into a waiting fiber by a test.
  class StopWaiting < StandardError
  end

  def test_requests_yield_to_other_fibers_and_answer_as_blocking_calls
    job = enqueue_job(queue: "fibers", payload: { "n" => 7 })
    expected = [client.get_job(job.id), client.count_jobs(queue: "fibers"), client.server_version]
    slow_server
    results = {}
    others_ran_meanwhile = nil
    scheduler = run_fibers do
      Fiber.schedule { results[:job] = client.get_job(job.id) }
      Fiber.schedule { results[:count] = client.count_jobs(queue: "fibers") }
      Fiber.schedule { results[:version] = client.server_version }
      # Scheduled fibers run until they wait: this one runs with all three
      # requests started and none answered.
      Fiber.schedule { others_ran_meanwhile = results.empty? }
    end
    assert_equal expected, results.values_at(:job, :count, :version)
    assert others_ran_meanwhile, "another fiber ran while the requests were pending"
    refute_empty scheduler.waited_fds, "a request fiber waited on the descriptor through the scheduler"
    assert_operator scheduler.blocks, :>=, 2, "the other request fibers waited through the scheduler"
  end

  def test_failures_raise_what_blocking_calls_raise
    missing = assert_raises(Zizq::NotFoundError) { client.get_job("no-such-job") }
    foreign = assert_raises(ArgumentError) { client.get_path("http://elsewhere.invalid/jobs") }
    raised = {}
    run_fibers do
      Fiber.schedule do
        client.get_job("no-such-job")
      rescue StandardError => e
        raised[:missing] = e
      end
      Fiber.schedule do
        client.get_path("http://elsewhere.invalid/jobs")
      rescue StandardError => e
        raised[:foreign] = e
      end
    end
    assert_instance_of Zizq::NotFoundError, raised[:missing]
    assert_equal [missing.message, 404, missing.body, missing.retryable?, missing.outcome_unknown?],
                 [raised[:missing].message, raised[:missing].status, raised[:missing].body,
                  raised[:missing].retryable?, raised[:missing].outcome_unknown?]
    assert_instance_of ArgumentError, raised[:foreign]
    assert_equal foreign.message, raised[:foreign].message
  end

  # The first fiber leads (waits on the descriptor); its answer comes at
  # once (an empty filter makes no request), while the second one's is
  # still on its way: the lead must pass to the second fiber.
  def test_a_leader_answered_first_passes_the_lead
    slow_server
    results = {}
    run_fibers do
      Fiber.schedule { results[:none] = client.count_jobs(status: []) }
      Fiber.schedule { results[:health] = client.health }
    end
    assert_equal({ none: 0, health: { "status" => "ok" } }, results)
  end

  # A leader whose wait ends with an exception (a stopped task, a timeout)
  # passes the lead too, and its call is cancelled.
  def test_a_leader_interrupted_passes_the_lead
    slow_server
    results = {}
    run_fibers do
      leader = Fiber.schedule do
        client.health
      rescue StopWaiting => e
        results[:leader] = e
      end
      Fiber.schedule { results[:count] = client.count_jobs }
      Fiber.schedule { leader.raise(StopWaiting) }
    end
    assert_instance_of StopWaiting, results[:leader]
    assert_equal 0, results[:count]
  end

  def test_many_fibers_each_get_their_own_answer
    ids = Array.new(20) { |n| enqueue_job(queue: "many", payload: { "n" => n }).id }
    slow_server
    payloads = {}
    run_fibers do
      ids.each { |id| Fiber.schedule { payloads[id] = client.get_job(id).payload } }
    end
    assert_equal(ids.each_with_index.to_h { |id, n| [id, { "n" => n }] }, payloads)
  end

  # Fibers of two threads, each with its own scheduler, share the client's
  # queue: whichever leads hands the other thread's fibers their answers.
  def test_fibers_of_several_threads_share_a_client
    ids = Array.new(10) { |n| enqueue_job(queue: "threads", payload: { "n" => n }).id }
    slow_server
    payloads = Thread::Queue.new
    threads = ids.each_slice(5).map do |slice|
      Thread.new do
        run_fibers do
          slice.each { |id| Fiber.schedule { payloads << [id, client.get_job(id).payload] } }
        end
      end
    end
    threads.each(&:join)
    taken = Array.new(payloads.size) { payloads.pop }.to_h
    assert_equal(ids.each_with_index.to_h { |id, n| [id, { "n" => n }] }, taken)
  end

  def test_close_ends_requests_in_flight
    require_own_server # the request must still be in flight when the client closes
    slow_server
    closing = new_client
    raised = {}
    run_fibers do
      Fiber.schedule do
        closing.health
      rescue StandardError => e
        raised[:in_flight] = e
      end
      Fiber.schedule do
        closing.close
        closing.health
      rescue StandardError => e
        raised[:after] = e
      end
    end
    assert_instance_of Zizq::ConnectionError, raised[:in_flight]
    assert_instance_of Zizq::ConnectionError, raised[:after]
  end

  # A client from the parent refuses in a fork child, whether or not it
  # made its completion queue before the fork, as its blocking calls do.
  def test_fork_child_refuses_parent_clients_under_a_scheduler
    skip "fork is not available" unless Process.respond_to?(:fork)

    used = client
    run_fibers { Fiber.schedule { used.health } } # its queue now exists
    unused = new_client
    reader, writer = IO.pipe
    pid = fork do
      reader.close
      report = {}
      run_fibers do
        { used: used, unused: unused }.each do |name, parent_client|
          Fiber.schedule do
            parent_client.health
          rescue StandardError => e
            report[name] = [e.class.name, e.message]
          end
        end
        Fiber.schedule { report[:fresh] = Zizq::Client.new(url: server.url, format: FORMAT).health }
      end
      writer.write(JSON.generate(report))
      exit!(0)
    end
    writer.close
    report = JSON.parse(reader.read)
    Process.wait(pid)
    %w[used unused].each do |name|
      assert_equal "Zizq::Error", report.fetch(name).first
      assert_match(/parent process/, report.fetch(name).last)
    end
    assert_equal({ "status" => "ok" }, report.fetch("fresh"))
  end

  # Opening a take stream (connecting, the server's 200) lets other fibers
  # run too: the fiber below runs before the stream is open.
  def test_opening_a_take_stream_lets_other_fibers_run
    slow_server
    opened = nil
    open_while_other_ran = nil
    taken = nil
    run_fibers do
      Fiber.schedule do
        client.take_jobs(queues: ["fiber-take"], on_response: ->(_) { opened = true }) do |job|
          taken = job.id
          break
        end
      end
      Fiber.schedule do
        open_while_other_ran = opened
        enqueue_job(queue: "fiber-take")
      end
    end
    assert_nil open_while_other_ran, "another fiber ran while the stream was opening"
    assert opened
    refute_nil taken
  end

  # A fiber that stops waiting while its stream opens leaves no stream
  # open behind it: the job the stream took goes back to its queue.
  def test_a_stream_opened_for_a_fiber_gone_is_closed
    job = enqueue_job(queue: "fiber-gone")
    slow_server
    raised = nil
    run_fibers do
      taking = Fiber.schedule do
        client.take_jobs(queues: ["fiber-gone"]) { flunk "the fiber is gone" }
      rescue StopWaiting => e
        raised = e
      end
      Fiber.schedule { taking.raise(StopWaiting) }
    end
    assert_instance_of StopWaiting, raised
    server.reset_faults if server.own?
    # `dequeued_at` says the stream took the job; "ready", that it came back.
    wait_until(message: "the stream kept the job") do
      client.get_job(job.id).to_h.then { |data| data["dequeued_at"] && data["status"] == "ready" }
    end
  end

  def test_a_refused_take_stream_raises_what_it_raises_without_a_scheduler
    require_own_server
    server.faults(fail_requests: { status: 500, count: 1, path: "/jobs/take" })
    raised = nil
    run_fibers do
      Fiber.schedule do
        client.take_jobs { nil }
      rescue StandardError => e
        raised = e
      end
    end
    assert_instance_of Zizq::StreamError, raised
    assert_match(/500/, raised.message)
  end

  # Worker#run waits for its handler threads through the scheduler: a
  # fiber enqueues while another one runs the worker, waits for the job to
  # be handled, and stops the worker.
  def test_a_worker_runs_beside_other_fibers
    handled = Thread::Queue.new
    worker = Zizq::Worker.new(client: client, queues: ["fiber-worker"], threads: 2) { |job| handled << job.id }
    enqueued = taken = nil
    run_fibers do
      Fiber.schedule { worker.run }
      Fiber.schedule do
        enqueued = client.enqueue(queue: "fiber-worker", type: "t", payload: nil).id
        taken = handled.pop
        worker.stop
      end
    end
    refute_nil enqueued
    assert_equal enqueued, taken
    assert_equal "stopped", worker.stats[:state]
    assert_equal 0, client.count_jobs(queue: "fiber-worker")
  end

  # Worker#stop lets other fibers run while the worker drains: here the
  # running handler finishes only when another fiber lets it.
  def test_a_worker_stopping_lets_other_fibers_run
    release = Thread::Queue.new
    started = Thread::Queue.new
    worker = Zizq::Worker.new(client: client, queues: ["fiber-stop"], threads: 1) do |job|
      started << job.id
      release.pop
    end
    stopping = Thread::Queue.new
    stopped = nil
    run_fibers do
      Fiber.schedule { worker.run }
      Fiber.schedule do
        client.enqueue(queue: "fiber-stop", type: "t", payload: nil)
        started.pop
        stopping << true # the fiber below runs once this one waits in stop
        stopped = worker.stop(timeout: 10)
      end
      Fiber.schedule do
        stopping.pop
        release << :done
      end
    end
    assert stopped, "the handler finished and the worker stopped cleanly"
    assert_equal 0, client.count_jobs(queue: "fiber-stop")
  ensure
    release << :done # never leave the handler thread waiting
  end

  def test_async_tasks_make_requests_concurrently
    require_async
    job = enqueue_job(queue: "async")
    expected = [client.get_job(job.id), client.count_jobs(queue: "async")]
    slow_server
    results = {}
    others_ran_meanwhile = nil
    in_thread do
      Async do |task|
        missing = task.async do
          client.get_job("no-such-job")
        rescue StandardError => e
          results[:missing] = e
          nil # (Async takes a task answering an exception for a failed one)
        end
        tasks = [task.async { client.get_job(job.id) }, task.async { client.count_jobs(queue: "async") },
                 missing]
        others_ran_meanwhile = task.async { tasks.none?(&:finished?) }.wait
        results[:job], results[:count] = tasks.map(&:wait)
        # A stopped leader passes the lead: the other task still gets its answer.
        leader = task.async { client.health }
        follower = task.async { client.count_jobs(queue: "async") }
        leader.stop
        results[:after_stop] = follower.wait
      end
    end
    assert others_ran_meanwhile, "other tasks ran while the requests were pending"
    assert_equal expected, results.values_at(:job, :count)
    assert_instance_of Zizq::NotFoundError, results[:missing]
    assert_equal 1, results[:after_stop]
  end

  private

  def require_async
    require "async"
  rescue LoadError
    skip "the async gem is not installed (Debian: ruby-async)"
  end

  # Our own server answers every request 300 ms late.
  def slow_server
    server.faults(delay_ms: 300) if server.own?
  end

  # Run the block in a new thread under a RecordingScheduler (which runs
  # the fibers when the thread ends); return the scheduler.
  def run_fibers(&block)
    scheduler = RecordingScheduler.new
    in_thread do
      Fiber.set_scheduler(scheduler)
      block.call
    end
    scheduler
  end

  # A fiber waiting for good would leave the thread running: fail instead.
  def in_thread(&block)
    thread = Thread.new(&block)
    thread.report_on_exception = false
    return thread.value if thread.join(30)

    thread.kill
    flunk "the fibers did not finish within 30 s"
  end
end

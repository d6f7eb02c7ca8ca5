# frozen_string_literal: true

require_relative "test_helper"

# libzizq's events reach Zizq.logger; Client#stats.
class EventsTest < ZizqTest
  # A Logger-compatible object that keeps what it is given.
  class Recorder
    Entry = Struct.new(:severity, :message, :progname)

    def initialize
      @entries = []
      @lock = Mutex.new
    end

    def add(severity, message = nil, progname = nil)
      @lock.synchronize { @entries << Entry.new(severity, message, progname) }
      true
    end

    def count(kind)
      @lock.synchronize { @entries.count { |entry| entry.message.include?("kind=#{kind}") } }
    end

    def find(kind)
      @lock.synchronize { @entries.find { |entry| entry.message.include?("kind=#{kind}") } }
    end
  end

  def setup
    super
    @saved_logger = Zizq.logger
    @logs = Recorder.new
    Zizq.logger = @logs
  end

  def teardown
    Zizq.logger = @saved_logger
    super
  end

  def start_worker(&handler)
    worker = Zizq::Worker.new(client: client, threads: 1, &handler).start
    (@workers ||= []) << worker
    worker
  end

  def wait_for(kind)
    wait_until(message: "no #{kind} event") { @logs.find(kind) }
  end

  def test_the_default_logger_writes_warnings_to_stderr
    assert_kind_of Logger, @saved_logger
    assert_equal Logger::WARN, @saved_logger.level
  end

  def test_connections_are_logged_at_info_with_their_fields
    fresh = new_client
    fresh.health
    entry = wait_for("connection_opened")
    assert_equal Logger::INFO, entry.severity
    assert_equal "zizq.transport", entry.progname
    assert_includes entry.message, "url=#{server.url}"
  end

  def test_log_level_filters_events_in_the_library
    quiet = new_client(log_level: :warn)
    quiet.health
    loud = new_client(log_level: "debug")
    loud.health
    wait_for("connection_opened")
    assert_equal 1, @logs.count("connection_opened"), "only the client at debug logs the info event"
    assert_raises(ArgumentError) { new_client(log_level: :chatty) }
  end

  def test_a_reconnect_is_a_warning_with_its_delay
    require_own_server
    handled = Thread::Queue.new
    start_worker { |job| handled << job.id }
    enqueue_job
    wait_until { handled.size == 1 }
    wait_until { server.close_streams == 1 }
    entry = wait_for("reconnect_scheduled")
    assert_equal Logger::WARN, entry.severity
    assert_equal "zizq.worker", entry.progname
    assert_match(/reconnecting in \d+ ms .*delay_ms=\d+/, entry.message)
  ensure
    @workers&.each(&:stop)
  end

  def test_a_retried_ack_warns_and_a_refused_batch_is_an_error
    require_own_server
    handled = Thread::Queue.new
    server.faults(fail_requests: { status: 503, count: 1, method: "POST", path: "/jobs/success" })
    worker = start_worker { |job| handled << job.id }
    enqueue_job
    retried = wait_for("acks_retried")
    assert_equal Logger::WARN, retried.severity
    assert_match(/count=1 .*http_status=503/, retried.message)
    wait_until { worker.stats[:acked] == 1 }
    server.faults(fail_requests: { status: 400, count: 1, method: "POST", path: "/jobs/success" })
    enqueue_job
    refused = wait_for("acks_refused")
    assert_equal Logger::ERROR, refused.severity
    assert_match(/refused by the server.*count=1 .*http_status=400/, refused.message)
  ensure
    worker&.stop
  end

  def test_stopping_a_pump_ends_its_wait
    # The pump waits for events without a time limit; `stop` (run when its
    # client is collected) wakes it, and it frees its handle.
    pump = Zizq::EventPump.new(client.instance_variable_get(:@handle), :msgpack)
    pump.stop
    refute_nil pump.instance_variable_get(:@thread).join(5), "the pump's thread ended"
    assert_nil pump.instance_variable_get(:@handle)
    assert_equal({ "status" => "ok" }, client.health.transform_keys(&:to_s))
  end

  def test_a_pump_stops_from_a_signal_trap
    # Finalizers may run in trap context, where Mutex#synchronize raises.
    pump = Zizq::EventPump.new(client.instance_variable_get(:@handle), :msgpack)
    previous = Signal.trap("USR2") { pump.stop }
    Process.kill("USR2", Process.pid)
    refute_nil pump.instance_variable_get(:@thread).join(5), "the pump's thread ended"
    assert_nil pump.instance_variable_get(:@handle)
  ensure
    Signal.trap("USR2", previous || "DEFAULT")
  end

  def test_stats_move
    before = client.stats
    enqueue_job
    after = client.stats
    assert_equal before[:requests] + 1, after[:requests]
    assert_equal before[:requests_ok] + 1, after[:requests_ok]
    assert_operator after[:bytes_out], :>, before[:bytes_out]
    assert_equal 1, after[:open_connections]
    assert_operator after[:latency_p50_ms], :>, 0
  end
end

# frozen_string_literal: true

require "socket"
require_relative "test_helper"

# Server-level calls, the error model and the client's lifecycle.
class ClientServerTest < ZizqTest
  def test_health_version_and_queues
    assert_equal({ "status" => "ok" }, client.health)
    assert_match(/\A\d+\.\d+\.\d+/, client.server_version)
    assert_equal [], client.get_queues
    enqueue_job(queue: "b")
    enqueue_job(queue: "a")
    assert_equal %w[a b], client.get_queues.sort
  end

  def test_get_path
    enqueue_job
    data = client.get_path("/jobs?limit=1")
    assert_equal 1, data.fetch("jobs").size
    assert_equal({ "status" => "ok" }, client.get_path("/health"))
    assert_raises(ArgumentError) { client.get_path("http://elsewhere.example:1/jobs") }
    assert_raises(Zizq::NotFoundError) { client.get_path("/nowhere") }
  end

  def test_client_errors_carry_status_body_and_message
    error = assert_raises(Zizq::ClientError) { client.list_jobs(filter: ".[") }
    assert_equal 400, error.status
    assert_match(/invalid filter/, error.message)
    assert_equal error.message, error.body.fetch("error")
    assert_kind_of Zizq::ResponseError, error
    assert_kind_of Zizq::Error, error
  end

  def test_server_errors_from_injected_faults
    require_own_server
    server.faults(fail_requests: { status: 503, count: 1, method: "GET", path: "/health" })
    error = assert_raises(Zizq::ServerError) { client.health }
    assert_equal 503, error.status
    assert_equal "injected fault", error.message
    assert_equal({ "status" => "ok" }, client.health, "the fault was used up")

    server.faults(fail_requests: { status: 500, count: 1, method: "POST", path: "/jobs" })
    assert_raises(Zizq::ServerError) { enqueue_job }
    server.faults(fail_requests: { status: 409, count: 1, method: "POST", path: "/jobs" })
    assert_equal 409, assert_raises(Zizq::ClientError) { enqueue_job }.status
  end

  def test_unexpected_status_is_a_response_error
    require_own_server
    server.faults(fail_requests: { status: 302, count: 1, path: "/version" })
    error = assert_raises(Zizq::ResponseError) { client.server_version }
    assert_equal 302, error.status
    refute_kind_of Zizq::ClientError, error
  end

  def test_unreachable_server_is_a_connection_error
    unused_port = TCPServer.open("127.0.0.1", 0) { |socket| socket.addr[1] }
    unreachable = Zizq::Client.new(url: "http://127.0.0.1:#{unused_port}", format: FORMAT)
    assert_raises(Zizq::ConnectionError) { unreachable.health }
    unreachable.close
  end

  def test_reset_connections_are_connection_errors_and_the_client_recovers
    require_own_server
    client.health
    server.faults(reset_connections: 1)
    assert_equal({ "status" => "ok" }, client.health, "an idempotent GET is retried once")
    server.faults(reset_connections: 1)
    assert_raises(Zizq::ConnectionError) { enqueue_job }
    assert_equal 0, client.count_jobs
  end

  def test_read_timeout
    require_own_server
    slow = new_client(read_timeout: 0.2)
    server.faults(delay_ms: 1000)
    assert_raises(Zizq::ConnectionError) { slow.health }
  end

  def test_close_is_idempotent_and_later_calls_fail
    other = new_client
    assert_equal({ "status" => "ok" }, other.health)
    assert_nil other.close
    assert_nil other.close
    error = assert_raises(Zizq::ConnectionError) { other.health }
    assert_match(/closed/, error.message)
    assert_raises(Zizq::ConnectionError) { other.take_jobs { nil } }
    assert_includes other.inspect, server.url
  end

  def test_close_interrupts_a_slow_request
    require_own_server
    other = new_client
    server.faults(delay_ms: 3000)
    before = server.requests
    started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
    request = Thread.new { other.health }
    request.report_on_exception = false
    wait_until { server.requests > before }
    other.close
    assert_raises(Zizq::ConnectionError) { request.value }
    assert_operator Process.clock_gettime(Process::CLOCK_MONOTONIC) - started, :<, 2.5
  end

  def test_handles_are_released_by_the_garbage_collector
    20.times { Zizq::Client.new(url: server.url, format: FORMAT).health }
    GC.start
    assert_equal({ "status" => "ok" }, client.health)
  end
end

# frozen_string_literal: true

require_relative "test_helper"

# Errors tell "nothing was acted on: safe to retry" (retryable?) from "sent,
# outcome unknown" (outcome_unknown?).
class RetrySafetyTest < ZizqTest
  def test_nothing_sent_is_safe_to_retry
    # Nobody listens on port 1: the enqueue never reached a server.
    dead = Zizq::Client.new(url: "http://127.0.0.1:1", format: FORMAT)
    (@clients ||= []) << dead
    error = assert_raises(Zizq::ConnectionError) { dead.enqueue(queue: "q", type: "t", payload: 1) }
    assert_equal [true, false], [error.retryable?, error.outcome_unknown?]
    not_found = assert_raises(Zizq::NotFoundError) { client.get_job("0000000000000000000000000") }
    assert_equal [false, false], [not_found.retryable?, not_found.outcome_unknown?]
    refute_predicate Zizq::Error.new("made by hand"), :outcome_unknown?
  end

  def test_an_unanswered_enqueue_has_an_unknown_outcome_and_is_not_retryable
    require_own_server
    short = new_client(read_timeout: 0.3)
    short.health
    # The server reads the request and never answers.
    server.faults(blackhole: 1)
    error = assert_raises(Zizq::ConnectionError) { short.enqueue(queue: "q", type: "t", payload: 1) }
    assert_equal [true, false], [error.outcome_unknown?, error.retryable?]
    copy = Marshal.load(Marshal.dump(error))
    assert_equal [true, false], [copy.outcome_unknown?, copy.retryable?]
    # A read is as unknown, but safe to repeat.
    server.faults(blackhole: 1)
    read = assert_raises(Zizq::ConnectionError) { short.get_job("0000000000000000000000000") }
    assert_equal [true, true], [read.outcome_unknown?, read.retryable?]
    assert_equal({ "status" => "ok" }, short.health)
  end
end

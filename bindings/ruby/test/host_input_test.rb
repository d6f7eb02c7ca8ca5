# frozen_string_literal: true

require_relative "test_helper"

# Mistakes of the calling program: wrong types for ids, names and numbers are
# refused with TypeError / ArgumentError before any request is made, and the
# errors from libzizq carry retryable? (and survive Marshal).
class HostInputTest < ZizqTest
  JOB = { type: "t", queue: "q", payload: 1 }.freeze

  # A value in place of an id or a name, and what it must raise.
  WRONG_NAMES = [
    [nil, TypeError],
    [123, TypeError],
    [1.5, TypeError],
    [true, TypeError],
    [["an-id"], TypeError],
    ["", ArgumentError], # refused by libzizq: it would address /jobs/
    ["id\0tail", ArgumentError], # a C string would end at the NUL
    ["\xff\xfe".b, ArgumentError] # not UTF-8: refused by libzizq
  ].freeze

  # Every method taking a job id, a cron group or entry name, or a path,
  # called with `value` in that place.
  def calls_with_name(value)
    c = client
    {
      "get_job" => -> { c.get_job(value) },
      "update_job" => -> { c.update_job(value, priority: 1) },
      "delete_job" => -> { c.delete_job(value) },
      "report_success" => -> { c.report_success(value) },
      "report_failure" => -> { c.report_failure(value, message: "m") },
      "list_errors" => -> { c.list_errors(value) },
      "get_error" => -> { c.get_error(value, attempt: 1) },
      "get_path" => -> { c.get_path(value) },
      "get_cron_group" => -> { c.get_cron_group(value) },
      "replace_cron_group" => -> { c.replace_cron_group(value) },
      "update_cron_group" => -> { c.update_cron_group(value, paused: true) },
      "delete_cron_group" => -> { c.delete_cron_group(value) },
      "add_cron_group_entry" => lambda {
        c.add_cron_group_entry(value, name: "e", expression: "* * * * *", job: JOB)
      },
      "get_cron_group_entry (group)" => -> { c.get_cron_group_entry(value, "e") },
      "get_cron_group_entry (entry)" => -> { c.get_cron_group_entry("g", value) },
      "replace_cron_group_entry (group)" => lambda {
        c.replace_cron_group_entry(value, "e", expression: "* * * * *", job: JOB)
      },
      "replace_cron_group_entry (entry)" => lambda {
        c.replace_cron_group_entry("g", value, expression: "* * * * *", job: JOB)
      },
      "update_cron_group_entry (group)" => -> { c.update_cron_group_entry(value, "e", paused: true) },
      "update_cron_group_entry (entry)" => -> { c.update_cron_group_entry("g", value, paused: true) },
      "delete_cron_group_entry (group)" => -> { c.delete_cron_group_entry(value, "e") },
      "delete_cron_group_entry (entry)" => -> { c.delete_cron_group_entry("g", value) }
    }
  end

  def assert_refused_without_request(expected, label, &call)
    before = server.requests if server.own?
    assert_raises(expected, label, &call)
    assert_equal before, server.requests, "#{label} made a request" if server.own?
  end

  def test_wrong_ids_and_names_are_refused_before_any_request
    WRONG_NAMES.each do |value, expected|
      calls_with_name(value).each do |name, call|
        assert_refused_without_request(expected, "#{name}(#{value.inspect})", &call)
      end
    end
    # "" is not nil's id, nor "12" an Integer's: only strings (and symbols) name things.
    assert_raises(Zizq::NotFoundError) { client.get_job(:"no-such-job") }
  end

  def test_wrong_attempt_numbers_are_refused
    [[nil, TypeError], ["1", TypeError], [1.0, TypeError], [-1, ArgumentError],
     [2**32, ArgumentError]].each do |value, expected|
      assert_refused_without_request(expected, "attempt: #{value.inspect}") do
        client.get_error("an-id", attempt: value)
      end
    end
  end

  def test_wrong_bulk_ids_are_refused
    ["an-id", nil].each do |ids|
      assert_refused_without_request(TypeError, "report_success_bulk(#{ids.inspect})") do
        client.report_success_bulk(ids)
      end
    end
    [[nil], [123], ["a", ""]].each do |ids|
      assert_refused_without_request(ArgumentError, "report_success_bulk(#{ids.inspect})") do
        client.report_success_bulk(ids)
      end
    end
  end

  def test_wrong_urls_are_refused
    [[nil, TypeError], [8080, TypeError], ["", ArgumentError]].each do |value, expected|
      assert_raises(expected, value.inspect) { Zizq::Client.new(url: value, format: FORMAT) }
    end
  end

  def test_errors_tell_whether_a_retry_could_help_and_survive_marshal
    not_found = assert_raises(Zizq::NotFoundError) { client.get_job("0000000000000000000000000") }
    refute_predicate not_found, :retryable?
    dead = Zizq::Client.new(url: "http://127.0.0.1:1", format: FORMAT)
    (@clients ||= []) << dead
    refused = assert_raises(Zizq::ConnectionError) { dead.health }
    assert_predicate refused, :retryable?
    [not_found, refused].each do |error|
      copy = Marshal.load(Marshal.dump(error))
      assert_equal [error.class, error.message, error.retryable?],
                   [copy.class, copy.message, copy.retryable?]
    end
    assert_equal [404, { "error" => "job not found" }],
                 Marshal.load(Marshal.dump(not_found)).then { |copy| [copy.status, copy.body] }
    refute_predicate Zizq::Error.new("made by hand"), :retryable?
  end
end

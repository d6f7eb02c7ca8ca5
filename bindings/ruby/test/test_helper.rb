# frozen_string_literal: true

# Shared setup of the Ruby suite. Every test runs against a real server:
# ZIZQ_TEST_URL if set (shared, reset between tests; fault-injection tests
# are skipped; ZIZQ_TEST_TIER=free means Pro features answer 403), else a
# zizq-testserver started here on port 0 and stopped at exit.
#
# ZIZQ_TEST_FORMAT (msgpack by default, or json) picks the format of every
# client the tests create; run_tests.sh runs the suite once per format.

RUBY_ROOT = File.expand_path("..", __dir__)
REPO_ROOT = File.expand_path("../..", RUBY_ROOT)

# The first existing build of the library, unless ZIZQ_LIB says which.
ENV["ZIZQ_LIB"] ||= %w[target/release target-ruby/release]
                    .map { |dir| File.join(REPO_ROOT, dir, "libzizq.so") }
                    .find { |path| File.file?(path) }

$LOAD_PATH.unshift(File.join(RUBY_ROOT, "lib"))
require "zizq"
require "minitest/autorun"
require_relative "support/test_server"
require_relative "support/taker"

module ZizqTestHelpers
  FORMAT = ENV.fetch("ZIZQ_TEST_FORMAT", "msgpack").to_sym

  def server
    TestServer.instance
  end

  # A client in the suite's format; closed after the test.
  def new_client(**options)
    client = Zizq::Client.new(url: server.url, format: FORMAT, **options)
    (@clients ||= []) << client
    client
  end

  def client
    @client ||= new_client
  end

  def pro?
    server.pro?
  end

  # Fault injection needs our own server.
  def require_own_server
    skip "fault injection needs the bundled test server (ZIZQ_TEST_URL is set)" unless server.own?
  end

  def enqueue_job(queue: "default", type: "test", payload: { "n" => 1 }, **options)
    client.enqueue(queue: queue, type: type, payload: payload, **options)
  end

  # Poll until the block returns a truthy value (no fixed sleeps).
  def wait_until(timeout: 5, message: "condition not met in time")
    deadline = Process.clock_gettime(Process::CLOCK_MONOTONIC) + timeout
    loop do
      result = yield
      return result if result
      flunk(message) if Process.clock_gettime(Process::CLOCK_MONOTONIC) > deadline
      sleep 0.01
    end
  end

  # A take stream of `client` running in the background until the test ends.
  def start_taker(**options)
    taker = Taker.new(client, **options)
    (@takers ||= []) << taker
    taker
  end

  # Take `count` jobs (prefetch `count`); the stream stays open until the
  # test ends, so they can be acked or nacked.
  def take(count, **options)
    start_taker(prefetch: count, **options).pop(count)
  end
end

# Base class: a clean server before each test.
class ZizqTest < Minitest::Test
  include ZizqTestHelpers

  def setup
    server.reset_faults if server.own?
    client.erase_all_data
  end

  def teardown
    server.reset_faults if server.own?
    @clients&.each(&:close)
    @takers&.each(&:finish)
  end
end

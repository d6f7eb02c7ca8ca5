# frozen_string_literal: true

require "json"
require "net/http"
require "uri"

# The server the suite talks to, and the control API of zizq-testserver
# (`/_testserver/...`, JSON over plain HTTP/1.1, never faulted).
class TestServer
  def self.instance
    @instance ||= ENV.fetch("ZIZQ_TEST_URL", "").empty? ? spawn : new(ENV["ZIZQ_TEST_URL"], nil)
  end

  # Start zizq-testserver on an ephemeral port. It exits when its stdin
  # closes, so it cannot outlive this process even if the process is killed.
  def self.spawn(*extra_args)
    io = IO.popen([binary, "--port", "0", "--exit-on-stdin-eof", "--heartbeat-interval", "100ms",
                   *extra_args], "r+")
    line = io.gets or raise "zizq-testserver exited before reporting its address"
    server = new(line[%r{https?://\S+}], io)
    at_exit { server.stop }
    server
  end

  def self.binary
    explicit = ENV.fetch("ZIZQ_TESTSERVER", "")
    return explicit unless explicit.empty?

    candidates = %w[target/release target-ruby/release].map do |dir|
      File.join(REPO_ROOT, dir, "zizq-testserver")
    end
    candidates.find { |path| File.executable?(path) } or
      raise "zizq-testserver not found: build it or set ZIZQ_TESTSERVER (looked at #{candidates})"
  end

  attr_reader :url

  def initialize(url, io)
    @url = url
    @io = io
  end

  # Whether this process started the server (and may inject faults).
  def own?
    !@io.nil?
  end

  def pro?
    own? ? config.fetch("tier") == "pro" : ENV["ZIZQ_TEST_TIER"] != "free"
  end

  def stop
    return unless @io

    Process.kill("TERM", @io.pid)
    @io.close
    @io = nil
  rescue Errno::ESRCH
    nil
  end

  def state
    control(Net::HTTP::Get, "state")
  end

  def config
    control(Net::HTTP::Get, "config")
  end

  def set_tier(tier)
    control(Net::HTTP::Put, "config", { tier: tier })
  end

  def faults(settings)
    control(Net::HTTP::Put, "faults", settings)
  end

  def reset_faults
    control(Net::HTTP::Delete, "faults")
  end

  # Ends every take stream; returns how many there were.
  def close_streams
    control(Net::HTTP::Post, "close_streams", {}).fetch("closed")
  end

  # Requests served (the control API itself is not counted).
  def requests
    state.fetch("requests")
  end

  private

  def control(verb, path, body = nil)
    uri = URI("#{@url}/_testserver/#{path}")
    request = verb.new(uri)
    if body
      request["content-type"] = "application/json"
      request.body = JSON.generate(body)
    end
    response = Net::HTTP.start(uri.host, uri.port) { |http| http.request(request) }
    raise "control API #{path}: HTTP #{response.code} #{response.body}" unless response.is_a?(Net::HTTPSuccess)

    response.body.to_s.empty? ? nil : JSON.parse(response.body)
  end
end

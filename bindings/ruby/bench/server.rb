# frozen_string_literal: true

# The server a bench script runs against: ZIZQ_URL, or a zizq-testserver
# started for the run (ZIZQ_TESTSERVER, default the release build), stopped
# at exit.
module BenchServer
  def self.url
    url = ENV.fetch("ZIZQ_URL", "")
    return url unless url.empty?

    repo = File.expand_path("../../..", __dir__)
    server = ENV.fetch("ZIZQ_TESTSERVER", File.join(repo, "target/release/zizq-testserver"))
    io = IO.popen([server, "--port", "0", "--exit-on-stdin-eof"], "r+")
    at_exit { io.close }
    io.gets[%r{http://\S+}]
  end
end

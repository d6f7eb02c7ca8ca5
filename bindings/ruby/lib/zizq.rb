# frozen_string_literal: true

# Zizq job-queue client on libzizq: the seed's Zizq::Client, method for
# method, plus Zizq::Worker on the core's worker loop.
require_relative "zizq/version"
require_relative "zizq/native"
require_relative "zizq/errors"
require_relative "zizq/native_call"
require_relative "zizq/arguments"
require_relative "zizq/codec"
require_relative "zizq/wire"
require_relative "zizq/tls_options"
require_relative "zizq/batch"
require_relative "zizq/readiness"
require_relative "zizq/requests"
require_relative "zizq/take_stream"
require_relative "zizq/stream_parser"
require_relative "zizq/resources/resource"
require_relative "zizq/resources/job_template"
require_relative "zizq/resources/job"
require_relative "zizq/resources/page"
require_relative "zizq/resources/job_page"
require_relative "zizq/resources/error_record"
require_relative "zizq/resources/error_page"
require_relative "zizq/resources/cron_group"
require_relative "zizq/resources/cron_entry"
require_relative "zizq/events"
require_relative "zizq/client"
require_relative "zizq/client/jobs"
require_relative "zizq/client/outcomes"
require_relative "zizq/client/server"
require_relative "zizq/client/crons"
require_relative "zizq/client/take"
require_relative "zizq/worker_signals"
require_relative "zizq/worker"

module Zizq
  # Version string of the loaded libzizq and its main dependencies.
  def self.library_version
    Native.zizq_version
  end
end

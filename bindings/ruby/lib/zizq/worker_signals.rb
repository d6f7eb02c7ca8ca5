# frozen_string_literal: true

module Zizq
  # Raise from a Zizq::Worker handler to have the job retried at a chosen
  # time instead of after the server's backoff:
  #
  #   raise Zizq::Retry.new(after: 60)          # in a minute
  #   raise Zizq::Retry.new(at: Time.now + 5)   # at that time
  #
  # Raised while handling another exception, the failure is reported as
  # that exception (its class, message and backtrace).
  class Retry < StandardError
    # When to retry, in Float seconds since the epoch.
    attr_reader :retry_at

    def initialize(message = "retry requested", at: nil, after: 0)
      @retry_at = at ? at.to_f : Time.now.to_f + after
      super(message)
    end
  end

  # Raise from a Zizq::Worker handler to give up on the job: it is marked
  # dead whatever its retry limit. Like Retry, a cause is reported as the
  # failure.
  class Kill < StandardError
    def initialize(message = "job killed")
      super
    end
  end
end

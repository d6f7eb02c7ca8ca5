# frozen_string_literal: true

module Zizq
  # Base class of every error this gem raises (argument errors excepted).
  class Error < StandardError
    def initialize(message = nil, retryable: false, outcome_unknown: false)
      @retryable = retryable
      @outcome_unknown = outcome_unknown
      super(message)
    end

    # Whether retrying the same call is safe and could succeed: nothing was
    # acted on (connection refused, 503...), or the operation is safe to
    # repeat (reads, deletes by id, acks). False after an unknown outcome
    # of an enqueue, which a retry could duplicate.
    def retryable?
      @retryable
    end

    # Whether the request may have reached the server with no answer saying
    # what happened (connection lost after sending, read timeout): the
    # server may or may not have acted on it.
    def outcome_unknown?
      @outcome_unknown
    end
  end

  # The server could not be reached, the connection was lost or timed out,
  # TLS failed, or the client was closed.
  class ConnectionError < Error
  end

  # The server answered with a status the operation does not accept.
  class ResponseError < Error
    # The HTTP status of the answer.
    attr_reader :status

    # The decoded error body (usually `{"error" => "..."}`), or nil.
    attr_reader :body

    def initialize(message, status: nil, body: nil, **flags)
      @status = status
      @body = body
      super(message, **flags)
    end
  end

  # A 4xx answer.
  class ClientError < ResponseError
  end

  # A 404 answer.
  class NotFoundError < ClientError
  end

  # A 5xx answer.
  class ServerError < ResponseError
  end

  # The take stream was refused, cut or malformed.
  class StreamError < Error
  end

  # Turns a failed libzizq call into the matching Ruby exception.
  module Errors
    # Kind of failure (each status's `category` in libzizq's ABI
    # description) -> exception class.
    CLASSES = {
      argument: ArgumentError,
      decode: Error,
      not_found: NotFoundError,
      client: ClientError,
      server: ServerError,
      response: ResponseError,
      connection: ConnectionError,
      stream: StreamError,
      internal: Error
    }.freeze

    # Build the exception for `status` from the `zizq_error *` the call
    # wrote (NULL when it wrote none), and release that error object.
    def self.from_native(status, error)
      klass = CLASSES.fetch(Native::CATEGORIES[status], Error)
      return klass.new("libzizq call failed (#{status})") if error.null?

      begin
        message = Native.zizq_error_message(error).dup.force_encoding(Encoding::UTF_8)
        return klass.new(message) unless klass <= Error

        flags = { retryable: Native.zizq_error_retryable(error),
                  outcome_unknown: Native.zizq_error_outcome_unknown(error) }
        return klass.new(message, **flags) unless klass <= ResponseError

        klass.new(message, status: Native.zizq_error_http_status(error), body: body_of(error), **flags)
      ensure
        Native.zizq_error_free(error)
      end
    end

    # The decoded body; like the seed, nil for a body that is not a
    # document (libzizq says which format it is in, if any).
    def self.body_of(error)
      format = Native::FORMATS.key(Native.zizq_error_body_format(error))
      return nil unless format

      length = FFI::MemoryPointer.new(:size_t)
      data = Native.zizq_error_body(error, length)
      Codec.decode(format, data.read_bytes(length.read(:size_t)))
    end
    private_class_method :body_of
  end
end

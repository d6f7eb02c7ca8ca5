# frozen_string_literal: true

require "logger"

module Zizq
  @logger = Logger.new($stderr, level: Logger::WARN, progname: "zizq")

  class << self
    # Where libzizq's events are logged (reconnects, retried and refused
    # acks, connections opened and retired...): any Logger-compatible
    # object (`add(severity, message, progname)`), e.g. Rails.logger.
    # Defaults to a Logger on $stderr at WARN.
    attr_accessor :logger
  end

  # Forwards one client's events to Zizq.logger from a thread of its own,
  # which reads them with zizq_client_next_events (the GVL released) on a
  # derived handle: the client can still be garbage-collected, which stops
  # the thread, as closing the client does (after the last events).
  class EventPump
    SEVERITIES = {
      "debug" => Logger::DEBUG, "info" => Logger::INFO,
      "warn" => Logger::WARN, "error" => Logger::ERROR
    }.freeze

    # How long one wait for events blocks: a collected client's thread ends
    # within this time.
    WAIT_MS = 250

    def initialize(client_handle, format)
      @format = format
      @stop = false
      handle = NativeCall.handle(:zizq_client_derive, :zizq_client_free, client_handle)
      @thread = Thread.new { run(handle) }
      @thread.name = "zizq-events"
    end

    # Stop soon. Never blocks; usable as a finalizer (it holds no client).
    def stop(*)
      @stop = true
    end

    # The message one event is logged with: its text, then its kind and
    # fields as key=value pairs.
    def self.message(event)
      fields = (event["fields"] || {}).map { |key, value| "#{key}=#{value}" }
      "#{event["message"]} (#{["kind=#{event["kind"]}", *fields].join(" ")})"
    end

    private

    def run(handle)
      until @stop
        buf = Native::Buf.new
        error = FFI::MemoryPointer.new(:pointer)
        status = Native.zizq_client_next_events(handle, 0, WAIT_MS, buf, error)
        unless status == :ZIZQ_OK
          Native.zizq_error_free(error.read_pointer)
          break # closed, or a handle inherited across fork()
        end
        bytes = begin
          buf[:data].read_bytes(buf[:len])
        ensure
          Native.zizq_buf_free(buf)
        end
        Codec.decode(@format, bytes).each { |event| log(event) }
      end
    rescue StandardError => e
      Zizq.logger&.add(Logger::ERROR, "event forwarding stopped: #{e.class}: #{e.message}", "zizq")
    ensure
      handle.free
    end

    def log(event)
      Zizq.logger&.add(SEVERITIES.fetch(event["level"], Logger::WARN), EventPump.message(event),
                       "zizq.#{event["area"]}")
    end
  end
end

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
  # which waits on the events descriptor (and on a pipe that `stop` writes
  # to, so an idle client's thread sleeps until something happens) and
  # reads them with zizq_client_next_events on a derived handle: the client
  # can still be garbage-collected, which stops the thread, as closing the
  # client does (after the last events).
  class EventPump
    SEVERITIES = {
      "debug" => Logger::DEBUG, "info" => Logger::INFO,
      "warn" => Logger::WARN, "error" => Logger::ERROR
    }.freeze

    def initialize(client_handle, format)
      @format = format
      @stop = false
      @wake_reader, @wake_writer = IO.pipe
      handle = NativeCall.handle(:zizq_client_derive, :zizq_client_free, client_handle)
      @thread = Thread.new { run(handle) }
      @thread.name = "zizq-events"
    end

    # Stop soon. Never blocks; usable as a finalizer (it holds no client).
    def stop(*)
      return if @stop

      @stop = true
      begin
        @wake_writer.write_nonblock("x", exception: false)
      rescue IOError, SystemCallError
        nil # the thread is gone already
      end
      @wake_writer.close
    end

    # The message one event is logged with: its text, then its kind and
    # fields as key=value pairs.
    def self.message(event)
      fields = (event["fields"] || {}).map { |key, value| "#{key}=#{value}" }
      "#{event["message"]} (#{["kind=#{event["kind"]}", *fields].join(" ")})"
    end

    private

    def run(handle)
      events = IO.for_fd(Native.zizq_client_events_fd(handle), autoclose: false)
      until @stop
        IO.select([events, @wake_reader])
        break if @stop

        buf = Native::Buf.new
        error = FFI::MemoryPointer.new(:pointer)
        status = Native.zizq_client_next_events(handle, 0, 0, buf, error)
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
      @wake_reader.close # the write end is stop's to close
      handle.free
    end

    def log(event)
      Zizq.logger&.add(SEVERITIES.fetch(event["level"], Logger::WARN), EventPump.message(event),
                       "zizq.#{event["area"]}")
    end
  end
end

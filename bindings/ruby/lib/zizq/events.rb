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
  # which waits on the events descriptor in Ruby (interruptible: the thread
  # can be killed at exit) and reads them with zizq_client_next_events on a
  # derived handle, so the client can still be garbage-collected. `stop`
  # (when the client is collected) ends the wait with
  # zizq_client_events_wakeup; closing the client ends it after the last
  # events. An idle client's thread sleeps until something happens.
  class EventPump
    SEVERITIES = {
      "debug" => Logger::DEBUG, "info" => Logger::INFO,
      "warn" => Logger::WARN, "error" => Logger::ERROR
    }.freeze

    def initialize(client_handle, format)
      @format = format
      @stop = false
      # Guards the handle: the thread frees it when it ends, and `stop` must
      # not wake a freed handle.
      @lock = Mutex.new
      @handle = NativeCall.handle(:zizq_client_derive, :zizq_client_free, client_handle)
      @thread = Thread.new { run(@handle) }
      @thread.name = "zizq-events"
    end

    # Stop soon. Never blocks; usable as a finalizer (it holds no client).
    def stop(*)
      @stop = true
      # Not `synchronize`: finalizers may run in trap context, where waiting
      # for a lock raises. Whoever holds the lock is waking the thread or
      # ending it (the thread itself, when the finalizer runs there).
      return unless @lock.try_lock

      begin
        Native.zizq_client_events_wakeup(@handle) if @handle
      ensure
        @lock.unlock
      end
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
        events.wait_readable
        break if @stop

        buf = Native::Buf.new
        error = FFI::MemoryPointer.new(:pointer)
        status = Native.zizq_client_next_events_now(handle, 0, 0, buf, error)
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
      # At exit Ruby kills this thread in its wait, and may interrupt it
      # again here: NativeCall.free lets no interrupt between the release
      # and disarming the finalizer (an interrupt before it leaves the
      # handle to the finalizer, freed once).
      @lock.synchronize do
        @handle = nil
        NativeCall.free(handle)
      end
    end

    def log(event)
      Zizq.logger&.add(SEVERITIES.fetch(event["level"], Logger::WARN), EventPump.message(event),
                       "zizq.#{event["area"]}")
    end
  end
end

# frozen_string_literal: true

require "json"

module Zizq
  # The seed's `Zizq::Client`, method for method, with every request, take
  # stream and stream parser running in libzizq. The methods live in
  # client/*.rb by area; this file holds construction, closing and the
  # plumbing they share.
  #
  # A client is thread safe: share one between threads. Every call that
  # waits releases the GVL; under a fiber scheduler, requests let the
  # thread's other fibers run instead (see NativeCall::Requests).
  class Client
    CONTENT_TYPES = { msgpack: "application/msgpack", json: "application/json" }.freeze
    STREAM_ACCEPT = {
      msgpack: "application/vnd.zizq.msgpack-stream",
      json: "application/x-ndjson"
    }.freeze

    # The base URL of the server, without a trailing "/".
    attr_reader :url

    # The format of every document exchanged with the server (:msgpack or :json).
    attr_reader :format

    # `read_timeout` bounds each request and `stream_idle_timeout` the
    # silence of a take stream (the server's heartbeats keep a healthy
    # stream alive), both in seconds. TLS settings come from `ssl_context:`
    # (an OpenSSL::SSL::SSLContext: its CA file, certificate and key) and/or
    # `tls: {ca:, client_cert:, client_key:}` (PEM text or file paths).
    # `log_level` (:debug, :info, :warn, :error or :off; libzizq's default
    # is :info) says which of libzizq's events reach Zizq.logger.
    def initialize(url:, format: :msgpack, ssl_context: nil, read_timeout: 30,
                   stream_idle_timeout: 30, tls: nil, log_level: nil)
      @url = Arguments.string(url, "url").chomp("/")
      @format = format
      CONTENT_TYPES.fetch(format) # an unknown format raises KeyError, as in the seed
      options = JSON.generate({
        format: format.to_s,
        read_timeout_ms: read_timeout * 1000.0,
        stream_idle_timeout_ms: stream_idle_timeout * 1000.0,
        tls: TlsOptions.build(tls: tls, ssl_context: ssl_context),
        log_level: log_level&.to_s
      }.compact)
      @handle = NativeCall.handle(:zizq_client_new, :zizq_client_free, @url, options,
                                  options.bytesize)
      @requests = NativeCall::Requests.new(@handle)
      # libzizq's events go to Zizq.logger from a thread of the client.
      events = EventPump.new(@handle, format)
      ObjectSpace.define_finalizer(self, events.method(:stop))
    end

    # End the take streams of this client, including one still connecting:
    # `take_jobs` calls in other threads return. The client stays usable.
    def cleanup_internal_clients
      Native.zizq_client_close_streams(@handle)
      nil
    end

    # Close the client: calls in progress in other threads end (`take_jobs`
    # returns, requests raise ConnectionError) and later calls raise
    # ConnectionError. Idempotent. The native handle is released when the
    # client is garbage-collected.
    def close
      Native.zizq_client_close(@handle)
      nil
    end

    # The client's figures (see `zizq_client_stats`): `:requests` and their
    # outcomes (`:requests_ok`, `:requests_client_error`,
    # `:requests_server_error`, `:requests_failed`, `:timeouts`), `:retries`,
    # `:open_connections`, `:take_streams`, `:bytes_out`, `:bytes_in`,
    # `:latency_p50_ms` / `:latency_p90_ms` / `:latency_p99_ms` over the last
    # `:latency_window_ms` (nil without samples), `:latency_samples` and
    # `:events_dropped`.
    def stats
      decode(NativeCall.bytes(:zizq_client_stats, @handle)).transform_keys(&:to_sym)
    end

    def inspect
      "#<#{self.class} url=#{@url.inspect} format=#{@format.inspect}>"
    end

    # The libzizq client handle, for Zizq::Worker.
    def native_handle
      @handle
    end

    private

    def encode(value)
      Codec.encode(@format, value)
    end

    def decode(bytes)
      Codec.decode(@format, bytes)
    end

    # A document argument: the bytes and their length, as the C API takes them.
    def doc(value)
      bytes = encode(value)
      [bytes, bytes.bytesize]
    end

    # Every request goes through @requests: blocking, or yielding to other
    # fibers under a fiber scheduler.

    # Call a function answering a document; return it decoded.
    def fetch(function, *args)
      decode(@requests.call(:bytes, function, *args))
    end

    def count(function, *args)
      @requests.call(:count, function, *args)
    end

    def perform(function, *args)
      @requests.call(:status, function, *args)
    end

    # Ids and names that libzizq takes as C strings (see Arguments.string).
    def job_id(id) = Arguments.string(id, "id")
    def group_name(name) = Arguments.string(name, "group")
    def entry_name(name) = Arguments.string(name, "entry")
  end
end

# frozen_string_literal: true

module Zizq
  # Streaming jobs: the seed's `take_jobs` and its stream parsers.
  class Client
    # What `on_response` receives once the server accepted the stream.
    StreamResponse = Struct.new(:status)

    # Parse NDJSON take-stream bytes from an enumerable of chunks; yields
    # each job hash (an Enumerator without a block).
    def self.parse_ndjson(chunks, &block)
      parse_stream(:json, chunks, &block)
    end

    # Parse length-prefixed MessagePack take-stream bytes from an
    # enumerable of chunks; yields each job hash.
    def self.parse_msgpack_stream(chunks, &block)
      parse_stream(:msgpack, chunks, &block)
    end

    def self.parse_stream(format, chunks, &block)
      return enum_for(:parse_stream, format, chunks) unless block

      parser = StreamParser.new(format)
      begin
        chunks.each { |chunk| parser.feed(chunk.b, &block) }
        parser.finish
      ensure
        parser.free
      end
      nil
    end
    private_class_method :parse_stream

    # Stream jobs from the server and yield each as a Resources::Job. Blocks
    # until the server ends the stream, the block breaks out, or `close` is
    # called from another thread (then it returns nil). Jobs must be acked
    # or nacked: the server stops sending at `prefetch` unresolved jobs, and
    # requeues them when the stream closes. A lost connection raises
    # ConnectionError; a refused stream raises StreamError.
    def take_jobs(prefetch: 1, queues: [], worker_id: nil, on_connect: nil, on_response: nil)
      raise ArgumentError, "take_jobs requires a block" unless block_given?

      options = { prefetch: prefetch, queues: queues, worker_id: worker_id }.compact
      stream = TakeStream.new(@handle, encode(options))
      begin
        on_connect&.call
        on_response&.call(StreamResponse.new(200))
        while (documents = stream.next_documents)
          documents.each { |bytes| yield Resources::Job.new(self, decode(bytes)) }
        end
      ensure
        stream.free
      end
      nil
    end
  end
end

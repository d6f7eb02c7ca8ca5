# frozen_string_literal: true

module Zizq
  # One open `GET /jobs/take` stream of libzizq, read by one thread.
  class TakeStream
    # How long one wait for jobs may block. Short, so that Thread#raise,
    # Thread#kill and Ctrl+C reach the reading thread promptly: Ruby can only
    # interrupt a thread between two calls into the library.
    WAIT_MS = 200

    def initialize(client_handle, options)
      @handle = NativeCall.handle(:zizq_take_open, :zizq_take_free, client_handle, options,
                                  options.bytesize)
    end

    # Job documents received so far (possibly none after a short wait), or
    # nil once the stream is over: ended by the server or closed.
    def next_documents
      batch = FFI::MemoryPointer.new(:pointer)
      status = NativeCall.status(:zizq_take_next, @handle, 0, WAIT_MS, batch,
                                 expected: %i[ZIZQ_E_STREAM_ENDED ZIZQ_E_CLOSED])
      status == :ZIZQ_OK ? Batch.documents(batch.read_pointer) : nil
    end

    # Release the native stream; only once nothing else uses it.
    def free
      @handle.free
    end
  end
end

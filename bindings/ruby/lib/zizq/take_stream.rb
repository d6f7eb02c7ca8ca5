# frozen_string_literal: true

module Zizq
  # One open `GET /jobs/take` stream of libzizq, read by one thread.
  class TakeStream
    # Opening connects and waits for the server's 200 (see
    # NativeCall.off_fiber for fibers). A stream opened for a fiber that
    # stopped waiting is closed at once: the server gets its jobs back.
    def initialize(client_handle, options)
      @handle = NativeCall.off_fiber(release: :free.to_proc) do
        NativeCall.handle(:zizq_take_open, :zizq_take_free, client_handle, options, options.bytesize)
      end
      @readiness = Readiness.new(Native.zizq_take_fd(@handle))
    end

    # Job documents received so far (possibly none after a wakeup), or nil
    # once the stream is over: ended by the server or closed. Waits in Ruby
    # (see Readiness), then takes what is there without blocking.
    def next_documents
      @readiness.wait
      batch = FFI::MemoryPointer.new(:pointer)
      status = NativeCall.status(:zizq_take_next_now, @handle, 0, 0, batch,
                                 expected: %i[ZIZQ_E_STREAM_ENDED ZIZQ_E_CLOSED])
      status == :ZIZQ_OK ? Batch.documents(batch.read_pointer) : nil
    end

    # Release the native stream; only once nothing else uses it.
    def free
      NativeCall.free(@handle)
    end
  end
end

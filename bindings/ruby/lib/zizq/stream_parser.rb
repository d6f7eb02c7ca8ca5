# frozen_string_literal: true

module Zizq
  # libzizq's incremental parser of take-stream bytes: NDJSON or
  # length-prefixed MessagePack, any chunking, heartbeats skipped, frames
  # checked to be well-formed, a truncated last frame reported.
  class StreamParser
    def initialize(format)
      @format = format
      @handle = NativeCall.handle(:zizq_parser_new, :zizq_parser_free,
                                  Native::FORMATS.fetch(format), 0)
    end

    # Feed a chunk; yields each document it completes, decoded.
    def feed(chunk)
      out = FFI::MemoryPointer.new(:pointer)
      NativeCall.status(:zizq_parser_feed, @handle, chunk, chunk.bytesize, out)
      frames = out.read_pointer
      return if frames.null?

      begin
        each_frame(frames) { |bytes| yield Codec.decode(@format, bytes) }
      ensure
        Native.zizq_frames_free(frames)
      end
    end

    # Raises StreamError if the input ended inside a frame.
    def finish
      NativeCall.status(:zizq_parser_finish, @handle)
    end

    # Release the native parser now rather than when collected.
    def free
      NativeCall.free(@handle)
    end

    private

    def each_frame(frames)
      data = FFI::MemoryPointer.new(:pointer)
      length = FFI::MemoryPointer.new(:size_t)
      # Copy every frame before yielding: the block may raise.
      copies = Array.new(Native.zizq_frames_len(frames)) do |index|
        Native.zizq_frames_get(frames, index, data, length)
        data.read_pointer.read_bytes(length.read(:size_t))
      end
      copies.each { |bytes| yield bytes }
    end
  end
end

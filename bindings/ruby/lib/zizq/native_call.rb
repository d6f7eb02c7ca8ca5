# frozen_string_literal: true

module Zizq
  # Calls into libzizq with the C API's conventions: a trailing
  # `zizq_error **`, results written to out-parameters only on success, and
  # library-owned outputs that must be copied and then released.
  module NativeCall
    # Call `function` and return its status: ZIZQ_OK, or one of the
    # `expected` statuses the caller handles itself. Any other status raises
    # the matching exception.
    def self.status(function, *args, expected: [])
      error = FFI::MemoryPointer.new(:pointer)
      status = Native.public_send(function, *args, error)
      return status if status == :ZIZQ_OK

      unless expected.include?(status)
        raise Errors.from_native(status, error.read_pointer)
      end

      Native.zizq_error_free(error.read_pointer)
      status
    end

    # Call a function that answers a document in a `zizq_buf`; return its bytes.
    def self.bytes(function, *args)
      buf = Native::Buf.new
      status(function, *args, buf)
      begin
        bytes_of(buf)
      ensure
        Native.zizq_buf_free(buf)
      end
    end

    # A copy of the bytes of a `zizq_buf` (still the caller's to free).
    def self.bytes_of(buf)
      buf[:len].zero? ? +"" : buf[:data].read_bytes(buf[:len])
    end

    # Call a function that answers a count in an `int64_t *`.
    def self.count(function, *args)
      out = FFI::MemoryPointer.new(:int64)
      status(function, *args, out)
      out.read_int64
    end

    # Run the block, which makes a call that blocks and has no deferred
    # form (opening a take stream, a worker's shutdown): in place, or, in a
    # fiber run by a fiber scheduler, on a thread of its own, which the
    # fiber waits for through the scheduler (Thread#value is a fiber wait)
    # while the thread's other fibers run. Its result or exception is the
    # block's. A fiber that stops waiting early (a stopped task, a timeout)
    # leaves the call to finish; `release`, if given, is then called with
    # what it made.
    def self.off_fiber(release: nil, &block)
      return block.call unless Fiber.current_scheduler

      call = background(&block)
      begin
        call.value
      ensure
        background { release.call(call.value) } if release && call.alive?
      end
    end

    # A thread whose exception goes to whoever asks for its value.
    def self.background(&block)
      Thread.new do
        Thread.current.report_on_exception = false
        block.call
      end
    end
    private_class_method :background

    # Call a function that creates a handle; return it as an FFI::AutoPointer
    # that releases it with `free_function` when garbage-collected (or on
    # an explicit `#free`). The release proc is a Method of Native, so it
    # does not keep the Ruby object that owns the handle alive.
    def self.handle(function, free_function, *args)
      out = FFI::MemoryPointer.new(:pointer)
      status(function, *args, out)
      FFI::AutoPointer.new(out.read_pointer, Native.method(free_function))
    end

    # Release a handle from `handle` now rather than when collected.
    # FFI's AutoPointer#free calls the release function and only then
    # disarms its finalizer; an asynchronous interrupt landing in between
    # (Thread#kill of a thread in its ensure at exit, Thread#raise, Ctrl+C)
    # would leave it armed, and the finalizer would free the handle a second
    # time. Such interrupts wait until the release is complete.
    def self.free(handle)
      Thread.handle_interrupt(Object => :never) { handle.free }
    end
  end
end

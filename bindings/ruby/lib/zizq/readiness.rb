# frozen_string_literal: true

require "io/wait"

module Zizq
  # Waits on a libzizq readiness descriptor (`zizq_take_fd`,
  # `zizq_worker_fd`) in Ruby rather than inside the library: the wait can be
  # interrupted (Thread#raise, Thread#kill, Ctrl+C), and under a fiber
  # scheduler (the async gem, Falcon) the thread's other fibers run
  # meanwhile. The descriptor stays the library's: it is never closed here.
  class Readiness
    def initialize(fd)
      @io = IO.for_fd(fd, autoclose: false)
    end

    # Block until the next call into the library would return at once.
    def wait
      @io.wait_readable
    end
  end
end

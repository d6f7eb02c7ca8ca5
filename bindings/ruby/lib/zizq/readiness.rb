# frozen_string_literal: true

require "io/wait"

module Zizq
  # Waits on a libzizq readiness descriptor (`zizq_take_fd`,
  # `zizq_worker_fd`) in Ruby rather than inside the library: the wait can be
  # interrupted (Thread#raise, Thread#kill, Ctrl+C), and under a fiber
  # scheduler (the async gem, Falcon) the thread's other fibers run
  # meanwhile. The descriptor stays the library's: it is never closed here.
  #
  # Threads take turns: one waits on the descriptor, the others for their
  # turn. All of them waiting on it would all wake for every change (a job
  # for a worker's handler threads), and all but one find nothing.
  class Readiness
    def initialize(fd)
      @io = IO.for_fd(fd, autoclose: false)
      @turn = Mutex.new
    end

    # Block until the next call into the library would return at once; then
    # run the block, if given, in the same turn (to take what ended the
    # wait before another thread wakes for it) and return its result.
    def wait
      @turn.synchronize do
        @io.wait_readable
        yield if block_given?
      end
    end
  end
end

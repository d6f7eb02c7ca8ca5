# frozen_string_literal: true

require "io/wait"

# The smallest fiber scheduler that runs fibers waiting on IO and sleeps
# (what the async gem does, with IO.select for a reactor). It records which
# descriptors fibers waited on, so a test can tell that a wait went through
# the scheduler rather than blocking the thread inside the library.
class RecordingScheduler
  attr_reader :waited_fds

  def initialize
    @readable = {} # io => fiber
    @sleeping = {} # fiber => wake-up time
    @ready = []
    @waited_fds = []
  end

  def fiber(&block)
    fiber = Fiber.new(blocking: false, &block)
    fiber.resume
    fiber
  end

  def io_wait(io, events, timeout)
    @waited_fds << io.fileno
    @readable[io] = Fiber.current
    @sleeping[Fiber.current] = now + timeout if timeout
    Fiber.yield
    @readable.delete(io)
    @sleeping.delete(Fiber.current)
    events
  end

  def kernel_sleep(duration = nil)
    @sleeping[Fiber.current] = now + (duration || 0)
    Fiber.yield
  end

  def block(_blocker, timeout = nil)
    @sleeping[Fiber.current] = now + (timeout || 0.01)
    Fiber.yield
  end

  def unblock(_blocker, fiber)
    @ready << fiber
  end

  def close
    run
  end

  # Resume fibers until none waits any more.
  def run
    until @readable.empty? && @sleeping.empty? && @ready.empty?
      deadline = @sleeping.values.min
      timeout = deadline ? [deadline - now, 0].max : nil
      readable, = IO.select(@readable.keys, nil, nil, @ready.empty? ? timeout : 0)
      (readable || []).each { |io| @ready << @readable.delete(io) }
      @sleeping.select { |_, at| at <= now }.each_key do |fiber|
        @sleeping.delete(fiber)
        @ready << fiber
      end
      @ready.uniq.each { |fiber| fiber.resume if fiber.alive? }
      @ready.clear
    end
  end

  private

  def now
    Process.clock_gettime(Process::CLOCK_MONOTONIC)
  end
end

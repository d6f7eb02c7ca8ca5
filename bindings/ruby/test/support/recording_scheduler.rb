# frozen_string_literal: true

require "io/wait"

# The smallest fiber scheduler that runs fibers waiting on IO, sleeps and
# blocking operations (Thread::Queue, Mutex), as the async gem does, with
# IO.select for a reactor. It records which descriptors fibers waited on and
# how often a fiber blocked, so a test can tell that a wait went through the
# scheduler rather than blocking the thread inside the library.
class RecordingScheduler
  attr_reader :waited_fds, :blocks

  def initialize
    @readable = {} # io => fiber
    @sleeping = {} # fiber => wake-up time
    @blocked = {} # fiber => true, until unblocked
    @unblocked = Thread::Queue.new # fibers `unblock` made ready, from any thread
    @wakeup, @wake = IO.pipe # interrupts IO.select on `unblock`
    @waited_fds = []
    @blocks = 0
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
    events
  ensure
    # Also when the fiber is resumed with an exception (Fiber#raise).
    @readable.delete(io)
    @sleeping.delete(Fiber.current)
  end

  def kernel_sleep(duration = nil)
    @sleeping[Fiber.current] = now + (duration || 0)
    Fiber.yield
  end

  # A blocking operation (Thread::Queue#pop, a contended Mutex): without a
  # timeout, only `unblock` wakes the fiber.
  def block(_blocker, timeout = nil)
    @blocks += 1
    if timeout
      @sleeping[Fiber.current] = now + timeout
    else
      @blocked[Fiber.current] = true
    end
    Fiber.yield
  ensure
    @blocked.delete(Fiber.current)
    @sleeping.delete(Fiber.current)
  end

  # Any thread may call this (a Thread#join it ended, a Queue#push).
  def unblock(_blocker, fiber)
    @unblocked << fiber
    @wake.write_nonblock(".", exception: false)
  end

  def close
    run
    @wakeup.close
    @wake.close
  end

  # Resume fibers until none waits any more (a fiber blocked for good
  # keeps it waiting: tests join their thread with a timeout).
  def run
    until @readable.empty? && @sleeping.empty? && @blocked.empty? && @unblocked.empty?
      deadline = @sleeping.values.min
      timeout = deadline ? [deadline - now, 0].max : nil
      readable, = IO.select([@wakeup, *@readable.keys], nil, nil, @unblocked.empty? ? timeout : 0)
      ready = []
      (readable || []).each do |io|
        next @wakeup.read_nonblock(4096, exception: false) if io == @wakeup

        ready << @readable.delete(io)
      end
      @sleeping.select { |_, at| at <= now }.each_key do |fiber|
        @sleeping.delete(fiber)
        ready << fiber
      end
      ready << @unblocked.pop until @unblocked.empty?
      ready.uniq.each { |fiber| fiber.resume if fiber.alive? }
    end
  end

  private

  def now
    Process.clock_gettime(Process::CLOCK_MONOTONIC)
  end
end

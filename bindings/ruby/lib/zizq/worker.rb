# frozen_string_literal: true

module Zizq
  # Runs a block for every job, on libzizq's worker: the core keeps the take
  # stream open (reconnecting with backoff), batches acknowledgements, and
  # shuts down in the safe order. This class only runs handler threads.
  #
  #   worker = Zizq::Worker.new(client: client, queues: ["emails"], threads: 5) do |job|
  #     deliver(job.payload)                  # return normally: the job is acked
  #   end
  #   worker.run                              # blocks until stopped
  #
  # A handler that raises has its job nacked with the exception's class,
  # message and backtrace (the server then retries it with backoff). Raise
  # Zizq::Retry to choose the retry time, Zizq::Kill to give up on the job.
  # Call `stop` from another thread, not from a handler; a signal trap
  # cannot take locks, so from there start a thread that calls it.
  class Worker
    # How long `stop` waits for handler threads to leave after a clean
    # shutdown (they only have to notice it).
    JOIN_SECONDS = 5

    attr_reader :client

    # `prefetch` (default 2 × threads, which libzizq derives from the thread
    # count) is how many unacknowledged jobs the server may hand to this
    # worker at once.
    def initialize(client:, queues: [], threads: 5, prefetch: nil, worker_id: nil, &handler)
      raise ArgumentError, "Zizq::Worker needs a block to run for each job" unless handler
      raise TypeError, "client must be a Zizq::Client, not #{client.inspect}" unless client.is_a?(Client)
      raise TypeError, "threads must be an Integer, not #{threads.inspect}" unless threads.is_a?(Integer)
      raise ArgumentError, "threads must be at least 1" unless threads >= 1

      @client = client
      @handler = handler
      @thread_count = threads
      @options = { queues: queues, concurrency: @thread_count, prefetch: prefetch,
                   worker_id: worker_id }.compact
      @threads = []
      @lock = Mutex.new
      @stop_lock = Mutex.new
      @failure = nil
    end

    # Start taking jobs and the handler threads; returns self.
    def start
      @lock.synchronize do
        raise Error, "this worker was already started" if @handle

        options = Codec.encode(@client.format, @options)
        @handle = NativeCall.handle(:zizq_worker_new, :zizq_worker_free, @client.native_handle,
                                    options, options.bytesize)
        @readiness = Readiness.new(Native.zizq_worker_fd(@handle))
        @threads = Array.new(@thread_count) do |index|
          Thread.new { work }.tap { |thread| thread.name = "zizq-worker-#{index}" }
        end
      end
      self
    end

    # Start and block until the worker is stopped (`stop` from another
    # thread) or fails (e.g. the server refused the take stream: that error
    # is raised). An exception in the waiting thread (Ctrl+C) stops the
    # worker gracefully before it propagates.
    def run
      start
      begin
        @threads.each(&:join)
        raise @failure if @failure
      ensure
        stop
      end
      nil
    end

    # Stop in the safe order: stop taking, let running handlers finish,
    # deliver every ack and nack, then close the stream (jobs taken but not
    # started are requeued by the server). Returns true when everything
    # finished within `timeout` seconds, false otherwise (see `stats`).
    # Idempotent; a concurrent caller waits for the first one. Under a fiber
    # scheduler the thread's other fibers run while it waits.
    def stop(timeout: 30)
      raise Error, "Zizq::Worker#stop cannot be called from a handler" if @threads.include?(Thread.current)

      handle = @lock.synchronize { @handle } or return true
      @stop_lock.synchronize do
        status = NativeCall.off_fiber do
          NativeCall.status(:zizq_worker_shutdown, handle, Wire.ms(timeout), expected: [:ZIZQ_E_TIMEOUT])
        end
        # After a clean shutdown the threads only have to notice it; after a
        # timeout some handler is still running and is left to finish.
        status == :ZIZQ_OK && @threads.all? { |thread| thread.join(JOIN_SECONDS) }
      end
    end

    # The core's counters: `state`, `taken`, `handed_out`, `acked`,
    # `nacked`, `in_flight`, `pending_acks`, `reconnects`, `last_error`...
    # (symbol keys).
    def stats
      handle = @lock.synchronize { @handle } or return { state: "not started" }
      Codec.decode(@client.format, NativeCall.bytes(:zizq_worker_stats, handle))
           .transform_keys(&:to_sym)
    end

    private

    # One handler thread: take one job at a time until shutdown begins.
    def work
      batch = FFI::MemoryPointer.new(:pointer) # the out-parameter of every take
      while (handouts = next_handouts(batch))
        handouts.each { |id, document| process(id, Resources::Job.handed_out(@client, document)) }
      end
    rescue Zizq::Error => e
      # The worker failed (its take stream was refused): `run` raises it.
      @failure ||= e
    end

    # Jobs as [id, document], or nil once shutdown began. A job already
    # buffered is taken at once; otherwise the thread waits for its turn on
    # the descriptor (see Readiness) and takes the job that ends the wait.
    def next_handouts(batch)
      loop do
        handouts = take_now(batch)
        return handouts unless handouts&.empty?

        handouts = @readiness.wait { take_now(batch) }
        return handouts unless handouts&.empty?
      end
    end

    # Buffered jobs as [id, document] (none when there is none), or nil
    # once shutdown began; never waits.
    def take_now(batch)
      status = NativeCall.status(:zizq_worker_next_now, @handle, 1, 0, batch,
                                 expected: [:ZIZQ_E_CLOSED])
      status == :ZIZQ_OK ? Batch.handouts(batch.read_pointer) : nil
    end

    # Run the handler and queue the job's outcome (the core sends it).
    # Every exception is reported; those that are not StandardErrors
    # (SystemExit, Interrupt...) are re-raised afterwards, so they still end
    # the thread.
    def process(id, job)
      @handler.call(job)
    rescue Exception => e # every failure must reach the server
      resolve(id, failure_report(e))
      raise unless e.is_a?(StandardError)
    else
      resolve(id, nil)
    end

    # Queue an ack (no failure) or a nack of the job handed out as `id`. An
    # outcome refused because the worker already shut down (after a stop
    # timeout) is dropped: the server requeues the job.
    def resolve(id, failure)
      if failure
        body = Codec.encode(@client.format, failure)
        NativeCall.status(:zizq_worker_nack, @handle, id, body, body.bytesize,
                          expected: [:ZIZQ_E_CLOSED])
      else
        NativeCall.status(:zizq_worker_ack, @handle, id, expected: [:ZIZQ_E_CLOSED])
      end
    end

    # The nack of a failed job: "Class: message", the class name and the
    # backtrace. Retry and Kill report the exception they were raised for,
    # if any, and add their instruction.
    def failure_report(error)
      signal = error if error.is_a?(Retry) || error.is_a?(Kill)
      reported = signal&.cause || error
      report = { message: "#{reported.class}: #{reported.message}", error_type: reported.class.name,
                 backtrace: reported.backtrace&.join("\n") }.compact
      report[:retry_at] = Wire.ms(signal.retry_at) if signal.is_a?(Retry)
      report[:kill] = true if signal.is_a?(Kill)
      report
    end
  end
end

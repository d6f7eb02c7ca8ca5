# frozen_string_literal: true

require "json"

module Zizq
  module NativeCall
    # Makes one client's requests. In a fiber run by a fiber scheduler
    # (`Fiber.set_scheduler`: the async gem, Falcon) a request lets the
    # thread's other fibers run while it waits: it starts on a deferred twin
    # of the client (`zizq_client_defer`), which never blocks, and the fiber
    # waits on the descriptor of the twin's completion queue with
    # IO#wait_readable (see Readiness). Anywhere else the call blocks the
    # thread with the GVL released. Both ways give the same results and raise
    # the same exceptions: a completion carries what the blocking call would
    # have returned.
    #
    # The fibers, of any thread, with requests in flight share one queue.
    # One of them at a time, the leader, waits on the descriptor; woken, it
    # takes every completion there is and hands each to the fiber waiting
    # for it, through that fiber's Thread::Queue (on which a scheduler parks
    # the fiber without blocking the thread, and which another thread may
    # fill). A leader leaving (its own answer came, or an exception such as
    # a stopped task ended its wait) passes the lead to a fiber still
    # waiting, so there is always a leader while a fiber waits, and no fiber
    # waits for a completion another one took.
    class Requests
      # The most calls in flight on the queue. Each has a fiber waiting for
      # it, so the fibers bound them; the library's default (4096) would
      # refuse calls a process with more fibers than that makes without a
      # scheduler.
      MAX_PENDING = 1_000_000

      # How many completions one `zizq_completion_queue_next` takes.
      BATCH = 64

      # A fiber's request in flight: how to read its result, and where it
      # receives its answer (or :lead, the lead passed to it).
      Waiter = Struct.new(:kind, :inbox)

      def initialize(client_handle)
        @client_handle = client_handle
        @lock = Mutex.new
        @waiters = {} # ticket => Waiter
        @leader = nil # the ticket of the fiber that waits on the descriptor
      end

      # Call `function` on the client with `args`, answering as
      # NativeCall.status, .bytes or .count (`kind`) does.
      def call(kind, function, *args)
        return NativeCall.public_send(kind, function, @client_handle, *args) unless Fiber.current_scheduler

        ticket, waiter = start(kind, function, args)
        answered = false
        begin
          answer = wait(ticket, waiter)
          answered = true
        ensure
          leave(ticket, answered)
        end
        raise answer if answer.is_a?(Exception)

        answer
      end

      private

      # Start the call on the deferred twin; arguments the library checks
      # at once raise here, as they do from the blocking call.
      def start(kind, function, args)
        @lock.synchronize do
          open_queue unless @deferred
          outputs = kind == :status ? [] : [nil] # a deferred call does not use its output
          status = NativeCall.status(function, @deferred, *args, *outputs, expected: [:ZIZQ_PENDING])
          raise Error, "#{function} answered #{status} on a deferred client" unless status == :ZIZQ_PENDING

          ticket = Native.zizq_last_ticket
          @waiters[ticket] = Waiter.new(kind, Thread::Queue.new)
          [ticket, @waiters[ticket]]
        end
      end

      # The queue and the twin are made together, on first use: a failure
      # (e.g. ZIZQ_E_FORKED, a client inherited across fork) raises as the
      # blocking call would and leaves nothing half made.
      def open_queue
        options = JSON.generate({ max_pending: MAX_PENDING })
        queue = NativeCall.handle(:zizq_completion_queue_new, :zizq_completion_queue_free,
                                  options, options.bytesize)
        @deferred = NativeCall.handle(:zizq_client_defer, :zizq_client_free, @client_handle, queue)
        @queue = queue
        @readiness = Readiness.new(Native.zizq_completion_queue_fd(queue))
        @slots = FFI::MemoryPointer.new(Native::Completion, BATCH)
      end

      # The answer to `ticket`. While no fiber leads, take the lead: wait on
      # the descriptor and hand out the completions until this fiber's own
      # answer is among them (the lead is passed on when it leaves). Else
      # wait for the leader to hand over the answer, or the lead.
      def wait(ticket, waiter)
        leading = @lock.synchronize { waiter.inbox.empty? && !@leader && (@leader = ticket) }
        message = leading ? :lead : waiter.inbox.pop
        return message unless message == :lead

        loop do
          @readiness.wait
          @lock.synchronize { take_completions }
          return waiter.inbox.pop unless waiter.inbox.empty?
        end
      end

      # Hand every completion there is to its waiter; one nobody waits for
      # any more (its fiber left) is only released.
      def take_completions
        count = FFI::MemoryPointer.new(:size_t)
        loop do
          status = Native.zizq_completion_queue_next_now(@queue, @slots, BATCH, 0, count)
          raise Errors.from_native(status, FFI::Pointer::NULL) unless status == :ZIZQ_OK

          taken = count.read(:size_t)
          taken.times { |index| deliver(Native::Completion.new(@slots + (index * Native::Completion.size))) }
          break if taken < BATCH
        end
      end

      def deliver(completion)
        waiter = @waiters[completion[:ticket]]
        waiter.inbox.push(answer(waiter.kind, completion)) if waiter
      ensure
        Native.zizq_completion_free(completion)
      end

      # The result the blocking call would have returned, or the exception
      # it would have raised, built by the same code.
      def answer(kind, completion)
        status = completion[:status]
        unless status == :ZIZQ_OK
          # Errors.from_native frees the error object: the completion must
          # not free it again.
          error = completion[:err]
          completion[:err] = FFI::Pointer::NULL
          return Errors.from_native(status, error)
        end

        case kind
        when :status then status
        when :count then completion[:count]
        else NativeCall.bytes_of(completion[:out])
        end
      rescue StandardError => e # e.g. an error body that does not decode: the caller's to see
        e
      end

      # The fiber of `ticket` stops waiting. Without its answer (an
      # exception ended the wait) the call is cancelled, and its completion
      # will be released unread. A leader passes the lead to a fiber that
      # still waits for its answer.
      def leave(ticket, answered)
        @lock.synchronize do
          @waiters.delete(ticket)
          Native.zizq_completion_queue_cancel(@queue, ticket) unless answered
          next unless @leader == ticket

          @leader, successor = @waiters.find { |_, waiter| waiter.inbox.empty? }
          successor&.inbox&.push(:lead)
        end
      end
    end
  end
end

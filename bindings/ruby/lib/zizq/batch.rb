# frozen_string_literal: true

module Zizq
  # Reads a `zizq_batch` (jobs handed over by a take stream or a worker).
  module Batch
    # The job documents of the batch at `pointer` (none for NULL), copied
    # out before the batch is released.
    def self.documents(pointer)
      jobs(pointer) { |job| job[:doc].read_bytes(job[:doc_len]) }
    end

    # The [id, document] of each job of the batch at `pointer` (none for
    # NULL): the id is what a worker acks by, without decoding the document.
    def self.handouts(pointer)
      jobs(pointer) { |job| [job[:id], job[:doc].read_bytes(job[:doc_len])] }
    end

    # What the block makes of each `zizq_job` of the batch, copied out before
    # the batch is released.
    def self.jobs(pointer)
      return [] if pointer.null?

      begin
        first = Native.zizq_batch_jobs(pointer)
        Array.new(Native.zizq_batch_len(pointer)) do |index|
          yield Native::Job.new(first + (index * Native::Job.size))
        end
      ensure
        Native.zizq_batch_free(pointer)
      end
    end
    private_class_method :jobs
  end
end

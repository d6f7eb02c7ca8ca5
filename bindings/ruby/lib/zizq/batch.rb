# frozen_string_literal: true

module Zizq
  # Reads a `zizq_batch` (jobs handed over by a take stream or a worker).
  module Batch
    # The job documents of the batch at `pointer` (none for NULL), copied
    # out before the batch is released.
    def self.documents(pointer)
      return [] if pointer.null?

      begin
        first = Native.zizq_batch_jobs(pointer)
        Array.new(Native.zizq_batch_len(pointer)) do |index|
          job = Native::Job.new(first + (index * Native::Job.size))
          job[:doc].read_bytes(job[:doc_len])
        end
      ensure
        Native.zizq_batch_free(pointer)
      end
    end
  end
end

# frozen_string_literal: true

module Zizq
  # Reporting the outcome of taken jobs: acks and nacks, and their history.
  class Client
    # Mark an in-flight job completed.
    def report_success(id)
      perform(:zizq_report_success, job_id(id))
      nil
    end
    alias ack report_success

    # Mark in-flight jobs completed. Ids that are no longer in flight are
    # ignored (the server's 422 counts as success, as in the seed).
    def report_success_bulk(ids)
      perform(:zizq_report_success_bulk, *doc({ ids: Arguments.list(ids, "ids") }))
      nil
    end
    alias ack_bulk report_success_bulk

    # Report a failure. `retry_at` (a Time or seconds) asks for a retry at
    # that time; `kill: true` gives up on the job. Returns the updated job.
    def report_failure(id, message:, error_type: nil, backtrace: nil, retry_at: nil, kill: false)
      body = { message: message, error_type: error_type, backtrace: backtrace,
               retry_at: retry_at && Wire.ms(retry_at), kill: kill }
      Resources::Job.new(self, fetch(:zizq_report_failure, job_id(id), *doc(body)))
    end
    alias nack report_failure

    # The error record of one attempt (1-based) of a job.
    def get_error(id, attempt:)
      Resources::ErrorRecord.new(self, fetch(:zizq_get_error, job_id(id), Arguments.uint32(attempt, "attempt")))
    end

    # A page of a job's error records.
    def list_errors(id, from: nil, order: nil, limit: nil)
      params = { from: from, order: order, limit: limit }.compact
      Resources::ErrorPage.new(self, fetch(:zizq_list_errors, job_id(id), *doc(params)))
    end
  end
end

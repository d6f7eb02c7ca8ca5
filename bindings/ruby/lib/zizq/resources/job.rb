# frozen_string_literal: true

module Zizq
  module Resources
    # A job. Times are Float seconds since the epoch.
    class Job < JobTemplate
      # A job a worker hands to its handler, its document (in the client's
      # format) decoded on first use: a handler that reads only some jobs,
      # or none, does not pay for the others (the worker acks by the id
      # libzizq gives beside the document).
      def self.handed_out(client, document) = new(client, nil, document)

      def initialize(client, data, document = nil)
        super(client, data)
        @document = document
      end

      def id = data["id"]
      def status = data["status"]
      def attempts = data["attempts"]
      def ready_at = seconds("ready_at")
      def dequeued_at = seconds("dequeued_at")
      def failed_at = seconds("failed_at")
      def completed_at = seconds("completed_at")
      def purge_at = seconds("purge_at")

      # Jobs are equal, and hash alike (as Hash keys, in `uniq`), when their
      # ids are: two snapshots of the same job are the same job.
      def ==(other)
        other.is_a?(Job) && other.id == id
      end
      alias eql? ==

      def hash
        id.hash
      end

      # True when an enqueue found an existing job with the same unique key
      # (this object then describes that job).
      def duplicate? = data["duplicate"] == true

      # True when an enqueue was folded into an open batch job.
      def folded? = data["folded"] == true

      # A page of this job's error records.
      def errors(from: nil, order: nil, limit: nil)
        client.list_errors(id, from: from, order: order, limit: limit)
      end

      # Acknowledge this (in-flight) job.
      def complete!
        client.report_success(id)
      end

      # Report a failure of this (in-flight) job; returns the updated job.
      def fail!(message:, error_type: nil, backtrace: nil, retry_at: nil, kill: false)
        client.report_failure(id, message: message, error_type: error_type, backtrace: backtrace,
                                  retry_at: retry_at, kill: kill)
      end

      def delete
        client.delete_job(id)
      end

      # Update this job (see Client#update_job) and refresh this object
      # from the answer, which it also returns.
      def update(**fields)
        updated = client.update_job(id, **fields)
        @data = updated.to_h
        updated
      end

      private

      def data = @data ||= Codec.decode(client.format, @document)
    end
  end
end

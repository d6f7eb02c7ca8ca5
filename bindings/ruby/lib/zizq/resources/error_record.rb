# frozen_string_literal: true

module Zizq
  module Resources
    # One recorded failure of a job.
    class ErrorRecord < Resource
      def attempt = @data["attempt"]
      def message = @data["message"]
      def error_type = @data["error_type"]
      def backtrace = @data["backtrace"]
      def dequeued_at = seconds("dequeued_at")
      def failed_at = seconds("failed_at")
    end
  end
end

# frozen_string_literal: true

module Zizq
  module Resources
    # A page of a job's error records (Client#list_errors).
    class ErrorPage < Page
      def items
        @items ||= @data.fetch("errors", []).map { |error| ErrorRecord.new(client, error) }
      end
      alias errors items
    end
  end
end

# frozen_string_literal: true

module Zizq
  module Resources
    # A page of jobs (Client#list_jobs).
    class JobPage < Page
      def items
        @items ||= @data.fetch("jobs", []).map { |job| Job.new(client, job) }
      end
      alias jobs items

      # Delete the jobs of this page; returns the number deleted.
      def delete_all
        client.delete_all_jobs(where: { id: ids })
      end

      # Apply `fields` (see Client#update_job) to the jobs of this page;
      # returns the number updated.
      def update_all(**fields)
        client.update_all_jobs(where: { id: ids }, apply: fields)
      end

      private

      # An empty page gives `id: []`, which matches nothing: no request.
      def ids
        items.map(&:id)
      end
    end
  end
end

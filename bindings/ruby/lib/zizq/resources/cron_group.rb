# frozen_string_literal: true

module Zizq
  module Resources
    # A cron group and its entries.
    class CronGroup < Resource
      def name = @data["name"]
      def paused = @data["paused"]
      def paused? = paused == true
      def paused_at = seconds("paused_at")
      def resumed_at = seconds("resumed_at")

      def entries
        @data.fetch("entries", []).map { |entry| CronEntry.new(client, entry) }
      end
    end
  end
end

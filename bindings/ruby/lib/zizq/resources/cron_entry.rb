# frozen_string_literal: true

module Zizq
  module Resources
    # One entry of a cron group: an expression and the job it enqueues.
    class CronEntry < Resource
      def name = @data["name"]
      def expression = @data["expression"]
      def timezone = @data["timezone"]
      def paused = @data["paused"]
      def paused? = paused == true
      def paused_at = seconds("paused_at")
      def resumed_at = seconds("resumed_at")
      def next_enqueue_at = seconds("next_enqueue_at")
      def last_enqueue_at = seconds("last_enqueue_at")

      def job
        JobTemplate.new(client, @data["job"])
      end
    end
  end
end

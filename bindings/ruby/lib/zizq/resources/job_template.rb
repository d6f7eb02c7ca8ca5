# frozen_string_literal: true

module Zizq
  module Resources
    # The fields a job shares with the job template of a cron entry.
    class JobTemplate < Resource
      def type = data["type"]
      def queue = data["queue"]
      def priority = data["priority"]
      def payload = data["payload"]
      def retry_limit = data["retry_limit"]
      def unique_key = data["unique_key"]
      def unique_while = data["unique_while"]&.to_sym

      # `{exponent:, base:, jitter:}` with base and jitter in seconds, or nil.
      def backoff
        raw = data["backoff"] or return nil
        { exponent: raw["exponent"].to_f, base: Wire.seconds(raw["base_ms"]),
          jitter: Wire.seconds(raw["jitter_ms"]) }
      end

      # `{completed:, dead:}` in seconds (each only if set), or nil.
      def retention
        raw = data["retention"] or return nil
        { completed: Wire.seconds(raw["completed_ms"]), dead: Wire.seconds(raw["dead_ms"]) }.compact
      end
    end
  end
end

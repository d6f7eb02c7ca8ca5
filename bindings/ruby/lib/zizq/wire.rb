# frozen_string_literal: true

module Zizq
  # Default of the `update_job` / `update_all_jobs` fields: leave the field as
  # it is (the key is left out of the request).
  UNCHANGED = Object.new
  def UNCHANGED.inspect = "Zizq::UNCHANGED"
  UNCHANGED.freeze

  # Reset a nullable field (`ready_at`, `retry_limit`, `backoff`,
  # `retention`) to the server's default (sent as null).
  RESET = Object.new
  def RESET.inspect = "Zizq::RESET"
  RESET.freeze

  # Converts the Ruby shapes of the seed's API into the server's documents:
  # times are seconds (Float, Integer or Time) in Ruby and integer
  # milliseconds on the wire. Everything else (validation, empty filters,
  # encoding, and the seconds shape of `backoff` and `retention`, which
  # libzizq rewrites) is left to libzizq.
  module Wire
    # Seconds (or a Time) to integer milliseconds.
    def self.ms(seconds)
      (seconds.to_f * 1000).to_i
    end

    # Milliseconds to Float seconds; nil stays nil.
    def self.seconds(ms)
      ms && ms / 1000.0
    end

    # The enqueue document of one job (`enqueue`, `enqueue_bulk`, and the
    # job template of a cron entry). `payload` is always sent, even nil.
    def self.job(type:, queue:, payload:, priority: nil, ready_at: nil, retry_limit: nil,
                 backoff: nil, retention: nil, unique_key: nil, unique_while: nil, batch: nil)
      optional = {
        priority: priority,
        ready_at: ready_at && ms(ready_at),
        retry_limit: retry_limit,
        backoff: backoff,
        retention: retention,
        unique_key: unique_key,
        unique_while: unique_while&.to_s,
        batch: batch
      }
      { type: type, queue: queue, payload: payload }.merge(optional.compact)
    end

    PATCH_CONVERSIONS = { ready_at: method(:ms) }.freeze

    # The patch document of `update_job` / `update_all_jobs`: UNCHANGED
    # leaves the key out, RESET (or nil) sends null. libzizq refuses a null
    # `queue` or `priority` with an ArgumentError.
    def self.patch(queue: UNCHANGED, priority: UNCHANGED, ready_at: UNCHANGED,
                   retry_limit: UNCHANGED, backoff: UNCHANGED, retention: UNCHANGED)
      fields = { queue: queue, priority: priority, ready_at: ready_at,
                 retry_limit: retry_limit, backoff: backoff, retention: retention }
      fields.each_with_object({}) do |(key, value), doc|
        next if value.equal?(UNCHANGED)

        doc[key] = if value.nil? || value.equal?(RESET) then nil
                   elsif PATCH_CONVERSIONS.key?(key) then PATCH_CONVERSIONS[key].call(value)
                   else value
                   end
      end
    end

    # The `where:` filters of `delete_all_jobs` / `update_all_jobs`: the
    # filter keywords of `list_jobs`.
    def self.where(id: nil, status: nil, queue: nil, type: nil, filter: nil)
      { id: id, status: status, queue: queue, type: type, filter: filter }.compact
    end

    # A cron entry of `replace_cron_group` / `add_cron_group_entry`.
    def self.cron_entry(name:, expression:, job:, timezone: nil, paused: nil)
      { name: name, expression: expression, job: job(**job.transform_keys(&:to_sym)), timezone: timezone, paused: paused }.compact
    end
  end
end

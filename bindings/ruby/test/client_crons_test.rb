# frozen_string_literal: true

require_relative "test_helper"

# The cron API (a Pro feature: a free server answers 403).
class ClientCronsTest < ZizqTest
  JOB = { type: "report", queue: "crons", payload: { "kind" => "daily" }, priority: 10,
          backoff: { exponent: 2, base: 1, jitter: 0 } }.freeze

  def test_cron_groups_and_entries
    return assert_forbidden { client.list_cron_groups } unless pro?

    assert_equal [], client.list_cron_groups
    group = client.replace_cron_group("nightly", entries: [
                                        { name: "a", expression: "0 3 * * *", job: JOB, timezone: "UTC" },
                                        { name: "b", expression: "*/5 * * * *", job: JOB, paused: true }
                                      ])
    assert_instance_of Zizq::Resources::CronGroup, group
    assert_equal ["nightly", false], [group.name, group.paused?]
    assert_equal %w[a b], group.entries.map(&:name)
    entry = group.entries.first
    assert_equal ["0 3 * * *", "UTC", false], [entry.expression, entry.timezone, entry.paused?]
    assert_instance_of Float, entry.next_enqueue_at
    assert_nil entry.last_enqueue_at
    assert_equal ["report", "crons", 10, { "kind" => "daily" }],
                 [entry.job.type, entry.job.queue, entry.job.priority, entry.job.payload]
    assert_equal({ exponent: 2.0, base: 1.0, jitter: 0.0 }, entry.job.backoff)
    assert group.entries.last.paused?
    assert_equal ["nightly"], client.list_cron_groups

    paused = client.update_cron_group("nightly", paused: true)
    assert paused.paused?
    assert_instance_of Float, paused.paused_at
    assert_equal true, client.get_cron_group("nightly").paused

    added = client.add_cron_group_entry("nightly", name: "c", expression: "0 0 1 * *", job: JOB)
    assert_equal "c", added.name
    conflict = assert_raises(Zizq::ClientError) do
      client.add_cron_group_entry("nightly", name: "c", expression: "0 0 1 * *", job: JOB)
    end
    assert_equal 409, conflict.status

    replaced = client.replace_cron_group_entry("nightly", "c", expression: "0 0 2 * *", job: JOB,
                                                               paused: true)
    assert_equal ["c", "0 0 2 * *", true], [replaced.name, replaced.expression, replaced.paused?]
    assert_equal "0 0 2 * *", client.get_cron_group_entry("nightly", "c").expression
    resumed = client.update_cron_group_entry("nightly", "c", paused: false)
    refute resumed.paused?
    assert_instance_of Float, resumed.resumed_at

    assert_nil client.delete_cron_group_entry("nightly", "c")
    assert_raises(Zizq::NotFoundError) { client.get_cron_group_entry("nightly", "c") }
    assert_nil client.delete_cron_group("nightly")
    assert_raises(Zizq::NotFoundError) { client.get_cron_group("nightly") }

    client.add_cron_group_entry("g 1/x", name: "e", expression: "@daily", job: JOB)
    client.add_cron_group_entry("g2", name: "e", expression: "@hourly", job: JOB)
    assert_equal ["g 1/x", "g2"], client.list_cron_groups.sort
    assert_equal 2, client.delete_all_crons
    assert_equal [], client.list_cron_groups
  end

  def test_cron_entry_arguments_are_checked
    assert_raises(ArgumentError) do
      client.replace_cron_group("g", entries: [{ name: "a", expression: "@daily", job: JOB, colour: 1 }])
    end
    assert_raises(ArgumentError) do
      client.add_cron_group_entry("g", name: "a", expression: "@daily", job: { type: "t", queue: "q" })
    end
  end

  def test_free_tier_answers_forbidden
    require_own_server
    server.set_tier("free")
    assert_forbidden { client.list_cron_groups }
    assert_forbidden { client.replace_cron_group("g", entries: []) }
    assert_forbidden { client.delete_all_crons }
    assert_forbidden { enqueue_job(unique_key: "k") }
  ensure
    server.set_tier("pro") if server.own?
  end

  private

  def assert_forbidden(&block)
    error = assert_raises(Zizq::ClientError, &block)
    assert_equal 403, error.status
    assert_match(/pro license/, error.message)
  end
end

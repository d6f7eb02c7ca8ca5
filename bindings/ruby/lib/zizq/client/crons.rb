# frozen_string_literal: true

module Zizq
  # Cron methods of the seed's client (a Pro feature of the server). A
  # cron entry's `job:` takes the keywords of `enqueue` (but `ready_at`).
  class Client
    def list_cron_groups
      fetch(:zizq_list_cron_groups).fetch("crons")
    end

    def get_cron_group(name)
      Resources::CronGroup.new(self, fetch(:zizq_get_cron_group, group_name(name)))
    end

    # Create or replace a whole group: entries not given are deleted, and
    # entries whose expression is unchanged keep their schedule.
    def replace_cron_group(name, paused: nil, entries: [])
      entries = entries.map { |entry| Wire.cron_entry(**entry.transform_keys(&:to_sym)) }
      body = { paused: paused, entries: entries }.compact
      Resources::CronGroup.new(self, fetch(:zizq_replace_cron_group, group_name(name), *doc(body)))
    end

    # Pause or resume a group.
    def update_cron_group(name, paused: nil)
      body = { paused: paused }.compact
      Resources::CronGroup.new(self, fetch(:zizq_update_cron_group, group_name(name), *doc(body)))
    end

    def delete_cron_group(name)
      perform(:zizq_delete_cron_group, group_name(name))
      nil
    end

    # Delete every cron group; returns how many there were.
    def delete_all_crons
      count(:zizq_delete_all_crons)
    end

    # Add an entry (creating the group if needed). An existing entry name
    # raises ClientError (409).
    def add_cron_group_entry(group, name:, expression:, job:, timezone: nil, paused: nil)
      entry = Wire.cron_entry(name: name, expression: expression, job: job, timezone: timezone,
                              paused: paused)
      Resources::CronEntry.new(self, fetch(:zizq_add_cron_group_entry, group_name(group), *doc(entry)))
    end

    def get_cron_group_entry(group, entry)
      Resources::CronEntry.new(self, fetch(:zizq_get_cron_group_entry, group_name(group), entry_name(entry)))
    end

    # Create or replace one entry; an unchanged expression keeps its schedule.
    def replace_cron_group_entry(group, entry, expression:, job:, timezone: nil, paused: nil)
      body = Wire.cron_entry(name: entry, expression: expression, job: job,
                             timezone: timezone, paused: paused)
      body.delete(:name) # the entry is named by the path
      data = fetch(:zizq_replace_cron_group_entry, group_name(group), entry_name(entry), *doc(body))
      Resources::CronEntry.new(self, data)
    end

    # Pause or resume one entry.
    def update_cron_group_entry(group, entry, paused:)
      data = fetch(:zizq_update_cron_group_entry, group_name(group), entry_name(entry), *doc({ paused: paused }))
      Resources::CronEntry.new(self, data)
    end

    def delete_cron_group_entry(group, entry)
      perform(:zizq_delete_cron_group_entry, group_name(group), entry_name(entry))
      nil
    end
  end
end

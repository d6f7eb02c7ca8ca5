# frozen_string_literal: true

module Zizq
  # Job methods of the seed's client: enqueue, queries, updates, deletes.
  class Client
    # Enqueue a job. `ready_at` is a Time or seconds since the epoch;
    # `backoff` and `retention` are the server's shapes (`base_ms`...) or
    # the seconds shapes resources return. A unique duplicate (HTTP 200) is
    # returned like a new job; see `Job#duplicate?`.
    def enqueue(queue:, type:, payload:, priority: nil, ready_at: nil, retry_limit: nil,
                backoff: nil, retention: nil, unique_key: nil, unique_while: nil)
      job = Wire.job(queue: queue, type: type, payload: payload, priority: priority,
                     ready_at: ready_at, retry_limit: retry_limit, backoff: backoff,
                     retention: retention, unique_key: unique_key, unique_while: unique_while)
      Resources::Job.new(self, fetch(:zizq_enqueue, *doc(job)))
    end

    # Enqueue jobs (hashes with the keywords of `enqueue`) atomically.
    def enqueue_bulk(jobs:)
      body = { jobs: jobs.map { |job| Wire.job(**job.transform_keys(&:to_sym)) } }
      fetch(:zizq_enqueue_bulk, *doc(body)).fetch("jobs").map { |data| Resources::Job.new(self, data) }
    end

    def get_job(id)
      Resources::Job.new(self, fetch(:zizq_get_job, job_id(id)))
    end

    # List jobs. `id`, `status`, `queue` and `type` take a value or an
    # array; an empty one matches nothing and makes no request.
    def list_jobs(id: nil, status: nil, queue: nil, type: nil, filter: nil, from: nil, order: nil,
                  limit: nil)
      filters = { id: id, status: status, queue: queue, type: type, filter: filter, from: from,
                  order: order, limit: limit }.compact
      Resources::JobPage.new(self, fetch(:zizq_list_jobs, *doc(filters)))
    end

    def count_jobs(id: nil, status: nil, queue: nil, type: nil, filter: nil)
      filters = { id: id, status: status, queue: queue, type: type, filter: filter }.compact
      count(:zizq_count_jobs, *doc(filters))
    end

    def delete_job(id)
      perform(:zizq_delete_job, job_id(id))
      nil
    end

    # Delete the jobs matching `where:` (the filters of `list_jobs`; empty =
    # every job). Returns the number deleted.
    def delete_all_jobs(where: {})
      count(:zizq_delete_all_jobs, *doc({ where: Wire.where(**where.transform_keys(&:to_sym)) }))
    end

    # Update a job. Fields left UNCHANGED are not sent; RESET restores the
    # server's default.
    def update_job(id, queue: UNCHANGED, priority: UNCHANGED, ready_at: UNCHANGED,
                   retry_limit: UNCHANGED, backoff: UNCHANGED, retention: UNCHANGED)
      patch = Wire.patch(queue: queue, priority: priority, ready_at: ready_at,
                         retry_limit: retry_limit, backoff: backoff, retention: retention)
      Resources::Job.new(self, fetch(:zizq_update_job, job_id(id), *doc(patch)))
    end

    # Apply `apply:` (the fields of `update_job`) to the jobs matching
    # `where:`. Returns the number of jobs updated.
    def update_all_jobs(where: {}, apply: {})
      body = { where: Wire.where(**where.transform_keys(&:to_sym)),
               apply: Wire.patch(**apply.transform_keys(&:to_sym)) }
      count(:zizq_update_all_jobs, *doc(body))
    end

    # Wipe every job and cron group on the server.
    def erase_all_data
      perform(:zizq_erase_all_data)
      nil
    end
  end
end

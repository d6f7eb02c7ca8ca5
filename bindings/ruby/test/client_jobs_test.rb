# frozen_string_literal: true

require_relative "test_helper"

# Enqueue, queries, pagination, updates and deletes.
class ClientJobsTest < ZizqTest
  def test_constants_url_and_format
    assert_equal({ msgpack: "application/msgpack", json: "application/json" }, Zizq::Client::CONTENT_TYPES)
    assert_equal "application/x-ndjson", Zizq::Client::STREAM_ACCEPT[:json]
    assert_equal "application/vnd.zizq.msgpack-stream", Zizq::Client::STREAM_ACCEPT[:msgpack]
    with_slash = new_client(url: "#{server.url}/")
    assert_equal server.url, with_slash.url
    assert_equal FORMAT, client.format
    assert_equal :msgpack, Zizq::Client.new(url: server.url).tap(&:close).format
    assert_raises(KeyError) { Zizq::Client.new(url: server.url, format: :xml) }
  end

  def test_enqueue_with_every_option_and_time_conversions
    ready_at = Time.now + 3600
    job = client.enqueue(queue: "emails", type: "send", payload: { "to" => "ada" }, priority: 5,
                         ready_at: ready_at, retry_limit: 3,
                         backoff: { exponent: 2.0, base_ms: 1500, jitter_ms: 250 },
                         retention: { completed_ms: 60_000, dead_ms: 120_000 })
    assert_instance_of Zizq::Resources::Job, job
    assert_match(/\A[0-9a-z]{25}\z/, job.id)
    assert_equal ["emails", "send", 5, "scheduled", 3, 0],
                 [job.queue, job.type, job.priority, job.status, job.retry_limit, job.attempts]
    assert_in_delta ready_at.to_f, job.ready_at, 0.001
    assert_instance_of Float, job.ready_at
    assert_equal({ exponent: 2.0, base: 1.5, jitter: 0.25 }, job.backoff)
    assert_equal({ completed: 60.0, dead: 120.0 }, job.retention)
    refute job.duplicate?
    assert_nil job.payload, "enqueue answers omit the payload"

    fetched = client.get_job(job.id)
    assert_equal({ "to" => "ada" }, fetched.payload)
    assert_equal job.id, fetched.to_h["id"]
    assert_includes fetched.inspect, job.id
  end

  def test_enqueue_accepts_seconds_shapes_and_float_times
    job = enqueue_job(ready_at: Time.now.to_f - 1, backoff: { exponent: 1, base: 2, jitter: 0.5 },
                      retention: { completed: 10 })
    assert_equal "ready", job.status
    assert_equal({ "exponent" => 1.0, "base_ms" => 2000, "jitter_ms" => 500 }, job.to_h["backoff"])
    assert_equal({ "completed_ms" => 10_000 }, job.to_h["retention"])
  end

  def test_enqueue_null_payload_and_unknown_keyword
    assert_nil client.get_job(enqueue_job(payload: nil).id).payload
    binary_text = "read from a socket".b
    assert_equal({ "s" => "read from a socket" }, client.get_job(enqueue_job(payload: { "s" => binary_text }).id).payload)
    assert_raises(ArgumentError) { client.enqueue(queue: "q", type: "t", payload: 1, colour: "red") }
  end

  def test_unique_jobs_duplicate_or_forbidden_on_free_tier
    unless pro?
      error = assert_raises(Zizq::ClientError) { enqueue_job(unique_key: "k1") }
      assert_equal 403, error.status
      assert_match(/pro license/, error.message)
      return
    end
    first = enqueue_job(unique_key: "k1", unique_while: :active)
    second = enqueue_job(unique_key: "k1", unique_while: :active)
    refute first.duplicate?
    assert second.duplicate?
    assert_equal first.id, second.id
    assert_equal :active, client.get_job(first.id).unique_while
    assert_equal "k1", first.unique_key
  end

  def test_enqueue_bulk
    jobs = client.enqueue_bulk(jobs: [
                                 { queue: "a", type: "t", payload: 1 },
                                 { queue: "b", type: "t", payload: [2], priority: 1, ready_at: Time.now + 60 }
                               ])
    assert_equal %w[a b], jobs.map(&:queue)
    assert_equal %w[ready scheduled], jobs.map(&:status)
    assert_equal [], client.enqueue_bulk(jobs: [])
    assert_raises(ArgumentError) { client.enqueue_bulk(jobs: [{ queue: "a", type: "t" }]) }
  end

  def test_get_job_not_found
    error = assert_raises(Zizq::NotFoundError) { client.get_job("0000000000000000000000000") }
    assert_equal 404, error.status
    assert_equal({ "error" => "job not found" }, error.body)
    assert_equal "job not found", error.message
    assert_kind_of Zizq::ClientError, error
  end

  def test_jobs_are_equal_and_hash_alike_by_id
    job = enqueue_job
    other = enqueue_job
    updated = client.update_job(job.id, priority: 7)
    assert_equal 7, updated.priority
    assert_equal job, client.get_job(job.id)
    assert_equal job, updated, "another snapshot of the same job is the same job"
    refute_equal job, other
    assert job.eql?(updated)
    assert_equal [job.id, other.id], [job, updated, other].uniq.map(&:id)
    assert_equal({ job => 2, other => 1 }, [job, updated, other].tally)
    page = client.list_jobs(queue: job.queue)
    assert_equal page, client.list_jobs(queue: job.queue), "other resources: equal by document"
  end

  def test_ids_and_names_are_percent_encoded
    assert_raises(Zizq::NotFoundError) { client.get_job("a/b?c d#e") }
    job = enqueue_job(queue: "with space/and slash")
    assert_equal ["with space/and slash"], client.get_queues
    assert_equal [job.id], client.list_jobs(queue: "with space/and slash").map(&:id)
  end

  def test_list_jobs_filters
    a = enqueue_job(queue: "a", type: "x", payload: { "user" => 1 })
    b = enqueue_job(queue: "b", type: "y", payload: { "user" => 2 })
    c = enqueue_job(queue: "c", type: "x", payload: { "user" => 3 }, ready_at: Time.now + 600)
    assert_equal [a.id, b.id, c.id], client.list_jobs.map(&:id)
    assert_equal [a.id, c.id], client.list_jobs(type: "x").map(&:id)
    assert_equal [a.id, b.id], client.list_jobs(queue: %w[a b]).map(&:id)
    assert_equal [c.id], client.list_jobs(status: [:scheduled]).map(&:id)
    assert_equal [b.id], client.list_jobs(filter: ".user == 2").map(&:id)
    assert_equal [a.id, b.id], client.list_jobs(id: [a.id, b.id]).map(&:id)
    assert_equal [c.id, b.id], client.list_jobs(order: :desc, limit: 2).map(&:id)
    assert_equal [c.id], client.list_jobs(from: b.id).map(&:id)
    page = client.list_jobs
    assert_kind_of Enumerable, page
    assert_equal page.items, page.jobs
    assert_equal 3, page.count
  end

  def test_pagination_across_pages
    ids = Array.new(5) { |n| enqueue_job(payload: n).id }
    first = client.list_jobs(limit: 2)
    assert first.has_next?
    refute first.has_prev?
    assert_nil first.prev_page
    second = first.next_page
    assert_instance_of Zizq::Resources::JobPage, second
    assert second.has_prev?
    third = second.next_page
    refute third.has_next?
    assert_nil third.next_page
    assert_equal ids, [first, second, third].flat_map { |page| page.map(&:id) }
    # The previous page comes nearest-first (the server reverses the order).
    assert_equal ids[0, 2].reverse, second.prev_page.map(&:id)
  end

  def test_count_jobs
    enqueue_job(queue: "a")
    enqueue_job(queue: "a")
    enqueue_job(queue: "b", type: "other")
    assert_equal 3, client.count_jobs
    assert_equal 2, client.count_jobs(queue: "a")
    assert_equal 1, client.count_jobs(type: %w[other], status: "ready")
    assert_raises(ArgumentError) { client.count_jobs(limit: 1) }
  end

  def test_empty_filters_match_nothing_without_a_request
    enqueue_job
    before = server.requests if server.own?
    page = client.list_jobs(queue: [])
    assert_empty page.items
    refute page.has_next?
    assert_equal 0, client.count_jobs(status: [])
    assert_equal 0, client.count_jobs(id: "")
    assert_equal 0, client.delete_all_jobs(where: { type: [] })
    assert_equal 0, client.update_all_jobs(where: { queue: [] }, apply: { priority: 1 })
    assert_equal before, server.requests, "no request may reach the server" if server.own?
    assert_equal 1, client.count_jobs
  end

  def test_delete_job_and_delete_all_jobs
    a = enqueue_job(queue: "a")
    enqueue_job(queue: "b", payload: { "n" => 1 })
    enqueue_job(queue: "b", payload: { "n" => 2 })
    assert_nil client.delete_job(a.id)
    assert_raises(Zizq::NotFoundError) { client.delete_job(a.id) }
    assert_equal 1, client.delete_all_jobs(where: { queue: "b", filter: ".n == 1" })
    assert_equal 1, client.count_jobs
    enqueue_job
    assert_equal 2, client.delete_all_jobs
    assert_raises(ArgumentError) { client.delete_all_jobs(where: { colour: "red" }) }
  end

  def test_update_job_unchanged_and_reset
    job = enqueue_job(priority: 7, retry_limit: 4, backoff: { exponent: 1.0, base: 1, jitter: 0 },
                      retention: { completed: 5, dead: 6 })
    untouched = client.update_job(job.id)
    assert_equal [7, 4], [untouched.priority, untouched.retry_limit]

    later = Time.now + 900
    updated = client.update_job(job.id, queue: "moved", priority: 1, ready_at: later,
                                        backoff: { exponent: 3, base: 0.5, jitter: 0.25 },
                                        retention: { dead: 60 })
    assert_equal ["moved", 1, "scheduled", 4], [updated.queue, updated.priority, updated.status, updated.retry_limit]
    assert_in_delta later.to_f, updated.ready_at, 0.001
    assert_equal({ exponent: 3.0, base: 0.5, jitter: 0.25 }, updated.backoff)
    assert_equal({ completed: 5.0, dead: 60.0 }, updated.retention)

    reset = client.update_job(job.id, ready_at: Zizq::RESET, retry_limit: Zizq::RESET,
                                      backoff: Zizq::RESET, retention: Zizq::RESET)
    assert_equal "ready", reset.status
    assert_nil reset.retry_limit
    assert_nil reset.backoff
    assert_nil reset.retention
    assert_equal "moved", reset.queue
  end

  def test_update_job_refuses_to_reset_queue_or_priority
    job = enqueue_job
    assert_raises(ArgumentError) { client.update_job(job.id, queue: nil) }
    assert_raises(ArgumentError) { client.update_job(job.id, priority: Zizq::RESET) }
    assert_raises(ArgumentError) { client.update_job(job.id, colour: "red") }
    assert_raises(Zizq::NotFoundError) { client.update_job("0000000000000000000000000", priority: 1) }
    assert_equal "Zizq::UNCHANGED", Zizq::UNCHANGED.inspect
    assert_equal "Zizq::RESET", Zizq::RESET.inspect
  end

  def test_update_all_jobs
    enqueue_job(queue: "a", retry_limit: 2)
    enqueue_job(queue: "a", retry_limit: 2)
    enqueue_job(queue: "b", retry_limit: 2)
    assert_equal 2, client.update_all_jobs(where: { queue: "a" }, apply: { priority: 9, retry_limit: Zizq::RESET })
    assert_equal [9, 9, 32_768], client.list_jobs.map(&:priority)
    assert_equal [nil, nil, 2], client.list_jobs.map(&:retry_limit)
    assert_equal 3, client.update_all_jobs(apply: { ready_at: Time.now + 60 })
    assert_equal 3, client.count_jobs(status: "scheduled")
    assert_raises(ArgumentError) { client.update_all_jobs(apply: { colour: "red" }) }
    error = assert_raises(Zizq::ClientError) do
      client.update_all_jobs(where: { status: "completed" }, apply: { priority: 1 })
    end
    assert_equal 422, error.status
  end

  def test_job_page_bulk_helpers
    3.times { enqueue_job(queue: "a") }
    enqueue_job(queue: "b")
    page = client.list_jobs(queue: "a", limit: 2)
    assert_equal 2, page.update_all(priority: 3)
    assert_equal [3, 3, 32_768, 32_768], client.list_jobs.map(&:priority)
    assert_equal 2, page.delete_all
    assert_equal 2, client.count_jobs
    empty = client.list_jobs(queue: "none")
    assert_equal 0, empty.delete_all
  end

  def test_erase_all_data
    enqueue_job
    assert_nil client.erase_all_data
    assert_equal 0, client.count_jobs
  end
end

# frozen_string_literal: true

require_relative "test_helper"

# Acks, nacks and the error history of jobs.
class ClientOutcomesTest < ZizqTest
  def test_report_success_and_ack_alias
    enqueue_job
    enqueue_job
    first, second = take(2)
    assert_equal "in_flight", first.status
    assert_nil client.report_success(first.id)
    assert_nil client.ack(second.id)
    assert_equal 0, client.count_jobs, "completed jobs are not retained by default"
    error = assert_raises(Zizq::NotFoundError) { client.ack(first.id) }
    assert_match(/in-flight/, error.message)
  end

  def test_bulk_ack_ignores_unknown_ids
    3.times { enqueue_job }
    jobs = take(3)
    assert_nil client.report_success_bulk([jobs[0].id, "0000000000000000000000000"])
    assert_nil client.ack_bulk(jobs[1..].map(&:id) + [jobs[0].id])
    assert_equal 0, client.count_jobs
    error = assert_raises(Zizq::ClientError) { client.ack_bulk([]) }
    assert_equal 400, error.status
  end

  def test_report_failure_with_retry_at_and_details
    enqueue_job
    job = take(1).first
    retry_at = Time.now + 600
    failed = client.report_failure(job.id, message: "boom", error_type: "RuntimeError",
                                           backtrace: "a.rb:1\nb.rb:2", retry_at: retry_at)
    assert_equal ["scheduled", 1], [failed.status, failed.attempts]
    assert_in_delta retry_at.to_f, failed.ready_at, 0.001
    assert_instance_of Float, failed.failed_at

    record = client.get_error(job.id, attempt: 1)
    assert_instance_of Zizq::Resources::ErrorRecord, record
    assert_equal [1, "boom", "RuntimeError", "a.rb:1\nb.rb:2"],
                 [record.attempt, record.message, record.error_type, record.backtrace]
    assert_instance_of Float, record.failed_at
    assert_instance_of Float, record.dequeued_at
    assert_raises(Zizq::NotFoundError) { client.get_error(job.id, attempt: 2) }
  end

  def test_nack_alias_kill_and_minimal_body
    enqueue_job
    job = take(1).first
    dead = client.nack(job.id, message: "fatal", kill: true)
    assert_equal "dead", dead.status
    record = client.list_errors(job.id).first
    assert_nil record.error_type
    assert_nil record.backtrace
    assert_raises(ArgumentError) { client.nack(job.id, message: "x", colour: "red") }
  end

  def test_list_errors_pages
    enqueue_job(retry_limit: 10)
    taker = start_taker(prefetch: 1)
    4.times do |attempt|
      job = taker.pop.first
      client.report_failure(job.id, message: "failure #{attempt + 1}", retry_at: Time.now.to_f - 1)
    end
    job_id = client.list_jobs.first.id
    page = client.list_errors(job_id, limit: 3)
    assert_instance_of Zizq::Resources::ErrorPage, page
    assert_equal [1, 2, 3], page.map(&:attempt)
    assert_equal page.items, page.errors
    assert page.has_next?
    rest = page.next_page
    assert_equal [4], rest.map(&:attempt)
    assert_equal [3, 2, 1], rest.prev_page.map(&:attempt)
    assert_equal [4, 3], client.list_errors(job_id, order: :desc, limit: 2).map(&:attempt)
    assert_equal [3, 4], client.list_errors(job_id, from: 2).map(&:attempt)
    assert_raises(Zizq::NotFoundError) { client.list_errors("0000000000000000000000000") }
  end

  def test_job_resource_actions
    enqueue_job(payload: { "a" => 1 })
    enqueue_job(payload: { "a" => 2 })
    first, second = take(2)
    assert_equal({ "a" => 1 }, first.payload)
    assert_instance_of Float, first.dequeued_at
    assert_same client, first.client

    failed = first.fail!(message: "nope", retry_at: Time.now + 300)
    assert_equal "scheduled", failed.status
    assert_equal ["nope"], first.errors.map(&:message)
    assert_nil second.complete!

    updated = failed.update(priority: 2)
    assert_equal 2, updated.priority
    assert_equal 2, failed.priority, "update refreshes the receiver"
    assert_nil failed.delete
    assert_equal 0, client.count_jobs
  end
end

"""Acks, nacks and the error history of jobs."""

import time

from .support import for_each_format, zizq

MISSING_ID = "0000000000000000000000000"


@for_each_format(globals())
class OutcomesTests:
    def test_report_success_and_ack_alias(self):
        self.enqueue_job()
        self.enqueue_job()
        first, second = self.take(2)
        self.assertEqual("in_flight", first.status)
        self.assertIsNone(self.client.report_success(first.id))
        self.assertIsNone(self.client.ack(second.id))
        self.assertEqual(0, self.client.count_jobs(), "completed jobs are not retained by default")
        with self.assertRaises(zizq.NotFoundError) as caught:
            self.client.ack(first.id)
        self.assertRegex(str(caught.exception), "in-flight")

    def test_bulk_ack_ignores_unknown_ids(self):
        for _ in range(3):
            self.enqueue_job()
        jobs = self.take(3)
        self.assertIsNone(self.client.report_success_bulk([jobs[0].id, MISSING_ID]))
        self.assertIsNone(self.client.ack_bulk([job.id for job in jobs[1:]] + [jobs[0].id]))
        self.assertEqual(0, self.client.count_jobs())
        with self.assertRaises(zizq.ClientError) as caught:
            self.client.ack_bulk([])
        self.assertEqual(400, caught.exception.status)

    def test_report_failure_with_retry_at_and_details(self):
        self.enqueue_job()
        job = self.take(1)[0]
        retry_at = time.time() + 600
        failed = self.client.report_failure(job.id, message="boom", error_type="RuntimeError",
                                            backtrace="a.py:1\nb.py:2", retry_at=retry_at)
        self.assertEqual(["scheduled", 1], [failed.status, failed.attempts])
        self.assertAlmostEqual(retry_at, failed.ready_at, delta=0.001)
        self.assertIsInstance(failed.failed_at, float)

        record = self.client.get_error(job.id, attempt=1)
        self.assertIsInstance(record, zizq.ErrorRecord)
        self.assertEqual([1, "boom", "RuntimeError", "a.py:1\nb.py:2"],
                         [record.attempt, record.message, record.error_type, record.backtrace])
        self.assertIsInstance(record.failed_at, float)
        self.assertIsInstance(record.dequeued_at, float)
        with self.assertRaises(zizq.NotFoundError):
            self.client.get_error(job.id, attempt=2)
        with self.assertRaises(ValueError):
            self.client.get_error(job.id, attempt=-1)

    def test_nack_alias_kill_and_minimal_body(self):
        self.enqueue_job()
        job = self.take(1)[0]
        dead = self.client.nack(job.id, message="fatal", kill=True)
        self.assertEqual("dead", dead.status)
        record = self.client.list_errors(job.id).items[0]
        self.assertIsNone(record.error_type)
        self.assertIsNone(record.backtrace)
        with self.assertRaises(TypeError):
            self.client.nack(job.id, message="x", colour="red")

    def test_list_errors_pages(self):
        self.enqueue_job(retry_limit=10)
        taker = self.start_taker(prefetch=1)
        for attempt in range(4):
            job = taker.pop()[0]
            self.client.report_failure(job.id, message=f"failure {attempt + 1}",
                                       retry_at=time.time() - 1)
        job_id = self.client.list_jobs().items[0].id
        page = self.client.list_errors(job_id, limit=3)
        self.assertIsInstance(page, zizq.ErrorPage)
        self.assertEqual([1, 2, 3], [e.attempt for e in page])
        self.assertEqual(page.items, page.errors)
        self.assertTrue(page.has_next)
        rest = page.next_page()
        self.assertEqual([4], [e.attempt for e in rest])
        self.assertEqual([3, 2, 1], [e.attempt for e in rest.prev_page()])
        self.assertEqual([4, 3], [e.attempt for e in self.client.list_errors(job_id, order="desc",
                                                                             limit=2)])
        self.assertEqual([3, 4], [e.attempt for e in self.client.list_errors(job_id, from_=2)])
        with self.assertRaises(zizq.NotFoundError):
            self.client.list_errors(MISSING_ID)

    def test_job_resource_actions(self):
        self.enqueue_job(payload={"a": 1})
        self.enqueue_job(payload={"a": 2})
        first, second = self.take(2)
        self.assertEqual({"a": 1}, first.payload)
        self.assertIsInstance(first.dequeued_at, float)
        self.assertIs(self.client, first.client)

        failed = first.fail(message="nope", retry_at=time.time() + 300)
        self.assertEqual("scheduled", failed.status)
        self.assertEqual(["nope"], [e.message for e in first.errors()])
        self.assertIsNone(second.complete())

        updated = failed.update(priority=2)
        self.assertEqual(2, updated.priority)
        self.assertEqual(2, failed.priority, "update refreshes the receiver")
        self.assertIsNone(failed.delete())
        self.assertEqual(0, self.client.count_jobs())

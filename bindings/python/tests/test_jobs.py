"""Enqueue, queries, pagination, updates and deletes."""

import collections
import datetime
import time

from .support import for_each_format, zizq

MISSING_ID = "0000000000000000000000000"


@for_each_format(globals())
class JobsTests:
    def test_constants_url_and_format(self):
        self.assertEqual({"msgpack": "application/msgpack", "json": "application/json"},
                         zizq.Client.CONTENT_TYPES)
        self.assertEqual("application/x-ndjson", zizq.Client.STREAM_ACCEPT["json"])
        with_slash = self.new_client(url=self.server.url + "/")
        self.assertEqual(self.server.url, with_slash.url)
        self.assertEqual(self.FORMAT, self.client.format)
        with zizq.Client(self.server.url) as default:
            self.assertEqual("msgpack", default.format)
        with self.assertRaises(ValueError):
            zizq.Client(self.server.url, format="xml")
        self.assertIn(self.server.url, repr(self.client))

    def test_enqueue_with_every_option_and_time_conversions(self):
        ready_at = time.time() + 3600
        job = self.client.enqueue(queue="emails", type="send", payload={"to": "ada"}, priority=5,
                                  ready_at=ready_at, retry_limit=3,
                                  backoff={"exponent": 2.0, "base_ms": 1500, "jitter_ms": 250},
                                  retention={"completed_ms": 60000, "dead_ms": 120000})
        self.assertIsInstance(job, zizq.Job)
        self.assertRegex(job.id, r"\A[0-9a-z]{25}\Z")
        self.assertEqual(["emails", "send", 5, "scheduled", 3, 0],
                         [job.queue, job.type, job.priority, job.status, job.retry_limit,
                          job.attempts])
        self.assertAlmostEqual(ready_at, job.ready_at, delta=0.001)
        self.assertIsInstance(job.ready_at, float)
        self.assertEqual({"exponent": 2.0, "base": 1.5, "jitter": 0.25}, job.backoff)
        self.assertEqual({"completed": 60.0, "dead": 120.0}, job.retention)
        self.assertFalse(job.duplicate)
        self.assertFalse(job.folded)
        self.assertIsNone(job.payload, "enqueue answers omit the payload")

        fetched = self.client.get_job(job.id)
        self.assertEqual({"to": "ada"}, fetched.payload)
        self.assertEqual(job.id, fetched.to_dict()["id"])
        self.assertEqual(job.id, fetched["id"])
        self.assertIn(job.id, repr(fetched))

    def test_enqueue_accepts_seconds_shapes_datetimes_and_floats(self):
        job = self.enqueue_job(ready_at=time.time() - 1,
                               backoff={"exponent": 1, "base": 2, "jitter": 0.5},
                               retention={"completed": 10})
        self.assertEqual("ready", job.status)
        self.assertEqual({"exponent": 1.0, "base_ms": 2000, "jitter_ms": 500},
                         job.to_dict()["backoff"])
        self.assertEqual({"completed_ms": 10000}, job.to_dict()["retention"])
        later = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)
        scheduled = self.enqueue_job(ready_at=later)
        self.assertEqual("scheduled", scheduled.status)
        self.assertAlmostEqual(later.timestamp(), scheduled.ready_at, delta=0.001)

    def test_enqueue_payload_shapes_and_unknown_keyword(self):
        self.assertIsNone(self.client.get_job(self.enqueue_job(payload=None).id).payload)
        job = self.enqueue_job(payload={"s": b"read from a socket", "u": "caf\u00e9 \u2603",
                                        "big": 2**53, "neg": -7, "f": 0.1, "t": (1, 2)})
        self.assertEqual({"s": "read from a socket", "u": "caf\u00e9 \u2603", "big": 2**53,
                          "neg": -7, "f": 0.1, "t": [1, 2]}, self.client.get_job(job.id).payload)
        with self.assertRaises(TypeError):
            self.client.enqueue(queue="q", type="t", payload=1, colour="red")
        with self.assertRaises(TypeError):
            self.client.enqueue(queue="q", type="t", payload=object())
        with self.assertRaises(ValueError):
            self.client.enqueue(queue="q", type="t", payload=float("nan"))

    def test_unique_jobs_duplicate_or_forbidden_on_free_tier(self):
        if not self.pro:
            self.assert_forbidden(lambda: self.enqueue_job(unique_key="k1"))
            return
        first = self.enqueue_job(unique_key="k1", unique_while="active")
        second = self.enqueue_job(unique_key="k1", unique_while="active")
        self.assertFalse(first.duplicate)
        self.assertTrue(second.duplicate)
        self.assertEqual(first.id, second.id)
        self.assertEqual("active", self.client.get_job(first.id).unique_while)
        self.assertEqual("k1", first.unique_key)

    def test_enqueue_bulk(self):
        jobs = self.client.enqueue_bulk(jobs=[
            {"queue": "a", "type": "t", "payload": 1},
            {"queue": "b", "type": "t", "payload": [2], "priority": 1,
             "ready_at": time.time() + 60},
        ])
        self.assertEqual(["a", "b"], [job.queue for job in jobs])
        self.assertEqual(["ready", "scheduled"], [job.status for job in jobs])
        self.assertEqual([], self.client.enqueue_bulk(jobs=[]))
        with self.assertRaises(ValueError):
            self.client.enqueue_bulk(jobs=[{"queue": "a", "type": "t"}])
        with self.assertRaises(ValueError):
            self.client.enqueue_bulk(jobs=[{"queue": "a", "type": "t", "payload": 1, "x": 2}])

    def test_get_job_not_found(self):
        with self.assertRaises(zizq.NotFoundError) as caught:
            self.client.get_job(MISSING_ID)
        error = caught.exception
        self.assertEqual(404, error.status)
        self.assertEqual({"error": "job not found"}, error.body)
        self.assertEqual("job not found", str(error))
        self.assertIsInstance(error, zizq.ClientError)
        self.assertIsInstance(error, zizq.ResponseError)
        self.assertIsInstance(error, zizq.Error)

    def test_jobs_are_equal_and_hash_alike_by_id(self):
        job = self.client.enqueue(queue="eq", type="t", payload=1)
        other = self.client.enqueue(queue="eq", type="t", payload=1)
        fetched = self.client.get_job(job.id)
        updated = self.client.update_job(job.id, priority=7)
        self.assertEqual(7, updated.priority)
        self.assertEqual(job, fetched)
        self.assertEqual(job, updated, "another snapshot of the same job is the same job")
        self.assertNotEqual(job, other)
        self.assertEqual(hash(job), hash(updated))
        self.assertEqual({job.id: 2, other.id: 1},
                         {j.id: n for j, n in collections.Counter([job, fetched, other]).items()})
        self.assertNotEqual(job, job.to_dict())
        page = self.client.list_jobs(queue="eq")
        self.assertEqual(page, self.client.list_jobs(queue="eq"), "other resources: by document")
        with self.assertRaises(TypeError):
            hash(page)

    def test_ids_and_names_are_percent_encoded(self):
        with self.assertRaises(zizq.NotFoundError):
            self.client.get_job("a/b?c d#e")
        with self.assertRaises(ValueError):
            self.client.get_job("nul\0byte")
        job = self.enqueue_job(queue="with space/and slash")
        self.assertEqual(["with space/and slash"], self.client.get_queues())
        found = self.client.list_jobs(queue="with space/and slash")
        self.assertEqual([job.id], [j.id for j in found])

    def test_list_jobs_filters(self):
        a = self.enqueue_job(queue="a", type="x", payload={"user": 1})
        b = self.enqueue_job(queue="b", type="y", payload={"user": 2})
        c = self.enqueue_job(queue="c", type="x", payload={"user": 3}, ready_at=time.time() + 600)

        def ids(**filters):
            return [job.id for job in self.client.list_jobs(**filters)]

        self.assertEqual([a.id, b.id, c.id], ids())
        self.assertEqual([a.id, c.id], ids(type="x"))
        self.assertEqual([a.id, b.id], ids(queue=["a", "b"]))
        self.assertEqual([c.id], ids(status=["scheduled"]))
        self.assertEqual([b.id], ids(filter=".user == 2"))
        self.assertEqual([a.id, b.id], ids(id=[a.id, b.id]))
        self.assertEqual([c.id, b.id], ids(order="desc", limit=2))
        self.assertEqual([c.id], ids(from_=b.id))
        self.assertEqual([c.id], ids(**{"from": b.id}))
        with self.assertRaises(TypeError):
            self.client.list_jobs(colour="red")
        page = self.client.list_jobs()
        self.assertEqual(page.items, page.jobs)
        self.assertEqual(3, len(page))
        self.assertEqual(a.id, page[0].id)
        self.assertEqual([b.id, c.id], [job.id for job in page[1:]])
        self.assertIn("self", page["pages"])
        self.assertIsInstance(page, zizq.JobPage)

    def test_pagination_across_pages(self):
        ids = [self.enqueue_job(payload=n).id for n in range(5)]
        first = self.client.list_jobs(limit=2)
        self.assertTrue(first.has_next)
        self.assertFalse(first.has_prev)
        self.assertIsNone(first.prev_page())
        second = first.next_page()
        self.assertIsInstance(second, zizq.JobPage)
        self.assertTrue(second.has_prev)
        third = second.next_page()
        self.assertFalse(third.has_next)
        self.assertIsNone(third.next_page())
        self.assertEqual(ids, [job.id for page in (first, second, third) for job in page])
        # The previous page comes nearest-first (the server reverses the order).
        self.assertEqual(list(reversed(ids[:2])), [job.id for job in second.prev_page()])

    def test_count_jobs(self):
        self.enqueue_job(queue="a")
        self.enqueue_job(queue="a")
        self.enqueue_job(queue="b", type="other")
        self.assertEqual(3, self.client.count_jobs())
        self.assertEqual(2, self.client.count_jobs(queue="a"))
        self.assertEqual(1, self.client.count_jobs(type=["other"], status="ready"))
        with self.assertRaises(TypeError):
            self.client.count_jobs(limit=1)

    def test_empty_filters_match_nothing_without_a_request(self):
        self.enqueue_job()
        before = self.server.requests() if self.server.own else None
        page = self.client.list_jobs(queue=[])
        self.assertEqual([], page.items)
        self.assertFalse(page.has_next)
        self.assertEqual(0, self.client.count_jobs(status=[]))
        self.assertEqual(0, self.client.count_jobs(id=""))
        self.assertEqual(0, self.client.delete_all_jobs(where={"type": []}))
        self.assertEqual(0, self.client.update_all_jobs(where={"queue": []},
                                                        apply={"priority": 1}))
        if self.server.own:
            self.assertEqual(before, self.server.requests(), "no request may reach the server")
        self.assertEqual(1, self.client.count_jobs())

    def test_delete_job_and_delete_all_jobs(self):
        a = self.enqueue_job(queue="a")
        self.enqueue_job(queue="b", payload={"n": 1})
        self.enqueue_job(queue="b", payload={"n": 2})
        self.assertIsNone(self.client.delete_job(a.id))
        with self.assertRaises(zizq.NotFoundError):
            self.client.delete_job(a.id)
        self.assertEqual(1, self.client.delete_all_jobs(where={"queue": "b", "filter": ".n == 1"}))
        self.assertEqual(1, self.client.count_jobs())
        self.enqueue_job()
        self.assertEqual(2, self.client.delete_all_jobs())
        with self.assertRaises(ValueError):
            self.client.delete_all_jobs(where={"colour": "red"})

    def test_update_job_unchanged_and_reset(self):
        job = self.enqueue_job(priority=7, retry_limit=4,
                               backoff={"exponent": 1.0, "base": 1, "jitter": 0},
                               retention={"completed": 5, "dead": 6})
        untouched = self.client.update_job(job.id)
        self.assertEqual([7, 4], [untouched.priority, untouched.retry_limit])
        explicit = self.client.update_job(job.id, priority=zizq.UNCHANGED)
        self.assertEqual(7, explicit.priority)

        later = time.time() + 900
        updated = self.client.update_job(job.id, queue="moved", priority=1, ready_at=later,
                                          backoff={"exponent": 3, "base": 0.5, "jitter": 0.25},
                                          retention={"dead": 60})
        self.assertEqual(["moved", 1, "scheduled", 4],
                         [updated.queue, updated.priority, updated.status, updated.retry_limit])
        self.assertAlmostEqual(later, updated.ready_at, delta=0.001)
        self.assertEqual({"exponent": 3.0, "base": 0.5, "jitter": 0.25}, updated.backoff)
        self.assertEqual({"completed": 5.0, "dead": 60.0}, updated.retention)

        reset = self.client.update_job(job.id, ready_at=zizq.RESET, retry_limit=zizq.RESET,
                                       backoff=zizq.RESET, retention=zizq.RESET)
        self.assertEqual("ready", reset.status)
        self.assertIsNone(reset.retry_limit)
        self.assertIsNone(reset.backoff)
        self.assertIsNone(reset.retention)
        self.assertEqual("moved", reset.queue)

        refreshed = self.client.get_job(job.id)
        self.assertEqual(2, refreshed.update(priority=2).priority)
        self.assertEqual(2, refreshed.priority, "Job.update refreshes the object")

    def test_update_job_refuses_to_reset_queue_or_priority(self):
        job = self.enqueue_job()
        with self.assertRaises(ValueError):
            self.client.update_job(job.id, queue=None)
        with self.assertRaises(ValueError):
            self.client.update_job(job.id, priority=zizq.RESET)
        with self.assertRaises(TypeError):
            self.client.update_job(job.id, colour="red")
        with self.assertRaises(zizq.NotFoundError):
            self.client.update_job(MISSING_ID, priority=1)
        self.assertEqual("zizq.UNCHANGED", repr(zizq.UNCHANGED))
        self.assertEqual("zizq.RESET", repr(zizq.RESET))

    def test_update_all_jobs(self):
        self.enqueue_job(queue="a", retry_limit=2)
        self.enqueue_job(queue="a", retry_limit=2)
        self.enqueue_job(queue="b", retry_limit=2)
        self.assertEqual(2, self.client.update_all_jobs(
            where={"queue": "a"}, apply={"priority": 9, "retry_limit": zizq.RESET}))
        self.assertEqual([9, 9, 32768], [job.priority for job in self.client.list_jobs()])
        self.assertEqual([None, None, 2], [job.retry_limit for job in self.client.list_jobs()])
        self.assertEqual(3, self.client.update_all_jobs(apply={"ready_at": time.time() + 60}))
        self.assertEqual(3, self.client.count_jobs(status="scheduled"))
        self.assertEqual(3, self.client.update_all_jobs(apply={"priority": zizq.UNCHANGED,
                                                               "retention": {"dead": 5}}))
        with self.assertRaises(ValueError):
            self.client.update_all_jobs(apply={"colour": "red"})
        with self.assertRaises(zizq.ClientError) as caught:
            self.client.update_all_jobs(where={"status": "completed"}, apply={"priority": 1})
        self.assertEqual(422, caught.exception.status)

    def test_job_page_bulk_helpers(self):
        for _ in range(3):
            self.enqueue_job(queue="a")
        self.enqueue_job(queue="b")
        page = self.client.list_jobs(queue="a", limit=2)
        self.assertEqual(2, page.update_all(priority=3))
        self.assertEqual([3, 3, 32768, 32768], [job.priority for job in self.client.list_jobs()])
        self.assertEqual(2, page.delete_all())
        self.assertEqual(2, self.client.count_jobs())
        self.assertEqual(0, self.client.list_jobs(queue="none").delete_all())

    def test_erase_all_data(self):
        self.enqueue_job()
        self.assertIsNone(self.client.erase_all_data())
        self.assertEqual(0, self.client.count_jobs())

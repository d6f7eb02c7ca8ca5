"""zizq.Worker on the core's worker loop."""

import queue
import threading
import time

from .support import for_each_format, zizq


@for_each_format(globals())
class WorkerTests:
    def start_worker(self, handler, threads=2, prefetch=None, **options):
        worker = zizq.Worker(self.client, threads=threads, prefetch=prefetch, handler=handler,
                             **options)
        self.addCleanup(worker.stop)
        return worker.start()

    def test_hundreds_of_jobs_with_failures(self):
        total = 300
        jobs = self.client.enqueue_bulk(jobs=[
            {"queue": "work", "type": "calc", "payload": {"n": n}} for n in range(total)])
        handled = []
        lock = threading.Lock()

        def handler(job):
            with lock:
                handled.append(job.id)
            if job.payload["n"] % 10 == 0:
                raise ValueError(f"bad n={job.payload['n']}")

        worker = self.start_worker(handler, threads=4, queues=["work"])
        self.wait_until(lambda: len(handled) >= total, timeout=20)
        self.assertTrue(worker.stop())
        self.assertEqual(sorted(job.id for job in jobs), sorted(handled))
        stats = worker.stats()
        self.assertEqual(["stopped", total - 30, 30, 0],
                         [stats["state"], stats["acked"], stats["nacked"],
                          stats["pending_acks"]])
        # Failed jobs wait for their retry; the others are completed.
        self.assertEqual(30, self.client.count_jobs(status="scheduled"))
        self.assertEqual(30, self.client.count_jobs())
        failed = self.client.list_jobs(queue="work", limit=1).items[0]
        record = failed.errors().items[0]
        self.assertEqual("ValueError", record.error_type)
        self.assertEqual("ValueError: bad n=0", record.message)
        self.assertIn("Traceback (most recent call last)", record.backtrace)
        self.assertRegex(record.backtrace, r"test_worker\.py\", line \d+, in handler")

    def test_handles_and_acks_every_job(self):
        ids = [self.enqueue_job(payload={"n": n}).id for n in range(30)]
        handled = queue.Queue()
        worker = self.start_worker(handled.put, threads=3)
        self.wait_until(lambda: handled.qsize() == 30)
        self.assertTrue(worker.stop())
        jobs = [handled.get() for _ in range(30)]
        self.assertEqual(sorted(ids), sorted(job.id for job in jobs))
        self.assertTrue(all(isinstance(job, zizq.Job) and job.status == "in_flight"
                            for job in jobs))
        self.assertEqual(0, self.client.count_jobs())
        stats = worker.stats()
        self.assertEqual(["stopped", 30, 0], [stats["state"], stats["acked"],
                                              stats["pending_acks"]])

    def test_every_thread_runs_a_handler_at_once(self):
        # Handlers that wait for each other finish only if a job handed to
        # one thread never waits for another thread's handler: the threads
        # take turns waiting for jobs, not running them.
        threads = 4
        for n in range(threads):
            self.enqueue_job(payload={"n": n})
        everyone = threading.Barrier(threads, timeout=10)
        met = []
        worker = self.start_worker(lambda job: met.append(everyone.wait()), threads=threads)
        self.wait_until(lambda: len(met) == threads)
        self.assertTrue(worker.stop())
        self.assertEqual(threads, worker.stats()["acked"])

    def test_retry_chooses_the_retry_time_and_reports_its_cause(self):
        job = self.enqueue_job()

        def handler(job):
            try:
                {}["missing"]
            except KeyError as exc:
                raise zizq.Retry(after=3600) from exc

        worker = self.start_worker(handler)
        record = self.wait_until(lambda: next(iter(self.client.list_errors(job.id)), None))
        self.assertTrue(worker.stop())
        self.assertEqual("KeyError", record.error_type)
        self.assertEqual("KeyError: 'missing'", record.message)
        retried = self.client.get_job(job.id)
        self.assertEqual("scheduled", retried.status)
        self.assertAlmostEqual(time.time() + 3600, retried.ready_at, delta=30)

    def test_retry_at_and_kill(self):
        soon = self.enqueue_job(type="soon")
        doomed = self.enqueue_job(type="doomed", retry_limit=100)
        at = time.time() + 7200

        def handler(job):
            if job.type == "soon":
                raise zizq.Retry(at=at)
            raise zizq.Kill("not worth it")

        worker = self.start_worker(handler)
        self.wait_until(lambda: self.client.count_jobs(status=["scheduled", "dead"]) == 2)
        self.assertTrue(worker.stop())
        self.assertAlmostEqual(at, self.client.get_job(soon.id).ready_at, delta=0.001)
        dead = self.client.get_job(doomed.id)
        self.assertEqual("dead", dead.status)
        record = dead.errors().items[0]
        self.assertEqual(["zizq.Kill", "zizq.Kill: not worth it"],
                         [record.error_type, record.message])

    def test_stop_waits_for_running_handlers_and_flushes_their_acks(self):
        for _ in range(5):
            self.enqueue_job()
        started = queue.Queue()
        release = threading.Event()

        def handler(job):
            started.put(job)
            release.wait(10)

        worker = self.start_worker(handler, threads=2, prefetch=2)
        self.wait_until(lambda: started.qsize() == 2)
        result = []
        stopping = threading.Thread(target=lambda: result.append(worker.stop()))
        stopping.start()
        self.wait_until(lambda: worker.stats()["state"] == "stopping")
        release.set()
        stopping.join(10)
        self.assertEqual([True], result)
        self.assertEqual(2, worker.stats()["acked"])
        self.assertEqual(3, self.client.count_jobs())
        self.wait_until(lambda: self.client.count_jobs(status="ready") == 3)

    def test_prefetch_defaults_to_twice_the_threads(self):
        # libzizq derives the window from the thread count: with every
        # handler busy, the server sends 2 x threads jobs and keeps the rest.
        for _ in range(10):
            self.enqueue_job()
        release = threading.Event()
        worker = self.start_worker(lambda job: release.wait(10), threads=2)
        self.addCleanup(release.set)
        self.wait_until(lambda: worker.stats()["taken"] == 4
                        and self.client.count_jobs(status="ready") == 6)
        release.set()
        self.assertTrue(worker.stop())

    def test_failed_ack_requests_are_retried_before_stop_returns(self):
        self.require_own_server()
        self.server.faults(fail_requests={"status": 503, "count": 2, "method": "POST",
                                          "path": "/jobs/success"})
        handled = queue.Queue()
        for _ in range(4):
            self.enqueue_job()
        worker = self.start_worker(handled.put, options={"backoff_min_ms": 20})
        self.wait_until(lambda: handled.qsize() == 4)
        self.assertTrue(worker.stop())
        self.assertEqual(0, self.client.count_jobs())
        self.assertEqual(4, worker.stats()["acked"])
        self.assertIsNone(self.server.state()["faults"].get("fail_requests"))

    def test_reconnects_after_the_server_drops_the_stream(self):
        self.require_own_server()
        handled = queue.Queue()
        worker = self.start_worker(handled.put, options={"backoff_min_ms": 20})
        self.enqueue_job()
        self.wait_until(lambda: handled.qsize() == 1)
        self.wait_until(lambda: self.server.close_streams() == 1)
        second = self.enqueue_job()
        # At least once: when the stream closes before the first job's ack is
        # delivered, the server requeues that job (the ack counts as stale)
        # and it is handled again after the reconnect.
        seen = []
        self.wait_until(lambda: (seen.extend(job.id for job in _drain(handled))
                                 or second.id in seen))
        self.assertTrue(worker.stop())
        self.assertGreaterEqual(worker.stats()["reconnects"], 1)
        self.assertEqual(0, self.client.count_jobs())

    def test_stop_timeout_leaves_the_job_to_the_server(self):
        job = self.enqueue_job()
        release = threading.Event()
        started = threading.Event()

        def handler(job):
            started.set()
            release.wait(10)

        worker = self.start_worker(handler, threads=1)
        started.wait(5)
        self.assertFalse(worker.stop(timeout=0.2), "a handler is still running")
        release.set()
        self.wait_until(lambda: self.client.get_job(job.id).status == "ready")

    def test_run_blocks_until_stopped_from_another_thread(self):
        self.enqueue_job()
        handled = queue.Queue()
        worker = zizq.Worker(self.client, threads=1, queues=["default"], worker_id="w1",
                             handler=handled.put)
        running = threading.Thread(target=worker.run)
        running.start()
        self.wait_until(lambda: handled.qsize() == 1)
        self.assertTrue(running.is_alive())
        self.assertTrue(worker.stop())
        running.join(5)
        self.assertFalse(running.is_alive())
        self.assertTrue(worker.stop(), "stop is idempotent")

    def test_run_raises_when_the_server_refuses_the_stream(self):
        self.require_own_server()
        self.server.faults(fail_requests={"status": 403, "path": "/jobs/take"})
        worker = zizq.Worker(self.client, threads=2, handler=lambda job: None)
        with self.assertRaises(zizq.StreamError) as caught:
            worker.run()
        self.assertRegex(str(caught.exception), "403")
        self.assertEqual("stopped", worker.stats()["state"])

    def test_arguments_and_context_manager(self):
        with self.assertRaises(TypeError):
            zizq.Worker(self.client)
        with self.assertRaises(ValueError):
            zizq.Worker(self.client, threads=0, handler=print)
        for client, threads in ((None, 1), (self.client.url, 1), (self.client, "2"),
                                (self.client, 2.5), (self.client, True)):
            with self.assertRaises(TypeError, msg=repr((client, threads))):
                zizq.Worker(client, threads=threads, handler=print)
        idle = zizq.Worker(self.client, handler=print)
        self.assertEqual({"state": "not started"}, idle.stats())
        self.assertTrue(idle.stop())
        started = self.start_worker(lambda job: None)
        with self.assertRaises(zizq.Error):
            started.start()
        self.assertTrue(started.stop())
        self.enqueue_job()
        handled = queue.Queue()
        with zizq.Worker(self.client, threads=1, handler=handled.put) as scoped:
            handled.get(timeout=5)
        self.assertEqual("stopped", scoped.stats()["state"])
        self.wait_until(lambda: self.client.count_jobs() == 0)

    def test_stop_from_a_handler_is_refused(self):
        self.enqueue_job()
        outcome = queue.Queue()
        holder = {}

        def handler(job):
            try:
                holder["worker"].stop()
            except zizq.Error as exc:
                outcome.put(exc)

        # Assigned before start: the handler may run before start() returns.
        holder["worker"] = zizq.Worker(self.client, threads=1, handler=handler)
        self.addCleanup(holder["worker"].stop)
        holder["worker"].start()
        self.assertRegex(str(outcome.get(timeout=5)), "handler")


def _drain(jobs):
    while True:
        try:
            yield jobs.get_nowait()
        except queue.Empty:
            return

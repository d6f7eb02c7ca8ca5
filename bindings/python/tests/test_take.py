"""take_jobs: delivery, callbacks, iteration, stopping, and streams that end or die."""

import threading

from .support import for_each_format, zizq


@for_each_format(globals())
class TakeTests:
    def test_callback_and_connect_hooks(self):
        self.enqueue_job(queue="a", payload={"x": 1})
        self.enqueue_job(queue="b", payload={"x": 2})
        events = []
        jobs = []

        def handle(job):
            jobs.append(job)
            return False  # stop

        result = self.client.take_jobs(handle, prefetch=5, queues=["b"], worker_id="py-test",
                                       on_connect=lambda: events.append("connect"),
                                       on_response=lambda r: events.append(r.status))
        self.assertIsNone(result)
        self.assertEqual(["connect", 200], events)
        self.assertEqual(1, len(jobs))
        job = jobs[0]
        self.assertIsInstance(job, zizq.Job)
        self.assertEqual(["b", "in_flight", {"x": 2}], [job.queue, job.status, job.payload])

    def test_iterator_and_leaving_the_loop_requeues(self):
        for n in range(3):
            self.enqueue_job(payload={"n": n})
        seen = []
        for job in self.client.take_jobs(prefetch=3):
            seen.append(job.payload["n"])
            if len(seen) == 1:
                job.complete()
            if len(seen) == 3:
                break
        self.assertEqual([0, 1, 2], seen)
        self.wait_until(lambda: self.client.count_jobs(status="ready") == 2)
        self.assertEqual(2, self.client.count_jobs())

    def test_prefetch_limits_unacknowledged_jobs(self):
        for _ in range(3):
            self.enqueue_job()
        taker = self.start_taker(prefetch=2)
        first, second = taker.pop(2)
        self.assertEqual(1, self.client.count_jobs(status="ready"))
        self.client.ack(first.id)
        third = taker.pop()[0]
        self.assertNotIn(third.id, [first.id, second.id])

    def test_close_from_another_thread_stops_take_jobs(self):
        self.enqueue_job()
        other = self.new_client()
        taker = self.start_taker(other)
        taker.pop(1)
        other.close()
        self.assertIsNone(taker.finish())
        with self.assertRaises(zizq.ConnectionError):
            other.take_jobs(lambda job: None)

    def test_cleanup_internal_clients_stops_streams_but_keeps_the_client(self):
        taker = self.start_taker()
        self.wait_for_open_stream()
        self.client.cleanup_internal_clients()
        self.assertIsNone(taker.finish())
        self.assertEqual({"status": "ok"}, self.client.health())

    def test_callback_exceptions_propagate_and_requeue(self):
        self.enqueue_job()

        def explode(job):
            raise KeyError("handler bug")

        with self.assertRaises(KeyError):
            self.client.take_jobs(explode)
        self.wait_until(lambda: self.client.count_jobs(status="ready") == 1)

    def test_stream_dropped_by_the_server_returns_and_requeues(self):
        self.require_own_server()
        self.enqueue_job()
        taker = self.start_taker()
        taker.pop(1)
        self.assertEqual(1, self.server.close_streams())
        self.assertIsNone(taker.finish())
        self.wait_until(lambda: self.client.count_jobs(status="ready") == 1)

    def test_stream_closed_after_n_jobs(self):
        self.require_own_server()
        for _ in range(3):
            self.enqueue_job()
        self.server.faults(close_streams_after_jobs=2)
        seen = list(self.client.take_jobs(prefetch=5))
        self.assertEqual(2, len(seen))
        self.wait_until(lambda: self.client.count_jobs(status="ready") == 3)

    def test_heartbeats_keep_a_quiet_stream_alive(self):
        self.require_own_server()
        quiet = self.new_client(stream_idle_timeout=0.5)
        taker = self.start_taker(quiet)
        taker.thread.join(1.2)
        self.assertTrue(taker.thread.is_alive(),
                        "a stream with heartbeats (every 100 ms) must outlive its idle timeout")
        self.server.faults(heartbeats=False)
        with self.assertRaises(zizq.ConnectionError):
            taker.finish()

    def test_truncated_and_corrupt_frames_raise_stream_errors(self):
        self.require_own_server()
        self.enqueue_job()
        self.server.faults(truncate_next_frame=True)
        with self.assertRaises(zizq.StreamError) as caught:
            self.client.take_jobs(lambda job: None)
        self.assertRegex(str(caught.exception), "truncated")
        self.server.faults(corrupt_next_frame=True)
        with self.assertRaises(zizq.StreamError) as caught:
            self.client.take_jobs(lambda job: None)
        self.assertRegex(str(caught.exception), "invalid job frame")

    def test_refused_stream_raises_stream_error(self):
        self.require_own_server()
        self.server.faults(fail_requests={"status": 500, "count": 1, "path": "/jobs/take"})
        with self.assertRaises(zizq.StreamError) as caught:
            self.client.take_jobs(lambda job: None)
        self.assertRegex(str(caught.exception), "500")

    def test_two_streams_in_parallel_threads(self):
        for n in range(10):
            self.enqueue_job(payload={"n": n})
        seen = []
        lock = threading.Lock()
        shared = self.new_client()

        def handle(job):
            with lock:
                seen.append(job.payload["n"])
            job.complete()

        threads = [threading.Thread(target=shared.take_jobs, args=(handle,),
                                    kwargs={"prefetch": 2}) for _ in range(2)]
        for thread in threads:
            thread.start()
        self.wait_until(lambda: len(seen) == 10)
        shared.close()
        for thread in threads:
            thread.join(5)
            self.assertFalse(thread.is_alive())
        self.assertEqual(list(range(10)), sorted(seen))
        self.assertEqual(0, self.client.count_jobs())

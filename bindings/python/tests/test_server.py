"""Server-level calls, the error model and the client's lifecycle."""

import gc
import socket
import threading
import time

from .support import for_each_format, zizq


@for_each_format(globals())
class ServerTests:
    def test_health_version_and_queues(self):
        self.assertEqual({"status": "ok"}, self.client.health())
        self.assertRegex(self.client.server_version(), r"\A\d+\.\d+\.\d+")
        self.assertEqual([], self.client.get_queues())
        self.enqueue_job(queue="b")
        self.enqueue_job(queue="a")
        self.assertEqual(["a", "b"], sorted(self.client.get_queues()))

    def test_get_path(self):
        self.enqueue_job()
        data = self.client.get_path("/jobs?limit=1")
        self.assertEqual(1, len(data["jobs"]))
        self.assertEqual({"status": "ok"}, self.client.get_path("/health"))
        with self.assertRaises(ValueError):
            self.client.get_path("http://elsewhere.example:1/jobs")
        with self.assertRaises(zizq.NotFoundError):
            self.client.get_path("/nowhere")

    def test_client_errors_carry_status_body_and_message(self):
        with self.assertRaises(zizq.ClientError) as caught:
            self.client.list_jobs(filter=".[")
        error = caught.exception
        self.assertEqual(400, error.status)
        self.assertRegex(str(error), "invalid filter")
        self.assertEqual(str(error), error.body["error"])
        self.assertNotIsInstance(error, zizq.NotFoundError)
        self.assertEqual("ZIZQ_E_CLIENT", error.zizq_status)

    def test_server_errors_from_injected_faults(self):
        self.require_own_server()
        self.server.faults(fail_requests={"status": 503, "count": 1, "method": "GET",
                                          "path": "/health"})
        with self.assertRaises(zizq.ServerError) as caught:
            self.client.health()
        self.assertEqual(503, caught.exception.status)
        self.assertEqual("injected fault", str(caught.exception))
        self.assertEqual({"error": "injected fault"}, caught.exception.body)
        self.assertEqual({"status": "ok"}, self.client.health(), "the fault was used up")

        self.server.faults(fail_requests={"status": 500, "count": 2, "method": "POST",
                                          "path": "/jobs"})
        with self.assertRaises(zizq.ServerError):
            self.enqueue_job()
        with self.assertRaises(zizq.ServerError):
            self.enqueue_job()
        self.server.faults(fail_requests={"status": 409, "count": 1, "method": "POST",
                                          "path": "/jobs"})
        with self.assertRaises(zizq.ClientError) as caught:
            self.enqueue_job()
        self.assertEqual(409, caught.exception.status)
        self.server.faults(fail_requests={"status": 404, "count": 1, "path": "/jobs/count"})
        with self.assertRaises(zizq.NotFoundError):
            self.client.count_jobs()
        self.assertEqual(0, self.client.count_jobs())

    def test_unexpected_status_is_a_response_error(self):
        self.require_own_server()
        self.server.faults(fail_requests={"status": 302, "count": 1, "path": "/version"})
        with self.assertRaises(zizq.ResponseError) as caught:
            self.client.server_version()
        self.assertEqual(302, caught.exception.status)
        self.assertNotIsInstance(caught.exception, zizq.ClientError)

    def test_unreachable_server_is_a_connection_error(self):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        with zizq.Client(f"http://127.0.0.1:{port}", format=self.FORMAT) as unreachable:
            with self.assertRaises(zizq.ConnectionError):
                unreachable.health()

    def test_reset_connections_are_connection_errors_and_the_client_recovers(self):
        self.require_own_server()
        self.client.health()
        self.server.faults(reset_connections=1)
        self.assertEqual({"status": "ok"}, self.client.health(), "an idempotent GET is retried")
        self.server.faults(reset_connections=1)
        with self.assertRaises(zizq.ConnectionError):
            self.enqueue_job()
        self.assertEqual(0, self.client.count_jobs())

    def test_read_timeout(self):
        self.require_own_server()
        slow = self.new_client(read_timeout=0.2)
        self.server.faults(delay_ms=1000)
        with self.assertRaises(zizq.ConnectionError):
            slow.health()

    def test_close_is_idempotent_and_later_calls_fail(self):
        other = self.new_client()
        self.assertEqual({"status": "ok"}, other.health())
        self.assertIsNone(other.close())
        self.assertIsNone(other.close())
        with self.assertRaises(zizq.ConnectionError) as caught:
            other.health()
        self.assertRegex(str(caught.exception), "closed")
        with self.assertRaises(zizq.ConnectionError):
            other.take_jobs(lambda job: None)

    def test_context_manager_closes(self):
        with zizq.Client(self.server.url, format=self.FORMAT) as scoped:
            self.assertEqual({"status": "ok"}, scoped.health())
        with self.assertRaises(zizq.ConnectionError):
            scoped.health()

    def test_close_interrupts_a_slow_request(self):
        self.require_own_server()
        other = self.new_client()
        self.server.faults(delay_ms=3000)
        before = self.server.requests()
        started = time.monotonic()
        outcome = []
        request = threading.Thread(target=lambda: outcome.append(_capture(other.health)))
        request.start()
        self.wait_until(lambda: self.server.requests() > before)
        other.close()
        request.join(5)
        self.assertIsInstance(outcome[0], zizq.ConnectionError)
        self.assertLess(time.monotonic() - started, 2.5)

    def test_handles_are_released_by_the_garbage_collector(self):
        for _ in range(20):
            zizq.Client(self.server.url, format=self.FORMAT).health()
        gc.collect()
        self.assertEqual({"status": "ok"}, self.client.health())

    def test_concurrent_calls_share_one_client(self):
        results = []

        def work(n):
            for i in range(20):
                results.append(self.enqueue_job(payload={"t": n, "i": i}).id)

        threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.assertEqual(160, len(set(results)))
        self.assertEqual(160, self.client.count_jobs())


def _capture(function):
    try:
        return function()
    except Exception as exc:
        return exc

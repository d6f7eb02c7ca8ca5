"""libzizq's events reach the `logging` module with no setup; Client.stats()."""

import logging
import queue
import threading

from .support import for_each_format, zizq


@for_each_format(globals())
class LoggingTests:
    def start_worker(self, handler, **options):
        worker = zizq.Worker(self.client, threads=1, handler=handler,
                             options={"backoff_min_ms": 20}, **options)
        self.addCleanup(worker.stop)
        return worker.start()

    def wait_for_record(self, logs, kind):
        return self.wait_until(
            lambda: next((r for r in logs.records if getattr(r, "zizq_kind", None) == kind), None),
            message=f"no {kind} record; saw {[r.getMessage() for r in logs.records]}")

    def test_connections_are_logged_at_info_on_zizq_transport(self):
        client = self.new_client()
        with self.assertLogs("zizq", logging.DEBUG) as logs:
            client.health()
            record = self.wait_for_record(logs, "connection_opened")
        self.assertEqual("zizq.transport", record.name)
        self.assertEqual(logging.INFO, record.levelno)
        self.assertEqual(self.server.url, record.url)
        self.assertEqual(self.server.url, record.zizq_fields["url"])
        self.assertIn("connection to", record.getMessage())

    def test_stopping_the_event_thread_ends_its_wait(self):
        # The thread waits for events without a time limit; stop() (run when
        # the client is collected) wakes it, and it frees its handle.
        client = self.new_client()
        pump = client._events
        pump.stop()
        pump._thread.join(5)
        self.assertFalse(pump._thread.is_alive())
        self.assertIsNone(pump._handle)
        self.assertEqual({"status": "ok"}, client.health())  # the client is unaffected

    def test_stop_never_waits_for_the_lock(self):
        # As a finalizer, stop() may run on a thread that holds the lock.
        pump = self.new_client()._events
        with pump._lock:
            caller = threading.Thread(target=pump.stop)
            caller.start()
            caller.join(5)
            self.assertFalse(caller.is_alive(), "stop() waited for the lock")
        pump.stop()
        pump._thread.join(5)
        self.assertFalse(pump._thread.is_alive())

    def test_a_reconnect_is_a_warning_with_its_delay(self):
        self.require_own_server()
        handled = queue.Queue()
        self.start_worker(handled.put)
        self.enqueue_job()
        handled.get(timeout=5)
        with self.assertLogs("zizq.worker", logging.WARNING) as logs:
            self.wait_until(lambda: self.server.close_streams() == 1)
            record = self.wait_for_record(logs, "reconnect_scheduled")
        self.assertEqual(logging.WARNING, record.levelno)
        self.assertIsInstance(record.delay_ms, int)
        self.assertIn("reconnecting in", record.getMessage())

    def test_a_retried_ack_warns_and_a_refused_batch_is_an_error(self):
        self.require_own_server()
        handled = queue.Queue()
        self.server.faults(fail_requests={"status": 503, "count": 1, "method": "POST",
                                          "path": "/jobs/success"})
        worker = self.start_worker(handled.put)
        with self.assertLogs("zizq.worker", logging.WARNING) as logs:
            self.enqueue_job()
            retried = self.wait_for_record(logs, "acks_retried")
        self.assertEqual(logging.WARNING, retried.levelno)
        self.assertEqual((1, 503), (retried.count, retried.http_status))
        self.wait_until(lambda: worker.stats()["acked"] == 1)
        self.server.faults(fail_requests={"status": 400, "count": 1, "method": "POST",
                                          "path": "/jobs/success"})
        with self.assertLogs("zizq.worker", logging.ERROR) as logs:
            self.enqueue_job()
            refused = self.wait_for_record(logs, "acks_refused")
        self.assertEqual(logging.ERROR, refused.levelno)
        self.assertEqual((1, 400), (refused.count, refused.http_status))
        self.assertIn("refused", refused.getMessage())

    def logged_by(self, client):
        """What `client` logs for one request, once closed (its thread logs
        every queued event, then ends)."""
        with self.assertLogs("zizq", logging.DEBUG) as logs:
            client.health()
            client.close()
            client._events._thread.join(5)
            logging.getLogger("zizq.test").warning("end")
        return [r.zizq_kind for r in logs.records[:-1]]

    def test_the_level_option_keeps_quieter_events_out(self):
        self.assertEqual(["connection_opened"], self.logged_by(self.new_client()))
        self.assertEqual([], self.logged_by(self.new_client(options={"log_level": "warn"})))

    def test_stats_move(self):
        self.require_own_server()
        before = self.client.stats()
        self.enqueue_job()
        self.server.faults(fail_requests={"status": 503, "count": 1, "path": "/health"})
        with self.assertRaises(zizq.ServerError):
            self.client.health()
        after = self.client.stats()
        self.assertEqual(before["requests"] + 2, after["requests"])
        self.assertEqual(before["requests_server_error"] + 1, after["requests_server_error"])
        self.assertGreater(after["bytes_out"], before["bytes_out"])
        self.assertEqual(1, after["open_connections"])
        self.assertGreater(after["latency_p50_ms"], 0)

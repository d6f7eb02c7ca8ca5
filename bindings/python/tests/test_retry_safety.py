"""Errors tell "nothing was acted on: safe to retry" (``retryable``) from
"sent, outcome unknown" (``outcome_unknown``)."""

import pickle

from .support import for_each_format, zizq


@for_each_format(globals())
class RetrySafetyTests:
    def enqueue_error(self, client):
        with self.assertRaises(zizq.Error) as caught:
            client.enqueue(queue="q", type="t", payload=1)
        return caught.exception

    def test_nothing_sent_is_safe_to_retry(self):
        # Nobody listens on port 1: the enqueue never reached a server.
        dead = self.new_client(url="http://127.0.0.1:1", options={"connect_timeout_ms": 2000})
        error = self.enqueue_error(dead)
        self.assertIsInstance(error, zizq.ConnectionError)
        self.assertEqual(("ZIZQ_E_CONNECTION", True, False),
                         (error.zizq_status, error.retryable, error.outcome_unknown))
        # An answer says what happened: a 503 was not acted on, a 404 will not change.
        if self.server.own:
            self.server.faults(fail_requests={"status": 503, "count": 1, "method": "POST",
                                              "path": "/jobs"})
            error = self.enqueue_error(self.client)
            self.assertEqual((503, True, False),
                             (error.status, error.retryable, error.outcome_unknown))
        with self.assertRaises(zizq.NotFoundError) as caught:
            self.client.get_job("0000000000000000000000000")
        self.assertEqual((False, False), (caught.exception.retryable,
                                          caught.exception.outcome_unknown))

    def test_an_unanswered_enqueue_has_an_unknown_outcome_and_is_not_retryable(self):
        self.require_own_server()
        client = self.new_client(read_timeout=0.3)
        client.health()
        # The server reads the request and never answers.
        self.server.faults(blackhole=1)
        error = self.enqueue_error(client)
        self.assertIsInstance(error, zizq.ConnectionError)
        self.assertEqual(("ZIZQ_E_TIMEOUT", True, False),
                         (error.zizq_status, error.outcome_unknown, error.retryable))
        copy = pickle.loads(pickle.dumps(error))
        self.assertEqual((True, False), (copy.outcome_unknown, copy.retryable))
        # A read is as unknown, but safe to repeat.
        self.server.faults(blackhole=1)
        with self.assertRaises(zizq.ConnectionError) as caught:
            client.get_job("0000000000000000000000000")
        self.assertEqual((True, True), (caught.exception.outcome_unknown,
                                        caught.exception.retryable))
        self.assertEqual({"status": "ok"}, client.health())

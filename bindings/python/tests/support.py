"""Shared setup of the Python suite.

Every test runs against a real server: ZIZQ_TEST_URL if set (shared, reset
between tests; fault-injection tests are skipped; ZIZQ_TEST_TIER=free means
Pro features answer 403), else a zizq-testserver started here on port 0
(ZIZQ_TESTSERVER, default ../../target/release/zizq-testserver) and stopped
at exit.

Test classes are written as mixins and instantiated once per format
(``<Name>_msgpack``, ``<Name>_json``) by ``for_each_format``; ZIZQ_TEST_FORMAT
(``msgpack``, ``json`` or ``msgpack,json``) restricts the formats.
"""

import atexit
import json
import os
import queue
import subprocess
import threading
import time
import unittest
import urllib.request

import zizq

from . import REPO_ROOT

FORMATS = [f for f in os.environ.get("ZIZQ_TEST_FORMAT", "msgpack,json").split(",") if f]


class TestServer:
    """The server the suite talks to, and the control API of zizq-testserver
    (``/_testserver/...``, JSON over plain HTTP/1.1, never faulted)."""

    __test__ = False  # not a pytest test class
    _instance = None
    _lock = threading.Lock()

    @classmethod
    def instance(cls):
        with cls._lock:
            if cls._instance is None:
                url = os.environ.get("ZIZQ_TEST_URL", "")
                cls._instance = cls(url, None) if url else cls.spawn()
            return cls._instance

    @classmethod
    def spawn(cls, *extra_args):
        """Start zizq-testserver on an ephemeral port. It exits when its stdin
        closes, so it cannot outlive this process even if it is killed."""
        process = subprocess.Popen(
            [cls.binary(), "--port", "0", "--exit-on-stdin-eof", "--heartbeat-interval", "100ms",
             *extra_args],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        line = process.stdout.readline()
        if "://" not in line:
            process.kill()
            raise RuntimeError(f"zizq-testserver did not report its address: {line!r}")
        server = cls(line.strip().split()[-1], process)
        atexit.register(server.stop)
        return server

    @staticmethod
    def binary():
        explicit = os.environ.get("ZIZQ_TESTSERVER", "")
        if explicit:
            return explicit
        path = os.path.join(REPO_ROOT, "target", "release", "zizq-testserver")
        if not os.access(path, os.X_OK):
            raise RuntimeError(
                f"zizq-testserver not found: build it or set ZIZQ_TESTSERVER ({path})")
        return path

    def __init__(self, url, process):
        self.url = url
        self.process = process

    @property
    def own(self):
        """Whether this process started the server (and may inject faults)."""
        return self.process is not None

    @property
    def pro(self):
        if self.own:
            return self.config()["tier"] == "pro"
        return os.environ.get("ZIZQ_TEST_TIER", "pro") != "free"

    def stop(self):
        if self.process is None:
            return
        process, self.process = self.process, None
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        for stream in (process.stdin, process.stdout):
            stream.close()

    def control(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"{self.url}/_testserver/{path}", data=data,
                                         method=method,
                                         headers={"content-type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            text = response.read()
        return json.loads(text) if text else None

    def state(self):
        return self.control("GET", "state")

    def config(self):
        return self.control("GET", "config")

    def set_tier(self, tier):
        return self.control("PUT", "config", {"tier": tier})

    def faults(self, **settings):
        return self.control("PUT", "faults", settings)

    def reset_faults(self):
        return self.control("DELETE", "faults")

    def close_streams(self):
        return self.control("POST", "close_streams", {})["closed"]

    def requests(self):
        return self.state()["requests"]


class Taker:
    """Runs take_jobs in a background thread and queues the jobs it yields,
    so a test can ack or nack them while the stream stays open. The stream
    ends when its client is closed; finish() returns what take_jobs returned
    or raises what it raised."""

    def __init__(self, client, **options):
        self.jobs = queue.Queue()
        self.result = None
        self.error = None
        self.thread = threading.Thread(target=self._run, args=(client, options), daemon=True)
        self.thread.start()

    def _run(self, client, options):
        try:
            self.result = client.take_jobs(self.jobs.put, **options)
        except BaseException as exc:
            self.error = exc

    def pop(self, count=1, timeout=5):
        deadline = time.monotonic() + timeout
        jobs = []
        while len(jobs) < count:
            try:
                jobs.append(self.jobs.get(timeout=0.01))
            except queue.Empty:
                if not self.thread.is_alive() and self.jobs.empty():
                    raise AssertionError(f"take_jobs ended: {self.error!r}") from None
                if time.monotonic() > deadline:
                    raise AssertionError(f"expected {count} job(s), got {len(jobs)}") from None
        return jobs

    def finish(self, timeout=5):
        self.thread.join(timeout)
        if self.thread.is_alive():
            raise AssertionError(f"take_jobs still running after {timeout} s")
        if self.error is not None:
            raise self.error
        return self.result


_DEFAULT_PAYLOAD = object()


class ZizqTestCase(unittest.TestCase):
    """Base class: a clean server before each test, a client in the class's
    format, closed after the test."""

    FORMAT = "msgpack"

    @property
    def server(self):
        return TestServer.instance()

    def setUp(self):
        self._clients = []
        self._takers = []
        self._client = None
        if self.server.own:
            self.server.reset_faults()
        self.client.erase_all_data()

    def tearDown(self):
        if self.server.own:
            self.server.reset_faults()
        for client in self._clients:
            client.close()
        for taker in self._takers:
            taker.thread.join(5)

    def new_client(self, **options):
        options.setdefault("format", self.FORMAT)
        options.setdefault("url", self.server.url)
        client = zizq.Client(**options)
        self._clients.append(client)
        return client

    @property
    def client(self):
        if self._client is None:
            self._client = self.new_client()
        return self._client

    @property
    def pro(self):
        return self.server.pro

    def require_own_server(self):
        if not self.server.own:
            self.skipTest("fault injection needs the bundled test server (ZIZQ_TEST_URL is set)")

    def enqueue_job(self, queue="default", type="test", payload=_DEFAULT_PAYLOAD, **options):
        if payload is _DEFAULT_PAYLOAD:
            payload = {"n": 1}
        return self.client.enqueue(queue=queue, type=type, payload=payload, **options)

    def wait_until(self, condition, timeout=5, message="condition not met in time"):
        """Poll until condition() is truthy (no fixed sleeps); return it."""
        deadline = time.monotonic() + timeout
        while True:
            result = condition()
            if result:
                return result
            if time.monotonic() > deadline:
                self.fail(message)
            time.sleep(0.01)

    def start_taker(self, client=None, **options):
        taker = Taker(client or self.client, **options)
        self._takers.append(taker)
        return taker

    def take(self, count, **options):
        """Take ``count`` jobs (prefetch ``count``); the stream stays open
        until the test ends, so they can be acked or nacked."""
        return self.start_taker(prefetch=count, **options).pop(count)

    def wait_for_open_stream(self, count=1):
        if not self.server.own:
            time.sleep(0.5)
            return
        self.wait_until(lambda: self.server.state()["take_streams"] == count)

    def assert_forbidden(self, function):
        with self.assertRaises(zizq.ClientError) as caught:
            function()
        self.assertEqual(403, caught.exception.status)
        self.assertRegex(str(caught.exception), "pro license")


def for_each_format(namespace):
    """Class decorator: add a TestCase of the mixin for each format to the
    module ``namespace`` (pass ``globals()``)."""

    def decorate(mixin):
        for fmt in FORMATS:
            name = f"{mixin.__name__}_{fmt}"
            namespace[name] = type(name, (mixin, ZizqTestCase),
                                   {"FORMAT": fmt, "__module__": namespace["__name__"],
                                    "__qualname__": name})
        return mixin

    return decorate

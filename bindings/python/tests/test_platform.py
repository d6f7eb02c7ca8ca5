"""Threads (the GIL), fork, and loading the library."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import unittest

from . import SRC
from .support import ZizqTestCase, for_each_format, zizq


@for_each_format(globals())
class PlatformTests:
    def test_a_slow_request_releases_the_gil(self):
        # ctypes.CDLL drops the GIL around every foreign call: while one
        # thread waits ~1 s inside libzizq, this thread keeps running.
        self.require_own_server()
        self.server.faults(delay_ms=1000)
        before = self.server.requests()
        result = []
        request = threading.Thread(target=lambda: result.append(self.client.health()))
        request.start()
        self.wait_until(lambda: self.server.requests() > before)
        count = 0
        finish = time.monotonic() + 0.3
        while time.monotonic() < finish:
            count += 1
        self.assertTrue(request.is_alive(), "the request was expected to still be waiting")
        self.assertGreater(count, 10000)
        request.join(5)
        self.assertEqual([{"status": "ok"}], result)

    def test_a_waiting_take_releases_the_gil(self):
        taker = self.start_taker()
        self.wait_for_open_stream()
        # Were the GIL held during each 200 ms wait for jobs, this loop would
        # see pauses of that length every time the taking thread runs
        long_pauses = 0
        last = time.monotonic()
        finish = last + 1.0
        while True:
            now = time.monotonic()
            if now >= finish:
                break
            if now - last > 0.15:
                long_pauses += 1
            last = now
        # (about 5 per second); allow two for a busy machine.
        self.assertLessEqual(long_pauses, 2)
        self.client.close()
        self.assertIsNone(taker.finish())

    def test_ctrl_c_interrupts_a_waiting_take_and_a_running_worker(self):
        # Python runs signal handlers in the main thread between two foreign
        # calls: a take stream waits on its descriptor in the main thread
        # (poll, which the signal interrupts), a worker's run() in short
        # slices.
        script = (
            "import faulthandler, os, signal, sys, threading, time\n"
            "import zizq\n"
            # A hang fails with every thread's stack rather than a timeout.
            "faulthandler.dump_traceback_later(20, exit=True)\n"
            # Python leaves SIGINT ignored when it starts with it ignored (a
            # background job of a non-interactive shell): this test is about
            # Ctrl+C reaching a waiting take, so it installs the usual handler.
            "signal.signal(signal.SIGINT, signal.default_int_handler)\n"
            "client = zizq.Client(sys.argv[1], format=sys.argv[2])\n"
            "def interrupt_soon():\n"
            "    threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT)).start()\n"
            "for name, block in (('take', lambda: client.take_jobs(lambda job: None)),\n"
            "                    ('worker', zizq.Worker(client, handler=print).run)):\n"
            "    interrupt_soon()\n"
            "    started = time.monotonic()\n"
            "    try:\n"
            "        block()\n"
            "    except KeyboardInterrupt:\n"
            "        print(name, 'interrupted after', round(time.monotonic() - started, 2),\n"
            "              flush=True)\n"
        )
        env = dict(os.environ, PYTHONPATH=SRC)
        result = subprocess.run([sys.executable, "-c", script, self.server.url, self.FORMAT],
                                env=env, capture_output=True, text=True, timeout=30)
        self.assertEqual(0, result.returncode, result.stdout + result.stderr)
        lines = result.stdout.splitlines()
        self.assertEqual(["take", "worker"], [line.split()[0] for line in lines])
        for line in lines:
            self.assertLess(float(line.split()[-1]), 2.0, line)

    @unittest.skipUnless(hasattr(os, "fork"), "fork is not available")
    def test_fork_refuses_parent_handles_and_allows_new_clients(self):
        self.assertEqual({"status": "ok"}, self.client.health())
        worker = zizq.Worker(self.client, queues=["idle"], threads=1, handler=lambda job: None)
        worker.start()
        self.addCleanup(worker.stop)
        reader, writer = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child
            try:
                os.close(reader)
                report = self._child_report(worker)
                os.write(writer, json.dumps(report).encode())
            finally:
                os._exit(0)
        os.close(writer)
        with os.fdopen(reader, "rb") as pipe:
            report = json.loads(pipe.read())
        os.waitpid(pid, 0)
        self.assertEqual("Error", report["parent_class"])
        self.assertRegex(report["parent_message"], "parent process")
        self.assertEqual("Error", report["worker_class"])
        self.assertRegex(report["worker_message"], "parent process")
        self.assertEqual({"status": "ok"}, report["child_health"])
        self.assertEqual(1, self.client.count_jobs(), "the child's client enqueued a job")
        self.assertEqual({"status": "ok"}, self.client.health(), "the parent's client still works")

    def _child_report(self, worker):
        report = {}
        for name, call in (("parent", self.client.health), ("worker", worker.stats)):
            try:
                call()
                report[f"{name}_class"] = "no error"
            except zizq.Error as exc:
                report[f"{name}_class"] = type(exc).__name__
                report[f"{name}_message"] = str(exc)
        with zizq.Client(self.server.url, format=self.FORMAT) as child:
            child.enqueue(queue="forked", type="child", payload=None)
            report["child_health"] = child.health()
        return report


class LibraryLoadingTests(ZizqTestCase):
    def setUp(self):
        pass

    def tearDown(self):
        pass

    def _import_with(self, library):
        env = dict(os.environ, ZIZQ_LIB=library, PYTHONPATH=SRC)
        return subprocess.run([sys.executable, "-c", "import zizq"], env=env,
                              capture_output=True, text=True, timeout=30)

    def test_abi_version_is_checked_on_import(self):
        self.assertEqual(zizq.ABI_VERSION, zizq._native.lib.zizq_abi_version())
        compiler = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
        if not compiler:
            self.skipTest("no C compiler to build a library of another ABI")
        with tempfile.TemporaryDirectory() as directory:
            source = os.path.join(directory, "fake.c")
            with open(source, "w") as handle:
                handle.write("unsigned int zizq_abi_version(void) { return 2; }\n")
            library = os.path.join(directory, "libzizq.so")
            subprocess.run([compiler, "-shared", "-fPIC", "-o", library, source], check=True)
            result = self._import_with(library)
        self.assertNotEqual(0, result.returncode)
        self.assertIn("LibraryError", result.stderr)
        self.assertIn("C ABI version 2, but this zizq package needs version 1", result.stderr)

    def test_missing_library_is_a_clear_import_error(self):
        result = self._import_with("/nonexistent/libzizq.so")
        self.assertNotEqual(0, result.returncode)
        self.assertIn("ZIZQ_LIB points to '/nonexistent/libzizq.so', which is not a file",
                      result.stderr)
        self.assertTrue(issubclass(zizq.LibraryError, ImportError))

    def test_versions(self):
        self.assertRegex(zizq.library_version(), r"^libzizq/\d+\.\d+\.\d+")
        self.assertEqual(1, zizq.ABI_VERSION)

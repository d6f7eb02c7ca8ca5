"""zizq.Worker: runs a handler for every job, on libzizq's worker.

The core keeps the take stream open (reconnecting with backoff), batches
acknowledgements, and shuts down in the safe order; this class only runs
handler threads.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import os
import threading
import time
import traceback
import weakref
from collections.abc import Iterable, Mapping
from typing import Any, Callable

from . import _codec, _native, _wire, errors
from ._native import Buf, lib, take_buf
from ._wire import Document, Seconds
from .client import Client, _batch_handouts, _free_handle
from .resources import Job


class Retry(Exception):
    """Raise from a handler to have the job retried at a chosen time instead
    of after the server's backoff: ``raise zizq.Retry(after=60)`` or
    ``raise zizq.Retry(at=time.time() + 5)``. Raised while handling another
    exception (``raise Retry(...) from exc``, or implicitly inside
    ``except``), the failure is reported as that exception."""

    def __init__(self, message: str = "retry requested", *, at: float | None = None,
                 after: float = 0) -> None:
        super().__init__(message)
        #: When to retry, in float seconds since the epoch.
        self.retry_at: float = float(at) if at is not None else time.time() + after


class Kill(Exception):
    """Raise from a handler to give up on the job: it is marked dead
    whatever its retry limit. Like Retry, a cause is reported as the failure."""

    def __init__(self, message: str = "job killed") -> None:
        super().__init__(message)


def failure_report(error: BaseException) -> Document:
    """The nack of a failed job: ``"Type: message"``, the type's qualified
    name and the formatted traceback. Retry and Kill report the exception
    they were raised for, if any, and add their instruction."""
    signal = error if isinstance(error, (Retry, Kill)) else None
    reported = error
    if signal is not None:
        reported = signal.__cause__ or signal.__context__ or signal
    kind = type(reported)
    name = kind.__qualname__ if kind.__module__ in ("builtins", "__main__") else \
        f"{kind.__module__}.{kind.__qualname__}"
    report: Document = {
        "message": f"{name}: {reported}",
        "error_type": name,
        "backtrace": "".join(traceback.format_exception(kind, reported,
                                                        reported.__traceback__)).rstrip("\n"),
    }
    if isinstance(signal, Retry):
        report["retry_at"] = _wire.ms(signal.retry_at)
    if isinstance(signal, Kill):
        report["kill"] = True
    return report


def worker_options(queues: str | Iterable[str], count_name: str, count: int,
                   prefetch: int | None, worker_id: str | None,
                   options: Mapping[str, Any] | None) -> Document:
    """libzizq's worker options, ``count`` (``threads`` or ``concurrency``)
    checked to be a positive int."""
    if isinstance(count, bool) or not isinstance(count, int):
        raise TypeError(f"{count_name} must be an int, not {type(count).__name__}")
    if count < 1:
        raise ValueError(f"{count_name} must be at least 1")
    if isinstance(queues, str):
        queues = [queues]
    document = _wire.compact(queues=list(queues), concurrency=count, prefetch=prefetch,
                             worker_id=worker_id)
    document.update(options or {})
    return document


def resolve(handle: int | None, job_id: bytes, failure: Document | None) -> None:
    """Queue the ack (``failure`` None) or nack of a job handed out by
    libzizq's worker (``job_id`` as it gave it); returns at once. An outcome
    refused because the worker already shut down (after a stop timeout) is
    dropped: the server requeues the job."""
    if failure is None:
        errors.call(lib.zizq_worker_ack, handle, job_id, expected=(_native.E_CLOSED,))
    else:
        body = _codec.encode(failure)
        errors.call(lib.zizq_worker_nack, handle, job_id, body, len(body),
                    expected=(_native.E_CLOSED,))


# Workers started and not yet stopped: stopped gracefully at interpreter exit
# (their handler threads are daemon threads, which would otherwise be frozen
# mid-job and lose the acks queued in the core).
_RUNNING: weakref.WeakSet[Worker] = weakref.WeakSet()
EXIT_STOP_TIMEOUT = 5


@atexit.register
def _stop_running_workers() -> None:
    for worker in list(_RUNNING):
        with contextlib.suppress(errors.Error):
            worker.stop(timeout=EXIT_STOP_TIMEOUT)


class Worker:
    """Runs ``handler(job)`` for every job, on ``threads`` threads.

    ``prefetch`` (default 2 x threads, which libzizq derives from the thread
    count) is how many unacknowledged jobs the server may hand to this
    worker at once. A handler that returns acks the
    job; one that raises has it nacked with the exception's type, message and
    traceback (the server then retries it with backoff). Raise zizq.Retry to
    choose the retry time, zizq.Kill to give up on the job.

    ``start()`` returns at once; ``run()`` blocks until ``stop()`` is called
    from another thread (or Ctrl+C in the main thread, which stops
    gracefully). ``options`` passes further libzizq worker options
    (``max_ack_batch``, ``ack_concurrency``, ``backoff_min_ms``...).
    """

    # How long stop() waits for handler threads to leave after a clean shutdown.
    JOIN_SECONDS = 5

    def __init__(self, client: Client, queues: str | Iterable[str] = (), threads: int = 5,
                 prefetch: int | None = None, worker_id: str | None = None,
                 handler: Callable[[Job], object] | None = None,
                 options: Mapping[str, Any] | None = None) -> None:
        if handler is None or not callable(handler):
            raise TypeError("zizq.Worker needs handler=callable(job)")
        if not isinstance(client, Client):
            raise TypeError(f"zizq.Worker needs a zizq.Client, not {type(client).__name__}")
        #: The client whose server the worker takes jobs from.
        self.client = client
        self._handler: Callable[[Job], object] = handler
        self._options = worker_options(queues, "threads", threads, prefetch, worker_id, options)
        self._thread_count = threads
        self._handle: int | None = None
        self._finalizer: weakref.finalize[Any, Any] | None = None
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._stop_lock = threading.Lock()
        self._turn = threading.Lock()  # see _next_documents
        self._failure: errors.Error | None = None

    def start(self) -> Worker:
        """Start taking jobs and the handler threads; returns self."""
        with self._lock:
            if self._handle is not None:
                raise errors.Error("this worker was already started")
            options = _codec.encode(self._options)
            out = ctypes.c_void_p()
            errors.call(lib.zizq_worker_new, self.client.native_handle, options, len(options),
                        ctypes.byref(out))
            self._handle = out.value
            self._finalizer = weakref.finalize(self, _free_handle, lib.zizq_worker_free,
                                               self._handle, os.getpid())
            self._finalizer.atexit = False  # see _stop_running_workers
            _RUNNING.add(self)
            self._threads = [threading.Thread(target=self._work, name=f"zizq-worker-{index}",
                                              daemon=True)
                             for index in range(self._thread_count)]
            for thread in self._threads:
                thread.start()
        return self

    def run(self) -> None:
        """Start, and block until the worker is stopped (``stop()`` from
        another thread) or fails (e.g. the server refused the take stream:
        that error is raised). An exception in the waiting thread (Ctrl+C)
        stops the worker gracefully before it propagates."""
        self.start()
        try:
            for thread in self._threads:
                while thread.is_alive():
                    thread.join(0.2)
            if self._failure is not None:
                raise self._failure
        finally:
            self.stop()

    def stop(self, timeout: Seconds = 30) -> bool:
        """Stop in the safe order: stop taking, let running handlers finish,
        deliver every ack and nack, then close the stream (jobs taken but not
        started are requeued by the server). Returns True when everything
        finished within ``timeout`` seconds, False otherwise (see stats()).
        Idempotent; a concurrent caller waits for the first one."""
        if threading.current_thread() in self._threads:
            raise errors.Error("zizq.Worker.stop() cannot be called from a handler")
        with self._lock:
            handle = self._handle
        if handle is None:
            return True
        with self._stop_lock:
            status = errors.call(lib.zizq_worker_shutdown, handle, _wire.ms(timeout),
                                 expected=(_native.E_TIMEOUT,))
            _RUNNING.discard(self)
            if status != _native.OK:
                return False
            # After a clean shutdown the threads only have to notice it.
            deadline = time.monotonic() + self.JOIN_SECONDS
            for thread in self._threads:
                thread.join(max(0.0, deadline - time.monotonic()))
            return not any(thread.is_alive() for thread in self._threads)

    def stats(self) -> Document:
        """The core's counters: ``state``, ``taken``, ``handed_out``,
        ``acked``, ``nacked``, ``in_flight``, ``pending_acks``, ``stale``,
        ``reconnects``, ``last_error``..."""
        with self._lock:
            handle = self._handle
        if handle is None:
            return {"state": "not started"}
        buf = Buf()
        errors.call(lib.zizq_worker_stats, handle, ctypes.byref(buf))
        return dict(_codec.decode(take_buf(buf)))

    def __enter__(self) -> Worker:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- handler threads ---------------------------------------------------

    def _work(self) -> None:
        try:
            while True:
                handouts = self._next_handouts()
                if handouts is None:
                    return
                for job_id, data in handouts:
                    self._process(job_id, Job._handed_out(self.client, data))
        except errors.Error as exc:
            # The worker failed (e.g. its take stream was refused): run() raises it.
            if self._failure is None:
                self._failure = exc

    def _next_handouts(self) -> list[tuple[bytes, bytes]] | None:
        """Jobs as (id, document), or None once shutdown began.

        A job already buffered is taken without letting go of the GIL (a
        zero timeout cannot wait): under load the thread that holds it goes
        on from job to job instead of handing the GIL to another thread for
        each one, which costs two thread switches a job. Only when none is
        buffered does the thread wait in libzizq with the GIL released
        (until a job comes or shutdown wakes it; a handler thread is never
        the main thread, so no signal waits on it).

        Idle threads take turns to wait there, one at a time: a delivery of
        several jobs wakes every thread waiting in libzizq, and each would
        then queue for the GIL only to find the jobs taken. The thread whose
        turn ends hands it on (the lock wakes one waiter), so a batch still
        spreads over as many threads as it has jobs."""
        out = ctypes.c_void_p()
        status = errors.call(_native.held.zizq_worker_next, self._handle, 1, 0,
                             ctypes.byref(out), expected=(_native.E_CLOSED,))
        if status == _native.OK and not out.value:
            with self._turn:
                status = errors.call(lib.zizq_worker_next, self._handle, 1, -1,
                                     ctypes.byref(out), expected=(_native.E_CLOSED,))
        if status != _native.OK:
            return None
        return _batch_handouts(out.value)

    def _process(self, job_id: bytes, job: Job) -> None:
        # Every exception is reported; those that are not Exceptions
        # (KeyboardInterrupt, SystemExit...) are re-raised afterwards.
        try:
            self._handler(job)
        except BaseException as exc:  # every failure must reach the server
            resolve(self._handle, job_id, failure_report(exc))
            if not isinstance(exc, Exception):
                raise
        else:
            resolve(self._handle, job_id, None)

"""zizq.AsyncClient and zizq.AsyncWorker: the client and the worker for
asyncio, on libzizq's completion queue.

Every call starts in libzizq without blocking (on a deferred twin of the
client) and its result comes back through one file descriptor that the event
loop watches (``loop.add_reader``): no thread per call, no polling. Take
streams and workers are waited on through their own descriptors the same way.
"""

from __future__ import annotations

import asyncio
import ctypes
import inspect
import json
import os
import weakref
from collections.abc import AsyncGenerator, Awaitable, Iterable, Mapping
from typing import Any, Callable

from . import _codec, _native, _wire, errors
from ._native import Completion, cstr, lib
from .client import Client, _batch_documents, _free_handle
from .resources import Job
from .worker import failure_report

#: Completions taken from the queue per call into libzizq.
_BATCH = 64


async def _readable(loop: asyncio.AbstractEventLoop, fd: int) -> None:
    """Wait until a libzizq readiness descriptor is readable."""
    ready = loop.create_future()

    def wake() -> None:
        if not ready.done():
            ready.set_result(None)

    loop.add_reader(fd, wake)
    try:
        await ready
    finally:
        loop.remove_reader(fd)


class AsyncClient(Client):
    """``zizq.Client`` for asyncio: the same constructor arguments, and every
    method of ``Client`` returns an awaitable with the same result or
    exception (``job = await client.enqueue(...)``); resources it returns
    (``Job``, pages...) return awaitables from their methods too.

    ``take_jobs`` is an async iterator (``async for job in
    client.take_jobs(queues=[...])``); cancelling the task that iterates
    closes the stream. ``max_pending`` bounds the calls started and not yet
    finished: one more raises ``zizq.Error`` (``ZIZQ_E_RESOURCE``) at once.

    A client belongs to the event loop it is first used on. Use it as
    ``async with zizq.AsyncClient(url) as client:`` or call ``close()``.
    """

    def __init__(self, url: str, format: str = "msgpack", read_timeout: float = 30,
                 stream_idle_timeout: float = 30, tls: Mapping[str, Any] | None = None,
                 options: Mapping[str, Any] | None = None, max_pending: int = 4096) -> None:
        super().__init__(url, format=format, read_timeout=read_timeout,
                         stream_idle_timeout=stream_idle_timeout, tls=tls, options=options)
        queue_options = json.dumps({"max_pending": max_pending}).encode("utf-8")
        out = ctypes.c_void_p()
        errors.call(lib.zizq_completion_queue_new, queue_options, len(queue_options),
                    ctypes.byref(out))
        self._queue: int | None = out.value
        # Finalizers run in reverse order of creation: the deferred client
        # goes before its queue.
        weakref.finalize(self, _free_handle, lib.zizq_completion_queue_free, self._queue,
                         os.getpid()).atexit = False
        errors.call(lib.zizq_client_defer, self._handle, self._queue, ctypes.byref(out))
        self._deferred: int | None = out.value
        weakref.finalize(self, _free_handle, lib.zizq_client_free, self._deferred,
                         os.getpid()).atexit = False
        # Calls started and not finished: ticket -> (future, result maker).
        self._calls: dict[int, tuple[asyncio.Future[Any], Callable[[Completion], Any]]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._completions = (Completion * _BATCH)()

    def __repr__(self) -> str:
        return f"<zizq.AsyncClient url={self.url!r} format={self.format!r}>"

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the client: calls in progress raise ConnectionError
        promptly, as later ones do. Idempotent; never blocks."""
        super().close()
        lib.zizq_completion_queue_close(self._queue)

    # -- the three plumbing calls of Client, started instead of waited for --

    def _fetch(self, function: Callable[..., int], *args: Any,
               then: Callable[[Any], Any]) -> Any:
        def result(done: Completion) -> Any:
            return then(self._decode(ctypes.string_at(done.out.data, done.out.len)))

        # The output argument is not used by a deferred call: NULL.
        return self._start(function, (*args, None), result)

    def _count(self, function: Callable[..., int], *args: Any) -> Any:
        return self._start(function, (*args, None), lambda done: done.count)

    def _perform(self, function: Callable[..., int], *args: Any) -> Any:
        return self._start(function, args, lambda done: None)

    def _start(self, function: Callable[..., int], args: tuple[Any, ...],
               result: Callable[[Completion], Any]) -> asyncio.Future[Any]:
        loop = self._bind()
        error = ctypes.c_void_p()
        status = function(self._deferred, *args, ctypes.byref(error))
        if status != _native.PENDING:
            # Refused before it started (a bad argument, a closed client,
            # max_pending reached): raised at once, as the blocking call would.
            raise errors.from_native(status, error.value)
        ticket = lib.zizq_last_ticket()
        future: asyncio.Future[Any] = loop.create_future()
        self._calls[ticket] = (future, result)
        future.add_done_callback(lambda done: self._abandon(ticket, done))
        return future

    def _bind(self) -> asyncio.AbstractEventLoop:
        """The running loop, watching the completion queue from the first call."""
        loop = asyncio.get_running_loop()
        if self._loop is None:
            loop.add_reader(lib.zizq_completion_queue_fd(self._queue), self._collect)
            self._loop = loop
        elif self._loop is not loop:
            raise RuntimeError("this zizq.AsyncClient belongs to another event loop")
        return loop

    def _abandon(self, ticket: int, future: asyncio.Future[Any]) -> None:
        # The awaiting task was cancelled: stop the call in libzizq too (its
        # completion, ZIZQ_E_CANCELLED, then finds nobody waiting).
        if future.cancelled() and self._calls.pop(ticket, None) is not None:
            lib.zizq_completion_queue_cancel(self._queue, ticket)

    def _collect(self) -> None:
        """Settle the futures of every finished call (the queue's descriptor
        is readable)."""
        taken = ctypes.c_size_t()
        while True:
            status = lib.zizq_completion_queue_next(self._queue, self._completions, _BATCH, 0,
                                                    ctypes.byref(taken))
            if status != _native.OK:  # closed, and every call finished
                if self._loop is not None:
                    self._loop.remove_reader(lib.zizq_completion_queue_fd(self._queue))
                return
            for index in range(taken.value):
                self._settle(self._completions[index])
            if taken.value < _BATCH:
                return

    def _settle(self, done: Completion) -> None:
        entry = self._calls.pop(done.ticket, None)
        try:
            if entry is None or entry[0].done():
                return
            future, result = entry
            if done.status != _native.OK:
                error, done.err = done.err, None  # from_native releases it
                future.set_exception(errors.from_native(done.status, error))
                return
            try:
                future.set_result(result(done))
            except Exception as exc:  # an undecodable answer
                future.set_exception(exc)
        finally:
            lib.zizq_completion_free(ctypes.byref(done))

    # -- take ----------------------------------------------------------------

    def take_jobs(self, callback: Callable[[Job], object] | None = None, *, prefetch: int = 1,
                  queues: str | Iterable[str] = (), worker_id: str | None = None,
                  on_connect: Callable[[], object] | None = None,
                  on_response: Callable[[Any], object] | None = None) -> Any:
        """An async iterator of the jobs of a take stream (see
        ``Client.take_jobs``): ``async for job in client.take_jobs(...)``.
        Leaving the loop, or cancelling the task in it, closes the stream. With
        ``callback`` (a function or a coroutine function), a coroutine that
        calls it for each job until it returns False or the stream ends."""
        if on_connect is not None or on_response is not None:
            raise TypeError("AsyncClient.take_jobs takes no on_connect/on_response")
        if isinstance(queues, str):
            queues = [queues]
        options = self._encode(_wire.compact(prefetch=prefetch, queues=list(queues),
                                             worker_id=worker_id))
        jobs = self._take_async(options)
        if callback is None:
            return jobs
        return self._take_each(jobs, callback)

    async def _take_each(self, jobs: AsyncGenerator[Job, None],
                         callback: Callable[[Job], object]) -> None:
        try:
            async for job in jobs:
                outcome = callback(job)
                if inspect.isawaitable(outcome):
                    outcome = await outcome
                if outcome is False:
                    return
        finally:
            await jobs.aclose()

    async def _take_async(self, options: bytes) -> AsyncGenerator[Job, None]:
        loop = self._bind()
        out = ctypes.c_void_p()
        # On the deferred client the stream connects in the background: this
        # returns at once, and a refusal comes from zizq_take_next.
        errors.call(lib.zizq_take_open, self._deferred, options, len(options), ctypes.byref(out))
        stream = out.value
        try:
            fd = lib.zizq_take_fd(stream)
            while True:
                await _readable(loop, fd)
                batch = ctypes.c_void_p()
                status = errors.call(lib.zizq_take_next, stream, 0, 0, ctypes.byref(batch),
                                     expected=(_native.E_STREAM_ENDED, _native.E_CLOSED))
                if status != _native.OK:
                    return
                for data in _batch_documents(batch.value):
                    yield Job(self, self._decode(data))
        finally:
            lib.zizq_take_free(stream)


class AsyncWorker:
    """Runs ``await handler(job)`` for every job, ``concurrency`` at a time,
    on libzizq's worker (which keeps the take stream open, reconnects and
    batches acknowledgements). A handler that returns acks the job; one that
    raises has it nacked as in ``zizq.Worker`` (``zizq.Retry``, ``zizq.Kill``
    work the same way).

    ``await worker.run()`` works until ``await worker.stop()`` (from another
    task) or a failure of the worker (raised). ``stop()`` stops in the safe
    order: no new jobs, running handlers finish, every ack is delivered.
    """

    def __init__(self, client: AsyncClient, queues: str | Iterable[str] = (),
                 concurrency: int = 10, prefetch: int | None = None,
                 worker_id: str | None = None,
                 handler: Callable[[Job], Awaitable[object]] | None = None,
                 options: Mapping[str, Any] | None = None) -> None:
        if handler is None or not callable(handler):
            raise TypeError("zizq.AsyncWorker needs handler=async function(job)")
        if not isinstance(client, AsyncClient):
            raise TypeError(f"zizq.AsyncWorker needs a zizq.AsyncClient, not "
                            f"{type(client).__name__}")
        if isinstance(concurrency, bool) or not isinstance(concurrency, int):
            raise TypeError(f"concurrency must be an int, not {type(concurrency).__name__}")
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        if isinstance(queues, str):
            queues = [queues]
        #: The client whose server the worker takes jobs from.
        self.client = client
        self._handler = handler
        self._concurrency = concurrency
        self._options = _wire.compact(queues=list(queues), concurrency=concurrency,
                                      prefetch=prefetch, worker_id=worker_id)
        self._options.update(options or {})
        self._handle: int | None = None
        self._running: set[asyncio.Task[None]] = set()
        self._stopped: asyncio.Future[bool] | None = None

    async def run(self) -> None:
        """Take and handle jobs until stopped; raises the error that stopped
        the worker, if one did."""
        if self._handle is not None:
            raise errors.Error("this worker was already started")
        loop = asyncio.get_running_loop()
        options = _codec.encode(self._options)
        out = ctypes.c_void_p()
        errors.call(lib.zizq_worker_new, self.client.native_handle, options, len(options),
                    ctypes.byref(out))
        self._handle = out.value
        weakref.finalize(self, _free_handle, lib.zizq_worker_free, self._handle,
                         os.getpid()).atexit = False
        room = asyncio.Semaphore(self._concurrency)
        fd = lib.zizq_worker_fd(self._handle)
        try:
            while True:
                await room.acquire()
                room.release()
                await _readable(loop, fd)
                batch = ctypes.c_void_p()
                # No more jobs than free handlers: the rest wait in libzizq,
                # where a shutdown hands them back to the server.
                free = self._concurrency - len(self._running)
                status = errors.call(lib.zizq_worker_next, self._handle, max(free, 1), 0,
                                     ctypes.byref(batch), expected=(_native.E_CLOSED,))
                if status != _native.OK:
                    break
                for data in _batch_documents(batch.value):
                    await room.acquire()
                    task = loop.create_task(self._handle_job(Job(self.client,
                                                                 self.client._decode(data)),
                                                             room))
                    self._running.add(task)
                    task.add_done_callback(self._running.discard)
        except BaseException:
            # Cancelled or failed: stop in the safe order before leaving.
            await asyncio.shield(self.stop())
            raise
        if self._running:
            await asyncio.gather(*self._running, return_exceptions=True)

    async def _handle_job(self, job: Job, room: asyncio.Semaphore) -> None:
        try:
            await self._handler(job)
        except BaseException as exc:  # every failure must reach the server
            self._resolve(job, failure_report(exc))
            if not isinstance(exc, Exception):
                raise
        else:
            self._resolve(job, None)
        finally:
            room.release()

    def _resolve(self, job: Job, failure: Mapping[str, Any] | None) -> None:
        # Queued in libzizq without waiting; refused only once shutdown
        # finished (the server then requeues the job).
        job_id = cstr(job.id, "id")
        if failure is None:
            errors.call(lib.zizq_worker_ack, self._handle, job_id, expected=(_native.E_CLOSED,))
        else:
            body = _codec.encode(failure)
            errors.call(lib.zizq_worker_nack, self._handle, job_id, body, len(body),
                        expected=(_native.E_CLOSED,))

    async def stop(self, timeout: float = 30) -> bool:
        """Stop in the safe order (see ``zizq.Worker.stop``); True when
        everything finished within ``timeout`` seconds. The wait for libzizq
        runs on one thread of the loop's executor, since the handlers it
        waits for run on this loop."""
        if self._handle is None:
            return True
        if self._stopped is None:
            handle = self._handle
            loop = asyncio.get_running_loop()

            def shutdown() -> bool:
                status = errors.call(lib.zizq_worker_shutdown, handle, _wire.ms(timeout),
                                     expected=(_native.E_TIMEOUT,))
                return bool(status == _native.OK)

            self._stopped = asyncio.ensure_future(loop.run_in_executor(None, shutdown))
        return await asyncio.shield(self._stopped)

    def stats(self) -> dict[str, Any]:
        """The core's counters (see ``zizq.Worker.stats``)."""
        if self._handle is None:
            return {"state": "not started"}
        buf = _native.Buf()
        errors.call(lib.zizq_worker_stats, self._handle, ctypes.byref(buf))
        return dict(_codec.decode(_native.take_buf(buf)))

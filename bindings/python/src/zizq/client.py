"""zizq.Client: the seed's Zizq::Client, method for method, with every
request, take stream and stream parser running in libzizq."""

from __future__ import annotations

import ctypes
import json
import os
import select
import weakref
from functools import partial
from collections.abc import Generator, Iterable, Mapping
from contextlib import closing
from typing import (
    Any,
    Callable,
    NamedTuple,
    TypeVar,
    Union,
    overload,
)

from . import _codec, _native, _wire, errors
from ._events import EventPump
from ._native import FORMATS, Buf, cstr, lib, take_buf
from ._wire import UNCHANGED, Document, Seconds, _Sentinel
from .parser import parse_msgpack_stream, parse_ndjson
from .resources import CronEntry, CronGroup, ErrorPage, ErrorRecord, Job, JobPage


class StreamResponse(NamedTuple):
    """What ``on_response`` receives once the server accepted the take stream."""

    #: The HTTP status of the take stream's answer (200).
    status: int


#: A multi-value filter of list_jobs / count_jobs: one value, a list (an
#: empty one matches nothing), or None (no filter).
Filter = Union[str, Iterable[str], None]


T = TypeVar("T")


def _same(value: Any) -> Any:
    return value


def _free_handle(free_function: Callable[[int], None], handle: int | None, pid: int) -> None:
    # A handle created before fork() belongs to the parent: the child leaves
    # it alone (libzizq would refuse it anyway).
    if handle and os.getpid() == pid:
        free_function(handle)


def _tls_option(tls: Mapping[str, Any] | None) -> dict[str, str] | None:
    """libzizq's ``tls`` option from ``{"ca", "client_cert", "client_key"}``:
    each PEM text or a path to a PEM file, which libzizq tells apart itself.
    libzizq's other keys (``ca_pem``, ``ca_file``...) are passed on as given."""
    if tls is None:
        return None
    if not isinstance(tls, dict):
        raise TypeError("tls must be a dict: {'ca': ..., 'client_cert': ..., 'client_key': ...}")
    return {key: os.fspath(value) for key, value in tls.items() if value is not None}


def _batch_documents(pointer: int | None) -> list[bytes]:
    """The job documents of a zizq_batch (none for NULL), copied out before
    the batch is released."""
    if not pointer:
        return []
    try:
        count = lib.zizq_batch_len(pointer)
        jobs = lib.zizq_batch_jobs(pointer)
        return [ctypes.string_at(jobs[i].doc, jobs[i].doc_len) for i in range(count)]
    finally:
        lib.zizq_batch_free(pointer)


def _batch_handouts(pointer: int | None) -> list[tuple[bytes, bytes]]:
    """The (id, document) of each job of a worker's zizq_batch (none for
    NULL), copied out before the batch is released: the id is what the
    worker acks by, without decoding the document."""
    if not pointer:
        return []
    try:
        count = lib.zizq_batch_len(pointer)
        jobs = lib.zizq_batch_jobs(pointer)
        return [(jobs[i].id, ctypes.string_at(jobs[i].doc, jobs[i].doc_len))
                for i in range(count)]
    finally:
        lib.zizq_batch_free(pointer)


class _TakeStream:
    """One open ``GET /jobs/take`` stream of libzizq, read by one thread (or
    one event loop: zizq.AsyncClient waits on ``fd`` itself, then calls
    ``take_documents``)."""

    def __init__(self, client_handle: int | None, options: bytes) -> None:
        out = ctypes.c_void_p()
        errors.call(lib.zizq_take_open, client_handle, options, len(options), ctypes.byref(out))
        self.handle: int | None = out.value
        #: The stream's readiness descriptor: waiting on it here rather than
        #: inside libzizq keeps the main thread responsive to signals
        #: (KeyboardInterrupt interrupts the poll).
        self.fd: int = lib.zizq_take_fd(self.handle)
        self._ready = select.poll()
        self._ready.register(self.fd, select.POLLIN)

    def next_documents(self) -> list[bytes] | None:
        """Job documents received so far (possibly none after a wakeup), or
        None once the stream is over: ended by the server, or closed. Waits
        on the stream's descriptor, then takes what is there."""
        self._ready.poll()
        return self.take_documents()

    def take_documents(self) -> list[bytes] | None:
        """As ``next_documents``, without waiting."""
        out = ctypes.c_void_p()
        # A zero timeout cannot wait: the GIL stays held.
        status = errors.call(_native.held.zizq_take_next, self.handle, 0, 0, ctypes.byref(out),
                             expected=(_native.E_STREAM_ENDED, _native.E_CLOSED))
        if status != _native.OK:
            return None
        return _batch_documents(out.value)

    def free(self) -> None:
        lib.zizq_take_free(self.handle)
        self.handle = None


class Client:
    """A client of one Zizq server.

    ``format`` is ``"msgpack"`` (default) or ``"json"``: the encoding of every
    document exchanged with the server. ``read_timeout`` bounds each request
    and ``stream_idle_timeout`` the silence of a take stream (the server's
    heartbeats keep a healthy stream alive), both in seconds. ``tls`` is
    ``{"ca": ..., "client_cert": ..., "client_key": ...}`` (PEM text or file
    paths; an ``https://`` URL enables TLS). ``options`` passes further
    libzizq client options (``connect_timeout_ms``, ``connections``,
    ``log_level``...).

    What libzizq reports (reconnects, retried and refused acks, connections
    opened and retired...) is logged on the ``zizq`` loggers (``zizq.worker``,
    ``zizq.transport``, ``zizq.take``) from a daemon thread of the client,
    with the event's fields in the record's ``extra``; libzizq keeps events
    at ``log_level`` (default ``"info"``) and above.

    A client is thread safe: share one between threads. Every call that
    waits releases the GIL. Use it as a context manager, or call ``close()``.
    """

    #: The content type of each format.
    CONTENT_TYPES: dict[str, str] = {"msgpack": "application/msgpack",
                                     "json": "application/json"}
    #: The take stream's content type in each format.
    STREAM_ACCEPT: dict[str, str] = {"msgpack": "application/vnd.zizq.msgpack-stream",
                     "json": "application/x-ndjson"}

    parse_ndjson = staticmethod(parse_ndjson)
    parse_msgpack_stream = staticmethod(parse_msgpack_stream)

    def __init__(self, url: str, format: str = "msgpack", read_timeout: float = 30,
                 stream_idle_timeout: float = 30, tls: Mapping[str, Any] | None = None,
                 options: Mapping[str, Any] | None = None) -> None:
        if format not in FORMATS:
            raise ValueError(f"format must be 'msgpack' or 'json', not {format!r}")
        self._format = format
        # Documents cross the C boundary as JSON whatever the wire speaks:
        # libzizq converts, so the package needs no MessagePack library.
        native_options: Document = {
            "format": format,
            "documents": "json",
            "read_timeout_ms": _wire.ms(read_timeout),
            "stream_idle_timeout_ms": _wire.ms(stream_idle_timeout),
        }
        tls_options = _tls_option(tls)
        if tls_options is not None:
            native_options["tls"] = tls_options
        native_options.update(options or {})
        encoded = json.dumps(native_options).encode("utf-8")
        out = ctypes.c_void_p()
        errors.call(lib.zizq_client_new, cstr(url, "url"), encoded, len(encoded),
                    ctypes.byref(out))
        self._handle: int | None = out.value
        self._finalizer = weakref.finalize(self, _free_handle, lib.zizq_client_free,
                                           self._handle, os.getpid())
        # At interpreter exit, daemon threads may still be inside a call on
        # this handle: leave it to the process's end rather than free it.
        self._finalizer.atexit = False
        url_buf = Buf()
        errors.call(lib.zizq_client_url, self._handle, ctypes.byref(url_buf))
        self._url = take_buf(url_buf).decode("utf-8")
        # libzizq's events go to the `zizq` loggers from a thread of ours.
        self._events = EventPump(self._handle)
        weakref.finalize(self, self._events.stop)

    # -- lifecycle ---------------------------------------------------------

    @property
    def url(self) -> str:
        """The base URL of the server, without a trailing "/"."""
        return self._url

    @property
    def format(self) -> str:
        """``"msgpack"`` or ``"json"``."""
        return self._format

    def cleanup_internal_clients(self) -> None:
        """End the take streams of this client, including one still
        connecting (``take_jobs`` calls in other threads return). The client
        stays usable."""
        lib.zizq_client_close_streams(self._handle)

    def close(self) -> None:
        """Close the client: calls in progress in other threads end
        (``take_jobs`` returns, requests raise ConnectionError) and later calls
        raise ConnectionError. Idempotent; never blocks. The native handle is
        released when the client is garbage-collected."""
        lib.zizq_client_close(self._handle)

    def stats(self) -> dict[str, Any]:
        """The client's figures (see ``zizq_client_stats``): ``requests``
        and their outcomes (``requests_ok``, ``requests_client_error``,
        ``requests_server_error``, ``requests_failed``, ``timeouts``),
        ``retries``, ``open_connections``, ``take_streams``, ``bytes_out``,
        ``bytes_in``, ``latency_p50_ms`` / ``latency_p90_ms`` /
        ``latency_p99_ms`` over the last ``latency_window_ms`` (None without
        samples), ``latency_samples`` and ``events_dropped``."""
        out = Buf()
        errors.call(lib.zizq_client_stats, self._handle, ctypes.byref(out))
        stats: dict[str, Any] = json.loads(take_buf(out))
        return stats

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<zizq.Client url={self._url!r} format={self._format!r}>"

    @property
    def native_handle(self) -> int | None:
        """The libzizq ``zizq_client *`` (for zizq.Worker)."""
        return self._handle

    # -- plumbing ----------------------------------------------------------

    def _encode(self, value: Any) -> bytes:
        return _codec.encode(value)

    def _decode(self, data: bytes) -> Any:
        return _codec.decode(data)

    def _doc(self, value: Any) -> tuple[bytes, int]:
        data = self._encode(value)
        return data, len(data)

    # Every call goes through these three, which zizq.AsyncClient replaces
    # with ones that start the call and return a future; ``then`` turns the
    # decoded document into the method's result.

    def _fetch(self, function: Callable[..., int], *args: Any,
               then: Callable[[Any], T]) -> T:
        buf = Buf()
        errors.call(function, self._handle, *args, ctypes.byref(buf))
        return then(self._decode(take_buf(buf)))

    def _count(self, function: Callable[..., int], *args: Any) -> int:
        out = ctypes.c_int64()
        errors.call(function, self._handle, *args, ctypes.byref(out))
        return out.value

    def _perform(self, function: Callable[..., int], *args: Any) -> None:
        errors.call(function, self._handle, *args)

    def _known(self, value: T) -> T:
        """A result this client has without asking the server (the page
        after the last one), returned as its calls return results."""
        return value

    # -- jobs --------------------------------------------------------------

    def enqueue(self, *, queue: str, type: str, payload: Any, priority: int | None = None,
                ready_at: Seconds | None = None, retry_limit: int | None = None,
                backoff: Mapping[str, Any] | None = None,
                retention: Mapping[str, Any] | None = None, unique_key: str | None = None,
                unique_while: str | None = None) -> Job:
        """Enqueue a job. ``ready_at`` is seconds since the epoch (or a
        datetime); ``backoff`` and ``retention`` take the server's shapes
        (``base_ms``...) or the seconds shapes resources return. A unique
        duplicate (HTTP 200) is returned like a new job; see ``Job.duplicate``."""
        doc = _wire.job(type=type, queue=queue, payload=payload, priority=priority,
                        ready_at=ready_at, retry_limit=retry_limit, backoff=backoff,
                        retention=retention, unique_key=unique_key, unique_while=unique_while)
        return self._fetch(lib.zizq_enqueue, *self._doc(doc),
                           then=partial(Job, self))

    def enqueue_bulk(self, *, jobs: Iterable[Mapping[str, Any]]) -> list[Job]:
        """Enqueue jobs (dicts with the keywords of ``enqueue``) atomically;
        returns the jobs in the same order."""
        body = {"jobs": [_wire.job_from_dict(job) for job in jobs]}
        return self._fetch(lib.zizq_enqueue_bulk, *self._doc(body),
                           then=lambda data: [Job(self, item) for item in data["jobs"]])

    def get_job(self, id: str) -> Job:
        """The job with this id (NotFoundError if there is none)."""
        return self._fetch(lib.zizq_get_job, cstr(id, "id"),
                           then=partial(Job, self))

    def list_jobs(self, *, id: Filter = None, status: Filter = None, queue: Filter = None,
                  type: Filter = None, filter: str | None = None, from_: str | None = None,
                  order: str | None = None, limit: int | None = None,
                  **kwargs: Any) -> JobPage:
        """List jobs. ``id``, ``status``, ``queue`` and ``type`` take a value
        or a list; an empty one matches nothing and makes no request.
        ``from`` is spelled ``from_`` (``**{"from": cursor}`` works too)."""
        from_ = _from_argument(from_, kwargs, "list_jobs")
        filters = _wire.compact(id=id, status=status, queue=queue, type=type, filter=filter,
                                order=order, limit=limit)
        if from_ is not None:
            filters["from"] = from_
        return self._fetch(lib.zizq_list_jobs, *self._doc(filters),
                           then=partial(JobPage, self))

    def count_jobs(self, *, id: Filter = None, status: Filter = None, queue: Filter = None,
                   type: Filter = None, filter: str | None = None) -> int:
        """The number of jobs matching the filters of list_jobs (an empty
        multi-value filter matches nothing and makes no request)."""
        filters = _wire.compact(id=id, status=status, queue=queue, type=type, filter=filter)
        return self._count(lib.zizq_count_jobs, *self._doc(filters))

    def update_job(self, id: str, *, queue: str | _Sentinel = UNCHANGED,
                   priority: int | _Sentinel = UNCHANGED,
                   ready_at: Seconds | _Sentinel | None = UNCHANGED,
                   retry_limit: int | _Sentinel | None = UNCHANGED,
                   backoff: Mapping[str, Any] | _Sentinel | None = UNCHANGED,
                   retention: Mapping[str, Any] | _Sentinel | None = UNCHANGED) -> Job:
        """Update a job. Fields left UNCHANGED are not sent; RESET (or None)
        restores the server's default (refused for queue and priority)."""
        patch = _wire.patch({"queue": queue, "priority": priority, "ready_at": ready_at,
                             "retry_limit": retry_limit, "backoff": backoff,
                             "retention": retention})
        return self._fetch(lib.zizq_update_job, cstr(id, "id"), *self._doc(patch),
                           then=partial(Job, self))

    def update_all_jobs(self, *, where: Mapping[str, Any] | None = None,
                        apply: Mapping[str, Any] | None = None) -> int:
        """Apply ``apply`` (the fields of update_job) to the jobs matching
        ``where`` (the filters of list_jobs). Returns the number updated."""
        body = {"where": _wire.where(where), "apply": _wire.patch(apply or {})}
        return self._count(lib.zizq_update_all_jobs, *self._doc(body))

    def delete_job(self, id: str) -> None:
        """Delete a job (NotFoundError if there is none)."""
        return self._perform(lib.zizq_delete_job, cstr(id, "id"))

    def delete_all_jobs(self, *, where: Mapping[str, Any] | None = None) -> int:
        """Delete the jobs matching ``where`` (empty: every job); returns the
        number deleted."""
        return self._count(lib.zizq_delete_all_jobs, *self._doc({"where": _wire.where(where)}))

    # -- outcomes ----------------------------------------------------------

    def report_success(self, id: str) -> None:
        """Mark an in-flight job completed."""
        return self._perform(lib.zizq_report_success, cstr(id, "id"))

    ack = report_success

    def report_success_bulk(self, ids: Iterable[str]) -> None:
        """Mark in-flight jobs completed. Ids no longer in flight are ignored
        (the server's 422 counts as success, as in the seed)."""
        if isinstance(ids, (str, bytes)):  # iterating it would ack each character
            raise TypeError("ids must be a list of ids, not a single id")
        return self._perform(lib.zizq_report_success_bulk, *self._doc({"ids": list(ids)}))

    ack_bulk = report_success_bulk

    def report_failure(self, id: str, *, message: str, error_type: str | None = None,
                       backtrace: str | None = None, retry_at: Seconds | None = None,
                       kill: bool = False) -> Job:
        """Report a failure. ``retry_at`` (seconds or a datetime) asks for a
        retry at that time; ``kill=True`` gives up on the job. Returns the
        updated job."""
        body = _wire.compact(message=message, error_type=error_type, backtrace=backtrace,
                             retry_at=None if retry_at is None else _wire.ms(retry_at))
        if kill:
            body["kill"] = True
        return self._fetch(lib.zizq_report_failure, cstr(id, "id"), *self._doc(body),
                           then=partial(Job, self))

    nack = report_failure

    def get_error(self, id: str, *, attempt: int) -> ErrorRecord:
        """The error record of one attempt (1-based) of a job."""
        return self._fetch(lib.zizq_get_error, cstr(id, "id"),
                                             _native.uint32(attempt, "attempt"),
                           then=partial(ErrorRecord, self))

    def list_errors(self, id: str, *, from_: str | None = None, order: str | None = None,
                    limit: int | None = None, **kwargs: Any) -> ErrorPage:
        """A page of a job's error records."""
        from_ = _from_argument(from_, kwargs, "list_errors")
        params = _wire.compact(order=order, limit=limit)
        if from_ is not None:
            params["from"] = from_
        return self._fetch(lib.zizq_list_errors, cstr(id, "id"),
                                           *self._doc(params),
                           then=partial(ErrorPage, self))

    # -- server ------------------------------------------------------------

    def health(self) -> Document:
        """``{"status": "ok"}`` while the server is up."""
        return self._fetch(lib.zizq_health, then=lambda data: dict(data))

    def server_version(self) -> str:
        """The server's version string."""
        return self._fetch(lib.zizq_server_version, then=lambda data: str(data["version"]))

    def get_queues(self) -> list[str]:
        """The names of every queue holding jobs."""
        return self._fetch(lib.zizq_get_queues, then=lambda data: list(data["queues"]))

    def erase_all_data(self) -> None:
        """Wipe every job and cron group on the server."""
        return self._perform(lib.zizq_erase_all_data)

    def get_path(self, path: str) -> Any:
        """GET a server path (typically a page link) and return the decoded
        document. A link to another server is refused (ValueError)."""
        return self._fetch(lib.zizq_get_path, cstr(path, "path"), then=_same)

    # -- crons (a Pro feature: a free server answers 403) ------------------

    def list_cron_groups(self) -> list[Document]:
        """A summary of every cron group (name, paused, entry count...)."""
        return self._fetch(lib.zizq_list_cron_groups, then=lambda data: list(data["crons"]))

    def get_cron_group(self, name: str) -> CronGroup:
        """A cron group and its entries (NotFoundError if there is none)."""
        return self._fetch(lib.zizq_get_cron_group, cstr(name, "group"),
                           then=partial(CronGroup, self))

    def replace_cron_group(self, name: str, *, paused: bool | None = None,
                           entries: Iterable[Mapping[str, Any]] = ()) -> CronGroup:
        """Create or replace a whole group: entries not given are deleted,
        and entries whose expression is unchanged keep their schedule."""
        body = _wire.compact(paused=paused)
        body["entries"] = [_wire.cron_entry_from_dict(entry) for entry in entries]
        return self._fetch(lib.zizq_replace_cron_group, cstr(name, "group"),
                                           *self._doc(body),
                           then=partial(CronGroup, self))

    def update_cron_group(self, name: str, *, paused: bool | None = None) -> CronGroup:
        """Pause or resume a group."""
        return self._fetch(lib.zizq_update_cron_group, cstr(name, "group"),
                                           *self._doc(_wire.compact(paused=paused)),
                           then=partial(CronGroup, self))

    def delete_cron_group(self, name: str) -> None:
        """Delete a cron group and its entries."""
        return self._perform(lib.zizq_delete_cron_group, cstr(name, "group"))

    def delete_all_crons(self) -> int:
        """Delete every cron group; returns how many there were."""
        return self._count(lib.zizq_delete_all_crons)

    def add_cron_group_entry(self, group: str, *, name: str, expression: str,
                             job: Mapping[str, Any], timezone: str | None = None,
                             paused: bool | None = None) -> CronEntry:
        """Add an entry (creating the group if needed). An existing entry
        name raises ClientError (409)."""
        entry = _wire.cron_entry(name=name, expression=expression, job=job, timezone=timezone,
                                 paused=paused)
        return self._fetch(lib.zizq_add_cron_group_entry, cstr(group, "group"),
                                           *self._doc(entry),
                           then=partial(CronEntry, self))

    def get_cron_group_entry(self, group: str, entry: str) -> CronEntry:
        """One entry of a cron group (NotFoundError if there is none)."""
        return self._fetch(lib.zizq_get_cron_group_entry, cstr(group, "group"),
                                           cstr(entry, "entry"),
                           then=partial(CronEntry, self))

    def replace_cron_group_entry(self, group: str, entry: str, *, expression: str,
                                 job: Mapping[str, Any], timezone: str | None = None,
                                 paused: bool | None = None) -> CronEntry:
        """Create or replace one entry; an unchanged expression keeps its
        schedule."""
        body = _wire.cron_entry(name=entry, expression=expression, job=job,
                                timezone=timezone, paused=paused)
        del body["name"]  # the entry is named by the path
        return self._fetch(lib.zizq_replace_cron_group_entry,
                                           cstr(group, "group"), cstr(entry, "entry"),
                                           *self._doc(body),
                           then=partial(CronEntry, self))

    def update_cron_group_entry(self, group: str, entry: str, *, paused: bool) -> CronEntry:
        """Pause or resume one entry."""
        return self._fetch(lib.zizq_update_cron_group_entry,
                                           cstr(group, "group"), cstr(entry, "entry"),
                                           *self._doc({"paused": paused}),
                           then=partial(CronEntry, self))

    def delete_cron_group_entry(self, group: str, entry: str) -> None:
        """Delete one entry of a cron group."""
        return self._perform(lib.zizq_delete_cron_group_entry, cstr(group, "group"),
                      cstr(entry, "entry"))

    # -- take --------------------------------------------------------------

    @overload
    def take_jobs(self, callback: None = None, *, prefetch: int = 1,
                  queues: str | Iterable[str] = (), worker_id: str | None = None,
                  on_connect: Callable[[], object] | None = None,
                  on_response: Callable[[StreamResponse], object] | None = None,
                  ) -> Generator[Job, None, None]: ...

    @overload
    def take_jobs(self, callback: Callable[[Job], object], *, prefetch: int = 1,
                  queues: str | Iterable[str] = (), worker_id: str | None = None,
                  on_connect: Callable[[], object] | None = None,
                  on_response: Callable[[StreamResponse], object] | None = None) -> None: ...

    def take_jobs(self, callback: Callable[[Job], object] | None = None, *, prefetch: int = 1,
                  queues: str | Iterable[str] = (), worker_id: str | None = None,
                  on_connect: Callable[[], object] | None = None,
                  on_response: Callable[[StreamResponse], object] | None = None,
                  ) -> Generator[Job, None, None] | None:
        """Stream jobs from the server as zizq.Job objects.

        With ``callback``, call it for each job and return None when the
        server ends the stream, ``close()`` is called from another thread,
        or the callback returns ``False``. Without, return an iterator: leave
        the ``for`` loop (or close the iterator) to end the stream.

        Jobs must be acked or nacked: the server stops sending at
        ``prefetch`` unresolved jobs and requeues them when the stream
        closes. A lost connection raises ConnectionError; a refused or
        corrupt stream raises StreamError.
        """
        if isinstance(queues, str):
            queues = [queues]
        options = _wire.compact(prefetch=prefetch, queues=list(queues), worker_id=worker_id)
        jobs = self._take(self._encode(options), on_connect, on_response)
        if callback is None:
            return jobs
        with closing(jobs):
            for job in jobs:
                if callback(job) is False:
                    break
        return None

    def _take(self, options: bytes, on_connect: Callable[[], object] | None,
              on_response: Callable[[StreamResponse], object] | None,
              ) -> Generator[Job, None, None]:
        stream = _TakeStream(self._handle, options)
        try:
            if on_connect is not None:
                on_connect()
            if on_response is not None:
                on_response(StreamResponse(200))
            while True:
                documents = stream.next_documents()
                if documents is None:
                    return
                for data in documents:
                    yield Job(self, self._decode(data))
        finally:
            stream.free()


def _from_argument(from_: str | None, kwargs: dict[str, Any], method: str) -> str | None:
    value = kwargs.pop("from", None)
    if kwargs:
        raise TypeError(f"{method}() got unexpected keyword argument(s): {', '.join(kwargs)}")
    if from_ is not None and value is not None:
        raise TypeError(f"{method}() got both from_ and from")
    return from_ if from_ is not None else value

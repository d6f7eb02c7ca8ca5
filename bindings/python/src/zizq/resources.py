"""The objects the client returns: a server document (string keys, times in
milliseconds) with attributes converted to Python shapes (times as float
seconds since the epoch), and the client for follow-up calls."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import (
    TYPE_CHECKING,
    Any,
    Callable,
    ClassVar,
    Generic,
    Optional,
    TypeVar,
    cast,
    overload,
)

from . import _codec, _wire
from ._wire import Document

if TYPE_CHECKING:
    from .client import Client



def _then(result: Any, convert: Callable[[Any], Any]) -> Any:
    """``convert(result)``; for the future a zizq.AsyncClient call returns,
    a coroutine that awaits it first."""
    if inspect.isawaitable(result):
        async def converted() -> Any:
            return convert(await result)

        return converted()
    return convert(result)

class Resource:
    """Base of every resource. ``to_dict()`` is the server's document as
    received; ``resource["key"]`` reads it too. Resources are equal when
    their documents are (jobs: when their ids are)."""

    __slots__ = ("_data", "client")

    def __init__(self, client: Client, data: Document) -> None:
        #: The client that fetched this resource, for follow-up calls.
        self.client = client
        self._data = data

    def to_dict(self) -> Document:
        """The server's document, as received."""
        return self._data

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def get(self, key: str, default: Any = None) -> Any:
        """A field of the server's document, or ``default``."""
        return self._data.get(key, default)

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other._data == self._data

    # Defining __eq__ leaves __hash__ None: documents are mutable (dicts), so
    # resources equal by document are not hashable. Job, equal by id, is.

    def __repr__(self) -> str:
        return f"<zizq.{type(self).__name__} {self._data!r}>"

    def _str(self, key: str) -> str:
        return cast(str, self._data.get(key))

    def _optional(self, key: str) -> Any:
        return self._data.get(key)

    def _seconds(self, key: str) -> float | None:
        return _wire.seconds(self._data.get(key))


class JobTemplate(Resource):
    """The fields a job shares with the job template of a cron entry."""

    __slots__ = ()

    @property
    def type(self) -> str:
        """The job type (what a worker dispatches on)."""
        return self._str("type")

    @property
    def queue(self) -> str:
        """The queue the job is in."""
        return self._str("queue")

    @property
    def priority(self) -> int:
        """The priority (lower runs first)."""
        return cast(int, self._data.get("priority"))

    @property
    def payload(self) -> Any:
        """The job's payload, decoded."""
        return self._data.get("payload")

    @property
    def retry_limit(self) -> int | None:
        """How many retries the job gets, or None for the server's default."""
        return cast(Optional[int], self._data.get("retry_limit"))

    @property
    def unique_key(self) -> str | None:
        """The unique key of a unique job, or None."""
        return cast(Optional[str], self._data.get("unique_key"))

    @property
    def unique_while(self) -> str | None:
        """How long a unique key holds (``"queued"``, ``"active"``, ``"exists"``), or None."""
        return cast(Optional[str], self._data.get("unique_while"))

    @property
    def backoff(self) -> dict[str, float | None] | None:
        """``{"exponent", "base", "jitter"}`` with base and jitter in seconds, or None."""
        raw = self._data.get("backoff")
        if raw is None:
            return None
        return {"exponent": float(raw["exponent"]), "base": _wire.seconds(raw.get("base_ms")),
                "jitter": _wire.seconds(raw.get("jitter_ms"))}

    @property
    def retention(self) -> dict[str, float] | None:
        """``{"completed", "dead"}`` in seconds (each only if set), or None."""
        raw = self._data.get("retention")
        if raw is None:
            return None
        out = {"completed": _wire.seconds(raw.get("completed_ms")),
               "dead": _wire.seconds(raw.get("dead_ms"))}
        return {key: value for key, value in out.items() if value is not None}


class Job(JobTemplate):
    """A job. Times are float seconds since the epoch.

    Jobs are equal, and hash alike, when their ids are: two snapshots of the
    same job (before and after an update, say) are the same job, so a set of
    jobs holds each job once."""

    __slots__ = ("_raw",)
    _raw: bytes  # the undecoded document of a handed-out job

    @classmethod
    def _handed_out(cls, client: Client, raw: bytes) -> Job:
        """A job a worker hands to its handler, its JSON document decoded
        on first use: a handler that needs only some jobs' fields, or none,
        does not pay for the others (the worker acks by the id libzizq
        gives beside the document)."""
        job = cls.__new__(cls)
        job.client = client
        job._raw = raw
        return job

    if not TYPE_CHECKING:  # type checkers must still flag unknown attributes

        def __getattr__(self, name: str) -> Any:
            # Reached only for an unset slot: `_data` of a handed-out job.
            if name == "_data":
                data = self._data = _codec.decode(self._raw)
                return data
            raise AttributeError(f"'Job' object has no attribute {name!r}")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Job) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)

    @property
    def id(self) -> str:
        """The job's id."""
        return self._str("id")

    @property
    def status(self) -> str:
        """``"scheduled"``, ``"ready"``, ``"in_flight"``, ``"completed"`` or ``"dead"``."""
        return self._str("status")

    @property
    def attempts(self) -> int:
        """How many times the job has been taken."""
        return cast(int, self._data.get("attempts"))

    @property
    def ready_at(self) -> float | None:
        """When the job becomes (or became) ready."""
        return self._seconds("ready_at")

    @property
    def dequeued_at(self) -> float | None:
        """When the job was last taken, or None."""
        return self._seconds("dequeued_at")

    @property
    def failed_at(self) -> float | None:
        """When the job last failed, or None."""
        return self._seconds("failed_at")

    @property
    def completed_at(self) -> float | None:
        """When the job completed, or None."""
        return self._seconds("completed_at")

    @property
    def purge_at(self) -> float | None:
        """When the server will drop a completed or dead job, or None."""
        return self._seconds("purge_at")

    @property
    def duplicate(self) -> bool:
        """True when an enqueue found an existing job with the same unique
        key (this object then describes that job)."""
        return self._data.get("duplicate") is True

    @property
    def folded(self) -> bool:
        """True when an enqueue was folded into an open batch job."""
        return self._data.get("folded") is True

    def errors(self, **options: Any) -> ErrorPage:
        """A page of this job's error records (options of list_errors)."""
        return self.client.list_errors(self.id, **options)

    def complete(self) -> None:
        """Acknowledge this (in-flight) job."""
        return self.client.report_success(self.id)

    def fail(self, **options: Any) -> Job:
        """Report a failure of this job (options of report_failure); returns
        the updated job."""
        return self.client.report_failure(self.id, **options)

    def delete(self) -> None:
        """Delete this job from the server."""
        return self.client.delete_job(self.id)

    def update(self, **fields: Any) -> Job:
        """Update this job (see Client.update_job), refresh this object from
        the answer, and return the answer."""
        def refresh(updated: Job) -> Job:
            self._data = updated.to_dict()
            return updated

        return cast(Job, _then(self.client.update_job(self.id, **fields), refresh))


ItemT = TypeVar("ItemT", bound=Resource)
PageT = TypeVar("PageT", bound="Page[Any]")


class Page(Resource, Generic[ItemT]):
    """A page of a paginated list: iterable, sized, and able to follow the
    server's page links."""

    __slots__ = ("_items",)
    _ITEMS_KEY: ClassVar[str] = ""

    def __init__(self, client: Client, data: Document) -> None:
        super().__init__(client, data)
        self._items: list[ItemT] | None = None

    def _item(self, data: Document) -> ItemT:
        raise NotImplementedError

    @property
    def items(self) -> list[ItemT]:
        """The resources of this page, in the server's order."""
        if self._items is None:
            self._items = [self._item(item) for item in self._data.get(self._ITEMS_KEY) or []]
        return self._items

    def __iter__(self) -> Iterator[ItemT]:
        return iter(self.items)

    @overload
    def __getitem__(self, key: int) -> ItemT: ...

    @overload
    def __getitem__(self, key: slice) -> list[ItemT]: ...

    @overload
    def __getitem__(self, key: str) -> Any: ...

    def __getitem__(self, key: int | slice | str) -> Any:
        """``page[0]``, ``page[1:]``: items; ``page["pages"]``: the document."""
        if isinstance(key, (int, slice)):
            return self.items[key]
        return self._data[key]

    def __len__(self) -> int:
        return len(self.items)

    def __bool__(self) -> bool:
        return True

    def _link(self, name: str) -> str | None:
        return cast(Optional[str], (self._data.get("pages") or {}).get(name))

    @property
    def has_next(self) -> bool:
        """True when a next page exists."""
        return self._link("next") is not None

    @property
    def has_prev(self) -> bool:
        """True when a previous page exists."""
        return self._link("prev") is not None

    def next_page(self: PageT) -> PageT | None:
        """The next page, or None on the last one."""
        return self._follow("next")

    def prev_page(self: PageT) -> PageT | None:
        """The previous page (items nearest first), or None on the first one."""
        return self._follow("prev")

    def _follow(self: PageT, name: str) -> PageT | None:
        path = self._link(name)
        if path is None:
            # Awaitable through a zizq.AsyncClient, like the pages it fetches.
            return cast(Optional[PageT], self.client._known(None))
        return cast(Optional[PageT],
                    _then(self.client.get_path(path), lambda data: type(self)(self.client, data)))

    def __repr__(self) -> str:
        pages = self._data.get("pages")
        return f"<zizq.{type(self).__name__} items={self.items!r} pages={pages!r}>"


class JobPage(Page[Job]):
    """A page of jobs (Client.list_jobs)."""

    __slots__ = ()
    _ITEMS_KEY = "jobs"

    def _item(self, data: Document) -> Job:
        return Job(self.client, data)

    @property
    def jobs(self) -> list[Job]:
        """The jobs of this page (``items``)."""
        return self.items

    def _ids(self) -> list[str]:
        # An empty page gives id=[], which matches nothing: no request.
        return [job.id for job in self.items]

    def delete_all(self) -> int:
        """Delete the jobs of this page; returns the number deleted."""
        return self.client.delete_all_jobs(where={"id": self._ids()})

    def update_all(self, **fields: Any) -> int:
        """Apply ``fields`` (see Client.update_job) to the jobs of this page;
        returns the number updated."""
        return self.client.update_all_jobs(where={"id": self._ids()}, apply=fields)


class ErrorRecord(Resource):
    """One recorded failure of a job."""

    __slots__ = ()

    @property
    def attempt(self) -> int:
        """The attempt that failed (1-based)."""
        return cast(int, self._data.get("attempt"))

    @property
    def message(self) -> str:
        """The failure message."""
        return self._str("message")

    @property
    def error_type(self) -> str | None:
        """The reported error type, or None."""
        return cast(Optional[str], self._data.get("error_type"))

    @property
    def backtrace(self) -> str | None:
        """The reported backtrace, or None."""
        return cast(Optional[str], self._data.get("backtrace"))

    @property
    def dequeued_at(self) -> float | None:
        """When the failed attempt was taken."""
        return self._seconds("dequeued_at")

    @property
    def failed_at(self) -> float | None:
        """When the attempt failed."""
        return self._seconds("failed_at")


class ErrorPage(Page[ErrorRecord]):
    """A page of a job's error records (Client.list_errors)."""

    __slots__ = ()
    _ITEMS_KEY = "errors"

    def _item(self, data: Document) -> ErrorRecord:
        return ErrorRecord(self.client, data)

    @property
    def errors(self) -> list[ErrorRecord]:
        """The error records of this page (``items``)."""
        return self.items


class CronEntry(Resource):
    """One entry of a cron group: an expression and the job it enqueues."""

    __slots__ = ()

    @property
    def name(self) -> str:
        """The entry's name, unique in its group."""
        return self._str("name")

    @property
    def expression(self) -> str:
        """The cron expression."""
        return self._str("expression")

    @property
    def timezone(self) -> str | None:
        """The IANA time zone of the expression, or None (UTC)."""
        return cast(Optional[str], self._data.get("timezone"))

    @property
    def paused(self) -> bool:
        """True while the entry is paused."""
        return self._data.get("paused") is True

    @property
    def paused_at(self) -> float | None:
        """When the entry was paused, or None."""
        return self._seconds("paused_at")

    @property
    def resumed_at(self) -> float | None:
        """When the entry was resumed, or None."""
        return self._seconds("resumed_at")

    @property
    def next_enqueue_at(self) -> float | None:
        """When the entry next enqueues its job."""
        return self._seconds("next_enqueue_at")

    @property
    def last_enqueue_at(self) -> float | None:
        """When the entry last enqueued its job, or None."""
        return self._seconds("last_enqueue_at")

    @property
    def job(self) -> JobTemplate:
        """The job the entry enqueues."""
        return JobTemplate(self.client, self._data.get("job") or {})


class CronGroup(Resource):
    """A cron group and its entries."""

    __slots__ = ()

    @property
    def name(self) -> str:
        """The group's name."""
        return self._str("name")

    @property
    def paused(self) -> bool:
        """True while the whole group is paused."""
        return self._data.get("paused") is True

    @property
    def paused_at(self) -> float | None:
        """When the group was paused, or None."""
        return self._seconds("paused_at")

    @property
    def resumed_at(self) -> float | None:
        """When the group was resumed, or None."""
        return self._seconds("resumed_at")

    @property
    def entries(self) -> list[CronEntry]:
        """The group's entries."""
        return [CronEntry(self.client, entry) for entry in self._data.get("entries") or []]

"""The objects the client returns: a server document (string keys, times in
milliseconds) with attributes converted to Python shapes (times as float
seconds since the epoch), and the client for follow-up calls."""

from . import _wire


class Resource:
    """Base of every resource. ``to_dict()`` is the server's document as
    received; ``resource["key"]`` reads it too."""

    __slots__ = ("_data", "client")

    def __init__(self, client, data):
        self.client = client
        self._data = data

    def to_dict(self):
        return self._data

    def __getitem__(self, key):
        return self._data[key]

    def get(self, key, default=None):
        return self._data.get(key, default)

    def __eq__(self, other):
        return type(other) is type(self) and other._data == self._data

    __hash__ = None

    def __repr__(self):
        return f"<zizq.{type(self).__name__} {self._data!r}>"

    def _seconds(self, key):
        return _wire.seconds(self._data.get(key))


class JobTemplate(Resource):
    """The fields a job shares with the job template of a cron entry."""

    __slots__ = ()

    type = property(lambda self: self._data.get("type"))
    queue = property(lambda self: self._data.get("queue"))
    priority = property(lambda self: self._data.get("priority"))
    payload = property(lambda self: self._data.get("payload"))
    retry_limit = property(lambda self: self._data.get("retry_limit"))
    unique_key = property(lambda self: self._data.get("unique_key"))
    unique_while = property(lambda self: self._data.get("unique_while"))

    @property
    def backoff(self):
        """``{"exponent", "base", "jitter"}`` with base and jitter in seconds, or None."""
        raw = self._data.get("backoff")
        if raw is None:
            return None
        return {"exponent": float(raw["exponent"]), "base": _wire.seconds(raw.get("base_ms")),
                "jitter": _wire.seconds(raw.get("jitter_ms"))}

    @property
    def retention(self):
        """``{"completed", "dead"}`` in seconds (each only if set), or None."""
        raw = self._data.get("retention")
        if raw is None:
            return None
        out = {"completed": _wire.seconds(raw.get("completed_ms")),
               "dead": _wire.seconds(raw.get("dead_ms"))}
        return {key: value for key, value in out.items() if value is not None}


class Job(JobTemplate):
    """A job. Times are float seconds since the epoch."""

    __slots__ = ()

    id = property(lambda self: self._data.get("id"))
    status = property(lambda self: self._data.get("status"))
    attempts = property(lambda self: self._data.get("attempts"))
    ready_at = property(lambda self: self._seconds("ready_at"))
    dequeued_at = property(lambda self: self._seconds("dequeued_at"))
    failed_at = property(lambda self: self._seconds("failed_at"))
    completed_at = property(lambda self: self._seconds("completed_at"))
    purge_at = property(lambda self: self._seconds("purge_at"))

    @property
    def duplicate(self):
        """True when an enqueue found an existing job with the same unique
        key (this object then describes that job)."""
        return self._data.get("duplicate") is True

    @property
    def folded(self):
        """True when an enqueue was folded into an open batch job."""
        return self._data.get("folded") is True

    def errors(self, **options):
        """A page of this job's error records (options of list_errors)."""
        return self.client.list_errors(self.id, **options)

    def complete(self):
        """Acknowledge this (in-flight) job."""
        return self.client.report_success(self.id)

    def fail(self, **options):
        """Report a failure of this job (options of report_failure); returns
        the updated job."""
        return self.client.report_failure(self.id, **options)

    def delete(self):
        return self.client.delete_job(self.id)

    def update(self, **fields):
        """Update this job (see Client.update_job), refresh this object from
        the answer, and return the answer."""
        updated = self.client.update_job(self.id, **fields)
        self._data = updated.to_dict()
        return updated


class Page(Resource):
    """A page of a paginated list: iterable, sized, and able to follow the
    server's page links."""

    __slots__ = ("_items",)
    _ITEMS_KEY = ""
    _ITEM_CLASS = Resource

    def __init__(self, client, data):
        super().__init__(client, data)
        self._items = None

    @property
    def items(self):
        if self._items is None:
            self._items = [self._ITEM_CLASS(self.client, item)
                           for item in self._data.get(self._ITEMS_KEY) or []]
        return self._items

    def __iter__(self):
        return iter(self.items)

    def __getitem__(self, key):
        """``page[0]``, ``page[1:]``: items; ``page["pages"]``: the document."""
        if isinstance(key, (int, slice)):
            return self.items[key]
        return self._data[key]

    def __len__(self):
        return len(self.items)

    def __bool__(self):
        return True

    def _link(self, name):
        return (self._data.get("pages") or {}).get(name)

    @property
    def has_next(self):
        return self._link("next") is not None

    @property
    def has_prev(self):
        return self._link("prev") is not None

    def next_page(self):
        """The next page, or None on the last one."""
        return self._follow("next")

    def prev_page(self):
        """The previous page (items nearest first), or None on the first one."""
        return self._follow("prev")

    def _follow(self, name):
        path = self._link(name)
        if path is None:
            return None
        return type(self)(self.client, self.client.get_path(path))

    def __repr__(self):
        pages = self._data.get("pages")
        return f"<zizq.{type(self).__name__} items={self.items!r} pages={pages!r}>"


class JobPage(Page):
    """A page of jobs (Client.list_jobs)."""

    __slots__ = ()
    _ITEMS_KEY = "jobs"
    _ITEM_CLASS = Job

    @property
    def jobs(self):
        return self.items

    def _ids(self):
        # An empty page gives id=[], which matches nothing: no request.
        return [job.id for job in self.items]

    def delete_all(self):
        """Delete the jobs of this page; returns the number deleted."""
        return self.client.delete_all_jobs(where={"id": self._ids()})

    def update_all(self, **fields):
        """Apply ``fields`` (see Client.update_job) to the jobs of this page;
        returns the number updated."""
        return self.client.update_all_jobs(where={"id": self._ids()}, apply=fields)


class ErrorRecord(Resource):
    """One recorded failure of a job."""

    __slots__ = ()

    attempt = property(lambda self: self._data.get("attempt"))
    message = property(lambda self: self._data.get("message"))
    error_type = property(lambda self: self._data.get("error_type"))
    backtrace = property(lambda self: self._data.get("backtrace"))
    dequeued_at = property(lambda self: self._seconds("dequeued_at"))
    failed_at = property(lambda self: self._seconds("failed_at"))


class ErrorPage(Page):
    """A page of a job's error records (Client.list_errors)."""

    __slots__ = ()
    _ITEMS_KEY = "errors"
    _ITEM_CLASS = ErrorRecord

    @property
    def errors(self):
        return self.items


class CronEntry(Resource):
    """One entry of a cron group: an expression and the job it enqueues."""

    __slots__ = ()

    name = property(lambda self: self._data.get("name"))
    expression = property(lambda self: self._data.get("expression"))
    timezone = property(lambda self: self._data.get("timezone"))
    paused = property(lambda self: self._data.get("paused") is True)
    paused_at = property(lambda self: self._seconds("paused_at"))
    resumed_at = property(lambda self: self._seconds("resumed_at"))
    next_enqueue_at = property(lambda self: self._seconds("next_enqueue_at"))
    last_enqueue_at = property(lambda self: self._seconds("last_enqueue_at"))

    @property
    def job(self):
        return JobTemplate(self.client, self._data.get("job") or {})


class CronGroup(Resource):
    """A cron group and its entries."""

    __slots__ = ()

    name = property(lambda self: self._data.get("name"))
    paused = property(lambda self: self._data.get("paused") is True)
    paused_at = property(lambda self: self._seconds("paused_at"))
    resumed_at = property(lambda self: self._seconds("resumed_at"))

    @property
    def entries(self):
        return [CronEntry(self.client, entry) for entry in self._data.get("entries") or []]

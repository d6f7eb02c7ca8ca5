"""libzizq's events forwarded to the standard ``logging`` module.

Each client owns one daemon thread that blocks in
``zizq_client_next_events`` (the GIL released) and logs what arrives on
logger ``zizq.<area>`` (``zizq.transport``, ``zizq.take``, ``zizq.worker``,
``zizq.events``), children of ``zizq``. The thread uses a derived handle of
its own, so a client it serves can still be garbage-collected; it ends when
the client is closed or collected.
"""

from __future__ import annotations

import ctypes
import json
import logging
import os
import threading
from typing import Any

from . import _native, errors
from ._native import Buf, lib, take_buf

# A library leaves output to the application (the logging HOWTO): without
# a configured handler nothing is printed, not even warnings.
logging.getLogger("zizq").addHandler(logging.NullHandler())

#: libzizq's level names and the logging levels they map to.
LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warn": logging.WARNING,
          "error": logging.ERROR}

# Attributes a LogRecord has of its own: a field of the same name goes into
# `extra` as zizq_<name> instead.
_RESERVED = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


def log_event(event: dict[str, Any]) -> None:
    """Log one event (a map of ``zizq_client_next_events``) on its logger,
    with its time; its fields, kind and area go into the record's ``extra``
    (each field by name, and all of them as ``zizq_fields``)."""
    logger = logging.getLogger(f"zizq.{event.get('area', 'events')}")
    level = LEVELS.get(event.get("level", ""), logging.WARNING)
    if not logger.isEnabledFor(level):
        return
    fields = event.get("fields") or {}
    extra = {("zizq_" + key if key in _RESERVED else key): value for key, value in fields.items()}
    extra.update(zizq_kind=event.get("kind"), zizq_area=event.get("area"), zizq_fields=fields)
    record = logger.makeRecord(logger.name, level, "(libzizq)", 0, event.get("message", ""),
                               (), None, extra=extra)
    record.created = event.get("time_ms", record.created * 1000) / 1000
    record.msecs = (record.created * 1000) % 1000
    logger.handle(record)


class EventPump:
    """The thread that reads one client's events and logs them. It blocks
    in ``zizq_client_next_events``; ``stop`` ends the wait with
    ``zizq_client_events_wakeup``, so an idle client's thread sleeps until
    something happens."""

    def __init__(self, client_handle: int | None) -> None:
        out = ctypes.c_void_p()
        errors.call(lib.zizq_client_derive, client_handle, ctypes.byref(out))
        self._handle: int | None = out.value
        self._pid = os.getpid()
        self._stop = threading.Event()
        # Guards the handle: the thread frees it when it ends, and stop()
        # must not wake a freed handle.
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="zizq-events", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop soon (the events still queued are logged first when the
        client was closed). Never blocks."""
        self._stop.set()
        # Not a blocking acquire: as a finalizer this may run on the thread
        # that holds the lock (a collection inside its last lines), which
        # would wait for itself. Whoever holds the lock is waking the
        # thread or ending it.
        if not self._lock.acquire(blocking=False):
            return
        try:
            if self._handle is not None and os.getpid() == self._pid:
                lib.zizq_client_events_wakeup(self._handle)
        finally:
            self._lock.release()

    def _run(self) -> None:
        handle = self._handle
        try:
            while not self._stop.is_set():
                out = Buf()
                status = lib.zizq_client_next_events(handle, 0, -1, ctypes.byref(out), None)
                if status != _native.OK:
                    return  # closed (or a fork child's inherited handle)
                for event in json.loads(take_buf(out) or b"[]"):
                    log_event(event)
        except Exception:  # noqa: BLE001 - logging must never kill the host
            logging.getLogger("zizq.events").exception("zizq event forwarding stopped")
        finally:
            with self._lock:
                self._handle = None
                if os.getpid() == self._pid:
                    lib.zizq_client_free(handle)

"""Exceptions, and the translation of failed libzizq calls into them."""

from __future__ import annotations

import ctypes
from typing import Any, Callable

from . import _native
from ._native import FORMAT_NONE, lib


class Error(Exception):
    """Base class of every error this package raises (argument errors,
    which are ValueError / TypeError, excepted).

    Errors from libzizq carry their status name in ``zizq_status`` (e.g.
    ``"ZIZQ_E_NOT_FOUND"``), ``retryable`` and ``outcome_unknown``. Every
    attribute survives pickling (errors crossing a process pool)."""

    #: libzizq's status name, e.g. ``"ZIZQ_E_TIMEOUT"``; None for errors
    #: raised by the package itself.
    zizq_status: str | None = None
    #: Whether retrying the same call is safe and could succeed: nothing was
    #: acted on (connection refused, 503...), or the operation is safe to
    #: repeat (reads, deletes by id, acks). False after an unknown outcome of
    #: an enqueue, which a retry could duplicate.
    retryable: bool = False
    #: Whether the request may have reached the server with no answer saying
    #: what happened (connection lost after sending, read timeout): the
    #: server may or may not have acted on it.
    outcome_unknown: bool = False


class ConnectionError(Error):  # the seed's name: zizq.ConnectionError (not the builtin)
    """The server could not be reached, the connection was lost or timed
    out, TLS failed, or the client was closed."""


class ResponseError(Error):
    """The server answered with a status the operation does not accept."""

    def __init__(self, message: str, status: int | None = None, body: Any = None) -> None:
        super().__init__(message)
        #: The HTTP status of the answer.
        self.status: int | None = status
        #: The decoded error body (usually ``{"error": "..."}``), or None.
        self.body: Any = body


class ClientError(ResponseError):
    """A 4xx answer."""


class NotFoundError(ClientError):
    """A 404 answer."""


class ServerError(ResponseError):
    """A 5xx answer."""


class StreamError(Error):
    """The take stream was refused, cut or malformed."""


# Kind of failure (each status's ``category`` in libzizq's ABI description)
# -> exception class, as the Ruby shim's errors.rb maps them (Ruby's
# ArgumentError is Python's ValueError).
CLASSES: dict[str, type[Exception]] = {
    "argument": ValueError,
    "decode": Error,
    "not_found": NotFoundError,
    "client": ClientError,
    "server": ServerError,
    "response": ResponseError,
    "connection": ConnectionError,
    "stream": StreamError,
    "internal": Error,
}


def from_native(status: int, error: int | None) -> Exception:
    """The exception for a failed call: ``status`` and the ``zizq_error *``
    it wrote (None when it wrote none), which is released here."""
    name = _native.STATUS_NAMES.get(status, f"status {status}")
    klass = CLASSES.get(_native.CATEGORIES.get(name, ""), Error)
    if not error:
        exc = klass(f"libzizq call failed ({name})")
    else:
        try:
            message = lib.zizq_error_message(error).decode("utf-8", "replace")
            retryable = lib.zizq_error_retryable(error)
            outcome_unknown = lib.zizq_error_outcome_unknown(error)
            if issubclass(klass, ResponseError):
                exc = klass(message, status=lib.zizq_error_http_status(error),
                            body=_body_of(error))
            else:
                exc = klass(message)
            # Every exception from libzizq carries these, ValueError included.
            exc.retryable = retryable  # type: ignore[attr-defined]
            exc.outcome_unknown = outcome_unknown  # type: ignore[attr-defined]
        finally:
            lib.zizq_error_free(error)
    exc.zizq_status = name  # type: ignore[attr-defined]
    return exc


def _body_of(error: int) -> Any:
    length = ctypes.c_size_t()
    data = lib.zizq_error_body(error, ctypes.byref(length))
    if not data:
        return None
    fmt = lib.zizq_error_body_format(error)
    if fmt == FORMAT_NONE:
        return None  # text, as the seed gives it: no document
    from . import _codec  # late import: _codec needs this module

    return _codec.decode_as(fmt, ctypes.string_at(data, length.value))


def call(function: Callable[..., int], *args: Any, expected: tuple[int, ...] = ()) -> int:
    """Call ``function(*args, &err)``; return its status when it is ZIZQ_OK
    or one of ``expected`` (whose error is released), raise otherwise."""
    error = ctypes.c_void_p()
    status = function(*args, ctypes.byref(error))
    if status == _native.OK:
        return status
    if status in expected:
        if error.value:
            lib.zizq_error_free(error.value)
        return status
    raise from_native(status, error.value)

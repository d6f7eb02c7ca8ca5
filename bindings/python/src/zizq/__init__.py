"""Zizq job-queue client on libzizq (ctypes; no third-party dependencies).

The seed's ``Zizq::Client`` as ``zizq.Client``, method for method, plus
``zizq.Worker`` on libzizq's worker loop and the stream parsers. libzizq is
the copy the wheel ships inside this package, or ``ZIZQ_LIB``; a library of
another C ABI version is refused on import.
"""

from typing import TYPE_CHECKING, Any

from . import _native
from ._native import ABI_VERSION, LibraryError
from ._wire import RESET, UNCHANGED
from .client import Client, StreamResponse
from .errors import (
    ClientError,
    ConnectionError,
    Error,
    NotFoundError,
    ResponseError,
    ServerError,
    StreamError,
)
from .parser import StreamParser, parse_msgpack_stream, parse_ndjson
from .resources import (
    CronEntry,
    CronGroup,
    ErrorPage,
    ErrorRecord,
    Job,
    JobPage,
    JobTemplate,
    Page,
    Resource,
)
from .worker import Kill, Retry, Worker

if TYPE_CHECKING:
    from .aio import AsyncClient, AsyncWorker

    #: The package's version: libzizq's, set in the Cargo workspace.
    __version__: str


def __getattr__(name: str) -> Any:
    """What a program that never uses it should not pay for at import
    (asyncio and importlib.metadata take half of ``import zizq``): the
    asyncio classes and ``__version__``, loaded on first use."""
    if name in ("AsyncClient", "AsyncWorker"):
        from . import aio

        value: Any = getattr(aio, name)
    elif name == "__version__":
        from importlib import metadata

        try:
            value = metadata.version(__name__)
        except metadata.PackageNotFoundError:  # imported from the source tree
            value = "0+source"
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value

# Public classes present themselves as zizq.X (tracebacks, reprs, and the
# error_type a Worker reports for zizq.Retry / zizq.Kill).
for _public in (Error, ConnectionError, ResponseError, ClientError, NotFoundError, ServerError,
                StreamError, LibraryError, Client, Worker, Retry, Kill, StreamParser):
    _public.__module__ = __name__
del _public

__all__ = [
    "ABI_VERSION",
    "AsyncClient",
    "AsyncWorker",
    "RESET",
    "UNCHANGED",
    "Client",
    "ClientError",
    "ConnectionError",
    "CronEntry",
    "CronGroup",
    "Error",
    "ErrorPage",
    "ErrorRecord",
    "Job",
    "JobPage",
    "JobTemplate",
    "Kill",
    "LibraryError",
    "NotFoundError",
    "Page",
    "Resource",
    "ResponseError",
    "Retry",
    "ServerError",
    "StreamError",
    "StreamParser",
    "StreamResponse",
    "Worker",
    "library_version",
    "parse_msgpack_stream",
    "parse_ndjson",
]


def library_version() -> str:
    """Version string of the loaded libzizq and its main dependencies."""
    return _native.version()

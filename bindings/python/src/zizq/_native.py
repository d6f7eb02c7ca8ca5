"""The C API of libzizq (include/zizq.h), loaded with ctypes.

The library is loaded twice. Through ``ctypes.CDLL`` ctypes releases the GIL
around a call, so a thread waiting in libzizq (a slow request, a take
stream, a worker waiting for jobs) never stops the other Python threads:
``lib`` declares there every function the library describes as one that
may wait (``waits``). The others return at once (getters, frees, queueing
an ack), and releasing the GIL around them would only hand it to another
thread and back, two thread switches: ``lib`` declares them through
``ctypes.PyDLL``, which keeps the GIL. ``held`` declares every function
that way, for a call that cannot wait because of its arguments (a zero
timeout).
"""

from __future__ import annotations

import ctypes
import json
import os
from ctypes import (
    POINTER,
    c_bool,
    c_char_p,
    c_int32,
    c_int64,
    c_size_t,
    c_uint16,
    c_uint32,
    c_uint64,
    c_void_p,
)
from pathlib import Path
from typing import Any

#: The C ABI version this package was written for (ZIZQ_ABI_VERSION).
ABI_VERSION: int = 1


class LibraryError(ImportError):
    """libzizq could not be found or loaded, or has another C ABI version."""


def library_path() -> str:
    """Where libzizq is: ZIZQ_LIB, else the copy the wheel ships inside this
    package."""
    explicit = os.environ.get("ZIZQ_LIB", "")
    if explicit:
        if os.path.isfile(explicit):
            return explicit
        raise LibraryError(f"ZIZQ_LIB points to {explicit!r}, which is not a file")
    bundled = Path(__file__).resolve().parent / "libzizq.so"
    if bundled.is_file():
        return str(bundled)
    raise LibraryError(
        f"libzizq.so not found at {bundled}: install the zizq wheel "
        "(pip install ./bindings/python builds it) or set ZIZQ_LIB to its path"
    )


PATH = library_path()
try:
    lib = ctypes.CDLL(PATH)
    held = ctypes.PyDLL(PATH)
except OSError as exc:
    raise LibraryError(f"cannot load libzizq from {PATH!r}: {exc}") from exc

# The two functions declared by hand: the ABI version is checked before
# anything else (a library of another ABI may lack functions, or have them
# with other signatures), then the library describes the rest of its ABI.
try:
    lib.zizq_abi_version.restype = c_uint32
    lib.zizq_abi_version.argtypes = []
    _found = lib.zizq_abi_version()
except AttributeError as exc:
    raise LibraryError(f"{PATH} is not libzizq (no zizq_abi_version)") from exc
if _found != ABI_VERSION:
    raise LibraryError(
        f"{PATH} has C ABI version {_found}, but this zizq package needs version "
        f"{ABI_VERSION}: install a matching libzizq"
    )
try:
    lib.zizq_abi_description.restype = c_char_p
    lib.zizq_abi_description.argtypes = []
except AttributeError as exc:
    raise LibraryError(f"{PATH} is too old for this zizq package (no zizq_abi_description)") from exc

#: The loaded library's description of its ABI (include/zizq.abi.json).
DESCRIPTION: dict[str, Any] = json.loads(lib.zizq_abi_description())

# zizq_status values (stable, never reused), and each one's kind of failure,
# which picks the exception class (errors.CLASSES).
STATUS_NAMES: dict[int, str] = {s["value"]: s["name"] for s in DESCRIPTION["statuses"]}
STATUSES: dict[str, int] = {name: value for value, name in STATUS_NAMES.items()}
CATEGORIES: dict[str, str] = {s["name"]: s["category"] for s in DESCRIPTION["statuses"]}
OK = STATUSES["ZIZQ_OK"]
E_CLOSED = STATUSES["ZIZQ_E_CLOSED"]
E_TIMEOUT = STATUSES["ZIZQ_E_TIMEOUT"]
E_STREAM_ENDED = STATUSES["ZIZQ_E_STREAM_ENDED"]
PENDING = STATUSES["ZIZQ_PENDING"]

# The document formats, by lower-case name ("json", "msgpack"), and the
# value zizq_error_body_format gives a body that is not a document.
FORMATS: dict[str, int] = {
    name.removeprefix("ZIZQ_FORMAT_").lower(): value
    for name, value in DESCRIPTION["enums"]["zizq_format"].items()
}
FORMAT_NONE = FORMATS.pop("none")
FORMAT_JSON = FORMATS["json"]
FORMAT_MSGPACK = FORMATS["msgpack"]

# ctypes spellings of the C types that the description uses. A pointer to
# an opaque handle is a c_void_p; strings and documents given to libzizq are
# bytes (c_char_p); bytes returned by libzizq are addresses (c_void_p).
_SCALARS: dict[str, Any] = {
    "void": None,
    "bool": c_bool,
    "int32_t": c_int32,
    "int64_t": c_int64,
    "uint16_t": c_uint16,
    "uint32_t": c_uint32,
    "uint64_t": c_uint64,
    "size_t": c_size_t,
    "zizq_status": c_int32,
    "zizq_format": c_int32,
    "const char *": c_char_p,
    "void *": c_void_p,
}
_OPAQUE = set(DESCRIPTION["opaque"])
_CALLBACKS = set(DESCRIPTION["callbacks"])


def ctype(c_type: str, returned: bool = False) -> Any:
    """The ctypes type for a C type of the description; KeyError if unknown.
    Callbacks are declared as plain pointers: this package passes none."""
    if c_type in _SCALARS:
        return _SCALARS[c_type]
    if c_type in _STRUCTS:  # a struct held by value (zizq_completion.out)
        return _STRUCTS[c_type]
    if c_type == "const uint8_t *" or c_type == "uint8_t *":
        return c_void_p if returned or c_type == "uint8_t *" else c_char_p
    if c_type in _CALLBACKS:
        return c_void_p
    if c_type.endswith("*"):
        pointee = c_type[:-1].rstrip().removeprefix("const ")
        if pointee in _OPAQUE:
            return c_void_p
        if pointee in _STRUCTS:
            return POINTER(_STRUCTS[pointee])
        if pointee.endswith("*"):  # zizq_client **, const uint8_t **...
            return POINTER(c_void_p)
        return POINTER(ctype(pointee))
    raise KeyError(c_type)


def _fields(struct: str) -> list[tuple[str, Any]]:
    """A struct's ``_fields_`` from the description."""
    return [(f["name"], ctype(f["type"], returned=True)) for f in DESCRIPTION["structs"][struct]]


# The structs declared so far, by C name (a struct may hold an earlier one).
_STRUCTS: dict[str, Any] = {}


class Buf(ctypes.Structure):
    """zizq_buf: bytes owned by libzizq, released with zizq_buf_free."""

    _fields_ = _fields("zizq_buf")


_STRUCTS["zizq_buf"] = Buf


class JobStruct(ctypes.Structure):
    """zizq_job: one job of a batch."""

    _fields_ = _fields("zizq_job")


_STRUCTS["zizq_job"] = JobStruct


class Completion(ctypes.Structure):
    """zizq_completion: one finished call of a completion queue."""

    _fields_ = _fields("zizq_completion")


_STRUCTS["zizq_completion"] = Completion


def _declare() -> list[str]:
    """Declare every function the library describes; return the names of
    those with a C type this package cannot spell (left undeclared; a
    test checks that there are none)."""
    undeclared = []
    for function in DESCRIPTION["functions"]:
        try:
            restype = ctype(function["returns"], returned=True)
            argtypes = [ctype(arg["type"]) for arg in function["args"]]
        except KeyError:
            undeclared.append(function["name"])
            continue
        for library in (lib, held):
            declared = getattr(library, function["name"])
            declared.restype = restype
            declared.argtypes = argtypes
        if not function["waits"]:
            setattr(lib, function["name"], getattr(held, function["name"]))
    return undeclared


UNDECLARED = _declare()


def version() -> str:
    """Version string of the loaded libzizq and its main dependencies."""
    return str(lib.zizq_version().decode("utf-8"))


def status_name(status: int) -> str:
    """The name of a zizq_status value, from libzizq."""
    return str(lib.zizq_status_name(status).decode("utf-8"))


def take_buf(buf: Buf) -> bytes:
    """Copy a zizq_buf's bytes and release it."""
    try:
        return ctypes.string_at(buf.data, buf.len) if buf.len else b""
    finally:
        lib.zizq_buf_free(ctypes.byref(buf))


def cstr(value: object, what: str) -> bytes:
    """A string argument passed to C as NUL-terminated UTF-8 (ids, names,
    paths): a str, or bytes (libzizq checks that they are UTF-8). Anything
    else is a TypeError rather than its str() (None is not the id "None")."""
    if isinstance(value, str):
        data = value.encode("utf-8")  # a lone surrogate: UnicodeEncodeError (a ValueError)
    elif isinstance(value, bytes):
        data = value
    else:
        raise TypeError(f"{what} must be a str, not {type(value).__name__}")
    # A C string ends at its first NUL: refused rather than silently cut.
    if b"\0" in data:
        raise ValueError(f"{what} must not contain NUL characters")
    return data


def uint32(value: object, what: str) -> int:
    """An integer argument passed to C as uint32_t (an error's attempt)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what} must be an int, not {type(value).__name__}")
    if not 0 <= value < 2**32:
        raise ValueError(f"{what} must be between 0 and {2**32 - 1}, got {value}")
    return value

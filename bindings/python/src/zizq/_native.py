"""The C API of libzizq (include/zizq.h), loaded with ctypes.

The library is loaded with ``ctypes.CDLL``: ctypes releases the GIL around
every foreign call made through a ``CDLL`` (only ``PyDLL`` keeps it), so a
thread waiting in libzizq (a slow request, a take stream, a worker waiting
for jobs) never stops the other Python threads.
"""

from __future__ import annotations

import ctypes
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
    c_void_p,
)
from pathlib import Path

#: The C ABI version this package was written for (ZIZQ_ABI_VERSION).
ABI_VERSION: int = 1

# zizq_format values.
FORMAT_NONE = 0
FORMAT_JSON = 1
FORMAT_MSGPACK = 2
FORMATS = {"json": FORMAT_JSON, "msgpack": FORMAT_MSGPACK}

# zizq_status values (stable, never reused).
STATUS_NAMES: dict[int, str] = {
    0: "ZIZQ_OK",
    1: "ZIZQ_E_NULL_ARG",
    2: "ZIZQ_E_INVALID_ARG",
    3: "ZIZQ_E_DECODE",
    4: "ZIZQ_E_NOT_FOUND",
    5: "ZIZQ_E_CLIENT",
    6: "ZIZQ_E_SERVER",
    7: "ZIZQ_E_CONNECTION",
    8: "ZIZQ_E_TIMEOUT",
    9: "ZIZQ_E_TLS",
    10: "ZIZQ_E_STREAM",
    11: "ZIZQ_E_CLOSED",
    12: "ZIZQ_E_CANCELLED",
    13: "ZIZQ_E_FORKED",
    14: "ZIZQ_E_PANIC",
    15: "ZIZQ_E_UNEXPECTED_STATUS",
    16: "ZIZQ_E_FRAME_TOO_LARGE",
    17: "ZIZQ_E_BUSY",
    18: "ZIZQ_E_STREAM_ENDED",
    19: "ZIZQ_E_RESOURCE",
}
OK = 0
E_CLOSED = 11
E_TIMEOUT = 8
E_STREAM_ENDED = 18


class LibraryError(ImportError):
    """libzizq could not be found or loaded, or has another C ABI version."""


class Buf(ctypes.Structure):
    """zizq_buf: bytes owned by libzizq, released with zizq_buf_free."""

    _fields_ = [("data", c_void_p), ("len", c_size_t), ("cap", c_size_t)]


class JobStruct(ctypes.Structure):
    """zizq_job: one job of a batch."""

    _fields_ = [
        ("id", c_char_p),
        ("type", c_char_p),
        ("queue", c_char_p),
        ("doc", c_void_p),
        ("doc_len", c_size_t),
        ("priority", c_uint32),
        ("attempts", c_uint32),
    ]


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
except OSError as exc:
    raise LibraryError(f"cannot load libzizq from {PATH!r}: {exc}") from exc

# Checked before any other function is declared: a library of another ABI
# may lack functions, or have them with other signatures.
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

_h = c_void_p  # any opaque handle
_err = POINTER(c_void_p)  # zizq_error **
_out = POINTER(c_void_p)  # handle **
_buf = POINTER(Buf)
_doc = (c_char_p, c_size_t)
_st = c_int32

SIGNATURES = {
    "zizq_version": (c_char_p, []),
    "zizq_status_name": (c_char_p, [c_int32]),
    "zizq_status_str": (c_char_p, [c_int32]),
    "zizq_buf_free": (None, [_buf]),
    "zizq_client_new": (_st, [c_char_p, *_doc, _out, _err]),
    "zizq_client_close": (_st, [_h]),
    "zizq_client_close_streams": (_st, [_h]),
    "zizq_client_free": (None, [_h]),
    "zizq_client_derive": (_st, [_h, _out, _err]),
    "zizq_client_cancel": (_st, [_h]),
    "zizq_client_format": (c_int32, [_h]),
    "zizq_client_document_format": (c_int32, [_h]),
    "zizq_client_url": (_st, [_h, _buf, _err]),
    "zizq_list_cron_groups": (_st, [_h, _buf, _err]),
    "zizq_get_cron_group": (_st, [_h, c_char_p, _buf, _err]),
    "zizq_replace_cron_group": (_st, [_h, c_char_p, *_doc, _buf, _err]),
    "zizq_update_cron_group": (_st, [_h, c_char_p, *_doc, _buf, _err]),
    "zizq_delete_cron_group": (_st, [_h, c_char_p, _err]),
    "zizq_delete_all_crons": (_st, [_h, POINTER(c_int64), _err]),
    "zizq_add_cron_group_entry": (_st, [_h, c_char_p, *_doc, _buf, _err]),
    "zizq_get_cron_group_entry": (_st, [_h, c_char_p, c_char_p, _buf, _err]),
    "zizq_replace_cron_group_entry": (_st, [_h, c_char_p, c_char_p, *_doc, _buf, _err]),
    "zizq_update_cron_group_entry": (_st, [_h, c_char_p, c_char_p, *_doc, _buf, _err]),
    "zizq_delete_cron_group_entry": (_st, [_h, c_char_p, c_char_p, _err]),
    "zizq_doc_transcode": (_st, [c_int32, c_int32, *_doc, _buf, _err]),
    "zizq_doc_get_str": (_st, [c_int32, *_doc, c_char_p, _buf, _err]),
    "zizq_doc_get_int": (_st, [c_int32, *_doc, c_char_p, POINTER(c_int64), _err]),
    "zizq_doc_get_len": (_st, [c_int32, *_doc, c_char_p, POINTER(c_size_t), _err]),
    "zizq_error_status": (c_int32, [_h]),
    "zizq_error_http_status": (c_uint16, [_h]),
    "zizq_error_message": (c_char_p, [_h]),
    "zizq_error_body": (c_void_p, [_h, POINTER(c_size_t)]),
    "zizq_error_body_format": (c_int32, [_h]),
    "zizq_error_retryable": (c_bool, [_h]),
    "zizq_error_outcome_unknown": (c_bool, [_h]),
    "zizq_error_free": (None, [_h]),
    "zizq_enqueue": (_st, [_h, *_doc, _buf, _err]),
    "zizq_enqueue_bulk": (_st, [_h, *_doc, _buf, _err]),
    "zizq_get_job": (_st, [_h, c_char_p, _buf, _err]),
    "zizq_list_jobs": (_st, [_h, *_doc, _buf, _err]),
    "zizq_count_jobs": (_st, [_h, *_doc, POINTER(c_int64), _err]),
    "zizq_update_job": (_st, [_h, c_char_p, *_doc, _buf, _err]),
    "zizq_update_all_jobs": (_st, [_h, *_doc, POINTER(c_int64), _err]),
    "zizq_delete_job": (_st, [_h, c_char_p, _err]),
    "zizq_delete_all_jobs": (_st, [_h, *_doc, POINTER(c_int64), _err]),
    "zizq_report_success": (_st, [_h, c_char_p, _err]),
    "zizq_report_success_bulk": (_st, [_h, *_doc, _err]),
    "zizq_report_failure": (_st, [_h, c_char_p, *_doc, _buf, _err]),
    "zizq_list_errors": (_st, [_h, c_char_p, *_doc, _buf, _err]),
    "zizq_get_error": (_st, [_h, c_char_p, c_uint32, _buf, _err]),
    "zizq_parser_new": (_st, [c_int32, c_size_t, _out, _err]),
    "zizq_parser_feed": (_st, [_h, *_doc, _out, _err]),
    "zizq_parser_finish": (_st, [_h, _err]),
    "zizq_parser_free": (None, [_h]),
    "zizq_frames_len": (c_size_t, [_h]),
    "zizq_frames_get": (_st, [_h, c_size_t, POINTER(c_void_p), POINTER(c_size_t)]),
    "zizq_frames_free": (None, [_h]),
    "zizq_health": (_st, [_h, _buf, _err]),
    "zizq_server_version": (_st, [_h, _buf, _err]),
    "zizq_get_queues": (_st, [_h, _buf, _err]),
    "zizq_erase_all_data": (_st, [_h, _err]),
    "zizq_get_path": (_st, [_h, c_char_p, _buf, _err]),
    "zizq_request": (_st, [_h, c_char_p, c_char_p, *_doc, POINTER(c_uint16), _buf, _err]),
    "zizq_batch_len": (c_size_t, [_h]),
    "zizq_batch_jobs": (POINTER(JobStruct), [_h]),
    "zizq_batch_get": (POINTER(JobStruct), [_h, c_size_t]),
    "zizq_batch_free": (None, [_h]),
    "zizq_take_open": (_st, [_h, *_doc, _out, _err]),
    "zizq_take_next": (_st, [_h, c_size_t, c_int64, _out, _err]),
    "zizq_take_wakeup": (_st, [_h]),
    "zizq_take_fd": (c_int32, [_h]),
    "zizq_take_free": (None, [_h]),
    "zizq_worker_new": (_st, [_h, *_doc, _out, _err]),
    "zizq_worker_next": (_st, [_h, c_size_t, c_int64, _out, _err]),
    "zizq_worker_ack": (_st, [_h, c_char_p, _err]),
    "zizq_worker_nack": (_st, [_h, c_char_p, *_doc, _err]),
    "zizq_worker_wakeup": (_st, [_h]),
    "zizq_worker_shutdown": (_st, [_h, c_int64, _err]),
    "zizq_worker_stats": (_st, [_h, _buf, _err]),
    "zizq_worker_free": (None, [_h]),
}

for _name, (_restype, _argtypes) in SIGNATURES.items():
    _function = getattr(lib, _name)
    _function.restype = _restype
    _function.argtypes = _argtypes


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

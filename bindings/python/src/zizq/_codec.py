"""Documents crossing the C boundary.

Every client is created with JSON documents (libzizq's ``documents`` option)
whatever its wire format: libzizq converts to and from MessagePack, so the
package needs no MessagePack library.
"""

from __future__ import annotations

import ctypes
import datetime
import json
from typing import Any

from . import errors
from ._native import FORMAT_JSON, FORMAT_MSGPACK, Buf, lib, take_buf


def _default(value: object) -> Any:
    if isinstance(value, (bytes, bytearray, memoryview)):
        # The server refuses MessagePack bin; text read as bytes is sent as text.
        return bytes(value).decode("utf-8")
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    raise TypeError(f"cannot encode {type(value).__name__} for zizq: {value!r}")


def dumps(value: Any) -> bytes:
    """JSON text (bytes) of a Python value."""
    return json.dumps(value, default=_default, allow_nan=False, ensure_ascii=False,
                      separators=(",", ":")).encode("utf-8")


def encode(value: Any) -> bytes:
    """The JSON document of ``value``, as every client takes it."""
    return dumps(value)


_DECODER = json.JSONDecoder()


def decode(data: bytes) -> Any:
    """The Python value of a JSON document, as every client returns it.

    Every job a worker hands out comes through here. libzizq writes UTF-8
    JSON without surrounding space, so the text is decoded directly, a
    third cheaper than ``json.loads`` (which first guesses the encoding and
    skips space); anything else takes ``json.loads``, which also names
    what is wrong."""
    try:
        text = data.decode("utf-8")
        value, end = _DECODER.raw_decode(text)
        if end == len(text):
            return value
    except ValueError:
        pass
    return json.loads(data)


def decode_as(fmt: int, data: bytes) -> Any:
    """The Python value of a document in format ``fmt`` (FORMAT_JSON or
    FORMAT_MSGPACK): stream frames of the exported parser, error bodies.
    libzizq transcodes MessagePack to JSON first."""
    if fmt == FORMAT_MSGPACK:
        out = Buf()
        errors.call(lib.zizq_doc_transcode, FORMAT_MSGPACK, FORMAT_JSON, data, len(data),
                    ctypes.byref(out))
        data = take_buf(out)
    return json.loads(data)

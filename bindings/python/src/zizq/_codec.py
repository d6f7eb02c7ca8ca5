"""Documents crossing the C boundary, in the client's format.

Python values are written as JSON text; for a MessagePack client libzizq
transcodes that text to MessagePack (``zizq_doc_transcode``), and transcodes
MessagePack answers back to JSON before ``json.loads``. So the package needs
no MessagePack library.
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


def transcode(source: int, target: int, data: bytes) -> bytes:
    out = Buf()
    errors.call(lib.zizq_doc_transcode, source, target, data, len(data), ctypes.byref(out))
    return take_buf(out)


def encode(fmt: int, value: Any) -> bytes:
    """Bytes of ``value`` in format ``fmt`` (FORMAT_JSON / FORMAT_MSGPACK)."""
    text = dumps(value)
    return text if fmt == FORMAT_JSON else transcode(FORMAT_JSON, FORMAT_MSGPACK, text)


def decode(fmt: int, data: bytes) -> Any:
    """The Python value of a document in format ``fmt``."""
    if fmt == FORMAT_MSGPACK:
        data = transcode(FORMAT_MSGPACK, FORMAT_JSON, data)
    return json.loads(data)


def decode_error_body(data: bytes) -> Any:
    """An error body arrives without its content type and may be JSON,
    MessagePack or plain text. A MessagePack map starts with a byte JSON text
    never starts with. A body that does not decode gives None."""
    if not data:
        return None
    try:
        first = data[0]
        if 0x80 <= first <= 0x8F or first in (0xDE, 0xDF):
            return decode(FORMAT_MSGPACK, data)
        return json.loads(data)
    except (ValueError, errors.Error):
        return None

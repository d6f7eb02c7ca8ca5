"""parse_ndjson / parse_msgpack_stream on libzizq's incremental parser:
any chunking, heartbeats skipped, frames checked to be well-formed, a
truncated final frame reported (StreamError)."""

from __future__ import annotations

import contextlib
import ctypes
from collections.abc import Iterable, Iterator
from typing import Any, cast

from . import _codec, errors
from ._native import FORMAT_JSON, FORMAT_MSGPACK, lib


class StreamParser:
    """An incremental parser of NDJSON (``"json"``) or length-prefixed
    MessagePack (``"msgpack"``) take-stream bytes. ``max_frame`` bounds one
    frame (0 = libzizq's default, 64 MiB)."""

    def __init__(self, format: str, max_frame: int = 0) -> None:
        self._fmt = {"json": FORMAT_JSON, "msgpack": FORMAT_MSGPACK}[format]
        out = ctypes.c_void_p()
        errors.call(lib.zizq_parser_new, self._fmt, max_frame, ctypes.byref(out))
        self._handle: int | None = out.value

    def feed(self, chunk: bytes | bytearray | memoryview) -> list[Any]:
        """Feed bytes; return the documents they complete, decoded."""
        if self._handle is None:
            raise errors.Error("the parser was freed")
        chunk = bytes(chunk)
        out = ctypes.c_void_p()
        errors.call(lib.zizq_parser_feed, self._handle, chunk, len(chunk), ctypes.byref(out))
        frames = out.value
        if not frames:
            return []
        try:
            data = ctypes.c_void_p()
            length = ctypes.c_size_t()
            copies: list[bytes] = []
            for index in range(lib.zizq_frames_len(frames)):
                errors.call(lib.zizq_frames_get, frames, index, ctypes.byref(data),
                            ctypes.byref(length))
                copies.append(ctypes.string_at(cast(int, data.value), length.value))
        finally:
            lib.zizq_frames_free(frames)
        return [_codec.decode_as(self._fmt, frame) for frame in copies]

    def finish(self) -> None:
        """Raise StreamError if the input ended inside a frame."""
        errors.call(lib.zizq_parser_finish, self._handle)

    def free(self) -> None:
        """Release the native parser (idempotent)."""
        if self._handle is not None:
            lib.zizq_parser_free(self._handle)
            self._handle = None

    def __enter__(self) -> StreamParser:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.free()

    def __del__(self) -> None:
        if getattr(self, "_handle", None) is not None:
            with contextlib.suppress(AttributeError, TypeError):  # interpreter shutdown
                self.free()


def _parse(format: str, chunks: Iterable[bytes]) -> Iterator[Any]:
    with StreamParser(format) as parser:
        for chunk in chunks:
            yield from parser.feed(chunk)
        parser.finish()


def parse_ndjson(chunks: Iterable[bytes | str]) -> Iterator[Any]:
    """Parse NDJSON take-stream bytes from an iterable of chunks (bytes or
    str); yield each document (a dict)."""
    return _parse("json", (c.encode("utf-8") if isinstance(c, str) else c for c in chunks))


def parse_msgpack_stream(chunks: Iterable[bytes]) -> Iterator[Any]:
    """Parse length-prefixed MessagePack take-stream bytes from an iterable
    of byte chunks; yield each document (a dict)."""
    return _parse("msgpack", chunks)

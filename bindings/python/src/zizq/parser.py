"""parse_ndjson / parse_msgpack_stream on libzizq's incremental parser:
any chunking, heartbeats skipped, frames checked to be well-formed, a
truncated final frame reported (StreamError)."""

import contextlib
import ctypes

from . import _codec, errors
from ._native import FORMAT_JSON, FORMAT_MSGPACK, lib


class StreamParser:
    """An incremental parser of NDJSON (``"json"``) or length-prefixed
    MessagePack (``"msgpack"``) take-stream bytes. ``max_frame`` bounds one
    frame (0 = libzizq's default, 64 MiB)."""

    def __init__(self, format, max_frame=0):
        self._fmt = {"json": FORMAT_JSON, "msgpack": FORMAT_MSGPACK}[format]
        out = ctypes.c_void_p()
        errors.call(lib.zizq_parser_new, self._fmt, max_frame, ctypes.byref(out))
        self._handle = out.value

    def feed(self, chunk):
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
            copies = []
            for index in range(lib.zizq_frames_len(frames)):
                errors.call(lib.zizq_frames_get, frames, index, ctypes.byref(data),
                            ctypes.byref(length))
                copies.append(ctypes.string_at(data.value, length.value))
        finally:
            lib.zizq_frames_free(frames)
        return [_codec.decode(self._fmt, frame) for frame in copies]

    def finish(self):
        """Raise StreamError if the input ended inside a frame."""
        errors.call(lib.zizq_parser_finish, self._handle)

    def free(self):
        """Release the native parser (idempotent)."""
        if self._handle is not None:
            lib.zizq_parser_free(self._handle)
            self._handle = None

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.free()

    def __del__(self):
        if getattr(self, "_handle", None) is not None:
            with contextlib.suppress(AttributeError, TypeError):  # interpreter shutdown
                self.free()


def _parse(format, chunks):
    with StreamParser(format) as parser:
        for chunk in chunks:
            yield from parser.feed(chunk)
        parser.finish()


def parse_ndjson(chunks):
    """Parse NDJSON take-stream bytes from an iterable of chunks (bytes or
    str); yield each document (a dict)."""
    return _parse("json", (c.encode("utf-8") if isinstance(c, str) else c for c in chunks))


def parse_msgpack_stream(chunks):
    """Parse length-prefixed MessagePack take-stream bytes from an iterable
    of byte chunks; yield each document (a dict)."""
    return _parse("msgpack", chunks)

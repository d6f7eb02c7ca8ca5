"""parse_ndjson / parse_msgpack_stream, on libzizq's parser."""

import ctypes
import json
import struct
import unittest

from .support import zizq

JOBS = [{"id": "a", "payload": {"n": 1}}, {"id": "b", "payload": [1, "two", None]}]


def msgpack_frame(document):
    # MessagePack bytes from libzizq's transcoder (no msgpack package needed).
    text = zizq._codec.encode(document)
    out = zizq._native.Buf()
    zizq.errors.call(zizq._native.lib.zizq_doc_transcode, zizq._native.FORMAT_JSON,
                     zizq._native.FORMAT_MSGPACK, text, len(text), ctypes.byref(out))
    packed = zizq._native.take_buf(out)
    return struct.pack(">I", len(packed)) + packed


def chunks_of(data, size):
    return [data[i:i + size] for i in range(0, len(data), size)]


class StreamParserTests(unittest.TestCase):
    def test_ndjson_in_any_chunking_with_heartbeats(self):
        text = f"\n{json.dumps(JOBS[0])}\n\n\n{json.dumps(JOBS[1])}\n\n".encode()
        self.assertEqual(JOBS, list(zizq.parse_ndjson([text])))
        self.assertEqual(JOBS, list(zizq.parse_ndjson(chunks_of(text, 1))))
        self.assertEqual(JOBS, list(zizq.parse_ndjson(chunks_of(text, 7))))
        self.assertEqual(JOBS, list(zizq.Client.parse_ndjson([text.decode()])))

    def test_msgpack_stream_in_any_chunking_with_heartbeats(self):
        heartbeat = struct.pack(">I", 0)
        frames = [msgpack_frame(job) for job in JOBS]
        data = heartbeat + frames[0] + heartbeat + heartbeat + frames[1] + heartbeat
        self.assertEqual(JOBS, list(zizq.parse_msgpack_stream([data])))
        self.assertEqual(JOBS, list(zizq.parse_msgpack_stream(chunks_of(data, 1))))
        self.assertEqual(JOBS, list(zizq.Client.parse_msgpack_stream(chunks_of(data, 5))))

    def test_lazy_iteration(self):
        consumed = []

        def chunks():
            for job in JOBS:
                consumed.append(job["id"])
                yield (json.dumps(job) + "\n").encode()

        documents = zizq.parse_ndjson(chunks())
        self.assertEqual([], consumed)
        self.assertEqual(JOBS[0], next(documents))
        self.assertEqual(["a"], consumed)
        self.assertEqual([JOBS[1]], list(documents))

    def test_truncated_final_frame_is_an_error(self):
        seen = []
        with self.assertRaises(zizq.StreamError) as caught:
            for job in zizq.parse_ndjson([f'{json.dumps(JOBS[0])}\n{{"id":'.encode()]):
                seen.append(job)
        self.assertRegex(str(caught.exception), "truncated")
        self.assertEqual([JOBS[0]], seen, "complete frames are yielded before the error")
        frame = msgpack_frame(JOBS[0])
        with self.assertRaises(zizq.StreamError):
            list(zizq.parse_msgpack_stream([frame[:7]]))

    def test_malformed_frames_are_errors(self):
        with self.assertRaises(zizq.Error):
            list(zizq.parse_ndjson([b"{oops}\n"]))
        with self.assertRaises(zizq.Error):
            list(zizq.parse_msgpack_stream([struct.pack(">I", 1) + b"\xc1"]))

    def test_frame_size_limit(self):
        with zizq.StreamParser("json", max_frame=16) as parser:
            self.assertEqual([{"a": 1}], parser.feed(b'{"a":1}\n'))
            with self.assertRaises(zizq.StreamError):
                parser.feed(b'{"a":"' + b"x" * 64 + b'"}\n')

    def test_errors_raised_by_the_consumer_propagate(self):
        with self.assertRaises(KeyError):
            for job in zizq.parse_ndjson([(json.dumps(JOBS[0]) + "\n").encode()]):
                job["missing"]

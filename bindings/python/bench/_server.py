"""The server a bench script runs against: ZIZQ_URL, or a zizq-testserver
started for the run (ZIZQ_TESTSERVER, default the release build)."""

import contextlib
import os
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))


@contextlib.contextmanager
def server_url():
    """Yield ``(url, own)``: ``own`` is True for a test server started here
    (stopped on exit), whose control API the script may use."""
    url = os.environ.get("ZIZQ_URL", "")
    if url:
        yield url, False
        return
    binary = os.environ.get("ZIZQ_TESTSERVER",
                            os.path.join(HERE, "..", "..", "..", "target", "release",
                                         "zizq-testserver"))
    server = subprocess.Popen([binary, "--port", "0", "--exit-on-stdin-eof"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        yield server.stdout.readline().split()[-1], True
    finally:
        server.stdin.close()
        server.wait()

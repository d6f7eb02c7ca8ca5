"""Rough figures for the Python shim's calls: sequential enqueues per second
and bulk enqueue, in one format. The workers are measured by
worker_throughput.py and async_worker_throughput.py, which bench/run.sh
runs against both server modes.

    ZIZQ_URL=http://127.0.0.1:7890 FORMAT=json python3 bench/throughput.py

Without ZIZQ_URL a zizq-testserver is started (ZIZQ_TESTSERVER, default the
release build). JOBS sets the number of jobs (default 20000).
"""

import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "src"))

import zizq  # noqa: E402
from _server import server_url  # noqa: E402


def main():
    fmt = os.environ.get("FORMAT", "msgpack")
    jobs = int(os.environ.get("JOBS", "20000"))
    with server_url() as (url, _own):
        with zizq.Client(url, format=fmt) as client:
            client.erase_all_data()
            started = time.perf_counter()
            for n in range(2000):
                client.enqueue(queue="bench", type="t", payload={"n": n})
            elapsed = time.perf_counter() - started
            print(f"{fmt}: sequential enqueue  {2000 / elapsed:9.0f} calls/s")
            client.erase_all_data()

            started = time.perf_counter()
            for start in range(0, jobs, 1000):
                client.enqueue_bulk(jobs=[{"queue": "bench", "type": "t", "payload": {"n": n}}
                                          for n in range(start, min(jobs, start + 1000))])
            elapsed = time.perf_counter() - started
            print(f"{fmt}: bulk enqueue        {jobs / elapsed:9.0f} jobs/s")


if __name__ == "__main__":
    main()

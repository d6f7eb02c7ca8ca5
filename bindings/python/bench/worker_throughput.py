"""examples-c/throughput.c on the Python shim, for bench/run.sh (client
"python"): the same environment, steps and three output lines.

Environment: ZIZQ_URL, ZIZQ_FORMAT (msgpack|json), JOB_COUNT (10000),
CONCURRENCY (25: zizq.Worker threads), PREFETCH (2 x CONCURRENCY). The
package comes from bindings/python/src and libzizq from ZIZQ_LIB, as in
the test suite.
"""

import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))

import zizq  # noqa: E402

QUEUE = "throughput_bench"


def report(verb: str, count: int, seconds: float) -> None:
    print(f"{verb} {count} jobs in {seconds:.2f}s ({count / seconds:.0f} jobs/sec)", flush=True)


def main() -> None:
    url = os.environ.get("ZIZQ_URL", "http://127.0.0.1:7890")
    count = int(os.environ.get("JOB_COUNT", "10000"))
    concurrency = int(os.environ.get("CONCURRENCY", "25"))
    prefetch = int(os.environ.get("PREFETCH", str(2 * concurrency)))
    with zizq.Client(url, format=os.environ.get("ZIZQ_FORMAT", "msgpack")) as client:
        client.delete_all_jobs(where={"queue": QUEUE})

        started = time.perf_counter()
        for start in range(0, count, 1000):
            client.enqueue_bulk(jobs=[{"type": "bench", "queue": QUEUE, "payload": {"n": n}}
                                      for n in range(start, min(count, start + 1000))])
        report("Enqueued", count, time.perf_counter() - started)

        started = time.perf_counter()
        scanned = 0
        page: zizq.JobPage | None = client.list_jobs(queue=QUEUE, limit=2000)
        while page is not None:
            scanned += len(page.jobs)
            page = page.next_page()
        report("Scanned", scanned, time.perf_counter() - started)

        handled = 0
        lock = threading.Lock()
        done = threading.Event()

        def handler(_job: zizq.Job) -> None:
            nonlocal handled
            with lock:
                handled += 1
                if handled == count:
                    done.set()

        started = time.perf_counter()
        worker = zizq.Worker(client, queues=[QUEUE], threads=concurrency, prefetch=prefetch,
                             handler=handler).start()
        done.wait()
        if not worker.stop():
            sys.exit("worker_throughput: the worker did not shut down cleanly")
        report("Dequeued", handled, time.perf_counter() - started)


if __name__ == "__main__":
    main()

"""examples-c/throughput.c on the Python shim's asyncio API, for bench/run.sh
(client "python-async"): zizq.AsyncClient and zizq.AsyncWorker with
CONCURRENCY coroutine handlers on one event loop, the same environment,
steps and three output lines as worker_throughput.py.
"""

import asyncio
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))

import zizq  # noqa: E402

QUEUE = "throughput_bench"


def report(verb: str, count: int, seconds: float) -> None:
    print(f"{verb} {count} jobs in {seconds:.2f}s ({count / seconds:.0f} jobs/sec)", flush=True)


async def main() -> None:
    url = os.environ.get("ZIZQ_URL", "http://127.0.0.1:7890")
    count = int(os.environ.get("JOB_COUNT", "10000"))
    concurrency = int(os.environ.get("CONCURRENCY", "25"))
    prefetch = int(os.environ.get("PREFETCH", str(2 * concurrency)))
    async with zizq.AsyncClient(url, format=os.environ.get("ZIZQ_FORMAT", "msgpack")) as client:
        await client.delete_all_jobs(where={"queue": QUEUE})

        started = time.perf_counter()
        for start in range(0, count, 1000):
            await client.enqueue_bulk(jobs=[{"type": "bench", "queue": QUEUE, "payload": {"n": n}}
                                            for n in range(start, min(count, start + 1000))])
        report("Enqueued", count, time.perf_counter() - started)

        started = time.perf_counter()
        scanned = 0
        page: zizq.JobPage | None = await client.list_jobs(queue=QUEUE, limit=2000)
        while page is not None:
            scanned += len(page.jobs)
            page = await page.next_page()  # type: ignore[misc]
        report("Scanned", scanned, time.perf_counter() - started)

        handled = 0
        done = asyncio.Event()

        async def handler(_job: zizq.Job) -> None:
            nonlocal handled
            handled += 1
            if handled == count:
                done.set()

        started = time.perf_counter()
        worker = zizq.AsyncWorker(client, queues=[QUEUE], concurrency=concurrency,
                                  prefetch=prefetch, handler=handler)
        running = asyncio.create_task(worker.run())
        await done.wait()
        if not await worker.stop():
            sys.exit("async_worker_throughput: the worker did not shut down cleanly")
        await running
        report("Dequeued", handled, time.perf_counter() - started)


if __name__ == "__main__":
    asyncio.run(main())

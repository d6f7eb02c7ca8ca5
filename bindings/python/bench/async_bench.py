"""zizq.AsyncClient against the thread-based client, and the event loop's
responsiveness while calls wait.

    ZIZQ_URL=http://127.0.0.1:7890 FORMAT=msgpack python3 bench/async_bench.py

1. 10,000 enqueues (ENQUEUES) from 200 tasks (CONCURRENCY) on one event loop,
   then the same from 200 threads of a zizq.Client: jobs/s and the process's
   CPU time (user + system) for each.
2. The lag of a 1 ms ticker task (how late each tick wakes) while 1,000 calls
   and a take stream wait on a slowed server (the test server's delay_ms
   fault; skipped against another server): median, p99 and worst.

Without ZIZQ_URL a zizq-testserver is started (ZIZQ_TESTSERVER, default the
release build). Figures are for the in-memory test server: they say what the
client costs, not how fast a real server answers.
"""

import asyncio
import json
import os
import resource
import sys
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "src"))

import zizq  # noqa: E402
from _server import server_url  # noqa: E402


def cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure(label, run, count):
    cpu, started = cpu_seconds(), time.perf_counter()
    run()
    elapsed, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    print(f"{label:<34} {count / elapsed:9.0f} jobs/s   CPU {cpu:5.2f} s "
          f"({cpu / count * 1e6:5.1f} us/job)")


def async_enqueues(url, fmt, count, concurrency):
    async def main():
        async with zizq.AsyncClient(url, format=fmt) as client:
            remaining = iter(range(count))

            async def task():
                for n in remaining:
                    await client.enqueue(queue="bench", type="t", payload={"n": n})

            await asyncio.gather(*(task() for _ in range(concurrency)))

    asyncio.run(main())


def threaded_enqueues(url, fmt, count, concurrency):
    with zizq.Client(url, format=fmt) as client:
        lock = threading.Lock()
        remaining = iter(range(count))

        def next_n():
            with lock:
                return next(remaining, None)

        def work():
            while (n := next_n()) is not None:
                client.enqueue(queue="bench", type="t", payload={"n": n})

        threads = [threading.Thread(target=work) for _ in range(concurrency)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()


def ticker_lag(url, fmt, calls):
    async def main():
        async with zizq.AsyncClient(url, format=fmt) as client:
            lags = []
            stop = asyncio.Event()

            async def ticker():
                loop = asyncio.get_running_loop()
                while not stop.is_set():
                    due = loop.time() + 0.001
                    await asyncio.sleep(0.001)
                    lags.append(loop.time() - due)

            async def take():
                async for _job in client.take_jobs(queues=["idle"]):
                    pass

            tick = asyncio.create_task(ticker())
            taking = asyncio.create_task(take())
            await asyncio.gather(*(client.health() for _ in range(calls)))
            stop.set()
            taking.cancel()
            await asyncio.gather(tick, taking, return_exceptions=True)
            return sorted(lags)

    lags = asyncio.run(main())
    ms = [lag * 1e3 for lag in lags]
    print(f"ticker lag with {calls} calls and a take stream waiting: "
          f"median {ms[len(ms) // 2]:.2f} ms, p99 {ms[int(len(ms) * 0.99)]:.2f} ms, "
          f"worst {ms[-1]:.2f} ms ({len(ms)} ticks)")


def faults(url, settings):
    request = urllib.request.Request(f"{url}/_testserver/faults", method="PUT",
                                     data=json.dumps(settings).encode())
    urllib.request.urlopen(request).read()


def main():
    fmt = os.environ.get("FORMAT", "msgpack")
    count = int(os.environ.get("ENQUEUES", "10000"))
    concurrency = int(os.environ.get("CONCURRENCY", "200"))
    with server_url() as (url, own):
        eraser = zizq.Client(url, format=fmt)
        eraser.erase_all_data()
        measure(f"AsyncClient, {concurrency} tasks", lambda: async_enqueues(
            url, fmt, count, concurrency), count)
        eraser.erase_all_data()
        measure(f"Client, {concurrency} threads", lambda: threaded_enqueues(
            url, fmt, count, concurrency), count)
        eraser.erase_all_data()
        if own:
            faults(url, {"delay_ms": 200})
            ticker_lag(url, fmt, 1000)
            faults(url, {"delay_ms": 0})
        eraser.close()


if __name__ == "__main__":
    main()

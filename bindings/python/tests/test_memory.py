"""Memory: 20,000 calls through libzizq must not grow the process much.

Every buffer, error object and handle crossing the boundary is released; the
RSS before and after is printed (a generous bound is asserted, no timing)."""

import gc
import sys

from .support import for_each_format, zizq

CALLS = 20000
MISSING_ID = "0000000000000000000000000"


def rss_kib():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


@for_each_format(globals())
class MemoryTests:
    def run_calls(self, count):
        calls = 0
        client = self.client
        while calls < count:
            job = client.enqueue(queue="memory", type="loop",
                                 payload={"n": calls, "text": "x" * 100})
            client.get_job(job.id)
            calls += 2
            if calls % 100 == 0:
                list(client.list_jobs(queue="memory", limit=10))
                client.delete_all_jobs(where={"queue": "memory"})
                try:
                    client.get_job(MISSING_ID)
                except zizq.NotFoundError:
                    pass  # an error object crossed the boundary too
                calls += 3
        return calls

    def test_rss_stays_flat_over_20k_calls(self):
        self.run_calls(2000)  # warm up: connection, allocator pools, caches
        gc.collect()
        before = rss_kib()
        calls = self.run_calls(CALLS)
        gc.collect()
        after = rss_kib()
        growth = after - before
        sys.stderr.write(f"\n[memory {self.FORMAT}] {calls} calls: RSS {before} KiB -> "
                         f"{after} KiB (growth {growth} KiB)\n")
        self.assertLess(growth, 16 * 1024, "RSS grew by more than 16 MiB")

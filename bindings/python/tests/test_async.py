"""zizq.AsyncClient and zizq.AsyncWorker: results and exceptions equal to the
blocking client's, calls that never block the loop, cancellation, close."""

import asyncio

from .support import for_each_format, zizq


@for_each_format(globals())
class AsyncClientTests:
    def run_async(self, coroutine_function, **options):
        """Run ``coroutine_function(client)`` on a fresh loop with a new
        AsyncClient in this class's format."""
        options.setdefault("format", self.FORMAT)

        async def main():
            async with zizq.AsyncClient(self.server.url, **options) as client:
                return await coroutine_function(client)

        return asyncio.run(main())

    def test_every_kind_of_result_matches_the_blocking_client(self):
        async def scenario(client):
            job = await client.enqueue(queue="aio", type="t", payload={"n": 1})
            bulk = await client.enqueue_bulk(jobs=[
                {"queue": "aio", "type": "t", "payload": {"n": n}} for n in (2, 3)])
            fetched = await client.get_job(job.id)
            count = await client.count_jobs(queue="aio")
            nothing = await client.count_jobs(queue=[])  # answered without the server
            page = await client.list_jobs(queue="aio", limit=2, order="asc")
            following = await page.next_page()
            queues = await client.get_queues()
            health = await client.health()
            deleted = await client.delete_job(bulk[1].id)
            return job, bulk, fetched, count, nothing, page, following, queues, health, deleted

        job, bulk, fetched, count, nothing, page, following, queues, health, deleted = \
            self.run_async(scenario)
        self.assertIsInstance(job, zizq.Job)
        self.assertEqual("aio", job.queue)
        self.assertEqual({"n": 1}, fetched.payload)
        self.assertEqual(2, len(bulk))
        self.assertTrue(all(isinstance(j, zizq.Job) for j in bulk))
        self.assertEqual(self.client.get_job(job.id).to_dict(), fetched.to_dict())
        self.assertEqual((3, 0), (count, nothing))
        self.assertIsInstance(page, zizq.JobPage)
        self.assertEqual([job.id, bulk[0].id], [j.id for j in page])
        self.assertEqual([bulk[1].id], [j.id for j in following])
        self.assertEqual(["aio"], queues)
        self.assertEqual({"status": "ok"}, health)
        self.assertIsNone(deleted)
        # The blocking client sees the same state.
        self.assertEqual(2, self.client.count_jobs(queue="aio"))

    def test_errors_are_the_blocking_clients(self):
        async def scenario(client):
            with self.assertRaises(zizq.NotFoundError) as missing:
                await client.get_job("no-such-job")
            # Checked before anything starts: raised at the call.
            with self.assertRaises(ValueError):
                await client.get_job("")
            return missing.exception

        exc = self.run_async(scenario)
        self.assertEqual(404, exc.status)
        with self.assertRaises(zizq.NotFoundError) as blocking:
            self.client.get_job("no-such-job")
        self.assertEqual(type(blocking.exception), type(exc))

    def test_resources_return_awaitables(self):
        self.enqueue_job(queue="aio", payload={"n": 1})

        async def scenario(client):
            async for job in client.take_jobs(queues=["aio"]):
                updated = await job.update(priority=5)
                await job.complete()
                return job, updated

        job, updated = self.run_async(scenario)
        self.assertEqual((5, 5), (job.priority, updated.priority))
        self.wait_until(lambda: self.client.count_jobs(queue="aio") == 0)

    def test_paging_past_either_end_awaits_to_none(self):
        self.client.enqueue_bulk(jobs=[{"queue": "aio", "type": "t", "payload": {"n": n}}
                                       for n in range(3)])

        async def scenario(client):
            first = await client.list_jobs(queue="aio", limit=2)
            last = await first.next_page()
            return first, last, await last.next_page(), await first.prev_page()

        first, last, beyond, before = self.run_async(scenario)
        self.assertEqual((2, 1), (len(first.jobs), len(last.jobs)))
        self.assertIsNone(beyond)
        self.assertIsNone(before)

    def test_the_loop_stays_free_while_calls_wait(self):
        self.require_own_server()
        self.server.faults(delay_ms=300)
        ticks = []

        async def ticker():
            while True:
                ticks.append(asyncio.get_running_loop().time())
                await asyncio.sleep(0.001)

        async def scenario(client):
            tick = asyncio.create_task(ticker())
            try:
                # Both calls wait for the slow server at once, on one thread.
                answers = await asyncio.gather(client.health(), client.get_queues())
            finally:
                tick.cancel()
            return answers

        answers = self.run_async(scenario)
        self.assertEqual([{"status": "ok"}, []], answers)
        # The ticker kept running while the calls waited.
        self.assertGreater(len(ticks), 10)

    def test_cancelling_the_task_cancels_the_call(self):
        self.require_own_server()
        self.server.faults(delay_ms=2000)

        async def scenario(client):
            call = asyncio.ensure_future(client.health())
            await asyncio.sleep(0.05)
            call.cancel()
            with self.assertRaises(asyncio.CancelledError):
                await call
            self.server.reset_faults()
            # The client goes on working.
            return await client.health()

        self.assertEqual({"status": "ok"}, self.run_async(scenario))

    def test_close_ends_pending_calls(self):
        self.require_own_server()
        self.server.faults(delay_ms=2000)

        async def scenario(client):
            call = asyncio.ensure_future(client.health())
            await asyncio.sleep(0.05)
            client.close()
            with self.assertRaises(zizq.ConnectionError):
                await call
            with self.assertRaises(zizq.ConnectionError):
                await client.health()

        self.run_async(scenario)

    def test_max_pending_refuses_at_once(self):
        async def scenario(client):
            started = [client.health(), client.health()]
            with self.assertRaises(zizq.Error) as full:
                client.health()
            await asyncio.gather(*started)
            return full.exception, await client.health()

        full, health = self.run_async(scenario, max_pending=2)
        self.assertIn("max_pending", str(full))
        self.assertEqual({"status": "ok"}, health)

    def test_take_stream_cancelled_closes_the_stream(self):
        async def scenario(client):
            got = asyncio.Event()

            async def take():
                async for _job in client.take_jobs(queues=["aio"], prefetch=1):
                    got.set()

            task = asyncio.create_task(take())
            await client.enqueue(queue="aio", type="t", payload={})
            await got.wait()
            task.cancel()
            with self.assertRaises(asyncio.CancelledError):
                await task

        self.run_async(scenario)
        # The stream closed: its unacknowledged job went back to its queue.
        self.wait_until(lambda: self.client.count_jobs(status="ready") == 1)
        self.wait_until(lambda: self.server.state()["take_streams"] == 0)

    def test_worker_acks_and_nacks(self):
        for n in range(6):
            self.enqueue_job(queue="aio", payload={"n": n})

        async def scenario(client):
            seen = []
            all_seen = asyncio.Event()

            async def handler(job):
                await asyncio.sleep(0)
                seen.append(job.payload["n"])
                if len(seen) == 6:
                    all_seen.set()
                if job.payload["n"] == 5:
                    raise RuntimeError("boom")

            async def stop_when_all_seen():
                await all_seen.wait()
                return await worker.stop()

            worker = zizq.AsyncWorker(client, queues=["aio"], concurrency=3, handler=handler)
            stopped, _ = await asyncio.wait_for(
                asyncio.gather(stop_when_all_seen(), worker.run()), 20)
            self.assertTrue(stopped)
            return sorted(seen), worker.stats()

        seen, stats = self.run_async(scenario)
        self.assertEqual(list(range(6)), seen)
        self.assertEqual((5, 1), (stats["acked"], stats["nacked"]))
        self.assertEqual(1, self.client.count_jobs(queue="aio"))
        failed = self.client.list_jobs(queue="aio", status=["ready", "scheduled"]).jobs
        self.assertEqual([{"n": 5}], [job.payload for job in failed])

    def test_worker_runs_at_most_concurrency_handlers_at_once(self):
        total = 30
        self.client.enqueue_bulk(jobs=[{"type": "t", "queue": "aio", "payload": {"n": n}}
                                       for n in range(total)])

        async def scenario(client):
            running, most, done = 0, 0, []
            all_done = asyncio.Event()

            async def handler(job):
                nonlocal running, most
                running += 1
                most = max(most, running)
                await asyncio.sleep(0.01)
                running -= 1
                done.append(job.payload["n"])
                if len(done) == total:
                    all_done.set()

            worker = zizq.AsyncWorker(client, queues=["aio"], concurrency=4, prefetch=20,
                                      handler=handler)
            running_worker = asyncio.ensure_future(worker.run())
            await asyncio.wait_for(all_done.wait(), 20)
            self.assertTrue(await worker.stop())
            await running_worker
            return most, sorted(done), worker.stats()

        most, done, stats = self.run_async(scenario)
        self.assertEqual(4, most)
        self.assertEqual(list(range(total)), done)
        self.assertEqual(total, stats["acked"])
        self.assertEqual(0, self.client.count_jobs(queue="aio"))

    def test_worker_run_raises_when_the_server_refuses_the_stream(self):
        self.require_own_server()
        self.server.faults(fail_requests={"status": 403, "path": "/jobs/take"})

        async def scenario(client):
            worker = zizq.AsyncWorker(client, concurrency=2, handler=lambda job: None)
            with self.assertRaises(zizq.StreamError) as caught:
                await asyncio.wait_for(worker.run(), 20)
            return str(caught.exception), worker.stats()["state"]

        message, state = self.run_async(scenario)
        self.assertRegex(message, "403")
        self.assertEqual("stopped", state)

    def test_cancelling_run_stops_the_worker_and_delivers_its_acks(self):
        for n in range(3):
            self.enqueue_job(queue="aio", payload={"n": n})

        async def scenario(client):
            handled = []

            async def handler(job):
                handled.append(job.payload["n"])

            worker = zizq.AsyncWorker(client, queues=["aio"], concurrency=2, handler=handler)
            running = asyncio.ensure_future(worker.run())
            while len(handled) < 3:
                await asyncio.sleep(0.01)
            running.cancel()
            with self.assertRaises(asyncio.CancelledError):
                await running
            return sorted(handled), worker.stats()

        handled, stats = self.run_async(scenario)
        self.assertEqual([0, 1, 2], handled)
        self.assertEqual(("stopped", 3), (stats["state"], stats["acked"]))
        self.assertEqual(0, self.client.count_jobs(queue="aio"))

    def test_worker_needs_an_async_client_and_a_handler(self):
        with self.assertRaises(TypeError):
            zizq.AsyncWorker(self.client, handler=lambda job: None)

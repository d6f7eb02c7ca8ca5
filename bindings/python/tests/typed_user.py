"""A small program written against the installed zizq package, as a user
would: test_install.sh runs it (with the wheel installed in a fresh venv,
against a fresh zizq-testserver) and checks it with ``mypy --strict``."""

import asyncio
import os

import zizq


def main() -> None:
    with zizq.Client(os.environ["ZIZQ_URL"], format="json") as client:
        client.erase_all_data()
        job: zizq.Job = client.enqueue(queue="typed", type="check", payload={"n": 1})
        again: zizq.Job = client.get_job(job.id)
        # Jobs are equal, and hash alike, by id.
        assert again == job and len({job, again}) == 1

        page: zizq.JobPage = client.list_jobs(queue="typed")
        assert [listed.id for listed in page] == [job.id]
        count: int = client.count_jobs(queue="typed")
        assert count == 1

        for taken in client.take_jobs(queues=["typed"]):
            client.ack(taken.id)
            break
        # Completed jobs are not retained by default.
        assert client.count_jobs(queue="typed") == 0
        try:
            client.get_job(job.id)
        except zizq.NotFoundError as exc:
            assert exc.status == 404
        else:
            raise AssertionError("a completed job was found")
    asyncio.run(use_async())
    print(f"typed user program: ok ({zizq.library_version()})")


async def use_async() -> None:
    async with zizq.AsyncClient(os.environ["ZIZQ_URL"]) as client:
        job: zizq.Job = await client.enqueue(queue="typed", type="async", payload=[1])
        count: int = await client.count_jobs(queue="typed")
        assert count == 1
        async for taken in client.take_jobs(queues=["typed"]):
            assert taken.id == job.id
            await client.ack(taken.id)
            break
        assert await client.count_jobs(queue="typed") == 0


if __name__ == "__main__":
    main()

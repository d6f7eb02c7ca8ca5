"""The quick start of bindings/python/README.md, as a script, for the
installed package (pip install ./bindings/python):

    ZIZQ_URL=http://127.0.0.1:7890 python3 examples/quickstart.py
"""

import os
import time

import zizq

with zizq.Client(os.environ["ZIZQ_URL"]) as client:
    job = client.enqueue(queue="emails", type="send_email", payload={"to": "ada@example.com"})
    print(f"enqueued {job.id} ({job.status})")

    for taken in client.take_jobs(queues=["emails"]):
        print(f"took {taken.id}: {taken.type} {taken.payload}")
        client.ack(taken.id)
        break

    print(f"jobs left in emails: {client.count_jobs(queue='emails')}")

    # A worker: four threads, failures are nacked with their traceback.
    done: list[int] = []

    def handler(job: zizq.Job) -> None:
        if job.payload["n"] == 3:
            raise RuntimeError("three is unlucky")
        done.append(job.payload["n"])

    client.enqueue_bulk(jobs=[{"queue": "numbers", "type": "square", "payload": {"n": n}}
                              for n in range(10)])
    worker = zizq.Worker(client, queues=["numbers"], threads=4, handler=handler).start()
    while len(done) < 9 or worker.stats()["nacked"] < 1:
        time.sleep(0.01)
    worker.stop()
    print(f"worker: {worker.stats()['acked']} acked, {worker.stats()['nacked']} nacked")
    client.delete_all_jobs(where={"queue": "numbers"})

"""The quick start of bindings/python/README.md, as a script:

    ZIZQ_URL=http://127.0.0.1:7890 python3 examples/quickstart.py

From the source tree it imports the package from ../src and finds
../../target/release/libzizq.so (or ZIZQ_LIB); with the package installed
it uses that.
"""

import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))

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
    done = []

    def handler(job):
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

"""Proof that our queue (Swift, Shared/Queue) and Python BullMQ 3.4.x share queues.

1. Jobs added by Python BullMQ (data, attempts + backoff, delay, priority) are
   processed by our worker (`queue-bench worker`); Python reads back the results,
   the attempts made, and the failure of a job that exhausts its attempts.
2. Jobs added by us (`queue-bench add`) are processed by a Python BullMQ Worker whose
   first attempt fails: the retry happens with our backoff options, and both sides
   read the same results.
"""
import asyncio
import json
import subprocess
import time
import uuid

from bullmq import Queue, Worker


def run(coro):
    return asyncio.run(coro)


def bench(queue_bench, redis_url, *args, timeout=60):
    out = subprocess.run([queue_bench, *args, "--redis", redis_url], check=True, capture_output=True, text=True,
                         timeout=timeout)
    return out.stdout


def inspect(queue_bench, redis_url, queue, job_id):
    return json.loads(bench(queue_bench, redis_url, "inspect", "--queue", queue, "--job", job_id))


def test_python_producer_swift_worker(queue_bench, redis_url):
    name = f"interop-py2swift-{uuid.uuid4().hex[:8]}"
    effects = f"{name}:effects"

    async def add():
        q = Queue(name, {"connection": redis_url})
        retried = await q.add("charge", {"i": 1, "failTimes": 1},
                              {"attempts": 3, "backoff": {"type": "fixed", "delay": 100}})
        exponential = await q.add("charge", {"i": 2, "failTimes": 2},
                                  {"attempts": 3, "backoff": {"type": "exponential", "delay": 50}})
        doomed = await q.add("charge", {"i": 3, "failTimes": 5}, {"attempts": 2})
        delayed = await q.add("later", {"i": 4}, {"delay": 300})
        prioritized = await q.add("vip", {"i": 5}, {"priority": 1})
        custom = await q.add("custom", {"i": 6}, {"jobId": "order-6", "removeOnComplete": False})
        plain = [await q.add("plain", {"i": 10 + k}) for k in range(20)]
        await q.close()
        return retried.id, exponential.id, doomed.id, delayed.id, prioritized.id, custom.id, [j.id for j in plain]

    retried, exponential, doomed, delayed, prioritized, custom, plain = run(add())

    bench(queue_bench, redis_url, "worker", "--queue", name, "--effects-key", effects, "--concurrency", "4",
          "--idle-exit-ms", "1200", timeout=60)

    async def check():
        q = Queue(name, {"connection": redis_url})
        try:
            job = await q.getJob(retried)
            assert await job.getState() == "completed"
            assert job.returnvalue == {"jobId": retried, "attempt": 2, "data": {"i": 1, "failTimes": 1}}
            assert job.attemptsMade == 2
            assert job.failedReason == "planned failure on attempt 1"
            assert len(job.stacktrace) == 1
            assert job.data == {"i": 1, "failTimes": 1}

            job = await q.getJob(exponential)
            assert await job.getState() == "completed"
            assert job.returnvalue["attempt"] == 3
            assert job.attemptsMade == 3

            job = await q.getJob(doomed)
            assert await job.getState() == "failed"
            assert job.attemptsMade == 2
            assert job.failedReason == "planned failure on attempt 2"
            assert len(job.stacktrace) == 2
            assert job.finishedOn > 0

            job = await q.getJob(delayed)
            assert await job.getState() == "completed"
            assert job.finishedOn - job.timestamp >= 300

            for jid in [prioritized, custom, *plain]:
                job = await q.getJob(jid)
                assert await job.getState() == "completed", jid
                assert job.returnvalue["jobId"] == jid
                assert job.returnvalue["data"] == job.data

            counts = await q.getJobCounts("wait", "active", "delayed", "prioritized", "completed", "failed")
            assert counts == {"wait": 0, "active": 0, "delayed": 0, "prioritized": 0,
                              "completed": 25, "failed": 1}
            effects_count = await q.client.scard(effects)
            assert effects_count == 25
            await q.client.delete(effects, effects + ":runs")
            await q.obliterate(force=True)
        finally:
            await q.close()

    run(check())


def test_swift_producer_python_worker(queue_bench, redis_url):
    name = f"interop-swift2py-{uuid.uuid4().hex[:8]}"
    ids = bench(queue_bench, redis_url, "add", "--queue", name, "--name", "payout", "--count", "6",
                "--data", '{"i":{i},"amount":{i}}', "--attempts", "3", "--backoff", "fixed:150").split()
    delayed = bench(queue_bench, redis_url, "add", "--queue", name, "--name", "later", "--data", '{"i":100}',
                    "--delay-ms", "300", "--attempts", "2").split()
    prio = bench(queue_bench, redis_url, "add", "--queue", name, "--name", "vip", "--data", '{"i":200}',
                 "--priority", "2", "--job-id", "vip-1").split()
    # a duplicate custom id adds nothing
    again = bench(queue_bench, redis_url, "add", "--queue", name, "--name", "vip", "--data", '{"i":999}',
                  "--job-id", "vip-1").split()
    assert again == ["vip-1"] == prio
    assert len(ids) == 6

    seen = []

    async def process():
        async def processor(job, token):
            seen.append((job.id, job.attemptsMade))
            if job.name == "payout" and job.attemptsMade == 0:
                raise Exception(f"gateway timeout for {job.id}")
            amount = job.data.get("amount")
            return {"paid": None if amount is None else amount * 100, "i": job.data["i"], "attempt": job.attemptsMade + 1}

        q = Queue(name, {"connection": redis_url})
        worker = Worker(name, processor, {"connection": redis_url, "concurrency": 3})
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                counts = await q.getJobCounts("completed", "active")
                if counts["completed"] == 8 and counts["active"] == 0:
                    break
                await asyncio.sleep(0.05)
            counts = await q.getJobCounts("wait", "active", "delayed", "completed", "failed")
            assert counts == {"wait": 0, "active": 0, "delayed": 0, "completed": 8, "failed": 0}, counts
            for i, jid in enumerate(ids):
                job = await q.getJob(jid)
                assert job.data == {"i": i, "amount": i}
                assert job.returnvalue == {"paid": i * 100, "i": i, "attempt": 2}
                assert job.attemptsMade == 2
                assert job.failedReason == f"gateway timeout for {jid}"
                retry_gap = job.processedOn - job.timestamp
                assert retry_gap >= 150, retry_gap
            job = await q.getJob("vip-1")
            assert job.data == {"i": 200}
            assert job.returnvalue == {"paid": None, "i": 200, "attempt": 1}
        finally:
            await worker.close()
            await q.close()

    run(process())

    # our side reads what the Python worker wrote
    for i, jid in enumerate(ids):
        j = inspect(queue_bench, redis_url, name, jid)
        assert j["state"] == "completed"
        assert json.loads(j["returnvalue"]) == {"paid": i * 100, "i": i, "attempt": 2}
        assert j["atm"] == "2"
        assert j["failedReason"] == f"gateway timeout for {jid}"
        assert len(json.loads(j["stacktrace"])) == 1
    j = inspect(queue_bench, redis_url, name, delayed[0])
    assert j["state"] == "completed"
    assert int(j["finishedOn"]) - int(j["timestamp"]) >= 300
    assert sorted(set(x[0] for x in seen)) == sorted(ids + delayed + ["vip-1"])

    async def cleanup():
        q = Queue(name, {"connection": redis_url})
        await q.obliterate(force=True)
        await q.close()

    run(cleanup())

#!/usr/bin/env python3
"""Python BullMQ counterpart of `queue-bench bench`: add N no-op jobs (addBulk in
chunks of 1000), then process them with one Worker at the given concurrency.

    python3 bullmq_bench.py --redis redis://127.0.0.1:6379/0 --jobs 50000 --concurrency 50 [--quiet]

--quiet prints one line: add/s process/s total/s (same as queue-bench bench --quiet).
"""
import argparse
import asyncio
import time

from bullmq import Queue, Worker


async def main(args):
    name = args.queue
    q = Queue(name, {"connection": args.redis})
    await q.obliterate(force=True)

    t0 = time.perf_counter()
    for start in range(0, args.jobs, 1000):
        await q.addBulk([{"name": "noop", "data": {"i": i}} for i in range(start, min(start + 1000, args.jobs))])
    t1 = time.perf_counter()

    done = 0
    finished = asyncio.Event()

    async def processor(job, token):
        nonlocal done
        done += 1
        if done >= args.jobs:
            finished.set()
        return None

    worker = Worker(name, processor, {"connection": args.redis, "concurrency": args.concurrency})
    await finished.wait()
    # the last job's moveToCompleted runs after the processor returns
    while (await q.getJobCounts("completed"))["completed"] < args.jobs:
        await asyncio.sleep(0.01)
    t2 = time.perf_counter()
    await worker.close()
    await q.obliterate(force=True)
    await q.close()

    add_s, proc_s = t1 - t0, t2 - t1
    add_rate, proc_rate, total = args.jobs / add_s, args.jobs / proc_s, args.jobs / (add_s + proc_s)
    if args.quiet:
        print(f"{add_rate:.0f} {proc_rate:.0f} {total:.0f}")
    else:
        print(f"jobs {args.jobs}, concurrency {args.concurrency}")
        print(f"add      {add_s:8.2f}s  {add_rate:9.0f} jobs/s")
        print(f"process  {proc_s:8.2f}s  {proc_rate:9.0f} jobs/s")
        print(f"total    {add_s + proc_s:8.2f}s  {total:9.0f} jobs/s")


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    p.add_argument("--jobs", type=int, default=50000)
    p.add_argument("--concurrency", type=int, default=50)
    p.add_argument("--queue", default="bench-bullmq-py")
    p.add_argument("--quiet", action="store_true")
    asyncio.run(main(p.parse_args()))

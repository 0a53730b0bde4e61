"""Past one core: N producer processes, each on a partition of its own.

The GIL lets one Python process use about one core (its I/O thread included), so the way
to more throughput is more processes: one producer per process, each sending to its own
partition (``partition=i``, or keys that hash apart), started after any fork (a producer
does not survive fork(): create it in the child). This script measures N = 1, 2, ...:
each process sends ``--records`` 100 B values with ``send_batch`` (a1 settings) to
partition i of an N-partition topic; the aggregate rate is all records over the wall
time from the first start to the last flush.

    python bench/scale_processes.py --bootstrap HOST:PORT --processes 1 2 4
"""
from __future__ import annotations

import argparse
import multiprocessing as mp
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def _worker(bootstrap: str, topic: str, partition: int, n: int, go: object, done: object) -> None:
    from purekafka import KafkaProducer

    p = KafkaProducer(bootstrap_servers=bootstrap, acks=1, linger_ms=5, batch_size=64 * 1024,
                      enable_idempotence=False)
    p.partitions_for(topic)
    values = [b"x" * 100] * 1000
    go.wait()  # type: ignore[attr-defined]
    for _ in range(n // 1000):
        p.send_batch(topic, values, partition=partition)
    p.flush()
    p.close()
    done.put(time.time())  # type: ignore[attr-defined]


def run(bootstrap: str, processes: int, n: int) -> float:
    from compare import _kafka_local

    host, port = bootstrap.split(",")[0].rsplit(":", 1)
    topic = f"scale-{uuid.uuid4().hex[:8]}"
    _kafka_local().create_topic((host, int(port)), topic, processes, 1, None)
    ctx = mp.get_context("spawn")
    go, done = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(bootstrap, topic, i, n, go, done)) for i in range(processes)]
    for proc in procs:
        proc.start()
    time.sleep(3.0)  # let every producer connect and fetch metadata first
    t0 = time.time()
    go.set()
    ends = [done.get(timeout=600) for _ in procs]
    for proc in procs:
        proc.join()
    return processes * n / (max(ends) - t0)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bootstrap", required=True)
    ap.add_argument("--records", type=int, default=500_000, help="records per process")
    ap.add_argument("--processes", type=int, nargs="+", default=[1, 2])
    args = ap.parse_args()
    base = None
    for n in args.processes:
        rate = run(args.bootstrap, n, args.records)
        base = base or rate
        print(f"{n} process(es): {rate:,.0f} records/s aggregate ({rate / base:.2f}x one process)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

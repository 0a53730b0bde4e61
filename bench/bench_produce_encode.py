"""Encoding a ProduceRequest body around already-built record batches.

Compares purekafka's tuple fast path (``produce.build_request``), its
dataclass path (``produce.encode_request``), the generic spec codec (the test
oracle, expected to be slow), and kafka-python 3's ``ProduceRequest`` when it
is installed. Same message, same version (v9 flexible and v8 classic), bytes
checked equal before timing.

Run: ``.venv/bin/python bench/bench_produce_encode.py``
"""
from __future__ import annotations

import os
import sys
import timeit

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from purekafka.protocol import produce, specs  # noqa: E402

SHAPES = [(1, 1, 200), (10, 10, 16384), (50, 4, 1024)]  # (topics, partitions per topic, batch bytes)


def _workload(topics: int, parts: int, size: int):
    batch = os.urandom(size)
    tuples = [(f"topic-{t}", [(p, batch) for p in range(parts)]) for t in range(topics)]
    msg = produce.ProduceRequest(None, -1, 30000, [
        produce.TopicProduceData(name, partition_data=[produce.PartitionProduceData(i, r) for i, r in ps])
        for name, ps in tuples
    ])
    return tuples, msg


def _kafka_python(version: int, tuples):
    try:
        from kafka.protocol.producer.produce import ProduceRequest as KP
    except ImportError:
        return None
    req = KP(transactional_id=None, acks=-1, timeout_ms=30000, version=version, topic_data=[
        KP.TopicProduceData(name=name, partition_data=[KP.TopicProduceData.PartitionProduceData(index=i, records=r)
                                                       for i, r in ps], version=version)
        for name, ps in tuples
    ])
    return lambda: req.encode(version=version)


def _time(fn, budget: float = 0.4) -> float:
    n = 1
    while True:
        t = timeit.timeit(fn, number=n)
        if t > budget:
            return t / n
        n *= 2


def main() -> None:
    print(f"{'shape':<22}{'ver':>4}  {'build_request':>14}{'encode_request':>15}{'spec codec':>12}{'kafka-python':>14}")
    for shape in SHAPES:
        tuples, msg = _workload(*shape)
        for version in (8, 9):
            fast = produce.build_request(version, None, -1, 30000, tuples)
            assert produce.encode_request(msg, version) == fast
            assert specs.encode(0, version, "request", msg) == fast
            kp = _kafka_python(version, tuples)
            row = [
                _time(lambda: produce.build_request(version, None, -1, 30000, tuples)),
                _time(lambda: produce.encode_request(msg, version)),
                _time(lambda: specs.encode(0, version, "request", msg)),
            ]
            if kp is not None:
                assert kp() == fast, "kafka-python encodes differently"
                row.append(_time(kp))
            label = f"{shape[0]}x{shape[1]}x{shape[2]}B"
            widths = (14, 15, 12, 14)
            cells = "".join(f"{x * 1e6:>{w}.1f}" for w, x in zip(widths, row))
            print(f"{label:<22}{version:>4}  {cells}")
    print("(microseconds per request body)")


if __name__ == "__main__":
    main()

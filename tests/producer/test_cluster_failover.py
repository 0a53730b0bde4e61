"""A broker killed mid-run on a 3-node cluster: the idempotent producer retries through the
leader change, and the independent consumer reads every record exactly once, in order."""
from __future__ import annotations

import time

import pytest

from purekafka import KafkaProducer
from tests.support.readback import consume

pytestmark = [pytest.mark.cluster, pytest.mark.broker]


def test_broker_killed_mid_run(kafka_cluster) -> None:
    topic = kafka_cluster.create_topic(f"failover-{time.monotonic_ns()}", partitions=3,
                                       replication_factor=3, config={"min.insync.replicas": "2"})
    leaders = kafka_cluster.metadata([topic]).leaders[topic]
    victim = leaders[0]
    n = 3000
    futures = []
    with KafkaProducer(bootstrap_servers=kafka_cluster.bootstrap, linger_ms=5,
                       request_timeout_ms=5000, retry_backoff_ms=100,
                       delivery_timeout_ms=120_000) as p:
        p.partitions_for(topic)
        try:
            for i in range(n):
                futures.append(p.send(topic, key=b"%d" % (i % 30), value=b"%d" % i))
                if i == n // 3:
                    kafka_cluster.kill(victim)
                if i % 100 == 0:
                    time.sleep(0.05)  # spread the sends over the failover
            p.flush(120)
        finally:
            kafka_cluster.restart(victim)
    metas = [f.get(0) for f in futures]
    got = consume(kafka_cluster.bootstrap, topic, n, timeout=60)
    values = [int(c.value) for c in got]
    assert len(got) == n and sorted(values) == list(range(n))  # nothing lost, nothing twice
    by_key: dict[bytes, list[int]] = {}
    for c in got:
        by_key.setdefault(c.key, []).append(int(c.value))
    assert all(v == sorted(v) for v in by_key.values())  # order kept through the retries
    assert {(m.partition, m.offset) for m in metas} == {(c.partition, c.offset) for c in got}

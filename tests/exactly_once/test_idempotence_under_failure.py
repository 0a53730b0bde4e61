"""Idempotence under failure, on a 3-node cluster (replication factor 3, min.insync.replicas=2).

While 200,000 keyed records go out with the default (idempotent) producer, partition
leaders are killed with SIGKILL and restarted, twice, and the producer's connections are
dropped through the fault proxy: mid-request, right after a request reached the broker,
and all at once. confluent-kafka then reads the topic back, and every acknowledged
record must be there exactly once, at the offset the producer reported, in send order
per partition; every future must be resolved, and a failed one must hold a clear error.

The leader-kill run and the outage run also run on the asyncio front end (``front``,
``purekafka.aio``, half the records for the first), with the same figures required.
"""
from __future__ import annotations

import asyncio
import os
import subprocess
import tempfile
import time

import pytest

from tests.support.aio_front import FAILURE_RUN_FRONTS, join_thread, send_during_async
from tests.support.eo_failure import Chaos, Ledger, check, idempotent_figures, send_during
from purekafka import KafkaProducer
from purekafka.aio import AIOKafkaProducer
from purekafka.errors import KafkaError
from tests.support.readback import consume, consume_all
from tests.support.tcp_proxy import PRODUCE, FaultProxy

pytestmark = [pytest.mark.cluster, pytest.mark.broker]

TOTAL = int(os.environ.get("PUREKAFKA_EO_RECORDS", "200000"))
PARTITIONS = 6


def _read_everything(bootstrap: str, topic: str, expect_at_least: int) -> list:
    """All records of the topic: first wait until the acknowledged count is readable, then
    read for a while longer than that took, so extra records (duplicates) show up too."""
    t = time.monotonic()
    consume(bootstrap, topic, expect_at_least, timeout=180)
    took = time.monotonic() - t
    return consume_all(bootstrap, topic, settle=2 * took + 5)


def _assert_failures_clear(ledger: Ledger) -> None:
    for f in ledger.futures:
        if f.is_done and f.exception is not None:
            exc = f.exception
            assert isinstance(exc, KafkaError) and str(exc), f"unclear failure {exc!r}"


def run_failure(cluster, steps, total: int, rate: float, front: str = "sync", **producer_conf) -> tuple:
    topic = cluster.create_topic(f"eo-idem-{time.monotonic_ns()}", partitions=PARTITIONS,
                                 replication_factor=3, config={"min.insync.replicas": "2"})
    ledger = Ledger(keys=1000)
    addresses = list(cluster.metadata().brokers.values())
    with FaultProxy(addresses, lifetime=1200) as proxy:
        conf = dict(bootstrap_servers=proxy.bootstrap, linger_ms=10, request_timeout_ms=10_000,
                    retry_backoff_ms=100, reconnect_backoff_ms=50, delivery_timeout_ms=180_000,
                    max_block_ms=120_000)
        conf.update(producer_conf)
        if front == "sync":
            producer = KafkaProducer(**conf)
            try:
                producer.partitions_for(topic)
                chaos = Chaos(cluster, topic, proxy, steps).start()
                t0 = time.monotonic()
                send_during(producer, topic, ledger, total, chaos, rate=rate)
                chaos.join(600)
                producer.flush(300)
                elapsed = time.monotonic() - t0
            finally:
                producer.close(30)
        else:
            chaos, elapsed = asyncio.run(_run_async(conf, topic, proxy, cluster, steps, ledger, total, rate))
        stats = proxy.stats
    print("\n" + "\n".join(chaos.log))
    print(f"proxy: {stats}")
    assert chaos.error is None, "\n".join(chaos.log)
    consumed = _read_everything(cluster.bootstrap, topic,
                                sum(1 for f in ledger.futures if f.is_done and f.exception is None))
    fig = idempotent_figures(ledger, consumed)
    print(f"figures ({elapsed:.0f}s of sending): {fig.line()}")
    if ledger.failure_samples:
        print(f"failure messages: {ledger.failure_samples}")
        print(f"ms from send to failure (min, max): {ledger.failure_ages()}")
    return fig, chaos, stats, ledger


async def _run_async(conf: dict, topic: str, proxy, cluster, steps, ledger: Ledger, total: int,
                     rate: float) -> tuple:
    """The same run with ``purekafka.aio`` (idempotence said outright: aiokafka's default is off)."""
    producer = AIOKafkaProducer(enable_idempotence=True, **conf)
    await producer.start()
    try:
        await producer.partitions_for(topic)
        chaos = Chaos(cluster, topic, proxy, steps).start()
        t0 = time.monotonic()
        await send_during_async(producer, topic, ledger, total, chaos, rate=rate)
        await join_thread(chaos, 600)
        await producer.flush(300)
        elapsed = time.monotonic() - t0
    finally:
        await producer.stop(30)
    return chaos, elapsed


@pytest.mark.timeout(900)
@pytest.mark.parametrize("front", FAILURE_RUN_FRONTS)
def test_idempotent_producer_through_leader_kills_and_dropped_connections(kafka_cluster, front) -> None:
    steps = [
        ("sleep", 3), ("drop_mid", PRODUCE), ("wait_faults", 10),
        ("sleep", 2), ("kill_leader", 0), ("sleep", 4), ("restart", None),
        ("drop_after", PRODUCE), ("wait_faults", 10), ("sleep", 1), ("drop_all", None),
        ("sleep", 3), ("kill_leader", 1), ("sleep", 4), ("restart", None),
        ("drop_after", PRODUCE), ("drop_mid", PRODUCE), ("wait_faults", 10),
        ("sleep", 1), ("drop_all", None), ("sleep", 2),
    ]
    total = TOTAL if front == "sync" else TOTAL // 2
    fig, chaos, stats, ledger = run_failure(kafka_cluster, steps, total, rate=4000, front=front)
    msg = f"{fig.line()} examples={fig.examples}"
    assert len(chaos.killed) >= 2, chaos.log
    assert stats.mid_request_drops >= 2 and stats.after_request_drops >= 2, stats
    assert fig.sent == total, msg
    assert fig.unresolved == 0, msg
    _assert_failures_clear(ledger)
    assert fig.duplicates == 0 and fig.missing == 0 and fig.reordered == 0, msg
    assert fig.offset_mismatch == 0 and fig.foreign == 0, msg
    # With acks=all, RF 3 and min ISR 2, one node down at a time never makes a record
    # undeliverable within delivery_timeout_ms: none may fail.
    assert fig.failed == 0 and fig.acknowledged == total, msg


OUTAGE_STEPS = [
    ("sleep", 3), ("kill_leader", 0), ("kill_another", None), ("sleep", 20),
    ("restart", None), ("drop_after", PRODUCE), ("wait_faults", 10), ("sleep", 3),
]


@pytest.mark.timeout(900)
@pytest.mark.parametrize("front", FAILURE_RUN_FRONTS)
def test_idempotent_producer_through_an_outage_longer_than_delivery_timeout(kafka_cluster, front) -> None:
    """Two of three nodes die at once: partitions lose their leader or their min ISR (and the
    controller quorum is gone), for longer than delivery_timeout_ms. Batches then expire with
    their outcome unknown; the producer must fail them with a clear error, bump its epoch
    (KIP-360) and carry on, and still never write an acknowledged record twice or out of order."""
    total = TOTAL // 4
    fig, chaos, stats, ledger = run_failure(kafka_cluster, OUTAGE_STEPS, total, rate=800, front=front,
                                            request_timeout_ms=4000, delivery_timeout_ms=12_000)
    msg = f"{fig.line()} examples={fig.examples}"
    assert len(chaos.killed) == 2, chaos.log
    assert fig.sent == total and fig.unresolved == 0, msg
    _assert_failures_clear(ledger)
    assert fig.duplicates == 0 and fig.missing == 0 and fig.reordered == 0, msg
    assert fig.offset_mismatch == 0 and fig.foreign == 0, msg
    assert fig.failed > 0, f"the outage was meant to outlast delivery_timeout_ms: {msg}"
    # The producer recovered: the records sent after the outage are acknowledged.
    tail = ledger.futures[-1000:]
    assert all(f.exception is None for f in tail), msg


@pytest.mark.java
@pytest.mark.timeout(900)
def test_java_producer_through_the_same_outage(kafka_cluster, java) -> None:
    """Kafka's own producer (tests/java/IdempotentFailureRun.java) in the outage above, through
    the same proxy and the same check: what Java's guarantees look like in this run, and how
    its failures compare with purekafka's."""
    total = TOTAL // 4
    topic = kafka_cluster.create_topic(f"eo-java-{time.monotonic_ns()}", partitions=PARTITIONS,
                                       replication_factor=3, config={"min.insync.replicas": "2"})
    addresses = list(kafka_cluster.metadata().brokers.values())
    with FaultProxy(addresses, lifetime=1200) as proxy, tempfile.TemporaryFile() as out:
        proc = subprocess.Popen(
            ["java", "-Xmx512m", "-cp", f"{java.build_dir}{os.pathsep}{java.classpath}",
             "IdempotentFailureRun", proxy.bootstrap, topic, str(total), "800", "4000", "12000"],
            stdout=out, stderr=subprocess.DEVNULL)
        try:
            chaos = Chaos(kafka_cluster, topic, proxy, OUTAGE_STEPS).start()
            chaos.join(600)
            assert proc.wait(600) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
        out.seek(0)
        lines = out.read().decode(errors="replace").splitlines()
    print("\n" + "\n".join(chaos.log))
    assert chaos.error is None, "\n".join(chaos.log)
    acked: dict[int, tuple[int, int]] = {}
    kinds: dict[str, int] = {}
    ages: dict[str, list[int]] = {}
    unresolved = 0
    for line in lines:
        parts = line.split()
        if parts and parts[0] == "A" and len(parts) == 4:
            acked[int(parts[1])] = (int(parts[2]), int(parts[3]))
        elif parts and parts[0] == "F" and len(parts) == 4:
            kinds[parts[2]] = kinds.get(parts[2], 0) + 1
            ages.setdefault(parts[2], []).append(int(parts[3]))
        elif parts and parts[0] == "U":
            unresolved += 1
    consumed = _read_everything(kafka_cluster.bootstrap, topic, len(acked))
    fig = check(consumed, total, set(acked), set(), acked)
    fig.acknowledged, fig.failed, fig.unresolved, fig.failure_kinds = (
        len(acked), sum(kinds.values()), unresolved, kinds)
    print(f"Java producer figures: {fig.line()}")
    print(f"Java: ms from send to failure (min, max): { {k: (min(v), max(v)) for k, v in ages.items()} }")
    msg = f"{fig.line()} examples={fig.examples}"
    assert fig.acknowledged + fig.failed + fig.unresolved == total, msg
    assert fig.unresolved == 0 and fig.duplicates == 0 and fig.missing == 0 and fig.reordered == 0, msg
    assert fig.offset_mismatch == 0 and fig.foreign == 0, msg


@pytest.mark.timeout(900)
def test_idempotent_producer_through_a_whole_cluster_crash(kafka_cluster) -> None:
    """Every node is SIGKILLed at once mid-run and the cluster restarted: the brokers rebuild
    their producer state from the log, the producer retries what it had in flight, and no
    record is lost or written twice. The outage is shorter than delivery_timeout_ms, so
    nothing may fail."""
    steps = [("sleep", 4), ("drop_after", PRODUCE), ("wait_faults", 10), ("kill_all", None),
             ("sleep", 3), ("restart", None), ("sleep", 3), ("drop_mid", PRODUCE), ("wait_faults", 10),
             ("sleep", 2)]
    total = TOTAL // 4
    fig, chaos, stats, ledger = run_failure(kafka_cluster, steps, total, rate=1000)
    msg = f"{fig.line()} examples={fig.examples}"
    assert len(chaos.killed) == 3, chaos.log
    assert fig.sent == total and fig.unresolved == 0, msg
    _assert_failures_clear(ledger)
    assert fig.duplicates == 0 and fig.missing == 0 and fig.reordered == 0, msg
    assert fig.offset_mismatch == 0 and fig.foreign == 0, msg
    assert fig.failed == 0 and fig.acknowledged == total, msg

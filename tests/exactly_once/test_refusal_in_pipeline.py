"""A batch refused for sure in the middle of a pipeline, with lost answers, lost requests and
a leader move around it: the interleaving the exactly-once state machine found wrong.

A record with a null key on a compacted topic is a real refusal: the broker answers
INVALID_RECORD for its whole batch and stores nothing of it. When that batch sits between
others in flight, the batches behind it meet a gap in the sequences, and an idempotent
producer has to close it with an epoch bump (KIP-360) without writing a batch that may be
stored already a second time, without reordering, and without stalling the partition.

Before the fix these runs either stalled a partition for the whole delivery timeout (its
oldest batch waited for a probe the sender never offered, records failed with "Expiring
... ms has passed since batch creation") or could reorder batches at the gap.
"""
from __future__ import annotations

import time

import pytest

from tests.support.eo_failure import Chaos, Ledger, check, send_during
from purekafka import KafkaProducer
from purekafka.errors import InvalidRecordError
from tests.support.readback import consume, consume_all
from tests.support.tcp_proxy import PRODUCE, FaultProxy

pytestmark = [pytest.mark.broker]

NULL_KEY_EVERY = 250


def _send(producer: KafkaProducer, topic: str, ledger: Ledger, null_keys: set[int], n: int) -> None:
    for _ in range(n):
        index, key, value = ledger.next_record()
        if index % NULL_KEY_EVERY == NULL_KEY_EVERY - 1:
            null_keys.add(index)
            key = None  # refused by the compacted topic: INVALID_RECORD for the whole batch
        ledger.sent(producer.send(topic, key=key, value=value))


def _verdict(bootstrap: str, topic: str, ledger: Ledger, null_keys: set[int]):
    acked, failed, unresolved, kinds = ledger.outcomes()
    refused = {i for i in failed if isinstance(ledger.futures[i].exception, InvalidRecordError)}
    offsets = {i: (ledger.futures[i].value.partition, ledger.futures[i].value.offset) for i in acked}
    consume(bootstrap, topic, len(acked), timeout=60)
    consumed = consume_all(bootstrap, topic, settle=3)
    # A null-key record reads back as "foreign" (its key is not the ledger's): never allowed.
    fig = check(consumed, len(ledger.futures), acked, refused | null_keys, offsets)
    fig.acknowledged, fig.failed, fig.unresolved, fig.failure_kinds = len(acked), len(failed), len(unresolved), kinds
    return fig, refused


@pytest.mark.timeout(120)
def test_producer_refused_batch_mid_pipeline_then_lost_answers(kafka, topic_factory) -> None:
    """Five one-record batches held at the proxy, so all five are in flight at once; the
    second has a null key. Released together: b0 is stored, b1 refused (INVALID_RECORD),
    b2 answered OUT_OF_ORDER_SEQUENCE_NUMBER, and the link dies before the answers to b3
    and b4. Before the fix the partition stalled for the delivery timeout (b2, its head,
    waited for a probe of b3 that the sender never offers); now b2, b3 and b4 are stored
    once, in order, under the bumped epoch."""
    topic = topic_factory(config={"cleanup.policy": "compact"})
    with FaultProxy(kafka.addresses) as proxy:
        producer = KafkaProducer(bootstrap_servers=proxy.bootstrap, acks="all", linger_ms=0,
                                 request_timeout_ms=10_000, delivery_timeout_ms=30_000,
                                 retry_backoff_ms=20, reconnect_backoff_ms=20)
        try:
            producer.partitions_for(topic)
            # One record first: until the broker holds state for the producer on the
            # partition, the producer sends it one batch at a time (IdempotenceState.can_send).
            producer.send(topic, key=b"k", value=b"warm", partition=0).get(10)
            proxy.hold(PRODUCE)
            futures = []
            for i in range(5):
                futures.append(producer.send(topic, key=None if i == 1 else b"k", value=b"b%d" % i, partition=0))
                deadline = time.monotonic() + 10
                while proxy.stats.held < i + 1:  # one request per batch, all in flight
                    assert time.monotonic() < deadline, proxy.stats
                    time.sleep(0.005)
            proxy.lose_answer(PRODUCE, skip=3)  # b3's answer, and with its link b4's
            t0 = time.monotonic()
            proxy.release()
            producer.flush(25)
            elapsed = time.monotonic() - t0
        finally:
            producer.close(5)
        stats = proxy.stats
    assert stats.lost_answers == 1, stats
    assert isinstance(futures[1].exception, InvalidRecordError), futures[1].exception
    for i in (0, 2, 3, 4):
        assert futures[i].exception is None, (i, futures[i].exception)
    got = consume_all(kafka.bootstrap, topic)
    assert [r.value for r in got] == [b"warm", b"b0", b"b2", b"b3", b"b4"]
    assert [r.offset for r in got[1:]] == [futures[i].value.offset for i in (0, 2, 3, 4)]
    # A stall would end at the 30 s delivery timeout (and fail the futures above); a healthy
    # run takes well under a second, so 20 s leaves a loaded machine room.
    assert elapsed < 20, elapsed


@pytest.mark.timeout(300)
@pytest.mark.parametrize("run", range(3))
def test_refused_batches_and_lost_answers_never_stall_a_partition(kafka, topic_factory, run: int) -> None:
    """20,000 keyed records, one in 250 with a null key, about 15 broker answers lost right
    after the broker acted. No record may expire: only the refused batches fail.

    A stall and a slow machine both end in expired records, so the two are told apart by
    progress, not by the run's length: the delivery timeout (120 s) is far above the run
    (10-20 s, or under 30 s on a loaded machine), and a stalled partition shows as a time
    with no outcome at all, its head waiting for the whole delivery timeout, while a slow
    run still completes batches every few seconds."""
    topic = topic_factory(partitions=2, config={"cleanup.policy": "compact"})
    ledger = Ledger(keys=200, track_progress=True)
    null_keys: set[int] = set()
    total, drops = 20_000, 15
    with FaultProxy(kafka.addresses) as proxy:
        producer = KafkaProducer(bootstrap_servers=proxy.bootstrap, acks="all", enable_idempotence=True,
                                 batch_size=2048, linger_ms=1, request_timeout_ms=5000,
                                 delivery_timeout_ms=120_000, retry_backoff_ms=20, reconnect_backoff_ms=20)
        try:
            producer.partitions_for(topic)
            t0 = time.monotonic()
            chunks = [total // drops] * drops
            chunks[0] += 37 * run  # each run lines the drops up differently against the refusals
            chunks[-1] -= 37 * run
            for n in chunks:
                # Armed mid-chunk, while the pipeline is full, so that a lost answer lands
                # among in-flight batches behind a refused one.
                _send(producer, topic, ledger, null_keys, n // 2)
                proxy.drop_after_request(PRODUCE)
                _send(producer, topic, ledger, null_keys, n - n // 2)
                deadline = time.monotonic() + 5
                while proxy.armed() and time.monotonic() < deadline:
                    time.sleep(0.01)
            producer.flush(200)
            elapsed = time.monotonic() - t0
        finally:
            producer.close(10)
        stats = proxy.stats
    quiet = ledger.longest_quiet_s(t0)
    fig, refused = _verdict(kafka.bootstrap, topic, ledger, null_keys)
    msg = f"{fig.line()} elapsed={elapsed:.1f}s quiet={quiet:.1f}s proxy={stats} examples={fig.examples}"
    print(msg)
    assert stats.after_request_drops >= drops - 2, msg
    assert fig.unresolved == 0, msg
    assert fig.duplicates == 0 and fig.reordered == 0 and fig.missing == 0, msg
    assert fig.forbidden_present == 0 and fig.foreign == 0 and fig.offset_mismatch == 0, msg
    assert null_keys and refused >= null_keys, msg  # every null-key record was refused ...
    assert set(fig.failure_kinds) == {"InvalidRecordError"}, msg  # ... and nothing else failed
    # A stalled partition shows as a time with no outcome as long as the delivery timeout
    # (and expired records above); in a healthy run, loaded or not, the longest is a few
    # seconds (retry backoff at most 1 s, a lost answer noticed at once by its closed link).
    assert quiet < 30, msg


@pytest.mark.cluster
@pytest.mark.timeout(600)
def test_refusal_mid_pipeline_with_lost_requests_and_a_leader_move(kafka_cluster) -> None:
    """The same refusals on a 3-node cluster (RF 3, min ISR 2) while requests are cut in half,
    answers are lost after the broker acted, connections drop and a partition leader is
    killed and restarted: nothing acknowledged is lost, nothing is written twice or out of
    order, and no refused record is ever stored."""
    topic = kafka_cluster.create_topic(f"eo-refuse-{time.monotonic_ns()}", partitions=3, replication_factor=3,
                                       config={"cleanup.policy": "compact", "min.insync.replicas": "2"})
    steps = [
        ("sleep", 1), ("drop_after", PRODUCE), ("drop_mid", PRODUCE), ("wait_faults", 10),
        ("kill_leader", 0), ("drop_after", PRODUCE), ("wait_faults", 10), ("sleep", 3), ("restart", None),
        ("drop_after", PRODUCE), ("drop_mid", PRODUCE), ("wait_faults", 10), ("sleep", 1), ("drop_all", None),
        ("sleep", 1),
    ]
    ledger = Ledger(keys=300)
    null_keys: set[int] = set()
    addresses = list(kafka_cluster.metadata().brokers.values())
    with FaultProxy(addresses, lifetime=600) as proxy:
        producer = KafkaProducer(bootstrap_servers=proxy.bootstrap, acks="all", batch_size=2048, linger_ms=2,
                                 request_timeout_ms=8000, delivery_timeout_ms=120_000, retry_backoff_ms=50,
                                 reconnect_backoff_ms=50, max_block_ms=60_000)
        try:
            producer.partitions_for(topic)
            chaos = Chaos(kafka_cluster, topic, proxy, steps).start()

            class _NullKeys:  # send_during's records, one in 250 with its key taken away
                def send(self, t, key, value):
                    index = len(ledger.futures)
                    if index % NULL_KEY_EVERY == NULL_KEY_EVERY - 1:
                        null_keys.add(index)
                        key = None
                    return producer.send(t, key=key, value=value)

            send_during(_NullKeys(), topic, ledger, 30_000, chaos, rate=3000)
            chaos.join(300)
            producer.flush(180)
        finally:
            producer.close(30)
        stats = proxy.stats
    assert chaos.error is None, "\n".join(chaos.log)
    fig, refused = _verdict(kafka_cluster.bootstrap, topic, ledger, null_keys)
    msg = f"{fig.line()} proxy={stats} examples={fig.examples}\n" + "\n".join(chaos.log)
    print(msg)
    assert chaos.killed and stats.mid_request_drops >= 1 and stats.after_request_drops >= 2, msg
    assert fig.unresolved == 0, msg
    assert fig.duplicates == 0 and fig.reordered == 0 and fig.missing == 0, msg
    assert fig.forbidden_present == 0 and fig.foreign == 0 and fig.offset_mismatch == 0, msg
    assert null_keys and refused >= null_keys, msg
    # Only refusals fail: one node down at a time leaves every partition writable in time.
    assert set(fig.failure_kinds) == {"InvalidRecordError"}, msg

"""``send_batch``: records in input order, partitioned as ``send()`` would, read back by
confluent-kafka; one result object; errors before queuing raise, as ``send()``'s do."""
from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from purekafka import KafkaProducer
from purekafka import errors as Errors
from purekafka.futures import FutureBatchMetadata
from tests.support.readback import consume, end_offsets

PARTITIONS = 3


def _offline() -> KafkaProducer:
    # api_version skips the constructor's bootstrap: argument checks need no broker.
    return KafkaProducer(bootstrap_servers="127.0.0.1:1", api_version=(3, 0), max_block_ms=200)


@pytest.mark.parametrize("call, error, text", [
    (lambda p: p.send_batch("t", b"abc"), TypeError, "values must be a sequence"),
    (lambda p: p.send_batch("t", [b"a", b"b"], keys=[b"k"]), ValueError, "keys has 1 items for 2"),
    (lambda p: p.send_batch("t", [b"a"], headers=[[("h", "str")]]), TypeError, "headers must be"),
    (lambda p: p.send_batch("t", [b"a", None]), ValueError, "record 1: Need at least one"),
    (lambda p: p.send_batch("t", ["text"]), TypeError, "Unsupported type for serialized value"),
    (lambda p: p.send_batch("", [b"a"]), TypeError, "topic must be a non-empty str"),
    (lambda p: p.send_batch("t", [b"a"], timestamp_ms=[-5]), ValueError, "timestamp_ms"),
    (lambda p: p.send_batch("t", [b"x" * (2 << 20)]), Errors.MessageSizeTooLargeError, "max_request_size"),
])
def test_bad_input_raises_before_anything_is_queued(call, error, text) -> None:
    p = _offline()
    try:
        with pytest.raises(error, match=text):
            call(p)
        assert p._acc.used_memory == 0 and not p._acc.incomplete
    finally:
        p.close(0)


def test_no_metadata_in_time_raises_kafkas_timeout() -> None:
    p = _offline()
    try:
        with pytest.raises(Errors.KafkaTimeoutError, match="Failed to update metadata"):
            p.send_batch("t", [b"a", b"b"])
    finally:
        p.close(0)


def test_an_empty_batch_is_done_at_once() -> None:
    p = _offline()
    try:
        fut = p.send_batch("t", [])
        assert fut.is_done and fut.get(0) == [] and fut.results(0) == []
    finally:
        p.close(0)


@pytest.mark.broker
def test_records_arrive_in_input_order_with_their_metadata(kafka, topic_factory) -> None:
    topic = topic_factory(partitions=PARTITIONS)
    n = 3000
    values = [b"v%d" % i for i in range(n)]
    keys = [None if i % 3 == 0 else b"k%d" % (i % 11) for i in range(n)]
    headers = [[("i", b"%d" % i)] if i % 5 == 0 else None for i in range(n)]
    calls: list[object] = []
    with KafkaProducer(bootstrap_servers=kafka.bootstrap, linger_ms=5, batch_size=4096) as p:
        fut = p.send_batch(topic, values, keys=keys, headers=headers, timestamp_ms=1_700_000_000_000)
        fut.add_callback(calls.append)
        assert isinstance(fut, FutureBatchMetadata) and len(fut) == n
        metas = fut.get(30)
    assert len(calls) == 1 and calls[0] == metas
    got = {(c.partition, c.offset): c for c in consume(kafka.bootstrap, topic, n, timeout=60)}
    assert sum(end_offsets(kafka.bootstrap, topic).values()) == n
    for i, m in enumerate(metas):
        c = got[(m.partition, m.offset)]
        assert (c.key, c.value, c.headers or []) == (keys[i], values[i], headers[i] or [])
        assert c.timestamp == m.timestamp == 1_700_000_000_000
        assert m.serialized_value_size == len(values[i])
    # Per partition, input order is offset order.
    for q in range(PARTITIONS):
        offsets = [m.offset for m in metas if m.partition == q]
        assert offsets == sorted(offsets)


def _seeded(p: KafkaProducer, seed: int) -> KafkaProducer:
    p._builtin._rng = random.Random(seed)  # the sticky draws, the same for both producers
    return p


_records = st.lists(st.tuples(st.one_of(st.none(), st.binary(min_size=0, max_size=4)),
                              st.integers(0, 300)), min_size=1, max_size=400)


@pytest.mark.broker
@settings(max_examples=12)
@given(records=_records, batch_size=st.sampled_from([200, 1024, 16384]), seed=st.integers(0, 2**32))
def test_send_batch_picks_the_partitions_send_picks(kafka, records, batch_size, seed) -> None:
    topic = _shared_topic(kafka)
    keys = [k for k, _ in records]
    values = [b"x" * size for _, size in records]
    # A long linger: batches close only when full, in both runs alike.
    conf = dict(bootstrap_servers=kafka.bootstrap, linger_ms=60_000, batch_size=batch_size)
    with _seeded(KafkaProducer(**conf), seed) as one, _seeded(KafkaProducer(**conf), seed) as many:
        singles = [one.send(topic, v, key=k) for k, v in zip(keys, values)]
        batch = many.send_batch(topic, values, keys=keys)
        assert batch.partitions == [f.partition for f in singles]
        one.flush(30)
        many.flush(30)
        assert [m.partition for m in batch.get(10)] == [f.get(10).partition for f in singles]


@pytest.mark.broker
@settings(max_examples=12)
@given(sizes=st.lists(st.integers(0, 300), min_size=1, max_size=600),
       batch_size=st.sampled_from([200, 1024, 16384]), seed=st.integers(0, 2**32),
       calls=st.integers(1, 4))
def test_values_only_send_batch_picks_the_partitions_send_picks(kafka, sizes, batch_size, seed,
                                                                calls) -> None:
    # Values alone take the run-at-a-time path (Accumulator.extend), sticky partition included.
    topic = _shared_topic(kafka)
    values = [bytes([i % 256]) * size for i, size in enumerate(sizes)]
    conf = dict(bootstrap_servers=kafka.bootstrap, linger_ms=60_000, batch_size=batch_size)
    step = -(-len(values) // calls)
    with _seeded(KafkaProducer(**conf), seed) as one, _seeded(KafkaProducer(**conf), seed) as many:
        singles = [one.send(topic, v) for v in values]
        batches = [many.send_batch(topic, values[j:j + step]) for j in range(0, len(values), step)]
        assert [q for b in batches for q in b.partitions] == [f.partition for f in singles]
        one.flush(30)
        many.flush(30)
        assert [m.partition for b in batches for m in b.get(10)] == [f.get(10).partition for f in singles]


@pytest.mark.broker
def test_values_only_calls_and_sends_share_batches_and_arrive_in_order(kafka, topic_factory) -> None:
    topic = topic_factory(partitions=PARTITIONS)
    expected: list[tuple[bytes, int]] = []
    futures: list[tuple[object, int]] = []
    with KafkaProducer(bootstrap_servers=kafka.bootstrap, linger_ms=20, batch_size=4096) as p:
        for call in range(30):
            # Timestamps that differ within a batch, values around the varint steps.
            ts = 1_700_000_000_000 + call * 37
            values = [b"%d-%d-" % (call, i) + b"x" * ((call * 7 + i) % 140) for i in range(150)]
            fut = p.send_batch(topic, values, timestamp_ms=ts)
            futures.append((fut, len(values)))
            expected += [(v, ts) for v in values]
            single = b"send-%d" % call
            futures.append((p.send(topic, single, timestamp_ms=ts), 1))
            expected.append((single, ts))
        metas = []
        for fut, count in futures:
            got = fut.get(30)
            metas += got if count > 1 or isinstance(got, list) else [got]
    got = {(c.partition, c.offset): c for c in consume(kafka.bootstrap, topic, len(expected), timeout=60)}
    assert sum(end_offsets(kafka.bootstrap, topic).values()) == len(expected)
    assert len(metas) == len(expected)
    for (value, ts), m in zip(expected, metas):
        c = got[(m.partition, m.offset)]
        assert (c.key, c.value, c.timestamp, m.timestamp) == (None, value, ts, ts)
    for q in range(PARTITIONS):  # per partition, the order of the calls is offset order
        offsets = [m.offset for m in metas if m.partition == q]
        assert offsets == sorted(offsets)


_topics: dict[str, str] = {}


def _shared_topic(kafka) -> str:
    if "t" not in _topics:
        from tests.support.kafka import unique_name
        _topics["t"] = kafka.create_topic(unique_name("batch-parts"), PARTITIONS)
    return _topics["t"]


@pytest.mark.broker
def test_transactional_send_batch_commits_and_aborts_as_a_whole(kafka, topic_factory) -> None:
    topic = topic_factory(partitions=PARTITIONS)
    with KafkaProducer(bootstrap_servers=kafka.bootstrap, transactional_id=f"tb-{topic}") as p:
        p.init_transactions()
        with p.transaction():
            committed = p.send_batch(topic, [b"c%d" % i for i in range(500)])
        p.begin_transaction()
        aborted = p.send_batch(topic, [b"a%d" % i for i in range(500)])
        p.flush()
        p.abort_transaction()
        assert len(committed.get(10)) == 500 and len(aborted.get(10)) == 500
    got = consume(kafka.bootstrap, topic, 500, timeout=60, isolation_level="read_committed")
    assert sorted(c.value for c in got) == sorted(b"c%d" % i for i in range(500))


@pytest.mark.broker
def test_outside_a_transaction_send_batch_raises_as_send_does(kafka, topic_factory) -> None:
    topic = topic_factory()
    with KafkaProducer(bootstrap_servers=kafka.bootstrap, transactional_id=f"tx-{topic}") as p:
        p.init_transactions()
        with pytest.raises(Errors.IllegalStateError):
            p.send_batch(topic, [b"a"])
        with pytest.raises(Errors.IllegalStateError):
            p.send(topic, b"a")


@pytest.mark.broker
def test_idempotent_send_batch_with_serializers(kafka, topic_factory) -> None:
    topic = topic_factory(partitions=PARTITIONS)
    seen: list[list[tuple[str, bytes | None]]] = []

    class ValueSerializer:  # kafka-python 3's Serializer shape: it is handed the headers
        def serialize(self, topic: str, headers: list, value: str) -> bytes:
            seen.append(headers)
            return value.encode()

    with KafkaProducer(bootstrap_servers=kafka.bootstrap, enable_idempotence=True, acks="all",
                       key_serializer=str.encode, value_serializer=ValueSerializer()) as p:
        metas = p.send_batch(topic, ["a", "b", "c"], keys=["x", "y", "x"]).get(30)
    assert len(seen) == 3 and len({id(h) for h in seen}) == 3  # a list of its own per record
    got = {(c.partition, c.offset): c for c in consume(kafka.bootstrap, topic, 3)}
    assert [got[(m.partition, m.offset)].value for m in metas] == [b"a", b"b", b"c"]
    assert metas[0].partition == metas[2].partition


@pytest.mark.broker
def test_a_small_buffer_blocks_then_fails_the_rest_with_kafkas_timeout(kafka, topic_factory) -> None:
    from tests.support.broker_pause import paused

    topic = topic_factory()
    with KafkaProducer(bootstrap_servers=kafka.bootstrap, buffer_memory=64 * 1024, batch_size=16384,
                       max_block_ms=500, linger_ms=0) as p:
        p.partitions_for(topic)
        with paused(kafka):
            fut = p.send_batch(topic, [b"x" * 1000] * 200)  # ~200 kB into 64 kB of memory
        results = fut.results(30)
        queued = [r for r in results if not isinstance(r, BaseException)]
        failed = [r for r in results if isinstance(r, BaseException)]
    assert queued and failed and all(isinstance(e, Errors.KafkaTimeoutError) for e in failed)
    # The records that got in were not lost; the ones refused come after them, in input order.
    assert all(not isinstance(r, BaseException) for r in results[:len(queued)])
    with pytest.raises(Errors.KafkaTimeoutError):
        fut.get(0)


@pytest.mark.broker
def test_explicit_partitions_one_for_all_or_one_each(kafka, topic_factory) -> None:
    topic = topic_factory(partitions=PARTITIONS)
    with KafkaProducer(bootstrap_servers=kafka.bootstrap) as p:
        assert {m.partition for m in p.send_batch(topic, [b"a"] * 5, partition=2).get(10)} == {2}
        each = p.send_batch(topic, [b"a", b"b", b"c"], partition=[1, None, 0])
        metas = each.get(10)
        assert metas[0].partition == 1 and metas[2].partition == 0
        with pytest.raises(ValueError, match=f"Unrecognized partition 3 for topic {topic}"):
            p.send_batch(topic, [b"a", b"b"], partition=[0, 3])
        with pytest.raises(ValueError, match="partition must be >= 0"):
            p.send_batch(topic, [b"a"], partition=-1)
    assert sum(end_offsets(kafka.bootstrap, topic).values()) == 8

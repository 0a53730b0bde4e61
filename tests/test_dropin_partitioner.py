"""Partitioners at kafka-python's paths, and Java's partitioner.class names, with their semantics.

kafka-python's ``murmur2`` (unsigned) and ``StickyPartitioner`` are checked against
kafka-python itself; Java's ``UniformStickyPartitioner`` and ``DefaultPartitioner``
against the rules of Java's ``StickyPartitionCache`` (they hold no seedable random, so
there is no Java run to compare draws with); the send path against the broker.
"""
from __future__ import annotations

import random
import warnings

import kafka.partitioner as kp
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from purekafka import KafkaProducer
from purekafka.partitioner import (
    ClusterView,
    DefaultPartitioner,
    JavaDefaultPartitioner,
    Partitioner,
    StickyPartitioner,
    UniformStickyPartitioner,
    default_partition,
    make_partitioner,
    murmur2,
    murmur2_java,
    new_batch_hook,
)
from purekafka.partitioner.default import murmur2 as default_murmur2
from purekafka.structs import TopicPartition


@given(st.binary(max_size=300))
def test_murmur2_is_kafka_pythons_and_murmur2_java_is_javas(data):
    assert murmur2(data) == kp.murmur2(data) == default_murmur2(data)
    assert 0 <= murmur2(data) < 2**32
    assert murmur2_java(data) == (murmur2(data) - 2**32 if murmur2(data) >= 2**31 else murmur2(data))


def test_murmur2_java_vector():
    # Kafka's UtilsTest vector, and the same hash in kafka-python's convention.
    assert murmur2_java(b"foobar") == -790332482
    assert murmur2(b"foobar") == 2**32 - 790332482
    assert default_partition(b"foobar", 5) == (-790332482 & 0x7FFFFFFF) % 5


def test_partitioner_base_class():
    with pytest.raises(TypeError):
        Partitioner()  # type: ignore[abstract]

    class Fixed(Partitioner):
        def partition(self, topic, key, serialized_key, value, serialized_value, cluster):
            assert topic in cluster.topics()
            return max(cluster.partitions_for_topic(topic))

    assert make_partitioner(Fixed())("t", b"k", [0, 1, 2], [0]) == 2
    assert isinstance(DefaultPartitioner(), Partitioner) and isinstance(StickyPartitioner(), Partitioner)
    assert issubclass(StickyPartitioner, DefaultPartitioner)


def test_kafka_python_3_legacy_partition_signature_warns_and_works():
    class Legacy:  # not a Partitioner: kafka-python 3 calls partition(topic, key_bytes, cluster)
        def partition(self, topic, serialized_key, cluster):
            return len(serialized_key or b"") % len(cluster.partitions_for_topic(topic))

    with pytest.warns(DeprecationWarning, match="does not implement kafka.partitioner.Partitioner"):
        fn = make_partitioner(Legacy())
    assert fn("t", b"abcd", [0, 1, 2], [0, 1, 2]) == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        make_partitioner(StickyPartitioner())


# --- kafka-python's StickyPartitioner, draw for draw -----------------------------------

_ops = st.lists(st.one_of(
    st.tuples(st.just("send"), st.sampled_from(["a", "b"]), st.none() | st.binary(max_size=4)),
    st.tuples(st.just("new_batch"), st.sampled_from(["a", "b"]), st.integers(0, 4)),
    st.tuples(st.just("available"), st.sampled_from(["a", "b"]),
              st.sets(st.integers(0, 4)).map(sorted)),
), max_size=60)


@settings(max_examples=200)
@given(seed=st.integers(0, 2**32), ops=_ops)
def test_sticky_partitioner_matches_kafka_pythons(seed, ops):
    """Same operations, same random draws: the same partitions as kafka-python's."""
    available = {"a": [0, 1, 2, 3, 4], "b": [0, 1, 2, 3, 4]}
    ours, theirs = StickyPartitioner(rng=random.Random(seed)), kp.StickyPartitioner()
    saved = random.getstate()
    random.seed(seed)  # kafka-python draws from the module's generator
    try:
        for op, topic, arg in ops:
            view = ClusterView(topic, [0, 1, 2, 3, 4], available[topic])
            if op == "available":
                available[topic] = arg  # type: ignore[assignment]
            elif op == "send":
                got = ours.partition(topic, None, arg, None, None, view)
                assert got == theirs.partition(topic, None, arg, None, None, view)
                if arg is None and available[topic]:
                    assert got in available[topic]
            else:
                ours.on_new_batch(topic, view, arg)
                theirs.on_new_batch(topic, view, arg)
                assert ours._sticky == theirs._sticky
    finally:
        random.setstate(saved)


def test_sticky_partitioner_rejects_unknown_topic():
    with pytest.raises(ValueError):
        StickyPartitioner().partition("x", None, None, None, None, ClusterView("t", [0], [0]))


# --- Java's UniformStickyPartitioner and DefaultPartitioner ---------------------------

JAVA = "org.apache.kafka.clients.producer."


@pytest.mark.parametrize("name,cls", [
    (JAVA + "UniformStickyPartitioner", UniformStickyPartitioner),
    ("UniformStickyPartitioner", UniformStickyPartitioner),
    (JAVA + "internals.DefaultPartitioner", JavaDefaultPartitioner),
    ("DefaultPartitioner", JavaDefaultPartitioner),
])
def test_java_names_are_accepted_with_their_new_batch_hook(name, cls):
    fn = make_partitioner(name)
    assert type(fn.obj) is cls  # type: ignore[union-attr]
    assert new_batch_hook(fn) is not None


@settings(max_examples=200)
@given(seed=st.integers(0, 2**32), n=st.integers(1, 8), data=st.data())
def test_java_sticky_cache_rules(seed, n, data):
    everything = list(range(n))
    available = data.draw(st.sets(st.sampled_from(everything)).map(sorted))
    view = ClusterView("t", everything, available)
    for cls in (UniformStickyPartitioner, JavaDefaultPartitioner):
        p = cls(rng=random.Random(seed))
        first = p.partition("t", None, None, None, None, view)
        assert first in (available or everything)
        # Sticky until on_new_batch names it; then another available one if there is one.
        assert p.partition("t", None, None, None, None, view) == first
        p.on_new_batch("t", view, (first + 1) % (n + 1))  # a stale event: no change
        assert p.partition("t", None, None, None, None, view) == first
        p.on_new_batch("t", view, first)
        second = p.partition("t", None, None, None, None, view)
        if len(available) > 1:
            assert second != first and second in available
        elif len(available) == 1:
            assert second == available[0]
        else:
            assert second in everything
        # Keys: ignored by the uniform one, hashed (Java's toPositive(murmur2) % n) by the default one.
        keyed = p.partition("t", None, b"foobar", None, None, view)
        assert keyed == (default_partition(b"foobar", n) if cls is JavaDefaultPartitioner else second)


# --- ClusterView ----------------------------------------------------------------------

class _FakeCluster:
    """The attributes ClusterView reads of purekafka.core.cluster.Cluster."""

    def __init__(self):
        from purekafka.core.cluster import Broker, PartitionInfo, TopicInfo
        self.brokers = {1: Broker(1, "h1", 9092), 2: Broker(2, "h2", 9092)}
        self.topics = {
            "t": TopicInfo("t", "id-t", [PartitionInfo(0, 1, 5), PartitionInfo(1, -1, 3)]),
            "__consumer_offsets": TopicInfo("__consumer_offsets", "id-c", [PartitionInfo(0, 2, 1)]),
        }
        self.cluster_id = "cid"
        self.controller_id = 2

    def partitions_for(self, topic):
        info = self.topics.get(topic)
        return None if info is None else {p.partition for p in info.partitions}

    def available_partitions(self, topic):
        return [p.partition for p in self.topics[topic].partitions if p.leader >= 0]

    def leader_for(self, tp):
        info = self.topics[tp[0]]
        return next(p.leader for p in info.partitions if p.partition == tp[1])

    def partitions_for_node(self, node_id):
        return [(t, p.partition) for t, i in self.topics.items() for p in i.partitions if p.leader == node_id]

    def broker(self, node_id):
        return self.brokers.get(node_id)

    def topic_id(self, topic):
        return self.topics[topic].topic_id


def test_cluster_view_answers_kafka_pythons_cluster_metadata_questions():
    view = ClusterView("new", [0, 1], [1], _FakeCluster())
    assert view.topics() == {"new", "t"}
    assert view.topics(exclude_internal_topics=False) == {"new", "t", "__consumer_offsets"}
    assert view.partitions_for_topic("new") == {0, 1} and view.available_partitions_for_topic("new") == {1}
    assert view.partitions_for_topic("t") == {0, 1} and view.available_partitions_for_topic("t") == {0}
    assert view.partitions_for_topic("nope") is None and view.available_partitions_for_topic("nope") is None
    assert view.leader_for_partition(TopicPartition("t", 0)) == 1
    assert view.leader_for_partition(TopicPartition("t", 1)) == -1
    assert view.leader_for_partition(TopicPartition("t", 9)) is None
    assert view.leader_epoch_for_partition(TopicPartition("t", 0)) == 5
    assert view.partitions_for_broker(1) == {TopicPartition("t", 0)}
    assert view.partitions_for_broker(7) is None
    assert {b.node_id for b in view.brokers()} == {1, 2} and view.broker_metadata(2).host == "h2"
    assert view.controller.node_id == 2 and view.cluster_id == "cid" and view.topic_id("t") == "id-t"
    assert view.topic_id("nope") is None and not view.need_update


def test_cluster_view_without_metadata_knows_only_the_records_topic():
    view = ClusterView("t", [0, 1, 2], [0, 2])
    assert view.topics() == {"t"} and view.partitions_for_topic("t") == {0, 1, 2}
    assert view.available_partitions_for_topic("t") == {0, 2}
    assert view.partitions_for_topic("u") is None and view.leader_for_partition(("t", 0)) is None
    assert view.brokers() == [] and view.broker_metadata(1) is None and view.cluster_id is None


def test_make_partitioner_passes_the_cluster_through():
    seen = []

    class Asks(Partitioner):
        def partition(self, topic, key, serialized_key, value, serialized_value, cluster):
            seen.append(cluster.leader_for_partition(TopicPartition("t", 0)))
            return 0

    make_partitioner(Asks(), _FakeCluster())("t", None, [0, 1], [0])
    assert seen == [1]


# --- the send path ------------------------------------------------------------------

@pytest.mark.broker
@pytest.mark.parametrize("name", ["org.apache.kafka.clients.producer.UniformStickyPartitioner",
                                  "org.apache.kafka.clients.producer.internals.DefaultPartitioner"])
def test_java_sticky_partitioners_switch_once_per_batch(kafka, topic_factory, name):
    topic = topic_factory(partitions=3)
    with KafkaProducer(bootstrap_servers=kafka.bootstrap, batch_size=1024, linger_ms=1,
                       partitioner=name) as p:
        futures = [p.send(topic, key=b"k%d" % (i % 5), value=b"x" * 100) for i in range(600)]
        nulls = [p.send(topic, value=b"x" * 100) for _ in range(300)]
        p.flush(60)
        parts = [f.get(0).partition for f in futures]
        null_parts = [f.get(0).partition for f in nulls]
    if name.endswith("DefaultPartitioner"):
        # Keys hash as Java's: the same key, the same partition, murmur2's.
        assert parts == [default_partition(b"k%d" % (i % 5), 3) for i in range(600)]
    else:
        assert len(set(parts)) == 3, parts  # keys ignored: every partition gets some
        runs = sum(1 for a, b in zip(parts, parts[1:]) if a != b) + 1
        assert 600 / 30 < runs < 600 / 4, runs  # ~8 records per 1024-byte batch
    assert len(set(null_parts)) == 3
    runs = sum(1 for a, b in zip(null_parts, null_parts[1:]) if a != b) + 1
    assert 300 / 30 < runs < 300 / 4, runs

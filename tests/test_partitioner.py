"""murmur2 and partition choice, checked against Kafka's Java classes."""
from __future__ import annotations

import random
from collections import Counter

import kafka.partitioner as kp_partitioner
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from purekafka.core.accumulator import Accumulator
from purekafka.partitioner import (
    BuiltInPartitioner,
    ClusterView,
    DefaultPartitioner,
    RoundRobinPartitioner,
    StickyPartitionState,
    default_partition,
    make_partitioner,
    murmur2_java as murmur2,  # Java's signed Utils.murmur2 (purekafka.partitioner.murmur2 is kafka-python's)
    new_batch_hook,
    to_positive,
)
from purekafka.record import RecordBatchBuilder

# Kafka's UtilsTest.testMurmur2 vectors (the numbers are facts published with Kafka).
JAVA_VECTORS = {
    b"21": -973932308,
    b"foobar": -790332482,
    b"a-little-bit-long-string": -985981536,
    b"a-little-bit-longer-string": -1486304829,
    b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8": -58897971,
    bytes([ord("a"), ord("b"), ord("c")]): 479470107,
}


@pytest.mark.parametrize("data,expected", list(JAVA_VECTORS.items()))
def test_murmur2_java_vectors(data, expected):
    assert murmur2(data) == expected


def java_murmur2(java, keys: list[bytes], partitions: list[int]) -> list[tuple[int, int, int]]:
    stdin = "".join(f"{k.hex()} {n}\n" for k, n in zip(keys, partitions)).encode()
    out = java.run("PartitionerCrossCheck", input=stdin).decode().split("\n")
    return [tuple(int(x) for x in line.split()) for line in out if line]  # type: ignore[misc]


def corpus() -> list[bytes]:
    rng = random.Random(794)
    keys = [bytes(rng.getrandbits(8) for _ in range(n)) for n in range(0, 70)]
    keys += [b"\xff" * n for n in range(0, 9)] + [b"\x80" * n for n in range(1, 9)]
    keys += [rng.randbytes(rng.randrange(200, 2000)) for _ in range(20)]
    keys += [str(i).encode() for i in range(1000)]
    return keys


@pytest.mark.java
def test_murmur2_and_key_partition_match_java_on_a_corpus(java):
    keys = corpus()
    counts = [1 + (i * 7) % 97 for i in range(len(keys))]
    for key, n, (h, pos, part) in zip(keys, counts, java_murmur2(java, keys, counts)):
        assert murmur2(key) == h, key
        assert to_positive(murmur2(key)) == pos
        assert default_partition(key, n) == part


@pytest.mark.java
@settings(max_examples=8)
@given(st.lists(st.tuples(st.binary(max_size=300), st.integers(1, 10_000)), min_size=1,
                max_size=400))
def test_murmur2_matches_java_on_generated_keys(java, cases):
    keys = [k for k, _ in cases]
    counts = [n for _, n in cases]
    got = java_murmur2(java, keys, counts)
    assert got == [(murmur2(k), to_positive(murmur2(k)), default_partition(k, n))
                   for k, n in cases]


@given(st.binary(max_size=100))
def test_murmur2_agrees_with_kafka_python(data):
    theirs = kp_partitioner.murmur2(data)
    assert murmur2(data) == (theirs - 2**32 if theirs & 0x80000000 else theirs)
    assert -(2**31) <= murmur2(data) < 2**31


@pytest.mark.java
@pytest.mark.parametrize("num_partitions,available", [
    (5, [0, 2, 3]), (4, [0, 1, 2, 3]), (3, []), (1, [0]), (7, [6]),
])
def test_round_robin_matches_java(java, num_partitions, available):
    count = 3 * num_partitions + 5
    csv = ",".join(map(str, available)) or "-"
    out = java.run("PartitionerCrossCheck", "roundrobin", str(num_partitions), csv, str(count))
    expected = [int(x) for x in out.decode().split()]
    rr = RoundRobinPartitioner()
    got = [rr("t", None, list(range(num_partitions)), available) for _ in range(count)]
    assert got == expected


def test_round_robin_counts_per_topic_and_ignores_keys():
    rr = RoundRobinPartitioner()
    parts = [0, 1, 2]
    assert [rr("a", b"k", parts, parts) for _ in range(4)] == [0, 1, 2, 0]
    assert [rr("b", b"k", parts, parts) for _ in range(2)] == [0, 1]


# --- uniform sticky ---------------------------------------------------------------------

class Appended:
    """An append's result as the sticky partitioner sees it; counts the questions."""

    def __init__(self, full: bool) -> None:
        self.full = full
        self.asked = 0

    @property
    def batch_is_full(self) -> bool:
        self.asked += 1
        return self.full


def produced_bytes(state: StickyPartitionState) -> int:
    """Bytes counted towards the current sticky partition (white-box)."""
    return state._produced


FULL = Appended(True)
NOT_FULL = Appended(False)


def test_sticky_stays_until_batch_size_bytes_then_switches():
    state = StickyPartitionState("t", batch_size=1000, rng=random.Random(1))
    parts = list(range(50))
    first = state.current(parts, parts)
    for _ in range(9):
        assert not state.on_append(100, parts, parts, FULL)
        assert state.current(parts, parts) == first
    assert produced_bytes(state) == 900
    assert state.on_append(100, parts, parts, FULL)  # 1000 bytes reached
    assert produced_bytes(state) == 0


def test_sticky_without_switch_permission_waits_until_twice_batch_size():
    state = StickyPartitionState("t", batch_size=1000, rng=random.Random(2))
    parts = [0, 1, 2, 3]
    state.current(parts, parts)
    assert not state.on_append(1500, parts, parts, NOT_FULL)
    assert state.on_append(500, parts, parts, NOT_FULL)  # 2000 = 2 x batch


def test_sticky_batch_size_zero_switches_after_every_record():
    state = StickyPartitionState("t", batch_size=0, rng=random.Random(3))
    parts = [0, 1]
    state.current(parts, parts)
    assert state.on_append(1, parts, parts, FULL)


def test_sticky_draws_only_available_partitions_else_any():
    state = StickyPartitionState("t", batch_size=1, rng=random.Random(4))
    all_parts = list(range(10))
    seen = set()
    for _ in range(500):
        seen.add(state.current(all_parts, [3, 7]))
        state.on_append(1, all_parts, [3, 7], FULL)
    assert seen == {3, 7}
    seen.clear()
    for _ in range(500):
        seen.add(state.current(all_parts, []))
        state.on_append(1, all_parts, [], FULL)
    assert seen == set(all_parts)


def test_sticky_switches_are_uniform():
    state = StickyPartitionState("t", batch_size=100, rng=random.Random(794))
    parts = list(range(8))
    counts: Counter[int] = Counter()
    draws = 16_000
    for _ in range(draws):
        counts[state.current(parts, parts)] += 1
        state.on_append(100, parts, parts, FULL)
    # Pearson chi-square with 7 degrees of freedom; 24.3 is the 0.999 quantile.
    expected = draws / len(parts)
    chi2 = sum((counts[p] - expected) ** 2 / expected for p in parts)
    assert chi2 < 24.3, counts


def test_adaptive_weights_follow_inverse_queue_length():
    # Queue sizes 0, 3, 1 give weights 4, 1, 3 (max + 1 - size), as in Java's example.
    state = StickyPartitionState("t", batch_size=1, rng=random.Random(5))
    parts = [10, 11, 12]
    state.update_load_stats([0, 3, 1], parts)
    counts: Counter[int] = Counter()
    for _ in range(8000):
        counts[state.current(parts, parts)] += 1
        state.on_append(1, parts, parts, FULL)
    assert counts[10] / 8000 == pytest.approx(4 / 8, abs=0.03)
    assert counts[11] / 8000 == pytest.approx(1 / 8, abs=0.03)
    assert counts[12] / 8000 == pytest.approx(3 / 8, abs=0.03)
    state.update_load_stats([2, 2, 2], parts)  # equal queues: back to uniform
    counts.clear()
    for _ in range(6000):
        counts[state.current(parts, parts)] += 1
        state.on_append(1, parts, parts, FULL)
    assert all(abs(counts[p] / 6000 - 1 / 3) < 0.03 for p in parts)


def test_builtin_partitioner_keys_hash_over_all_partitions():
    # What send() does without a partitioner: keys by murmur2 over all partitions, null
    # keys (every key, with ignore_keys) to the topic's sticky state, one per topic.
    bp = BuiltInPartitioner(batch_size=16384, rng=random.Random(6))
    # Partition 3 unavailable: a key still maps over all 5.
    assert default_partition(b"foobar", len(range(5))) == (-790332482 & 0x7FFFFFFF) % 5
    assert not bp.ignore_keys
    state = bp.state("t")
    assert bp.state("t") is state and bp.state("u") is not state
    sticky = state.current(range(5), [0, 1, 2, 4])
    assert sticky in (0, 1, 2, 4) and state.current(range(5), [0, 1, 2, 4]) == sticky
    ignoring = BuiltInPartitioner(batch_size=16384, ignore_keys=True, rng=random.Random(6))
    assert ignoring.ignore_keys
    first = ignoring.state("t").current(range(5), range(5))
    assert ignoring.state("t").current(range(5), range(5)) == first


def test_sticky_asks_whether_the_batch_is_full_only_past_batch_size():
    state = StickyPartitionState("t", batch_size=1000, rng=random.Random(8))
    parts = [0, 1, 2]
    first = state.current(parts, parts)
    appended = Appended(False)
    for _ in range(9):
        assert not state.on_append(100, parts, parts, appended)
    assert appended.asked == 0
    # At batch_size, an open batch keeps the partition; a full one lets it switch.
    assert not state.on_append(100, parts, parts, appended)
    assert appended.asked == 1 and state.current(parts, parts) == first
    appended.full = True
    assert state.on_append(100, parts, parts, appended)
    assert appended.asked == 2 and produced_bytes(state) == 0


def test_adaptive_switch_weights_by_the_accumulators_queues():
    # The sticky state draws the next partition weighted by the accumulator's queues,
    # as send() wires it: partition 0 has 3 batches queued, 1 and 2 none.
    acc = Accumulator(lambda: RecordBatchBuilder(0, None, 100), batch_size=100)
    for _ in range(3):
        acc.append(("t", 0), 0, None, b"x" * 90, [], None, 111, 0.0)
    bp = BuiltInPartitioner(batch_size=1, rng=random.Random(9), queue_sizes=acc.queue_sizes)
    state = bp.state("t")
    parts = [0, 1, 2]
    counts: Counter[int] = Counter()
    for _ in range(4000):
        state.on_append(1, parts, parts, FULL)
        counts[state.current(parts, parts)] += 1
    # Weights max + 1 - size: 1, 4, 4.
    assert counts[0] / 4000 == pytest.approx(1 / 9, abs=0.03)
    assert counts[1] / 4000 == pytest.approx(4 / 9, abs=0.03)
    uniform = BuiltInPartitioner(batch_size=1, rng=random.Random(9)).state("t")
    counts.clear()
    for _ in range(3000):
        uniform.on_append(1, parts, parts, FULL)
        counts[uniform.current(parts, parts)] += 1
    assert all(abs(counts[p] / 3000 - 1 / 3) < 0.04 for p in parts)


@given(st.integers(1, 10_000), st.lists(st.integers(1, 5000), min_size=1, max_size=60),
       st.integers(0, 2**32))
def test_sticky_invariants(batch_size, appends, seed):
    parts = list(range(6))
    state = StickyPartitionState("t", batch_size, rng=random.Random(seed))
    produced = 0
    current = state.current(parts, parts)
    for n in appends:
        produced += n
        switched = state.on_append(n, parts, parts, FULL)
        assert switched == (produced >= batch_size)
        if switched:
            produced = 0
            current = state.current(parts, parts)
        assert state.current(parts, parts) == current
        assert produced_bytes(state) == produced


# --- user partitioners --------------------------------------------------------------------

def test_make_partitioner_none_means_builtin():
    assert make_partitioner(None) is None


def test_kafka_python_3_partitioner_objects_work():
    fn = make_partitioner(kp_partitioner.DefaultPartitioner())
    assert fn is not None
    assert fn("t", b"foobar", [0, 1, 2, 3, 4], [0, 1]) == (-790332482 & 0x7FFFFFFF) % 5
    assert fn("t", None, [0, 1, 2], [2]) == 2
    sticky = make_partitioner(kp_partitioner.StickyPartitioner())
    p = sticky("t", None, [0, 1, 2], [0, 1, 2])
    assert sticky("t", None, [0, 1, 2], [0, 1, 2]) == p
    hook = new_batch_hook(sticky)
    assert hook is not None and new_batch_hook(fn) is None and new_batch_hook(None) is None
    hook("t", [0, 1, 2], [0, 1, 2], p)
    assert sticky("t", None, [0, 1, 2], [0, 1, 2]) != p


def test_kafka_python_3_partitioner_gets_raw_key_and_value():
    class ByUser:
        def partition(self, topic, key, serialized_key, value, serialized_value, cluster):
            assert cluster.topics() == {topic}
            assert cluster.available_partitions_for_topic(topic) == {1}
            return key["user"] % len(cluster.partitions_for_topic(topic))

    fn = make_partitioner(ByUser())
    assert fn("t", b"x", [0, 1, 2], [1], key={"user": 7}, value="v", value_bytes=b"v") == 1


def test_plain_callables_with_three_or_four_arguments():
    calls = []

    def three(key, all_partitions, available):
        calls.append((key, all_partitions, available))
        return all_partitions[-1]

    def four(topic, key, all_partitions, available):
        return len(topic)

    assert make_partitioner(three)("t", b"k", [0, 1], [0]) == 1
    assert calls == [(b"k", [0, 1], [0])]
    assert make_partitioner(four)("abc", None, [0, 1, 2, 3], []) == 3
    assert make_partitioner(lambda k, a, av: 0)("t", None, [0], [0]) == 0


def test_our_default_partitioner_matches_kafka_python_for_keys():
    ours = DefaultPartitioner(rng=random.Random(7))
    theirs = kp_partitioner.DefaultPartitioner()
    cluster = ClusterView("t", [0, 1, 2, 3, 4, 5, 6], [0, 1, 2, 3, 4, 5, 6])
    for i in range(200):
        key = f"key-{i}".encode()
        assert ours(key, list(range(7)), list(range(7))) == \
            theirs.partition("t", None, key, None, None, cluster)
    assert make_partitioner(ours)("t", None, [0, 1], [1]) == 1


def test_java_class_name():
    fn = make_partitioner("org.apache.kafka.clients.producer.RoundRobinPartitioner")
    assert isinstance(fn, RoundRobinPartitioner)
    assert make_partitioner("RoundRobinPartitioner") is not None


@pytest.mark.parametrize("bad", [
    "com.example.MyPartitioner", 42, DefaultPartitioner,
    lambda a, b: 0, object(),
])
def test_unusable_partitioners_are_rejected(bad):
    with pytest.raises(TypeError):
        make_partitioner(bad)

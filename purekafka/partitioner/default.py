"""Choosing a partition: murmur2 for keys, uniform sticky for null keys, round robin.

This is kafka-python's ``kafka.partitioner.default`` path: ``murmur2`` here is kafka-python's
(the hash as an unsigned 32-bit number) and ``DefaultPartitioner`` kafka-python's default
(murmur2 for keys, random for null keys). Java's signed ``Utils.murmur2`` is
``murmur2_java``; both give the same partition once the sign bit is cleared.

Theory of operation. With no ``partitioner`` configured the producer does what Java's
producer does without ``partitioner.class``:

- a record with a key goes to ``to_positive(murmur2_java(key)) % number_of_partitions``
  (``default_partition``), counted over *all* partitions, available or not, so a key
  always maps to the same partition while the partition count is unchanged;
- a record without a key (or any record, with ``partitioner_ignore_keys``) goes to the
  topic's current *sticky* partition (``StickyPartitionState``, Java's
  ``BuiltInPartitioner``, KIP-794). The producer reports how many bytes it appended
  there and what the append did (``on_append``, the one place that decides a switch);
  once ``batch_size`` bytes went to it and its batch is full (or twice that, in any
  case), the next sticky partition is drawn uniformly at random from the available
  partitions (or, with adaptive partitioning, weighted towards partitions with shorter
  queues).

This module is sans-I/O: randomness comes from an injectable ``random.Random``; partition
lists come from the caller's metadata.

User partitioners are normalized by ``purekafka.partitioner.adapters.make_partitioner``.
"""
from __future__ import annotations

import random
import struct
from bisect import bisect_right
from typing import Any, Callable, Protocol, Sequence

from purekafka.partitioner.abc import Partitioner

_M = 0x5BD1E995
_MASK = 0xFFFFFFFF
_SEED = 0x9747B28C


def murmur2_java(data: bytes) -> int:
    """Java's ``Utils.murmur2``: the 32-bit MurmurHash2 of ``data`` as a signed int."""
    length = len(data)
    h = _SEED ^ length
    words = length >> 2
    if words:
        # Whole little-endian words at once: the per-record cost is one unpack and a loop.
        for k in struct.unpack_from(f"<{words}I", data):
            k = (k * _M) & _MASK
            k ^= k >> 24
            h = ((h * _M) & _MASK) ^ ((k * _M) & _MASK)
    tail = length & 3
    if tail:
        base = length - tail
        if tail == 3:
            h ^= data[base + 2] << 16
        if tail >= 2:
            h ^= data[base + 1] << 8
        h = ((h ^ data[base]) * _M) & _MASK
    h ^= h >> 13
    h = (h * _M) & _MASK
    h ^= h >> 15
    return h - 0x100000000 if h & 0x80000000 else h


def murmur2(data: bytes) -> int:
    """kafka-python's ``murmur2``: the same hash as an unsigned int in ``[0, 2**32)``."""
    return murmur2_java(data) & _MASK


def to_positive(n: int) -> int:
    """Java's ``Utils.toPositive``: clear the sign bit of a 32-bit int."""
    return n & 0x7FFFFFFF


def default_partition(key_bytes: bytes, num_partitions: int) -> int:
    """The partition Java's producer picks for a key: murmur2 over all partitions."""
    return (murmur2_java(key_bytes) & 0x7FFFFFFF) % num_partitions


class AppendedBatch(Protocol):
    """What the sticky partitioner asks of an append (``core.accumulator.RecordAppendResult``)."""

    @property
    def batch_is_full(self) -> bool: ...


# (topic, partitions) -> batches queued for each partition: the accumulator's queue_sizes.
QueueSizes = Callable[[str, Sequence[int]], list[int]]
# (topic, all_partitions, available, previous_partition): kafka-python's on_new_batch.
NewBatchHook = Callable[[str, Sequence[int], Sequence[int], int], None]


class StickyPartitionState:
    """The uniform sticky partition of one topic (Java ``BuiltInPartitioner``, KIP-794).

    ``current()`` names the partition for the next null-key record; after appending,
    the caller reports the bytes and the append's result with ``on_append()``, which
    alone decides when to switch: once ``batch_size`` bytes were produced to the
    partition and the batch the record went to is full (Java: all its batches are
    full), and in any case at twice that. With ``queue_sizes`` (adaptive
    partitioning) each switch first weights the draw by the partitions' queues.
    """

    __slots__ = ("topic", "batch_size", "_rng", "_queue_sizes", "_partition", "_produced",
                 "_cft", "_ids")

    def __init__(self, topic: str, batch_size: int, rng: random.Random | None = None,
                 queue_sizes: QueueSizes | None = None) -> None:
        self.topic = topic
        # Java uses max(batch.size, 1): batch_size=0 means "switch after every record".
        self.batch_size = max(batch_size, 1)
        self._rng = rng if rng is not None else random.Random()
        self._queue_sizes = queue_sizes
        self._partition: int | None = None
        self._produced = 0
        self._cft: list[int] | None = None
        self._ids: list[int] = []

    def current(self, all_partitions: Sequence[int], available: Sequence[int]) -> int:
        """The sticky partition, choosing one first if there is none yet."""
        if self._partition is None:
            self._partition = self._next(all_partitions, available)
            self._produced = 0
        return self._partition

    def on_append(self, appended_bytes: int, all_partitions: Sequence[int],
                  available: Sequence[int], appended: AppendedBatch) -> bool:
        """Count bytes appended to the current partition; True if it switched.

        ``appended.batch_is_full`` is asked only once ``batch_size`` bytes went to
        the partition: asking the builder on every record would cost more.
        """
        produced = self._produced + appended_bytes
        batch_size = self.batch_size
        if produced < batch_size or (produced < 2 * batch_size and not appended.batch_is_full):
            self._produced = produced
            return False
        sizes = self._queue_sizes
        if sizes is not None and len(available) > 1:
            # KIP-794 adaptive partitioning: Java refreshes these stats in ready();
            # at each switch is enough to weight the draw that follows.
            self.update_load_stats(sizes(self.topic, available), available)
        self._partition = self._next(all_partitions, available)
        self._produced = 0
        return True

    def headroom(self) -> int:
        """Bytes the current partition takes before ``on_append`` switches whatever the
        batch (twice ``batch_size``): a run of appends shorter than this, reported at
        once, switches exactly as its records reported one by one would."""
        return 2 * self.batch_size - self._produced

    def update_load_stats(self, queue_sizes: Sequence[int] | None,
                          partition_ids: Sequence[int] | None) -> None:
        """Adaptive partitioning: weight the next draws by inverse queue length.

        ``queue_sizes[i]`` is the number of batches queued for ``partition_ids[i]``
        (partitions without a leader left out). ``None`` or equal sizes turn weighting
        off, as in Java.
        """
        if queue_sizes is None or partition_ids is None or len(queue_sizes) < 2:
            self._cft = None
            return
        if len(queue_sizes) != len(partition_ids):
            raise ValueError("queue_sizes and partition_ids differ in length")
        top = max(queue_sizes) + 1
        if all(q == queue_sizes[0] for q in queue_sizes):
            self._cft = None
            return
        cft, total = [], 0
        for q in queue_sizes:
            total += top - q
            cft.append(total)
        self._cft = cft
        self._ids = list(partition_ids)

    def _next(self, all_partitions: Sequence[int], available: Sequence[int]) -> int:
        # Java: toPositive(nextInt()), i.e. uniform over [0, 2**31).
        draw = self._rng.getrandbits(31)
        if self._cft is not None:
            return self._ids[bisect_right(self._cft, draw % self._cft[-1])]
        if available:
            return available[draw % len(available)]
        if not all_partitions:
            raise ValueError(f"topic {self.topic!r} has no partitions")
        return draw % len(all_partitions)


class BuiltInPartitioner:
    """Java's default partitioning for every topic: murmur2 for keys, sticky otherwise.

    ``state(topic)`` is the topic's sticky partition, which records without a key
    (every record, with ``ignore_keys``) go to; ``queue_sizes`` turns on adaptive
    partitioning for all of them.
    """

    def __init__(self, batch_size: int, ignore_keys: bool = False,
                 rng: random.Random | None = None, queue_sizes: QueueSizes | None = None) -> None:
        self.batch_size = batch_size
        self.ignore_keys = ignore_keys
        self._rng = rng if rng is not None else random.Random()
        self._queue_sizes = queue_sizes
        self._sticky: dict[str, StickyPartitionState] = {}

    def state(self, topic: str) -> StickyPartitionState:
        """The sticky state of ``topic`` (made on first use)."""
        s = self._sticky.get(topic)
        if s is None:
            s = self._sticky[topic] = StickyPartitionState(topic, self.batch_size, self._rng,
                                                           self._queue_sizes)
        return s


class RoundRobinPartitioner:
    """Java's ``RoundRobinPartitioner``: each record of a topic to the next available
    partition (all partitions when none is available), keys ignored."""

    def __init__(self) -> None:
        self._counters: dict[str, int] = {}

    def __call__(self, topic: str, key_bytes: bytes | None, all_partitions: Sequence[int],
                 available: Sequence[int], key: Any = None, value: Any = None,
                 value_bytes: bytes | None = None) -> int:
        n = self._counters.get(topic, 0)
        # Java's AtomicInteger wraps at 2**31; to_positive keeps the index valid.
        self._counters[topic] = (n + 1) & _MASK
        n = to_positive(n)
        if available:
            return available[n % len(available)]
        return n % len(all_partitions)


class DefaultPartitioner(Partitioner):
    """kafka-python's default partitioner: murmur2 for keys, random for null keys.

    Callable in both kafka-python shapes: ``p(key_bytes, all_partitions, available)``
    (1.x/2.x) and ``p.partition(topic, key, serialized_key, value, serialized_value,
    cluster)`` (3.x). Leave ``partitioner`` unset to get Java's sticky behaviour instead.
    """

    def __init__(self, rng: random.Random | None = None) -> None:
        self._rng = rng if rng is not None else random.Random()

    def __call__(self, key: bytes | None, all_partitions: Sequence[int],
                 available: Sequence[int]) -> int:
        if key is None:
            return self._rng.choice(list(available) if available else list(all_partitions))
        ordered = sorted(all_partitions)
        return ordered[default_partition(key, len(ordered))]

    def partition(self, topic: str, key: Any, serialized_key: bytes | None, value: Any,
                  serialized_value: bytes | None, cluster: Any) -> int:
        """kafka-python 3's call; raises ValueError for a topic the cluster does not know."""
        if topic not in cluster.topics():
            raise ValueError(f"topic {topic!r} not found in cluster metadata")
        return self(serialized_key, sorted(cluster.partitions_for_topic(topic)),
                    sorted(cluster.available_partitions_for_topic(topic)))


__all__ = [
    "murmur2", "murmur2_java", "to_positive", "default_partition", "AppendedBatch", "QueueSizes",
    "NewBatchHook", "StickyPartitionState", "BuiltInPartitioner", "RoundRobinPartitioner",
    "DefaultPartitioner",
]

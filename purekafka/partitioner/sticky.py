"""Sticky partitioners you configure by name or instance (KIP-480).

- ``StickyPartitioner``: kafka-python's (``kafka.partitioner.sticky``). Keys by murmur2 as
  its ``DefaultPartitioner``; null keys stay on one partition per topic until
  ``on_new_batch`` rotates it, and move at once when that partition loses its leader.
- ``UniformStickyPartitioner`` and ``JavaDefaultPartitioner``: Java's
  ``UniformStickyPartitioner`` and ``internals.DefaultPartitioner`` (Kafka before 4.0,
  the names ``partitioner.class`` accepts). Both keep Java's ``StickyPartitionCache``:
  the sticky partition changes only in ``on_new_batch`` for the partition that opened the
  batch, drawn from the available partitions other than the old one. The uniform one
  ignores keys; the default one hashes them as Java does.

The producer leaves these to Java's built-in partitioning unless configured; that one
(``default.StickyPartitionState``, KIP-794) switches by bytes appended instead.

Not locked: the producer calls ``on_new_batch`` under its own lock, and the worst a race
with ``partition`` can do is rotate the sticky partition twice.
"""
from __future__ import annotations

import random
from typing import Any

from purekafka.partitioner.abc import Partitioner
from purekafka.partitioner.default import DefaultPartitioner, default_partition

__all__ = ["StickyPartitioner", "UniformStickyPartitioner", "JavaDefaultPartitioner"]


def _known(topic: str, cluster: Any) -> None:
    if topic not in cluster.topics():
        raise ValueError(f"topic {topic!r} not found in cluster metadata")


class StickyPartitioner(DefaultPartitioner):
    """kafka-python's KIP-480 sticky partitioner (see the module docstring)."""

    def __init__(self, rng: random.Random | None = None) -> None:
        super().__init__(rng)
        self._sticky: dict[str, int] = {}

    def partition(self, topic: str, key: Any, serialized_key: bytes | None, value: Any,
                  serialized_value: bytes | None, cluster: Any) -> int:
        _known(topic, cluster)
        if serialized_key is not None:
            return super().partition(topic, key, serialized_key, value, serialized_value, cluster)
        current = self._sticky.get(topic)
        if current is not None:
            available = cluster.available_partitions_for_topic(topic) or ()
            if current in (available or (cluster.partitions_for_topic(topic) or ())):
                return current
        chosen = self._pick(topic, cluster, None)
        if chosen is None:
            raise ValueError(f"topic {topic!r} has no partitions")
        return chosen

    def on_new_batch(self, topic: str, cluster: Any, prev_partition: int) -> None:
        """Rotate off ``prev_partition``, unless the sticky partition already moved."""
        if self._sticky.get(topic) == prev_partition:
            self._pick(topic, cluster, prev_partition)

    def _pick(self, topic: str, cluster: Any, avoid: int | None) -> int | None:
        all_partitions = sorted(cluster.partitions_for_topic(topic) or ())
        if not all_partitions:
            return None
        available = sorted(cluster.available_partitions_for_topic(topic) or ())
        if len(available) == 1:
            chosen = int(available[0])
        elif available:
            chosen = int(self._rng.choice([p for p in available if p != avoid] or available))
        else:
            chosen = int(self._rng.choice(all_partitions))
        self._sticky[topic] = chosen
        return chosen


class UniformStickyPartitioner(Partitioner):
    """Java's ``UniformStickyPartitioner``: every record to the topic's sticky partition."""

    hash_keys = False

    def __init__(self, rng: random.Random | None = None) -> None:
        self._rng = rng if rng is not None else random.Random()
        self._sticky: dict[str, int] = {}

    def partition(self, topic: str, key: Any, serialized_key: bytes | None, value: Any,
                  serialized_value: bytes | None, cluster: Any) -> int:
        if self.hash_keys and serialized_key is not None:
            return default_partition(serialized_key, len(cluster.partitions_for_topic(topic) or ()))
        current = self._sticky.get(topic)
        return current if current is not None else self._next(topic, cluster, -1)

    def on_new_batch(self, topic: str, cluster: Any, prev_partition: int) -> None:
        """Java's ``StickyPartitionCache.nextPartition``: a new sticky partition if
        ``prev_partition`` is the current one."""
        self._next(topic, cluster, prev_partition)

    def _next(self, topic: str, cluster: Any, prev_partition: int) -> int:
        old = self._sticky.get(topic)
        if old is not None and old != prev_partition:
            return old
        available = sorted(cluster.available_partitions_for_topic(topic) or ())
        if not available:
            count = len(cluster.partitions_for_topic(topic) or ())
            if not count:
                raise ValueError(f"topic {topic!r} has no partitions")
            new = self._draw() % count
        elif len(available) == 1:
            new = available[0]
        else:
            new = available[self._draw() % len(available)]
            while new == old:
                new = available[self._draw() % len(available)]
        self._sticky[topic] = new
        return new

    def _draw(self) -> int:
        return self._rng.getrandbits(31)  # Java: Utils.toPositive(ThreadLocalRandom.nextInt())


class JavaDefaultPartitioner(UniformStickyPartitioner):
    """Java's ``internals.DefaultPartitioner``: ``toPositive(murmur2(key)) % partitions`` for
    keys, the sticky partition (as ``UniformStickyPartitioner``) for null keys."""

    hash_keys = True

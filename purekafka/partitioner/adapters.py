"""``make_partitioner``: every partitioner shape users configure, as one callable.

``make_partitioner(obj, cluster=None)`` returns ``fn(topic, key_bytes, all_partitions,
available, key=None, value=None, value_bytes=None) -> int``, or None for the built-in
partitioning (``default``). Accepted shapes:

- ``None``: the built-in behaviour (Java's default: murmur2 for keys, KIP-794 sticky);
- an object with kafka-python 3's ``partition(topic, key, serialized_key, value,
  serialized_value, cluster)`` (a ``Partitioner``, or any object with that method); it
  gets a ``ClusterView`` (backed by ``cluster``, the producer's metadata, when given),
  and an optional ``on_new_batch(topic, cluster, prev_partition)`` runs before a record
  would open a new batch (``new_batch_hook``), after which the record is partitioned
  again;
- an object with kafka-python 3's deprecated ``partition(topic, serialized_key,
  cluster)`` (a partitioner not derived from ``Partitioner``): accepted with kafka-python's
  ``DeprecationWarning``;
- a callable ``f(key_bytes, all_partitions, available)`` (kafka-python 1/2, including
  their ``DefaultPartitioner`` instances) or ``f(topic, key_bytes, all_partitions,
  available)``;
- a Java ``partitioner.class`` name, full or short: ``RoundRobinPartitioner``,
  ``UniformStickyPartitioner`` and ``internals.DefaultPartitioner`` (the last two as
  Java's, ``sticky``).
"""
from __future__ import annotations

import inspect
import warnings
from typing import Any, Callable, Protocol, Sequence

from purekafka.partitioner.abc import Partitioner
from purekafka.partitioner.cluster import ClusterView
from purekafka.partitioner.default import DefaultPartitioner, NewBatchHook, RoundRobinPartitioner
from purekafka.partitioner.sticky import JavaDefaultPartitioner, UniformStickyPartitioner

__all__ = ["PartitionFn", "make_partitioner", "new_batch_hook"]


class PartitionFn(Protocol):
    """What ``make_partitioner`` returns."""

    def __call__(self, topic: str, key_bytes: bytes | None, all_partitions: Sequence[int],
                 available: Sequence[int], key: Any = None, value: Any = None,
                 value_bytes: bytes | None = None) -> int: ...


class _KafkaPython3Adapter:
    """Calls a kafka-python 3 ``Partitioner`` (``partition(...6 args)``)."""

    def __init__(self, obj: Any, cluster: Any = None) -> None:
        self.obj = obj
        self.cluster = cluster
        self._partition = obj.partition
        hook = getattr(obj, "on_new_batch", None)
        self.has_on_new_batch = callable(hook)

    def __call__(self, topic: str, key_bytes: bytes | None, all_partitions: Sequence[int],
                 available: Sequence[int], key: Any = None, value: Any = None,
                 value_bytes: bytes | None = None) -> int:
        view = ClusterView(topic, all_partitions, available, self.cluster)
        return int(self._partition(topic, key, key_bytes, value, value_bytes, view))

    def on_new_batch(self, topic: str, all_partitions: Sequence[int],
                     available: Sequence[int], prev_partition: int) -> None:
        """Pass kafka-python's KIP-480 hook through, if the partitioner has one."""
        if self.has_on_new_batch:
            self.obj.on_new_batch(topic, ClusterView(topic, all_partitions, available, self.cluster),
                                  prev_partition)


class _LegacyPartitionAdapter(_KafkaPython3Adapter):
    """Calls kafka-python 3's deprecated ``partition(topic, serialized_key, cluster)``."""

    def __call__(self, topic: str, key_bytes: bytes | None, all_partitions: Sequence[int],
                 available: Sequence[int], key: Any = None, value: Any = None,
                 value_bytes: bytes | None = None) -> int:
        view = ClusterView(topic, all_partitions, available, self.cluster)
        return int(self._partition(topic, key_bytes, view))


def new_batch_hook(fn: PartitionFn | None) -> NewBatchHook | None:
    """The KIP-480 ``on_new_batch`` of a kafka-python 3 partitioner, if it has one.

    ``send()`` then appends as Java does with a custom partitioner: a record that
    would open a new batch is not appended; the hook runs, the partitioner chooses
    again, and the record goes where it says.
    """
    if isinstance(fn, _KafkaPython3Adapter) and fn.has_on_new_batch:
        return fn.on_new_batch
    return None


def _positional_count(fn: Callable[..., Any]) -> int | None:
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return None
    if any(p.kind is p.VAR_POSITIONAL for p in params):
        return None
    return sum(1 for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
               and p.default is p.empty)


_PRODUCER = "org.apache.kafka.clients.producer."
_JAVA_PARTITIONERS: dict[str, Callable[[], Any]] = {
    _PRODUCER + "RoundRobinPartitioner": RoundRobinPartitioner,
    _PRODUCER + "UniformStickyPartitioner": UniformStickyPartitioner,
    _PRODUCER + "internals.DefaultPartitioner": JavaDefaultPartitioner,
}
_JAVA_PARTITIONERS.update({name.rsplit(".", 1)[1]: f for name, f in list(_JAVA_PARTITIONERS.items())})

_LEGACY_WARNING = "partitioner does not implement kafka.partitioner.Partitioner"  # kafka-python's


def make_partitioner(obj: Any, cluster: Any = None) -> PartitionFn | None:
    """Normalize a configured partitioner (shapes in the module docstring).

    None means "use the built-in partitioning". ``cluster`` (the producer's
    ``core.cluster.Cluster``) backs the ``ClusterView`` kafka-python partitioners get.
    Raises ``TypeError`` for anything else that cannot be called as a partitioner.
    """
    if obj is None:
        return None
    if isinstance(obj, str):
        factory = _JAVA_PARTITIONERS.get(obj.strip())
        if factory is None:
            raise TypeError(
                f"{obj!r} is not a partitioner purekafka knows; known Java classes: "
                + ", ".join(sorted(n for n in _JAVA_PARTITIONERS if "." in n))
                + " (leave the partitioner unset for Java's default behaviour)")
        obj = factory()
    if isinstance(obj, type):
        raise TypeError(f"{obj.__name__} is a class; pass an instance")
    if isinstance(obj, (RoundRobinPartitioner, _KafkaPython3Adapter)):
        return obj
    if type(obj) is DefaultPartitioner:
        return _three_arg(obj)
    partition = getattr(obj, "partition", None)
    if callable(partition):
        count = _positional_count(partition)
        if isinstance(obj, Partitioner) or count in (6, None):
            return _KafkaPython3Adapter(obj, cluster)
        if count == 3:
            warnings.warn(_LEGACY_WARNING, DeprecationWarning, stacklevel=3)
            return _LegacyPartitionAdapter(obj, cluster)
    if callable(obj):
        count = _positional_count(obj)
        if count == 4:
            return _four_arg(obj)
        if count in (3, None):
            return _three_arg(obj)
        raise TypeError(
            f"partitioner {obj!r} takes {count} positional arguments; expected "
            "(key_bytes, all_partitions, available) or (topic, key_bytes, all_partitions, "
            "available)")
    raise TypeError(
        f"a partitioner must be None, a callable, an object with kafka-python's "
        f"partition(topic, key, serialized_key, value, serialized_value, cluster), or a Java "
        f"class name; got {type(obj).__name__}")


def _three_arg(fn: Callable[..., Any]) -> PartitionFn:
    def call(topic: str, key_bytes: bytes | None, all_partitions: Sequence[int],
             available: Sequence[int], key: Any = None, value: Any = None,
             value_bytes: bytes | None = None) -> int:
        return int(fn(key_bytes, list(all_partitions), list(available)))
    call.wrapped = fn  # type: ignore[attr-defined]
    return call


def _four_arg(fn: Callable[..., Any]) -> PartitionFn:
    def call(topic: str, key_bytes: bytes | None, all_partitions: Sequence[int],
             available: Sequence[int], key: Any = None, value: Any = None,
             value_bytes: bytes | None = None) -> int:
        return int(fn(topic, key_bytes, list(all_partitions), list(available)))
    call.wrapped = fn  # type: ignore[attr-defined]
    return call

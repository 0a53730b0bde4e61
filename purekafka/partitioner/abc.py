"""``Partitioner``: the base class of kafka-python 3's pluggable partitioners."""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

__all__ = ["Partitioner"]


class Partitioner(ABC):
    """Chooses the partition of a record sent without one.

    ``cluster`` answers as kafka-python's ``ClusterMetadata`` does (``partitions_for_topic``,
    ``available_partitions_for_topic``, ...; see ``ClusterView``). A subclass may also define
    ``on_new_batch(topic, cluster, prev_partition)``: the producer calls it when the record
    it was partitioning would open a new batch, then asks ``partition`` again (KIP-480).
    """

    @abstractmethod
    def partition(self, topic: str, key: Any, serialized_key: bytes | None, value: Any,
                  serialized_value: bytes | None, cluster: Any) -> int:
        """The partition of the record; ValueError for a topic ``cluster`` does not know."""

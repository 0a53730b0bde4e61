"""The producer's view of the cluster: brokers, topics, partitions and leaders.

Theory of operation
-------------------
The producer asks for metadata only about the topics it sends to (Java does the
same since KIP-526), so ``Cluster`` keeps a set of *wanted* topics. A topic is
wanted from the moment ``send()`` names it; the sender asks for metadata when

* an update was requested (``request_update()``: a NOT_LEADER, UNKNOWN_TOPIC,
  a disconnect, a new topic), no sooner than ``retry_backoff_ms`` after the last
  attempt, or
* ``metadata_max_age_ms`` has passed since the last successful update.

``update(response, now_ms)`` takes a decoded Metadata response (any version: it
reads Kafka's field names ``brokers[node_id, host, port, rack]`` and
``topics[error_code, name, topic_id, partitions[error_code, partition_index,
leader_id, leader_epoch]]``) and replaces the view. Topics whose error is
retriable (UNKNOWN_TOPIC_OR_PARTITION, LEADER_NOT_AVAILABLE) stay wanted and
schedule another update; non-retriable topic errors (authorization, invalid
name) are recorded in ``topic_errors`` so ``send()`` can fail fast.

Time is float milliseconds passed in; nothing here reads a clock.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from purekafka.errors import ErrorCode
from purekafka.protocol.primitives import ZERO_UUID

__all__ = ["Broker", "Cluster", "PartitionInfo", "TopicInfo"]

# Topic errors after which the topic stays wanted and metadata is asked for again.
_RETRIABLE_TOPIC_ERRORS = frozenset({
    ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.LEADER_NOT_AVAILABLE, ErrorCode.REQUEST_TIMED_OUT,
    ErrorCode.REPLICA_NOT_AVAILABLE, ErrorCode.KAFKA_STORAGE_ERROR,
})

NULL_TOPIC_ID = ZERO_UUID


@dataclass(frozen=True, slots=True)
class Broker:
    """A broker as Metadata names it."""

    node_id: int
    host: str
    port: int
    rack: str | None = None


@dataclass(frozen=True, slots=True)
class PartitionInfo:
    """One partition: its leader (-1 when none) and leader epoch."""

    partition: int
    leader: int
    leader_epoch: int = -1
    error_code: int = 0


@dataclass(slots=True)
class TopicInfo:
    """A topic: its id (a ``uuid.UUID``, zero when unknown) and partitions sorted by index."""

    name: str
    topic_id: Any
    partitions: list[PartitionInfo] = field(default_factory=list)

    @property
    def partition_count(self) -> int:
        return len(self.partitions)


class Cluster:
    """Metadata view and refresh scheduling (sans-I/O)."""

    def __init__(
        self,
        bootstrap: list[tuple[str, int]],
        metadata_max_age_ms: float = 300_000,
        retry_backoff_ms: float = 100,
        metadata_max_idle_ms: float = 300_000,
    ) -> None:
        self.bootstrap = list(bootstrap)
        self.metadata_max_age_ms = metadata_max_age_ms
        self.metadata_max_idle_ms = metadata_max_idle_ms
        # topic -> when a batch of it last went out (or it was first asked for).
        self._used_ms: dict[str, float] = {}
        self.retry_backoff_ms = retry_backoff_ms
        self.brokers: dict[int, Broker] = {}
        self.topics: dict[str, TopicInfo] = {}
        self.topic_errors: dict[str, int] = {}
        self.wanted: set[str] = set()
        self.cluster_id: str | None = None
        self.controller_id: int = -1
        self.version = 0  # bumped on every successful update
        self.last_success_ms: float | None = None
        self.last_attempt_ms: float | None = None
        self._need_update = True
        self._in_progress = False
        # partition -> leader lookups are the hot path of ready/drain
        self._leaders: dict[tuple[str, int], int] = {}
        self._by_node: dict[int, list[tuple[str, int]]] = {}

    # -- what the producer wants -----------------------------------------------
    def add_topic(self, topic: str) -> bool:
        """Start tracking ``topic``; returns True (and requests an update) if it is new."""
        if topic in self.wanted:
            return False
        self.wanted.add(topic)
        self._need_update = True
        return True

    def touch(self, topic: str, now_ms: float) -> None:
        """``topic`` is in use (a batch of it is being sent): keep asking for its metadata."""
        self._used_ms[topic] = now_ms

    def request_update(self) -> None:
        """Ask for fresh metadata at the next opportunity (after the retry backoff)."""
        self._need_update = True

    # -- scheduling --------------------------------------------------------------
    def ttl_ms(self, now_ms: float) -> float:
        """Milliseconds until metadata should be requested (0 = now)."""
        if self._in_progress:
            return float("inf")
        backoff = 0.0
        if self.last_attempt_ms is not None:
            backoff = max(0.0, self.last_attempt_ms + self.retry_backoff_ms - now_ms)
        if self._need_update or self.last_success_ms is None:
            return backoff
        expire = self.last_success_ms + self.metadata_max_age_ms - now_ms
        return max(backoff, expire, 0.0)

    def update_started(self, now_ms: float) -> list[str]:
        """Mark a Metadata request as sent; returns the topics to ask for.

        A topic unused for ``metadata_max_idle_ms`` is dropped (Java's ProducerMetadata):
        its metadata is asked for again when a record is next sent to it.
        """
        self._in_progress = True
        self.last_attempt_ms = now_ms
        used = self._used_ms
        for topic in list(self.wanted):
            if now_ms - used.setdefault(topic, now_ms) > self.metadata_max_idle_ms:
                self.wanted.discard(topic)
                del used[topic]
        return sorted(self.wanted)

    def update_failed(self, now_ms: float) -> None:
        """The Metadata request was lost (disconnect, timeout): try again after the backoff."""
        self._in_progress = False
        self._need_update = True
        self.last_attempt_ms = now_ms

    @property
    def update_in_progress(self) -> bool:
        return self._in_progress

    # -- applying a response -----------------------------------------------------
    def update(self, response: Any, now_ms: float) -> None:
        """Replace the view from a decoded Metadata response."""
        self._in_progress = False
        self._need_update = False
        brokers = {}
        for b in response.brokers:
            brokers[b.node_id] = Broker(b.node_id, b.host, b.port, getattr(b, "rack", None))
        topics: dict[str, TopicInfo] = {}
        errors: dict[str, int] = {}
        for t in response.topics:
            name = t.name
            if name is None:
                continue
            if t.error_code != ErrorCode.NONE:
                if t.error_code in _RETRIABLE_TOPIC_ERRORS:
                    self._need_update = True
                else:
                    errors[name] = t.error_code
                # A retriable topic error keeps the last known partitions usable.
                if name in self.topics and t.error_code != ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
                    topics[name] = self.topics[name]
                continue
            parts = sorted(
                (
                    PartitionInfo(
                        p.partition_index,
                        p.leader_id,
                        getattr(p, "leader_epoch", -1),
                        p.error_code,
                    )
                    for p in t.partitions
                ),
                key=lambda p: p.partition,
            )
            if any(p.leader < 0 for p in parts):
                self._need_update = True
            topics[name] = TopicInfo(name, getattr(t, "topic_id", None) or NULL_TOPIC_ID, parts)
        self.brokers = brokers
        self.topics = topics
        self.topic_errors = errors
        self.cluster_id = getattr(response, "cluster_id", None)
        self.controller_id = getattr(response, "controller_id", -1)
        self.last_success_ms = now_ms
        # Java counts the retry backoff from the last refresh, successful or not.
        self.last_attempt_ms = now_ms
        self.version += 1
        self._rebuild_index()

    def _rebuild_index(self) -> None:
        leaders: dict[tuple[str, int], int] = {}
        by_node: dict[int, list[tuple[str, int]]] = {}
        for name, info in self.topics.items():
            for p in info.partitions:
                tp = (name, p.partition)
                leaders[tp] = p.leader
                if p.leader >= 0 and p.leader in self.brokers:
                    by_node.setdefault(p.leader, []).append(tp)
        self._leaders = leaders
        self._by_node = by_node

    # -- queries -------------------------------------------------------------------
    def leader_for(self, tp: tuple[str, int]) -> int:
        """The leader's node id for ``(topic, partition)``; -1 when unknown."""
        leader = self._leaders.get(tp, -1)
        if leader >= 0 and leader not in self.brokers:
            return -1
        return leader

    def partitions_for_node(self, node_id: int) -> list[tuple[str, int]]:
        """Partitions led by ``node_id`` (in a stable order)."""
        return self._by_node.get(node_id, [])

    def partition_count(self, topic: str) -> int | None:
        """Number of partitions of ``topic``, or None if it is not (yet) known."""
        info = self.topics.get(topic)
        return None if info is None else len(info.partitions)

    def partitions_for(self, topic: str) -> set[int] | None:
        """Partition indexes of ``topic`` (kafka-python's ``partitions_for``)."""
        info = self.topics.get(topic)
        return None if info is None else {p.partition for p in info.partitions}

    def available_partitions(self, topic: str) -> list[int]:
        """Partitions of ``topic`` that currently have a leader."""
        info = self.topics.get(topic)
        if info is None:
            return []
        return [p.partition for p in info.partitions if p.leader >= 0 and p.leader in self.brokers]

    def topic_id(self, topic: str) -> Any:
        info = self.topics.get(topic)
        return NULL_TOPIC_ID if info is None else info.topic_id

    def broker(self, node_id: int) -> Broker | None:
        return self.brokers.get(node_id)

    def update_leader(self, tp: tuple[str, int], leader: int, leader_epoch: int,
                      endpoint: Broker | None = None) -> bool:
        """Move ``tp`` to a leader a Produce answer named (KIP-951); True if the view changed.

        Taken only when its leader epoch is newer than the one known, so a late answer
        never undoes fresher metadata; ``endpoint`` is the leader's address when the
        view has no broker ``leader`` yet.
        """
        info = self.topics.get(tp[0])
        if info is None or leader < 0:
            return False
        for i, p in enumerate(info.partitions):
            if p.partition == tp[1]:
                break
        else:
            return False
        if p.leader_epoch < 0 or leader_epoch <= p.leader_epoch:
            return False
        if leader not in self.brokers:
            if endpoint is None or endpoint.node_id != leader:
                return False
            self.brokers = {**self.brokers, leader: endpoint}
        info.partitions[i] = PartitionInfo(p.partition, leader, leader_epoch, p.error_code)
        self.version += 1
        self._rebuild_index()
        return True

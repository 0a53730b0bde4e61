"""Coordinator requests of the transaction manager, and the handles it gives out.

``TxnRequest`` is one queued request: what it is for (``kind``), whom it goes to
(``coordinator_type``: the transaction or the group coordinator, or any broker),
the versions it may use, and ``build(version)``, which shapes the message for the
version the sender negotiated (FindCoordinator moved to a key list at v4, InitProducerId
only carries the current id and epoch from v3, TxnOffsetCommit carries group metadata
from v3, and so on). ``TxnResult`` is the plain done/error handle the facade waits on.
Nothing here does I/O.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, IntEnum
from typing import Any

from purekafka.errors import IllegalStateError, KafkaError, UnsupportedVersionError
from purekafka.protocol import add_offsets_to_txn as _aot
from purekafka.protocol import add_partitions_to_txn as _apt
from purekafka.protocol import end_txn as _end
from purekafka.protocol import find_coordinator as _fc
from purekafka.protocol import init_producer_id as _ipi
from purekafka.protocol import txn_offset_commit as _toc

__all__ = [
    "CommittedOffset", "CoordinatorType", "GroupMetadata", "Node", "Priority", "RequestKind", "TxnRequest", "TxnResult",
    "add_offsets_request", "add_partitions_request", "end_txn_request", "find_coordinator_request",
    "init_producer_id_request", "parse_offset", "txn_offset_commit_request",
]


class CoordinatorType(Enum):
    GROUP = _fc.KEY_TYPE_GROUP
    TRANSACTION = _fc.KEY_TYPE_TRANSACTION


@dataclass(frozen=True)
class Node:
    """A coordinator's address as FindCoordinator gave it."""

    node_id: int
    host: str
    port: int


@dataclass(frozen=True)
class GroupMetadata:
    """The consumer's group metadata (Java ConsumerGroupMetadata) for send_offsets."""

    group_id: str
    generation_id: int = -1
    member_id: str = ""
    group_instance_id: str | None = None


@dataclass(frozen=True)
class CommittedOffset:
    offset: int
    metadata: str | None = ""
    leader_epoch: int = -1


class TxnResult:
    """Outcome of one coordinator round trip; the facade waits on it, then ``consume()``s it."""

    __slots__ = ("operation", "done", "error", "acked")

    def __init__(self, operation: str) -> None:
        self.operation = operation
        self.done = False
        self.error: KafkaError | None = None
        self.acked = False

    def succeed(self) -> None:
        if not self.done:
            self.done = True

    def fail(self, error: KafkaError) -> None:
        if not self.done:
            self.done, self.error = True, error

    def consume(self) -> None:
        """Mark the outcome seen by the application; raise its error if it failed."""
        if not self.done:
            raise IllegalStateError(f"{self.operation} has not completed yet")
        self.acked = True  # seen, failed or not (Java TransactionalRequestResult.await)
        if self.error is not None:
            raise self.error

    def __repr__(self) -> str:
        return f"TxnResult({self.operation}, done={self.done}, error={self.error!r})"


class RequestKind(Enum):
    """What a queued coordinator request is for; its value is Kafka's API name."""

    FIND_COORDINATOR = "FindCoordinator"
    INIT_PRODUCER_ID = "InitProducerId"
    ADD_PARTITIONS_TO_TXN = "AddPartitionsToTxn"
    ADD_OFFSETS_TO_TXN = "AddOffsetsToTxn"
    TXN_OFFSET_COMMIT = "TxnOffsetCommit"
    END_TXN = "EndTxn"


class Priority(IntEnum):
    """Order of the request queue (Java TransactionManager.Priority); lower goes first."""

    FIND_COORDINATOR = 0
    INIT_PRODUCER_ID = 1
    ADD_PARTITIONS_OR_OFFSETS = 2
    END_TXN = 3
    EPOCH_BUMP = 4  # after EndTxn: the bump that recovers from an abortable error


class TxnRequest:
    """One queued coordinator request. ``build(version)`` gives the message to encode."""

    def __init__(self, kind: RequestKind, api_key: int, priority: int, result: TxnResult,
                 coordinator_type: CoordinatorType | None, coordinator_key: str | None,
                 min_version: int = 0, max_version: int = 32767, **fields: Any) -> None:
        self.kind = kind
        self.api_key = api_key
        self.priority = priority
        self.result = result
        self.coordinator_type = coordinator_type
        self.coordinator_key = coordinator_key
        self.min_version = min_version
        self.max_version = max_version
        self.fields = fields
        self.version: int | None = None  # the version it was last built at
        self.is_retry = False
        self.not_before = 0.0
        self.retry_backoff_ms: float | None = None  # overrides the manager's backoff

    def build(self, version: int) -> Any:
        """The request message for ``version`` (within min_version..max_version)."""
        if not self.min_version <= version <= self.max_version:
            raise UnsupportedVersionError(
                f"{self.kind.value} needs a version in {self.min_version}..{self.max_version}, got {version}")
        self.version = version
        f = self.fields
        if self.kind is RequestKind.FIND_COORDINATOR:
            if version >= 4:
                return _fc.FindCoordinatorRequest(key_type=f["key_type"], coordinator_keys=[f["key"]])
            return _fc.FindCoordinatorRequest(key=f["key"], key_type=f["key_type"] if version >= 1 else 0)
        if self.kind is RequestKind.INIT_PRODUCER_ID:
            req = _ipi.InitProducerIdRequest(transactional_id=f["transactional_id"],
                                             transaction_timeout_ms=f["transaction_timeout_ms"])
            if version >= 3:
                req.producer_id, req.producer_epoch = f["producer_id"], f["producer_epoch"]
            return req
        if self.kind is RequestKind.ADD_PARTITIONS_TO_TXN:
            by_topic: dict[str, list[int]] = {}
            for topic, partition in f["partitions"]:
                by_topic.setdefault(topic, []).append(partition)
            return _apt.AddPartitionsToTxnRequest(
                v3_and_below_transactional_id=f["transactional_id"],
                v3_and_below_producer_id=f["producer_id"],
                v3_and_below_producer_epoch=f["producer_epoch"],
                v3_and_below_topics=[_apt.AddPartitionsToTxnTopic(name=t, partitions=sorted(ps))
                                     for t, ps in sorted(by_topic.items())])
        if self.kind is RequestKind.ADD_OFFSETS_TO_TXN:
            return _aot.AddOffsetsToTxnRequest(transactional_id=f["transactional_id"],
                                               producer_id=f["producer_id"],
                                               producer_epoch=f["producer_epoch"], group_id=f["group_id"])
        if self.kind is RequestKind.TXN_OFFSET_COMMIT:
            group: GroupMetadata = f["group"]
            topics: dict[str, list[_toc.TxnOffsetCommitRequestPartition]] = {}
            for (topic, partition), off in sorted(f["offsets"].items()):
                topics.setdefault(topic, []).append(_toc.TxnOffsetCommitRequestPartition(
                    partition_index=partition, committed_offset=off.offset,
                    committed_leader_epoch=off.leader_epoch, committed_metadata=off.metadata))
            req2 = _toc.TxnOffsetCommitRequest(
                transactional_id=f["transactional_id"], group_id=group.group_id,
                producer_id=f["producer_id"], producer_epoch=f["producer_epoch"],
                topics=[_toc.TxnOffsetCommitRequestTopic(name=t, partitions=ps) for t, ps in topics.items()])
            if version >= 3:
                req2.generation_id_or_member_epoch = group.generation_id
                req2.member_id = group.member_id
                req2.group_instance_id = group.group_instance_id
            return req2
        if self.kind is RequestKind.END_TXN:
            return _end.EndTxnRequest(transactional_id=f["transactional_id"], producer_id=f["producer_id"],
                                      producer_epoch=f["producer_epoch"], committed=f["committed"])
        raise AssertionError(self.kind)

    def __repr__(self) -> str:
        return f"TxnRequest({self.kind.value}, retry={self.is_retry})"


def parse_offset(value: Any) -> CommittedOffset:
    """Accept an int, kafka-python's OffsetAndMetadata, or (offset, metadata[, leader_epoch])."""
    if isinstance(value, int):
        return CommittedOffset(value)
    if hasattr(value, "offset"):
        epoch = getattr(value, "leader_epoch", -1)
        return CommittedOffset(value.offset, getattr(value, "metadata", ""), -1 if epoch is None else epoch)
    if isinstance(value, tuple) and 1 <= len(value) <= 3:
        return CommittedOffset(*value)
    raise IllegalStateError(f"cannot read an offset from {value!r}")


# -- the requests, one builder each ------------------------------------------------------------

def find_coordinator_request(kind: CoordinatorType, key: str) -> TxnRequest:
    """Look up the coordinator of ``kind`` for ``key`` (v0 only knows groups)."""
    return TxnRequest(RequestKind.FIND_COORDINATOR, _fc.API_KEY, Priority.FIND_COORDINATOR,
                      TxnResult("FindCoordinator"),
                      None, None, min_version=1 if kind is CoordinatorType.TRANSACTION else 0,
                      key=key, key_type=kind.value)


def init_producer_id_request(transactional_id: str, transaction_timeout_ms: int, producer_id: int,
                             producer_epoch: int, bump: bool) -> TxnRequest:
    """InitProducerId; a bump passes the current id and epoch, which needs v3+."""
    priority = Priority.EPOCH_BUMP if bump else Priority.INIT_PRODUCER_ID
    return TxnRequest(RequestKind.INIT_PRODUCER_ID, _ipi.API_KEY, priority,
                      TxnResult("InitProducerId"), CoordinatorType.TRANSACTION, transactional_id,
                      min_version=3 if bump else 0, transactional_id=transactional_id,
                      transaction_timeout_ms=transaction_timeout_ms, producer_id=producer_id if bump else -1,
                      producer_epoch=producer_epoch if bump else -1, bump=bump)


def add_partitions_request(transactional_id: str, producer_id: int, producer_epoch: int,
                           partitions: list[tuple[str, int]]) -> TxnRequest:
    """AddPartitionsToTxn in its client form (v0-3)."""
    return TxnRequest(RequestKind.ADD_PARTITIONS_TO_TXN, _apt.API_KEY, Priority.ADD_PARTITIONS_OR_OFFSETS,
                      TxnResult("AddPartitionsToTxn"), CoordinatorType.TRANSACTION, transactional_id,
                      max_version=_apt.FIRST_BROKER_VERSION - 1, transactional_id=transactional_id,
                      producer_id=producer_id, producer_epoch=producer_epoch, partitions=sorted(partitions))


def add_offsets_request(result: TxnResult, transactional_id: str, producer_id: int, producer_epoch: int,
                        offsets: dict[tuple[str, int], CommittedOffset], group: GroupMetadata) -> TxnRequest:
    """AddOffsetsToTxn (TV1): its result completes with the TxnOffsetCommit that follows."""
    return TxnRequest(RequestKind.ADD_OFFSETS_TO_TXN, _aot.API_KEY, Priority.ADD_PARTITIONS_OR_OFFSETS,
                      result,
                      CoordinatorType.TRANSACTION, transactional_id, transactional_id=transactional_id,
                      producer_id=producer_id, producer_epoch=producer_epoch, group_id=group.group_id,
                      offsets=offsets, group=group)


def txn_offset_commit_request(result: TxnResult, transactional_id: str, producer_id: int, producer_epoch: int,
                              offsets: dict[tuple[str, int], CommittedOffset], group: GroupMetadata,
                              tv2: bool) -> TxnRequest:
    """TxnOffsetCommit to the group coordinator: v5 under TV2, at most v4 under TV1."""
    has_group_meta = group.member_id != "" or group.generation_id != -1 or group.group_instance_id is not None
    return TxnRequest(RequestKind.TXN_OFFSET_COMMIT, _toc.API_KEY, Priority.ADD_PARTITIONS_OR_OFFSETS,
                      result,
                      CoordinatorType.GROUP, group.group_id,
                      min_version=5 if tv2 else (3 if has_group_meta else 0),
                      # v6 names topics by id, which the transaction manager does not know
                      max_version=_toc.FIRST_TOPIC_ID_VERSION - 1 if tv2 else 4,
                      transactional_id=transactional_id, producer_id=producer_id, producer_epoch=producer_epoch,
                      offsets=dict(offsets), group=group)


def end_txn_request(transactional_id: str, producer_id: int, producer_epoch: int, committed: bool,
                    tv2: bool) -> TxnRequest:
    """EndTxn: v5+ under TV2 (the answer carries the bumped epoch), at most v4 under TV1."""
    return TxnRequest(RequestKind.END_TXN, _end.API_KEY, Priority.END_TXN,
                      TxnResult(f"EndTxn({committed})"),
                      CoordinatorType.TRANSACTION, transactional_id, min_version=5 if tv2 else 0,
                      max_version=_end.MAX_VERSION if tv2 else 4, transactional_id=transactional_id,
                      producer_id=producer_id, producer_epoch=producer_epoch, committed=committed)

"""Transaction state machine: Java's ``TransactionManager`` without the I/O.

Theory of operation
-------------------
A transactional producer moves through the states of ``State`` along the edges
of ``TRANSITIONS`` (Kafka 4.x's table, checked against Java in the tests):

    UNINITIALIZED -> INITIALIZING -> READY -> IN_TRANSACTION
        -> COMMITTING_TRANSACTION | ABORTING_TRANSACTION -> READY (or INITIALIZING
           when the epoch must be bumped first) ...
    any -> ABORTABLE_ERROR (only abort leaves it) ; any -> FATAL_ERROR (never left)

The application's calls (``initialize``, ``begin``, ``maybe_add_partition``,
``send_offsets``, ``begin_commit``, ``begin_abort``) change the state or queue
requests; an illegal call raises ``IllegalStateError`` naming the state and
changes nothing. Calls that need the coordinator return a ``TxnResult``, a plain
handle (done / error) the facade waits on with its own condition variable, and
then ``consume()``s (which re-raises the error).

Requests wait in a priority queue (FindCoordinator, InitProducerId,
AddPartitionsToTxn/AddOffsetsToTxn/TxnOffsetCommit, EndTxn, epoch-bump
InitProducerId) and go out one at a time. The sender, before producing, does:

    err = txn.batches_to_abort()        # ('all'|'undrained', error) or None
    req = txn.next_request(now, has_incomplete_batches)
    if req is not None:
        node = txn.coordinator(req.coordinator_type) if req.coordinator_type is not None
               else <least loaded broker>
        if node is None / not connectable:  txn.handle_not_sent(req, now)
        else: version = <highest version both sides speak within req.min_version..req.max_version>
              send req.build(version) (to req.api_key's encoder); then
              txn.handle_response(req, decoded_response, now) or txn.handle_disconnect(req, now)
    while txn.has_in_flight: do not send produce data (Java Sender.runOnce)

``next_request_delay(now)`` says when a backed-off request becomes due. Times are
milliseconds (int or float).

Produce-side rules: a batch for a partition may be drained only when
``is_send_allowed(tp)`` (with TV1, after AddPartitionsToTxn added it) and the
shared ``IdempotenceState.can_send`` agrees; Produce must be at most v11 under TV1
and at least v12 under TV2 (``produce_version_range()``), since Produce v12+ adds
the partition to the transaction by itself (KIP-890).

Transaction protocol version: ``set_transaction_version(v)`` records the
finalized ``transaction.version`` feature from ApiVersions. It takes effect only
at ``initialize`` and when a transaction is completed (Java
``maybeUpdateTransactionV2Enabled``), never in the middle of one; moving up to
TV2 bumps the epoch first. Under TV2 every EndTxn (v5+) answers with a new epoch
(or a new producer id once the epoch would overflow), which is adopted, and
sequences restart.

Errors follow Java 4.x (KIP-1050): PRODUCER_FENCED and INVALID_PRODUCER_EPOCH
from the coordinator are a fatal ``ProducerFencedError``; coordinator errors
rediscover and retry; TRANSACTION_ABORTABLE and failed batches are abortable
(only ``begin_abort`` leaves ABORTABLE_ERROR); an abortable error that the broker
cannot recover from (no epoch bump without InitProducerId v3+ or TV2) is fatal.
"""
from __future__ import annotations

import heapq
import itertools
from dataclasses import dataclass
from enum import Enum
from typing import Any, Iterable, Mapping

from purekafka.core.idempotence import Code, IdempotenceState, TopicPartition, broker_error, is_retriable
from purekafka.errors import (
    IllegalStateError,
    KafkaError,
    ProducerFencedError,
    TransactionAbortableError,
    TransactionAbortedError,
    UnsupportedVersionError,
)
from purekafka.protocol import add_offsets_to_txn as _aot
from purekafka.protocol import add_partitions_to_txn as _apt
from purekafka.protocol import end_txn as _end
from purekafka.protocol import find_coordinator as _fc
from purekafka.protocol import init_producer_id as _ipi
from purekafka.protocol import txn_offset_commit as _toc

__all__ = [
    "CoordinatorType",
    "GroupMetadata",
    "Node",
    "State",
    "TRANSITIONS",
    "TransactionManager",
    "TxnRequest",
    "TxnResult",
]


class State(Enum):
    UNINITIALIZED = "UNINITIALIZED"
    INITIALIZING = "INITIALIZING"
    READY = "READY"
    IN_TRANSACTION = "IN_TRANSACTION"
    PREPARED_TRANSACTION = "PREPARED_TRANSACTION"  # KIP-939; listed for the table, never entered
    COMMITTING_TRANSACTION = "COMMITTING_TRANSACTION"
    ABORTING_TRANSACTION = "ABORTING_TRANSACTION"
    ABORTABLE_ERROR = "ABORTABLE_ERROR"
    FATAL_ERROR = "FATAL_ERROR"


_S = State
# source -> the states it may move to (Java TransactionManager.State.isTransitionValid).
TRANSITIONS: dict[State, frozenset[State]] = {
    _S.UNINITIALIZED: frozenset({_S.INITIALIZING, _S.FATAL_ERROR}),
    _S.INITIALIZING: frozenset({_S.READY, _S.PREPARED_TRANSACTION, _S.ABORTABLE_ERROR, _S.FATAL_ERROR}),
    _S.READY: frozenset({_S.UNINITIALIZED, _S.IN_TRANSACTION, _S.FATAL_ERROR}),
    _S.IN_TRANSACTION: frozenset({_S.PREPARED_TRANSACTION, _S.COMMITTING_TRANSACTION,
                                  _S.ABORTING_TRANSACTION, _S.ABORTABLE_ERROR, _S.FATAL_ERROR}),
    _S.PREPARED_TRANSACTION: frozenset({_S.COMMITTING_TRANSACTION, _S.ABORTING_TRANSACTION, _S.FATAL_ERROR}),
    _S.COMMITTING_TRANSACTION: frozenset({_S.INITIALIZING, _S.READY, _S.ABORTABLE_ERROR, _S.FATAL_ERROR}),
    _S.ABORTING_TRANSACTION: frozenset({_S.INITIALIZING, _S.READY, _S.FATAL_ERROR}),
    _S.ABORTABLE_ERROR: frozenset({_S.UNINITIALIZED, _S.ABORTING_TRANSACTION, _S.ABORTABLE_ERROR,
                                   _S.FATAL_ERROR}),
    _S.FATAL_ERROR: frozenset({_S.FATAL_ERROR}),
}


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
class _Offset:
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


# Request priorities (Java TransactionManager.Priority); lower goes first.
_FIND_COORDINATOR, _INIT_PRODUCER_ID, _ADD_PARTITIONS_OR_OFFSETS, _END_TXN, _EPOCH_BUMP = range(5)
_ADD_PARTITIONS_RETRY_BACKOFF_MS = 20.0  # first AddPartitions meeting CONCURRENT_TRANSACTIONS
_COORDINATOR_ERRORS = (Code.NOT_COORDINATOR, Code.COORDINATOR_NOT_AVAILABLE)
_FENCED = (Code.INVALID_PRODUCER_EPOCH, Code.PRODUCER_FENCED)
_INVALID_STATE_FATAL = (Code.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, Code.INVALID_TXN_STATE,
                        Code.INVALID_PRODUCER_ID_MAPPING)


class TxnRequest:
    """One queued coordinator request. ``build(version)`` gives the message to encode."""

    def __init__(self, kind: str, api_key: int, priority: int, result: TxnResult,
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
                f"{self.kind} needs a version in {self.min_version}..{self.max_version}, got {version}")
        self.version = version
        f = self.fields
        if self.kind == "FindCoordinator":
            if version >= 4:
                return _fc.FindCoordinatorRequest(key_type=f["key_type"], coordinator_keys=[f["key"]])
            return _fc.FindCoordinatorRequest(key=f["key"], key_type=f["key_type"] if version >= 1 else 0)
        if self.kind == "InitProducerId":
            req = _ipi.InitProducerIdRequest(transactional_id=f["transactional_id"],
                                             transaction_timeout_ms=f["transaction_timeout_ms"])
            if version >= 3:
                req.producer_id, req.producer_epoch = f["producer_id"], f["producer_epoch"]
            return req
        if self.kind == "AddPartitionsToTxn":
            by_topic: dict[str, list[int]] = {}
            for topic, partition in f["partitions"]:
                by_topic.setdefault(topic, []).append(partition)
            return _apt.AddPartitionsToTxnRequest(
                v3_and_below_transactional_id=f["transactional_id"],
                v3_and_below_producer_id=f["producer_id"],
                v3_and_below_producer_epoch=f["producer_epoch"],
                v3_and_below_topics=[_apt.AddPartitionsToTxnTopic(name=t, partitions=sorted(ps))
                                     for t, ps in sorted(by_topic.items())])
        if self.kind == "AddOffsetsToTxn":
            return _aot.AddOffsetsToTxnRequest(transactional_id=f["transactional_id"],
                                               producer_id=f["producer_id"],
                                               producer_epoch=f["producer_epoch"], group_id=f["group_id"])
        if self.kind == "TxnOffsetCommit":
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
        if self.kind == "EndTxn":
            return _end.EndTxnRequest(transactional_id=f["transactional_id"], producer_id=f["producer_id"],
                                      producer_epoch=f["producer_epoch"], committed=f["committed"])
        raise AssertionError(self.kind)

    def __repr__(self) -> str:
        return f"TxnRequest({self.kind}, retry={self.is_retry})"


def _offset_of(value: Any) -> _Offset:
    """Accept an int, kafka-python's OffsetAndMetadata, or (offset, metadata[, leader_epoch])."""
    if isinstance(value, int):
        return _Offset(value)
    if hasattr(value, "offset"):
        epoch = getattr(value, "leader_epoch", -1)
        return _Offset(value.offset, getattr(value, "metadata", ""), -1 if epoch is None else epoch)
    if isinstance(value, tuple) and 1 <= len(value) <= 3:
        return _Offset(*value)
    raise IllegalStateError(f"cannot read an offset from {value!r}")


class TransactionManager:
    """Transaction state and coordinator requests of one transactional producer."""

    def __init__(self, transactional_id: str, idempotence: IdempotenceState, *,
                 transaction_timeout_ms: int = 60_000, retry_backoff_ms: float = 100.0,
                 transaction_version: int = 0, coordinator_supports_epoch_bump: bool = True) -> None:
        if not transactional_id:
            raise IllegalStateError("a transactional producer needs a non-empty transactional_id")
        if not idempotence.transactional:
            raise IllegalStateError("the transaction manager needs an IdempotenceState(transactional=True)")
        self.transactional_id = transactional_id
        self.idempotence = idempotence
        self.transaction_timeout_ms = transaction_timeout_ms
        self.retry_backoff_ms = retry_backoff_ms
        self._advertised_tv = transaction_version
        self.transaction_v2 = False
        self.coordinator_supports_epoch_bump = coordinator_supports_epoch_bump
        self.state = State.UNINITIALIZED
        self.last_error: KafkaError | None = None
        self._queue: list[tuple[int, int, TxnRequest]] = []
        self._order = itertools.count()
        self._in_flight: TxnRequest | None = None
        self._coordinators: dict[CoordinatorType, Node | None] = {
            CoordinatorType.TRANSACTION: None, CoordinatorType.GROUP: None}
        self._new_partitions: set[TopicPartition] = set()
        self._pending_partitions: set[TopicPartition] = set()
        self._partitions: set[TopicPartition] = set()
        self._pending_offsets: dict[TopicPartition, _Offset] = {}
        self._started = False  # something was added, so EndTxn must really be sent
        self._client_bump_required = False
        self._pending: tuple[TxnResult, State, str] | None = None  # Java pendingTransition
        self._reset_to_uninitialized: KafkaError | None = None

    # -- inputs from the I/O layer -------------------------------------------------------
    def set_transaction_version(self, version: int) -> None:
        """The finalized ``transaction.version`` feature (ApiVersions); applied at boundaries."""
        self._advertised_tv = version

    def set_coordinator_supports_epoch_bump(self, supported: bool) -> None:
        """Whether the transaction coordinator speaks InitProducerId v3+ (Java handleCoordinatorReady)."""
        self.coordinator_supports_epoch_bump = supported

    def _refresh_transaction_version(self, on_initialization: bool) -> None:
        was = self.transaction_v2
        self.transaction_v2 = self._advertised_tv >= 2
        if not on_initialization and not was and self.transaction_v2:
            self._client_bump_required = True  # fence the TV1 epoch before the first TV2 transaction

    def produce_version_range(self) -> tuple[int, int]:
        """Produce versions allowed inside transactions: TV1 up to v11, TV2 from v12."""
        return (12, 32767) if self.transaction_v2 else (0, 11)

    # -- queries -----------------------------------------------------------------------------
    @property
    def has_fatal_error(self) -> bool:
        return self.state is State.FATAL_ERROR

    @property
    def has_abortable_error(self) -> bool:
        return self.state is State.ABORTABLE_ERROR

    @property
    def has_in_flight(self) -> bool:
        return self._in_flight is not None

    @property
    def is_completing(self) -> bool:
        return self.state in (State.COMMITTING_TRANSACTION, State.ABORTING_TRANSACTION)

    @property
    def has_producer_id(self) -> bool:
        return self.idempotence.has_producer_id

    def coordinator(self, kind: CoordinatorType) -> Node | None:
        return self._coordinators[kind]

    def is_send_allowed(self, tp: TopicPartition) -> bool:
        """May batches for ``tp`` be drained (Java isSendToPartitionAllowed)?"""
        self._absorb_batch_errors()
        return self.state is not State.FATAL_ERROR and tp in self._partitions

    def is_partition_pending_add(self, tp: TopicPartition) -> bool:
        return tp in self._new_partitions or tp in self._pending_partitions

    def has_pending_requests(self) -> bool:
        return bool(self._queue)

    def has_ongoing_transaction(self) -> bool:
        return self.state in (State.IN_TRANSACTION, State.COMMITTING_TRANSACTION,
                              State.ABORTING_TRANSACTION, State.ABORTABLE_ERROR)

    def batches_to_abort(self) -> tuple[str, KafkaError] | None:
        """Batches the sender must fail now: ('all', err) or ('undrained', err)."""
        self._absorb_batch_errors()
        if self.state is State.FATAL_ERROR and self.last_error is not None:
            return ("all", self.last_error)
        if self._reset_to_uninitialized is not None:
            err, self._reset_to_uninitialized = self._reset_to_uninitialized, None
            return ("all", err)
        if self.state is State.ABORTABLE_ERROR and self.last_error is not None:
            return ("undrained", self.last_error)
        if self.state is State.ABORTING_TRANSACTION:
            return ("undrained", TransactionAbortedError("Failing batch since transaction was aborted"))
        return None

    # -- state changes -------------------------------------------------------------------
    def _transition(self, target: State, error: KafkaError | None = None, *, from_sender: bool = False) -> None:
        if target not in TRANSITIONS[self.state]:
            msg = (f"TransactionalId {self.transactional_id}: Invalid transition attempted from state "
                   f"{self.state.value} to state {target.value}")
            if from_sender:
                # Java poisons the manager when the sender finds an illegal move (KAFKA-14831).
                self.state = State.FATAL_ERROR
                self.last_error = IllegalStateError(msg)
                self.idempotence.fail(self.last_error)
            raise IllegalStateError(msg)
        if target in (State.FATAL_ERROR, State.ABORTABLE_ERROR):
            assert error is not None
            self.last_error = error
        else:
            self.last_error = None
        self.state = target
        if target is State.FATAL_ERROR:
            self.idempotence.fail(error)  # type: ignore[arg-type]

    def _fatal(self, error: KafkaError) -> None:
        self._transition(State.FATAL_ERROR, error, from_sender=True)
        if self._pending is not None:
            self._pending[0].fail(error)

    def _abortable(self, error: KafkaError) -> None:
        if self.state is State.ABORTING_TRANSACTION:
            return  # already aborting: nothing more to do (Java transitionToAbortableError)
        if self.state is State.FATAL_ERROR:
            return
        if self.state is State.ABORTABLE_ERROR and self.last_error is not None:
            return  # keep the first cause; Java overwrites it with each later one
        self._transition(State.ABORTABLE_ERROR, error, from_sender=True)

    def _can_handle_abortable(self) -> bool:
        return self.coordinator_supports_epoch_bump or self.transaction_v2

    def _client_must_bump(self) -> bool:
        return self.coordinator_supports_epoch_bump and not self.transaction_v2

    def _abortable_or_fatal(self, error: KafkaError) -> None:
        if self._can_handle_abortable():
            if self._client_must_bump():
                self._client_bump_required = True
            self._abortable(error)
        else:
            self._fatal(error)

    def _absorb_batch_errors(self) -> None:
        """Turn produce-side failures into transaction errors (Java maybeTransitionToErrorState)."""
        for kind, err in self.idempotence.take_errors():
            if self.state is State.FATAL_ERROR:
                continue
            if kind == "fatal":
                self._fatal(err)
            elif kind == "abortable_or_fatal":
                self._abortable_or_fatal(err)
            else:
                if err.retriable or getattr(err, "errno", None) == Code.INVALID_TXN_STATE:
                    wrapped = TransactionAbortableError(
                        f"Transaction Request was aborted after exhausting retries: {err}")
                    wrapped.__cause__ = err
                    err = wrapped
                if self._client_must_bump() and not self.is_completing:
                    self._client_bump_required = True
                self._abortable(err)

    def _fail_if_error(self) -> None:
        if self.state not in (State.ABORTABLE_ERROR, State.FATAL_ERROR):
            return
        err = self.last_error
        if isinstance(err, ProducerFencedError):
            raise ProducerFencedError(
                f"Producer with transactionalId '{self.transactional_id}' has been fenced by another "
                f"producer with the same transactionalId")
        if isinstance(err, IllegalStateError):
            raise IllegalStateError(
                f"Producer with transactionalId '{self.transactional_id}' cannot execute transactional "
                f"method because of previous invalid state transition attempt: {err}")
        raise KafkaError(f"Cannot execute transactional method because we are in an error state: {err!r}")

    def _throw_if_pending(self, operation: str) -> None:
        if self._pending is not None:
            if self._pending[0].acked:
                self._pending = None
            else:
                raise IllegalStateError(
                    f"Cannot attempt operation `{operation}` because the previous call to "
                    f"`{self._pending[2]}` timed out and must be retried")

    def _cached(self, target: State, operation: str) -> TxnResult | None:
        """Java handleCachedTransactionRequestResult: a timed-out call is retried by repeating it."""
        if self._pending is None:
            return None
        result, state, op = self._pending
        if result.acked:
            self._pending = None
            return None
        if state is not target:
            raise IllegalStateError(f"Cannot attempt operation `{operation}` because the previous "
                                    f"call to `{op}` timed out and must be retried")
        return result

    # -- application calls -------------------------------------------------------------------
    def initialize(self, now: float = 0.0) -> TxnResult:
        """initTransactions: fetch the producer id and epoch (fencing older producers)."""
        self._absorb_batch_errors()
        self._fail_if_error()
        cached = self._cached(State.INITIALIZING, "initTransactions")
        if cached is not None:
            return cached
        self._transition(State.INITIALIZING)
        self._refresh_transaction_version(on_initialization=True)
        result = self._enqueue_init_producer_id(bump=False)
        self._pending = (result, State.INITIALIZING, "initTransactions")
        return result

    def begin(self) -> None:
        """beginTransaction."""
        self._absorb_batch_errors()
        self._throw_if_pending("beginTransaction")
        self._fail_if_error()
        self._transition(State.IN_TRANSACTION)

    def maybe_add_partition(self, tp: TopicPartition) -> None:
        """A record is being sent to ``tp``: make it part of the transaction."""
        self._absorb_batch_errors()
        self._fail_if_error()
        self._throw_if_pending("send")
        if not self.has_producer_id:
            raise IllegalStateError(f"Cannot add partition {tp} to transaction before completing a "
                                    f"call to initTransactions")
        if self.state is not State.IN_TRANSACTION:
            raise IllegalStateError(f"Cannot add partition {tp} to transaction while in state "
                                    f"{self.state.value}")
        if self.transaction_v2:
            self._partitions.add(tp)  # Produce v12+ adds it on the broker
            self._started = True
        elif tp not in self._partitions and not self.is_partition_pending_add(tp):
            self._new_partitions.add(tp)

    def send_offsets(self, offsets: Mapping[TopicPartition, Any], group: GroupMetadata | str) -> TxnResult:
        """sendOffsetsToTransaction: commit consumer offsets as part of the transaction."""
        self._absorb_batch_errors()
        self._throw_if_pending("sendOffsetsToTransaction")
        self._fail_if_error()
        if self.state is not State.IN_TRANSACTION:
            raise IllegalStateError(f"Cannot send offsets if a transaction is not in progress "
                                    f"(currentState= {self.state.value})")
        meta = GroupMetadata(group) if isinstance(group, str) else group
        parsed = {(tp[0], tp[1]): _offset_of(v) for tp, v in offsets.items()}
        if self.transaction_v2:
            result = TxnResult("TxnOffsetCommit")
            self._enqueue(self._offset_commit_request(result, parsed, meta))
            self._started = True
        else:
            result = TxnResult("AddOffsetsToTxn")
            pid, epoch = self._pid_epoch()
            self._enqueue(TxnRequest(
                "AddOffsetsToTxn", _aot.API_KEY, _ADD_PARTITIONS_OR_OFFSETS, result,
                CoordinatorType.TRANSACTION, self.transactional_id,
                transactional_id=self.transactional_id, producer_id=pid, producer_epoch=epoch,
                group_id=meta.group_id, offsets=parsed, group=meta))
        return result

    def begin_commit(self) -> TxnResult:
        """commitTransaction: flush (the sender waits for batches), then EndTxn(commit)."""
        self._absorb_batch_errors()
        cached = self._cached(State.COMMITTING_TRANSACTION, "commitTransaction")
        if cached is not None:
            return cached
        self._fail_if_error()
        self._transition(State.COMMITTING_TRANSACTION)
        result = self._complete_transaction(committed=True)
        self._pending = (result, State.COMMITTING_TRANSACTION, "commitTransaction")
        return result

    def begin_abort(self) -> TxnResult:
        """abortTransaction: allowed from ABORTABLE_ERROR too."""
        self._absorb_batch_errors()
        cached = self._cached(State.ABORTING_TRANSACTION, "abortTransaction")
        if cached is not None:
            return cached
        if self.state is not State.ABORTABLE_ERROR:
            self._fail_if_error()
        self._transition(State.ABORTING_TRANSACTION)
        self._new_partitions.clear()
        result = self._complete_transaction(committed=False)
        self._pending = (result, State.ABORTING_TRANSACTION, "abortTransaction")
        return result

    def close(self) -> None:
        """Forced close: fail every queued request and the pending call."""
        err = KafkaError("The producer closed forcefully")
        for _, _, req in self._queue:
            req.result.fail(err)
        self._queue.clear()
        if self._pending is not None:
            self._pending[0].fail(err)

    # -- building requests ------------------------------------------------------------------
    def _pid_epoch(self) -> tuple[int, int]:
        return self.idempotence.producer_id, self.idempotence.producer_epoch

    def _enqueue(self, req: TxnRequest) -> None:
        heapq.heappush(self._queue, (req.priority, next(self._order), req))

    def _enqueue_init_producer_id(self, bump: bool) -> TxnResult:
        result = TxnResult("InitProducerId")
        pid, epoch = self._pid_epoch() if bump else (-1, -1)
        self._enqueue(TxnRequest(
            "InitProducerId", _ipi.API_KEY, _EPOCH_BUMP if bump else _INIT_PRODUCER_ID, result,
            CoordinatorType.TRANSACTION, self.transactional_id,
            min_version=3 if bump else 0,  # only v3+ carries the current id and epoch
            transactional_id=self.transactional_id, transaction_timeout_ms=self.transaction_timeout_ms,
            producer_id=pid, producer_epoch=epoch, bump=bump))
        return result

    def _complete_transaction(self, committed: bool) -> TxnResult:
        if self._new_partitions:
            self._enqueue(self._add_partitions_request())
        pid, epoch = self._pid_epoch()
        tv2 = self.transaction_v2  # the transaction ends in the protocol it began with
        result = TxnResult(f"EndTxn({committed})")
        self._enqueue(TxnRequest(
            "EndTxn", _end.API_KEY, _END_TXN, result, CoordinatorType.TRANSACTION, self.transactional_id,
            min_version=5 if tv2 else 0, max_version=_end.MAX_VERSION if tv2 else 4,
            transactional_id=self.transactional_id, producer_id=pid, producer_epoch=epoch,
            committed=committed))
        self._refresh_transaction_version(on_initialization=False)
        if self._client_bump_required:
            return self._enqueue_init_producer_id(bump=True)
        return result

    def _add_partitions_request(self) -> TxnRequest:
        self._pending_partitions |= self._new_partitions
        self._new_partitions.clear()
        pid, epoch = self._pid_epoch()
        return TxnRequest(
            "AddPartitionsToTxn", _apt.API_KEY, _ADD_PARTITIONS_OR_OFFSETS, TxnResult("AddPartitionsToTxn"),
            CoordinatorType.TRANSACTION, self.transactional_id, max_version=_apt.FIRST_BROKER_VERSION - 1,
            transactional_id=self.transactional_id, producer_id=pid, producer_epoch=epoch,
            partitions=sorted(self._pending_partitions))

    def _offset_commit_request(self, result: TxnResult, offsets: dict[TopicPartition, _Offset],
                               group: GroupMetadata) -> TxnRequest:
        self._pending_offsets.update(offsets)
        pid, epoch = self._pid_epoch()
        has_group_meta = group.member_id != "" or group.generation_id != -1 or group.group_instance_id is not None
        tv2 = self.transaction_v2
        return TxnRequest(
            "TxnOffsetCommit", _toc.API_KEY, _ADD_PARTITIONS_OR_OFFSETS, result,
            CoordinatorType.GROUP, group.group_id,
            min_version=5 if tv2 else (3 if has_group_meta else 0),
            # v6 names topics by id, which this manager does not know
            max_version=_toc.FIRST_TOPIC_ID_VERSION - 1 if tv2 else 4,
            transactional_id=self.transactional_id, producer_id=pid, producer_epoch=epoch,
            offsets=dict(self._pending_offsets), group=group)

    def _lookup_coordinator(self, kind: CoordinatorType, key: str) -> None:
        self._coordinators[kind] = None
        for _, _, queued in self._queue:
            if queued.kind == "FindCoordinator" and queued.fields["key_type"] == kind.value \
                    and queued.fields["key"] == key:
                return  # one lookup is enough
        self._enqueue(TxnRequest(
            "FindCoordinator", _fc.API_KEY, _FIND_COORDINATOR, TxnResult("FindCoordinator"), None, None,
            min_version=1 if kind is CoordinatorType.TRANSACTION else 0,
            key=key, key_type=kind.value))

    def _reenqueue(self, req: TxnRequest, now: float) -> None:
        req.is_retry = True
        backoff = self.retry_backoff_ms if req.retry_backoff_ms is None else min(
            self.retry_backoff_ms, req.retry_backoff_ms)
        req.not_before = now + backoff
        self._enqueue(req)

    # -- the sender's side ------------------------------------------------------------------------
    def next_request(self, now: float, has_incomplete_batches: bool) -> TxnRequest | None:
        """The request to send now, or None (Java nextRequest). At most one is in flight."""
        self._absorb_batch_errors()
        if self._in_flight is not None:
            return None
        if self._new_partitions and self.state is State.IN_TRANSACTION:
            self._enqueue(self._add_partitions_request())
        while self._queue:
            _, _, head = self._queue[0]
            if head.kind == "EndTxn" and has_incomplete_batches:
                return None  # EndTxn waits until every batch is done
            if head.not_before > now:
                return None
            heapq.heappop(self._queue)
            if self._terminate_if_error(head):
                continue
            if head.kind == "EndTxn" and not self._started:
                # Nothing was added to the transaction: nothing to end on the broker.
                head.result.succeed()
                if self.state is not State.FATAL_ERROR:
                    self._reset_transaction_state()
                continue
            if head.coordinator_type is not None and self._coordinators[head.coordinator_type] is None:
                # Find the coordinator first (its lookup outranks everything else).
                self._enqueue(head)
                self._lookup_coordinator(head.coordinator_type, head.coordinator_key or "")
                continue
            self._in_flight = head
            return head
        return None

    def next_request_delay(self, now: float) -> float | None:
        """Milliseconds until the head request is due; None when nothing is queued."""
        if not self._queue:
            return None
        return max(0.0, self._queue[0][2].not_before - now)

    def _terminate_if_error(self, req: TxnRequest) -> bool:
        if self.state not in (State.ABORTABLE_ERROR, State.FATAL_ERROR):
            return False
        if self.state is State.ABORTABLE_ERROR and req.kind == "FindCoordinator":
            return False  # harmless while waiting for the abort
        req.result.fail(self.last_error or KafkaError("transaction manager in an error state"))
        return True

    def _take(self, req: TxnRequest) -> None:
        if req is not self._in_flight:
            self._fatal(IllegalStateError("Detected more than one in-flight transactional request."))
            raise IllegalStateError(f"{req!r} is not the in-flight transactional request")
        self._in_flight = None

    def handle_disconnect(self, req: TxnRequest, now: float) -> None:
        """The connection carrying ``req`` went away: rediscover if needed, then retry."""
        self._take(req)
        if req.coordinator_type is not None:
            self._lookup_coordinator(req.coordinator_type, req.coordinator_key or "")
        self._reenqueue(req, now)

    def handle_not_sent(self, req: TxnRequest, now: float) -> None:
        """``req`` could not be sent (coordinator unknown or unreachable): retry it later."""
        self._take(req)
        if req.coordinator_type is not None:
            self._lookup_coordinator(req.coordinator_type, req.coordinator_key or "")
        self._reenqueue(req, now)

    def handle_send_error(self, req: TxnRequest, error: KafkaError) -> None:
        """``req`` cannot be sent at all (no common API version): fatal, as in Java."""
        self._take(req)
        req.result.fail(error)
        self._fatal(error)

    def handle_response(self, req: TxnRequest, resp: Any, now: float) -> None:
        """Process the decoded response to ``req`` (Java's TxnRequestHandler.handleResponse)."""
        self._take(req)
        try:
            getattr(self, f"_on_{req.kind}")(req, resp, now)
        except IllegalStateError as exc:
            # A sender-side illegal transition has poisoned the manager; fail the call too.
            req.result.fail(self.last_error or exc)

    # -- response handlers ---------------------------------------------------------------------------
    def _on_FindCoordinator(self, req: TxnRequest, resp: _fc.FindCoordinatorResponse, now: float) -> None:
        kind = CoordinatorType(req.fields["key_type"])
        if (req.version or 0) >= 4:
            if len(resp.coordinators) != 1:
                err = IllegalStateError("Coordinator lookup failed: Invalid response containing more "
                                        "than a single coordinator")
                req.result.fail(err)
                self._fatal(err)
                return
            c = resp.coordinators[0]
            code, node, message = c.error_code, Node(c.node_id, c.host, c.port), c.error_message
        else:
            code, node, message = resp.error_code, Node(resp.node_id, resp.host, resp.port), resp.error_message
        if code == Code.NONE:
            self._coordinators[kind] = node
            req.result.succeed()
        elif is_retriable(code):
            self._reenqueue(req, now)
        elif code == Code.TRANSACTIONAL_ID_AUTHORIZATION_FAILED:
            self._fail_fatal(req, broker_error(code, self.transactional_id))
        elif code == Code.GROUP_AUTHORIZATION_FAILED:
            self._fail_abortable(req, broker_error(code, f"group {req.fields['key']!r}"))
        elif code == Code.TRANSACTION_ABORTABLE:
            self._fail_abortable(req, broker_error(code))
        else:
            self._fail_fatal(req, KafkaError(
                f"Could not find a coordinator with type {kind.name} with key {req.fields['key']} due to "
                f"unexpected error: {message or broker_error(code)}"))

    def _on_InitProducerId(self, req: TxnRequest, resp: _ipi.InitProducerIdResponse, now: float) -> None:
        code = resp.error_code
        if code == Code.NONE:
            self.idempotence.set_producer(resp.producer_id, resp.producer_epoch,
                                          reset_sequences=req.fields["bump"])
            self._transition(State.READY, from_sender=True)
            req.result.succeed()
        elif code in _COORDINATOR_ERRORS:
            self._lookup_coordinator(CoordinatorType.TRANSACTION, self.transactional_id)
            self._reenqueue(req, now)
        elif is_retriable(code):
            self._reenqueue(req, now)
        elif code in (Code.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, Code.CLUSTER_AUTHORIZATION_FAILED):
            # Abortable, then back to UNINITIALIZED so initTransactions can be called again
            # (Java InitProducerIdHandler + Sender.shouldHandleAuthorizationError).
            err = broker_error(code, self.transactional_id)
            self._fail_abortable(req, err)
            if self.state is State.ABORTABLE_ERROR:
                for _, _, queued in self._queue:
                    queued.result.fail(err)
                self._queue.clear()
                self._transition(State.UNINITIALIZED, from_sender=True)
                self._reset_to_uninitialized = err
                if self._pending is not None:
                    self._pending[0].fail(err)
        elif code in _FENCED:
            self._fail_fatal(req, ProducerFencedError(
                "There is a newer producer with the same transactionalId which fences the current one."))
        elif code == Code.TRANSACTION_ABORTABLE:
            self._fail_abortable(req, broker_error(code))
        else:
            self._fail_fatal(req, KafkaError(f"Unexpected error in InitProducerIdResponse; {broker_error(code)}"))

    def _on_AddPartitionsToTxn(self, req: TxnRequest, resp: _apt.AddPartitionsToTxnResponse,
                               now: float) -> None:
        errors: dict[TopicPartition, int] = {}
        for topic in resp.results_by_topic_v3_and_below:
            for p in topic.results_by_partition:
                errors[(topic.name, p.partition_index)] = p.partition_error_code
        partitions = set(req.fields["partitions"])
        for tp in partitions:
            errors.setdefault(tp, Code.NONE)  # Java reads only what the response lists
        has_partition_errors = False
        unauthorized: set[str] = set()
        req.retry_backoff_ms = None
        for tp, code in sorted(errors.items()):
            if code == Code.NONE:
                continue
            if code in _COORDINATOR_ERRORS:
                self._lookup_coordinator(CoordinatorType.TRANSACTION, self.transactional_id)
                self._reenqueue(req, now)
                return
            if code == Code.CONCURRENT_TRANSACTIONS:
                if not self._partitions:  # the previous transaction is still completing
                    req.retry_backoff_ms = _ADD_PARTITIONS_RETRY_BACKOFF_MS
                self._reenqueue(req, now)
                return
            if is_retriable(code):
                self._reenqueue(req, now)
                return
            if code in _FENCED:
                self._fail_fatal(req, ProducerFencedError(
                    "There is a newer producer with the same transactionalId which fences the current one."))
                return
            if code in _INVALID_STATE_FATAL:
                self._fail_fatal(req, broker_error(code))
                return
            if code == Code.TOPIC_AUTHORIZATION_FAILED:
                unauthorized.add(tp[0])
            elif code == Code.UNKNOWN_PRODUCER_ID:
                self._fail_abortable_if_possible(req, broker_error(code))
                return
            elif code == Code.TRANSACTION_ABORTABLE:
                self._fail_abortable(req, broker_error(code))
                return
            else:  # OPERATION_NOT_ATTEMPTED and anything unexpected
                has_partition_errors = True
        # Whatever happened, these are no longer pending: in an error state the batches are
        # aborted anyway, and retried batches of the added partitions must still be sendable.
        self._pending_partitions -= set(errors)
        if unauthorized:
            self._fail_abortable(req, broker_error(Code.TOPIC_AUTHORIZATION_FAILED,
                                                   f"topics {sorted(unauthorized)}"))
        elif has_partition_errors:
            self._fail_abortable(req, KafkaError(
                f"Could not add partitions to transaction due to errors: {errors}"))
        else:
            self._partitions |= set(errors)
            self._started = True
            req.result.succeed()

    def _on_AddOffsetsToTxn(self, req: TxnRequest, resp: _aot.AddOffsetsToTxnResponse, now: float) -> None:
        code = resp.error_code
        if code == Code.NONE:
            # The call completes only when TxnOffsetCommit does.
            self._enqueue(self._offset_commit_request(req.result, req.fields["offsets"], req.fields["group"]))
            self._started = True
        elif code in _COORDINATOR_ERRORS:
            self._lookup_coordinator(CoordinatorType.TRANSACTION, self.transactional_id)
            self._reenqueue(req, now)
        elif is_retriable(code):
            self._reenqueue(req, now)
        elif code == Code.UNKNOWN_PRODUCER_ID:
            self._fail_abortable_if_possible(req, broker_error(code))
        elif code in _FENCED:
            self._fail_fatal(req, ProducerFencedError(
                "There is a newer producer with the same transactionalId which fences the current one."))
        elif code in _INVALID_STATE_FATAL:
            self._fail_fatal(req, broker_error(code))
        elif code == Code.GROUP_AUTHORIZATION_FAILED:
            self._fail_abortable(req, broker_error(code, f"group {req.fields['group_id']!r}"))
        elif code == Code.TRANSACTION_ABORTABLE:
            self._fail_abortable(req, broker_error(code))
        else:
            self._fail_fatal(req, KafkaError(f"Unexpected error in AddOffsetsToTxnResponse: {broker_error(code)}"))

    def _on_TxnOffsetCommit(self, req: TxnRequest, resp: _toc.TxnOffsetCommitResponse, now: float) -> None:
        group: GroupMetadata = req.fields["group"]
        reloaded = False
        for topic in resp.topics:
            for p in topic.partitions:
                tp = (topic.name, p.partition_index)
                code = p.error_code
                if code == Code.NONE:
                    self._pending_offsets.pop(tp, None)
                elif code in (*_COORDINATOR_ERRORS, Code.REQUEST_TIMED_OUT):
                    if not reloaded:
                        reloaded = True
                        self._lookup_coordinator(CoordinatorType.GROUP, group.group_id)
                elif is_retriable(code):
                    continue  # retried with the same coordinator
                elif code == Code.GROUP_AUTHORIZATION_FAILED:
                    self._fail_abortable(req, broker_error(code, f"group {group.group_id!r}"))
                    break
                elif code in (Code.FENCED_INSTANCE_ID, Code.TRANSACTION_ABORTABLE):
                    self._fail_abortable(req, broker_error(code))
                    break
                elif code in (Code.UNKNOWN_MEMBER_ID, Code.ILLEGAL_GENERATION):
                    self._fail_abortable(req, KafkaError(
                        f"CommitFailedError: Transaction offset Commit failed due to consumer group "
                        f"metadata mismatch: {broker_error(code)}"))
                    break
                elif code in _FENCED:
                    self._fail_fatal(req, ProducerFencedError(
                        "There is a newer producer with the same transactionalId which fences the current one."))
                    break
                elif code in (Code.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, Code.UNSUPPORTED_FOR_MESSAGE_FORMAT):
                    self._fail_fatal(req, broker_error(code))
                    break
                else:
                    self._fail_fatal(req, KafkaError(
                        f"Unexpected error in TxnOffsetCommitResponse: {broker_error(code)}"))
                    break
            else:
                continue
            break
        if req.result.done:
            self._pending_offsets.clear()
        elif not self._pending_offsets:
            req.result.succeed()
        else:
            retry = self._offset_commit_request(req.result, {}, group)
            self._reenqueue(retry, now)

    def _on_EndTxn(self, req: TxnRequest, resp: _end.EndTxnResponse, now: float) -> None:
        code = resp.error_code
        is_abort = not req.fields["committed"]
        if code == Code.NONE:
            if resp.producer_id != -1:
                # EndTxn v5 (TV2): the coordinator bumped the epoch (or handed out a new id).
                self.idempotence.set_producer(resp.producer_id, resp.producer_epoch, reset_sequences=True)
            self._reset_transaction_state()
            req.result.succeed()
        elif code in _COORDINATOR_ERRORS:
            self._lookup_coordinator(CoordinatorType.TRANSACTION, self.transactional_id)
            self._reenqueue(req, now)
        elif is_retriable(code):
            self._reenqueue(req, now)
        elif code in _FENCED:
            self._fail_fatal(req, ProducerFencedError(
                "There is a newer producer with the same transactionalId which fences the current one."))
        elif code in _INVALID_STATE_FATAL:
            self._fail_fatal(req, broker_error(code))
        elif code == Code.UNKNOWN_PRODUCER_ID:
            self._fail_abortable_if_possible(req, broker_error(code))
        elif is_abort and code == Code.TRANSACTION_ABORTABLE:
            # An abort that itself meets an abortable error would loop: fatal (Java EndTxnHandler).
            err = KafkaError(f"Failed to abort transaction: {broker_error(code)}")
            self._fail_fatal(req, err)
        elif code == Code.TRANSACTION_ABORTABLE:
            self._fail_abortable(req, broker_error(code))
        else:
            self._fail_fatal(req, KafkaError(f"Unhandled error in EndTxnResponse: {broker_error(code)}"))

    # -- outcomes -----------------------------------------------------------------------------------
    def _fail_fatal(self, req: TxnRequest, err: KafkaError) -> None:
        req.result.fail(err)
        self._fatal(err)

    def _fail_abortable(self, req: TxnRequest, err: KafkaError) -> None:
        req.result.fail(err)
        self._abortable(err)

    def _fail_abortable_if_possible(self, req: TxnRequest, err: KafkaError) -> None:
        if self._can_handle_abortable():
            if self._client_must_bump():
                self._client_bump_required = True
            self._fail_abortable(req, err)
        else:
            self._fail_fatal(req, err)

    def _reset_transaction_state(self) -> None:
        target = State.INITIALIZING if self._client_bump_required else State.READY
        self._transition(target, from_sender=True)
        self._client_bump_required = False
        self._started = False
        self._new_partitions.clear()
        self._pending_partitions.clear()
        self._partitions.clear()

    # -- introspection for tests and metrics -----------------------------------------------------
    def partitions_in_transaction(self) -> Iterable[TopicPartition]:
        return frozenset(self._partitions)

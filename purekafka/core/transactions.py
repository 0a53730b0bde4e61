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
InitProducerId) and go out one at a time; a request whose coordinator is not
known yet is preceded by its FindCoordinator automatically. The sender, before
producing, does (Java ``Sender.runOnce``; ``core.sender`` with ``core.txn_sender``):

    abort = txn.batches_to_abort()      # (AbortScope, error) or None
        ALL: fail every unfinished batch (fatal error, or back to UNINITIALIZED)
        QUEUED: fail the batches waiting in the accumulator, retries included
                (Java abortUndrainedBatches spares the queued ones that have a
                sequence; failing them too marks their partitions unresolved, so the
                epoch is bumped before the next transaction reuses the sequences)
    req = txn.next_request(now, has_incomplete_batches)
    if req is not None:
        node = txn.coordinator(req.coordinator_type) if req.coordinator_type is not None
               else <least loaded broker>
        if node is the transaction coordinator and ready:
            txn.set_coordinator_supports_epoch_bump(<its InitProducerId version >= 3>)
        if node is not connectable now:  txn.handle_not_sent(req, now)
        elif no version in req.min_version..req.max_version: txn.handle_send_error(req, error)
        else: version = <highest version both sides speak in that range>
              send req.build(version) (to req.api_key's encoder); then
              txn.handle_response(req, decoded_response, now) or txn.handle_disconnect(req, now)
    while txn.has_in_flight: do not send produce data

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
from enum import Enum
from typing import Any, Iterable, Mapping

from purekafka.core.idempotence import BatchErrorKind, IdempotenceState
from purekafka.core.txn_requests import (
    CommittedOffset,
    CoordinatorType,
    GroupMetadata,
    Node,
    RequestKind,
    TxnRequest,
    TxnResult,
    add_offsets_request,
    add_partitions_request,
    end_txn_request,
    find_coordinator_request,
    init_producer_id_request,
    parse_offset,
    txn_offset_commit_request,
)
from purekafka.core.txn_responses import RESPONSE_HANDLERS, CoordinatorResponses
from purekafka.core.txn_states import TRANSITIONS, State
from purekafka.errors import (
    ErrorCode,
    IllegalStateError,
    KafkaError,
    ProducerFencedError,
    TransactionAbortableError,
    TransactionAbortedError,
)

__all__ = [
    "AbortScope",
    "CoordinatorType",
    "GroupMetadata",
    "Node",
    "RequestKind",
    "State",
    "TRANSITIONS",
    "TransactionManager",
    "TxnRequest",
    "TxnResult",
]


class AbortScope(Enum):
    """Which batches the sender fails when the manager says so (``batches_to_abort``)."""

    ALL = "all"  # every unfinished batch, queued or on the wire: fatal, or back to UNINITIALIZED
    QUEUED = "queued"  # the batches waiting in the accumulator; those on the wire run their course


class TransactionManager(CoordinatorResponses):
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
        self._new_partitions: set[tuple[str, int]] = set()
        self._pending_partitions: set[tuple[str, int]] = set()
        self._partitions: set[tuple[str, int]] = set()
        self._pending_offsets: dict[tuple[str, int], CommittedOffset] = {}
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

    def is_send_allowed(self, tp: tuple[str, int]) -> bool:
        """May batches for ``tp`` be drained (Java isSendToPartitionAllowed)?"""
        self._absorb_batch_errors()
        return self.state is not State.FATAL_ERROR and tp in self._partitions

    def is_partition_pending_add(self, tp: tuple[str, int]) -> bool:
        return tp in self._new_partitions or tp in self._pending_partitions

    def has_pending_requests(self) -> bool:
        return bool(self._queue)

    def has_ongoing_transaction(self) -> bool:
        return self.state in (State.IN_TRANSACTION, State.COMMITTING_TRANSACTION,
                              State.ABORTING_TRANSACTION, State.ABORTABLE_ERROR)

    def batches_to_abort(self) -> tuple[AbortScope, KafkaError] | None:
        """Batches the sender must fail now, and with what error (see ``AbortScope``)."""
        self._absorb_batch_errors()
        if self.state is State.FATAL_ERROR and self.last_error is not None:
            return (AbortScope.ALL, self.last_error)
        if self._reset_to_uninitialized is not None:
            err, self._reset_to_uninitialized = self._reset_to_uninitialized, None
            return (AbortScope.ALL, err)
        if self.state is State.ABORTABLE_ERROR and self.last_error is not None:
            return (AbortScope.QUEUED, self.last_error)
        if self.state is State.ABORTING_TRANSACTION:
            return (AbortScope.QUEUED, TransactionAbortedError("Failing batch since transaction was aborted"))
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
            if kind is BatchErrorKind.FATAL:
                self._fatal(err)
            elif kind is BatchErrorKind.ABORTABLE_OR_FATAL:
                self._abortable_or_fatal(err)
            else:
                if err.retriable or getattr(err, "errno", None) == ErrorCode.INVALID_TXN_STATE:
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
        if self.state is not State.UNINITIALIZED:
            # Java's table also lets COMMITTING/ABORTING move to INITIALIZING, for the
            # epoch bump that ends a transaction; the application may not take that path.
            raise IllegalStateError(f"TransactionalId {self.transactional_id}: initTransactions "
                                    f"is only allowed once, not in state {self.state.value}")
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

    def maybe_add_partition(self, tp: tuple[str, int]) -> None:
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

    def send_offsets(self, offsets: Mapping[tuple[str, int], Any], group: GroupMetadata | str) -> TxnResult:
        """sendOffsetsToTransaction: commit consumer offsets as part of the transaction."""
        self._absorb_batch_errors()
        self._throw_if_pending("sendOffsetsToTransaction")
        self._fail_if_error()
        if self.state is not State.IN_TRANSACTION:
            raise IllegalStateError(f"Cannot send offsets if a transaction is not in progress "
                                    f"(currentState= {self.state.value})")
        meta = GroupMetadata(group) if isinstance(group, str) else group
        parsed = {(tp[0], tp[1]): parse_offset(v) for tp, v in offsets.items()}
        if self.transaction_v2:
            result = TxnResult("TxnOffsetCommit")
            self._enqueue(self._offset_commit_request(result, parsed, meta))
            self._started = True
        else:
            result = TxnResult("AddOffsetsToTxn")
            pid, epoch = self._pid_epoch()
            self._enqueue(add_offsets_request(result, self.transactional_id, pid, epoch, parsed, meta))
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
        heapq.heappush(self._queue, (int(req.priority), next(self._order), req))

    def _enqueue_init_producer_id(self, bump: bool) -> TxnResult:
        pid, epoch = self._pid_epoch()
        req = init_producer_id_request(self.transactional_id, self.transaction_timeout_ms, pid, epoch, bump)
        self._enqueue(req)
        return req.result

    def _complete_transaction(self, committed: bool) -> TxnResult:
        if self._new_partitions:
            self._enqueue(self._add_partitions_request())
        pid, epoch = self._pid_epoch()
        # the transaction ends in the protocol it began with
        req = end_txn_request(self.transactional_id, pid, epoch, committed, self.transaction_v2)
        self._enqueue(req)
        result = req.result
        self._refresh_transaction_version(on_initialization=False)
        if self._client_bump_required:
            return self._enqueue_init_producer_id(bump=True)
        return result

    def _add_partitions_request(self) -> TxnRequest:
        self._pending_partitions |= self._new_partitions
        self._new_partitions.clear()
        pid, epoch = self._pid_epoch()
        return add_partitions_request(self.transactional_id, pid, epoch, list(self._pending_partitions))

    def _offset_commit_request(self, result: TxnResult, offsets: dict[tuple[str, int], CommittedOffset],
                               group: GroupMetadata) -> TxnRequest:
        self._pending_offsets.update(offsets)
        pid, epoch = self._pid_epoch()
        return txn_offset_commit_request(result, self.transactional_id, pid, epoch, self._pending_offsets,
                                         group, self.transaction_v2)

    def _lookup_coordinator(self, kind: CoordinatorType, key: str) -> None:
        self._coordinators[kind] = None
        for _, _, queued in self._queue:
            if queued.kind is RequestKind.FIND_COORDINATOR and queued.fields["key_type"] == kind.value \
                    and queued.fields["key"] == key:
                return  # one lookup is enough
        self._enqueue(find_coordinator_request(kind, key))

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
            if head.kind is RequestKind.END_TXN and has_incomplete_batches:
                return None  # EndTxn waits until every batch is done
            if head.not_before > now:
                return None
            heapq.heappop(self._queue)
            if self._terminate_if_error(head):
                continue
            if head.kind is RequestKind.END_TXN and not self._started:
                # Nothing was added to the transaction: nothing to end on the broker.
                if self.state is State.FATAL_ERROR:
                    head.result.succeed()
                else:
                    self._transaction_ended(head.result)
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
        if self.state is State.ABORTABLE_ERROR and req.kind is RequestKind.FIND_COORDINATOR:
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
            RESPONSE_HANDLERS[req.kind](self, req, resp, now)
        except IllegalStateError as exc:
            # A sender-side illegal transition has poisoned the manager; fail the call too.
            req.result.fail(self.last_error or exc)

    def _transaction_ended(self, result: TxnResult) -> None:
        """EndTxn succeeded (or was not needed): READY, or INITIALIZING for an epoch bump."""
        if (self.idempotence.sequences_uncertain and self._client_must_bump()
                and not self.transaction_v2):
            # TV1 keeps epoch and sequences across transactions. A batch of this one ended
            # without a known outcome, so a partition's sequence may have a gap the next
            # transaction would trip over: bump the epoch first (Java does not, and the
            # next transaction fails with OUT_OF_ORDER_SEQUENCE_NUMBER).
            self._client_bump_required = True
        queued = any(q.kind is RequestKind.INIT_PRODUCER_ID and q.fields["bump"] for _, _, q in self._queue)
        if self._client_bump_required and not queued:
            # The need arose while completing (Java would sit in INITIALIZING with nothing
            # queued): the bump finishes the caller's call.
            pid, epoch = self._pid_epoch()
            bump = init_producer_id_request(self.transactional_id, self.transaction_timeout_ms, pid, epoch, True)
            bump.result = result
            self._enqueue(bump)
            self._reset_transaction_state()
            return
        self._reset_transaction_state()
        result.succeed()

    def _reset_transaction_state(self) -> None:
        target = State.INITIALIZING if self._client_bump_required else State.READY
        self._transition(target, from_sender=True)
        self._client_bump_required = False
        self._started = False
        self._new_partitions.clear()
        self._pending_partitions.clear()
        self._partitions.clear()

    # -- introspection for tests and metrics -----------------------------------------------------
    def partitions_in_transaction(self) -> Iterable[tuple[str, int]]:
        return frozenset(self._partitions)

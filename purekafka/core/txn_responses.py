"""How each coordinator answer moves a transaction (Java's TxnRequestHandler subclasses).

``CoordinatorResponses`` is mixed into ``TransactionManager``: one ``_on_<Kind>``
method per request kind (``RESPONSE_HANDLERS`` maps each ``RequestKind`` to its
own), each a transcription of the matching Java 4.x handler's rules (which codes
retry, rediscover the coordinator, abort or fence), plus the three ways a request
can end in failure. The state primitives it calls
(``_transition``, ``_fatal``, ``_abortable``, ``_reenqueue``, ...) live in the manager.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from purekafka.core.idempotence import IdempotenceState
from purekafka.core.sequences import broker_error, is_retriable
from purekafka.core.txn_requests import (
    CommittedOffset,
    CoordinatorType,
    GroupMetadata,
    Node,
    RequestKind,
    TxnRequest,
    TxnResult,
)
from purekafka.core.txn_states import State
from purekafka.errors import ErrorCode, IllegalStateError, KafkaError, ProducerFencedError
from purekafka.protocol import add_offsets_to_txn as _aot
from purekafka.protocol import add_partitions_to_txn as _apt
from purekafka.protocol import end_txn as _end
from purekafka.protocol import find_coordinator as _fc
from purekafka.protocol import init_producer_id as _ipi
from purekafka.protocol import txn_offset_commit as _toc

__all__ = ["RESPONSE_HANDLERS", "CoordinatorResponses", "ResponseHandler"]


_ADD_PARTITIONS_RETRY_BACKOFF_MS = 20.0  # first AddPartitions meeting CONCURRENT_TRANSACTIONS
_COORDINATOR_ERRORS = (ErrorCode.NOT_COORDINATOR, ErrorCode.COORDINATOR_NOT_AVAILABLE)
_FENCED = (ErrorCode.INVALID_PRODUCER_EPOCH, ErrorCode.PRODUCER_FENCED)
_INVALID_STATE_FATAL = (ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, ErrorCode.INVALID_TXN_STATE,
                        ErrorCode.INVALID_PRODUCER_ID_MAPPING)




class CoordinatorResponses:
    """Response handlers; see the module docstring."""

    if TYPE_CHECKING:  # provided by TransactionManager
        transactional_id: str
        idempotence: IdempotenceState
        state: State
        last_error: KafkaError | None
        _queue: list[tuple[int, int, TxnRequest]]
        _coordinators: dict[CoordinatorType, Node | None]
        _partitions: set[tuple[str, int]]
        _pending_partitions: set[tuple[str, int]]
        _pending_offsets: dict[tuple[str, int], CommittedOffset]
        _started: bool
        _client_bump_required: bool
        _pending: tuple[TxnResult, State, str] | None
        _reset_to_uninitialized: KafkaError | None

        def _transition(self, target: State, error: KafkaError | None = None, *,
                        from_sender: bool = False) -> None: ...
        def _fatal(self, error: KafkaError) -> None: ...
        def _abortable(self, error: KafkaError) -> None: ...
        def _can_handle_abortable(self) -> bool: ...
        def _client_must_bump(self) -> bool: ...
        def _lookup_coordinator(self, kind: CoordinatorType, key: str) -> None: ...
        def _reenqueue(self, req: TxnRequest, now: float) -> None: ...
        def _enqueue(self, req: TxnRequest) -> None: ...
        def _reset_transaction_state(self) -> None: ...
        def _transaction_ended(self, result: TxnResult) -> None: ...
        def _offset_commit_request(self, result: TxnResult, offsets: dict[tuple[str, int], CommittedOffset],
                                   group: GroupMetadata) -> TxnRequest: ...

    # -- response handlers ---------------------------------------------------------------------------
    def _common_error(self, req: TxnRequest, code: int, now: float) -> bool:
        """The answers every transaction-coordinator handler shares; True if handled."""
        if code in _COORDINATOR_ERRORS:
            self._lookup_coordinator(CoordinatorType.TRANSACTION, self.transactional_id)
            self._reenqueue(req, now)
        elif is_retriable(code):
            self._reenqueue(req, now)
        elif code in _FENCED:
            # INVALID_PRODUCER_EPOCH from an older coordinator means the same (KIP-588).
            self._fail_fatal(req, ProducerFencedError(
                "There is a newer producer with the same transactionalId which fences the current one."))
        else:
            return False
        return True

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
        if code == ErrorCode.NONE:
            self._coordinators[kind] = node
            req.result.succeed()
        elif is_retriable(code):
            self._reenqueue(req, now)
        elif code == ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED:
            self._fail_fatal(req, broker_error(code, self.transactional_id))
        elif code == ErrorCode.GROUP_AUTHORIZATION_FAILED:
            self._fail_abortable(req, broker_error(code, f"group {req.fields['key']!r}"))
        elif code == ErrorCode.TRANSACTION_ABORTABLE:
            self._fail_abortable(req, broker_error(code))
        else:
            self._fail_fatal(req, KafkaError(
                f"Could not find a coordinator with type {kind.name} with key {req.fields['key']} due to "
                f"unexpected error: {message or broker_error(code)}"))

    def _on_InitProducerId(self, req: TxnRequest, resp: _ipi.InitProducerIdResponse, now: float) -> None:
        code = resp.error_code
        if code == ErrorCode.NONE:
            self.idempotence.set_producer(resp.producer_id, resp.producer_epoch,
                                          reset_sequences=req.fields["bump"])
            self._transition(State.READY, from_sender=True)
            req.result.succeed()
        elif self._common_error(req, code, now):
            pass
        elif code in (ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, ErrorCode.CLUSTER_AUTHORIZATION_FAILED):
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
        elif code == ErrorCode.TRANSACTION_ABORTABLE:
            self._fail_abortable(req, broker_error(code))
        else:
            self._fail_fatal(req, KafkaError(f"Unexpected error in InitProducerIdResponse; {broker_error(code)}"))

    def _on_AddPartitionsToTxn(self, req: TxnRequest, resp: _apt.AddPartitionsToTxnResponse,
                               now: float) -> None:
        errors: dict[tuple[str, int], int] = {}
        for topic in resp.results_by_topic_v3_and_below:
            for p in topic.results_by_partition:
                errors[(topic.name, p.partition_index)] = p.partition_error_code
        # A partition the answer leaves out would stay pending for ever; count it as failed.
        has_partition_errors = not set(req.fields["partitions"]) <= set(errors)
        unauthorized: set[str] = set()
        req.retry_backoff_ms = None
        for tp, code in sorted(errors.items()):
            if code == ErrorCode.NONE:
                continue
            if code == ErrorCode.CONCURRENT_TRANSACTIONS and not self._partitions:
                # the previous transaction is still completing: try again soon
                req.retry_backoff_ms = _ADD_PARTITIONS_RETRY_BACKOFF_MS
            if self._common_error(req, code, now):
                return
            if code in _INVALID_STATE_FATAL:
                self._fail_fatal(req, broker_error(code))
                return
            if code == ErrorCode.TOPIC_AUTHORIZATION_FAILED:
                unauthorized.add(tp[0])
            elif code == ErrorCode.UNKNOWN_PRODUCER_ID:
                self._fail_abortable_if_possible(req, broker_error(code))
                return
            elif code == ErrorCode.TRANSACTION_ABORTABLE:
                self._fail_abortable(req, broker_error(code))
                return
            else:  # OPERATION_NOT_ATTEMPTED and anything unexpected
                has_partition_errors = True
        # Whatever happened, these are no longer pending: in an error state the batches are
        # aborted anyway, and retried batches of the added partitions must still be sendable.
        self._pending_partitions -= set(errors) | set(req.fields["partitions"])
        if unauthorized:
            self._fail_abortable(req, broker_error(ErrorCode.TOPIC_AUTHORIZATION_FAILED,
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
        if code == ErrorCode.NONE:
            # The call completes only when TxnOffsetCommit does.
            self._enqueue(self._offset_commit_request(req.result, req.fields["offsets"], req.fields["group"]))
            self._started = True
        elif self._common_error(req, code, now):
            pass
        elif code == ErrorCode.UNKNOWN_PRODUCER_ID:
            self._fail_abortable_if_possible(req, broker_error(code))
        elif code in _INVALID_STATE_FATAL:
            self._fail_fatal(req, broker_error(code))
        elif code == ErrorCode.GROUP_AUTHORIZATION_FAILED:
            self._fail_abortable(req, broker_error(code, f"group {req.fields['group_id']!r}"))
        elif code == ErrorCode.TRANSACTION_ABORTABLE:
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
                if code == ErrorCode.NONE:
                    self._pending_offsets.pop(tp, None)
                elif code in (*_COORDINATOR_ERRORS, ErrorCode.REQUEST_TIMED_OUT):
                    if not reloaded:
                        reloaded = True
                        self._lookup_coordinator(CoordinatorType.GROUP, group.group_id)
                elif is_retriable(code):
                    continue  # retried with the same coordinator
                elif code == ErrorCode.GROUP_AUTHORIZATION_FAILED:
                    self._fail_abortable(req, broker_error(code, f"group {group.group_id!r}"))
                    break
                elif code in (ErrorCode.FENCED_INSTANCE_ID, ErrorCode.TRANSACTION_ABORTABLE):
                    self._fail_abortable(req, broker_error(code))
                    break
                elif code in (ErrorCode.UNKNOWN_MEMBER_ID, ErrorCode.ILLEGAL_GENERATION):
                    self._fail_abortable(req, KafkaError(
                        f"CommitFailedError: Transaction offset Commit failed due to consumer group "
                        f"metadata mismatch: {broker_error(code)}"))
                    break
                elif code in _FENCED:
                    self._fail_fatal(req, ProducerFencedError(
                        "There is a newer producer with the same transactionalId which fences the current one."))
                    break
                elif code in (ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT):
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
        if code == ErrorCode.NONE:
            if resp.producer_id != -1:
                # EndTxn v5 (TV2): the coordinator bumped the epoch (or handed out a new id).
                self.idempotence.set_producer(resp.producer_id, resp.producer_epoch, reset_sequences=True)
            self._transaction_ended(req.result)
        elif self._common_error(req, code, now):
            pass
        elif code in _INVALID_STATE_FATAL:
            self._fail_fatal(req, broker_error(code))
        elif code == ErrorCode.UNKNOWN_PRODUCER_ID:
            self._fail_abortable_if_possible(req, broker_error(code))
        elif is_abort and code == ErrorCode.TRANSACTION_ABORTABLE:
            # An abort that itself meets an abortable error would loop: fatal (Java EndTxnHandler).
            err = KafkaError(f"Failed to abort transaction: {broker_error(code)}")
            self._fail_fatal(req, err)
        elif code == ErrorCode.TRANSACTION_ABORTABLE:
            self._fail_abortable(req, broker_error(code))
        else:
            self._fail_fatal(req, KafkaError(f"Unhandled error in EndTxnResponse: {broker_error(code)}"))

    # -- outcomes -----------------------------------------------------------------------------------
    def _fail_fatal(self, req: TxnRequest, err: KafkaError) -> None:
        req.result.fail(err)
        self._fatal(err)

    def _fail_abortable(self, req: TxnRequest, err: KafkaError) -> None:
        if req.kind is RequestKind.END_TXN and self.state is State.ABORTING_TRANSACTION:
            # The abort itself failed: retrying it would loop and nothing else leaves
            # ABORTING_TRANSACTION, so it is fatal (Java does this for
            # TRANSACTION_ABORTABLE only, and stays stuck on the others).
            self._fail_fatal(req, KafkaError(f"Failed to abort transaction: {err}"))
            return
        req.result.fail(err)
        self._abortable(err)

    def _fail_abortable_if_possible(self, req: TxnRequest, err: KafkaError) -> None:
        if self._can_handle_abortable():
            if self._client_must_bump():
                self._client_bump_required = True
            self._fail_abortable(req, err)
        else:
            self._fail_fatal(req, err)


ResponseHandler = Callable[[CoordinatorResponses, TxnRequest, Any, float], None]

# request kind -> the handler of its decoded response (Java: one TxnRequestHandler each)
RESPONSE_HANDLERS: dict[RequestKind, ResponseHandler] = {
    RequestKind.FIND_COORDINATOR: CoordinatorResponses._on_FindCoordinator,
    RequestKind.INIT_PRODUCER_ID: CoordinatorResponses._on_InitProducerId,
    RequestKind.ADD_PARTITIONS_TO_TXN: CoordinatorResponses._on_AddPartitionsToTxn,
    RequestKind.ADD_OFFSETS_TO_TXN: CoordinatorResponses._on_AddOffsetsToTxn,
    RequestKind.TXN_OFFSET_COMMIT: CoordinatorResponses._on_TxnOffsetCommit,
    RequestKind.END_TXN: CoordinatorResponses._on_EndTxn,
}

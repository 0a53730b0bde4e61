"""IdempotenceState: Java's sequence rules, one test per rule, and a Hypothesis state machine.

Each unit test names the Java method (Kafka 4.x clients, producer.internals) whose
behaviour it pins. The state machine feeds every order of sends, answers (success
and the relevant error codes), resends, expiries, splits and lost connections, and
checks the invariants after every step.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from purekafka.core.idempotence import (
    EPOCH_MAX,
    INT32_MAX,
    BatchErrorKind,
    IdempotenceState,
    decrement_sequence,
    increment_sequence,
)
from purekafka.errors import ErrorCode, KafkaError, LocalProtocolError
from purekafka.protocol.init_producer_id import InitProducerIdResponse

A = ("a", 0)
B = ("b", 1)


class FakeBatch:
    """The attributes a sender's batch carries; a plain record, not a stand-in for the broker."""

    def __init__(self, tp: tuple[str, int], record_count: int) -> None:
        self.tp = tp
        self.record_count = record_count
        self.producer_id = -1
        self.producer_epoch = -1
        self.base_sequence = -1

    @property
    def stamp(self) -> tuple[int, int, int]:
        return (self.producer_id, self.producer_epoch, self.base_sequence)

    def __repr__(self) -> str:
        return f"FakeBatch({self.tp}, n={self.record_count}, stamp={self.stamp})"


def ready(pid: int = 1000, epoch: int = 0, **kw) -> IdempotenceState:
    s = IdempotenceState(**kw)
    assert s.needs_producer_id(0)
    req = s.init_producer_id_request()
    assert req.transactional_id is None and req.transaction_timeout_ms == INT32_MAX
    assert s.handle_init_producer_id_response(
        InitProducerIdResponse(producer_id=pid, producer_epoch=epoch), 0).action == "ok"
    return s


def send(s: IdempotenceState, tp=A, n: int = 10) -> FakeBatch:
    assert s.can_send(tp)
    b = FakeBatch(tp, n)
    assert s.assign(tp, n, b) is b
    return b


def warm(s: IdempotenceState, *tps) -> None:
    """One record stored on each partition first (sequence 0): the broker then holds state
    for the producer there, so batches may be pipelined (see ``can_send``)."""
    for tp in tps:
        assert s.on_acked(send(s, tp, 1), 0)


# -- sequence arithmetic ---------------------------------------------------------------

def test_increment_sequence_wraps_like_java() -> None:
    # DefaultRecordBatch.incrementSequence; DefaultRecordBatchTest.testIncrementSequence
    assert increment_sequence(5, 5) == 10
    assert increment_sequence(INT32_MAX, 1) == 0
    assert increment_sequence(INT32_MAX - 5, 10) == 4
    # DefaultRecordBatch.decrementSequence is its inverse
    assert decrement_sequence(0, 1) == INT32_MAX
    assert decrement_sequence(4, 10) == INT32_MAX - 5


_SEQ_EDGES = [0, 1, 2**30, INT32_MAX - 1, INT32_MAX]


@pytest.mark.java
@settings(max_examples=3)  # each example is one JVM run over a few hundred pairs
@given(st.lists(st.tuples(st.one_of(st.sampled_from(_SEQ_EDGES), st.integers(0, INT32_MAX)),
                          st.one_of(st.sampled_from([1, 2, 5, INT32_MAX]), st.integers(1, 2**20))),
                min_size=1, max_size=300))
def test_sequence_arithmetic_matches_java(java, pairs) -> None:
    # DefaultRecordBatch.incrementSequence / decrementSequence, run in Kafka's own class
    script = "".join(f"inc {a} {n}\ndec {a} {n}\n" for a, n in pairs)
    out = java.run("ExactlyOnceCrossCheck", input=script.encode()).decode().split()
    ours = [str(f(a, n)) for a, n in pairs for f in (increment_sequence, decrement_sequence)]
    assert out == ours


# -- producer id -------------------------------------------------------------------------

def test_init_producer_id_success_then_no_more_requests() -> None:
    s = IdempotenceState()
    assert s.needs_producer_id(0) and not s.can_send(A)
    s.init_producer_id_request()
    assert not s.needs_producer_id(0)  # one outstanding at a time
    s.handle_init_producer_id_response(InitProducerIdResponse(producer_id=7, producer_epoch=3), 1)
    assert (s.producer_id, s.producer_epoch) == (7, 3)
    assert not s.needs_producer_id(2) and s.can_send(A)


def test_init_producer_id_retriable_error_backs_off() -> None:
    # InitProducerIdHandler.handleResponse: RetriableException -> reenqueue
    s = IdempotenceState(retry_backoff_ms=100)
    s.init_producer_id_request()
    d = s.handle_init_producer_id_response(
        InitProducerIdResponse(error_code=ErrorCode.COORDINATOR_LOAD_IN_PROGRESS), 1000)
    assert d.action == "retry"
    assert not s.needs_producer_id(1050) and s.needs_producer_id(1100)
    s.init_producer_id_request()
    assert s.handle_init_producer_id_disconnect(2000).action == "retry"
    assert not s.needs_producer_id(2000) and s.needs_producer_id(2100)


def test_init_producer_id_authorization_error_aborts_batches_and_retries_later() -> None:
    # InitProducerIdHandler: CLUSTER_AUTHORIZATION_FAILED -> abortable; then
    # Sender.shouldHandleAuthorizationError fails the batches and goes back to UNINITIALIZED.
    s = IdempotenceState()
    s.init_producer_id_request()
    d = s.handle_init_producer_id_response(
        InitProducerIdResponse(error_code=ErrorCode.CLUSTER_AUTHORIZATION_FAILED), 0)
    assert d.action == "abort_batches" and isinstance(d.error, KafkaError)
    assert s.fatal_error is None and s.needs_producer_id(1000)


@pytest.mark.parametrize("code", [ErrorCode.PRODUCER_FENCED, ErrorCode.INVALID_PRODUCER_EPOCH,
                                  ErrorCode.UNSUPPORTED_VERSION, ErrorCode.INVALID_TRANSACTION_TIMEOUT])
def test_init_producer_id_other_errors_are_fatal(code: int) -> None:
    # InitProducerIdHandler: fenced -> fatal ProducerFenced; anything unexpected -> fatal
    s = IdempotenceState()
    s.init_producer_id_request()
    d = s.handle_init_producer_id_response(InitProducerIdResponse(error_code=code), 0)
    assert d.action == "fatal" and s.fatal_error is d.error
    assert not s.needs_producer_id(10**9) and not s.can_send(A)


# -- stamping ----------------------------------------------------------------------------

def test_sequences_are_contiguous_per_partition_and_start_at_zero() -> None:
    # RecordAccumulator.drain: sequenceNumber(tp), then incrementSequenceNumber(tp, recordCount)
    s = ready()
    a1 = send(s, A, 3)
    assert s.on_acked(a1, 0)  # then the broker holds state for us: pipelining is safe
    a2, b1, a3 = send(s, A, 4), send(s, B, 2), send(s, A, 1)
    assert [a1.base_sequence, a2.base_sequence, a3.base_sequence] == [0, 3, 7]
    assert b1.base_sequence == 0 and s.next_sequence(A) == 8
    assert a1.stamp[:2] == (1000, 0)


def test_assign_without_a_batch_returns_an_unpackable_stamp() -> None:
    s = ready()
    stamp = s.assign(A, 5)
    pid, epoch, seq = stamp
    assert (pid, epoch, seq) == (1000, 0, 0)
    assert s.on_acked(stamp, 0)
    assert tuple(s.assign(A, 1)) == (1000, 0, 5)


def test_at_most_five_unfinished_batches_per_partition() -> None:
    # the broker keeps metadata for five batches per producer and partition
    s = ready()
    warm(s, A)
    batches = [send(s, A, 1) for _ in range(5)]
    assert not s.can_send(A) and s.can_send(B)
    with pytest.raises(LocalProtocolError):
        s.assign(A, 1, FakeBatch(A, 1))
    assert s.on_acked(batches[0], 0)
    assert s.can_send(A)


def test_sequence_wraps_after_int32_max() -> None:
    s = ready()
    assert s.on_acked(send(s, A, INT32_MAX), 0)  # sequences 0 .. 2**31-2
    b = send(s, A, 3)
    assert b.base_sequence == INT32_MAX and s.next_sequence(A) == 2


# -- acknowledgements --------------------------------------------------------------------

def test_ack_is_counted_once() -> None:
    s = ready()
    b = send(s, A, 10)
    assert s.on_acked(b, 100) is True
    assert s.last_acked_sequence(A) == 9
    assert s.on_acked(b, 100) is False
    assert s.on_error(b, ErrorCode.NETWORK_EXCEPTION).action == "ignore"


def test_duplicate_sequence_is_success_without_offset() -> None:
    # Sender.completeBatch: DUPLICATE_SEQUENCE_NUMBER -> completeBatch (success)
    s = ready()
    b = send(s, A, 10)
    d = s.on_error(b, ErrorCode.DUPLICATE_SEQUENCE_NUMBER)
    assert d.action == "succeed" and s.last_acked_sequence(A) == 9 and not s.unfinished(A)


def test_retry_goes_out_before_later_batches() -> None:
    # RecordAccumulator.shouldStopDrainBatchesForPartition: a retried batch waits
    # until it is the first in-flight sequence.
    s = ready()
    warm(s, A)
    b1, b2 = send(s, A, 1), send(s, A, 1)
    assert s.on_error(b2, ErrorCode.NOT_LEADER_OR_FOLLOWER).action == "retry"
    assert not s.can_resend(b2)  # b1 is older and unfinished
    assert s.on_error(b1, ErrorCode.NOT_LEADER_OR_FOLLOWER).action == "retry"
    assert s.can_resend(b1) and not s.can_resend(b2)
    assert s.order_key(b1) == 0 and s.order_key(b2) == 1
    s.resend(b1)
    assert not s.can_resend(b2)
    assert s.on_acked(b1, 0)
    assert s.can_resend(b2)
    s.resend(b2)
    assert b2.stamp == (1000, 0, 2)  # a plain retry keeps its stamp


def test_non_retriable_error_fails_batch_and_bumps_epoch() -> None:
    # Sender.failBatch(adjustSequenceNumbers=true) -> handleFailedBatch ->
    # requestIdempotentEpochBumpForPartition (non-transactional)
    s = ready()
    warm(s, A)
    b1, b2 = send(s, A, 2), send(s, A, 3)
    d = s.on_error(b1, ErrorCode.MESSAGE_TOO_LARGE, can_retry=False)
    assert d.action == "fail" and d.bump_requested
    assert s.bump_pending and not s.can_send(A) and s.can_send(B)  # only A waits
    # b2 is still on the wire with its old stamp: the bump waits for it.
    assert s.producer_epoch == 0 and b2.stamp == (1000, 0, 3)
    d2 = s.on_error(b2, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER)
    assert d2.action == "retry"
    assert s.producer_epoch == 1 and b2.stamp == (1000, 1, 0)  # restamped from 0
    assert s.next_sequence(A) == 3 and s.can_resend(b2)


# -- OUT_OF_ORDER_SEQUENCE_NUMBER (TransactionManager.canRetry) ------------------------------

def test_oosn_on_the_next_batch_bumps_epoch_and_restarts_sequences() -> None:
    s = ready()
    warm(s, A)
    b1, b2 = send(s, A, 5), send(s, A, 5)
    d1 = s.on_error(b1, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER)
    assert d1.action == "retry" and d1.bump_requested
    assert s.producer_epoch == 0  # b2 still on the wire
    d2 = s.on_error(b2, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER)
    assert d2.action == "retry"
    assert s.producer_epoch == 1 and s.epoch_bumps == 1
    assert b1.stamp == (1000, 1, 0) and b2.stamp == (1000, 1, 5)
    assert s.can_resend(b1) and not s.can_resend(b2)


def test_oosn_on_a_later_batch_retries_without_bump() -> None:
    s = ready()
    warm(s, A)
    b1, b2 = send(s, A, 5), send(s, A, 5)
    d = s.on_error(b2, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER)
    assert d.action == "retry" and not d.bump_requested and not s.bump_pending
    assert s.on_acked(b1, 0)
    s.resend(b2)
    assert b2.stamp == (1000, 0, 6)


def test_oosn_when_retries_are_exhausted_fails_and_bumps() -> None:
    # handleFailedBatch: OutOfOrderSequenceException && !transactional -> epoch bump
    s = ready()
    b1 = send(s, A, 5)
    d = s.on_error(b1, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, can_retry=False)
    assert d.action == "fail" and d.bump_requested
    assert s.producer_epoch == 1 and s.can_send(A)
    assert send(s, A, 1).stamp == (1000, 1, 0)


# -- UNKNOWN_PRODUCER_ID (TransactionManager.canRetry) ------------------------------------------

def test_unknown_producer_id_without_log_start_offset_just_retries() -> None:
    s = ready()
    b = send(s, A, 5)
    d = s.on_error(b, ErrorCode.UNKNOWN_PRODUCER_ID, log_start_offset=-1)
    assert d.action == "retry" and not s.bump_pending and b.stamp == (1000, 0, 0)


def test_unknown_producer_id_after_retention_bumps_epoch() -> None:
    s = ready()
    b1 = send(s, A, 5)
    assert s.on_acked(b1, 100)  # last acked offset 104
    b2 = send(s, A, 5)
    d = s.on_error(b2, ErrorCode.UNKNOWN_PRODUCER_ID, log_start_offset=200)
    assert d.action == "retry" and d.bump_requested
    assert b2.stamp == (1000, 1, 0)


def test_unknown_producer_id_otherwise_bumps_for_idempotent_producer() -> None:
    s = ready()
    b1 = send(s, A, 5)
    assert s.on_acked(b1, 100)
    b2 = send(s, A, 5)
    d = s.on_error(b2, ErrorCode.UNKNOWN_PRODUCER_ID, log_start_offset=50)
    assert d.action == "retry" and d.bump_requested and b2.stamp == (1000, 1, 0)


# -- fencing and fatal errors (maybeTransitionToErrorState) -------------------------------------

@pytest.mark.parametrize("code", [ErrorCode.PRODUCER_FENCED, ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
                                  ErrorCode.UNSUPPORTED_VERSION, ErrorCode.INVALID_PRODUCER_ID_MAPPING])
def test_fatal_batch_errors_poison_the_producer(code: int) -> None:
    s = ready()
    b1, b2 = send(s, A, 1), send(s, B, 1)
    d = s.on_error(b1, code)
    assert d.action == "fail" and s.fatal_error is d.error
    assert not s.can_send(A) and not s.can_send(B)
    assert s.on_error(b2, ErrorCode.NOT_LEADER_OR_FOLLOWER).error is s.fatal_error


def test_invalid_producer_epoch_fails_batch_and_bumps_for_idempotent_producer() -> None:
    # Not in maybeTransitionToErrorState's fatal list; handleFailedBatch adjusts -> bump
    s = ready()
    b = send(s, A, 1)
    d = s.on_error(b, ErrorCode.INVALID_PRODUCER_EPOCH, can_retry=True)
    assert d.action == "fail" and d.bump_requested and s.fatal_error is None
    assert s.producer_epoch == 1


# -- expiry and unresolved sequences (markSequenceUnresolved / maybeResolveSequences) -------------

def test_expired_batch_resolved_by_a_later_ack() -> None:
    s = ready()
    warm(s, A)
    b1, b2 = send(s, A, 5), send(s, A, 5)
    assert s.on_error(b1, ErrorCode.REQUEST_TIMED_OUT).action == "retry"
    assert s.on_expired(b1) and s.is_unresolved(A)
    assert not s.can_send(A)
    assert s.on_acked(b2, 10)  # b2 (5..9) stored, so b1 was stored too
    assert not s.is_unresolved(A) and not s.bump_pending and s.producer_epoch == 0
    assert send(s, A, 1).base_sequence == 11


def test_expired_batch_with_nothing_after_it_bumps_epoch() -> None:
    s = ready()
    b0 = send(s, A, 2)
    assert s.on_acked(b0, 0)
    b1 = send(s, A, 5)
    assert s.on_error(b1, ErrorCode.REQUEST_TIMED_OUT).action == "retry"
    assert s.on_expired(b1)
    assert s.producer_epoch == 1 and not s.is_unresolved(A)
    assert send(s, A, 1).stamp == (1000, 1, 0)


def test_expired_while_on_the_wire_holds_the_bump_until_answered() -> None:
    s = ready()
    b1 = send(s, A, 5)
    assert s.on_expired(b1)  # its request is still outstanding
    assert s.bump_pending and s.producer_epoch == 0  # waits for b1's answer
    assert not s.can_send(A)
    assert s.on_acked(b1, 0) is False  # the late answer is not a second completion
    assert s.producer_epoch == 1 and s.can_send(A) and s.can_send(B)


def test_refusal_before_append_without_retry_budget_bumps() -> None:
    # NOT_ENOUGH_REPLICAS is checked before the append: nothing stored, a real gap
    s = ready()
    warm(s, A)
    b1, b2 = send(s, A, 5), send(s, A, 5)
    d = s.on_error(b1, ErrorCode.NOT_ENOUGH_REPLICAS, can_retry=False)
    assert d.action == "fail" and d.bump_requested and not s.is_unresolved(A)
    assert s.on_error(b2, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER).action == "retry"
    assert b2.stamp == (1000, 1, 0)


def test_retriable_error_without_retry_budget_marks_unresolved() -> None:
    s = ready()
    warm(s, A)
    b1, b2 = send(s, A, 5), send(s, A, 5)
    d = s.on_error(b1, ErrorCode.REQUEST_TIMED_OUT, can_retry=False)
    assert d.action == "fail" and s.is_unresolved(A)
    # b2 then meets the gap: OOSN on the batch right after the unresolved one bumps
    d2 = s.on_error(b2, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER)
    assert d2.action == "retry" and d2.bump_requested
    assert b2.stamp == (1000, 1, 0)


def test_other_partitions_move_to_the_new_epoch_after_their_batches_finish() -> None:
    # RecordAccumulator.shouldStopDrainBatchesForPartition: stale epoch with in-flight batches
    s = ready()
    a1, b1 = send(s, A, 1), send(s, B, 3)
    s.on_error(a1, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, can_retry=False)
    assert s.producer_epoch == 1
    assert not s.can_send(B)  # b1 still unfinished under epoch 0
    assert s.on_acked(b1, 0)
    nb = send(s, B, 1)
    assert nb.stamp == (1000, 1, 0)  # maybeUpdateProducerIdAndEpoch: restart at 0


def test_epoch_exhausted_fetches_a_new_producer_id() -> None:
    # bumpIdempotentProducerEpoch: epoch == Short.MAX_VALUE -> resetIdempotentProducerId
    s = ready(epoch=EPOCH_MAX)
    b1 = send(s, A, 4)
    d = s.on_error(b1, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER)
    assert d.action == "retry"
    assert not s.has_producer_id and s.needs_producer_id(0) and not s.can_resend(b1)
    s.init_producer_id_request()
    s.handle_init_producer_id_response(InitProducerIdResponse(producer_id=2000, producer_epoch=0), 0)
    assert b1.stamp == (2000, 0, 0) and s.can_resend(b1)


def test_split_batches_take_over_the_sequence_range() -> None:
    # RecordAccumulator.splitAndReenqueue: split batches keep the big batch's sequences
    s = ready()
    warm(s, A)
    big, after = send(s, A, 10), send(s, A, 2)
    parts = [FakeBatch(A, 4), FakeBatch(A, 6)]
    s.on_split(big, parts)
    assert [p.stamp for p in parts] == [(1000, 0, 1), (1000, 0, 5)]
    assert s.unfinished(A) == [parts[0], parts[1], after]
    assert s.can_resend(parts[0]) and not s.can_resend(parts[1])


# -- transactional mode ----------------------------------------------------------------------------

def test_transactional_oosn_on_next_batch_is_an_abortable_error() -> None:
    s = IdempotenceState(transactional=True)
    assert not s.needs_producer_id(0)
    s.set_producer(5, 0, reset_sequences=True)
    b = send(s, A, 3)
    d = s.on_error(b, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER)
    assert d.action == "fail" and not s.bump_pending
    kinds = [k for k, _ in s.take_errors()]
    assert kinds == [BatchErrorKind.ABORTABLE]


def test_transactional_rejected_batch_shifts_later_sequences_down() -> None:
    # TxnPartitionEntry.adjustSequencesDueToFailedBatch
    s = IdempotenceState(transactional=True)
    s.set_producer(5, 0, reset_sequences=True)
    warm(s, A)
    b1, b2 = send(s, A, 3), send(s, A, 4)
    assert s.on_error(b2, ErrorCode.NOT_LEADER_OR_FOLLOWER).action == "retry"
    d = s.on_error(b1, ErrorCode.INVALID_RECORD, can_retry=False)
    assert d.action == "fail"
    assert b2.stamp == (5, 0, 1) and s.next_sequence(A) == 5


def test_transactional_unknown_producer_id_after_retention_restarts_at_zero() -> None:
    s = IdempotenceState(transactional=True)
    s.set_producer(5, 0, reset_sequences=True)
    b1 = send(s, A, 3)
    s.on_acked(b1, 10)
    b2 = send(s, A, 3)
    d = s.on_error(b2, ErrorCode.UNKNOWN_PRODUCER_ID, log_start_offset=100)
    assert d.action == "retry" and b2.stamp == (5, 0, 0) and s.producer_epoch == 0


# -- the state machine -------------------------------------------------------------------------------

TPS = [("t", 0), ("t", 1), ("u", 0)]
ERROR_CODES = [
    ErrorCode.NOT_LEADER_OR_FOLLOWER, ErrorCode.REQUEST_TIMED_OUT, ErrorCode.NETWORK_EXCEPTION,
    ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, ErrorCode.DUPLICATE_SEQUENCE_NUMBER, ErrorCode.UNKNOWN_PRODUCER_ID,
    ErrorCode.INVALID_PRODUCER_EPOCH, ErrorCode.MESSAGE_TOO_LARGE, ErrorCode.INVALID_RECORD,
    ErrorCode.NOT_ENOUGH_REPLICAS, ErrorCode.TOPIC_AUTHORIZATION_FAILED, ErrorCode.PRODUCER_FENCED,
    ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
]
INIT_CODES = [0, 0, 0, ErrorCode.COORDINATOR_NOT_AVAILABLE, ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
              ErrorCode.PRODUCER_FENCED]


@dataclass
class Sent:
    batch: FakeBatch
    stamp: tuple[int, int, int]  # what the request carried


@dataclass
class Model:
    on_wire: list[Sent] = field(default_factory=list)
    waiting: list[FakeBatch] = field(default_factory=list)  # retry queue
    # batches given a final outcome, kept alive so their id() is never reused
    completed: dict[int, FakeBatch] = field(default_factory=dict)


class IdempotenceMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.transactional = False
        self.s = IdempotenceState()
        self.m = Model()
        self.fatal: KafkaError | None = None
        self.next_pid = 100
        # every stamp range issued, per (tp, pid, epoch): list of (start, count)
        self.issued: dict[tuple, list[tuple[int, int]]] = {}
        self.init_out = False
        self.seen_stamp: dict[int, tuple[int, int, int]] = {}
        self.splits = 0

    # -- helpers --
    def _issue(self, b: FakeBatch) -> None:
        key = (b.tp, b.producer_id, b.producer_epoch)
        ranges = self.issued.setdefault(key, [])
        starts_ok = b.base_sequence == 0 or any(
            increment_sequence(s0, n) == b.base_sequence for s0, n in ranges) or any(
            s0 == b.base_sequence for s0, n in ranges)
        assert starts_ok, f"stamp {b.stamp} on {b.tp} leaves a gap after {ranges}"
        ranges.append((b.base_sequence, b.record_count))

    def _finish(self, b: FakeBatch) -> None:
        assert id(b) not in self.m.completed, f"{b} given a final outcome twice"
        self.m.completed[id(b)] = b
        self.m.waiting = [w for w in self.m.waiting if w is not b]

    # -- rules --
    @precondition(lambda self: self.s.needs_producer_id(None) and not self.init_out)
    @rule()
    def init_request(self) -> None:
        self.s.init_producer_id_request()
        self.init_out = True

    @precondition(lambda self: self.init_out)
    @rule(code=st.sampled_from(INIT_CODES), epoch=st.sampled_from([0, 5, EPOCH_MAX - 1, EPOCH_MAX]),
          disconnect=st.booleans())
    def init_response(self, code: int, epoch: int, disconnect: bool) -> None:
        self.init_out = False
        if disconnect:
            assert self.s.handle_init_producer_id_disconnect(0).action == "retry"
            return
        self.next_pid += 1
        d = self.s.handle_init_producer_id_response(
            InitProducerIdResponse(error_code=code, producer_id=self.next_pid, producer_epoch=epoch), 0)
        if code == 0:
            assert d.action == "ok" and self.s.producer_id == self.next_pid
        elif code == ErrorCode.PRODUCER_FENCED:
            assert d.action == "fatal"
        elif code == ErrorCode.CLUSTER_AUTHORIZATION_FAILED:
            assert d.action == "abort_batches"
        else:
            assert d.action == "retry"

    @rule(tp=st.sampled_from(TPS), n=st.integers(1, 4))
    def send_new(self, tp, n) -> None:
        if not self.s.can_send(tp):
            return
        b = FakeBatch(tp, n)
        self.s.assign(tp, n, b)
        outstanding = {id(x.batch) for x in self.m.on_wire if x.batch.tp == tp}
        outstanding |= {id(x) for x in self.s.unfinished(tp)}
        assert len(outstanding) <= 5  # the broker's five-batch window
        self.m.on_wire.append(Sent(b, b.stamp))

    @rule(i=st.integers(0, 20))
    def resend(self, i) -> None:
        if not self.m.waiting:
            return
        b = self.m.waiting[i % len(self.m.waiting)]
        if not self.s.can_resend(b):
            return
        self.s.resend(b)
        self.m.waiting.remove(b)
        self.m.on_wire.append(Sent(b, b.stamp))

    def _take_wire(self, i: int) -> Sent:
        sent = self.m.on_wire.pop(i % len(self.m.on_wire))
        if id(sent.batch) not in self.m.completed:
            # never restamped while its request was outstanding
            assert sent.batch.stamp == sent.stamp, f"{sent.batch} restamped on the wire"
        return sent

    @precondition(lambda self: self.m.on_wire)
    @rule(i=st.integers(0, 20), offset=st.integers(0, 1000))
    def ack(self, i, offset) -> None:
        sent = self._take_wire(i)
        was_done = id(sent.batch) in self.m.completed
        fresh = self.s.on_acked(sent.batch, offset)
        assert fresh == (not was_done)
        if fresh:
            self._finish(sent.batch)

    @precondition(lambda self: self.m.on_wire)
    @rule(i=st.integers(0, 20), code=st.sampled_from(ERROR_CODES), can_retry=st.booleans(),
          lso=st.sampled_from([-1, 0, 500, 5000]))
    def error(self, i, code, can_retry, lso) -> None:
        sent = self._take_wire(i)
        was_done = id(sent.batch) in self.m.completed
        d = self.s.on_error(sent.batch, code, can_retry=can_retry, log_start_offset=lso)
        if was_done:
            assert d.action == "ignore"
            return
        assert d.action != "ignore"
        if d.action == "retry":
            assert can_retry
            self.m.waiting.append(sent.batch)
        else:
            if d.action == "fail":
                assert d.error is not None
            else:
                assert code == ErrorCode.DUPLICATE_SEQUENCE_NUMBER
            self._finish(sent.batch)

    @precondition(lambda self: self.m.on_wire)
    @rule(i=st.integers(0, 20))
    def disconnect(self, i) -> None:
        # a lost connection is NETWORK_EXCEPTION for every batch it carried
        sent = self._take_wire(i)
        was_done = id(sent.batch) in self.m.completed
        d = self.s.on_error(sent.batch, ErrorCode.NETWORK_EXCEPTION, can_retry=True)
        if was_done:
            assert d.action == "ignore"
        elif d.action == "retry":
            self.m.waiting.append(sent.batch)
        else:
            self._finish(sent.batch)

    @rule(i=st.integers(0, 40), from_wire=st.booleans())
    def expire(self, i, from_wire) -> None:
        pool = [s.batch for s in self.m.on_wire] if from_wire else list(self.m.waiting)
        pool = [b for b in pool if id(b) not in self.m.completed]
        if not pool:
            return
        b = pool[i % len(pool)]
        assert self.s.on_expired(b)
        self._finish(b)

    @precondition(lambda self: self.m.on_wire)
    @rule(i=st.integers(0, 20), cut=st.integers(1, 3))
    def split(self, i, cut) -> None:
        j = i % len(self.m.on_wire)
        sent = self.m.on_wire[j]
        b = sent.batch
        if id(b) in self.m.completed or b.record_count < 2:
            return
        self._take_wire(j)
        cut = min(cut, b.record_count - 1)
        parts = [FakeBatch(b.tp, cut), FakeBatch(b.tp, b.record_count - cut)]
        self.s.on_split(b, parts)
        self.splits += 1
        self.m.completed[id(b)] = b  # replaced, never completed itself
        self.m.waiting.extend(parts)

    # -- invariants --
    @invariant()
    def stamps_leave_no_gap(self) -> None:
        """Every stamp (new or rewritten) starts at 0 or right after one issued before."""
        for tp in TPS:
            for b in self.s.unfinished(tp):
                if self.seen_stamp.get(id(b)) != b.stamp:
                    self.seen_stamp[id(b)] = b.stamp
                    self._issue(b)

    @invariant()
    def fatal_is_never_left(self) -> None:
        if self.fatal is not None:
            assert self.s.fatal_error is self.fatal
            assert not any(self.s.can_send(tp) for tp in TPS)
        self.fatal = self.s.fatal_error

    @invariant()
    def per_partition_window_and_order(self) -> None:
        for tp in TPS:
            unfinished = self.s.unfinished(tp)
            assert len(unfinished) <= 5 or self.splits  # a split may add batches (as in Java)
            for b in unfinished:
                assert id(b) not in self.m.completed
            # one stamp per unfinished batch, no overlaps, increasing in queue order
            if unfinished and not self.s.bump_pending and not self.s.is_unresolved(tp) \
                    and self.s.has_producer_id and self.s.fatal_error is None:
                first = unfinished[0]
                stamps = {(b.producer_id, b.producer_epoch) for b in unfinished}
                assert len(stamps) == 1
                end = first.base_sequence
                for b in unfinished:
                    # answers in any order may finish a middle batch, so gaps are allowed,
                    # overlaps and reordering are not
                    assert b.base_sequence == end or _after(b.base_sequence, end), f"overlap in {unfinished}"
                    end = increment_sequence(b.base_sequence, b.record_count)
                if stamps == {(self.s.producer_id, self.s.producer_epoch)}:
                    nxt = self.s.next_sequence(tp)
                    assert nxt == end or _after(nxt, end)

    @invariant()
    def no_deadlock(self) -> None:
        """With nothing on the wire, some unfinished batch can always go out again."""
        s = self.s
        if s.fatal_error is not None or not s.has_producer_id or self.m.on_wire:
            return
        unfinished = [b for tp in TPS for b in s.unfinished(tp)]
        if unfinished:
            assert any(s.can_resend(b) for b in unfinished), f"stuck: {unfinished}"
        else:
            assert not s.bump_pending, "an epoch bump waits for nothing"
            for tp in TPS:
                assert s.can_send(tp), f"{tp} blocked with nothing outstanding"


def _after(a: int, b: int) -> bool:
    return 0 < ((a - b) % 2**31) < 2**30


# Cheap (a few ms per example), so it runs more examples than the profile's default.
_base = settings()
IdempotenceMachine.TestCase.settings = settings(
    _base, stateful_step_count=40, max_examples=max(_base.max_examples, 300))
TestIdempotenceMachine = IdempotenceMachine.TestCase


# -- exactly-once against a model of the broker's de-duplication -------------------------------------
# A small model of Kafka's per-partition producer state (ProducerStateManager: epoch check,
# sequence continuity, the last five batches remembered for duplicates) answers the stamps
# the state hands out, while requests and answers get lost, batches expire and the broker
# rejects some batches outright. Whatever happens, no batch may be written twice, batches
# must be written in the order they were made, and every batch reported stored must be.

class ModelPartition:
    def __init__(self) -> None:
        self.log: list[int] = []  # batch uids, in log order
        self.producers: dict[int, tuple[int, int, list[tuple[int, int, int]]]] = {}  # pid -> epoch, last seq, cache

    def append(self, pid: int, epoch: int, first: int, count: int, uid: int, reject: bool) -> tuple[int, int]:
        last = increment_sequence(first, count - 1)
        entry = self.producers.get(pid)
        if entry is not None:
            cur_epoch, cur_last, cache = entry
            if epoch < cur_epoch:
                return ErrorCode.INVALID_PRODUCER_EPOCH, -1
            if epoch == cur_epoch:
                for f, l_, off in cache:
                    if (f, l_) == (first, last):
                        return ErrorCode.NONE, off  # a duplicate: the original offset
                if first != increment_sequence(cur_last, 1):
                    return ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, -1
            elif first != 0:
                return ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, -1  # a new epoch starts at 0
        # (a producer the partition has no state for may start at any sequence)
        if reject:
            return ErrorCode.INVALID_RECORD, -1  # refused for its content, nothing written
        cache = [] if entry is None or entry[0] != epoch else entry[2]
        offset = len(self.log)
        self.log.append(uid)
        self.producers[pid] = (epoch, last, (cache + [(first, last, offset)])[-5:])
        return ErrorCode.NONE, offset


class Ticket(FakeBatch):
    _uids = iter(range(10**9))

    def __init__(self, tp, n) -> None:
        super().__init__(tp, n)
        self.uid = next(self._uids)


class ExactlyOnceMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.s = IdempotenceState()
        self.s.init_producer_id_request()
        self.s.handle_init_producer_id_response(InitProducerIdResponse(producer_id=7, producer_epoch=0), 0)
        self.broker = {tp: ModelPartition() for tp in TPS[:2]}
        self.wire: list[tuple[Ticket, tuple[int, int, int], bool]] = []  # FIFO: batch, stamp, reject
        self.waiting: list[Ticket] = []
        self.made: dict = {tp: [] for tp in TPS[:2]}  # uids in the order batches were made
        self.stored: set[int] = set()  # uids reported stored to the user
        self.failed_for_sure: set[int] = set()  # uids refused by the broker and reported failed

    @initialize(near_wrap=st.booleans())
    def start(self, near_wrap) -> None:
        """Sometimes start a few sequences short of 2**31-1, so that they wrap to 0."""
        if near_wrap:
            for tp in self.broker:
                self.make(TPS.index(tp), INT32_MAX - 3)
                self.deliver("ok", True)
                assert self.s.next_sequence(tp) == INT32_MAX - 3

    @rule(p=st.integers(0, 1), n=st.integers(1, 3))
    def make(self, p, n) -> None:
        tp = TPS[p]
        if self.s.can_send(tp):
            b = Ticket(tp, n)
            self.s.assign(tp, n, b)
            self.made[tp].append(b.uid)
            self.wire.append((b, b.stamp, False))

    @rule(i=st.integers(0, 20))
    def resend(self, i) -> None:
        if self.waiting:
            b = self.waiting[i % len(self.waiting)]
            if self.s.can_resend(b):
                self.s.resend(b)
                self.waiting.remove(b)
                self.wire.append((b, b.stamp, False))

    def _outcome(self, b: Ticket, code: int, offset: int, retry_budget: bool) -> None:
        if code == ErrorCode.NONE:
            if self.s.on_acked(b, offset):
                self.stored.add(b.uid)
            return
        d = self.s.on_error(b, code, can_retry=retry_budget)
        if d.action == "retry":
            self.waiting.append(b)
        elif d.action == "succeed":
            self.stored.add(b.uid)
        elif d.action == "fail" and code == ErrorCode.INVALID_RECORD:
            self.failed_for_sure.add(b.uid)

    def _break_connection(self, budget: bool) -> None:
        """The connection died: every request still on it is lost unprocessed."""
        lost, self.wire = self.wire, []
        for b, _, _ in lost:
            self._outcome(b, ErrorCode.NETWORK_EXCEPTION, -1, budget)

    @precondition(lambda self: self.wire)
    @rule(fate=st.sampled_from(["ok", "ok", "ok", "ok", "request lost", "answer lost", "timeout",
                                "reject", "not leader", "not ready"]),
          retry_budget=st.sampled_from([True, True, True, False]))
    def deliver(self, fate, retry_budget) -> None:
        b, stamp, _ = self.wire.pop(0)  # one connection: first sent, first processed
        if fate == "request lost":
            self._outcome(b, ErrorCode.NETWORK_EXCEPTION, -1, retry_budget)
            self._break_connection(retry_budget)
            return
        if fate == "not leader":
            # Leadership moved: this broker refuses every request for the partition it still holds.
            self._outcome(b, ErrorCode.NOT_LEADER_OR_FOLLOWER, -1, retry_budget)
            for other in [w for w in self.wire if w[0].tp == b.tp]:
                self.wire.remove(other)
                self._outcome(other[0], ErrorCode.NOT_LEADER_OR_FOLLOWER, -1, retry_budget)
            return
        if fate == "not ready":
            # Refused before the append, this request only: a partition just created, whose
            # leader takes writes a moment later (the requests behind it may be stored).
            self._outcome(b, ErrorCode.NOT_LEADER_OR_FOLLOWER, -1, retry_budget)
            return
        code, offset = self.broker[b.tp].append(*stamp, b.record_count, b.uid, reject=(fate == "reject"))
        if fate == "answer lost":
            self._outcome(b, ErrorCode.NETWORK_EXCEPTION, -1, retry_budget)
            self._break_connection(retry_budget)
            return
        if fate == "timeout" and code == ErrorCode.NONE:
            code, offset = ErrorCode.REQUEST_TIMED_OUT, -1  # stored, but acks=all timed out
        self._outcome(b, code, offset, retry_budget)

    @rule(i=st.integers(0, 20))
    def expire(self, i) -> None:
        if self.waiting:
            b = self.waiting[i % len(self.waiting)]
            if self.s.on_expired(b):
                self.waiting.remove(b)

    @invariant()
    def exactly_once_in_order(self) -> None:
        for tp, part in self.broker.items():
            assert len(part.log) == len(set(part.log)), f"a batch was written twice: {part.log}"
            made = self.made[tp]
            assert part.log == sorted(part.log, key=made.index), f"written out of order: {part.log}"
            assert not (set(part.log) & self.failed_for_sure)
        written = {uid for part in self.broker.values() for uid in part.log}
        assert self.stored <= written, "a batch reported stored is not in the log"

    def teardown(self) -> None:
        self.quiesce()
        event(f"epoch bumps: {min(self.s.epoch_bumps, 3)}{'+' if self.s.epoch_bumps >= 3 else ''}")
        event(f"batches stored: {'0' if not self.stored else '1-9' if len(self.stored) < 10 else '10+'}")

    def quiesce(self) -> None:
        """A quiet network from here on: everything still unfinished must get through."""
        for _ in range(400):
            if self.wire:
                self.deliver("ok", True)
            elif self.waiting:
                progressed = False
                for b in list(self.waiting):
                    if self.s.can_resend(b):
                        self.resend(self.waiting.index(b))
                        progressed = True
                        break
                assert progressed, f"stuck: {self.waiting}"
            else:
                break
            self.exactly_once_in_order()
        assert not self.wire and not self.waiting
        assert all(not self.s.unfinished(tp) for tp in self.broker)


def _replay(steps: str) -> ExactlyOnceMachine:
    """Run a shrunk failing case of the machine, as Hypothesis printed it, checking the
    invariant after every step and the quiet-network end. A step whose precondition does
    not hold now (``deliver`` with nothing on the wire: the fixed code decided otherwise
    earlier) is skipped, as the machine would never take it."""
    m = ExactlyOnceMachine()
    for line in steps.strip().splitlines():
        call = line.strip()
        if not call or (call.startswith("deliver(") and not m.wire):
            continue
        eval(f"m.{call}", {"m": m})  # the machine's own rule methods, nothing else
        m.exactly_once_in_order()
    m.quiesce()
    return m


# Shrunk cases the machine found against the code before the probe/sticky fix (commit
# 241f4c7), each a named regression. "reorder" cases: the probe went to a later batch than
# the oldest, which a broker without state for the producer stored ahead of it.

def test_regression_reorder_issue_case() -> None:
    """The case quoted in issue [green] (seed 73670352999403507337553451722053172692)."""
    _replay("""
        start(near_wrap=False)
        make(n=1, p=1)
        make(n=1, p=0)
        make(n=1, p=0)
        make(n=1, p=0)
        deliver(fate='request lost', retry_budget=True)
        resend(i=1)
        resend(i=1)
        deliver(fate='reject', retry_budget=True)
        resend(i=1)
        deliver(fate='not leader', retry_budget=True)
    """)


def test_regression_reorder_after_reject_ok_not_leader() -> None:
    _replay("""
        start(near_wrap=False)
        make(n=1, p=1)
        make(n=1, p=0)
        make(n=1, p=0)
        make(n=1, p=0)
        deliver(fate='request lost', retry_budget=True)
        resend(i=1)
        deliver(fate='reject', retry_budget=True)
        resend(i=0)
        deliver(fate='ok', retry_budget=True)
        resend(i=0)
        deliver(fate='not leader', retry_budget=True)
    """)


def test_regression_reorder_long_interleaving() -> None:
    _replay("""
        start(near_wrap=False)
        make(n=1, p=1)
        resend(i=0)
        make(n=1, p=0)
        make(n=1, p=0)
        make(n=1, p=1)
        make(n=1, p=0)
        deliver(fate='request lost', retry_budget=True)
        resend(i=1)
        make(n=1, p=0)
        resend(i=2)
        deliver(fate='reject', retry_budget=True)
        resend(i=0)
        resend(i=0)
        resend(i=1)
        deliver(fate='ok', retry_budget=True)
        resend(i=0)
        deliver(fate='not leader', retry_budget=True)
        resend(i=0)
        resend(i=12)
        make(n=1, p=1)
        deliver(fate='not leader', retry_budget=True)
        deliver(fate='ok', retry_budget=False)
        resend(i=12)
        deliver(fate='ok', retry_budget=True)
        resend(i=17)
        deliver(fate='ok', retry_budget=False)
    """)


def test_regression_refusal_before_append_keeps_may_be_stored() -> None:
    """A refusal before the append (NOT_LEADER_OR_FOLLOWER) proves only that that send was
    not stored, not an earlier one whose answer was lost. Before the fix it cleared "may be
    stored", the bump restamped the batch, and a broker that had stored it (one that lost
    its state for the producer takes any sequence) wrote it twice. The same shape, in the
    model, was the machine's "written twice" failure."""
    s = ready()
    warm(s, A)
    b1, b2 = send(s, A, 1), send(s, A, 1)
    assert s.on_error(b1, ErrorCode.INVALID_RECORD).action == "fail"  # refused for sure: a gap
    assert s.on_error(b2, ErrorCode.NETWORK_EXCEPTION).action == "retry"  # may be stored
    s.resend(b2)  # the probe, with its old stamp ...
    assert s.on_error(b2, ErrorCode.NOT_LEADER_OR_FOLLOWER).action == "retry"  # ... refused before the append
    assert s.bump_pending and s.producer_epoch == 0 and b2.stamp == (1000, 0, 2)
    assert s.can_resend(b2)  # probed again, still with its old stamp
    s.resend(b2)
    assert s.on_error(b2, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER).action == "retry"  # absent: now bump
    assert s.producer_epoch == 1 and b2.stamp == (1000, 1, 0)


def test_regression_first_batch_refused_before_append_never_overtaken() -> None:
    """On a partition with nothing of ours acknowledged, the broker may hold no state for us
    and store a batch at any sequence: a second batch pipelined behind a first refused
    before the append (a partition just created) would be stored ahead of it. The model's
    "not ready" fate found it; now one batch goes at a time until the first ack."""
    m = _replay("""
        make(n=1, p=0)
        make(n=1, p=0)
        deliver(fate='not ready', retry_budget=True)
        deliver(fate='ok', retry_budget=True)
    """)
    assert m.broker[TPS[0]].log == sorted(m.broker[TPS[0]].log)
    s = ready()
    b0 = send(s, A, 1)
    assert not s.can_send(A)  # alone until acknowledged
    assert s.on_error(b0, ErrorCode.NOT_LEADER_OR_FOLLOWER).action == "retry"
    assert not s.can_send(A)
    s.resend(b0)
    assert s.on_acked(b0, 0)
    assert s.can_send(A) and send(s, A, 1) and s.can_send(A)  # then pipelined


_eo_base = settings()
ExactlyOnceMachine.TestCase.settings = settings(
    _eo_base, stateful_step_count=60, max_examples=max(_eo_base.max_examples, 300))
TestExactlyOnceMachine = ExactlyOnceMachine.TestCase

"""Idempotent-producer state: producer id, epoch and per-partition sequences.

Theory of operation
-------------------
The broker de-duplicates a producer's writes by ``(producer_id, producer_epoch,
sequence)``: for every partition it expects the next batch's base sequence to be
one past the last sequence it stored, and it remembers the last five batches so
a retried one is recognised. This module keeps the producer's half of that
bargain, as Java's ``TransactionManager``/``TxnPartitionEntry`` do, with no I/O,
clock, thread or callback. Times (``now``) are milliseconds, int or float.

A *batch* here is any object with the attributes ``tp`` (topic, partition),
``record_count``, ``producer_id``, ``producer_epoch`` and ``base_sequence``
(the sender's own batch, or the small ``Stamp`` that ``assign`` makes when none
is given). The state writes the last three when it stamps or restamps a batch,
so they always hold what the next send must carry; the sender re-encodes the
batch header from them (``record.patch_producer_state``) on every send.

This module is the producer-wide half: the producer id and epoch, InitProducerId,
epoch bumps, and what each outcome means. What it keeps per partition (the
stamp and sequences in use, the unfinished batches, requests on the wire) and
per batch is ``core.partition_sequences`` (Java's ``TxnPartitionEntry``).

How the sender uses it (the contract it is coded against):

1. ``needs_producer_id(now)`` -> send ``init_producer_id_request()`` to any
   broker, feed the answer to ``handle_init_producer_id_response(resp, now)``
   (or ``handle_init_producer_id_disconnect(now)``) and act on the
   ``InitDecision``: ``ok``; ``retry`` (after ``retry_backoff_ms``, which the
   state enforces through ``needs_producer_id(now)``); ``abort_batches`` (fail
   every queued batch with ``error``, as Java does for authorization errors,
   then carry on); ``fatal`` (``fatal_error`` is set for good).
2. Draining a partition: a batch never sent goes out only if ``can_send(tp)``
   (False while batches of that partition wait to be retried: they go first;
   and, until a batch of this producer id has been acknowledged there, while
   another is unfinished: the broker may hold no state for us yet),
   and is then stamped by ``assign(tp, record_count, batch)``. A batch that is
   being retried goes out only if ``can_resend(batch)`` (normally it must be
   the oldest unfinished batch of its partition, so a retry never overtakes),
   and is marked sent again with ``resend(batch)``. When the head of a
   partition's queue may not go, stop draining that partition (Java ``break``).
3. A partition's answer: success -> ``on_acked(batch, base_offset)``, which
   returns False when the batch was already finished (do not complete it
   twice). An error code (a lost connection counts as NETWORK_EXCEPTION, 13)
   -> ``on_error(batch, code, can_retry=..., log_start_offset=...)`` where
   ``can_retry`` is the sender's own budget (attempts left, delivery timeout
   not reached); the returned ``Decision.action`` says ``retry`` (put it back
   in its partition in ``order_key`` order), ``succeed``
   (DUPLICATE_SEQUENCE_NUMBER: complete without an offset), ``fail`` (with
   ``Decision.error``) or ``ignore`` (already finished).
4. A batch the sender gives up on without an answer (delivery timeout,
   close, abort) -> ``on_expired(batch)``. If its request is still
   outstanding, report that request's answer or loss later all the same
   (``on_acked``/``on_error`` return False/``ignore``): an epoch bump waits
   for every outstanding request of its partition. Its outcome is unknown, so its
   partition is *unresolved*: no new batch goes out there until the
   unfinished ones settle; if a later one is acked the gap was not real,
   otherwise the epoch is bumped (Java ``maybeResolveSequences``).
5. A batch split after MESSAGE_TOO_LARGE -> ``on_split(batch, parts)``: the
   parts take over its sequence range (Java ``splitAndReenqueue``).

Epoch bumps (KIP-360). A non-transactional producer bumps its epoch *locally*,
as Java's ``bumpIdempotentProducerEpoch`` does: the broker accepts
``epoch + 1`` with sequence 0 from a producer id it knows. A bump is requested
for a partition whose sequences have a gap that no unfinished batch can fill:
OUT_OF_ORDER_SEQUENCE_NUMBER for the next, the oldest unfinished, or the
batch right after a lost one; UNKNOWN_PRODUCER_ID; a batch refused for sure;
or an unresolved partition with nothing left to settle it. The partition
takes no new batch until the bump, and the bump waits until (a) none of its
requests is on the wire, (b) its unfinished batches *before* the gap have
finished under the old epoch, and (c) none of the batches from the gap on may
already be stored. "May be stored" comes from an answer that was lost or
inconclusive, and it sticks: a later refusal before the append
(NOT_LEADER_OR_FOLLOWER, ...) proves only that that send was not stored. While
some batch from the gap on may be stored, the *oldest* unfinished batch (the one
the sender offers: it drains a partition's head) is resent alone with its old
stamp. The broker recognises it (stored), stores it in order (it had no state
for us and takes any sequence: ProducerAppendInfo.checkSequence), or answers
OOSN, which proves that nothing from the gap on is stored: the broker stores a
batch only right after the previous sequence. A stored batch past the gap
cancels the bump. Then the epoch goes up by one and the partition's unfinished
batches are restamped from sequence 0, in order. Other partitions keep their old epoch until their
own unfinished batches are done, then restart at 0 in the new epoch. At epoch
32767 the producer id is dropped instead and a new one is fetched.

Java rewrites the in-flight batches at once, which can write a batch twice
when its earlier copy was stored but its answer lost; conditions (a)-(c) are
what the exactly-once state-machine test (a model of the broker's
de-duplication, with lost requests and answers) checks.

Transactional mode (``transactional=True``) is driven by ``TransactionManager``,
which owns the producer id and epoch (``set_producer``): no local bumps; what
Java turns into an abortable or fatal transaction error is queued for the
manager (``take_errors``, each with its ``BatchErrorKind``). Other deviations
from Java, each for safety: a retriable error that may have been stored, on a
batch that will not be retried, marks the partition unresolved (Java leaves a
silent gap); sequence
comparisons are modulo 2**31 so they survive wrap-around.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Literal

from purekafka.core.partition_sequences import PartitionEntry, SequencedBatch, Stamp, TrackedBatch
from purekafka.core.sequences import (
    EPOCH_MAX,
    FATAL_BATCH_CODES,
    INT32_MAX,
    MAX_IN_FLIGHT_PER_PARTITION,
    NO_OFFSET,
    NO_PRODUCER_EPOCH,
    NO_PRODUCER_ID,
    NO_SEQUENCE,
    broker_error,
    decrement_sequence,
    increment_sequence,
    is_retriable,
    maybe_written,
    seq_after,
)
from purekafka.errors import ErrorCode, KafkaError, KafkaTimeoutError, LocalProtocolError
from purekafka.protocol.init_producer_id import InitProducerIdRequest, InitProducerIdResponse

__all__ = [
    "MAX_IN_FLIGHT_PER_PARTITION",
    "NO_SEQUENCE",
    "BatchErrorKind",
    "Decision",
    "IdempotenceState",
    "InitDecision",
    "SequencedBatch",
    "Stamp",
    "decrement_sequence",
    "increment_sequence",
]

class BatchErrorKind(Enum):
    """What a batch outcome means for the transaction (Java maybeTransitionToErrorState)."""

    ABORTABLE = "abortable"
    ABORTABLE_OR_FATAL = "abortable_or_fatal"  # fatal when the epoch cannot be bumped
    FATAL = "fatal"


@dataclass(frozen=True)
class Decision:
    """What the sender does with a batch after an error response."""

    action: Literal["retry", "succeed", "fail", "ignore"]
    error: KafkaError | None = None
    bump_requested: bool = False  # this error asked for an epoch bump (informational)

    @property
    def retry(self) -> bool:
        return self.action == "retry"


@dataclass(frozen=True)
class InitDecision:
    """What the sender does after an InitProducerId answer."""

    action: Literal["ok", "retry", "abort_batches", "fatal"]
    error: KafkaError | None = None


class IdempotenceState:
    """Producer id, epoch and sequences of one producer (see the module docstring)."""

    def __init__(self, transactional: bool = False, *, retry_backoff_ms: float = 100.0,
                 max_in_flight: int = MAX_IN_FLIGHT_PER_PARTITION) -> None:
        if not 1 <= max_in_flight <= MAX_IN_FLIGHT_PER_PARTITION:
            raise LocalProtocolError(
                f"max_in_flight must be 1..{MAX_IN_FLIGHT_PER_PARTITION}, got {max_in_flight}")
        self.transactional = transactional
        self.retry_backoff_ms = retry_backoff_ms
        self.max_in_flight = max_in_flight
        self.producer_id = NO_PRODUCER_ID
        self.producer_epoch = NO_PRODUCER_EPOCH
        self.fatal_error: KafkaError | None = None
        self._partitions: dict[tuple[str, int], PartitionEntry] = {}
        self._tracked: dict[int, TrackedBatch] = {}
        self._unresolved: dict[tuple[str, int], int] = {}  # tp -> sequence after the lost batch
        # partitions waiting for an epoch bump -> the sequence where their gap starts
        self._bump: dict[tuple[str, int], int] = {}
        self._restart: set[tuple[str, int]] = set()  # transactional: restart at 0, same epoch
        # tp -> the producer id under which the broker acknowledged a batch there
        self._established: dict[tuple[str, int], int] = {}
        self._init_in_flight = False
        self._init_not_before = 0.0
        self._errors: list[tuple[BatchErrorKind, KafkaError]] = []  # for the TransactionManager
        self.epoch_bumps = 0  # count of local bumps, for metrics and tests
        # A batch ended without a known outcome since the last reset: the sequences of
        # its partition may have a gap (the transaction manager bumps the epoch).
        self.sequences_uncertain = False

    # -- producer id -------------------------------------------------------------------
    @property
    def has_producer_id(self) -> bool:
        return self.producer_id >= 0 and self.producer_epoch >= 0

    @property
    def bump_pending(self) -> bool:
        return bool(self._bump)

    def needs_producer_id(self, now: float | None = None) -> bool:
        """True when an idempotent producer should send InitProducerId now."""
        if self.transactional or self.fatal_error is not None or self._init_in_flight:
            return False
        if self.has_producer_id:
            return False
        return now is None or now >= self._init_not_before

    def init_producer_id_request(self, transactional_id: str | None = None,
                                 transaction_timeout_ms: int = INT32_MAX) -> InitProducerIdRequest:
        """The InitProducerId request to send; marks one as outstanding."""
        self._init_in_flight = True
        return InitProducerIdRequest(transactional_id=transactional_id,
                                     transaction_timeout_ms=transaction_timeout_ms)

    def handle_init_producer_id_disconnect(self, now: float) -> InitDecision:
        """The InitProducerId request was lost with its connection: retry."""
        self._init_in_flight = False
        self._init_not_before = now + self.retry_backoff_ms
        return InitDecision("retry")

    def handle_init_producer_id_response(self, resp: InitProducerIdResponse, now: float) -> InitDecision:
        """Adopt the id, or classify the error as Java's InitProducerIdHandler does."""
        self._init_in_flight = False
        code = resp.error_code
        if code == ErrorCode.NONE:
            if resp.producer_id < 0 or resp.producer_epoch < 0:
                return self._fatal(KafkaError(
                    f"InitProducerId returned an invalid producer id {resp.producer_id} "
                    f"/ epoch {resp.producer_epoch}"))
            self.producer_id = resp.producer_id
            self.producer_epoch = resp.producer_epoch
            self._apply_pending_bump_after_new_id()
            return InitDecision("ok")
        err = broker_error(code, "InitProducerId failed")
        if is_retriable(code):
            self._init_not_before = now + self.retry_backoff_ms
            return InitDecision("retry", err)
        if code in (ErrorCode.CLUSTER_AUTHORIZATION_FAILED, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED):
            # Java: abortable, then Sender.shouldHandleAuthorizationError fails the
            # batches and returns to UNINITIALIZED so a later send tries again.
            self._init_not_before = now + self.retry_backoff_ms
            return InitDecision("abort_batches", err)
        return self._fatal(err)

    def _fatal(self, err: KafkaError) -> InitDecision:
        if self.fatal_error is None:
            self.fatal_error = err
        return InitDecision("fatal", self.fatal_error)

    def set_producer(self, producer_id: int, producer_epoch: int, *, reset_sequences: bool) -> None:
        """Adopt a producer id and epoch chosen by the coordinator (transactions)."""
        self.producer_id = producer_id
        self.producer_epoch = producer_epoch
        if reset_sequences:
            self.reset_sequences()

    def reset_sequences(self) -> None:
        """Forget every partition's sequences (Java resetSequenceNumbers)."""
        self.sequences_uncertain = False
        self._partitions.clear()
        self._tracked.clear()
        self._unresolved.clear()
        self._bump.clear()
        self._restart.clear()

    def take_errors(self) -> list[tuple[BatchErrorKind, KafkaError]]:
        """Transaction errors raised by batch outcomes, oldest first (see ``BatchErrorKind``)."""
        out, self._errors = self._errors, []
        return out

    def fail(self, err: KafkaError) -> None:
        """Poison the state (the transaction manager went fatal)."""
        if self.fatal_error is None:
            self.fatal_error = err

    # -- draining ----------------------------------------------------------------------
    def can_send(self, tp: tuple[str, int]) -> bool:
        """May a batch that was never sent go to ``tp`` now (Java shouldStopDrainBatchesForPartition)?"""
        if self.fatal_error is not None or not self.has_producer_id:
            return False
        if tp in self._bump or tp in self._unresolved or tp in self._restart:
            return False
        p = self._partitions.get(tp)
        if p is None:
            return True
        if p.unfinished and not p.runs_under(self.producer_id, self.producer_epoch):
            return False  # a new epoch must not start before the old one's batches finish
        if any(not u.on_wire for u in p.unfinished):
            return False  # batches waiting to be retried go first (Java drains the deque head)
        if (p.unfinished or p.wire) and self._established.get(tp) != self.producer_id:
            # Nothing of this producer id acknowledged here yet: the broker may hold no
            # state for it, and then stores a batch at any sequence. Were the first one
            # refused before the append (a partition not yet writable), a second pipelined
            # behind it would be stored ahead of it. So one at a time until the first ack.
            # (Once it has state, a new epoch must start at sequence 0: bumps are safe.)
            return False
        return len(p.unfinished) + p.ghosts() < self.max_in_flight

    def assign(self, tp: tuple[str, int], record_count: int,
               batch: SequencedBatch | None = None) -> SequencedBatch:
        """Stamp a never-sent batch with producer id, epoch and base sequence; returns it.

        Without ``batch`` a ``Stamp`` is made, which unpacks as
        ``(producer_id, producer_epoch, base_sequence)``.
        """
        if record_count < 1:
            raise LocalProtocolError(f"a batch needs at least one record, got {record_count}")
        if not self.can_send(tp):
            raise LocalProtocolError(f"cannot assign a sequence on {tp[0]}-{tp[1]} now (check can_send)")
        if batch is None:
            batch = Stamp(tp, record_count)
        elif id(batch) in self._tracked:
            raise LocalProtocolError(f"batch {batch!r} already has a sequence; use resend()")
        p = self._partitions.get(tp)
        if p is None or not p.runs_under(self.producer_id, self.producer_epoch):
            # Java maybeUpdateProducerIdAndEpoch: a new id/epoch starts at sequence 0.
            p = self._partitions[tp] = PartitionEntry(self.producer_id, self.producer_epoch)
        batch.producer_id = self.producer_id
        batch.producer_epoch = self.producer_epoch
        batch.base_sequence = p.next_sequence
        p.next_sequence = increment_sequence(p.next_sequence, record_count)
        t = TrackedBatch(batch)
        p.unfinished.append(t)
        p.wire += 1
        self._tracked[id(batch)] = t
        return batch

    def can_resend(self, batch: SequencedBatch) -> bool:
        """May this retried batch go out now? Only the oldest unfinished batch of its partition may."""
        t = self._tracked.get(id(batch))
        if self.fatal_error is not None or t is None or t.done or t.on_wire:
            return False
        tp = batch.tp
        if tp in self._restart or not self.has_producer_id:
            return False
        p = self._partitions[tp]
        if not p.is_oldest(t):
            return False  # the oldest goes first: a retry never overtakes (the sender drains heads)
        gap = self._bump.get(tp)
        if gap is None or seq_after(gap, batch.base_sequence):
            return True  # before a gap: it finishes under the old epoch
        # From the gap on, batches are restamped under the new epoch, unless one may be
        # stored already. Then the oldest is probed alone with its old stamp: the broker
        # recognises it, stores it in order (it had no state for us and takes any
        # sequence), or answers OUT_OF_ORDER_SEQUENCE_NUMBER, which proves nothing from
        # the gap on is stored. Probing a later batch instead could store it ahead of
        # this one, and the sender, which only offers a partition's head, would stall.
        return p.wire == 0 and any(u.maybe_written for u in p.unfinished)

    def resend(self, batch: SequencedBatch) -> None:
        """The retried batch is on the wire again (with its current stamp)."""
        if not self.can_resend(batch):
            raise LocalProtocolError(f"batch {batch!r} may not be resent now (check can_resend)")
        t = self._tracked[id(batch)]
        t.on_wire = True
        self._partitions[batch.tp].wire += 1

    def order_key(self, batch: SequencedBatch) -> int:
        """Position of the batch among its partition's unfinished ones (queue retries in this order)."""
        t = self._tracked.get(id(batch))
        if t is None or t.done:
            return -1
        return self._partitions[batch.tp].unfinished.index(t)

    def unfinished(self, tp: tuple[str, int]) -> list[SequencedBatch]:
        """The partition's stamped, unfinished batches in sequence order."""
        p = self._partitions.get(tp)
        return [] if p is None else [t.batch for t in p.unfinished]

    def next_sequence(self, tp: tuple[str, int]) -> int:
        p = self._partitions.get(tp)
        return 0 if p is None else p.next_sequence

    def last_acked_sequence(self, tp: tuple[str, int]) -> int:
        p = self._partitions.get(tp)
        return NO_SEQUENCE if p is None else p.last_acked_sequence

    def is_unresolved(self, tp: tuple[str, int]) -> bool:
        return tp in self._unresolved

    def has_unfinished(self) -> bool:
        return any(p.unfinished for p in self._partitions.values())

    # -- outcomes ------------------------------------------------------------------------
    def _off_wire(self, batch: SequencedBatch) -> TrackedBatch | None:
        t = self._tracked.get(id(batch))
        if t is None:
            return None
        if t.on_wire:
            t.on_wire = False
            p = self._partitions.get(batch.tp)
            if p is not None and p.wire > 0:
                p.wire -= 1
        return t

    def _finish(self, t: TrackedBatch) -> None:
        t.done = True
        p = self._partitions.get(t.batch.tp)
        if p is not None and t in p.unfinished:
            p.unfinished.remove(t)
        if not t.on_wire:
            self._tracked.pop(id(t.batch), None)

    def _record_ack(self, batch: SequencedBatch, base_offset: int) -> None:
        # Any stored batch of this producer id, an older epoch's too, gives the broker state.
        self._established[batch.tp] = batch.producer_id
        p = self._partitions.get(batch.tp)
        if p is None or not p.runs_under(batch.producer_id, batch.producer_epoch):
            return  # an answer from before a reset or bump says nothing about the current run
        last = increment_sequence(batch.base_sequence, batch.record_count - 1)
        if p.last_acked_sequence == NO_SEQUENCE or seq_after(last, p.last_acked_sequence):
            p.last_acked_sequence = last
        gap = self._bump.get(batch.tp)
        if gap is not None and not seq_after(gap, batch.base_sequence):
            # The broker stored a batch from the gap on: its sequence went on past the
            # gap (it had no state for us, or the gap was not real), so no bump is needed.
            del self._bump[batch.tp]
        if base_offset >= 0:
            p.last_acked_offset = max(p.last_acked_offset, base_offset + batch.record_count - 1)

    def on_acked(self, batch: SequencedBatch, base_offset: int = NO_OFFSET) -> bool:
        """The broker stored the batch. False if it was already finished (do not complete twice)."""
        t = self._off_wire(batch)
        if t is None:
            return False  # forgotten by a reset; Java ignores it too
        self._record_ack(batch, base_offset)
        if t.done:
            self._tracked.pop(id(batch), None)
            self._settle()
            return False
        self._finish(t)
        self._settle()
        return True

    def on_expired(self, batch: SequencedBatch) -> bool:
        """The sender gave up on the batch without an answer. False if already finished."""
        t = self._tracked.get(id(batch))
        if t is None or t.done:
            return False
        self._finish(t)
        self._mark_unresolved(batch)
        if self.transactional:
            self._errors.append((BatchErrorKind.ABORTABLE, KafkaTimeoutError(
                f"batch for {batch.tp[0]}-{batch.tp[1]} expired before it was acknowledged")))
        self._settle()
        return True

    def on_error(self, batch: SequencedBatch, error_code: int, *, can_retry: bool = True,
                 log_start_offset: int = NO_OFFSET, message: str = "") -> Decision:
        """Classify a partition error as Java's TransactionManager.canRetry / handleFailedBatch do."""
        t = self._off_wire(batch)
        if t is None or t.done:
            if t is not None:
                self._tracked.pop(id(batch), None)
            self._settle()
            return Decision("ignore")
        err = broker_error(error_code, message or f"produce to {batch.tp[0]}-{batch.tp[1]} failed")
        # Sticky: a refusal before the append (NOT_LEADER_OR_FOLLOWER, ...) says nothing
        # of an earlier send whose answer was lost. Only a non-retriable answer, which the
        # broker gives for the batch itself whether or not it was sent before, clears it.
        t.maybe_written = maybe_written(error_code) or (t.maybe_written and is_retriable(error_code))
        if self.fatal_error is not None:
            self._finish(t)
            self._settle()
            return Decision("fail", self.fatal_error)
        if error_code in FATAL_BATCH_CODES:
            self.fatal_error = err
            self._errors.append((BatchErrorKind.FATAL, err))
            self._finish(t)
            return Decision("fail", err)
        bumps_before = len(self._bump)
        if can_retry and self._retry_allowed(t, error_code, log_start_offset):
            requested = len(self._bump) > bumps_before or batch.tp in self._bump
            if error_code == ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER:
                self._absent_from_gap(t)
            self._settle()
            return Decision("retry", None, requested)
        if error_code == ErrorCode.DUPLICATE_SEQUENCE_NUMBER:
            # The broker already has it but no longer the offset (Sender.completeBatch).
            self._record_ack(batch, NO_OFFSET)
            self._finish(t)
            self._settle()
            return Decision("succeed")
        if error_code == ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER and not self.transactional:
            # Asked while the batch is still the oldest unfinished one, so that its
            # absence clears the batches behind it.
            requested = self._request_bump(batch.tp, batch.base_sequence)
            self._absent_from_gap(t)
            self._finish(t)
        else:
            self._finish(t)
            if self.transactional:
                self._errors.append((BatchErrorKind.ABORTABLE, err))
            requested = self._close_gap(t, error_code)
        self._settle()
        return Decision("fail", err, requested)

    def _close_gap(self, t: TrackedBatch, error_code: int) -> bool:
        """A finished, failed batch leaves a gap in its partition's sequences: deal with it.

        Returns whether an epoch bump was requested.
        """
        batch = t.batch
        if error_code == ErrorCode.UNKNOWN_PRODUCER_ID:
            if not self.transactional:
                return self._request_bump(batch.tp, batch.base_sequence)
            self._restart.add(batch.tp)
        elif t.maybe_written:
            self._mark_unresolved(batch)  # it may or may not have been written
        elif not self.transactional:
            return self._request_bump(batch.tp, batch.base_sequence)  # rejected for sure: close the gap
        else:
            self._shift_down(t)
        return False

    def _retry_allowed(self, t: TrackedBatch, code: int, log_start_offset: int) -> bool:
        batch = t.batch
        tp = batch.tp
        p = self._partitions[tp]
        if code == ErrorCode.UNKNOWN_PRODUCER_ID:
            if log_start_offset == NO_OFFSET or t.reset:
                return True  # no log start offset yet, or already restarted: just retry
            if p.last_acked_offset < log_start_offset:
                # Retention removed the producer's state: expected, restart the sequences.
                if self.transactional:
                    self._restart.add(tp)
                else:
                    self._request_bump(tp, batch.base_sequence)
                return True
            if not self.transactional:
                self._request_bump(tp, batch.base_sequence)
                return True
            return False
        if code == ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER:
            unresolved = tp in self._unresolved
            is_next = batch.base_sequence == increment_sequence(p.last_acked_sequence, 1)
            if self.transactional:
                # Retry only when an earlier batch failed first; a real gap aborts.
                return not unresolved and (t.reset or not is_next)
            # The gap is real when nothing before this batch can still fill it: it is the
            # next one, the oldest unfinished one, or the one right after a lost batch.
            # (Java bumps only in the first and last case; a batch behind several expired
            # ones would retry until its own delivery timeout.)
            if is_next or p.is_oldest(t) or (unresolved and batch.base_sequence == self._unresolved[tp]):
                self._request_bump(tp, batch.base_sequence)
            return True
        return is_retriable(code)

    def on_split(self, batch: SequencedBatch, parts: Sequence[SequencedBatch]) -> None:
        """Replace a batch rejected as too large by ``parts`` covering the same sequences."""
        t = self._off_wire(batch)
        if t is None or t.done:
            raise LocalProtocolError(f"batch {batch!r} is not an unfinished stamped batch")
        if sum(x.record_count for x in parts) != batch.record_count or not parts:
            raise LocalProtocolError("split parts must hold exactly the batch's records")
        p = self._partitions[batch.tp]
        at = p.unfinished.index(t)
        seq = batch.base_sequence
        news = []
        for part in parts:
            part.producer_id, part.producer_epoch, part.base_sequence = (
                batch.producer_id, batch.producer_epoch, seq)
            seq = increment_sequence(seq, part.record_count)
            n = TrackedBatch(part, on_wire=False)
            n.reset = t.reset
            self._tracked[id(part)] = n
            news.append(n)
        p.unfinished[at:at + 1] = news
        t.done = True
        self._tracked.pop(id(batch), None)
        self._settle()

    # -- sequence repair ------------------------------------------------------------------
    def _mark_unresolved(self, batch: SequencedBatch) -> None:
        self.sequences_uncertain = True
        nxt = increment_sequence(batch.base_sequence, batch.record_count)
        prev = self._unresolved.get(batch.tp)
        if prev is None or seq_after(nxt, prev):
            self._unresolved[batch.tp] = nxt

    def _request_bump(self, tp: tuple[str, int], gap: int) -> bool:
        """Ask for an epoch bump for ``tp`` whose sequences break at ``gap``.

        Batches before the gap may already be stored, so they finish under the old
        epoch first (a restamped copy of a stored batch would be written twice); only
        the batches from the gap on are restamped.
        """
        if self.transactional:
            return False
        prev = self._bump.get(tp)
        if prev is None or seq_after(prev, gap):
            self._bump[tp] = gap
        return True

    def _absent_from_gap(self, t: TrackedBatch) -> None:
        """OOSN on the oldest unfinished batch at or after its partition's gap (``PartitionEntry.absent_from``)."""
        tp = t.batch.tp
        gap = self._bump.get(tp)
        p = self._partitions.get(tp)
        if gap is not None and p is not None:
            p.absent_from(t, gap)

    def _shift_down(self, failed: TrackedBatch) -> None:
        """Transactional: a batch definitely rejected frees its sequences (adjustSequencesDueToFailedBatch)."""
        batch = failed.batch
        p = self._partitions.get(batch.tp)
        if p is None or not p.runs_under(batch.producer_id, batch.producer_epoch):
            return
        n = batch.record_count
        for t in p.unfinished:
            if t.on_wire and seq_after(t.batch.base_sequence, batch.base_sequence):
                # Its old stamp may still be answered, so it cannot move; hold the
                # partition instead (the transaction is aborting anyway).
                self._mark_unresolved(batch)
                return
        p.next_sequence = decrement_sequence(p.next_sequence, n)
        for t in p.unfinished:
            if seq_after(t.batch.base_sequence, batch.base_sequence):
                t.batch.base_sequence = decrement_sequence(t.batch.base_sequence, n)
                t.reset = True

    def _restamp(self, tp: tuple[str, int]) -> None:
        """Java startSequencesAtBeginning: current id/epoch, unfinished batches from 0."""
        p = self._partitions.get(tp)
        if p is None:
            return
        p.restamp(self.producer_id, self.producer_epoch)
        self._unresolved.pop(tp, None)

    def _settle(self) -> None:
        """Resolve unresolved partitions and carry out pending restarts and bumps."""
        for tp in list(self._unresolved):
            p = self._partitions.get(tp)
            if p is None:
                del self._unresolved[tp]
                continue
            if p.unfinished:
                continue
            if p.next_sequence == increment_sequence(p.last_acked_sequence, 1):
                del self._unresolved[tp]  # a later batch was acked: the lost one made it
                continue
            del self._unresolved[tp]
            if self.transactional:
                self._errors.append((BatchErrorKind.ABORTABLE_OR_FATAL, KafkaError(
                    "The client hasn't received acknowledgment for some previously sent messages "
                    "and can no longer retry them.")))
            else:
                self._request_bump(tp, p.next_sequence)
        for tp in list(self._restart):
            p = self._partitions.get(tp)
            if p is None or p.wire == 0:
                self._restart.discard(tp)
                self._restamp(tp)
        if self._bump and self.has_producer_id and self.fatal_error is None:
            if all(self._clear_for_bump(tp, gap) for tp, gap in self._bump.items()):
                self._bump_epoch()

    def _clear_for_bump(self, tp: tuple[str, int], gap: int) -> bool:
        """Nothing of ``tp`` on the wire, nothing unfinished before its gap, nothing maybe stored."""
        p = self._partitions.get(tp)
        return p is None or p.clear_for_bump(gap)

    def _bump_epoch(self) -> None:
        self.epoch_bumps += 1
        if self.producer_epoch >= EPOCH_MAX:
            # Epoch exhausted: drop the id; the bump partitions restart under the new one.
            self.producer_id = NO_PRODUCER_ID
            self.producer_epoch = NO_PRODUCER_EPOCH
            return
        self.producer_epoch += 1
        for tp in self._bump:
            self._restamp(tp)
        self._bump.clear()

    def _apply_pending_bump_after_new_id(self) -> None:
        if self._bump:
            for tp in self._bump:
                self._restamp(tp)
            self._bump.clear()

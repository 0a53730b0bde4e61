"""Per-partition sequence bookkeeping of the idempotent producer (Java ``TxnPartitionEntry``).

``IdempotenceState`` (``core.idempotence``) owns the producer id and epoch and
decides what each outcome means; this module holds what it keeps *per partition*
and *per batch*, and the few operations that touch only one partition:

* ``PartitionEntry``: the stamp (producer id, epoch) the partition's sequences
  run under, the next sequence to hand out, the last acknowledged one, the
  partition's unfinished batches in sequence order, and how many of its
  requests are on the wire (including ones for batches given up on);
* ``TrackedBatch``: one stamped batch's state the batch object need not carry
  (on the wire, finished, restamped, maybe stored already).

A *batch* is anything with the attributes of ``SequencedBatch``; ``Stamp`` is the
stand-alone one ``IdempotenceState.assign`` makes when none is given. No I/O,
clock or callback.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from purekafka.core.sequences import (
    NO_OFFSET,
    NO_PRODUCER_EPOCH,
    NO_PRODUCER_ID,
    NO_SEQUENCE,
    increment_sequence,
    seq_after,
)

__all__ = ["PartitionEntry", "SequencedBatch", "Stamp", "TrackedBatch"]


class SequencedBatch(Protocol):
    """What the idempotence state needs from a batch; it writes the last three attributes."""

    tp: tuple[str, int]
    record_count: int
    producer_id: int
    producer_epoch: int
    base_sequence: int


class Stamp:
    """A stand-alone batch record, returned by ``assign`` when no batch is given.

    Unpacks as ``producer_id, producer_epoch, base_sequence``.
    """

    __slots__ = ("tp", "record_count", "producer_id", "producer_epoch", "base_sequence")

    def __init__(self, tp: tuple[str, int], record_count: int) -> None:
        self.tp = tp
        self.record_count = record_count
        self.producer_id = NO_PRODUCER_ID
        self.producer_epoch = NO_PRODUCER_EPOCH
        self.base_sequence = NO_SEQUENCE

    def __iter__(self) -> Iterator[int]:
        return iter((self.producer_id, self.producer_epoch, self.base_sequence))

    def __repr__(self) -> str:
        return (f"Stamp({self.tp[0]}-{self.tp[1]}, n={self.record_count}, pid={self.producer_id}, "
                f"epoch={self.producer_epoch}, seq={self.base_sequence})")


class TrackedBatch:
    """Per-batch bookkeeping the batch object itself need not carry."""

    __slots__ = ("batch", "on_wire", "done", "reset", "maybe_written")

    def __init__(self, batch: SequencedBatch, on_wire: bool = True) -> None:
        self.batch = batch
        self.on_wire = on_wire
        self.done = False
        self.reset = False  # restamped since first sent (Java sequenceHasBeenReset)
        # its last send may have been stored (the answer was lost or inconclusive), so
        # its stamp must not change: a restamped copy would be written a second time
        self.maybe_written = False


class PartitionEntry:
    """Java TxnPartitionEntry: the stamp in use and where the sequences stand."""

    __slots__ = ("producer_id", "producer_epoch", "next_sequence", "last_acked_sequence",
                 "last_acked_offset", "unfinished", "wire")

    def __init__(self, producer_id: int, producer_epoch: int) -> None:
        self.producer_id = producer_id
        self.producer_epoch = producer_epoch
        self.next_sequence = 0
        self.last_acked_sequence = NO_SEQUENCE
        self.last_acked_offset = NO_OFFSET
        self.unfinished: list[TrackedBatch] = []  # stamped, not finished; sequence order
        self.wire = 0  # requests outstanding, including ones for batches given up on

    def runs_under(self, producer_id: int, producer_epoch: int) -> bool:
        """Do this partition's sequences belong to that producer id and epoch?"""
        return self.producer_id == producer_id and self.producer_epoch == producer_epoch

    def ghosts(self) -> int:
        """Requests on the wire for batches given up on: they still fill the broker's window."""
        return self.wire - sum(1 for t in self.unfinished if t.on_wire)

    def is_oldest(self, t: TrackedBatch) -> bool:
        return bool(self.unfinished) and self.unfinished[0] is t

    def clear_for_bump(self, gap: int) -> bool:
        """Nothing on the wire, nothing unfinished before ``gap``, nothing maybe stored."""
        if self.wire:
            return False
        if self.unfinished and seq_after(gap, self.unfinished[0].batch.base_sequence):
            return False  # batches before the gap finish under the old epoch first
        return not any(u.maybe_written for u in self.unfinished)

    def absent_from(self, t: TrackedBatch, gap: int) -> None:
        """OOSN on the oldest unfinished batch, at or after ``gap``: none from there on is stored.

        The broker stores a batch only right after the previous sequence (or as the first
        it sees from us), so while this one is missing nothing after it can be there.
        """
        if not self.is_oldest(t) or seq_after(gap, t.batch.base_sequence):
            return
        for u in self.unfinished:
            u.maybe_written = False

    def restamp(self, producer_id: int, producer_epoch: int) -> None:
        """Java startSequencesAtBeginning: the given id/epoch, unfinished batches from 0."""
        seq = 0
        for t in self.unfinished:
            b = t.batch
            b.producer_id, b.producer_epoch, b.base_sequence = producer_id, producer_epoch, seq
            t.reset = True
            t.maybe_written = False
            seq = increment_sequence(seq, b.record_count)
        self.producer_id, self.producer_epoch = producer_id, producer_epoch
        self.next_sequence = seq
        self.last_acked_sequence = NO_SEQUENCE
        self.last_acked_offset = NO_OFFSET

"""Per-partition batches waiting to be sent (Java's RecordAccumulator, sans-I/O).

Theory of operation
-------------------
Each partition owns a deque of ``ProducerBatch``. ``append`` adds a record to the
newest batch of its partition, opening a new one when that batch is full (the
``RecordBatchBuilder`` refuses the record) or already drained. A batch carries an
opaque *token* per record, given by the caller (the facade passes its future);
the core never looks inside a token, it only hands batches back in events.
``append`` answers with a ``RecordAppendResult`` (Java's of that name): the batch,
whether the record opened it, whether the batch before it is full and sendable
now, and, when asked to, that it stopped before opening a new batch (so a
partitioner with a new-batch hook may choose again first). ``append_batch`` queues a
builder filled elsewhere as one batch of its own.

``ready(now_ms)`` reports which leaders have something sendable: a partition's
head batch is sendable when it is full, when ``linger_ms`` has passed since it
was opened, when someone waits for memory or for ``flush()``, or when the
producer is closing; a batch being retried is held back until its backoff ends.
``drain(nodes, max_request_size, now_ms)`` then takes at most one batch per
partition for each ready node (rotating the starting partition per node so no
partition starves, as Java does), up to ``max_request_size`` bytes per node,
closes those batches (builds their bytes) and returns them.

Memory: ``buffer_memory`` bounds the bytes held. Each record reserves its
estimated encoded size on append; the reservation is returned when its batch
completes (``deallocate``). Accounting per record rather than Java's batch-size
pool slices keeps the bound exact without a pool allocator, which Python cannot
reuse anyway. ``append`` returns ``None`` when the record does not fit in the
free memory; the facade then waits (``max_block_ms``) and tries again.

Time is float milliseconds passed in; nothing here reads a clock.
"""
from __future__ import annotations

from bisect import bisect_right
from collections import deque
from enum import Enum
from itertools import accumulate, repeat
from typing import Any, Callable, Iterable, Sequence

from purekafka.record import RecordBatchBuilder

__all__ = ["Accumulator", "FinalState", "ProducerBatch", "ReadyCheck", "RecordAppendResult", "SEAL_LEASE_MS"]

# How long a batch being compressed by an appending thread is held back at most. Far above
# any one batch's compression (~0.2 ms for 64 KiB of zstd); after it the I/O thread builds
# the batch itself, which is correct even beside a late sealer (it compresses a copy).
SEAL_LEASE_MS = 100.0



class FinalState(Enum):
    """How a batch ended; ``ProducerBatch.final_state`` is None until then."""

    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SPLIT = "split"  # replaced by its halves (``split_into``) after MESSAGE_TOO_LARGE


class ProducerBatch:
    """Records for one partition that travel (and succeed or fail) together."""

    __slots__ = (
        "tp", "builder", "tokens", "created_ms", "drained_ms", "attempts",
        "retry_at_ms", "memory", "buffer", "record_count", "base_sequence",
        "producer_id", "producer_epoch", "is_transactional", "final_state",
        "full", "in_flight", "stamp", "raw_size", "split_into", "appended", "max_record_size",
        "runs", "seal_until_ms",
    )

    def __init__(self, tp: tuple[str, int], builder: RecordBatchBuilder, created_ms: float) -> None:
        self.tp = tp
        self.builder: RecordBatchBuilder | None = builder
        self.tokens: list[Any] = []
        self.created_ms = created_ms
        self.drained_ms: float | None = None
        self.attempts = 0
        self.retry_at_ms = 0.0
        self.memory = 0
        self.buffer: bytes | None = None  # set when closed (drained)
        self.record_count = 0
        self.base_sequence = -1
        self.producer_id = -1
        self.producer_epoch = -1
        self.is_transactional = False
        self.final_state: FinalState | None = None
        self.full = False
        self.in_flight = False
        self.raw_size = 0  # uncompressed size, known once closed
        self.max_record_size = 0  # the largest record's encoded size (record-size-max)
        self.split_into: list[ProducerBatch] | None = None  # the halves, once split
        self.stamp: tuple[int, int, int] | None = None  # producer state written in ``buffer``
        # Before this time an appending thread is compressing the batch (begin_seal): it is
        # neither ready nor drained. A lease, not a flag: a sealer that never ends the seal
        # (an exception between the lock and the codec) delays the batch, never strands it.
        self.seal_until_ms = 0.0
        # What append() answers for every record after the first: made once, as
        # one allocation per record is a measurable share of send().
        self.appended = RecordAppendResult(self, False, False)
        # What ``extend`` appended: runs (pos, owner, first, count), in order, each saying
        # that tokens[pos + i] is ``owner`` standing for the token (owner, first + i), i < count.
        # A run costs no object per record, and its futures are completed a slice at a time.
        self.runs: list[tuple[int, Any, int, int]] | None = None

    @property
    def closed(self) -> bool:
        return self.buffer is not None

    def record_tokens(self) -> list[Any]:
        """The token of every record, in order: the runs' records as (owner, index)."""
        if not self.runs:
            return self.tokens
        out = list(self.tokens)
        for pos, owner, first, count in self.runs:
            out[pos:pos + count] = zip(repeat(owner, count), range(first, first + count))
        return out

    @property
    def size_bytes(self) -> int:
        """Encoded size: exact once closed, the builder's estimate before."""
        if self.buffer is not None:
            return len(self.buffer)
        assert self.builder is not None  # released only when closed
        return self.builder.estimated_size()

    def close(self) -> bytes:
        """Build the batch bytes (once); later appends go to a new batch."""
        if self.buffer is None:
            assert self.builder is not None
            self.raw_size = self.builder.estimated_size()
            self.buffer = bytes(self.builder.build())
            self.builder = None  # release the record buffers
            # appended -> batch -> appended is a cycle: left in place, a finished batch (its
            # bytes and every record's future) waited for the cyclic GC, often a gen-2 pass,
            # and dead batches piled up (RSS 3x buffer_memory against a slow broker).
            # Closed batches take no appends, so nothing reads it from now on.
            self.appended = _CLOSED
        return self.buffer

    def __repr__(self) -> str:
        return (f"ProducerBatch({self.tp[0]}-{self.tp[1]}, records={self.record_count}, "
                f"attempts={self.attempts}, seq={self.base_sequence})")


class RecordAppendResult:
    """What ``Accumulator.append`` did with a record (Java's ``RecordAppendResult``).

    ``new_batch``: the record opened ``batch``. ``previous_full``: it did so because
    the partition's open batch refused it, so that batch is full and sendable now.
    ``abort_for_new_batch``: nothing was appended, as asked, because the record
    would have opened a new batch (``batch`` is then None). ``previous``: with
    ``previous_full``, the full batch (for ``Accumulator.begin_seal``).
    """

    __slots__ = ("batch", "new_batch", "previous_full", "abort_for_new_batch", "previous")

    def __init__(self, batch: ProducerBatch | None, new_batch: bool, previous_full: bool,
                 abort_for_new_batch: bool = False, previous: ProducerBatch | None = None) -> None:
        self.batch = batch
        self.new_batch = new_batch
        self.previous_full = previous_full
        self.abort_for_new_batch = abort_for_new_batch
        self.previous = previous

    @property
    def batch_is_full(self) -> bool:
        """Whether ``batch`` takes no more records (asked of the builder now, not cached)."""
        batch = self.batch
        if batch is None or batch.full:
            return True
        builder = batch.builder
        return builder is None or builder.is_full()

    def __repr__(self) -> str:
        return (f"RecordAppendResult({self.batch!r}, new_batch={self.new_batch}, "
                f"previous_full={self.previous_full}, abort={self.abort_for_new_batch})")


_ABORTED = RecordAppendResult(None, False, False, True)
_CLOSED = RecordAppendResult(None, False, False)  # a closed batch's ``appended``: no cycle


class ReadyCheck:
    """What ``ready()`` found: sendable leaders, when to look again, topics lacking a leader."""

    __slots__ = ("nodes", "next_check_ms", "unknown_leader_topics")

    def __init__(self, nodes: set[int], next_check_ms: float, unknown: set[str]) -> None:
        self.nodes = nodes
        self.next_check_ms = next_check_ms
        self.unknown_leader_topics = unknown


class Accumulator:
    """Per-partition batch deques with ready/drain, memory bound and expiry."""

    def __init__(
        self,
        new_builder: Callable[[], RecordBatchBuilder],
        *,
        batch_size: int = 16384,
        linger_ms: float = 0.0,
        buffer_memory: int = 32 * 1024 * 1024,
        delivery_timeout_ms: float = 120_000,
        retry_backoff_ms: float = 100,
        retry_backoff_max_ms: float = 1000,
        random: Callable[[], float] | None = None,
        batch_overhead: int = 0,
    ) -> None:
        """``new_builder()`` returns an empty ``RecordBatchBuilder`` configured for
        this producer; ``random()`` returns a float in [0, 1) for backoff jitter
        (a seeded source in tests). ``batch_overhead`` is reserved with each new
        batch, for what a batch holds besides its records (its objects, its header)."""
        self.new_builder = new_builder
        self.batch_size = batch_size
        self.linger_ms = linger_ms
        self.buffer_memory = buffer_memory
        self.batch_overhead = batch_overhead
        self.delivery_timeout_ms = delivery_timeout_ms
        self.retry_backoff_ms = retry_backoff_ms
        self.retry_backoff_max_ms = max(retry_backoff_max_ms, retry_backoff_ms)
        self._random = random or (lambda: 0.5)
        self.batches: dict[tuple[str, int], deque[ProducerBatch]] = {}
        self.used_memory = 0
        self.memory_waiters = 0
        self.flushes_in_progress = 0
        self.closing = False
        self.muted: set[tuple[str, int]] = set()
        self.incomplete: set[ProducerBatch] = set()
        self._drain_index: dict[int, int] = {}

    # -- appending ---------------------------------------------------------------
    @property
    def available_memory(self) -> int:
        return self.buffer_memory - self.used_memory

    def append(
        self,
        tp: tuple[str, int],
        timestamp_ms: int,
        key: bytes | None,
        value: bytes | None,
        headers: Sequence[tuple[str, bytes | None]],
        token: Any,
        estimated_size: int,
        now_ms: float,
        abort_on_new_batch: bool = False,
    ) -> RecordAppendResult | None:
        """Add one record to the partition's open batch, or to a new one.

        Returns None, appending nothing, when memory is exhausted. With
        ``abort_on_new_batch``, a record that would open a new batch is not
        appended either; the result says ``abort_for_new_batch``.
        """
        if self.used_memory + estimated_size > self.buffer_memory:
            # One record bigger than all of memory can never fit; let it through
            # alone rather than block forever (max_request_size guards the wire).
            if not (self.used_memory == 0 and estimated_size > self.buffer_memory):
                return None
        previous_full = False
        previous = None
        dq = self.batches.get(tp)
        if dq is None:
            dq = self.batches[tp] = deque()
        elif dq:
            batch = dq[-1]
            builder = batch.builder  # None once closed: a drained batch put back to retry
            if builder is not None:
                if not batch.full:
                    size = builder.append(timestamp_ms, key, value, headers)
                    if size is not None:
                        if size > batch.max_record_size:
                            batch.max_record_size = size
                        batch.tokens.append(token)
                        batch.record_count += 1
                        batch.memory += estimated_size
                        self.used_memory += estimated_size
                        return batch.appended
                    batch.full = True
                previous_full = True
                previous = batch
        if abort_on_new_batch:
            return _ABORTED
        cost = estimated_size + self.batch_overhead
        if self.used_memory and self.used_memory + cost > self.buffer_memory:
            # Many small batches (linger cut short by waiters) must not outgrow the bound.
            return None
        builder = self.new_builder()
        batch = ProducerBatch(tp, builder, now_ms)
        # The builder always accepts a batch's first record, however large.
        batch.max_record_size = builder.append(timestamp_ms, key, value, headers) or 0
        batch.tokens.append(token)
        batch.record_count = 1
        batch.memory = cost
        self.used_memory += cost
        dq.append(batch)
        self.incomplete.add(batch)
        return RecordAppendResult(batch, True, previous_full, False, previous)

    def extend(self, tp: tuple[str, int], timestamp_ms: int, values: Sequence[bytes],
               sizes: Sequence[int], held: Sequence[int], start: int, stop: int, owner: Any,
               now_ms: float) -> tuple[int, RecordAppendResult] | None:
        """Append ``values[start:stop]`` (null keys, no headers), as ``append`` would one by
        one, to one batch: the partition's open batch, or a new one when that is full.

        Returns how many were taken (at least one) and ``append``'s result for the first
        of them (whether it opened the batch, which then holds them all, and whether the
        batch before is full), or None when not even the first fits in the free memory.
        Record ``i``'s token is ``(owner, i)`` (``ProducerBatch.record_tokens``), and it
        holds ``held[i]`` bytes of ``buffer_memory``.
        """
        # The memory rules of append(), for the records in turn: each must fit in what is
        # free, except one larger than all memory with nothing else held; a new batch's
        # own cost must fit as well, except for the first batch of an empty accumulator.
        used = self.used_memory
        free = self.buffer_memory - used
        ends = list(accumulate(held[start:stop]))
        fits = bisect_right(ends, free)
        if not fits:
            if used or held[start] <= self.buffer_memory:
                return None
            fits = 1
        previous_full = False
        previous = None
        dq = self.batches.get(tp)
        if dq is None:
            dq = self.batches[tp] = deque()
        elif dq:
            batch = dq[-1]
            builder = batch.builder
            if builder is not None:
                if not batch.full:
                    taken, largest = builder.append_values(timestamp_ms, values, sizes, start,
                                                           start + fits)
                    if taken:
                        self._take(batch, taken, largest, held, start, owner)
                        return taken, batch.appended
                    batch.full = True
                previous_full = True
                previous = batch
        fits = bisect_right(ends, free - self.batch_overhead, 0, fits)
        if not fits:
            if used:
                return None
            fits = 1
        stop = start + fits
        builder = self.new_builder()
        batch = ProducerBatch(tp, builder, now_ms)
        taken, largest = builder.append_values(timestamp_ms, values, sizes, start, stop)
        batch.memory = self.batch_overhead
        self.used_memory += self.batch_overhead
        self._take(batch, taken, largest, held, start, owner)
        dq.append(batch)
        self.incomplete.add(batch)
        return taken, RecordAppendResult(batch, True, previous_full, False, previous)

    def _take(self, batch: ProducerBatch, taken: int, largest: int, held: Sequence[int],
              start: int, owner: Any) -> None:
        """Account for ``extend``'s records ``start .. start + taken`` appended to ``batch``;
        their tokens make a run (``ProducerBatch.runs``)."""
        tokens = batch.tokens
        pos = len(tokens)
        runs = batch.runs
        if runs is None:
            batch.runs = [(pos, owner, start, taken)]
        else:
            last_pos, last_owner, first, count = runs[-1]
            if last_owner is owner and last_pos + count == pos and first + count == start:
                runs[-1] = (last_pos, owner, first, count + taken)
            else:
                runs.append((pos, owner, start, taken))
        tokens += [owner] * taken
        if largest > batch.max_record_size:
            batch.max_record_size = largest
        batch.record_count += taken
        memory = sum(held[start:start + taken])
        batch.memory += memory
        self.used_memory += memory

    def append_batch(self, tp: tuple[str, int], builder: RecordBatchBuilder, token: Any,
                     max_record_size: int, now_ms: float, closed: bool = True) -> ProducerBatch:
        """Queue ``builder``'s records as one batch of their own, behind the partition's
        batches (aiokafka's ``send_batch``); ``token`` stands for each record. ``closed``:
        it takes no appends and is sendable now; else later appends to the partition join
        it, while it lingers, as a batch ``append`` opened. Memory is reserved whatever is
        free: the caller waited for room."""
        if closed:
            builder.close()
        batch = ProducerBatch(tp, builder, now_ms)
        batch.tokens = [token] * builder.record_count
        batch.record_count = builder.record_count
        batch.max_record_size = max_record_size
        batch.full = closed
        batch.memory = builder.estimated_size() + self.batch_overhead
        self.used_memory += batch.memory
        dq = self.batches.get(tp)
        if dq is None:
            dq = self.batches[tp] = deque()
        dq.append(batch)
        self.incomplete.add(batch)
        return batch

    def queue_sizes(self, topic: str, partitions: Sequence[int]) -> list[int]:
        """The number of batches queued for each of ``partitions`` of ``topic``."""
        batches = self.batches
        return [len(batches.get((topic, p), ())) for p in partitions]

    # -- ready / drain -----------------------------------------------------------
    def ready(self, leader_for: Callable[[tuple[str, int]], int], now_ms: float) -> ReadyCheck:
        """Which leaders have a sendable batch, and how long until the next might be."""
        nodes: set[int] = set()
        unknown: set[str] = set()
        next_ms = float("inf")
        urgent = self.memory_waiters > 0 or self.flushes_in_progress > 0 or self.closing
        linger = self.linger_ms
        for tp, dq in self.batches.items():
            if not dq:
                continue
            batch = dq[0]
            leader = leader_for(tp)
            if leader < 0:
                unknown.add(tp[0])
                continue
            if leader in nodes or tp in self.muted:
                continue
            if batch.attempts > 0 and batch.retry_at_ms > now_ms:
                next_ms = min(next_ms, batch.retry_at_ms - now_ms)
                continue
            if batch.seal_until_ms > now_ms:
                # end_seal's caller wakes the sender; until the lease ends at the latest.
                next_ms = min(next_ms, batch.seal_until_ms - now_ms)
                continue
            if batch.attempts > 0 or urgent or len(dq) > 1 or batch.full:
                nodes.add(leader)
                continue
            waited = now_ms - batch.created_ms
            if waited >= linger:
                nodes.add(leader)
            else:
                next_ms = min(next_ms, linger - waited)
        return ReadyCheck(nodes, next_ms, unknown)

    def drain(
        self,
        partitions_for_node: Callable[[int], list[tuple[str, int]]],
        nodes: Iterable[int],
        max_request_size: int,
        now_ms: float,
        admit: Callable[[ProducerBatch], bool] | None = None,
    ) -> dict[int, list[ProducerBatch]]:
        """Take at most one batch per partition for each node, closing them.

        ``admit(batch)`` (idempotence) may refuse a batch (in-flight limit,
        unknown producer id) or stamp producer id/epoch/sequence on it before it
        is closed; a refused partition is skipped this round.
        """
        out: dict[int, list[ProducerBatch]] = {}
        for node in nodes:
            parts = partitions_for_node(node)
            n = len(parts)
            if not n:
                continue
            start = self._drain_index.get(node, 0) % n
            taken: list[ProducerBatch] = []
            size = 0
            i = start
            for _ in range(n):
                here = i
                tp = parts[i]
                i = i + 1 if i + 1 < n else 0
                dq = self.batches.get(tp)
                if not dq or tp in self.muted:
                    continue
                batch = dq[0]
                if batch.seal_until_ms > now_ms or (batch.attempts > 0 and batch.retry_at_ms > now_ms):
                    continue
                bsize = batch.size_bytes
                if taken and size + bsize > max_request_size:
                    # Start here next time, so the partition that did not fit
                    # goes first rather than being skipped again (Java skips it).
                    i = here
                    break
                if admit is not None and not admit(batch):
                    continue
                dq.popleft()
                batch.close()
                batch.drained_ms = now_ms
                batch.in_flight = True
                size += bsize
                taken.append(batch)
            self._drain_index[node] = i
            if taken:
                out[node] = taken
        return out

    # -- sealing: compressing a batch outside the lock -----------------------------
    def begin_seal(self, batch: ProducerBatch | None, now_ms: float) -> tuple[int, bytes] | None:
        """Hand ``batch``'s records to the caller to compress without the lock (the
        lock held here and at ``end_seal``); None when there is nothing to do.

        Compressing under the lock, as ``drain`` does, stops every appending thread for
        the whole compression; compressed by the appending thread outside it (Java
        compresses as it appends), the codec releases the GIL for the I/O thread to run.
        Until ``end_seal`` (or ``SEAL_LEASE_MS``) the batch is neither ready nor drained,
        so the I/O thread neither spins on it nor compresses it too; expiry and aborts
        take it as any queued batch. Appends may still join it (a batch not yet full): ``build()``
        then compresses afresh. The snapshot copies the records, so ``build()`` never
        races the compression.
        """
        if batch is None or batch.seal_until_ms > now_ms or batch.in_flight or batch.final_state is not None:
            return None
        builder = batch.builder
        if builder is None or not builder.compression_type or not builder.record_count:
            return None
        batch.seal_until_ms = now_ms + SEAL_LEASE_MS
        return builder.records_snapshot()

    def end_seal(self, batch: ProducerBatch) -> None:
        """Make ``batch`` sendable again, its snapshot compressed (or not, on an error:
        ``build()`` then compresses as without sealing). The lock held."""
        batch.seal_until_ms = 0.0

    # -- retries, completion, expiry -------------------------------------------
    def backoff_ms(self, attempts: int) -> float:
        """Exponential backoff with +-20% jitter (KIP-580), capped at retry_backoff_max_ms."""
        base = self.retry_backoff_ms * (1 << max(0, attempts - 1))
        base = min(base, self.retry_backoff_max_ms)
        jitter = 0.8 + 0.4 * self._random()
        return min(base * jitter, self.retry_backoff_max_ms)

    def reenqueue(self, batch: ProducerBatch, now_ms: float,
                  order_key: Callable[[ProducerBatch], int] | None = None) -> None:
        """Put a failed batch back at the front of its partition, after a backoff.

        With sequences, batches must go out in sequence order: ``order_key(batch)``
        ranks the partition's unfinished batches (-1 for never sent), and the
        batch goes before the first queued one that ranks after it.
        """
        batch.attempts += 1
        batch.retry_at_ms = now_ms + self.backoff_ms(batch.attempts)
        batch.in_flight = False
        dq = self.batches.get(batch.tp)
        if dq is None:
            dq = self.batches[batch.tp] = deque()
        if order_key is None:
            dq.appendleft(batch)
            return
        mine = order_key(batch)
        pos = len(dq)
        for i, other in enumerate(dq):
            k = order_key(other)
            if k < 0 or k > mine:
                pos = i
                break
        dq.insert(pos, batch)

    def split(self, batch: ProducerBatch, now_ms: float) -> list[ProducerBatch]:
        """Replace a batch the broker found too large by two halves, first in its queue.

        Halving (rather than Java's re-batching at ``batch_size``) always makes
        progress, whatever the broker's limit: a part that is still too large is
        halved again, down to single records, which then fail on their own.
        """
        from purekafka.record import read_batches

        assert batch.buffer is not None and batch.record_count > 1
        records = [r for b in read_batches(batch.buffer) for r in b.records]
        half = len(records) // 2
        parts: list[ProducerBatch] = []
        every = batch.record_tokens()
        for recs, tokens in ((records[:half], every[:half]), (records[half:], every[half:])):
            builder = self.new_builder()
            part = ProducerBatch(batch.tp, builder, batch.created_ms)
            part.max_record_size = batch.max_record_size
            for r in recs:
                if builder.append(r.timestamp, r.key, r.value, r.headers) is None:
                    raise AssertionError("a split part refused a record its batch held")
            part.tokens = tokens
            part.record_count = len(recs)
            part.memory = batch.memory * len(recs) // len(records)
            part.attempts = max(1, batch.attempts)
            part.retry_at_ms = now_ms
            part.is_transactional = batch.is_transactional
            part.close()
            parts.append(part)
        parts[1].memory = batch.memory - parts[0].memory
        batch.final_state = FinalState.SPLIT
        batch.split_into = parts
        self.incomplete.discard(batch)  # its memory now belongs to the parts
        self.incomplete.update(parts)
        batch.in_flight = False
        dq = self.batches.get(batch.tp)
        if dq is None:
            dq = self.batches[batch.tp] = deque()
        dq.appendleft(parts[1])
        dq.appendleft(parts[0])
        return parts

    def deallocate(self, batch: ProducerBatch) -> None:
        """The batch is done (acked, failed or expired): return its memory."""
        if batch in self.incomplete:
            self.incomplete.discard(batch)
            self.used_memory -= batch.memory

    def expired(self, now_ms: float) -> list[ProducerBatch]:
        """Remove and return queued batches older than ``delivery_timeout_ms``."""
        limit = self.delivery_timeout_ms
        out: list[ProducerBatch] = []
        for dq in self.batches.values():
            while dq and now_ms - dq[0].created_ms >= limit:
                out.append(dq.popleft())
        return out

    def next_expiry_ms(self, now_ms: float) -> float:
        """Milliseconds until the oldest queued batch reaches its delivery timeout."""
        oldest = min((dq[0].created_ms for dq in self.batches.values() if dq), default=None)
        if oldest is None:
            return float("inf")
        return max(0.0, oldest + self.delivery_timeout_ms - now_ms)

    def abort_all(self) -> list[ProducerBatch]:
        """Remove and return every queued batch (close(0), fatal errors)."""
        out: list[ProducerBatch] = []
        for dq in self.batches.values():
            out.extend(dq)
            dq.clear()
        return out

    def abort_topic(self, topic: str) -> list[ProducerBatch]:
        """Remove and return the queued batches of ``topic`` (a fatal topic error)."""
        out: list[ProducerBatch] = []
        for tp, dq in self.batches.items():
            if tp[0] == topic and dq:
                out.extend(dq)
                dq.clear()
        return out

    def has_incomplete(self) -> bool:
        return bool(self.incomplete)

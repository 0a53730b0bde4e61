"""``KafkaProducer.send_batch``: many records in one call, appended straight to batches.

What ``send()`` does per record, done per call where it can be: the state checks, the
topic's metadata, the clock, one lock acquisition per chunk of records, at most one
wakeup of the I/O thread. Serializers, partitioning (the same choice ``send()`` makes,
sticky state included), size checks and the memory bound (``buffer_memory``,
``max_block_ms``) stay per record. A record gets no future: its token in the batch is
``(FutureBatchMetadata, index)``, and ``futures.deliver`` fills the one result object.

Values alone (bytes, no keys, headers, serializers or custom partitioner, one timestamp
and partition for the call), the common case for records already in hand, take a faster
path with no Python step per record: they are checked with C-level iteration and
appended a run at a time (``Accumulator.extend``, ``RecordBatchBuilder.append_values``),
each run as long as the batch, the memory and the sticky partition allow, so that the
partitions, batches and bytes are those of the general path.

Errors: a bad argument or record (type, size, partition) raises before anything is
queued. A failure of the call itself (no metadata in time, a transaction error, no
memory in time) raises when no record was queued yet, as ``send()`` would; once some
were, the rest fail in the returned future with that error, so the records already on
their way keep a handle.
"""
from __future__ import annotations

import sys
import time
from bisect import bisect_left
from itertools import accumulate, repeat
from operator import add
from typing import TYPE_CHECKING, Any, Sequence

from purekafka import errors as Errors
from purekafka.core.accumulator import ProducerBatch
from purekafka.futures import FutureBatchMetadata, FutureRecordMetadata
from purekafka.partitioner import default_partition
from purekafka.producer import arguments as _args
from purekafka.record import RecordBatchBuilder

if TYPE_CHECKING:
    from purekafka.producer.kafka import KafkaProducer

__all__ = ["send_batch"]

# Records appended per lock acquisition: long enough to amortize it, short enough that
# the I/O thread (which needs the lock to drain) is not held off a whole large call.
CHUNK = 512
# Java's DefaultRecord.MAXRECORD_OVERHEAD: attributes, varints for length,
# timestamp and offset deltas, key and value lengths, header count.
RECORD_OVERHEAD = 21
BATCH_OVERHEAD = 61
NO_HEADERS: list[tuple[str, bytes | None]] = []  # shared, never mutated: no serializer sees it
_INT64_MAX = (1 << 63) - 1
# What a queued record holds besides its encoded bytes, counted against buffer_memory so
# that the bound covers the Python objects too: send()'s future and its slot in the
# batch's token list; send_batch()'s token tuple, its index and its share of the result
# lists (six list slots, the offset once acknowledged).
SEND_COST = sys.getsizeof(FutureRecordMetadata("", 0, 0, 0, 0, 0)) + 8
BATCH_COST = sys.getsizeof((None, 1 << 20)) + sys.getsizeof(1 << 20) * 2 + 8 + 6 * 8


def _batch_objects_cost() -> int:
    """What one ProducerBatch holds besides its records: its objects and its header."""
    builder = RecordBatchBuilder()
    batch = ProducerBatch(("", 0), builder, 0.0)
    parts = (batch, builder, batch.tokens, batch.appended, builder._buf)
    return sum(sys.getsizeof(o) for o in parts)


# Reserved with each new batch (Accumulator's batch_overhead): with linger cut short,
# batches of a record or two make the per-batch objects the larger part.
BATCH_OBJECTS_COST = _batch_objects_cost()


def _per_record(arg: Any, n: int, what: str) -> list[Any] | None:
    """``arg`` as one value per record (None stays None); a length mismatch is a ValueError."""
    if arg is None:
        return None
    if isinstance(arg, (str, bytes, bytearray, memoryview)) or not isinstance(arg, Sequence):
        raise TypeError(f"{what} must be a sequence with one item per value, not {type(arg).__name__}")
    if len(arg) != n:
        raise ValueError(f"{what} has {len(arg)} items for {n} values")
    return list(arg)


def send_batch(producer: KafkaProducer, topic: str, values: Sequence[Any], *,
               keys: Sequence[Any] | None = None,
               headers: Sequence[list[tuple[str, bytes | None]] | None] | None = None,
               partition: int | Sequence[int | None] | None = None,
               timestamp_ms: int | Sequence[int | None] | None = None) -> FutureBatchMetadata:
    """Queue ``values`` (with ``keys``/``headers``, one per value) to ``topic``.

    ``partition`` and ``timestamp_ms`` are one for all records or one per record.
    """
    p = producer
    if p._closed or not p._io.running:
        raise p._unusable()
    if not isinstance(topic, str) or not topic:
        raise TypeError(f"topic must be a non-empty str, not {topic!r}")
    if isinstance(values, (str, bytes, bytearray, memoryview)) or not isinstance(values, Sequence):
        raise TypeError(f"values must be a sequence of values, not {type(values).__name__}")
    values = list(values)
    n = len(values)
    key_list = _per_record(keys, n, "keys")
    header_list = _per_record(headers, n, "headers")
    parts: list[Any] | None = None
    single: int | None = None
    if isinstance(partition, int):
        single = partition
    elif partition is not None:
        parts = _per_record(partition, n, "partition")
    stamps: list[Any] | None = None
    if timestamp_ms is not None and not isinstance(timestamp_ms, int):
        stamps = _per_record(timestamp_ms, n, "timestamp_ms")
    now_ts = int(time.time() * 1000)
    fb = FutureBatchMetadata(topic, n)
    if not n:
        fb._fail_records(range(0), None)  # nothing to wait for: done at once
        return fb
    if (key_list is None and header_list is None and stamps is None and parts is None
            and not p._serializes and p._partitioner is None):
        one_ts = timestamp_ms if isinstance(timestamp_ms, int) else None  # stamps is None: int or None
        fast = _values_only(p, fb, topic, values, one_ts, now_ts, single)
        if fast is not None:
            return fast
    # Pass 1, nothing queued yet: serialize, check, size every record; errors raise.
    serializes = p._serializes
    key_bytes: list[bytes | None] = [None] * n
    value_bytes: list[bytes | None] = [None] * n
    hdrs: list[list[tuple[str, bytes | None]]] = [NO_HEADERS] * n
    ests = [0] * n
    max_size = p._max_record_size
    for i in range(n):
        key = key_list[i] if key_list is not None else None
        value = values[i]
        if value is None and key is None:
            raise ValueError(f"record {i}: Need at least one: key or value")
        h = header_list[i] if header_list is not None else None
        if h is None:
            h = [] if serializes else NO_HEADERS
        else:
            _args.check_headers(h)
        if serializes:
            key, value = p._serialized(topic, h, key, value)
        if key is not None and type(key) is not bytes:
            key = _args.as_bytes(key, "key")
        if value is not None and type(value) is not bytes:
            value = _args.as_bytes(value, "value")
        ksize = -1 if key is None else len(key)
        vsize = -1 if value is None else len(value)
        hsize, est = _args.header_sizes(h) if h else (-1, 0)
        est += RECORD_OVERHEAD + (ksize if ksize > 0 else 0) + (vsize if vsize > 0 else 0)
        if BATCH_OVERHEAD + est > max_size:
            if p._metrics is not None:
                p._metrics.on_error(topic, 1, time.monotonic() * 1000.0)
            raise p._too_large(BATCH_OVERHEAD + est)
        key_bytes[i], value_bytes[i], hdrs[i], ests[i] = key, value, h, est
        fb._key_sizes[i], fb._value_sizes[i], fb._header_sizes[i] = ksize, vsize, hsize
        ts = timestamp_ms if stamps is None else stamps[i]
        if ts is None:
            ts = now_ts
        elif type(ts) is not int or not -1 <= ts <= _INT64_MAX:
            raise ValueError(f"record {i}: timestamp_ms must be an int >= 0 (or -1), not {ts!r}")
        fb._timestamps[i] = ts
    info = p._topics.get(topic)
    if info is None or info.version != p._cluster.version:
        try:
            info = p._topic_info(topic)
        except Errors.BrokerResponseError as e:
            # As send(): a topic error fails the records; only a metadata timeout raises.
            fb._fail_records(range(n), e)
            if p._metrics is not None:
                p._metrics.on_error(topic, n, time.monotonic() * 1000.0)
            return fb
    count = len(info.partitions)
    for i in range(n):
        chosen = single if parts is None else parts[i]
        if chosen is not None:
            _check_partition(chosen, count, topic)
    _append_all(p, fb, info, topic, key_list, values, key_bytes, value_bytes, hdrs, ests,
                single, parts)
    return fb


def _check_partition(chosen: Any, count: int, topic: str) -> None:
    """kafka-python's errors for a partition given that the topic does not have."""
    if type(chosen) is not int:
        raise TypeError(f"partition must be an int, not {type(chosen).__name__}")
    if chosen < 0:
        raise ValueError("partition must be >= 0")
    if chosen >= count:
        raise ValueError(f"Unrecognized partition {chosen} for topic {topic}")


def _values_only(p: KafkaProducer, fb: FutureBatchMetadata, topic: str, values: list[Any],
                 timestamp_ms: int | None, now_ts: int, partition: int | None,
                 ) -> FutureBatchMetadata | None:
    """``send_batch`` of bytes values alone (no keys, headers, serializers or custom
    partitioner, one timestamp and partition for all): checked and sized with C-level
    iteration, and appended a batch at a time (``Accumulator.extend``). None when a value
    is not bytes: the general path then handles (and reports) it."""
    if set(map(type, values)) != {bytes}:
        return None
    n = fb.count
    sizes = list(map(len, values))
    biggest = max(sizes)
    if BATCH_OVERHEAD + RECORD_OVERHEAD + biggest > p._max_record_size:
        if p._metrics is not None:
            p._metrics.on_error(topic, 1, time.monotonic() * 1000.0)
        raise p._too_large(BATCH_OVERHEAD + RECORD_OVERHEAD + biggest)
    ts = now_ts if timestamp_ms is None else timestamp_ms
    if type(ts) is not int or not -1 <= ts <= _INT64_MAX:
        raise ValueError(f"record 0: timestamp_ms must be an int >= 0 (or -1), not {ts!r}")
    ests = list(map(add, sizes, repeat(RECORD_OVERHEAD, n)))
    fb._value_sizes = sizes
    fb._timestamps = [ts] * n
    info = p._topics.get(topic)
    if info is None or info.version != p._cluster.version:
        try:
            info = p._topic_info(topic)
        except Errors.BrokerResponseError as e:
            fb._fail_records(range(n), e)
            if p._metrics is not None:
                p._metrics.on_error(topic, n, time.monotonic() * 1000.0)
            return fb
    if partition is not None:
        _check_partition(partition, len(info.partitions), topic)
    return _extend_all(p, fb, info, topic, values, sizes, ests, ts, partition)


def _extend_all(p: KafkaProducer, fb: FutureBatchMetadata, info: Any, topic: str,
                values: list[bytes], sizes: list[int], ests: list[int], ts: int,
                partition: int | None = None) -> FutureBatchMetadata:
    """``_append_all`` for ``_values_only``: runs of records to one batch at a time."""
    n = fb.count
    acc, txn, io, lock = p._acc, p._txn, p._io, p._lock
    sticky, all_parts, available = info.sticky, info.partitions, info.available
    partitions = fb.partitions
    held = list(map(add, ests, repeat(BATCH_COST, n)))
    in_txn: set[int] = set()
    linger = p._linger_ms
    wake = False
    deadline: float | None = None
    i = 0
    while i < n:
        end = min(n, i + CHUNK)
        seals: list[tuple[Any, tuple[int, bytes]]] = []  # full batches to compress unlocked
        lock.acquire()
        try:
            now_ms = time.monotonic() * 1000.0
            chunk_start = i
            ends = list(accumulate(ests[i:end])) if partition is None else None
            while i < end:
                if partition is None:
                    assert ends is not None
                    chosen = sticky.current(all_parts, available)
                    # The run stops at the record that takes the partition to the switch
                    # whatever its batch: on_append() then sees that record last.
                    before = ends[i - chunk_start - 1] if i > chunk_start else 0
                    stop = chunk_start + 1 + bisect_left(ends, before + sticky.headroom(),
                                                         i - chunk_start)
                    stop = min(stop, end)
                else:
                    chosen, stop = partition, end
                if txn is not None and chosen not in in_txn:
                    txn.maybe_add_partition((topic, chosen))
                    in_txn.add(chosen)
                got = acc.extend((topic, chosen), ts, values, sizes, held, i, stop, fb, now_ms)
                if got is None:
                    # No memory for record i: wait (max_block_ms per record, as send()), then
                    # choose again, the sticky partition may have moved meanwhile.
                    _unseal(acc, seals)
                    deadline = p._wait_for_memory(deadline)
                    wake = False  # the wait woke the I/O thread
                    now_ms = time.monotonic() * 1000.0
                    continue
                deadline = None
                taken, result = got
                partitions[i:i + taken] = [chosen] * taken
                if partition is None:
                    sticky.on_append(sum(ests[i:i + taken]), all_parts, available, result)
                if result.new_batch:
                    wake = _seal_or_wake(acc, result, now_ms, linger, io.poll_deadline, seals) or wake
                i += taken
        except Exception as exc:  # noqa: BLE001 - re-raised, or handed to the records not queued
            if i == 0:
                raise
            _fail_rest(p, fb, topic, i, exc)
            i = n
        finally:
            lock.release()
        _after_chunk(p, seals, wake)
        wake = False
    return fb


def _append_all(p: KafkaProducer, fb: FutureBatchMetadata, info: Any, topic: str,
                key_list: list[Any] | None, values: list[Any], key_bytes: list[bytes | None],
                value_bytes: list[bytes | None], hdrs: list[list[tuple[str, bytes | None]]],
                ests: list[int], partition: int | None, parts: list[Any] | None) -> None:
    """Pass 2: partition and append, CHUNK records per lock hold; wake the I/O thread once."""
    n = fb.count
    acc, txn, io, lock = p._acc, p._txn, p._io, p._lock
    custom, hook = p._partitioner, p._on_new_batch
    ignore_keys, sticky = p._ignore_keys, info.sticky
    all_parts, available = info.partitions, info.available
    partitions, stamps = fb.partitions, fb._timestamps
    in_txn: set[int] = set()
    linger = p._linger_ms
    wake = False
    i = 0
    while i < n:
        end = min(n, i + CHUNK)
        seals: list[tuple[Any, tuple[int, bytes]]] = []  # full batches to compress unlocked
        lock.acquire()
        try:
            now_ms = time.monotonic() * 1000.0
            # The sticky partition changes only when on_append() says it switched: ask
            # current() again then, not per record (re-read per chunk: send() may switch it).
            sticky_part: int | None = None
            while i < end:
                kb, vb, est = key_bytes[i], value_bytes[i], ests[i]
                chosen = partition if parts is None else parts[i]
                track = None
                use_hook = False
                if chosen is None:
                    if custom is not None:
                        key = key_list[i] if key_list is not None else None
                        chosen = custom(topic, kb, all_parts, available, key, values[i], vb)
                        use_hook = hook is not None
                    elif kb is None or ignore_keys:
                        if sticky_part is None:
                            sticky_part = sticky.current(all_parts, available)
                        chosen = sticky_part
                        track = sticky
                    else:
                        chosen = default_partition(kb, len(all_parts))
                if txn is not None and chosen not in in_txn:
                    txn.maybe_add_partition((topic, chosen))
                    in_txn.add(chosen)
                token = (fb, i)
                held = est + BATCH_COST
                result = acc.append((topic, chosen), stamps[i], kb, vb, hdrs[i], token, held,
                                    now_ms, use_hook)
                if result is None:
                    _unseal(acc, seals)
                    result, now_ms = _append_waiting(p, (topic, chosen), stamps[i], kb, vb, hdrs[i],
                                                     token, held, use_hook, wake)
                    wake = False  # the wait woke the I/O thread
                if result.abort_for_new_batch:
                    assert hook is not None and custom is not None
                    hook(topic, all_parts, available, chosen)
                    key = key_list[i] if key_list is not None else None
                    chosen = custom(topic, kb, all_parts, available, key, values[i], vb)
                    if txn is not None and chosen not in in_txn:
                        txn.maybe_add_partition((topic, chosen))
                        in_txn.add(chosen)
                    _unseal(acc, seals)
                    result, now_ms = _append_waiting(p, (topic, chosen), stamps[i], kb, vb, hdrs[i],
                                                     token, held, False, wake)
                partitions[i] = chosen
                if track is not None and track.on_append(est, all_parts, available, result):
                    sticky_part = None
                if result.new_batch:
                    wake = _seal_or_wake(acc, result, now_ms, linger, io.poll_deadline, seals) or wake
                i += 1
        except Exception as exc:  # noqa: BLE001 - re-raised, or handed to the records not queued
            if i == 0:
                raise
            _fail_rest(p, fb, topic, i, exc)
            i = n
        finally:
            lock.release()
        _after_chunk(p, seals, wake)
        wake = False


def _fail_rest(p: KafkaProducer, fb: FutureBatchMetadata, topic: str, i: int,
               exc: BaseException) -> None:
    """The call failed after queuing records ``0 .. i``: the rest fail in ``fb``."""
    fb._fail_records(range(i, fb.count), exc)
    if p._metrics is not None:
        p._metrics.on_error(topic, fb.count - i, time.monotonic() * 1000.0)


def _after_chunk(p: KafkaProducer, seals: list[tuple[Any, tuple[int, bytes]]], wake: bool) -> None:
    """After a chunk, the lock released: compress the full batches it queued for sealing,
    then wake the I/O thread if the chunk made a batch due before its next poll ends."""
    for sealing, snapshot in seals:
        p._seal(sealing, snapshot)
    if wake:
        p._io.wakeup()


def _unseal(acc: Any, seals: list[tuple[Any, tuple[int, bytes]]]) -> None:
    """Before waiting for memory (the lock held): leave the full batches queued for sealing
    to the I/O thread, which must send them to free memory, rather than hold them back."""
    for batch, _snapshot in seals:
        acc.end_seal(batch)
    seals.clear()


def _seal_or_wake(acc: Any, result: Any, now_ms: float, linger: float, poll_deadline: float,
                  seals: list[tuple[Any, tuple[int, bytes]]]) -> bool:
    """For an append that opened a batch (the lock held): queue the full batch before it
    for compressing unlocked (``KafkaProducer._seal`` then wakes the I/O thread for it);
    whether the I/O thread must be woken now, as it sleeps past when a batch is due."""
    due = now_ms + linger
    if result.previous_full:
        snapshot = acc.begin_seal(result.previous, now_ms)
        if snapshot is None:
            due = now_ms  # the full batch is sendable now
        else:
            seals.append((result.previous, snapshot))
    return due < poll_deadline


def _append_waiting(p: KafkaProducer, tp: tuple[str, int], ts: int, kb: bytes | None,
                    vb: bytes | None, h: list[tuple[str, bytes | None]], token: Any, est: int,
                    abort_on_new_batch: bool, wake: bool) -> tuple[Any, float]:
    """Append (the lock held), waiting up to ``max_block_ms`` for memory, as ``send()``."""
    if wake:
        p._io.wakeup()  # records queued by this call may be what the I/O thread must send first
    deadline: float | None = None
    while True:
        now_ms = time.monotonic() * 1000.0
        result = p._acc.append(tp, ts, kb, vb, h, token, est, now_ms, abort_on_new_batch)
        if result is not None:
            return result, now_ms
        deadline = p._wait_for_memory(deadline)


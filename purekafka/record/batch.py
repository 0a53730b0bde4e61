"""RecordBatch v2 builder (magic 2, KIP-98), the format every Produce request carries.

Batch layout, big-endian, offsets from the start of the batch::

    field                 size    offset
    baseOffset            int64    0     0 from a producer; the broker assigns offsets
    batchLength           int32    8     bytes after this field (total size - 12)
    partitionLeaderEpoch  int32   12     -1 from a producer
    magic                 int8    16     2
    crc                   uint32  17     CRC-32C of bytes 21 .. end (attributes onwards)
    attributes            int16   21     bits 0-2 compression (0 none, 1 gzip, 2 snappy,
                                         3 lz4, 4 zstd), bit 3 timestamp type (0 create,
                                         1 log append), bit 4 transactional, bit 5 control,
                                         bit 6 delete horizon set (baseTimestamp holds it)
    lastOffsetDelta       int32   23     record count - 1 for a producer batch
    baseTimestamp         int64   27     timestamp of the first record
    maxTimestamp          int64   35     largest record timestamp
    producerId            int64   43     -1 unless idempotent/transactional
    producerEpoch         int16   51     -1 likewise
    baseSequence          int32   53     -1 likewise
    recordsCount          int32   57
    records               ...     61     the records, compressed as one block if bits 0-2 say so

Each record, every integer a zigzag varint (varlong for the timestamp delta)::

    length            varint   bytes of the record after this field
    attributes        int8     unused, 0
    timestampDelta    varlong  timestamp - baseTimestamp (may be negative)
    offsetDelta       varint   index of the record in the batch
    keyLength         varint   -1 for a null key
    key               bytes
    valueLength       varint   -1 for a null value
    value             bytes
    headersCount      varint
    headers           per header: keyLength varint, key (UTF-8), valueLength varint
                      (-1 for a null value), value
"""
from __future__ import annotations

import struct
from bisect import bisect_right
from collections.abc import Sequence
from itertools import accumulate, chain, repeat
from operator import add

from crc32c import crc32c

from purekafka.errors import LocalProtocolError
from purekafka.record.codecs import CompressionType, check_level, compress
from purekafka.record.varint import encode_varint, encode_varlong, zigzag_table

__all__ = [
    "HEADER",
    "HEADER_SIZE",
    "RecordBatchBuilder",
    "increment_sequence",
    "patch_producer_state",
]

HEADER = struct.Struct(">qiibIhiqqqhii")
HEADER_SIZE = HEADER.size  # 61
CRC_OFFSET = 17
ATTRIBUTES_OFFSET = 21
PRODUCER_OFFSET = 43
_PRODUCER = struct.Struct(">qhi")
_UINT32 = struct.Struct(">I")
_INT16 = struct.Struct(">h")

TRANSACTIONAL_BIT = 0x10
CONTROL_BIT = 0x20
DELETE_HORIZON_BIT = 0x40
TIMESTAMP_TYPE_BIT = 0x08
COMPRESSION_MASK = 0x07

_INT64_MAX = (1 << 63) - 1
_INT32_MAX = (1 << 31) - 1
_ZZ = zigzag_table()
_ZZN = len(_ZZ)
_NULL = b"\x01"  # zigzag(-1): a null key or value
_NO_HEADERS = b"\x00"
# A value this long or longer takes append()'s path in append_values, so that every
# length there is a table lookup.
BULK_VALUE_LIMIT = _ZZN - 32


class _RecordTables:
    """For append_values, per value length L: a record's encoded size and its length
    prefix, when the rest of its fields (attributes, timestamp and offset deltas, null
    key, header count) take ``fixed`` bytes, and that prefix after the previous
    record's header count. Grown on demand up to the longest value seen."""

    __slots__ = ("fixed", "sizes", "leads")

    def __init__(self, fixed: int) -> None:
        self.fixed = fixed
        self.sizes: list[int] = []
        self.leads: list[bytes] = []

    def grow(self, longest: int) -> None:
        # Producers on other threads may grow the same table: each slice assignment is
        # atomic, and entries for the same lengths are equal, so racing growths agree;
        # leads is assigned last, and _tables() looks at its length.
        zz, fixed = _ZZ, self.fixed
        have = len(self.leads)
        bodies = [fixed + len(zz[length]) + length for length in range(have, longest + 1)]
        self.sizes[have:longest + 1] = [len(zz[body]) + body for body in bodies]
        self.leads[have:longest + 1] = [_NO_HEADERS + zz[body] for body in bodies]


_TABLES: dict[int, _RecordTables] = {}
_OFFSET_WIDTHS = ((64, 1), (8192, 2), (_ZZN, 3))  # offset deltas below each take this many bytes
# Grown on demand: the attributes and a timestamp delta of 0 before each offset delta
# (as in a batch's first append), and the null key before each value length.
_FIRST_STAMPS: list[bytes] = []
_KEYLESS: list[bytes] = []


def _grown(table: list[bytes], size: int, head: bytes) -> list[bytes]:
    """``table`` (``head`` + each zigzag encoding) holding at least ``size`` entries;
    racing growths agree, as in ``_RecordTables.grow``."""
    have = len(table)
    if have < size:
        table[have:size] = [head + z for z in _ZZ[have:size]]
    return table


def _tables(fixed: int, longest: int) -> _RecordTables:
    t = _TABLES.get(fixed)
    if t is None:
        t = _TABLES[fixed] = _RecordTables(fixed)
    if len(t.leads) <= longest:
        t.grow(longest)
    return t


def increment_sequence(sequence: int, increment: int) -> int:
    """``sequence + increment`` wrapping past 2**31-1 to 0 (Java DefaultRecordBatch.incrementSequence)."""
    if sequence > _INT32_MAX - increment:
        return increment - (_INT32_MAX - sequence) - 1
    return sequence + increment


def _encode_headers(headers: Sequence[tuple[str, bytes | None]]) -> bytes:
    if isinstance(headers, dict):
        # Iterating a dict would unpack its keys; take its items, as a user would mean.
        headers = list(headers.items())
    zz = _ZZ
    n = len(headers)
    parts = [zz[n] if n < _ZZN else encode_varint(n)]
    for hkey, hvalue in headers:
        if type(hkey) is str:
            kb = hkey.encode("utf-8")
        elif isinstance(hkey, (bytes, bytearray, memoryview)):
            kb = bytes(hkey)
        else:
            raise TypeError(f"header key must be str or bytes, not {type(hkey).__name__}")
        n = len(kb)
        parts.append(zz[n] if n < _ZZN else encode_varint(n))
        parts.append(kb)
        if hvalue is None:
            parts.append(_NULL)
        else:
            n = len(hvalue)
            parts.append(zz[n] if n < _ZZN else encode_varint(n))
            parts.append(hvalue)
    return b"".join(parts)


class RecordBatchBuilder:
    """Accumulates records into one v2 batch; ``build()`` returns its bytes.

    The size limit counts uncompressed bytes (header + records), so a compressed
    batch never exceeds ``batch_size`` either; Java instead estimates the
    compressed size and can fit more records into a compressed batch.
    """

    __slots__ = (
        "_compression_type", "_compression_level", "_batch_size", "_timestamp_type",
        "_is_transactional", "_producer_id", "_producer_epoch", "_base_sequence",
        "_partition_leader_epoch", "_buf", "_count", "_base_timestamp", "_max_timestamp",
        "_full", "_built", "_limit", "_compressed",
    )

    def __init__(
        self,
        compression_type: int = 0,
        compression_level: int | None = None,
        batch_size: int = 16384,
        timestamp_type: int = 0,
        is_transactional: bool = False,
        producer_id: int = -1,
        producer_epoch: int = -1,
        base_sequence: int = -1,
        partition_leader_epoch: int = -1,
    ) -> None:
        try:
            self._compression_type = CompressionType(compression_type)
        except ValueError:
            raise LocalProtocolError(f"unknown compression type {compression_type!r}") from None
        check_level(self._compression_type, compression_level)
        if timestamp_type not in (0, 1):
            raise LocalProtocolError(f"timestamp type must be 0 (create) or 1 (log append), not {timestamp_type!r}")
        if batch_size < 0:
            raise LocalProtocolError(f"negative batch_size {batch_size}")
        self._compression_level = compression_level
        self._batch_size = batch_size
        self._timestamp_type = timestamp_type
        self._is_transactional = bool(is_transactional)
        self._producer_id = producer_id
        self._producer_epoch = producer_epoch
        self._base_sequence = base_sequence
        self._partition_leader_epoch = partition_leader_epoch
        # The header's bytes are reserved up front and filled in by build(), so an
        # uncompressed batch is built in place: one copy (to bytes), not three.
        self._buf = bytearray(HEADER_SIZE)
        self._count = 0
        self._base_timestamp = -1
        self._max_timestamp = -1
        self._full = False
        self._built: bytes | None = None
        self._limit = batch_size  # on len(_buf), which includes the header
        self._compressed: tuple[int, bytes] | None = None  # (record count, payload): precompress()

    def append(
        self,
        timestamp_ms: int,
        key: bytes | None,
        value: bytes | None,
        headers: Sequence[tuple[str, bytes | None]] = (),
    ) -> int | None:
        """Add a record; return its encoded size, or None when the batch is full.

        The first record is always taken, however large. Timestamps are epoch
        milliseconds, >= 0 or -1 (none), as Java's ``MemoryRecordsBuilder`` demands.
        """
        n = self._count
        delta = timestamp_ms - self._base_timestamp if n else 0
        if not -1 <= timestamp_ms <= _INT64_MAX:
            raise LocalProtocolError(f"invalid timestamp {timestamp_ms!r}: must be >= 0 or -1")
        zz = _ZZ
        if key is None:
            kl = -1
            key = _NULL
        else:
            kl = len(key)
        if value is None:
            vl = -1
            value = _NULL
        else:
            vl = len(value)
        # One join instead of chained concatenation: the value is copied once here
        # and once into the batch buffer.
        body = b"".join((
            b"\x00",
            zz[delta] if 0 <= delta < _ZZN else encode_varlong(delta),
            zz[n] if n < _ZZN else encode_varint(n),
            b"" if kl < 0 else (zz[kl] if kl < _ZZN else encode_varint(kl)),
            key,
            b"" if vl < 0 else (zz[vl] if vl < _ZZN else encode_varint(vl)),
            value,
            _encode_headers(headers) if headers else _NO_HEADERS,
        ))
        bl = len(body)
        prefix = zz[bl] if bl < _ZZN else encode_varint(bl)
        size = len(prefix) + bl
        buf = self._buf
        if n:
            if self._full or len(buf) + size > self._limit:
                if self._built is not None:
                    raise LocalProtocolError("append() after build()")
                self._full = True
                return None
            if timestamp_ms > self._max_timestamp:
                self._max_timestamp = timestamp_ms
        else:
            if self._full:
                return None
            self._base_timestamp = self._max_timestamp = timestamp_ms
        buf += prefix
        buf += body
        self._count = n + 1
        return size

    def append_values(self, timestamp_ms: int, values: Sequence[bytes], sizes: Sequence[int],
                      start: int, stop: int) -> tuple[int, int]:
        """Append ``values[start:stop]`` as records with null keys and no headers, all at
        ``timestamp_ms``, as many as fit; return (records taken, the largest one's size).

        ``sizes[i]`` is ``len(values[i])``. The bytes are those ``append`` would write one
        record at a time; it takes none when the next does not fit, the first record of
        an empty batch excepted. The records are encoded by C-level iteration, with no
        Python step per record, for ``send_batch()``.
        """
        n = self._count
        if self._full or start >= stop:
            return 0, 0
        if not -1 <= timestamp_ms <= _INT64_MAX:
            raise LocalProtocolError(f"invalid timestamp {timestamp_ms!r}: must be >= 0 or -1")
        lens = sizes[start:stop]
        longest = max(lens)
        if longest >= BULK_VALUE_LIMIT:
            return self._append_each(timestamp_ms, values, start, stop)
        # No record is shorter than its value and seven bytes: size only those that may fit.
        room = self._limit - len(self._buf)
        k = min(stop - start, max(1, room // (min(lens) + 7) + 1))
        if n + k > _ZZN:
            return self._append_each(timestamp_ms, values, start, stop)
        delta = timestamp_ms - self._base_timestamp if n else 0
        zz = _ZZ
        stamp = zz[delta] if 0 <= delta < _ZZN else encode_varlong(delta)
        # The records' sizes and length prefixes by value length, from the table for
        # their width of fixed fields: offset deltas change width at 64 and 8192.
        sizes_out: list[int] = []
        leads: list[bytes] = []
        d = n
        j = 0
        while j < k:
            for below, width in _OFFSET_WIDTHS:
                if d < below:
                    break
            upto = min(k, j + below - d)
            t = _tables(len(stamp) + width + 3, longest)
            part = lens[j:upto]
            sizes_out += map(t.sizes.__getitem__, part)
            leads += map(t.leads.__getitem__, part)
            d += upto - j
            j = upto
        ends = list(accumulate(sizes_out))
        take = bisect_right(ends, room)
        if not take:
            if n:
                return 0, 0
            take = 1  # a batch's first record always goes in, however large
        # The pieces, four per record: [header count of the previous +] length, attributes
        # with the deltas, null key with the value's length, the value; the last header count.
        lens = lens[:take]
        pieces = [_NO_HEADERS] * (4 * take + 1)
        pieces[0:4 * take:4] = leads[:take]
        pieces[0] = leads[0][1:]  # the header count before it was written with its record
        if delta == 0:
            pieces[1::4] = _grown(_FIRST_STAMPS, n + take, b"\x00\x00")[n:n + take]
        else:
            pieces[1::4] = list(map(add, repeat(b"\x00" + stamp, take), zz[n:n + take]))
        pieces[2::4] = list(map(_grown(_KEYLESS, longest + 1, _NULL).__getitem__, lens))
        pieces[3::4] = values[start:start + take]
        self._buf += b"".join(pieces)
        if n:
            if timestamp_ms > self._max_timestamp:
                self._max_timestamp = timestamp_ms
        else:
            self._base_timestamp = self._max_timestamp = timestamp_ms
        self._count = n + take
        return take, max(sizes_out[:take])

    def _append_each(self, timestamp_ms: int, values: Sequence[bytes], start: int,
                     stop: int) -> tuple[int, int]:
        """``append_values`` one record at a time (long values, very long batches)."""
        taken = largest = 0
        for i in range(start, stop):
            size = self.append(timestamp_ms, None, values[i])
            if size is None:
                # append() marked the batch full; append_values leaves that to the next call,
                # so that a caller asking is_full() sees what it would after single appends.
                self._full = False
                break
            taken += 1
            if size > largest:
                largest = size
        return taken, largest

    @property
    def record_count(self) -> int:
        """Number of records appended so far."""
        return self._count

    def estimated_size(self) -> int:
        """Size of the batch if built now, counting the records uncompressed; after ``build()``, its size."""
        if self._built is not None:
            return len(self._built)
        return len(self._buf)

    def is_full(self) -> bool:
        """True once an append was refused or the size limit is reached."""
        # HEADER_SIZE + len(buf) >= batch_size, without estimated_size()'s frame: the
        # sticky partitioner asks this for about half of all records.
        return self._full or (self._count > 0 and len(self._buf) >= self._limit)

    def close(self) -> None:
        """Refuse further appends (``append`` returns None from now on)."""
        self._full = True

    def records_snapshot(self) -> tuple[int, bytes]:
        """The record count and a copy of the records' uncompressed bytes, for
        ``precompress`` (taken where appends cannot interleave: the copy is the point)."""
        return self._count, bytes(memoryview(self._buf)[HEADER_SIZE:])

    def precompress(self, snapshot: tuple[int, bytes], payload: bytes | None = None) -> bool:
        """Compress a ``records_snapshot`` now (or keep ``payload``, its records already
        compressed with this codec and level), for ``build()`` to use while the record count
        is still the snapshot's (records appended since make it compress afresh).

        The point is *where* it runs: a producer's sending thread compresses a full batch
        without holding the lock the I/O thread drains under (the codecs release the GIL),
        and ``build()`` then only packs the header, so producer id and sequence stamped
        later still land in it. Touches nothing but one attribute, set at the end: safe
        beside appends on another thread. False (nothing kept) without a codec or records,
        or once built.
        """
        count, data = snapshot
        codec = self._compression_type
        if not codec or not count or self._built is not None:
            return False
        if payload is None:
            payload = compress(codec, data, self._compression_level)
        self._compressed = (count, payload)
        return True

    def set_producer_state(self, producer_id: int, producer_epoch: int, base_sequence: int,
                           is_transactional: bool) -> None:
        """Set the idempotence/transaction fields before ``build()``."""
        if self._built is not None:
            raise LocalProtocolError("set_producer_state() after build(); use patch_producer_state()")
        self._producer_id = producer_id
        self._producer_epoch = producer_epoch
        self._base_sequence = base_sequence
        self._is_transactional = bool(is_transactional)

    def build(self) -> bytes:
        """The whole batch: base offset 0, records compressed, CRC set. Closes the builder."""
        if self._built is not None:
            return self._built
        if not self._count:
            raise LocalProtocolError("cannot build a batch without records")
        self._full = True
        codec = self._compression_type
        buf = self._buf
        if codec:
            out = bytearray(HEADER_SIZE)
            pre = self._compressed
            if pre is not None and pre[0] == self._count:
                out += pre[1]
            else:
                out += compress(codec, bytes(memoryview(buf)[HEADER_SIZE:]), self._compression_level)
            self._compressed = None
        else:
            out = buf
        attributes = codec | (TIMESTAMP_TYPE_BIT if self._timestamp_type else 0) \
            | (TRANSACTIONAL_BIT if self._is_transactional else 0)
        HEADER.pack_into(
            out, 0, 0, len(out) - 12, self._partition_leader_epoch, 2, 0, attributes,
            self._count - 1, self._base_timestamp, self._max_timestamp,
            self._producer_id, self._producer_epoch, self._base_sequence, self._count)
        with memoryview(out) as view:
            _UINT32.pack_into(out, CRC_OFFSET, crc32c(view[ATTRIBUTES_OFFSET:]))
        self._built = bytes(out)
        self._buf = bytearray()
        return self._built

    @property
    def base_timestamp(self) -> int:
        """Timestamp of the first record (-1 before any)."""
        return self._base_timestamp

    @property
    def max_timestamp(self) -> int:
        """Largest timestamp appended so far (-1 before any)."""
        return self._max_timestamp

    @property
    def compression_type(self) -> CompressionType:
        """The codec the records will be compressed with."""
        return self._compression_type


def patch_producer_state(batch: bytes | bytearray, producer_id: int, producer_epoch: int,
                         base_sequence: int, is_transactional: bool) -> bytes:
    """Rewrite producer id, epoch, base sequence and the transactional bit; recompute the CRC."""
    if len(batch) < HEADER_SIZE or batch[16] != 2:
        raise LocalProtocolError("not a v2 record batch")
    out = bytearray(batch)
    (attributes,) = _INT16.unpack_from(out, ATTRIBUTES_OFFSET)
    if is_transactional:
        attributes |= TRANSACTIONAL_BIT
    else:
        attributes &= ~TRANSACTIONAL_BIT
    try:
        _INT16.pack_into(out, ATTRIBUTES_OFFSET, attributes)
        _PRODUCER.pack_into(out, PRODUCER_OFFSET, producer_id, producer_epoch, base_sequence)
    except struct.error as exc:
        raise LocalProtocolError(f"producer state out of range: {exc}") from None
    _UINT32.pack_into(out, CRC_OFFSET, crc32c(memoryview(out)[ATTRIBUTES_OFFSET:]))
    return bytes(out)

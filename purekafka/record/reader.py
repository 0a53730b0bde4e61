"""Reading v2 record batches (layout in ``purekafka.record.batch``).

Records are decoded eagerly by a fast loop that trusts nothing but checks little:
it relies on each record's length prefix and on a final position check. When that
loop trips (an IndexError, a negative length, a record that does not end where its
length says), the same bytes are walked again by a careful parser that checks every
field, so the error names the exact field and byte offset. Corrupt input therefore
always ends in ``DecodeError``.

``read_batches`` raises at the first problem. ``read_batches_tolerant`` goes through
the same code but keeps what it read before the problem: the whole batches, the
batch the error interrupted with the records before the error, and the error with
its byte offset. Tools that show damaged data (the decode tool) use it.
"""
from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass

from crc32c import crc32c

from purekafka.errors import DecodeError
from purekafka.record.batch import (
    ATTRIBUTES_OFFSET,
    CRC_OFFSET,
    COMPRESSION_MASK,
    CONTROL_BIT,
    DELETE_HORIZON_BIT,
    HEADER,
    HEADER_SIZE,
    TIMESTAMP_TYPE_BIT,
    TRANSACTIONAL_BIT,
    increment_sequence,
)
from purekafka.record.codecs import CompressionType, decompress
from purekafka.record.varint import decode_varint

__all__ = ["CONTROL_TYPES", "ControlRecord", "ReadResult", "Record", "RecordBatch", "read_batches",
           "read_batches_tolerant"]

_LENGTH_PREFIX = 12  # baseOffset + batchLength
_MAGIC_OFFSET = 16
_PREFIX = struct.Struct(">qiib")  # baseOffset, batchLength, partitionLeaderEpoch, magic
_INT16_PAIR = struct.Struct(">hh")
_INT16_INT32 = struct.Struct(">hi")
_INT32 = struct.Struct(">i")

# Control record types from Kafka's ControlRecordType. A control record's key is
# version int16 + type int16; an ABORT/COMMIT marker's value is version int16 +
# coordinator epoch int32 (Java EndTransactionMarker).
CONTROL_TYPES: dict[int, str] = {
    0: "ABORT",
    1: "COMMIT",
    2: "LEADER_CHANGE",
    3: "SNAPSHOT_HEADER",
    4: "SNAPSHOT_FOOTER",
    5: "KRAFT_VERSION",
    6: "KRAFT_VOTERS",
}


@dataclass(frozen=True, slots=True)
class ControlRecord:
    """A control record: ``type`` is the name of ``type_id`` in ``CONTROL_TYPES``, or 'UNKNOWN'.

    ``marker_version`` and ``coordinator_epoch`` come from the value of an
    ABORT/COMMIT marker, else None.
    """

    version: int
    type_id: int
    type: str
    marker_version: int | None = None
    coordinator_epoch: int | None = None


class Record:
    """One decoded record; ``offset``/``timestamp`` are absolute (base + delta).

    In a LogAppendTime batch ``timestamp`` is the batch's ``max_timestamp`` (the
    append time), as Java reports it; ``timestamp_delta`` keeps what was written.
    ``size`` is the record's length field: its bytes after that varint.
    """

    __slots__ = ("offset", "offset_delta", "timestamp", "timestamp_delta", "key", "value",
                 "headers", "attributes", "size", "control")

    def __init__(self, offset: int, offset_delta: int, timestamp: int, timestamp_delta: int,
                 key: bytes | None, value: bytes | None, headers: list[tuple[str, bytes | None]],
                 attributes: int = 0, size: int = 0, control: ControlRecord | None = None) -> None:
        self.offset = offset
        self.offset_delta = offset_delta
        self.timestamp = timestamp
        self.timestamp_delta = timestamp_delta
        self.key = key
        self.value = value
        self.headers = headers
        self.attributes = attributes
        self.size = size
        self.control = control

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Record):
            return NotImplemented
        return all(getattr(self, f) == getattr(other, f) for f in self.__slots__)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        fields = ", ".join(f"{f}={getattr(self, f)!r}" for f in self.__slots__)
        return f"Record({fields})"


class RecordBatch:
    """A decoded v2 batch. ``records`` are decompressed and decoded; ``crc_valid`` is computed.

    ``crc_computed`` is the CRC-32C of the bytes the stored ``crc`` covers (None when
    the header was not read, see ``read_batches_tolerant``).
    """

    __slots__ = ("byte_offset", "base_offset", "batch_length", "partition_leader_epoch", "magic",
                 "crc", "crc_computed", "crc_valid", "attributes", "last_offset_delta", "base_timestamp",
                 "max_timestamp", "producer_id", "producer_epoch", "base_sequence", "record_count",
                 "records")

    byte_offset: int
    base_offset: int
    batch_length: int
    partition_leader_epoch: int
    magic: int
    crc: int
    crc_computed: int | None
    crc_valid: bool
    attributes: int
    last_offset_delta: int
    base_timestamp: int
    max_timestamp: int
    producer_id: int
    producer_epoch: int
    base_sequence: int
    record_count: int
    records: list[Record]

    @property
    def compression_type(self) -> CompressionType:
        """Codec from attribute bits 0-2 (DecodeError already raised if unknown)."""
        return CompressionType(self.attributes & COMPRESSION_MASK)

    @property
    def timestamp_type(self) -> int:
        """0 = CreateTime, 1 = LogAppendTime (attribute bit 3)."""
        return 1 if self.attributes & TIMESTAMP_TYPE_BIT else 0

    @property
    def is_transactional(self) -> bool:
        """Attribute bit 4."""
        return bool(self.attributes & TRANSACTIONAL_BIT)

    @property
    def is_control(self) -> bool:
        """Attribute bit 5: the batch holds transaction markers or other control records."""
        return bool(self.attributes & CONTROL_BIT)

    @property
    def has_delete_horizon(self) -> bool:
        """Attribute bit 6: ``base_timestamp`` is the log cleaner's delete horizon."""
        return bool(self.attributes & DELETE_HORIZON_BIT)

    @property
    def size(self) -> int:
        """Whole batch size in bytes."""
        return self.batch_length + _LENGTH_PREFIX

    @property
    def last_offset(self) -> int:
        """Offset of the last record the batch covers."""
        return self.base_offset + self.last_offset_delta

    @property
    def last_sequence(self) -> int:
        """Sequence of the last record the batch covers (-1 without a base sequence)."""
        if self.base_sequence == -1:
            return -1
        return increment_sequence(self.base_sequence, self.last_offset_delta)

    def __repr__(self) -> str:
        return (f"RecordBatch(base_offset={self.base_offset}, records={self.record_count}, "
                f"compression={self.compression_type.name}, producer_id={self.producer_id}, "
                f"producer_epoch={self.producer_epoch}, base_sequence={self.base_sequence}, "
                f"transactional={self.is_transactional}, control={self.is_control}, "
                f"crc_valid={self.crc_valid})")


@dataclass(frozen=True, slots=True)
class ReadResult:
    """What ``read_batches_tolerant`` read before the first error.

    ``batches`` were read whole. ``partial`` is the batch the error interrupted, if
    its header could be placed: its ``records`` are those read before the error.
    When ``partial`` is not a v2 batch or too short for the v2 header, only the
    fields before ``magic`` inclusive are read; the rest keep their no-value
    defaults (0, -1 for the producer fields and sequence, ``crc_computed`` None).
    ``offset`` is where in the input the error lies (the start of the compressed
    records when it lies inside them; ``error.offset`` then counts in the
    decompressed bytes, as its message says), ``end`` when there is none.
    """

    batches: list[RecordBatch]
    partial: RecordBatch | None
    error: DecodeError | None
    offset: int

    @property
    def records(self) -> list[Record]:
        """Every record read, in order, the partial batch's included."""
        out = [r for b in self.batches for r in b.records]
        if self.partial is not None:
            out.extend(self.partial.records)
        return out


def read_batches(data: bytes | bytearray | memoryview, *, verify_crc: bool = False,
                 allow_truncated_tail: bool = False) -> Iterator[RecordBatch]:
    """Yield the consecutive v2 batches in ``data``.

    ``verify_crc`` turns a CRC mismatch into ``DecodeError`` (otherwise it is only
    reported through ``crc_valid``). ``allow_truncated_tail`` stops quietly at a
    partial last batch, as Fetch responses may end with one.
    """
    buf = bytes(data)
    end = len(buf)
    pos = 0
    while pos < end:
        batch_end, error, tail = _frame(buf, pos, end)
        if error is not None:
            if tail and allow_truncated_tail:
                return
            raise error
        batch, error, _ = _read_batch(buf, pos, batch_end, verify_crc)
        if error is not None:
            raise error
        yield batch
        pos = batch_end


def read_batches_tolerant(data: bytes | bytearray | memoryview, *, start: int = 0, end: int | None = None,
                          verify_crc: bool = False, max_decompressed: int | None = None) -> ReadResult:
    """Read the batches in ``data[start:end]`` up to the first error; never raises ``DecodeError``.

    The checks are those of ``read_batches``, so a result without an error holds
    exactly what ``read_batches`` yields. Offsets count from the start of ``data``.
    A batch whose records decompress to more than ``max_decompressed`` bytes is an error.
    """
    buf = bytes(data)
    stop = len(buf) if end is None else end
    if not 0 <= start <= stop <= len(buf):
        raise ValueError(f"start {start} and end {end} do not lie within {len(buf)} bytes")
    batches: list[RecordBatch] = []
    pos = start
    while pos < stop:
        batch_end, error, _ = _frame(buf, pos, stop)
        if error is not None:
            partial = _prefix_batch(buf, pos) if batch_end > 0 else None
            return ReadResult(batches, partial, error, error.offset if error.offset is not None else pos)
        batch, error, offset = _read_batch(buf, pos, batch_end, verify_crc, max_decompressed)
        if error is not None:
            return ReadResult(batches, batch, error, offset)
        batches.append(batch)
        pos = batch_end
    return ReadResult(batches, None, None, stop)


def _frame(buf: bytes, pos: int, end: int) -> tuple[int, DecodeError | None, bool]:
    """Place the batch at ``pos``: ``(batch_end, error, truncated_tail)``.

    ``batch_end`` is -1 when the batch does not fit in ``end``; with an error it is
    set only when the batch fits and holds the prefix up to ``magic`` (a batch of
    another format, or one too short for the v2 header).
    """
    if end - pos < _LENGTH_PREFIX:
        return -1, DecodeError(f"{end - pos} bytes left, too few for a batch header",
                               offset=pos, field="batchLength"), True
    (batch_length,) = _INT32.unpack_from(buf, pos + 8)
    batch_end = pos + _LENGTH_PREFIX + batch_length
    holds_prefix = batch_length >= _MAGIC_OFFSET + 1 - _LENGTH_PREFIX and batch_end <= end
    # Legacy message sets (magic 0/1) keep magic at the same offset; name that first.
    if end - pos > _MAGIC_OFFSET and buf[pos + _MAGIC_OFFSET] != 2 and _fits(pos, batch_length, end):
        magic = buf[pos + _MAGIC_OFFSET]
        return batch_end if holds_prefix else -1, DecodeError(
            f"unsupported message format (magic {magic}); only v2 batches are read",
            offset=pos + _MAGIC_OFFSET, field="magic"), False
    if batch_length < HEADER_SIZE - _LENGTH_PREFIX:
        return batch_end if holds_prefix else -1, DecodeError(
            f"batch length {batch_length} is shorter than the v2 header", offset=pos + 8,
            field="batchLength"), False
    if batch_end > end:
        return -1, DecodeError(f"batch length {batch_length} overruns the {end - pos - _LENGTH_PREFIX} "
                               f"bytes available", offset=pos + 8, field="batchLength"), True
    return batch_end, None, False


def _fits(pos: int, batch_length: int, end: int) -> bool:
    """True when a batch of this length starting at ``pos`` fits in ``end`` bytes."""
    return batch_length >= 0 and pos + _LENGTH_PREFIX + batch_length <= end


def _prefix_batch(buf: bytes, pos: int) -> RecordBatch:
    """A batch of which only the fields up to ``magic`` could be read."""
    batch = RecordBatch()
    batch.byte_offset = pos
    (batch.base_offset, batch.batch_length, batch.partition_leader_epoch,
     batch.magic) = _PREFIX.unpack_from(buf, pos)
    batch.crc = 0
    batch.crc_computed = None
    batch.crc_valid = False
    batch.attributes = 0
    batch.last_offset_delta = 0
    batch.base_timestamp = 0
    batch.max_timestamp = 0
    batch.producer_id = -1
    batch.producer_epoch = -1
    batch.base_sequence = -1
    batch.record_count = 0
    batch.records = []
    return batch


def _read_batch(buf: bytes, pos: int, batch_end: int, verify_crc: bool,
                max_decompressed: int | None = None) -> tuple[RecordBatch, DecodeError | None, int]:
    """The v2 batch in ``buf[pos:batch_end]``, the first error in it and that error's offset in ``buf``.

    On an error the batch keeps its header and the records before the error.
    """
    (base_offset, batch_length, leader_epoch, magic, crc, attributes, last_offset_delta,
     base_timestamp, max_timestamp, producer_id, producer_epoch, base_sequence,
     count) = HEADER.unpack_from(buf, pos)
    crc_computed = crc32c(memoryview(buf)[pos + ATTRIBUTES_OFFSET:batch_end])
    batch = RecordBatch()
    batch.byte_offset = pos
    batch.base_offset = base_offset
    batch.batch_length = batch_length
    batch.partition_leader_epoch = leader_epoch
    batch.magic = magic
    batch.crc = crc
    batch.crc_computed = crc_computed
    batch.crc_valid = crc_computed == crc
    batch.attributes = attributes
    batch.last_offset_delta = last_offset_delta
    batch.base_timestamp = base_timestamp
    batch.max_timestamp = max_timestamp
    batch.producer_id = producer_id
    batch.producer_epoch = producer_epoch
    batch.base_sequence = base_sequence
    batch.record_count = count
    batch.records = []
    if verify_crc and crc_computed != crc:
        return batch, DecodeError(f"CRC mismatch: stored {crc:#010x}", offset=pos + CRC_OFFSET,
                                  field="crc"), pos + CRC_OFFSET
    if count < 0:
        return batch, DecodeError(f"negative record count {count}", offset=pos + 57,
                                  field="recordsCount"), pos + 57
    codec = attributes & COMPRESSION_MASK
    records_start = pos + HEADER_SIZE
    if codec > 4:
        return batch, DecodeError(f"unknown compression type {codec}", offset=pos + ATTRIBUTES_OFFSET,
                                  field="attributes"), pos + ATTRIBUTES_OFFSET
    if codec and (count or records_start < batch_end):
        try:
            body = decompress(codec, memoryview(buf)[records_start:batch_end], offset=records_start,
                              max_size=max_decompressed)
        except DecodeError as exc:
            return batch, exc, exc.offset if exc.offset is not None else records_start
        rstart, rend = 0, len(body)
        where = f"decompressed records of the batch at byte {pos}, "
    else:
        # Uncompressed, or an empty batch (the log cleaner leaves header-only batches
        # behind, keeping their codec bit): nothing to decompress.
        body, rstart, rend = buf, records_start, batch_end
        where = ""
    records = _decode_records(body, rstart, rend, count, base_offset, base_timestamp)
    error: DecodeError | None = None
    if records is None:
        error, good, good_end = _diagnose(body, rstart, rend, count, where)
        # The records before the one the careful walk stopped at are sound; read them
        # with the same loop (it declines to, should the two walks ever disagree).
        records = _decode_records(body, rstart, good_end, good, base_offset, base_timestamp) or []
    if attributes & TIMESTAMP_TYPE_BIT:
        # LogAppendTime: every record's timestamp is the broker's append time, kept
        # only in maxTimestamp (Java's DefaultRecord reads it the same way).
        for record in records:
            record.timestamp = max_timestamp
    if attributes & CONTROL_BIT:
        for index, record in enumerate(records):
            control = _control(record, index, pos)
            if isinstance(control, DecodeError):
                del records[index:]
                error = control
                break
            record.control = control
    batch.records = records
    if error is None:
        return batch, None, 0
    offset = records_start if where else (error.offset if error.offset is not None else pos)
    return batch, error, offset


def _control(record: Record, index: int, batch_pos: int) -> ControlRecord | DecodeError:
    key = record.key
    if key is None or len(key) < 4:
        return DecodeError(f"control record {index} has a key shorter than 4 bytes",
                           offset=batch_pos, field=f"records[{index}].key")
    version, type_id = _INT16_PAIR.unpack_from(key, 0)
    name = CONTROL_TYPES.get(type_id, "UNKNOWN")
    if type_id not in (0, 1):
        return ControlRecord(version, type_id, name)
    value = record.value
    if value is None or len(value) < 6:
        return DecodeError(f"transaction marker {index} has a value shorter than 6 bytes",
                           offset=batch_pos, field=f"records[{index}].value")
    marker_version, coordinator_epoch = _INT16_INT32.unpack_from(value, 0)
    return ControlRecord(version, type_id, name, marker_version, coordinator_epoch)


def _slow_varint(buf: bytes, pos: int) -> tuple[int, int]:
    # Varints of three bytes or more are rare (values >= 8192). No bound checks:
    # an IndexError or ValueError sends the caller to _diagnose, which names the field.
    u = 0
    shift = 0
    while True:
        b = buf[pos]
        pos += 1
        u |= (b & 0x7F) << shift
        if b < 0x80:
            break
        shift += 7
        if shift == 35:
            raise ValueError("varint longer than 5 bytes")
    if u > 0xFFFFFFFF:
        raise ValueError("varint beyond 32 bits")
    return (u >> 1) ^ -(u & 1), pos


def _slow_varlong(buf: bytes, pos: int) -> tuple[int, int]:
    u = 0
    shift = 0
    while True:
        b = buf[pos]
        pos += 1
        u |= (b & 0x7F) << shift
        if b < 0x80:
            break
        shift += 7
        if shift == 70:
            raise ValueError("varlong longer than 10 bytes")
    if u > 0xFFFFFFFFFFFFFFFF:
        raise ValueError("varlong beyond 64 bits")
    return (u >> 1) ^ -(u & 1), pos


def _decode_records(buf: bytes, pos: int, end: int, count: int, base_offset: int,
                    base_timestamp: int) -> list[Record] | None:
    """Fast path. Returns None whenever the bytes do not add up; never raises."""
    records: list[Record] = []
    append = records.append
    slow = _slow_varint
    new = Record
    try:
        for _ in range(count):
            b = buf[pos]
            if b < 0x80:
                length = (b >> 1) ^ -(b & 1)
                pos += 1
            elif buf[pos + 1] < 0x80:
                b = (b & 0x7F) | (buf[pos + 1] << 7)
                length = (b >> 1) ^ -(b & 1)
                pos += 2
            else:
                length, pos = slow(buf, pos)
            rec_end = pos + length
            if length < 6 or rec_end > end:
                return None
            attributes = buf[pos]
            b = buf[pos + 1]
            if b < 0x80:
                ts_delta = (b >> 1) ^ -(b & 1)
                pos += 2
            else:
                ts_delta, pos = _slow_varlong(buf, pos + 1)
            b = buf[pos]
            if b < 0x80:
                off_delta = (b >> 1) ^ -(b & 1)
                pos += 1
            elif buf[pos + 1] < 0x80:
                b = (b & 0x7F) | (buf[pos + 1] << 7)
                off_delta = (b >> 1) ^ -(b & 1)
                pos += 2
            else:
                off_delta, pos = slow(buf, pos)
            b = buf[pos]
            if b < 0x80:
                n = (b >> 1) ^ -(b & 1)
                pos += 1
            elif buf[pos + 1] < 0x80:
                b = (b & 0x7F) | (buf[pos + 1] << 7)
                n = (b >> 1) ^ -(b & 1)
                pos += 2
            else:
                n, pos = slow(buf, pos)
            if n >= 0:
                key = buf[pos:pos + n]
                pos += n
            elif n == -1:
                key = None
            else:
                return None
            b = buf[pos]
            if b < 0x80:
                n = (b >> 1) ^ -(b & 1)
                pos += 1
            elif buf[pos + 1] < 0x80:
                b = (b & 0x7F) | (buf[pos + 1] << 7)
                n = (b >> 1) ^ -(b & 1)
                pos += 2
            else:
                n, pos = slow(buf, pos)
            if n >= 0:
                value = buf[pos:pos + n]
                pos += n
            elif n == -1:
                value = None
            else:
                return None
            b = buf[pos]
            if b == 0:
                pos += 1
                headers: list[tuple[str, bytes | None]] = []
            else:
                headers, pos = _decode_headers(buf, pos)
            if pos != rec_end:
                return None
            append(new(base_offset + off_delta, off_delta, base_timestamp + ts_delta, ts_delta,
                       key, value, headers, attributes, length))
    except (IndexError, UnicodeDecodeError, ValueError):
        return None
    if pos != end:
        return None
    return records


def _decode_headers(buf: bytes, pos: int) -> tuple[list[tuple[str, bytes | None]], int]:
    count, pos = _slow_varint(buf, pos)
    if count < 0:
        raise ValueError
    headers: list[tuple[str, bytes | None]] = []
    for _ in range(count):
        n, pos = _slow_varint(buf, pos)
        if n < 0 or pos + n > len(buf):
            raise ValueError
        hkey = buf[pos:pos + n].decode("utf-8")
        pos += n
        n, pos = _slow_varint(buf, pos)
        if n >= 0:
            if pos + n > len(buf):
                raise ValueError
            hvalue: bytes | None = buf[pos:pos + n]
            pos += n
        elif n == -1:
            hvalue = None
        else:
            raise ValueError
        headers.append((hkey, hvalue))
    return headers, pos


def _diagnose(buf: bytes, pos: int, end: int, count: int, where: str) -> tuple[DecodeError, int, int]:
    """Walk the records carefully to the first bad field.

    Returns the DecodeError naming it, the number of sound records before it and
    where they end. Offsets are positions in ``buf``: the input itself for an
    uncompressed batch, the decompressed records otherwise (then ``where`` says so
    in the message).
    """
    progress = [0, pos]
    try:
        _walk(buf, pos, end, count, where, progress)
    except DecodeError as exc:
        return exc, progress[0], progress[1]
    # Not reached while the two walks agree on what is sound.
    return DecodeError(f"{where}records section is malformed", offset=pos, field="records"), 0, pos


def _walk(buf: bytes, pos: int, end: int, count: int, where: str, progress: list[int]) -> None:
    """Check every field of the records; ``progress`` keeps [sound records, their end]."""

    def fail(message: str, at: int, field: str) -> DecodeError:
        return DecodeError(where + message, offset=at, field=field)

    def varint(p: int, limit: int, field: str, max_bytes: int = 5) -> tuple[int, int]:
        try:
            return decode_varint(buf, p, limit, max_bytes=max_bytes, field=field)
        except DecodeError as exc:
            raise fail(str(exc.args[0]).split(" (")[0], exc.offset or p, field) from None

    for index in range(count):
        name = f"records[{index}]"
        if pos >= end:
            raise fail(f"record count says {count} records, the data ends after {index}", pos,
                       "recordsCount")
        length, p = varint(pos, end, name + ".length")
        rec_end = p + length
        if length < 0 or rec_end > end:
            raise fail(f"record length {length} overruns the records section", pos, name + ".length")
        if p >= rec_end:
            raise fail("record ends before its attributes", p, name + ".attributes")
        p += 1
        _, p = varint(p, rec_end, name + ".timestampDelta", 10)
        _, p = varint(p, rec_end, name + ".offsetDelta")
        for part in ("key", "value"):
            field_pos = p
            n, p = varint(p, rec_end, f"{name}.{part}Length")
            if n < -1:
                raise fail(f"{part} length {n}", field_pos, f"{name}.{part}Length")
            if n > 0:
                if p + n > rec_end:
                    raise fail(f"{part} of {n} bytes overruns the record", p, f"{name}.{part}")
                p += n
        field_pos = p
        hcount, p = varint(p, rec_end, name + ".headersCount")
        if hcount < 0:
            raise fail(f"negative header count {hcount}", field_pos, name + ".headersCount")
        for h in range(hcount):
            hname = f"{name}.headers[{h}]"
            field_pos = p
            n, p = varint(p, rec_end, hname + ".keyLength")
            if n < 0 or p + n > rec_end:
                raise fail(f"header key length {n} invalid", field_pos, hname + ".keyLength")
            try:
                buf[p:p + n].decode("utf-8")
            except UnicodeDecodeError:
                raise fail("header key is not UTF-8", p, hname + ".key") from None
            p += n
            field_pos = p
            n, p = varint(p, rec_end, hname + ".valueLength")
            if n < -1 or (n > 0 and p + n > rec_end):
                raise fail(f"header value length {n} invalid", field_pos, hname + ".valueLength")
            if n > 0:
                p += n
        if p != rec_end:
            raise fail(f"record declares {length} bytes but its fields take {p - (rec_end - length)}",
                       rec_end - length, name + ".length")
        pos = rec_end
        progress[0] = index + 1
        progress[1] = pos
    if pos != end:
        raise fail(f"{end - pos} bytes left after the {count} records the batch declares", pos,
                   "recordsCount")

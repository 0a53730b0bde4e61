"""Reading v2 record batches (layout in ``purekafka.record.batch``).

Records are decoded eagerly by a fast loop that trusts nothing but checks little:
it relies on each record's length prefix and on a final position check. When that
loop trips (an IndexError, a negative length, a record that does not end where its
length says), the same bytes are walked again by a careful parser that checks every
field, so the error names the exact field and byte offset. Corrupt input therefore
always ends in ``DecodeError``.
"""
from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass

from crc32c import crc32c

from purekafka.errors import DecodeError
from purekafka.record.batch import (
    ATTRIBUTES_OFFSET,
    COMPRESSION_MASK,
    CONTROL_BIT,
    DELETE_HORIZON_BIT,
    HEADER,
    HEADER_SIZE,
    TIMESTAMP_TYPE_BIT,
    TRANSACTIONAL_BIT,
)
from purekafka.record.codecs import CompressionType, decompress
from purekafka.record.varint import decode_varint

__all__ = ["ControlRecord", "Record", "RecordBatch", "read_batches"]

_LENGTH_PREFIX = 12  # baseOffset + batchLength
_MAGIC_OFFSET = 16
_INT16_PAIR = struct.Struct(">hh")
_INT32 = struct.Struct(">i")

# Control record types from Kafka's ControlRecordType.
CONTROL_TYPES = {
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
    """A control record's key: ``type`` is 'ABORT', 'COMMIT', ... or 'UNKNOWN'.

    ``coordinator_epoch`` comes from the value of an ABORT/COMMIT marker, else None.
    """

    version: int
    type: str
    coordinator_epoch: int | None = None


class Record:
    """One decoded record; ``offset``/``timestamp`` are absolute (base + delta).

    In a LogAppendTime batch ``timestamp`` is the batch's ``max_timestamp`` (the
    append time), as Java reports it; ``timestamp_delta`` keeps what was written.
    """

    __slots__ = ("offset", "offset_delta", "timestamp", "timestamp_delta", "key", "value",
                 "headers", "attributes", "control")

    def __init__(self, offset: int, offset_delta: int, timestamp: int, timestamp_delta: int,
                 key: bytes | None, value: bytes | None, headers: list[tuple[str, bytes | None]],
                 attributes: int = 0, control: ControlRecord | None = None) -> None:
        self.offset = offset
        self.offset_delta = offset_delta
        self.timestamp = timestamp
        self.timestamp_delta = timestamp_delta
        self.key = key
        self.value = value
        self.headers = headers
        self.attributes = attributes
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
    """A decoded v2 batch. ``records`` are decompressed and decoded; ``crc_valid`` is computed."""

    __slots__ = ("byte_offset", "base_offset", "batch_length", "partition_leader_epoch", "magic",
                 "crc", "crc_valid", "attributes", "last_offset_delta", "base_timestamp",
                 "max_timestamp", "producer_id", "producer_epoch", "base_sequence", "record_count",
                 "records")

    byte_offset: int
    base_offset: int
    batch_length: int
    partition_leader_epoch: int
    magic: int
    crc: int
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

    def __repr__(self) -> str:
        return (f"RecordBatch(base_offset={self.base_offset}, records={self.record_count}, "
                f"compression={self.compression_type.name}, producer_id={self.producer_id}, "
                f"producer_epoch={self.producer_epoch}, base_sequence={self.base_sequence}, "
                f"transactional={self.is_transactional}, control={self.is_control}, "
                f"crc_valid={self.crc_valid})")


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
        if end - pos < _LENGTH_PREFIX:
            if allow_truncated_tail:
                return
            raise DecodeError(f"{end - pos} bytes left, too few for a batch header",
                              offset=pos, field="batchLength")
        (batch_length,) = _INT32.unpack_from(buf, pos + 8)
        # Legacy message sets (magic 0/1) keep magic at the same offset; name that first.
        if end - pos > _MAGIC_OFFSET and buf[pos + _MAGIC_OFFSET] != 2 and _fits(pos, batch_length, end):
            magic = buf[pos + _MAGIC_OFFSET]
            raise DecodeError(f"unsupported message format (magic {magic}); only v2 batches are read",
                              offset=pos + _MAGIC_OFFSET, field="magic")
        if batch_length < HEADER_SIZE - _LENGTH_PREFIX:
            raise DecodeError(f"batch length {batch_length} is shorter than the v2 header",
                              offset=pos + 8, field="batchLength")
        batch_end = pos + _LENGTH_PREFIX + batch_length
        if batch_end > end:
            if allow_truncated_tail:
                return
            raise DecodeError(f"batch length {batch_length} overruns the {end - pos - _LENGTH_PREFIX} "
                              f"bytes available", offset=pos + 8, field="batchLength")
        yield _read_batch(buf, pos, batch_end, verify_crc)
        pos = batch_end


def _fits(pos: int, batch_length: int, end: int) -> bool:
    """True when a batch of this length starting at ``pos`` fits in ``end`` bytes."""
    return batch_length >= 0 and pos + _LENGTH_PREFIX + batch_length <= end


def _read_batch(buf: bytes, pos: int, batch_end: int, verify_crc: bool) -> RecordBatch:
    magic = buf[pos + _MAGIC_OFFSET]
    if magic != 2:
        raise DecodeError(f"unsupported message format (magic {magic}); only v2 batches are read",
                          offset=pos + _MAGIC_OFFSET, field="magic")
    (base_offset, batch_length, leader_epoch, _, crc, attributes, last_offset_delta,
     base_timestamp, max_timestamp, producer_id, producer_epoch, base_sequence,
     count) = HEADER.unpack_from(buf, pos)
    crc_valid = crc32c(memoryview(buf)[pos + ATTRIBUTES_OFFSET:batch_end]) == crc
    if verify_crc and not crc_valid:
        raise DecodeError(f"CRC mismatch: stored {crc:#010x}", offset=pos + 17, field="crc")
    if count < 0:
        raise DecodeError(f"negative record count {count}", offset=pos + 57, field="recordsCount")
    codec = attributes & COMPRESSION_MASK
    records_start = pos + HEADER_SIZE
    if codec > 4:
        raise DecodeError(f"unknown compression type {codec}", offset=pos + ATTRIBUTES_OFFSET,
                          field="attributes")
    if codec and (count or records_start < batch_end):
        body = decompress(codec, memoryview(buf)[records_start:batch_end], offset=records_start)
        rstart, rend = 0, len(body)
        where = f"decompressed records of the batch at byte {pos}, "
    else:
        # Uncompressed, or an empty batch (the log cleaner leaves header-only batches
        # behind, keeping their codec bit): nothing to decompress.
        body, rstart, rend = buf, records_start, batch_end
        where = ""
    records = _decode_records(body, rstart, rend, count, base_offset, base_timestamp)
    if records is None:
        _diagnose(body, rstart, rend, count, where)
        raise DecodeError(f"{where}records section is malformed", offset=rstart, field="records")
    if attributes & TIMESTAMP_TYPE_BIT:
        # LogAppendTime: every record's timestamp is the broker's append time, kept
        # only in maxTimestamp (Java's DefaultRecord reads it the same way).
        for record in records:
            record.timestamp = max_timestamp
    if attributes & CONTROL_BIT:
        for index, record in enumerate(records):
            record.control = _control(record, index, pos)
    batch = RecordBatch()
    batch.byte_offset = pos
    batch.base_offset = base_offset
    batch.batch_length = batch_length
    batch.partition_leader_epoch = leader_epoch
    batch.magic = magic
    batch.crc = crc
    batch.crc_valid = crc_valid
    batch.attributes = attributes
    batch.last_offset_delta = last_offset_delta
    batch.base_timestamp = base_timestamp
    batch.max_timestamp = max_timestamp
    batch.producer_id = producer_id
    batch.producer_epoch = producer_epoch
    batch.base_sequence = base_sequence
    batch.record_count = count
    batch.records = records
    return batch


def _control(record: Record, index: int, batch_pos: int) -> ControlRecord:
    key = record.key
    if key is None or len(key) < 4:
        raise DecodeError(f"control record {index} has a key shorter than 4 bytes",
                          offset=batch_pos, field=f"records[{index}].key")
    version, ctype = _INT16_PAIR.unpack_from(key, 0)
    name = CONTROL_TYPES.get(ctype, "UNKNOWN")
    coordinator_epoch = None
    if ctype in (0, 1):
        value = record.value
        if value is None or len(value) < 6:
            raise DecodeError(f"transaction marker {index} has a value shorter than 6 bytes",
                              offset=batch_pos, field=f"records[{index}].value")
        (coordinator_epoch,) = _INT32.unpack_from(value, 2)
    return ControlRecord(version, name, coordinator_epoch)


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
    records = []
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
                headers = []
            else:
                headers, pos = _decode_headers(buf, pos)
            if pos != rec_end:
                return None
            append(new(base_offset + off_delta, off_delta, base_timestamp + ts_delta, ts_delta,
                       key, value, headers, attributes))
    except (IndexError, UnicodeDecodeError, ValueError):
        return None
    if pos != end:
        return None
    return records


def _decode_headers(buf: bytes, pos: int) -> tuple[list[tuple[str, bytes | None]], int]:
    count, pos = _slow_varint(buf, pos)
    if count < 0:
        raise ValueError
    headers = []
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


def _diagnose(buf: bytes, pos: int, end: int, count: int, where: str) -> None:
    """Walk the records carefully and raise a DecodeError naming the first bad field.

    Offsets are positions in ``buf``: the input itself for an uncompressed batch,
    the decompressed records otherwise (then ``where`` says so in the message).
    """

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
    if pos != end:
        raise fail(f"{end - pos} bytes left after the {count} records the batch declares", pos,
                   "recordsCount")

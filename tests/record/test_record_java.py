"""Cross-checks with Kafka's own record classes (MemoryRecords, MemoryRecordsBuilder, DefaultRecordBatch).

One JVM (tests/java/RecordCrossCheck.java) serves the whole module over a line protocol,
so every Hypothesis example is a cheap round trip and failures still shrink.
"""
from __future__ import annotations

import os
import struct
import subprocess
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.support.record_strategies import codec_and_level, producer_fields, record_lists

from purekafka.record import RecordBatchBuilder, read_batches
from purekafka.record.varint import encode_varlong

pytestmark = pytest.mark.java


def enc(b: bytes | None) -> str:
    return "-" if b is None else "x" + b.hex()


def dec(s: str) -> bytes | None:
    return None if s == "-" else bytes.fromhex(s[1:])


class JavaRecords:
    def __init__(self, java) -> None:  # type: ignore[no-untyped-def]
        self.proc = subprocess.Popen(
            ["java", "-XX:TieredStopAtLevel=1", "-Xmx512m", "-cp", f"{java.build_dir}{os.pathsep}{java.classpath}",
             "RecordCrossCheck"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)

    def _send(self, text: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(text + "\n")
        self.proc.stdin.flush()

    def _line(self) -> str:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        assert line, f"RecordCrossCheck exited with {self.proc.poll()}"
        return line.rstrip("\n")

    def read(self, data: bytes) -> list[str]:
        self._send("READ " + enc(data))
        lines = []
        while (line := self._line()) != "E":
            lines.append(line)
        return lines

    def build(self, recs, codec: int, level: int | None, fields: dict, leader_epoch: int) -> bytes:
        head = (f"BUILD {codec} {'-' if level is None else level} {fields['producer_id']} {fields['producer_epoch']} "
                f"{fields['base_sequence']} {int(fields['is_transactional'])} {leader_epoch} {len(recs)}")
        lines = [head]
        for ts, key, value, headers in recs:
            parts = [str(ts), enc(key), enc(value)]
            for hk, hv in headers:
                parts += [enc(hk.encode("utf-8")), enc(hv)]
            lines.append(" ".join(parts))
        self._send("\n".join(lines))
        answer = self._line()
        assert answer.startswith("OUT "), answer
        return dec(answer[4:]) or b""

    def fill(self, recs, batch_size: int) -> int:
        lines = [f"FILL {batch_size} {len(recs)}"]
        for ts, key, value, headers in recs:
            parts = [str(ts), enc(key), enc(value)]
            for hk, hv in headers:
                parts += [enc(hk.encode("utf-8")), enc(hv)]
            lines.append(" ".join(parts))
        self._send("\n".join(lines))
        answer = self._line()
        assert answer.startswith("OUT "), answer
        return int(answer[4:])

    def varlongs(self, values: list[int]) -> list[str]:
        self._send("VARLONG " + " ".join(map(str, values)))
        answer = self._line().split(" ")
        assert answer[0] == "OUT", answer
        return answer[1:]

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


@pytest.fixture(scope="module")
def jrec(java) -> Iterator[JavaRecords]:  # type: ignore[no-untyped-def]
    j = JavaRecords(java)
    yield j
    j.close()


def build_ours(recs, codec, level, fields, leader_epoch, timestamp_type=0) -> bytes:
    b = RecordBatchBuilder(compression_type=codec, compression_level=level, batch_size=1 << 30,
                           partition_leader_epoch=leader_epoch, timestamp_type=timestamp_type, **fields)
    for ts, key, value, headers in recs:
        assert b.append(ts, key, value, headers) is not None
    return b.build()


leader_epochs = st.one_of(st.just(-1), st.integers(0, (1 << 31) - 1))


@given(record_lists, codec_and_level(), producer_fields(), leader_epochs, st.sampled_from([0, 0, 1]))
def test_java_accepts_and_reads_our_batches(jrec, recs, codec_level, fields, leader_epoch, ts_type) -> None:
    codec, level = codec_level
    data = build_ours(recs, codec, level, fields, leader_epoch, ts_type)
    lines = jrec.read(data)
    assert not lines[0].startswith("ERR"), lines[0]
    assert lines[0].startswith("B ") and len(lines) == 1 + len(recs), lines[:2]
    b = lines[0].split(" ")[1:]
    max_ts = max(r[0] for r in recs)
    expected = [0, len(recs) - 1, leader_epoch, 2, codec, ts_type, int(fields["is_transactional"]), 0,
                recs[0][0], max_ts, fields["producer_id"], fields["producer_epoch"],
                fields["base_sequence"], len(recs), struct.unpack_from(">I", data, 17)[0], len(data)]
    assert [int(x) for x in b] == expected
    for i, (line, (ts, key, value, headers)) in enumerate(zip(lines[1:], recs)):
        r = line.split(" ")
        assert r[0] == "R"
        # In a LogAppendTime batch Java reports maxTimestamp for every record.
        expected_ts = max_ts if ts_type else ts
        assert (int(r[1]), int(r[2]), dec(r[3]), dec(r[4]), int(r[5])) == (i, expected_ts, key, value, len(headers))
        got_headers = [(dec(r[6 + 2 * h]), dec(r[7 + 2 * h])) for h in range(len(headers))]
        assert got_headers == [(hk.encode("utf-8"), hv) for hk, hv in headers]
    # And our reader agrees with Java about LogAppendTime timestamps.
    [ours] = read_batches(data)
    assert [r.timestamp for r in ours.records] == [int(line.split(" ")[2]) for line in lines[1:]]


@given(record_lists, producer_fields(), leader_epochs)
def test_uncompressed_bytes_equal_java(jrec, recs, fields, leader_epoch) -> None:
    ours = build_ours(recs, 0, None, fields, leader_epoch)
    theirs = jrec.build(recs, 0, None, fields, leader_epoch)
    assert ours.hex() == theirs.hex()


@given(record_lists, codec_and_level(), producer_fields(), leader_epochs)
def test_we_read_java_batches(jrec, recs, codec_level, fields, leader_epoch) -> None:
    codec, level = codec_level
    if codec == 3 and level is not None and level > 17:
        level = 17
    data = jrec.build(recs, codec, level, fields, leader_epoch)
    [batch] = list(read_batches(data, verify_crc=True))
    assert batch.crc_valid and batch.size == len(data)
    assert (batch.compression_type, batch.producer_id, batch.producer_epoch, batch.base_sequence,
            batch.is_transactional, batch.partition_leader_epoch, batch.record_count) == (
        codec, fields["producer_id"], fields["producer_epoch"], fields["base_sequence"],
        fields["is_transactional"], leader_epoch, len(recs))
    assert (batch.base_timestamp, batch.max_timestamp) == (recs[0][0], max(r[0] for r in recs))
    got = [(r.offset, r.timestamp, r.key, r.value, r.headers) for r in batch.records]
    assert got == [(i, ts, k, v, list(h)) for i, (ts, k, v, h) in enumerate(recs)]


@given(record_lists, st.one_of(st.integers(0, 3000), st.tuples(st.integers(1, 40), st.integers(-2, 2))))
def test_batch_fills_like_java(jrec, recs, size_choice) -> None:
    """Uncompressed, a batch takes exactly the records Java's hasRoomFor() would."""
    if isinstance(size_choice, tuple):
        # Aim at the boundary: a limit within two bytes of where the k-th record ends.
        k, slack = size_choice
        probe = RecordBatchBuilder(batch_size=1 << 30)
        sizes = [probe.append(*r) for r in recs[:k]]
        batch_size = 61 + sum(s for s in sizes if s) + slack
    else:
        batch_size = size_choice
    builder = RecordBatchBuilder(batch_size=batch_size)
    ours = 0
    for ts, key, value, headers in recs:
        if builder.append(ts, key, value, headers) is None:
            break
        ours += 1
    assert ours == jrec.fill(recs, batch_size)


@given(st.lists(st.integers(-(1 << 63), (1 << 63) - 1), min_size=1, max_size=20))
def test_varlong_matches_java(jrec, values) -> None:
    assert jrec.varlongs(values) == [encode_varlong(v).hex() for v in values]


@given(st.integers(0, 1 << 40), st.integers(0, 1 << 42), st.integers(-1, (1 << 31) - 1),
       st.integers(0, (1 << 63) - 1), st.integers(0, (1 << 15) - 1), st.sampled_from([0, 1]),
       st.integers(0, (1 << 31) - 1))
def test_we_read_java_transaction_markers(jrec, offset, ts, leader_epoch, pid, epoch, ctype, coord_epoch) -> None:
    jrec._send(f"MARKER {offset} {ts} {leader_epoch} {pid} {epoch} {ctype} {coord_epoch}")
    answer = jrec._line()
    assert answer.startswith("OUT "), answer
    [batch] = read_batches(dec(answer[4:]) or b"", verify_crc=True)
    assert batch.is_control and batch.is_transactional and batch.record_count == 1
    assert (batch.base_offset, batch.partition_leader_epoch, batch.producer_id, batch.producer_epoch) == (
        offset, leader_epoch, pid, epoch)
    [record] = batch.records
    assert (record.offset, record.timestamp) == (offset, ts)
    assert record.control is not None
    assert (record.control.version, record.control.type, record.control.coordinator_epoch) == (
        0, ["ABORT", "COMMIT"][ctype], coord_epoch)


@given(st.sampled_from([0, 1, 2, 3, 4]), producer_fields(), st.integers(0, 1 << 40), st.integers(0, 1000),
       leader_epochs, st.integers(0, 1 << 42))
def test_we_read_java_empty_batches(jrec, codec, fields, base_offset, span, leader_epoch, ts) -> None:
    jrec._send(f"EMPTY {codec} {fields['producer_id']} {fields['producer_epoch']} {fields['base_sequence']} "
               f"{base_offset} {base_offset + span} {leader_epoch} {ts} {int(fields['is_transactional'])}")
    answer = jrec._line()
    assert answer.startswith("OUT "), answer
    [batch] = read_batches(dec(answer[4:]) or b"", verify_crc=True)
    assert batch.records == [] and batch.record_count == 0 and batch.compression_type == codec
    # Java puts the given timestamp in maxTimestamp and none (-1) in baseTimestamp.
    assert (batch.base_offset, batch.last_offset, batch.partition_leader_epoch, batch.base_timestamp,
            batch.max_timestamp) == (base_offset, base_offset + span, leader_epoch, -1, ts)
    assert (batch.producer_id, batch.producer_epoch, batch.base_sequence, batch.is_transactional) == (
        fields["producer_id"], fields["producer_epoch"], fields["base_sequence"], fields["is_transactional"])


def test_java_rejects_a_corrupted_crc(jrec) -> None:
    # The negative control: the same path that accepts our batches must refuse a bad one.
    data = bytearray(build_ours([(1, b"k", b"v", [])], 0, None,
                                {"producer_id": -1, "producer_epoch": -1, "base_sequence": -1,
                                 "is_transactional": False}, -1))
    data[-2] ^= 0xFF
    lines = jrec.read(bytes(data))
    assert lines[0].startswith("ERR CorruptRecordException"), lines

"""--dump-log against Kafka's DumpLogSegments on many generated segments, in one JVM run.

Segments are built with purekafka's RecordBatchBuilder from seeded random choices:
every codec, both timestamp types, producer ids and sequences (including sequences
that wrap past 2**31-1), transactional flags, delete horizons, null and non-UTF-8
keys and values, headers, and trailing partial batches. Kafka reads the same files.
"""
from __future__ import annotations

import io
import os
import random
import struct
import subprocess

import pytest
from crc32c import crc32c

from purekafka.decode import main
from purekafka.record import RecordBatchBuilder

pytestmark = pytest.mark.java
SEGMENTS = 1000 if os.environ.get("PUREKAFKA_HYPOTHESIS") == "long" else 100


def _value(rng: random.Random) -> bytes | None:
    kind = rng.randrange(6)
    if kind == 0:
        return None
    if kind == 1:
        return b""
    if kind == 2:
        return bytes(rng.randrange(256) for _ in range(rng.randint(1, 12)))  # often not UTF-8
    if kind == 3:
        return "\u00e9t\u00e9 \u4e2d\u6587 \U0001f600".encode()
    return f"value-{rng.randrange(10**6)}".encode() * rng.randint(1, 20)


def _batch(rng: random.Random, base_offset: int) -> bytes:
    idempotent = rng.random() < 0.5
    base_seq = rng.choice([0, 5, 2**31 - 3, 2**31 - 1]) if idempotent else -1
    b = RecordBatchBuilder(
        compression_type=rng.randrange(5), timestamp_type=rng.randrange(2),
        is_transactional=idempotent and rng.random() < 0.5,
        producer_id=rng.randrange(1, 10**6) if idempotent else -1,
        producer_epoch=rng.randrange(0, 5) if idempotent else -1,
        base_sequence=base_seq, partition_leader_epoch=rng.randrange(0, 4), batch_size=1 << 20)
    ts = 1_700_000_000_000 + rng.randrange(10**6)
    for i in range(rng.randint(1, 6)):
        key = _value(rng)
        headers = [(rng.choice(["a", "trace-id", "\u00e9"]), _value(rng)) for _ in range(rng.randrange(3))]
        b.append(ts + rng.randrange(-5, 50), key, _value(rng), headers)
    data = bytearray(b.build())
    struct.pack_into(">q", data, 0, base_offset)
    if rng.random() < 0.15:
        data[22] |= 0x40  # delete horizon flag: baseTimestamp then holds the horizon
        struct.pack_into(">I", data, 17, crc32c(bytes(data[21:])))
    return bytes(data)


def _segment(rng: random.Random) -> tuple[bytes, bool]:
    out = bytearray()
    offset = 0
    damaged = False
    for _ in range(rng.randint(1, 5)):
        batch = bytearray(_batch(rng, offset))
        if rng.random() < 0.1:
            batch[42] ^= 0x01  # maxTimestamp's last byte: still readable, but the CRC no longer matches
            damaged = True
        out += batch
        offset += struct.unpack_from(">i", batch, 23)[0] + 1 + rng.choice([0, 0, 0, 3])
    if rng.random() < 0.2:
        extra = _batch(rng, offset)
        out += extra[:rng.randrange(1, len(extra))]  # a partial batch at the end, as after a crash
    return bytes(out), damaged


def test_dump_log_equals_dump_log_segments_on_generated_segments(java, tmp_path):
    rng = random.Random(20261127)
    files = []
    damaged = set()
    for i in range(SEGMENTS):
        data, bad = _segment(rng)
        path = tmp_path / f"s{i:02d}" / f"{i * 1000:020d}.log"
        path.parent.mkdir()
        path.write_bytes(data)
        files.append(path)
        if bad:
            damaged.add(path)
    cmd = ["java", "-Dstdout.encoding=UTF-8", "-Xshare:auto", "-XX:TieredStopAtLevel=1", "-cp", java.classpath,
           "org.apache.kafka.tools.DumpLogSegments", "--print-data-log", "--files", ",".join(map(str, files))]
    proc = subprocess.run(cmd, capture_output=True, timeout=300)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    theirs = _split(proc.stdout.decode("utf-8"))
    lines = 0
    for path in files:
        out, err = io.StringIO(), io.StringIO()
        rc = main(["--dump-log", str(path)], stdout=out, stderr=err)
        assert "Traceback" not in err.getvalue()
        assert out.getvalue().splitlines() == theirs[str(path)], path
        assert rc == (1 if path in damaged else 0), (path, err.getvalue())
        lines += len(theirs[str(path)])
    assert lines > SEGMENTS * 8


def _split(text: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    current: list[str] = []
    for line in text.splitlines():
        if line.startswith("Dumping "):
            current = out.setdefault(line[len("Dumping "):], [])
        current.append(line)
    return out


def test_generator_makes_what_it_claims():
    """The generated segments really contain the cases the comparison above is for."""
    rng = random.Random(20261127)
    attrs, seqs, damaged, trailing = [], [], 0, 0
    for _ in range(SEGMENTS):
        seg, bad = _segment(rng)
        damaged += bad
        pos = 0
        while pos + 61 <= len(seg):
            length = struct.unpack_from(">i", seg, pos + 8)[0]
            if length < 49 or pos + 12 + length > len(seg):
                break
            attrs.append(struct.unpack_from(">h", seg, pos + 21)[0])
            seqs.append(struct.unpack_from(">i", seg, pos + 53)[0])
            pos += 12 + length
        trailing += pos < len(seg)
    assert {a & 7 for a in attrs} == {0, 1, 2, 3, 4}
    assert {bool(a & 0x08) for a in attrs} == {False, True}
    assert any(a & 0x10 for a in attrs) and any(a & 0x40 for a in attrs)
    assert 2**31 - 1 in seqs and -1 in seqs
    assert damaged and trailing

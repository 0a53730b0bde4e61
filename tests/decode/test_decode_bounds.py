"""Bounds: a batch that decompresses past the cap, and absurd length prefixes, are decode errors.

A small batch can claim gigabytes once decompressed ("zip bomb"); the decode tool
refuses past ``--max-decompressed`` bytes while the output streams out, so memory
stays near the cap whatever the codec.
"""
from __future__ import annotations

import gzip
import io
import json
import struct
import tracemalloc
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from purekafka.decode import main
from purekafka.errors import DecodeError
from purekafka.protocol import headers, specs
from purekafka.record import CompressionType, RecordBatchBuilder
from purekafka.record.codecs import compress, decompress

CODECS = [CompressionType.GZIP, CompressionType.SNAPPY, CompressionType.LZ4, CompressionType.ZSTD]
MIB = 1024 * 1024


def _bomb(codec: int, total: int) -> bytes:
    """``total`` zero bytes, compressed by streaming (never all in memory at once)."""
    chunk = bytes(MIB)
    if codec == CompressionType.GZIP:
        z = zlib.compressobj(9, zlib.DEFLATED, 31)
        return b"".join([z.compress(chunk) for _ in range(total // MIB)] + [z.flush()])
    if codec == CompressionType.LZ4:
        import lz4.frame

        c = lz4.frame.LZ4FrameCompressor()
        return b"".join([c.begin()] + [c.compress(chunk) for _ in range(total // MIB)] + [c.flush()])
    if codec == CompressionType.ZSTD:
        import zstandard

        z = zstandard.ZstdCompressor().compressobj()
        return b"".join([z.compress(chunk) for _ in range(total // MIB)] + [z.flush()])
    # snappy: Java's xerial framing, 32 KiB blocks
    import snappy

    block = snappy.compress(bytes(32 * 1024))
    parts = [b"\x82SNAPPY\x00" + struct.pack(">ii", 1, 1)]
    parts += [struct.pack(">i", len(block)) + block] * (total // (32 * 1024))
    return b"".join(parts)


@pytest.mark.parametrize("codec", CODECS, ids=lambda c: CompressionType(c).name)
def test_a_bomb_is_refused_within_the_cap(codec: int) -> None:
    data = _bomb(codec, 512 * MIB)
    tracemalloc.start()
    try:
        with pytest.raises(DecodeError, match="more than the 4194304-byte limit"):
            decompress(codec, data, offset=61, max_size=4 * MIB)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 64 * MIB, f"{peak} bytes allocated for a 4 MiB cap"


@pytest.mark.parametrize("codec", CODECS, ids=lambda c: CompressionType(c).name)
@settings(max_examples=30, deadline=None)
@given(data=st.binary(max_size=5000), cap=st.integers(1, 6000))
def test_under_the_cap_is_the_same_as_uncapped(codec: int, data: bytes, cap: int) -> None:
    packed = compress(codec, data)
    if len(data) <= cap:
        assert decompress(codec, packed, max_size=cap) == decompress(codec, packed) == data
    else:
        with pytest.raises(DecodeError, match=f"more than the {cap}-byte limit"):
            decompress(codec, packed, max_size=cap)


def test_concatenated_gzip_members_still_read() -> None:
    packed = gzip.compress(b"ab") + gzip.compress(b"cd")
    assert decompress(CompressionType.GZIP, packed, max_size=4) == b"abcd"
    with pytest.raises(DecodeError):
        decompress(CompressionType.GZIP, packed, max_size=3)


def _produce(records: bytes) -> bytes:
    body = specs.encode(0, 9, "request", {"acks": -1, "timeout_ms": 1, "topic_data": [
        {"name": "t", "partition_data": [{"index": 0, "records": records}]}]})
    return headers.encode_request_frame(0, 9, 7, "c", body)


def _run(argv: list[str], data: bytes) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    rc = main(argv + ["-"], stdin=io.BytesIO(data), stdout=out, stderr=err)
    assert "Traceback" not in err.getvalue()
    return rc, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("codec", CODECS, ids=lambda c: CompressionType(c).name)
def test_the_tool_reports_a_batch_over_the_cap(codec: int) -> None:
    b = RecordBatchBuilder(compression_type=codec)
    b.append(1700000000000, b"k", bytes(20000), [])
    frame = _produce(b.build())
    rc, out, _ = _run(["--json"], frame)
    assert rc == 0
    rc, out, _ = _run(["--json", "--max-decompressed", "10000"], frame)
    assert rc == 1
    msg = json.loads(out)
    assert msg["error"] is None
    assert any("more than the 10000-byte limit" in p for p in msg["problems"]), msg["problems"]
    rc, _, err = _run(["--max-decompressed", "0"], frame)
    assert rc == 2 and "positive" in err


@pytest.mark.parametrize("prefix", [
    b"\x7f\xff\xff\xff",  # int32 array count / bytes length
    b"\xff\xff\xff\xff\x0f",  # uvarint 2**32-1: compact length
])
def test_absurd_lengths_are_refused_up_front(prefix: bytes) -> None:
    """A huge array or string count in a tiny body is a DecodeError at once, not an allocation."""
    flexible = len(prefix) == 5
    version = 12 if flexible else 1
    body = (prefix + b"\x00" * 8) if not flexible else (b"\x00" + prefix + b"\x00" * 8)
    tracemalloc.start()
    try:
        with pytest.raises(DecodeError):
            specs.decode(3, version, "request", body)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < MIB


def test_absurd_frame_size_is_refused() -> None:
    rc, out, _ = _run(["--json", "--format", "frames"], b"\x7f\xff\xff\xff" + b"\x00" * 16)
    assert rc == 1 and "not a plausible size" in out

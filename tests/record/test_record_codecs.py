"""Codec framing: what we write, and the other framings other clients write that we must read."""
from __future__ import annotations

import gzip
import struct

import lz4.frame
import pytest
import snappy
import zstandard
from hypothesis import given
from hypothesis import strategies as st

from purekafka.errors import DecodeError
from purekafka.record.codecs import CompressionType, compress, decompress

blobs = st.one_of(st.binary(max_size=2000), st.integers(0, 100_000).map(lambda n: bytes(range(256)) * (n // 256)))


@given(blobs, st.sampled_from(list(CompressionType)))
def test_round_trip(data: bytes, codec: int) -> None:
    assert decompress(codec, compress(codec, data)) == data


@given(blobs)
def test_snappy_is_xerial_framed_in_32k_blocks(data: bytes) -> None:
    out = compress(CompressionType.SNAPPY, data)
    assert out[:16] == b"\x82SNAPPY\x00" + struct.pack(">ii", 1, 1)
    pos, blocks = 16, []
    while pos < len(out):
        (n,) = struct.unpack_from(">i", out, pos)
        blocks.append(snappy.decompress(out[pos + 4:pos + 4 + n]))
        pos += 4 + n
    assert pos == len(out)
    assert all(len(b) == 32 * 1024 for b in blocks[:-1]) and b"".join(blocks) == data


@given(blobs)
def test_snappy_reads_raw_and_framing_format(data: bytes) -> None:
    raw = snappy.compress(data)
    assert decompress(CompressionType.SNAPPY, raw) == data
    framed = snappy.StreamCompressor().compress(data)
    if not data:
        return  # the stream compressor writes nothing at all for empty input
    assert framed.startswith(b"\xff\x06\x00\x00sNaPpY")
    assert decompress(CompressionType.SNAPPY, framed) == data


def test_lz4_frame_header_matches_java_choices() -> None:
    out = compress(CompressionType.LZ4, b"x" * 100_000)
    assert out[:4] == b"\x04\x22\x4d\x18"
    # FLG: version 01, independent blocks, no block/content checksum, no content size.
    # BD: 64 KiB maximum block size.
    assert out[4] == 0x60 and out[5] == 0x40
    # lz4 itself verifies the header checksum byte (KIP-57); a wrong one is refused.
    bad = bytearray(out)
    bad[6] ^= 0xFF
    with pytest.raises(DecodeError):
        decompress(CompressionType.LZ4, bytes(bad))


@given(blobs)
def test_lz4_reads_other_frame_options(data: bytes) -> None:
    other = lz4.frame.compress(data, block_linked=True, content_checksum=True, store_size=True)
    assert decompress(CompressionType.LZ4, other) == data


@given(blobs)
def test_zstd_reads_frames_without_content_size_and_several_frames(data: bytes) -> None:
    streamed = zstandard.ZstdCompressor(write_content_size=False).compress(data)
    assert decompress(CompressionType.ZSTD, streamed) == data
    two = zstandard.ZstdCompressor().compress(data) + zstandard.ZstdCompressor().compress(b"tail")
    assert decompress(CompressionType.ZSTD, two) == data + b"tail"


@given(blobs)
def test_gzip_reads_several_members(data: bytes) -> None:
    assert decompress(CompressionType.GZIP, gzip.compress(data) + gzip.compress(b"tail")) == data + b"tail"


@pytest.mark.parametrize("codec", [1, 2, 3, 4])
@pytest.mark.parametrize("cut", [1, 5, 12, -1])
def test_truncated_compressed_data(codec: int, cut: int) -> None:
    out = compress(codec, bytes(range(256)) * 400)
    with pytest.raises(DecodeError) as info:
        decompress(codec, out[:cut], offset=61)
    assert info.value.offset is not None and info.value.offset >= 61
    assert info.value.field and info.value.field.startswith("records (")


def test_lz4_default_level_uses_the_fast_compressor_as_java_does() -> None:
    # Kafka's Lz4BlockOutputStream: fastCompressor at the default level 9, highCompressor(level)
    # otherwise. Before this, level 9 went to python-lz4 as LZ4 HC (~12 MB/s against ~700).
    data = b"".join(b'{"id": %d, "type": "order", "user": "u%d"}' % (i, i * 7919 % 10**5) for i in range(2000))
    opts = dict(block_size=lz4.frame.BLOCKSIZE_MAX64KB, block_linked=False, content_checksum=False,
                store_size=False)
    fast = lz4.frame.compress(data, compression_level=0, **opts)
    assert compress(CompressionType.LZ4, data) == fast
    assert compress(CompressionType.LZ4, data, 9) == fast
    assert compress(CompressionType.LZ4, data, 10) == lz4.frame.compress(data, compression_level=10, **opts)
    for lvl in (None, 9, 10):
        assert decompress(CompressionType.LZ4, compress(CompressionType.LZ4, data, lvl)) == data

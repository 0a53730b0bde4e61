"""Compression codecs of the records section of a v2 batch.

Wire choices follow what Kafka's Java client writes, so that every reader that
accepts Java's batches accepts ours:

* gzip: an RFC 1952 gzip member (Java's ``GZIPOutputStream``), default level 6.
* snappy: snappy-java's "xerial" framing, ``\\x82SNAPPY\\x00`` + version 1 +
  compatible version 1, then blocks of ``int32 length + raw snappy`` each
  holding at most 32 KiB of input. Readers must also take raw snappy
  (librdkafka, older clients) and the official snappy framing format.
* lz4: the LZ4 frame format (KIP-57: correct header checksum), independent
  64 KiB blocks, no content size, no checksums; default level 9 as in Java.
* zstd: one zstd frame, default level 3 as in Java.
"""
from __future__ import annotations

import enum
import gzip
import struct
import zlib
from types import ModuleType
from typing import cast

from purekafka.errors import DecodeError, LocalProtocolError, UnsupportedCodecError

__all__ = ["CompressionType", "compress", "decompress", "LEVEL_RANGES"]


class CompressionType(enum.IntEnum):
    """Codec ids as stored in attribute bits 0-2."""

    NONE = 0
    GZIP = 1
    SNAPPY = 2
    LZ4 = 3
    ZSTD = 4


# Inclusive level ranges Kafka's Java client accepts (KIP-390).
LEVEL_RANGES: dict[int, tuple[int, int]] = {
    CompressionType.GZIP: (1, 9),
    CompressionType.LZ4: (1, 17),
    CompressionType.ZSTD: (-131072, 22),
}
_DEFAULT_LEVELS = {CompressionType.GZIP: 6, CompressionType.LZ4: 9, CompressionType.ZSTD: 3}

_XERIAL_MAGIC = b"\x82SNAPPY\x00"
_XERIAL_HEADER = _XERIAL_MAGIC + struct.pack(">ii", 1, 1)
_XERIAL_BLOCK = 32 * 1024
_SNAPPY_STREAM_ID = b"\xff\x06\x00\x00sNaPpY"
_INT32 = struct.Struct(">i")


def check_level(compression_type: int, level: int | None) -> None:
    """Raise ``LocalProtocolError`` for a level the codec does not take."""
    if level is None:
        return
    limits = LEVEL_RANGES.get(compression_type)
    if limits is None:
        raise LocalProtocolError(
            f"compression level {level} given for {CompressionType(compression_type).name}, which has no levels")
    if not limits[0] <= level <= limits[1]:
        raise LocalProtocolError(
            f"{CompressionType(compression_type).name} level {level} outside {limits[0]}..{limits[1]}")


def compress(compression_type: int, data: bytes, level: int | None = None) -> bytes:
    """Compress a records section with the given codec and optional level."""
    if compression_type == CompressionType.GZIP:
        lvl = _DEFAULT_LEVELS[CompressionType.GZIP] if level is None else level
        return gzip.compress(data, compresslevel=lvl, mtime=0)
    if compression_type == CompressionType.SNAPPY:
        snappy = _snappy()
        parts = [_XERIAL_HEADER]
        for start in range(0, len(data), _XERIAL_BLOCK):
            block = snappy.compress(data[start:start + _XERIAL_BLOCK])
            parts.append(_INT32.pack(len(block)))
            parts.append(block)
        return b"".join(parts)
    if compression_type == CompressionType.LZ4:
        lz4_frame = _lz4()
        lvl = _DEFAULT_LEVELS[CompressionType.LZ4] if level is None else level
        return cast(bytes, lz4_frame.compress(
            data, compression_level=min(lvl, 16), block_size=lz4_frame.BLOCKSIZE_MAX64KB,
            block_linked=False, content_checksum=False, store_size=False))
    if compression_type == CompressionType.ZSTD:
        zstd = _zstd()
        lvl = _DEFAULT_LEVELS[CompressionType.ZSTD] if level is None else level
        return cast(bytes, zstd.ZstdCompressor(level=lvl).compress(data))
    if compression_type == CompressionType.NONE:
        return data
    raise UnsupportedCodecError(f"unknown compression type {compression_type}")


def decompress(compression_type: int, data: bytes | memoryview, offset: int = 0) -> bytes:
    """Decompress a records section; ``DecodeError`` (at ``offset``) on bad data."""
    field = "records"
    try:
        if compression_type == CompressionType.GZIP:
            field = "records (gzip)"
            return gzip.decompress(data)
        if compression_type == CompressionType.SNAPPY:
            field = "records (snappy)"
            return _snappy_decompress(bytes(data), offset)
        if compression_type == CompressionType.LZ4:
            field = "records (lz4)"
            return cast(bytes, _lz4().decompress(data))
        if compression_type == CompressionType.ZSTD:
            field = "records (zstd)"
            return _zstd_decompress(data, offset)
    except DecodeError:
        raise
    except (OSError, EOFError, zlib.error, RuntimeError, ValueError, TypeError) as exc:
        raise DecodeError(f"cannot decompress: {exc}", offset=offset, field=field) from None
    except Exception as exc:  # the codec libraries raise their own error classes
        raise DecodeError(f"cannot decompress: {type(exc).__name__}: {exc}", offset=offset, field=field) from None
    if compression_type == CompressionType.NONE:
        return bytes(data)
    raise DecodeError(f"unknown compression type {compression_type}", offset=offset, field="attributes")


def _snappy_decompress(data: bytes, offset: int) -> bytes:
    snappy = _snappy()
    if data.startswith(_XERIAL_MAGIC):
        if len(data) < 16:
            raise DecodeError("truncated xerial snappy header", offset=offset, field="records (snappy)")
        out = []
        pos = 16
        end = len(data)
        while pos < end:
            if pos + 4 > end:
                raise DecodeError("truncated xerial snappy block length", offset=offset + pos,
                                  field="records (snappy)")
            (n,) = _INT32.unpack_from(data, pos)
            pos += 4
            if n < 0 or pos + n > end:
                raise DecodeError(f"xerial snappy block length {n} overruns the data", offset=offset + pos - 4,
                                  field="records (snappy)")
            out.append(snappy.decompress(data[pos:pos + n]))
            pos += n
        return b"".join(out)
    if data.startswith(_SNAPPY_STREAM_ID):
        decompressor = snappy.StreamDecompressor()
        result = decompressor.decompress(data)
        decompressor.flush()  # raises when the stream stopped mid-chunk
        return cast(bytes, result)
    return cast(bytes, snappy.decompress(data))


def _zstd_decompress(data: bytes | memoryview, offset: int) -> bytes:
    # Java's streaming writer leaves the content size out of the frame header, which
    # ZstdDecompressor.decompress() refuses; a decompressobj copes, one frame at a time.
    zstd = _zstd()
    out = []
    remaining = bytes(data)
    while remaining:
        obj = zstd.ZstdDecompressor().decompressobj()
        out.append(obj.decompress(remaining))
        if not obj.eof:
            raise DecodeError("truncated zstd frame", offset=offset, field="records (zstd)")
        remaining = obj.unused_data
    if not out:
        raise DecodeError("empty zstd data", offset=offset, field="records (zstd)")
    return b"".join(out)


# The codec packages are imported on first use (a batch that needs them), and
# python-snappy and lz4 ship no type information: their results are cast to bytes.
def _snappy() -> ModuleType:
    try:
        import snappy  # type: ignore[import-untyped]
    except ImportError as exc:  # pragma: no cover - it is a declared dependency
        raise UnsupportedCodecError("snappy needs the python-snappy package") from exc
    module: ModuleType = snappy
    return module


def _lz4() -> ModuleType:
    try:
        import lz4.frame  # type: ignore[import-untyped]
    except ImportError as exc:  # pragma: no cover
        raise UnsupportedCodecError("lz4 needs the lz4 package") from exc
    module: ModuleType = lz4.frame
    return module


def _zstd() -> ModuleType:
    try:
        import zstandard
    except ImportError as exc:  # pragma: no cover
        raise UnsupportedCodecError("zstd needs the zstandard package") from exc
    return zstandard

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
import io
import struct
import zlib
from types import ModuleType
from typing import cast

from purekafka.errors import DecodeError, LocalProtocolError, UnsupportedCodecError

__all__ = ["CompressionType", "compress", "compress_many", "compresses_many_at_once", "decompress",
           "LEVEL_RANGES"]


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
        # Java compresses with LZ4's fast compressor at the default level (9) and with LZ4 HC
        # only at other levels; python-lz4 reads 9 as HC, some 60x slower, so 9 means fast here.
        return cast(bytes, lz4_frame.compress(
            data, compression_level=0 if lvl == _DEFAULT_LEVELS[CompressionType.LZ4] else min(lvl, 16),
            block_size=lz4_frame.BLOCKSIZE_MAX64KB,
            block_linked=False, content_checksum=False, store_size=False))
    if compression_type == CompressionType.ZSTD:
        zstd = _zstd()
        lvl = _DEFAULT_LEVELS[CompressionType.ZSTD] if level is None else level
        return cast(bytes, zstd.ZstdCompressor(level=lvl).compress(data))
    if compression_type == CompressionType.NONE:
        return data
    raise UnsupportedCodecError(f"unknown compression type {compression_type}")


def compresses_many_at_once(compression_type: int) -> bool:
    """Whether ``compress_many`` compresses all its inputs in one call that releases the
    GIL (zstd, with the zstandard C backend's ``multi_compress_to_buffer``)."""
    if compression_type != CompressionType.ZSTD:
        return False
    try:
        return callable(getattr(_zstd().ZstdCompressor, "multi_compress_to_buffer", None))
    except UnsupportedCodecError:
        return False


def compress_many(compression_type: int, datas: list[bytes], level: int | None = None) -> list[bytes]:
    """``[compress(compression_type, d, level) for d in datas]``, the same bytes.

    With zstd (``compresses_many_at_once``) every input is compressed in one call that
    holds the GIL only to start and to finish: a thread compressing a backlog of batches
    then waits for the GIL once per backlog, not once per batch.
    """
    if len(datas) > 1 and compresses_many_at_once(compression_type):
        lvl = _DEFAULT_LEVELS[CompressionType.ZSTD] if level is None else level
        try:
            out = _zstd().ZstdCompressor(level=lvl).multi_compress_to_buffer(datas, threads=0)
        except (NotImplementedError, ValueError):  # a backend without it (cffi); all inputs empty
            pass
        else:
            return [out[i].tobytes() for i in range(len(datas))]
    return [compress(compression_type, d, level) for d in datas]


def decompress(compression_type: int, data: bytes | memoryview, offset: int = 0,
               max_size: int | None = None) -> bytes:
    """Decompress a records section; ``DecodeError`` (at ``offset``) on bad data.

    With ``max_size``, output beyond it is refused as it streams out (a small
    batch can claim gigabytes), never allocated.
    """
    field = "records"
    cap = _Cap(max_size, offset)
    try:
        if compression_type == CompressionType.GZIP:
            field = "records (gzip)"
            if max_size is None:
                return gzip.decompress(data)
            with gzip.GzipFile(fileobj=io.BytesIO(bytes(data))) as fh:
                return cap.check(fh.read(max_size + 1), field)
        if compression_type == CompressionType.SNAPPY:
            field = "records (snappy)"
            return _snappy_decompress(bytes(data), offset, cap)
        if compression_type == CompressionType.LZ4:
            field = "records (lz4)"
            if max_size is None:
                return cast(bytes, _lz4().decompress(data))
            return _lz4_capped(bytes(data), offset, cap)
        if compression_type == CompressionType.ZSTD:
            field = "records (zstd)"
            return _zstd_decompress(data, offset, cap)
    except DecodeError:
        raise
    except (OSError, EOFError, zlib.error, RuntimeError, ValueError, TypeError) as exc:
        raise DecodeError(f"cannot decompress: {exc}", offset=offset, field=field) from None
    except Exception as exc:  # the codec libraries raise their own error classes
        raise DecodeError(f"cannot decompress: {type(exc).__name__}: {exc}", offset=offset, field=field) from None
    if compression_type == CompressionType.NONE:
        return bytes(data)
    raise DecodeError(f"unknown compression type {compression_type}", offset=offset, field="attributes")


class _Cap:
    """The output budget of one decompression (no budget when ``limit`` is None)."""

    def __init__(self, limit: int | None, offset: int) -> None:
        self.limit = limit
        self.offset = offset
        self.used = 0

    def room(self) -> int:
        """How much more output may come, plus one byte to notice the overrun (-1: no limit)."""
        return -1 if self.limit is None else self.limit - self.used + 1

    def check(self, out: bytes, field: str) -> bytes:
        self.used += len(out)
        if self.limit is not None and self.used > self.limit:
            raise DecodeError(f"records decompress to more than the {self.limit}-byte limit",
                              offset=self.offset, field=field)
        return out


def _snappy_decompress(data: bytes, offset: int, cap: _Cap) -> bytes:
    snappy = _snappy()
    field = "records (snappy)"
    if data.startswith(_XERIAL_MAGIC):
        if len(data) < 16:
            raise DecodeError("truncated xerial snappy header", offset=offset, field=field)
        out = []
        pos = 16
        end = len(data)
        while pos < end:
            if pos + 4 > end:
                raise DecodeError("truncated xerial snappy block length", offset=offset + pos, field=field)
            (n,) = _INT32.unpack_from(data, pos)
            pos += 4
            if n < 0 or pos + n > end:
                raise DecodeError(f"xerial snappy block length {n} overruns the data", offset=offset + pos - 4,
                                  field=field)
            block = data[pos:pos + n]
            _snappy_room(block, cap, offset + pos)
            out.append(cap.check(snappy.decompress(block), field))
            pos += n
        return b"".join(out)
    if data.startswith(_SNAPPY_STREAM_ID):
        decompressor = snappy.StreamDecompressor()
        # A framed chunk holds at most 64 KiB, so small pieces of input keep each step's output small.
        step = len(data) if cap.limit is None else 256
        parts = [cap.check(decompressor.decompress(data[i:i + step]), field) for i in range(0, len(data), step)]
        decompressor.flush()  # raises when the stream stopped mid-chunk
        return b"".join(parts)
    _snappy_room(data, cap, offset)
    return cap.check(cast(bytes, snappy.decompress(data)), field)


def _snappy_room(block: bytes, cap: _Cap, offset: int) -> None:
    """Refuse a raw snappy block whose declared length (its leading varint) is over the budget."""
    if cap.limit is None:
        return
    length = shift = 0
    for i, b in enumerate(block[:5]):
        length |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            break
        if i == 4:
            return  # not a valid varint: snappy refuses it
    if length >= cap.room():
        raise DecodeError(f"records decompress to more than the {cap.limit}-byte limit "
                          f"(a snappy block declares {length} bytes)", offset=offset, field="records (snappy)")


def _lz4_capped(data: bytes, offset: int, cap: _Cap) -> bytes:
    lz4_frame = _lz4()
    out = []
    remaining = data
    while remaining:
        d = lz4_frame.LZ4FrameDecompressor()
        out.append(cap.check(d.decompress(remaining, max_length=cap.room()), "records (lz4)"))
        if not d.eof:
            raise DecodeError("truncated lz4 frame", offset=offset, field="records (lz4)")
        remaining = d.unused_data
    return b"".join(out)


def _zstd_decompress(data: bytes | memoryview, offset: int, cap: _Cap) -> bytes:
    # Java's streaming writer leaves the content size out of the frame header, which
    # ZstdDecompressor.decompress() refuses; a decompressobj copes, one frame at a time.
    # Under a budget the input goes in small pieces: a zstd block of 3 bytes can stand for
    # 128 KiB, so each piece's output stays small and an overrun stops early.
    zstd = _zstd()
    out = []
    remaining = bytes(data)
    step = 256 if cap.limit is not None else max(len(remaining), 1)
    while remaining:
        obj = zstd.ZstdDecompressor().decompressobj()
        pos = 0
        while not obj.eof and pos < len(remaining):
            out.append(cap.check(obj.decompress(remaining[pos:pos + step]), "records (zstd)"))
            pos += step
        if not obj.eof:
            raise DecodeError("truncated zstd frame", offset=offset, field="records (zstd)")
        remaining = obj.unused_data + remaining[pos:]
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

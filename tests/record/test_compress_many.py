"""codecs.compress_many: many inputs in one call give the bytes compress() gives each.

zstd goes through the zstandard C backend's multi_compress_to_buffer (one GIL-free call
for a compressing thread's whole backlog); the other codecs loop. Either way the batches
the producer sends must not change by a byte, whichever thread compressed them.
"""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.support.record_strategies import codec_and_level

from purekafka.record.codecs import CompressionType, compress, compress_many, compresses_many_at_once, decompress

inputs = st.lists(st.one_of(st.binary(max_size=3000), st.binary(min_size=1, max_size=8).map(lambda b: b * 500)),
                  max_size=12)


@given(inputs, codec_and_level())
def test_compress_many_is_compress_of_each(datas, codec_level) -> None:
    codec, level = codec_level
    got = compress_many(codec, datas, level)
    assert got == [compress(codec, d, level) for d in datas]
    assert [decompress(codec, g) for g in got] == datas


def test_regression_inputs_all_empty_are_compressed_one_by_one() -> None:
    # Found by the long profile: multi_compress_to_buffer refuses a list of empty inputs
    # ("source elements are empty"); each still compresses to an empty zstd frame.
    assert compress_many(CompressionType.ZSTD, [b"", b""]) == [compress(CompressionType.ZSTD, b"")] * 2


def test_only_zstd_compresses_many_at_once() -> None:
    assert compresses_many_at_once(CompressionType.ZSTD)
    for codec in (CompressionType.NONE, CompressionType.GZIP, CompressionType.SNAPPY, CompressionType.LZ4):
        assert not compresses_many_at_once(codec)


def test_a_backend_without_the_batch_call_falls_back_to_one_call_each(monkeypatch: pytest.MonkeyPatch) -> None:
    import zstandard

    calls = []

    def refuse(self, data, threads=0):  # type: ignore[no-untyped-def]
        calls.append(len(data))
        raise NotImplementedError

    monkeypatch.setattr(zstandard.ZstdCompressor, "multi_compress_to_buffer", refuse, raising=False)
    datas = [b"x" * 1000, b"y" * 10, b""]
    assert compress_many(CompressionType.ZSTD, datas) == [compress(CompressionType.ZSTD, d) for d in datas]
    assert calls == [3]

"""RecordBatchBuilder.precompress: compressing a snapshot ahead of build() changes no byte.

The producer's sending thread compresses a full batch outside the accumulator's lock
(``Accumulator.begin_seal``); the I/O thread's ``build()`` then uses that payload. Every
codec here is deterministic for a given input and level (gzip with mtime 0), so the batch
must be byte-identical to one built without precompressing, whatever producer state is
stamped afterwards, and a snapshot overtaken by later appends must be ignored.
"""
from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from tests.support.record_strategies import codec_and_level, producer_fields, record_lists

from purekafka.record import CompressionType, RecordBatchBuilder, read_batches


def _builder(recs, codec, level) -> RecordBatchBuilder:  # type: ignore[no-untyped-def]
    b = RecordBatchBuilder(compression_type=codec, compression_level=level, batch_size=1 << 30)
    for ts, key, value, hdrs in recs:
        assert b.append(ts, key, value, hdrs) is not None
    return b


@given(record_lists, st.lists(record_lists, max_size=1), codec_and_level(), producer_fields())
def test_precompressed_build_is_byte_identical(recs, later, codec_level, fields) -> None:
    codec, level = codec_level
    more = later[0] if later else []
    plain = _builder(recs + more, codec, level)
    plain.set_producer_state(fields["producer_id"], fields["producer_epoch"], fields["base_sequence"],
                             fields["is_transactional"])
    expected = plain.build()

    pre = _builder(recs, codec, level)
    kept = pre.precompress(pre.records_snapshot())
    assert kept == (codec != CompressionType.NONE)
    for ts, key, value, hdrs in more:  # appended after the snapshot: build() must compress afresh
        assert pre.append(ts, key, value, hdrs) is not None
    # Stamped after compressing, as drain's admit() does: the header is packed at build time.
    pre.set_producer_state(fields["producer_id"], fields["producer_epoch"], fields["base_sequence"],
                           fields["is_transactional"])
    got = pre.build()
    assert got == expected
    [batch] = read_batches(got, verify_crc=True)
    assert batch.crc_valid and batch.compression_type == codec
    assert [(r.key, r.value) for r in batch.records] == [(k, v) for _, k, v, _ in recs + more]


@given(record_lists, codec_and_level((1, 2, 3, 4)))
def test_precompress_after_build_keeps_nothing(recs, codec_level) -> None:
    codec, level = codec_level
    b = _builder(recs, codec, level)
    snapshot = b.records_snapshot()
    built = b.build()
    assert not b.precompress(snapshot)
    assert b.build() == built


def test_snapshot_is_a_copy_of_the_records() -> None:
    b = _builder([(0, None, b"a" * 50, [])], CompressionType.ZSTD, None)
    count, data = b.records_snapshot()
    b.append(0, None, b"b" * 50)
    assert count == 1 and b"b" not in data and isinstance(data, bytes)

"""RecordBatchBuilder.append_values: the bytes append() writes one record at a time, and
the same refusals, for any values, timestamps and batch limits (append() itself is
checked against Java's DefaultRecordBatch in test_record_java.py)."""
from __future__ import annotations

import threading

from hypothesis import example, given
from hypothesis import strategies as st

from purekafka.record import RecordBatchBuilder, read_batches
from purekafka.record import batch as batch_module

# Lengths around the varint steps (64, 8192) and past the bulk limit (one-by-one path).
_lengths = st.one_of(st.integers(0, 70), st.sampled_from([127, 128, 8191, 8192, 16_352, 20_000]))
_values = st.lists(_lengths.map(lambda n: bytes([n % 251]) * n), min_size=1, max_size=80)
_stamp = st.sampled_from([-1, 0, 5, 1_700_000_000_000, 1_700_000_000_063, 1_700_000_000_064,
                          1_700_000_100_000])


def _one_by_one(builder: RecordBatchBuilder, ts: int, values: list[bytes]) -> int:
    taken = 0
    for v in values:
        if builder.append(ts, None, v) is None:
            break
        taken += 1
    return taken


def _in_runs(builder: RecordBatchBuilder, ts: int, values: list[bytes], step: int) -> int:
    sizes = [len(v) for v in values]
    i = 0
    while i < len(values):
        taken, largest = builder.append_values(ts, values, sizes, i, min(len(values), i + step))
        if not taken:
            break
        assert 0 < largest
        i += taken
    return i


@given(values=_values, ts=_stamp, earlier=st.lists(_stamp.filter(lambda t: t >= 0), max_size=70),
       limit=st.sampled_from([0, 61, 100, 1024, 16_384, 65_536, 1 << 20]),
       step=st.integers(1, 100), codec=st.sampled_from([0, 1, 2, 3, 4]))
@example(values=[b"x" * 100] * 80, ts=1_700_000_000_000, earlier=[1_700_000_000_000] * 63,
         limit=1 << 20, step=100, codec=0)  # the offset deltas cross 64 inside one call
def test_append_values_writes_what_append_writes(values, ts, earlier, limit, step, codec) -> None:
    bulk = RecordBatchBuilder(codec, None, limit)
    single = RecordBatchBuilder(codec, None, limit)
    for t in earlier:  # records already in the batch, at other timestamps
        bulk.append(t, None, b"e")
        single.append(t, None, b"e")
    before = single.record_count
    taken = _in_runs(bulk, ts, values, step)
    assert taken == _one_by_one(single, ts, values)
    assert bulk.record_count == single.record_count == before + taken
    if taken < len(values):  # both refuse the next record now
        assert bulk.append(ts, None, values[taken]) is None and single.is_full()
    if single.record_count:
        out = bulk.build()
        if codec in (0, 2, 3):  # gzip and zstd frames need not be byte-identical
            assert out == single.build()
        [batch] = read_batches(out)
        assert [r.value for r in batch.records][before:] == values[:taken]
        assert [r.timestamp for r in batch.records][before:] == [ts] * taken
        assert all(r.key is None and not r.headers for r in batch.records[before:])


def test_a_full_batch_takes_nothing_and_an_empty_one_always_takes_the_first() -> None:
    b = RecordBatchBuilder(0, None, 100)
    assert b.append_values(0, [b"x" * 500], [500], 0, 1)[0] == 1  # larger than the batch
    assert b.append_values(0, [b"y"], [1], 0, 1) == (0, 0)
    assert b.record_count == 1


def test_tables_grown_by_racing_threads_agree() -> None:
    # Producers on several threads share the module's tables; each grows them on demand.
    batch_module._TABLES.clear()
    del batch_module._KEYLESS[:], batch_module._FIRST_STAMPS[:]
    lengths = list(range(0, 3000, 7))
    errors: list[BaseException] = []

    def fill(offset: int) -> None:
        try:
            for n in lengths[offset::4]:
                values = [b"z" * n] * 3
                bulk, single = RecordBatchBuilder(0, None, 1 << 20), RecordBatchBuilder(0, None, 1 << 20)
                bulk.append_values(7, values, [n] * 3, 0, 3)
                _one_by_one(single, 7, values)
                assert bulk.build() == single.build()
        except BaseException as e:  # noqa: BLE001 - reported by the main thread
            errors.append(e)

    threads = [threading.Thread(target=fill, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors

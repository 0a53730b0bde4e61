"""Accumulator.extend: what append() does record by record (batches, bytes, memory, the
append results, every record's token), a batch at a time; and delivery of its runs."""
from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from purekafka.core.accumulator import Accumulator
from purekafka.core.sender import BatchResult
from purekafka.futures import FutureBatchMetadata, FutureRecordMetadata, deliver
from purekafka.record import RecordBatchBuilder

TS = 1_700_000_000_000


def _acc(batch_size: int, memory: int, overhead: int) -> Accumulator:
    return Accumulator(lambda: RecordBatchBuilder(0, None, batch_size), batch_size=batch_size,
                       buffer_memory=memory, batch_overhead=overhead)


_op = st.one_of(
    st.tuples(st.just("extend"), st.integers(0, 1), st.lists(st.integers(0, 300), min_size=1, max_size=60),
              st.integers(0, 3)),
    st.tuples(st.just("send"), st.integers(0, 1), st.integers(0, 300), st.just(0)),
    st.tuples(st.just("drain"), st.integers(0, 1), st.just(0), st.just(0)),
)


@given(ops=st.lists(_op, min_size=1, max_size=25), batch_size=st.sampled_from([100, 1000, 16_384]),
       memory=st.integers(500, 40_000), overhead=st.sampled_from([0, 50, 700]))
def test_extend_does_what_appends_one_by_one_do(ops, batch_size, memory, overhead) -> None:
    bulk, single = _acc(batch_size, memory, overhead), _acc(batch_size, memory, overhead)
    for n, (kind, p, arg, delta) in enumerate(ops):
        tp = ("t", p)
        if kind == "drain":  # the I/O thread took the partition's head batch
            for acc in (bulk, single):
                if acc.batches.get(tp):
                    acc.batches[tp].popleft().close()
            continue
        if kind == "send":
            a = bulk.append(tp, TS, None, b"s" * arg, [], ("send", n), 21 + arg + 40, 0.0)
            b = single.append(tp, TS, None, b"s" * arg, [], ("send", n), 21 + arg + 40, 0.0)
            assert (a is None) == (b is None)
            if a is not None and b is not None:
                assert (a.new_batch, a.previous_full) == (b.new_batch, b.previous_full)
            continue
        owner = ("call", n)  # any object: extend never looks inside it
        values = [bytes([i % 250]) * size for i, size in enumerate(arg)]
        sizes = [len(v) for v in values]
        held = [21 + s + 60 for s in sizes]
        i = 0
        while i < len(values):
            got = bulk.extend(tp, TS + delta, values, sizes, held, i, len(values), owner, 0.0)
            first = single.append(tp, TS + delta, None, values[i], [], (owner, i), held[i], 0.0)
            if i:  # the run before stopped short: its next record opens a batch, or has no room
                assert first is None or first.new_batch
            if got is None:
                assert first is None
                break
            taken, result = got
            assert first is not None and taken >= 1
            assert (result.new_batch, result.previous_full) == (first.new_batch, first.previous_full)
            for j in range(i + 1, i + taken):
                later = single.append(tp, TS + delta, None, values[j], [], (owner, j), held[j], 0.0)
                assert later is not None and not later.new_batch
            i += taken
        assert bulk.used_memory == single.used_memory
    assert bulk.used_memory == single.used_memory
    for tp, dq in single.batches.items():
        mine = list(bulk.batches.get(tp, ()))
        assert [b.record_tokens() for b in mine] == [b.tokens for b in dq]
        assert [b.memory for b in mine] == [b.memory for b in dq]
        assert [b.record_count for b in mine] == [b.record_count for b in dq]
        assert [b.close() for b in mine] == [b.close() for b in dq]


def _result(batch, base: int, exc: BaseException | None = None) -> BatchResult:
    return BatchResult(batch=batch, exception=exc, base_offset=base, timestamp=None, log_start_offset=0)


def test_runs_and_single_futures_in_one_batch_complete_with_their_offsets() -> None:
    acc = _acc(1 << 20, 1 << 20, 0)
    tp = ("t", 0)
    one, two = FutureBatchMetadata("t", 5), FutureBatchMetadata("t", 3)
    values = [b"v%d" % i for i in range(5)]
    acc.extend(tp, TS, values, [2] * 5, [30] * 5, 0, 3, one, 0.0)
    fut = FutureRecordMetadata("t", 0, TS, -1, 2, -1)
    acc.append(tp, TS, None, b"xx", [], fut, 30, 0.0)  # a send() between two runs
    acc.extend(tp, TS, values, [2] * 5, [30] * 5, 3, 5, one, 0.0)
    acc.extend(tp, TS, values, [2] * 5, [30] * 5, 0, 3, two, 0.0)
    [batch] = acc.batches[tp]
    assert batch.record_tokens() == [(one, 0), (one, 1), (one, 2), fut, (one, 3), (one, 4),
                                     (two, 0), (two, 1), (two, 2)]
    deliver([_result(batch, 100)])
    assert [m.offset for m in one.get(0)] == [100, 101, 102, 104, 105]
    assert [m.offset for m in two.get(0)] == [106, 107, 108]
    assert fut.get(0).offset == 103


def test_a_run_batch_delivered_twice_or_split_keeps_each_records_result() -> None:
    acc = _acc(1 << 20, 1 << 20, 0)
    tp = ("t", 0)
    owner = FutureBatchMetadata("t", 6)
    values = [b"v%d" % i for i in range(6)]
    acc.extend(tp, TS, values, [2] * 6, [30] * 6, 0, 6, owner, 0.0)
    [batch] = acc.batches[tp]
    acc.batches[tp].popleft()
    batch.close()
    low, high = acc.split(batch, 0.0)  # the broker found it too large
    assert low.runs is None and low.tokens == [(owner, i) for i in range(3)]
    deliver([_result(high, 50)])
    deliver([_result(low, 10), _result(low, 99, RuntimeError("late duplicate"))])
    assert [m.offset for m in owner.get(0)] == [10, 11, 12, 50, 51, 52]
    again = FutureBatchMetadata("t", 2)
    acc.extend(tp, TS, values, [2] * 6, [30] * 6, 0, 2, again, 0.0)
    other = acc.batches[tp][-1]  # behind the two halves, queued again
    deliver([_result(other, 7, RuntimeError("refused"))])
    deliver([_result(other, 8)])  # a second answer changes nothing
    assert all(isinstance(r, RuntimeError) for r in again.results(0))

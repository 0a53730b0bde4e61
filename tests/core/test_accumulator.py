"""core.accumulator: batching, ready/drain, memory bound, retries, expiry (no I/O, time passed in)."""
from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from purekafka.core.accumulator import SEAL_LEASE_MS, Accumulator, RecordAppendResult
from purekafka.record import RecordBatchBuilder, read_batches

LEADERS = {("a", 0): 1, ("a", 1): 2, ("b", 0): 1}


def _acc(**kw) -> Accumulator:
    batch_size = kw.pop("batch_size", 1024)
    return Accumulator(lambda: RecordBatchBuilder(0, None, batch_size), batch_size=batch_size, **kw)


def _leader(tp):
    return LEADERS.get(tp, -1)


def _parts(node):
    return [tp for tp, n in LEADERS.items() if n == node]


def _undrained(acc: Accumulator) -> bool:
    return any(acc.batches.values())


def _append(acc, tp, value=b"v", now=0.0, token=None, abort=False) -> RecordAppendResult | None:
    return acc.append(tp, 1000, None, value, [], token, 21 + len(value), now, abort)


def test_batch_waits_for_linger_then_is_ready() -> None:
    acc = _acc(linger_ms=10)
    _append(acc, ("a", 0), now=0)
    rc = acc.ready(_leader, 5)
    assert rc.nodes == set() and rc.next_check_ms == 5
    assert acc.ready(_leader, 10).nodes == {1}


def test_full_batch_is_ready_at_once_and_a_new_one_opens() -> None:
    acc = _acc(linger_ms=1000, batch_size=200)
    first = _append(acc, ("a", 0), b"x" * 100)
    second = _append(acc, ("a", 0), b"x" * 100)
    assert first.batch is not second.batch
    assert first.new_batch and not first.previous_full
    assert second.new_batch and second.previous_full and first.batch.full
    assert acc.ready(_leader, 0).nodes == {1}


def test_unknown_leader_is_reported() -> None:
    acc = _acc()
    _append(acc, ("c", 0))
    rc = acc.ready(_leader, 100)
    assert rc.unknown_leader_topics == {"c"} and rc.nodes == set()


def test_drain_takes_one_batch_per_partition_within_max_request_size() -> None:
    acc = _acc(batch_size=300)
    for _ in range(4):
        _append(acc, ("a", 0), b"x" * 200)
        _append(acc, ("b", 0), b"y" * 200)
    drained = acc.drain(_parts, [1], max_request_size=10_000, now_ms=0)
    assert sorted(b.tp for b in drained[1]) == [("a", 0), ("b", 0)]
    assert all(b.closed for b in drained[1])
    # A limit that fits one batch: only one goes, and the next drain starts elsewhere.
    drained = acc.drain(_parts, [1], max_request_size=300, now_ms=0)
    first = drained[1][0].tp
    drained = acc.drain(_parts, [1], max_request_size=300, now_ms=0)
    assert drained[1][0].tp != first


def test_memory_is_bounded_and_returned() -> None:
    acc = _acc(buffer_memory=1000)
    batches = []
    while True:
        r = _append(acc, ("a", 0), b"z" * 79)
        if r is None:
            break
        batches.append(r.batch)
    assert acc.used_memory <= 1000 and len(batches) == 10
    for b in acc.drain(_parts, [1], 1 << 20, 0)[1]:
        acc.deallocate(b)
    assert acc.used_memory < 1000
    assert _append(acc, ("a", 0), b"z" * 79) is not None


def test_retried_batch_waits_for_its_backoff_and_goes_first() -> None:
    acc = _acc(retry_backoff_ms=100, retry_backoff_max_ms=100, linger_ms=0)
    _append(acc, ("a", 0), b"1")
    (batch,) = acc.drain(_parts, [1], 1 << 20, 0)[1]
    _append(acc, ("a", 0), b"2")
    acc.reenqueue(batch, 0)
    assert 80 <= batch.retry_at_ms <= 120  # +-20% jitter
    assert acc.ready(_leader, 10).nodes == set()
    assert acc.ready(_leader, 130).nodes == {1}
    (again,) = acc.drain(_parts, [1], 1 << 20, 130)[1]
    assert again is batch


def test_backoff_grows_exponentially_to_the_cap() -> None:
    acc = _acc(retry_backoff_ms=100, retry_backoff_max_ms=1000, random=lambda: 0.5)
    assert [acc.backoff_ms(n) for n in (1, 2, 3, 4, 5, 10)] == [100, 200, 400, 800, 1000, 1000]


def test_expiry_after_delivery_timeout() -> None:
    acc = _acc(delivery_timeout_ms=500)
    _append(acc, ("a", 0), now=0)
    _append(acc, ("b", 0), now=300)
    assert acc.expired(499) == []
    assert [b.tp for b in acc.expired(500)] == [("a", 0)]
    assert acc.next_expiry_ms(500) == 300


@given(values=st.lists(st.binary(max_size=300), min_size=1, max_size=60),
       batch_size=st.sampled_from([0, 100, 500, 4096]))
def test_drained_batches_hold_every_record_once_in_order(values, batch_size) -> None:
    acc = _acc(batch_size=batch_size)
    for i, v in enumerate(values):
        assert _append(acc, ("a", 0), v, token=i) is not None
    tokens, decoded = [], []
    while _undrained(acc):
        for b in acc.drain(_parts, [1], 1 << 30, 0).get(1, []):
            tokens.extend(b.tokens)
            for batch in read_batches(b.buffer):
                decoded.extend(r.value for r in batch.records)
    assert tokens == list(range(len(values)))
    assert decoded == values


def test_append_result_tells_a_new_batch_from_a_joined_one() -> None:
    acc = _acc(batch_size=4096)
    first = _append(acc, ("a", 0))
    joined = _append(acc, ("a", 0))
    assert first.new_batch and not first.previous_full and not first.abort_for_new_batch
    assert joined.batch is first.batch and not joined.new_batch and not joined.previous_full
    assert joined.batch.record_count == 2 and not joined.batch_is_full
    other = _append(acc, ("a", 1))
    assert other.new_batch and other.batch is not first.batch


def test_append_after_a_drain_opens_a_batch_without_a_full_previous_one() -> None:
    acc = _acc(batch_size=4096)
    _append(acc, ("a", 0))
    (drained,) = acc.drain(_parts, [1], 1 << 20, 0)[1]
    acc.reenqueue(drained, 0)  # a closed batch is the tail now
    r = _append(acc, ("a", 0))
    assert r.new_batch and not r.previous_full and r.batch is not drained


def test_batch_is_full_asks_the_builder_and_a_closed_batch_is_full() -> None:
    acc = _acc(batch_size=200)
    r = _append(acc, ("a", 0), b"x" * 150)
    assert r.batch_is_full  # the builder's estimate reached batch_size: nothing more fits
    acc.drain(_parts, [1], 1 << 20, 0)
    assert r.batch.builder is None and r.batch_is_full
    small = _append(acc, ("a", 0), b"x")
    assert not small.batch_is_full


def test_abort_on_new_batch_appends_nothing() -> None:
    acc = _acc(batch_size=200)
    aborted = _append(acc, ("a", 0), abort=True)  # the first batch would be new too
    assert aborted.abort_for_new_batch and aborted.batch is None and aborted.batch_is_full
    assert acc.used_memory == 0 and not _undrained(acc)
    first = _append(acc, ("a", 0), b"x" * 100)
    joined = _append(acc, ("a", 0), b"x" * 10, abort=True)  # fits: appended as usual
    assert joined.batch is first.batch and not joined.abort_for_new_batch
    before = acc.used_memory
    refused = _append(acc, ("a", 0), b"x" * 100, abort=True)
    assert refused.abort_for_new_batch and acc.used_memory == before
    assert first.batch.full and first.batch.record_count == 2
    # Appended without abort afterwards: the full batch before it is due now.
    r = _append(acc, ("a", 0), b"x" * 100)
    assert r.new_batch and r.previous_full and r.batch is not first.batch


def test_queue_sizes_count_batches_per_partition() -> None:
    acc = _acc(batch_size=100)
    for _ in range(3):
        _append(acc, ("a", 0), b"x" * 90)
    _append(acc, ("a", 1), b"x")
    assert acc.queue_sizes("a", [0, 1, 2]) == [3, 1, 0]
    assert acc.queue_sizes("b", [0]) == [0]


@given(ops=st.lists(st.tuples(st.sampled_from([("a", 0), ("a", 1)]), st.binary(max_size=400),
                              st.booleans(), st.booleans()), min_size=1, max_size=60))
def test_append_results_match_the_queues(ops) -> None:
    # Whatever the mix of appends, drains and aborts, each result says what happened
    # to the partition's queue: a new batch at its tail, or the same tail grown by one.
    acc = _acc(batch_size=300)
    for tp, value, abort, drain in ops:
        if drain:
            acc.drain(_parts, [1, 2], 1 << 20, 0)
        dq = acc.batches.get(tp)
        tail = dq[-1] if dq else None
        count = tail.record_count if tail is not None else 0
        r = _append(acc, tp, value, abort=abort)
        dq = acc.batches[tp] if tp in acc.batches else None
        if r.abort_for_new_batch:
            assert abort and (dq[-1] if dq else None) is tail
            continue
        assert r.batch is dq[-1]
        if r.new_batch:
            assert r.batch is not tail and r.batch.record_count == 1
            assert r.previous_full == (tail is not None and tail.buffer is None)
            assert not r.previous_full or tail.full
        else:
            assert r.batch is tail and tail.record_count == count + 1 and not r.previous_full


def _zstd_acc(**kw) -> Accumulator:
    batch_size = kw.pop("batch_size", 1024)
    return Accumulator(lambda: RecordBatchBuilder(4, None, batch_size), batch_size=batch_size, **kw)


def test_a_batch_being_sealed_is_neither_ready_nor_drained_until_end_seal() -> None:
    acc = _zstd_acc(linger_ms=1000, batch_size=200)
    first = _append(acc, ("a", 0), b"x" * 100)
    second = _append(acc, ("a", 0), b"x" * 100)
    assert second.previous_full and second.previous is first.batch
    snapshot = acc.begin_seal(second.previous, 0)
    assert snapshot is not None and snapshot[0] == 1
    assert acc.begin_seal(second.previous, 0) is None  # one sealer at a time
    rc = acc.ready(_leader, 0)
    assert rc.nodes == set() and rc.next_check_ms == SEAL_LEASE_MS  # the sealer wakes the sender
    assert acc.drain(_parts, [1], 1 << 20, 0) == {}
    assert first.batch.builder.precompress(snapshot)
    acc.end_seal(first.batch)
    assert acc.ready(_leader, 0).nodes == {1}
    drained = acc.drain(_parts, [1], 1 << 20, 0)
    assert drained[1] == [first.batch]
    [b] = read_batches(first.batch.buffer, verify_crc=True)
    assert [r.value for r in b.records] == [b"x" * 100]


def test_begin_seal_declines_without_a_codec_or_a_batch() -> None:
    acc = _acc(batch_size=200)
    _append(acc, ("a", 0), b"x" * 100)
    second = _append(acc, ("a", 0), b"x" * 100)
    assert second.previous_full and acc.begin_seal(second.previous, 0) is None
    assert acc.begin_seal(None, 0) is None


def test_a_batch_being_sealed_still_expires_and_aborts() -> None:
    acc = _zstd_acc(batch_size=200, delivery_timeout_ms=100)
    first = _append(acc, ("a", 0), b"x" * 100)
    second = _append(acc, ("a", 0), b"x" * 100, now=50)
    assert acc.begin_seal(second.previous, 0) is not None
    assert acc.expired(100) == [first.batch]
    acc.end_seal(first.batch)  # after its expiry: harmless
    assert acc.abort_all() == [second.batch]


def test_a_seal_never_ended_holds_its_batch_back_only_until_the_lease_ends() -> None:
    acc = _zstd_acc(linger_ms=1000, batch_size=200)
    first = _append(acc, ("a", 0), b"x" * 100)
    second = _append(acc, ("a", 0), b"x" * 100)
    assert acc.begin_seal(second.previous, 0) is not None  # and its sealer vanished
    assert acc.drain(_parts, [1], 1 << 20, SEAL_LEASE_MS - 1) == {}
    assert acc.ready(_leader, SEAL_LEASE_MS).nodes == {1}
    assert acc.drain(_parts, [1], 1 << 20, SEAL_LEASE_MS)[1] == [first.batch]
    [b] = read_batches(first.batch.buffer, verify_crc=True)
    assert [r.value for r in b.records] == [b"x" * 100]

"""core.accumulator: batching, ready/drain, memory bound, retries, expiry (no I/O, time passed in)."""
from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from purekafka.core.accumulator import Accumulator
from purekafka.record import RecordBatchBuilder, read_batches

LEADERS = {("a", 0): 1, ("a", 1): 2, ("b", 0): 1}


def _acc(**kw) -> Accumulator:
    batch_size = kw.pop("batch_size", 1024)
    return Accumulator(lambda: RecordBatchBuilder(0, None, batch_size), batch_size=batch_size, **kw)


def _leader(tp):
    return LEADERS.get(tp, -1)


def _parts(node):
    return [tp for tp, n in LEADERS.items() if n == node]


def _append(acc, tp, value=b"v", now=0.0, token=None):
    return acc.append(tp, 1000, None, value, [], token, 21 + len(value), now)


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
    assert first is not second
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
        b = _append(acc, ("a", 0), b"z" * 79)
        if b is None:
            break
        batches.append(b)
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
    while acc.has_undrained():
        for b in acc.drain(_parts, [1], 1 << 30, 0).get(1, []):
            tokens.extend(b.tokens)
            for batch in read_batches(b.buffer):
                decoded.extend(r.value for r in batch.records)
    assert tokens == list(range(len(values)))
    assert decoded == values

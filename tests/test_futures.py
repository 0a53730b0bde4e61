"""futures: FutureRecordMetadata completed by deliver(), kafka-python's Future API."""
from __future__ import annotations

import logging
import threading
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from purekafka import TopicPartition
from purekafka import errors as Errors
from purekafka.core.accumulator import Accumulator
from purekafka.core.sender import BatchResult
from purekafka.futures import FutureRecordMetadata, deliver
from purekafka.record import RecordBatchBuilder


def _future(partition: int = 2, ts: int = 1_000) -> FutureRecordMetadata:
    return FutureRecordMetadata("t", partition, ts, 3, 5, -1)


def _batch(futures: list[FutureRecordMetadata]):
    acc = Accumulator(lambda: RecordBatchBuilder(0, None, 1 << 20))
    batch = None
    for f in futures:
        result = acc.append(("t", f.partition), f.timestamp_ms, b"key", b"value", [], f, 30, 0.0)
        assert result is not None
        batch = result.batch
    assert batch is not None and batch.tokens == futures
    return batch


def _ack(futures, base_offset=40, log_time=-1, lso=7) -> None:
    deliver([BatchResult(_batch(futures), base_offset, log_time, lso)])


def _fail(futures, exc: BaseException) -> None:
    deliver([BatchResult(_batch(futures), -1, -1, -1, exc)])


def test_acknowledged_futures_carry_their_record_metadata() -> None:
    futures = [_future(ts=1_000 + i) for i in range(3)]
    _ack(futures, base_offset=40, lso=7)
    for i, f in enumerate(futures):
        assert f.is_done and f.succeeded() and not f.failed() and not f.retriable()
        meta = f.get(0)
        assert meta is f.value
        assert (meta.topic, meta.partition, meta.offset) == ("t", 2, 40 + i)
        assert meta.topic_partition == TopicPartition("t", 2)
        assert meta.timestamp == 1_000 + i  # CreateTime: the record's own timestamp
        assert meta.log_start_offset == 7 and meta.checksum is None
        assert (meta.serialized_key_size, meta.serialized_value_size,
                meta.serialized_header_size) == (3, 5, -1)


def test_log_append_time_and_acks_zero_offsets() -> None:
    f = _future()
    _ack([f], base_offset=-1, log_time=123_456)
    assert f.get(0).offset == -1 and f.get(0).timestamp == 123_456


def test_failed_future_raises_its_error() -> None:
    f = _future()
    err = Errors.NotLeaderForPartitionError("moved")
    _fail([f], err)
    assert f.is_done and f.failed() and not f.succeeded()
    assert f.retriable() and f.value is None and f.exception is err
    with pytest.raises(Errors.NotLeaderForPartitionError) as caught:
        f.get(0)
    assert caught.value is err
    fatal = _future()
    _fail([fatal], Errors.MessageSizeTooLargeError("big"))
    assert fatal.failed() and not fatal.retriable()


def test_get_times_out_with_kafka_timeout_error() -> None:
    f = _future()
    started = time.monotonic()
    with pytest.raises(Errors.KafkaTimeoutError):
        f.get(0.05)
    assert time.monotonic() - started >= 0.04
    with pytest.raises(Errors.KafkaTimeoutError):
        f.get(0)
    assert not f.is_done
    _ack([f])
    assert f.get(0).offset == 40  # a timed-out get() leaves the future usable


def test_get_wakes_when_another_thread_delivers() -> None:
    f = _future()
    got: list[int] = []
    waiter = threading.Thread(target=lambda: got.append(f.get(10).offset))
    waiter.start()
    time.sleep(0.05)
    _ack([f], base_offset=9)
    waiter.join(5)
    assert got == [9]


def test_callbacks_run_in_order_and_errbacks_only_on_failure() -> None:
    calls: list[object] = []
    f = _future()
    f.add_callback(lambda m: calls.append(("cb1", m.offset)))
    f.add_errback(lambda e: calls.append(("eb", e)))
    f.add_callback(lambda tag, m, extra=None: calls.append((tag, m.offset, extra)), "cb2", extra=1)
    f.add_both(lambda r: calls.append(("both", r.offset)))
    assert calls == []
    _ack([f], base_offset=5)
    assert calls == [("cb1", 5), ("cb2", 5, 1), ("both", 5)]

    calls.clear()
    g = _future()
    err = Errors.KafkaTimeoutError("expired")
    g.add_callback(lambda m: calls.append("cb"))
    g.add_errback(lambda e: calls.append(("eb1", e)))
    g.add_errback(lambda tag, e: calls.append((tag, e)), "eb2")
    g.add_both(lambda r: calls.append(("both", r)))
    _fail([g], err)
    assert calls == [("eb1", err), ("eb2", err), ("both", err)]


def test_callbacks_added_after_completion_run_at_once() -> None:
    f = _future()
    _ack([f], base_offset=3)
    calls: list[object] = []
    assert f.add_callback(lambda m: calls.append(m.offset)) is f
    assert f.add_errback(lambda e: calls.append("never")) is f
    f.add_both(lambda r: calls.append(("both", r.offset)))
    assert calls == [3, ("both", 3)]
    g = _future()
    err = Errors.KafkaError("boom")
    _fail([g], err)
    g.add_callback(lambda m: calls.append("never"))
    g.add_errback(lambda e: calls.append(e))
    assert calls == [3, ("both", 3), err]


def test_a_raising_callback_is_logged_and_the_rest_still_run(caplog) -> None:
    calls: list[int] = []
    f = _future()
    f.add_callback(lambda m: 1 / 0)
    f.add_callback(lambda m: calls.append(m.offset))
    with caplog.at_level(logging.ERROR, logger="purekafka.producer"):
        _ack([f], base_offset=1)
    assert calls == [1]
    assert any("callback" in r.getMessage() and r.exc_info for r in caplog.records)


def test_a_future_completes_once() -> None:
    f = _future()
    calls: list[object] = []
    f.add_both(calls.append)
    err = Errors.KafkaError("first")
    f._finish(None, err)
    _ack([f])  # a later result for a done future is ignored
    f._finish((1, -1, -1), None)
    assert f.exception is err and calls == [err]


@given(before=st.integers(0, 4), after=st.integers(0, 4), success=st.booleans())
def test_every_callback_runs_exactly_once_in_registration_order(before, after, success) -> None:
    f = _future()
    err = Errors.KafkaError("no")
    calls: list[tuple[str, int, object]] = []

    def register(n: int, start: int) -> None:
        for i in range(start, start + n):
            f.add_callback(lambda m, i=i: calls.append(("cb", i, m.offset)))
            f.add_errback(lambda e, i=i: calls.append(("eb", i, e)))

    register(before, 0)
    if success:
        _ack([f], base_offset=11)
    else:
        _fail([f], err)
    register(after, before)
    kind, arg = ("cb", 11) if success else ("eb", err)
    assert calls == [(kind, i, arg) for i in range(before + after)]


def test_repr_names_state() -> None:
    f = _future()
    assert "pending" in repr(f)
    _ack([f])
    assert "done" in repr(f)
    g = _future()
    _fail([g], Errors.KafkaError("x"))
    assert "failed" in repr(g)

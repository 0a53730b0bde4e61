"""Drop-in: RecordMetadata's kafka-python 3 layout and the Future API user code reaches
(chain, success, failure, error_on_callbacks)."""
from __future__ import annotations

import logging
import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st

from purekafka import TopicPartition
from purekafka import errors as Errors
from purekafka.core.accumulator import Accumulator
from purekafka.core.sender import BatchResult
from purekafka.futures import Future, FutureRecordMetadata, RecordMetadata, deliver
from purekafka.record import RecordBatchBuilder

kafka_future = pytest.importorskip("kafka.producer.future")


def _future(partition: int = 1, ts: int = 500) -> FutureRecordMetadata:
    return FutureRecordMetadata("t", partition, ts, 2, 4, -1)


def _ack(fut: FutureRecordMetadata, base_offset: int = 10, lso: int = 3) -> None:
    acc = Accumulator(lambda: RecordBatchBuilder(0, None, 1 << 20))
    result = acc.append(("t", fut.partition), fut.timestamp_ms, b"k", b"v", [], fut, 30, 0.0)
    assert result is not None
    deliver([BatchResult(result.batch, base_offset, -1, lso)])


# -- RecordMetadata ----------------------------------------------------------------------

def test_record_metadata_has_kafka_python_3_fields_in_order() -> None:
    assert RecordMetadata._fields == kafka_future.RecordMetadata._fields
    assert len(RecordMetadata._fields) == 9 and "log_start_offset" not in RecordMetadata._fields


def test_acknowledged_metadata_unpacks_indexes_and_converts_as_kafka_python_3() -> None:
    f = _future()
    _ack(f, base_offset=10, lso=3)
    md = f.get(0)
    topic, partition, tp, offset, timestamp, checksum, ksize, vsize, hsize = md
    assert (topic, partition, tp, offset, timestamp) == ("t", 1, TopicPartition("t", 1), 10, 500)
    assert (checksum, ksize, vsize, hsize) == (None, 2, 4, -1)
    assert md[5] is None  # checksum, where kafka-python 2 had log_start_offset
    theirs = kafka_future.RecordMetadata("t", 1, TopicPartition("t", 1), 10, 500, None, 2, 4, -1)
    assert md == theirs and tuple(md) == tuple(theirs)
    assert md._asdict() == theirs._asdict()
    assert list(md._asdict()) == list(theirs._asdict())
    # Kept readable, outside the tuple.
    assert md.log_start_offset == 3
    assert pickle.loads(pickle.dumps(md)) == md


def test_record_metadata_built_by_hand_defaults_log_start_offset() -> None:
    md = RecordMetadata("t", 0, TopicPartition("t", 0), 1, 2, None, 3, 4, 5)
    assert md.log_start_offset == -1 and md._replace(offset=9).offset == 9
    with pytest.raises(TypeError):
        RecordMetadata("t", 0, TopicPartition("t", 0), 1, 2, 7, None, 3, 4, 5)  # 10 fields: no


# -- Future API --------------------------------------------------------------------------

def test_future_record_metadata_is_a_future_with_kafka_pythons_methods() -> None:
    f = _future()
    assert isinstance(f, Future)
    for name in ("succeeded", "failed", "retriable", "success", "failure", "add_callback",
                 "add_errback", "add_both", "chain", "is_done", "value", "exception", "get"):
        assert hasattr(f, name), name
    assert FutureRecordMetadata.error_on_callbacks is False


def test_success_and_failure_complete_once_and_run_callbacks() -> None:
    calls: list[object] = []
    f = Future().add_callback(calls.append).add_errback(lambda e: calls.append(("eb", e)))
    assert f.success(42) is f
    assert f.is_done and f.succeeded() and f.value == 42 and calls == [42]
    f.failure(Errors.KafkaError("late"))  # done: ignored
    assert f.succeeded() and calls == [42]

    g = Future().add_errback(calls.append)
    g.failure(Errors.NotLeaderForPartitionError)  # a class is instantiated, as kafka-python
    assert g.failed() and g.retriable() and isinstance(calls[-1], Errors.NotLeaderForPartitionError)
    with pytest.raises(TypeError, match="without an exception"):
        Future().failure("not an exception")  # type: ignore[arg-type]


def test_success_by_hand_on_a_send_future_is_what_get_returns() -> None:
    f = _future()
    f.success("anything")
    assert f.get(0) == "anything"
    _ack(f)  # the broker's answer for a future already done is ignored
    assert f.value == "anything"


def test_chain_passes_success_and_failure_on() -> None:
    f, target = _future(), Future()
    assert f.chain(target) is f
    _ack(f, base_offset=77)
    assert target.succeeded() and target.value.offset == 77

    g, failed_target = Future(), Future()
    g.chain(failed_target)
    err = Errors.KafkaTimeoutError("expired")
    g.failure(err)
    assert failed_target.failed() and failed_target.exception is err

    # kafka-python's own Future is a valid chain target too.
    from kafka.future import Future as TheirFuture
    theirs = TheirFuture()
    done = Future()
    done.success(5)
    done.chain(theirs)
    assert theirs.succeeded() and theirs.value == 5


def test_a_raising_callback_is_logged_not_raised_by_default(caplog) -> None:
    f = Future()
    f.add_callback(lambda v: 1 / 0)
    with caplog.at_level(logging.ERROR, logger="purekafka.producer"):
        f.success(1)
        f.add_callback(lambda v: 1 / 0)  # already done: runs now, still only logged
    assert sum(1 for r in caplog.records if r.exc_info) == 2


class _Strict(Future):
    __slots__ = ()
    error_on_callbacks = True


def test_error_on_callbacks_raises_on_the_completing_or_registering_thread() -> None:
    f = _Strict()
    f.add_callback(lambda v: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        f.success(1)
    with pytest.raises(ZeroDivisionError):
        f.add_callback(lambda v: 1 / 0)
    g = _Strict()
    g.failure(Errors.KafkaError("x"))
    with pytest.raises(KeyError):
        g.add_errback(lambda e: {}["missing"])


def test_error_on_callbacks_never_raises_into_the_io_threads_delivery(monkeypatch, caplog) -> None:
    monkeypatch.setattr(FutureRecordMetadata, "error_on_callbacks", True)
    f = _future()
    ran: list[int] = []
    f.add_callback(lambda md: 1 / 0)
    f.add_callback(lambda md: ran.append(md.offset))
    with caplog.at_level(logging.ERROR, logger="purekafka.producer"):
        _ack(f, base_offset=4)  # deliver() runs on the I/O thread: it must not raise
    assert ran == [4]
    with pytest.raises(ZeroDivisionError):  # the user's own thread: raised
        f.add_callback(lambda md: 1 / 0)


@given(st.lists(st.sampled_from(["cb", "eb", "both"]), max_size=6), st.booleans(),
       st.integers(0, 6))
def test_callbacks_run_once_in_order_whenever_registered(kinds, succeed, split) -> None:
    f = Future()
    calls: list[tuple[int, object]] = []
    outcome: object = "v" if succeed else Errors.KafkaError("no")

    def register(i: int, kind: str) -> None:
        cb = lambda r, i=i: calls.append((i, r))  # noqa: E731
        {"cb": f.add_callback, "eb": f.add_errback, "both": f.add_both}[kind](cb)

    for i, kind in enumerate(kinds[:split]):
        register(i, kind)
    if succeed:
        f.success(outcome)
    else:
        f.failure(outcome)  # type: ignore[arg-type]
    for i, kind in enumerate(kinds[split:], start=min(split, len(kinds))):
        register(i, kind)
    wanted = {"cb", "both"} if succeed else {"eb", "both"}
    assert calls == [(i, outcome) for i, k in enumerate(kinds) if k in wanted]

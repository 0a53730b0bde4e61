"""core.sender decisions that need no network: how failures are reported."""
from __future__ import annotations

from purekafka import errors
from purekafka.core.accumulator import Accumulator
from purekafka.core.cluster import Cluster
from purekafka.core.idempotence import IdempotenceState
from purekafka.core.sender import Sender
from purekafka.protocol.init_producer_id import InitProducerIdResponse
from purekafka.record import RecordBatchBuilder

TP = ("topic", 0)


def _stamped_batch(idempotent: bool):
    acc = Accumulator(lambda: RecordBatchBuilder(0, None, 16384), delivery_timeout_ms=5_000)
    idem = None
    if idempotent:
        idem = IdempotenceState(False)
        idem.handle_init_producer_id_response(InitProducerIdResponse(producer_id=7, producer_epoch=0), 0.0)
    sender = Sender(Cluster([("127.0.0.1", 1)]), acc, network=None,  # type: ignore[arg-type]
                    delivery_timeout_ms=5_000, idempotence=idem)
    batch = acc.append(TP, 0, None, b"v", [], "token", 30, now_ms=0.0)
    (drained,) = acc.drain(lambda node: [TP], [1], 1 << 20, 0.0, sender._admit if idem else None)[1]
    return sender, drained


def test_non_retriable_error_is_named_once_with_the_brokers_message() -> None:
    for idempotent in (True, False):
        sender, batch = _stamped_batch(idempotent)
        cls = errors.for_code(10)  # MESSAGE_TOO_LARGE on a single record: final
        sender._retry_or_fail(batch, cls("Batch too big for this topic"), cls.retriable, 100.0, 10)
        (ev,) = sender.pop_events()
        assert isinstance(ev.exception, errors.MessageSizeTooLargeError)
        assert str(ev.exception).count("MESSAGE_TOO_LARGE") <= 1, str(ev.exception)
        assert "Batch too big" in str(ev.exception)


def test_retriable_error_past_delivery_timeout_is_a_timeout() -> None:
    sender, batch = _stamped_batch(True)
    cls = errors.for_code(6)  # NOT_LEADER_OR_FOLLOWER
    sender._retry_or_fail(batch, cls(), True, 6_000.0, 6)
    (ev,) = sender.pop_events()
    assert isinstance(ev.exception, errors.KafkaTimeoutError) and "NOT_LEADER" in str(ev.exception)


def test_retriable_error_within_budget_requeues_after_backoff() -> None:
    sender, batch = _stamped_batch(True)
    cls = errors.for_code(6)
    sender._retry_or_fail(batch, cls(), True, 100.0, 6)
    assert sender.pop_events() == []
    assert sender.acc.batches[TP][0] is batch and batch.attempts == 1 and batch.retry_at_ms > 100.0

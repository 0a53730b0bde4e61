"""core.sender decisions that need no network: how failures are reported."""
from __future__ import annotations

from purekafka import errors
from purekafka.core.accumulator import Accumulator, FinalState
from purekafka.core.cluster import Cluster
from purekafka.core.connection import InFlight
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


# -- acks=0: done when written, not when queued ------------------------------------------

class _FakeNetwork:
    """One ready broker (node 1) that records what the sender hands it."""

    def __init__(self) -> None:
        self.sent: list[tuple[bool, InFlight]] = []

    def is_ready(self, node_id, now_ms):
        return True

    def maybe_connect(self, node_id, now_ms):
        pass

    def connection_delay_ms(self, node_id, now_ms):
        return float("inf")

    def api_version(self, node_id, api_key):
        return 9  # Produce v9: topics by name

    def least_loaded_node(self, now_ms):
        return 1

    def send(self, node_id, api_key, version, body, now_ms, expect_response, context):
        req = InFlight(len(self.sent), api_key, version, now_ms, expect_response, context)
        self.sent.append((expect_response, req))
        return req


def _acks0_sender(retries: float = float("inf")):
    from purekafka.protocol import metadata as md

    cluster = Cluster([("127.0.0.1", 1)])
    cluster.add_topic(TP[0])
    resp = md.MetadataResponse()
    resp.brokers = [md.MetadataResponseBroker(node_id=1, host="127.0.0.1", port=1)]
    t = md.MetadataResponseTopic(error_code=0, name=TP[0])
    t.partitions = [md.MetadataResponsePartition(partition_index=0, leader_id=1)]
    resp.topics.append(t)
    cluster.update(resp, 0.0)
    acc = Accumulator(lambda: RecordBatchBuilder(0, None, 16384), delivery_timeout_ms=5_000)
    net = _FakeNetwork()
    sender = Sender(cluster, acc, net, acks=0, retries=retries, delivery_timeout_ms=5_000)  # type: ignore[arg-type]
    batch = acc.append(TP, 0, None, b"v", [], "token", 30, now_ms=0.0)
    sender.run_once(0.0)
    ((expect, req),) = net.sent
    assert expect is False
    return sender, batch, req


def test_acks0_batch_completes_when_its_request_is_written() -> None:
    sender, batch, req = _acks0_sender()
    # Queued for writing is not delivered: the bytes may still be in our buffer.
    assert sender.pop_events() == [] and batch.final_state is None
    sender.on_sent(1, req, 1.0)
    (ev,) = sender.pop_events()
    assert ev.batch is batch and ev.exception is None and ev.base_offset == -1
    assert not sender.acc.has_incomplete()


def test_acks0_request_lost_before_written_is_retried_not_reported_sent() -> None:
    sender, batch, req = _acks0_sender()
    sender.on_disconnect(1, [req], 1.0)
    assert sender.pop_events() == []
    assert sender.acc.batches[TP][0] is batch and batch.attempts == 1


def test_acks0_request_lost_before_written_without_retries_fails() -> None:
    sender, batch, req = _acks0_sender(retries=0)
    sender.on_disconnect(1, [req], 1.0)
    (ev,) = sender.pop_events()
    assert isinstance(ev.exception, errors.KafkaConnectionError)


def test_acks0_request_never_written_expires_at_the_delivery_timeout() -> None:
    sender, batch, req = _acks0_sender()
    sender.run_once(5_000.0)
    (ev,) = sender.pop_events()
    assert isinstance(ev.exception, errors.KafkaTimeoutError)
    sender.on_sent(1, req, 5_001.0)  # the late write changes nothing
    assert sender.pop_events() == [] and batch.final_state is FinalState.FAILED

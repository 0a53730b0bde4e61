"""core.sender through its public entry points, over a fake network.

Every test drives ``run_once`` and answers the requests the sender handed to the
``FakeNetwork`` with ``on_response`` / ``on_sent`` / ``on_disconnect``, as the I/O
thread does, then looks at ``pop_events``: no private method is called.
"""
from __future__ import annotations

import pytest

from purekafka import errors
from purekafka.core.accumulator import FinalState
from purekafka.core.transactions import State
from purekafka.protocol import add_partitions_to_txn as apt
from purekafka.protocol import end_txn
from purekafka.protocol import find_coordinator as fc
from purekafka.protocol import init_producer_id as ipi
from purekafka.protocol import metadata as md
from purekafka.protocol import produce
from purekafka.record import read_batches

from tests.support.fake_network import FakeNetwork, SentRequest, SenderRig, produce_response

TP = ("topic", 0)
NOT_LEADER_OR_FOLLOWER = 6
MESSAGE_TOO_LARGE = 10
DUPLICATE_SEQUENCE_NUMBER = 46


def _rig(**kw) -> SenderRig:
    """Metadata answered and, when idempotent, a producer id in hand."""
    rig = SenderRig(**kw)
    rig.answer_metadata(0.0)
    if rig.idem is not None and rig.txn is None:
        rig.net.respond(rig.net.take(ipi.API_KEY), ipi.InitProducerIdResponse(producer_id=7, producer_epoch=0), 0.0)
        assert rig.idem.has_producer_id
    return rig


def _sent_produce(rig: SenderRig, now_ms: float) -> SentRequest:
    rig.sender.run_once(now_ms)
    return rig.net.take(produce.API_KEY)


def _stamp(sent: SentRequest) -> tuple[int, int, int, int]:
    """(producer id, epoch, base sequence, record count) of the one batch in a Produce request."""
    ((topic,),) = [sent.message.topic_data]
    (part,) = topic.partition_data
    (batch,) = read_batches(part.records)
    return batch.producer_id, batch.producer_epoch, batch.base_sequence, batch.record_count


# -- produce outcomes -------------------------------------------------------------------

@pytest.mark.parametrize("idempotent", [False, True])
def test_produce_success_completes_the_batch_with_its_offset(idempotent: bool) -> None:
    rig = _rig(idempotent=idempotent)
    batch = rig.append()
    sent = _sent_produce(rig, 1.0)
    assert sent.node == 1 and sent.message.acks == -1
    assert _stamp(sent) == ((7, 0, 0, 1) if idempotent else (-1, -1, -1, 1))
    assert rig.events() == [] and batch.final_state is None
    rig.net.respond(sent, produce_response({TP: produce.PartitionProduceResponse(index=0, base_offset=42)}), 2.0)
    (ev,) = rig.events()
    assert ev.batch is batch and ev.exception is None and ev.base_offset == 42
    assert batch.final_state is FinalState.SUCCEEDED and not rig.acc.has_incomplete()


def test_retriable_error_then_success_resends_the_same_sequence() -> None:
    rig = _rig(idempotent=True)
    batch = rig.append()
    first = _sent_produce(rig, 1.0)
    rig.net.respond(first, produce_response({TP: NOT_LEADER_OR_FOLLOWER}), 2.0)
    assert rig.events() == [] and batch.attempts == 1 and batch.final_state is None
    rig.sender.run_once(3.0)  # within the retry backoff: nothing goes out
    assert not [s for s in rig.net.sent if s.api_key == produce.API_KEY]
    # NOT_LEADER_OR_FOLLOWER means stale metadata: it is asked for again, then the retry goes.
    rig.sender.run_once(200.0)
    rig.net.respond(rig.net.take(md.API_KEY), rig.metadata(), 200.0)
    second = _sent_produce(rig, 201.0)
    assert _stamp(second) == _stamp(first) == (7, 0, 0, 1)
    rig.net.respond(second, produce_response({TP: 0}), 202.0)
    (ev,) = rig.events()
    assert ev.batch is batch and ev.exception is None


@pytest.mark.parametrize("idempotent", [True, False])
def test_non_retriable_error_is_named_once_with_the_brokers_message(idempotent: bool) -> None:
    rig = _rig(idempotent=idempotent)
    rig.append()
    sent = _sent_produce(rig, 1.0)
    # MESSAGE_TOO_LARGE on a single record: final, not split
    rig.net.respond(sent, produce_response({TP: produce.PartitionProduceResponse(
        index=0, error_code=MESSAGE_TOO_LARGE, base_offset=-1, error_message="Batch too big for this topic")}), 100.0)
    (ev,) = rig.events()
    assert isinstance(ev.exception, errors.MessageSizeTooLargeError)
    assert str(ev.exception).count("MESSAGE_TOO_LARGE") <= 1, str(ev.exception)
    assert "Batch too big" in str(ev.exception)
    assert ev.batch.final_state is FinalState.FAILED


def test_retriable_error_past_delivery_timeout_is_a_timeout() -> None:
    rig = _rig(idempotent=True)
    rig.append()
    sent = _sent_produce(rig, 1.0)
    rig.net.respond(sent, produce_response({TP: NOT_LEADER_OR_FOLLOWER}), 6_000.0)
    (ev,) = rig.events()
    assert isinstance(ev.exception, errors.KafkaTimeoutError) and "NOT_LEADER" in str(ev.exception)


def test_retriable_error_within_budget_requeues_after_backoff() -> None:
    rig = _rig(idempotent=True)
    batch = rig.append()
    sent = _sent_produce(rig, 1.0)
    rig.net.respond(sent, produce_response({TP: NOT_LEADER_OR_FOLLOWER}), 100.0)
    assert rig.events() == []
    assert rig.acc.batches[TP][0] is batch and batch.attempts == 1 and batch.retry_at_ms > 100.0


def test_duplicate_sequence_completes_without_an_offset() -> None:
    rig = _rig(idempotent=True)
    batch = rig.append()
    sent = _sent_produce(rig, 1.0)
    rig.net.respond(sent, produce_response({TP: DUPLICATE_SEQUENCE_NUMBER}), 2.0)
    (ev,) = rig.events()
    assert ev.batch is batch and ev.exception is None and ev.base_offset == -1


def test_disconnect_of_an_in_flight_request_retries_it_with_its_sequence() -> None:
    rig = _rig(idempotent=True)
    batch = rig.append()
    first = _sent_produce(rig, 1.0)
    rig.net.disconnect(1, [first], 2.0)
    assert rig.events() == [] and batch.attempts == 1 and rig.acc.batches[TP][0] is batch
    rig.sender.run_once(300.0)  # the lost connection asks for metadata too
    rig.net.respond(rig.net.take(md.API_KEY), rig.metadata(), 300.0)
    second = _sent_produce(rig, 301.0)
    assert _stamp(second) == _stamp(first)
    rig.net.respond(second, produce_response({TP: 0}), 302.0)
    (ev,) = rig.events()
    assert ev.batch is batch and ev.exception is None


def test_in_flight_batch_past_delivery_timeout_fails_and_its_late_answer_is_ignored() -> None:
    rig = _rig(idempotent=True)
    batch = rig.append()
    sent = _sent_produce(rig, 1.0)
    rig.sender.run_once(5_000.0)
    (ev,) = rig.events()
    assert isinstance(ev.exception, errors.KafkaTimeoutError) and "still in flight" in str(ev.exception)
    rig.net.respond(sent, produce_response({TP: 0}), 5_001.0)
    assert rig.events() == [] and batch.final_state is FinalState.FAILED


def test_a_response_to_a_request_the_sender_never_sent_is_refused() -> None:
    rig = _rig()
    net = rig.net
    stray = net.send(1, md.API_KEY, 12, md.encode_request(md.MetadataRequest(), 12), 0.0, True, "stray")
    with pytest.raises(errors.KafkaError):
        rig.sender.on_response(1, stray, memoryview(b""), 1.0)


# -- acks=0: done when written, not when queued ------------------------------------------

def _acks0(retries: float = float("inf")) -> tuple[SenderRig, object, SentRequest]:
    rig = _rig(acks=0, retries=retries)
    batch = rig.append()
    sent = _sent_produce(rig, 1.0)
    assert sent.request.expect_response is False and sent.message.acks == 0
    return rig, batch, sent


def test_acks0_batch_completes_when_its_request_is_written() -> None:
    rig, batch, sent = _acks0()
    # Queued for writing is not delivered: the bytes may still be in our buffer.
    assert rig.events() == [] and batch.final_state is None
    rig.net.sent_in_full(sent, 2.0)
    (ev,) = rig.events()
    assert ev.batch is batch and ev.exception is None and ev.base_offset == -1
    assert not rig.acc.has_incomplete()


def test_acks0_request_lost_before_written_is_retried_not_reported_sent() -> None:
    rig, batch, sent = _acks0()
    rig.net.disconnect(1, [sent], 2.0)
    assert rig.events() == []
    assert rig.acc.batches[TP][0] is batch and batch.attempts == 1


def test_acks0_request_lost_before_written_without_retries_fails() -> None:
    rig, batch, sent = _acks0(retries=0)
    rig.net.disconnect(1, [sent], 2.0)
    (ev,) = rig.events()
    assert isinstance(ev.exception, errors.KafkaConnectionError)


def test_acks0_request_never_written_expires_at_the_delivery_timeout() -> None:
    rig, batch, sent = _acks0()
    rig.sender.run_once(5_000.0)
    (ev,) = rig.events()
    assert isinstance(ev.exception, errors.KafkaTimeoutError)
    rig.net.sent_in_full(sent, 5_001.0)  # the late write changes nothing
    assert rig.events() == [] and batch.final_state is FinalState.FAILED


# -- giving up: one named operation ---------------------------------------------------------

def test_fail_all_fails_queued_and_in_flight_batches_and_settles_their_sequences() -> None:
    rig = _rig(idempotent=True, partitions=2)
    on_wire = rig.append(0)
    _sent_produce(rig, 1.0)
    queued = rig.append(1, now_ms=2.0)
    boom = errors.KafkaError("closing")
    rig.sender.fail_all(boom, 3.0)
    events = rig.events()
    assert {id(e.batch) for e in events} == {id(on_wire), id(queued)}
    assert all(e.exception is boom for e in events) and not rig.acc.has_incomplete()
    assert rig.idem is not None and not rig.idem.unfinished(TP)  # the idempotence state heard it


# -- the transactional request path ------------------------------------------------------------

def _answer_find_coordinator(rig: SenderRig, now_ms: float) -> None:
    sent = rig.net.take(fc.API_KEY)
    assert sent.node == 1 and sent.message.coordinator_keys == ["tx"]
    rig.net.respond(sent, fc.FindCoordinatorResponse(coordinators=[
        fc.Coordinator(key="tx", node_id=1, host="127.0.0.1", port=9092)]), now_ms)


def _initialized(network: FakeNetwork | None = None) -> SenderRig:
    rig = _rig(transactional_id="tx", network=network)
    txn = rig.txn
    assert txn is not None
    result = txn.initialize(0.0)
    rig.sender.run_once(1.0)
    _answer_find_coordinator(rig, 1.0)
    rig.sender.run_once(2.0)
    init = rig.net.take(ipi.API_KEY)
    assert init.message.transactional_id == "tx"
    rig.net.respond(init, ipi.InitProducerIdResponse(producer_id=5, producer_epoch=3), 2.0)
    result.consume()
    assert txn.state is State.READY and rig.net.addresses[1] == ("127.0.0.1", 9092)
    return rig


def test_transaction_init_add_partitions_produce_and_commit_through_the_sender() -> None:
    rig = _initialized()
    txn = rig.txn
    assert txn is not None and txn.coordinator_supports_epoch_bump  # InitProducerId v5 there
    txn.begin()
    batch = rig.append(now_ms=3.0)
    txn.maybe_add_partition(TP)
    rig.sender.run_once(3.0)
    add = rig.net.take(apt.API_KEY)
    assert [(t.name, t.partitions) for t in add.message.v3_and_below_topics] == [("topic", [0])]
    # No Produce while the partition is not in the transaction yet.
    assert not [s for s in rig.net.sent if s.api_key == produce.API_KEY]
    rig.net.respond(add, apt.AddPartitionsToTxnResponse(results_by_topic_v3_and_below=[
        apt.AddPartitionsToTxnTopicResult(name="topic", results_by_partition=[
            apt.AddPartitionsToTxnPartitionResult(partition_index=0, partition_error_code=0)])]), 3.0)
    sent = _sent_produce(rig, 4.0)
    assert sent.message.transactional_id == "tx" and _stamp(sent) == (5, 3, 0, 1)
    (rb,) = read_batches(sent.message.topic_data[0].partition_data[0].records)
    assert rb.is_transactional
    commit = txn.begin_commit()
    rig.sender.run_once(5.0)  # EndTxn waits for the batch
    assert not [s for s in rig.net.sent if s.api_key == end_txn.API_KEY]
    rig.net.respond(sent, produce_response({TP: 0}), 5.0)
    (ev,) = rig.events()
    assert ev.batch is batch and ev.exception is None
    rig.sender.run_once(6.0)
    end = rig.net.take(end_txn.API_KEY)
    assert end.message.committed is True and end.message.producer_id == 5
    rig.net.respond(end, end_txn.EndTxnResponse(), 6.0)
    commit.consume()
    assert txn.state is State.READY


def test_abort_fails_the_queued_batches_through_the_sender() -> None:
    rig = _initialized()
    txn = rig.txn
    assert txn is not None
    txn.begin()
    queued = rig.append(now_ms=3.0)
    txn.maybe_add_partition(TP)
    rig.sender.run_once(3.0)
    add = rig.net.take(apt.API_KEY)  # in flight while the application aborts
    abort = txn.begin_abort()
    rig.net.respond(add, apt.AddPartitionsToTxnResponse(results_by_topic_v3_and_below=[
        apt.AddPartitionsToTxnTopicResult(name="topic", results_by_partition=[
            apt.AddPartitionsToTxnPartitionResult(partition_index=0, partition_error_code=0)])]), 4.0)
    rig.sender.run_once(4.0)
    (ev,) = rig.events()
    assert ev.batch is queued and isinstance(ev.exception, errors.TransactionAbortedError)
    end = rig.net.take(end_txn.API_KEY)
    assert end.message.committed is False
    rig.net.respond(end, end_txn.EndTxnResponse(), 5.0)
    abort.consume()
    assert txn.state is State.READY


def test_coordinator_without_init_producer_id_v3_cannot_bump_the_epoch() -> None:
    net = FakeNetwork()
    net.versions[ipi.API_KEY] = 2
    rig = _initialized(net)
    assert rig.txn is not None and rig.txn.coordinator_supports_epoch_bump is False


def test_lost_coordinator_request_is_retried_after_rediscovery() -> None:
    rig = _rig(transactional_id="tx")
    txn = rig.txn
    assert txn is not None
    result = txn.initialize(0.0)
    rig.sender.run_once(1.0)
    _answer_find_coordinator(rig, 1.0)
    rig.sender.run_once(2.0)
    init = rig.net.take(ipi.API_KEY)
    rig.net.disconnect(1, [init], 2.0)
    assert not result.done
    rig.sender.run_once(200.0)
    _answer_find_coordinator(rig, 200.0)
    rig.sender.run_once(201.0)
    rig.net.respond(rig.net.take(ipi.API_KEY), ipi.InitProducerIdResponse(producer_id=5, producer_epoch=0), 202.0)
    result.consume()
    assert txn.state is State.READY


@pytest.mark.parametrize("idempotent", [False, True])
def test_broker_without_a_produce_version_fails_the_drained_batches(idempotent: bool) -> None:
    rig = _rig(idempotent=idempotent)
    del rig.net.versions[produce.API_KEY]
    batch = rig.append()
    rig.sender.run_once(1.0)
    (ev,) = rig.events()
    assert ev.batch is batch and isinstance(ev.exception, errors.UnsupportedVersionError)
    assert not [s for s in rig.net.sent if s.api_key == produce.API_KEY]
    rig.net.versions[produce.API_KEY] = 9
    later = rig.append(now_ms=2.0)
    rig.sender.run_once(3.0)
    if rig.idem is not None:
        # Java's handleFailedBatch: UnsupportedVersion is fatal to an idempotent producer,
        # and the sequences heard of the batch (nothing of it is left unfinished).
        assert isinstance(rig.idem.fatal_error, errors.UnsupportedVersionError)
        assert not rig.idem.unfinished(TP)
        (ev,) = rig.events()
        assert ev.batch is later and isinstance(ev.exception, errors.UnsupportedVersionError)
    else:
        rig.net.respond(rig.net.take(produce.API_KEY), produce_response({TP: 0}), 4.0)
        (ev,) = rig.events()
        assert ev.batch is later and ev.exception is None


def test_the_idempotence_error_names_the_code_once() -> None:
    rig = _rig(idempotent=True)
    del rig.net.versions[produce.API_KEY]
    rig.append()
    rig.sender.run_once(1.0)
    assert rig.idem is not None and rig.idem.fatal_error is not None
    assert str(rig.idem.fatal_error).count("UNSUPPORTED_VERSION") == 1, str(rig.idem.fatal_error)

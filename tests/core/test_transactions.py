"""TransactionManager: Java's transition table (checked against Java), one test per
Java rule, and a Hypothesis state machine over calls, answers and lost connections.

Every request the manager hands out is built at a version, encoded with the protocol
module and decoded back, and every answer is encoded and decoded at that version, so
the tests also prove the messages fit the versions the manager asks for.
"""
from __future__ import annotations

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from purekafka.core.idempotence import IdempotenceState
from purekafka.core.transactions import (
    TRANSITIONS,
    AbortScope,
    CoordinatorType,
    GroupMetadata,
    RequestKind,
    State,
    TransactionManager,
    TxnRequest,
)
from purekafka.errors import (
    ErrorCode,
    IllegalStateError,
    KafkaError,
    ProducerFencedError,
    TransactionAbortableError,
    TransactionAbortedError,
)
from purekafka.protocol import add_offsets_to_txn as aot
from purekafka.protocol import add_partitions_to_txn as apt
from purekafka.protocol import end_txn as end
from purekafka.protocol import find_coordinator as fc
from purekafka.protocol import init_producer_id as ipi
from purekafka.protocol import txn_offset_commit as toc
from purekafka.protocol.apis import api_module

TP = ("orders", 0)
TP2 = ("orders", 1)
MODERN = {fc.API_KEY: 6, ipi.API_KEY: 5, apt.API_KEY: 5, aot.API_KEY: 4, toc.API_KEY: 6, end.API_KEY: 5}


def pick_version(req: TxnRequest, broker_max: dict[int, int] = MODERN) -> int:
    """What a sender does: the highest version both sides allow."""
    return min(req.max_version, broker_max[req.api_key])


def wire(req: TxnRequest, version: int | None = None):
    """Build at a version and push the message through the codec both ways."""
    v = pick_version(req) if version is None else version
    msg = req.build(v)
    mod = api_module(req.api_key)
    assert mod.decode_request(mod.encode_request(msg, v), v) == msg
    return msg


def reply(tm: TransactionManager, req: TxnRequest, resp, now: float = 0.0) -> None:
    mod = api_module(req.api_key)
    v = req.version
    assert v is not None
    tm.handle_response(req, mod.decode_response(mod.encode_response(resp, v), v), now)


def coordinator_ok(req: TxnRequest, node: int = 1):
    if req.version >= 4:
        return fc.FindCoordinatorResponse(coordinators=[fc.Coordinator(
            key=req.fields["key"], node_id=node, host="127.0.0.1", port=9092)])
    return fc.FindCoordinatorResponse(node_id=node, host="127.0.0.1", port=9092)


def next_req(tm: TransactionManager, now: float = 0.0, incomplete: bool = False,
             version: int | None = None) -> TxnRequest:
    req = tm.next_request(now, incomplete)
    assert req is not None, f"nothing to send in {tm.state}"
    wire(req, version)
    return req


def apt_response(errors: dict[tuple[str, int], int]):
    topics: dict[str, list] = {}
    for (t, p), code in errors.items():
        topics.setdefault(t, []).append(apt.AddPartitionsToTxnPartitionResult(
            partition_index=p, partition_error_code=code))
    return apt.AddPartitionsToTxnResponse(results_by_topic_v3_and_below=[
        apt.AddPartitionsToTxnTopicResult(name=t, results_by_partition=ps) for t, ps in topics.items()])


def toc_response(errors: dict[tuple[str, int], int]):
    topics: dict[str, list] = {}
    for (t, p), code in errors.items():
        topics.setdefault(t, []).append(toc.TxnOffsetCommitResponsePartition(partition_index=p, error_code=code))
    return toc.TxnOffsetCommitResponse(topics=[toc.TxnOffsetCommitResponseTopic(name=t, partitions=ps)
                                               for t, ps in topics.items()])


def manager(tv: int = 0, **kw) -> TransactionManager:
    return TransactionManager("txn-1", IdempotenceState(transactional=True), transaction_version=tv, **kw)


def initialized(tv: int = 0, pid: int = 42, epoch: int = 0, **kw) -> TransactionManager:
    tm = manager(tv, **kw)
    result = tm.initialize(0)
    req = next_req(tm)
    assert req.kind is RequestKind.FIND_COORDINATOR and req.fields["key_type"] == fc.KEY_TYPE_TRANSACTION
    reply(tm, req, coordinator_ok(req))
    req = next_req(tm)
    assert req.kind is RequestKind.INIT_PRODUCER_ID
    assert req.build(req.version).transactional_id == "txn-1"
    reply(tm, req, ipi.InitProducerIdResponse(producer_id=pid, producer_epoch=epoch))
    assert result.done and result.error is None and tm.state is State.READY
    result.consume()
    return tm


def in_txn_with_partition(tv: int = 0, tp=TP, **kw) -> TransactionManager:
    tm = initialized(tv, **kw)
    tm.begin()
    tm.maybe_add_partition(tp)
    if tv < 2:
        req = next_req(tm)
        assert req.kind is RequestKind.ADD_PARTITIONS_TO_TXN
        reply(tm, req, apt_response({tp: 0}))
    assert tm.is_send_allowed(tp)
    return tm


# -- the transition table ----------------------------------------------------------------------

@pytest.mark.java
def test_transition_table_is_javas(java) -> None:
    # TransactionManager.State.isTransitionValid, read from Kafka's class by reflection
    out = java.run("ExactlyOnceCrossCheck", input=b"transitions\n").decode().split("\n")
    pairs = {tuple(line.split()) for line in out[:out.index("end")]}
    ours = {(src.value, dst.value) for src, dsts in TRANSITIONS.items() for dst in dsts}
    assert ours == pairs


@pytest.mark.parametrize("source", list(State))
@pytest.mark.parametrize("target", list(State))
def test_illegal_application_transition_raises_and_changes_nothing(source: State, target: State) -> None:
    tm = manager()
    tm.state = source
    if target in TRANSITIONS[source]:
        tm._transition(target, KafkaError("x"))
        assert tm.state is target
    else:
        with pytest.raises(IllegalStateError, match=source.value):
            tm._transition(target, KafkaError("x"))
        assert tm.state is source  # an application call never poisons the manager


def test_illegal_transition_found_by_the_sender_poisons() -> None:
    # Java shouldPoisonStateOnInvalidTransition (KAFKA-14831)
    tm = manager()
    with pytest.raises(IllegalStateError):
        tm._transition(State.IN_TRANSACTION, from_sender=True)
    assert tm.state is State.FATAL_ERROR and isinstance(tm.last_error, IllegalStateError)


# -- transaction protocol version 1 --------------------------------------------------------------

def test_tv1_commit_round_trip() -> None:
    tm = initialized(tv=0)
    assert tm.idempotence.producer_id == 42 and tm.produce_version_range() == (0, 11)
    tm.begin()
    tm.maybe_add_partition(TP)
    assert not tm.is_send_allowed(TP) and tm.is_partition_pending_add(TP)
    req = next_req(tm)
    assert req.kind is RequestKind.ADD_PARTITIONS_TO_TXN and req.max_version == 3
    msg = req.build(3)
    assert msg.v3_and_below_topics[0].name == "orders" and msg.v3_and_below_producer_id == 42
    assert tm.next_request(0, False) is None  # one request in flight at a time
    reply(tm, req, apt_response({TP: 0}))
    assert tm.is_send_allowed(TP) and not tm.is_partition_pending_add(TP)
    result = tm.begin_commit()
    assert tm.next_request(0, True) is None  # EndTxn waits for the batches
    req = next_req(tm)
    assert req.kind is RequestKind.END_TXN and req.version == 4 and req.build(4).committed is True
    reply(tm, req, end.EndTxnResponse())
    assert result.done and tm.state is State.READY and not tm.is_send_allowed(TP)
    result.consume()
    tm.begin()  # the next transaction


def test_send_offsets_tv1_adds_offsets_then_commits_them_to_the_group_coordinator() -> None:
    tm = initialized(tv=0)
    tm.begin()
    group = GroupMetadata("g1", generation_id=3, member_id="m-1")
    result = tm.send_offsets({TP: 10, TP2: (20, "meta", 4)}, group)
    req = next_req(tm)
    assert req.kind is RequestKind.ADD_OFFSETS_TO_TXN and req.build(req.version).group_id == "g1"
    reply(tm, req, aot.AddOffsetsToTxnResponse())
    assert not result.done  # done only after TxnOffsetCommit
    req = next_req(tm)
    assert req.kind is RequestKind.FIND_COORDINATOR and req.fields["key_type"] == fc.KEY_TYPE_GROUP
    reply(tm, req, coordinator_ok(req, node=2))
    assert tm.coordinator(CoordinatorType.GROUP).node_id == 2
    req = next_req(tm)
    assert req.kind is RequestKind.TXN_OFFSET_COMMIT and req.coordinator_type is CoordinatorType.GROUP
    assert req.version == 4 and req.min_version == 3  # TV1 stays below v5; metadata needs v3
    msg = req.build(4)
    assert msg.member_id == "m-1" and msg.generation_id_or_member_epoch == 3
    parts = {(t.name, p.partition_index): (p.committed_offset, p.committed_metadata, p.committed_leader_epoch)
             for t in msg.topics for p in t.partitions}
    assert parts == {TP: (10, "", -1), TP2: (20, "meta", 4)}
    # TP2 meets a retriable error: only it is sent again (Java TxnOffsetCommitHandler)
    reply(tm, req, toc_response({TP: 0, TP2: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS}), now=0)
    assert not result.done and tm.next_request(50, False) is None
    req = next_req(tm, now=100)
    msg = req.build(req.version)
    assert [(t.name, p.partition_index) for t in msg.topics for p in t.partitions] == [TP2]
    reply(tm, req, toc_response({TP2: 0}))
    assert result.done and result.error is None


def test_end_txn_is_skipped_when_nothing_was_added() -> None:
    # TransactionManager.nextRequest: EndTxn && !transactionStarted -> done, no request
    tm = initialized()
    tm.begin()
    result = tm.begin_abort()
    assert tm.next_request(0, False) is None
    assert result.done and tm.state is State.READY


def test_not_coordinator_rediscovers_then_retries_after_backoff() -> None:
    tm = in_txn_with_partition()
    result = tm.begin_commit()
    req = next_req(tm)
    reply(tm, req, end.EndTxnResponse(error_code=ErrorCode.NOT_COORDINATOR), now=1000)
    assert tm.coordinator(CoordinatorType.TRANSACTION) is None
    find = next_req(tm, now=1000)
    assert find.kind is RequestKind.FIND_COORDINATOR
    reply(tm, find, coordinator_ok(find, node=3), now=1000)
    assert tm.next_request(1050, False) is None and tm.next_request_delay(1050) == 50
    req = next_req(tm, now=1100)
    assert req.kind is RequestKind.END_TXN and req.is_retry
    reply(tm, req, end.EndTxnResponse())
    assert result.done and result.error is None


def test_concurrent_transactions_on_first_add_partitions_retries_quickly() -> None:
    # AddPartitionsToTxnHandler.maybeOverrideRetryBackoffMs: 20 ms for the first add
    tm = initialized()
    tm.begin()
    tm.maybe_add_partition(TP)
    req = next_req(tm)
    reply(tm, req, apt_response({TP: ErrorCode.CONCURRENT_TRANSACTIONS}), now=0)
    assert tm.next_request_delay(0) == 20
    req = next_req(tm, now=20)
    reply(tm, req, apt_response({TP: 0}))
    tm.maybe_add_partition(TP2)
    req = next_req(tm)
    reply(tm, req, apt_response({TP2: ErrorCode.CONCURRENT_TRANSACTIONS}), now=0)
    assert tm.next_request_delay(0) == 100  # not the first partition any more


def test_disconnect_looks_up_the_coordinator_again() -> None:
    tm = in_txn_with_partition()
    tm.begin_commit()
    req = next_req(tm)
    tm.handle_disconnect(req, now=0)
    assert tm.coordinator(CoordinatorType.TRANSACTION) is None
    assert next_req(tm).kind is RequestKind.FIND_COORDINATOR


def test_unreachable_coordinator_is_retried() -> None:
    tm = in_txn_with_partition()
    tm.begin_commit()
    req = next_req(tm)
    tm.handle_not_sent(req, now=0)
    assert next_req(tm).kind is RequestKind.FIND_COORDINATOR


def test_version_mismatch_is_fatal() -> None:
    tm = in_txn_with_partition()
    tm.begin_commit()
    req = next_req(tm)
    tm.handle_send_error(req, KafkaError("no common version"))
    assert tm.state is State.FATAL_ERROR


# -- fencing and fatal errors ------------------------------------------------------------------------

@pytest.mark.parametrize("code", [ErrorCode.PRODUCER_FENCED, ErrorCode.INVALID_PRODUCER_EPOCH])
@pytest.mark.parametrize("where", ["InitProducerId", "AddPartitionsToTxn", "EndTxn", "TxnOffsetCommit"])
def test_fencing_is_fatal_producer_fenced(code: int, where: str) -> None:
    # every handler: INVALID_PRODUCER_EPOCH or PRODUCER_FENCED -> fatalError(ProducerFencedException)
    tm = manager()
    result = tm.initialize(0)
    req = next_req(tm)
    reply(tm, req, coordinator_ok(req))
    req = next_req(tm)
    if where != "InitProducerId":
        reply(tm, req, ipi.InitProducerIdResponse(producer_id=1, producer_epoch=0))
        result.consume()
        tm.begin()
        if where == "TxnOffsetCommit":
            tm.set_transaction_version(2)
            tm.maybe_add_partition(TP)  # TV1 still: the version applies from the next boundary
            req = next_req(tm)
            reply(tm, req, apt_response({TP: 0}))
            result = tm.send_offsets({TP: 1}, "g")
            req = next_req(tm)
            reply(tm, req, aot.AddOffsetsToTxnResponse())
            req = next_req(tm)
            reply(tm, req, coordinator_ok(req))
            req = next_req(tm)
            reply(tm, req, toc_response({TP: code}))
        else:
            tm.maybe_add_partition(TP)
            req = next_req(tm)
            if where == "EndTxn":
                reply(tm, req, apt_response({TP: 0}))
                result = tm.begin_commit()
                req = next_req(tm)
                reply(tm, req, end.EndTxnResponse(error_code=code))
            else:
                result = req.result
                reply(tm, req, apt_response({TP: code}))
    else:
        reply(tm, req, ipi.InitProducerIdResponse(error_code=code))
    assert tm.state is State.FATAL_ERROR and isinstance(tm.last_error, ProducerFencedError)
    assert result.done and isinstance(result.error, ProducerFencedError)
    assert tm.batches_to_abort()[0] is AbortScope.ALL
    with pytest.raises(ProducerFencedError):
        result.consume()
    with pytest.raises(ProducerFencedError):
        tm.begin()
    with pytest.raises(KafkaError):
        tm.begin_abort()
    assert tm.state is State.FATAL_ERROR and tm.idempotence.fatal_error is not None


@pytest.mark.parametrize("code", [ErrorCode.INVALID_TXN_STATE, ErrorCode.INVALID_PRODUCER_ID_MAPPING,
                                  ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED])
def test_invalid_state_errors_on_end_txn_are_fatal(code: int) -> None:
    tm = in_txn_with_partition()
    result = tm.begin_commit()
    req = next_req(tm)
    reply(tm, req, end.EndTxnResponse(error_code=code))
    assert tm.state is State.FATAL_ERROR and result.error is not None


def test_abort_meeting_transaction_abortable_is_fatal() -> None:
    # EndTxnHandler: isAbort && TransactionAbortableException -> fatal
    tm = in_txn_with_partition()
    tm.begin_abort()
    req = next_req(tm)
    reply(tm, req, end.EndTxnResponse(error_code=ErrorCode.TRANSACTION_ABORTABLE))
    assert tm.state is State.FATAL_ERROR


# -- abortable errors (KIP-1050) ----------------------------------------------------------------------

def test_transaction_abortable_then_abort() -> None:
    # AddPartitionsToTxnHandler: TRANSACTION_ABORTABLE -> abortableError (no epoch bump)
    tm = in_txn_with_partition(tv=0)
    tm.maybe_add_partition(TP2)
    req = next_req(tm)
    reply(tm, req, apt_response({TP2: ErrorCode.TRANSACTION_ABORTABLE}))
    assert tm.state is State.ABORTABLE_ERROR
    assert tm.batches_to_abort()[0] is AbortScope.QUEUED
    with pytest.raises(KafkaError):
        tm.begin_commit()
    with pytest.raises(KafkaError):
        tm.maybe_add_partition(TP2)
    result = tm.begin_abort()
    assert isinstance(tm.batches_to_abort()[1], TransactionAbortedError)
    req = next_req(tm)
    assert req.kind is RequestKind.END_TXN and req.build(req.version).committed is False
    reply(tm, req, end.EndTxnResponse())
    assert tm.state is State.READY and tm.idempotence.producer_epoch == 0
    assert result.done and result.error is None


def test_unknown_producer_id_then_abort_bumps_epoch_tv1() -> None:
    # AddPartitionsToTxnHandler: UNKNOWN_PRODUCER_ID -> abortableErrorIfPossible, which asks
    # for a client-side bump; beginCompletingTransaction then queues InitProducerId(id, epoch)
    tm = in_txn_with_partition(tv=0)
    tm.maybe_add_partition(TP2)
    req = next_req(tm)
    reply(tm, req, apt_response({TP2: ErrorCode.UNKNOWN_PRODUCER_ID}))
    assert tm.state is State.ABORTABLE_ERROR
    result = tm.begin_abort()
    req = next_req(tm)
    assert req.kind is RequestKind.END_TXN
    reply(tm, req, end.EndTxnResponse())
    assert tm.state is State.INITIALIZING  # InitProducerId must bump the epoch first
    assert not result.done
    req = next_req(tm)
    assert req.kind is RequestKind.INIT_PRODUCER_ID and req.min_version == 3
    msg = req.build(req.version)
    assert (msg.producer_id, msg.producer_epoch) == (42, 0)
    reply(tm, req, ipi.InitProducerIdResponse(producer_id=42, producer_epoch=1))
    assert tm.state is State.READY and tm.idempotence.producer_epoch == 1
    assert result.done and result.error is None


def test_abortable_error_is_fatal_when_the_coordinator_cannot_bump() -> None:
    # AddOffsetsToTxnHandler: UNKNOWN_PRODUCER_ID -> abortableErrorIfPossible
    tm = initialized(tv=0, coordinator_supports_epoch_bump=False)
    tm.begin()
    tm.send_offsets({TP: 1}, "g")
    req = next_req(tm)
    reply(tm, req, aot.AddOffsetsToTxnResponse(error_code=ErrorCode.UNKNOWN_PRODUCER_ID))
    assert tm.state is State.FATAL_ERROR


def test_failed_batch_makes_the_transaction_abortable() -> None:
    # TransactionManager.maybeTransitionToErrorState: retriable -> TransactionAbortableException
    tm = in_txn_with_partition()
    idem = tm.idempotence
    batch = idem.assign(TP, 3)
    d = idem.on_error(batch, ErrorCode.NOT_ENOUGH_REPLICAS, can_retry=False)
    assert d.action == "fail"
    assert tm.batches_to_abort()[0] is AbortScope.QUEUED
    assert tm.state is State.ABORTABLE_ERROR and isinstance(tm.last_error, TransactionAbortableError)
    result = tm.begin_abort()
    req = next_req(tm)
    reply(tm, req, end.EndTxnResponse())
    req = next_req(tm)
    assert req.kind is RequestKind.INIT_PRODUCER_ID  # TV1 with a bumping coordinator: client bump
    reply(tm, req, ipi.InitProducerIdResponse(producer_id=42, producer_epoch=1))
    assert result.done and tm.state is State.READY
    assert idem.next_sequence(TP) == 0  # sequences reset with the new epoch


def test_fatal_batch_error_makes_the_transaction_fatal() -> None:
    tm = in_txn_with_partition()
    batch = tm.idempotence.assign(TP, 1)
    tm.idempotence.on_error(batch, ErrorCode.PRODUCER_FENCED)
    assert tm.batches_to_abort()[0] is AbortScope.ALL and tm.state is State.FATAL_ERROR


def test_authorization_failure_on_init_returns_to_uninitialized() -> None:
    # InitProducerIdHandler + Sender.shouldHandleAuthorizationError -> transitionToUninitialized
    tm = manager()
    result = tm.initialize(0)
    req = next_req(tm)
    reply(tm, req, coordinator_ok(req))
    req = next_req(tm)
    reply(tm, req, ipi.InitProducerIdResponse(error_code=ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED))
    assert tm.state is State.UNINITIALIZED and result.done
    assert tm.batches_to_abort()[0] is AbortScope.ALL
    with pytest.raises(KafkaError):
        result.consume()
    tm.initialize(0)
    assert tm.state is State.INITIALIZING


# -- timed-out calls (pendingTransition) -----------------------------------------------------------------

def test_a_timed_out_call_is_retried_by_repeating_it() -> None:
    tm = in_txn_with_partition()
    first = tm.begin_commit()
    assert tm.begin_commit() is first  # not done yet: the same result
    with pytest.raises(IllegalStateError, match="timed out"):
        tm.begin_abort()
    req = next_req(tm)
    reply(tm, req, end.EndTxnResponse())
    with pytest.raises(IllegalStateError, match="timed out"):
        tm.begin()  # done but never seen by the application
    assert tm.begin_commit() is first
    first.consume()
    tm.begin()


# -- transaction protocol version 2 (KIP-890) ------------------------------------------------------------

def test_tv2_adds_partitions_implicitly_and_end_txn_bumps_the_epoch() -> None:
    tm = initialized(tv=2)
    assert tm.produce_version_range() == (12, 32767)
    tm.begin()
    tm.maybe_add_partition(TP)
    assert tm.is_send_allowed(TP)  # no AddPartitionsToTxn under TV2
    batch = tm.idempotence.assign(TP, 4)
    assert tm.idempotence.on_acked(batch, 0)
    result = tm.send_offsets({TP2: 7}, GroupMetadata("g", 1, "m"))
    req = next_req(tm)
    assert req.kind is RequestKind.FIND_COORDINATOR
    reply(tm, req, coordinator_ok(req))
    req = next_req(tm)
    assert req.kind is RequestKind.TXN_OFFSET_COMMIT and req.min_version == 5 and req.version == 5
    reply(tm, req, toc_response({TP2: 0}))
    assert result.done
    commit = tm.begin_commit()
    req = next_req(tm)
    assert req.kind is RequestKind.END_TXN and req.min_version == 5
    reply(tm, req, end.EndTxnResponse(producer_id=42, producer_epoch=1))
    assert commit.done and tm.state is State.READY
    assert (tm.idempotence.producer_id, tm.idempotence.producer_epoch) == (42, 1)
    assert tm.idempotence.next_sequence(TP) == 0


def test_tv2_epoch_overflow_hands_out_a_new_producer_id() -> None:
    tm = initialized(tv=2, epoch=32766)
    tm.begin()
    tm.maybe_add_partition(TP)
    tm.begin_commit()
    req = next_req(tm)
    reply(tm, req, end.EndTxnResponse(producer_id=77, producer_epoch=0))
    assert (tm.idempotence.producer_id, tm.idempotence.producer_epoch) == (77, 0)


def test_tv2_abortable_error_needs_no_client_bump() -> None:
    tm = in_txn_with_partition(tv=2, coordinator_supports_epoch_bump=False)
    batch = tm.idempotence.assign(TP, 1)
    tm.idempotence.on_error(batch, ErrorCode.INVALID_RECORD, can_retry=False)
    assert tm.batches_to_abort() is not None and tm.state is State.ABORTABLE_ERROR
    tm.begin_abort()
    req = next_req(tm)
    reply(tm, req, end.EndTxnResponse(producer_id=42, producer_epoch=1))
    assert tm.state is State.READY and tm.next_request(0, False) is None


def test_version_never_switches_mid_transaction_and_upgrade_bumps_the_epoch() -> None:
    # maybeUpdateTransactionV2Enabled: read at initialization and at transaction end only
    tm = initialized(tv=0)
    tm.begin()
    tm.set_transaction_version(2)
    tm.maybe_add_partition(TP)
    assert not tm.is_send_allowed(TP)  # still TV1: AddPartitionsToTxn first
    req = next_req(tm)
    reply(tm, req, apt_response({TP: 0}))
    result = tm.begin_commit()
    req = next_req(tm)
    assert req.kind is RequestKind.END_TXN and req.max_version == 4  # ends in the protocol it began with
    reply(tm, req, end.EndTxnResponse())
    req = next_req(tm)
    assert req.kind is RequestKind.INIT_PRODUCER_ID  # upgrading fences the TV1 epoch first
    reply(tm, req, ipi.InitProducerIdResponse(producer_id=42, producer_epoch=1))
    assert result.done and tm.transaction_v2 and tm.produce_version_range()[0] == 12


# -- misc --------------------------------------------------------------------------------------------------

def test_application_calls_in_the_wrong_state() -> None:
    tm = manager()
    with pytest.raises(IllegalStateError):
        tm.begin()
    with pytest.raises(IllegalStateError):
        tm.maybe_add_partition(TP)
    tm = initialized()
    with pytest.raises(IllegalStateError, match="READY"):
        tm.send_offsets({TP: 1}, "g")
    with pytest.raises(IllegalStateError, match="READY"):
        tm.begin_commit()
    assert tm.state is State.READY


def test_response_to_a_request_not_in_flight_is_fatal() -> None:
    tm = in_txn_with_partition()
    tm.begin_commit()
    req = next_req(tm)
    with pytest.raises(IllegalStateError):
        tm.handle_response(TxnRequest(RequestKind.END_TXN, end.API_KEY, 3, req.result, None, None), end.EndTxnResponse(), 0)
    assert tm.state is State.FATAL_ERROR


def test_close_fails_everything_pending() -> None:
    tm = manager()
    result = tm.initialize(0)
    tm.close()
    assert result.done and result.error is not None


def test_constructor_checks() -> None:
    with pytest.raises(IllegalStateError):
        TransactionManager("", IdempotenceState(transactional=True))
    with pytest.raises(IllegalStateError):
        TransactionManager("t", IdempotenceState())


# -- the state machine ---------------------------------------------------------------------------------------

# Mostly successes, so that runs get deep into transactions before an error ends them.
RESPONSE_CODES = [0] * 30 + [ErrorCode.NOT_COORDINATOR, ErrorCode.COORDINATOR_NOT_AVAILABLE,
                  ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, ErrorCode.CONCURRENT_TRANSACTIONS, ErrorCode.PRODUCER_FENCED,
                  ErrorCode.INVALID_PRODUCER_EPOCH, ErrorCode.TRANSACTION_ABORTABLE, ErrorCode.UNKNOWN_PRODUCER_ID,
                  ErrorCode.INVALID_TXN_STATE, ErrorCode.TOPIC_AUTHORIZATION_FAILED, ErrorCode.GROUP_AUTHORIZATION_FAILED,
                  ErrorCode.UNKNOWN_MEMBER_ID, ErrorCode.OPERATION_NOT_ATTEMPTED, ErrorCode.REQUEST_TIMED_OUT,
                  ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, ErrorCode.UNKNOWN_SERVER_ERROR]
LOST, NOT_SENT = -1000, -1001
BATCH_CODES = [ErrorCode.NOT_ENOUGH_REPLICAS, ErrorCode.INVALID_RECORD, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
               ErrorCode.PRODUCER_FENCED, ErrorCode.UNKNOWN_PRODUCER_ID, ErrorCode.REQUEST_TIMED_OUT,
               ErrorCode.NETWORK_EXCEPTION]


def response_for(req: TxnRequest, code: int, epoch_step: int):
    if req.kind is RequestKind.FIND_COORDINATOR:
        if code:
            if req.version >= 4:
                return fc.FindCoordinatorResponse(coordinators=[fc.Coordinator(error_code=code)])
            return fc.FindCoordinatorResponse(error_code=code)
        return coordinator_ok(req)
    if req.kind is RequestKind.INIT_PRODUCER_ID:
        f = req.fields
        epoch = f["producer_epoch"] + 1 if f["bump"] else 0
        return ipi.InitProducerIdResponse(error_code=code, producer_id=42, producer_epoch=epoch)
    if req.kind is RequestKind.ADD_PARTITIONS_TO_TXN:
        return apt_response({tp: code for tp in req.fields["partitions"]})
    if req.kind is RequestKind.ADD_OFFSETS_TO_TXN:
        return aot.AddOffsetsToTxnResponse(error_code=code)
    if req.kind is RequestKind.TXN_OFFSET_COMMIT:
        return toc_response({tp: code for tp in req.fields["offsets"]})
    if req.kind is RequestKind.END_TXN:
        if req.version >= 5 and code == 0:
            return end.EndTxnResponse(producer_id=42, producer_epoch=req.fields["producer_epoch"] + epoch_step)
        return end.EndTxnResponse(error_code=code)
    raise AssertionError(req.kind)


class TransactionMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.tm = manager(tv=0)
        self.prev = self.tm.state
        self.now = 0.0
        self.results: dict[int, tuple] = {}
        self.fatal = False
        self.ended = 0  # transactions ended on the broker (for the depth statistics)

    # -- application --
    def _app(self, call, *args) -> None:
        before = self.tm.state
        try:
            result = call(*args)
        except IllegalStateError:
            assert self.tm.state is before  # refused calls change nothing
            return
        except KafkaError:
            assert self.tm.state in (State.ABORTABLE_ERROR, State.FATAL_ERROR)
            assert self.tm.state is before
            return
        if result is not None:
            self.results.setdefault(id(result), (result, None))

    @initialize(tv=st.sampled_from([0, 2]), ok=st.booleans())
    def start(self, tv, ok) -> None:
        """Usually start from READY (as after initTransactions); sometimes from scratch."""
        self.tm.set_transaction_version(tv)
        if ok:
            result = self.tm.initialize(self.now)
            self.pump([], False, 1)
            assert result.done and self.tm.state is State.READY
            result.consume()

    @rule(partitions=st.lists(st.integers(0, 2), max_size=3), offsets=st.booleans(), commit=st.booleans(),
          answers=st.lists(st.sampled_from(RESPONSE_CODES + [LOST, NOT_SENT]), max_size=4),
          epoch_step=st.sampled_from([1, 1, 0]))
    def transaction(self, partitions, offsets, commit, answers, epoch_step) -> None:
        """A whole transaction, with some of its answers drawn from the error codes."""
        self.begin()
        for p in partitions:
            self.add_partition(p)
        if offsets:
            self.send_offsets(0)
        self.pump(answers, False, epoch_step)
        if commit:
            self.commit()
        else:
            self.abort()
        self.pump([], True, epoch_step)
        self.pump([], False, epoch_step)
        self.consume_results()

    @rule(tv=st.sampled_from([0, 2]))
    def set_version(self, tv) -> None:
        self.tm.set_transaction_version(tv)

    @rule()
    def initialize(self) -> None:
        self._app(self.tm.initialize, self.now)

    @rule()
    def begin(self) -> None:
        self._app(self.tm.begin)

    @rule(p=st.integers(0, 2))
    def add_partition(self, p) -> None:
        self._app(self.tm.maybe_add_partition, ("t", p))

    @rule(p=st.integers(0, 2))
    def send_offsets(self, p) -> None:
        self._app(self.tm.send_offsets, {("t", p): 5}, GroupMetadata("g", 1, "m"))

    @rule()
    def commit(self) -> None:
        self._app(self.tm.begin_commit)

    @rule()
    def abort(self) -> None:
        self._app(self.tm.begin_abort)

    @rule()
    def consume_results(self) -> None:
        for result, _ in list(self.results.values()):
            if result.done and not result.acked:
                try:
                    result.consume()
                except KafkaError:
                    pass

    @rule(p=st.integers(0, 2), code=st.sampled_from(BATCH_CODES))
    def batch_fails(self, p, code) -> None:
        tp = ("t", p)
        idem = self.tm.idempotence
        if self.tm.is_send_allowed(tp) and idem.can_send(tp):
            batch = idem.assign(tp, 2)
            idem.on_error(batch, code, can_retry=False)

    @rule(p=st.integers(0, 2), during_abort=st.booleans())
    def batch_expires(self, p, during_abort) -> None:
        """A batch sent, its answer lost, then given up on (delivery timeout or abort)."""
        tp = ("t", p)
        idem = self.tm.idempotence
        if self.tm.state is State.READY:
            self.begin()
            self.add_partition(p)
            self.pump([], False, 1)
        if self.tm.is_send_allowed(tp) and idem.can_send(tp):
            batch = idem.assign(tp, 2)
            assert idem.on_error(batch, ErrorCode.NETWORK_EXCEPTION).action == "retry"
            if during_abort:
                self.abort()
            idem.on_expired(batch)

    # -- sender --
    @rule(answers=st.lists(st.sampled_from(RESPONSE_CODES + [LOST, NOT_SENT]), max_size=6),
          incomplete=st.booleans(), epoch_step=st.sampled_from([1, 1, 0]))
    def pump(self, answers, incomplete, epoch_step) -> None:
        """The sender's loop: send what is due, answer it, until nothing is left."""
        answers = list(answers)
        for _ in range(12):
            req = self.tm.next_request(self.now, incomplete)
            if req is None:
                delay = self.tm.next_request_delay(self.now)
                if delay is None or delay == 0:
                    return
                self.now += delay
                continue
            assert not (incomplete and req.kind is RequestKind.END_TXN), "EndTxn before the batches finished"
            assert self.tm.next_request(self.now, incomplete) is None  # one at a time
            wire(req)
            self.results.setdefault(id(req.result), (req.result, None))
            code = answers.pop(0) if answers else 0
            if code == LOST:
                self.tm.handle_disconnect(req, self.now)
            elif code == NOT_SENT:
                self.tm.handle_not_sent(req, self.now)
            else:
                reply(self.tm, req, response_for(req, code, epoch_step), self.now)
                if req.kind is RequestKind.END_TXN and req.result.done and req.result.error is None:
                    self.ended += 1
            self.check_transition()

    # -- invariants --
    @invariant()
    def check_transition(self) -> None:
        self.tm.batches_to_abort()  # lets batch errors reach the state, as the sender's poll does
        state = self.tm.state
        if self.fatal:
            assert state is State.FATAL_ERROR
        if state is not self.prev:
            # several steps may happen in one call; each is checked by _transition, so the
            # pair must be reachable: it is either a direct edge or passes through the table
            assert state in _reachable(self.prev), f"{self.prev} -> {state}"
        self.prev = state
        self.fatal = state is State.FATAL_ERROR
        assert state is not State.PREPARED_TRANSACTION

    def teardown(self) -> None:
        from hypothesis import event
        event(f"EndTxn completed: {min(self.ended, 3)}{'+' if self.ended >= 3 else ''}")
        event(f"final state: {self.tm.state.value}")

    @invariant()
    def results_complete_once(self) -> None:
        for key, (result, seen) in list(self.results.items()):
            if seen is not None:
                assert result.done and (result.error is seen[1])
            elif result.done:
                self.results[key] = (result, (True, result.error))

    @invariant()
    def waiting_states_have_work_queued(self) -> None:
        """INITIALIZING, COMMITTING and ABORTING are only left by an answer: one must be coming."""
        if self.tm.state in (State.INITIALIZING, State.COMMITTING_TRANSACTION, State.ABORTING_TRANSACTION):
            assert self.tm.has_pending_requests() or self.tm.has_in_flight, f"stuck in {self.tm.state}"

    @invariant()
    def partitions_only_inside_transactions(self) -> None:
        if self.tm.state in (State.READY, State.UNINITIALIZED, State.INITIALIZING):
            assert not self.tm.partitions_in_transaction()


def _reachable(src: State) -> set[State]:
    seen, todo = set(), [src]
    while todo:
        s = todo.pop()
        for t in TRANSITIONS[s]:
            if t not in seen:
                seen.add(t)
                todo.append(t)
    return seen


_base = settings()
TransactionMachine.TestCase.settings = settings(
    _base, stateful_step_count=50, max_examples=max(_base.max_examples, 200))
TestTransactionMachine = TransactionMachine.TestCase


def test_abort_that_fails_abortably_is_fatal_not_stuck() -> None:
    # Java leaves the manager in ABORTING_TRANSACTION here, where no call can move it;
    # purekafka makes it fatal, as Java already does for TRANSACTION_ABORTABLE.
    tm = in_txn_with_partition(tv=2)
    abort = tm.begin_abort()
    req = next_req(tm)
    reply(tm, req, end.EndTxnResponse(error_code=ErrorCode.UNKNOWN_PRODUCER_ID))
    assert tm.state is State.FATAL_ERROR and abort.error is not None


def test_initialize_only_from_uninitialized() -> None:
    tm = in_txn_with_partition()
    tm.begin_abort()
    with pytest.raises(IllegalStateError, match="timed out"):
        tm.initialize(0)  # the pending abort comes first
    tm.begin_abort().error = KafkaError("pretend it failed")
    tm.begin_abort().done = True
    with pytest.raises(KafkaError):
        tm.begin_abort().consume()
    with pytest.raises(IllegalStateError, match="only allowed once"):
        tm.initialize(0)


def test_tv1_abort_with_a_batch_of_unknown_outcome_bumps_the_epoch() -> None:
    # TV1 keeps sequences across transactions; an expired batch may leave a gap, so the
    # end of the transaction bumps the epoch (InitProducerId v3+) before the next one.
    tm = in_txn_with_partition(tv=0)
    idem = tm.idempotence
    batch = idem.assign(TP, 2)
    assert idem.on_error(batch, ErrorCode.REQUEST_TIMED_OUT).action == "retry"
    result = tm.begin_abort()
    assert idem.on_expired(batch)  # given up during the abort
    req = next_req(tm)
    assert req.kind is RequestKind.END_TXN
    reply(tm, req, end.EndTxnResponse())
    assert not result.done and tm.state is State.INITIALIZING
    req = next_req(tm)
    assert req.kind is RequestKind.INIT_PRODUCER_ID and req.fields["bump"]
    reply(tm, req, ipi.InitProducerIdResponse(producer_id=42, producer_epoch=1))
    assert result.done and result.error is None and tm.state is State.READY
    assert idem.producer_epoch == 1 and idem.next_sequence(TP) == 0 and not idem.sequences_uncertain

"""Transaction and SASL APIs against a real Apache Kafka broker, over a plain socket.

Only ``purekafka.protocol`` (and ``purekafka.record`` for the batches) talks to
the broker here; what the transactions wrote is read back by confluent-kafka.
Errors are asserted by Kafka's error name.
"""
from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
from confluent_kafka import Consumer, TopicPartition
from kafka.admin import KafkaAdminClient

from tests.support import readback
from purekafka import errors
from purekafka.protocol import (
    add_offsets_to_txn,
    add_partitions_to_txn,
    end_txn,
    find_coordinator,
    init_producer_id,
    produce,
    sasl_authenticate,
    sasl_handshake,
    txn_offset_commit,
)
from purekafka.protocol.add_partitions_to_txn import AddPartitionsToTxnRequest, AddPartitionsToTxnTopic
from purekafka.record.batch import RecordBatchBuilder
from tests.support.txn_broker_client import Conn, addr, until_ok

pytestmark = pytest.mark.broker


def _coordinator(conn: Conn, key: str, key_type: int) -> Conn:
    v = conn.version(find_coordinator)
    if v >= 4:
        req = find_coordinator.FindCoordinatorRequest(key_type=key_type, coordinator_keys=[key])
        resp = until_ok(lambda: conn.call(find_coordinator, req, v), lambda r: r.coordinators[0].error_code)
        c = resp.coordinators[0]
        assert errors.error_name(c.error_code) == "NONE", c
        return Conn(c.host, c.port)
    req = find_coordinator.FindCoordinatorRequest(key=key, key_type=key_type)
    resp = until_ok(lambda: conn.call(find_coordinator, req, v), lambda r: r.error_code)
    assert errors.error_name(resp.error_code) == "NONE", resp
    return Conn(resp.host, resp.port)


def _init_pid(conn: Conn, txn_id: str | None, version: int | None = None) -> tuple[int, int]:
    v = conn.version(init_producer_id) if version is None else version
    req = init_producer_id.InitProducerIdRequest(transactional_id=txn_id, transaction_timeout_ms=60000)
    resp = until_ok(lambda: conn.call(init_producer_id, req, v), lambda r: r.error_code)
    assert errors.error_name(resp.error_code) == "NONE", resp
    assert resp.producer_id >= 0 and resp.producer_epoch >= 0
    return resp.producer_id, resp.producer_epoch


def _produce(conn: Conn, topic: str, txn_id: str, pid: int, epoch: int, seq: int, values: list[bytes],
             version: int) -> None:
    b = RecordBatchBuilder(is_transactional=True, producer_id=pid, producer_epoch=epoch, base_sequence=seq)
    now = int(time.time() * 1000)
    for v in values:
        b.append(now, None, v)
    body = produce.build_request(version, txn_id, -1, 30000, [(topic, [(0, b.build())])])
    resp = until_ok(lambda: _raw_produce(conn, body, version),
                     lambda r: r.responses[0].partition_responses[0].error_code)
    part = resp.responses[0].partition_responses[0]
    assert errors.error_name(part.error_code) == "NONE", part


def _raw_produce(conn: Conn, body: bytes, version: int) -> Any:
    return produce.decode_response(conn.call_raw(produce.API_KEY, version, body), version)


def _add_partition(coord: Conn, txn_id: str, pid: int, epoch: int, topic: str) -> None:
    req = AddPartitionsToTxnRequest(v3_and_below_transactional_id=txn_id, v3_and_below_producer_id=pid,
                                    v3_and_below_producer_epoch=epoch,
                                    v3_and_below_topics=[AddPartitionsToTxnTopic(topic, [0])])
    resp = until_ok(lambda: coord.call(add_partitions_to_txn, req, 3),
                     lambda r: r.results_by_topic_v3_and_below[0].results_by_partition[0].partition_error_code)
    (topic_result,) = resp.results_by_topic_v3_and_below
    assert topic_result.name == topic
    assert [(p.partition_index, errors.error_name(p.partition_error_code))
            for p in topic_result.results_by_partition] == [(0, "NONE")]


def _end(coord: Conn, txn_id: str, pid: int, epoch: int, commit: bool, version: int) -> Any:
    req = end_txn.EndTxnRequest(txn_id, pid, epoch, commit)
    resp = until_ok(lambda: coord.call(end_txn, req, version), lambda r: r.error_code)
    assert errors.error_name(resp.error_code) == "NONE", resp
    return resp


@pytest.fixture
def conn(kafka: Any):
    c = Conn(*addr(kafka))
    yield c
    c.close()


def test_broker_versions_fit_our_modules(conn: Conn) -> None:
    """Every version the broker offers for these APIs is one our modules encode."""
    for mod in (init_producer_id, add_partitions_to_txn, add_offsets_to_txn, end_txn, txn_offset_commit,
                sasl_handshake, sasl_authenticate):
        lo, hi = conn.versions[mod.API_KEY]
        assert mod.MIN_VERSION <= lo and hi <= mod.MAX_VERSION, (mod.__name__, lo, hi)


def test_init_producer_id_idempotent_every_version(conn: Conn) -> None:
    lo, hi = conn.versions[init_producer_id.API_KEY]
    seen = set()
    for v in range(lo, hi + 1):
        seen.add(_init_pid(conn, None, v)[0])
    # Each idempotent InitProducerId hands out a fresh producer id.
    assert len(seen) == hi - lo + 1


def test_init_producer_id_transactional_fences_by_epoch(conn: Conn) -> None:
    txn_id = f"p2-fence-{uuid.uuid4().hex[:8]}"
    coord = _coordinator(conn, txn_id, find_coordinator.KEY_TYPE_TRANSACTION)
    try:
        pid, epoch = _init_pid(coord, txn_id)
        pid2, epoch2 = _init_pid(coord, txn_id)
        # Same transactional id: same producer id, epoch bumped (the older producer is fenced).
        assert (pid2, epoch2) == (pid, epoch + 1)
        # The fenced epoch can no longer end a transaction.
        req = end_txn.EndTxnRequest(txn_id, pid, epoch, False)
        resp = coord.call(end_txn, req, 4)
        assert errors.error_name(resp.error_code) == "PRODUCER_FENCED"  # EndTxn v2+ may say so (KIP-588)
    finally:
        coord.close()


def test_add_partitions_v3_commit_and_abort_read_back(kafka: Any, conn: Conn, topic_factory: Any) -> None:
    """Transaction protocol v1 as the Java client without TV2 does it: AddPartitionsToTxn v3, Produce, EndTxn."""
    topic = topic_factory(partitions=1)
    kafka.wait_for_leaders(topic)
    txn_id = f"p2-tv1-{uuid.uuid4().hex[:8]}"
    produce_v = conn.version(produce, cap=11)  # v12+ would add the partition implicitly (TV2)
    coord = _coordinator(conn, txn_id, find_coordinator.KEY_TYPE_TRANSACTION)
    try:
        pid, epoch = _init_pid(coord, txn_id)
        plan = [([b"commit-1", b"commit-2"], True), ([b"abort-1"], False), ([b"commit-3"], True)]
        seq = 0
        for values, commit in plan:
            _add_partition(coord, txn_id, pid, epoch, topic)
            _produce(conn, topic, txn_id, pid, epoch, seq, values, produce_v)
            seq += len(values)
            _end(coord, txn_id, pid, epoch, commit, 4)
    finally:
        coord.close()
    committed = readback.consume(kafka.bootstrap, topic, 3, isolation_level="read_committed")
    assert [r.value for r in committed] == [b"commit-1", b"commit-2", b"commit-3"]
    everything = readback.consume(kafka.bootstrap, topic, 4, isolation_level="read_uncommitted")
    assert [r.value for r in everything] == [b"commit-1", b"commit-2", b"abort-1", b"commit-3"]


def test_end_txn_v5_bumps_epoch_under_tv2(kafka: Any, conn: Conn, topic_factory: Any) -> None:
    """KIP-890 part 2: Produce v12+ adds the partition itself; EndTxn v5 returns the bumped epoch."""
    assert conn.features.get("transaction.version", 0) >= 2, conn.features
    assert conn.versions[end_txn.API_KEY][1] >= 5
    topic = topic_factory(partitions=1)
    kafka.wait_for_leaders(topic)
    txn_id = f"p2-tv2-{uuid.uuid4().hex[:8]}"
    produce_v = conn.version(produce, cap=12)
    assert produce_v >= 12
    coord = _coordinator(conn, txn_id, find_coordinator.KEY_TYPE_TRANSACTION)
    try:
        pid, epoch = _init_pid(coord, txn_id)
        _produce(conn, topic, txn_id, pid, epoch, 0, [b"tv2-1"], produce_v)
        resp = _end(coord, txn_id, pid, epoch, True, 5)
        assert (resp.producer_id, resp.producer_epoch) == (pid, epoch + 1)
        # The next transaction runs on the new epoch, sequence restarting at 0.
        _produce(conn, topic, txn_id, pid, epoch + 1, 0, [b"tv2-aborted"], produce_v)
        resp = _end(coord, txn_id, pid, epoch + 1, False, 5)
        assert (resp.producer_id, resp.producer_epoch) == (pid, epoch + 2)
    finally:
        coord.close()
    assert [r.value for r in readback.consume(kafka.bootstrap, topic, 1)] == [b"tv2-1"]
    assert [r.value for r in readback.consume_all(kafka.bootstrap, topic, settle=2.0)] == [b"tv2-1"]


def _committed_offset(kafka: Any, group: str, topic: str) -> tuple[int, str]:
    """The group's committed (offset, metadata) for partition 0, read by independent clients."""
    consumer = Consumer({"bootstrap.servers": kafka.bootstrap, "group.id": group, "enable.auto.commit": False,
                         "isolation.level": "read_committed"})
    try:
        deadline = time.monotonic() + 30
        while True:
            (tp,) = consumer.committed([TopicPartition(topic, 0)], timeout=10)
            if tp.offset >= 0 or time.monotonic() > deadline:
                break
            time.sleep(0.3)  # the commit marker may still be on its way
    finally:
        consumer.close()
    # confluent-kafka's TopicPartition.metadata is not reliably NUL-terminated, so the
    # metadata string is read back with kafka-python's admin client instead.
    admin = KafkaAdminClient(bootstrap_servers=kafka.bootstrap)
    try:
        offsets = admin.list_group_offsets(group)[group]
    finally:
        admin.close()
    ((tp2, om),) = offsets.items()
    assert (tp2.topic, tp2.partition, om.offset) == (topic, 0, tp.offset)
    return tp.offset, om.metadata


def _txn_offset_commit(group_coord: Conn, txn_id: str, group: str, pid: int, epoch: int, topic: str,
                       offset: int, version: int) -> None:
    commit = txn_offset_commit.TxnOffsetCommitRequest(
        transactional_id=txn_id, group_id=group, producer_id=pid, producer_epoch=epoch,
        topics=[txn_offset_commit.TxnOffsetCommitRequestTopic(name=topic, partitions=[
            txn_offset_commit.TxnOffsetCommitRequestPartition(0, offset, committed_metadata="p2")])])
    resp = until_ok(lambda: group_coord.call(txn_offset_commit, commit, version),
                     lambda r: r.topics[0].partitions[0].error_code)
    assert [(t.name, [(p.partition_index, errors.error_name(p.error_code)) for p in t.partitions])
            for t in resp.topics] == [(topic, [(0, "NONE")])]


def test_offsets_committed_in_a_transaction(kafka: Any, conn: Conn, topic_factory: Any) -> None:
    """TV1: AddOffsetsToTxn, TxnOffsetCommit v3 (as sendOffsetsToTransaction with a bare group id), EndTxn."""
    topic = topic_factory(partitions=1)
    txn_id = f"p2-off-{uuid.uuid4().hex[:8]}"
    group = f"p2-group-{uuid.uuid4().hex[:8]}"
    coord = _coordinator(conn, txn_id, find_coordinator.KEY_TYPE_TRANSACTION)
    group_coord = _coordinator(conn, group, find_coordinator.KEY_TYPE_GROUP)
    try:
        pid, epoch = _init_pid(coord, txn_id)
        req = add_offsets_to_txn.AddOffsetsToTxnRequest(txn_id, pid, epoch, group)
        resp = until_ok(lambda: coord.call(add_offsets_to_txn, req, 3), lambda r: r.error_code)
        assert errors.error_name(resp.error_code) == "NONE"
        _txn_offset_commit(group_coord, txn_id, group, pid, epoch, topic, 1234, 3)
        _end(coord, txn_id, pid, epoch, True, 4)
    finally:
        coord.close()
        group_coord.close()
    assert _committed_offset(kafka, group, topic) == (1234, "p2")


def test_offsets_committed_under_tv2(kafka: Any, conn: Conn, topic_factory: Any) -> None:
    """TV2: TxnOffsetCommit v5 adds the group itself (no AddOffsetsToTxn).

    An offset committed in an aborted transaction does not replace the committed one.
    """
    assert conn.features.get("transaction.version", 0) >= 2, conn.features
    topic = topic_factory(partitions=1)
    txn_id = f"p2-off2-{uuid.uuid4().hex[:8]}"
    group = f"p2-group2-{uuid.uuid4().hex[:8]}"
    coord = _coordinator(conn, txn_id, find_coordinator.KEY_TYPE_TRANSACTION)
    group_coord = _coordinator(conn, group, find_coordinator.KEY_TYPE_GROUP)
    try:
        pid, epoch = _init_pid(coord, txn_id)
        _txn_offset_commit(group_coord, txn_id, group, pid, epoch, topic, 4321, 5)
        epoch = _end(coord, txn_id, pid, epoch, True, 5).producer_epoch
        _txn_offset_commit(group_coord, txn_id, group, pid, epoch, topic, 999, 5)
        _end(coord, txn_id, pid, epoch, False, 5)
        # InitProducerId answers CONCURRENT_TRANSACTIONS until the abort is complete.
        _init_pid(coord, txn_id)
    finally:
        coord.close()
        group_coord.close()
    assert _committed_offset(kafka, group, topic) == (4321, "p2")


def test_sasl_on_a_plaintext_listener(kafka: Any) -> None:
    """A PLAINTEXT listener has no SASL exchange: the broker answers ILLEGAL_SASL_STATE."""
    c = Conn(*addr(kafka))
    try:
        lo, hi = c.versions[sasl_handshake.API_KEY]
        for v in range(lo, hi + 1):
            resp = c.call(sasl_handshake, sasl_handshake.SaslHandshakeRequest("PLAIN"), v)
            assert errors.error_name(resp.error_code) == "ILLEGAL_SASL_STATE", resp
        v = c.version(sasl_authenticate)
        resp = c.call(sasl_authenticate, sasl_authenticate.SaslAuthenticateRequest(b"\x00u\x00p"), v)
        assert errors.error_name(resp.error_code) == "ILLEGAL_SASL_STATE", resp
    finally:
        c.close()

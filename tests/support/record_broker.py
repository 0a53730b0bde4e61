"""Just enough of a client for the record broker tests: a ``WireClient`` with the versions
they use, and only purekafka.protocol / purekafka.record to build and read messages."""
from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any

from purekafka.protocol import end_txn, find_coordinator, init_producer_id, metadata, produce
from purekafka.record import RecordBatchBuilder

from tests.support.wire_client import WireClient

NONE = 0
# COORDINATOR_LOAD_IN_PROGRESS, COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR, CONCURRENT_TRANSACTIONS
COORDINATOR_NOT_READY = {14, 15, 16, 51}
# UNKNOWN_TOPIC_OR_PARTITION, NOT_LEADER_OR_FOLLOWER, UNKNOWN_TOPIC_ID, and
# CONCURRENT_TRANSACTIONS (the previous transaction's markers are still being written).
NOT_READY = {3, 6, 51, 100}

Rec = tuple[int, "bytes | None", "bytes | None", list[Any]]


# A plain connection (no ApiVersions first): produce_one(conn=...) sends on a fresh one.
Conn = WireClient


@dataclass
class Broker:
    """A connection plus the highest version of each API both sides speak."""

    conn: Conn
    produce: int
    metadata: int
    init_producer_id: int
    end_txn: int
    find_coordinator: int

    def close(self) -> None:
        self.conn.close()


def connect(addr: tuple[str, int]) -> Broker:
    conn = Conn(addr, client_id="purekafka-record-test")
    conn.negotiate()
    return Broker(conn, conn.version(produce), conn.version(metadata), conn.version(init_producer_id),
                  conn.version(end_txn), conn.version(find_coordinator))


def retry_while(codes: set[int], call: Any, timeout: float = 30.0) -> Any:
    """Repeat ``call()`` while its error_code is in ``codes`` (brokers still warming up)."""
    deadline = time.monotonic() + timeout
    while True:
        resp = call()
        if resp.error_code in codes and time.monotonic() < deadline:
            time.sleep(0.1)
            continue
        return resp


def wait_for_transaction_coordinator(b: Broker, transactional_id: str) -> None:
    """FindCoordinator until it answers (the first call creates __transaction_state)."""
    v = b.find_coordinator
    req = find_coordinator.FindCoordinatorRequest(key=transactional_id if v < 4 else "", key_type=1,
                                                  coordinator_keys=[transactional_id] if v >= 4 else [])
    body = find_coordinator.encode_request(req, v)

    def once() -> Any:
        resp = b.conn.call_body(find_coordinator, v, body)
        return resp.coordinators[0] if v >= 4 else resp

    found = retry_while(COORDINATOR_NOT_READY, once, timeout=60)
    assert found.error_code == NONE, found


def init_pid(b: Broker, transactional_id: str | None = None) -> Any:
    req = init_producer_id.InitProducerIdRequest(transactional_id=transactional_id, transaction_timeout_ms=60_000)
    body = init_producer_id.encode_request(req, b.init_producer_id)
    resp = retry_while(COORDINATOR_NOT_READY, lambda: b.conn.call_body(init_producer_id, b.init_producer_id, body))
    assert resp.error_code == NONE and resp.producer_id >= 0, resp
    return resp


def end_transaction(b: Broker, transactional_id: str, pid: int, epoch: int, commit: bool) -> Any:
    req = end_txn.EndTxnRequest(transactional_id, pid, epoch, commit)
    body = end_txn.encode_request(req, b.end_txn)
    return retry_while(COORDINATOR_NOT_READY, lambda: b.conn.call_body(end_txn, b.end_txn, body))


def topic_ref(b: Broker, topic: str) -> str | uuid.UUID:
    """The topic as Produce names it at our version: its id from v13, else its name."""
    if b.produce < 13:
        return topic
    req = metadata.MetadataRequest([metadata.MetadataRequestTopic(name=topic)], False)
    resp = b.conn.call(metadata, req, b.metadata)
    [t] = resp.topics
    assert t.error_code == NONE and t.partitions[0].leader_id >= 0
    topic_id: uuid.UUID = t.topic_id
    return topic_id


def build(specs: list[Rec], now_ms: int, codec: int, **fields: Any) -> tuple[bytes, list[Rec]]:
    """A batch of ``specs`` (timestamps given as offsets from ``now_ms``) and the absolute records."""
    recs = [(now_ms + d, k, v, h) for d, k, v, h in specs]
    builder = RecordBatchBuilder(compression_type=codec, batch_size=1 << 20, **fields)
    for ts, key, value, hdrs in recs:
        assert builder.append(ts, key, value, hdrs) is not None
    return builder.build(), recs


def produce_one(b: Broker, ref: str | uuid.UUID, batch: bytes, acks: int, partition: int = 0,
                transactional_id: str | None = None, conn: Conn | None = None) -> Any:
    """Produce one batch to one partition; the partition response, or None at acks=0."""
    conn = conn or b.conn
    body = produce.build_request(b.produce, transactional_id, acks, 30_000, [(ref, [(partition, batch)])])
    if acks == 0:
        conn.send(produce.API_KEY, b.produce, body)  # the broker sends no response at acks=0
        return None

    def once() -> Any:
        [topic] = conn.call_body(produce, b.produce, body).responses
        [part] = topic.partition_responses
        return part

    # Just after creation the broker may list itself as leader in metadata a moment
    # before its replica manager takes the partition; a real producer retries these too.
    return retry_while(NOT_READY, once, timeout=15)

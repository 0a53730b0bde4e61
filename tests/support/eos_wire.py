"""A one-socket driver (a ``WireClient``) that plays the sender's part for the exactly-once core.

The broker tests of ``IdempotenceState`` and ``TransactionManager`` use it to send
what those state machines ask for to the real broker (single node, so it is also
every coordinator) and to feed the answers back. Messages are built and read with
purekafka.protocol and purekafka.record only.
"""
from __future__ import annotations

import time
import uuid
from typing import Any

from purekafka.core.idempotence import IdempotenceState
from purekafka.core.transactions import TransactionManager
from purekafka.protocol import init_producer_id, metadata, produce
from purekafka.protocol.apis import api_module
from purekafka.record import RecordBatchBuilder

from tests.support.wire_client import WireClient

NOT_READY = {3, 6, 100}  # UNKNOWN_TOPIC_OR_PARTITION, NOT_LEADER_OR_FOLLOWER, UNKNOWN_TOPIC_ID


def now_ms() -> float:
    return time.monotonic() * 1000.0


class Wire(WireClient):
    """A negotiated ``WireClient`` to the first bootstrap broker, playing the sender's part."""

    def __init__(self, bootstrap: str) -> None:
        host, port = bootstrap.split(",")[0].rsplit(":", 1)
        super().__init__((host, int(port)), client_id="purekafka-eos-test")
        self.negotiate()

    # -- the sender's part ----------------------------------------------------------------
    def init_idempotent(self, state: IdempotenceState) -> None:
        """InitProducerId for an idempotent producer, as the sender does it."""
        deadline = time.monotonic() + 30
        while state.needs_producer_id(None) or not state.has_producer_id:
            assert time.monotonic() < deadline
            req = state.init_producer_id_request()
            v = self.version(init_producer_id)
            d = state.handle_init_producer_id_response(self.call(init_producer_id, req, v), now_ms())
            assert d.action in ("ok", "retry"), d
            if d.action == "retry":
                time.sleep(0.1)

    def drive(self, tm: TransactionManager, has_incomplete: bool = False, timeout: float = 60.0) -> list[str]:
        """Send the manager's requests until it has nothing more to send; returns their kinds."""
        sent: list[str] = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            req = tm.next_request(now_ms(), has_incomplete)
            if req is None:
                delay = tm.next_request_delay(now_ms())
                if delay is None:
                    return sent
                time.sleep(max(delay, 1.0) / 1000.0)
                continue
            module = api_module(req.api_key)
            v = self.version(module, cap=req.max_version, floor=req.min_version)
            resp = self.call(module, req.build(v), v)
            sent.append(req.kind.value)
            tm.handle_response(req, resp, now_ms())
        raise AssertionError(f"transaction requests did not settle: {sent}")

    def topic_id(self, topic: str) -> uuid.UUID:
        v = self.version(metadata)
        resp = self.call(metadata, metadata.MetadataRequest([metadata.MetadataRequestTopic(name=topic)], False), v)
        [t] = resp.topics
        assert t.error_code == 0, t
        topic_id: uuid.UUID = t.topic_id
        return topic_id

    def produce(self, topic: str, partition: int, batch: bytes, *, transactional_id: str | None = None,
                lo: int = 0, hi: int = 32767) -> Any:
        """One batch to one partition at acks=all; the partition's answer (retried while not ready)."""
        v = self.version(produce, cap=hi, floor=lo)
        ref: str | uuid.UUID = self.topic_id(topic) if v >= 13 else topic
        body = produce.build_request(v, transactional_id, -1, 30_000, [(ref, [(partition, batch)])])
        deadline = time.monotonic() + 15
        while True:
            [t] = self.call_body(produce, v, body).responses
            [p] = t.partition_responses
            if p.error_code in NOT_READY and time.monotonic() < deadline:
                time.sleep(0.1)
                continue
            return p


def batch_bytes(stamp: Any, values: list[bytes], transactional: bool = False, key: bytes | None = None) -> bytes:
    """A record batch of ``values`` (all with ``key``) carrying the stamp's producer id, epoch and sequence."""
    b = RecordBatchBuilder(batch_size=1 << 20, producer_id=stamp.producer_id, producer_epoch=stamp.producer_epoch,
                           base_sequence=stamp.base_sequence, is_transactional=transactional)
    ts = int(time.time() * 1000)
    for value in values:
        assert b.append(ts, key, value, []) is not None
    return b.build()

"""A blocking one-socket driver that plays the sender's part for the exactly-once core.

The broker tests of ``IdempotenceState`` and ``TransactionManager`` use it to send
what those state machines ask for to the real broker (single node, so it is also
every coordinator) and to feed the answers back. Messages are built and read with
purekafka.protocol and purekafka.record only.
"""
from __future__ import annotations

import itertools
import socket
import struct
import time
import uuid
from typing import Any

from purekafka.core.idempotence import IdempotenceState
from purekafka.core.transactions import TransactionManager
from purekafka.errors import DecodeError
from purekafka.protocol import api_versions, init_producer_id, metadata, produce
from purekafka.protocol import headers as protocol_headers
from purekafka.protocol.apis import api_module
from purekafka.record import RecordBatchBuilder

NOT_READY = {3, 6, 100}  # UNKNOWN_TOPIC_OR_PARTITION, NOT_LEADER_OR_FOLLOWER, UNKNOWN_TOPIC_ID


def now_ms() -> float:
    return time.monotonic() * 1000.0


class Wire:
    """One connection, with the broker's API versions and finalized features."""

    _ids = itertools.count(1)

    def __init__(self, bootstrap: str) -> None:
        host, port = bootstrap.rsplit(":", 1)
        self.sock = socket.create_connection((host, int(port)), timeout=30)
        req = api_versions.ApiVersionsRequest("purekafka-eos-test", "0")
        try:
            resp = self.call(api_versions, api_versions.MAX_VERSION, req)
        except DecodeError:  # a broker before 3.9 answers v4 with a v0 UNSUPPORTED_VERSION body
            resp = self.call(api_versions, 3, req)
        self.versions = resp.versions()
        self.features = {f.name: f.max_version_level for f in resp.finalized_features}

    def close(self) -> None:
        self.sock.close()

    def _exact(self, n: int) -> bytes:
        parts = []
        while n:
            chunk = self.sock.recv(n)
            if not chunk:
                raise ConnectionError("broker closed the connection")
            parts.append(chunk)
            n -= len(chunk)
        return b"".join(parts)

    def call_raw(self, module: Any, version: int, body: bytes) -> Any:
        corr = next(self._ids)
        self.sock.sendall(protocol_headers.encode_request_frame(module.API_KEY, version, corr, "eos-test", body))
        (size,) = struct.unpack(">i", self._exact(4))
        frame = self._exact(size)
        got, off = protocol_headers.decode_response_header(
            frame, protocol_headers.response_header_version(module.API_KEY, version))
        assert got == corr
        return module.decode_response(frame[off:], version)

    def call(self, module: Any, version: int, msg: Any) -> Any:
        return self.call_raw(module, version, module.encode_request(msg, version))

    def version(self, api_key: int, lo: int = 0, hi: int = 32767) -> int:
        """The highest version both sides speak within lo..hi."""
        mod = api_module(api_key)
        b_lo, b_hi = self.versions[api_key]
        v = min(hi, b_hi, mod.MAX_VERSION)
        assert v >= max(lo, b_lo, mod.MIN_VERSION), f"no common version of API {api_key} in {lo}..{hi}"
        return v

    # -- the sender's part ----------------------------------------------------------------
    def init_idempotent(self, state: IdempotenceState) -> None:
        """InitProducerId for an idempotent producer, as the sender does it."""
        deadline = time.monotonic() + 30
        while state.needs_producer_id(None) or not state.has_producer_id:
            assert time.monotonic() < deadline
            req = state.init_producer_id_request()
            v = self.version(init_producer_id.API_KEY)
            d = state.handle_init_producer_id_response(self.call(init_producer_id, v, req), now_ms())
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
            v = self.version(req.api_key, req.min_version, req.max_version)
            resp = self.call(api_module(req.api_key), v, req.build(v))
            sent.append(req.kind)
            tm.handle_response(req, resp, now_ms())
        raise AssertionError(f"transaction requests did not settle: {sent}")

    def topic_id(self, topic: str) -> uuid.UUID:
        v = self.version(metadata.API_KEY)
        resp = self.call(metadata, v, metadata.MetadataRequest([metadata.MetadataRequestTopic(name=topic)], False))
        [t] = resp.topics
        assert t.error_code == 0, t
        return t.topic_id

    def produce(self, topic: str, partition: int, batch: bytes, *, transactional_id: str | None = None,
                lo: int = 0, hi: int = 32767) -> Any:
        """One batch to one partition at acks=all; the partition's answer (retried while not ready)."""
        v = self.version(produce.API_KEY, lo, hi)
        ref: str | uuid.UUID = self.topic_id(topic) if v >= 13 else topic
        body = produce.build_request(v, transactional_id, -1, 30_000, [(ref, [(partition, batch)])])
        deadline = time.monotonic() + 15
        while True:
            [t] = self.call_raw(produce, v, body).responses
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

"""A fake network for driving ``core.sender.Sender`` through its public entry points.

``FakeNetwork`` implements the core ``Network`` protocol (``core/network.py``) in
memory: brokers are node ids that are ready (connected, versions negotiated) or
not, requests the sender hands over are recorded as ``SentRequest`` (with the request
decoded by purekafka.protocol, so a test can look at what went out), and a test
answers one with ``respond`` or loses it with ``disconnect``, which call
``Sender.on_response`` / ``on_disconnect`` exactly as the I/O thread does.
``sent_in_full`` is the I/O thread's ``("sent", ...)`` for acks=0 Produce.

``SenderRig`` wires a Cluster, an Accumulator and a Sender to one, with a
Metadata answer ready for the usual single-broker cluster.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from purekafka.core.accumulator import Accumulator, ProducerBatch
from purekafka.core.cluster import Cluster
from purekafka.core.connection import InFlight
from purekafka.core.idempotence import IdempotenceState
from purekafka.core.network import Network
from purekafka.core.sender import BatchResult, Sender
from purekafka.core.transactions import TransactionManager
from purekafka.protocol import metadata as md
from purekafka.protocol import produce
from purekafka.protocol.apis import api_module
from purekafka.record import RecordBatchBuilder

__all__ = ["FakeNetwork", "SenderRig", "SentRequest", "produce_response"]

# Versions a current broker would negotiate, but Produce v9 (topics by name, flexible).
DEFAULT_VERSIONS = {0: 9, 3: 12, 10: 4, 22: 5, 24: 3, 25: 3, 26: 4, 28: 3}


@dataclass
class SentRequest:
    """One request the sender handed to the network."""

    node: int
    request: InFlight
    body: bytes
    message: Any  # the request decoded again

    @property
    def api_key(self) -> int:
        return self.request.api_key


@dataclass
class FakeNetwork:
    """In-memory ``Network``: ready nodes, negotiated versions, and a log of requests."""

    ready: set[int] = field(default_factory=lambda: {1})
    versions: dict[int, int] = field(default_factory=lambda: dict(DEFAULT_VERSIONS))
    features: dict[str, int] = field(default_factory=dict)
    sent: list[SentRequest] = field(default_factory=list)
    connects: list[int] = field(default_factory=list)
    addresses: dict[int, tuple[str, int]] = field(default_factory=dict)
    sender: Sender | None = None
    _correlation: int = 0

    # -- the Network protocol -------------------------------------------------------
    def is_ready(self, node_id: int, now_ms: float) -> bool:
        return node_id in self.ready

    def maybe_connect(self, node_id: int, now_ms: float) -> None:
        self.connects.append(node_id)

    def connection_delay_ms(self, node_id: int, now_ms: float) -> float:
        return 0.0 if node_id in self.ready else 50.0

    def api_version(self, node_id: int, api_key: int) -> int | None:
        return self.versions.get(api_key) if node_id in self.ready else None

    def least_loaded_node(self, now_ms: float) -> int | None:
        return min(self.ready, default=None)

    def add_address(self, node_id: int, host: str, port: int) -> None:
        self.addresses[node_id] = (host, port)

    @property
    def finalized_features(self) -> Mapping[str, int]:
        return self.features

    def send(self, node_id: int, api_key: int, version: int, body: bytes, now_ms: float,
             expect_response: bool, context: Any) -> InFlight:
        self._correlation += 1
        req = InFlight(self._correlation, api_key, version, now_ms, expect_response, context)
        self.sent.append(SentRequest(node_id, req, body, api_module(api_key).decode_request(body, version)))
        return req

    # -- the I/O layer's side ---------------------------------------------------------
    def _sender(self) -> Sender:
        assert self.sender is not None, "attach a sender first"
        return self.sender

    def take(self, api_key: int) -> SentRequest:
        """Remove and return the oldest unanswered request of ``api_key``."""
        for i, s in enumerate(self.sent):
            if s.api_key == api_key:
                return self.sent.pop(i)
        raise AssertionError(f"no request with API key {api_key} was sent; sent: "
                             f"{[s.api_key for s in self.sent]}")

    def respond(self, sent: SentRequest, response: Any, now_ms: float) -> None:
        """Answer ``sent`` with ``response`` (a protocol dataclass), encoded and decoded again."""
        body = api_module(sent.api_key).encode_response(response, sent.request.api_version)
        self._sender().on_response(sent.node, sent.request, memoryview(body), now_ms)

    def sent_in_full(self, sent: SentRequest, now_ms: float) -> None:
        self._sender().on_sent(sent.node, sent.request, now_ms)

    def disconnect(self, node: int, lost: list[SentRequest], now_ms: float) -> None:
        self._sender().on_disconnect(node, [s.request for s in lost], now_ms)


def produce_response(partitions: Mapping[tuple[str, int], int | produce.PartitionProduceResponse]
                     ) -> produce.ProduceResponse:
    """A Produce response by name: ``{tp: error_code or a full partition answer}``."""
    by_topic: dict[str, list[produce.PartitionProduceResponse]] = {}
    for (topic, partition), v in partitions.items():
        p = v if isinstance(v, produce.PartitionProduceResponse) else produce.PartitionProduceResponse(
            index=partition, error_code=v, base_offset=0 if v == 0 else -1)
        by_topic.setdefault(topic, []).append(p)
    return produce.ProduceResponse(responses=[
        produce.TopicProduceResponse(name=t, partition_responses=ps) for t, ps in by_topic.items()])


class SenderRig:
    """A Sender over a FakeNetwork, with one broker (node 1) leading ``topic``'s partitions."""

    def __init__(self, *, partitions: int = 1, topic: str = "topic", idempotent: bool = False,
                 transactional_id: str | None = None, acks: int = -1, retries: float = float("inf"),
                 delivery_timeout_ms: float = 5_000, network: FakeNetwork | None = None) -> None:
        self.topic = topic
        self.partitions = partitions
        self.leader_epoch = 0  # of every partition, in ``metadata()``
        self.net = network or FakeNetwork()
        self.cluster = Cluster([("127.0.0.1", 9092)])
        self.acc = Accumulator(lambda: RecordBatchBuilder(0, None, 16384),
                               delivery_timeout_ms=delivery_timeout_ms, random=lambda: 0.5)
        self.idem = None
        if idempotent or transactional_id is not None:
            self.idem = IdempotenceState(transactional_id is not None)
        self.sender = Sender(self.cluster, self.acc, self.net, acks=acks, retries=retries,
                             delivery_timeout_ms=delivery_timeout_ms, idempotence=self.idem,
                             transactional_id=transactional_id)
        self.txn: TransactionManager | None = None
        if transactional_id is not None:
            assert self.idem is not None
            self.txn = TransactionManager(transactional_id, self.idem)
            self.sender.set_transaction_manager(self.txn)
        self.net.sender = self.sender
        self.cluster.add_topic(topic)
        _: Network = self.net  # the fake must meet the protocol the core is coded against

    def metadata(self) -> md.MetadataResponse:
        """The cluster as the one broker describes it."""
        resp = md.MetadataResponse(brokers=[md.MetadataResponseBroker(node_id=1, host="127.0.0.1", port=9092)])
        t = md.MetadataResponseTopic(error_code=0, name=self.topic, partitions=[
            md.MetadataResponsePartition(partition_index=p, leader_id=1, leader_epoch=self.leader_epoch)
            for p in range(self.partitions)])
        resp.topics.append(t)
        return resp

    def answer_metadata(self, now_ms: float) -> None:
        """Run a turn, which asks for metadata, and answer it."""
        self.sender.run_once(now_ms)
        self.net.respond(self.net.take(md.API_KEY), self.metadata(), now_ms)

    def append(self, partition: int = 0, value: bytes = b"v", now_ms: float = 0.0) -> ProducerBatch:
        result = self.acc.append((self.topic, partition), 0, None, value, [], "token", 30, now_ms=now_ms)
        assert result is not None
        return result.batch

    def events(self) -> list[BatchResult]:
        return self.sender.pop_events()

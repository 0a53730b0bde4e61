"""A response body that does not parse, without a broker: the drivers' dispatch turns
it into a broken connection, and the Produce request on it into a lost one (outcome
unknown: retried with its sequence), never into a dead thread.

(Damaged frames and headers are caught lower, in core.connection: tests/core/test_connection.py.)
"""
from __future__ import annotations

import logging
import time
from typing import Any

from purekafka.core.accumulator import Accumulator
from purekafka.core.cluster import Cluster
from purekafka.core.connection import InFlight
from purekafka.core.events import Disconnect, Response
from purekafka.core.idempotence import IdempotenceState
from purekafka.core.sender import Sender
from purekafka.io.network import SocketNetwork
from purekafka.io.dispatch import dispatch
from purekafka.protocol import produce
from purekafka.protocol.init_producer_id import InitProducerIdResponse
from purekafka.record import RecordBatchBuilder

TP = ("topic", 0)
NODE = 1


class _FakeNetwork:
    """Just enough of the network for one Produce request, and a record of closes."""

    def __init__(self) -> None:
        self.sent: list[InFlight] = []
        self.broken: list[tuple[int, str, list[InFlight]]] = []

    def api_version(self, node_id: int, api_key: int) -> int | None:
        return 9 if api_key == produce.API_KEY else None

    def send(self, node_id: int, api_key: int, version: int, body: bytes, now_ms: float,
             expect_response: bool, context: Any) -> InFlight:
        req = InFlight(len(self.sent), api_key, version, now_ms, expect_response, context)
        self.sent.append(req)
        return req

    def close_broken(self, node_id: int, reason: str, lost: list[InFlight]) -> None:
        self.broken.append((node_id, reason, list(lost)))


def _setup() -> tuple[Sender, _FakeNetwork, Any]:
    acc = Accumulator(lambda: RecordBatchBuilder(0, None, 16384), delivery_timeout_ms=30_000)
    idem = IdempotenceState(False)
    idem.handle_init_producer_id_response(InitProducerIdResponse(producer_id=7, producer_epoch=0), 0.0)
    net = _FakeNetwork()
    sender = Sender(Cluster([("127.0.0.1", 1)]), acc, net,  # type: ignore[arg-type]
                    delivery_timeout_ms=30_000, idempotence=idem)
    acc.append(TP, 0, None, b"v", [], "token", 30, now_ms=0.0)
    (batch,) = acc.drain(lambda node: [TP], [NODE], 1 << 20, 0.0, sender._admit)[NODE]
    sender._send_produce(NODE, [batch], 0.0)
    return sender, net, batch


def test_unparseable_produce_body_breaks_the_connection_and_the_batch_is_retried_as_lost() -> None:
    sender, net, batch = _setup()
    (req,) = net.sent
    # A Produce v9 body cut short: one topic announced, nothing after it.
    dispatch(sender, net, Response(NODE, req, memoryview(b"\x02")), 10.0)
    ((node, reason, lost),) = net.broken
    assert node == NODE and lost == [req] and "DecodeError" in reason
    # The network reports it lost with the connection: a retry with the same sequence,
    # as after any disconnect (the broker may have written it; it will say so).
    dispatch(sender, net, Disconnect(NODE, lost), 20.0)
    assert sender.pop_events() == []
    assert batch.final_state is None and batch.attempts == 1 and batch.base_sequence == 0
    assert sender.acc.batches[TP][0] is batch
    assert sender.idempotence.can_resend(batch)  # off the wire, first in line: goes again as it was


def test_a_handler_failing_on_a_response_does_not_stop_the_thread(caplog) -> None:
    sender, net, _ = _setup()
    (req,) = net.sent

    def choke(*args: Any) -> None:
        raise ValueError("port 70000 out of range")

    sender.on_response = choke  # type: ignore[method-assign]
    with caplog.at_level(logging.WARNING, logger="purekafka.io"):
        dispatch(sender, net, Response(NODE, req, memoryview(b"")), 10.0)
    assert [(n, lost) for n, _, lost in net.broken] == [(NODE, [req])]
    assert "ValueError" in net.broken[0][1] and "handling a response failed" in caplog.text


def test_close_broken_reports_the_lost_request_at_once() -> None:
    """The lost request is news for the next poll, which must not sleep on it first."""
    net = SocketNetwork([("127.0.0.1", 1)], Cluster([("127.0.0.1", 1)]), client_id=None)
    try:
        req = InFlight(0, produce.API_KEY, 9, 0.0, True, None)
        net.close_broken(NODE, "DecodeError: not enough bytes", [req])
        t0 = time.monotonic()
        events = net.poll(5_000)
        assert time.monotonic() - t0 < 1.0
        assert events == [Disconnect(NODE, [req])]
    finally:
        net.close()

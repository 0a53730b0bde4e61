"""The sender's half of transactions: routing the TransactionManager's requests.

``TxnDriver`` gives the ``TransactionManager`` its turn at the start of each
``Sender.run_once``, as Java's ``Sender.runOnce`` does before producing:

1. batches the manager wants failed (``batches_to_abort``) are failed;
2. the next coordinator request (``next_request``) goes to its coordinator, or
   to the least loaded broker for FindCoordinator/InitProducerId without one, at
   the highest version both the broker and the request allow;
3. while a transactional request is in flight, no Produce goes out.

A coordinator known but not yet connected is connected to, and the request is
handed back (``handle_not_sent``), which the manager retries after its backoff.
Responses and lost connections come back through the request's context.
Time is float milliseconds passed in.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from purekafka import errors as _errors
from purekafka.core.connection import InFlight
from purekafka.protocol.apis import api_module

if TYPE_CHECKING:
    from purekafka.core.sender import Sender

__all__ = ["TxnDriver"]


class _TxnContext:
    __slots__ = ("driver", "req")

    def __init__(self, driver: TxnDriver, req: Any) -> None:
        self.driver = driver
        self.req = req

    def on_response(self, node: int, request: InFlight, body: memoryview, now_ms: float) -> None:
        resp = api_module(request.api_key).decode_response(bytes(body), request.api_version)
        self.driver.txn.handle_response(self.req, resp, now_ms)
        self.driver.learn_coordinators()

    def on_disconnect(self, node: int, request: InFlight, now_ms: float) -> None:
        self.driver.txn.handle_disconnect(self.req, now_ms)


class TxnDriver:
    """Feeds a TransactionManager's requests to the network for the sender."""

    def __init__(self, sender: Sender, txn: Any) -> None:
        self.sender = sender
        self.txn = txn

    def learn_coordinators(self) -> None:
        """Tell the network where coordinators are, in case metadata has not named them."""
        from purekafka.core.txn_requests import CoordinatorType

        for kind in (CoordinatorType.TRANSACTION, CoordinatorType.GROUP):
            node = self.txn.coordinator(kind)
            if node is not None:
                self.sender.network.add_address(node.node_id, node.host, node.port)

    def run(self, now_ms: float) -> tuple[bool, float]:
        """One turn; returns (may produce now, ms until the manager wants another turn)."""
        sender = self.sender
        txn = self.txn
        net = sender.network
        tv = getattr(net, "finalized_features", {}).get("transaction.version")
        if tv is not None:
            txn.set_transaction_version(tv)
        abort = txn.batches_to_abort()
        if abort is not None:
            scope, err = abort
            sender.abort_all(err, now_ms)
            if scope == "all":
                sender.fail_in_flight(err, now_ms)
        if txn.has_in_flight:
            return False, float("inf")
        req = txn.next_request(now_ms, sender.acc.has_incomplete())
        if req is None:
            delay = txn.next_request_delay(now_ms)
            return True, float("inf") if delay is None else max(delay, 1.0)
        if req.coordinator_type is not None:
            coord = txn.coordinator(req.coordinator_type)
            node = None if coord is None else coord.node_id
            if node is not None:
                net.add_address(node, coord.host, coord.port)
        else:
            node = net.least_loaded_node(now_ms)
        if node is None or not net.is_ready(node, now_ms):
            if node is not None:
                net.maybe_connect(node, now_ms)
            txn.handle_not_sent(req, now_ms)
            return False, sender.cluster.retry_backoff_ms
        negotiated = net.api_version(node, req.api_key)
        if negotiated is None or min(negotiated, req.max_version) < req.min_version:
            txn.handle_send_error(req, _errors.UnsupportedVersionError(
                f"broker {node} does not support a version of {req.kind} in "
                f"{req.min_version}..{req.max_version}"))
            return False, 0.0
        version = min(negotiated, req.max_version)
        try:
            body = api_module(req.api_key).encode_request(req.build(version), version)
        except _errors.KafkaError as e:
            txn.handle_send_error(req, e)
            return False, 0.0
        net.send(node, req.api_key, version, body, now_ms, True, _TxnContext(self, req))
        return False, float("inf")

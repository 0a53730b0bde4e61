"""The sender's transactional request path: the TransactionManager's requests to the network.

``TxnRequestSender`` is the part of Java's ``Sender.maybeSendAndPollTransactionalRequest``
that routes coordinator requests. ``Sender.run_once`` calls it first, after
failing the batches the manager wants failed (``batches_to_abort``, which the
sender does itself: it owns the batches):

1. the finalized ``transaction.version`` from the network's last ApiVersions is
   passed on (the manager applies it only at transaction boundaries);
2. while a transactional request is in flight, nothing else goes out, and no
   Produce either;
3. the next coordinator request (``next_request``) goes to its coordinator, or
   to the least loaded broker for FindCoordinator, at the highest version both
   the broker and the request allow. A transaction coordinator found ready is
   asked for its InitProducerId version first: an epoch bump needs v3+ (Java
   ``handleCoordinatorReady``).

A coordinator known but not yet connected is connected to, and the request is
handed back (``handle_not_sent``), which the manager retries after its backoff.
Responses and lost connections come back through ``on_response`` /
``on_disconnect`` with the request's ``TxnContext``. It knows only the manager
and the ``Network`` protocol; it never sees batches. Time is float milliseconds
passed in.
"""
from __future__ import annotations

from dataclasses import dataclass

from purekafka import errors as _errors
from purekafka.core.connection import InFlight
from purekafka.core.network import Network
from purekafka.core.transactions import TransactionManager
from purekafka.core.txn_requests import CoordinatorType, TxnRequest
from purekafka.protocol import init_producer_id as _init_pid
from purekafka.protocol.apis import api_module

__all__ = ["TxnContext", "TxnRequestSender"]

_EPOCH_BUMP_VERSION = 3  # InitProducerId v3 carries the current id and epoch (KIP-360)


@dataclass(slots=True, frozen=True)
class TxnContext:
    """The context of a coordinator request on the wire: which queued request it is."""

    req: TxnRequest


class TxnRequestSender:
    """Sends a TransactionManager's requests through the network, one at a time."""

    def __init__(self, txn: TransactionManager, network: Network, retry_backoff_ms: float) -> None:
        self.txn = txn
        self.network = network
        self.retry_backoff_ms = retry_backoff_ms

    def maybe_send(self, now_ms: float, has_incomplete_batches: bool) -> tuple[bool, float]:
        """One turn; returns (may produce now, ms until the manager wants another turn)."""
        txn = self.txn
        net = self.network
        tv = net.finalized_features.get("transaction.version")
        if tv is not None:
            txn.set_transaction_version(tv)
        if txn.has_in_flight:
            return False, float("inf")
        req = txn.next_request(now_ms, has_incomplete_batches)
        if req is None:
            delay = txn.next_request_delay(now_ms)
            return True, float("inf") if delay is None else max(delay, 1.0)
        node: int | None
        if req.coordinator_type is not None:
            coord = txn.coordinator(req.coordinator_type)
            node = None
            if coord is not None:
                node = coord.node_id
                net.add_address(node, coord.host, coord.port)
        else:
            node = net.least_loaded_node(now_ms)
        if node is None or not net.is_ready(node, now_ms):
            if node is not None:
                net.maybe_connect(node, now_ms)
            txn.handle_not_sent(req, now_ms)
            return False, self.retry_backoff_ms
        if req.coordinator_type is CoordinatorType.TRANSACTION:
            init_version = net.api_version(node, _init_pid.API_KEY)
            txn.set_coordinator_supports_epoch_bump(
                init_version is not None and init_version >= _EPOCH_BUMP_VERSION)
        negotiated = net.api_version(node, req.api_key)
        if negotiated is None or min(negotiated, req.max_version) < req.min_version:
            txn.handle_send_error(req, _errors.UnsupportedVersionError(
                f"broker {node} does not support a version of {req.kind.value} in "
                f"{req.min_version}..{req.max_version}"))
            return False, 0.0
        version = min(negotiated, req.max_version)
        try:
            body = api_module(req.api_key).encode_request(req.build(version), version)
        except _errors.KafkaError as e:
            txn.handle_send_error(req, e)
            return False, 0.0
        net.send(node, req.api_key, version, body, now_ms, True, TxnContext(req))
        return False, float("inf")

    def on_response(self, ctx: TxnContext, request: InFlight, body: memoryview, now_ms: float) -> None:
        """The coordinator answered ``ctx.req``."""
        resp = api_module(request.api_key).decode_response(bytes(body), request.api_version)
        self.txn.handle_response(ctx.req, resp, now_ms)
        self._learn_coordinators()

    def on_disconnect(self, ctx: TxnContext, request: InFlight, now_ms: float) -> None:
        """The connection carrying ``ctx.req`` went away before its answer."""
        self.txn.handle_disconnect(ctx.req, now_ms)

    def _learn_coordinators(self) -> None:
        """Tell the network where coordinators are, in case metadata has not named them."""
        for kind in (CoordinatorType.TRANSACTION, CoordinatorType.GROUP):
            node = self.txn.coordinator(kind)
            if node is not None:
                self.network.add_address(node.node_id, node.host, node.port)

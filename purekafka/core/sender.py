"""Turns ready batches into Produce requests and responses into completions.

Theory of operation
-------------------
``Sender`` is Java's ``Sender.runOnce`` without the thread or the sockets. The I/O
layer calls ``run_once(now_ms)`` in its loop and feeds back what happened:
``on_response(node, request, body, now_ms)`` for every matched response,
``on_sent(node, request, now_ms)`` when a request that gets no response
(Produce with acks=0) has been written in full, and
``on_disconnect(node, requests, now_ms)`` for the requests a lost connection
took with it (acks=0 ones included while not fully written). The network
itself is reached through the small ``Network`` protocol (``core.network``:
connect, is-ready, negotiated version, send), which the I/O layer implements
and unit tests fake (tests/core/fake_network.py).

Each ``run_once``:

1. transactions first: the batches a plugged-in ``TransactionManager`` wants
   failed are failed (``AbortScope``), then ``core.txn_sender`` sends its next
   coordinator request, and no Produce goes out while one is in flight; an
   idempotent producer without a producer id sends InitProducerId and drains
   nothing until it has one (sequences need the id);
2. metadata, when ``Cluster.ttl_ms`` says so, to the least loaded node;
3. ``Accumulator.ready`` / ``drain`` for the leaders that are connected and
   below their in-flight limit; one Produce request per leader;
4. expiry of queued batches past ``delivery_timeout_ms``.

It returns how long the I/O layer may sleep. Outcomes are *events*, appended
to ``events`` (``BatchResult``); the facade pops them and completes futures.
No future, callback or lock ever enters this module.

Retries: a retriable partition error (or a lost connection) puts the batch
back at the front of its partition after an exponential backoff with jitter,
while ``attempts <= retries`` and ``delivery_timeout_ms`` has not passed since
the batch was opened; an error that means stale metadata also asks for a
metadata update, and when the answer names the partition's new leader (KIP-951,
Produce v10+) the partition moves to it at once. A retriable error past the delivery timeout is reported as
``KafkaTimeoutError``. MESSAGE_TOO_LARGE on a batch of several records (the
topic's max.message.bytes is below batch_size) halves the batch and resends
the halves. Any other error fails that batch only. With idempotence, every
outcome first goes through ``IdempotenceState`` (``on_acked``/``on_error``),
whose decision wins.

Giving up on a batch without an answer (delivery timeout, abort, close) is one
operation, ``fail_batch``: the idempotence state hears of it first, so a late
answer only settles sequences. ``abort_queued``, ``fail_in_flight`` and
``fail_all`` apply it to the queued, the sent, or every unfinished batch.

Time is float milliseconds passed in; nothing here reads a clock.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from purekafka import errors as _errors
from purekafka.errors import ErrorCode
from purekafka.core.accumulator import Accumulator, FinalState, ProducerBatch
from purekafka.core.cluster import Broker, Cluster
from purekafka.core.connection import InFlight
from purekafka.core.idempotence import IdempotenceState
from purekafka.core.metrics import ProducerMetrics
from purekafka.core.network import Network
from purekafka.core.transactions import AbortScope, TransactionManager
from purekafka.core.txn_sender import TxnContext, TxnRequestSender
from purekafka.protocol import init_producer_id as _init_pid
from purekafka.protocol import metadata as _metadata
from purekafka.protocol import produce as _produce
from purekafka.record import patch_producer_state

__all__ = ["BatchResult", "Network", "Sender"]

_LEADER_MOVED = frozenset({ErrorCode.NOT_LEADER_OR_FOLLOWER, ErrorCode.FENCED_LEADER_EPOCH})


@dataclass(slots=True)
class BatchResult:
    """A batch finished: acknowledged (``exception is None``) or failed."""

    batch: ProducerBatch
    base_offset: int
    timestamp: int  # log append time, -1 for CreateTime topics
    log_start_offset: int
    exception: BaseException | None = None


@dataclass(slots=True)
class _ProduceContext:
    batches: dict[tuple[str, int], ProducerBatch]
    by_id: dict[Any, str]


class _MetadataContext:
    """The context of a Metadata request (one at a time)."""

    __slots__ = ()


class _InitPidContext:
    """The context of an idempotent producer's InitProducerId request."""

    __slots__ = ()


_METADATA_CONTEXT = _MetadataContext()
_INIT_PID_CONTEXT = _InitPidContext()


class Sender:
    """Produce-side state machine driving Cluster and Accumulator."""

    def __init__(
        self,
        cluster: Cluster,
        accumulator: Accumulator,
        network: Network,
        *,
        acks: int = -1,
        retries: float = float("inf"),
        request_timeout_ms: int = 30_000,
        delivery_timeout_ms: float = 120_000,
        max_request_size: int = 1_048_576,
        allow_auto_create_topics: bool = True,
        idempotence: IdempotenceState | None = None,
        transactional_id: str | None = None,
    ) -> None:
        self.cluster = cluster
        self.acc = accumulator
        self.network = network
        self.acks = acks
        self.retries = retries
        self.request_timeout_ms = request_timeout_ms
        self.delivery_timeout_ms = delivery_timeout_ms
        self.max_request_size = max_request_size
        self.allow_auto_create_topics = allow_auto_create_topics
        self.idempotence = idempotence
        self.transactional_id = transactional_id
        self._txn_requests: TxnRequestSender | None = None  # via set_transaction_manager
        self.events: list[BatchResult] = []
        # batches on the wire (by id) and the earliest of their delivery deadlines
        self._in_flight: dict[int, ProducerBatch] = {}
        self._in_flight_expiry = float("inf")
        self.fatal: BaseException | None = None
        self.metrics: ProducerMetrics | None = None  # set by the facade when metrics are enabled

    # -- the loop body ---------------------------------------------------------
    def run_once(self, now_ms: float) -> float:
        """Send what can be sent; return the milliseconds the caller may sleep."""
        net = self.network
        timeout = float("inf")
        may_produce = True
        txn_requests = self._txn_requests
        if txn_requests is not None:
            self._abort_for_transaction(txn_requests.txn, now_ms)
            may_produce, timeout = txn_requests.maybe_send(now_ms, self.acc.has_incomplete())
        timeout = min(timeout, self._maybe_update_metadata(now_ms))
        idem = self.idempotence
        if idem is not None:
            if idem.fatal_error is not None:
                self.abort_queued(idem.fatal_error, now_ms)
            elif not idem.has_producer_id:
                timeout = min(timeout, self._maybe_init_producer_id(idem, now_ms))

        rc = self.acc.ready(self.cluster.leader_for, now_ms)
        if rc.unknown_leader_topics:
            for topic in rc.unknown_leader_topics:
                self.cluster.add_topic(topic)
            self.cluster.request_update()
        nodes: list[int] = []
        for node in rc.nodes:
            if net.is_ready(node, now_ms):
                nodes.append(node)
            else:
                net.maybe_connect(node, now_ms)
                delay = net.connection_delay_ms(node, now_ms)
                if delay > 0 and delay != float("inf"):
                    # The leader is unreachable and backing off: it may have moved
                    # (ask again, paced by the metadata backoff).
                    self.cluster.request_update()
                timeout = min(timeout, delay)
        if nodes and may_produce and (idem is None or idem.has_producer_id):
            admit = self._admit if idem is not None else None
            drained = self.acc.drain(self.cluster.partitions_for_node, nodes,
                                     self.max_request_size, now_ms, admit)
            touch = self.cluster.touch
            for node, batches in drained.items():
                for batch in batches:
                    touch(batch.tp[0], now_ms)  # in use: metadata_max_idle_ms restarts
                self._send_produce(node, batches, now_ms)
        if now_ms >= self._in_flight_expiry:
            self._expire_in_flight(now_ms)
        for batch in self.acc.expired(now_ms):
            self.fail_batch(batch, _errors.KafkaTimeoutError(
                f"Expiring {batch.record_count} record(s) for {batch.tp[0]}-{batch.tp[1]}: "
                f"{now_ms - batch.created_ms:.0f} ms has passed since batch creation "
                f"(delivery_timeout_ms={self.delivery_timeout_ms:.0f})"), now_ms)
        timeout = min(timeout, rc.next_check_ms, self.acc.next_expiry_ms(now_ms),
                      self._in_flight_expiry - now_ms)
        return max(0.0, timeout)

    def _maybe_update_metadata(self, now_ms: float) -> float:
        cluster = self.cluster
        ttl = cluster.ttl_ms(now_ms)
        if ttl > 0:
            return ttl
        node = self._ready_node(now_ms)
        if node is None:
            return self._not_ready_delay
        version = self.network.api_version(node, _metadata.API_KEY)
        if version is None:
            cluster.update_failed(now_ms)
            return cluster.retry_backoff_ms
        topics = cluster.update_started(now_ms)
        req = _metadata.MetadataRequest(
            topics=[_metadata.MetadataRequestTopic(name=t) for t in topics],
            allow_auto_topic_creation=self.allow_auto_create_topics,
        )
        self.network.send(node, _metadata.API_KEY, version, _metadata.encode_request(req, version),
                          now_ms, True, _METADATA_CONTEXT)
        return float("inf")

    _not_ready_delay = 100.0

    def _ready_node(self, now_ms: float) -> int | None:
        """A connected node for a cluster-wide request, connecting to one if none is."""
        net = self.network
        node = net.least_loaded_node(now_ms)
        if node is None:
            self._not_ready_delay = self.cluster.retry_backoff_ms
            return None
        if not net.is_ready(node, now_ms):
            net.maybe_connect(node, now_ms)
            self._not_ready_delay = max(1.0, min(net.connection_delay_ms(node, now_ms),
                                                 self.cluster.retry_backoff_ms))
            return None
        return node

    def _maybe_init_producer_id(self, idem: IdempotenceState, now_ms: float) -> float:
        if not idem.needs_producer_id(now_ms):
            return self.cluster.retry_backoff_ms
        node = self._ready_node(now_ms)
        if node is None:
            return self._not_ready_delay
        version = self.network.api_version(node, _init_pid.API_KEY)
        if version is None:
            exc = _errors.UnsupportedVersionError(
                f"broker {node} does not support InitProducerId; the idempotent producer "
                "needs it (set enable_idempotence=False to produce without it)")
            idem.fail(exc)
            self.fatal = exc
            self.abort_queued(exc, now_ms)
            return float("inf")
        req = idem.init_producer_id_request()
        self.network.send(node, _init_pid.API_KEY, version, _init_pid.encode_request(req, version),
                          now_ms, True, _INIT_PID_CONTEXT)
        return float("inf")

    def set_transaction_manager(self, txn: TransactionManager) -> None:
        """Plug in a ``TransactionManager``: its requests go first on every turn."""
        self._txn_requests = TxnRequestSender(txn, self.network, self.cluster.retry_backoff_ms)

    @property
    def transactions(self) -> TransactionManager | None:
        """The plugged-in ``TransactionManager``, if this producer is transactional."""
        return None if self._txn_requests is None else self._txn_requests.txn

    def _abort_for_transaction(self, txn: TransactionManager, now_ms: float) -> None:
        """Fail the batches the manager wants failed (Java ``maybeAbortBatches``)."""
        abort = txn.batches_to_abort()
        if abort is None:
            return
        scope, err = abort
        self.abort_queued(err, now_ms)
        if scope is AbortScope.ALL:
            self.fail_in_flight(err, now_ms)

    def _on_init_pid(self, idem: IdempotenceState, body: memoryview | None, version: int,
                     now_ms: float) -> None:
        if body is None:
            decision = idem.handle_init_producer_id_disconnect(now_ms)
        else:
            decision = idem.handle_init_producer_id_response(
                _init_pid.decode_response(bytes(body), version), now_ms)
        if decision.action == "abort_batches":
            assert decision.error is not None
            self.abort_queued(decision.error, now_ms)
        elif decision.action == "fatal":
            assert decision.error is not None
            self.fatal = decision.error
            self.abort_queued(decision.error, now_ms)

    def _admit(self, batch: ProducerBatch) -> bool:
        idem = self.idempotence
        assert idem is not None  # drain admits through here only with idempotence
        txn = self.transactions
        if txn is not None and not txn.is_send_allowed(batch.tp):
            return False
        if batch.attempts == 0 and batch.base_sequence < 0:
            if not idem.can_send(batch.tp):
                return False
            idem.assign(batch.tp, batch.record_count, batch)
            batch.is_transactional = self.transactional_id is not None
            if batch.builder is not None:
                batch.builder.set_producer_state(batch.producer_id, batch.producer_epoch,
                                                 batch.base_sequence, batch.is_transactional)
                batch.stamp = (batch.producer_id, batch.producer_epoch, batch.base_sequence)
            return True
        if not idem.can_resend(batch):
            return False
        idem.resend(batch)
        return True

    def _send_produce(self, node: int, batches: list[ProducerBatch], now_ms: float) -> None:
        version = self.network.api_version(node, _produce.API_KEY)
        if version is not None and self.transactions is not None:
            lo, hi = self.transactions.produce_version_range()
            version = min(version, hi)
            if version < lo:
                version = None
        if version is None:
            # As Java's NetworkClient does, an answer UNSUPPORTED_VERSION without sending:
            # the batches were drained (and stamped), so the sequences hear of it too.
            for b in batches:
                self._retry_or_fail(b, _errors.UnsupportedVersionError(
                    f"broker {node} does not support a Produce version purekafka speaks "
                    "(UNSUPPORTED_VERSION)"),
                    False, now_ms, ErrorCode.UNSUPPORTED_VERSION)
            return
        by_topic: dict[str, list[tuple[int, bytes]]] = {}
        ctx = _ProduceContext({}, {})
        idem = self.idempotence is not None
        for b in batches:
            buf = b.buffer
            assert buf is not None
            if idem:
                stamp = (b.producer_id, b.producer_epoch, b.base_sequence)
                if b.stamp != stamp:  # restamped after an epoch bump, or first stamp
                    buf = b.buffer = patch_producer_state(buf, b.producer_id, b.producer_epoch,
                                                          b.base_sequence, b.is_transactional)
                    b.stamp = stamp
            ctx.batches[b.tp] = b
            parts = by_topic.get(b.tp[0])
            if parts is None:
                parts = by_topic[b.tp[0]] = []
            parts.append((b.tp[1], buf))
        topic_data: list[tuple[Any, list[tuple[int, bytes]]]] = []
        if version >= 13:
            for topic, parts in by_topic.items():
                tid = self.cluster.topic_id(topic)
                ctx.by_id[tid] = topic
                topic_data.append((tid, parts))
        else:
            topic_data = list(by_topic.items())
        body = _produce.build_request(version, self.transactional_id, self.acks,
                                      self.request_timeout_ms, topic_data)
        # acks=0 batches are on the wire too until on_sent: a write that never
        # finishes must still end in a delivery timeout, not a wait forever.
        limit = self.delivery_timeout_ms
        in_flight = self._in_flight
        for b in batches:
            in_flight[id(b)] = b
            if b.created_ms + limit < self._in_flight_expiry:
                self._in_flight_expiry = b.created_ms + limit
        if self.metrics is not None:
            self.metrics.on_produce_request(batches, now_ms)
        self.network.send(node, _produce.API_KEY, version, body, now_ms, self.acks != 0, ctx)

    # -- feedback from the I/O layer ----------------------------------------------
    def on_response(self, node: int, request: InFlight, body: memoryview, now_ms: float) -> None:
        """A response arrived for ``request`` (sent by this sender)."""
        ctx = request.context
        metrics = self.metrics
        if metrics is not None:
            metrics.on_response(now_ms - request.sent_ms, now_ms)
        if isinstance(ctx, _ProduceContext):
            produce_resp = _produce.decode_response(body, request.api_version)
            if metrics is not None:
                metrics.on_throttle(produce_resp.throttle_time_ms, now_ms)
            self._handle_produce(ctx, produce_resp, now_ms)
        elif ctx is _METADATA_CONTEXT:
            try:
                metadata_resp = _metadata.decode_response(body, request.api_version)
            except _errors.KafkaError:
                self.cluster.update_failed(now_ms)
                raise
            self.cluster.update(metadata_resp, now_ms)
            self._fail_topic_errors(now_ms)
        elif isinstance(ctx, TxnContext):
            assert self._txn_requests is not None
            self._txn_requests.on_response(ctx, request, body, now_ms)
        elif ctx is _INIT_PID_CONTEXT:
            assert self.idempotence is not None
            self._on_init_pid(self.idempotence, body, request.api_version, now_ms)
        else:
            raise _errors.LocalProtocolError(f"a response to a request the sender did not send: {ctx!r}")

    def on_sent(self, node: int, request: InFlight, now_ms: float) -> None:
        """``request``, which gets no response, has been written in full.

        Only acks=0 Produce requests go without a response; the socket taking the
        bytes is all the acknowledgement there is.
        """
        ctx = request.context
        if isinstance(ctx, _ProduceContext):
            for batch in ctx.batches.values():
                if batch.final_state is None:
                    self._complete(batch, -1, -1, -1, now_ms)

    def on_disconnect(self, node: int, requests: list[InFlight], now_ms: float) -> None:
        """A connection went away taking ``requests`` with it."""
        for req in requests:
            ctx = req.context
            if isinstance(ctx, _ProduceContext):
                err = _errors.KafkaConnectionError(f"connection to node {node} lost")
                for batch in ctx.batches.values():
                    if batch.final_state is None:
                        self._retry_or_fail(batch, err, True, now_ms)
                    else:
                        self._settle_late(batch, ErrorCode.NETWORK_EXCEPTION, -1)
            elif ctx is _METADATA_CONTEXT:
                self.cluster.update_failed(now_ms)
            elif isinstance(ctx, TxnContext):
                assert self._txn_requests is not None
                self._txn_requests.on_disconnect(ctx, req, now_ms)
            elif ctx is _INIT_PID_CONTEXT:
                assert self.idempotence is not None
                self._on_init_pid(self.idempotence, None, req.api_version, now_ms)
        # Any lost or refused connection may mean a leader moved (Java's
        # handleServerDisconnect): look again, paced by the metadata backoff.
        self.cluster.request_update()

    # -- produce responses -----------------------------------------------------------
    def _handle_produce(self, ctx: _ProduceContext, resp: _produce.ProduceResponse, now_ms: float) -> None:
        seen: set[tuple[str, int]] = set()
        for topic_resp in resp.responses:
            name = topic_resp.name or ctx.by_id.get(topic_resp.topic_id, "")
            for p in topic_resp.partition_responses:
                tp = (name, p.index)
                batch = ctx.batches.get(tp)
                if batch is None or tp in seen:
                    continue
                seen.add(tp)
                if p.error_code in _LEADER_MOVED:
                    self._follow_leader(tp, p.current_leader, resp.node_endpoints)
                self._handle_partition(batch, p, now_ms)
        for tp, batch in ctx.batches.items():
            if tp not in seen:
                self._retry_or_fail(batch, _errors.KafkaError(
                    f"Produce response did not mention {tp[0]}-{tp[1]}"), True, now_ms)

    def _follow_leader(self, tp: tuple[str, int], leader: _produce.LeaderIdAndEpoch,
                       endpoints: list[_produce.NodeEndpoint]) -> None:
        """KIP-951 (Produce v10+): the answer names the partition's new leader; move it now.

        Metadata is still asked for (the error's invalid_metadata flag), but the retry
        need not wait for it.
        """
        if leader.leader_id < 0 or leader.leader_epoch < 0:
            return
        endpoint = None
        for n in endpoints:
            if n.node_id == leader.leader_id:
                endpoint = Broker(n.node_id, n.host, n.port, n.rack)
        self.cluster.update_leader(tp, leader.leader_id, leader.leader_epoch, endpoint)

    def _handle_partition(self, batch: ProducerBatch, p: _produce.PartitionProduceResponse,
                          now_ms: float) -> None:
        code = p.error_code
        if batch.final_state is not None:
            # Failed meanwhile (delivery timeout, transaction abort): only the
            # sequence bookkeeping still needs to hear that the request is over.
            self._settle_late(batch, code, p.base_offset)
            return
        if code == ErrorCode.NONE:
            idem = self.idempotence
            if idem is not None and batch.base_sequence >= 0 and not idem.on_acked(batch, p.base_offset):
                return  # already finished (expired meanwhile): never complete twice
            self._complete(batch, p.base_offset, p.log_append_time_ms, p.log_start_offset, now_ms)
            return
        if code == ErrorCode.MESSAGE_TOO_LARGE and batch.record_count > 1:
            # The broker's limit (max.message.bytes) is below our batch: split and resend.
            self._in_flight.pop(id(batch), None)
            parts = self.acc.split(batch, now_ms)
            if self.idempotence is not None and batch.base_sequence >= 0:
                self.idempotence.on_split(batch, parts)
            if self.metrics is not None:
                self.metrics.on_retry(batch.tp[0], batch.record_count, now_ms)
            return
        err_cls = _errors.for_code(code)
        msg = p.error_message
        exc = err_cls(msg) if msg else err_cls()
        if err_cls.invalid_metadata:
            self.cluster.request_update()
        self._retry_or_fail(batch, exc, err_cls.retriable, now_ms, code, p.log_start_offset)

    def _can_retry(self, batch: ProducerBatch, now_ms: float) -> bool:
        return (batch.attempts < self.retries
                and now_ms - batch.created_ms < self.delivery_timeout_ms)

    def _retry_or_fail(self, batch: ProducerBatch, exc: BaseException, retriable: bool,
                       now_ms: float, code: int = -1, log_start_offset: int = -1) -> None:
        self._in_flight.pop(id(batch), None)  # off the wire, whatever happens next
        can_retry = retriable and self._can_retry(batch, now_ms)
        if retriable and not can_retry and now_ms - batch.created_ms >= self.delivery_timeout_ms:
            # Out of time rather than out of luck: report it as Java does.
            exc = _errors.KafkaTimeoutError(
                f"Expiring {batch.record_count} record(s) for {batch.tp[0]}-{batch.tp[1]}: "
                f"{now_ms - batch.created_ms:.0f} ms has passed since batch creation "
                f"(last error: {exc}{f' ({_errors.error_name(code)})' if code >= 0 else ''})")
        idem = self.idempotence
        if idem is not None and batch.base_sequence >= 0:
            # The sequence rules decide which errors are worth a retry (an
            # OUT_OF_ORDER_SEQUENCE_NUMBER behind a batch being retried is, though
            # not "retriable" by its code); the sender only lends its budget.
            d = idem.on_error(batch, code if code >= 0 else ErrorCode.NETWORK_EXCEPTION,
                              can_retry=self._can_retry(batch, now_ms),
                              log_start_offset=log_start_offset,
                              message=str(exc.args[0]) if exc.args else "")
            if d.action == "ignore":
                return
            if d.action == "succeed":
                self._complete(batch, -1, -1, -1, now_ms)
                return
            if d.action == "fail":
                if isinstance(exc, _errors.KafkaTimeoutError) or d.error is None \
                        or type(d.error) is type(exc):
                    # The expiry says more than the last code; the same error class
                    # is better told with the broker's own message, once.
                    self._report_failed(batch, exc, now_ms)
                else:
                    self._report_failed(batch, d.error, now_ms)
                return
            if self.metrics is not None:
                self.metrics.on_retry(batch.tp[0], batch.record_count, now_ms)
            self.acc.reenqueue(batch, now_ms, idem.order_key)
            return
        if code == ErrorCode.DUPLICATE_SEQUENCE_NUMBER:
            self._complete(batch, -1, -1, -1, now_ms)
        elif can_retry:
            if self.metrics is not None:
                self.metrics.on_retry(batch.tp[0], batch.record_count, now_ms)
            self.acc.reenqueue(batch, now_ms)
        else:
            self._report_failed(batch, exc, now_ms)

    def _fail_topic_errors(self, now_ms: float) -> None:
        for topic, code in self.cluster.topic_errors.items():
            err_cls = _errors.for_code(code)
            for batch in self.acc.abort_topic(topic):
                self.fail_batch(batch, err_cls(f"topic {topic!r}"), now_ms)

    def _settle_late(self, batch: ProducerBatch, code: int, base_offset: int) -> None:
        idem = self.idempotence
        if idem is not None and batch.base_sequence >= 0 and batch.final_state is FinalState.FAILED:
            if code == ErrorCode.NONE:
                idem.on_acked(batch, base_offset)
            else:
                idem.on_error(batch, code, can_retry=False)

    def _expire_in_flight(self, now_ms: float) -> None:
        """Java KIP-91: a batch on the wire past delivery_timeout_ms fails now, not when
        its request times out; the request stays outstanding (its answer is ignored)."""
        limit = self.delivery_timeout_ms
        soonest = float("inf")
        for key, batch in list(self._in_flight.items()):
            if batch.final_state is not None or not batch.in_flight:
                del self._in_flight[key]
            elif now_ms - batch.created_ms >= limit:
                del self._in_flight[key]
                self.fail_batch(batch, _errors.KafkaTimeoutError(
                    f"Expiring {batch.record_count} record(s) for {batch.tp[0]}-{batch.tp[1]}: "
                    f"{now_ms - batch.created_ms:.0f} ms has passed since batch creation "
                    "(its request is still in flight)"), now_ms)
            else:
                soonest = min(soonest, batch.created_ms + limit)
        self._in_flight_expiry = soonest

    # -- giving up on batches ----------------------------------------------------------
    def fail_batch(self, batch: ProducerBatch, exc: BaseException, now_ms: float) -> None:
        """Give up on ``batch`` without an answer from the broker, and report ``exc``.

        With idempotence, the sequence bookkeeping first hears that the batch ended
        with its outcome unknown (``IdempotenceState.on_expired``); a late answer to a
        request still carrying it is then only used to settle the sequences.
        """
        idem = self.idempotence
        if idem is not None and batch.base_sequence >= 0:
            idem.on_expired(batch)
        self._report_failed(batch, exc, now_ms)

    def abort_queued(self, exc: BaseException, now_ms: float) -> None:
        """Fail every batch waiting in the accumulator (fatal error, transaction abort)."""
        for batch in self.acc.abort_all():
            self.fail_batch(batch, exc, now_ms)

    def fail_in_flight(self, exc: BaseException, now_ms: float) -> None:
        """Fail batches already sent; their late answers are then ignored."""
        for batch in list(self.acc.incomplete):
            if batch.final_state is None and batch.in_flight:
                self.fail_batch(batch, exc, now_ms)

    def fail_all(self, exc: BaseException, now_ms: float) -> None:
        """Fail every unfinished batch, queued or on the wire (forced close, crash)."""
        self.abort_queued(exc, now_ms)
        for batch in list(self.acc.incomplete):
            if batch.final_state is None:
                self.fail_batch(batch, exc, now_ms)

    # -- events ----------------------------------------------------------------------
    def _complete(self, batch: ProducerBatch, base_offset: int, ts: int, lso: int, now_ms: float) -> None:
        self._in_flight.pop(id(batch), None)
        batch.final_state = FinalState.SUCCEEDED
        batch.in_flight = False
        self.acc.deallocate(batch)
        self.events.append(BatchResult(batch, base_offset, ts, lso, None))

    def _report_failed(self, batch: ProducerBatch, exc: BaseException, now_ms: float) -> None:
        """The batch failed with ``exc`` (its sequences, if any, already settled)."""
        self._in_flight.pop(id(batch), None)
        batch.final_state = FinalState.FAILED
        batch.in_flight = False
        if self.metrics is not None:
            self.metrics.on_error(batch.tp[0], batch.record_count, now_ms)
        self.acc.deallocate(batch)
        self.events.append(BatchResult(batch, -1, -1, -1, exc))

    def pop_events(self) -> list[BatchResult]:
        """The outcomes since the last call, oldest first."""
        ev = self.events
        self.events = []
        return ev

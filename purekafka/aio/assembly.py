"""The core of one ``AIOKafkaProducer``, put together as ``KafkaProducer`` does it, but
driven by ``io.aio_driver`` on the running loop instead of the I/O thread."""
from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass
from typing import Any, Callable

from purekafka.aio.structs import deliver
from purekafka.config import ProducerConfig
from purekafka.core.accumulator import Accumulator
from purekafka.core.cluster import Cluster
from purekafka.core.idempotence import IdempotenceState
from purekafka.core.metrics import MetricConfig, ProducerMetrics
from purekafka.core.sender import Sender
from purekafka.core.transactions import TransactionManager
from purekafka.io.aio_driver import AioDriver, LoopPoller
from purekafka.io.network import SocketNetwork, canonical_bootstrap
from purekafka.partitioner import BuiltInPartitioner, NewBatchHook, PartitionFn, make_partitioner, new_batch_hook
from purekafka.record import CompressionType, RecordBatchBuilder
from purekafka.serializers import SerializeFn

__all__ = ["Core", "build_core", "builder_factory"]

_COMPRESSION = {None: CompressionType.NONE, "gzip": CompressionType.GZIP,
                "snappy": CompressionType.SNAPPY, "lz4": CompressionType.LZ4,
                "zstd": CompressionType.ZSTD}


@dataclass(slots=True)
class Core:
    """The sans-I/O state of one producer and the task that drives it."""

    cluster: Cluster
    acc: Accumulator
    network: SocketNetwork
    sender: Sender
    txn: TransactionManager | None
    driver: AioDriver
    partitioner: PartitionFn | None
    on_new_batch: NewBatchHook | None  # a kafka-python 3 partitioner's KIP-480 hook
    builtin: BuiltInPartitioner
    ignore_keys: bool
    key_ser: SerializeFn | None
    value_ser: SerializeFn | None
    metrics: ProducerMetrics | None


def build_core(cfg: ProducerConfig, client_id: str, loop: asyncio.AbstractEventLoop,
               security: dict[str, Any]) -> Core:
    """Every core object for ``cfg``, and a driver on ``loop`` (not yet started);
    ``security``: ``SocketNetwork``'s TLS and SASL options (``producer.security``)."""
    bootstrap = cfg.bootstrap_addresses()
    if cfg.client_dns_lookup == "resolve_canonical_bootstrap_servers_only":
        bootstrap = canonical_bootstrap(bootstrap)
    cluster = Cluster(bootstrap, cfg.metadata_max_age_ms, cfg.retry_backoff_ms,
                      cfg.metadata_max_idle_ms)
    batch_size = cfg.batch_size
    new_builder = builder_factory(cfg)
    rng = random.Random()
    acc = Accumulator(
        new_builder, batch_size=batch_size, linger_ms=cfg.linger_ms,
        buffer_memory=cfg.buffer_memory, delivery_timeout_ms=cfg.delivery_timeout_ms,
        retry_backoff_ms=cfg.retry_backoff_ms, retry_backoff_max_ms=cfg.retry_backoff_max_ms,
        random=rng.random)
    poller = LoopPoller(loop)
    network = SocketNetwork(
        bootstrap, cluster, client_id=client_id,
        request_timeout_ms=cfg.request_timeout_ms,
        max_in_flight=cfg.max_in_flight_requests_per_connection,
        reconnect_backoff_ms=cfg.reconnect_backoff_ms,
        reconnect_backoff_max_ms=cfg.reconnect_backoff_max_ms,
        connections_max_idle_ms=cfg.connections_max_idle_ms,
        send_buffer_bytes=cfg.send_buffer_bytes, receive_buffer_bytes=cfg.receive_buffer_bytes,
        socket_options=list(cfg.socket_options),
        receive_message_max_bytes=cfg.receive_message_max_bytes, poller=poller, **security)
    idem = None
    if cfg.enable_idempotence:
        idem = IdempotenceState(cfg.transactional_id is not None,
                                retry_backoff_ms=cfg.retry_backoff_ms,
                                max_in_flight=cfg.max_in_flight_requests_per_connection)
    sender = Sender(
        cluster, acc, network, acks=cfg.acks, retries=cfg.retries,
        request_timeout_ms=cfg.request_timeout_ms, delivery_timeout_ms=cfg.delivery_timeout_ms,
        max_request_size=cfg.max_request_size,
        allow_auto_create_topics=cfg.allow_auto_create_topics, idempotence=idem,
        transactional_id=cfg.transactional_id)
    txn = None
    if cfg.transactional_id is not None:
        assert idem is not None  # the settings refuse transactions without idempotence
        txn = TransactionManager(cfg.transactional_id, idem,
                                 transaction_timeout_ms=cfg.transaction_timeout_ms,
                                 retry_backoff_ms=cfg.retry_backoff_ms)
        sender.set_transaction_manager(txn)
    builtin = BuiltInPartitioner(
        batch_size, cfg.partitioner_ignore_keys, rng,
        acc.queue_sizes if cfg.partitioner_adaptive_partitioning_enable else None)
    driver = AioDriver(sender, network, poller, acc, deliver,
                       name=f"purekafka-aio-{client_id}")
    metrics = _metrics(cfg, client_id, acc, cluster, network) if cfg.metrics_enabled else None
    sender.metrics = network.metrics = metrics
    partitioner = make_partitioner(cfg.partitioner, cluster)
    return Core(cluster, acc, network, sender, txn, driver, partitioner,
                new_batch_hook(partitioner), builtin,
                cfg.partitioner_ignore_keys, cfg.key_serializer, cfg.value_serializer, metrics)


def builder_factory(cfg: ProducerConfig) -> Callable[[], RecordBatchBuilder]:
    """Empty record batches as ``cfg`` makes them (codec, level, ``batch_size``)."""
    codec = _COMPRESSION[cfg.compression_type]
    level = cfg.effective_compression_level()
    batch_size = cfg.batch_size

    def new_builder() -> RecordBatchBuilder:
        return RecordBatchBuilder(codec, level, batch_size)

    return new_builder


def clock_ms() -> float:
    return time.monotonic() * 1000.0


def _metrics(cfg: ProducerConfig, client_id: str, acc: Accumulator, cluster: Cluster,
             network: SocketNetwork) -> ProducerMetrics:
    """Java's producer metrics, as ``KafkaProducer.metrics()`` has them (no reporters:
    aiokafka has none, and the registry is read with ``metrics()``)."""
    now = clock_ms()
    m = ProducerMetrics(MetricConfig(cfg.metrics_num_samples, cfg.metrics_sample_window_ms),
                        now, clock_ms, [], {"client-id": client_id})
    m.add_gauges(acc, cluster, network.in_flight_requests,
                 lambda: sum(1 for n in list(network.nodes) if network.is_connected(n)),
                 lambda: 0.0, now)
    return m

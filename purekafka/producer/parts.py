"""The sans-I/O core of one producer and its network, built from the settings: what
``producer.kafka.KafkaProducer`` and ``aio.assembly.build_core`` share. Each adds its
driver (the I/O thread; the asyncio task and its ``LoopPoller``) and its metrics."""
from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any, Callable

from purekafka.config import ProducerConfig
from purekafka.core.accumulator import Accumulator
from purekafka.core.cluster import Cluster
from purekafka.core.idempotence import IdempotenceState
from purekafka.core.sender import Sender
from purekafka.core.transactions import TransactionManager
from purekafka.io.network import SocketNetwork, canonical_bootstrap
from purekafka.io.poller import Poller
from purekafka.partitioner import BuiltInPartitioner, PartitionFn, make_partitioner
from purekafka.record import CompressionType, RecordBatchBuilder

__all__ = ["CoreParts", "bootstrap_of", "build_parts", "builder_factory", "codec_of"]

_COMPRESSION = {None: CompressionType.NONE, "gzip": CompressionType.GZIP,
                "snappy": CompressionType.SNAPPY, "lz4": CompressionType.LZ4,
                "zstd": CompressionType.ZSTD}


@dataclass(slots=True)
class CoreParts:
    """One producer's core objects (see the module doc)."""

    cluster: Cluster
    acc: Accumulator
    network: SocketNetwork
    sender: Sender
    txn: TransactionManager | None
    partitioner: PartitionFn | None  # the user's partitioner, if any
    builtin: BuiltInPartitioner


def bootstrap_of(cfg: ProducerConfig) -> list[tuple[str, int]]:
    """The bootstrap addresses, resolved to canonical names if ``client_dns_lookup`` says so."""
    bootstrap = cfg.bootstrap_addresses()
    if cfg.client_dns_lookup == "resolve_canonical_bootstrap_servers_only":
        bootstrap = canonical_bootstrap(bootstrap)
    return bootstrap


def codec_of(cfg: ProducerConfig) -> tuple[CompressionType, int | None]:
    """The batches' codec and compression level (None: the codec's default)."""
    return _COMPRESSION[cfg.compression_type], cfg.effective_compression_level()


def builder_factory(cfg: ProducerConfig) -> Callable[[], RecordBatchBuilder]:
    """Empty record batches as ``cfg`` makes them (codec, level, ``batch_size``)."""
    codec, level = codec_of(cfg)
    batch_size = cfg.batch_size

    def new_builder() -> RecordBatchBuilder:
        return RecordBatchBuilder(codec, level, batch_size)

    return new_builder


def build_parts(cfg: ProducerConfig, client_id: str, bootstrap: list[tuple[str, int]],
                security: dict[str, Any], *, batch_overhead: int = 0,
                max_versions: dict[int, int] | None = None,
                poller: Poller | None = None) -> CoreParts:
    """Every core object for ``cfg``. ``security``: ``SocketNetwork``'s TLS and SASL options
    (``producer.security``); ``batch_overhead``: the accumulator's per-batch reservation;
    ``max_versions``: API version caps; ``poller``: the network's (default: a selector)."""
    cluster = Cluster(bootstrap, cfg.metadata_max_age_ms, cfg.retry_backoff_ms,
                      cfg.metadata_max_idle_ms)
    batch_size = cfg.batch_size
    rng = random.Random()
    acc = Accumulator(
        builder_factory(cfg), batch_size=batch_size, linger_ms=cfg.linger_ms,
        buffer_memory=cfg.buffer_memory, delivery_timeout_ms=cfg.delivery_timeout_ms,
        retry_backoff_ms=cfg.retry_backoff_ms, retry_backoff_max_ms=cfg.retry_backoff_max_ms,
        random=rng.random, batch_overhead=batch_overhead)
    network = SocketNetwork(
        bootstrap, cluster, client_id=client_id,
        request_timeout_ms=cfg.request_timeout_ms,
        max_in_flight=cfg.max_in_flight_requests_per_connection,
        reconnect_backoff_ms=cfg.reconnect_backoff_ms,
        reconnect_backoff_max_ms=cfg.reconnect_backoff_max_ms,
        connections_max_idle_ms=cfg.connections_max_idle_ms,
        send_buffer_bytes=cfg.send_buffer_bytes, receive_buffer_bytes=cfg.receive_buffer_bytes,
        socket_options=list(cfg.socket_options), max_versions=max_versions,
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
    return CoreParts(cluster, acc, network, sender, txn,
                     make_partitioner(cfg.partitioner, cluster), builtin)

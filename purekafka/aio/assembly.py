"""The core of one ``AIOKafkaProducer``, put together as ``KafkaProducer`` does it
(``producer.parts``), but driven by ``io.aio_driver`` on the running loop instead of the
I/O thread."""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from purekafka.aio.structs import deliver
from purekafka.config import ProducerConfig
from purekafka.core.accumulator import Accumulator
from purekafka.core.cluster import Cluster
from purekafka.core.metrics import MetricConfig, ProducerMetrics
from purekafka.core.sender import Sender
from purekafka.core.transactions import TransactionManager
from purekafka.io.aio_driver import AioDriver, LoopPoller
from purekafka.io.network import SocketNetwork
from purekafka.partitioner import BuiltInPartitioner, NewBatchHook, PartitionFn, new_batch_hook
from purekafka.producer.parts import bootstrap_of, build_parts
from purekafka.serializers import SerializeFn

__all__ = ["Core", "build_core"]


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
    poller = LoopPoller(loop)
    p = build_parts(cfg, client_id, bootstrap_of(cfg), security, poller=poller)
    driver = AioDriver(p.sender, p.network, poller, p.acc, deliver,
                       name=f"purekafka-aio-{client_id}")
    metrics = _metrics(cfg, client_id, p.acc, p.cluster, p.network) if cfg.metrics_enabled else None
    p.sender.metrics = p.network.metrics = metrics
    return Core(p.cluster, p.acc, p.network, p.sender, p.txn, driver, p.partitioner,
                new_batch_hook(p.partitioner), p.builtin,
                cfg.partitioner_ignore_keys, cfg.key_serializer, cfg.value_serializer, metrics)


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

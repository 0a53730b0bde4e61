"""``AIOKafkaProducer``: aiokafka's producer API on purekafka's sans-I/O core.

The same core as the threaded ``KafkaProducer`` (accumulator, sender, idempotence
with KIP-360 recovery, transactions, ``delivery_timeout_ms``, up to five requests in
flight), driven by a task on the running loop (``io.aio_driver``), no thread.

``send()`` is a coroutine that returns an ``asyncio.Future`` of ``RecordMetadata``,
as aiokafka's. It suspends only to wait for the topic's metadata or for room in
``buffer_memory`` (awaited, never blocking the loop), and, once per batch handed to
the driver, to let the driver run. Cancellation: a ``send()`` cancelled while it
waits has queued nothing; once it returns, its record is queued and is delivered or
its future fails, whatever happens to the awaiting task (cancelling the returned
future only stops you hearing about it). Sequence numbers are given to batches by the
sender, never by ``send()``, so no cancellation can leave a gap in them.
"""
from __future__ import annotations

import asyncio
import time
import warnings
from dataclasses import replace
from types import TracebackType
from typing import Any

from purekafka import errors as Errors
from purekafka.aio import errors as AioErrors
from purekafka.aio.assembly import Core, build_core, clock_ms
from purekafka.aio.batch import BATCH_OVERHEAD, RECORD_OVERHEAD, BatchBuilder
from purekafka.aio.oauth import AsyncTokenBridge, is_async_provider
from purekafka.aio.settings import constructor_signature, producer_config
from purekafka.aio.structs import BatchFuture, RecordMetadata, SendFuture
from purekafka.aio.transactions import TransactionContext, TransactionsMixin
from purekafka.core.txn_states import State
from purekafka.partitioner import default_partition
from purekafka.producer import arguments as _args
from purekafka.producer.waits import MetadataWait, TopicSendInfo
from purekafka.producer.parts import builder_factory
from purekafka.producer.security import security_options

__all__ = ["AIOKafkaProducer"]


_client_ids = iter(range(1, 1 << 62))
_NO_HEADERS: list[tuple[str, bytes | None]] = []  # shared, never mutated: no serializer sees it


class AIOKafkaProducer(TransactionsMixin):
    """An asyncio Kafka producer: aiokafka's ``AIOKafkaProducer`` names and defaults.

    Settings are aiokafka's keyword names (``purekafka.aio.settings``); kafka-python's
    names are accepted too (``buffer_memory``, ``delivery_timeout_ms``, ...). Create it
    inside a coroutine (or pass nothing loop-related), then ``await start()``.
    """

    def __init__(self, **configs: Any) -> None:
        self.config = producer_config(configs)
        cfg = self.config
        bootstrap = cfg.bootstrap_addresses()
        # aiokafka's token() is a coroutine: the core gets a bridge that holds what it returned.
        provider = cfg.sasl_oauth_token_provider
        self._oauth = (AsyncTokenBridge(provider) if cfg.sasl_mechanism == "OAUTHBEARER"
                       and is_async_provider(provider) else None)
        sasl_cfg = cfg if self._oauth is None else replace(
            cfg, sasl_oauth_token_provider=self._oauth)
        # TLS context and SASL settings checked now, as KafkaProducer does (a missing
        # setting is a KafkaConfigurationError here, not on the first connection).
        self._security = security_options(sasl_cfg, bootstrap[0][0] if bootstrap else "localhost")
        self.client_id = cfg.client_id or f"aiokafka-producer-{next(_client_ids)}"
        self._raw_key_ser = configs.get("key_serializer")
        self._raw_value_ser = configs.get("value_serializer")
        self._servers = configs.get("bootstrap_servers", "localhost")
        self._core: Core | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._topics: dict[str, TopicSendInfo] = {}
        self._closed = False
        self._started = False
        self._yield_next = False
        self._max_block_s = cfg.max_block_ms / 1000.0
        self._max_record_size = min(cfg.max_request_size, cfg.buffer_memory)
        self._linger_ms = cfg.linger_ms
        self._serializes = cfg.key_serializer is not None or cfg.value_serializer is not None
        self._live: Core | None = None  # the core while started and not stopped

    def __del__(self) -> None:
        # Dropped without stop(): as aiokafka, warn; unlike it, still deliver what is queued
        # (the driver task finishes it and ends, instead of idling on the loop forever).
        # getattr: a constructor that refused its settings left no attributes behind.
        core = getattr(self, "_live", None)
        if core is None or getattr(self, "_closed", True):
            return
        try:
            warnings.warn(f"Unclosed AIOKafkaProducer {self!r}", ResourceWarning, source=self)
            loop = self._loop
            if loop is not None and not loop.is_closed():
                loop.call_soon_threadsafe(core.driver.begin_close)
                if self._oauth is not None:
                    loop.call_soon_threadsafe(self._oauth.cancel)
        except Exception:  # noqa: BLE001 - the interpreter may be tearing down
            pass

    def __repr__(self) -> str:
        state = "closed" if self._closed else "started" if self._started else "new"
        return f"<AIOKafkaProducer client_id={self.client_id!r} {state}>"

    # -- life cycle ----------------------------------------------------------------------
    async def start(self) -> None:
        """Connect, fetch the cluster's metadata, and (with ``transactional_id``) the
        producer id; raises ``KafkaConnectionError`` if no broker answers in time."""
        if self._started:
            return
        if self._closed:
            raise AioErrors.ProducerClosed("the producer was stopped; create a new one")
        if self._oauth is not None:
            # Before any connection asks for it; a provider that raised fails the first one.
            await self._oauth.start()
        self._loop = asyncio.get_running_loop()
        core = self._core = build_core(self.config, self.client_id, self._loop, self._security)
        self._started = True
        self._live = core
        core.driver.start()
        deadline = time.monotonic() + self.config.bootstrap_timeout_ms / 1000.0
        cluster = core.cluster
        while cluster.last_success_ms is None or not cluster.brokers:
            remaining = deadline - time.monotonic()
            auth_error = core.network.auth_error
            if remaining <= 0 or not core.driver.running or auth_error is not None:
                self._live = None
                await self._shutdown(0.0)
                if self._oauth is not None:
                    await self._oauth.stop()
                # Wrong credentials or an untrusted broker fail now, not after the timeout.
                raise auth_error or Errors.KafkaConnectionError(f"Unable to bootstrap from {self._servers}")
            core.driver.wakeup()
            await core.driver.changed(min(remaining, 0.1))
        if core.txn is not None:
            await self._init_transactions()

    async def stop(self, timeout: float | None = None) -> None:
        """Deliver what is queued and close the connections. ``timeout`` (seconds, a
        purekafka extension; None waits as long as it takes): records still pending
        when it runs out fail with ``ProducerClosedForcefullyError``."""
        if self._closed:
            return
        self._closed = True
        self._live = None
        if self._core is None:
            return
        try:
            await self._shutdown(timeout)
        except asyncio.CancelledError:
            if self._oauth is not None:
                self._oauth.cancel()  # its task ends at the loop's next turn
            raise
        if self._oauth is not None:
            await self._oauth.stop()
        if self._core.metrics is not None:
            self._core.metrics.close()

    async def _shutdown(self, timeout: float | None) -> None:
        core = self._core
        assert core is not None
        driver = core.driver
        task = driver.task
        if task is None or task.done():
            return
        driver.begin_close()
        try:
            if timeout is None or timeout > 0:
                try:
                    await asyncio.wait_for(asyncio.shield(task), timeout)
                    return
                except asyncio.TimeoutError:
                    pass
            driver.force_close(Errors.ProducerClosedForcefullyError(
                f"Producer is closed forcefully: stop(timeout={timeout}) ran out with "
                "records not delivered."))
            await asyncio.shield(task)
        except asyncio.CancelledError:
            # The task awaiting stop() was cancelled: still stop, without waiting.
            driver.force_close(Errors.ProducerClosedForcefullyError(
                "Producer is closed forcefully: stop() was cancelled"))
            raise

    async def __aenter__(self) -> AIOKafkaProducer:
        await self.start()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.stop()

    def _running_core(self) -> Core:
        core = self._core
        if core is None or not self._started:
            raise AioErrors.ProducerClosed("the producer is not started: await start() first")
        if self._closed:
            raise AioErrors.ProducerClosed("the producer is stopped")
        if not core.driver.running:
            raise Errors.KafkaError(f"producer I/O task is not running ({core.driver.crashed!r})")
        return core

    # -- sending -------------------------------------------------------------------------
    async def send(self, topic: str, value: Any = None, key: Any = None,
                   partition: int | None = None, timestamp_ms: int | None = None,
                   headers: list[tuple[str, bytes | None]] | None = None) -> asyncio.Future[RecordMetadata]:
        """Queue one record; returns the future of its ``RecordMetadata``.

        Waits (up to ``request_timeout_ms``, or ``max_block_ms`` if given) for the
        topic's metadata and for buffer memory, then raises ``KafkaTimeoutError``.
        """
        # The hot path stays in this frame: every call costs each record a frame.
        core = self._live
        if core is None or not core.driver.running:
            core = self._running_core()  # raises why not
        if self._yield_next:
            # The last append handed a batch to the driver: let it run before queuing
            # more (here, before anything is queued, so a cancellation loses nothing).
            self._yield_next = False
            await asyncio.sleep(0)
        if type(topic) is not str or not topic:
            if not isinstance(topic, str) or not topic:
                raise TypeError(f"topic must be a non-empty str, not {topic!r}")
        if value is None and key is None:
            raise ValueError("Need at least one: key or value")
        info = self._topics.get(topic)
        if info is None or info.version != core.cluster.version:
            info = await self._topic_info(core, topic)
        txn = core.txn
        if txn is not None and txn.state is State.READY:
            raise AioErrors.IllegalOperation("Can't send messages while not in transaction")
        if headers:
            headers = list(headers)
            _args.check_headers(headers)
        else:
            # Serializers may add headers to the list they get; without any, one shared
            # list, never mutated, saves an allocation per record.
            headers = [] if self._serializes else _NO_HEADERS
        key_bytes, value_bytes = key, value
        if core.key_ser is not None:
            key_bytes = core.key_ser(topic, headers, key)
        if core.value_ser is not None:
            value_bytes = core.value_ser(topic, headers, value)
        if key_bytes is not None and type(key_bytes) is not bytes:
            key_bytes = _args.as_bytes(key_bytes, "key")
        if value_bytes is not None and type(value_bytes) is not bytes:
            value_bytes = _args.as_bytes(value_bytes, "value")
        if timestamp_ms is None:
            timestamp_ms = int(time.time() * 1000)
        est = RECORD_OVERHEAD + (len(key_bytes) if key_bytes else 0) + (len(value_bytes) if value_bytes else 0)
        if headers:
            est += _args.header_sizes(headers)[1]
        if BATCH_OVERHEAD + est > self._max_record_size:
            raise Errors.MessageSizeTooLargeError(
                f"The message is {BATCH_OVERHEAD + est} bytes when serialized which is larger "
                "than the maximum request size you have configured with the max_request_size "
                "configuration")
        sticky = hook = None
        if partition is not None:
            if partition < 0 or partition >= len(info.partitions):
                raise ValueError(f"Unrecognized partition {partition} for topic {topic}")
        elif core.partitioner is not None:
            partition = core.partitioner(topic, key_bytes, info.partitions, info.available,
                                         key, value, value_bytes)
            hook = core.on_new_batch
        elif key_bytes is None or core.ignore_keys:
            sticky = info.sticky
            partition = sticky.current(info.partitions, info.available)
        else:
            partition = default_partition(key_bytes, len(info.partitions))
        assert self._loop is not None
        fut = SendFuture(loop=self._loop)
        fut.timestamp_ms = timestamp_ms
        tp = (topic, partition)
        acc = core.acc
        now_ms = time.monotonic() * 1000.0
        if acc.used_memory + est > acc.buffer_memory:
            await self._wait_for_memory(core, est)
            now_ms = time.monotonic() * 1000.0
        if txn is not None:
            txn.maybe_add_partition(tp)  # raises in a failed transaction (nothing queued)
        result = acc.append(tp, timestamp_ms, key_bytes, value_bytes, headers, fut, est, now_ms,
                            hook is not None)
        assert result is not None  # memory was checked and nothing ran since
        if result.abort_for_new_batch:
            assert hook is not None and core.partitioner is not None
            # KafkaProducer's custom-partitioner path (KIP-480): the hook, then partition again.
            hook(topic, info.partitions, info.available, partition)
            partition = core.partitioner(topic, key_bytes, info.partitions, info.available,
                                         key, value, value_bytes)
            tp = (topic, partition)
            if txn is not None:
                txn.maybe_add_partition(tp)
            result = acc.append(tp, timestamp_ms, key_bytes, value_bytes, headers, fut, est, now_ms)
            assert result is not None
        if sticky is not None:
            sticky.on_append(est, info.partitions, info.available, result)
        if result.new_batch:
            due = now_ms if result.previous_full else now_ms + self._linger_ms
            if due < core.driver.poll_deadline:
                core.driver.wakeup()
            if result.previous_full:
                self._yield_next = True
        return fut

    async def send_and_wait(self, topic: str, value: Any = None, key: Any = None,
                            partition: int | None = None, timestamp_ms: int | None = None,
                            headers: list[tuple[str, bytes | None]] | None = None) -> RecordMetadata:
        """Send one record and wait for its ``RecordMetadata``."""
        fut = await self.send(topic, value, key, partition, timestamp_ms, headers)
        return await fut

    def create_batch(self) -> BatchBuilder:
        """An empty ``BatchBuilder`` (aiokafka's): fill it, then ``send_batch`` it."""
        return BatchBuilder(builder_factory(self.config), self._raw_key_ser, self._raw_value_ser)

    async def send_batch(self, batch: BatchBuilder, topic: str, *, partition: int) -> asyncio.Future[RecordMetadata]:
        """Queue ``batch`` for ``partition``, behind what is queued there, as aiokafka does:
        closed, as one RecordBatch of exactly its records, in order, sent now; left open,
        ``send()`` records may join it while it lingers. Returns a future of the first
        record's ``RecordMetadata``, done once the batch's records are acknowledged."""
        core = self._running_core()
        info = self._topics.get(topic)
        if info is None or info.version != core.cluster.version:
            info = await self._topic_info(core, topic)
        if partition < 0 or partition >= len(info.partitions):
            raise ValueError(f"Unrecognized partition {partition} for topic {topic}")
        txn = core.txn
        if txn is not None and txn.state is State.READY:
            raise AioErrors.IllegalOperation("Can't send messages while not in transaction")
        if not batch.record_count():
            raise ValueError("the batch is empty")
        size = batch.size()
        if size > self._max_record_size:
            raise Errors.MessageSizeTooLargeError(
                f"The batch is {size} bytes, more than max_request_size or buffer_memory allow")
        if size > core.acc.available_memory:
            await self._wait_for_memory(core, size)
        tp = (topic, partition)
        if txn is not None:
            txn.maybe_add_partition(tp)
        # Past the memory wait, nothing awaits: the batch is queued whole or not at all.
        assert self._loop is not None
        fut: asyncio.Future[RecordMetadata] = self._loop.create_future()
        token = BatchFuture(fut, batch.record_count(), batch.first_timestamp)
        closed = batch.closed()
        core.acc.append_batch(tp, batch.take(), token, batch.max_record_size,
                              time.monotonic() * 1000.0, closed)
        core.driver.wakeup()
        return fut

    async def _wait_for_memory(self, core: Core, size: int) -> None:
        """Wait until ``size`` bytes fit in ``buffer_memory`` (the driver frees them)."""
        acc = core.acc
        deadline = time.monotonic() + self._max_block_s
        acc.memory_waiters += 1
        try:
            while acc.used_memory + size > acc.buffer_memory and not (
                    acc.used_memory == 0 and size > acc.buffer_memory):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise Errors.KafkaTimeoutError(
                        f"Failed to allocate memory within the configured max blocking time "
                        f"{self.config.max_block_ms} ms (buffer_memory={acc.buffer_memory})")
                if self._closed or not core.driver.running:
                    raise AioErrors.ProducerClosed("producer stopped while send() waited for memory")
                core.driver.wakeup()
                await core.driver.changed(remaining)
        finally:
            acc.memory_waiters -= 1

    async def _topic_info(self, core: Core, topic: str) -> TopicSendInfo:
        """Partitions of ``topic``, waiting up to ``max_block_ms`` for metadata."""
        wait = MetadataWait(core.cluster, topic, self._max_block_s, time.monotonic(), "task")
        if wait.begin():
            core.driver.wakeup()
        while (pause := wait.next_pause(time.monotonic(), core.network.auth_error,
                                        core.driver.running)) is not None:
            core.driver.wakeup()
            await core.driver.changed(pause)
        info = self._topics[topic] = wait.info(core.builtin)
        return info

    async def flush(self, timeout: float | None = None) -> None:
        """Send everything queued now and wait until it completes (``timeout`` in seconds,
        a purekafka extension)."""
        core = self._core
        if core is None or not self._started:
            return
        acc = core.acc
        deadline = None if timeout is None else time.monotonic() + timeout
        pending = list(acc.incomplete)
        acc.flushes_in_progress += 1
        core.driver.wakeup()
        try:
            while pending:
                batch = pending.pop()
                while batch.final_state is None:
                    if not core.driver.running:
                        return  # the driver failed whatever was left
                    remaining = None if deadline is None else deadline - time.monotonic()
                    if remaining is not None and remaining <= 0:
                        raise Errors.KafkaTimeoutError(f"Timeout after waiting for {timeout} secs.")
                    await core.driver.changed(remaining)
                if batch.split_into is not None:
                    pending.extend(batch.split_into)
        finally:
            acc.flushes_in_progress -= 1

    async def partitions_for(self, topic: str) -> set[int]:
        """The partition ids of ``topic`` (waits for its metadata)."""
        core = self._running_core()
        return set((await self._topic_info(core, topic)).partitions)

    def metrics(self, raw: bool = False) -> dict[Any, Any] | None:
        """Java's producer metrics, as ``KafkaProducer.metrics()`` (a purekafka extension;
        None before ``start()`` or with ``metrics_enabled=False``)."""
        m = None if self._core is None else self._core.metrics
        if m is None:
            return None
        return dict(m.metrics) if raw else m.grouped(clock_ms())

    def transaction(self) -> TransactionContext:
        """``async with producer.transaction():`` begins, then commits, or aborts on error."""
        return TransactionContext(self)


# help() and inspect.signature() show aiokafka's keywords, not just **configs.
AIOKafkaProducer.__init__.__signature__ = constructor_signature()  # type: ignore[attr-defined]

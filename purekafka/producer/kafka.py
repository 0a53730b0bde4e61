"""``KafkaProducer``: the facade users import, a drop-in for kafka-python's.

The facade owns the parts that touch the user's thread: serializing, choosing a partition,
waiting for metadata or memory (``max_block_ms``), and futures. The sans-I/O core
(``core.cluster``, ``core.accumulator``, ``core.sender``) holds the state; one background
thread (``io.thread``) drives it. ``send()`` takes the producer's lock once, to append to the
accumulator, whose ``RecordAppendResult`` tells the sticky partitioner what the append did
and whether the I/O thread needs waking. ``send_batch()`` is ``producer.batch``.

Callbacks and errbacks run on the background I/O thread, as in kafka-python: keep them
short, and never call ``flush()`` or ``get()`` from one (that would wait for the thread that
runs it). An exception raised by a callback is logged and does not stop the producer.

Idempotence (kafka-python 3's default ``enable_idempotence=True``) is built in: the producer
fetches a producer id with InitProducerId and stamps every batch with sequences
(``core.idempotence``); it never runs without it silently.
"""
from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
import weakref
from typing import Any, Callable, Iterator, Sequence

from purekafka import errors as Errors
from purekafka.config import ProducerConfig
from purekafka.config_view import ConfigView, default_config
from purekafka.core.accumulator import ProducerBatch, RecordAppendResult
from purekafka.core.metrics import MetricConfig, ProducerMetrics
from purekafka.core.transactions import TransactionManager
from purekafka.core.versions import release_caps
from purekafka.futures import (
    FutureBatchMetadata, FutureRecordMetadata, RecordMetadata, TopicPartition, deliver)
from purekafka.io.compressor import BatchCompressor
from purekafka.io.thread import IOThread, close_at_exit, forget_at_exit
from purekafka.partitioner import (
    NewBatchHook,
    StickyPartitionState,
    default_partition,
    new_batch_hook,
)
from purekafka.producer import arguments as _args, batch as _batch
from purekafka.producer.batch import (BATCH_OVERHEAD as _BATCH_OVERHEAD, NO_HEADERS as _NO_HEADERS,
                                      RECORD_OVERHEAD as _RECORD_OVERHEAD, SEND_COST as _SEND_COST)
from purekafka.producer.waits import MetadataWait, TopicSendInfo, TxnWait
from purekafka.producer.parts import bootstrap_of, build_parts, codec_of
from purekafka.record.codecs import compresses_many_at_once
from purekafka.producer.security import security_options

__all__ = ["FutureBatchMetadata", "FutureRecordMetadata", "KafkaProducer", "RecordMetadata", "TopicPartition"]

log = logging.getLogger("purekafka.producer")


class KafkaProducer:
    """A Kafka producer speaking the wire protocol itself (kafka-python's API).

    Settings are kafka-python's keyword names or Java's dotted names (see
    ``purekafka.config.ProducerConfig``); unknown or conflicting ones raise
    ``KafkaConfigurationError``.
    """

    # Caps on the API versions offered in negotiation ({api_key: version}); a
    # subclass may lower them, e.g. to prove the producer works with old versions.
    _max_versions: dict[int, int] | None = None
    # kafka-python's names and defaults (purekafka.config_view); informational: changing it
    # changes no producer's defaults.
    DEFAULT_CONFIG: dict[str, Any] = default_config()

    def __init__(self, **configs: Any) -> None:
        cfg = ProducerConfig.from_mapping(configs)
        client_id = cfg.client_id or _default_client_id()
        # kafka-python's read-only dict view; attributes still read the typed ProducerConfig.
        self.config = ConfigView(cfg, client_id)
        self._pid = os.getpid()
        # send() compares a counter bumped in forked children: cheaper than getpid().
        self._fork_generation = _fork_generation
        self._closed = False
        self._start_ms = time.monotonic() * 1000.0
        bootstrap = bootstrap_of(cfg)
        caps = release_caps(cfg.api_version) if cfg.api_version is not None else {}
        for key, cap in (self._max_versions or {}).items():
            caps[key] = min(cap, caps.get(key, cap))
        parts = build_parts(cfg, client_id, bootstrap,
                            security_options(cfg, bootstrap[0][0] if bootstrap else "localhost"),
                            batch_overhead=_batch.BATCH_OBJECTS_COST, max_versions=caps)
        self._cluster, self._acc, self._network = parts.cluster, parts.acc, parts.network
        self._sender, self._txn = parts.sender, parts.txn
        self._linger_ms = cfg.linger_ms
        self._max_record_size = min(cfg.max_request_size, cfg.buffer_memory)
        self._key_ser = cfg.key_serializer
        self._value_ser = cfg.value_serializer
        self._serializes = self._key_ser is not None or self._value_ser is not None
        self._partitioner, self._builtin = parts.partitioner, parts.builtin
        self._on_new_batch = new_batch_hook(self._partitioner)
        self._ignore_keys = cfg.partitioner_ignore_keys
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._topics: dict[str, TopicSendInfo] = {}
        self._memory_wait_ms, self._last_ts = 0.0, 0  # _last_ts: send()'s reused timestamp
        self._metrics = self._start_metrics(cfg)
        self._io = IOThread(self._sender, self._network, self._acc, self._cond, deliver,
                            name=f"purekafka-producer-{cfg.client_id or 'io'}")
        self._io.start()
        codec, level = codec_of(cfg)
        # Full zstd batches are compressed on a thread of their own (io.compressor), others
        # by the sending thread (_seal); the finisher holds no reference to the producer.
        self._compressor = BatchCompressor(
            codec, level, _seal_finisher(self._lock, self._acc, self._io), cfg.buffer_memory // 8,
            name=f"purekafka-compressor-{cfg.client_id or 'io'}") if compresses_many_at_once(codec) else None
        # As kafka-python 3: without api_version, the constructor bootstraps (connects and
        # fetches metadata) and fails when no broker answers within bootstrap_timeout_ms.
        if cfg.api_version is None:
            self._closed = True  # until bootstrapped: bootstrap() raises having stopped the thread
            self._io.bootstrap(self._cluster, cfg.bootstrap_timeout_ms / 1000.0, configs.get(
                "bootstrap_servers", configs.get("bootstrap.servers", "localhost")))
            self._closed = False
        close_at_exit(self)

    # -- sending -------------------------------------------------------------------------
    def send(self, topic: str, value: Any = None, key: Any = None,
             headers: list[tuple[str, bytes | None]] | None = None,
             partition: int | None = None, timestamp_ms: int | None = None) -> FutureRecordMetadata:
        """Queue one record; returns a future resolving to its ``RecordMetadata``.

        Blocks up to ``max_block_ms`` for the topic's metadata or for buffer memory,
        then raises ``KafkaTimeoutError``.
        """
        # Checks, serializing, sizes and sticky partitioning stay in this frame: every call
        # costs each record a frame. Rare paths (errors, metadata, memory waits) are helpers.
        if self._closed or self._fork_generation != _fork_generation or not self._io.running:
            raise self._unusable()
        if not isinstance(topic, str) or not topic:
            raise TypeError(f"topic must be a non-empty str, not {topic!r}")
        if value is None and key is None:
            raise ValueError("Need at least one: key or value")
        if headers is None:
            # kafka-python hands serializers a list they may add headers to.
            headers = [] if self._serializes else _NO_HEADERS
        else:
            _args.check_headers(headers)
        key_bytes, value_bytes = self._serialized(topic, headers, key, value) \
            if self._serializes else (key, value)
        if key_bytes is not None and type(key_bytes) is not bytes:
            key_bytes = _args.as_bytes(key_bytes, "key")
        if value_bytes is not None and type(value_bytes) is not bytes:
            value_bytes = _args.as_bytes(value_bytes, "value")
        if timestamp_ms is None:
            timestamp_ms = int(time.time() * 1000)
            if timestamp_ms == self._last_ts:  # one int held per millisecond, not per record
                timestamp_ms = self._last_ts
            self._last_ts = timestamp_ms
        ksize = -1 if key_bytes is None else len(key_bytes)
        vsize = -1 if value_bytes is None else len(value_bytes)
        hsize, est = _args.header_sizes(headers) if headers else (-1, 0)
        est += _RECORD_OVERHEAD + (ksize if ksize > 0 else 0) + (vsize if vsize > 0 else 0)
        info = self._topics.get(topic)
        if info is None or info.version != self._cluster.version:
            try:
                info = self._topic_info(topic)
            except (Errors.BrokerResponseError, Errors.SslAuthenticationError) as e:
                # As kafka-python: a topic error (authorization, invalid name) or an
                # authentication failure fails the future; only a metadata timeout raises.
                return self._failed(FutureRecordMetadata(
                    topic, -1 if partition is None else partition, timestamp_ms, ksize, vsize, hsize), e)
        if partition is not None or self._partitioner is not None or (key_bytes is not None
                                                                      and not self._ignore_keys):
            partition, sticky, hook = self._partition_for(info, topic, partition, key, value,
                                                          key_bytes, value_bytes)
        else:  # null key, built-in partitioner: the common case, without _partition_for's frame
            sticky, hook = info.sticky, None
            partition = info.sticky.current(info.partitions, info.available)
        fut = FutureRecordMetadata(topic, partition, timestamp_ms, ksize, vsize, hsize)
        if _BATCH_OVERHEAD + est > self._max_record_size:
            # Raised, as kafka-python 3 does: fire-and-forget code would never see a failed future.
            if self._metrics is not None:
                self._metrics.on_error(topic, 1, _clock_ms())
            raise self._too_large(_BATCH_OVERHEAD + est)
        if self._enqueue(info, fut, key, value, key_bytes, value_bytes, timestamp_ms, headers,
                         est, sticky, hook):
            self._io.wakeup()
        return fut

    def send_batch(self, topic: str, values: Sequence[Any], *, keys: Sequence[Any] | None = None,
                   headers: Sequence[Any] | None = None, partition: Any = None,
                   timestamp_ms: Any = None) -> FutureBatchMetadata:
        """Queue ``values`` (``keys``, ``headers``: one per value) as ``send()`` would, in one
        call; one ``FutureBatchMetadata`` for all (``purekafka.producer.batch``)."""
        if self._fork_generation != _fork_generation:
            raise _forked()
        return _batch.send_batch(self, topic, values, keys=keys, headers=headers,
                                 partition=partition, timestamp_ms=timestamp_ms)

    def _serialized(self, topic: str, headers: list[tuple[str, bytes | None]], key: Any,
                    value: Any) -> tuple[Any, Any]:
        """Key and value through the configured serializers (either may be unset)."""
        ser = self._key_ser
        if ser is not None:
            key = ser(topic, headers, key)
        ser = self._value_ser
        if ser is not None:
            value = ser(topic, headers, value)
        return key, value

    def _partition_for(self, info: TopicSendInfo, topic: str, partition: int | None, key: Any,
                       value: Any, key_bytes: bytes | None, value_bytes: bytes | None,
                       ) -> tuple[int, StickyPartitionState | None, NewBatchHook | None]:
        """The record's partition; the sticky state to report the append to, or the
        partitioner's new-batch hook, when either chose it."""
        if partition is not None:
            # kafka-python's ValueError and messages (Java would wait for the metadata instead).
            if partition < 0:
                raise ValueError("partition must be >= 0")
            if partition >= len(info.partitions):
                raise ValueError(f"Unrecognized partition {partition} for topic {topic}")
            return partition, None, None
        if self._partitioner is not None:
            return (self._partitioner(topic, key_bytes, info.partitions, info.available,
                                      key, value, value_bytes), None, self._on_new_batch)
        if key_bytes is None or self._ignore_keys:
            sticky = info.sticky
            return sticky.current(info.partitions, info.available), sticky, None
        return default_partition(key_bytes, len(info.partitions)), None, None

    def _enqueue(self, info: TopicSendInfo, fut: FutureRecordMetadata, key: Any, value: Any,
                 key_bytes: bytes | None, value_bytes: bytes | None, timestamp_ms: int,
                 headers: list[tuple[str, bytes | None]], est: int,
                 sticky: StickyPartitionState | None, hook: NewBatchHook | None) -> bool:
        """Append the record under the lock; whether the I/O thread needs a wakeup."""
        lock = self._lock
        snapshot: tuple[int, bytes] | None = None
        lock.acquire()  # the raw lock: Condition.__enter__ costs a Python frame per send
        try:
            if self._txn is not None:
                self._txn.maybe_add_partition((fut.topic, fut.partition))
            now_ms = time.monotonic() * 1000.0
            held = est + _SEND_COST  # buffer_memory bounds the future too, not only the bytes
            result = self._acc.append((fut.topic, fut.partition), timestamp_ms, key_bytes,
                                      value_bytes, headers, fut, held, now_ms, hook is not None)
            if result is None:
                result, now_ms = self._append_waiting(fut, key_bytes, value_bytes, timestamp_ms,
                                                      headers, held, hook is not None)
            if result.abort_for_new_batch:
                assert hook is not None and self._partitioner is not None
                # Java's custom-partitioner path (KIP-480): the hook, then partition again.
                hook(fut.topic, info.partitions, info.available, fut.partition)
                fut.partition = self._partitioner(fut.topic, key_bytes, info.partitions,
                                                  info.available, key, value, value_bytes)
                if self._txn is not None:
                    self._txn.maybe_add_partition((fut.topic, fut.partition))
                result, now_ms = self._append_waiting(fut, key_bytes, value_bytes, timestamp_ms,
                                                      headers, held, False)
            if sticky is not None:
                sticky.on_append(est, info.partitions, info.available, result)
            if not result.new_batch:
                return False  # joined the open batch: nothing new is due (the common case)
            due = now_ms + self._linger_ms
            if result.previous_full:
                snapshot = self._acc.begin_seal(result.previous, now_ms)
                if snapshot is None:
                    due = now_ms  # the full batch is sendable now (else once sealed: _seal wakes)
            # Wake the I/O thread only if it sleeps past when the new batch (or the
            # full one before it) is due: its deadline was set under this same lock,
            # and each wakeup costs the sending thread a GIL hand-over.
            wake = due < self._io.poll_deadline
        finally:
            lock.release()
        if snapshot is not None:
            assert result.previous is not None
            self._seal(result.previous, snapshot)
        return wake

    def _seal(self, batch: ProducerBatch, snapshot: tuple[int, bytes]) -> None:
        """Compress ``batch``, which ``Accumulator.begin_seal`` gave ``snapshot`` of (the
        lock held then), without the lock; then make it sendable and wake the I/O thread
        if it sleeps past now. Call it after releasing the lock, before anything blocks.

        Without the lock, the I/O thread runs while the codec (GIL released) compresses;
        under it, as in ``drain``, appending and sending took turns. Compressing on another
        thread, one batch a call, would be slower still: this thread, busy appending, holds
        the GIL, and a thread coming back from a GIL-free call waits a switch interval (5 ms)
        for it. zstd alone compresses a backlog in one call, so its batches go to the
        compressor thread (``io.compressor``): measured alternately, zstd ``send()`` went
        from 71-85k to 100-108k records/s (200k 1 KiB records, 4 runs each).
        An error compressing is not this record's: ``build()`` meets it again.
        """
        if self._compressor is not None and self._compressor.submit(batch, snapshot):
            return
        builder = batch.builder
        try:
            if builder is not None:
                builder.precompress(snapshot)
        except Exception:  # noqa: BLE001 - build() compresses again and fails the batch
            log.debug("compressing a full batch ahead of the I/O thread failed", exc_info=True)
        finally:
            lock = self._lock
            lock.acquire()
            try:
                self._acc.end_seal(batch)
                wake = time.monotonic() * 1000.0 < self._io.poll_deadline
            finally:
                lock.release()
        if wake:
            self._io.wakeup()

    def _append_waiting(self, fut: FutureRecordMetadata, key_bytes: bytes | None,
                        value_bytes: bytes | None, timestamp_ms: int,
                        headers: list[tuple[str, bytes | None]], est: int,
                        abort_on_new_batch: bool) -> tuple[RecordAppendResult, float]:
        """Append (the lock held), waiting up to ``max_block_ms`` for memory; and the time."""
        acc = self._acc
        deadline: float | None = None
        while True:
            now_ms = time.monotonic() * 1000.0
            result = acc.append((fut.topic, fut.partition), timestamp_ms, key_bytes, value_bytes,
                                headers, fut, est, now_ms, abort_on_new_batch)
            if result is not None:
                return result, now_ms
            deadline = self._wait_for_memory(deadline)

    def _wait_for_memory(self, deadline: float | None) -> float:
        """Wait (the lock held) until the I/O thread frees memory; returns the deadline."""
        if deadline is None:
            deadline = time.monotonic() + self.config.max_block_ms / 1000.0
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise Errors.KafkaTimeoutError(
                f"Failed to allocate memory within the configured max blocking time "
                f"{self.config.max_block_ms} ms (buffer_memory={self.config.buffer_memory})")
        if self._closed:
            raise Errors.IllegalStateError("KafkaProducer closed while send() waited for memory")
        acc = self._acc
        acc.memory_waiters += 1
        self._io.wakeup()
        started = time.monotonic()
        try:
            self._cond.wait(remaining)
        finally:
            acc.memory_waiters -= 1
            self._memory_wait_ms += (time.monotonic() - started) * 1000.0
        return deadline

    def _failed(self, fut: FutureRecordMetadata, error: BaseException) -> FutureRecordMetadata:
        """``fut`` failed before reaching the accumulator (counted as a record error)."""
        fut._finish(None, error)
        if self._metrics is not None:
            self._metrics.on_error(fut.topic, 1, _clock_ms())
        return fut

    def _too_large(self, size: int) -> Errors.KafkaError:
        if size > self.config.max_request_size:
            return Errors.MessageSizeTooLargeError(
                f"The message is {size} bytes when serialized which is larger than the maximum "
                f"request size you have configured with the max_request_size configuration "
                f"({self.config.max_request_size})")
        return Errors.MessageSizeTooLargeError(
            f"The message is {size} bytes when serialized which is larger than the total memory "
            f"buffer you have configured with the buffer_memory configuration "
            f"({self.config.buffer_memory})")

    def _unusable(self) -> Errors.KafkaError:
        """Why ``send()`` cannot queue records (closed, forked, or no I/O thread)."""
        if self._closed:
            return Errors.IllegalStateError("KafkaProducer already closed!")
        if self._fork_generation != _fork_generation:
            return _forked()
        return Errors.KafkaError(f"producer I/O thread is not running ({self._io.crashed!r})")

    def _topic_info(self, topic: str, max_wait_ms: float | None = None) -> TopicSendInfo:
        """Partitions of ``topic``, waiting up to ``max_block_ms`` for metadata."""
        wait_ms = self.config.max_block_ms if max_wait_ms is None else max_wait_ms
        wait = MetadataWait(self._cluster, topic, wait_ms / 1000.0, time.monotonic(), "thread")
        io = self._io
        with self._cond:
            if wait.begin():
                io.wakeup()
            while (pause := wait.next_pause(time.monotonic(), io.auth_error,
                                            io.crashed is None and io.running)) is not None:
                io.wakeup()
                self._cond.wait(pause)
            info = self._topics[topic] = wait.info(self._builtin)
            return info

    # -- transactions ------------------------------------------------------------------------
    def _txn_manager(self) -> TransactionManager:
        if self._fork_generation != _fork_generation:
            raise _forked()
        if self._txn is None:
            raise Errors.IllegalStateError(
                "Transactional method invoked on a non-transactional producer (set transactional_id)")
        if self._closed:
            raise Errors.IllegalStateError("KafkaProducer already closed!")
        return self._txn

    def _await_txn(self, start: Callable[[], Any], timeout_ms: float | None, flush: bool = False) -> None:
        cond = self._cond
        wait_ms = self.config.max_block_ms if timeout_ms is None else timeout_ms
        wait = TxnWait(wait_ms / 1000.0, time.monotonic(), "thread")
        with cond:
            result = start()
            if flush:
                self._acc.flushes_in_progress += 1
        self._io.wakeup()
        try:
            with cond:
                while (pause := wait.next_pause(result, time.monotonic(), self._io.running)) is not None:
                    cond.wait(pause)
                result.consume()
        finally:
            if flush:
                with cond:
                    self._acc.flushes_in_progress -= 1

    def init_transactions(self, timeout_ms: float | None = None) -> None:
        """Fetch the producer id for ``transactional_id``, fencing older producers with it."""
        txn = self._txn_manager()
        # Learn the cluster's finalized transaction.version (ApiVersions) first, so the
        # transaction protocol is chosen from the broker's answer, not before it.
        wait_ms = self.config.max_block_ms if timeout_ms is None else timeout_ms
        deadline = time.monotonic() + wait_ms / 1000.0
        with self._cond:
            while not self._network.ever_connected and time.monotonic() < deadline:
                if self._io.auth_error is not None:
                    raise self._io.auth_error  # wrong credentials: waiting will not help
                self._io.wakeup()
                self._cond.wait(0.05)
        remaining_ms = max(0.0, (deadline - time.monotonic()) * 1000.0)
        self._await_txn(lambda: txn.initialize(time.monotonic() * 1000.0), remaining_ms)

    def begin_transaction(self) -> None:
        """Start a transaction: records sent from now on commit or abort together."""
        txn = self._txn_manager()
        with self._cond:
            txn.begin()

    def send_offsets_to_transaction(self, offsets: Any, group_metadata: Any,
                                    timeout_ms: float | None = None) -> None:
        """Commit consumer offsets (``{TopicPartition: OffsetAndMetadata or int}``) in the transaction.

        ``group_metadata`` is a consumer group id, or an object with ``group_id`` and
        optionally ``generation_id``, ``member_id``, ``group_instance_id`` (KIP-447
        fencing), e.g. kafka-python's ``ConsumerGroupMetadata``. Offsets are keyed by
        ``(topic, partition)`` tuples or objects with ``topic`` and ``partition``.
        """
        txn = self._txn_manager()
        meta = _args.group_metadata(group_metadata)
        parsed = {_args.topic_partition(tp): v for tp, v in offsets.items()}
        self._await_txn(lambda: txn.send_offsets(parsed, meta), timeout_ms)

    def commit_transaction(self, timeout_ms: float | None = None) -> None:
        """Flush, then commit the transaction; raises if it cannot be committed."""
        txn = self._txn_manager()
        self._await_txn(txn.begin_commit, timeout_ms, flush=True)

    def abort_transaction(self, timeout_ms: float | None = None) -> None:
        """Abort the transaction: its records are never seen by read_committed consumers."""
        txn = self._txn_manager()
        self._await_txn(txn.begin_abort, timeout_ms, flush=True)

    @contextlib.contextmanager
    def transaction(self, timeout_ms: float | None = None) -> Iterator[KafkaProducer]:
        """``with producer.transaction():`` begins a transaction, commits it when the block
        ends and aborts it when the block raises (the exception propagates).

        A failed commit is aborted too and its error raised. If the abort itself fails
        (e.g. the producer was fenced), that error is raised, chained to the first.
        """
        self.begin_transaction()
        try:
            yield self
        except BaseException as exc:
            try:
                self.abort_transaction(timeout_ms)
            except Errors.KafkaError as abort_error:
                raise abort_error from exc
            raise
        try:
            self.commit_transaction(timeout_ms)
        except Errors.KafkaError as commit_error:
            # A fatal error or a timed-out commit cannot be aborted: the commit's error is the news.
            with contextlib.suppress(Errors.KafkaError):
                self.abort_transaction(timeout_ms)
            raise commit_error

    # -- flushing and closing ---------------------------------------------------------------
    def flush(self, timeout: float | None = None) -> None:
        """Send everything queued now and wait until it completes (``timeout`` in seconds)."""
        if self._fork_generation != _fork_generation:
            raise _forked()
        if threading.current_thread() is self._io:
            raise Errors.IllegalStateError(
                "flush() called from a callback: it would wait for the thread running the callback")
        cond = self._cond
        deadline = None if timeout is None else time.monotonic() + timeout
        with cond:
            pending = list(self._acc.incomplete)
            self._acc.flushes_in_progress += 1
        self._io.wakeup()
        try:
            with cond:
                while pending:
                    batch = pending.pop()
                    while batch.final_state is None:
                        if not self._io.running:
                            raise Errors.KafkaError("producer I/O thread is not running")
                        if deadline is None:
                            cond.wait(1.0)
                            continue
                        remaining = deadline - time.monotonic()
                        if remaining <= 0:
                            raise Errors.KafkaTimeoutError(f"Timeout after waiting for {timeout} secs.")
                        cond.wait(remaining)
                    if batch.split_into is not None:
                        pending.extend(batch.split_into)  # too large for the broker: wait for its halves
        finally:
            with cond:
                self._acc.flushes_in_progress -= 1

    def close(self, timeout: float | None = None, null_logger: bool = False) -> None:
        """Flush and stop, waiting up to ``timeout`` seconds. What is still pending when the
        timeout runs out (at once for ``close(0)``) fails with ``ProducerClosedForcefullyError``,
        both a ``KafkaTimeoutError`` and kafka-python's ``IllegalStateError``.

        A producer still open at interpreter exit is closed with ``timeout=1``, as in
        kafka-python 3, so a script that sends and ends without ``flush()`` delivers."""
        if self._closed:
            return
        forget_at_exit(self)
        if self._fork_generation != _fork_generation:
            # The I/O thread does not exist in a forked child; nothing to join.
            self._closed = True
            return
        self._closed = True
        io = self._io
        if threading.current_thread() is io:
            # From a callback: the I/O thread cannot wait for itself. It finishes
            # what is pending and then stops on its own.
            io.begin_close()
            return
        if timeout is None or timeout > 0:
            io.begin_close()
            io.join(timeout)
        if io.is_alive():
            io.force_close(Errors.ProducerClosedForcefullyError(
                f"Producer is closed forcefully: close(timeout={timeout}) ran out with records not delivered."))
            io.join()
        if self._compressor is not None:
            self._compressor.stop()
        for ser in (self._key_ser, self._value_ser):  # kafka-python's Serializer.close()
            close = getattr(getattr(ser, "source", None), "close", None)
            if callable(close):
                close()
        if self._metrics is not None:
            self._metrics.close()

    def __enter__(self) -> KafkaProducer:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:
        # Dropped without close(): as kafka-python, deliver what is queued, but without
        # blocking the collecting thread. The I/O thread finishes on its own (records
        # complete or expire after delivery_timeout_ms); interpreter exit waits for it
        # as for an open producer.
        try:
            if not self._closed and self._fork_generation == _fork_generation:
                self._closed = True
                self._io.close_in_background()
        except Exception:  # noqa: BLE001 - the interpreter may be tearing down
            pass

    # -- queries -------------------------------------------------------------------------------
    def partitions_for(self, topic: str) -> set[int]:
        """The partition ids of ``topic`` (waits up to ``max_block_ms`` for metadata)."""
        if self._fork_generation != _fork_generation:
            raise _forked()
        return set(self._topic_info(topic).partitions)

    def bootstrap_connected(self) -> bool:
        """True while a connection to a broker is established."""
        return any(self._network.is_connected(n) for n in list(self._network.nodes))

    def metrics(self, raw: bool = False) -> dict[Any, Any] | None:
        """Producer metrics under Java's names: ``{group: {name: value}}``, or with ``raw``
        ``{MetricName: KafkaMetric}`` (as kafka-python); None when ``metrics_enabled=False``."""
        m = self._metrics
        if m is None:
            return None
        if raw:
            return dict(m.metrics)
        return m.grouped(_clock_ms())

    @classmethod
    def max_usable_produce_magic(cls, api_version: tuple[int, ...] | None = None) -> int:
        """The newest record-batch format ("magic") usable: 2 when the Produce version
        allows v2 batches (v3+, brokers from 0.11). Given kafka-python's ``api_version``
        tuple, the answer for that broker version (1 from 0.10, 0 before)."""
        if api_version is None:
            # purekafka negotiates only Produce v3+ (protocol.produce.MIN_VERSION): always v2.
            return 2
        if api_version >= (0, 11):
            return 2
        return 1 if api_version >= (0, 10, 0) else 0

    def _start_metrics(self, cfg: ProducerConfig) -> ProducerMetrics | None:
        """The metrics registry, wired to the sender and the network (None when disabled)."""
        if not cfg.metrics_enabled:
            return None
        for c in cfg.metric_reporters:
            if not callable(c):
                raise Errors.KafkaConfigurationError(
                    f"metric_reporters={list(cfg.metric_reporters)!r}: each must be a reporter class "
                    f"(made with no arguments, as kafka-python does), not {c!r}; Java reporter "
                    "class names cannot run in Python")
        reporters = [c() for c in cfg.metric_reporters]
        for r in reporters:
            missing = [a for a in ("init", "metric_change", "close") if not callable(getattr(r, a, None))]
            if missing:
                raise Errors.KafkaConfigurationError(
                    f"metric_reporters: {type(r).__name__} lacks {', '.join(missing)} (a reporter "
                    "needs kafka-python's AbstractMetricsReporter methods)")
        m = ProducerMetrics(MetricConfig(cfg.metrics_num_samples, cfg.metrics_sample_window_ms),
                            self._start_ms, _clock_ms, reporters,
                            {"client-id": self._network.client_id or ""})
        net = self._network
        # The gauges live as long as the I/O thread: through a weak reference they do not
        # keep an unclosed producer alive (it is closed when collected).
        me = weakref.ref(self)
        m.add_gauges(self._acc, self._cluster, net.in_flight_requests,
                     lambda: sum(1 for n in list(net.nodes) if net.is_connected(n)),
                     lambda: getattr(me(), "_memory_wait_ms", 0.0), self._start_ms)
        self._sender.metrics = net.metrics = m
        return m


def _clock_ms() -> float:
    return time.monotonic() * 1000.0


def _forked() -> Errors.KafkaError:
    return Errors.IllegalStateError(
        "This KafkaProducer was created in another process (before fork()); its I/O thread "
        "does not exist here. Create a new producer in the child process.")


_fork_generation = 0


def _after_fork_in_child() -> None:
    global _fork_generation
    _fork_generation += 1


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)

_client_ids = iter(range(1, 1 << 62))


def _seal_finisher(lock: threading.Lock, acc: Any, io: IOThread,
                   ) -> Callable[[list[tuple[ProducerBatch, int, bytes | None]]], None]:
    """What ``BatchCompressor`` calls with its compressed batches: keep each payload in its
    builder, end the seals under the lock, and wake the I/O thread if it sleeps past now."""
    def finish(done: list[tuple[ProducerBatch, int, bytes | None]]) -> None:
        for batch, count, payload in done:
            builder = batch.builder
            if payload is not None and builder is not None:
                builder.precompress((count, b""), payload)
        lock.acquire()
        try:
            for batch, _count, _payload in done:
                acc.end_seal(batch)
            wake = time.monotonic() * 1000.0 < io.poll_deadline
        finally:
            lock.release()
        if wake:
            io.wakeup()

    return finish


def _default_client_id() -> str:
    return f"purekafka-producer-{next(_client_ids)}"

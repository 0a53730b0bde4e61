"""The transactional half of ``AIOKafkaProducer`` (aiokafka's methods, the core's
``TransactionManager``): each call starts a coordinator round trip in the core, then
awaits its ``TxnResult`` while the driver task runs it."""
from __future__ import annotations

import time
from types import TracebackType
from typing import TYPE_CHECKING, Any, Callable

from purekafka.aio import errors as AioErrors
from purekafka.core.transactions import TransactionManager
from purekafka.core.txn_requests import TxnResult
from purekafka.producer import arguments as _args
from purekafka.producer.waits import TxnWait

if TYPE_CHECKING:
    from purekafka.aio.assembly import Core
    from purekafka.config import ProducerConfig

__all__ = ["TransactionContext", "TransactionsMixin"]


class TransactionsMixin:
    """begin/commit/abort_transaction and send_offsets_to_transaction."""

    config: ProducerConfig
    _core: Core | None

    def _running_core(self) -> Core:
        raise NotImplementedError

    async def flush(self, timeout: float | None = None) -> None:
        raise NotImplementedError

    def _txn_manager(self) -> TransactionManager:
        core = self._running_core()
        if core.txn is None:
            raise AioErrors.IllegalOperation("You need to configure transaction_id to use transactions")
        return core.txn

    async def _await_txn(self, start: Callable[[], TxnResult], flush: bool = False) -> None:
        core = self._running_core()
        # aiokafka waits without a bound; ours is the longer of max_block_ms and the
        # transaction timeout (past which the coordinator aborts the transaction anyway).
        wait_s = max(self.config.max_block_ms, self.config.transaction_timeout_ms) / 1000.0
        wait = TxnWait(wait_s, time.monotonic(), "task")
        result = start()
        if flush:
            core.acc.flushes_in_progress += 1
        core.driver.wakeup()
        try:
            while (pause := wait.next_pause(result, time.monotonic(), core.driver.running)) is not None:
                await core.driver.changed(pause)
            result.consume()
        finally:
            if flush:
                core.acc.flushes_in_progress -= 1

    async def _init_transactions(self) -> None:
        core = self._running_core()
        txn = self._txn_manager()
        # As KafkaProducer.init_transactions: the broker's transaction.version (ApiVersions) first.
        deadline = time.monotonic() + self.config.request_timeout_ms / 1000.0
        while not core.network.ever_connected and time.monotonic() < deadline:
            if core.network.auth_error is not None:
                raise core.network.auth_error  # wrong credentials: waiting will not help
            core.driver.wakeup()
            await core.driver.changed(0.05)
        await self._await_txn(lambda: txn.initialize(time.monotonic() * 1000.0))

    async def begin_transaction(self) -> None:
        """Start a transaction: records sent from now on commit or abort together."""
        self._txn_manager().begin()

    async def commit_transaction(self) -> None:
        """Flush, then commit the transaction; raises if it cannot be committed."""
        txn = self._txn_manager()
        await self._await_txn(txn.begin_commit, flush=True)

    async def abort_transaction(self) -> None:
        """Abort the transaction: read_committed consumers never see its records."""
        txn = self._txn_manager()
        await self._await_txn(txn.begin_abort, flush=True)

    async def send_offsets_to_transaction(self, offsets: Any, group_id: Any) -> None:
        """Commit consumer offsets (``{TopicPartition: offset or OffsetAndMetadata}``) in the
        transaction (the core reads ints, ``(offset, metadata)`` and objects with ``offset``).
        ``group_id`` is the group's id, as in aiokafka, or a consumer's group
        metadata (``group_id``, ``generation_id``, ``member_id``: KIP-447 fencing)."""
        txn = self._txn_manager()
        if txn.state.value != "IN_TRANSACTION":
            raise AioErrors.IllegalOperation("Not in the middle of a transaction")
        if isinstance(group_id, str):
            if not group_id:
                raise ValueError(group_id)
            meta: Any = group_id
        else:
            meta = _args.group_metadata(group_id)
        parsed = {_args.topic_partition(tp): v for tp, v in offsets.items()}
        await self._await_txn(lambda: txn.send_offsets(parsed, meta))


class TransactionContext:
    """``async with producer.transaction():`` (aiokafka's): begin; commit when the block
    ends, abort when it raises (unless the producer hit a fatal error: then the error
    propagates without an abort, which could not succeed)."""

    def __init__(self, producer: TransactionsMixin) -> None:
        self._producer = producer

    async def __aenter__(self) -> TransactionContext:
        await self._producer.begin_transaction()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        if exc_type is not None:
            if self._producer._txn_manager().has_fatal_error:
                return
            await self._producer.abort_transaction()
        else:
            await self._producer.commit_transaction()

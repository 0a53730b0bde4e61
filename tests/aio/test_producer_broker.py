"""AIOKafkaProducer against the real broker: what the threaded producer guarantees holds
here too (backpressure awaited, five requests in flight, delivery_timeout_ms,
transactions), read back by confluent-kafka."""
from __future__ import annotations

import asyncio
import time

import pytest

from purekafka.aio import AIOKafkaProducer
from purekafka.aio import errors as aio_errors
from purekafka.errors import KafkaTimeoutError
from tests.support.aio_front import run, uvloop_available
from tests.support.readback import consume, consume_all
from tests.support.tcp_proxy import PRODUCE, FaultProxy

pytestmark = pytest.mark.broker

LOOPS = ["async"] + (["uvloop"] if uvloop_available() else [])


@pytest.mark.parametrize("loop", LOOPS)
def test_buffer_memory_backpressure_is_awaited_not_blocking(kafka, topic_factory, loop) -> None:
    topic = topic_factory(partitions=2)
    n = 3000
    ticks = 0
    max_gap = 0.0

    async def ticker(stop: asyncio.Event) -> None:
        nonlocal ticks, max_gap
        last = time.monotonic()
        while not stop.is_set():
            await asyncio.sleep(0.001)
            now = time.monotonic()
            max_gap = max(max_gap, now - last)
            last = now
            ticks += 1

    async def main() -> list:
        stop = asyncio.Event()
        t = asyncio.ensure_future(ticker(stop))
        # 32 KiB of buffer for 3 MB of records: send() must wait for memory again and again.
        async with AIOKafkaProducer(bootstrap_servers=kafka.bootstrap, buffer_memory=32 * 1024,
                                    max_batch_size=8192, linger_ms=1, acks="all",
                                    enable_idempotence=True) as p:
            futures = [await p.send(topic, b"%06d" % i + b"x" * 1000) for i in range(n)]
            metas = await asyncio.gather(*futures)
            assert p._core is not None and p._core.acc.used_memory == 0
        stop.set()
        await t
        return metas

    metas = run(main, loop)
    assert ticks > 20, "the loop kept running other tasks while send() waited for memory"
    assert max_gap < 1.0, f"the loop was blocked for {max_gap:.2f}s"
    got = consume(kafka.bootstrap, topic, n, timeout=60)
    assert sorted(int(r.value[:6]) for r in got) == list(range(n))
    assert {(m.partition, m.offset) for m in metas} == {(r.partition, r.offset) for r in got}


def test_five_requests_in_flight_to_one_broker(kafka, topic_factory) -> None:
    # aiokafka keeps one request in flight per broker; the shared core keeps five.
    topic = topic_factory(partitions=8)
    addresses = list(kafka.metadata().brokers.values())
    with FaultProxy(addresses, lifetime=120) as proxy:
        async def main() -> int:
            async with AIOKafkaProducer(bootstrap_servers=proxy.bootstrap, enable_idempotence=True,
                                        max_batch_size=200) as p:
                await p.partitions_for(topic)
                proxy.hold(PRODUCE)
                futures = []
                for i in range(200):
                    futures.append(await p.send(topic, b"x" * 150, partition=i % 8))
                    # Paced: each batch is drained on its own, into a request of its own
                    # (a partition's first batch is alone in flight until it is acknowledged).
                    await asyncio.sleep(0.005)
                await asyncio.sleep(0.5)
                assert p._core is not None
                in_flight = p._core.network.in_flight_requests()
                proxy.release()
                await asyncio.gather(*futures)
                return in_flight

        assert run(main) == 5
    assert len(consume(kafka.bootstrap, topic, 200, timeout=30)) == 200


def test_delivery_timeout_fails_records_while_brokers_are_down(kafka, topic_factory) -> None:
    # aiokafka's idempotent batches never expire while brokers are down; ours fail at
    # delivery_timeout_ms with kafka-python's KafkaTimeoutError.
    topic = topic_factory(partitions=1)
    addresses = list(kafka.metadata().brokers.values())
    with FaultProxy(addresses, lifetime=120) as proxy:
        async def main() -> tuple[float, list[BaseException | None]]:
            async with AIOKafkaProducer(bootstrap_servers=proxy.bootstrap, enable_idempotence=True,
                                        request_timeout_ms=1000, delivery_timeout_ms=3000) as p:
                await p.partitions_for(topic)
                proxy.refuse()
                t = time.monotonic()
                futures = [await p.send(topic, b"v%d" % i) for i in range(50)]
                done, _ = await asyncio.wait(futures, timeout=20)
                took = time.monotonic() - t
                proxy.accept()
                return took, [f.exception() for f in done] + [None] * (len(futures) - len(done))

        took, errors = run(main)
    assert all(isinstance(e, KafkaTimeoutError) for e in errors), errors
    assert 2.5 < took < 10, took


@pytest.mark.parametrize("loop", LOOPS)
def test_transactions_commit_abort_and_the_context_manager(kafka, topic_factory, loop) -> None:
    topic = topic_factory(partitions=2)

    async def main() -> None:
        p = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap, transactional_id=f"aio-{topic}")
        await p.start()
        try:
            with pytest.raises(aio_errors.IllegalOperation, match="not in transaction"):
                await p.send(topic, b"outside")
            await p.begin_transaction()
            await p.send(topic, b"committed-1")
            await p.commit_transaction()
            await p.begin_transaction()
            await p.send(topic, b"aborted-1")
            await p.abort_transaction()
            async with p.transaction():
                await p.send(topic, b"committed-2", key=b"k")
            with pytest.raises(RuntimeError, match="boom"):
                async with p.transaction():
                    await p.send(topic, b"aborted-2")
                    raise RuntimeError("boom")
            batch = p.create_batch()
            for i in range(3):
                assert batch.append(key=None, value=b"batch-%d" % i, timestamp=None) is not None
            async with p.transaction():
                meta = await (await p.send_batch(batch, topic, partition=1))
            assert meta.partition == 1
        finally:
            await p.stop()

    run(main, loop)
    committed = consume_all(kafka.bootstrap, topic, isolation_level="read_committed")
    assert sorted(r.value for r in committed) == [b"batch-0", b"batch-1", b"batch-2",
                                                  b"committed-1", b"committed-2"]


def test_a_second_producer_with_the_same_transactional_id_fences_the_first(kafka, topic_factory) -> None:
    topic = topic_factory(partitions=1)

    async def main() -> None:
        tid = f"aio-fence-{topic}"
        old = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap, transactional_id=tid)
        await old.start()
        await old.begin_transaction()
        await old.send(topic, b"old")
        new = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap, transactional_id=tid)
        await new.start()  # InitProducerId bumps the epoch: the old one is fenced
        with pytest.raises(aio_errors.ProducerFenced):
            await old.commit_transaction()
        async with new.transaction():
            await new.send(topic, b"new")
        await new.stop()
        await old.stop()

    run(main)
    assert [r.value for r in consume_all(kafka.bootstrap, topic, isolation_level="read_committed")] == [b"new"]


def test_an_aiokafka_style_partitioner_and_serializers(kafka, topic_factory) -> None:
    # aiokafka calls partitioner(key_bytes, all_partitions, available) and one-argument
    # serializers; so does purekafka.aio.
    topic = topic_factory(partitions=3)
    seen: list[tuple] = []

    def last_partition(key_bytes, all_partitions, available):
        seen.append((key_bytes, list(all_partitions)))
        return all_partitions[-1]

    async def main() -> list:
        async with AIOKafkaProducer(bootstrap_servers=kafka.bootstrap, partitioner=last_partition,
                                    key_serializer=str.encode, value_serializer=str.encode) as p:
            return [await p.send_and_wait(topic, f"v{i}", key=f"k{i}") for i in range(5)]

    metas = run(main)
    assert [m.partition for m in metas] == [2] * 5
    assert seen == [(b"k%d" % i, [0, 1, 2]) for i in range(5)]
    assert [(r.key, r.value) for r in consume(kafka.bootstrap, topic, 5)] == [
        (b"k%d" % i, b"v%d" % i) for i in range(5)]


def test_a_dropped_producer_warns_and_still_delivers(kafka, topic_factory) -> None:
    import gc
    import warnings

    topic = topic_factory(partitions=1)

    async def main() -> list:
        p = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap, linger_ms=20)
        await p.start()
        futures = [await p.send(topic, b"%d" % i) for i in range(10)]
        task = p._core.driver.task
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            del p
            gc.collect()
        assert any(issubclass(w.category, ResourceWarning) for w in caught)
        await asyncio.wait_for(task, 10)  # the driver finished the queued records and ended
        return [f.result().offset for f in futures]

    assert run(main) == list(range(10))
    assert len(consume(kafka.bootstrap, topic, 10)) == 10

"""Cancellation, stop() under load, and the loop closing with sends pending: no record is
lost silently, none is duplicated, and the idempotent sequence never has a hole (a hole
would make the broker refuse every later batch with OutOfOrderSequence)."""
from __future__ import annotations

import asyncio
import random
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from purekafka.aio import AIOKafkaProducer
from purekafka.errors import KafkaError, ProducerClosedForcefullyError
from tests.support.aio_front import run, uvloop_available
from tests.support.readback import consume_all, end_offsets
from tests.support.tcp_proxy import PRODUCE, FaultProxy

pytestmark = pytest.mark.broker

LOOPS = ["async"] + (["uvloop"] if uvloop_available() else [])


@pytest.mark.parametrize("loop", LOOPS)
@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1), buffer_memory=st.sampled_from([4096, 65536, 1 << 25]))
def test_cancelled_sends_are_delivered_or_never_queued(kafka, topic_factory, loop, seed, buffer_memory) -> None:
    # Tasks each send one record and await its future; a random third are cancelled at a
    # random moment: while send() waits for memory (nothing queued), or while awaiting the
    # future (queued: it must still be delivered). A small buffer makes sends wait.
    topic = topic_factory(partitions=2)
    rng = random.Random(seed)
    n = 400
    queued: set[int] = set()
    acked: dict[int, tuple[int, int]] = {}

    async def one(p: AIOKafkaProducer, i: int) -> None:
        fut = await p.send(topic, b"%06d" % i + b"." * 200, key=b"k%d" % (i % 4))
        queued.add(i)  # nothing awaits between send() returning and this line
        meta = await fut
        acked[i] = (meta.partition, meta.offset)

    async def main() -> None:
        p = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap, enable_idempotence=True,
                             linger_ms=rng.choice([0, 2]), buffer_memory=buffer_memory,
                             max_batch_size=1024)
        await p.start()
        try:
            tasks = [asyncio.ensure_future(one(p, i)) for i in range(n)]
            loop_ = asyncio.get_running_loop()

            def cancel_after(t: asyncio.Future, turns: int) -> None:
                # Counted in turns of the loop, so every await point gets hit, however short.
                if turns == 0:
                    t.cancel()
                else:
                    loop_.call_soon(cancel_after, t, turns - 1)

            for t in tasks:
                if rng.random() < 0.33:
                    cancel_after(t, rng.randrange(0, 40))
            await asyncio.gather(*tasks, return_exceptions=True)
            await p.flush(30)
        finally:
            await p.stop(10)

    run(main, loop)
    got = consume_all(kafka.bootstrap, topic, settle=1.0)
    values = [int(r.value[:6]) for r in got]
    assert sorted(values) == sorted(queued), "exactly the queued records, each once"
    assert sum(end_offsets(kafka.bootstrap, topic).values()) == len(queued)
    for r in got:
        i = int(r.value[:6])
        if i in acked:
            assert acked[i] == (r.partition, r.offset)
    per_key: dict[bytes, list[int]] = {}
    for r in got:
        per_key.setdefault(r.key, []).append(int(r.value[:6]))
    assert all(v == sorted(v) for v in per_key.values()), "send order kept per key"


@pytest.mark.parametrize("loop", LOOPS)
def test_stop_from_another_task_returns_within_its_timeout(kafka, topic_factory, loop) -> None:
    # The proxy holds every Produce request, so nothing can complete; stop(timeout) called
    # from another task must return in about that time and fail what is still pending.
    topic = topic_factory(partitions=1)
    addresses = list(kafka.metadata().brokers.values())
    with FaultProxy(addresses, lifetime=120) as proxy:
        async def main() -> tuple[float, list[BaseException | None]]:
            p = AIOKafkaProducer(bootstrap_servers=proxy.bootstrap, enable_idempotence=True,
                                 request_timeout_ms=60_000)
            await p.start()
            await p.partitions_for(topic)
            proxy.hold(PRODUCE)
            futures = [await p.send(topic, b"v%d" % i) for i in range(1000)]

            async def sender() -> None:  # keeps sending while stop() runs
                try:
                    while True:
                        futures.append(await p.send(topic, b"more"))
                        await asyncio.sleep(0.001)
                except KafkaError:
                    pass  # stopped: send() refuses

            st_task = asyncio.ensure_future(sender())
            await asyncio.sleep(0.3)
            t = time.monotonic()
            await asyncio.ensure_future(p.stop(timeout=1.5))
            took = time.monotonic() - t
            await asyncio.wait_for(st_task, 5)
            return took, [f.exception() if f.done() else None for f in futures]

        took, errors = run(main, loop)
        proxy.release()
    assert took < 4.0, f"stop(timeout=1.5) took {took:.1f}s"
    assert errors and all(isinstance(e, ProducerClosedForcefullyError) for e in errors), \
        {type(e).__name__ for e in errors}


@pytest.mark.parametrize("loop", LOOPS)
def test_loop_closing_with_sends_pending_fails_them_not_hangs(kafka, topic_factory, loop) -> None:
    # asyncio.run ends (cancelling every task, the producer's too) with records queued and
    # the producer never stopped: every future ends up done, delivered or failed with a
    # clear error, and each delivered record is in the log once.
    topic = topic_factory(partitions=1)
    futures: list[asyncio.Future] = []

    async def main() -> None:
        p = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap, enable_idempotence=True, linger_ms=50)
        await p.start()
        for i in range(2000):
            futures.append(await p.send(topic, b"%d" % i))
        # returns with the producer open and the records waiting for linger_ms

    t = time.monotonic()
    run(main, loop)
    assert time.monotonic() - t < 30
    assert all(f.done() for f in futures)
    failed = [f for f in futures if f.cancelled() or f.exception() is not None]
    assert all(not f.cancelled() and isinstance(f.exception(), KafkaError) and "loop" in str(f.exception())
               for f in failed)
    delivered = {int(f.result().offset) for f in futures if not f.cancelled() and f.exception() is None}
    got = consume_all(kafka.bootstrap, topic, settle=1.0)
    values = [int(r.value) for r in got]
    assert len(values) == len(set(values)), "no duplicates"
    assert delivered <= {r.offset for r in got}
    assert len(values) <= len(futures)

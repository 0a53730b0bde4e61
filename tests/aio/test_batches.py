"""``create_batch``/``send_batch`` against the real broker: a BatchBuilder's records
reach the log as one RecordBatch of exactly those records, in order, between the
batches of ``send()`` records queued before and after it, as with aiokafka. The broker's
log segments are read back to see the batch boundaries, and confluent-kafka reads the
records."""
from __future__ import annotations

import asyncio
from typing import Any

import aiokafka
import pytest

from purekafka.aio import AIOKafkaProducer
from purekafka.record import CompressionType
from tests.support.example_support import segment_batches
from tests.support.readback import consume

pytestmark = pytest.mark.broker

BATCH = 1024


def _sequence(producer_cls: Any, bootstrap: str, topic: str, conf: dict[str, Any],
              close_small: bool) -> tuple[int, list[int]]:
    """send() a0-a2, send_batch a full builder (b...) and a small one (c0, c1), send()
    d0, d1, all to partition 0; the number of b records and the batches' first offsets."""
    async def main() -> tuple[int, list[int]]:
        p = producer_cls(bootstrap_servers=bootstrap, max_batch_size=BATCH, linger_ms=1000, **conf)
        await p.start()
        try:
            futures = [await p.send(topic, b"a%d" % i, partition=0) for i in range(3)]
            full = p.create_batch()
            i = 0
            while full.append(key=b"k", value=b"b%03d" % i + b"." * 56, timestamp=None) is not None:
                i += 1
            assert full.record_count() == i and full.size() <= BATCH
            small = p.create_batch()
            for j in range(2):
                assert small.append(key=None, value=b"c%d" % j, timestamp=None,
                                    headers=[("h", b"%d" % j)]) is not None
            if close_small:
                small.close()
            batch_futures = [await p.send_batch(full, topic, partition=0),
                             await p.send_batch(small, topic, partition=0)]
            futures += [await p.send(topic, b"d%d" % j, partition=0) for j in range(2)]
            await asyncio.gather(*futures)
            firsts = [m.offset for m in await asyncio.gather(*batch_futures)]
            return i, firsts
        finally:
            await p.stop()

    return asyncio.run(main())


@pytest.mark.parametrize("conf", [{}, {"compression_type": "gzip", "enable_idempotence": True}],
                         ids=["plain", "gzip-idempotent"])
@pytest.mark.parametrize("close_small", [True, False], ids=["closed", "left-open"])
def test_send_batch_is_one_record_batch_of_its_own(kafka, topic_factory, conf, close_small) -> None:
    topic, other = topic_factory(partitions=1), topic_factory(partitions=1)
    n, firsts = _sequence(AIOKafkaProducer, kafka.bootstrap, topic, conf, close_small)
    assert n > 10
    their = _sequence(aiokafka.AIOKafkaProducer, kafka.bootstrap, other, conf, close_small)
    assert (n, firsts) == their == (n, [3, 3 + n])
    a = [b"a%d" % i for i in range(3)]
    b = [b"b%03d" % i + b"." * 56 for i in range(n)]
    c, d = [b"c0", b"c1"], [b"d0", b"d1"]
    got = consume(kafka.bootstrap, topic, 7 + n, timeout=60)
    assert [r.value for r in got] == a + b + c + d
    assert [r.headers for r in got[3 + n:5 + n]] == [[("h", b"0")], [("h", b"1")]]
    # A closed builder is a batch of its own; aiokafka lets send() records join one left
    # open (its docs: leave it open to mix both interfaces), and so do we.
    expected = [a, b, c, d] if close_small else [a, b, c + d]
    for t in (topic, other):
        batches = segment_batches(kafka, t)
        if batches is None:
            pytest.skip("the broker's log is not ours to read (PUREKAFKA_BOOTSTRAP)")
        # The same boundaries in our log as in aiokafka's.
        assert [[r.value for r in rb.records] for rb in batches] == expected, (t == topic, t)
        codec = CompressionType.GZIP if conf else CompressionType.NONE
        assert {rb.compression_type for rb in batches} == {codec}
        assert all(rb.producer_id >= 0 for rb in batches) == bool(conf)


def test_a_batch_is_sent_once(kafka, topic_factory) -> None:
    topic = topic_factory(partitions=2)

    async def main() -> None:
        async with AIOKafkaProducer(bootstrap_servers=kafka.bootstrap) as p:
            batch = p.create_batch()
            with pytest.raises(ValueError, match="empty"):
                await p.send_batch(batch, topic, partition=1)
            assert batch.append(key=None, value=b"once", timestamp=None) is not None
            meta = await (await p.send_batch(batch, topic, partition=1))
            assert (meta.partition, meta.offset) == (1, 0)
            assert batch.closed() and batch.append(key=None, value=b"more", timestamp=None) is None
            with pytest.raises(ValueError, match="sent already"):
                await p.send_batch(batch, topic, partition=1)

    asyncio.run(main())
    got = consume(kafka.bootstrap, topic, 1, timeout=30)
    assert [(r.partition, r.value) for r in got] == [(1, b"once")]

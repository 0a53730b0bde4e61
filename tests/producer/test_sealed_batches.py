"""Compressed batches sealed by the sending thread (``KafkaProducer._seal``) arrive whole and in order.

With a codec, the thread whose record finds its partition's batch full compresses that
batch itself, outside the producer's lock, while the I/O thread keeps sending (zstd: hands
it to the producer's compressor thread, which compresses a backlog at a time). Small
batches make nearly every batch go that way; an independent consumer (confluent-kafka)
must read every record, once, in the order sent, with and without idempotence (whose
sequence numbers are stamped after the compression), from one thread and from several.
"""
from __future__ import annotations

import threading

import pytest

from purekafka import KafkaProducer
from purekafka.record import RecordBatchBuilder
from tests.support.readback import consume, consume_all, end_offsets

pytestmark = pytest.mark.broker

CODECS = ["gzip", "snappy", "lz4", "zstd"]


def _count_precompress(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the batches compressed ahead of build(), by the sending thread or (zstd) the
    compressor thread (the path under test really ran)."""
    kept = [0]
    real = RecordBatchBuilder.precompress

    def counted(self: RecordBatchBuilder, snapshot: tuple[int, bytes], payload: bytes | None = None) -> bool:
        done = real(self, snapshot, payload)
        kept[0] += done
        return done

    monkeypatch.setattr(RecordBatchBuilder, "precompress", counted)
    return kept


def _value(tag: int, i: int) -> bytes:
    # Compressible but not trivially: a JSON-like record with a varying body.
    return (f'{{"t":{tag},"i":{i},"body":"' + "abcdefgh" * (10 + i % 17) + '"}').encode()


@pytest.mark.parametrize("idempotent", [False, True], ids=["plain", "idempotent"])
@pytest.mark.parametrize("codec", CODECS)
def test_every_record_of_many_full_batches_arrives_in_order(kafka, topic_factory, monkeypatch,
                                                            codec, idempotent) -> None:
    topic = topic_factory(partitions=2)
    kept = _count_precompress(monkeypatch)
    n = 3000
    with KafkaProducer(bootstrap_servers=kafka.bootstrap, compression_type=codec, batch_size=4096,
                       linger_ms=20, acks="all" if idempotent else 1,
                       enable_idempotence=idempotent) as p:
        futures = [p.send(topic, _value(0, i), key=None, partition=i % 2) for i in range(n)]
        p.flush()
        metas = [f.get(timeout=30) for f in futures]
    assert kept[0] >= 20, "hardly any batch was sealed by the sending thread"
    for part in (0, 1):
        assert [m.offset for m in metas[part::2]] == list(range(n // 2))
    got = consume(kafka.bootstrap, topic, n)
    assert end_offsets(kafka.bootstrap, topic) == {0: n // 2, 1: n // 2}
    for part in (0, 1):
        assert [r.value for r in got if r.partition == part] == [_value(0, i) for i in range(part, n, 2)]


@pytest.mark.parametrize("codec", ["lz4", "zstd"])
def test_threads_sealing_side_by_side_keep_each_ones_order(kafka, topic_factory, monkeypatch, codec) -> None:
    topic = topic_factory(partitions=1)
    kept = _count_precompress(monkeypatch)
    threads, per = 3, 1500
    with KafkaProducer(bootstrap_servers=kafka.bootstrap, compression_type=codec, batch_size=4096,
                       linger_ms=5, acks="all", enable_idempotence=True) as p:
        errors: list[BaseException] = []

        def run(tag: int) -> None:
            try:
                for i in range(per):
                    p.send(topic, _value(tag, i), partition=0)
            except BaseException as e:  # noqa: BLE001 - reported below
                errors.append(e)

        workers = [threading.Thread(target=run, args=(t,)) for t in range(threads)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        p.flush()
    assert not errors
    assert kept[0] >= 20
    got = consume(kafka.bootstrap, topic, threads * per)
    assert [r.offset for r in got] == list(range(threads * per))
    for tag in range(threads):
        mine = [r.value for r in got if r.value is not None and r.value.startswith(f'{{"t":{tag},'.encode())]
        assert mine == [_value(tag, i) for i in range(per)]


@pytest.mark.parametrize("codec", ["lz4", "zstd"])
def test_send_batch_seals_full_batches_too(kafka, topic_factory, monkeypatch, codec) -> None:
    topic = topic_factory(partitions=1)
    kept = _count_precompress(monkeypatch)
    n = 3000
    values = [_value(0, i) for i in range(n)]
    with KafkaProducer(bootstrap_servers=kafka.bootstrap, compression_type=codec, batch_size=4096,
                       linger_ms=5, acks="all", enable_idempotence=True) as p:
        for start in range(0, n, 700):
            p.send_batch(topic, values[start:start + 700], partition=0)
        p.flush()
    assert kept[0] >= 20
    got = consume(kafka.bootstrap, topic, n)
    assert [r.offset for r in got] == list(range(n)) and [r.value for r in got] == values


@pytest.mark.parametrize("idempotent", [False, True], ids=["plain", "idempotent"])
def test_zstd_batches_are_compressed_on_the_compressor_thread(kafka, topic_factory, idempotent) -> None:
    # zstd's full batches go to io.compressor's thread (one GIL-free call per backlog);
    # it must really compress them, they must arrive whole and in order, and close() ends it.
    topic = topic_factory(partitions=2)
    n = 4000
    with KafkaProducer(bootstrap_servers=kafka.bootstrap, compression_type="zstd", batch_size=4096,
                       linger_ms=20, acks="all" if idempotent else 1, enable_idempotence=idempotent,
                       client_id="zstd-sealer") as p:
        futures = [p.send(topic, _value(1, i), partition=i % 2) for i in range(n)]
        p.flush()
        metas = [f.get(timeout=30) for f in futures]
        compressor = p._compressor
        assert compressor is not None and compressor.compressed >= 20
    assert not any(t.name == "purekafka-compressor-zstd-sealer" for t in threading.enumerate())
    for part in (0, 1):
        assert [m.offset for m in metas[part::2]] == list(range(n // 2))
    got = consume(kafka.bootstrap, topic, n)
    for part in (0, 1):
        assert [r.value for r in got if r.partition == part] == [_value(1, i) for i in range(part, n, 2)]


def test_zstd_transactions_through_the_compressor_commit_and_abort_whole(kafka, topic_factory) -> None:
    # Batches waiting on the compressor thread belong to the open transaction: a commit
    # must deliver every one, an abort must leave none visible to a read_committed reader.
    topic = topic_factory(partitions=1)
    per = 1500
    with KafkaProducer(bootstrap_servers=kafka.bootstrap, compression_type="zstd", batch_size=4096,
                       linger_ms=5, transactional_id=f"zstd-sealer-{topic}") as p:
        p.init_transactions()
        for tag in (0, 1, 2):
            p.begin_transaction()
            for i in range(per):
                p.send(topic, _value(tag, i), partition=0)
            if tag == 1:
                p.abort_transaction()
            else:
                p.commit_transaction()
        compressor = p._compressor
        assert compressor is not None and compressor.compressed >= 20
    got = consume_all(kafka.bootstrap, topic)
    assert [r.value for r in got] == [_value(0, i) for i in range(per)] + [_value(2, i) for i in range(per)]

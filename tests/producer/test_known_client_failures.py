"""Failures that other Python Kafka clients shipped, each tried here against the real broker.

Every test names the failure it guards against. Read-back is by confluent-kafka
(librdkafka), an independent client; faults come from the loopback proxy in
tests/support/tcp_proxy.py, never from a mocked broker.
"""
from __future__ import annotations

import collections
import os
import threading
import time

import pytest

import purekafka.record.batch as record_batch
from purekafka import KafkaProducer
from purekafka import errors as Errors
from tests.support.readback import consume, consume_all
from tests.support.tcp_proxy import PRODUCE, FaultProxy

pytestmark = [pytest.mark.broker, pytest.mark.timeout(120)]


def _wait(cond, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout}s")
        time.sleep(0.02)


def test_sixteen_threads_lose_nothing_and_keep_each_threads_order(kafka, topic_factory) -> None:
    """Guards against lost records under concurrent send(): kafka-python once lost about 1%
    of the records that many threads sent through one shared producer. Every record of 16
    threads must be acknowledged and read back once, and within each partition each
    thread's records must be in the order that thread sent them."""
    topic = topic_factory(partitions=3)
    threads, per_thread = 16, 400
    futures: dict[int, list] = {t: [] for t in range(threads)}
    start = threading.Barrier(threads)
    errors: list[BaseException] = []

    with KafkaProducer(bootstrap_servers=kafka.bootstrap, linger_ms=2, batch_size=4096) as p:
        p.partitions_for(topic)

        def run(t: int) -> None:
            try:
                start.wait(10)
                for i in range(per_thread):
                    # Keys spread each thread over all partitions.
                    futures[t].append(p.send(topic, key=b"%d-%d" % (t, i % 7), value=b"%d:%d" % (t, i)))
            except BaseException as e:  # noqa: BLE001 - reported below
                errors.append(e)

        workers = [threading.Thread(target=run, args=(t,)) for t in range(threads)]
        for w in workers:
            w.start()
        for w in workers:
            w.join(60)
        assert not errors, errors
        p.flush(60)
    metas = {(m.partition, m.offset) for fs in futures.values() for m in (f.get(0) for f in fs)}
    total = threads * per_thread
    assert len(metas) == total  # every future succeeded, each at an offset of its own
    got = consume(kafka.bootstrap, topic, total, timeout=60)
    assert len(consume_all(kafka.bootstrap, topic, settle=0.5)) == total  # and nothing more
    assert {(r.partition, r.offset) for r in got} == metas
    seqs: dict[tuple[int, int], list[int]] = collections.defaultdict(list)
    for r in got:  # sorted by (partition, offset)
        t, i = map(int, r.value.split(b":"))
        seqs[(t, r.partition)].append(i)
    assert sorted(i for (t, _), s in seqs.items() for i in s) == sorted(list(range(per_thread)) * threads)
    for (t, partition), s in seqs.items():
        assert s == sorted(s), f"thread {t} out of order in partition {partition}"
    assert len({part for _, part in seqs}) == 3


def test_request_written_in_many_pieces_completes(kafka, topic_factory) -> None:
    """Guards against losing or corrupting a request that the socket accepts only part of at
    a time (partial writes): with a 4 KiB send buffer, one Produce request of about 600 KB is
    written in well over a hundred pieces, and must still arrive whole and in order."""
    topic = topic_factory()
    values = [os.urandom(1500) for _ in range(400)]  # incompressible, ~600 KB in one batch
    with KafkaProducer(bootstrap_servers=kafka.bootstrap, send_buffer_bytes=4096, linger_ms=500,
                       batch_size=1 << 20, max_request_size=2 << 20, enable_idempotence=False,
                       acks=1) as p:
        p.partitions_for(topic)
        futures = [p.send(topic, v, partition=0) for v in values]
        p.flush(60)
        offsets = [f.get(0).offset for f in futures]
        m = p.metrics()["producer-metrics"]
        socks = [n.sock for n in p._network.nodes.values() if n.sock is not None]
        # The kernel doubles what was asked; it is still far below one request.
        assert socks and all(s.getsockopt(1, 7) <= 16384 for s in socks)  # SOL_SOCKET, SO_SNDBUF
    assert m["batch-size-max"] > 500_000, m["batch-size-max"]  # one request of hundreds of KB
    assert offsets == list(range(400))
    got = consume(kafka.bootstrap, topic, 400, timeout=30)
    assert [r.value for r in got] == values


def _unreachable_producer(kafka, topic: str, **extra):
    """A producer that learnt ``topic``'s metadata through a proxy, which then went away:
    every broker address it knows is a closed loopback port."""
    proxy = FaultProxy(kafka.addresses).start()
    conf = dict(bootstrap_servers=proxy.bootstrap, linger_ms=5, request_timeout_ms=3000,
                reconnect_backoff_ms=20, reconnect_backoff_max_ms=200)
    conf.update(extra)
    p = KafkaProducer(**conf)
    p.partitions_for(topic)
    p.send(topic, b"reachable").get(30)
    proxy.stop()  # listeners closed: connection refused from now on
    return p


@pytest.mark.parametrize("t", [1.0, 2.0])
def test_flush_and_close_with_every_broker_unreachable_return_in_time(kafka, topic_factory, t) -> None:
    """Guards against flush(timeout) and close(timeout) hanging while no broker can be
    reached: both must return within their timeout, flush raising KafkaTimeoutError, and
    close must fail the records still pending with KafkaTimeoutError rather than leave
    their futures open."""
    topic = topic_factory(partitions=2)
    p = _unreachable_producer(kafka, topic)
    try:
        futures = [p.send(topic, b"%d" % i) for i in range(50)]
        t0 = time.monotonic()
        with pytest.raises(Errors.KafkaTimeoutError):
            p.flush(t)
        took = time.monotonic() - t0
        assert t - 0.05 <= took < t + 1.0, took
        assert not any(f.is_done for f in futures)  # delivery_timeout_ms is far away
        t0 = time.monotonic()
        p.close(t)
        took = time.monotonic() - t0
        assert took < t + 1.0, took
    finally:
        p.close(0)
    assert all(f.is_done and f.failed() for f in futures)
    for f in futures:
        with pytest.raises(Errors.KafkaTimeoutError):
            f.get(0)
        # ... and what kafka-python 3 code catches there
        assert isinstance(f.exception, Errors.IllegalStateError), f.exception


def test_close_with_bootstrap_on_a_closed_port_returns_in_time() -> None:
    """Guards against close(timeout) hanging when the bootstrap address was never reachable,
    with a send() blocked waiting for metadata in another thread: close returns within its
    timeout and the blocked send fails instead of waiting on."""
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    p = KafkaProducer(bootstrap_servers=f"127.0.0.1:{port}", max_block_ms=20_000,
                      api_version=(4, 0),  # no bootstrap in the constructor (kafka-python 3)
                      reconnect_backoff_ms=20, reconnect_backoff_max_ms=100)
    outcome: list[BaseException | object] = []

    def blocked_send() -> None:
        try:
            outcome.append(p.send("anything", b"v"))
        except BaseException as e:  # noqa: BLE001 - the outcome is the finding
            outcome.append(e)

    th = threading.Thread(target=blocked_send)
    th.start()
    try:
        _wait(lambda: "anything" in p._cluster.wanted, 10, "send() waiting for the topic's metadata")
        t0 = time.monotonic()
        p.close(1.0)
        assert time.monotonic() - t0 < 2.0
        th.join(5)
        assert not th.is_alive(), "send() still blocked after close()"
    finally:
        p.close(0)
        th.join(30)
    assert len(outcome) == 1 and isinstance(outcome[0], Errors.KafkaError), outcome


def test_expired_batches_complete_their_futures_with_a_timeout(kafka, topic_factory) -> None:
    """Guards against batches that pass delivery_timeout_ms being dropped without completing
    their futures (callers blocked in get() forever, errbacks never called): every record,
    whether its batch was on the wire or still queued, fails with KafkaTimeoutError, each
    errback runs once, no callback runs."""
    topic = topic_factory(partitions=2)
    errbacks: list[BaseException] = []
    callbacks: list[object] = []
    with FaultProxy(kafka.addresses) as proxy:
        p = KafkaProducer(bootstrap_servers=proxy.bootstrap, linger_ms=5, batch_size=512,
                          request_timeout_ms=1000, delivery_timeout_ms=1500, retry_backoff_ms=50,
                          max_in_flight_requests_per_connection=1)
        try:
            p.partitions_for(topic)
            p.send(topic, b"warm").get(30)
            proxy.hold(PRODUCE)  # the first requests stall on the wire; the rest stay queued
            futures = []
            for i in range(200):
                f = p.send(topic, b"%03d" % i + b"." * 60, partition=i % 2)
                f.add_callback(callbacks.append)
                f.add_errback(errbacks.append)
                futures.append(f)
            _wait(lambda: all(f.is_done for f in futures), 20, "futures of expired batches completed")
            _wait(lambda: len(errbacks) == len(futures), 5, "errbacks ran")
        finally:
            p.close(0)
    assert proxy.stats.held >= 1, proxy.stats  # some batches were on the wire when they expired
    assert callbacks == []
    assert len(errbacks) == 200 and all(isinstance(e, Errors.KafkaTimeoutError) for e in errbacks), \
        {type(e).__name__ for e in errbacks}
    for f in futures:
        with pytest.raises(Errors.KafkaTimeoutError):
            f.get(0)


def test_a_batch_retried_many_times_is_compressed_once(kafka, topic_factory, monkeypatch) -> None:
    """Guards against compressing a batch again on every retry (the codec's cost paid per
    attempt, and a retried batch's bytes rebuilt under the same idempotent sequence): while
    the proxy cuts Produce requests and the producer retries them, the codec sees each
    batch's records exactly once."""
    topic = topic_factory()
    calls: collections.Counter[bytes] = collections.Counter()
    real = record_batch.compress

    def counting(codec, data, level=None):
        calls[bytes(data)] += 1
        return real(codec, data, level)

    monkeypatch.setattr(record_batch, "compress", counting)
    drops = 6
    with FaultProxy(kafka.addresses) as proxy:
        with KafkaProducer(bootstrap_servers=proxy.bootstrap, compression_type="gzip", linger_ms=20,
                           retry_backoff_ms=20, reconnect_backoff_ms=20, request_timeout_ms=5000) as p:
            p.partitions_for(topic)
            for _ in range(drops):
                proxy.drop_mid_request(PRODUCE)
            futures = [p.send(topic, b"record %04d " % i * 20) for i in range(300)]
            p.flush(60)
            retries = p.metrics()["producer-metrics"]["record-retry-total"]
        assert proxy.stats.mid_request_drops == drops, proxy.stats
    assert [f.get(0).offset for f in futures] == list(range(300))
    assert retries >= drops, retries  # the same batches went out again, several times
    assert calls and max(calls.values()) == 1, max(calls.values())
    assert [r.value for r in consume(kafka.bootstrap, topic, 300)] == [b"record %04d " % i * 20 for i in range(300)]


def test_producer_recovers_by_itself_when_every_broker_comes_back(kafka, topic_factory) -> None:
    """Guards against a producer that stays broken after all its brokers went away and came
    back, so that only a new producer works again: records sent during the outage are
    delivered once each when the brokers are back, within delivery_timeout_ms, by the same
    producer, and later sends work too."""
    topic = topic_factory(partitions=2)
    with FaultProxy(kafka.addresses) as proxy:
        with KafkaProducer(bootstrap_servers=proxy.bootstrap, linger_ms=5, request_timeout_ms=2000,
                           delivery_timeout_ms=60_000, retry_backoff_ms=50, reconnect_backoff_ms=50,
                           reconnect_backoff_max_ms=500, metadata_max_age_ms=1000) as p:
            before = [p.send(topic, b"before-%d" % i) for i in range(50)]
            p.flush(30)
            proxy.refuse()  # every broker down
            during = [p.send(topic, b"during-%d" % i) for i in range(200)]
            # The producer keeps trying to connect and is turned away, for a while.
            _wait(lambda: proxy.stats.refused_down >= 3, 20, "reconnect attempts during the outage")
            assert not any(f.is_done for f in during)
            proxy.accept()  # the brokers are back
            p.flush(45)
            after = [p.send(topic, b"after-%d" % i) for i in range(50)]
            p.flush(30)
        outage = proxy.stats.refused_down
    assert outage >= 3
    for f in before + during + after:
        assert f.succeeded(), f.exception
    expected = sorted([b"before-%d" % i for i in range(50)] + [b"during-%d" % i for i in range(200)]
                      + [b"after-%d" % i for i in range(50)])
    got = consume(kafka.bootstrap, topic, len(expected))
    assert sorted(r.value for r in consume_all(kafka.bootstrap, topic, settle=0.5)) == expected  # each once
    assert {(r.partition, r.offset) for r in got} == {(f.get(0).partition, f.get(0).offset)
                                                       for f in before + during + after}

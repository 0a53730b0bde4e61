"""Error paths of KafkaProducer, each against the real broker (or a port nobody listens on)."""
from __future__ import annotations

import os
import socket
import threading
import time

import pytest

from purekafka import KafkaProducer
from purekafka import errors as Errors
from tests.support.broker_pause import paused
from tests.support.readback import consume


def _dead_address() -> str:
    # A port that was free a moment ago: nothing listens there.
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return f"127.0.0.1:{port}"


# -- no broker needed ------------------------------------------------------------------

def test_unknown_setting_is_refused_with_a_hint() -> None:
    with pytest.raises(Errors.KafkaConfigurationError, match="linger_ms"):
        KafkaProducer(bootstrap_servers=_dead_address(), lingr_ms=5)


def test_security_settings_that_cannot_work_are_refused_clearly() -> None:
    # TLS and SASL are supported now (tests/io); what cannot work still fails in the
    # constructor, naming the setting, before any connection is tried.
    with pytest.raises(Errors.KafkaConfigurationError, match="ssl_cafile"):
        KafkaProducer(bootstrap_servers=_dead_address(), security_protocol="SSL",
                      ssl_cafile="/nonexistent/ca.pem")
    with pytest.raises(Errors.KafkaConfigurationError, match="sasl_mechanism"):
        KafkaProducer(bootstrap_servers=_dead_address(), security_protocol="SASL_PLAINTEXT")


def test_broker_down_at_start_times_out_after_max_block_ms() -> None:
    before = threading.active_count()
    # api_version skips the constructor's bootstrap (kafka-python 3), so send() is what waits.
    p = KafkaProducer(bootstrap_servers=_dead_address(), max_block_ms=800, api_version=(4, 0),
                      reconnect_backoff_ms=20, reconnect_backoff_max_ms=100)
    t0 = time.monotonic()
    with pytest.raises(Errors.KafkaTimeoutError):
        p.send("anything", b"v")
    elapsed = time.monotonic() - t0
    assert 0.7 <= elapsed < 5, elapsed
    assert not p.bootstrap_connected()
    t0 = time.monotonic()
    p.close()
    assert time.monotonic() - t0 < 5
    assert threading.active_count() == before


def test_send_after_close_raises() -> None:
    p = KafkaProducer(bootstrap_servers=_dead_address(), api_version=(4, 0))
    p.close()
    with pytest.raises(Errors.IllegalStateError):
        p.send("t", b"v")


def test_bad_header_name_raises_a_clear_error() -> None:
    p = KafkaProducer(bootstrap_servers=_dead_address(), max_block_ms=100, api_version=(4, 0))
    try:
        with pytest.raises(ValueError, match="UTF-8"):
            p.send("t", b"v", headers=[("\ud800", b"x")])
        with pytest.raises(TypeError, match="headers"):
            p.send("t", b"v", headers=[("k", "not bytes")])
        with pytest.raises(ValueError, match="key or value"):
            p.send("t")
    finally:
        p.close()


# -- against the broker ----------------------------------------------------------------

@pytest.mark.broker
def test_unknown_topic_with_auto_create_off(kafka) -> None:
    topic = f"never-created-{os.getpid()}-{time.monotonic_ns()}"
    with KafkaProducer(bootstrap_servers=kafka.bootstrap, allow_auto_create_topics=False,
                       max_block_ms=1500) as p:
        with pytest.raises(Errors.KafkaTimeoutError, match="metadata"):
            p.send(topic, b"v")
    assert topic not in kafka.metadata([topic]).leaders or not kafka.metadata([topic]).leaders[topic]


@pytest.mark.broker
def test_record_larger_than_max_request_size_fails_only_that_send(kafka, topic_factory) -> None:
    topic = topic_factory()
    with KafkaProducer(bootstrap_servers=kafka.bootstrap, max_request_size=2000) as p:
        small1 = p.send(topic, b"a")
        with pytest.raises(Errors.MessageSizeTooLargeError):  # raised by send(), as kafka-python 3
            p.send(topic, b"x" * 5000)
        small2 = p.send(topic, b"b")
        p.flush(30)
    assert (small1.get(1).offset, small2.get(1).offset) == (0, 1)
    assert [c.value for c in consume(kafka.bootstrap, topic, 2)] == [b"a", b"b"]


@pytest.mark.broker
def test_broker_rejection_fails_that_batch_only(kafka, topic_factory) -> None:
    # The broker's own size limit (max.message.bytes) refuses the batch: a
    # non-retriable error for that partition, while another partition succeeds.
    big_topic = topic_factory(config={"max.message.bytes": "1000"})
    ok_topic = topic_factory()
    with KafkaProducer(bootstrap_servers=kafka.bootstrap, linger_ms=20) as p:
        rejected = p.send(big_topic, b"y" * 3000)
        fine = p.send(ok_topic, b"z")
        p.flush(30)
    with pytest.raises(Errors.MessageSizeTooLargeError):
        rejected.get(1)
    assert fine.get(1).offset == 0


@pytest.mark.broker
def test_buffer_full_blocks_max_block_ms_then_times_out(kafka, topic_factory) -> None:
    topic = topic_factory()
    p = KafkaProducer(bootstrap_servers=kafka.bootstrap, buffer_memory=4000, max_block_ms=700,
                      batch_size=1024)
    futures = []
    try:
        p.partitions_for(topic)
        with paused(kafka):
            with pytest.raises(Errors.KafkaTimeoutError, match="memory"):
                for _ in range(100):
                    t0 = time.monotonic()
                    futures.append(p.send(topic, b"m" * 500))
            assert 0.6 <= time.monotonic() - t0 < 5
            # The bound held: only about buffer_memory bytes were taken.
            assert 3 <= len(futures) < 10, len(futures)
            m = p.metrics()["producer-metrics"]
            assert m["buffer-available-bytes"] < 1000
            assert m["bufferpool-wait-ratio"] > 0 and m["bufferpool-wait-time-total"] >= 0.6e9
            t0 = time.monotonic()
            p.close(0)
            assert time.monotonic() - t0 < 5
    finally:
        p.close(0)
    # close(0) failed the pending futures promptly.
    assert all(f.is_done and f.failed() for f in futures)


@pytest.mark.broker
def test_delivery_timeout_fails_the_record(kafka, topic_factory) -> None:
    topic = topic_factory()
    with KafkaProducer(bootstrap_servers=kafka.bootstrap, request_timeout_ms=1000,
                       delivery_timeout_ms=1500, retry_backoff_ms=50) as p:
        p.partitions_for(topic)
        with paused(kafka):
            t0 = time.monotonic()
            f = p.send(topic, b"v")
            with pytest.raises(Errors.KafkaTimeoutError):
                f.get(10)
            elapsed = time.monotonic() - t0
        assert 1.4 <= elapsed < 5, elapsed
        assert p.send(topic, b"after").get(30).partition == 0  # and the producer recovers


@pytest.mark.broker
def test_flush_timeout_raises_then_flush_completes(kafka, topic_factory) -> None:
    topic = topic_factory()
    with KafkaProducer(bootstrap_servers=kafka.bootstrap) as p:
        p.partitions_for(topic)
        with paused(kafka):
            f = p.send(topic, b"v")
            with pytest.raises(Errors.KafkaTimeoutError):
                p.flush(0.5)
        p.flush(30)
        assert f.get(0).offset == 0
    assert [c.value for c in consume(kafka.bootstrap, topic, 1)] == [b"v"]


@pytest.mark.broker
def test_close_zero_with_records_pending(kafka, topic_factory) -> None:
    topic = topic_factory()
    p = KafkaProducer(bootstrap_servers=kafka.bootstrap, linger_ms=60_000, batch_size=1 << 20)
    p.partitions_for(topic)
    futures = [p.send(topic, b"%d" % i) for i in range(100)]
    t0 = time.monotonic()
    p.close(0)
    assert time.monotonic() - t0 < 2
    assert all(f.is_done and f.failed() for f in futures)
    with pytest.raises(Errors.KafkaError, match="forcefully"):
        futures[0].get(0)


@pytest.mark.broker
def test_close_flushes(kafka, topic_factory) -> None:
    topic = topic_factory()
    p = KafkaProducer(bootstrap_servers=kafka.bootstrap, linger_ms=1000)
    futures = [p.send(topic, b"%d" % i) for i in range(10)]
    p.close()
    assert [f.get(0).offset for f in futures] == list(range(10))


@pytest.mark.broker
def test_callbacks_run_and_a_failing_callback_is_not_fatal(kafka, topic_factory, caplog) -> None:
    topic = topic_factory()
    seen: list[int] = []
    errors: list[BaseException] = []
    done = threading.Event()
    # The broker refuses the big record (a record over max_request_size would raise from send()).
    small_topic = topic_factory(config={"max.message.bytes": "1000"})
    with KafkaProducer(bootstrap_servers=kafka.bootstrap) as p:
        p.send(topic, b"a").add_callback(lambda m: 1 / 0)
        p.send(topic, b"b").add_callback(lambda m: seen.append(m.offset))
        p.send(topic, b"c").add_callback(lambda tag, m: seen.append((tag, m.offset)), "tag")
        p.send(small_topic, b"x" * 5000).add_errback(errors.append)
        p.send(topic, b"d").add_both(lambda r: done.set())
        p.flush(30)
        assert done.wait(5)
        late: list[int] = []
        f = p.send(topic, b"e")
        f.get(10)
        f.add_callback(lambda m: late.append(m.offset))  # already done: runs at once
    assert seen == [1, ("tag", 2)]
    assert late == [4]
    assert len(errors) == 1 and isinstance(errors[0], Errors.MessageSizeTooLargeError)
    assert "Error processing callback" in caplog.text


@pytest.mark.broker
def test_use_after_fork_fails_clearly(kafka, topic_factory) -> None:
    topic = topic_factory()
    with KafkaProducer(bootstrap_servers=kafka.bootstrap) as p:
        p.send(topic, b"parent").get(30)
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:  # child: must fail fast, not hang on a thread that is not there
            code = 1
            try:
                p.send(topic, b"child")
            except Errors.IllegalStateError as e:
                code = 0 if "fork" in str(e) else 2
            except BaseException:
                code = 3
            os.write(w, bytes([code]))
            os._exit(0)
        os.close(w)
        try:
            got = os.read(r, 1)
        finally:
            os.close(r)
            os.waitpid(pid, 0)
        assert got == b"\x00"
        p.send(topic, b"parent again").get(30)  # the parent's producer is unaffected


@pytest.mark.broker
def test_no_thread_or_socket_leak_over_many_producers(kafka, topic_factory) -> None:
    topic = topic_factory()

    def fds() -> int:
        return len(os.listdir("/proc/self/fd"))

    with KafkaProducer(bootstrap_servers=kafka.bootstrap) as warm:
        warm.send(topic, b"warm").get(30)
    threads0, fds0 = threading.active_count(), fds()
    for i in range(25):
        p = KafkaProducer(bootstrap_servers=kafka.bootstrap)
        p.send(topic, b"%d" % i).get(30)
        if i % 2:
            p.close()
        else:
            p.close(0)
    assert threading.active_count() == threads0
    assert fds() <= fds0


@pytest.mark.broker
def test_partitions_for_and_metrics(kafka, topic_factory) -> None:
    topic = topic_factory(partitions=4)
    with KafkaProducer(bootstrap_servers=kafka.bootstrap, compression_type="gzip") as p:
        assert p.partitions_for(topic) == {0, 1, 2, 3}
        assert p.bootstrap_connected()
        for i in range(200):
            p.send(topic, b"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", key=b"%d" % i)
        p.flush(30)
        m = p.metrics()["producer-metrics"]
    for name in ("record-send-rate", "record-error-rate", "record-retry-rate", "batch-size-avg",
                 "compression-rate-avg", "request-latency-avg", "request-latency-max",
                 "records-per-request-avg", "buffer-available-bytes"):
        assert name in m
    assert m["record-send-total"] >= 200
    assert m["compression-rate-avg"] < 1.0
    assert m["buffer-available-bytes"] == 33554432
    assert 0 < m["batch-size-avg"] <= m["batch-size-max"]
    assert m["record-size-avg"] > 32 and m["request-latency-max"] >= m["request-latency-avg"] > 0
    assert m["record-queue-time-max"] >= m["record-queue-time-avg"] >= 0
    assert m["bufferpool-wait-ratio"] == 0 and m["waiting-threads"] == 0


@pytest.mark.broker
@pytest.mark.parametrize("idempotent", [True, False])
def test_batch_over_the_brokers_limit_is_split(kafka, topic_factory, idempotent) -> None:
    # Batches of up to 16 KiB to a topic that takes 1000-byte batches: the producer
    # halves rejected batches until they fit, keeping every record and the order.
    topic = topic_factory(config={"max.message.bytes": "1000"})
    extra = {} if idempotent else {"enable_idempotence": False, "acks": 1}
    with KafkaProducer(bootstrap_servers=kafka.bootstrap, linger_ms=50, **extra) as p:
        futures = [p.send(topic, b"%03d" % i + b"." * 90) for i in range(60)]
        p.flush(30)
        offsets = [f.get(0).offset for f in futures]
    assert offsets == list(range(60))
    got = consume(kafka.bootstrap, topic, 60)
    assert [c.value[:3] for c in got] == [b"%03d" % i for i in range(60)]


@pytest.mark.broker
def test_invalid_topic_name_fails_the_future(kafka) -> None:
    with KafkaProducer(bootstrap_servers=kafka.bootstrap, max_block_ms=5000) as p:
        f = p.send("bad topic name!", b"v")
        with pytest.raises(Errors.BrokerResponseError):
            f.get(1)
        assert f.failed()


@pytest.mark.broker
def test_flush_and_close_from_a_callback_do_not_deadlock(kafka, topic_factory) -> None:
    topic = topic_factory()
    outcome: list[object] = []
    p = KafkaProducer(bootstrap_servers=kafka.bootstrap)

    def cb(meta) -> None:
        try:
            p.flush()
        except Errors.IllegalStateError as e:
            outcome.append(e)
        p.close()
        outcome.append("closed")

    p.send(topic, b"v").add_callback(cb)
    deadline = time.monotonic() + 20
    while len(outcome) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert isinstance(outcome[0], Errors.IllegalStateError) and outcome[1] == "closed"
    p._io.join(10)
    assert not p._io.is_alive()


@pytest.mark.broker
def test_batch_on_the_wire_fails_at_delivery_timeout_then_producer_recovers(kafka, topic_factory) -> None:
    # KIP-91: delivery_timeout_ms bounds the wait even while the request is stalled
    # in flight (its request timeout would come later); the late answer must not
    # block the partition's sequences afterwards.
    from tests.support.tcp_proxy import PRODUCE, FaultProxy

    topic = topic_factory()
    with FaultProxy(kafka.addresses) as proxy:
        with KafkaProducer(bootstrap_servers=proxy.bootstrap, request_timeout_ms=5000,
                           delivery_timeout_ms=6000, retry_backoff_ms=100) as p:
            p.partitions_for(topic)
            p.send(topic, b"first").get(30)
            proxy.hold(PRODUCE)
            t0 = time.monotonic()
            stuck = p.send(topic, b"stuck")
            with pytest.raises(Errors.KafkaTimeoutError, match="in flight|since batch creation"):
                stuck.get(20)
            took = time.monotonic() - t0
            proxy.release()
            after = [p.send(topic, b"after-%d" % i) for i in range(5)]
            p.flush(30)
            assert all(f.succeeded() for f in after), [f.exception for f in after]
    assert 5.5 <= took < 7.0, took
    values = [c.value for c in consume(kafka.bootstrap, topic, 6, timeout=20)]
    # "stuck" may or may not have landed (its fate is unknown, as in Java); nothing repeats.
    assert values[0] == b"first" and values[-5:] == [b"after-%d" % i for i in range(5)]
    assert len(values) == len(set(values))

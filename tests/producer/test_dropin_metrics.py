"""metrics(), its settings and max_usable_produce_magic(), as kafka-python 3 has them.

Broker tests send records of known sizes and check the counts against sizes worked out
here from the v2 record layout, not from the code under test.
"""
from __future__ import annotations

import time
from typing import Any, Callable

import pytest

from purekafka import KafkaProducer
from purekafka import errors as Errors
from purekafka.core.metrics import KafkaMetric, MetricName
from tests.support.broker_pause import paused
from tests.support.kafka import LocalKafka

_BATCH_HEADER = 61  # RecordBatch v2 header, before the first record


def _varint_len(n: int) -> int:
    z = (n << 1) ^ (n >> 63)
    size = 1
    while z >= 0x80:
        z >>= 7
        size += 1
    return size


def _record_size(value_len: int) -> int:
    """A v2 record with no key and no headers, alone in its batch (all deltas 0)."""
    body = 1 + 1 + 1 + _varint_len(-1) + _varint_len(value_len) + value_len + _varint_len(0)
    return _varint_len(body) + body


def _wait_for(cond: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.02)
    return cond()


# -- no broker needed ------------------------------------------------------------------

def test_max_usable_produce_magic_as_kafka_python() -> None:
    assert KafkaProducer.max_usable_produce_magic((0, 11)) == 2
    assert KafkaProducer.max_usable_produce_magic((4, 0)) == 2
    assert KafkaProducer.max_usable_produce_magic((0, 10, 1)) == 1
    assert KafkaProducer.max_usable_produce_magic((0, 9)) == 0
    # No version given: what purekafka writes, as it offers only Produce v3+.
    assert KafkaProducer.max_usable_produce_magic() == 2


@pytest.mark.parametrize("configs, names", [
    ({"metric_reporters": ["org.apache.kafka.common.metrics.JmxReporter"]}, "metric_reporters"),
    ({"metric.reporters": "org.apache.kafka.common.metrics.JmxReporter"}, "metric_reporters=.*Java"),
    ({"metrics_sample_window_ms": 0}, "metrics_sample_window_ms"),
    ({"metrics_num_samples": 0}, "metrics_num_samples"),
])
def test_metrics_settings_that_cannot_work_are_refused(configs: dict[str, Any], names: str) -> None:
    with pytest.raises(Errors.KafkaConfigurationError, match=names):
        KafkaProducer(bootstrap_servers="127.0.0.1:1", **configs)


class _NotAReporter:
    pass


def test_a_reporter_class_without_the_reporter_methods_is_refused() -> None:
    with pytest.raises(Errors.KafkaConfigurationError, match="_NotAReporter lacks init, metric_change, close"):
        KafkaProducer(bootstrap_servers="127.0.0.1:1", metric_reporters=[_NotAReporter])


# -- against the broker ----------------------------------------------------------------

@pytest.mark.broker
def test_counts_and_bytes_match_what_was_sent(kafka: LocalKafka, topic_factory: Callable[..., str]) -> None:
    topic = topic_factory()
    sizes = [1, 10, 63, 64, 200, 1000, 5000]
    with KafkaProducer(bootstrap_servers=kafka.bootstrap, linger_ms=0) as p:
        for n in sizes:
            # One record per batch and per request: each send is flushed alone.
            p.send(topic, b"v" * n, partition=0)
            p.flush(30)
        g = p.metrics()
        assert g is not None
        m = g["producer-metrics"]
        t = g[f"producer-topic-metrics.{topic}"]
        assert _wait_for(lambda: p.metrics()["producer-metrics"]["requests-in-flight"] == 0)  # type: ignore[index]
    expected = sum(_BATCH_HEADER + _record_size(n) for n in sizes)
    assert m["record-send-total"] == len(sizes) == t["record-send-total"]
    assert m["byte-total"] == expected == t["byte-total"]
    assert m["record-size-max"] == _record_size(max(sizes))
    assert m["record-size-avg"] == pytest.approx(sum(_record_size(n) for n in sizes) / len(sizes))
    assert m["batch-size-max"] == _BATCH_HEADER + _record_size(max(sizes))
    assert m["request-total"] >= len(sizes)
    assert m["byte-rate"] > 0 and t["byte-rate"] > 0 and m["record-send-rate"] > 0
    assert m["record-error-total"] == 0 and m["record-retry-total"] == 0
    assert m["connection-creation-total"] >= 1 and m["connection-creation-rate"] > 0
    assert 0 <= m["metadata-age"] < 60
    assert t["compression-rate"] == pytest.approx(1.0, abs=0.05)  # no compression: about 1


@pytest.mark.broker
def test_requests_in_flight_counts_unanswered_requests(kafka: LocalKafka,
                                                       topic_factory: Callable[..., str]) -> None:
    topic = topic_factory()
    with KafkaProducer(bootstrap_servers=kafka.bootstrap) as p:
        p.send(topic, b"warm").get(30)

        def in_flight() -> float:
            return p.metrics()["producer-metrics"]["requests-in-flight"]  # type: ignore[index]

        with paused(kafka):
            p.send(topic, b"held")
            # The request is written to the frozen broker and waits for its answer.
            assert _wait_for(lambda: in_flight() >= 1, 3.0)
        p.flush(30)
        assert _wait_for(lambda: in_flight() == 0)


@pytest.mark.broker
def test_a_group_per_topic_with_java_names(kafka: LocalKafka, topic_factory: Callable[..., str]) -> None:
    topics = [topic_factory(partitions=2) for _ in range(3)]
    counts = {t: 5 * (i + 1) for i, t in enumerate(topics)}
    with KafkaProducer(bootstrap_servers=kafka.bootstrap, compression_type="gzip") as p:
        for t, n in counts.items():
            for i in range(n):
                p.send(t, b"x" * 100, key=b"%d" % i)
        p.flush(30)
        g = p.metrics()
        raw = p.metrics(raw=True)
    assert g is not None and raw is not None
    for t, n in counts.items():
        group = g[f"producer-topic-metrics.{t}"]
        for name in ("record-send-rate", "byte-rate", "compression-rate", "record-error-rate",
                     "record-retry-rate"):
            assert name in group, (t, name)
        assert group["record-send-total"] == n
        assert group["compression-rate"] < 1.0  # gzip of repeated bytes
    assert g["producer-metrics"]["record-send-total"] == sum(counts.values())
    assert g["producer-metrics"]["byte-total"] == sum(
        g[f"producer-topic-metrics.{t}"]["byte-total"] for t in topics)
    # raw: kafka-python's {MetricName: KafkaMetric}, the topic as a tag.
    assert all(isinstance(k, MetricName) and isinstance(v, KafkaMetric) for k, v in raw.items())
    tagged = {k.tags.get("topic") for k in raw if k.group.startswith("producer-topic-metrics.")}
    assert tagged == set(topics)
    key = next(k for k in raw if k.name == "record-send-total" and k.group == "producer-metrics")
    assert raw[key].value() == sum(counts.values())


@pytest.mark.broker
def test_metrics_disabled_gives_none(kafka: LocalKafka, topic_factory: Callable[..., str]) -> None:
    topic = topic_factory()
    with KafkaProducer(bootstrap_servers=kafka.bootstrap, metrics_enabled=False) as p:
        p.send(topic, b"v").get(30)
        assert p.metrics() is None
        assert p.metrics(raw=True) is None
        assert p._sender.metrics is None and p._network.metrics is None


@pytest.mark.broker
def test_sample_windows_are_honoured(kafka: LocalKafka, topic_factory: Callable[..., str]) -> None:
    topic = topic_factory()
    with KafkaProducer(bootstrap_servers=kafka.bootstrap, metrics_num_samples=2,
                       metrics_sample_window_ms=200) as p:
        for _ in range(10):
            p.send(topic, b"v")
        p.flush(30)
        m = p.metrics()["producer-metrics"]  # type: ignore[index]
        # 10 records over at most 2 x 200 ms of windows: a rate of 25/s or more.
        assert m["record-send-rate"] >= 10 / 0.4 - 1e-9
        time.sleep(0.5)  # both windows have expired
        m = p.metrics()["producer-metrics"]  # type: ignore[index]
    assert m["record-send-rate"] == 0.0
    assert m["record-send-total"] == 10  # totals are not windowed


class _Reporter:
    instances: list[_Reporter] = []

    def __init__(self) -> None:
        self.inited: list[Any] | None = None
        self.changed: list[MetricName] = []
        self.closed = False
        _Reporter.instances.append(self)

    def init(self, metrics: list[Any]) -> None:
        self.inited = list(metrics)

    def metric_change(self, metric: KafkaMetric) -> None:
        self.changed.append(metric.metric_name)

    def metric_removal(self, metric: KafkaMetric) -> None:
        raise AssertionError("no metric is removed")

    def close(self) -> None:
        self.closed = True


@pytest.mark.broker
def test_reporters_hear_every_metric(kafka: LocalKafka, topic_factory: Callable[..., str]) -> None:
    topic = topic_factory()
    _Reporter.instances.clear()
    with KafkaProducer(bootstrap_servers=kafka.bootstrap, metric_reporters=[_Reporter],
                       client_id="reported") as p:
        p.send(topic, b"v").get(30)
        raw = p.metrics(raw=True)
        assert raw is not None
        (rep,) = _Reporter.instances
        assert rep.inited == [] and not rep.closed
        assert set(rep.changed) == set(raw)
        assert any(n.group == f"producer-topic-metrics.{topic}" for n in rep.changed)
        assert all(n.tags["client-id"] == "reported" for n in rep.changed)
    assert rep.closed


@pytest.mark.broker
def test_names_cover_kafka_pythons(kafka: LocalKafka, topic_factory: Callable[..., str]) -> None:
    """Every name kafka-python's sender reports (its producer-metrics group also carries its
    network client's selector metrics, which purekafka does not have), and its topic groups."""
    import kafka as kp

    topic = topic_factory()
    theirs = kp.KafkaProducer(bootstrap_servers=kafka.bootstrap)
    try:
        theirs.send(topic, b"v").get(30)
        their = theirs.metrics()
    finally:
        theirs.close()
    with KafkaProducer(bootstrap_servers=kafka.bootstrap) as p:
        p.send(topic, b"v").get(30)
        ours = p.metrics()
    assert ours is not None
    group = f"producer-topic-metrics.{topic}"
    assert set(their[group]) <= set(ours[group])
    sender_names = {"batch-size-avg", "batch-size-max", "compression-rate-avg", "record-queue-time-avg",
                    "record-queue-time-max", "record-send-rate", "records-per-request-avg", "byte-rate",
                    "record-retry-rate", "record-error-rate", "record-size-max", "record-size-avg",
                    "requests-in-flight", "metadata-age", "connection-creation-rate",
                    "connection-close-rate", "request-rate", "connection-count"}
    assert sender_names <= set(their["producer-metrics"])
    assert sender_names <= set(ours["producer-metrics"])
    assert set(their["kafka-metrics-count"]) == set(ours["kafka-metrics-count"]) == {"count"}

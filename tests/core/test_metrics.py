"""core.metrics: sampled windows, Java's metric names, reporters; all with the time passed in."""
from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from purekafka.core.accumulator import ProducerBatch
from purekafka.core.metrics import KafkaMetric, MetricConfig, MetricName, ProducerMetrics, SampledStat
from purekafka.record import CompressionType, RecordBatchBuilder


def _stat(samples: int = 2, window_ms: float = 1000.0, now: float = 0.0) -> SampledStat:
    return SampledStat(MetricConfig(samples, window_ms), now)


def test_rate_divides_by_at_least_samples_minus_one_windows() -> None:
    s = _stat(samples=3, window_ms=1000.0)
    s.record(60, 100.0)
    # 100 ms in: the young producer still divides by 2 whole windows plus what has passed.
    assert s.rate(100.0) == pytest.approx(60 / 2.1)


def test_old_windows_stop_counting() -> None:
    s = _stat(samples=2, window_ms=1000.0)
    s.record(10, 0.0)
    s.record(20, 1500.0)  # opens the second window
    assert s.rate(1500.0) == pytest.approx(30 / 1.5)  # 1.5 s since the oldest window opened
    assert s.avg(1500.0) == 15.0 and s.max(1500.0) == 20.0
    # 2 x 1000 ms after the first window opened, its value no longer counts.
    assert s.max(2000.0) == 20.0 and s.avg(2000.0) == 20.0
    assert s.rate(4000.0) == 0.0 and s.avg(4000.0) == 0.0 and s.max(4000.0) == -math.inf


@given(st.lists(st.tuples(st.floats(0, 1e6), st.floats(0, 10_000)), min_size=1, max_size=40),
       st.integers(1, 5), st.floats(1, 5000))
def test_sampled_values_stay_within_what_was_recorded(events: list[tuple[float, float]], samples: int,
                                                      window: float) -> None:
    s = _stat(samples, window)
    now = 0.0
    for value, step in events:
        now += step
        s.record(value, now)
    live = [v for v, _ in events]
    assert 0.0 <= s.avg(now) <= max(live)
    m = s.max(now)
    assert m == -math.inf or m in live
    assert s.rate(now) >= 0.0
    if samples > 1:  # the rate divides by at least samples - 1 whole windows
        assert s.rate(now) <= sum(live) / ((samples - 1) * window / 1000.0) * (1 + 1e-9)


@pytest.mark.parametrize("samples, window", [(0, 1000.0), (2, 0.0)])
def test_config_needs_a_window(samples: int, window: float) -> None:
    with pytest.raises(ValueError):
        MetricConfig(samples, window)


def test_metric_names_compare_by_name_group_and_tags() -> None:
    a = MetricName("byte-rate", "producer-metrics", "x", {"client-id": "c"})
    assert a == MetricName("byte-rate", "producer-metrics", "other description", {"client-id": "c"})
    assert a != MetricName("byte-rate", "producer-metrics", "x", {"client-id": "d"})
    assert len({a, MetricName("byte-rate", "producer-metrics", "", {"client-id": "c"})}) == 1
    a.tags["client-id"] = "changed"  # a copy: the name stays hashable as it was
    assert a.tags == {"client-id": "c"}


def _batch(topic: str, values: list[bytes], now: float) -> ProducerBatch:
    b = ProducerBatch((topic, 0), RecordBatchBuilder(CompressionType.NONE, None, 1 << 20), now)
    for v in values:
        size = b.builder.append(0, None, v) if b.builder else None
        assert size is not None
        b.max_record_size = max(b.max_record_size, size)
        b.record_count += 1
    b.close()
    return b


class _Reporter:
    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []

    def init(self, metrics: list[KafkaMetric]) -> None:
        self.calls.append(("init", list(metrics)))

    def metric_change(self, metric: KafkaMetric) -> None:
        self.calls.append(("change", metric.metric_name))

    def close(self) -> None:
        self.calls.append(("close", None))


def test_events_feed_totals_rates_and_topic_groups() -> None:
    clock = [0.0]
    rep = _Reporter()
    m = ProducerMetrics(MetricConfig(2, 1000.0), 0.0, lambda: clock[0], [rep], {"client-id": "c1"})
    b1 = _batch("a", [b"x" * 10, b"x" * 300], 0.0)
    b2 = _batch("b", [b"y" * 50], 0.0)
    m.on_produce_request([b1, b2], 400.0)
    m.on_response(12.0, 420.0)
    m.on_throttle(0.0, 420.0)
    m.on_retry("a", 2, 430.0)
    m.on_error("b", 1, 440.0)
    m.on_connection_created(10.0)
    clock[0] = 500.0
    g = m.grouped(500.0)
    p = g["producer-metrics"]
    assert p["record-send-total"] == 3.0 and p["request-total"] == 1.0
    assert p["byte-total"] == float(len(b1.buffer or b"") + len(b2.buffer or b""))
    assert p["record-size-max"] == float(b1.max_record_size) > 300
    assert p["batch-size-max"] == float(len(b1.buffer or b""))
    assert p["record-retry-total"] == 2.0 and p["record-error-total"] == 1.0
    assert p["request-latency-max"] == 12.0 and p["connection-creation-total"] == 1.0
    # The rate is over one whole window (samples - 1) plus the 500 ms gone.
    assert p["record-send-rate"] == pytest.approx(3 / 1.5)
    assert g["producer-topic-metrics.a"]["record-send-total"] == 2.0
    assert g["producer-topic-metrics.a"]["record-retry-total"] == 2.0
    assert g["producer-topic-metrics.b"]["record-error-total"] == 1.0
    assert g["producer-topic-metrics.b"]["byte-total"] == float(len(b2.buffer or b""))
    assert g["producer-topic-metrics.a"]["compression-rate"] == pytest.approx(1.0, rel=0.2)
    # Reporters heard init([]) first, then of every metric as it was registered, topics too.
    assert rep.calls[0] == ("init", [])
    heard = {c[1] for c in rep.calls[1:]}
    assert heard == set(m.metrics)
    assert MetricName("byte-rate", "producer-topic-metrics.b", "", {"client-id": "c1", "topic": "b"}) in heard
    m.close()
    assert rep.calls[-1] == ("close", None)
    # value() without a time reads the clock it was given.
    metric = m.metrics[MetricName("record-send-total", "producer-metrics", "", {"client-id": "c1"})]
    assert metric.value() == 3.0


def test_gauges_read_the_state_they_are_given() -> None:
    from purekafka.core.accumulator import Accumulator
    from purekafka.core.cluster import Cluster

    acc = Accumulator(lambda: RecordBatchBuilder(CompressionType.NONE, None, 1024), batch_size=1024,
                      linger_ms=0, buffer_memory=4096)
    cluster = Cluster([("127.0.0.1", 1)], 300_000, 100)
    m = ProducerMetrics(MetricConfig(), 0.0, lambda: 0.0)
    in_flight = [3]
    m.add_gauges(acc, cluster, lambda: in_flight[0], lambda: 1, lambda: 250.0, 0.0)
    g = m.grouped(2000.0)["producer-metrics"]
    assert g["requests-in-flight"] == 3.0 and g["connection-count"] == 1.0
    assert g["buffer-total-bytes"] == 4096.0 and g["buffer-available-bytes"] == 4096.0
    assert g["metadata-age"] == 2.0  # seconds since start: no metadata yet
    assert g["bufferpool-wait-ratio"] == pytest.approx(250 / 2000)
    in_flight[0] = 0
    assert m.grouped(2000.0)["producer-metrics"]["requests-in-flight"] == 0.0


@given(st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 3000)), min_size=1, max_size=30),
       st.integers(1, 4), st.integers(1, 2000), st.integers(0, 10_000))
def test_agrees_with_kafka_pythons_sampled_stats(events: list[tuple[int, int]], samples: int,
                                                 window: int, read_after: int) -> None:
    """kafka-python's own Rate, Avg and Max (the same Java rules) as the oracle."""
    from kafka.metrics import MetricConfig as TheirConfig
    from kafka.metrics.stats import Avg, Max, Rate

    theirs_cfg = TheirConfig(samples=samples, time_window_ms=window)
    rate, avg, top = Rate(), Avg(), Max()
    ours = SampledStat(MetricConfig(samples, float(window)), 0.0)
    now = 0
    for stat in (rate, avg, top):
        stat.record(theirs_cfg, 0.0, 0)  # open their first window at 0, as ours opens at creation
    ours.record(0.0, 0.0)
    for value, step in events:
        now += step
        for stat in (rate, avg, top):
            stat.record(theirs_cfg, float(value), now)
        ours.record(float(value), float(now))
    now += read_after
    try:
        expected = rate.measure(theirs_cfg, now)
    except ZeroDivisionError:  # theirs, with one window read the moment it opened: ours says 0
        expected = 0.0
    assert ours.rate(float(now)) == pytest.approx(expected)
    assert ours.avg(float(now)) == pytest.approx(avg.measure(theirs_cfg, now))
    assert ours.max(float(now)) == top.measure(theirs_cfg, now)

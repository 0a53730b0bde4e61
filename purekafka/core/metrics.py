"""Producer metrics under Java's names, in kafka-python's shape: sampled stats, sans-I/O.

Theory of operation. A ``SampledStat`` keeps ``samples`` windows of ``window_ms``
each (``metrics_num_samples`` x ``metrics_sample_window_ms``); a value recorded at
``now_ms`` goes into the current window, or opens the next one (recycling the oldest)
once the current one is ``window_ms`` old. A window older than ``samples * window_ms``
no longer counts. From the live windows it answers a rate (per second), an average
and a maximum, with kafka-python's (and Java's) rules: a rate divides by at least
``samples - 1`` whole windows, so a burst in a young producer does not read as a
huge rate; an average of nothing is 0 and a maximum of nothing is -inf.

``ProducerMetrics`` holds the named metrics (``MetricName`` -> ``KafkaMetric``) and has
one method per thing the sender does: a produce request (its batches), a response, a
retry, a failure, a new connection. They count per batch and per request, never per
record, so that ``send()`` pays nothing for metrics. Every method is given ``now_ms``;
reading a value needs the time too, so ``KafkaMetric.value()`` calls the clock the
facade passes in. Nothing here reads a clock itself.

Reporters (kafka-python's ``metric_reporters``) hear ``init([])`` once, then
``metric_change(metric)`` for every metric as it is registered, and ``close()``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, Sequence

if TYPE_CHECKING:
    from purekafka.core.accumulator import Accumulator, ProducerBatch
    from purekafka.core.cluster import Cluster

__all__ = ["KafkaMetric", "MetricConfig", "MetricName", "ProducerMetrics", "SampledStat"]

Measure = Callable[[float], float]


@dataclass(frozen=True, slots=True)
class MetricConfig:
    """How many windows a sampled stat keeps, and how long each is."""

    samples: int = 2
    window_ms: float = 30_000.0

    def __post_init__(self) -> None:
        if self.samples < 1 or self.window_ms <= 0:
            raise ValueError(f"metrics need samples >= 1 and window_ms > 0, got {self}")


class SampledStat:
    """Sum, count and maximum of recorded values over ``samples`` rolling windows."""

    __slots__ = ("_n", "_window", "_start", "_sum", "_count", "_max", "_cur")

    def __init__(self, config: MetricConfig, now_ms: float) -> None:
        self._n = n = config.samples
        self._window = config.window_ms
        self._start = [now_ms] * n
        self._sum = [0.0] * n
        self._count = [0] * n
        self._max = [-math.inf] * n
        self._cur = 0

    def _reset(self, i: int, now_ms: float) -> None:
        self._start[i] = now_ms
        self._sum[i] = 0.0
        self._count[i] = 0
        self._max[i] = -math.inf

    def record(self, value: float, now_ms: float) -> None:
        """Add one event of ``value`` at ``now_ms``."""
        i = self._cur
        if now_ms - self._start[i] >= self._window:
            i = self._cur = (i + 1) % self._n
            self._reset(i, now_ms)
        self._sum[i] += value
        self._count[i] += 1
        if value > self._max[i]:
            self._max[i] = value

    def _live(self, now_ms: float) -> list[int]:
        # Reading never writes: the user's thread reads while the I/O thread records.
        expire = self._n * self._window
        start = self._start
        return [i for i in range(self._n) if now_ms - start[i] < expire]

    def rate(self, now_ms: float) -> float:
        """Recorded sum per second over the live windows (at least ``samples - 1`` of them)."""
        live = self._live(now_ms)
        elapsed = now_ms - min((self._start[i] for i in live), default=now_ms)
        full = int(elapsed / self._window)
        if full < self._n - 1:
            elapsed += (self._n - 1 - full) * self._window
        seconds = elapsed / 1000.0
        return sum(self._sum[i] for i in live) / seconds if seconds > 0 else 0.0

    def avg(self, now_ms: float) -> float:
        """Recorded sum over recorded count in the live windows; 0.0 when empty."""
        live = self._live(now_ms)
        count = sum(self._count[i] for i in live)
        return sum(self._sum[i] for i in live) / count if count else 0.0

    def max(self, now_ms: float) -> float:
        """The largest value in the live windows; -inf when empty (as kafka-python)."""
        return max((self._max[i] for i in self._live(now_ms)), default=-math.inf)


class MetricName:
    """A metric's name, group, description and tags (kafka-python's ``MetricName``)."""

    __slots__ = ("name", "group", "description", "_tags", "_key")

    def __init__(self, name: str, group: str, description: str = "",
                 tags: Mapping[str, str] | None = None) -> None:
        self.name = name
        self.group = group
        self.description = description
        self._tags = dict(tags or {})
        self._key = (name, group, frozenset(self._tags.items()))

    @property
    def tags(self) -> dict[str, str]:
        return dict(self._tags)

    def __hash__(self) -> int:
        return hash(self._key)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, MetricName) and self._key == other._key

    def __repr__(self) -> str:
        return (f"MetricName(name={self.name!r}, group={self.group!r}, "
                f"description={self.description!r}, tags={self._tags!r})")


class KafkaMetric:
    """A named value: ``value()`` measures it now (kafka-python's ``KafkaMetric``)."""

    __slots__ = ("metric_name", "_measure", "_clock")

    def __init__(self, metric_name: MetricName, measure: Measure, clock: Callable[[], float]) -> None:
        self.metric_name = metric_name
        self._measure = measure
        self._clock = clock

    def value(self, time_ms: float | None = None) -> float:
        """The metric's value at ``time_ms`` (monotonic milliseconds; now by default)."""
        return float(self._measure(self._clock() if time_ms is None else time_ms))

    def __repr__(self) -> str:
        return f"KafkaMetric({self.metric_name!r})"


_PRODUCER = "producer-metrics"
_TOPIC = "producer-topic-metrics."


class _TopicStats:
    """The per-topic sensors (Java's ``producer-topic-metrics``)."""

    __slots__ = ("records", "bytes", "compression", "retries", "errors")

    def __init__(self, config: MetricConfig, now_ms: float) -> None:
        self.records = SampledStat(config, now_ms)
        self.bytes = SampledStat(config, now_ms)
        self.compression = SampledStat(config, now_ms)
        self.retries = SampledStat(config, now_ms)
        self.errors = SampledStat(config, now_ms)


class _Total:
    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value = 0.0

    def read(self, now_ms: float) -> float:
        return self.value


class ProducerMetrics:
    """Every producer metric, fed by the sender's events (one call per request or batch)."""

    def __init__(self, config: MetricConfig, now_ms: float, clock: Callable[[], float],
                 reporters: Sequence[Any] = (), tags: Mapping[str, str] | None = None) -> None:
        self.config = config
        self.clock = clock
        self.tags = dict(tags or {})
        self.metrics: dict[MetricName, KafkaMetric] = {}
        self.reporters = list(reporters)
        for r in self.reporters:
            r.init([])
        c = config
        self._records = SampledStat(c, now_ms)  # records per request
        self._bytes = SampledStat(c, now_ms)
        self._batch_size = SampledStat(c, now_ms)
        self._compression = SampledStat(c, now_ms)
        self._queue_time = SampledStat(c, now_ms)
        self._record_size = SampledStat(c, now_ms)
        self._retries = SampledStat(c, now_ms)
        self._errors = SampledStat(c, now_ms)
        self._requests = SampledStat(c, now_ms)
        self._latency = SampledStat(c, now_ms)
        self._throttle = SampledStat(c, now_ms)
        self._created = SampledStat(c, now_ms)
        self._closed = SampledStat(c, now_ms)
        self._topics: dict[str, _TopicStats] = {}
        self._totals: dict[str, _Total] = {}
        p = _PRODUCER
        self._sampled(p, "record-send-rate", self._records.rate, "records sent per second")
        self._total(p, "record-send-total", "records sent")
        self._sampled(p, "records-per-request-avg", self._records.avg, "average records per request")
        self._sampled(p, "byte-rate", self._bytes.rate, "bytes sent per second")
        self._total(p, "byte-total", "bytes sent")
        self._sampled(p, "batch-size-avg", self._batch_size.avg, "average bytes per batch")
        self._sampled(p, "batch-size-max", self._batch_size.max, "largest batch in bytes")
        self._sampled(p, "compression-rate-avg", self._compression.avg,
                      "average compressed over uncompressed batch size")
        self._sampled(p, "record-queue-time-avg", self._queue_time.avg,
                      "average ms a batch waited in the accumulator")
        self._sampled(p, "record-queue-time-max", self._queue_time.max,
                      "longest ms a batch waited in the accumulator")
        self._sampled(p, "record-size-avg", self._record_size.avg,
                      "average over batches of the largest record's size in bytes")
        self._sampled(p, "record-size-max", self._record_size.max, "largest record size in bytes")
        self._sampled(p, "record-retry-rate", self._retries.rate, "records retried per second")
        self._total(p, "record-retry-total", "records retried")
        self._sampled(p, "record-error-rate", self._errors.rate, "records failed per second")
        self._total(p, "record-error-total", "records failed")
        self._sampled(p, "request-rate", self._requests.rate, "requests sent per second")
        self._total(p, "request-total", "requests sent")
        self._sampled(p, "request-latency-avg", self._latency.avg, "average request latency in ms")
        self._sampled(p, "request-latency-max", self._latency.max, "largest request latency in ms")
        self._sampled(p, "produce-throttle-time-avg", self._throttle.avg,
                      "average throttle time the broker asked for, in ms")
        self._sampled(p, "produce-throttle-time-max", self._throttle.max,
                      "largest throttle time the broker asked for, in ms")
        self._sampled(p, "connection-creation-rate", self._created.rate, "connections made per second")
        self._total(p, "connection-creation-total", "connections made")
        self._sampled(p, "connection-close-rate", self._closed.rate, "connections closed per second")
        self._total(p, "connection-close-total", "connections closed")
        self.add("count", "kafka-metrics-count", lambda now: float(len(self.metrics)),
                 "total number of registered metrics")

    def add_gauges(self, acc: Accumulator, cluster: Cluster, in_flight: Callable[[], int],
                   connections: Callable[[], int], wait_ms: Callable[[], float],
                   start_ms: float) -> None:
        """The metrics read off the producer's state rather than counted from events."""
        p = _PRODUCER

        def metadata_age(now: float) -> float:
            last = cluster.last_success_ms
            return (now - (start_ms if last is None else last)) / 1000.0

        def wait_ratio(now: float) -> float:
            return wait_ms() / max(1.0, now - start_ms)

        self.add("buffer-total-bytes", p, lambda now: float(acc.buffer_memory),
                 "the most memory the producer may hold (buffer_memory)")
        self.add("buffer-available-bytes", p, lambda now: float(acc.available_memory),
                 "memory not in use")
        self.add("waiting-threads", p, lambda now: float(acc.memory_waiters),
                 "threads blocked in send() for memory")
        self.add("bufferpool-wait-ratio", p, wait_ratio, "share of time send() waited for memory")
        self.add("bufferpool-wait-time-total", p, lambda now: wait_ms() * 1e6,
                 "nanoseconds send() waited for memory in all")  # Java counts nanoseconds
        self.add("requests-in-flight", p, lambda now: float(in_flight()),
                 "requests sent and waiting for a response")
        self.add("connection-count", p, lambda now: float(connections()), "open connections")
        self.add("metadata-age", p, metadata_age, "age in seconds of the metadata in use")

    # -- registration ----------------------------------------------------------------------
    def add(self, name: str, group: str, measure: Measure, description: str = "",
            tags: Mapping[str, str] | None = None) -> KafkaMetric:
        """Register a metric (``measure(now_ms)`` gives its value); reporters hear of it."""
        mn = MetricName(name, group, description, {**self.tags, **(tags or {})})
        metric = self.metrics[mn] = KafkaMetric(mn, measure, self.clock)
        for r in self.reporters:
            r.metric_change(metric)
        return metric

    def _sampled(self, group: str, name: str, measure: Measure, description: str,
                 tags: Mapping[str, str] | None = None) -> None:
        self.add(name, group, measure, description, tags)

    def _total(self, group: str, name: str, description: str,
               tags: Mapping[str, str] | None = None) -> None:
        t = self._totals[group + "/" + name] = _Total()
        self.add(name, group, t.read, description + " in all", tags)

    def _count(self, group: str, name: str, n: float) -> None:
        self._totals[group + "/" + name].value += n

    def _topic(self, topic: str, now_ms: float) -> _TopicStats:
        ts = self._topics.get(topic)
        if ts is None:
            ts = self._topics[topic] = _TopicStats(self.config, now_ms)
            g, tags = _TOPIC + topic, {"topic": topic}
            self._sampled(g, "record-send-rate", ts.records.rate, "records sent per second", tags)
            self._total(g, "record-send-total", "records sent", tags)
            self._sampled(g, "byte-rate", ts.bytes.rate, "bytes sent per second", tags)
            self._total(g, "byte-total", "bytes sent", tags)
            self._sampled(g, "compression-rate", ts.compression.avg,
                          "average compressed over uncompressed batch size", tags)
            self._sampled(g, "record-retry-rate", ts.retries.rate, "records retried per second", tags)
            self._total(g, "record-retry-total", "records retried", tags)
            self._sampled(g, "record-error-rate", ts.errors.rate, "records failed per second", tags)
            self._total(g, "record-error-total", "records failed", tags)
        return ts

    # -- events ----------------------------------------------------------------------------
    def on_produce_request(self, batches: Iterable[ProducerBatch], now_ms: float) -> None:
        """A produce request with ``batches`` (closed) goes out."""
        records = nbytes = 0
        for b in batches:
            size = b.size_bytes
            n = b.record_count
            ratio = size / b.raw_size if b.raw_size else 1.0
            records += n
            nbytes += size
            self._batch_size.record(size, now_ms)
            self._compression.record(ratio, now_ms)
            # As Java's Sender: record-size-avg averages each batch's largest record.
            self._record_size.record(b.max_record_size, now_ms)
            if b.attempts == 0:
                self._queue_time.record(now_ms - b.created_ms, now_ms)
            topic = b.tp[0]
            ts = self._topic(topic, now_ms)
            ts.records.record(n, now_ms)
            ts.bytes.record(size, now_ms)
            ts.compression.record(ratio, now_ms)
            g = _TOPIC + topic
            self._count(g, "record-send-total", n)
            self._count(g, "byte-total", size)
        self._records.record(records, now_ms)
        self._bytes.record(nbytes, now_ms)
        self._requests.record(1, now_ms)
        self._count(_PRODUCER, "record-send-total", records)
        self._count(_PRODUCER, "byte-total", nbytes)
        self._count(_PRODUCER, "request-total", 1)

    def on_response(self, latency_ms: float, now_ms: float) -> None:
        """A response came ``latency_ms`` after its request."""
        self._latency.record(latency_ms, now_ms)

    def on_throttle(self, throttle_ms: float, now_ms: float) -> None:
        """A produce response asked for ``throttle_ms`` of quiet."""
        self._throttle.record(throttle_ms, now_ms)

    def on_retry(self, topic: str, records: int, now_ms: float) -> None:
        """A batch of ``records`` goes back to the accumulator for another attempt."""
        self._retries.record(records, now_ms)
        self._topic(topic, now_ms).retries.record(records, now_ms)
        self._count(_PRODUCER, "record-retry-total", records)
        self._count(_TOPIC + topic, "record-retry-total", records)

    def on_error(self, topic: str, records: int, now_ms: float) -> None:
        """``records`` of ``topic`` failed for good."""
        self._errors.record(records, now_ms)
        self._topic(topic, now_ms).errors.record(records, now_ms)
        self._count(_PRODUCER, "record-error-total", records)
        self._count(_TOPIC + topic, "record-error-total", records)

    def on_connection_created(self, now_ms: float) -> None:
        self._created.record(1, now_ms)
        self._count(_PRODUCER, "connection-creation-total", 1)

    def on_connection_closed(self, now_ms: float) -> None:
        self._closed.record(1, now_ms)
        self._count(_PRODUCER, "connection-close-total", 1)

    # -- reading ---------------------------------------------------------------------------
    def grouped(self, now_ms: float) -> dict[str, dict[str, float]]:
        """``{group: {name: value}}``, as kafka-python's ``metrics()`` answers."""
        out: dict[str, dict[str, float]] = {}
        for mn, metric in list(self.metrics.items()):
            out.setdefault(mn.group, {})[mn.name] = metric.value(now_ms)
        return out

    def close(self) -> None:
        """Tell the reporters the producer is done."""
        for r in self.reporters:
            r.close()

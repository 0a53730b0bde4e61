"""Damaged broker answers: bit flips, truncated and cut frames on the way to the client.

The proxy damages a bounded, seeded set of broker-to-client frames, then stops. A
response the producer cannot parse must cost it that connection (its requests retried
as after a disconnect: outcome unknown), never its I/O thread. Read back with
confluent-kafka: every future resolves, nothing acknowledged is missing or doubled, and
the same producer works once the damage stops.
"""
from __future__ import annotations

import time

import pytest

from tests.support.eo_failure import Ledger, idempotent_figures
from purekafka import KafkaProducer
from purekafka.errors import KafkaError
from tests.support.readback import consume_all
from tests.support.tcp_proxy import PRODUCE, FaultProxy, FaultStats

pytestmark = [pytest.mark.broker, pytest.mark.timeout(180)]


def _run(kafka, topic: str, *, seed: int, count: int, every: int, apis: set[int] | None,
         before_connect: bool, kinds: tuple[str, ...] = ("flip", "truncate", "cut"),
         **conf) -> tuple[Ledger, int, FaultStats, float, int]:
    """Send in rounds until the planned damage is used up, then 20 more; returns (ledger,
    how many were sent while damage was planned, proxy stats, seconds, producer epoch)."""
    ledger = Ledger(keys=30)
    t0 = time.monotonic()
    with FaultProxy(kafka.addresses) as proxy:
        if before_connect:
            proxy.damage(count, seed, every=every, kinds=kinds, apis=apis)
        settings = dict(bootstrap_servers=proxy.bootstrap, acks="all", enable_idempotence=True,
                        linger_ms=5, request_timeout_ms=3000, retry_backoff_ms=50,
                        reconnect_backoff_ms=20, delivery_timeout_ms=60_000)
        settings.update(conf)
        p = KafkaProducer(**settings)
        try:
            if not before_connect:
                p.partitions_for(topic)
                proxy.damage(count, seed, every=every, kinds=kinds, apis=apis)
            deadline = time.monotonic() + 60
            while proxy.damage_left() and time.monotonic() < deadline:
                for _ in range(40):
                    _, k, v = ledger.next_record()
                    ledger.sent(p.send(topic, key=k, value=v))
                time.sleep(0.05)
            assert proxy.damage_left() == 0, f"only {count - proxy.damage_left()} damages applied"
            p.flush(60)
            during = len(ledger.futures)
            # The damage has stopped: the same producer must work again.
            for _ in range(20):
                _, k, v = ledger.next_record()
                ledger.sent(p.send(topic, key=k, value=v))
            p.flush(30)
            epoch = p._sender.idempotence.producer_epoch
        finally:
            p.close(10)
        stats = proxy.stats
    return ledger, during, stats, time.monotonic() - t0, epoch


def _check(kafka, topic: str, ledger: Ledger, during: int, stats: FaultStats, count: int,
           elapsed: float) -> None:
    fig = idempotent_figures(ledger, consume_all(kafka.bootstrap, topic, settle=3.0))
    print(f"\ndamage {stats.damaged} connections={stats.accepted} {elapsed:.1f}s\n  "
          + "\n  ".join(stats.damage_log) + f"\n{fig.line()}")
    assert sum(stats.damaged.values()) == count, stats.damaged
    assert stats.accepted > 2, "no damaged connection was replaced"
    assert fig.unresolved == 0, fig.line()
    assert not fig.bad(), f"{fig.line()} {fig.examples}"
    for f in ledger.futures:
        assert f.exception is None or isinstance(f.exception, KafkaError), repr(f.exception)
    after = ledger.futures[during:]
    assert after and all(f.is_done and f.exception is None for f in after), \
        [repr(f.exception) for f in after if f.exception is not None][:3]


def test_damaged_produce_responses(kafka, topic_factory) -> None:
    """Produce answers only: the plan is the same on every run, whatever the timing, and
    covers every kind of damage, including a flipped header tagged-field count (the
    ``tag 0 out of order or repeated`` / ``not enough bytes`` that killed the I/O thread)."""
    topic = topic_factory(partitions=3)
    count = 16
    ledger, during, stats, elapsed, _ = _run(kafka, topic, seed=20240607, count=count, every=4,
                                             apis={PRODUCE}, before_connect=False)
    assert set(stats.damaged) == {"flip", "truncate", "cut"}, stats.damaged
    assert any("header tagged fields" in line for line in stats.damage_log), stats.damage_log
    _check(kafka, topic, ledger, during, stats, count, elapsed)


def test_damaged_answers_to_any_request(kafka, topic_factory) -> None:
    """From the first byte on: ApiVersions, Metadata and InitProducerId answers are damaged
    too (where the damage lands depends on timing; the plan does not)."""
    topic = topic_factory(partitions=3)
    count = 12
    ledger, during, stats, elapsed, _ = _run(kafka, topic, seed=7, count=count, every=3,
                                             apis=None, before_connect=True)
    _check(kafka, topic, ledger, during, stats, count, elapsed)


def test_damage_past_the_delivery_timeout_recovers_with_an_epoch_bump(kafka, topic_factory) -> None:
    """Answers lost to damage until batches expire on the wire: their outcome is unknown,
    the partition's sequence uncertain, and the producer bumps its epoch (KIP-360) rather
    than stall or reuse sequences. Failures are allowed here (delivery timeouts), doubles
    and gaps among the acknowledged are not, and the producer works afterwards."""
    topic = topic_factory(partitions=2)
    count = 20
    ledger, during, stats, elapsed, epoch = _run(
        kafka, topic, seed=3, count=count, every=2, apis={PRODUCE}, before_connect=False,
        kinds=("flip",), request_timeout_ms=1000, delivery_timeout_ms=1200)
    _check(kafka, topic, ledger, during, stats, count, elapsed)
    print(f"epoch after: {epoch}")
    assert epoch >= 1, "no epoch bump: the lost answers never left a sequence in doubt"

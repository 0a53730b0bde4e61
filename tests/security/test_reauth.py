"""KIP-368 re-authentication against the REAUTH listener (connections.max.reauth.ms=10000).

Two producers run side by side for ``RUN_S`` seconds, one on OAUTHBEARER with 15 s tokens
from a provider that mints a fresh one per call, one on SCRAM-SHA-512. The broker ends each
session after at most 10 s, so each producer must re-authenticate at least three times on its
open connection. Every record must succeed, the count read back must match, OAUTHBEARER must
have fetched fresh tokens, and no connection may be opened after the warm-up (a producer that
let its session lapse would be disconnected and reconnect).
"""
from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from purekafka import KafkaProducer
from tests.support.kafka import SecureKafka, unique_name
from tests.support.readback import consume

pytestmark = pytest.mark.broker

RUN_S = 32.0
TOKEN_LIFETIME_S = 15.0


def _metric(producer: KafkaProducer, name: str) -> float:
    groups = producer.metrics() or {}
    for values in groups.values():
        if name in values:
            return float(values[name])
    raise AssertionError(f"no metric {name!r} in {sorted(groups)}")


def _run(settings: dict[str, Any], topic: str, tag: str, out: dict[str, Any]) -> None:
    failures: list[BaseException] = []
    producer = KafkaProducer(**settings, linger_ms=5, max_block_ms=30000)
    try:
        producer.send(topic, key=b"warm", value=f"{tag}-warm".encode()).get(timeout=30)
        created = _metric(producer, "connection-creation-total")
        sent = 1
        end = time.monotonic() + RUN_S
        while time.monotonic() < end:
            future = producer.send(topic, key=tag.encode(), value=f"{tag}-{sent}".encode())
            future.add_errback(failures.append)
            sent += 1
            time.sleep(0.01)
        producer.flush(timeout=60)
        out.update(sent=sent, failures=failures, created_before=created,
                   created_after=_metric(producer, "connection-creation-total"),
                   closed=_metric(producer, "connection-close-total"))
    except BaseException as e:  # noqa: BLE001 - reported by the main thread
        out["error"] = e
    finally:
        producer.close(timeout=10)


def test_produce_through_reauthentications(secure_kafka: SecureKafka) -> None:
    topic = secure_kafka.create_topic(unique_name("reauth"), partitions=2)
    provider = secure_kafka.token_provider("REAUTH", lifetime_s=TOKEN_LIFETIME_S)
    runs: dict[str, dict[str, Any]] = {
        "OAUTHBEARER": {"settings": secure_kafka.kafka_python("REAUTH", "OAUTHBEARER",
                                                              sasl_oauth_token_provider=provider)},
        "SCRAM-SHA-512": {"settings": secure_kafka.kafka_python("REAUTH", "SCRAM-SHA-512")},
    }
    threads = [threading.Thread(target=_run, args=(r["settings"], topic, mech, r), daemon=True)
               for mech, r in runs.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join(RUN_S + 120)
        assert not t.is_alive(), "a producer hung"
    for mech, r in runs.items():
        assert "error" not in r, f"{mech}: {r.get('error')!r}"
        assert r["failures"] == [], f"{mech}: {len(r['failures'])} failed records, first {r['failures'][0]!r}"
        assert r["created_after"] == r["created_before"], (
            f"{mech}: {r['created_after'] - r['created_before']:.0f} connections opened after the warm-up "
            f"(sessions lapsed instead of being re-authenticated)")
    # One token at connect, and a fresh one for each re-authentication (>= 3 in 32 s at 10 s sessions).
    assert provider.minted >= 4, provider.minted
    total = sum(r["sent"] for r in runs.values())
    got = consume(secure_kafka.bootstrap_of("SASL_SSL"), topic, total, timeout=60,
                  extra=secure_kafka.confluent("SASL_SSL", "SCRAM-SHA-512"))
    assert len(got) == total
    assert len({r.value for r in got}) == total  # no duplicates

"""purekafka.aio over TLS and SASL (the same io/tls.py TlsTransport over MemoryBIOs and
core/sasl authenticators as KafkaProducer, here driven by the event loop), against the
session's secure broker; confluent-kafka reads back, authenticated the same way."""
from __future__ import annotations

import asyncio
import time

import pytest

from purekafka import errors
from purekafka.aio import AIOKafkaProducer
from tests.support.kafka import SecureKafka, unique_name
from tests.support.readback import consume

pytestmark = pytest.mark.broker

CASES = [("SSL", None), ("MTLS", None), ("SASL_PLAINTEXT", "SCRAM-SHA-256"),
         ("SASL_SSL", "SCRAM-SHA-512"), ("SASL_SSL", "PLAIN"), ("SASL_SSL", "OAUTHBEARER")]


@pytest.mark.parametrize(("listener", "mechanism"), CASES, ids=[f"{a}-{b}" for a, b in CASES])
def test_send_and_read_back(secure_kafka: SecureKafka, listener: str, mechanism: str | None) -> None:
    topic = secure_kafka.create_topic(unique_name("aio-secure"), partitions=2)
    settings = secure_kafka.kafka_python(listener, mechanism)
    rows = [(b"k%d" % i, b"v%d" % i) for i in range(30)]

    async def main() -> None:
        async with AIOKafkaProducer(**settings, enable_idempotence=True, linger_ms=5) as p:
            futures = [await p.send(topic, v, key=k) for k, v in rows]
            await asyncio.gather(*futures)

    asyncio.run(main())
    got = consume(secure_kafka.bootstrap_of(listener), topic, len(rows),
                  extra=secure_kafka.confluent(listener, mechanism))
    assert sorted((r.key, r.value) for r in got) == sorted(rows)


def test_a_wrong_password_fails_start_fast_without_the_secret(secure_kafka: SecureKafka) -> None:
    wrong = "not-alices-password"
    settings = secure_kafka.kafka_python("SASL_SSL", "SCRAM-SHA-256", sasl_plain_password=wrong)

    async def main() -> tuple[BaseException, float]:
        p = AIOKafkaProducer(**settings)
        t = time.monotonic()
        with pytest.raises(errors.KafkaError) as e:
            await p.start()
        return e.value, time.monotonic() - t

    exc, took = asyncio.run(main())
    assert isinstance(exc, errors.SaslAuthenticationFailedError), repr(exc)
    assert took < 15, took
    assert wrong not in f"{exc} {exc!r}" and secure_kafka.password not in f"{exc} {exc!r}"

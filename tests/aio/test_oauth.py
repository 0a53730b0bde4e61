"""aiokafka's asynchronous OAUTHBEARER token provider (``async def token()``) in purekafka.aio:
awaited on the loop before connecting and after each use, its failures reported as the
threaded producer reports a synchronous provider's; against the session's secure broker
(unsecured, JWKS-validated and re-authenticating listeners), read back by confluent-kafka."""
from __future__ import annotations

import asyncio
import ssl
import time
from typing import Any

import pytest
from aiokafka.abc import AbstractTokenProvider

from purekafka import KafkaProducer, errors
from purekafka.aio import AIOKafkaProducer
from purekafka.aio.oauth import AsyncTokenBridge
from tests.support.kafka import SecureKafka, unique_name
from tests.support.readback import consume

REAUTH_RUN_S = 25.0  # the REAUTH listener ends sessions after 10 s: at least two re-authentications


class AsyncProvider(AbstractTokenProvider):
    """aiokafka's provider shape around a synchronous one; ``fail`` makes ``token()`` raise."""

    def __init__(self, inner: Any, fail: BaseException | None = None) -> None:
        self.inner, self.fail = inner, fail
        self.awaited = 0

    async def token(self) -> str:
        self.awaited += 1
        await asyncio.sleep(0)  # a real provider awaits its identity provider here
        if self.fail is not None:
            raise self.fail
        token: str = self.inner.token()
        return token


class Secret(Exception):
    pass


def test_the_bridge_hands_out_a_failure_instead_of_a_token_fetched_before_it() -> None:
    answers: list[Any] = ["tok1", Secret("leaked-secret"), "tok3"]

    class Scripted(AbstractTokenProvider):
        async def token(self) -> str:
            answer = answers.pop(0)
            if isinstance(answer, BaseException):
                raise answer
            return str(answer)

    async def main() -> None:
        bridge = AsyncTokenBridge(Scripted())
        await bridge.start()
        assert bridge.token() == "tok1"  # and asks for the next one
        await asyncio.sleep(0.05)
        with pytest.raises(Secret):
            bridge.token()  # tok1 is not handed out again after the provider raised
        await asyncio.sleep(0.05)
        assert bridge.token() == "tok3"
        assert bridge.extensions() == {}
        task = bridge._task
        await bridge.stop()
        assert task is not None and task.done()

    asyncio.run(main())


def test_sync_providers_are_handed_to_the_core_unchanged() -> None:
    for provider in (lambda: "tok", type("P", (), {"token": lambda self: "tok"})()):
        p = AIOKafkaProducer(security_protocol="SASL_PLAINTEXT", sasl_mechanism="OAUTHBEARER",
                             sasl_oauth_token_provider=provider)
        assert p._oauth is None
    p = AIOKafkaProducer(security_protocol="SASL_PLAINTEXT", sasl_mechanism="OAUTHBEARER",
                         sasl_oauth_token_provider=AsyncProvider(None))
    assert p._oauth is not None and p.config.sasl_oauth_token_provider is not p._oauth


@pytest.mark.broker
def test_an_aiokafka_provider_over_an_ssl_context_sends_and_confluent_reads_back(
        secure_kafka: SecureKafka) -> None:
    listener = "SASL_SSL_JWKS"  # the token's signature is checked against the JWKS endpoint
    topic = secure_kafka.create_topic(unique_name("aio-oauth"), partitions=2)
    provider = AsyncProvider(secure_kafka.token_provider(listener))
    settings = secure_kafka.kafka_python(listener, "OAUTHBEARER", sasl_oauth_token_provider=provider)
    del settings["ssl_cafile"]
    rows = [(b"k%d" % i, b"v%d" % i) for i in range(20)]

    async def main() -> None:
        context = ssl.create_default_context(cafile=str(secure_kafka.path("ca.pem")))
        async with AIOKafkaProducer(**settings, ssl_context=context, linger_ms=5) as p:
            await asyncio.gather(*[await p.send(topic, v, key=k) for k, v in rows])
            assert p._oauth is not None and p._oauth._task is not None
            task = p._oauth._task
        assert task.done()  # stop() ended the refresh task

    asyncio.run(main())
    assert provider.awaited >= 2  # at start(), and again after the first connection used it
    got = consume(secure_kafka.bootstrap_of(listener), topic, len(rows),
                  extra=secure_kafka.confluent(listener, "OAUTHBEARER"))
    assert sorted((r.key, r.value) for r in got) == sorted(rows)


@pytest.mark.broker
def test_an_async_provider_keeps_producing_across_reauthentications(secure_kafka: SecureKafka) -> None:
    topic = secure_kafka.create_topic(unique_name("aio-reauth"), partitions=2)
    inner = secure_kafka.token_provider("REAUTH", lifetime_s=15.0)
    provider = AsyncProvider(inner)
    settings = secure_kafka.kafka_python("REAUTH", "OAUTHBEARER", sasl_oauth_token_provider=provider)
    failures: list[BaseException] = []

    async def main() -> tuple[int, float, float, int]:
        async with AIOKafkaProducer(**settings, linger_ms=5) as p:
            await (await p.send(topic, b"warm", key=b"w"))
            before = _metric(p, "connection-creation-total")
            awaited_before = provider.awaited
            sent = 1
            futures = []
            end = time.monotonic() + REAUTH_RUN_S
            while time.monotonic() < end:
                futures.append(await p.send(topic, b"v%d" % sent, key=b"k"))
                sent += 1
                await asyncio.sleep(0.01)
            for result in await asyncio.gather(*futures, return_exceptions=True):
                if isinstance(result, BaseException):
                    failures.append(result)
            return sent, before, _metric(p, "connection-creation-total"), provider.awaited - awaited_before

    sent, before, after, awaited_during = asyncio.run(main())
    assert failures == [], f"{len(failures)} failed records, first {failures[0]!r}"
    assert after == before, f"{after - before:.0f} connections opened (sessions lapsed)"
    # A fresh token was awaited for each re-authentication (at least two in 25 s of 10 s sessions).
    assert awaited_during >= 2, awaited_during
    got = consume(secure_kafka.bootstrap_of("SASL_SSL"), topic, sent, timeout=60,
                  extra=secure_kafka.confluent("SASL_SSL", "SCRAM-SHA-512"))
    assert len({r.value for r in got}) == sent


@pytest.mark.broker
def test_a_provider_failing_later_is_reported_at_a_reauthentication(secure_kafka: SecureKafka) -> None:
    # Hour-long tokens: had the one held from before the failure been used again, every
    # re-authentication would succeed and no record would fail.
    topic = secure_kafka.create_topic(unique_name("aio-reauth-fail"), partitions=1)
    provider = AsyncProvider(secure_kafka.token_provider("REAUTH"))
    settings = secure_kafka.kafka_python("REAUTH", "OAUTHBEARER", sasl_oauth_token_provider=provider)

    async def main() -> BaseException | None:
        async with AIOKafkaProducer(**settings, linger_ms=5) as p:
            await (await p.send(topic, b"warm"))
            await asyncio.sleep(0.2)  # the refresh after the connection's use ends
            provider.fail = Secret("the-refresh-token-was-revoked")
            futures = []
            end = time.monotonic() + 30.0
            while time.monotonic() < end and not any(f.done() and f.exception() for f in futures):
                futures.append(await p.send(topic, b"v"))
                await asyncio.sleep(0.1)
            results = await asyncio.gather(*futures, return_exceptions=True)
        return next((r for r in results if isinstance(r, BaseException)), None)

    exc = asyncio.run(main())
    assert isinstance(exc, errors.SaslAuthenticationFailedError), repr(exc)
    assert "sasl_oauth_token_provider" in str(exc) and "Secret" in str(exc)
    assert "the-refresh-token" not in f"{exc} {exc!r}"


@pytest.mark.broker
def test_a_raising_async_provider_fails_start_fast_as_the_threaded_producer(
        secure_kafka: SecureKafka) -> None:
    failure = Secret("the-client-secret-was-wrong")
    settings = secure_kafka.kafka_python("SASL_SSL", "OAUTHBEARER", max_block_ms=60000,
                                         request_timeout_ms=60000)

    async def main() -> tuple[BaseException, float]:
        p = AIOKafkaProducer(**{**settings, "sasl_oauth_token_provider": AsyncProvider(None, failure)})
        t = time.monotonic()
        with pytest.raises(errors.KafkaError) as e:
            await p.start()
        took = time.monotonic() - t
        await p.stop()
        return e.value, took

    exc, took = asyncio.run(main())
    assert isinstance(exc, errors.SaslAuthenticationFailedError), repr(exc)
    assert took < 15, took

    class SyncProvider:
        def token(self) -> str:
            raise failure

    # The same error, word for word, as KafkaProducer gives for a token() that raised (how
    # core.sasl shows a provider's exception: its type, and no secret it may hold).
    with pytest.raises(errors.SaslAuthenticationFailedError) as threaded:
        KafkaProducer(**{**settings, "sasl_oauth_token_provider": SyncProvider()})
    assert str(exc) == str(threaded.value)
    assert "Secret" in str(exc) and "sasl_oauth_token_provider" in str(exc)
    assert "the-client-secret" not in f"{exc} {exc!r}" and exc.__context__ is None


def _metric(producer: AIOKafkaProducer, name: str) -> float:
    for values in (producer.metrics() or {}).values():
        if name in values:
            return float(values[name])
    raise AssertionError(f"no metric {name!r}")

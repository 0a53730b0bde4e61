"""purekafka.aio against aiokafka's own API, without a broker: constructor names and
defaults, method names, error names, and the settings mapping onto ProducerConfig."""
from __future__ import annotations

import asyncio
import inspect

import aiokafka
import aiokafka.errors
import pytest
from aiokafka.producer.message_accumulator import BatchBuilder as TheirBatchBuilder

from purekafka.aio import AIOKafkaProducer, BatchBuilder
from purekafka.aio import errors as aio_errors
from purekafka.aio.settings import AIOKAFKA_DEFAULTS, producer_config
from purekafka.errors import KafkaConfigurationError, KafkaConnectionError


def _aiokafka_params() -> dict[str, inspect.Parameter]:
    params = dict(inspect.signature(aiokafka.AIOKafkaProducer.__init__).parameters)
    params.pop("self")
    return params


def test_every_aiokafka_constructor_name_is_taken_with_its_default() -> None:
    for name, param in _aiokafka_params().items():
        if name in ("loop", "api_version"):
            continue  # deprecated in aiokafka: accepted, warned about, ignored
        assert name in AIOKAFKA_DEFAULTS, name
        if name in ("acks", "partitioner"):
            continue  # sentinels in aiokafka (checked below by behaviour)
        assert AIOKAFKA_DEFAULTS[name] == param.default, name


def test_aiokafka_defaults_win_over_kafka_pythons() -> None:
    cfg = producer_config({})
    assert (cfg.acks, cfg.enable_idempotence, cfg.request_timeout_ms, cfg.batch_size) == (1, False, 40000, 16384)
    assert cfg.max_block_ms == 40000  # aiokafka waits up to request_timeout_ms in send()
    assert cfg.sasl_mechanism is None  # aiokafka's "PLAIN" default matters only with SASL
    idem = producer_config({"enable_idempotence": True})
    assert (idem.acks, idem.enable_idempotence) == (-1, True)
    txn = producer_config({"transactional_id": "t"})
    assert (txn.acks, txn.enable_idempotence, txn.transactional_id) == (-1, True, "t")
    assert producer_config({"max_batch_size": 1000, "linger_ms": 7, "acks": "all"}).batch_size == 1000
    assert producer_config({"buffer_memory": 1 << 20}).buffer_memory == 1 << 20  # kafka-python's names too


@pytest.mark.parametrize("bad, message", [
    ({"acks": 2}, "Invalid ACKS parameter"),
    ({"compression_type": "brotli"}, "Invalid compression type!"),
    ({"enable_idempotence": True, "acks": 1}, "acks=1 not supported if enable_idempotence=True"),
])
def test_aiokafkas_value_errors(bad, message) -> None:
    with pytest.raises(ValueError, match=message):
        producer_config(bad)
    with pytest.raises(ValueError, match=message):
        aiokafka_check(bad)


def aiokafka_check(bad: dict) -> None:
    async def make() -> None:
        aiokafka.AIOKafkaProducer(**bad)

    asyncio.run(make())


def test_unknown_settings_are_refused_clearly() -> None:
    with pytest.raises(KafkaConfigurationError, match="lingr_ms"):
        AIOKafkaProducer(lingr_ms=5)


def test_loop_and_api_version_are_deprecated_no_ops() -> None:
    with pytest.warns(DeprecationWarning):
        producer_config({"loop": object()})
    with pytest.warns(DeprecationWarning):
        producer_config({"api_version": "2.8"})


def test_methods_match_aiokafkas() -> None:
    theirs = {n for n, v in vars(aiokafka.AIOKafkaProducer).items() if not n.startswith("_") and callable(v)}
    ours = {n for n in dir(AIOKafkaProducer) if not n.startswith("_")}
    assert theirs <= ours, theirs - ours
    for name in theirs:
        their_async = inspect.iscoroutinefunction(getattr(aiokafka.AIOKafkaProducer, name))
        assert inspect.iscoroutinefunction(getattr(AIOKafkaProducer, name)) == their_async, name
    send = list(inspect.signature(AIOKafkaProducer.send).parameters)
    assert send == list(inspect.signature(aiokafka.AIOKafkaProducer.send).parameters)


def test_constructor_signature_is_aiokafkas() -> None:
    theirs = inspect.signature(aiokafka.AIOKafkaProducer.__init__).parameters
    ours = inspect.signature(AIOKafkaProducer.__init__).parameters
    # aiokafka's keywords in aiokafka's order, then **configs for kafka-python's names.
    assert list(ours) == list(theirs) + ["configs"]
    assert ours["configs"].kind is inspect.Parameter.VAR_KEYWORD
    for name, param in theirs.items():
        assert ours[name].kind is param.kind, name
        if name not in ("acks", "partitioner"):  # sentinels, see above
            assert ours[name].default == param.default, name
    # What the signature shows is what the constructor takes.
    shown = {n: p.default for n, p in ours.items() if p.kind is inspect.Parameter.KEYWORD_ONLY
             and n not in ("loop", "api_version")}
    assert producer_config(shown) == producer_config({})


def _same_arguments(theirs: inspect.Signature, ours: inspect.Signature, what: str) -> None:
    """Every parameter of ``theirs`` in ``ours``, in order, of its kind and default; ours
    may add parameters (extensions) only with defaults."""
    mine = ours.parameters
    assert [n for n in mine if n in theirs.parameters] == list(theirs.parameters), what
    for name, param in theirs.parameters.items():
        got = mine[name]
        assert got.kind is param.kind, (what, name)
        # A mutable default ([]) is None here: the same call either way.
        assert got.default == param.default or (param.default == [] and got.default is None), (what, name)
    extra = [p for n, p in mine.items() if n not in theirs.parameters]
    assert all(p.default is not p.empty for p in extra), (what, extra)


def test_method_signatures_take_aiokafkas_arguments() -> None:
    for name, fn in vars(aiokafka.AIOKafkaProducer).items():
        if callable(fn) and (not name.startswith("_") or name in ("__aenter__", "__aexit__")):
            _same_arguments(inspect.signature(fn), inspect.signature(getattr(AIOKafkaProducer, name)), name)


def test_batch_builder_is_aiokafkas() -> None:
    theirs = {n: v for n, v in vars(TheirBatchBuilder).items() if callable(v) and not n.startswith("_")}
    assert set(theirs) <= set(dir(BatchBuilder)), set(theirs) - set(dir(BatchBuilder))
    for name, fn in theirs.items():
        _same_arguments(inspect.signature(fn), inspect.signature(getattr(BatchBuilder, name)), name)


def test_every_aiokafka_error_name_exists() -> None:
    theirs = [n for n, v in vars(aiokafka.errors).items()
              if isinstance(v, type) and issubclass(v, BaseException) and not n.startswith("_")]
    missing = [n for n in theirs if not hasattr(aio_errors, n)]
    assert not missing, missing
    # Broker errors: the same error code under aiokafka's name.
    for n in theirs:
        code = getattr(getattr(aiokafka.errors, n), "errno", None)
        ours = getattr(aio_errors, n)
        if isinstance(code, int) and code > 0 and hasattr(ours, "errno"):
            assert ours.errno == code, n


def test_send_before_start_is_refused() -> None:
    async def main() -> None:
        p = AIOKafkaProducer(bootstrap_servers="127.0.0.1:1")
        with pytest.raises(aio_errors.ProducerClosed):
            await p.send("t", b"v")

    asyncio.run(main())


def test_start_without_a_broker_fails_fast_and_clearly() -> None:
    async def main() -> None:
        p = AIOKafkaProducer(bootstrap_servers="127.0.0.1:1", bootstrap_timeout_ms=1500)
        with pytest.raises(KafkaConnectionError, match="Unable to bootstrap from 127.0.0.1:1"):
            await p.start()
        await p.stop()

    asyncio.run(asyncio.wait_for(main(), 10))


def test_secrets_stay_out_of_repr_and_errors() -> None:
    conf = dict(security_protocol="SASL_PLAINTEXT", sasl_mechanism="PLAIN",
                sasl_plain_username="alice", sasl_plain_password="alice-secret")
    assert "alice-secret" not in repr(producer_config(conf))
    p = AIOKafkaProducer(**conf)
    assert "alice-secret" not in repr(p) and "alice-secret" not in repr(p.config)
    with pytest.raises(KafkaConfigurationError) as e:
        AIOKafkaProducer(security_protocol="SASL_PLAINTEXT", sasl_plain_username="alice",
                         sasl_plain_password="alice-secret", sasl_mechanism="SCRAM-SHA-999")
    assert "alice-secret" not in str(e.value)

"""aiokafka's producer settings, mapped onto ``purekafka.config.ProducerConfig``.

``AIOKafkaProducer`` takes aiokafka 0.12+'s keyword names with aiokafka's defaults,
where they differ from kafka-python's: ``acks=1`` (``'all'`` with idempotence),
``enable_idempotence=False``, ``request_timeout_ms=40000``, ``max_batch_size`` for
``batch_size``. aiokafka has no ``max_block_ms``: a ``send()`` waits for metadata and
for room in the buffer up to ``request_timeout_ms``, as aiokafka's does.

Any kafka-python name (``buffer_memory``, ``delivery_timeout_ms``,
``max_in_flight_requests_per_connection``, ...) is accepted as well, a purekafka
extension; the rules and messages are ``ProducerConfig``'s.
"""
from __future__ import annotations

import inspect
import warnings
from typing import Any

from purekafka.config import ProducerConfig

__all__ = ["AIOKAFKA_DEFAULTS", "constructor_signature", "producer_config"]



class _AcksDefault:
    """aiokafka's ``acks`` default, a sentinel: 1, or 'all' with idempotence."""

    def __repr__(self) -> str:
        return "<1, or 'all' with idempotence>"


_MISSING: Any = _AcksDefault()

# aiokafka 0.12's constructor defaults (those kafka-python does not share are marked).
AIOKAFKA_DEFAULTS: dict[str, Any] = {
    "bootstrap_servers": "localhost",
    "client_id": None,
    "metadata_max_age_ms": 300000,
    "request_timeout_ms": 40000,  # kafka-python: 30000
    "acks": _MISSING,  # 1, or 'all' with idempotence (kafka-python: 'all')
    "key_serializer": None,
    "value_serializer": None,
    "compression_type": None,
    "max_batch_size": 16384,  # kafka-python's batch_size
    "partitioner": None,
    "max_request_size": 1048576,
    "linger_ms": 0,
    "retry_backoff_ms": 100,
    "security_protocol": "PLAINTEXT",
    "ssl_context": None,
    "connections_max_idle_ms": 540000,
    "enable_idempotence": False,  # kafka-python 3: True
    "transactional_id": None,
    "transaction_timeout_ms": 60000,
    "sasl_mechanism": "PLAIN",  # used only with a SASL security_protocol
    "sasl_plain_password": None,
    "sasl_plain_username": None,
    "sasl_kerberos_service_name": "kafka",
    "sasl_kerberos_domain_name": None,
    "sasl_oauth_token_provider": None,
}
_COMPRESSIONS = ("gzip", "snappy", "lz4", "zstd", None)


def constructor_signature() -> inspect.Signature:
    """``AIOKafkaProducer.__init__`` as aiokafka's reads: its keywords in its order with
    its defaults (``loop`` and ``api_version``, its deprecated no-ops, included), then
    ``**configs`` for kafka-python's names."""
    kw = inspect.Parameter.KEYWORD_ONLY
    params = [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD),
              inspect.Parameter("loop", kw, default=None)]
    for name, default in AIOKAFKA_DEFAULTS.items():
        params.append(inspect.Parameter(name, kw, default=default))
        if name == "request_timeout_ms":
            params.append(inspect.Parameter("api_version", kw, default=None))
    params.append(inspect.Parameter("configs", inspect.Parameter.VAR_KEYWORD))
    return inspect.Signature(params, return_annotation=None)


def producer_config(given: dict[str, Any]) -> ProducerConfig:
    """The ``ProducerConfig`` for aiokafka-style keyword arguments ``given``.

    Raises ``ValueError`` where aiokafka does (bad ``acks`` or ``compression_type``,
    ``acks`` other than ``'all'`` with idempotence), ``KafkaConfigurationError`` for
    the rest (unknown names, bad values).
    """
    given = dict(given)
    if given.pop("loop", None) is not None:
        warnings.warn("The `loop` parameter has been deprecated since aiokafka 0.7.1 and is "
                      "ignored: the producer runs on the running event loop",
                      DeprecationWarning, stacklevel=3)
    if given.pop("api_version", None) not in (None, "auto"):
        warnings.warn("The `api_version` parameter is a no-op (as in aiokafka 0.13+): "
                      "versions are negotiated with each broker", DeprecationWarning, stacklevel=3)
    opts = {k: given.pop(k, v) for k, v in AIOKAFKA_DEFAULTS.items()}
    acks = opts["acks"]
    if acks not in (0, 1, -1, "all", _MISSING):
        raise ValueError("Invalid ACKS parameter")
    if opts["compression_type"] not in _COMPRESSIONS:
        raise ValueError("Invalid compression type!")
    idempotent = bool(opts["enable_idempotence"]) or opts["transactional_id"] is not None
    if idempotent:
        if acks is _MISSING:
            acks = -1
        elif acks not in ("all", -1):
            raise ValueError(f"acks={acks} not supported if enable_idempotence=True")
    elif acks is _MISSING:
        acks = 1
    cfg: dict[str, Any] = {
        "bootstrap_servers": opts["bootstrap_servers"],
        "client_id": opts["client_id"],
        "metadata_max_age_ms": opts["metadata_max_age_ms"],
        "request_timeout_ms": opts["request_timeout_ms"],
        "acks": -1 if acks == "all" else acks,
        "key_serializer": opts["key_serializer"],
        "value_serializer": opts["value_serializer"],
        "compression_type": opts["compression_type"],
        "batch_size": opts["max_batch_size"],
        "partitioner": _partitioner(opts["partitioner"]),
        "max_request_size": opts["max_request_size"],
        "linger_ms": opts["linger_ms"],
        "retry_backoff_ms": opts["retry_backoff_ms"],
        "security_protocol": opts["security_protocol"],
        "ssl_context": opts["ssl_context"],
        "connections_max_idle_ms": opts["connections_max_idle_ms"],
        "enable_idempotence": idempotent,
        "transactional_id": opts["transactional_id"],
        "transaction_timeout_ms": opts["transaction_timeout_ms"],
        # aiokafka waits for metadata and memory up to request_timeout_ms.
        "max_block_ms": opts["request_timeout_ms"],
    }
    if "SASL" in str(opts["security_protocol"]).upper():
        for name in ("sasl_mechanism", "sasl_plain_username", "sasl_plain_password",
                     "sasl_kerberos_service_name", "sasl_kerberos_domain_name",
                     "sasl_oauth_token_provider"):
            cfg[name] = opts[name]
    if "delivery_timeout_ms" not in given:
        # Java's rule delivery >= linger + request timeout, with aiokafka's longer request timeout.
        cfg["delivery_timeout_ms"] = max(120000, int(opts["linger_ms"] + opts["request_timeout_ms"]))
    cfg.update(given)  # kafka-python names: a purekafka extension
    return ProducerConfig.from_mapping(cfg)


def _partitioner(obj: Any) -> Any:
    """aiokafka's ``DefaultPartitioner`` is murmur2 of the key, random without one:
    purekafka's built-in partitioning (sticky without a key, as Java's) stands in for it."""
    if obj is None or type(obj).__name__ == "DefaultPartitioner" and \
            type(obj).__module__.startswith("aiokafka"):
        return None
    return obj

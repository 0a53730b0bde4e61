"""kafka-python's face of the settings: ``producer.config`` and ``KafkaProducer.DEFAULT_CONFIG``.

kafka-python code reads ``producer.config['acks']``, a dict keyed by kafka-python's names.
``ConfigView`` is that dict, read-only, over the typed ``ProducerConfig``: its keys are
kafka-python 3's (``KAFKA_PYTHON_KEYS``, in its order) followed by the settings only
purekafka has; its values are what kafka-python holds for the same constructor arguments
(``acks='all'`` reads -1, ``retries`` left unset reads ``inf``, ``enable_idempotence``
after the conflict rules, the client id in use), with purekafka's own normalizing of Java
spellings (``'linger.ms': '10'`` reads 10). Two values differ: ``partitioner`` reads None,
not a ``DefaultPartitioner`` instance (None is the built-in partitioner, which is Java's),
and ``api_version`` reads what was configured (None for auto), not the version kafka-python
infers from the broker while it bootstraps.

Attribute access reads the typed config (``producer.config.linger_ms``), so code written
against ``ProducerConfig`` keeps working.
"""
from __future__ import annotations

import selectors
from typing import Any, Iterator, Mapping

from .config import _FIELD_NAMES, _JAVA_NAMES, MAX_INT, ProducerConfig, _show

__all__ = ["KAFKA_PYTHON_KEYS", "ConfigView", "default_config"]

# kafka-python 3.0's KafkaProducer.DEFAULT_CONFIG keys, in its order.
KAFKA_PYTHON_KEYS = (
    "bootstrap_servers", "client_id", "key_serializer", "value_serializer",
    "enable_idempotence", "transactional_id", "transaction_timeout_ms", "delivery_timeout_ms",
    "acks", "compression_type", "retries", "batch_size", "linger_ms", "partitioner",
    "connections_max_idle_ms", "max_block_ms", "max_request_size", "allow_auto_create_topics",
    "metadata_max_age_ms", "client_dns_lookup", "retry_backoff_ms", "request_timeout_ms",
    "receive_message_max_bytes", "receive_buffer_bytes", "send_buffer_bytes", "socket_options",
    "reconnect_backoff_ms", "reconnect_backoff_max_ms", "max_in_flight_requests_per_connection",
    "security_protocol", "ssl_context", "ssl_check_hostname", "ssl_cafile", "ssl_certfile",
    "ssl_keyfile", "ssl_crlfile", "ssl_password", "ssl_ciphers", "api_version",
    "bootstrap_timeout_ms", "metric_reporters", "metrics_enabled", "metrics_num_samples",
    "metrics_sample_window_ms", "selector", "sasl_mechanism", "sasl_plain_username",
    "sasl_plain_password", "sasl_kerberos_name", "sasl_kerberos_service_name",
    "sasl_kerberos_domain_name", "sasl_oauth_token_provider", "proxy_url", "socks5_proxy",
    "kafka_client",
)
# kafka-python settings purekafka has no use for: the values that say so (config._INERT).
_INERT_VALUES: dict[str, Any] = {
    "selector": selectors.DefaultSelector, "proxy_url": None, "socks5_proxy": None,
    "kafka_client": None,
}
# Settings whose value reads as the user gave it (kafka-python keeps the object).
_AS_GIVEN = ("bootstrap_servers", "key_serializer", "value_serializer", "partitioner")


def _original(cfg: ProducerConfig, name: str) -> tuple[bool, Any]:
    for key, value in cfg.originals.items():
        if key == name or _JAVA_NAMES.get(key) == name:
            return True, value
    return False, None


def _value(cfg: ProducerConfig, name: str, client_id: str | None) -> Any:
    if name in _INERT_VALUES:
        return _INERT_VALUES[name]
    if name == "client_id":
        return client_id
    given, original = _original(cfg, name)
    if name in _AS_GIVEN:
        if given:
            return original
        return "localhost" if name == "bootstrap_servers" else None
    value = getattr(cfg, name)
    if name == "retries" and value == MAX_INT and (not given or original == float("inf")):
        return float("inf")  # kafka-python's default; purekafka counts Java's 2147483647
    if isinstance(value, tuple) and name in ("socket_options", "metric_reporters"):
        return list(value)
    return value


def _items(cfg: ProducerConfig, client_id: str | None) -> dict[str, Any]:
    names = list(KAFKA_PYTHON_KEYS) + sorted(_FIELD_NAMES - set(KAFKA_PYTHON_KEYS))
    return {name: _value(cfg, name, client_id) for name in names}


def default_config() -> dict[str, Any]:
    """``KafkaProducer.DEFAULT_CONFIG``: every accepted kafka-python name and its default."""
    return _items(ProducerConfig(), None)


class ConfigView(Mapping[str, Any]):
    """kafka-python's ``producer.config``: a read-only mapping; attributes are the typed config's."""

    __slots__ = ("_typed", "_items")

    def __init__(self, typed: ProducerConfig, client_id: str | None) -> None:
        self._typed = typed
        self._items = _items(typed, client_id)

    @property
    def producer_config(self) -> ProducerConfig:
        """The typed settings behind the view."""
        return self._typed

    def __getitem__(self, key: str) -> Any:
        return self._items[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):  # copy/pickle probe dunders before __init__ has run
            raise AttributeError(name)
        return getattr(self._typed, name)

    def __repr__(self) -> str:
        # As a dict would print, with the passwords masked.
        return "{" + ", ".join(f"{k!r}: {_show(k, v)}" for k, v in self._items.items()) + "}"

"""Producer settings: one frozen, typed ``ProducerConfig``.

Every kafka-python 3 producer setting that means something outside kafka-python's own
internals is here, under kafka-python's name and with kafka-python's default (two
exceptions: ``retries`` defaults to Java's 2147483647, which is kafka-python's ``inf``
in practice; ``partitioner`` defaults to ``None``, the built-in Java behaviour: murmur2 of
the key, uniform sticky for null keys). ``ProducerConfig.from_kwargs`` /
``from_mapping`` also take Java's dotted names (``'linger.ms'``) and Java-style string
values (``'all'``, ``'true'``, ``'100'``), so a Java configuration block works verbatim.

Nothing is silently ignored: an unknown name, a wrong type or range, or a contradiction
raises ``KafkaConfigurationError`` naming the setting as the user spelled it, as kafka-python
writes it (``acks=1``), with a "did you mean" hint where one fits. A message names every
conflicting setting. Two exceptions, as in kafka-python: ``ssl_*`` settings under a protocol
without TLS and ``sasl_*`` settings under one without SASL are accepted and unused (logged).
kafka-python's ``kafka_client``, ``selector``, ``proxy_url`` and ``socks5_proxy`` are accepted
at their "not used" values only (what ``KafkaProducer.DEFAULT_CONFIG`` holds).

Idempotence follows kafka-python 3 (``KafkaProducer.__init__``): idempotence is on by default;
``acks`` other than all, ``retries=0`` or ``max_in_flight_requests_per_connection`` above 5
conflict with it. If idempotence was *not* set explicitly, a conflict logs a warning and turns
it off; if it was set to True, or a ``transactional_id`` is set, the conflict raises, naming
every conflicting setting. (Java 4.x agrees, except that it refuses more than 5 in flight
even when idempotence is only the default.) A ``transactional_id`` needs idempotence.
``delivery_timeout_ms`` below ``linger_ms + request_timeout_ms`` raises if set explicitly,
else is raised to that sum (Java ``KafkaProducer``). Backoff maximums: see ``_check_together``.

Direct construction (``ProducerConfig(acks=1)``) validates too, but cannot tell an
explicit value from a default one, so it treats values equal to the default as not set;
use ``from_kwargs`` for Java's exact explicit-setting rules.
"""
from __future__ import annotations

import dataclasses
import difflib
import logging
import math
import selectors
import socket
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Callable, Mapping

from .config_rules import (
    COMPRESSION_TYPES,
    MAX_INT,
    Rule,
    _acks,
    _any,
    _api_version,
    _availability_timeout,
    _bool,
    _bootstrap,
    _check_hostname,
    _choice,
    _compression,
    _int,
    _linger,
    _opt_str,
    _partitioner,
    parse_jaas,
    pem_store,
    _retries,
    _sequence,
    _serializer,
    _socket_options,
    _split_host_port,
    _str,
)
from .errors import KafkaConfigurationError, UnrecognizedBrokerVersion
from .serializers import SerializeFn

__all__ = ["COMPRESSION_TYPES", "MAX_INT", "ProducerConfig"]

log = logging.getLogger("purekafka.config")

MAX_IN_FLIGHT_FOR_IDEMPOTENCE = 5
SECURITY_PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
SASL_MECHANISMS = ("PLAIN", "GSSAPI", "OAUTHBEARER", "SCRAM-SHA-256", "SCRAM-SHA-512",
                   "AWS_MSK_IAM")
DNS_LOOKUPS = ("use_all_dns_ips", "resolve_canonical_bootstrap_servers_only")
# (lowest, highest, default) per codec, as in Java's compression.<codec>.level.
COMPRESSION_LEVELS: dict[str, tuple[int, int, int]] = {
    "gzip": (1, 9, -1), "lz4": (1, 17, 9), "zstd": (-131072, 22, 3),
}
_SECRETS = frozenset({"ssl_password", "sasl_plain_password"})
# User objects that may hold secrets in their attributes: shown by type only.
_OPAQUE = frozenset({"sasl_oauth_token_provider", "sasl_aws_credentials_provider"})
# The oldest broker release purekafka can write to: RecordBatch v2 (Produce v3) is 0.11's.
OLDEST_API_VERSION = (0, 11)


@dataclass(frozen=True)
class ProducerConfig:
    """Validated producer settings (kafka-python names; see the module docstring)."""

    bootstrap_servers: tuple[str, ...] = ("localhost",)
    client_id: str | None = None
    key_serializer: SerializeFn | None = None
    value_serializer: SerializeFn | None = None
    acks: int = -1
    compression_type: str | None = None
    compression_level: int | None = None
    compression_gzip_level: int | None = None
    compression_lz4_level: int | None = None
    compression_zstd_level: int | None = None
    retries: int = MAX_INT
    batch_size: int = 16384
    linger_ms: float = 0  # kafka-python takes a float; Java's (string) value is an integer
    partitioner: Any = None
    partitioner_ignore_keys: bool = False
    partitioner_adaptive_partitioning_enable: bool = True
    partitioner_availability_timeout_ms: int = 0
    buffer_memory: int = 33554432
    connections_max_idle_ms: int = 540000
    max_block_ms: int = 60000
    max_request_size: int = 1048576
    allow_auto_create_topics: bool = True
    metadata_max_age_ms: int = 300000
    metadata_max_idle_ms: int = 300000
    client_dns_lookup: str = "use_all_dns_ips"
    retry_backoff_ms: int = 100
    retry_backoff_max_ms: int = 1000
    request_timeout_ms: int = 30000
    delivery_timeout_ms: int = 120000
    receive_message_max_bytes: int = 100_000_000
    receive_buffer_bytes: int | None = None
    send_buffer_bytes: int | None = None
    socket_options: tuple[tuple[int, int, int], ...] = (
        (socket.IPPROTO_TCP, socket.TCP_NODELAY, 1),)
    reconnect_backoff_ms: int = 50
    reconnect_backoff_max_ms: int = 30000
    max_in_flight_requests_per_connection: int = 5
    enable_idempotence: bool = True
    transactional_id: str | None = None
    transaction_timeout_ms: int = 60000
    api_version: tuple[int, ...] | None = None
    api_version_auto_timeout_ms: int = 2000
    bootstrap_timeout_ms: int = 30000
    metrics_enabled: bool = True
    metrics_num_samples: int = 2
    metrics_sample_window_ms: int = 30000
    metric_reporters: tuple[Any, ...] = ()
    security_protocol: str = "PLAINTEXT"
    ssl_context: Any = None
    ssl_check_hostname: bool = True
    ssl_cafile: str | None = None
    ssl_certfile: str | None = None
    ssl_keyfile: str | None = None
    ssl_crlfile: str | None = None
    ssl_password: str | None = field(default=None, repr=False)  # a secret: never in repr
    ssl_ciphers: str | None = None
    sasl_mechanism: str | None = None
    sasl_plain_username: str | None = None
    sasl_plain_password: str | None = field(default=None, repr=False)  # a secret: never in repr
    sasl_kerberos_name: Any = None
    sasl_kerberos_service_name: str = "kafka"
    sasl_kerberos_domain_name: str | None = None
    sasl_oauth_token_provider: Any = None
    # AWS_MSK_IAM (purekafka's; kafka-python 3 asks botocore): see purekafka.core.sasl.msk.
    sasl_aws_region: str | None = None
    sasl_aws_credentials_provider: Any = None
    # What the user passed, keyed as they spelled it (for messages and describe()).
    originals: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    # The kafka-python names the user set; None: those differing from the default.
    explicit: frozenset[str] | None = field(default=None, compare=False, repr=False)

    @classmethod
    def from_kwargs(cls, **configs: Any) -> ProducerConfig:
        """Build from keyword arguments (kafka-python names; Java names via ``**{...}``)."""
        return cls.from_mapping(configs)

    @classmethod
    def from_mapping(cls, configs: Mapping[str, Any]) -> ProducerConfig:
        """Build from a mapping whose keys are kafka-python or Java names."""
        values: dict[str, Any] = {}
        spelled: dict[str, str] = {}
        for key, value in _java_security(configs):
            if key in _INERT and any(_same(value, v) for v in _INERT[key]):
                continue  # kafka-python's "not used" value of a setting we have no use for
            name = _canonical_name(key)
            if name in values and not _same_setting(name, values[name], value):
                raise KafkaConfigurationError(
                    f"{spelled[name]}={_show(name, values[name])} and {key}="
                    f"{_show(name, value)} set the same "
                    f"setting {name} to different values")
            values[name] = value
            spelled.setdefault(name, key)
        return cls(**values, originals=MappingProxyType(dict(configs)),
                   explicit=frozenset(values))

    def __post_init__(self) -> None:
        explicit = self.explicit
        if explicit is None:
            explicit = frozenset(
                f.name for f in _FIELDS if f.name in _RULES and not _same(
                    getattr(self, f.name), _default(f)))
            object.__setattr__(self, "explicit", explicit)
        if not isinstance(self.originals, MappingProxyType):
            object.__setattr__(self, "originals", MappingProxyType(dict(self.originals)))
        problems = []
        for name, rule in _RULES.items():
            value = getattr(self, name)
            try:
                normalized = rule(value)
            except (TypeError, ValueError) as exc:
                problems.append(f"{self._shown(name)}={_show(name, value)}: {exc}")
                continue
            if normalized is not value:
                object.__setattr__(self, name, normalized)
        if problems:  # every bad setting at once, not one per attempt
            raise KafkaConfigurationError("; ".join(problems))
        _check_together(self, explicit)

    def __repr__(self) -> str:
        # Secrets masked, user objects (token and credentials providers) by type only.
        shown = ", ".join(f"{f.name}={_show(f.name, getattr(self, f.name))}"
                          for f in _FIELDS if f.name not in ("originals", "explicit"))
        return f"ProducerConfig({shown})"

    def _shown(self, name: str) -> str:
        """The setting's name as the user spelled it, unquoted as kafka-python writes it."""
        for key in self.originals:
            if key == name or _JAVA_NAMES.get(key) == name:
                return str(key)
        return name

    def effective_compression_level(self) -> int | None:
        """The level for ``compression_type``: ``compression_level``, else the Java
        per-codec setting, else None (the codec's default)."""
        if self.compression_type is None:
            return None
        if self.compression_level is not None:
            return self.compression_level
        level: int | None = getattr(self, f"compression_{self.compression_type}_level", None)
        return level

    def bootstrap_addresses(self, default_port: int = 9092) -> list[tuple[str, int]]:
        """``bootstrap_servers`` as (host, port) pairs; ``[::1]:9092`` for IPv6."""
        return [_split_host_port(s, default_port) for s in self.bootstrap_servers]

    def describe(self) -> str:
        """One line per setting, marking those set explicitly; secrets masked."""
        assert self.explicit is not None
        lines = []
        for f in _FIELDS:
            if f.name in ("originals", "explicit"):
                continue
            value = getattr(self, f.name)
            shown = _show(f.name, value)
            mark = f"  (set as {self._shown(f.name)!r})" if f.name in self.explicit else ""
            lines.append(f"{f.name} = {shown}{mark}")
        return "\n".join(lines)


_FIELDS = dataclasses.fields(ProducerConfig)
_FIELD_NAMES = frozenset(f.name for f in _FIELDS) - {"originals", "explicit"}


def _default(f: dataclasses.Field[Any]) -> Any:
    if f.default is not dataclasses.MISSING:
        return f.default
    factory: Callable[[], Any] = f.default_factory  # type: ignore[assignment]
    return factory()


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(a is b or (type(a) is type(b) and a == b))
    except Exception:  # noqa: BLE001 - user objects may compare strangely
        return False


def _same_setting(name: str, a: Any, b: Any) -> bool:
    """Whether two spellings of one setting agree ('1' and 1 do), judged after normalizing."""
    if _same(a, b):
        return True
    try:
        rule = _RULES[name]
        return _same(rule(a), rule(b))
    except (TypeError, ValueError):
        return False


def _show(name: str, value: Any) -> str:
    if name in _SECRETS and value is not None:
        return "'********'"
    if name in _OPAQUE and value is not None:
        return f"<{type(value).__name__}>"
    return repr(value)


# --- Names -----------------------------------------------------------------------------

# Java's dotted name -> kafka-python's name. The Java names are exactly those of Java's
# ProducerConfig (and CommonClientConfigs) that mean the same thing here.
_JAVA_NAMES: dict[str, str] = {
    **{n.replace("_", "."): n for n in (
        "bootstrap_servers", "client_id", "key_serializer", "value_serializer",
        "compression_type", "compression_gzip_level", "compression_lz4_level",
        "compression_zstd_level", "batch_size", "linger_ms", "partitioner_ignore_keys",
        "partitioner_adaptive_partitioning_enable", "partitioner_availability_timeout_ms",
        "buffer_memory", "connections_max_idle_ms", "max_block_ms", "max_request_size",
        "allow_auto_create_topics", "metadata_max_age_ms", "metadata_max_idle_ms",
        "client_dns_lookup", "retry_backoff_ms", "retry_backoff_max_ms",
        "request_timeout_ms", "delivery_timeout_ms", "receive_buffer_bytes",
        "send_buffer_bytes", "reconnect_backoff_ms", "reconnect_backoff_max_ms",
        "max_in_flight_requests_per_connection", "enable_idempotence", "transactional_id",
        "transaction_timeout_ms", "metrics_num_samples", "metrics_sample_window_ms",
        "metric_reporters", "security_protocol", "sasl_mechanism",
        "sasl_kerberos_service_name",
    )},
    "partitioner.class": "partitioner",
    "ssl.cipher.suites": "ssl_ciphers",
    "ssl.key.password": "ssl_password",
    "ssl.endpoint.identification.algorithm": "ssl_check_hostname",
}

# Names we know and do not support, with the reason (rather than "unknown setting").
_UNSUPPORTED: dict[str, str] = {
    "kafka_client": "it replaces kafka-python's network client, which purekafka does not have",
    "selector": "purekafka chooses its own selector",
    "proxy_url": "proxies are not supported",
    "socks5_proxy": "proxies are not supported",
    "ssl.truststore.password": "PEM trust stores have no password; give ssl_cafile",
    "ssl.keystore.password": "give the key's password as ssl_password (ssl.key.password)",
    "interceptor.classes": "Java interceptors cannot run in Python",
    "metrics.recording.level": "purekafka records no per-level metrics",
}

# kafka-python settings we have no use for, accepted at the values that mean "not used"
# (kafka-python's defaults, but for kafka_client, whose default is its own network client).
_INERT: dict[str, tuple[Any, ...]] = {
    "kafka_client": (None,),
    "selector": (None, selectors.DefaultSelector),  # what purekafka uses anyway
    "proxy_url": (None,),
    "socks5_proxy": (None,),
}

_ACCEPTED = sorted(_FIELD_NAMES | set(_JAVA_NAMES))
# Java security settings whose values are translated (see _java_security).
_JAVA_SECURITY = ("sasl.jaas.config", "ssl.truststore.location", "ssl.truststore.type",
                  "ssl.keystore.location", "ssl.keystore.type")


def _java_security(configs: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """The settings, with Java's sasl.jaas.config and PEM trust/key store settings turned into
    kafka-python's (sasl_plain_username/password, ssl_cafile, ssl_certfile + ssl_keyfile)."""
    items = [(k, v) for k, v in configs.items() if k not in _JAVA_SECURITY]
    if "sasl.jaas.config" in configs:
        try:
            mechanisms, options = parse_jaas(configs["sasl.jaas.config"])
        except (TypeError, ValueError) as exc:
            verb = "could not be parsed" if "could not be parsed" in str(exc) else "is not supported"
            reason = str(exc).removeprefix("could not be parsed: ")
            raise KafkaConfigurationError(f"'sasl.jaas.config' {verb}: {reason}") from None
        mechanism = configs.get("sasl.mechanism", configs.get("sasl_mechanism"))
        if isinstance(mechanism, str) and mechanism.strip().upper() not in mechanisms:
            raise KafkaConfigurationError(
                f"'sasl.jaas.config' holds a login module for {' or '.join(mechanisms)}, but "
                f"sasl.mechanism is {mechanism!r}")
        items += [("sasl_plain_username", options["username"]),
                  ("sasl_plain_password", options["password"])]
    for kind, target in (("trust", "ssl_cafile"), ("key", "ssl_certfile")):
        location = f"ssl.{kind}store.location"
        if location not in configs:
            if f"ssl.{kind}store.type" in configs:
                raise KafkaConfigurationError(
                    f"'ssl.{kind}store.type' is used only with {location!r}")
            continue
        try:
            path = pem_store(kind, configs[location], configs.get(f"ssl.{kind}store.type"))
        except ValueError as exc:
            raise KafkaConfigurationError(f"{location!r} is not supported: {exc}") from None
        items.append((target, path))
        if kind == "key":  # a PEM key store holds the certificate chain and the key
            items.append(("ssl_keyfile", path))
    return items


def _canonical_name(key: Any) -> str:
    if not isinstance(key, str):
        raise KafkaConfigurationError(f"setting names are strings, got {key!r}")
    if key in _FIELD_NAMES:
        return key
    if key in _JAVA_NAMES:
        return _JAVA_NAMES[key]
    if key in _UNSUPPORTED:
        inert = " (None is accepted)" if key in _INERT else ""
        raise KafkaConfigurationError(f"{key!r} is not supported: {_UNSUPPORTED[key]}{inert}")
    hint = _did_you_mean(key)
    if not hint and "." in key:
        hint = ("; Java-only settings (keystores, SASL login and OAuth classes, interceptors, "
                "...) are not available in purekafka")
    raise KafkaConfigurationError(f"unknown setting {key!r}{hint}")


def _did_you_mean(key: str) -> str:
    probe = key.strip().lower().replace("-", "_")
    if probe in _FIELD_NAMES:
        return f"; did you mean {probe!r}?"
    if probe.replace(".", "_") in _FIELD_NAMES:
        return f"; did you mean {probe.replace('.', '_')!r}?"
    close = difflib.get_close_matches(probe, _ACCEPTED, n=1, cutoff=0.75)
    return f"; did you mean {close[0]!r}?" if close else ""


_RULES: dict[str, Rule] = {
    "bootstrap_servers": _bootstrap,
    "client_id": _opt_str,
    "key_serializer": _serializer,
    "value_serializer": _serializer,
    "acks": _acks,
    "compression_type": _compression,
    "compression_level": _int(-131072, 22, optional=True),
    "compression_gzip_level": _int(-1, 9, optional=True),
    "compression_lz4_level": _int(1, 17, optional=True),
    "compression_zstd_level": _int(-131072, 22, optional=True),
    "retries": _retries,
    "batch_size": _int(0),
    "linger_ms": _linger,
    "partitioner": _partitioner,
    "partitioner_ignore_keys": _bool,
    "partitioner_adaptive_partitioning_enable": _bool,
    "partitioner_availability_timeout_ms": _availability_timeout,
    "buffer_memory": _int(0, 2**63 - 1),
    "connections_max_idle_ms": _int(-1, 2**63 - 1),
    "max_block_ms": _int(0, 2**63 - 1),
    "max_request_size": _int(0),
    "allow_auto_create_topics": _bool,
    "metadata_max_age_ms": _int(0, 2**63 - 1),
    "metadata_max_idle_ms": _int(5000, 2**63 - 1),
    "client_dns_lookup": _choice(DNS_LOOKUPS),
    "retry_backoff_ms": _int(0, 2**63 - 1),
    "retry_backoff_max_ms": _int(0, 2**63 - 1),
    "request_timeout_ms": _int(0),
    "delivery_timeout_ms": _int(0),
    "receive_message_max_bytes": _int(1),
    "receive_buffer_bytes": _int(-1, optional=True),
    "send_buffer_bytes": _int(-1, optional=True),
    "socket_options": _socket_options,
    "reconnect_backoff_ms": _int(0, 2**63 - 1),
    "reconnect_backoff_max_ms": _int(0, 2**63 - 1),
    "max_in_flight_requests_per_connection": _int(1),
    "enable_idempotence": _bool,
    "transactional_id": _opt_str,
    "transaction_timeout_ms": _int(0),
    "api_version": _api_version,
    "api_version_auto_timeout_ms": _int(0),
    "bootstrap_timeout_ms": _int(0),
    "metrics_enabled": _bool,
    "metrics_num_samples": _int(1),
    "metrics_sample_window_ms": _int(1, 2**63 - 1),  # a rate divides by the window
    "metric_reporters": _sequence,
    "security_protocol": _choice(SECURITY_PROTOCOLS, upper=True),
    "ssl_context": _any,
    "ssl_check_hostname": _check_hostname,
    "ssl_cafile": _opt_str,
    "ssl_certfile": _opt_str,
    "ssl_keyfile": _opt_str,
    "ssl_crlfile": _opt_str,
    "ssl_password": _opt_str,
    "ssl_ciphers": _opt_str,
    "sasl_mechanism": lambda v: None if v is None else _choice(SASL_MECHANISMS, upper=True)(v),
    "sasl_plain_username": _opt_str,
    "sasl_plain_password": _opt_str,
    "sasl_kerberos_name": _any,
    "sasl_kerberos_service_name": _str,
    "sasl_kerberos_domain_name": _opt_str,
    "sasl_oauth_token_provider": _any,
    "sasl_aws_region": _opt_str,
    "sasl_aws_credentials_provider": _any,
}
assert set(_RULES) == _FIELD_NAMES, set(_RULES) ^ _FIELD_NAMES


# --- Rules across settings --------------------------------------------------------------

def _check_together(cfg: ProducerConfig, explicit: frozenset[str]) -> None:
    def fail(message: str) -> KafkaConfigurationError:
        return KafkaConfigurationError(message)

    def put(name: str, value: Any) -> None:
        object.__setattr__(cfg, name, value)

    s = cfg._shown
    _check_idempotence(cfg, explicit)
    _check_api_version(cfg)

    # Java KafkaProducer: delivery timeout must cover linger plus one request.
    floor = min(math.ceil(cfg.linger_ms + cfg.request_timeout_ms), MAX_INT)
    if cfg.delivery_timeout_ms < floor:
        if "delivery_timeout_ms" in explicit:
            raise fail(f"{s('delivery_timeout_ms')}={cfg.delivery_timeout_ms} must be at "
                       f"least linger_ms + request_timeout_ms = {floor}")
        put("delivery_timeout_ms", floor)

    # Backoffs. Java CommonClientConfigs: reconnect_backoff_ms given without a maximum
    # disables the exponential growth (maximum := base). A retry backoff above its
    # (default) maximum stays the constant backoff, as it was in kafka-python, which has
    # no maximum. Both given with base above maximum is a contradiction.
    if "reconnect_backoff_ms" in explicit and "reconnect_backoff_max_ms" not in explicit:
        put("reconnect_backoff_max_ms", cfg.reconnect_backoff_ms)
    if cfg.retry_backoff_max_ms < cfg.retry_backoff_ms and "retry_backoff_max_ms" not in explicit:
        put("retry_backoff_max_ms", cfg.retry_backoff_ms)
    for base in ("retry_backoff_ms", "reconnect_backoff_ms"):
        top = base.replace("_ms", "_max_ms")
        if getattr(cfg, top) < getattr(cfg, base):
            raise fail(f"{s(top)}={getattr(cfg, top)} is below {s(base)}={getattr(cfg, base)}")

    if cfg.compression_level is not None:
        if cfg.compression_type is None:
            raise fail(f"{s('compression_level')} is set but {s('compression_type')} is None")
        low, high, default = COMPRESSION_LEVELS.get(cfg.compression_type, (0, 0, 0))
        if cfg.compression_type == "snappy":
            raise fail(f"{s('compression_level')}: snappy has no compression levels")
        if not (low <= cfg.compression_level <= high or cfg.compression_level == default):
            raise fail(f"{s('compression_level')}={cfg.compression_level}: "
                       f"{cfg.compression_type} levels are {low}..{high}")
    if cfg.compression_gzip_level == 0:
        raise fail(f"{s('compression_gzip_level')}=0: gzip levels are 1..9 (or -1, default)")

    sasl = cfg.security_protocol.startswith("SASL_")
    ssl = cfg.security_protocol in ("SSL", "SASL_SSL")
    unused = [s(n) for n in _SASL_SETTINGS if not sasl and getattr(cfg, n) is not None]
    unused += [s(n) for n in _SSL_SETTINGS if not ssl and getattr(cfg, n) is not None]
    if unused:
        # kafka-python ignores them: a shared settings block may carry both protocols' parts.
        log.info("%s: not used with security_protocol=%r", ", ".join(unused),
                 cfg.security_protocol)
    if sasl:
        _check_sasl(cfg)


def _check_sasl(cfg: ProducerConfig) -> None:
    """What each SASL mechanism needs (kafka-python's checks, made at construction)."""
    s = cfg._shown
    mechanism = cfg.sasl_mechanism
    if mechanism is None:
        # kafka-python has no default mechanism (Java's is GSSAPI): it must be named.
        raise KafkaConfigurationError(
            f"{s('security_protocol')}={cfg.security_protocol!r} needs {s('sasl_mechanism')} "
            f"(one of {', '.join(SASL_MECHANISMS)})")
    if mechanism == "PLAIN" or mechanism.startswith("SCRAM"):
        missing = [s(n) for n in ("sasl_plain_username", "sasl_plain_password")
                   if getattr(cfg, n) is None]
        if missing:
            raise KafkaConfigurationError(
                f"{s('sasl_mechanism')}={mechanism!r} needs {' and '.join(missing)}")
        if cfg.security_protocol == "SASL_PLAINTEXT":
            log.warning("sasl_mechanism=%r over SASL_PLAINTEXT: the %s travel in the clear",
                        mechanism, "password" if mechanism == "PLAIN" else "SCRAM messages")
    if mechanism == "OAUTHBEARER":
        provider = cfg.sasl_oauth_token_provider
        if provider is None:
            raise KafkaConfigurationError(
                f"{s('sasl_mechanism')}='OAUTHBEARER' needs {s('sasl_oauth_token_provider')}")
        if not callable(getattr(provider, "token", None)) and not callable(provider):
            raise KafkaConfigurationError(
                f"{s('sasl_oauth_token_provider')}: expected an object with a token() method "
                f"(kafka-python's AbstractTokenProvider) or a callable returning the token, "
                f"got a {type(provider).__name__}")
    if mechanism == "AWS_MSK_IAM" and cfg.security_protocol != "SASL_SSL":
        raise KafkaConfigurationError(
            f"{s('sasl_mechanism')}='AWS_MSK_IAM' needs {s('security_protocol')}='SASL_SSL' "
            f"(MSK's IAM listeners are TLS), not {cfg.security_protocol!r}")


_SASL_SETTINGS = ("sasl_mechanism", "sasl_plain_username", "sasl_plain_password",
                  "sasl_kerberos_name", "sasl_kerberos_domain_name", "sasl_oauth_token_provider",
                  "sasl_aws_region", "sasl_aws_credentials_provider")
_SSL_SETTINGS = ("ssl_context", "ssl_cafile", "ssl_certfile", "ssl_keyfile", "ssl_crlfile",
                 "ssl_password", "ssl_ciphers")


def _check_idempotence(cfg: ProducerConfig, explicit: frozenset[str]) -> None:
    """kafka-python 3's rules (see the module docstring); every conflict is named."""
    s = cfg._shown
    told = "enable_idempotence" in explicit
    tid = cfg.transactional_id
    if tid is not None:
        if tid == "":
            raise KafkaConfigurationError(f"{s('transactional_id')} must not be empty")
        if not cfg.enable_idempotence:
            raise KafkaConfigurationError(  # kafka-python's words, then ours
                f"Cannot set {s('transactional_id')} without {s('enable_idempotence')}: "
                f"{s('transactional_id')}={tid!r} needs idempotence, which "
                f"{s('enable_idempotence')}=False turns off")
    if not cfg.enable_idempotence:
        return
    conflicts: list[tuple[str, str]] = []  # (name=value, what idempotence needs)
    if cfg.acks != -1:
        conflicts.append((f"{s('acks')}={cfg.acks!r}", "acks='all' (-1)"))
    if cfg.retries == 0:
        conflicts.append((f"{s('retries')}=0", "retries > 0"))
    in_flight = cfg.max_in_flight_requests_per_connection
    if in_flight > MAX_IN_FLIGHT_FOR_IDEMPOTENCE:
        conflicts.append((f"{s('max_in_flight_requests_per_connection')}={in_flight}",
                          f"at most {MAX_IN_FLIGHT_FOR_IDEMPOTENCE} requests in flight"))
    if not conflicts:
        return
    named = ", ".join(c for c, _ in conflicts)
    wanted = [n for _, n in conflicts]
    needs = wanted[0] if len(wanted) == 1 else ", ".join(wanted[:-1]) + " and " + wanted[-1]
    if tid is not None:
        raise KafkaConfigurationError(
            f"{s('transactional_id')}={tid!r} needs idempotence, which is incompatible with "
            f"user-provided {named} (the idempotent producer needs {needs})")
    if told:
        raise KafkaConfigurationError(
            f"{s('enable_idempotence')}=True is incompatible with user-provided {named} "
            f"(the idempotent producer needs {needs})")
    log.warning("Idempotence will be disabled because user-provided config conflicts with "
                "idempotent defaults: %s", named)
    object.__setattr__(cfg, "enable_idempotence", False)


def _check_api_version(cfg: ProducerConfig) -> None:
    version = cfg.api_version
    given = [v for k, v in cfg.originals.items() if k == "api_version"]
    if given and isinstance(given[0], str):  # kafka-python warns, and takes it
        log.warning('use api_version=%s [tuple] -- "%s" as str is deprecated', version, given[0])
    if version is None or version >= OLDEST_API_VERSION:
        return
    shown = f"{cfg._shown('api_version')}={version!r}"
    if version < (0, 8, 0):  # no Kafka release is older: kafka-python raises this too
        raise UnrecognizedBrokerVersion(f"{shown}: no Kafka release has this version")
    raise KafkaConfigurationError(
        f"{shown}: purekafka writes RecordBatch v2, which brokers older than "
        f"{'.'.join(map(str, OLDEST_API_VERSION))} cannot take")

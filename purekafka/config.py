"""Producer settings: one frozen, typed ``ProducerConfig``.

Every kafka-python 3 producer setting that means something outside kafka-python's own
internals is here, under kafka-python's name and with kafka-python's default (two
exceptions: ``retries`` defaults to Java's 2147483647, which is kafka-python's ``inf``
in practice; ``partitioner`` defaults to ``None``, the built-in Java behaviour: murmur2 of
the key, uniform sticky for null keys). ``ProducerConfig.from_kwargs`` /
``from_mapping`` also take Java's dotted names (``'linger.ms'``) and Java-style string
values (``'all'``, ``'true'``, ``'100'``), so a Java configuration block works verbatim.

Nothing is silently ignored: an unknown name, a wrong type or range, or a contradiction
raises ``KafkaConfigurationError`` naming the setting as the user spelled it, with a
"did you mean" hint where one fits.

Idempotence follows Java 4.x ``ProducerConfig`` (not kafka-python): idempotence is on by
default; if it was *not* set explicitly, ``acks`` other than all or ``retries=0`` turn it
off; if it *was* set explicitly to True, they raise. ``max_in_flight_requests_per_connection``
above 5 with idempotence on always raises (an error since Java 4.0). A ``transactional_id``
needs idempotence. ``delivery_timeout_ms`` below ``linger_ms + request_timeout_ms`` raises
if set explicitly, else is raised to that sum (Java ``KafkaProducer``). Backoff maximums:
see ``_check_together``.

Direct construction (``ProducerConfig(acks=1)``) validates too, but cannot tell an
explicit value from a default one, so it treats values equal to the default as not set;
use ``from_kwargs`` for Java's exact explicit-setting rules.
"""
from __future__ import annotations

import dataclasses
import difflib
import socket
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Callable, Mapping

from .errors import KafkaConfigurationError
from .serializers import SerializeFn, make_serializer

MAX_INT = 2**31 - 1
MAX_IN_FLIGHT_FOR_IDEMPOTENCE = 5
COMPRESSION_TYPES = (None, "gzip", "snappy", "lz4", "zstd")
SECURITY_PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
SASL_MECHANISMS = ("PLAIN", "GSSAPI", "OAUTHBEARER", "SCRAM-SHA-256", "SCRAM-SHA-512")
DNS_LOOKUPS = ("use_all_dns_ips", "resolve_canonical_bootstrap_servers_only")
# (lowest, highest, default) per codec, as in Java's compression.<codec>.level.
COMPRESSION_LEVELS: dict[str, tuple[int, int, int]] = {
    "gzip": (1, 9, -1), "lz4": (1, 17, 9), "zstd": (-131072, 22, 3),
}
_SECRETS = frozenset({"ssl_password", "sasl_plain_password"})


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
    linger_ms: int = 0
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
    ssl_password: str | None = None
    ssl_ciphers: str | None = None
    sasl_mechanism: str | None = None
    sasl_plain_username: str | None = None
    sasl_plain_password: str | None = None
    sasl_kerberos_name: Any = None
    sasl_kerberos_service_name: str = "kafka"
    sasl_kerberos_domain_name: str | None = None
    sasl_oauth_token_provider: Any = None
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
        for key, value in configs.items():
            name = _canonical_name(key)
            if name in values and not _same_setting(name, values[name], value):
                raise KafkaConfigurationError(
                    f"{spelled[name]!r}={_show(name, values[name])} and {key!r}="
                    f"{_show(name, value)} set the same "
                    f"setting {name!r} to different values")
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
        for name, rule in _RULES.items():
            value = getattr(self, name)
            try:
                normalized = rule(value)
            except (TypeError, ValueError) as exc:
                raise KafkaConfigurationError(
                    f"{self._shown(name)}={_show(name, value)}: {exc}") from None
            if normalized is not value:
                object.__setattr__(self, name, normalized)
        _check_together(self, explicit)

    def _shown(self, name: str) -> str:
        """The setting's name as the user spelled it (quoted)."""
        for key in self.originals:
            if key == name or _JAVA_NAMES.get(key) == name:
                return repr(key)
        return repr(name)

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
            mark = f"  (set as {self._shown(f.name)})" if f.name in self.explicit else ""
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
    "sasl.jaas.config": "give sasl_mechanism, sasl_plain_username and sasl_plain_password",
    "ssl.truststore.location": "Java keystores are not read; give ssl_cafile (PEM)",
    "ssl.keystore.location": "Java keystores are not read; give ssl_certfile/ssl_keyfile (PEM)",
    "interceptor.classes": "Java interceptors cannot run in Python",
    "metrics.recording.level": "purekafka records no per-level metrics",
}

_ACCEPTED = sorted(_FIELD_NAMES | set(_JAVA_NAMES))


def _canonical_name(key: Any) -> str:
    if not isinstance(key, str):
        raise KafkaConfigurationError(f"setting names are strings, got {key!r}")
    if key in _FIELD_NAMES:
        return key
    if key in _JAVA_NAMES:
        return _JAVA_NAMES[key]
    if key in _UNSUPPORTED:
        raise KafkaConfigurationError(f"{key!r} is not supported: {_UNSUPPORTED[key]}")
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


# --- Per-setting rules ------------------------------------------------------------------
# Each rule takes the raw value and returns it normalized, or raises ValueError/TypeError
# whose text says what is allowed.

Rule = Callable[[Any], Any]


def _parse_int(value: Any) -> int:
    if isinstance(value, bool):
        raise TypeError("expected an integer, got a bool")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            raise ValueError("expected an integer") from None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise TypeError(f"expected an integer, got {type(value).__name__}")


def _int(low: int, high: int = MAX_INT, optional: bool = False) -> Rule:
    def rule(value: Any) -> int | None:
        if value is None and optional:
            return None
        n = _parse_int(value)
        if not low <= n <= high:
            raise ValueError(f"must be between {low} and {high}")
        return n
    return rule


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise TypeError("expected True or False (or the strings 'true'/'false')")


def _choice(choices: tuple[Any, ...], upper: bool = False) -> Rule:
    def rule(value: Any) -> Any:
        probe = value
        if isinstance(value, str):
            probe = value.strip().upper() if upper else value.strip()
        if probe not in choices:
            raise ValueError(f"must be one of {', '.join(repr(c) for c in choices)}")
        return probe
    return rule


def _opt_str(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise TypeError(f"expected a string or None, got {type(value).__name__}")


def _str(value: Any) -> str:
    if isinstance(value, str):
        return value
    raise TypeError(f"expected a string, got {type(value).__name__}")


def _any(value: Any) -> Any:
    return value


def _bootstrap(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        items = [s.strip() for s in value.split(",")]
    elif isinstance(value, (list, tuple)):
        items = [s.strip() if isinstance(s, str) else s for s in value]
    else:
        raise TypeError("expected 'host:port', a comma-separated string or a list of them")
    items = [s for s in items if s != ""]
    if not items:
        raise ValueError("needs at least one 'host:port'")
    for item in items:
        if not isinstance(item, str):
            raise TypeError(f"{item!r} is not a 'host:port' string")
        _split_host_port(item, 9092)
    return tuple(items)


def _split_host_port(item: str, default_port: int) -> tuple[str, int]:
    host, port_text = item, ""
    if item.startswith("["):
        end = item.find("]")
        if end < 0:
            raise ValueError(f"{item!r}: unclosed '[' in IPv6 address")
        host, rest = item[1:end], item[end + 1:]
        if rest and not rest.startswith(":"):
            raise ValueError(f"{item!r}: expected ':port' after ']'")
        port_text = rest[1:]
    elif item.count(":") == 1:
        host, port_text = item.split(":")
    if not host:
        raise ValueError(f"{item!r}: empty host")
    if port_text == "":
        return host, default_port
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ValueError(f"{item!r}: port must be 1..65535")
    return host, int(port_text)


def _acks(value: Any) -> int:
    probe = value.strip() if isinstance(value, str) else value
    if probe == "all":
        return -1
    if isinstance(probe, bool):
        raise TypeError("expected 0, 1, -1 or 'all'")
    try:
        n = int(probe)
    except (TypeError, ValueError):
        raise ValueError("must be 0, 1, -1 or 'all'") from None
    if n not in (0, 1, -1) or (isinstance(probe, float) and probe != n):
        raise ValueError("must be 0, 1, -1 or 'all'")
    return n


def _compression(value: Any) -> str | None:
    probe = value.strip() if isinstance(value, str) else value
    if probe == "none":
        return None
    if probe not in COMPRESSION_TYPES:
        raise ValueError("must be one of None, 'none', 'gzip', 'snappy', 'lz4', 'zstd'")
    return None if probe is None else str(probe)


def _retries(value: Any) -> int:
    if isinstance(value, float) and value == float("inf"):
        return MAX_INT  # kafka-python's default; Java's is this number
    return int(_int(0)(value))


def _serializer(value: Any) -> SerializeFn | None:
    return make_serializer(value)


def _partitioner(value: Any) -> Any:
    from .partitioner import make_partitioner  # lazy: partitioner sits later in the import order

    make_partitioner(value)  # raises TypeError for a shape we cannot call
    return value


def _api_version(value: Any) -> tuple[int, ...] | None:
    if value is None:
        return None
    parts: list[Any]
    if isinstance(value, str):
        if value.strip().lower() == "auto":
            return None
        parts = value.strip().split(".")
    elif isinstance(value, (tuple, list)):
        parts = list(value)
    else:
        raise TypeError("expected None, 'auto', a version string like '3.7' or a tuple of ints")
    try:
        version = tuple(_parse_int(p) for p in parts)
    except (TypeError, ValueError):
        raise ValueError("expected a version string like '3.7' or a tuple of ints") from None
    if not version or any(p < 0 for p in version):
        raise ValueError("expected a version string like '3.7' or a tuple of ints")
    return version


def _sequence(value: Any) -> tuple[Any, ...]:
    if isinstance(value, str):
        return tuple(s.strip() for s in value.split(",") if s.strip())
    if isinstance(value, (list, tuple)):
        return tuple(value)
    raise TypeError("expected a list")


def _socket_options(value: Any) -> tuple[tuple[int, int, int], ...]:
    if not isinstance(value, (list, tuple)):
        raise TypeError("expected a list of (level, option, value) tuples")
    out = []
    for item in value:
        if not isinstance(item, (list, tuple)) or len(item) != 3:
            raise ValueError(f"{item!r} is not a (level, option, value) tuple")
        out.append((item[0], item[1], item[2]))
    return tuple(out)


def _check_hostname(value: Any) -> bool:
    # Java spells this ssl.endpoint.identification.algorithm: 'https' checks, '' does not.
    if isinstance(value, str) and value.strip().lower() in ("https", ""):
        return value.strip() != ""
    return _bool(value)


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
    "linger_ms": _int(0, 2**63 - 1),
    "partitioner": _partitioner,
    "partitioner_ignore_keys": _bool,
    "partitioner_adaptive_partitioning_enable": _bool,
    "partitioner_availability_timeout_ms": _int(0),
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
}
assert set(_RULES) == _FIELD_NAMES, set(_RULES) ^ _FIELD_NAMES


# --- Rules across settings --------------------------------------------------------------

def _check_together(cfg: ProducerConfig, explicit: frozenset[str]) -> None:
    def fail(message: str) -> KafkaConfigurationError:
        return KafkaConfigurationError(message)

    def put(name: str, value: Any) -> None:
        object.__setattr__(cfg, name, value)

    s = cfg._shown
    # Idempotence, as Java 4.x ProducerConfig.postProcessAndValidateIdempotenceConfigs.
    if cfg.enable_idempotence:
        told = "enable_idempotence" in explicit
        if cfg.retries == 0:
            if told:
                raise fail(f"{s('retries')}=0 conflicts with {s('enable_idempotence')}=True: "
                           "the idempotent producer needs retries > 0")
            put("enable_idempotence", False)
        if cfg.acks != -1:
            if told:
                raise fail(f"{s('acks')}={cfg.acks} conflicts with {s('enable_idempotence')}"
                           "=True: the idempotent producer needs acks='all' (-1)")
            put("enable_idempotence", False)
        if cfg.max_in_flight_requests_per_connection > MAX_IN_FLIGHT_FOR_IDEMPOTENCE:
            # An error whether or not idempotence was set explicitly (as Java 4.x).
            raise fail(
                f"{s('max_in_flight_requests_per_connection')}="
                f"{cfg.max_in_flight_requests_per_connection} must be at most "
                f"{MAX_IN_FLIGHT_FOR_IDEMPOTENCE} when idempotence is enabled "
                f"(set {s('enable_idempotence')}=False to allow more)")
    if cfg.transactional_id is not None:
        if cfg.transactional_id == "":
            raise fail(f"{s('transactional_id')} must not be empty")
        if not cfg.enable_idempotence:
            raise fail(f"{s('transactional_id')} needs idempotence, which is off "
                       "(enable_idempotence=False, acks other than 'all', or retries=0)")

    # Java KafkaProducer: delivery timeout must cover linger plus one request.
    floor = min(cfg.linger_ms + cfg.request_timeout_ms, MAX_INT)
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
    if sasl and cfg.sasl_mechanism is None:
        raise fail(f"{s('security_protocol')}={cfg.security_protocol!r} needs "
                   f"{s('sasl_mechanism')} (one of {', '.join(SASL_MECHANISMS)})")
    if not sasl:
        for name in ("sasl_mechanism", "sasl_plain_username", "sasl_plain_password",
                     "sasl_kerberos_name", "sasl_kerberos_domain_name",
                     "sasl_oauth_token_provider"):
            if getattr(cfg, name) is not None:
                raise fail(f"{s(name)} is set but {s('security_protocol')}="
                           f"{cfg.security_protocol!r} does not use SASL")
    if cfg.sasl_mechanism is not None and (cfg.sasl_mechanism == "PLAIN"
                                           or cfg.sasl_mechanism.startswith("SCRAM")):
        for name in ("sasl_plain_username", "sasl_plain_password"):
            if getattr(cfg, name) is None:
                raise fail(f"{s('sasl_mechanism')}={cfg.sasl_mechanism!r} needs {s(name)}")
    if cfg.sasl_mechanism == "OAUTHBEARER" and cfg.sasl_oauth_token_provider is None:
        raise fail(f"{s('sasl_mechanism')}='OAUTHBEARER' needs {s('sasl_oauth_token_provider')}")
    if not ssl:
        for name in ("ssl_context", "ssl_cafile", "ssl_certfile", "ssl_keyfile",
                     "ssl_crlfile", "ssl_password", "ssl_ciphers"):
            if getattr(cfg, name) is not None:
                raise fail(f"{s(name)} is set but {s('security_protocol')}="
                           f"{cfg.security_protocol!r} does not use TLS")

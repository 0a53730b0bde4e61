"""The per-setting rules of ``purekafka.config``: each takes a raw value (kafka-python's
Python value or Java's string) and returns it normalized, or raises ValueError/TypeError
whose text says what is allowed."""
from __future__ import annotations

import math
from typing import Any, Callable

from .serializers import SerializeFn, make_serializer

MAX_INT = 2**31 - 1
COMPRESSION_TYPES = (None, "gzip", "snappy", "lz4", "zstd")

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


def _linger(value: Any) -> float:
    # kafka-python takes any number of milliseconds; a (Java) string must be an integer.
    if isinstance(value, float) and not value.is_integer():
        if not math.isfinite(value) or value < 0:
            raise ValueError("must be a finite number of milliseconds >= 0")
        return value
    return int(_int(0, 2**63 - 1)(value))


def _availability_timeout(value: Any) -> int:
    n = int(_int(0)(value))
    if n != 0:
        raise ValueError("not supported: purekafka's adaptive partitioning does not track how "
                         "long a broker has not taken produce requests; leave it at 0 (off)")
    return n


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


# --- Java's security settings ----------------------------------------------------------

_JAAS_MODULES = {
    "org.apache.kafka.common.security.plain.PlainLoginModule": ("PLAIN",),
    "org.apache.kafka.common.security.scram.ScramLoginModule": ("SCRAM-SHA-256", "SCRAM-SHA-512"),
}
_JAAS_FLAGS = ("required", "requisite", "sufficient", "optional")


def _jaas_tokens(text: str) -> list[tuple[str, str]]:
    """(kind, text) tokens: 'word', 'str' (a quoted string, escapes resolved), '=' and ';'."""
    tokens: list[tuple[str, str]] = []
    i = 0
    while i < len(text):
        c = text[i]
        if c.isspace():
            i += 1
        elif c in "=;":
            tokens.append((c, c))
            i += 1
        elif c == '"':
            out, i = [], i + 1
            while i < len(text) and text[i] != '"':
                if text[i] == "\\" and i + 1 < len(text):
                    i += 1
                out.append(text[i])
                i += 1
            if i >= len(text):
                raise ValueError("a quoted value is not closed")
            tokens.append(("str", "".join(out)))
            i += 1
        else:
            start = i
            while i < len(text) and not text[i].isspace() and text[i] not in '=;"':
                i += 1
            tokens.append(("word", text[start:i]))
    return tokens


def parse_jaas(value: Any) -> tuple[tuple[str, ...], dict[str, str]]:
    """Java's ``sasl.jaas.config`` for PlainLoginModule or ScramLoginModule: the mechanisms the
    module serves and its options. ValueError (never quoting the value, which holds a
    password) if it is anything else."""
    if not isinstance(value, str):
        raise TypeError("expected the JAAS configuration string")
    try:
        tokens = _jaas_tokens(value)
    except ValueError as exc:
        raise ValueError(f"could not be parsed: {exc}") from None
    if not tokens or tokens[0][0] != "word" or tokens[0][1] not in _JAAS_MODULES:
        raise ValueError(
            "purekafka reads only org.apache.kafka.common.security.plain.PlainLoginModule and "
            "...scram.ScramLoginModule entries from it (username=\"...\" password=\"...\";); "
            "for other login modules give sasl_mechanism and its kafka-python settings")
    module = tokens[0][1]
    if len(tokens) < 2 or tokens[1][0] != "word" or tokens[1][1].lower() not in _JAAS_FLAGS:
        raise ValueError(f"could not be parsed: {module.rsplit('.', 1)[-1]} must be followed "
                         f"by one of {', '.join(_JAAS_FLAGS)}")
    options: dict[str, str] = {}
    rest = tokens[2:]
    while rest and rest[0][0] != ";":
        if len(rest) < 3 or rest[0][0] != "word" or rest[1][0] != "=" or rest[2][0] not in (
                "word", "str"):
            raise ValueError("could not be parsed: expected key=\"value\" options ending in ';'")
        options[rest[0][1]] = rest[2][1]
        rest = rest[3:]
    if not rest or len(rest) > 1:
        raise ValueError("could not be parsed: expected exactly one login module ending in ';'")
    unknown = sorted(set(options) - {"username", "password", "tokenauth"})
    if unknown:
        raise ValueError(f"could not be parsed: unknown option(s) {', '.join(unknown)} "
                         "(only username and password are read)")
    if options.get("tokenauth", "false").lower() == "true":
        raise ValueError("delegation tokens (tokenauth=true) are not supported")
    missing = [k for k in ("username", "password") if k not in options]
    if missing:
        raise ValueError(f"could not be parsed: {' and '.join(missing)} missing")
    return _JAAS_MODULES[module], {k: options[k] for k in ("username", "password")}


def pem_store(kind: str, location: Any, store_type: Any) -> str:
    """A Java ``ssl.<kind>store.location`` that is a PEM file; ValueError for a keystore."""
    if not isinstance(location, str) or not location.strip():
        raise ValueError("expected a file path")
    given = store_type.strip().upper() if isinstance(store_type, str) else None
    pem_name = location.lower().endswith((".pem", ".crt", ".cer"))
    if given == "PEM" or (given is None and pem_name):
        return location.strip()
    raise ValueError(
        f"Java key stores ({given or 'JKS'}) are not read: give a PEM file "
        f"(ssl.{kind}store.type=PEM, or a .pem/.crt file name) or "
        f"{'ssl_cafile' if kind == 'trust' else 'ssl_certfile and ssl_keyfile'}")

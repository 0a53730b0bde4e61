"""Shared Hypothesis strategies.

Protocol messages are generated from protocol_specs/ (so every API gets
strategies for free) as plain nested dicts in the shape that
``purekafka.protocol.specs.decode`` returns; ``to_dataclass`` turns one into
an API module's dataclasses.
"""
from __future__ import annotations

import dataclasses
import types
import typing
import uuid
from typing import Any

from hypothesis import strategies as st

from purekafka.protocol import specs

INT_RANGES = {
    "int8": (-(1 << 7), (1 << 7) - 1),
    "int16": (-(1 << 15), (1 << 15) - 1),
    "int32": (-(1 << 31), (1 << 31) - 1),
    "int64": (-(1 << 63), (1 << 63) - 1),
    "uint16": (0, (1 << 16) - 1),
    "uint32": (0, (1 << 32) - 1),
}

# Tags no struct in our specs knows, so preserved unknown tags never collide.
UNKNOWN_TAGS = st.dictionaries(st.integers(20, 300), st.binary(max_size=8), max_size=2)

small_text = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12)


def int_values(t: str) -> st.SearchStrategy[int]:
    lo, hi = INT_RANGES[t]
    edges = [lo, hi, 0, -1] if lo < 0 else [lo, hi, 0]
    return st.one_of(st.sampled_from(edges), st.integers(lo, hi))


def scalar(t: str) -> st.SearchStrategy[Any]:
    if t in INT_RANGES:
        return int_values(t)
    if t == "bool":
        return st.booleans()
    if t == "float64":
        return st.floats(allow_nan=False)
    if t == "uuid":
        return st.one_of(st.just(uuid.UUID(int=0)), st.builds(lambda b: uuid.UUID(bytes=b), st.binary(min_size=16, max_size=16)))
    if t == "string":
        return small_text
    if t in ("bytes", "records"):
        return st.binary(max_size=24)
    raise ValueError(t)


def _field_value(f: dict[str, Any], version: int, flex: bool, depth: int) -> st.SearchStrategy[Any]:
    t = f["type"]
    if t == "struct":
        base: st.SearchStrategy[Any] = struct_value(f["fields"], version, flex, depth + 1)
    elif t.startswith("array:"):
        elem = t[6:]
        item = struct_value(f["fields"], version, flex, depth + 1) if elem == "struct" else scalar(elem)
        base = st.lists(item, max_size=3 if depth < 2 else 2)
    else:
        base = scalar(t)
    if specs.in_range(version, f["nullable_versions"]):
        return st.one_of(st.none(), base)
    return base


def struct_value(fields: list[dict[str, Any]], version: int, flex: bool,
                 depth: int = 0) -> st.SearchStrategy[dict[str, Any]]:
    """A full struct dict valid at ``version``: absent fields hold their defaults."""
    parts: dict[str, st.SearchStrategy[Any]] = {}
    for f in fields:
        if specs.in_range(version, f["versions"]):
            fflex = specs.in_range(version, f["flexible_versions"]) if "flexible_versions" in f else flex
            parts[f["name"]] = _field_value(f, version, fflex, depth)
        else:
            parts[f["name"]] = st.just(specs.default_value(f))
    parts["unknown_tags"] = UNKNOWN_TAGS if flex else st.just({})
    return st.fixed_dictionaries(parts)


def message(api: int | str, kind: str, version: int) -> st.SearchStrategy[dict[str, Any]]:
    """A message (as a full dict) that is valid at ``version``."""
    spec = specs.message_spec(api, kind)
    flex = specs.in_range(version, spec["flexible_versions"])
    return struct_value(spec["fields"], version, flex)


def _any_value(f: dict[str, Any], depth: int) -> st.SearchStrategy[Any]:
    t = f["type"]
    if t == "struct":
        base: st.SearchStrategy[Any] = any_struct(f["fields"], depth + 1)
    elif t.startswith("array:"):
        elem = t[6:]
        item = any_struct(f["fields"], depth + 1) if elem == "struct" else scalar(elem)
        base = st.lists(item, max_size=2)
    else:
        base = scalar(t)
    choices = [st.just(specs.default_value(f)), base]
    if f["nullable_versions"] is not None:
        choices.append(st.none())
    return st.one_of(*choices)


def any_struct(fields: list[dict[str, Any]], depth: int = 0) -> st.SearchStrategy[dict[str, Any]]:
    """A struct with any field set or not, valid or not for a given version."""
    parts = {f["name"]: _any_value(f, depth) for f in fields}
    parts["unknown_tags"] = st.one_of(st.just({}), UNKNOWN_TAGS)
    return st.fixed_dictionaries(parts)


def any_message(api: int | str, kind: str) -> st.SearchStrategy[dict[str, Any]]:
    """A message that some versions can carry and others cannot."""
    return any_struct(specs.message_spec(api, kind)["fields"])


def _unwrap(hint: Any) -> Any:
    """``list[X] | None`` -> ``list[X]``; ``X | None`` -> ``X``."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        return _unwrap(args[0]) if len(args) == 1 else hint
    return hint


def to_dataclass(cls: type, value: Any) -> Any:
    """Build dataclass ``cls`` (recursively) from a plain dict."""
    if value is None:
        return None
    hints = typing.get_type_hints(cls)
    kwargs = {}
    for f in dataclasses.fields(cls):
        if f.name not in value:
            continue
        v = value[f.name]
        hint = _unwrap(hints[f.name])
        if isinstance(hint, type) and dataclasses.is_dataclass(hint):
            v = to_dataclass(hint, v)
        elif typing.get_origin(hint) is list and v is not None:
            (elem,) = typing.get_args(hint)
            if isinstance(elem, type) and dataclasses.is_dataclass(elem):
                v = [to_dataclass(elem, x) for x in v]
            else:
                v = list(v)
        kwargs[f.name] = v
    missing = set(value) - {f.name for f in dataclasses.fields(cls)}
    if missing:
        raise AssertionError(f"{cls.__name__} lacks spec fields {sorted(missing)}")
    return cls(**kwargs)


# -- records for the producer property tests ---------------------------------------------

# What send() adds to key, value and headers when it checks max_request_size
# (purekafka.producer: batch header plus Java's worst-case record overhead, and
# a worst-case 10 bytes of varints per header).
SEND_OVERHEAD = 61 + 21
HEADER_OVERHEAD = 10


def counted_size(key: bytes | None, headers: tuple[tuple[str, bytes | None], ...]) -> int:
    """Bytes send() counts for a record besides its value."""
    return SEND_OVERHEAD + len(key or b"") + sum(
        len(k.encode()) + len(v or b"") + HEADER_OVERHEAD for k, v in headers)


@dataclasses.dataclass(frozen=True)
class RecordSpec:
    """A record to send. Values are described, not drawn byte by byte: Hypothesis
    cannot draw a megabyte, and ``value()`` rebuilds the same bytes every time."""

    key: bytes | None
    value_size: int  # -1: a null value
    compressible: bool
    seed: int
    headers: tuple[tuple[str, bytes | None], ...]
    partition: int | None

    def value(self) -> bytes | None:
        if self.value_size < 0:
            return None
        if self.compressible:
            unit = b"purekafka-%d|" % self.seed
            return (unit * (self.value_size // len(unit) + 1))[:self.value_size]
        import random

        return random.Random(self.seed).randbytes(self.value_size)

    def counted_size(self) -> int:
        """What send() checks against max_request_size."""
        return counted_size(self.key, self.headers) + max(0, self.value_size)


_header = st.tuples(st.sampled_from(["h", "trace-id", "ü"]), st.one_of(st.none(), st.binary(max_size=8)))


ID_HEADER = "#"


@st.composite
def record_specs(draw: st.DrawFn, max_request_size: int, partitions: int,
                 max_records: int = 40, max_large: int = 2) -> list[RecordSpec]:
    """Records from empty to the largest value ``max_request_size`` lets through.

    Most records are small or a few KB (enough of them to fill several batches
    per partition, i.e. several drain rounds); at most ``max_large`` are near the
    limit, one of them possibly exactly at it, so an example stays affordable.
    Record ``i`` carries the header ``(ID_HEADER, b"i")`` last, counted in the
    limit: with acks=0 there are no offsets, and this is how a read-back record
    is matched to its send.
    """
    def draft(size: st.SearchStrategy[int]) -> tuple[Any, ...]:
        key = draw(st.one_of(st.none(), st.binary(min_size=1, max_size=12)))
        headers = tuple(draw(st.lists(_header, max_size=2)))
        partition = draw(st.one_of(st.none(), st.integers(0, partitions - 1)))
        n = draw(size) if draw(st.integers(0, 9)) else -1  # one in ten: a null value
        return key, headers, partition, n, draw(st.booleans()), draw(st.integers(0, 2**32))

    small = st.one_of(st.just(0), st.integers(0, 300), st.integers(300, 12_000))
    drafts = [draft(small) for _ in range(draw(st.integers(1, max_records)))]
    big = st.one_of(st.just(max_request_size),  # clipped to exactly the limit below
                    st.integers(max_request_size - 4096, max_request_size),
                    st.integers(max_request_size // 4, max_request_size))
    for _ in range(draw(st.integers(0, max_large))):
        drafts.insert(draw(st.integers(0, len(drafts))), draft(big))
    return finish_specs(drafts, max_request_size)


def finish_specs(drafts: list[tuple[Any, ...]], max_request_size: int) -> list[RecordSpec]:
    """``(key, headers, partition, value_size, compressible, seed)`` drafts to specs:
    adds the id header and clips each value to what ``max_request_size`` lets through."""
    out = []
    for i, (key, headers, partition, n, compressible, seed) in enumerate(drafts):
        headers = (*headers, (ID_HEADER, b"%d" % i))
        n = min(n, max_request_size - counted_size(key, headers))
        if n < 0 and key is None:
            n = 0  # a record needs a key or a value
        out.append(RecordSpec(key, n, compressible, seed, headers, partition))
    return out

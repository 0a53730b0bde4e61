"""``--filter``: which frames to show.

Syntax: ``--filter KEY=VALUE[,VALUE...]``, repeatable. Keys:

* ``api``: an API name (``Produce``, ``JoinGroup``; any case) or key number;
* ``topic``: a topic name the frame mentions;
* ``client``: the request's client id;
* ``corr``: a correlation id, or an inclusive range ``LO-HI``.

``topic`` and ``client`` take shell-style wildcards (``*``, ``?``, ``[...]``).
Values given for one key, comma-separated or in repeated options, are
alternatives (any may match); different keys must all match. A response matches on its own fields and on those of its request
(its client id, the topics the request named), so a kept request keeps its
response. Frames that could not be read at all (no API known) are always shown:
a filter never hides a problem.
"""
from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase

from purekafka.decode.frames import Message
from purekafka.decode.options import UsageError
from purekafka.decode.pairing import RequestInfo, client_id, topics_of
from purekafka.protocol.apis import API_NAMES

__all__ = ["FrameFilter", "parse_filters", "FILTER_HELP"]

FILTER_HELP = ("show only matching frames: api=NAME|KEY, topic=GLOB, client=GLOB, corr=N|LO-HI (repeatable); "
               "values for the same key are alternatives, different keys must all match")
_KEYS = ("api", "topic", "client", "corr")


@dataclass(frozen=True)
class FrameFilter:
    """Alternatives per key; an empty tuple means "any"."""

    apis: tuple[int, ...] = ()
    topics: tuple[str, ...] = ()
    clients: tuple[str, ...] = ()
    corrs: tuple[tuple[int, int], ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.apis or self.topics or self.clients or self.corrs)

    def matches(self, m: Message, request: RequestInfo | None = None) -> bool:
        """Whether ``m`` is shown; ``request`` is what its request was, for a response."""
        if m.api_key is None:
            return True
        if self.apis and m.api_key not in self.apis:
            return False
        if self.corrs and not any(m.correlation_id is not None and lo <= m.correlation_id <= hi
                                  for lo, hi in self.corrs):
            return False
        if self.clients:
            cid = client_id(m) if m.kind == "request" else (request.client_id if request else None)
            if cid is None or not any(fnmatchcase(cid, g) for g in self.clients):
                return False
        if self.topics:
            named = topics_of(m)
            if request is not None:
                named |= request.topics
            if not any(fnmatchcase(t, g) for t in named for g in self.topics):
                return False
        return True


def _api_keys() -> dict[str, int]:
    return {name.lower(): key for key, name in API_NAMES.items()}


def _api(value: str, names: dict[str, int]) -> int:
    if value.isdigit():
        return int(value)
    key = names.get(value.lower())
    if key is None:
        raise UsageError(f"--filter api={value}: no such API (e.g. Produce, Fetch, JoinGroup, or a key number)")
    return key


def _corr(value: str) -> tuple[int, int]:
    lo, sep, hi = value.partition("-") if not value.startswith("-") else ("", "", "")
    try:
        if sep:
            a, b = int(lo), int(hi)
        else:
            a = b = int(value)
    except ValueError:
        raise UsageError(f"--filter corr={value}: expected a correlation id or a range LO-HI") from None
    if a > b:
        raise UsageError(f"--filter corr={value}: the range is empty")
    return a, b


def parse_filters(items: list[str]) -> FrameFilter:
    """The filter given by the ``--filter`` options (UsageError if one is malformed)."""
    found: dict[str, list[str]] = {k: [] for k in _KEYS}
    for item in items:
        key, sep, values = item.partition("=")
        key = key.strip().lower()
        if not sep or key not in found:
            raise UsageError(f"--filter {item!r}: expected KEY=VALUE with KEY one of {', '.join(_KEYS)}")
        vals = [v.strip() for v in values.split(",") if v.strip()]
        if not vals:
            raise UsageError(f"--filter {item!r}: no value given")
        found[key].extend(vals)
    names = _api_keys()
    per_key = [tuple(found[k]) for k in _KEYS]
    return FrameFilter(tuple(_api(v, names) for v in per_key[0]), per_key[1], per_key[2],
                       tuple(_corr(v) for v in per_key[3]))

"""What a response inherits from its request: time, client id, topics.

A response header holds only the correlation id, so the latency of a response,
the client id that sent it and the topics its request named are looked up from
the request with the same correlation id on the same connection.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from purekafka.decode.frames import Message

__all__ = ["RequestInfo", "Pairing", "connection", "topics_of", "error_codes"]

#: resource_type of a topic in DescribeConfigs, AlterConfigs and friends
_TOPIC_RESOURCE = 2


@dataclass
class RequestInfo:
    """What is remembered of a request until its response arrives."""

    ts: float | None
    client_id: str | None
    topics: frozenset[str]


@dataclass
class Pairing:
    """Pending requests per (connection, correlation id)."""

    pending: dict[tuple[str, int], RequestInfo] = field(default_factory=dict)

    def request(self, m: Message) -> RequestInfo:
        """Remember request ``m``."""
        info = RequestInfo(m.ts, client_id(m), frozenset(topics_of(m)))
        acks0 = m.api_key == 0 and isinstance(m.body, dict) and m.body.get("acks") == 0
        if m.correlation_id is not None and not acks0:  # acks=0: no response will come
            self.pending[(connection(m), m.correlation_id)] = info
        return info

    def response(self, m: Message) -> RequestInfo | None:
        """The request response ``m`` answers (forgotten from then on), if it was seen."""
        if m.correlation_id is None:
            return None
        return self.pending.pop((connection(m), m.correlation_id), None)


def connection(m: Message) -> str:
    """The connection a frame belongs to, the same for both directions."""
    return m.where.replace(" <- ", " -> ")


def client_id(m: Message) -> str | None:
    cid = m.header.get("client_id")
    return cid if isinstance(cid, str) else None


def topics_of(m: Message) -> set[str]:
    """Topic names a frame mentions anywhere in its body (ids resolved from Metadata responses)."""
    out: set[str] = set(m.topic_names.values())
    _walk(m.body, False, out)
    return out


def _walk(v: Any, in_topics: bool, out: set[str]) -> None:
    if isinstance(v, dict):
        for k, x in v.items():
            key = str(k)
            if key in ("topic", "topic_name") and isinstance(x, str):
                out.add(x)
            elif key == "name" and in_topics and isinstance(x, str):
                out.add(x)
            elif key == "topic_names" and isinstance(x, list):
                out.update(t for t in x if isinstance(t, str))
            elif isinstance(x, (dict, list)):
                _walk(x, key.endswith("topics"), out)
        if v.get("resource_type") == _TOPIC_RESOURCE and isinstance(v.get("resource_name"), str):
            out.add(v["resource_name"])
    elif isinstance(v, list):
        for x in v:
            _walk(x, in_topics, out)


def error_codes(body: Any) -> list[int]:
    """Every non-zero ``*error_code`` value in ``body``, in the order found."""
    out: list[int] = []
    _codes(body, out)
    return out


def _codes(v: Any, out: list[int]) -> None:
    if isinstance(v, dict):
        for k, x in v.items():
            if str(k).endswith("error_code") and isinstance(x, int) and not isinstance(x, bool):
                if x:
                    out.append(x)
            elif isinstance(x, (dict, list)):
                _codes(x, out)
    elif isinstance(v, list):
        for x in v:
            _codes(x, out)

"""Broker addresses in Metadata and FindCoordinator responses, rewritten for the proxy.

A client learns where to connect from these two responses, so the proxy
replaces each broker's host and port with a local listener of its own that
forwards to that broker. The body is decoded and re-encoded with the spec
codec; everything but the addresses (unknown tagged fields included) is kept.
"""
from __future__ import annotations

from typing import Any, Callable

from purekafka.errors import KafkaError
from purekafka.protocol import specs

__all__ = ["rewrite_addresses", "METADATA", "FIND_COORDINATOR"]

METADATA = 3
FIND_COORDINATOR = 10

Mapper = Callable[[str, int], tuple[str, int]]


def _swap(node: dict[str, Any], mapper: Mapper) -> bool:
    host, port = node.get("host"), node.get("port")
    if not host or not isinstance(port, int) or port <= 0:
        return False
    new_host, new_port = mapper(host, port)
    if (new_host, new_port) == (host, port):
        return False
    node["host"], node["port"] = new_host, new_port
    return True


def rewrite_addresses(api_key: int, version: int, body: bytes, mapper: Mapper) -> bytes | None:
    """The response body with broker addresses mapped, or None when nothing changes or it does not decode."""
    if api_key not in (METADATA, FIND_COORDINATOR):
        return None
    try:
        msg = specs.decode(api_key, version, "response", body)
    except (KafkaError, ValueError):
        return None
    changed = False
    if api_key == METADATA:
        for broker in msg.get("brokers") or []:
            changed |= _swap(broker, mapper)
    else:
        if msg.get("coordinators"):
            for coordinator in msg["coordinators"]:
                changed |= _swap(coordinator, mapper)
        else:
            changed |= _swap(msg, mapper)
    if not changed:
        return None
    try:
        return specs.encode(api_key, version, "response", msg)
    except KafkaError:
        return None

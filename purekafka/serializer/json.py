"""``JsonSerializer`` (kafka-python's ``kafka.serializer.json``): ``json.dumps``, then text."""
from __future__ import annotations

import json as _json
from typing import Any

from purekafka.serializer.abstract import Headers
from purekafka.serializer.default import DefaultSerializer

__all__ = ["JsonSerializer"]


class JsonSerializer(DefaultSerializer):
    """A value as JSON text in ``encoding``; None stays None (a tombstone, not ``null``)."""

    def serialize(self, topic: str, headers: Headers, data: Any) -> Any:
        if data is None:
            return None
        return super().serialize(topic, headers, _json.dumps(data))

    def deserialize(self, topic: str, headers: Headers, data: bytes | None) -> Any:
        if data is None:
            return None
        return _json.loads(super().deserialize(topic, headers, data))

"""``DefaultSerializer`` (kafka-python's ``kafka.serializer.default``): text in one encoding."""
from __future__ import annotations

from typing import Any

from purekafka.serializer.abstract import Deserializer, Headers, Serializer

__all__ = ["DefaultSerializer"]


class DefaultSerializer(Serializer, Deserializer):
    """Encodes ``str`` in ``encoding``; bytes-like values and None pass unchanged."""

    def __init__(self, encoding: str = "utf-8") -> None:
        self.encoding = encoding

    def serialize(self, topic: str, headers: Headers, data: Any) -> Any:
        # Exact types, as kafka-python: a str subclass is still encoded, a bytes
        # subclass is not passed through untouched.
        if type(data) in (bytes, bytearray, memoryview, type(None)):
            return data
        return data.encode(self.encoding)

    def deserialize(self, topic: str, headers: Headers, data: bytes | None) -> Any:
        return None if data is None else data.decode(self.encoding)

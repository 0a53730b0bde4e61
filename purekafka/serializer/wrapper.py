"""Plain functions as serializers (kafka-python's ``kafka.serializer.wrapper``)."""
from __future__ import annotations

from typing import Any, Callable

from purekafka.serializer.abstract import Deserializer, Headers, Serializer

__all__ = ["SerializeWrapper", "DeserializeWrapper"]


class SerializeWrapper(Serializer):
    """``fn(data)`` as a ``Serializer``; with ``fn`` None the data passes unchanged."""

    def __init__(self, fn: Callable[[Any], Any] | None) -> None:
        self.fn = fn

    def serialize(self, topic: str, headers: Headers, data: Any) -> Any:
        return data if self.fn is None else self.fn(data)


class DeserializeWrapper(Deserializer):
    """``fn(data)`` as a ``Deserializer``; with ``fn`` None the data passes unchanged."""

    def __init__(self, fn: Callable[[Any], Any] | None) -> None:
        self.fn = fn

    def deserialize(self, topic: str, headers: Headers, data: bytes | None) -> Any:
        return data if self.fn is None else self.fn(data)

"""The serializer and deserializer interfaces (kafka-python 3's ``kafka.serializer.abstract``)."""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Optional

Headers = Optional[list[tuple[str, Optional[bytes]]]]

__all__ = ["Serializer", "Deserializer"]


class Serializer(ABC):
    """Turns a key or value into bytes: ``serialize(topic, headers, data)``."""

    @abstractmethod
    def serialize(self, topic: str, headers: Headers, data: Any) -> bytes | None:
        """The bytes of ``data`` (None stays None) for a record of ``topic``."""

    def close(self) -> None:
        """Release what the serializer holds."""


class Deserializer(ABC):
    """Turns a key's or value's bytes back into a value: ``deserialize(topic, headers, data)``."""

    @abstractmethod
    def deserialize(self, topic: str, headers: Headers, data: bytes | None) -> Any:
        """The value ``data`` holds."""

    def __call__(self, data: bytes | None) -> Any:
        """``deserialize`` with no topic or headers: kafka-python's consumer calls a
        deserializer that is not its own ``Deserializer`` with the bytes alone, so ours
        work there too."""
        return self.deserialize("", None, data)

    def close(self) -> None:
        """Release what the deserializer holds."""

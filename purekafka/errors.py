"""Errors raised by purekafka.

Two roots, as in h11: a ``LocalProtocolError`` is our fault (bad input given to an
encoder), a ``DecodeError`` is the peer's (bytes that do not parse). Broker error
codes live in one table further down (added by the producer work).
"""
from __future__ import annotations


class KafkaError(Exception):
    """Base of every error purekafka raises. ``retriable`` mirrors kafka-python."""

    retriable = False
    invalid_metadata = False


class LocalProtocolError(KafkaError):
    """Something we were asked to encode cannot be encoded (value out of range, ...)."""


class DecodeError(KafkaError):
    """Bytes that do not parse. Carries the byte ``offset`` and the ``field`` being read."""

    def __init__(self, message: str, offset: int | None = None, field: str | None = None) -> None:
        self.offset = offset
        self.field = field
        where = []
        if field is not None:
            where.append(f"field {field!r}")
        if offset is not None:
            where.append(f"byte offset {offset}")
        super().__init__(f"{message} ({', '.join(where)})" if where else message)


class UnsupportedVersionError(KafkaError):
    """An API version outside what this codec (or the broker) supports."""


class UnsupportedCodecError(KafkaError):
    """A compression codec that is not available."""

"""Key and value serializers: Java's built-in ones, and the adapter for user serializers.

The producer calls every serializer the same way: ``serialize(topic, headers, data)``
returning ``bytes`` or ``None`` (kafka-python 3's ``Serializer.serialize`` order).
``make_serializer`` turns what a user configured into that shape:

- ``None``: no serializer; keys and values must already be bytes (or None).
- an object with a ``serialize(topic, headers, data)`` method (kafka-python 3 style),
  or with ``serialize(topic, data)`` (older kafka-python: adapted, with its DeprecationWarning);
- a plain callable ``f(data) -> bytes`` (kafka-python 1/2 style);
- a Java class name such as ``"org.apache.kafka.common.serialization.StringSerializer"``
  (or just ``"StringSerializer"``), mapped to a serializer here that writes exactly the
  bytes Java's class writes: big-endian integers, ``Double.doubleToLongBits`` (one NaN),
  ``Float.floatToRawIntBits``, UTF-8 with ``?`` for lone surrogates, UUIDs as their
  36-character text.
"""
from __future__ import annotations

import inspect
import math
import struct
import uuid
import warnings
from typing import Any, Callable, Optional

from .errors import SerializationError

Headers = Optional[list[tuple[str, Optional[bytes]]]]
SerializeFn = Callable[[str, Headers, Any], Optional[bytes]]
"""A normalized serializer: ``fn(topic, headers, data) -> bytes | None``."""

_JAVA_PACKAGE = "org.apache.kafka.common.serialization."


class JavaSerializer:
    """Base of the serializers that mirror Kafka's Java classes."""

    java_name = ""

    def serialize(self, topic: str, headers: Headers, data: Any) -> bytes | None:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def _reject(self, data: Any, wanted: str) -> SerializationError:
        return SerializationError(
            f"{type(self).__name__} (Java {self.java_name}) takes {wanted}, "
            f"got {type(data).__name__}")


class StringSerializer(JavaSerializer):
    """``str`` as UTF-8 (Java replaces a lone surrogate by ``?``, and so do we)."""

    java_name = _JAVA_PACKAGE + "StringSerializer"

    def __init__(self, encoding: str = "utf-8") -> None:
        self.encoding = encoding

    def serialize(self, topic: str, headers: Headers, data: Any) -> bytes | None:
        if data is None:
            return None
        if not isinstance(data, str):
            raise self._reject(data, "str")
        try:
            return data.encode(self.encoding)
        except UnicodeEncodeError:
            # Java strings are UTF-16: adjacent surrogates form one character, a lone
            # one becomes '?'. Rebuild that view before encoding.
            joined = data.encode("utf-16-be", "surrogatepass").decode("utf-16-be", "surrogatepass")
            return joined.encode(self.encoding, "replace")


class ByteArraySerializer(JavaSerializer):
    """``bytes``, ``bytearray`` or ``memoryview``, unchanged."""

    java_name = _JAVA_PACKAGE + "ByteArraySerializer"

    def serialize(self, topic: str, headers: Headers, data: Any) -> bytes | None:
        if data is None:
            return None
        if isinstance(data, bytes):
            return data
        if isinstance(data, (bytearray, memoryview)):
            return bytes(data)
        raise self._reject(data, "bytes")


class BytesSerializer(ByteArraySerializer):
    java_name = _JAVA_PACKAGE + "BytesSerializer"


class ByteBufferSerializer(ByteArraySerializer):
    java_name = _JAVA_PACKAGE + "ByteBufferSerializer"


class _IntSerializer(JavaSerializer):
    _format = ""
    _bits = 0

    def serialize(self, topic: str, headers: Headers, data: Any) -> bytes | None:
        if data is None:
            return None
        # bool is an int in Python, but Java's Integer/Long/Short never take a Boolean.
        if not isinstance(data, int) or isinstance(data, bool):
            raise self._reject(data, "int")
        low = -(1 << (self._bits - 1))
        if not low <= data < -low:
            raise SerializationError(
                f"{type(self).__name__}: {data} is outside the signed {self._bits}-bit range "
                f"[{low}, {-low - 1}]")
        return struct.pack(self._format, data)


class ShortSerializer(_IntSerializer):
    java_name = _JAVA_PACKAGE + "ShortSerializer"
    _format, _bits = ">h", 16


class IntegerSerializer(_IntSerializer):
    java_name = _JAVA_PACKAGE + "IntegerSerializer"
    _format, _bits = ">i", 32


class LongSerializer(_IntSerializer):
    java_name = _JAVA_PACKAGE + "LongSerializer"
    _format, _bits = ">q", 64


_CANONICAL_DOUBLE_NAN = b"\x7f\xf8\x00\x00\x00\x00\x00\x00"


class DoubleSerializer(JavaSerializer):
    """8 bytes big-endian IEEE 754; every NaN becomes Java's canonical NaN."""

    java_name = _JAVA_PACKAGE + "DoubleSerializer"

    def serialize(self, topic: str, headers: Headers, data: Any) -> bytes | None:
        if data is None:
            return None
        if not isinstance(data, (float, int)) or isinstance(data, bool):
            raise self._reject(data, "float")
        value = float(data)
        if math.isnan(value):
            # Java's doubleToLongBits collapses NaN payloads; struct keeps them.
            return _CANONICAL_DOUBLE_NAN
        return struct.pack(">d", value)


class FloatSerializer(JavaSerializer):
    """4 bytes big-endian IEEE 754 single precision (the value is rounded to it)."""

    java_name = _JAVA_PACKAGE + "FloatSerializer"

    def serialize(self, topic: str, headers: Headers, data: Any) -> bytes | None:
        if data is None:
            return None
        if not isinstance(data, (float, int)) or isinstance(data, bool):
            raise self._reject(data, "float")
        try:
            return struct.pack(">f", data)
        except OverflowError:
            raise SerializationError(
                f"FloatSerializer: {data!r} does not fit in a 32-bit float") from None


class BooleanSerializer(JavaSerializer):
    """One byte, 1 for True and 0 for False."""

    java_name = _JAVA_PACKAGE + "BooleanSerializer"

    def serialize(self, topic: str, headers: Headers, data: Any) -> bytes | None:
        if data is None:
            return None
        if not isinstance(data, bool):
            raise self._reject(data, "bool")
        return b"\x01" if data else b"\x00"


class UUIDSerializer(JavaSerializer):
    """A ``uuid.UUID`` as its lowercase 36-character text in UTF-8 (Java writes toString())."""

    java_name = _JAVA_PACKAGE + "UUIDSerializer"

    def serialize(self, topic: str, headers: Headers, data: Any) -> bytes | None:
        if data is None:
            return None
        if not isinstance(data, uuid.UUID):
            raise self._reject(data, "uuid.UUID")
        return str(data).encode("ascii")


class VoidSerializer(JavaSerializer):
    """Only ``None`` (Java's ``Void``): the key or value is always null."""

    java_name = _JAVA_PACKAGE + "VoidSerializer"

    def serialize(self, topic: str, headers: Headers, data: Any) -> bytes | None:
        if data is not None:
            raise self._reject(data, "None")
        return None


JAVA_SERIALIZERS: dict[str, type[JavaSerializer]] = {
    cls.java_name: cls for cls in (
        StringSerializer, ByteArraySerializer, BytesSerializer, ByteBufferSerializer,
        ShortSerializer, IntegerSerializer, LongSerializer, DoubleSerializer,
        FloatSerializer, BooleanSerializer, UUIDSerializer, VoidSerializer,
    )
}
"""Java class name to the serializer class with the same byte encoding."""


def java_serializer(name: str) -> JavaSerializer | None:
    """The serializer for a Java class name (full or simple), or None if not built in."""
    cls = JAVA_SERIALIZERS.get(name.strip()) or JAVA_SERIALIZERS.get(_JAVA_PACKAGE + name.strip())
    return cls() if cls is not None else None


def make_serializer(obj: Any) -> SerializeFn | None:
    """Normalize a configured serializer to ``fn(topic, headers, data) -> bytes | None``.

    The result is a ``BoundSerializer``; two of them are equal when they came from equal
    sources (the same callable, or the same Java class name). Raises ``TypeError`` (the
    config layer turns it into a configuration error) for anything that is not one of
    the shapes listed in the module docstring.
    """
    if obj is None:
        return None
    if isinstance(obj, BoundSerializer):
        return obj  # already normalized (a config rebuilt by dataclasses.replace)
    if isinstance(obj, str):
        found = java_serializer(obj)
        if found is None:
            raise TypeError(
                f"{obj!r} is not a Java serializer purekafka knows; known: "
                + ", ".join(sorted(n.rsplit(".", 1)[1] for n in JAVA_SERIALIZERS)))
        return BoundSerializer(found, found.serialize)
    if isinstance(obj, type):
        if issubclass(obj, JavaSerializer):
            instance = obj()
            return BoundSerializer(instance, instance.serialize)
        raise TypeError(f"{obj.__name__} is a class; pass an instance")
    serialize = getattr(obj, "serialize", None)
    if callable(serialize):
        return BoundSerializer(obj, _three_argument(serialize))
    if callable(obj):
        fn = obj

        def call_plain(topic: str, headers: Headers, data: Any) -> bytes | None:
            return fn(data)  # type: ignore[no-any-return]
        return BoundSerializer(obj, call_plain)
    raise TypeError(
        f"a serializer must be None, a callable, an object with serialize(topic, headers, "
        f"data) or a Java class name, not {type(obj).__name__}")


def _three_argument(serialize: Callable[..., Any]) -> Callable[[str, Headers, Any], bytes | None]:
    """``serialize`` as ``(topic, headers, data)``; an older ``serialize(topic, data)`` is
    adapted, with kafka-python's DeprecationWarning (it falls back to that form too)."""
    try:
        sig = inspect.signature(serialize)
    except (TypeError, ValueError):  # no signature to read (a builtin): take it as 3-argument
        return serialize
    try:
        sig.bind("topic", None, None)
        return serialize
    except TypeError:
        pass
    try:
        sig.bind("topic", None)
    except TypeError:
        return serialize  # neither form: calling it raises the TypeError that says why
    warnings.warn("serializer does not implement serialize(topic, headers, data)",
                  DeprecationWarning, stacklevel=4)

    def call_two(topic: str, headers: Headers, data: Any) -> bytes | None:
        return serialize(topic, data)  # type: ignore[no-any-return]
    return call_two


class BoundSerializer:
    """A normalized serializer: call it as ``(topic, headers, data)``; ``source`` is what
    the user configured (a Java name becomes an instance of the matching class)."""

    __slots__ = ("source", "_fn")

    def __init__(self, source: Any, fn: Callable[[str, Headers, Any], bytes | None]) -> None:
        self.source = source
        self._fn = fn

    def __call__(self, topic: str, headers: Headers, data: Any) -> bytes | None:
        return self._fn(topic, headers, data)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, BoundSerializer) and _same_source(self.source, other.source)

    def __hash__(self) -> int:
        if isinstance(self.source, JavaSerializer):
            return hash(type(self.source))
        return hash(id(self.source))

    def __repr__(self) -> str:
        return f"BoundSerializer({self.source!r})"


def _same_source(a: Any, b: Any) -> bool:
    if isinstance(a, JavaSerializer) and isinstance(b, JavaSerializer):
        return type(a) is type(b) and vars(a) == vars(b)
    return a is b

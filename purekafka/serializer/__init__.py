"""kafka-python's serializer classes at its ``kafka.serializer`` paths.

The producer accepts these as ``key_serializer``/``value_serializer`` like any object with
``serialize(topic, headers, data)``; Java's serializers by class name live in
``purekafka.serializers``.
"""
from __future__ import annotations

from purekafka.serializer.abstract import Deserializer, Serializer
from purekafka.serializer.default import DefaultSerializer
from purekafka.serializer.json import JsonSerializer
from purekafka.serializer.wrapper import DeserializeWrapper, SerializeWrapper

__all__ = ["Serializer", "Deserializer", "DefaultSerializer", "JsonSerializer",
           "SerializeWrapper", "DeserializeWrapper"]

"""The decode tool: Kafka wire traffic and log segments, read without a broker.

``main(argv) -> int`` is the entry point of ``purekafka decode`` and ``tools/decode.py``.
"""
from __future__ import annotations

from purekafka.decode.cli import main

__all__ = ["main"]

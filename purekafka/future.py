"""``Future``: kafka-python's general future, at kafka-python's import path (``kafka.future``).

The one implementation lives in ``purekafka.futures``, where ``send()``'s
``FutureRecordMetadata`` extends it.
"""
from __future__ import annotations

from purekafka.futures import Future

__all__ = ["Future"]

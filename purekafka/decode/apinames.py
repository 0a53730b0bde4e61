"""Names of every Kafka API key (Kafka 4.4 message definitions), for display.

Only the APIs in ``protocol_specs/`` can have their bodies decoded; the others
are still named so that a capture of them reads sensibly.
"""
from __future__ import annotations

from purekafka.protocol.apis import API_NAMES  # the one table of names, kept by the protocol layer

__all__ = ["API_NAMES", "api_name"]


def api_name(api_key: int) -> str:
    """Kafka's name of an API key, or ``"Unknown(<key>)"``."""
    return API_NAMES.get(api_key, f"Unknown({api_key})")

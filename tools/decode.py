#!/usr/bin/env python3
"""Decode Kafka wire traffic and log segments; see docs/decode.md. Same as ``purekafka decode``."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from purekafka.decode import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

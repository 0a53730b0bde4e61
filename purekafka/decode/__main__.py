"""``python -m purekafka.decode``."""
from __future__ import annotations

import sys

from purekafka.decode.cli import main

sys.exit(main())

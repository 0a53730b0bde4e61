"""The ``purekafka`` command: ``purekafka decode ...``, ``purekafka produce ...``, ``purekafka perf ...``."""
from __future__ import annotations

import sys
from importlib import import_module

# Subcommand -> module whose ``main(argv) -> int`` runs it. Imported lazily so that
# ``purekafka decode`` starts without loading the producer, and the other way round.
COMMANDS = {
    "decode": ("purekafka.decode", "decode Kafka frames, captures and log segments"),
    "produce": ("purekafka.console", "produce records from stdin or a file"),
    "perf": ("purekafka.perf", "measure throughput and latency (kafka-producer-perf-test)"),
}


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] in ("-h", "--help"):
        print("usage: purekafka COMMAND [ARGS]\n\ncommands:")
        for name, (_, summary) in COMMANDS.items():
            print(f"  {name:<10}{summary}")
        return 0 if args else 2
    name, rest = args[0], args[1:]
    if name not in COMMANDS:
        print(f"purekafka: unknown command {name!r} (commands: {', '.join(COMMANDS)})", file=sys.stderr)
        return 2
    module = import_module(COMMANDS[name][0])
    return int(module.main(rest))


if __name__ == "__main__":
    sys.exit(main())

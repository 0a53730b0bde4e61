"""No import cycle inside purekafka.core, counting every import: module level, inside
functions, and under ``if TYPE_CHECKING`` (the sender and its transactional request
path once reached into each other that way)."""
from __future__ import annotations

import ast
from pathlib import Path

CORE = Path(__file__).resolve().parents[2] / "purekafka" / "core"


def _graph(files: dict[str, str]) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for name, source in files.items():
        deps: set[str] = set()
        for node in ast.walk(ast.parse(source)):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                targets = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            deps |= {t.rsplit(".", 1)[-1] for t in targets
                     if t.startswith("purekafka.core.") and t.rsplit(".", 1)[-1] in files}
        graph[name] = deps - {name}
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1: on the path, 2: done
    path: list[str] = []

    def visit(n: str) -> list[str] | None:
        state[n] = 1
        path.append(n)
        for m in sorted(graph[n]):
            if state.get(m) == 1:
                return path[path.index(m):] + [m]
            if m not in state and (found := visit(m)):
                return found
        path.pop()
        state[n] = 2
        return None

    for n in sorted(graph):
        if n not in state and (found := visit(n)):
            return found
    return None


def test_core_modules_import_no_cycle() -> None:
    files = {p.stem: p.read_text() for p in CORE.glob("*.py") if p.stem != "__init__"}
    assert "sender" in files and "txn_sender" in files
    cycle = _cycle(_graph(files))
    assert cycle is None, " -> ".join(cycle or [])


def test_the_cycle_check_sees_a_lazy_or_type_checking_cycle() -> None:
    files = {
        "sender": "def f():\n    from purekafka.core.txn_sender import TxnDriver\n",
        "txn_sender": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                      "    from purekafka.core.sender import Sender\n",
        "cluster": "",
    }
    assert _cycle(_graph(files)) == ["sender", "txn_sender", "sender"]
    files["sender"] = ""
    assert _cycle(_graph(files)) is None

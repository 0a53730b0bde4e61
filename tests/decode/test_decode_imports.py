"""The decode package's modules import one another without a cycle."""
from __future__ import annotations

import ast
from pathlib import Path

import purekafka.decode

PACKAGE = Path(purekafka.decode.__file__).parent


def _imports(path: Path) -> set[str]:
    """The purekafka.decode modules ``path`` imports, at any depth (function bodies too)."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("purekafka.decode."):
            out.add(node.module.rsplit(".", 1)[1])
        elif isinstance(node, ast.Import):
            out |= {a.name.rsplit(".", 1)[1] for a in node.names if a.name.startswith("purekafka.decode.")}
    return out


def test_no_import_cycle_in_decode() -> None:
    graph = {p.stem: _imports(p) for p in PACKAGE.glob("*.py")}
    assert graph["proxy"] and "cli" not in graph["proxy"]
    done: set[str] = set()

    def visit(name: str, path: list[str]) -> None:
        assert name not in path, " -> ".join([*path, name])
        if name in done:
            return
        for dep in sorted(graph.get(name, ())):
            visit(dep, [*path, name])
        done.add(name)

    for name in sorted(graph):
        visit(name, [])

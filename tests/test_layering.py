"""Imports point one way, and the sans-I/O core never touches sockets, threads or the clock.

Layers, lowest first: errors; protocol and record; partitioner and config; core; io;
producer, console, decode and cli. A module may import only from its own layer or below.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parent.parent / "purekafka"

LAYERS = {
    "purekafka.errors": 0,
    "purekafka.structs": 0,  # plain value types (TopicPartition); import nothing of ours
    "purekafka.protocol": 1,
    "purekafka.record": 1,
    "purekafka.partitioner": 2,
    "purekafka.config": 2,
    "purekafka.serializers": 2,
    "purekafka.metrics": 2,
    "purekafka.core": 3,
    "purekafka.io": 4,
    "purekafka.futures": 5,
    "purekafka.producer": 5,
    "purekafka.console": 6,
    "purekafka.decode": 6,
    "purekafka.cli": 7,
    "purekafka": 7,  # the package __init__ re-exports the public names
}
# The clock, sockets, threads and process state stay out of the sans-I/O layers.
FORBIDDEN_IN_CORE = {"socket", "selectors", "select", "ssl", "threading", "time", "asyncio", "signal",
                     "subprocess", "multiprocessing"}
SANS_IO = ("purekafka.protocol", "purekafka.record", "purekafka.core", "purekafka.partitioner")


def _module_name(path: Path) -> str:
    rel = path.relative_to(PKG.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _layer(name: str) -> int | None:
    best = None
    for prefix, layer in LAYERS.items():
        if (name == prefix or name.startswith(prefix + ".")) and (best is None or len(prefix) > len(best[0])):
            best = (prefix, layer)
    return best[1] if best else None


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), str(path))
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            # `from pkg import name` imports pkg.name, which may be a submodule of a lower layer.
            out += [f"{target}.{a.name}" for a in node.names]
    return out


MODULES = sorted(PKG.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PKG.parent)))
def test_imports_point_one_way(path: Path) -> None:
    name = _module_name(path)
    own = _layer(name)
    assert own is not None, f"{name} is not placed in a layer: add it to LAYERS in {__file__}"
    for target in _imports(path):
        layer = _layer(target)
        if layer is not None:
            assert layer <= own, f"{name} (layer {own}) imports {target} (layer {layer})"


@pytest.mark.parametrize(
    "path", [p for p in MODULES if _module_name(p).startswith(SANS_IO)], ids=lambda p: str(p.relative_to(PKG.parent))
)
def test_sans_io_core_has_no_io(path: Path) -> None:
    for target in _imports(path):
        assert target.split(".")[0] not in FORBIDDEN_IN_CORE, f"{_module_name(path)} imports {target}"


def test_layering_check_can_fail() -> None:
    # The checker itself must see a violation when there is one.
    assert _layer("purekafka.io.thread") == 4 and _layer("purekafka.core.sender") == 3
    assert "socket" in FORBIDDEN_IN_CORE and _layer("purekafka.errors") < _layer("purekafka.core")

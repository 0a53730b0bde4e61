"""Imports point one way, none go round in a cycle, modules stay short, and the sans-I/O
core never touches sockets, threads or the clock.

Layers, lowest first: errors; protocol and record; partitioner and config; core; io;
producer, console, decode and cli. A module may import only from its own layer or below.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Mapping, Sequence

import pytest

PKG = Path(__file__).resolve().parent.parent / "purekafka"

LAYERS = {
    "purekafka.error_codes": 0,  # the ErrorCode enum; imports nothing of ours
    "purekafka.errors": 0,
    "purekafka.structs": 0,  # plain value types (TopicPartition); import nothing of ours
    "purekafka.version": 0,
    "purekafka.protocol": 1,
    "purekafka.record": 1,
    "purekafka.partitioner": 2,
    "purekafka.config": 2,
    "purekafka.config_rules": 2,
    "purekafka.config_view": 2,
    "purekafka.serializers": 2,
    "purekafka.serializer": 2,  # kafka-python's serializer classes; import nothing else of ours
    "purekafka.core": 3,
    "purekafka.io": 4,
    "purekafka.futures": 5,
    "purekafka.future": 5,  # kafka-python's general Future; registers FutureRecordMetadata
    "purekafka.producer": 5,
    "purekafka.aio": 5,  # the asyncio front end: beside the producer facade
    "purekafka.console": 6,
    "purekafka.decode": 6,
    "purekafka.perf": 6,
    "purekafka.cli": 7,
    "purekafka": 7,  # the package __init__ re-exports the public names
}
# The clock, sockets, threads and process state stay out of the sans-I/O layers.
FORBIDDEN_IN_CORE = {"socket", "selectors", "select", "ssl", "threading", "time", "asyncio", "signal",
                     "subprocess", "multiprocessing"}
SANS_IO = ("purekafka.protocol", "purekafka.record", "purekafka.core", "purekafka.partitioner")
MAX_LINES = 700


def _module_name(path: Path, pkg: Path = PKG) -> str:
    rel = path.relative_to(pkg.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _layer(name: str) -> int | None:
    best: tuple[str, int] | None = None
    for prefix, layer in LAYERS.items():
        if (name == prefix or name.startswith(prefix + ".")) and (best is None or len(prefix) > len(best[0])):
            best = (prefix, layer)
    return best[1] if best else None


def _resolve(node: ast.Import | ast.ImportFrom, module: str, is_package: bool) -> list[str]:
    """What an import statement names: ``from pkg import name`` gives ``pkg.name``, which may be
    a submodule; relative imports are made absolute against ``module``."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    if node.level:
        base = (module if is_package else module.rsplit(".", 1)[0]).split(".")
        base = base[: len(base) - (node.level - 1)]
        target = ".".join(base + ([node.module] if node.module else []))
    else:
        target = node.module or ""
    return [f"{target}.{a.name}" for a in node.names]


def _imports(path: Path) -> list[str]:
    """Every import in the file, wherever it sits (a deferred import still points somewhere)."""
    tree = ast.parse(path.read_text(), str(path))
    module, is_package = _module_name(path), path.name == "__init__.py"
    out: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            out += _resolve(node, module, is_package)
    return out


MODULES = sorted(PKG.rglob("*.py"))
MODULE_NAMES = {_module_name(p) for p in MODULES}


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PKG.parent)))
def test_imports_point_one_way(path: Path) -> None:
    name = _module_name(path)
    own = _layer(name)
    assert own is not None, f"{name} is not placed in a layer: add it to LAYERS in {__file__}"
    for target in _imports(path):
        layer = _layer(target)
        if layer is not None:
            assert layer <= own, f"{name} (layer {own}) imports {target} (layer {layer})"


def test_every_layer_names_a_module() -> None:
    # A layer for a module that does not exist hides nothing today, but silently places
    # whatever module is later given that name.
    missing = [prefix for prefix in LAYERS if prefix not in MODULE_NAMES]
    assert not missing, f"LAYERS names modules that do not exist: {missing}"


@pytest.mark.parametrize(
    "path", [p for p in MODULES if _module_name(p).startswith(SANS_IO)], ids=lambda p: str(p.relative_to(PKG.parent))
)
def test_sans_io_core_has_no_io(path: Path) -> None:
    for target in _imports(path):
        assert target.split(".")[0] not in FORBIDDEN_IN_CORE, f"{_module_name(path)} imports {target}"


def test_layering_check_can_fail() -> None:
    # The checker itself must see a violation when there is one.
    assert _layer("purekafka.io.thread") == 4 and _layer("purekafka.core.sender") == 3
    assert "socket" in FORBIDDEN_IN_CORE and _layer("purekafka.errors") == 0 and _layer("purekafka.cli") == 7


# -- import cycles -------------------------------------------------------------------------------
# An edge A -> B means running A imports B: at module level, in a class body or deferred
# inside a function (deferring an import is how a cycle hides, not how it goes away). Imports
# under ``if TYPE_CHECKING:`` never run and make no edge. Importing ``a.b.c`` also runs the
# packages ``a`` and ``a.b``; those implied edges are left out, since a package __init__ that
# re-exports its submodules would otherwise be in a cycle with each of them.

@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    line: int
    deferred: bool  # inside a function: runs on first call, not at import

    def __str__(self) -> str:
        return f"{self.source} -> {self.target} (line {self.line}{', in a function' if self.deferred else ''})"


def _is_type_checking(test: ast.expr) -> bool:
    return ((isinstance(test, ast.Name) and test.id == "TYPE_CHECKING")
            or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"))


def _run_time_imports(nodes: Iterable[ast.AST],
                      deferred: bool = False) -> Iterator[tuple[ast.Import | ast.ImportFrom, bool]]:
    """Import statements that can run, with whether each sits inside a function."""
    for node in nodes:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            yield from _run_time_imports(node.orelse, deferred)
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node, deferred
            continue
        inside = deferred or isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
        yield from _run_time_imports(ast.iter_child_nodes(node), inside)


def _edges(path: Path, modules: set[str], pkg: Path) -> list[Edge]:
    module, is_package = _module_name(path, pkg), path.name == "__init__.py"
    out = []
    for node, deferred in _run_time_imports(ast.parse(path.read_text(), str(path)).body):
        for target in _resolve(node, module, is_package):
            # ``from pkg.mod import name``: the module is pkg.mod, unless pkg.mod.name is one.
            hit = target if target in modules else target.rsplit(".", 1)[0]
            if hit in modules and hit != module:
                out.append(Edge(module, hit, node.lineno, deferred))
    return out


def import_graph(paths: Sequence[Path], pkg: Path = PKG) -> dict[str, list[Edge]]:
    """Module name -> the edges out of it, over the modules in ``paths`` (files of ``pkg``)."""
    modules = {_module_name(p, pkg) for p in paths}
    return {_module_name(p, pkg): _edges(p, modules, pkg) for p in paths}


def find_cycles(graph: Mapping[str, Sequence[Edge]]) -> list[list[Edge]]:
    """One shortest cycle for each group of modules that import one another, in name order."""
    # Tarjan's strongly connected components, iteratively (no recursion limit to hit).
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    groups: list[set[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = len(index)
                stack.append(node)
                on_stack.add(node)
            targets = [e.target for e in graph.get(node, ())]
            if i < len(targets):
                work.append((node, i + 1))
                t = targets[i]
                if t not in index:
                    work.append((t, 0))
                elif t in on_stack:
                    low[node] = min(low[node], index[t])
                continue
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                group = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.add(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(group)
    cycles = []
    for group in sorted(groups, key=min):
        start = min(group)
        # Breadth first from ``start`` inside the group, back to ``start``: a shortest cycle.
        came: dict[str, Edge] = {}
        frontier = [start]
        found: Edge | None = None
        while frontier and found is None:
            nxt = []
            for node in frontier:
                for e in graph.get(node, ()):
                    if e.target == start:
                        found = e
                        break
                    if e.target in group and e.target not in came and e.target != start:
                        came[e.target] = e
                        nxt.append(e.target)
                if found:
                    break
            frontier = nxt
        assert found is not None
        path = [found]
        while path[0].source != start:
            path.insert(0, came[path[0].source])
        cycles.append(path)
    return cycles


def _describe(cycles: list[list[Edge]]) -> str:
    return "\n".join("  " + " ; ".join(map(str, c)) for c in cycles)


def test_no_import_cycles() -> None:
    cycles = find_cycles(import_graph(MODULES))
    assert not cycles, "modules that import one another (one cycle per group):\n" + _describe(cycles)


def test_cycle_finder_names_the_cycle(tmp_path: Path) -> None:
    # A throwaway package with a three-module cycle, a TYPE_CHECKING-only back edge and a
    # package __init__ that imports its submodules: only the real cycle is reported.
    pkg = tmp_path / "purekafka"
    (pkg / "sub").mkdir(parents=True)
    files = {
        "__init__.py": "from purekafka import a\n",
        "a.py": "from purekafka import b\n",
        "b.py": "from .sub.c import thing\n",
        "sub/__init__.py": "from purekafka.sub import c\n",
        "sub/c.py": "def thing():\n    from ..a import x\n",
        "d.py": ("from typing import TYPE_CHECKING\nimport purekafka.a\n"
                 "if TYPE_CHECKING:\n    from purekafka import d2\n"),
        "d2.py": "import purekafka.d as d\n",
    }
    for name, text in files.items():
        (pkg / name).write_text(text)
    cycles = find_cycles(import_graph(sorted(pkg.rglob("*.py")), pkg))
    assert [[(e.source, e.target, e.deferred) for e in c] for c in cycles] == [[
        ("purekafka.a", "purekafka.b", False),
        ("purekafka.b", "purekafka.sub.c", False),
        ("purekafka.sub.c", "purekafka.a", True),
    ]]
    assert "purekafka.sub.c -> purekafka.a (line 2, in a function)" in _describe(cycles)


# -- module size ---------------------------------------------------------------------------------
@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PKG.parent)))
def test_module_is_short(path: Path) -> None:
    lines = len(path.read_text().splitlines())
    assert lines <= MAX_LINES, f"{_module_name(path)} has {lines} lines (at most {MAX_LINES}): split it by concern"

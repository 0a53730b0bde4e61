"""The test tree's layout: folders are packages, helpers live in tests/support.

Because tests/ and each folder in it are packages, a test module is named by its path
(``tests.core.test_x``) and two folders may each hold a ``test_x.py``.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
SUPPORT = TESTS / "support"


def _matrix_only(path: Path) -> bool:
    # Test modules that only `make test-interop` collects (it names them): outside the
    # test_* pattern so that a plain pytest run of tests/ leaves them out.
    return path.parent == TESTS / "interop" and path.name.startswith("matrix_")


def _python_folders() -> list[Path]:
    return sorted({p.parent for p in TESTS.rglob("*.py") if "__pycache__" not in p.parts})


def test_every_test_folder_is_a_package() -> None:
    missing = [str(d.relative_to(ROOT)) for d in _python_folders() if not (d / "__init__.py").exists()]
    assert not missing, f"folders without __init__.py (their test names would have to be unique): {missing}"


def test_helpers_live_in_support() -> None:
    # Anything a test imports that is not itself a test goes to tests/support, so a reader
    # finds every shared helper in one place and a test folder holds only tests.
    stray = [str(p.relative_to(ROOT)) for p in sorted(TESTS.rglob("*.py"))
             if SUPPORT not in p.parents and "__pycache__" not in p.parts
             and not (p.name.startswith("test_") or p.name in ("__init__.py", "conftest.py"))
             and not _matrix_only(p)]
    assert not stray, f"helpers outside tests/support: {stray}"


def _collect(tree: Path) -> subprocess.CompletedProcess[str]:
    # This repository's pytest settings, on a throwaway tree shaped like tests/.
    return subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
         "-c", str(ROOT / "pyproject.toml"), "--rootdir", str(tree), str(tree / "tests")],
        capture_output=True, text=True, timeout=120, cwd=tree)


def _same_named_tests(tree: Path, packages: bool) -> None:
    for folder in ("one", "two"):
        d = tree / "tests" / folder
        d.mkdir(parents=True)
        (d / "test_same.py").write_text(f"def test_in_{folder}() -> None:\n    pass\n")
        if packages:
            (d / "__init__.py").write_text("")
    if packages:
        (tree / "tests" / "__init__.py").write_text("")


def test_same_test_file_name_in_two_folders_collects(tmp_path: Path) -> None:
    _same_named_tests(tmp_path, packages=True)
    proc = _collect(tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "2 tests collected" in proc.stdout, proc.stdout


def test_same_test_file_name_needs_the_packages(tmp_path: Path) -> None:
    # The control: without __init__.py files the same two files clash, so the test above
    # passes because of the packages, not by luck.
    _same_named_tests(tmp_path, packages=False)
    proc = _collect(tmp_path)
    assert proc.returncode != 0 and "import file mismatch" in proc.stdout + proc.stderr, proc.stdout

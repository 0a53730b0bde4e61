"""Kafka's own Java classes as a test oracle: tests/java/*.java, compiled once, run as programs.

The ``java`` fixture hands out one ``JavaRunner``; ``txn_java`` and the cross-check tests
feed it messages and compare what Kafka's classes make of them with ours.
"""
from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

from tests.support.kafka import ROOT


class JavaRunner:
    """Compiles tests/java/*.java once against the Kafka jars and runs their main classes."""

    def __init__(self, classpath: str, build_dir: Path) -> None:
        self.classpath = classpath
        self.build_dir = build_dir
        sources = sorted((ROOT / "tests" / "java").glob("*.java"))
        digest = hashlib.sha256(b"".join(p.read_bytes() for p in sources) + classpath.encode()).hexdigest()
        stamp = build_dir / "stamp"
        if sources and not (stamp.exists() and stamp.read_text() == digest):
            build_dir.mkdir(parents=True, exist_ok=True)
            proc = subprocess.run(["javac", "-nowarn", "-d", str(build_dir), "-cp", classpath, *map(str, sources)],
                                  capture_output=True, text=True)
            if proc.returncode != 0:
                raise RuntimeError(f"javac failed:\n{proc.stderr}")
            stamp.write_text(digest)

    def run(self, main_class: str, *args: str, input: bytes | None = None, timeout: float = 120) -> bytes:
        cmd = ["java", "-XX:TieredStopAtLevel=1", "-Xshare:auto", "-Xmx512m",
               "-cp", f"{self.build_dir}{os.pathsep}{self.classpath}", main_class, *args]
        proc = subprocess.run(cmd, input=input, capture_output=True, timeout=timeout)
        if proc.returncode != 0:
            raise RuntimeError(f"java {main_class} exited {proc.returncode}:\n{proc.stderr.decode(errors='replace')}")
        return proc.stdout



"""``purekafka-decode --dump-log`` against the DumpLogSegments of the line under test (matrix
only: `make test-interop`), on segments that line's broker wrote from purekafka's sends
(every codec, CreateTime and LogAppendTime, a committed and an aborted transaction) and on
the generated segments of tests/decode/test_decode_dumplog_random.py.

The 3.0 line prints an older layout: "Starting offset:" for "Log starting offset:", and no
deleteHorizonMs field (3.3 already prints today's). Ours is compared with those two
rewrites there, and must otherwise be identical.
"""
from __future__ import annotations

import importlib.util
import io
import random
import re
import shutil
import subprocess
from pathlib import Path
from types import ModuleType

import pytest

from tests.support.interop_lines import LineKafka, TopicMaker, line, line_topic  # noqa: F401  (fixtures)
from purekafka import KafkaProducer
from purekafka.decode import main
from tests.support.readback import consume

pytestmark = [pytest.mark.interop, pytest.mark.broker, pytest.mark.timeout(600)]

CODECS = [None, "gzip", "snappy", "lz4", "zstd"]
_HORIZON = re.compile(r" deleteHorizonMs: \S+")


def _generator() -> ModuleType:
    path = Path(__file__).resolve().parent.parent / "decode" / "test_decode_dumplog_random.py"
    spec = importlib.util.spec_from_file_location("_dumplog_random_segments", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _as_line_prints(line: LineKafka, lines: list[str]) -> list[str]:
    if line.line.release >= (3, 3):
        return lines
    out = []
    for text in lines:
        if text.startswith("Log starting offset: "):
            text = text[len("Log "):].capitalize()
        out.append(_HORIZON.sub("", text))
    return out


def _ours(path: Path) -> tuple[int, list[str]]:
    out, err = io.StringIO(), io.StringIO()
    rc = main(["--dump-log", str(path)], stdout=out, stderr=err)
    assert "Traceback" not in err.getvalue()
    return rc, out.getvalue().splitlines()


def _theirs(line: LineKafka, files: list[Path]) -> str:
    cmd = ["java", "-Dstdout.encoding=UTF-8", "-Dfile.encoding=UTF-8", "-Xshare:auto", "-XX:TieredStopAtLevel=1",
           "-Xmx256m", "-cp", line.classpath(), line.line.dump_log_class, "--print-data-log",
           "--files", ",".join(map(str, files))]
    proc = subprocess.run(cmd, capture_output=True, timeout=300)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    return proc.stdout.decode("utf-8")


def _records(tag: str, n: int) -> list[tuple[bytes | None, bytes | None, list[tuple[str, bytes | None]]]]:
    return [(None if i % 3 == 0 else f"{tag}-k{i}".encode(), b"\xff\x00" if i % 4 == 1 else f"{tag}-v{i}".encode() * (i + 1),
             [("trace", b"%d" % i)] if i % 2 else []) for i in range(n)]


def test_dump_log_of_segments_the_line_wrote(line: LineKafka, line_topic: TopicMaker, tmp_path: Path) -> None:
    if line.broker.dir is None:
        pytest.skip("an external broker (PUREKAFKA_BOOTSTRAP) does not expose its segment files")
    plain = line_topic()
    append_time = line_topic(config={"message.timestamp.type": "LogAppendTime"})
    txn = line_topic()
    for codec in CODECS:
        with KafkaProducer(bootstrap_servers=line.bootstrap, compression_type=codec, linger_ms=10,
                           enable_idempotence=codec in (None, "lz4")) as p:
            for topic in (plain, append_time):
                for k, v, h in _records(str(codec), 5):
                    p.send(topic, key=k, value=v, headers=h)
            p.flush(30)
    with KafkaProducer(bootstrap_servers=line.bootstrap, transactional_id=f"dl-{txn}", compression_type="gzip") as p:
        p.init_transactions()
        for commit in (True, False, True):
            p.begin_transaction()
            for k, v, h in _records("txn", 3):
                p.send(txn, key=k, value=v, headers=h)
            p.flush(30)
            (p.commit_transaction if commit else p.abort_transaction)()
    consume(line.bootstrap, txn, 6, timeout=60)  # the markers are written by now
    copies = []
    for topic in (plain, append_time, txn):
        found = sorted(Path(line.broker.dir).glob(f"node-*/data/{topic}-*/*.log"))
        assert found, f"no segment of {topic}"
        for src in found:
            dst = tmp_path / topic / src.name  # both tools read one copy: no append in between
            dst.parent.mkdir(exist_ok=True)
            shutil.copyfile(src, dst)
            copies.append(dst)
    theirs = _generator()._split(_theirs(line, copies))
    compared = 0
    for path in copies:
        rc, ours = _ours(path)
        assert rc == 0
        assert _as_line_prints(line, ours) == theirs[str(path)], path
        compared += len(ours)
    assert compared > 60
    txn_dump = "\n".join(text for path in copies if path.parent.name == txn for text in _ours(path)[1])
    assert "endTxnMarker: COMMIT" in txn_dump and "endTxnMarker: ABORT" in txn_dump


def test_dump_log_of_generated_segments(line: LineKafka, tmp_path: Path) -> None:
    gen = _generator()
    rng = random.Random(20261202)
    files, damaged = [], set()
    for i in range(100):
        data, bad = gen._segment(rng)
        path = tmp_path / f"s{i:02d}" / f"{i * 1000:020d}.log"
        path.parent.mkdir()
        path.write_bytes(data)
        files.append(path)
        if bad:
            damaged.add(path)
    theirs = gen._split(_theirs(line, files))
    for path in files:
        rc, ours = _ours(path)
        assert _as_line_prints(line, ours) == theirs[str(path)], path
        assert rc == (1 if path in damaged else 0)

"""One client, one mode, one run: the worker process ``bench/compare.py`` starts.

    python bench/compare_clients.py CLIENT MODE BOOTSTRAP TOPIC RECORDS VALUES_FILE [--rate R]

Prints one JSON line: records acknowledged, wall seconds from the first send to the last
acknowledgement, and (with ``--rate``, the latency mode) the p50/p99 of send-to-ack
latency in ms. The parent measures CPU time and peak RSS of this process with wait4(),
so everything a client costs (imports, its threads, its buffers) is counted.

Every client gets the same values (VALUES_FILE, one per line, cycled) and the same
settings (``MODES``): acks, idempotence, linger, batch size, compression; in the sasl_ssl
mode also the same listener, mechanism and credentials (``secure()``).
"""
from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BATCH = 64 * 1024
MODES: dict[str, dict[str, Any]] = {
    # name: acks, idempotence, compression, value kind, linger ms
    "a1": {"acks": 1, "idempotence": False, "compression": None, "values": "100", "linger": 5},
    "all": {"acks": "all", "idempotence": True, "compression": None, "values": "100", "linger": 5},
    "lz4": {"acks": 1, "idempotence": False, "compression": "lz4", "values": "json", "linger": 5},
    "zstd": {"acks": 1, "idempotence": False, "compression": "zstd", "values": "json", "linger": 5},
    "1k": {"acks": 1, "idempotence": False, "compression": None, "values": "json", "linger": 5},
    "latency": {"acks": 1, "idempotence": False, "compression": None, "values": "100", "linger": 0},
    # a1 over TLS with SCRAM-SHA-512: the listener and each client's settings come from
    # the file SECURE_ENV names (compare.py writes it from the cluster's state).
    "sasl_ssl": {"acks": 1, "idempotence": False, "compression": None, "values": "100", "linger": 5,
                 "secure": True},
}
SECURE_ENV = "PUREKAFKA_COMPARE_SECURE"
CHUNK = 1000  # send_batch() and the confluent loop's poll cadence


def secure(mode: dict[str, Any], bootstrap: str, kind: str) -> tuple[str, Any]:
    """The bootstrap and the extra settings of client ``kind`` in ``mode`` (none over PLAINTEXT).

    Kinds: ``kafka-python`` (keyword arguments, purekafka's too), ``confluent``
    (librdkafka's properties), ``asyncio`` (aiokafka's keyword arguments, an SSLContext).
    """
    if not mode.get("secure"):
        return bootstrap, {}
    spec = json.loads(Path(os.environ[SECURE_ENV]).read_text())
    if kind != "asyncio":
        return spec["bootstrap"], spec[kind]
    import ssl

    a = spec["asyncio"]
    return spec["bootstrap"], {"security_protocol": "SASL_SSL", "ssl_context": ssl.create_default_context(
        cafile=a["cafile"]), "sasl_mechanism": a["mechanism"], "sasl_plain_username": a["username"],
        "sasl_plain_password": a["password"]}


def percentile(sorted_ms: list[float], p: float) -> float:
    if not sorted_ms:
        return float("nan")
    return sorted_ms[min(len(sorted_ms) - 1, int(p * len(sorted_ms)))]


class Pacer:
    """At most ``rate`` sends per second (None: no limit), sleeping in >= 1 ms steps."""

    def __init__(self, rate: float | None) -> None:
        self.rate = rate
        self.start = time.perf_counter()

    def wait(self, i: int) -> None:
        if self.rate is None:
            return
        ahead = i / self.rate - (time.perf_counter() - self.start)
        if ahead > 0.001:
            time.sleep(ahead)


def _latencies(values: list[float]) -> dict[str, float]:
    values.sort()
    return {"p50_ms": percentile(values, 0.5), "p99_ms": percentile(values, 0.99)}


def run_purekafka(mode: dict[str, Any], bootstrap: str, topic: str, values: list[bytes], n: int,
                  rate: float | None, batch: bool) -> dict[str, Any]:
    from purekafka import KafkaProducer

    bootstrap, extra = secure(mode, bootstrap, "kafka-python")
    p = KafkaProducer(**{"bootstrap_servers": bootstrap, "acks": mode["acks"], "linger_ms": mode["linger"],
                         "batch_size": BATCH, "enable_idempotence": mode["idempotence"],
                         "compression_type": mode["compression"], **extra})
    p.partitions_for(topic)
    k = len(values)
    lat: list[float] = []
    pacer = Pacer(rate)
    t0 = time.perf_counter()
    if rate is not None:
        clock = time.perf_counter
        for i in range(n):
            pacer.wait(i)
            start = clock()
            p.send(topic, values[i % k]).add_callback(lambda _m, s=start: lat.append(clock() - s))
    elif batch:
        chunks = [values[j:j + CHUNK] for j in range(0, k, CHUNK)]
        sent = 0
        while sent < n:
            for chunk in chunks:
                if sent >= n:
                    break
                part = chunk if sent + len(chunk) <= n else chunk[:n - sent]
                p.send_batch(topic, part)
                sent += len(part)
    else:
        send = p.send
        for i in range(n):
            send(topic, values[i % k])
    p.flush()
    elapsed = time.perf_counter() - t0
    p.close()
    return {"records": n, "seconds": elapsed, **(_latencies([x * 1000 for x in lat]) if rate else {})}


def run_kafka_python(mode: dict[str, Any], bootstrap: str, topic: str, values: list[bytes], n: int,
                     rate: float | None) -> dict[str, Any]:
    from kafka import KafkaProducer

    bootstrap, extra = secure(mode, bootstrap, "kafka-python")
    p = KafkaProducer(**{"bootstrap_servers": bootstrap, "acks": mode["acks"], "linger_ms": mode["linger"],
                         "batch_size": BATCH, "enable_idempotence": mode["idempotence"],
                         "compression_type": mode["compression"], **extra})
    p.partitions_for(topic)
    k = len(values)
    lat: list[float] = []
    pacer = Pacer(rate)
    clock = time.perf_counter
    t0 = clock()
    for i in range(n):
        if rate is not None:
            pacer.wait(i)
            start = clock()
            p.send(topic, values[i % k]).add_callback(lambda _m, s=start: lat.append(clock() - s))
        else:
            p.send(topic, values[i % k])
    p.flush()
    elapsed = clock() - t0
    p.close()
    return {"records": n, "seconds": elapsed, **(_latencies([x * 1000 for x in lat]) if rate else {})}


def run_asyncio(producer_class: Any, mode: dict[str, Any], bootstrap: str, topic: str,
                values: list[bytes], n: int, rate: float | None) -> dict[str, Any]:
    """An ``await send()`` loop, for aiokafka and purekafka.aio alike (the same API)."""
    import asyncio

    async def go() -> dict[str, Any]:
        servers, extra = secure(mode, bootstrap, "asyncio")
        p = producer_class(**{"bootstrap_servers": servers, "acks": mode["acks"], "linger_ms": mode["linger"],
                              "max_batch_size": BATCH, "enable_idempotence": mode["idempotence"],
                              "compression_type": mode["compression"], **extra})
        await p.start()
        await p.partitions_for(topic)
        k = len(values)
        lat: list[float] = []
        clock = time.perf_counter
        t0 = clock()
        for i in range(n):
            if rate is not None:
                ahead = i / rate - (clock() - t0)
                if ahead > 0.001:
                    await asyncio.sleep(ahead)
                start = clock()
                fut = await p.send(topic, values[i % k])
                fut.add_done_callback(lambda _f, s=start: lat.append(clock() - s))
            else:
                await p.send(topic, values[i % k])
        await p.flush()
        elapsed = clock() - t0
        await p.stop()
        return {"records": n, "seconds": elapsed, **(_latencies([x * 1000 for x in lat]) if rate else {})}

    return asyncio.run(go())


def run_aiokafka(*args: Any) -> dict[str, Any]:
    from aiokafka import AIOKafkaProducer

    return run_asyncio(AIOKafkaProducer, *args)


def run_purekafka_aio(*args: Any) -> dict[str, Any]:
    from purekafka.aio import AIOKafkaProducer

    return run_asyncio(AIOKafkaProducer, *args)


def run_confluent(mode: dict[str, Any], bootstrap: str, topic: str, values: list[bytes], n: int,
                  rate: float | None) -> dict[str, Any]:
    from confluent_kafka import Producer

    bootstrap, extra = secure(mode, bootstrap, "confluent")
    conf: dict[str, Any] = {"bootstrap.servers": bootstrap, "acks": str(mode["acks"]),
                            "linger.ms": mode["linger"], "batch.size": BATCH,
                            "enable.idempotence": mode["idempotence"],
                            "compression.type": mode["compression"] or "none", **extra}
    p = Producer(conf)
    p.list_topics(topic, timeout=10)
    k = len(values)
    lat: list[float] = []
    clock = time.perf_counter
    pacer = Pacer(rate)
    produce, poll = p.produce, p.poll
    t0 = clock()
    for i in range(n):
        value = values[i % k]
        if rate is not None:
            pacer.wait(i)
            start = clock()
            cb: Callable[..., None] | None = lambda _e, _m, s=start: lat.append(clock() - s)  # noqa: E731
        else:
            cb = None
        while True:
            try:
                produce(topic, value, on_delivery=cb) if cb else produce(topic, value)
                break
            except BufferError:  # librdkafka's queue is full: serve callbacks, then retry
                poll(0.01)
        if i % CHUNK == 0 or rate is not None:
            poll(0)
    p.flush()
    elapsed = clock() - t0
    return {"records": n, "seconds": elapsed, **(_latencies([x * 1000 for x in lat]) if rate else {})}


CLIENTS: dict[str, Callable[..., dict[str, Any]]] = {
    "purekafka send()": lambda *a: run_purekafka(*a, batch=False),
    "purekafka send_batch()": lambda *a: run_purekafka(*a, batch=True),
    "kafka-python": run_kafka_python,
    "aiokafka": run_aiokafka,
    "confluent-kafka": run_confluent,
    "purekafka.aio": run_purekafka_aio,
}


def main(argv: list[str]) -> int:
    client, mode_name, bootstrap, topic, records, values_file = argv[:6]
    rate = float(argv[argv.index("--rate") + 1]) if "--rate" in argv else None
    values = Path(values_file).read_bytes().split(b"\n")[:-1]
    out = CLIENTS[client](MODES[mode_name], bootstrap, topic, values, int(records), rate)
    print(json.dumps(out), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

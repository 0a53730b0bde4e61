"""Every producer-side name kafka-python exports imports from the same path under purekafka.

The walk reads the installed kafka-python: each module's ``__all__``, or else the public
names it defines (or a package re-exports from its submodules). ``from kafka.x import Y``
becoming ``from purekafka.x import Y`` must keep working for all of them, except the
consumer and admin names below (purekafka is a producer).
"""
from __future__ import annotations

import importlib
import inspect
from typing import Any, Iterator

import kafka
import pytest

MODULES = [
    "kafka", "kafka.producer", "kafka.producer.kafka", "kafka.producer.future",
    "kafka.structs", "kafka.errors", "kafka.future", "kafka.version",
    "kafka.partitioner", "kafka.partitioner.abc", "kafka.partitioner.default",
    "kafka.partitioner.sticky", "kafka.serializer", "kafka.serializer.abstract",
    "kafka.serializer.default", "kafka.serializer.json", "kafka.serializer.wrapper",
]
# Names no producer program uses, with the reason.
NOT_PRODUCER_SIDE = {
    "KafkaAdminClient": "admin client",
    "KafkaConsumer": "consumer",
    "AsyncConsumerRebalanceListener": "consumer",
    "ConsumerRebalanceListener": "consumer",
    "IsolationLevel": "consumer fetch setting",
    "OffsetSpec": "consumer/admin offset lookups",
    "FutureProduceResult": "kafka-python's internal per-batch future inside its sender",
}
EXTRA = {"kafka": ["__version__"], "kafka.version": ["__version__"],
         "kafka.errors": ["kafka_errors"]}


def exported(module_name: str) -> list[str]:
    module = importlib.import_module(module_name)
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n, obj in vars(module).items() if not n.startswith("_")
                 and not inspect.ismodule(obj)
                 and (getattr(obj, "__module__", None) or "").split(".")[:module_name.count(".") + 1]
                 == module_name.split(".")]
    return sorted(set(names) | set(EXTRA.get(module_name, [])))


def cases() -> Iterator[tuple[str, str]]:
    for module_name in MODULES:
        for name in exported(module_name):
            if name not in NOT_PRODUCER_SIDE:
                yield module_name, name


CASES = list(cases())


def ours_for(module_name: str) -> Any:
    return importlib.import_module("pure" + module_name)


def test_the_walk_finds_the_names_users_import():
    found = set(CASES)
    for case in [("kafka", "KafkaProducer"), ("kafka.structs", "OffsetAndMetadata"),
                 ("kafka.producer.future", "FutureRecordMetadata"), ("kafka.future", "Future"),
                 ("kafka.serializer", "JsonSerializer"), ("kafka.partitioner", "murmur2"),
                 ("kafka.errors", "KafkaTimeoutError"), ("kafka", "ConsumerGroupMetadata"),
                 ("kafka.version", "__version__"), ("kafka.errors", "kafka_errors")]:
        assert case in found, case
    assert len(CASES) > 200


@pytest.mark.parametrize("module_name,name", CASES, ids=[f"{m}.{n}" for m, n in CASES])
def test_name_imports_from_the_same_path(module_name, name):
    theirs = getattr(importlib.import_module(module_name), name)
    ours = getattr(ours_for(module_name), name, None)
    assert ours is not None, f"from pure{module_name} import {name}"
    assert inspect.isclass(ours) == inspect.isclass(theirs), name
    assert callable(ours) == callable(theirs), name
    assert type(ours) is type(theirs) or inspect.isclass(ours) or callable(ours), name


def test_names_kafka_python_shares_between_paths_are_shared_here():
    """Where ``kafka.X.N is kafka.Y.N``, ``purekafka.X.N is purekafka.Y.N`` too."""
    seen: dict[int, tuple[str, str]] = {}
    for module_name, name in CASES:
        theirs = getattr(importlib.import_module(module_name), name)
        if not (inspect.isclass(theirs) or inspect.isfunction(theirs)):
            continue
        first = seen.setdefault(id(theirs), (module_name, name))
        if first != (module_name, name):
            assert getattr(ours_for(module_name), name) is getattr(ours_for(first[0]), first[1]), \
                (module_name, name, first)


def test_structs_have_kafka_pythons_fields_and_defaults():
    import kafka.structs as ks

    import purekafka.structs as ps
    for name in ("TopicPartition", "TopicPartitionReplica", "OffsetAndMetadata",
                 "OffsetAndTimestamp", "ConsumerGroupMetadata"):
        theirs, ours = getattr(ks, name), getattr(ps, name)
        assert ours._fields == theirs._fields, name
        assert ours._field_defaults == theirs._field_defaults, name
    assert vars(ps.MemberState).keys() >= {"UNJOINED", "REBALANCING", "STABLE"}
    assert ps.MemberState.STABLE == ks.MemberState.STABLE
    assert ps.OffsetAndMetadata(5) == ks.OffsetAndMetadata(5) == (5, "", -1)


def test_version_string():
    import purekafka
    import purekafka.version
    assert purekafka.__version__ == purekafka.version.__version__
    assert all(part.isdigit() for part in purekafka.__version__.split("."))
    assert kafka.__version__.startswith("3.")  # the kafka-python these paths are checked against

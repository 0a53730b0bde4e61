"""TopicPartition: one public name, and a plain tuple wherever the core keys by one."""
from __future__ import annotations

import pickle

from hypothesis import given
from hypothesis import strategies as st

import importlib
import pkgutil

import purekafka
import purekafka.futures as futures
from purekafka.structs import TopicPartition

topics = st.text(min_size=1, max_size=20)
partitions = st.integers(0, 2**31 - 1)


def test_one_name_everywhere() -> None:
    assert purekafka.TopicPartition is futures.TopicPartition is TopicPartition
    # No module defines a TopicPartition of its own (a tuple alias, another class):
    # wherever the name exists it is this one.
    seen = 0
    for info in pkgutil.walk_packages(purekafka.__path__, "purekafka."):
        if info.name.endswith("__main__"):
            continue  # running it is the command itself
        module = importlib.import_module(info.name)
        if hasattr(module, "TopicPartition"):
            assert module.TopicPartition is TopicPartition, info.name
            seen += 1
    assert seen >= 3  # structs, futures, producer at least
    assert TopicPartition._fields == ("topic", "partition")


@given(topics, partitions)
def test_equal_to_the_plain_pair_the_core_uses(topic: str, partition: int) -> None:
    tp = TopicPartition(topic, partition)
    assert (tp.topic, tp.partition) == tp == (topic, partition)
    assert hash(tp) == hash((topic, partition))
    # Maps keyed by either find the other: the hot path keeps building plain tuples.
    by_tp: dict[tuple[str, int], int] = {tp: 1}
    by_pair: dict[tuple[str, int], int] = {(topic, partition): 2}
    assert by_tp[(topic, partition)] == 1 and by_pair[tp] == 2
    assert pickle.loads(pickle.dumps(tp)) == tp
    assert repr(tp) == f"TopicPartition(topic={topic!r}, partition={partition})"


@given(topics, partitions, topics, partitions)
def test_orders_as_the_pair(t1: str, p1: int, t2: str, p2: int) -> None:
    assert (TopicPartition(t1, p1) < TopicPartition(t2, p2)) == ((t1, p1) < (t2, p2))

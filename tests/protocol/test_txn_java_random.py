"""Random transaction/SASL messages, any field set or not, against Kafka's Java classes.

Messages are drawn without regard to version (``strategies.any_message``), so
for each version Java itself decides whether to write a field, drop it
(ignorable) or refuse the message (UnsupportedVersionException); purekafka
must produce the same bytes or raise ``LocalProtocolError`` in exactly the
same cases. Unknown tagged fields are cleared: Kafka's JSON converter cannot
carry them (the spec-codec tests cover them).
"""
from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support import strategies
from tests.support import txn_java
from purekafka.protocol import (
    add_offsets_to_txn,
    add_partitions_to_txn,
    end_txn,
    init_producer_id,
    sasl_authenticate,
    sasl_handshake,
    txn_offset_commit,
)

pytestmark = pytest.mark.java

MODULES = [init_producer_id, add_partitions_to_txn, add_offsets_to_txn, end_txn, txn_offset_commit,
           sasl_handshake, sasl_authenticate]
BATCH = 20
# One JVM launch per example: one example per case normally, more under PUREKAFKA_HYPOTHESIS=long.
EXAMPLES = min(10, max(1, settings().max_examples // 50))


def _untagged(value: Any) -> Any:
    if dataclasses.is_dataclass(value):
        changes = {f.name: _untagged(getattr(value, f.name)) for f in dataclasses.fields(value)}
        changes["unknown_tags"] = {}
        return dataclasses.replace(value, **changes)
    if isinstance(value, list):
        return [_untagged(v) for v in value]
    return value


def _cls(mod: Any, kind: str) -> type:
    name = mod.__name__.rsplit(".", 1)[1]
    prefix = "".join(p.capitalize() for p in name.split("_"))
    return getattr(mod, prefix + kind.capitalize())


@pytest.mark.parametrize("kind", ["request", "response"])
@pytest.mark.parametrize("mod", MODULES, ids=lambda m: m.__name__.rsplit(".", 1)[1])
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_random_messages_agree_with_java(java, mod: Any, kind: str, data: st.DataObject) -> None:
    cls = _cls(mod, kind)
    msgs = data.draw(st.lists(strategies.any_message(mod.API_KEY, kind), min_size=BATCH, max_size=BATCH))
    messages = [_untagged(strategies.to_dataclass(cls, m)) for m in msgs]
    txn_java.check_against_java(java, mod, kind, messages)

"""Arbitrary bytes into the transaction/SASL decoders: a clean DecodeError or a message that round-trips."""
from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from purekafka.errors import DecodeError
from purekafka.protocol import (
    add_offsets_to_txn,
    add_partitions_to_txn,
    end_txn,
    init_producer_id,
    sasl_authenticate,
    sasl_handshake,
    txn_offset_commit,
)

MODULES = [init_producer_id, add_partitions_to_txn, add_offsets_to_txn, end_txn, txn_offset_commit,
           sasl_handshake, sasl_authenticate]

# Small counts and lengths are what let random bytes get past the first few fields.
_bytes = st.lists(st.one_of(st.integers(0, 255), st.sampled_from([0, 1, 2, 3, 0xFF])), max_size=48).map(bytes)


@pytest.mark.parametrize("kind", ["request", "response"])
@pytest.mark.parametrize("mod", MODULES, ids=lambda m: m.__name__.rsplit(".", 1)[1])
@given(data=st.data())
def test_random_bytes(mod: Any, kind: str, data: st.DataObject) -> None:
    version = data.draw(st.integers(mod.MIN_VERSION, mod.MAX_VERSION), label="version")
    buf = data.draw(_bytes, label="buf")
    decode = getattr(mod, f"decode_{kind}")
    encode = getattr(mod, f"encode_{kind}")
    try:
        msg = decode(buf, version)
    except DecodeError as e:
        assert e.offset is not None and 0 <= e.offset <= len(buf)
        return
    # Varints may be overlong on the wire, so compare messages, not bytes.
    assert decode(encode(msg, version), version) == msg

"""Hand-written API modules against the spec-driven codec, every API in the registry, every version.

For each message: the hand-written encoder's bytes equal the generic codec's
bytes, both decoders give back the message, and a truncated or corrupted
body raises ``DecodeError`` (never a stray IndexError/struct.error).
"""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support import strategies
from purekafka.errors import DecodeError, LocalProtocolError, UnsupportedVersionError
from purekafka.protocol import specs
from purekafka.protocol.apis import API_BY_KEY

KINDS = ("request", "response")


def _cases() -> list[tuple[int, str, int]]:
    out = []
    for key, mod in sorted(API_BY_KEY.items()):
        for kind in KINDS:
            for v in range(mod.MIN_VERSION, mod.MAX_VERSION + 1):
                out.append(pytest.param(key, kind, v, id=f"{mod.__name__.rsplit('.', 1)[1]}-{kind}-v{v}"))
    return out


def _api_cases() -> list:
    return [pytest.param(key, kind, id=f"{mod.__name__.rsplit('.', 1)[1]}-{kind}")
            for key, mod in sorted(API_BY_KEY.items()) for kind in KINDS]


def _cls(key: int, kind: str) -> type:
    name = specs.load_spec(key)["name"] + kind.capitalize()
    return getattr(API_BY_KEY[key], name)


def _hand(key: int, kind: str):
    mod = API_BY_KEY[key]
    return getattr(mod, f"encode_{kind}"), getattr(mod, f"decode_{kind}")


def test_registry_has_our_apis() -> None:
    assert {0, 3, 10, 18} <= set(API_BY_KEY)
    for key, mod in API_BY_KEY.items():
        spec = specs.load_spec(key)
        assert mod.API_KEY == spec["api_key"]
        lo, hi = spec["request"]["valid_versions"]
        assert lo <= mod.MIN_VERSION <= mod.MAX_VERSION <= hi, f"{spec['name']} module range outside the spec"
        flex = spec["request"]["flexible_versions"]
        assert mod.FLEXIBLE_VERSION == (flex[0] if flex else mod.FLEXIBLE_VERSION)


@pytest.mark.parametrize("key,kind,version", _cases())
def test_hand_written_matches_spec_codec(key: int, kind: str, version: int) -> None:
    cls = _cls(key, kind)
    encode, decode = _hand(key, kind)

    @given(strategies.message(key, kind, version))
    def check(msg: dict) -> None:
        obj = strategies.to_dataclass(cls, msg)
        wire = encode(obj, version)
        assert wire == specs.encode(key, version, kind, msg)
        assert specs.to_plain(decode(wire, version)) == msg
        assert specs.decode(key, version, kind, wire) == msg

    check()


@pytest.mark.parametrize("key,kind", _api_cases())
@settings(max_examples=150)
@given(data=st.data())
def test_both_codecs_refuse_the_same_messages(key: int, kind: str, data: st.DataObject) -> None:
    """For a message built without regard to version, both encoders agree on accept/refuse."""
    mod = API_BY_KEY[key]
    version = data.draw(st.integers(mod.MIN_VERSION, mod.MAX_VERSION), label="version")
    msg = data.draw(strategies.any_message(key, kind), label="msg")
    encode, _ = _hand(key, kind)
    try:
        theirs: bytes | None = specs.encode(key, version, kind, msg)
    except LocalProtocolError:
        theirs = None
    try:
        ours: bytes | None = encode(strategies.to_dataclass(_cls(key, kind), msg), version)
    except LocalProtocolError:
        ours = None
    assert ours == theirs


@pytest.mark.parametrize("key,kind", _api_cases())
@given(data=st.data())
def test_truncated_bodies_raise_decode_error(key: int, kind: str, data: st.DataObject) -> None:
    mod = API_BY_KEY[key]
    version = data.draw(st.integers(mod.MIN_VERSION, mod.MAX_VERSION), label="version")
    msg = data.draw(strategies.message(key, kind, version), label="msg")
    wire = specs.encode(key, version, kind, msg)
    _, decode = _hand(key, kind)
    for cut in range(len(wire)):
        with pytest.raises(DecodeError):
            decode(wire[:cut], version)
        with pytest.raises(DecodeError):
            specs.decode(key, version, kind, wire[:cut])
    with pytest.raises(DecodeError):
        decode(wire + b"\x00", version)


@pytest.mark.parametrize("key,kind", _api_cases())
@given(data=st.data())
def test_garbage_is_decoded_or_refused_cleanly(key: int, kind: str, data: st.DataObject) -> None:
    """Corrupted bytes either decode (identically in both codecs) or raise DecodeError."""
    mod = API_BY_KEY[key]
    version = data.draw(st.integers(mod.MIN_VERSION, mod.MAX_VERSION), label="version")
    msg = data.draw(strategies.message(key, kind, version), label="msg")
    wire = bytearray(specs.encode(key, version, kind, msg))
    if wire:
        i = data.draw(st.integers(0, len(wire) - 1), label="index")
        wire[i] = data.draw(st.integers(0, 255), label="byte")
    _, decode = _hand(key, kind)
    try:
        ours = specs.to_plain(decode(bytes(wire), version))
    except DecodeError:
        ours = None
    try:
        theirs = specs.decode(key, version, kind, bytes(wire))
    except DecodeError:
        theirs = None
    assert ours == theirs


@pytest.mark.parametrize("key", sorted(API_BY_KEY))
def test_versions_out_of_range_are_refused(key: int) -> None:
    mod = API_BY_KEY[key]
    for kind in KINDS:
        encode, decode = _hand(key, kind)
        msg = _cls(key, kind)()
        for v in (mod.MIN_VERSION - 1, mod.MAX_VERSION + 1):
            with pytest.raises(UnsupportedVersionError):
                encode(msg, v)
            with pytest.raises(UnsupportedVersionError):
                decode(b"", v)

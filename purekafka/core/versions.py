"""ApiVersions negotiation, as a pure function of the broker's answer.

The first request on a connection is ApiVersions at our highest version. A broker
that does not know that version answers UNSUPPORTED_VERSION in a *v0* body
(whatever version was asked) listing its own ApiVersions range; the client then
asks again at the highest version both know, or v0 (Java's NetworkClient does
the same). Otherwise every API gets the highest version in both ranges; an API
whose ranges do not meet is left out, and using it fails with a clear error.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from types import ModuleType
from typing import Mapping

from purekafka.errors import DecodeError, ErrorCode
from purekafka.protocol import api_versions as _av

__all__ = ["Negotiated", "negotiate", "release_caps"]

# For each API purekafka speaks, the Kafka releases that raised its highest version:
# (release, highest version from that release on). Read from Kafka's message definitions
# and release notes; before its first entry an API did not exist.
_RAISED_IN: dict[int, tuple[tuple[tuple[int, ...], int], ...]] = {
    0: (((0, 11), 3), ((1, 0), 5), ((2, 0), 6), ((2, 1), 7), ((2, 4), 8), ((2, 8), 9),  # Produce
        ((3, 7), 10), ((3, 8), 11), ((4, 0), 12), ((4, 1), 13)),
    3: (((0, 11), 4), ((1, 0), 5), ((2, 0), 6), ((2, 1), 7), ((2, 3), 8), ((2, 4), 9),  # Metadata
        ((2, 8), 11), ((3, 1), 12), ((4, 0), 13)),
    10: (((0, 11), 1), ((2, 0), 2), ((2, 4), 3), ((3, 0), 4), ((3, 8), 5),  # FindCoordinator
         ((3, 9), 6)),
    17: (((0, 11), 0), ((1, 0), 1)),  # SaslHandshake
    18: (((0, 11), 1), ((2, 0), 2), ((2, 4), 3), ((3, 9), 4)),  # ApiVersions
    22: (((0, 11), 0), ((2, 0), 1), ((2, 4), 2), ((2, 5), 3), ((2, 7), 4), ((3, 8), 5)),  # InitPid
    24: (((0, 11), 0), ((2, 0), 1), ((2, 7), 2), ((2, 8), 3), ((3, 6), 4),  # AddPartitionsToTxn
         ((3, 8), 5)),
    25: (((0, 11), 0), ((2, 0), 1), ((2, 7), 2), ((2, 8), 3), ((3, 8), 4)),  # AddOffsetsToTxn
    26: (((0, 11), 0), ((2, 0), 1), ((2, 7), 2), ((2, 8), 3), ((3, 8), 4), ((4, 0), 5)),  # EndTxn
    28: (((0, 11), 0), ((2, 0), 1), ((2, 1), 2), ((2, 5), 3), ((3, 8), 4),  # TxnOffsetCommit
         ((4, 0), 5)),
    36: (((1, 0), 0), ((2, 2), 1), ((2, 5), 2)),  # SaslAuthenticate
}
# The newest release the table knows; a later one caps nothing.
_NEWEST_KNOWN = (4, 1)
_END_TXN_TV2 = 5  # transaction.version 2 (KIP-890) commits with EndTxn v5


def release_caps(release: tuple[int, ...]) -> dict[int, int]:
    """Per api key, the highest version Kafka ``release`` (kafka-python's ``api_version``,
    e.g. ``(2, 5)``) offered; -1 where the API did not exist yet. Empty for releases newer
    than the table knows."""
    if release > _NEWEST_KNOWN and release[:len(_NEWEST_KNOWN)] != _NEWEST_KNOWN:
        return {}
    caps: dict[int, int] = {}
    for key, steps in _RAISED_IN.items():
        caps[key] = max((v for since, v in steps if since <= release), default=-1)
    return caps


@dataclass(frozen=True)
class Negotiated:
    """Outcome: ``retry_version`` (ask again), ``versions`` (done) or ``error_code``."""

    retry_version: int | None = None
    versions: dict[int, int] = field(default_factory=dict)
    error_code: int = 0
    finalized_features: dict[str, int] = field(default_factory=dict)


def negotiate(body: bytes, sent_version: int, modules: Mapping[int, ModuleType],
              caps: Mapping[int, int] | None = None) -> Negotiated:
    """Read an ApiVersions response body (answering ``sent_version``) and decide.

    ``modules`` maps api keys to our codec modules (their MIN/MAX_VERSION);
    ``caps`` lowers our maximum per api key (below our minimum: the API is left out);
a cap that leaves EndTxn below v5 also hides transaction.version 2, which needs it. Raises ``DecodeError`` for bytes that
    are neither the expected version nor a v0 error body.
    """
    try:
        resp = _av.decode_response(body, sent_version)
    except DecodeError:
        if sent_version == 0:
            raise
        resp = _av.decode_response(body, 0)  # the short v0 error body
    if resp.error_code == ErrorCode.UNSUPPORTED_VERSION and sent_version > 0:
        theirs = resp.versions().get(_av.API_KEY)
        ver = _av.pick_version((_av.MIN_VERSION, sent_version - 1), theirs)
        return Negotiated(retry_version=0 if ver is None else ver)
    if resp.error_code != ErrorCode.NONE:
        return Negotiated(error_code=resp.error_code)
    theirs_all = resp.versions()
    caps = caps or {}
    versions: dict[int, int] = {}
    for key, mod in modules.items():
        hi = min(mod.MAX_VERSION, caps.get(key, mod.MAX_VERSION))
        v = _av.pick_version((mod.MIN_VERSION, hi), theirs_all.get(key))
        if v is not None:
            versions[key] = v
    features = {f.name: f.max_version_level for f in resp.finalized_features}
    if features.get("transaction.version", 0) >= 2 and caps.get(26, _END_TXN_TV2) < _END_TXN_TV2:
        features["transaction.version"] = 1  # capped below what transactions v2 need
    return Negotiated(versions=versions, finalized_features=features)

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

__all__ = ["Negotiated", "negotiate"]


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
    ``caps`` lowers our maximum per api key. Raises ``DecodeError`` for bytes that
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
    return Negotiated(versions=versions, finalized_features=features)

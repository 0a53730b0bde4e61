"""core.versions: ApiVersions negotiation over response bodies encoded by protocol.api_versions."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from purekafka.core.versions import negotiate
from purekafka.errors import DecodeError, ErrorCode
from purekafka.protocol import api_versions as av
from purekafka.protocol.apis import API_BY_KEY


def _body(ranges: dict[int, tuple[int, int]], version: int, error: int = 0, features=None) -> bytes:
    resp = av.ApiVersionsResponse(error_code=error, api_keys=[
        av.ApiVersion(api_key=k, min_version=lo, max_version=hi) for k, (lo, hi) in ranges.items()])
    if features:
        resp.finalized_features = [av.FinalizedFeatureKey(name=n, max_version_level=v, min_version_level=v)
                                   for n, v in features.items()]
    return av.encode_response(resp, version)


def test_unsupported_version_answer_in_v0_asks_again_lower() -> None:
    # A broker knowing ApiVersions only up to v2 answers our v4 with a v0 error body.
    out = negotiate(_body({18: (0, 2)}, 0, error=ErrorCode.UNSUPPORTED_VERSION), 4, API_BY_KEY)
    assert out.retry_version == 2
    # ... and one that does not even list ApiVersions: fall back to v0.
    assert negotiate(_body({}, 0, error=ErrorCode.UNSUPPORTED_VERSION), 3, API_BY_KEY).retry_version == 0


ranges = st.dictionaries(st.sampled_from(sorted(API_BY_KEY)),
                         st.tuples(st.integers(0, 20), st.integers(0, 20)).map(lambda t: (min(t), max(t))))


@given(theirs=ranges, caps=st.dictionaries(st.sampled_from(sorted(API_BY_KEY)), st.integers(0, 20)))
def test_highest_common_version_per_api(theirs, caps) -> None:
    out = negotiate(_body(theirs, 3), 3, API_BY_KEY, caps)
    for key, mod in API_BY_KEY.items():
        ours_hi = min(mod.MAX_VERSION, caps.get(key, mod.MAX_VERSION))
        common = [v for v in range(0, 21)
                  if mod.MIN_VERSION <= v <= ours_hi and key in theirs and theirs[key][0] <= v <= theirs[key][1]]
        assert out.versions.get(key) == (max(common) if common else None)


def test_finalized_features_are_reported() -> None:
    out = negotiate(_body({0: (3, 13)}, 4, features={"transaction.version": 2}), 4, API_BY_KEY)
    assert out.finalized_features == {"transaction.version": 2} and out.versions[0] == 13


def test_other_errors_and_garbage() -> None:
    out = negotiate(_body({}, 3, error=ErrorCode.INVALID_REQUEST), 3, API_BY_KEY)
    assert out.error_code == ErrorCode.INVALID_REQUEST and out.versions == {}
    # UNSUPPORTED_VERSION to a v0 request has nothing lower to ask: it is the outcome.
    out = negotiate(_body({}, 0, error=ErrorCode.UNSUPPORTED_VERSION), 0, API_BY_KEY)
    assert out.error_code == ErrorCode.UNSUPPORTED_VERSION and out.retry_version is None
    with pytest.raises(DecodeError):
        negotiate(b"\x00", 3, API_BY_KEY)

"""OAUTHBEARER tokens for the secure listeners: unsecured JWTs, and RS256 JWTs the JWKS listeners accept.

Signing uses ``cryptography`` directly (RFC 7515 compact form; no JWT library), with the key
the harness made (DIR/oauth.key, published at the broker's JWKS endpoint) or any other key,
for a token the broker must refuse.
"""
from __future__ import annotations

import base64
import json
import threading
import time
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

from tests.support.kafka import kafka_local

sec: Any = kafka_local.sec


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _segment(obj: dict[str, Any]) -> str:
    return _b64(json.dumps(obj, separators=(",", ":")).encode())


def load_key(path: Path) -> RSAPrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    assert isinstance(key, RSAPrivateKey)
    return key


def new_key() -> RSAPrivateKey:
    """A key the broker has never seen: its tokens are badly signed."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _claims(sub: str, lifetime_s: float, now: float) -> dict[str, Any]:
    return {"sub": sub, "iat": int(now), "exp": int(now + lifetime_s), "scope": "kafka"}


def unsecured_token(sub: str = sec.USER, lifetime_s: float = 3600.0, now: float | None = None) -> str:
    """An unsigned JWT (``alg: none``), what Kafka's unsecured validator accepts."""
    now = time.time() if now is None else now
    return f"{_segment({'alg': 'none'})}.{_segment(_claims(sub, lifetime_s, now))}."


def signed_token(key: RSAPrivateKey, sub: str = sec.USER, lifetime_s: float = 3600.0,
                 now: float | None = None, kid: str = sec.JWKS_KID) -> str:
    """An RS256 JWT with the audience and issuer the JWKS listeners expect."""
    now = time.time() if now is None else now
    claims = dict(_claims(sub, lifetime_s, now), aud=sec.JWT_AUDIENCE, iss=sec.JWT_ISSUER)
    head = f"{_segment({'alg': 'RS256', 'typ': 'JWT', 'kid': kid})}.{_segment(claims)}"
    sig = key.sign(head.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{head}.{_b64(sig)}"


class TokenProvider:
    """kafka-python's AbstractTokenProvider shape (``token()``, ``extensions()``), minting a fresh token per call.

    ``key`` None: unsecured tokens. ``minted`` counts the calls (the re-auth test checks
    fresh tokens were fetched)."""

    def __init__(self, key: RSAPrivateKey | None, lifetime_s: float = 3600.0, sub: str = sec.USER,
                 age_s: float = 0.0) -> None:
        self.key, self.lifetime_s, self.sub, self.age_s = key, lifetime_s, sub, age_s
        self.minted = 0
        self._lock = threading.Lock()
        self.tokens: list[str] = []

    def token(self) -> str:
        now = time.time() - self.age_s
        tok = (signed_token(self.key, self.sub, self.lifetime_s, now) if self.key is not None
               else unsecured_token(self.sub, self.lifetime_s, now))
        with self._lock:
            self.minted += 1
            self.tokens.append(tok)
        return tok

    def extensions(self) -> dict[str, str]:
        return {}

    def __repr__(self) -> str:
        return f"TokenProvider(minted={self.minted})"  # never a token


def confluent_oauth_cb(key: RSAPrivateKey, lifetime_s: float = 3600.0) -> Any:
    """librdkafka's ``oauth_cb``: (token, absolute expiry in seconds)."""

    def cb(_config: str) -> tuple[str, float]:
        now = time.time()
        return signed_token(key, lifetime_s=lifetime_s, now=now), now + lifetime_s

    return cb

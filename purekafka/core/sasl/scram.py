"""SCRAM-SHA-256 and SCRAM-SHA-512 (RFC 5802, RFC 7677), as Kafka's ScramSaslClient speaks them.

The exchange, client first::

    client-first   n,,n=<saslname>,r=<client nonce>
    server-first   r=<client nonce + server nonce>,s=<base64 salt>,i=<iterations>
    client-final   c=biws,r=<nonce>,p=<base64 ClientKey XOR HMAC(StoredKey, AuthMessage)>
    server-final   v=<base64 HMAC(ServerKey, AuthMessage)>   or   e=<error>

Normalization follows Java's ScramFormatter (which wrote the broker's stored credentials):
the username's ``=`` and ``,`` are escaped as ``=3D`` and ``=2C``; the password is used as its
UTF-8 bytes. The hash is a parameter, so RFC 5802's SCRAM-SHA-1 test vector runs too; Kafka's
brokers offer only the SHA-256 and SHA-512 variants.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import os
from typing import Callable

from purekafka.core.sasl.mechanism import AuthenticationFailedError
from purekafka.errors import BrokerResponseError

__all__ = ["HASHES", "MAX_ITERATIONS", "MIN_ITERATIONS", "ScramMechanism", "salted_password", "saslname"]

log = logging.getLogger("purekafka.sasl")

HASHES = {"SCRAM-SHA-1": "sha1", "SCRAM-SHA-256": "sha256", "SCRAM-SHA-512": "sha512"}
# Java's ScramMechanism.minIterations() for both SHA-256 and SHA-512.
MIN_ITERATIONS = 4096
# Java's ScramMechanism.maxIterations(): no broker stores more, and a hostile server asking for
# billions would stall the I/O thread in PBKDF2 (Java's client does not check; we do).
MAX_ITERATIONS = 16384
_GS2_HEADER = "n,,"
_NONCE_BYTES = 24  # 32 base64 characters, none of them ','


def saslname(username: str) -> str:
    """RFC 5802's saslname: ``=`` as ``=3D`` and ``,`` as ``=2C``."""
    return username.replace("=", "=3D").replace(",", "=2C")


def salted_password(hash_name: str, password: str, salt: bytes, iterations: int) -> bytes:
    """Hi(password, salt, i) = PBKDF2 with HMAC-``hash_name``."""
    return hashlib.pbkdf2_hmac(hash_name, password.encode("utf-8"), salt, iterations)


def _hmac(hash_name: str, key: bytes, msg: bytes) -> bytes:
    return hmac.new(key, msg, hash_name).digest()


def _fields(message: str, what: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in message.split(","):
        if len(part) < 2 or part[1] != "=":
            raise AuthenticationFailedError(f"{what}: malformed attribute {part[:1]!r}...")
        out.setdefault(part[0], part[2:])
    return out


class ScramMechanism:
    """One SCRAM client exchange for ``name`` ("SCRAM-SHA-256", "SCRAM-SHA-512")."""

    def __init__(self, name: str, username: str, password: str, *,
                 random_bytes: Callable[[int], bytes] = os.urandom,
                 client_nonce: str | None = None,
                 min_iterations: int = MIN_ITERATIONS,
                 max_iterations: int = MAX_ITERATIONS) -> None:
        if name not in HASHES:
            raise ValueError(f"unknown SCRAM mechanism {name!r}; one of {', '.join(HASHES)}")
        self.name = name
        self.hash_name = HASHES[name]
        self._username = username
        self._password = password
        nonce = client_nonce
        if nonce is None:
            nonce = base64.b64encode(random_bytes(_NONCE_BYTES)).decode("ascii")
        if not nonce or any(not 0x21 <= ord(c) <= 0x7E or c == "," for c in nonce):
            raise ValueError("a SCRAM nonce is printable ASCII without ','")
        self._client_nonce = nonce
        self._min_iterations = min_iterations
        self._max_iterations = max_iterations
        self._state = "initial"
        self._client_first_bare = ""
        self._server_signature = b""
        self._secrets: list[str] = [password]

    def __repr__(self) -> str:
        return (f"ScramMechanism({self.name!r}, username={self._username!r}, "
                f"password='********', state={self._state!r})")

    @property
    def complete(self) -> bool:
        """Whether the server's signature has been verified."""
        return self._state == "complete"

    def secrets(self) -> tuple[str, ...]:
        """What must never be shown: the password, the proof and salted password (base64)."""
        return tuple(self._secrets)

    def start(self, wall_time_s: float) -> bytes:
        """The client-first message."""
        if self._state != "initial":
            raise AuthenticationFailedError(f"SASL {self.name}: the exchange already started")
        self._client_first_bare = f"n={saslname(self._username)},r={self._client_nonce}"
        self._state = "sent-first"
        return (_GS2_HEADER + self._client_first_bare).encode("utf-8")

    def step(self, server_token: bytes, wall_time_s: float) -> bytes | None:
        """client-final for server-first; None after verifying server-final."""
        if self._state == "sent-first":
            return self._client_final(self._decode(server_token, "server-first message"))
        if self._state == "sent-final":
            self._verify_final(self._decode(server_token, "server-final message"))
            return None
        raise AuthenticationFailedError(
            f"SASL {self.name}: unexpected server message in state {self._state!r}")

    def _decode(self, token: bytes, what: str) -> str:
        try:
            return token.decode("utf-8")
        except UnicodeDecodeError:
            raise self._fail(f"{what} is not UTF-8") from None

    def _fail(self, reason: str) -> BrokerResponseError:
        self._state = "failed"
        return AuthenticationFailedError(f"SASL {self.name}: {reason}")

    def _client_final(self, server_first: str) -> bytes:
        what = f"SASL {self.name} server-first message"
        fields = _fields(server_first, what)
        if "e" in fields:
            raise self._fail(f"the broker refused the exchange: {fields['e']}")
        if "m" in fields:
            raise self._fail("the broker asked for a mandatory extension (m=) this client "
                             "does not know")
        nonce, salt_b64, count = fields.get("r"), fields.get("s"), fields.get("i")
        if nonce is None or salt_b64 is None or count is None:
            raise self._fail("server-first message lacks r=, s= or i=")
        if not nonce.startswith(self._client_nonce) or len(nonce) <= len(self._client_nonce):
            raise self._fail("server-first nonce does not extend the client nonce (a replay or "
                             "a broken server)")
        try:
            salt = base64.b64decode(salt_b64, validate=True)
        except (binascii.Error, ValueError):
            raise self._fail("server-first salt is not base64") from None
        if not count.isdigit():
            raise self._fail(f"server-first iteration count {count[:20]!r} is not a number")
        if len(count) > 10:
            raise self._fail(f"server-first iteration count {count[:20]}... is too large")
        iterations = int(count)
        if iterations > self._max_iterations:
            raise self._fail(f"server-first iteration count {iterations} is above the "
                             f"maximum {self._max_iterations} a Kafka broker stores")
        if iterations < self._min_iterations:
            raise self._fail(f"server-first iteration count {iterations} is below the "
                             f"minimum {self._min_iterations}")
        h = self.hash_name
        salted = salted_password(h, self._password, salt, iterations)
        client_key = _hmac(h, salted, b"Client Key")
        stored_key = hashlib.new(h, client_key).digest()
        channel = base64.b64encode(_GS2_HEADER.encode()).decode("ascii")
        final_bare = f"c={channel},r={nonce}"
        auth_message = f"{self._client_first_bare},{server_first},{final_bare}".encode("utf-8")
        signature = _hmac(h, stored_key, auth_message)
        proof = bytes(a ^ b for a, b in zip(client_key, signature))
        self._server_signature = _hmac(h, _hmac(h, salted, b"Server Key"), auth_message)
        proof_b64 = base64.b64encode(proof).decode("ascii")
        self._secrets += [proof_b64, base64.b64encode(salted).decode("ascii")]
        self._state = "sent-final"
        log.debug("SASL %s: server-first accepted (%d iterations)", self.name, iterations)
        return f"{final_bare},p={proof_b64}".encode("utf-8")

    def _verify_final(self, server_final: str) -> None:
        fields = _fields(server_final, f"SASL {self.name} server-final message")
        if "e" in fields:
            raise self._fail(f"the broker refused the credentials: {fields['e']}")
        verifier = fields.get("v")
        if verifier is None:
            raise self._fail("server-final message has neither v= nor e=")
        try:
            got = base64.b64decode(verifier, validate=True)
        except (binascii.Error, ValueError):
            raise self._fail("server-final signature is not base64") from None
        if not hmac.compare_digest(got, self._server_signature):
            raise self._fail("the broker's server signature does not match: it does not know "
                             "this user's credentials (or is not the broker it claims to be)")
        self._state = "complete"

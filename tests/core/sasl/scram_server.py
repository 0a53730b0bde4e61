"""A SCRAM server written from RFC 5802 §3/§5, for the client's round-trip tests.

Holds what a broker stores per user (salt, iteration count, StoredKey, ServerKey) and never
the password; verifies the client proof and answers with the server signature or ``e=``.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass


def _h(name: str, key: bytes, msg: bytes) -> bytes:
    return hmac.new(key, msg, name).digest()


@dataclass
class ScramCredential:
    """The broker's stored form of one user's password."""

    hash_name: str
    salt: bytes
    iterations: int
    stored_key: bytes
    server_key: bytes

    @classmethod
    def make(cls, hash_name: str, password: str, salt: bytes, iterations: int) -> ScramCredential:
        salted = hashlib.pbkdf2_hmac(hash_name, password.encode(), salt, iterations)
        client_key = _h(hash_name, salted, b"Client Key")
        return cls(hash_name, salt, iterations, hashlib.new(hash_name, client_key).digest(),
                   _h(hash_name, salted, b"Server Key"))


def _attrs(message: str) -> list[tuple[str, str]]:
    return [(p[0], p[2:]) for p in message.split(",")]


def unescape(saslname: str) -> str:
    """RFC 5802 saslname back to the user name; ValueError on a stray '='."""
    out, i = [], 0
    while i < len(saslname):
        if saslname[i] == "=":
            code = saslname[i:i + 3]
            if code not in ("=2C", "=3D"):
                raise ValueError("bad escape")
            out.append("," if code == "=2C" else "=")
            i += 3
        else:
            out.append(saslname[i])
            i += 1
    return "".join(out)


class ScramServer:
    """One server-side exchange."""

    def __init__(self, users: dict[str, ScramCredential], server_nonce: str) -> None:
        self.users = users
        self.server_nonce = server_nonce
        self.user: str | None = None
        self._first_bare = ""
        self._server_first = ""
        self._nonce = ""

    def first(self, client_first: bytes) -> bytes:
        text = client_first.decode()
        assert text.startswith("n,,"), text
        self._first_bare = text[3:]
        attrs = dict(_attrs(self._first_bare))
        self.user = unescape(attrs["n"])
        cred = self.users.get(self.user)
        if cred is None:
            return b"e=unknown-user"
        self._nonce = attrs["r"] + self.server_nonce
        self._server_first = (f"r={self._nonce},s={base64.b64encode(cred.salt).decode()},"
                              f"i={cred.iterations}")
        return self._server_first.encode()

    def final(self, client_final: bytes) -> bytes:
        text = client_final.decode()
        without_proof, _, proof_b64 = text.rpartition(",p=")
        attrs = dict(_attrs(without_proof))
        if attrs.get("c") != "biws" or attrs.get("r") != self._nonce:
            return b"e=channel-bindings-dont-match"
        assert self.user is not None
        cred = self.users[self.user]
        auth = f"{self._first_bare},{self._server_first},{without_proof}".encode()
        signature = _h(cred.hash_name, cred.stored_key, auth)
        client_key = bytes(a ^ b for a, b in zip(base64.b64decode(proof_b64), signature))
        if not hmac.compare_digest(hashlib.new(cred.hash_name, client_key).digest(),
                                   cred.stored_key):
            return b"e=invalid-proof"
        return b"v=" + base64.b64encode(_h(cred.hash_name, cred.server_key, auth))

"""SASL/PLAIN (RFC 4616): one client message, ``authzid NUL authcid NUL passwd``.

As Java's PlainSaslClient sends it: an empty authorization id, so the broker authorizes the
authenticated user. Kafka's server answers success with an empty token; a wrong password
comes back as a SaslAuthenticate error, which the authenticator raises.
"""
from __future__ import annotations

from purekafka.core.sasl.mechanism import AuthenticationFailedError

__all__ = ["PlainMechanism"]


class PlainMechanism:
    """The PLAIN mechanism for one username and password."""

    name = "PLAIN"

    def __init__(self, username: str, password: str) -> None:
        if "\x00" in username or "\x00" in password:
            raise ValueError("PLAIN username and password must not contain NUL characters")
        self._username = username
        self._password = password
        self._started = False
        self._complete = False

    def __repr__(self) -> str:
        return f"PlainMechanism(username={self._username!r}, password='********')"

    @property
    def complete(self) -> bool:
        """Whether the server accepted the credentials."""
        return self._complete

    def secrets(self) -> tuple[str, ...]:
        """What must never be shown (for the authenticator's redaction of broker messages)."""
        return (self._password,)

    def start(self, wall_time_s: float) -> bytes:
        """``NUL username NUL password``, UTF-8."""
        self._started = True
        return b"\x00" + self._username.encode() + b"\x00" + self._password.encode()

    def step(self, server_token: bytes, wall_time_s: float) -> bytes | None:
        """Accept the server's (empty) final message."""
        if not self._started or self._complete:
            raise AuthenticationFailedError("SASL/PLAIN: unexpected server message after the "
                                            "exchange ended")
        if server_token:
            raise AuthenticationFailedError(
                f"SASL/PLAIN: the broker sent a {len(server_token)}-byte challenge; PLAIN "
                "expects none (is the listener really PLAIN?)")
        self._complete = True
        return None

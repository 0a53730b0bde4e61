"""SASL/OAUTHBEARER (RFC 7628) as Kafka speaks it (KIP-255, extensions KIP-342).

Client initial response: ``n,,\\x01auth=Bearer <token>\\x01[key=value\\x01...]\\x01``.
Success is an empty server token. A rejected token comes back as a JSON error challenge
(``{"status":"invalid_token",...}``); RFC 7628 §3.2.3 has the client answer it with a single
``\\x01``, after which Kafka fails the SaslAuthenticate with its own message, which the
authenticator raises together with the JSON status (the token redacted).

The token comes from ``sasl_oauth_token_provider``: kafka-python's AbstractTokenProvider
(``token()``, optional ``extensions()``) or a plain callable returning the token. It is asked
once per mechanism, and the factory makes a fresh mechanism per connection and per
re-authentication, so a provider that refreshes its token is honoured.
"""
from __future__ import annotations

import json
import re
from typing import Any, Mapping

from purekafka.core.sasl.mechanism import AuthenticationFailedError, raised, redact

__all__ = ["OAuthBearerMechanism", "client_initial_response"]

_SEP = "\x01"
# The patterns of Java's OAuthBearerClientInitialResponse (RFC 7628 §3.1 and RFC 6750 b64token).
_TOKEN = re.compile(r"[-_~+/.a-zA-Z0-9]+=*")
_KEY = re.compile(r"[A-Za-z]+")
_VALUE = re.compile(r"[\x21-\x7E \t\r\n]+")


def client_initial_response(token: str, extensions: Mapping[str, str]) -> bytes:
    """The OAUTHBEARER client message; ValueError if the token or an extension is malformed."""
    if not _TOKEN.fullmatch(token):
        raise ValueError("the OAuth token is not a valid bearer token (RFC 6750 b64token: "
                         "letters, digits and -._~+/ then optional '=')")
    parts = [f"auth=Bearer {token}"]
    for key, value in extensions.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise ValueError("OAuth extensions must map str to str")
        if key == "auth" or not _KEY.fullmatch(key):
            raise ValueError(f"OAuth extension name {key!r} is invalid (letters only, not 'auth')")
        if not _VALUE.fullmatch(value):
            raise ValueError(f"OAuth extension {key!r} has an invalid value (printable ASCII, "
                             "space, tab, CR, LF)")
        parts.append(f"{key}={value}")
    return ("n,," + _SEP + _SEP.join(parts) + _SEP + _SEP).encode("ascii")


class OAuthBearerMechanism:
    """One OAUTHBEARER exchange with a token from ``provider``."""

    name = "OAUTHBEARER"

    def __init__(self, provider: Any, broker: str | None = None) -> None:
        self._provider = provider
        self._broker = broker  # named in the error when the provider fails
        self._token = ""
        self._state = "initial"
        self.server_error: str | None = None

    def __repr__(self) -> str:
        return f"OAuthBearerMechanism(provider={type(self._provider).__name__}, state={self._state!r})"

    @property
    def complete(self) -> bool:
        """Whether the broker accepted the token."""
        return self._state == "complete"

    def secrets(self) -> tuple[str, ...]:
        """The token, which must never be shown."""
        return (self._token,) if self._token else ()

    def start(self, wall_time_s: float) -> bytes:
        """Fetch the token (and extensions) and build the client initial response."""
        if self._state != "initial":
            raise AuthenticationFailedError("SASL OAUTHBEARER: the exchange already started")
        token = self._call("token")
        if not isinstance(token, str):
            raise AuthenticationFailedError(
                f"SASL OAUTHBEARER: sasl_oauth_token_provider returned a "
                f"{type(token).__name__}, not the token string")
        self._token = token
        extensions: Any = {}
        if callable(getattr(self._provider, "extensions", None)):
            extensions = self._call("extensions") or {}
        if not isinstance(extensions, Mapping):
            raise AuthenticationFailedError(
                "SASL OAUTHBEARER: sasl_oauth_token_provider.extensions() must return a dict")
        try:
            message = client_initial_response(token, extensions)
        except ValueError as exc:
            raise AuthenticationFailedError(
                f"SASL OAUTHBEARER: {redact(str(exc), self.secrets())}") from None
        self._state = "sent-token"
        return message

    def _call(self, what: str) -> Any:
        target = getattr(self._provider, what, None)
        if what == "token" and not callable(target):
            if not callable(self._provider):
                raise AuthenticationFailedError(
                    "SASL OAUTHBEARER: sasl_oauth_token_provider has no token() method and is "
                    "not callable")
            target = self._provider
        try:
            return target() if callable(target) else None
        except Exception as exc:  # noqa: BLE001 - the user's provider failed
            name = "sasl_oauth_token_provider" + ("" if target is self._provider else f".{what}()")
            where = f" on broker {self._broker}" if self._broker else ""
            failure = raised(f"SASL OAUTHBEARER{where}: {name}", exc,
                             "call it outside the producer to see its error")
        raise failure  # outside the except block: the provider's exception is not its context

    def step(self, server_token: bytes, wall_time_s: float) -> bytes | None:
        """None on success; ``\\x01`` to an error challenge (recording its status)."""
        if self._state == "sent-token":
            if not server_token:
                self._state = "complete"
                return None
            self.server_error = self._describe(server_token)
            self._state = "sent-abort"
            return _SEP.encode("ascii")
        if self._state == "sent-abort":
            raise AuthenticationFailedError(
                f"SASL OAUTHBEARER: the broker rejected the token ({self.server_error})")
        raise AuthenticationFailedError(
            f"SASL OAUTHBEARER: unexpected server message in state {self._state!r}")

    def _describe(self, challenge: bytes) -> str:
        text = challenge.decode("utf-8", "replace")
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict):
            keys = [k for k in ("status", "scope", "openid-configuration") if k in parsed]
            text = ", ".join(f"{k}={parsed[k]!r}" for k in keys) or text
        return redact(text[:500], self.secrets())

"""One connection's SASL exchange as a sans-I/O state machine (KIP-152 framing).

Theory of operation: the I/O layer asks for ``first_request`` (a SaslHandshake v1 naming the
mechanism), sends it, and hands each response body to ``on_response``, which returns the
next request (a SaslAuthenticate carrying the mechanism's next token) or None once the
mechanism has verified the server's final message. States:

    HANDSHAKE --handshake ok--> AUTHENTICATING --mechanism done--> DONE
    any state --error--> FAILED (every later call raises IllegalSaslStateError)

Version 0 of SaslHandshake (raw, unframed tokens, Kafka < 1.0) is refused: every broker
purekafka can write to (0.11's RecordBatch v2) that supports v1 is framed.
Re-authentication (KIP-368) is a new authenticator, with a fresh mechanism, on the same
connection; ``session_lifetime_ms`` and ``reauth_delay_ms`` say when.
"""
from __future__ import annotations

import logging
from typing import Callable

from purekafka.error_codes import ErrorCode
from purekafka.errors import (
    BrokerResponseError,
    IllegalSaslStateError,
    DecodeError,
    IncompatibleBrokerVersion,
    KafkaError,
    SaslAuthenticationFailedError,
    UnsupportedSaslMechanismError,
    for_code,
)
from purekafka.core.sasl.mechanism import SaslMechanism, raised, redact
from purekafka.protocol import sasl_authenticate, sasl_handshake
from purekafka.protocol.sasl_authenticate import SaslAuthenticateRequest
from purekafka.protocol.sasl_handshake import SaslHandshakeRequest

__all__ = ["SaslAuthenticator", "raise_hint", "reauth_delay_ms"]

log = logging.getLogger("purekafka.sasl")

_HANDSHAKE, _AUTHENTICATING, _DONE, _FAILED = "HANDSHAKE", "AUTHENTICATING", "DONE", "FAILED"
# Java SaslClientAuthenticator: re-authenticate at 85 % of the lifetime plus up to 10 %
# jitter, so that many connections opened together do not re-authenticate together.
_REAUTH_FLOOR = 0.85
_REAUTH_JITTER = 0.10


def reauth_delay_ms(session_lifetime_ms: int, rand: float) -> float | None:
    """When to re-authenticate (KIP-368, as Java): 85..95 % of the lifetime; None for none.

    ``rand`` is uniform in [0, 1). Like Java, the result is truncated to whole milliseconds.
    """
    if session_lifetime_ms <= 0:
        return None
    if not 0.0 <= rand < 1.0:
        raise ValueError(f"rand must be in [0, 1), got {rand!r}")
    return float(int(session_lifetime_ms * (_REAUTH_FLOOR + rand * _REAUTH_JITTER)))


class SaslAuthenticator:
    """The SaslHandshake + SaslAuthenticate exchange of one connection (see the module doc)."""

    def __init__(self, mechanism: SaslMechanism, *, handshake_version: int,
                 authenticate_version: int, broker: str | None = None) -> None:
        where = f" {broker}" if broker else ""
        if handshake_version < 1:
            raise IncompatibleBrokerVersion(
                f"broker{where} supports only SaslHandshake v0 (unframed SASL, Kafka before "
                "1.0); purekafka needs SaslHandshake v1")
        if handshake_version > sasl_handshake.MAX_VERSION:
            raise ValueError(f"SaslHandshake v{handshake_version}: at most "
                             f"v{sasl_handshake.MAX_VERSION} (pass min(negotiated, 1))")
        if not sasl_authenticate.MIN_VERSION <= authenticate_version <= sasl_authenticate.MAX_VERSION:
            raise ValueError(f"SaslAuthenticate v{authenticate_version}: must be 0..2 "
                             "(pass min(negotiated, 2))")
        self.mechanism = mechanism
        self.handshake_version = handshake_version
        self.authenticate_version = authenticate_version
        self.broker = broker
        self.done = False
        self.session_lifetime_ms = 0
        self._state = _HANDSHAKE
        self._started = False

    def __repr__(self) -> str:
        return (f"SaslAuthenticator(mechanism={self.mechanism.name!r}, broker={self.broker!r}, "
                f"state={self._state})")

    @property
    def _where(self) -> str:
        return f" {self.broker}" if self.broker else ""

    def first_request(self, wall_time_s: float) -> tuple[int, int, bytes]:
        """The SaslHandshake request: (api_key, api_version, body)."""
        if self._started or self._state != _HANDSHAKE:
            raise IllegalSaslStateError("SaslAuthenticator.first_request called twice; use a "
                                        "new authenticator to re-authenticate")
        self._started = True
        body = sasl_handshake.encode_request(SaslHandshakeRequest(self.mechanism.name),
                                             self.handshake_version)
        log.debug("SASL %s on broker%s: sending SaslHandshake v%d", self.mechanism.name,
                  self._where, self.handshake_version)
        return sasl_handshake.API_KEY, self.handshake_version, body

    def on_response(self, api_key: int, body: bytes, wall_time_s: float
                    ) -> tuple[int, int, bytes] | None:
        """Take one response body; the next request, or None once authenticated. Any other
        exception than a KafkaError (a mechanism's, or a library's under it) becomes a
        SaslAuthenticationFailedError naming its type (``mechanism.raised``)."""
        try:
            return self._on_response(api_key, body, wall_time_s)
        except Exception as exc:  # noqa: BLE001 - turned into an error that hides its text
            self._state = _FAILED
            if isinstance(exc, KafkaError):
                raise
            name = self.mechanism.name
            failure = raised(f"SASL {name} on broker{self._where}: the mechanism", exc,
                             raise_hint(name))
        except BaseException:
            self._state = _FAILED
            raise
        raise failure  # outside the except block: the mechanism's exception is not its context

    def _on_response(self, api_key: int, body: bytes, wall_time_s: float
                     ) -> tuple[int, int, bytes] | None:
        if self._state == _HANDSHAKE and self._started and api_key == sasl_handshake.API_KEY:
            return self._on_handshake(body, wall_time_s)
        if self._state == _AUTHENTICATING and api_key == sasl_authenticate.API_KEY:
            return self._on_authenticate(body, wall_time_s)
        raise IllegalSaslStateError(
            f"SASL {self.mechanism.name} on broker{self._where}: unexpected response "
            f"(API key {api_key}) in state {self._state}")

    def _on_handshake(self, body: bytes, wall_time_s: float) -> tuple[int, int, bytes]:
        try:
            response = sasl_handshake.decode_response(body, self.handshake_version)
        except DecodeError as exc:
            raise _malformed("SaslHandshake", self.handshake_version, exc) from None
        name = self.mechanism.name
        if response.error_code == ErrorCode.UNSUPPORTED_SASL_MECHANISM:
            enabled = ", ".join(response.mechanisms) or "none"
            raise UnsupportedSaslMechanismError(
                f"SASL mechanism {name} is not enabled on broker{self._where}; it enables "
                f"{enabled} (set sasl_mechanism to one of them)")
        if response.error_code:
            raise _broker_error(response.error_code,
                                f"SaslHandshake for {name} on broker{self._where} failed")
        self._state = _AUTHENTICATING
        token = self.mechanism.start(wall_time_s)
        log.debug("SASL %s on broker%s: handshake done, sending the first token (%d bytes)",
                  name, self._where, len(token))
        return self._authenticate(token)

    def _on_authenticate(self, body: bytes, wall_time_s: float) -> tuple[int, int, bytes] | None:
        try:
            response = sasl_authenticate.decode_response(body, self.authenticate_version)
        except DecodeError as exc:
            raise _malformed("SaslAuthenticate", self.authenticate_version, exc) from None
        name = self.mechanism.name
        if response.error_code:
            detail = self._redact(response.error_message or "")
            server_error = getattr(self.mechanism, "server_error", None)
            if server_error:
                detail = f"{detail} (server said {server_error})" if detail else server_error
            what = f"SASL {name} authentication on broker{self._where} failed"
            if response.error_code == ErrorCode.SASL_AUTHENTICATION_FAILED:
                raise SaslAuthenticationFailedError(
                    f"{what}: {detail or 'no reason given'}{_hint(name)}")
            raise _broker_error(response.error_code, f"{what}: {detail}" if detail else what)
        if self.authenticate_version >= 1:
            self.session_lifetime_ms = max(0, response.session_lifetime_ms)
        token = self.mechanism.step(response.auth_bytes, wall_time_s)
        if token is None:
            if not self.mechanism.complete:
                raise IllegalSaslStateError(
                    f"SASL {name} on broker{self._where}: the mechanism stopped before the "
                    "exchange completed")
            self._state = _DONE
            self.done = True
            log.debug("SASL %s on broker%s: authenticated (session lifetime %d ms)", name,
                      self._where, self.session_lifetime_ms)
            return None
        log.debug("SASL %s on broker%s: sending the next token (%d bytes)", name,
                  self._where, len(token))
        return self._authenticate(token)

    def _authenticate(self, token: bytes) -> tuple[int, int, bytes]:
        body = sasl_authenticate.encode_request(SaslAuthenticateRequest(auth_bytes=token),
                                                self.authenticate_version)
        return sasl_authenticate.API_KEY, self.authenticate_version, body

    def _redact(self, text: str) -> str:
        secrets: Callable[[], tuple[str, ...]] | None = getattr(self.mechanism, "secrets", None)
        return redact(text, secrets() if secrets is not None else ())


def _malformed(api: str, version: int, exc: DecodeError) -> BrokerResponseError:
    return IllegalSaslStateError(f"malformed {api} v{version} response from the broker: {exc}")


def _broker_error(code: int, message: str) -> BrokerResponseError:
    return for_code(code)(message)


def _hint(mechanism: str) -> str:
    if mechanism == "PLAIN" or mechanism.startswith("SCRAM-"):
        return " (check sasl_plain_username and sasl_plain_password)"
    if mechanism == "OAUTHBEARER":
        return " (check the token sasl_oauth_token_provider returns)"
    if mechanism == "GSSAPI":
        return (" (check that sasl_kerberos_service_name and sasl_kerberos_domain_name name the "
                "broker's own principal, and the client's Kerberos credentials)")
    return ""


def raise_hint(mechanism: str | None) -> str:
    """What to check when ``mechanism``'s client side (None: not yet made) raised."""
    if mechanism == "OAUTHBEARER":
        return "check sasl_oauth_token_provider: call it outside the producer to see its error"
    if mechanism == "AWS_MSK_IAM":
        return ("check sasl_aws_credentials_provider (or the AWS_* environment variables): call "
                "it outside the producer to see its error")
    if mechanism == "GSSAPI":
        return ("check the client's Kerberos credentials (kinit, KRB5CCNAME) and "
                "sasl_kerberos_service_name / sasl_kerberos_domain_name")
    if mechanism == "PLAIN" or (mechanism or "").startswith("SCRAM-"):
        return "check sasl_plain_username and sasl_plain_password"
    return "check sasl_mechanism and its settings"

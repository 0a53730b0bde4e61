"""GSSAPI (Kerberos V5) as a SASL mechanism: RFC 4752, the way Kafka's Java client runs it.

Theory of operation. The target is the broker's service principal, named as a host-based
service ``sasl_kerberos_service_name@host`` (``sasl_kerberos_domain_name`` replaces the
broker's host; ``sasl_kerberos_name`` replaces the whole name). Then:

    CONTEXT    start(): the first context token (the AP-REQ). Each server token goes to
               the context until it is established; an established context with nothing
               more to say answers with an empty token (RFC 4752 3.1, as Java does).
    LAYER      the server's first token after that is a wrapped 4-byte offer: a bit-mask of
               security layers and its maximum message size. Kafka runs no security layer,
               so the client picks "none" (bit 1; refused if not offered) with size 0, and
               wraps that with the authorization id: the client's own principal, as Java
               sends it (the broker's principal is the authenticated one either way).
    FINAL      the broker's SaslAuthenticate answer to that is empty; step() returns None.

The client's credentials are libkrb5's: the default credential cache (``KRB5CCNAME``, filled
by ``kinit``) or a client keytab (``KRB5_CLIENT_KTNAME``), with ``KRB5_CONFIG`` naming the
realm. libkrb5 may contact the KDC inside ``start()``/``step()`` (to fetch a service ticket):
that is the library's blocking I/O, not ours; every other step is computation.

The optional ``gssapi`` package (``pip install purekafka[gssapi]``) is imported when a
mechanism is made, never at purekafka's import.
"""
from __future__ import annotations

import importlib
from typing import Any

from purekafka.config import ProducerConfig
from purekafka.errors import BrokerResponseError, KafkaConfigurationError
from purekafka.core.sasl.mechanism import AuthenticationFailedError

__all__ = ["GssapiMechanism", "import_gssapi", "target_name"]

# RFC 4752 3.1 (RFC 2222 7.2.1): the security-layer bit-mask of the offer and the choice.
NO_SECURITY_LAYER = 0x01
INTEGRITY_LAYER = 0x02
CONFIDENTIALITY_LAYER = 0x04

_CONTEXT, _LAYER, _FINAL, _DONE, _FAILED = "CONTEXT", "LAYER", "FINAL", "DONE", "FAILED"
_HINT = ("check the client's Kerberos credentials (kinit, or a keytab in KRB5_CLIENT_KTNAME), "
         "KRB5_CONFIG, and that sasl_kerberos_service_name/sasl_kerberos_domain_name name the "
         "broker's principal")


def import_gssapi() -> Any:
    """The ``gssapi`` package, or KafkaConfigurationError saying how to install it."""
    try:
        return importlib.import_module("gssapi")
    except (ImportError, OSError) as exc:  # OSError: the package is there, libgssapi is not
        raise KafkaConfigurationError(
            "sasl_mechanism='GSSAPI' needs the gssapi package and the system's Kerberos "
            f"libraries: pip install purekafka[gssapi] ({type(exc).__name__}: {exc})") from None


def target_name(config: ProducerConfig, host: str) -> str:
    """The broker's host-based service name, ``service@host``, as the settings give it."""
    if isinstance(config.sasl_kerberos_name, str) and config.sasl_kerberos_name:
        return config.sasl_kerberos_name
    service = config.sasl_kerberos_service_name
    if not service:
        raise KafkaConfigurationError("sasl_mechanism='GSSAPI' needs sasl_kerberos_service_name "
                                      "(the broker's, usually 'kafka')")
    return f"{service}@{config.sasl_kerberos_domain_name or host}"


class GssapiMechanism:
    """The client side of one SASL GSSAPI exchange with one broker (see the module doc)."""

    name = "GSSAPI"

    def __init__(self, config: ProducerConfig, host: str, *, gssapi_module: Any = None) -> None:
        self._gssapi: Any = gssapi_module if gssapi_module is not None else import_gssapi()
        gssapi = self._gssapi
        given = config.sasl_kerberos_name
        if given is not None and not isinstance(given, str):
            if not isinstance(given, gssapi.Name):
                raise KafkaConfigurationError(
                    f"sasl_kerberos_name must be a str or a gssapi.Name, not {type(given).__name__}")
            self._target: Any = given
            self.target = str(given)
        else:
            self.target = target_name(config, host)
            # "service/host@REALM" is a principal; "service@host" a host-based service name.
            kind = (gssapi.NameType.kerberos_principal if "/" in self.target
                    else gssapi.NameType.hostbased_service)
            try:
                self._target = gssapi.Name(self.target, name_type=kind)
            except gssapi.exceptions.GSSError as exc:
                raise KafkaConfigurationError(
                    f"GSSAPI: {self.target!r} is not a valid service name: {_gss_text(exc)}") from None
        self.broker = host
        self.authorization_id = ""
        self._ctx: Any = None
        self._state = _CONTEXT

    def __repr__(self) -> str:
        return f"GssapiMechanism(target={self.target!r}, state={self._state})"

    @property
    def complete(self) -> bool:
        return self._state == _DONE

    def start(self, wall_time_s: float) -> bytes:
        """The first context token (libkrb5 may fetch a service ticket from the KDC here)."""
        if self._ctx is not None or self._state != _CONTEXT:
            raise self._fail("start() called twice; use a new mechanism to re-authenticate")
        gssapi = self._gssapi
        flags = (gssapi.RequirementFlag.mutual_authentication
                 | gssapi.RequirementFlag.out_of_sequence_detection
                 | gssapi.RequirementFlag.integrity)
        try:
            self._ctx = gssapi.SecurityContext(name=self._target, usage="initiate",
                                               mech=gssapi.MechType.kerberos, flags=flags)
            token = self._ctx.step(None)
        except gssapi.exceptions.GSSError as exc:
            raise self._fail(f"cannot start a Kerberos context for {self.target}: "
                             f"{_gss_text(exc)} ({_HINT})") from None
        if self._ctx.complete:
            self._state = _LAYER
        return bytes(token or b"")

    def step(self, server_token: bytes, wall_time_s: float) -> bytes | None:
        """The next client token; None once the broker has accepted the layer choice."""
        if self._state == _CONTEXT:
            return self._step_context(server_token)
        if self._state == _LAYER:
            return self._choose_layer(server_token)
        if self._state == _FINAL:
            if server_token:
                raise self._fail(f"the broker sent {len(server_token)} bytes after the "
                                 "security-layer exchange, where RFC 4752 has none")
            self._state = _DONE
            return None
        raise self._fail(f"step() in state {self._state}")

    def _step_context(self, server_token: bytes) -> bytes:
        if self._ctx is None:
            raise self._fail("step() before start()")
        gssapi = self._gssapi
        try:
            token = self._ctx.step(server_token)
        except gssapi.exceptions.GSSError as exc:
            raise self._fail(f"the broker's Kerberos token was refused: {_gss_text(exc)}") from None
        if self._ctx.complete:
            self._state = _LAYER
        # An established context with no token of its own answers with an empty one.
        return bytes(token or b"")

    def _choose_layer(self, server_token: bytes) -> bytes:
        gssapi = self._gssapi
        if not server_token:
            raise self._fail("the broker sent an empty security-layer offer")
        try:
            offer = bytes(self._ctx.unwrap(server_token).message)
        except gssapi.exceptions.GSSError as exc:
            raise self._fail(f"cannot unwrap the broker's security-layer offer: {_gss_text(exc)}") from None
        if len(offer) != 4:
            raise self._fail(f"the broker's security-layer offer is {len(offer)} bytes, not 4")
        if not offer[0] & NO_SECURITY_LAYER:
            raise self._fail(f"the broker offers only security layers (mask {offer[0]:#04x}); "
                             "Kafka clients run without one")
        try:
            self.authorization_id = str(self._ctx.initiator_name)
        except gssapi.exceptions.GSSError:
            self.authorization_id = ""
        # Size 0: "MUST be 0 if the client does not support any security layer" (RFC 4752 3.1).
        reply = bytes([NO_SECURITY_LAYER, 0, 0, 0]) + self.authorization_id.encode("utf-8")
        try:
            wrapped = self._ctx.wrap(reply, False).message
        except gssapi.exceptions.GSSError as exc:
            raise self._fail(f"cannot wrap the security-layer choice: {_gss_text(exc)}") from None
        self._state = _FINAL
        return bytes(wrapped)

    def _fail(self, what: str) -> BrokerResponseError:
        self._state = _FAILED
        return AuthenticationFailedError(f"SASL GSSAPI with broker {self.broker}: {what}")


def _gss_text(exc: Exception) -> str:
    """A GSSError's major and minor messages on one line (they name principals, never keys)."""
    gen = getattr(exc, "gen_message", None)
    text = gen() if callable(gen) else str(exc)
    return " ".join(str(text).split())

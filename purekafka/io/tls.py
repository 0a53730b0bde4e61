"""TLS for broker connections, without a socket inside.

``make_ssl_context`` turns kafka-python's ``ssl_*`` settings into an ``ssl.SSLContext``
(or returns the caller's ``ssl_context`` as it is). ``TlsTransport`` is one connection's
TLS session: an ``ssl.SSLObject`` over two ``ssl.MemoryBIO``s. The driver (the selector
loop in ``io.network`` or an asyncio one) moves bytes: what the socket read goes to
``feed``, which returns the decrypted application bytes; application bytes go to
``write``; ``outgoing`` returns the ciphertext to put on the socket. Because nothing
here blocks or touches a socket, the handshake runs inside the non-blocking loop.

A failed certificate check is ``SslAuthenticationError`` (Java's
SslAuthenticationException), naming the broker and what to change; any other TLS failure
is ``KafkaConnectionError``.
"""
from __future__ import annotations

import ssl
from typing import Any

from purekafka.errors import KafkaConfigurationError, KafkaConnectionError, SslAuthenticationError

__all__ = ["TlsTransport", "make_ssl_context"]

_READ_SIZE = 256 * 1024


def make_ssl_context(config: Any) -> ssl.SSLContext:
    """The context for ``config``'s ``ssl_*`` settings (a ``ProducerConfig`` or anything
    with those attributes): ``ssl_context`` when given, else a TLS 1.2+ client context
    that verifies the broker's certificate against ``ssl_cafile`` (or the system's CAs)
    and, when ``ssl_check_hostname``, its name; ``ssl_certfile``/``ssl_keyfile``/
    ``ssl_password`` for a client certificate, ``ssl_crlfile`` to check the broker's
    certificate against a CRL, ``ssl_ciphers`` to restrict the cipher suites."""
    given = getattr(config, "ssl_context", None)
    if given is not None:
        if not isinstance(given, ssl.SSLContext):
            raise KafkaConfigurationError(f"ssl_context must be an ssl.SSLContext, not {type(given).__name__}")
        return given
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.check_hostname = bool(getattr(config, "ssl_check_hostname", True))
    ctx.verify_mode = ssl.CERT_REQUIRED
    cafile = getattr(config, "ssl_cafile", None)
    certfile = getattr(config, "ssl_certfile", None)
    keyfile = getattr(config, "ssl_keyfile", None)
    crlfile = getattr(config, "ssl_crlfile", None)
    ciphers = getattr(config, "ssl_ciphers", None)
    try:
        if cafile:
            ctx.load_verify_locations(cafile=cafile)
        else:
            ctx.load_default_certs()
    except (OSError, ssl.SSLError) as e:
        raise KafkaConfigurationError(f"ssl_cafile {cafile!r} cannot be loaded: {_reason(e)}") from None
    if certfile:
        try:
            # The password (a secret) goes to OpenSSL only; no message here repeats it.
            ctx.load_cert_chain(certfile=certfile, keyfile=keyfile or None,
                                password=getattr(config, "ssl_password", None))
        except (OSError, ssl.SSLError) as e:
            raise KafkaConfigurationError(
                f"ssl_certfile {certfile!r} / ssl_keyfile {keyfile!r} cannot be loaded: {_reason(e)} "
                "(a wrong ssl_password reads as a bad key)") from None
    elif keyfile:
        raise KafkaConfigurationError("ssl_keyfile is given without ssl_certfile")
    if crlfile:
        try:
            ctx.load_verify_locations(cafile=crlfile)
        except (OSError, ssl.SSLError) as e:
            raise KafkaConfigurationError(f"ssl_crlfile {crlfile!r} cannot be loaded: {_reason(e)}") from None
        ctx.verify_flags |= ssl.VERIFY_CRL_CHECK_LEAF
    if ciphers:
        try:
            ctx.set_ciphers(ciphers)
        except ssl.SSLError as e:
            raise KafkaConfigurationError(f"ssl_ciphers {ciphers!r}: {_reason(e)}") from None
    return ctx


def _reason(e: BaseException) -> str:
    if isinstance(e, ssl.SSLError):
        return getattr(e, "verify_message", None) or getattr(e, "reason", None) or str(e)
    if isinstance(e, OSError) and e.strerror:
        return e.strerror
    return str(e)


class TlsTransport:
    """One connection's TLS session over memory buffers (see the module doc)."""

    __slots__ = ("_in", "_out", "_obj", "host", "port", "done", "closed")

    def __init__(self, context: ssl.SSLContext, host: str, port: int = 0) -> None:
        """``host`` is the broker's name as configured: sent as SNI and, when the context
        checks hostnames, matched against the certificate."""
        self._in = ssl.MemoryBIO()
        self._out = ssl.MemoryBIO()
        self.host = host
        self.port = port
        server_hostname = host.rstrip(".") or None
        self._obj = context.wrap_bio(self._in, self._out, server_side=False,
                                     server_hostname=server_hostname)
        self.done = False
        self.closed = False

    def handshake(self) -> bool:
        """Advance the handshake with what was fed so far; True once it is complete.
        The bytes it produced are in ``outgoing()``."""
        if self.done:
            return True
        try:
            self._obj.do_handshake()
        except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
            return False
        except ssl.SSLError as e:
            raise self._error(e, during_handshake=True) from None
        self.done = True
        return True

    def feed(self, data: bytes | bytearray | memoryview) -> bytes:
        """Take ciphertext read from the socket; return the application bytes it completes
        (none before the handshake is done: call ``handshake`` then)."""
        if data:
            self._in.write(data)
        if not self.done:
            return b""
        chunks: list[bytes] = []
        while True:
            try:
                chunk = self._obj.read(_READ_SIZE)
            except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
                break
            except ssl.SSLZeroReturnError:
                self.closed = True
                break
            except ssl.SSLError as e:
                raise self._error(e, during_handshake=False) from None
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)

    def write(self, app: bytes | bytearray | memoryview) -> None:
        """Encrypt ``app`` (whole: memory buffers never push back); see ``outgoing``."""
        if not self.done:
            raise KafkaConnectionError(f"{self._where()}: application data before the TLS handshake is done")
        view = memoryview(app)
        try:
            while view:
                n = self._obj.write(view)
                view = view[n:]
        except ssl.SSLError as e:
            raise self._error(e, during_handshake=False) from None

    def outgoing(self) -> bytes:
        """Ciphertext to send, in order (empty when there is none)."""
        return self._out.read() if self._out.pending else b""

    @property
    def version(self) -> str | None:
        """The negotiated protocol version ("TLSv1.3"), once the handshake is done."""
        return self._obj.version()

    def _where(self) -> str:
        return f"{self.host}:{self.port}" if self.port else self.host

    def _error(self, e: ssl.SSLError, during_handshake: bool) -> KafkaConnectionError:
        if isinstance(e, ssl.SSLCertVerificationError):
            why = e.verify_message or getattr(e, "reason", None) or "verification failed"
            hint = _HINTS.get(e.verify_code, _DEFAULT_HINT)
            if "hostname" in why.lower() or "ip address mismatch" in why.lower():
                hint = (f"the broker's certificate is not valid for {self.host!r}: connect with a "
                        "name the certificate lists, or, knowing the risk, ssl_check_hostname=False")
            return SslAuthenticationError(
                f"TLS handshake with broker {self._where()} failed: certificate verify failed "
                f"({why}); {hint}")
        reason = getattr(e, "reason", None) or str(e)
        upper = reason.upper()
        # TLS 1.3 finishes the client's handshake before the broker checks our certificate,
        # so its refusal can come as the first record after it.
        if "ALERT" in upper and (during_handshake or "CERTIFICATE" in upper):
            # The broker refused us: most often a client certificate it requires or distrusts.
            return SslAuthenticationError(
                f"TLS handshake with broker {self._where()} failed: the broker sent {reason}; "
                "check ssl_certfile/ssl_keyfile (the broker may require a client certificate "
                "signed by a CA it trusts) and ssl_ciphers")
        what = "TLS handshake" if during_handshake else "TLS"
        return KafkaConnectionError(f"{what} with broker {self._where()} failed: {reason}")


_DEFAULT_HINT = "set ssl_cafile to the CA that signed the broker's certificate"
_HINTS = {
    10: "the broker's certificate has expired",  # X509_V_ERR_CERT_HAS_EXPIRED
    9: "the broker's certificate is not valid yet (check the clocks)",  # X509_V_ERR_CERT_NOT_YET_VALID
    23: "the broker's certificate is revoked (ssl_crlfile)",  # X509_V_ERR_CERT_REVOKED
    3: "ssl_crlfile has no CRL for the CA that signed the broker's certificate",  # UNABLE_TO_GET_CRL
}

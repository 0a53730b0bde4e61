"""io.tls: the ssl_* settings' context, and TlsTransport against a real TLS server.

The server is Python's own ``ssl`` server socket on one end of a socketpair, run in a
thread; the client is a ``TlsTransport`` pumped over the other end, non-blocking, as the
selector loop does. Certificates are made per session with openssl (tests/io/tls_certs.py).
"""
from __future__ import annotations

import socket
import ssl
import threading
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from purekafka.errors import KafkaConfigurationError, KafkaConnectionError, SslAuthenticationError
from purekafka.io.tls import TlsTransport, make_ssl_context
from tests.io.tls_certs import KEY_PASSWORD, Pki


def settings_for(**kw: Any) -> SimpleNamespace:
    base: dict[str, Any] = dict(ssl_context=None, ssl_check_hostname=True, ssl_cafile=None,
                                ssl_certfile=None, ssl_keyfile=None, ssl_password=None,
                                ssl_crlfile=None, ssl_ciphers=None)
    base.update(kw)
    return SimpleNamespace(**base)


def server_context(pki: Pki, require_client_cert: bool = False) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(pki.server_cert, pki.server_key)
    if require_client_cert:
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(pki.ca)
    return ctx


class EchoServer:
    """A TLS server on one end of a socketpair: echoes what it reads until EOF."""

    def __init__(self, ctx: ssl.SSLContext) -> None:
        self.client_sock, server_sock = socket.socketpair()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, args=(ctx, server_sock), daemon=True)
        self.thread.start()

    def _run(self, ctx: ssl.SSLContext, sock: socket.socket) -> None:
        try:
            with ctx.wrap_socket(sock, server_side=True) as tls:
                while data := tls.recv(65536):
                    tls.sendall(data)
        except (ssl.SSLError, OSError) as e:
            self.error = e
        finally:
            sock.close()


def pump(tls: TlsTransport, sock: socket.socket, *, until: Any, timeout_s: float = 10.0,
         recv_size: int = 65536) -> bytes:
    """Move bytes between ``tls`` and ``sock`` (non-blocking) until ``until(received)``."""
    sock.setblocking(False)
    got = bytearray()
    pending = b""
    deadline = time.monotonic() + timeout_s
    while not until(got):
        assert time.monotonic() < deadline, "pump timed out"
        tls.handshake()
        pending += tls.outgoing()
        if pending:
            try:
                sent = sock.send(pending[:recv_size])
                pending = pending[sent:]
            except BlockingIOError:
                pass
        try:
            data = sock.recv(recv_size)
        except BlockingIOError:
            time.sleep(0.001)
            continue
        if not data:
            raise KafkaConnectionError("closed")
        got += tls.feed(data)
    return bytes(got)


def connect(pki: Pki, host: str = "127.0.0.1", server: ssl.SSLContext | None = None,
            **kw: Any) -> tuple[TlsTransport, EchoServer]:
    srv = EchoServer(server or server_context(pki))
    tls = TlsTransport(make_ssl_context(settings_for(ssl_cafile=str(pki.ca), **kw)), host, 9093)
    pump(tls, srv.client_sock, until=lambda _: tls.handshake())
    return tls, srv


@pytest.fixture
def echo(pki: Pki) -> Iterator[tuple[TlsTransport, EchoServer]]:
    tls, srv = connect(pki)
    yield tls, srv
    srv.client_sock.close()


def test_context_defaults_verify_the_broker_and_its_name() -> None:
    ctx = make_ssl_context(settings_for())
    assert ctx.check_hostname is True
    assert ctx.verify_mode == ssl.CERT_REQUIRED
    assert ctx.minimum_version >= ssl.TLSVersion.TLSv1_2
    assert make_ssl_context(settings_for(ssl_check_hostname=False)).check_hostname is False


def test_a_given_context_is_used_as_it_is() -> None:
    mine = ssl.create_default_context()
    assert make_ssl_context(settings_for(ssl_context=mine, ssl_cafile="/nonexistent")) is mine
    with pytest.raises(KafkaConfigurationError, match="ssl_context must be an ssl.SSLContext"):
        make_ssl_context(settings_for(ssl_context="not a context"))


def test_crlfile_turns_on_leaf_crl_checks(pki: Pki, tmp_path: Path) -> None:
    import subprocess

    d = pki.ca.parent
    (d / "index.txt").write_text("")
    (d / "crl.cnf").write_text(
        "[ca]\ndefault_ca=c\n[c]\ndatabase=index.txt\ndefault_md=sha256\ndefault_crl_days=2\n")
    subprocess.run(["openssl", "ca", "-config", "crl.cnf", "-gencrl", "-keyfile", "ca.key", "-cert",
                    "ca.pem", "-out", "crl.pem"], cwd=d, check=True, capture_output=True)
    ctx = make_ssl_context(settings_for(ssl_cafile=str(pki.ca), ssl_crlfile=str(d / "crl.pem")))
    assert ctx.verify_flags & ssl.VERIFY_CRL_CHECK_LEAF
    # And the CRL is in use: the (unrevoked) server passes with it.
    srv = EchoServer(server_context(pki))
    tls = TlsTransport(ctx, "127.0.0.1")
    pump(tls, srv.client_sock, until=lambda _: tls.handshake())
    srv.client_sock.close()


def test_unloadable_files_are_configuration_errors(pki: Pki, tmp_path: Path) -> None:
    with pytest.raises(KafkaConfigurationError, match="ssl_cafile '/nonexistent/ca.pem'"):
        make_ssl_context(settings_for(ssl_cafile="/nonexistent/ca.pem"))
    with pytest.raises(KafkaConfigurationError, match="ssl_ciphers"):
        make_ssl_context(settings_for(ssl_ciphers="NO-SUCH-CIPHER"))
    with pytest.raises(KafkaConfigurationError) as info:
        make_ssl_context(settings_for(ssl_certfile=str(pki.client_cert),
                                      ssl_keyfile=str(pki.client_key_encrypted),
                                      ssl_password="wrong-" + KEY_PASSWORD))
    assert KEY_PASSWORD not in str(info.value) and "ssl_password" in str(info.value)


def test_round_trip_small_and_one_megabyte(echo: tuple[TlsTransport, EchoServer]) -> None:
    tls, srv = echo
    assert tls.version in ("TLSv1.2", "TLSv1.3")
    tls.write(b"hello")
    assert pump(tls, srv.client_sock, until=lambda got: len(got) >= 5) == b"hello"
    big = bytes(range(256)) * 4096  # 1 MiB, written whole, read back in pieces
    tls.write(big)
    assert pump(tls, srv.client_sock, until=lambda got: len(got) >= len(big), recv_size=1000) == big


def test_write_before_the_handshake_is_refused(pki: Pki) -> None:
    tls = TlsTransport(make_ssl_context(settings_for(ssl_cafile=str(pki.ca))), "127.0.0.1")
    assert tls.handshake() is False and tls.outgoing()  # a ClientHello, nothing back yet
    with pytest.raises(KafkaConnectionError, match="before the TLS handshake"):
        tls.write(b"x")


def test_an_untrusted_ca_names_the_host_and_the_fix(pki: Pki) -> None:
    srv = EchoServer(server_context(pki))
    tls = TlsTransport(make_ssl_context(settings_for(ssl_cafile=str(pki.other_ca))), "127.0.0.1", 9093)
    with pytest.raises(SslAuthenticationError) as info:
        pump(tls, srv.client_sock, until=lambda _: tls.handshake())
    msg = str(info.value)
    assert "127.0.0.1:9093" in msg and "certificate verify failed" in msg and "ssl_cafile" in msg
    assert not info.value.retriable
    srv.client_sock.close()


def test_a_hostname_mismatch_names_the_host_and_the_fix(pki: Pki) -> None:
    srv = EchoServer(server_context(pki))
    tls = TlsTransport(make_ssl_context(settings_for(ssl_cafile=str(pki.ca))), "broker.example", 9093)
    with pytest.raises(SslAuthenticationError) as info:
        pump(tls, srv.client_sock, until=lambda _: tls.handshake())
    msg = str(info.value)
    assert "broker.example" in msg and "ssl_check_hostname=False" in msg
    srv.client_sock.close()


def test_hostname_checks_can_be_turned_off(pki: Pki) -> None:
    tls, srv = connect(pki, host="broker.example", ssl_check_hostname=False)
    tls.write(b"ok")
    assert pump(tls, srv.client_sock, until=lambda got: len(got) >= 2) == b"ok"
    srv.client_sock.close()


def test_mutual_tls_with_an_encrypted_key(pki: Pki) -> None:
    tls, srv = connect(pki, server=server_context(pki, require_client_cert=True),
                       ssl_certfile=str(pki.client_cert), ssl_keyfile=str(pki.client_key_encrypted),
                       ssl_password=KEY_PASSWORD)
    tls.write(b"mtls")
    assert pump(tls, srv.client_sock, until=lambda got: len(got) >= 4) == b"mtls"
    srv.client_sock.close()


def test_no_client_certificate_when_one_is_required(pki: Pki) -> None:
    srv = EchoServer(server_context(pki, require_client_cert=True))
    tls = TlsTransport(make_ssl_context(settings_for(ssl_cafile=str(pki.ca))), "127.0.0.1", 9093)
    with pytest.raises(SslAuthenticationError, match="client certificate"):
        # TLS 1.3: the refusal may only show once data flows after the client's handshake.
        pump(tls, srv.client_sock, until=lambda _: tls.handshake())
        tls.write(b"x")
        pump(tls, srv.client_sock, until=lambda got: bool(got))
    srv.client_sock.close()


@settings(max_examples=20, deadline=None)
@given(st.lists(st.binary(min_size=1, max_size=5000), min_size=1, max_size=8),
       st.integers(min_value=1, max_value=2000))
def test_any_split_of_the_ciphertext_delivers_the_bytes_in_order(
        messages: list[bytes], chunk: int) -> None:
    """Server and client both over memory buffers, ciphertext handed across in ``chunk``-byte
    pieces: every byte written comes out once, in order."""
    pki = _PKI[0]
    server = server_context(pki).wrap_bio(s_in := ssl.MemoryBIO(), s_out := ssl.MemoryBIO(), server_side=True)
    tls = TlsTransport(make_ssl_context(settings_for(ssl_cafile=str(pki.ca))), "localhost")
    got = bytearray()
    want = b"".join(messages)
    queued = list(messages)
    server_done = False
    for _ in range(100_000):
        if tls.handshake() and queued:
            tls.write(queued.pop(0))
        data = tls.outgoing()
        for i in range(0, len(data), chunk):
            s_in.write(data[i:i + chunk])
        if not server_done:
            try:
                server.do_handshake()
                server_done = True
            except ssl.SSLWantReadError:
                pass
        if server_done:
            try:
                while echoed := server.read(65536):
                    server.write(echoed)
            except ssl.SSLWantReadError:
                pass
        back = s_out.read()
        for i in range(0, len(back), chunk):
            got += tls.feed(back[i:i + chunk])
        if len(got) >= len(want) and not queued:
            break
    assert bytes(got) == want


_PKI: list[Pki] = []


@pytest.fixture(autouse=True)
def _pki_for_hypothesis(pki: Pki) -> None:
    if not _PKI:
        _PKI.append(pki)

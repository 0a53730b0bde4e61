"""SCRAM client: the RFC test vectors, a Hypothesis round trip against an RFC-written
server (tests/core/sasl/scram_server.py), and every server-first/server-final check."""
from __future__ import annotations

import base64

import pytest
from hypothesis import given, settings, strategies as st

from purekafka import errors
from purekafka.core.sasl.scram import ScramMechanism, saslname
from tests.core.sasl.scram_server import ScramCredential, ScramServer, unescape

NOW = 0.0


def test_rfc5802_sha1_vector() -> None:
    m = ScramMechanism("SCRAM-SHA-1", "user", "pencil", client_nonce="fyko+d2lbbFgONRv9qkxdawL")
    assert m.start(NOW) == b"n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL"
    final = m.step(b"r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096", NOW)
    assert final == (b"c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,"
                     b"p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=")
    assert not m.complete
    assert m.step(b"v=rmF9pqV8S7suAoZWja4dJRkFsKQ=", NOW) is None
    assert m.complete


def test_rfc7677_sha256_vector() -> None:
    m = ScramMechanism("SCRAM-SHA-256", "user", "pencil", client_nonce="rOprNGfwEbeRWgbNEkqO")
    assert m.start(NOW) == b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO"
    final = m.step(b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
                   b"s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096", NOW)
    assert final == (b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
                     b"p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=")
    assert m.step(b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=", NOW) is None
    assert m.complete


def test_nonce_comes_from_the_injected_random_source() -> None:
    calls: list[int] = []

    def rand(n: int) -> bytes:
        calls.append(n)
        return bytes(range(n))

    m = ScramMechanism("SCRAM-SHA-512", "u", "p", random_bytes=rand)
    first = m.start(NOW).decode()
    assert calls == [24]
    assert first == "n,,n=u,r=" + base64.b64encode(bytes(range(24))).decode()


@pytest.mark.parametrize("name,escaped", [("a,b", "a=2Cb"), ("a=b", "a=3Db"), ("=,", "=3D=2C"),
                                          ("plain", "plain")])
def test_saslname_escaping(name: str, escaped: str) -> None:
    assert saslname(name) == escaped
    assert unescape(escaped) == name


_names = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
                 min_size=1, max_size=20)


@settings(max_examples=60, deadline=None)
@given(mech=st.sampled_from(["SCRAM-SHA-256", "SCRAM-SHA-512"]), user=_names, password=_names,
       salt=st.binary(min_size=1, max_size=32), nonce_bytes=st.binary(min_size=24, max_size=24),
       server_nonce=st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E,
                                          blacklist_characters=","), min_size=1, max_size=20),
       iterations=st.sampled_from([4096, 4097, 16384]))
def test_round_trip_against_an_rfc_server(mech: str, user: str, password: str, salt: bytes,
                                          nonce_bytes: bytes, server_nonce: str,
                                          iterations: int) -> None:
    hash_name = {"SCRAM-SHA-256": "sha256", "SCRAM-SHA-512": "sha512"}[mech]
    server = ScramServer({user: ScramCredential.make(hash_name, password, salt, iterations)},
                         server_nonce)
    client = ScramMechanism(mech, user, password, random_bytes=lambda n: nonce_bytes[:n])
    server_first = server.first(client.start(NOW))
    assert server.user == user
    final = client.step(server_first, NOW)
    assert final is not None
    server_final = server.final(final)
    assert server_final.startswith(b"v="), server_final
    assert client.step(server_final, NOW) is None and client.complete


@settings(max_examples=30, deadline=None)
@given(password=_names, wrong=_names)
def test_wrong_password_is_refused_by_the_server_and_reported(password: str, wrong: str) -> None:
    if password == wrong:
        return
    server = ScramServer({"u": ScramCredential.make("sha256", password, b"salt", 4096)}, "srv")
    client = ScramMechanism("SCRAM-SHA-256", "u", wrong)
    final = client.step(server.first(client.start(NOW)), NOW)
    assert final is not None
    reply = server.final(final)
    assert reply == b"e=invalid-proof"
    with pytest.raises(errors.SaslAuthenticationFailedError, match="invalid-proof") as info:
        client.step(reply, NOW)
    assert str(info.value).endswith(
        "SASL SCRAM-SHA-256: the broker refused the credentials: invalid-proof")


def _started(nonce: str = "abc") -> ScramMechanism:
    m = ScramMechanism("SCRAM-SHA-256", "u", "p", client_nonce=nonce)
    m.start(NOW)
    return m


@pytest.mark.parametrize("server_first,match", [
    (b"r=xyzdef,s=c2FsdA==,i=4096", "does not extend the client nonce"),
    (b"r=abc,s=c2FsdA==,i=4096", "does not extend the client nonce"),
    (b"r=abcdef,s=c2FsdA==,i=4095", "below the minimum 4096"),
    (b"r=abcdef,s=c2FsdA==,i=lots", "is not a number"),
    (b"r=abcdef,s=c2FsdA==,i=16385", "above the maximum 16384"),
    (b"r=abcdef,s=c2FsdA==,i=99999999999999999999", "too large"),
    (b"r=abcdef,s=!!!,i=4096", "salt is not base64"),
    (b"r=abcdef,i=4096", "lacks"),
    (b"m=ext,r=abcdef,s=c2FsdA==,i=4096", "mandatory extension"),
    (b"e=other-error", "other-error"),
    (b"garbage", "malformed"),
    (b"\xff\xfe", "not UTF-8"),
])
def test_bad_server_first_is_refused(server_first: bytes, match: str) -> None:
    m = _started()
    with pytest.raises(errors.SaslAuthenticationFailedError, match=match):
        m.step(server_first, NOW)
    assert not m.complete


def test_bad_server_signature_is_refused() -> None:
    m = _started()
    assert m.step(b"r=abcdef,s=c2FsdA==,i=4096", NOW) is not None
    with pytest.raises(errors.SaslAuthenticationFailedError, match="server signature does not match"):
        m.step(b"v=" + base64.b64encode(b"x" * 32), NOW)
    assert not m.complete


@pytest.mark.parametrize("final,match", [(b"x=1", "neither v= nor e="), (b"v=@@", "not base64"),
                                         (b"e=invalid-proof", "invalid-proof")])
def test_bad_server_final_is_refused(final: bytes, match: str) -> None:
    m = _started()
    m.step(b"r=abcdef,s=c2FsdA==,i=4096", NOW)
    with pytest.raises(errors.SaslAuthenticationFailedError, match=match):
        m.step(final, NOW)


def test_messages_after_completion_and_double_start_are_refused() -> None:
    m = ScramMechanism("SCRAM-SHA-1", "user", "pencil", client_nonce="fyko+d2lbbFgONRv9qkxdawL")
    m.start(NOW)
    with pytest.raises(errors.SaslAuthenticationFailedError):
        m.start(NOW)
    m.step(b"r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096", NOW)
    m.step(b"v=rmF9pqV8S7suAoZWja4dJRkFsKQ=", NOW)
    with pytest.raises(errors.SaslAuthenticationFailedError, match="unexpected"):
        m.step(b"v=rmF9pqV8S7suAoZWja4dJRkFsKQ=", NOW)


def test_bad_constructor_arguments() -> None:
    with pytest.raises(ValueError):
        ScramMechanism("SCRAM-MD5", "u", "p")
    with pytest.raises(ValueError):
        ScramMechanism("SCRAM-SHA-256", "u", "p", client_nonce="a,b")


@pytest.mark.parametrize("auth_version", [0, 1, 2])
def test_scram_through_the_authenticator(auth_version: int) -> None:
    from purekafka.core.sasl import SaslAuthenticator
    from purekafka.protocol import sasl_authenticate, sasl_handshake
    from purekafka.protocol.sasl_authenticate import SaslAuthenticateResponse
    from purekafka.protocol.sasl_handshake import SaslHandshakeResponse

    server = ScramServer({"alice": ScramCredential.make("sha512", "alice-secret", b"NaCl", 4096)},
                         "srvnonce")
    a = SaslAuthenticator(ScramMechanism("SCRAM-SHA-512", "alice", "alice-secret"),
                          handshake_version=1, authenticate_version=auth_version)
    _, _, body = a.first_request(NOW)
    assert sasl_handshake.decode_request(body, 1).mechanism == "SCRAM-SHA-512"
    request = a.on_response(17, sasl_handshake.encode_response(
        SaslHandshakeResponse(0, ["SCRAM-SHA-512"]), 1), NOW)
    replies = [server.first, server.final]
    while request is not None:
        token = sasl_authenticate.decode_request(request[2], auth_version).auth_bytes
        reply = replies.pop(0)(token)
        request = a.on_response(36, sasl_authenticate.encode_response(
            SaslAuthenticateResponse(0, None, reply, 5000), auth_version), NOW)
    assert a.done and not replies
    assert a.session_lifetime_ms == (5000 if auth_version else 0)

"""tools/kafka_local_security.py without a broker: the certificates, the JWKS, the settings it writes.

The certificates are checked by Python's ssl module and ``cryptography`` (an independent X.509
reader), the JWKS against the private key it publishes, the tokens against that JWKS.
"""
from __future__ import annotations

import base64
import ipaddress
import json
import ssl
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from tests.support import oauth_tokens
from tests.support.kafka import kafka_local

sec: Any = kafka_local.sec


@pytest.fixture(scope="module")
def material(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("tls")
    sec.make_tls_files(d)
    sec.make_jwks(d)
    return d


def _cert(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificates(path.read_bytes())[0]


def test_broker_certificate_names_loopback_only(material: Path) -> None:
    # broker.pem is Kafka's PEM keystore: the key, then the chain (leaf, CA).
    text = (material / "broker.pem").read_text()
    assert text.index("PRIVATE KEY") < text.index("CERTIFICATE")
    chain = x509.load_pem_x509_certificates(text.encode())
    assert len(chain) == 2 and chain[1] == _cert(material / "ca.pem")
    san = chain[0].extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address("127.0.0.1")]
    assert san.get_values_for_type(x509.DNSName) == ["localhost"]
    assert (material / "broker.pem").stat().st_mode & 0o077 == 0


def test_python_ssl_trusts_the_chain_strictly(material: Path) -> None:
    # Python 3.13's default context adds VERIFY_X509_STRICT; ask for it on every version.
    ctx = ssl.create_default_context(cafile=str(material / "ca.pem"))
    ctx.verify_flags |= getattr(ssl, "VERIFY_X509_STRICT", 0)
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(str(material / "broker.pem"))
    for name, ok in (("127.0.0.1", True), ("localhost", True), ("127.0.0.2", False), ("example.com", False)):
        c_in, c_out, s_in, s_out = ssl.MemoryBIO(), ssl.MemoryBIO(), ssl.MemoryBIO(), ssl.MemoryBIO()
        client = ctx.wrap_bio(c_in, c_out, server_hostname=name)
        srv = server.wrap_bio(s_in, s_out, server_side=True)
        error: Exception | None = None
        for _ in range(10):
            for end, inbox, outbox, peer_in in ((client, c_in, c_out, s_in), (srv, s_in, s_out, c_in)):
                try:
                    end.do_handshake()
                except ssl.SSLWantReadError:
                    pass
                except ssl.SSLError as e:
                    error = error or e
                peer_in.write(outbox.read())
        assert (error is None) == ok, (name, error)
        if ok:
            assert client.version() is not None and client.getpeercert()["subject"] == ((("commonName", "localhost"),),)


def test_client_certificate_and_encrypted_key(material: Path) -> None:
    client = _cert(material / "client.pem")
    assert client.subject.rfc4514_string() == f"CN={sec.USER}"
    eku = client.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert x509.oid.ExtendedKeyUsageOID.CLIENT_AUTH in eku
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_cert_chain(str(material / "client.pem"), str(material / "client.enc.key"), sec.CLIENT_KEY_PASSWORD)
    with pytest.raises(ssl.SSLError):
        ctx.load_cert_chain(str(material / "client.pem"), str(material / "client.enc.key"), "wrong")


def _b64int(s: str) -> int:
    return int.from_bytes(base64.urlsafe_b64decode(s + "=" * (-len(s) % 4)), "big")


def test_jwks_publishes_the_signing_key(material: Path) -> None:
    (jwk,) = json.loads((material / "jwks" / "jwks.json").read_text())["keys"]
    assert (jwk["kty"], jwk["alg"], jwk["kid"]) == ("RSA", "RS256", sec.JWKS_KID)
    key = oauth_tokens.load_key(material / "oauth.key")
    public = rsa.RSAPublicNumbers(_b64int(jwk["e"]), _b64int(jwk["n"])).public_key()
    assert public.public_numbers() == key.public_key().public_numbers()
    token = oauth_tokens.signed_token(key, lifetime_s=15, now=1_000_000)
    head, body, sig = token.split(".")
    public.verify(base64.urlsafe_b64decode(sig + "=" * (-len(sig) % 4)), f"{head}.{body}".encode(),
                  padding.PKCS1v15(), hashes.SHA256())
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    assert claims == {"sub": sec.USER, "iat": 1_000_000, "exp": 1_000_015, "scope": "kafka",
                      "aud": sec.JWT_AUDIENCE, "iss": sec.JWT_ISSUER}


def test_listeners_from_the_command_line() -> None:
    (only,) = sec.listeners_from_args("SSL", "", True, False)
    assert (only.name, only.protocol, only.client_auth, only.mechanisms) == ("SSL", "SSL", True, [])
    (sasl,) = sec.listeners_from_args("SASL_PLAINTEXT", "plain,SCRAM-SHA-512", False, False)
    assert sasl.mechanisms == ["PLAIN", "SCRAM-SHA-512"]
    every = sec.listeners_from_args("SASL_SSL", "", False, True)
    assert every[0].name == "SASL_SSL" and len({lst.name for lst in every}) == len(every)
    assert {lst.host for lst in every} == {"127.0.0.1", "127.0.0.2"}  # loopback only
    for args, said in [(("SSL", "PLAIN", False, False), "needs --security SASL_PLAINTEXT or SASL_SSL"),
                       (("SASL_PLAINTEXT", "", True, False), "needs a TLS listener"),
                       ((None, "PLAIN", False, False), "need --security"),
                       (("SASL_SSL", "KERBEROS", False, False), "unknown SASL mechanism")]:
        with pytest.raises(sec.SecurityError, match=said):
            sec.listeners_from_args(*args)


def test_settings_for_mutual_tls_and_scram(material: Path) -> None:
    mtls = sec.describe(sec.primary_listener("SSL", [], True), [9093])
    got = sec.client_settings(material, mtls, "127.0.0.1:9093")
    assert got == {"bootstrap_servers": "127.0.0.1:9093", "security_protocol": "SSL",
                   "ssl_cafile": str(material / "ca.pem"), "ssl_certfile": str(material / "client.pem"),
                   "ssl_keyfile": str(material / "client.key")}
    props = sec.broker_properties(material, [sec.primary_listener("SSL", [], True)], None, None)
    assert props["listener.name.ssl.ssl.client.auth"] == "required"
    assert sec.scram_format_args(sec.test_listeners()) == [
        "--add-scram", f"SCRAM-SHA-256=[name={sec.USER},password={sec.PASSWORD}]",
        "--add-scram", f"SCRAM-SHA-512=[name={sec.USER},password={sec.PASSWORD}]"]
    rdk = sec.confluent_settings(material, sec.describe(sec.test_listeners()[3], [1]), "b:1", "SCRAM-SHA-512")
    assert (rdk["sasl.mechanisms"], rdk["sasl.username"], rdk["security.protocol"]) == (
        "SCRAM-SHA-512", sec.USER, "SASL_SSL")

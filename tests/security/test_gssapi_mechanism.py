"""GssapiMechanism against a real MIT KDC and MIT's acceptor (no broker; see test_gssapi_broker).

The server side here is ``tests.support.kerberos.Rfc4752Server``: MIT's GSS acceptor with the
RFC 4752 security-layer exchange as Java's GssKrb5Server runs it. The broker test runs the
mechanism against Java's own server.
"""
from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from purekafka.config import ProducerConfig
from purekafka.core.sasl import make_mechanism
from purekafka.core.sasl.gssapi import GssapiMechanism, import_gssapi, target_name
from purekafka.errors import KafkaConfigurationError, SaslAuthenticationFailedError
from tests.support.kerberos import BROKER, CLIENT, Rfc4752Server, client_env, gssapi_or_skip, kdc_local, start_kdc

gssapi = gssapi_or_skip()


@pytest.fixture(scope="module")
def kdc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    info = start_kdc(tmp_path_factory.mktemp("kdc"), [BROKER, "kafka/localhost", CLIENT, "stale"])
    try:
        yield info
    finally:
        info.stop()


@pytest.fixture(scope="module")
def alice(kdc: Any) -> Iterator[Any]:
    with client_env(kdc):
        yield kdc


def _config(**kw: Any) -> ProducerConfig:
    return ProducerConfig.from_kwargs(security_protocol="SASL_PLAINTEXT", sasl_mechanism="GSSAPI", **kw)


def _server(kdc: Any, offer: bytes = b"\x07\x00\xff\xff") -> Rfc4752Server:
    return Rfc4752Server(gssapi, kdc.keytabs[BROKER], offer)


def _run(mech: GssapiMechanism, server: Rfc4752Server) -> list[bytes]:
    """The exchange as the authenticator drives it; the client tokens sent, in order."""
    sent = [mech.start(0.0)]
    while True:
        reply = server.respond(sent[-1])
        nxt = mech.step(b"" if reply is None else reply, 0.0)
        if nxt is None:
            return sent
        sent.append(nxt)


def test_full_exchange_picks_no_security_layer_and_sends_the_client_principal(alice: Any) -> None:
    mech = GssapiMechanism(_config(), "127.0.0.1")
    assert mech.target == "kafka@127.0.0.1"
    server = _server(alice)
    sent = _run(mech, server)
    assert mech.complete
    principal = f"{CLIENT}@{alice.realm}"
    assert server.peer == principal
    # RFC 4752 3.1: mask "no layer", size 0 (no layer), then the authorization id.
    assert server.choice == b"\x01\x00\x00\x00" + principal.encode()
    assert mech.authorization_id == principal
    # AP-REQ, the empty answer to the AP-REP (mutual authentication), the wrapped choice.
    assert len(sent) == 3 and sent[1] == b""


def test_make_mechanism_builds_it(alice: Any) -> None:
    mech = make_mechanism(_config(sasl_kerberos_domain_name="127.0.0.1"), "broker.example")
    assert isinstance(mech, GssapiMechanism) and mech.name == "GSSAPI"
    assert mech.target == "kafka@127.0.0.1"
    _run(mech, _server(alice))
    assert mech.complete


@given(mask=st.integers(0, 255), size=st.integers(0, 2**24 - 1))
@settings(max_examples=25)
def test_any_offer_with_no_layer_is_answered_alike_and_others_refused(alice: Any, mask: int, size: int) -> None:
    mech = GssapiMechanism(_config(), "127.0.0.1")
    server = _server(alice, bytes([mask]) + size.to_bytes(3, "big"))
    if mask & 1:
        _run(mech, server)
        assert server.choice == b"\x01\x00\x00\x00" + f"{CLIENT}@{alice.realm}".encode()
    else:
        with pytest.raises(SaslAuthenticationFailedError, match=f"only security layers .mask {mask:#04x}"):
            _run(mech, server)
        assert not mech.complete


@pytest.mark.parametrize("offer", [b"", b"\x01", b"\x01\x00\x00", b"\x01\x00\x00\x00\x00"])
def test_an_offer_not_four_bytes_long_is_refused(alice: Any, offer: bytes) -> None:
    mech = GssapiMechanism(_config(), "127.0.0.1")
    with pytest.raises(SaslAuthenticationFailedError, match=f"offer is {len(offer)} bytes, not 4"):
        _run(mech, _server(alice, offer))


def test_bytes_after_the_layer_exchange_are_refused(alice: Any) -> None:
    mech = GssapiMechanism(_config(), "127.0.0.1")
    server = _server(alice)
    token: bytes | None = mech.start(0.0)
    while (reply := server.respond(token or b"")) is not None:
        token = mech.step(reply, 0.0)
    assert server.stage == "done"
    with pytest.raises(SaslAuthenticationFailedError, match="3 bytes after the security-layer exchange"):
        mech.step(b"abc", 0.0)
    assert not mech.complete


@given(junk=st.binary(min_size=1, max_size=64))
@settings(max_examples=25)
def test_a_garbled_server_token_fails_clearly(alice: Any, junk: bytes) -> None:
    # Never a GSSError, a struct.error or an IndexError out of the mechanism.
    mech = GssapiMechanism(_config(), "127.0.0.1")
    mech.start(0.0)
    with pytest.raises(SaslAuthenticationFailedError, match="Kerberos token was refused"):
        mech.step(junk, 0.0)
    # A garbled offer after an established context:
    ap_rep_mech = GssapiMechanism(_config(), "127.0.0.1")
    srv = _server(alice)
    assert ap_rep_mech.step(srv.respond(ap_rep_mech.start(0.0)) or b"", 0.0) == b""
    with pytest.raises(SaslAuthenticationFailedError, match="cannot unwrap the broker's security-layer offer"):
        ap_rep_mech.step(junk, 0.0)


def test_an_unknown_service_principal_fails_fast_naming_it(alice: Any) -> None:
    mech = GssapiMechanism(_config(sasl_kerberos_service_name="nosuch"), "127.0.0.1")
    t0 = time.monotonic()
    with pytest.raises(SaslAuthenticationFailedError) as info:
        mech.start(0.0)
    assert time.monotonic() - t0 < 5
    text = str(info.value)
    assert "nosuch@127.0.0.1" in text and "not found in Kerberos database" in text
    assert "sasl_kerberos_service_name" in text  # says what to check


def test_no_credentials_fail_fast_with_the_hint(kdc: Any, tmp_path: Path) -> None:
    with client_env(kdc, KRB5_CLIENT_KTNAME=f"FILE:{tmp_path / 'none.keytab'}",
                    KRB5CCNAME=f"FILE:{tmp_path / 'empty-ccache'}"):
        mech = GssapiMechanism(_config(), "127.0.0.1")
        t0 = time.monotonic()
        with pytest.raises(SaslAuthenticationFailedError, match="kinit") as info:
            mech.start(0.0)
        assert time.monotonic() - t0 < 5
    assert "kafka@127.0.0.1" in str(info.value)


def test_a_stale_keytab_fails_fast(kdc: Any, tmp_path: Path) -> None:
    kdc.rekey("stale")  # the database's key moves on; the keytab keeps the old one
    with client_env(kdc, "stale", ccache=tmp_path / "cc"):
        mech = GssapiMechanism(_config(), "127.0.0.1")
        t0 = time.monotonic()
        with pytest.raises(SaslAuthenticationFailedError, match="cannot start a Kerberos context") as info:
            mech.start(0.0)
        assert time.monotonic() - t0 < 5
    assert "Decrypt integrity check failed" in str(info.value)  # libkrb5's reason, passed on


def test_target_names() -> None:
    assert target_name(_config(), "b1") == "kafka@b1"
    assert target_name(_config(sasl_kerberos_service_name="k2"), "b1") == "k2@b1"
    assert target_name(_config(sasl_kerberos_domain_name="kdc.example"), "b1") == "kafka@kdc.example"
    assert target_name(_config(sasl_kerberos_name="svc@host"), "b1") == "svc@host"
    mech = GssapiMechanism(_config(sasl_kerberos_name="kafka/127.0.0.1@PUREKAFKA.TEST"), "b1")
    assert mech.target == "kafka/127.0.0.1@PUREKAFKA.TEST"
    name = gssapi.Name("kafka@127.0.0.1", name_type=gssapi.NameType.hostbased_service)
    assert GssapiMechanism(_config(sasl_kerberos_name=name), "b1").target == "kafka@127.0.0.1"
    with pytest.raises(KafkaConfigurationError, match="str or a gssapi.Name"):
        GssapiMechanism(_config(sasl_kerberos_name=42), "b1")


def test_a_principal_name_as_sasl_kerberos_name_authenticates(alice: Any) -> None:
    mech = GssapiMechanism(_config(sasl_kerberos_name=f"{BROKER}@{alice.realm}"), "ignored.example")
    _run(mech, _server(alice))
    assert mech.complete


def test_start_twice_and_step_before_start_are_refused(alice: Any) -> None:
    mech = GssapiMechanism(_config(), "127.0.0.1")
    with pytest.raises(SaslAuthenticationFailedError, match="before start"):
        mech.step(b"x", 0.0)
    mech = GssapiMechanism(_config(), "127.0.0.1")
    mech.start(0.0)
    with pytest.raises(SaslAuthenticationFailedError, match="twice"):
        mech.start(0.0)


def test_missing_gssapi_package_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "gssapi", None)  # import gssapi raises ImportError
    with pytest.raises(KafkaConfigurationError, match=r"pip install purekafka\[gssapi\]"):
        import_gssapi()
    with pytest.raises(KafkaConfigurationError, match=r"pip install purekafka\[gssapi\]"):
        make_mechanism(_config(), "127.0.0.1")


def test_repr_names_the_target_only(alice: Any) -> None:
    mech = GssapiMechanism(_config(), "127.0.0.1")
    mech.start(0.0)
    assert repr(mech) == "GssapiMechanism(target='kafka@127.0.0.1', state=CONTEXT)"


# -- kdc_local itself -----------------------------------------------------------------------
def test_kdc_unavailable_names_the_packages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(kdc_local, "_SEARCH_PATH", str(tmp_path))
    with pytest.raises(kdc_local.KdcUnavailable) as info:
        kdc_local.start(tmp_path / "kdc", ["alice"])
    assert "krb5kdc" in info.value.reason and "krb5-kdc" in info.value.reason


def test_broker_properties_and_jvm_options(kdc: Any) -> None:
    props = kdc_local.broker_properties(kdc, "SASL_PLAINTEXT")
    assert props["sasl.kerberos.service.name"] == "kafka"
    jaas = props["listener.name.sasl_plaintext.gssapi.sasl.jaas.config"]
    assert jaas.startswith("com.sun.security.auth.module.Krb5LoginModule required useKeyTab=true")
    assert f'principal="{BROKER}@{kdc.realm}"' in jaas and str(kdc.keytabs[BROKER]) in jaas
    assert kdc_local.jvm_options(kdc) == [f"-Djava.security.krb5.conf={kdc.krb5_conf}"]
    assert 0 < kdc.port < 65536 and kdc.alive()


def test_kinit_from_a_keytab(kdc: Any, tmp_path: Path) -> None:
    kdc.kinit(CLIENT, tmp_path / "cc")
    assert (tmp_path / "cc").stat().st_size > 0

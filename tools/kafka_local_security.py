"""Secure listeners for tools/kafka_local.py: certificates, SASL users, OAUTHBEARER's JWKS, listener props.

Standard library plus the ``openssl`` command only, like kafka_local itself: the harness must
not depend on the client under test or on the test extra.

Everything secret made here is throwaway, made at start in the cluster's directory:

- ``ca.pem``/``ca.key``: the CA. ``broker.pem`` (key and chain, Kafka's PEM keystore) is valid
  for ``127.0.0.1`` and ``localhost`` only, so a listener reached as 127.0.0.2 fails the
  hostname check.
- ``client.pem``/``client.key`` (CN=alice), and ``client.enc.key``: the same key encrypted
  with ``CLIENT_KEY_PASSWORD``, for ``ssl_password``.
- ``oauth.key``: the RSA key whose public half ``jwks/jwks.json`` publishes (kid ``JWKS_KID``);
  tokens signed with it pass Kafka's OAuthBearerValidatorCallbackHandler.
- users ``alice``/``alice-secret``: PLAIN through JAAS, SCRAM-SHA-256/512 added at format time.
"""
from __future__ import annotations

import base64
import json
import shutil
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

USER = "alice"
PASSWORD = "alice-secret"
CLIENT_KEY_PASSWORD = "client-key-secret"
JWKS_KID = "purekafka-local"
# Kafka 4.x's validator insists on an audience (or an explicit opt-out); tokens must carry these.
JWT_AUDIENCE = "purekafka-local"
JWT_ISSUER = "purekafka-local-issuer"
SASL_MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER", "GSSAPI")
PROTOCOLS = ("SSL", "SASL_PLAINTEXT", "SASL_SSL")
REAUTH_MS = 10000
KERBEROS_SERVICE = "kafka"
_DAYS = "30"

_PLAIN_LOGIN = "org.apache.kafka.common.security.plain.PlainLoginModule"
_SCRAM_LOGIN = "org.apache.kafka.common.security.scram.ScramLoginModule"
_OAUTH_LOGIN = "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule"
_JWKS_VALIDATOR = "org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallbackHandler"
# Kafka 3.9.1+/4.x refuse any OAUTHBEARER endpoint not named in this system property.
ALLOWED_URLS_PROPERTY = "org.apache.kafka.sasl.oauthbearer.allowed.urls"


class SecurityError(Exception):
    """Raised for a security setup that cannot work; kafka_local turns it into a HarnessError."""


@dataclass
class Listener:
    """One client listener: its name in listener.security.protocol.map and what it asks of clients."""

    name: str
    protocol: str
    mechanisms: list[str] = field(default_factory=list)
    host: str = "127.0.0.1"
    client_auth: bool = False
    oauth: str = "unsecured"  # how OAUTHBEARER tokens are checked: "unsecured" or "jwks"
    reauth_ms: int | None = None

    @property
    def tls(self) -> bool:
        return self.protocol in ("SSL", "SASL_SSL")

    @property
    def sasl(self) -> bool:
        return self.protocol.startswith("SASL_")


def primary_listener(protocol: str, mechanisms: list[str], client_auth: bool) -> Listener:
    """The listener ``start --security`` asks for, named after its protocol."""
    if protocol not in PROTOCOLS:
        raise SecurityError(f"--security takes one of {', '.join(PROTOCOLS)}, not {protocol!r}")
    unknown = [m for m in mechanisms if m not in SASL_MECHANISMS]
    if unknown:
        raise SecurityError(f"unknown SASL mechanism(s) {unknown}: choose from {', '.join(SASL_MECHANISMS)}")
    if protocol == "SSL" and mechanisms:
        raise SecurityError("--sasl-mechanisms needs --security SASL_PLAINTEXT or SASL_SSL, not SSL")
    if protocol != "SSL" and not mechanisms:
        mechanisms = ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER"]
    if client_auth and protocol == "SASL_PLAINTEXT":
        raise SecurityError("--ssl-client-auth needs a TLS listener (--security SSL or SASL_SSL)")
    return Listener(protocol, protocol, list(mechanisms), client_auth=client_auth)


def test_listeners(gssapi: bool = False) -> list[Listener]:
    """Every listener the security tests use, on one broker (keeps `make test` to one start)."""
    sasl = ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER"] + (["GSSAPI"] if gssapi else [])
    return [
        Listener("SSL", "SSL"),
        Listener("MTLS", "SSL", client_auth=True),
        Listener("SASL_PLAINTEXT", "SASL_PLAINTEXT", list(sasl)),
        Listener("SASL_SSL", "SASL_SSL", list(sasl)),
        Listener("SASL_PLAINTEXT_JWKS", "SASL_PLAINTEXT", ["OAUTHBEARER"], oauth="jwks"),
        Listener("SASL_SSL_JWKS", "SASL_SSL", ["OAUTHBEARER"], oauth="jwks"),
        Listener("REAUTH", "SASL_SSL", ["SCRAM-SHA-512", "OAUTHBEARER", "PLAIN"], oauth="jwks", reauth_ms=REAUTH_MS),
        # The broker's certificate names 127.0.0.1 and localhost, so this one fails hostname checks.
        Listener("WRONGHOST", "SSL", host="127.0.0.2"),
    ]


def listeners_from_args(security: str | None, mechanisms: str, client_auth: bool,
                        with_test_listeners: bool) -> list[Listener]:
    """The listeners ``start --security ... [--test-listeners]`` asks for; the primary one first."""
    mechs = [m.strip().upper() for m in mechanisms.split(",") if m.strip()]
    out = []
    if security:
        out.append(primary_listener(security, mechs, client_auth))
    elif mechs or client_auth:
        raise SecurityError("--sasl-mechanisms and --ssl-client-auth need --security")
    if with_test_listeners:
        out += [lst for lst in test_listeners("GSSAPI" in mechs) if lst.name not in {o.name for o in out}]
    return out


def setup(directory: Path, version: str, specs: list[dict[str, Any]], listeners: list[Listener],
          primary: str | None, free_port: Callable[[], int], owner_pid: int | None = None) -> dict[str, Any]:
    """Ports (into each node's spec), certificates, JWKS server, KDC and broker settings.

    Returns the state kafka_local keeps (``listeners``, ``primary``, ``jvm_options``, ``jwks_pid``,
    ``kerberos``) plus ``props`` (broker settings) and ``format`` (storage-format arguments)."""
    out: dict[str, Any] = {"listeners": {}, "props": {}, "format": [], "jvm_options": [], "primary": primary}
    for s in specs:
        s["listeners"] = {lst.name: free_port() for lst in listeners}
    if not listeners:
        return out
    if any(lst.tls for lst in listeners):
        make_tls_files(directory)
    jwks_url = gssapi = None
    if any(lst.oauth == "jwks" and "OAUTHBEARER" in lst.mechanisms for lst in listeners):
        port = free_port()
        out["jwks_pid"] = start_jwks_server(make_jwks(directory), port)
        jwks_url = f"http://127.0.0.1:{port}/jwks.json"
        out["jvm_options"].append(f"-D{ALLOWED_URLS_PROPERTY}={jwks_url}")
    if any("GSSAPI" in lst.mechanisms for lst in listeners):
        gssapi, jvm, out["kerberos"] = start_kdc(directory, owner_pid)
        out["jvm_options"] += jvm
    out["format"] = scram_format_args(listeners)
    major, minor = (int(x) for x in (version.split(".") + ["0"])[:2])
    if out["format"] and (major, minor) < (3, 5):
        raise SecurityError(f"SCRAM credentials at format time need Kafka 3.5 or later, not {version}")
    out["props"] = broker_properties(directory, listeners, jwks_url, gssapi)
    out["listeners"] = {lst.name: describe(lst, [s["listeners"][lst.name] for s in specs]) for lst in listeners}
    return out


def write_client_files(directory: Path, state: dict[str, Any]) -> None:
    """DIR/client.json for the --security listener; DIR/listeners.json for every secure listener."""
    if not state.get("listeners"):
        return
    (directory / "listeners.json").write_text(json.dumps(state["listeners"], indent=2))
    primary = state.get("primary")
    if primary:
        info = state["listeners"][primary]
        settings = client_settings(directory, info, info["bootstrap"])
        (directory / "client.json").write_text(json.dumps(settings, indent=2) + "\n")


# --------------------------------------------------------------------------- certificates

def _openssl(*args: str) -> None:
    if shutil.which("openssl") is None:
        raise SecurityError("openssl not found: install it (apt-get install openssl)")
    proc = subprocess.run(["openssl", *args], capture_output=True, text=True)
    if proc.returncode != 0:
        raise SecurityError(f"openssl {args[0]} failed: {proc.stderr.strip().splitlines()[-1:]}")


def make_ca(directory: Path, name: str = "ca", cn: str = "purekafka local CA") -> tuple[Path, Path]:
    """A self-signed CA: (certificate, key) as ``NAME.pem`` and ``NAME.key`` in ``directory``."""
    key, cert = directory / f"{name}.key", directory / f"{name}.pem"
    _openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", str(key))
    _openssl("req", "-x509", "-new", "-key", str(key), "-sha256", "-days", _DAYS, "-subj", f"/CN={cn}",
             "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
             "-addext", "subjectKeyIdentifier=hash", "-out", str(cert))
    key.chmod(0o600)
    return cert, key


def make_leaf(directory: Path, name: str, ca: tuple[Path, Path], cn: str, sans: list[str],
              usage: str) -> tuple[Path, Path]:
    """A certificate for ``sans`` (``IP:...``/``DNS:...``) signed by ``ca``: (``NAME.pem``, ``NAME.key``)."""
    key, csr, cert = directory / f"{name}.key", directory / f"{name}.csr", directory / f"{name}.pem"
    ext = directory / f"{name}.ext"
    _openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", str(key))
    _openssl("req", "-new", "-key", str(key), "-subj", f"/CN={cn}", "-out", str(csr))
    lines = ["basicConstraints=critical,CA:FALSE", "keyUsage=critical,digitalSignature,keyEncipherment",
             f"extendedKeyUsage={usage}", "subjectKeyIdentifier=hash", "authorityKeyIdentifier=keyid,issuer"]
    if sans:
        lines.append("subjectAltName=" + ",".join(sans))
    ext.write_text("\n".join(lines) + "\n")
    _openssl("x509", "-req", "-in", str(csr), "-CA", str(ca[0]), "-CAkey", str(ca[1]), "-CAcreateserial",
             "-sha256", "-days", _DAYS, "-extfile", str(ext), "-out", str(cert))
    csr.unlink()
    ext.unlink()
    key.chmod(0o600)
    return cert, key


def make_tls_files(directory: Path) -> None:
    """ca.pem, broker.pem (Kafka's PEM keystore: key then chain), client.pem/.key/.enc.key."""
    ca = make_ca(directory)
    cert, key = make_leaf(directory, "broker-cert", ca, "localhost", ["IP:127.0.0.1", "DNS:localhost"], "serverAuth")
    (directory / "broker.pem").write_text(key.read_text() + cert.read_text() + ca[0].read_text())
    (directory / "broker.pem").chmod(0o600)
    key.unlink()
    make_leaf(directory, "client", ca, USER, [], "clientAuth")
    _openssl("pkey", "-in", str(directory / "client.key"), "-aes256", "-passout", f"pass:{CLIENT_KEY_PASSWORD}",
             "-out", str(directory / "client.enc.key"))


# --------------------------------------------------------------------------- OAUTHBEARER JWKS

def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def make_jwks(directory: Path) -> Path:
    """oauth.key (RSA, PKCS#8) and jwks/jwks.json with its public half; returns the JWKS directory."""
    key = directory / "oauth.key"
    _openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", str(key))
    key.chmod(0o600)
    proc = subprocess.run(["openssl", "rsa", "-in", str(key), "-noout", "-modulus"], capture_output=True, text=True)
    if proc.returncode != 0 or "=" not in proc.stdout:
        raise SecurityError(f"openssl could not read the modulus of {key}: {proc.stderr.strip()}")
    modulus = bytes.fromhex(proc.stdout.strip().split("=", 1)[1])
    jwk = {"kty": "RSA", "kid": JWKS_KID, "use": "sig", "alg": "RS256",
           "n": _b64url(modulus), "e": _b64url((65537).to_bytes(3, "big"))}
    jwks_dir = directory / "jwks"
    jwks_dir.mkdir(exist_ok=True)
    (jwks_dir / "jwks.json").write_text(json.dumps({"keys": [jwk]}))
    return jwks_dir


def start_jwks_server(jwks_dir: Path, port: int) -> int:
    """Serve ``jwks_dir`` over HTTP on 127.0.0.1:port; returns the server's pid."""
    with open(jwks_dir.parent / "jwks-server.log", "ab") as log:
        proc = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
                                 "--directory", str(jwks_dir)],
                                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    return proc.pid


# --------------------------------------------------------------------------- broker settings

def _jaas(listener: Listener, mechanism: str, gssapi: dict[str, str] | None) -> str:
    if mechanism == "PLAIN":
        return (f'{_PLAIN_LOGIN} required username="admin" password="admin-secret" '
                f'user_admin="admin-secret" user_{USER}="{PASSWORD}";')
    if mechanism.startswith("SCRAM-"):
        return f"{_SCRAM_LOGIN} required;"
    if mechanism == "OAUTHBEARER":
        # The broker's own login is never used (inter-broker traffic is PLAINTEXT); the
        # unsecured login only keeps the login module content.
        return f'{_OAUTH_LOGIN} required unsecuredLoginStringClaim_sub="admin";'
    assert gssapi is not None and mechanism == "GSSAPI"
    return gssapi["sasl.jaas.config"]


def broker_properties(directory: Path, listeners: list[Listener], jwks_url: str | None,
                      gssapi: dict[str, str] | None) -> dict[str, str]:
    """Per-listener settings (``listener.name.<name>.``) plus the shared TLS stores."""
    props: dict[str, str] = {}
    if any(lst.tls for lst in listeners):
        props.update({
            "ssl.keystore.type": "PEM", "ssl.keystore.location": str(directory / "broker.pem"),
            "ssl.truststore.type": "PEM", "ssl.truststore.location": str(directory / "ca.pem"),
        })
    if jwks_url:
        props["sasl.oauthbearer.jwks.endpoint.url"] = jwks_url
        props["sasl.oauthbearer.expected.audience"] = JWT_AUDIENCE
        props["sasl.oauthbearer.expected.issuer"] = JWT_ISSUER
    for lst in listeners:
        prefix = f"listener.name.{lst.name.lower()}."
        if lst.client_auth:
            props[prefix + "ssl.client.auth"] = "required"
        if not lst.sasl:
            continue
        props[prefix + "sasl.enabled.mechanisms"] = ",".join(lst.mechanisms)
        for mech in lst.mechanisms:
            mp = prefix + mech.lower() + "."
            props[mp + "sasl.jaas.config"] = _jaas(lst, mech, gssapi)
            if mech == "OAUTHBEARER" and lst.oauth == "jwks":
                props[mp + "sasl.server.callback.handler.class"] = _JWKS_VALIDATOR
                props[mp + "sasl.oauthbearer.jwks.endpoint.url"] = jwks_url or ""
                props[mp + "sasl.oauthbearer.expected.audience"] = JWT_AUDIENCE
                props[mp + "sasl.oauthbearer.expected.issuer"] = JWT_ISSUER
            if mech == "GSSAPI":
                # The broker reads it unprefixed by mechanism.
                props["sasl.kerberos.service.name"] = KERBEROS_SERVICE
            if lst.reauth_ms:
                props[mp + "connections.max.reauth.ms"] = str(lst.reauth_ms)
    return props


def scram_format_args(listeners: list[Listener]) -> list[str]:
    """``kafka-storage format`` arguments that add alice's SCRAM credentials (KRaft has no ZooKeeper to put them in)."""
    mechs = sorted({m for lst in listeners for m in lst.mechanisms if m.startswith("SCRAM-")})
    out: list[str] = []
    for m in mechs:
        out += ["--add-scram", f"{m}=[name={USER},password={PASSWORD}]"]
    return out


# --------------------------------------------------------------------------- client settings

def client_settings(directory: Path, listener: dict[str, Any], bootstrap: str,
                    mechanism: str | None = None) -> dict[str, Any]:
    """kafka-python settings for ``listener`` (a ``describe()`` entry); OAUTHBEARER needs a provider added."""
    out: dict[str, Any] = {"bootstrap_servers": bootstrap, "security_protocol": listener["protocol"]}
    if listener["protocol"] in ("SSL", "SASL_SSL"):
        out["ssl_cafile"] = str(directory / "ca.pem")
    if listener["client_auth"]:
        out["ssl_certfile"] = str(directory / "client.pem")
        out["ssl_keyfile"] = str(directory / "client.key")
    if listener["protocol"].startswith("SASL_"):
        mech = mechanism or next((m for m in listener["mechanisms"] if m != "OAUTHBEARER"), listener["mechanisms"][0])
        out["sasl_mechanism"] = mech
        if mech in ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"):
            out["sasl_plain_username"] = USER
            out["sasl_plain_password"] = PASSWORD
        elif mech == "GSSAPI":
            out["sasl_kerberos_service_name"] = KERBEROS_SERVICE
    return out


def confluent_settings(directory: Path, listener: dict[str, Any], bootstrap: str,
                       mechanism: str | None = None) -> dict[str, Any]:
    """librdkafka's settings for the same listener and mechanism (OAUTHBEARER: unsecured JWT, or add oauth_cb)."""
    out: dict[str, Any] = {"bootstrap.servers": bootstrap, "security.protocol": listener["protocol"]}
    if listener["protocol"] in ("SSL", "SASL_SSL"):
        out["ssl.ca.location"] = str(directory / "ca.pem")
    if listener["client_auth"]:
        out["ssl.certificate.location"] = str(directory / "client.pem")
        out["ssl.key.location"] = str(directory / "client.key")
    if listener["protocol"].startswith("SASL_"):
        mech = mechanism or next((m for m in listener["mechanisms"] if m != "OAUTHBEARER"), listener["mechanisms"][0])
        out["sasl.mechanisms"] = mech
        if mech in ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"):
            out["sasl.username"] = USER
            out["sasl.password"] = PASSWORD
        elif mech == "OAUTHBEARER" and listener["oauth"] == "unsecured":
            out["enable.sasl.oauthbearer.unsecure.jwt"] = True
            out["sasl.oauthbearer.config"] = f"principal={USER}"
        elif mech == "GSSAPI":
            out["sasl.kerberos.service.name"] = KERBEROS_SERVICE
    return out


def describe(listener: Listener, ports: list[int]) -> dict[str, Any]:
    """The JSON form kept in the cluster state and DIR/listeners.json."""
    info = asdict(listener)
    info["bootstrap"] = ",".join(f"{listener.host}:{p}" for p in ports)
    return info


# --------------------------------------------------------------------------- GSSAPI (branch gssapi)

def load_kdc_local() -> Any:
    """tools/kdc_local.py, or SecurityError when it is not there yet."""
    import importlib.util

    path = Path(__file__).with_name("kdc_local.py")
    if not path.exists():
        raise SecurityError("GSSAPI needs tools/kdc_local.py (the local KDC), which this checkout lacks")
    if "kdc_local" in sys.modules:
        return sys.modules["kdc_local"]
    spec = importlib.util.spec_from_file_location("kdc_local", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["kdc_local"] = module
    spec.loader.exec_module(module)
    return module


def start_kdc(directory: Path, owner_pid: int | None) -> tuple[dict[str, str], list[str], dict[str, Any]]:
    """Start tools/kdc_local.py's KDC in DIR/kdc: (broker JAAS by mechanism, JVM options, client facts).

    The broker's principal is ``kafka/127.0.0.1`` (clients name the host they dial, and the
    KDC's profile does no reverse DNS). The KDC ends with ``owner_pid`` or with ``stop``
    (which reads DIR/kdc/krb5kdc.pid)."""
    kdc = load_kdc_local()
    principal = f"{KERBEROS_SERVICE}/127.0.0.1"
    try:
        # pid 1 never exits: without an owner the KDC lives until `stop`.
        info = kdc.start(directory / "kdc", [principal, f"{KERBEROS_SERVICE}/localhost", USER],
                         owner_pid=owner_pid or 1)
    except kdc.KdcUnavailable as e:
        raise SecurityError(f"GSSAPI unavailable: {e.reason}") from e
    props = kdc.broker_properties(info, "x", principal=principal)
    jaas = {"sasl.jaas.config": props["listener.name.x.gssapi.sasl.jaas.config"]}
    facts = {"realm": info.realm, "krb5_conf": str(info.krb5_conf), "kdc_dir": str(info.dir),
             "client_keytab": str(info.keytabs[USER]), "principal": info.principal(USER)}
    return jaas, list(kdc.jvm_options(info)), facts


def stop_kdc(state: dict[str, Any]) -> None:
    """End the KDC ``setup`` started (a later process than the one that started it may ask)."""
    kdc_dir = (state.get("kerberos") or {}).get("kdc_dir")
    if not kdc_dir:
        return
    import os
    import signal
    try:
        pid = int(Path(kdc_dir, "krb5kdc.pid").read_text())
        if b"krb5kdc" in Path(f"/proc/{pid}/cmdline").read_bytes():
            os.kill(pid, signal.SIGTERM)
    except (OSError, ValueError):
        pass

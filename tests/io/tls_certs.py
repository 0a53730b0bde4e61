"""Certificates for TLS tests, made with the openssl command line in a temporary directory.

``make_pki(dir)`` writes a CA, a server certificate for 127.0.0.1 and localhost, a client
certificate (with its key also encrypted under ``KEY_PASSWORD``), and a second, unrelated CA.
"""
from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

KEY_PASSWORD = "key-pass-s3cret"
_KEY = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1")  # EC: quick to make


@dataclass(frozen=True)
class Pki:
    ca: Path
    other_ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path
    client_key_encrypted: Path


def _run(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def _ca(d: Path, name: str) -> None:
    _run("req", "-x509", *_KEY, "-nodes", "-days", "2", "-subj", f"/CN={name}",
         "-keyout", f"{name}.key", "-out", f"{name}.pem",
         "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
         cwd=d)


def _leaf(d: Path, name: str, ca: str, san: str, usage: str) -> None:
    _run("req", *_KEY, "-nodes", "-subj", f"/CN={name}", "-keyout", f"{name}.key",
         "-out", f"{name}.csr", cwd=d)
    (d / f"{name}.ext").write_text(f"subjectAltName={san}\nextendedKeyUsage={usage}\n"
                                   "basicConstraints=CA:FALSE\n")
    _run("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.pem", "-CAkey", f"{ca}.key",
         "-CAcreateserial", "-days", "2", "-out", f"{name}.pem", "-extfile", f"{name}.ext", cwd=d)


def make_pki(d: Path) -> Pki:
    d.mkdir(parents=True, exist_ok=True)
    _ca(d, "ca")
    _ca(d, "other-ca")
    _leaf(d, "server", "ca", "IP:127.0.0.1,DNS:localhost", "serverAuth")
    _leaf(d, "client", "ca", "DNS:client", "clientAuth")
    _run("pkey", "-in", "client.key", "-aes256", "-passout", f"pass:{KEY_PASSWORD}",
         "-out", "client-enc.key", cwd=d)
    return Pki(d / "ca.pem", d / "other-ca.pem", d / "server.pem", d / "server.key",
               d / "client.pem", d / "client.key", d / "client-enc.key")

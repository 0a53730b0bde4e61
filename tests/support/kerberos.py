"""Kerberos for the GSSAPI tests: the throwaway KDC of ``tools/kdc_local.py`` and a SASL GSSAPI
server side (RFC 4752) over MIT's acceptor, to drive ``GssapiMechanism`` without a broker.

libkrb5 takes its profile and credentials from the environment (``KRB5_CONFIG``,
``KRB5CCNAME``, ``KRB5_CLIENT_KTNAME``), process-wide; ``client_env`` sets them for a block.
"""
from __future__ import annotations

import contextlib
import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType
from typing import Any, Iterator

import pytest

ROOT = Path(__file__).resolve().parents[2]
BROKER = "kafka/127.0.0.1"
CLIENT = "alice"


def _load_kdc_local() -> ModuleType:
    # tools/ is not a package; load the script as the module ``kdc_local`` once per process.
    if "kdc_local" in sys.modules:
        return sys.modules["kdc_local"]
    spec = importlib.util.spec_from_file_location("kdc_local", ROOT / "tools" / "kdc_local.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["kdc_local"] = module
    spec.loader.exec_module(module)
    return module


kdc_local: Any = _load_kdc_local()


def start_kdc(directory: Path, principals: list[str]) -> Any:
    """A running KdcInfo, or the test skipped with KdcUnavailable's reason (printed by -ra)."""
    try:
        return kdc_local.start(directory, principals)
    except kdc_local.KdcUnavailable as exc:
        pytest.skip(f"no Kerberos KDC here: {exc.reason}")


def gssapi_or_skip() -> Any:
    """The gssapi package; the test extra installs it, so a skip here names the missing step."""
    return pytest.importorskip("gssapi", reason="the gssapi package is missing: pip install -e '.[test]'")


@contextlib.contextmanager
def client_env(kdc: Any, principal: str = CLIENT, ccache: Path | None = None,
               **overrides: str | None) -> Iterator[dict[str, str]]:
    """libkrb5's environment for ``principal`` (keytab login on first use) during the block;
    an override of None removes that variable."""
    env: dict[str, str | None] = dict(kdc.client_env(principal, ccache))
    env.update(overrides)
    saved = {k: os.environ.get(k) for k in env}
    try:
        for k, v in env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        yield {k: v for k, v in env.items() if v is not None}
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


class Rfc4752Server:
    """The server side of SASL GSSAPI as Java's GssKrb5Server runs it, over MIT's acceptor.

    ``respond(token)`` returns the server's next token (None once the client's layer
    choice is accepted). ``offer`` is the wrapped 4-byte offer it sends once the context
    is established: the layer mask and the maximum size."""

    def __init__(self, gssapi: Any, keytab: Path, offer: bytes = b"\x07\x00\xff\xff") -> None:
        creds = gssapi.Credentials(usage="accept", store={"keytab": str(keytab)})
        self.gssapi = gssapi
        self.ctx = gssapi.SecurityContext(creds=creds, usage="accept")
        self.offer = offer
        self.stage = "context"
        self.choice: bytes | None = None

    @property
    def peer(self) -> str:
        return str(self.ctx.initiator_name)

    def respond(self, token: bytes) -> bytes | None:
        if self.stage == "context":
            out = self.ctx.step(token)
            if not self.ctx.complete:
                return bytes(out)
            self.stage = "offer"
            if out:
                return bytes(out)
            token = b""
        if self.stage == "offer":
            assert token == b"", "the client's answer to an established context must be empty"
            self.stage = "choice"
            return bytes(self.ctx.wrap(self.offer, False).message)
        assert self.stage == "choice", self.stage
        self.choice = bytes(self.ctx.unwrap(token).message)
        self.stage = "done"
        return None

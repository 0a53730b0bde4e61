"""Fixtures shared by the TLS tests of tests/io."""
from __future__ import annotations

import pytest

from tests.io.tls_certs import Pki, make_pki


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    """A CA, a server certificate for 127.0.0.1/localhost, a client certificate, another CA."""
    return make_pki(tmp_path_factory.mktemp("pki"))

#!/usr/bin/env python3
"""A throwaway MIT Kerberos KDC on 127.0.0.1, for the GSSAPI tests and tools/kafka_local.py.

``start(dir, principals)`` writes a realm of its own into ``dir`` (``krb5.conf``, ``kdc.conf``,
the principal database and its stash, one keytab per principal under ``dir/keytabs``), runs
``krb5kdc`` in the foreground on a free loopback port, and returns a ``KdcInfo``:

- ``realm``: the realm's name (``PUREKAFKA.TEST``);
- ``krb5_conf``: the client profile, pointing at that KDC only (TCP, no DNS, no reverse DNS,
  so ``kafka@127.0.0.1`` means the principal ``kafka/127.0.0.1``);
- ``keytabs``: principal as given (``"alice"``, ``"kafka/127.0.0.1"``) -> its keytab;
- ``principal(name)``: the name with ``@REALM``; ``client_env(name, ccache)``: the
  ``KRB5_CONFIG`` / ``KRB5CCNAME`` / ``KRB5_CLIENT_KTNAME`` a client process (or this one)
  sets so that libkrb5 logs ``name`` in from its keytab on first use;
- ``stop()``: ends the KDC (also done when the owning process exits, however it exits).

No system file is read or written: every MIT tool runs with ``KRB5_CONFIG`` and
``KRB5_KDC_PROFILE`` pointing into ``dir``. ``KdcUnavailable(reason)`` is raised when the
MIT tools are missing (``make system-tools`` installs krb5-kdc, krb5-admin-server,
krb5-user) or the KDC does not come up; tests skip with that reason.

For a broker (Java) with a SASL GSSAPI listener:

- ``broker_properties(info, listener_name)``: server.properties entries, namely
  ``sasl.kerberos.service.name=kafka`` and the listener's
  ``listener.name.<listener>.gssapi.sasl.jaas.config`` (Krb5LoginModule with
  useKeyTab/storeKey on the ``kafka/<host>`` principal's keytab). The caller still lists
  GSSAPI in ``sasl.enabled.mechanisms``.
- ``jvm_options(info)``: ``-Djava.security.krb5.conf=...`` (Java ignores ``KRB5_CONFIG``).

Command line: ``kdc_local.py start --dir DIR PRINCIPAL...`` prints the realm, the profile and
the keytabs, and stops the KDC on Ctrl-C.
"""
from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

REALM = "PUREKAFKA.TEST"
SERVICE = "kafka"
# Debian puts the KDC's tools in sbin, which a non-root PATH may lack.
_SEARCH_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/usr/local/sbin", "/sbin"])
_TOOLS = ("krb5kdc", "kdb5_util", "kadmin.local")
_INSTALL_HINT = "install krb5-kdc, krb5-admin-server and krb5-user (make system-tools does it)"


class KdcUnavailable(Exception):
    """The KDC cannot be installed or started here; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class KdcInfo:
    """A running KDC: its realm, the client profile, and a keytab per principal."""

    realm: str
    krb5_conf: Path
    keytabs: dict[str, Path]
    port: int
    dir: Path
    _proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def principal(self, name: str) -> str:
        """``name`` with this realm appended (unless it already names one)."""
        return name if "@" in name else f"{name}@{self.realm}"

    def client_env(self, name: str, ccache: Path | None = None) -> dict[str, str]:
        """Environment under which libkrb5 logs ``name`` in from its keytab when first asked."""
        return {
            "KRB5_CONFIG": str(self.krb5_conf),
            "KRB5CCNAME": f"FILE:{ccache or self.dir / ('ccache-' + _file_name(name))}",
            "KRB5_CLIENT_KTNAME": f"FILE:{self.keytabs[name]}",
        }

    def kinit(self, name: str, ccache: Path) -> None:
        """Get ``name`` a ticket-granting ticket into ``ccache`` with ``kinit -k``."""
        kinit = shutil.which("kinit", path=_SEARCH_PATH)
        if kinit is None:
            raise KdcUnavailable(f"kinit not found: {_INSTALL_HINT}")
        _run([kinit, "-k", "-t", str(self.keytabs[name]), "-c", f"FILE:{ccache}", self.principal(name)],
             self._env(), "kinit")

    def rekey(self, name: str) -> None:
        """Give ``name`` a new random key in the database, leaving its keytab stale."""
        _run([str(shutil.which("kadmin.local", path=_SEARCH_PATH)), "-r", self.realm, "-q",
              f"cpw -randkey {self.principal(name)}"], self._env(), "kadmin.local cpw")

    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def stop(self) -> None:
        """End the KDC; harmless when it has already ended."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        (self.dir / "krb5kdc.pid").unlink(missing_ok=True)

    def _env(self) -> dict[str, str]:
        return _tool_env(self.dir)


def _file_name(principal: str) -> str:
    return principal.replace("/", "_").replace("@", "_")


def _tool_env(directory: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["KRB5_CONFIG"] = str(directory / "krb5.conf")
    env["KRB5_KDC_PROFILE"] = str(directory / "kdc.conf")
    env.pop("KRB5CCNAME", None)
    env.pop("KRB5_CLIENT_KTNAME", None)
    env.pop("KRB5_KTNAME", None)
    return env


def _run(cmd: list[str], env: dict[str, str], what: str, stdin: str | None = None) -> None:
    try:
        proc = subprocess.run(cmd, env=env, input=stdin, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise KdcUnavailable(f"{what} failed: {e}") from None
    if proc.returncode != 0:
        tail = " | ".join((proc.stderr or proc.stdout).strip().splitlines()[-3:])
        raise KdcUnavailable(f"{what} failed (exit {proc.returncode}): {tail}")


def _free_port() -> int:
    """A loopback port free for both TCP and UDP (krb5kdc binds both)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind(("127.0.0.1", 0))
            port: int = tcp.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                try:
                    udp.bind(("127.0.0.1", port))
                except OSError:
                    continue
            return port
    raise KdcUnavailable("no loopback port free for both TCP and UDP")


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def _krb5_conf(realm: str, port: int) -> str:
    # No DNS and no canonicalisation: the service name a client asks for is the host it
    # was given, which is what Kafka's clients do. TCP only (udp_preference_limit = 1), so
    # a test never waits out a lost datagram; Java's Kerberos honours the same setting.
    return f"""[libdefaults]
    default_realm = {realm}
    dns_lookup_realm = false
    dns_lookup_kdc = false
    dns_canonicalize_hostname = false
    rdns = false
    udp_preference_limit = 1
    ticket_lifetime = 1h
    renew_lifetime = 0
    forwardable = false
    default_tkt_enctypes = aes256-cts-hmac-sha1-96 aes128-cts-hmac-sha1-96
    default_tgs_enctypes = aes256-cts-hmac-sha1-96 aes128-cts-hmac-sha1-96
    permitted_enctypes = aes256-cts-hmac-sha1-96 aes128-cts-hmac-sha1-96

[realms]
    {realm} = {{
        kdc = 127.0.0.1:{port}
    }}

[domain_realm]
    127.0.0.1 = {realm}
    localhost = {realm}
"""


def _kdc_conf(realm: str, port: int, directory: Path) -> str:
    return f"""[kdcdefaults]
    kdc_listen = 127.0.0.1:{port}
    kdc_tcp_listen = 127.0.0.1:{port}

[realms]
    {realm} = {{
        database_name = {directory / 'principal'}
        key_stash_file = {directory / 'stash'}
        acl_file = {directory / 'kadm5.acl'}
        admin_keytab = FILE:{directory / 'kadm5.keytab'}
        kdc_listen = 127.0.0.1:{port}
        kdc_tcp_listen = 127.0.0.1:{port}
        max_life = 1h
        max_renewable_life = 0
        supported_enctypes = aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal
    }}

[logging]
    kdc = FILE:{directory / 'kdc.log'}
    default = FILE:{directory / 'kdc.log'}
"""


def _stop_leftover(directory: Path) -> None:
    """End a KDC an earlier start left running in ``directory``."""
    pid_file = directory / "krb5kdc.pid"
    try:
        pid = int(pid_file.read_text())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError):
        return
    if b"krb5kdc" in cmdline:
        os.kill(pid, signal.SIGKILL)


def _watch(owner_pid: int, kdc_pid: int) -> None:
    """End the KDC when the owning process dies, however it dies (SIGKILL included)."""
    code = (
        "import os,sys,time,signal\n"
        "owner,kdc=int(sys.argv[1]),int(sys.argv[2])\n"
        "while True:\n"
        "    try: os.kill(owner,0); os.kill(kdc,0)\n"
        "    except ProcessLookupError: break\n"
        "    time.sleep(1)\n"
        "try: os.kill(kdc,signal.SIGTERM)\n"
        "except ProcessLookupError: pass\n"
    )
    subprocess.Popen([sys.executable, "-c", code, str(owner_pid), str(kdc_pid)], stdin=subprocess.DEVNULL,
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def start(dir: Path, principals: list[str], *, realm: str = REALM, owner_pid: int | None = None,
          timeout: float = 20.0) -> KdcInfo:
    """Create a realm in ``dir`` with ``principals`` (random keys, one keytab each) and run its KDC.

    ``dir`` is emptied first. The KDC ends with ``stop()`` or when ``owner_pid`` (this process
    by default) exits. Raises KdcUnavailable when the MIT tools are missing or the KDC fails."""
    tools = {t: shutil.which(t, path=_SEARCH_PATH) for t in _TOOLS}
    missing = [t for t, p in tools.items() if p is None]
    if missing:
        raise KdcUnavailable(f"MIT Kerberos tools not found ({', '.join(missing)}): {_INSTALL_HINT}")
    directory = Path(dir).resolve()
    if directory.exists():
        _stop_leftover(directory)
        shutil.rmtree(directory)
    (directory / "keytabs").mkdir(parents=True)
    port = _free_port()
    (directory / "krb5.conf").write_text(_krb5_conf(realm, port))
    (directory / "kdc.conf").write_text(_kdc_conf(realm, port, directory))
    (directory / "kadm5.acl").write_text("")
    env = _tool_env(directory)
    # The master key only guards this throwaway database; it lives in the stash file (-s).
    _run([str(tools["kdb5_util"]), "create", "-s", "-W", "-r", realm, "-P", secrets.token_hex(16)], env,
         "kdb5_util create")
    keytabs: dict[str, Path] = {}
    commands: list[str] = []
    for name in principals:
        full = name if "@" in name else f"{name}@{realm}"
        keytab = directory / "keytabs" / f"{_file_name(name)}.keytab"
        commands += [f"addprinc -randkey {full}", f"ktadd -k {keytab} -norandkey {full}"]
        keytabs[name] = keytab
    for command in commands:
        _run([str(tools["kadmin.local"]), "-r", realm, "-q", command], env, f"kadmin.local {command!r}")
    missing_tabs = [n for n, p in keytabs.items() if not p.exists()]
    if missing_tabs:
        raise KdcUnavailable(f"kadmin.local wrote no keytab for {', '.join(missing_tabs)}")
    with open(directory / "krb5kdc.out", "ab") as out:
        proc = subprocess.Popen([str(tools["krb5kdc"]), "-n", "-r", realm], env=env, stdin=subprocess.DEVNULL,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    (directory / "krb5kdc.pid").write_text(str(proc.pid))
    info = KdcInfo(realm, directory / "krb5.conf", keytabs, port, directory, proc)
    _watch(owner_pid or os.getpid(), proc.pid)
    deadline = time.monotonic() + timeout
    while not _port_open(port):
        if proc.poll() is not None or time.monotonic() > deadline:
            info.stop()
            log = directory / "kdc.log"
            tail = " | ".join(log.read_text(errors="replace").strip().splitlines()[-3:]) if log.exists() else ""
            raise KdcUnavailable(f"krb5kdc did not listen on 127.0.0.1:{port} within {timeout:.0f}s"
                                 f"{' (exited ' + str(proc.returncode) + ')' if proc.returncode is not None else ''}"
                                 f": {tail or '(no log)'}")
        time.sleep(0.05)
    return info


def broker_principal(info: KdcInfo, service: str = SERVICE) -> str:
    """The first ``service/host`` principal of ``info`` (the broker's own)."""
    for name in info.keytabs:
        if name.split("@", 1)[0].startswith(service + "/"):
            return name
    raise KdcUnavailable(f"no {service}/<host> principal was created; pass one to start()")


def broker_properties(info: KdcInfo, listener_name: str, *, principal: str | None = None,
                      service: str = SERVICE) -> dict[str, str]:
    """server.properties entries for a GSSAPI listener named ``listener_name`` (e.g. SASL_PLAINTEXT)."""
    name = principal or broker_principal(info, service)
    jaas = ('com.sun.security.auth.module.Krb5LoginModule required useKeyTab=true storeKey=true '
            f'keyTab="{info.keytabs[name]}" principal="{info.principal(name)}";')
    return {
        "sasl.kerberos.service.name": service,
        f"listener.name.{listener_name.lower()}.gssapi.sasl.jaas.config": jaas,
    }


def jvm_options(info: KdcInfo) -> list[str]:
    """JVM flags that point Java's Kerberos at this KDC's profile."""
    return [f"-Djava.security.krb5.conf={info.krb5_conf}"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("start", help="run a KDC in the foreground until interrupted")
    p.add_argument("--dir", default=".kdc-local")
    p.add_argument("principals", nargs="*", default=[f"{SERVICE}/127.0.0.1", f"{SERVICE}/localhost", "alice"])
    args = parser.parse_args(argv)
    try:
        info = start(Path(args.dir), list(args.principals))
    except KdcUnavailable as e:
        print(f"kdc_local: {e.reason}", file=sys.stderr)
        return 1
    print(f"realm={info.realm}\nkrb5_conf={info.krb5_conf}\nkdc=127.0.0.1:{info.port}")
    for name, path in info.keytabs.items():
        print(f"keytab {info.principal(name)}={path}")
    try:
        while info.alive():
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        info.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Shared fixtures: the repository's testdata/, the installed package, and a
real vault server process for the client tests."""

from __future__ import annotations

import glob
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent.parent
TESTDATA = Path(os.environ.get("SEALVAULT_TESTDATA", REPO / "testdata"))


def load(name: str) -> Any:
    with open(TESTDATA / name, encoding="utf-8") as f:
        return json.load(f)


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


def _server_bin() -> str:
    path = os.environ.get("SEALVAULT_SERVER_BIN")
    if path and os.access(path, os.X_OK):
        return path
    why = (
        f"SEALVAULT_SERVER_BIN={path!r} is not an executable" if path else "SEALVAULT_SERVER_BIN is not set"
    ) + " (build it with `cargo build -p sealvault-server`; `make test-python` does)"
    if os.environ.get("SEALVAULT_EXPECT_INSTALLED") == "1":
        pytest.fail(f"the client tests need the vault server binary: {why}")
    pytest.skip(f"no vault server binary: {why}")


POOL_PASSWORD = "pool-pw-" + secrets.token_hex(8)

# Inbound second factors (test_tfa.py): the webhook secret, Twilio's auth
# token, the inbound mail domain and the SMS pool (a number per user).
INBOUND_SECRET = "inbound-secret-" + secrets.token_hex(8)
TWILIO_TOKEN = "twilio-token-" + secrets.token_hex(8)
INBOUND_DOMAIN = "inbound.test"
SMS_NUMBERS = ("+15550100001", "+15550100002")


@dataclass
class Vault:
    url: str
    admin_token: str
    binary: str
    log: list[str]
    smtp: str = ""


def _database_url(kind: str, tmp: Path) -> str:
    """A fresh database: a SQLite file, or a new database on the PostgreSQL
    server of ``SEALVAULT_TEST_DATABASE_URL`` (``make test-python`` starts a
    throwaway one)."""
    if kind == "sqlite":
        return f"sqlite://{tmp / 'vault.db'}"
    server = os.environ.get("SEALVAULT_TEST_DATABASE_URL")
    psql = shutil.which("psql") or next(iter(sorted(glob.glob("/usr/lib/postgresql/*/bin/psql"))), None)
    if not server or not psql:
        why = "SEALVAULT_TEST_DATABASE_URL is not set" if not server else "no psql binary"
        why += " (a PostgreSQL server URL; `make test-python` starts a throwaway cluster)"
        if os.environ.get("SEALVAULT_TEST_POSTGRES") == "required":
            pytest.fail(f"PostgreSQL is required: {why}")
        pytest.skip(f"PostgreSQL client tests: {why}")
    name = "sv_py_" + secrets.token_hex(6)
    subprocess.run([psql, server, "-qc", f"CREATE DATABASE {name}"], check=True, capture_output=True)
    return server.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def vault(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Vault]:
    binary = _server_bin()
    tmp = tmp_path_factory.mktemp("vault")
    database_url = _database_url(request.param, tmp)
    (tmp / "master.key").write_bytes(secrets.token_bytes(32))
    admin_token = secrets.token_urlsafe(32)
    # A one-member proxy pool whose member is a real listening socket (so
    # its TCP check passes); its URL carries a password that must never
    # reach the vault's log.
    upstream = socket.create_server(("127.0.0.1", 0))
    (tmp / "vault.toml").write_text(
        '[[proxies]]\nid = "par-1"\n'
        f'url = "http://agent:{POOL_PASSWORD}@127.0.0.1:{upstream.getsockname()[1]}"\n'
        'ip = "198.51.100.10"\n'
    )
    env = dict(
        os.environ,
        SEALVAULT_CONFIG=str(tmp / "vault.toml"),
        SEALVAULT_LISTEN="127.0.0.1:0",
        SEALVAULT_DATABASE_URL=database_url,
        SEALVAULT_DATA_DIR=str(tmp),
        SEALVAULT_MASTER_KEY_FILE=str(tmp / "master.key"),
        SEALVAULT_ADMIN_TOKEN=admin_token,
        SEALVAULT_INBOUND_DOMAIN=INBOUND_DOMAIN,
        SEALVAULT_SMS_NUMBERS=",".join(SMS_NUMBERS),
        SEALVAULT_INBOUND_SECRET=INBOUND_SECRET,
        SEALVAULT_TWILIO_AUTH_TOKEN=TWILIO_TOKEN,
        SEALVAULT_SMTP_LISTEN="127.0.0.1:0",
    )
    server = subprocess.Popen(
        [binary, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    assert server.stderr is not None
    log: list[str] = []
    ready = threading.Event()
    found: list[str] = []
    smtp: list[str] = []

    def drain() -> None:
        assert server.stderr is not None
        for line in server.stderr:
            log.append(line)
            if not found and (m := re.search(r"(?<!smtp )listening on (\S+)", line)):
                found.append(m[1])
            if not smtp and (m := re.search(r"smtp listening on (\S+)", line)):
                smtp.append(m[1])
            if found and smtp:
                ready.set()
        ready.set()

    threading.Thread(target=drain, daemon=True).start()
    try:
        if not ready.wait(60) or not found:
            pytest.fail("the vault did not start:\n" + "".join(log))
        yield Vault(f"http://{found[0]}", admin_token, binary, log, smtp[0] if smtp else "")
    finally:
        server.terminate()
        server.wait(30)
        upstream.close()
    # Invariant 1: nothing secret in the vault's log.
    assert admin_token not in "".join(log)
    assert POOL_PASSWORD not in "".join(log)
    assert INBOUND_SECRET not in "".join(log)
    assert TWILIO_TOKEN not in "".join(log)

"""The end-to-end stack: a vault (SQLite, SMTP listener, SMS pool, Twilio
token, optional proxy pool) and the demo site, both real processes on
loopback, and the four demo accounts provisioned in each.

Used by the end-to-end tests (``examples/e2e/test_agents.py``) and by hand:

    python examples/e2e/stack.py up      # prints the agents' commands; Ctrl-C stops it

``up`` writes ``examples/.demo-stack.json`` (mode 0600: it holds a user
token), which ``examples/python/agent.py`` and ``examples/js/agent.mjs``
read. Binaries: ``SEALVAULT_SERVER_BIN`` and ``DEMO_SITE_BIN`` (default
``target/debug/…``; ``cargo build -p sealvault-server -p sealvault-demo-site``).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
STACK_FILE = REPO / "examples" / ".demo-stack.json"
SMS_POOL = ["+15550100001", "+15550100002", "+15550100003"]
SMS_SENDER = "+15557770000"
KINDS = ("password", "totp", "email", "sms")


def _bin(var: str, name: str) -> str:
    target = os.environ.get("CARGO_TARGET_DIR", str(REPO / "target"))
    path = os.environ.get(var) or str(Path(target) / "debug" / name)
    if not os.access(path, os.X_OK):
        raise SystemExit(f"{name} not found at {path}: build it (cargo build -p {name.replace('demo-site', 'sealvault-demo-site')}) or set {var}")
    return path


@dataclass
class Process:
    """A child process whose output is collected (for the log checks)."""

    popen: subprocess.Popen[str]
    log: list[str] = field(default_factory=list)

    def text(self) -> str:
        return "\n".join(self.log)

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(10)
            except subprocess.TimeoutExpired:
                self.popen.kill()


def _spawn(args: list[str], env: dict[str, str], ready: str, stream: str = "stderr") -> tuple[Process, dict[str, str]]:
    """Starts `args` and waits for each line matching a `ready` pattern
    (named groups collected)."""
    popen = subprocess.Popen(
        args,
        env={**os.environ, **env},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
    )
    process = Process(popen)
    found: dict[str, str] = {}
    patterns = [re.compile(p) for p in ready.split("|||")]
    done = threading.Event()

    def pump() -> None:
        assert popen.stdout is not None
        for line in popen.stdout:
            process.log.append(line.rstrip("\n"))
            for pattern in patterns:
                m = pattern.search(line)
                if m:
                    found.update(m.groupdict())
            if all(p.groupindex.keys() <= found.keys() for p in patterns):
                done.set()
        done.set()

    threading.Thread(target=pump, daemon=True).start()
    if not done.wait(60) or popen.poll() is not None:
        process.stop()
        raise RuntimeError(f"{args[0]} did not start:\n{process.text()}")
    return process, found


@dataclass
class Vault:
    url: str
    smtp: str
    admin_token: str
    process: Process
    database: Path
    twilio_token: str


def start_vault(workdir: Path, proxies_toml: str = "", extra_env: dict[str, str] | None = None) -> Vault:
    """A vault on a fresh SQLite file with the inbound channels on."""
    key = workdir / "master.key"
    key.write_bytes(secrets.token_bytes(32))
    config = workdir / "vault.toml"
    config.write_text(proxies_toml)
    admin = secrets.token_hex(24)
    env = {
        "SEALVAULT_CONFIG": str(config),
        "SEALVAULT_LISTEN": "127.0.0.1:0",
        "SEALVAULT_DATABASE_URL": f"sqlite://{workdir / 'vault.db'}",
        "SEALVAULT_MASTER_KEY_FILE": str(key),
        "SEALVAULT_ADMIN_TOKEN": admin,
        "SEALVAULT_SMTP_LISTEN": "127.0.0.1:0",
        "SEALVAULT_INBOUND_DOMAIN": "inbound.demo.test",
        "SEALVAULT_SMS_NUMBERS": ",".join(SMS_POOL),
        "SEALVAULT_INBOUND_SECRET": secrets.token_hex(16),
        "SEALVAULT_TWILIO_AUTH_TOKEN": secrets.token_hex(16),
        "SEALVAULT_LOG": os.environ.get("SEALVAULT_E2E_LOG", "debug"),
        **(extra_env or {}),
    }
    process, found = _spawn(
        [_bin("SEALVAULT_SERVER_BIN", "sealvault-server"), "serve"],
        env,
        r"(?<!smtp )listening on (?P<http>\S+)|||smtp listening on (?P<smtp>\S+)",
    )
    return Vault(
        f"http://{found['http']}", found["smtp"], admin, process, workdir / "vault.db", env["SEALVAULT_TWILIO_AUTH_TOKEN"]
    )


@dataclass
class Site:
    url: str
    process: Process


def start_site(vault: Vault) -> Site:
    """The demo site, mailing codes to the vault's SMTP listener and texting
    them through the vault's Twilio webhook."""
    env = {"DEMO_TWILIO_AUTH_TOKEN": vault.twilio_token}
    args = [
        _bin("DEMO_SITE_BIN", "demo-site"),
        "--listen",
        "127.0.0.1:0",
        "--smtp",
        vault.smtp,
        "--twilio-url",
        f"{vault.url}/v1/inbound/sms/twilio",
        "--sms-from",
        SMS_SENDER,
    ]
    process, found = _spawn(args, env, r"demo-site listening on (?P<url>http://\S+)")
    return Site(found["url"], process)


def _call(method: str, url: str, token: str | None = None, body: Any = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        request.add_header("content-type", "application/json")
    if token:
        request.add_header("authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=30) as response:
        raw = response.read()
    return json.loads(raw) if raw else None


def credential_config(kind: str, site: Site, **overrides: Any) -> dict[str, Any]:
    """The credential config of a demo account of `kind`."""
    method = {"password": "NONE", "totp": "AUTHENTICATOR", "email": "EMAIL", "sms": "SMS"}[kind]
    config: dict[str, Any] = {
        "name": f"demo-{kind}",
        "login_url": f"{site.url}/login",
        "tfa": {"method": method},
        "session_persistence": {"cookies": True, "local_storage": True, "session_storage": True},
        "concurrency": {"allow_multiple": True, "max_concurrent": 2, "prevent_concurrency_during_login": True},
        "expiration": {"from_creation_secs": 3600},
    }
    config.update(overrides)
    return config


#: Every password and TOTP seed provisioned by this process (the log checks).
PROVISIONED_SECRETS: list[str] = []
_TOTP_SECRETS: dict[str, str] = {}


def provision(vault: Vault, site: Site, accounts: dict[str, str] | None = None, **overrides: Any) -> dict[str, Any]:
    """A user and token, and for each `item -> kind` a demo-site account and
    its credential (password, TOTP seed) in the vault. Returns the stack
    description the agents read: accounts keyed by kind for the `demo-<kind>`
    items, by item otherwise."""
    import sealvault as sv  # the installed SDK

    user = _call("POST", f"{vault.url}/v1/users", vault.admin_token, {"name": "demo"})
    scopes = ["keys:use", "secrets:write", "secrets:access", "sessions"]
    token = _call(
        "POST",
        f"{vault.url}/v1/users/{user['id']}/tokens",
        vault.admin_token,
        {"name": "demo-agents", "scopes": scopes, "items": None, "ttl_secs": None},
    )["token"]
    sv.Client(vault.url, token).create_data_key()
    description: dict[str, Any] = {"vault": vault.url, "token": token, "site": site.url, "accounts": {}}
    for item, kind in (accounts or {f"demo-{k}": k for k in KINDS}).items():
        key = kind if item == f"demo-{kind}" else item
        description["accounts"][key] = provision_into(vault, site, description, item, kind, **overrides)
    return description


def provision_into(
    vault: Vault, site: Site, description: dict[str, Any], item: str, kind: str, **overrides: Any
) -> dict[str, str]:
    """One more account of `kind`: its credential under the description's
    token and its demo-site account (with the vault-assigned address or
    number). Returns its entry for `description["accounts"]`."""
    import sealvault as sv

    client = sv.Client(vault.url, description["token"])
    username = f"{item}@demo.test"
    password = "pw-" + secrets.token_urlsafe(12)
    seed = _base32() if kind == "totp" else None
    totp = sv.Totp(seed, digits=6, period=5) if seed else None
    written = client.put_credential(
        item, username=username, password=password, totp=totp, config=credential_config(kind, site, **overrides)
    )
    PROVISIONED_SECRETS.append(password)
    account: dict[str, Any] = {"username": username, "password": password, "kind": kind}
    if seed is not None:
        PROVISIONED_SECRETS.append(seed)
        _TOTP_SECRETS[item] = seed
        account["totp_secret"] = seed
    assigned = written.get("assigned") or {}
    if assigned.get("email"):
        account["email"] = assigned["email"]
    if assigned.get("phone"):
        account["phone"] = assigned["phone"]
    _call("POST", f"{site.url}/admin/accounts", body=account)
    return {"item": item, "username": username}


def provisioned_totp(description: dict[str, Any]) -> Any:
    """The TOTP of the stack's `totp` account (for the log checks), if any."""
    import sealvault as sv

    entry = description["accounts"].get("totp")
    seed = entry and _TOTP_SECRETS.get(entry["item"])
    return sv.Totp(seed, digits=6, period=5) if seed else None


def _base32() -> str:
    import base64

    return base64.b32encode(secrets.token_bytes(20)).decode().rstrip("=")


def write_stack(stack: dict[str, Any], path: Path = STACK_FILE) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(stack, f, indent=2)


def main() -> None:
    if sys.argv[1:] != ["up"]:
        raise SystemExit(__doc__)
    import signal

    def stop(*_: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    with tempfile.TemporaryDirectory(prefix="sealvault-demo-") as tmp:
        vault = start_vault(Path(tmp))
        site = start_site(vault)
        try:
            write_stack(provision(vault, site))
            print(f"vault {vault.url} (SMTP {vault.smtp}), demo site {site.url}")
            print(f"stack written to {STACK_FILE.relative_to(REPO)}; in another terminal:")
            python = os.path.relpath(sys.executable, REPO) if sys.executable.startswith(str(REPO)) else sys.executable
            for kind in KINDS:
                print(f"  {python} examples/python/agent.py --account {kind}    node examples/js/agent.mjs --account {kind}")
            print("Ctrl-C stops both.")
            while vault.process.popen.poll() is None and site.process.popen.poll() is None:
                time.sleep(1)
        except KeyboardInterrupt:
            pass
        finally:
            site.process.stop()
            vault.process.stop()
            STACK_FILE.unlink(missing_ok=True)


if __name__ == "__main__":
    main()

"""End to end (issue 11): the Python and JS agents drive headless Chromium
through the demo site with credentials from a real vault (SQLite, SMTP
listener, Twilio webhook, a pool of two loopback forward proxies).

Run by `make test-python` (which builds the wheel, the server and the demo
site; `make test-js` builds the npm package first). The browser is Debian's
/usr/bin/chromium; without it, or without the JS package, these tests skip
with the reason — unless SEALVAULT_TEST_BROWSER=required (CI), where they fail.
"""

from __future__ import annotations

import http.server
import json
import os
import re
import socket
import socketserver
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import stack as st  # noqa: E402

REPO = st.REPO
PY_AGENT = REPO / "examples" / "python" / "agent.py"
JS_AGENT = REPO / "examples" / "js" / "agent.mjs"
CHROMIUM = os.environ.get("SEALVAULT_CHROMIUM", "/usr/bin/chromium")
REQUIRED = os.environ.get("SEALVAULT_TEST_BROWSER") == "required"


def _need(condition: bool, why: str) -> None:
    if condition:
        return
    if REQUIRED:
        pytest.fail(why)
    pytest.skip(why)


# --- loopback forward proxies ---------------------------------------------


class _Proxy(http.server.BaseHTTPRequestHandler):
    """A plain-HTTP forward proxy that stamps `X-Demo-Proxy: <name>`."""

    name = "?"

    def _forward(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else None
        request = urllib.request.Request(self.path, data=body, method=self.command)
        for key, value in self.headers.items():
            if key.lower() not in ("proxy-connection", "connection", "keep-alive", "host", "content-length"):
                request.add_header(key, value)
        request.add_header("X-Demo-Proxy", self.name)
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())
        try:
            response = opener.open(request, timeout=30)
            status, headers, payload = response.status, response.headers, response.read()
        except urllib.error.HTTPError as e:
            status, headers, payload = e.code, e.headers, e.read()
        self.send_response(status)
        for key, value in headers.items():
            if key.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(key, value)
        self.send_header("content-length", str(len(payload)))
        self.send_header("connection", "close")
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_HEAD = _forward

    def log_message(self, *args: Any) -> None:
        pass


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _start_proxy(name: str) -> tuple[socketserver.ThreadingTCPServer, int]:
    handler = type(f"Proxy_{name}", (_Proxy,), {"name": name})
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, server.server_address[1]


# --- the stack --------------------------------------------------------------


@dataclass
class Stack:
    vault: st.Vault
    site: st.Site
    description: dict[str, Any]
    path: Path
    secrets: list[str]
    logs: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.time)
    #: Codes the site emailed or texted (kept here: /admin/reset clears the site's list).
    codes: list[str] = field(default_factory=list)

    def stats(self, item: str) -> dict[str, Any]:
        username = self.description["accounts"][item]["username"]
        with urllib.request.urlopen(f"{self.site.url}/admin/accounts/{username}") as r:
            return json.loads(r.read())

    def admin(self, path: str, body: Any) -> Any:
        request = urllib.request.Request(
            f"{self.site.url}{path}", data=json.dumps(body).encode(), method="POST",
            headers={"content-type": "application/json"},
        )
        with urllib.request.urlopen(request) as r:
            raw = r.read()
        return json.loads(raw) if raw else None

    def agent(self, lang: str, account: str, *extra: str, name: str | None = None) -> subprocess.CompletedProcess[str]:
        args = (
            [sys.executable, str(PY_AGENT)] if lang == "py" else ["node", str(JS_AGENT)]
        ) + ["--account", account, "--stack", str(self.path), "--name", name or f"{lang}-{account}", *extra]
        done = subprocess.run(args, capture_output=True, text=True, timeout=180, cwd=REPO)
        self.logs.append(done.stdout + done.stderr)
        return done


#: The `short` credential's saved state lives this long from its creation.
SHORT_STATE_SECS = 15

ACCOUNTS = {
    "demo-password": "password",
    "demo-totp": "totp",
    "demo-email": "email",
    "demo-sms": "sms",
    "busy": "password",
    "short": "password",
    "proxied": "password",
    "tampered": "password",
}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    _need(os.access(CHROMIUM, os.X_OK), f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    _need(
        (REPO / "bindings-js" / "pkg" / "index.mjs").exists()
        and (REPO / "bindings-js" / "node_modules" / "playwright-core").exists(),
        "the JS agent needs bindings-js/pkg and playwright-core (make test-js builds them)",
    )
    pytest.importorskip("playwright.sync_api")
    tmp = tmp_path_factory.mktemp("e2e")
    proxies = [_start_proxy(name) for name in ("proxy-a", "proxy-b")]
    pool = "".join(
        f'[[proxies]]\nid = "proxy-{n}"\nurl = "http://127.0.0.1:{port}"\nip = "198.51.100.{10 + i}"\n\n'
        for i, (n, (_, port)) in enumerate(zip("ab", proxies))
    )
    vault = st.start_vault(tmp, pool)
    site = st.start_site(vault)
    try:
        description = st.provision(vault, site, {k: v for k, v in ACCOUNTS.items() if k.startswith("demo-")})
        overrides = {
            "busy": {},
            "short": {"expiration": {"from_creation_secs": SHORT_STATE_SECS}},
            "proxied": {"proxy": {"enabled": True, "target_ip": "198.51.100.10"}},
            "tampered": {},
        }
        for item, override in overrides.items():
            extra = st.provision_into(vault, site, description, item, "password", **override)
            description["accounts"][item] = extra
        path = tmp / "stack.json"
        st.write_stack(description, path)
        yield Stack(vault, site, description, path, st.PROVISIONED_SECRETS)
    finally:
        site.process.stop()
        vault.process.stop()
        for server, _ in proxies:
            server.shutdown()


LANGS = ["py", "js"]


def _ok(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 0, f"agent failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("kind", st.KINDS)
def test_each_kind_logs_in_then_reuses_its_state(stack: Stack, lang: str, kind: str) -> None:
    item = kind
    stack.admin("/admin/expire-sessions", {"older_than_secs": 0, "username": stack.description["accounts"][item]["username"]})
    before = stack.stats(item)["total_logins"]
    first = _ok(stack.agent(lang, item))
    assert "logged in" in first and "dashboard reached" in first
    assert stack.stats(item)["total_logins"] == before + 1
    again = _ok(stack.agent(lang, item))
    assert "with the saved state" in again, again
    assert "local=dark" in again
    stats = stack.stats(item)
    assert stats["total_logins"] == before + 1, "the saved state was not reused"
    stack.codes.extend(c for c in stats["codes_sent"] if c not in stack.codes)


@pytest.mark.parametrize("lang", LANGS)
def test_an_expired_state_means_a_new_login(stack: Stack, lang: str) -> None:
    before = stack.stats("short")["total_logins"]
    _ok(stack.agent(lang, "short", "--fresh"))
    saved_by = time.monotonic()
    assert "with the saved state" in _ok(stack.agent(lang, "short"))
    time.sleep(max(0.0, saved_by + SHORT_STATE_SECS + 1 - time.monotonic()))
    late = _ok(stack.agent(lang, "short"))
    assert "with the saved state" not in late and "logged in" in late
    assert stack.stats("short")["total_logins"] == before + 2


def test_six_agents_share_two_seats_and_never_log_in_together(stack: Stack) -> None:
    stack.admin("/admin/expire-sessions", {"older_than_secs": 0})
    stack.admin("/admin/reset", {})
    before = stack.stats("busy")
    runs = [(lang, i) for i in range(3) for lang in LANGS]
    with ThreadPoolExecutor(len(runs)) as pool:
        results = list(
            pool.map(lambda r: stack.agent(r[0], "busy", "--fresh", "--logout", "--work-secs", "2", name=f"{r[0]}-{r[1]}"), runs)
        )
    for done in results:
        _ok(done)
    after = stack.stats("busy")
    assert after["total_logins"] - before["total_logins"] == 6
    assert 1 <= after["max_concurrent_sessions"] <= 2, after
    assert after["overlapping_logins"] == 0, after
    assert after["active_sessions"] == 0, after


def test_the_proxy_is_sticky_and_fails_over(stack: Stack) -> None:
    seen = []
    for lang in LANGS:
        _ok(stack.agent(lang, "proxied", "--fresh", "--proxy"))
        seen.append(stack.stats("proxied")["proxies_seen"][-1]["proxy"])
    assert seen[0] in ("proxy-a", "proxy-b") and seen[0] == seen[1], seen
    other = "proxy-b" if seen[0] == "proxy-a" else "proxy-a"
    request = urllib.request.Request(
        f"{stack.vault.url}/v1/admin/proxies/{seen[0]}/health", data=b'{"healthy": false}', method="POST",
        headers={"content-type": "application/json", "authorization": f"Bearer {stack.vault.admin_token}"},
    )
    assert urllib.request.urlopen(request).status == 204
    for lang in LANGS:
        _ok(stack.agent(lang, "proxied", "--fresh", "--proxy"))
        assert stack.stats("proxied")["proxies_seen"][-1]["proxy"] == other


@pytest.mark.parametrize("lang", LANGS)
def test_a_tampered_config_is_refused_before_any_page_is_filled(stack: Stack, lang: str) -> None:
    with sqlite3.connect(stack.vault.database) as db:
        db.execute(
            "UPDATE credentials SET config = json_set(config, '$.login_url', 'http://127.0.0.1:9/login') "
            "WHERE item_id = 'tampered'"
        )
    before = stack.stats("tampered")
    done = stack.agent(lang, "tampered", "--fresh")
    assert done.returncode == 2, done.stdout + done.stderr
    assert "refused" in done.stderr
    after = stack.stats("tampered")
    assert after["total_logins"] == before["total_logins"]
    assert after["failed_attempts"] == before["failed_attempts"]


def test_no_secret_in_any_log(stack: Stack) -> None:
    """Runs last in this module: every agent's output and the vault's log."""
    assert stack.logs, "no agent ran"
    agent_logs = "\n".join(stack.logs)
    vault_log = stack.vault.process.text()
    for secret in stack.secrets:
        assert secret not in agent_logs, "a password or TOTP seed in an agent log"
        assert secret not in vault_log, "a password or TOTP seed in the vault log"
    assert "[REDACTED]" in agent_logs, "the agents' codes were not redacted"
    assert not re.search(r"(?<![\w.:-])\d{6}(?![\w])", agent_logs), "a 6-digit code in an agent log"
    assert len(stack.codes) >= 4, f"expected codes from both agents and both channels: {len(stack.codes)}"
    for code in stack.codes:
        # As a word: hex ids in the log (lease ids, tab ids) may contain any digit run.
        assert not re.search(rf"(?<!\w){code}(?!\w)", agent_logs), "an emailed or texted code in an agent log"
        assert not re.search(rf"(?<![\d.]){code}(?!\d)", vault_log), "an emailed or texted code in the vault log"
    totp = st.provisioned_totp(stack.description)
    if totp is not None:
        start = int(stack.started) - 10
        codes = {totp.at(t) for t in range(start, int(time.time()) + 10, 5)}
        leaked = [c for c in codes if re.search(rf"(?<![\d.]){c}(?!\d)", vault_log)]
        assert not leaked, "a TOTP code in the vault log"

"""A login robot on SealVault: Playwright for Python driving Debian's
Chromium signs in to the demo site with a credential it never stores.

    python examples/e2e/stack.py up                  # one terminal: vault + demo site
    python examples/python/agent.py --account totp   # another: password, totp, email or sms

Steps: take a `login` lease; load the saved browser state and, if the site
still knows it, end the login phase and go straight to the dashboard;
otherwise get the credential (refused unless the page is on the
credential's `login_url` origin), fill the form, answer the second factor
(a TOTP code the vault computes with enough validity left, or the code the
site emailed or texted to the vault), save the browser state as the
credential's persistence flags allow, end the login phase, work, release.
Every log line goes through `session.redact`, so no password or code is
printed. Playwright tracing stays off: its traces record typed values.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import sealvault as sv
from sealvault.playwright import restore_context, save_context

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("SEALVAULT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--account", required=True, help="password, totp, email, sms, or an item name of the stack")
    p.add_argument("--stack", default=str(REPO / "examples" / ".demo-stack.json"), help="written by stack.py up")
    p.add_argument("--proxy", action="store_true", help="browse through the credential's proxy from the vault")
    p.add_argument("--fresh", action="store_true", help="ignore the saved browser state")
    p.add_argument("--work-secs", type=float, default=0.0, help="stay on the dashboard this long")
    p.add_argument("--logout", action="store_true", help="log out of the site when done (ends its session)")
    p.add_argument("--name", default="py-agent", help="name in log lines")
    return p.parse_args()


class Log:
    """Prints numbered steps, each through the session's redactor."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.session: sv.Session | None = None
        self.step = 0

    def __call__(self, message: str) -> None:
        self.step += 1
        text = self.session.redact(message) if self.session is not None else message
        print(f"[{self.name}] {self.step:>2}. {text}", flush=True)


def launch(pw: Any, proxy: dict[str, Any] | None) -> Any:
    options: dict[str, Any] = {"executable_path": CHROMIUM, "headless": True, "args": CHROMIUM_ARGS}
    if proxy is not None:
        options["proxy"] = {"server": proxy["url"].expose()}
    return pw.chromium.launch(**options)


def second_factor(session: sv.Session, kind: str, page: Any, since: int, log: Log) -> None:
    """Fills the site's second-factor form."""
    if kind == "AUTHENTICATOR":
        code = session.totp(min_validity=2)
        log(f"TOTP code {code.code.expose()} from the vault, {code.seconds_left} s left")
        value = code.code.expose()
    else:
        log(f"waiting for the {kind.lower()} code the site sent to the vault")
        answer = session.wait_for_tfa_code(timeout=60, since=since)
        if answer is None or answer.code is None:
            raise SystemExit(f"no {kind.lower()} code arrived within 60 s")
        value = answer.code.expose()
        log(f"{answer.channel} code {value} arrived")
    page.fill("#code", value)
    page.click("#submit")


def login(session: sv.Session, page: Any, site: str, log: Log) -> None:
    """Fills the login form and answers the second factor."""
    config = session.config
    with session.access() as credential:  # opened only if its sealed config matches
        page.goto(credential.login_url)
        credential.check_origin(page.url)
        log(f"credential for {credential.username} checked against {page.url}")
        page.fill("#username", credential.username)
        page.fill("#password", credential.password.expose())
    since = int(time.time()) - 1
    page.click("#submit")
    method = (config.get("tfa") or {}).get("method", "NONE")
    if method != "NONE":
        page.wait_for_url("**/login/tfa", timeout=15_000)
        second_factor(session, method, page, since, log)
    page.wait_for_selector("#dashboard", timeout=15_000)


def run(args: argparse.Namespace) -> int:
    from playwright.sync_api import sync_playwright

    stack = json.loads(Path(args.stack).read_text())
    account = stack["accounts"][args.account]
    site = stack["site"]
    log = Log(args.name)
    client = sv.Client(stack["vault"], stack["token"])
    log(f"asking the vault for a login lease on {account['item']}")
    with client.session(account["item"], "login", wait=120) as session:
        log.session = session
        log(f"lease {session.session_id} granted (fencing token {session.fencing_token})")
        proxy = None
        if args.proxy:
            answer = session.resolve_proxy()
            proxy = answer.get("proxy")
            log(f"proxy from the vault: {answer['source']} {proxy['id'] if proxy else '-'}")
        with sync_playwright() as pw:
            browser = launch(pw, proxy)
            if args.fresh:
                context, restored = browser.new_context(), False
            else:
                context, restored = restore_context(session, browser)
            page = context.new_page()
            reused = False
            if restored:
                log("saved browser state found: trying the dashboard")
                page.goto(f"{site}/dashboard")
                reused = page.locator("#dashboard").count() > 0
                log("the site still knows this session" if reused else "the site ended that session")
            if not reused:
                login(session, page, site, log)
                log("logged in")
                saved = save_context(session, context)
                log(f"browser state saved (version {saved['version']})")
            session.login_complete()
            log("login phase over")
            deadline = time.monotonic() + args.work_secs
            while True:
                local = page.locator("#local").inner_text()
                tab = page.locator("#session").inner_text()
                log(f"on the dashboard: {page.locator('#dashboard').inner_text()} (local={local}, session={tab})")
                if time.monotonic() >= deadline:
                    break
                time.sleep(min(1.0, max(0.0, deadline - time.monotonic())))
                page.reload()
            if args.logout:
                page.evaluate("() => fetch('/logout', {method: 'POST'})")
                log("logged out of the site")
            else:
                save_context(session, context)
            browser.close()
        log("releasing the lease")
    print(f"[{args.name}] done: dashboard reached" + (" with the saved state" if reused else ""), flush=True)
    return 0


def main() -> int:
    args = parse_args()
    try:
        return run(args)
    except sv.errors.SealVaultError as e:
        print(f"[{args.name}] refused: {e.code}: {e}", file=sys.stderr, flush=True)
        return 2


if __name__ == "__main__":
    sys.exit(main())

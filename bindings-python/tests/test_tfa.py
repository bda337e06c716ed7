"""Session.wait_for_tfa_code against a real `sealvault-server` (SQLite and
PostgreSQL): codes delivered by the signed email and SMS webhooks and by
Twilio's (signed with the official `twilio` package), timeouts, one code for
two waiters, and `ambiguous_recipient` as a ConflictError."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import shutil
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest
from conftest import INBOUND_SECRET, TWILIO_TOKEN
from twilio.request_validator import RequestValidator

import sealvault as sv

if TYPE_CHECKING:
    from conftest import Vault

SCOPES = ["keys:use", "secrets:write", "secrets:access", "sessions"]
SENDER = "+15557770000"


@dataclass
class Owner:
    client: sv.Client

    def put(self, item: str, method: str) -> str:
        """Writes `item` with tfa `method`; its assigned address or number."""
        config = {
            "name": item,
            "login_url": "https://portal.acme.test/login",
            "tfa": {"method": method},
        }
        assigned = self.client.put_credential(item, username="jo", password="pw", config=config)["assigned"]
        return str(assigned["email"] if method == "EMAIL" else assigned["phone"])


@pytest.fixture
def owner(vault: Vault) -> Iterator[Owner]:
    """A fresh user with every scope and a data key; its credentials are
    deleted afterwards, which hands its SMS number back to the pool."""
    admin = sv.Client(vault.url, vault.admin_token)
    user_id = admin.create_user("pytest-tfa")["id"]
    client = sv.Client(vault.url, admin.create_token(user_id, "all", SCOPES)["token"])
    client.create_data_key()
    yield Owner(client)
    for item in client.list_credentials():
        client.delete_credential(item["id"], item["version"])


def post(url: str, body: bytes, headers: dict[str, str]) -> int:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as e:
        return int(e.code)


def signed(vault: Vault, path: str, body: bytes, content_type: str) -> int:
    t = str(int(time.time()))
    mac = hmac.new(INBOUND_SECRET.encode(), t.encode() + b"." + body, hashlib.sha256).hexdigest()
    headers = {"Content-Type": content_type, "X-SealVault-Signature": f"t={t},v1={mac}"}
    return post(vault.url + path, body, headers)


def post_email(vault: Vault, to: str, code: str) -> int:
    raw = (
        f"From: Acme <no-reply@acme.test>\r\nTo: {to}\r\nSubject: Your Acme sign-in code\r\n"
        f"Message-ID: <{secrets.token_hex(8)}@acme.test>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        f"Hi,\r\n\r\nYour verification code is {code}.\r\n"
    )
    return signed(vault, "/v1/inbound/email", raw.encode(), "message/rfc822")


def post_sms(vault: Vault, to: str, text: str) -> int:
    body = json.dumps({"from": SENDER, "to": to, "body": text, "id": secrets.token_hex(8)}).encode()
    return signed(vault, "/v1/inbound/sms", body, "application/json")


def post_twilio(vault: Vault, to: str, text: str, token: str = TWILIO_TOKEN) -> int:
    url = vault.url + "/v1/inbound/sms/twilio"
    params = {"From": SENDER, "To": to, "Body": text, "MessageSid": "SM" + secrets.token_hex(16)}
    signature = RequestValidator(token).compute_signature(url, params)
    headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature}
    return post(url, urllib.parse.urlencode(params).encode(), headers)


def test_an_email_wakes_a_waiter(vault: Vault, owner: Owner) -> None:
    address = owner.put("mail", "EMAIL")
    assert address.endswith("@inbound.test")
    with owner.client.session("mail") as s:
        statuses: list[int] = []
        timer = threading.Timer(1.0, lambda: statuses.append(post_email(vault, address, "739154")))
        timer.start()
        started = time.monotonic()
        tfa = s.wait_for_tfa_code(timeout=30)
        took = time.monotonic() - started
        timer.join()
        assert statuses == [202]
        assert tfa is not None and took < 5, took
        assert tfa.code is not None and tfa.code.expose() == "739154"
        assert tfa.link is None
        assert tfa.channel == "email"
        assert abs(tfa.received_at - time.time()) < 60
        assert "739154" not in repr(tfa) and "[redacted]" in repr(tfa)
        # Handed out once.
        assert s.wait_for_tfa_code(timeout=0) is None


def _swaks() -> str:
    path = shutil.which("swaks")
    if path is None:
        why = "swaks is not installed (apt-get install swaks)"
        if os.environ.get("SEALVAULT_TEST_SMTP") == "required":
            pytest.fail(why)
        pytest.skip(why)
    return path


def test_mail_sent_with_swaks_wakes_a_waiter(vault: Vault, owner: Owner) -> None:
    """Acceptance (issue 9): swaks → the vault's SMTP listener → the agent
    blocked in a 30 s wait, woken in under 5 s."""
    swaks = _swaks()
    address = owner.put("smtp-mail", "EMAIL")
    host, port = vault.smtp.rsplit(":", 1)
    command = [swaks, "--server", host, "--port", port, "--to", address, "--from", "no-reply@acme.test",
               "--header", "Subject: Your Acme sign-in code",
               "--body", "Your verification code is 604893. It expires in 10 minutes."]
    with owner.client.session("smtp-mail") as s:
        sent: list[subprocess.CompletedProcess[str]] = []
        timer = threading.Timer(1.0, lambda: sent.append(subprocess.run(command, capture_output=True, text=True)))
        timer.start()
        started = time.monotonic()
        tfa = s.wait_for_tfa_code(timeout=30)
        took = time.monotonic() - started
        timer.join()
        assert sent and sent[0].returncode == 0, sent
        assert tfa is not None and tfa.code is not None and tfa.code.expose() == "604893"
        assert tfa.channel == "email"
        assert took < 5, took
        assert s.redact("code 604893") == "code [REDACTED]"


def test_an_sms_webhook_code(vault: Vault, owner: Owner) -> None:
    number = owner.put("bank", "SMS")
    with owner.client.session("bank") as s:
        assert post_sms(vault, number, "Your verification code is 482913.") == 202
        tfa = s.wait_for_tfa_code(timeout=10)
        assert tfa is not None and tfa.code is not None
        assert (tfa.code.expose(), tfa.channel) == ("482913", "sms")


def test_a_twilio_webhook_signed_by_the_twilio_package(vault: Vault, owner: Owner) -> None:
    number = owner.put("bank", "SMS")
    with owner.client.session("bank") as s:
        since = int(time.time())
        # A wrong signature is refused and stores nothing.
        assert post_twilio(vault, number, "Your verification code is 100200.", token="not-the-token") == 403
        assert post_twilio(vault, number, "Your verification code is 604218.") == 200
        tfa = s.wait_for_tfa_code(timeout=10, since=since)
        assert tfa is not None and tfa.code is not None
        assert (tfa.code.expose(), tfa.channel) == ("604218", "sms")
        assert s.wait_for_tfa_code(timeout=0) is None


def test_a_timeout_returns_none(owner: Owner) -> None:
    owner.put("mail", "EMAIL")
    with owner.client.session("mail") as s:
        started = time.monotonic()
        assert s.wait_for_tfa_code(timeout=1.5) is None
        assert 1.5 <= time.monotonic() - started < 6
        with pytest.raises(ValueError):
            s.wait_for_tfa_code(timeout=-1)


def test_two_waiters_one_code(vault: Vault, owner: Owner) -> None:
    address = owner.put("mail", "EMAIL")
    with owner.client.session("mail") as s:
        got: list[sv.TfaCode | None] = []

        def wait() -> None:
            got.append(s.wait_for_tfa_code(timeout=4))

        waiters = [threading.Thread(target=wait) for _ in range(2)]
        for w in waiters:
            w.start()
        time.sleep(1)
        assert post_email(vault, address, "551902") == 202
        for w in waiters:
            w.join()
        codes = [g.code.expose() for g in got if g is not None and g.code is not None]
        assert codes == ["551902"], got


def test_ambiguous_recipient_is_a_conflict(vault: Vault, owner: Owner) -> None:
    # A user's SMS credentials share its number; both logging in at once.
    number = owner.put("a", "SMS")
    assert owner.put("b", "SMS") == number
    with owner.client.session("a") as a, owner.client.session("b"):
        since = int(time.time())
        assert post_sms(vault, number, "Your verification code is 902211.") == 202
        with pytest.raises(sv.ConflictError) as raised:
            a.wait_for_tfa_code(timeout=5, since=since)
        assert raised.value.code == "ambiguous_recipient"
        assert raised.value.status == 409
        assert "902211" not in str(raised.value)


def test_login_phase_only(owner: Owner) -> None:
    owner.put("mail", "EMAIL")
    with owner.client.session("mail") as s:
        s.login_complete()
        with pytest.raises(sv.LeaseError) as raised:
            s.wait_for_tfa_code(timeout=0)
        assert raised.value.code == "lease_required"

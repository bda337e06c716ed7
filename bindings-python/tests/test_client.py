"""sv.Client against a real `sealvault-server` process (SQLite and PostgreSQL, ephemeral port).

The binary comes from $SEALVAULT_SERVER_BIN (`make test-python` builds it and
sets it). Without it these tests skip with a reason, or fail when
SEALVAULT_EXPECT_INSTALLED=1.
"""

from __future__ import annotations

import base64
import os
import secrets
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

import sealvault as sv

if TYPE_CHECKING:
    from conftest import Vault

LOGIN_URL = "https://portal.acme.test/login"
OWNER_SCOPES = ["keys:use", "keys:rotate", "secrets:write"]
AGENT_SCOPES = ["secrets:access", "sessions"]


@pytest.fixture(scope="module")
def admin(vault: Vault) -> sv.Client:
    return sv.Client(vault.url, vault.admin_token)


@dataclass
class User:
    id: str
    owner: sv.Client
    agent: sv.Client
    key: sv.DataKey


@pytest.fixture
def user(vault: Vault, admin: sv.Client) -> User:
    """A fresh user with an owner and an agent token and a data key."""
    user_id = admin.create_user("pytest")["id"]
    owner = sv.Client(vault.url, admin.create_token(user_id, "owner", OWNER_SCOPES)["token"])
    agent = sv.Client(vault.url, admin.create_token(user_id, "agent", AGENT_SCOPES)["token"])
    return User(user_id, owner, agent, owner.create_data_key())


def config(**extra: Any) -> dict[str, Any]:
    return {"name": "acme-portal", "login_url": LOGIN_URL, **extra}


SINGLE = {"concurrency": {"allow_multiple": False}}


def random_totp() -> sv.Totp:
    return sv.Totp(base64.b32encode(secrets.token_bytes(20)).decode())


# --- unauthenticated and admin routes ------------------------------------------------


def test_server_routes(admin: sv.Client, vault: Vault) -> None:
    assert admin.healthz() == {"status": "ok"}
    meta = admin.meta()
    assert meta["version"] and meta["limits"]["credential_body_bytes"] > 0
    assert "/v1/meta" in admin.openapi()["paths"]
    assert isinstance(admin.metrics(), str)
    me = admin.me()
    assert me["user_id"] is None and "admin" in me["scopes"]
    assert admin.base_url.startswith(vault.url)


def test_users_and_tokens(vault: Vault, admin: sv.Client) -> None:
    created_user = admin.create_user("tokens")
    assert set(created_user) >= {"id", "name"} and created_user["name"] == "tokens"
    uid = created_user["id"]
    created = admin.create_token(uid, "agent", AGENT_SCOPES, items=["acme", "shop*"], ttl_secs=600)
    token = created["token"]
    assert isinstance(token, sv.SecretStr) and len(token.expose()) >= 16
    assert token.expose() not in repr(created) and "[redacted]" in repr(created)
    assert created["scopes"] == AGENT_SCOPES and created["items"] == ["acme", "shop*"]
    assert created["expires_at"] > time.time()

    agent = sv.Client(vault.url, token)
    me = agent.me()
    assert (me["user_id"], me["token_id"], me["items"]) == (uid, created["id"], ["acme", "shop*"])
    assert agent.user_id() == uid

    listed = admin.list_tokens(uid)
    assert [t["id"] for t in listed] == [created["id"]]
    assert "token" not in listed[0] and listed[0]["revoked_at"] is None
    assert token.expose() not in repr(listed)

    admin.revoke_token(uid, created["id"])
    assert admin.list_tokens(uid)[0]["revoked_at"] is not None
    with pytest.raises(sv.AuthError) as raised:
        agent.me()
    assert (raised.value.status, raised.value.code) == (401, "unauthorized")

    with pytest.raises(sv.InvalidRequestError):
        admin.create_token(uid, "bad", ["root"])


def test_data_keys(user: User) -> None:
    first = user.key
    assert user.owner.current_data_key() == first and user.owner.data_key() == first
    with pytest.raises(sv.ConflictError) as raised:
        user.owner.create_data_key()
    assert (raised.value.status, raised.value.code) == (409, "data_key_exists")

    user.owner.put_credential("acme", username="a", password="p", config=config())
    rotated = user.owner.rotate_data_key(first.key_id)
    assert rotated["key_id"] != first.key_id and rotated["reencrypted"] >= 1
    assert user.owner.current_data_key().key_id == rotated["key_id"]
    assert user.owner.data_key().key_id == rotated["key_id"]  # the cache was dropped
    assert user.owner.get_credential("acme")["key_id"] == rotated["key_id"]

    with pytest.raises(sv.StaleDataKeyError) as stale:
        user.owner.rotate_data_key(first.key_id)
    assert (stale.value.status, stale.value.current_key_id) == (409, rotated["key_id"])


def test_credentials_crud_and_tombstone(user: User) -> None:
    owner = user.owner
    totp = random_totp()
    written = owner.put_credential(
        "acme", username="alice", password="hunter2", fields={"pin": "1234"}, totp=totp, config=config()
    )
    assert (written["id"], written["version"], written["key_id"]) == ("acme", 1, user.key.key_id)

    item = owner.get_credential("acme")
    assert isinstance(item["envelope"], bytes) and isinstance(item["totp_envelope"], bytes)
    assert item["config"] == config() and item["version"] == 1
    # The envelope is sealed here, under the user's key, for exactly this item.
    expected = sv.item_context("credential", user.id, "acme", 1, config())
    with sv.open(user.key, item["envelope"], expected) as plaintext:
        assert b'"hunter2"' in plaintext.expose() and b'"pin"' in plaintext.expose()
    seed = sv.open(user.key, item["totp_envelope"], sv.item_context("totp-seed", user.id, "acme", 1))
    assert sv.Totp.from_uri(seed.expose().decode()).at(59) == totp.at(59)

    with pytest.raises(sv.ConflictError) as exists:
        owner.put_credential("acme", username="x", password="y", config=config())
    assert (exists.value.status, exists.value.code, exists.value.current_version) == (409, "version_conflict", 1)

    replaced = owner.replace_credential(
        "acme", 1, username="alice", password=sv.SecretStr("n3w"), config=config(), totp=totp.to_uri()
    )
    assert replaced["version"] == 2
    with pytest.raises(sv.ConflictError) as stale:
        owner.replace_credential("acme", 1, username="alice", password="n3w", config=config())
    assert stale.value.current_version == 2
    assert [c["id"] for c in owner.list_credentials()] == ["acme"]
    assert "envelope" not in owner.list_credentials()[0]

    with pytest.raises(sv.ConflictError):
        owner.delete_credential("acme", 1)
    owner.delete_credential("acme", 2)
    with pytest.raises(sv.NotFoundError) as gone:
        owner.get_credential("acme")
    assert (gone.value.status, gone.value.code) == (404, "not_found")
    assert owner.list_credentials() == []

    # Re-creating continues from the tombstone: an old envelope can never be replayed.
    again = owner.put_credential("acme", username="alice", password="p3", config=config())
    assert again["version"] == 3

    # Envelopes sealed by the caller.
    cfg = config(name="self-sealed")
    env = sv.seal_item(
        user.key, kind="credential", user=user.id, item="own", version=1, config=cfg,
        plaintext=b'{"username":"u","password":"p","fields":{}}',
    )
    assert owner.put_credential_envelopes("own", envelope=env, config=cfg, expected_version=0)["version"] == 1
    assert owner.get_credential("own")["totp_envelope"] is None


def test_invalid_input_is_typed(user: User) -> None:
    with pytest.raises(sv.InvalidRequestError) as bad_config:
        user.owner.put_credential("acme", username="a", password="p", config={"login_url": LOGIN_URL})
    assert bad_config.value.code == "invalid_config"
    with pytest.raises(sv.InvalidRequestError):
        user.owner.put_credential("-bad id", username="a", password="p", config=config())
    with pytest.raises(sv.InvalidTotpError):
        user.owner.put_credential("acme", username="a", password="p", config=config(), totp="otpauth://nope")
    with pytest.raises(TypeError):
        user.owner.put_credential("acme", username="a", password=b"p", config=config())  # type: ignore[arg-type]
    with pytest.raises(sv.InvalidRequestError):
        user.agent.session("acme", purpose="steal")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        user.agent.session("acme", wait=-1)


# --- sessions ---------------------------------------------------------------------------


def test_session_access_origin_and_phases(user: User) -> None:
    user.owner.put_credential(
        "acme", username="alice@acme.test", password="hunter2", fields={"pin": "1234"}, config=config()
    )
    with user.agent.session("acme") as s:
        assert (s.item, s.purpose, s.phase, s.released) == ("acme", "login", "login", False)
        assert s.fencing_token >= 1 and s.expires_at > time.time() and s.session_id
        assert s.state_key == sv.state_key(user.key, user.id, "acme")
        assert s.lost is None
        cred = s.access()
        assert cred.username == "alice@acme.test" and cred.login_url == LOGIN_URL
        assert isinstance(cred.password, sv.SecretStr)
        assert cred.password == "hunter2" and cred.password.expose() == "hunter2"
        assert set(cred.fields) == {"pin"} and cred.fields["pin"].expose() == "1234"
        cred.check_origin("https://portal.acme.test/other?x=1")
        for bad in ("http://portal.acme.test/login", "https://portal.acme.test.evil.test/login", "nope"):
            with pytest.raises(sv.InvalidRequestError) as refused:
                cred.check_origin(bad)
            assert refused.value.code == "invalid_request" and refused.value.status is None
        with cred:
            pass
        assert cred.password.closed and cred.fields["pin"].closed
        with pytest.raises(ValueError):
            cred.password.expose()

        s.heartbeat()
        s.login_complete()
        assert s.phase == "active"
        with pytest.raises(sv.LeaseError) as after_login:
            s.access()
        assert (after_login.value.status, after_login.value.code) == (409, "lease_required")
    assert s.released
    with pytest.raises(ValueError):
        s.access()
    s.release()  # idempotent

    with user.agent.session("acme", purpose="use", ttl=30) as use:
        assert (use.purpose, use.phase) == ("use", "active")
        with pytest.raises(sv.LeaseError):
            use.access()


def test_totp_matches_client_side(user: User) -> None:
    totp = random_totp()
    user.owner.put_credential("acme", username="a", password="p", totp=totp, config=config())
    with user.agent.session("acme") as s:
        code = s.totp(min_validity=3)
        assert isinstance(code.code, sv.SecretStr) and 3 <= code.seconds_left <= 30
        assert totp.verify(code.code.expose(), window=1) is not None
        assert code.code.expose() not in repr(code)


def test_session_releases_on_exit_and_on_exception(user: User) -> None:
    user.owner.put_credential("acme", username="a", password="p", config=config(**SINGLE))
    held = user.agent.session("acme", wait=0)
    with pytest.raises(sv.LeaseError) as busy:  # control: one lease at a time
        user.agent.session("acme", wait=0)
    assert (busy.value.status, busy.value.code) == (409, "concurrency_limit")
    held.release()
    assert held.released

    with user.agent.session("acme", wait=0) as s:
        s.login_complete()
    with user.agent.session("acme", wait=0):  # released on normal exit
        pass

    class Boom(Exception):
        pass

    with pytest.raises(Boom), user.agent.session("acme", wait=0):
        raise Boom
    with user.agent.session("acme", wait=5) as again:  # released on the exception too
        assert again.phase == "login"


def test_session_released_when_garbage_collected(user: User) -> None:
    user.owner.put_credential("acme", username="a", password="p", config=config(**SINGLE))
    forgotten = user.agent.session("acme", wait=0)
    del forgotten
    with user.agent.session("acme", wait=5):
        pass


def test_login_in_progress_is_423(user: User) -> None:
    concurrency = {"allow_multiple": True, "prevent_concurrency_during_login": True}
    user.owner.put_credential("acme", username="a", password="p", config=config(concurrency=concurrency))
    with user.agent.session("acme"):
        with pytest.raises(sv.LeaseError) as raised:
            user.agent.session("acme", purpose="use", wait=0)
        assert (raised.value.status, raised.value.code) == (423, "login_in_progress")


def test_gil_released_during_long_poll(user: User) -> None:
    user.owner.put_credential("acme", username="a", password="p", config=config(**SINGLE))
    held = user.agent.session("acme")
    ticks = 0
    stop = threading.Event()

    def count() -> None:
        nonlocal ticks
        while not stop.is_set():
            ticks += 1

    counter = threading.Thread(target=count)
    # Pure-Python threads: if acquire held the GIL, neither could run, the
    # lease would never be released and the wait would time out.
    releaser = threading.Timer(1.0, held.release)
    counter.start()
    releaser.start()
    started = time.monotonic()
    try:
        with user.agent.session("acme", wait=20) as s:
            waited = time.monotonic() - started
            before = ticks
            assert s.phase == "login"
    finally:
        stop.set()
        counter.join()
        releaser.join()
    assert 0.8 <= waited < 15
    assert before > 10_000, f"the counter thread barely ran ({before} ticks) during the long poll"


# --- errors -----------------------------------------------------------------------------


def test_auth_errors_and_not_found(vault: Vault, user: User) -> None:
    with pytest.raises(sv.AuthError) as unauthorized:
        sv.Client(vault.url, "not-a-token").me()
    assert (unauthorized.value.status, unauthorized.value.code) == (401, "unauthorized")
    assert isinstance(unauthorized.value, sv.ApiError) and unauthorized.value.message

    with pytest.raises(sv.AuthError) as forbidden:
        user.agent.create_user("nope")
    assert (forbidden.value.status, forbidden.value.code) == (403, "forbidden")

    with pytest.raises(sv.NotFoundError) as missing:
        user.owner.get_credential("missing")
    assert missing.value.status == 404
    with pytest.raises(sv.NotFoundError):
        user.agent.session("missing", wait=0)


def test_payload_too_large_is_413(user: User, admin: sv.Client) -> None:
    limit = admin.meta()["limits"]["credential_body_bytes"]
    with pytest.raises(sv.InvalidRequestError) as raised:
        user.owner.put_credential("big", username="a", password="x" * (limit + 1), config=config())
    assert (raised.value.status, raised.value.code) == (413, "payload_too_large")


def test_transport_error() -> None:
    client = sv.Client("http://127.0.0.1:9", "token", timeout=2.0, max_retries=0)
    with pytest.raises(sv.TransportError) as raised:
        client.healthz()
    err = raised.value
    assert (err.code, err.status, err.sent) == ("transport", None, False)
    assert isinstance(err, ConnectionError) and isinstance(err, sv.SealVaultError)
    assert not isinstance(err, sv.ApiError)
    with pytest.raises(sv.InvalidRequestError):
        sv.Client("ftp://example.test", "token")


def test_audit(admin: sv.Client, user: User) -> None:
    user.owner.put_credential("acme", username="a", password="p", config=config())
    with user.agent.session("acme") as s:
        s.access()
        s.login_complete()
    own = user.owner.audit()["items"]
    assert own and {r["user_id"] for r in own} == {user.id}
    assert any(r["item_id"] == "acme" for r in own)
    assert len(admin.audit()["items"]) >= len(own)


# --- secrets never show -----------------------------------------------------------------


def test_no_secret_in_reprs(vault: Vault, admin: sv.Client, user: User) -> None:
    token = admin.create_token(user.id, "t", AGENT_SCOPES)["token"]
    shown = [repr(token), str(token), f"{token}", repr(sv.Client(vault.url, token)), repr(admin)]
    user.owner.put_credential("acme", username="alice", password="hunter2", fields={"pin": "9876"}, config=config())
    with user.agent.session("acme") as s:
        cred = s.access()
        shown += [repr(s), repr(cred), str(cred), repr(cred.password), str(cred.fields), repr(s.state_key)]
    text = " ".join(shown)
    for secret in (token.expose(), vault.admin_token, "hunter2", "9876"):
        assert secret not in text
    assert "alice" in repr(cred) and "pin" in repr(cred)
    secret = sv.SecretStr("s3cr3t")
    assert repr(secret) == str(secret) == "SecretStr([redacted])" and len(secret) == 6
    assert secret == "s3cr3t" and secret == sv.SecretStr("s3cr3t") and secret != "other"
    with secret:
        pass
    assert secret.closed and repr(secret) == "SecretStr([closed])"


# --- the example ------------------------------------------------------------------------


def test_quickstart_example(vault: Vault, repo: Path) -> None:
    script = repo / "examples" / "python" / "quickstart.py"
    env = dict(os.environ, SEALVAULT_SERVER_BIN=vault.binary)
    env.pop("SEALVAULT_URL", None)
    done = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "quickstart finished: every step passed" in done.stdout
    assert "origin check: login page accepted, look-alike page refused" in done.stdout

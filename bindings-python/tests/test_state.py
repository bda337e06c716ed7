"""Session state through sv.Session (save_state / load_state / delete_state)
against a real `sealvault-server` (SQLite and PostgreSQL): round trip,
persistence flags, fencing and version conflicts, typed errors, nothing
secret in repr or in the vault's log."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

import sealvault as sv

if TYPE_CHECKING:
    from conftest import Vault

ALL_FLAGS = {"session_persistence": {"cookies": True, "local_storage": True, "session_storage": True}}


def state() -> dict[str, Any]:
    return {
        "cookies": [
            {"name": "sid", "value": "cookie-secret-py", "domain": "acme.test", "path": "/",
             "expires": -1, "httpOnly": True, "secure": False, "sameSite": "Lax"},
            {"name": "keep", "value": "persistent-py", "domain": "acme.test", "path": "/",
             "expires": 4000000000.5, "httpOnly": False, "secure": True, "sameSite": "None",
             "partitionKey": "http://acme.test"},
        ],
        "origins": [{"origin": "http://acme.test",
                     "localStorage": [{"name": "ls", "value": "local-secret-py"}],
                     "sessionStorage": [{"name": "ss", "value": "session-secret-py"}]}],
    }


@pytest.fixture
def owner(vault: Vault) -> sv.Client:
    admin = sv.Client(vault.url, vault.admin_token)
    user_id = admin.create_user("state")["id"]
    scopes = ["keys:use", "keys:rotate", "secrets:write", "secrets:access", "sessions"]
    owner = sv.Client(vault.url, admin.create_token(user_id, "owner", scopes)["token"])
    owner.create_data_key()
    return owner


def put(owner: sv.Client, **extra: Any) -> None:
    owner.put_credential("acme", username="a", password="b",
                         config={"name": "acme", "login_url": "http://acme.test/login", **extra})


def test_round_trip_and_delete(owner: sv.Client, vault: Vault) -> None:
    put(owner, **ALL_FLAGS)
    with owner.session("acme", "use") as s:
        assert s.config["session_persistence"]["session_storage"] is True
        assert s.load_state() is None
        written = s.save_state(state())
        assert written["version"] == 1 and set(written) >= {"key_id", "created_at", "last_used_at"}
        assert s.load_state() == state()
        assert s.save_state(state())["version"] == 2
        s.delete_state()
        assert s.load_state() is None
        assert s.save_state(state())["version"] == 3, "versions outlive a delete"
    log = "".join(vault.log)
    for secret in ("cookie-secret-py", "local-secret-py", "session-secret-py"):
        assert secret not in log


def test_flags_are_honoured(owner: sv.Client) -> None:
    put(owner, session_persistence={"cookies": False, "local_storage": True, "session_storage": False})
    with owner.session("acme", "use") as s:
        s.save_state(state())
        loaded = s.load_state()
    assert loaded == {"cookies": [], "origins": [{"origin": "http://acme.test",
                                                   "localStorage": [{"name": "ls", "value": "local-secret-py"}],
                                                   "sessionStorage": []}]}


def test_conflicts_are_typed(owner: sv.Client) -> None:
    put(owner)
    older = owner.session("acme", "use")
    newer = owner.session("acme", "use")
    assert older.load_state() is None and newer.load_state() is None
    older.save_state(state())
    with pytest.raises(sv.ConflictError) as conflict:
        newer.save_state(state())
    assert conflict.value.code == "version_conflict"
    assert newer.load_state() is not None
    newer.save_state(state())
    with pytest.raises(sv.LeaseError) as fenced:
        older.save_state(state())
    assert fenced.value.code == "stale_fencing_token"
    older.release()
    newer.release()


def test_bad_state_is_refused(owner: sv.Client) -> None:
    put(owner)
    with owner.session("acme", "use") as s:
        with pytest.raises(sv.InvalidRequestError) as bad:
            s.save_state({"cookies": [{"name": "n", "value": 1234567}]})
        assert "1234567" not in str(bad.value)
        with pytest.raises(TypeError):
            s.save_state({"cookies": [object()]})
        assert s.load_state() is None, "nothing stored"

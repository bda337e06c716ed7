"""Proxy resolution through sv.Session.resolve_proxy against a real
`sealvault-server` (SQLite and PostgreSQL) whose pool has one member
(`par-1`, see conftest): the credential's member, the workflow proxy, none,
UnavailableError when the pool has nothing healthy, and no proxy password
in repr."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import urllib.request

import pytest
from conftest import POOL_PASSWORD

import sealvault as sv

if TYPE_CHECKING:
    from conftest import Vault

WORKFLOW = {"url": "http://w:wf-secret@wf.example:8080", "ip": "192.0.2.50"}


def owner_with(vault: Vault, proxy: dict[str, Any]) -> sv.Client:
    admin = sv.Client(vault.url, vault.admin_token)
    user_id = admin.create_user("proxy")["id"]
    scopes = ["keys:use", "secrets:write", "secrets:access", "sessions"]
    owner = sv.Client(vault.url, admin.create_token(user_id, "owner", scopes)["token"])
    owner.create_data_key()
    owner.put_credential("acme", username="a", password="b",
                         config={"name": "acme", "login_url": "http://acme.test/login", "proxy": proxy})
    return owner


def test_credential_member_wins_over_the_workflow_proxy(vault: Vault) -> None:
    owner = owner_with(vault, {"enabled": True, "target_ip": "198.51.100.77"})
    with owner.session("acme", "use") as s:
        answer = s.resolve_proxy(WORKFLOW)
        assert answer["source"] == "credential"
        proxy = answer["proxy"]
        assert proxy["id"] == "par-1" and proxy["ip"] == "198.51.100.10"
        assert isinstance(proxy["url"], sv.SecretStr)
        assert POOL_PASSWORD in proxy["url"].expose()
        assert POOL_PASSWORD not in repr(answer)
        # Sticky: the same member on the next call.
        assert s.resolve_proxy()["proxy"]["id"] == "par-1"


def test_workflow_proxy_then_none(vault: Vault) -> None:
    owner = owner_with(vault, {"enabled": False})
    with owner.session("acme", "use") as s:
        answer = s.resolve_proxy(WORKFLOW)
        assert answer["source"] == "workflow"
        assert answer["proxy"]["id"] is None
        assert answer["proxy"]["url"].expose() == WORKFLOW["url"]
        assert "wf-secret" not in repr(answer)
        assert s.resolve_proxy() == {"source": "none", "proxy": None}


def test_nothing_healthy_is_unavailable(vault: Vault) -> None:
    owner = owner_with(vault, {"enabled": True})

    # The admin route over plain HTTP: the SDK has no call for it.
    def mark(healthy: bool) -> None:
        request = urllib.request.Request(
            f"{vault.url}/v1/admin/proxies/par-1/health", method="POST",
            data=(b'{"healthy": true}' if healthy else b'{"healthy": false}'),
            headers={"Authorization": f"Bearer {vault.admin_token}", "Content-Type": "application/json"})
        with urllib.request.urlopen(request) as response:
            assert response.status == 204

    mark(False)
    try:
        with owner.session("acme", "use") as s:
            with pytest.raises(sv.UnavailableError) as caught:
                s.resolve_proxy(WORKFLOW)
            assert caught.value.code == "proxy_unavailable" and caught.value.status == 503
    finally:
        mark(True)

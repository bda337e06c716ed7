"""The README's Python blocks run as written, against the installed package.

Blocks fenced ```` ```python vault ```` need a vault: they run against the test
server (see conftest.py) with SEALVAULT_URL, SEALVAULT_OWNER_TOKEN and
SEALVAULT_AGENT_TOKEN set for a fresh user that has a data key.
"""

from __future__ import annotations

import os
import pathlib
import re
from typing import TYPE_CHECKING

import pytest

import sealvault as sv

if TYPE_CHECKING:
    from conftest import Vault


def _readme() -> pathlib.Path:
    testdata = os.environ.get("SEALVAULT_TESTDATA")
    root = pathlib.Path(testdata).parent if testdata else pathlib.Path(__file__).resolve().parents[2]
    return root / "README.md"


TEXT = _readme().read_text(encoding="utf-8")
BLOCKS = re.findall(r"```python\n(.*?)```", TEXT, re.S)
VAULT_BLOCKS = re.findall(r"```python vault\n(.*?)```", TEXT, re.S)


def test_readme_has_python_blocks() -> None:
    assert BLOCKS, "README.md lost its Python usage block"
    assert VAULT_BLOCKS, "README.md lost its Python client block"


@pytest.mark.parametrize("block", BLOCKS)
def test_readme_block_runs(block: str) -> None:
    exec(compile(block, "README.md", "exec"), {"__name__": "readme"})


@pytest.mark.parametrize("block", VAULT_BLOCKS)
def test_readme_vault_block_runs(block: str, vault: Vault, monkeypatch: pytest.MonkeyPatch) -> None:
    admin = sv.Client(vault.url, vault.admin_token)
    user = admin.create_user("readme")["id"]
    owner = admin.create_token(user, "owner", ["keys:use", "secrets:write"])["token"]
    agent = admin.create_token(user, "agent", ["secrets:access", "sessions"], items=["acme"])["token"]
    sv.Client(vault.url, owner).create_data_key()
    monkeypatch.setenv("SEALVAULT_URL", vault.url)
    monkeypatch.setenv("SEALVAULT_OWNER_TOKEN", owner.expose())
    monkeypatch.setenv("SEALVAULT_AGENT_TOKEN", agent.expose())
    scope: dict[str, object] = {"__name__": "readme"}
    exec(compile(block, "README.md", "exec"), scope)
    assert scope["cred"].password == "hunter2"  # type: ignore[attr-defined]

"""The DESIGN §11 flows, the example, and the typing checks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import sealvault as sv

CONFIG = {"name": "acme", "login_url": "https://acme.test/login", "tfa": {"method": "AUTHENTICATOR"}}


def test_installed_not_source_tree(repo: Path) -> None:
    # `make test-python` runs against the installed wheel, never python/.
    if os.environ.get("SEALVAULT_EXPECT_INSTALLED") == "1":
        assert repo / "bindings-python" not in Path(sv.__file__).resolve().parents
    assert Path(sv._native.__file__).suffix in {".so", ".pyd"}
    assert sv.__version__.count(".") == 2


def test_item_flow() -> None:
    dk = sv.DataKey.generate()
    env = sv.seal_item(
        dk, kind="credential", user="usr_1", item="acme", version=3, config=CONFIG, plaintext=b"{}", extra={"t": "1"}
    )
    header = sv.inspect(env)
    assert header["key_id"] == dk.key_id
    assert header["context"] == {
        "sv:user": "usr_1",
        "sv:item": "acme",
        "sv:kind": "credential",
        "sv:version": "3",
        "sv:config": sv.config_hash(CONFIG),
        "t": "1",
    }
    expected = sv.item_context("credential", "usr_1", "acme", 3, CONFIG)
    assert sv.open(dk, env, expected) == b"{}"
    for changed in (dict(CONFIG, login_url="https://evil.test/"), {"name": "acme"}):
        with pytest.raises(sv.ContextMismatchError):
            sv.open(dk, env, sv.item_context("credential", "usr_1", "acme", 3, changed))
    with pytest.raises(sv.InvalidRequestError):
        sv.seal_item(dk, kind="totp-seed", user="u", item="i", version=1, plaintext=b"", extra={"sv:x": "1"})
    with pytest.raises(sv.InvalidRequestError):
        sv.item_context("totp-seed", "u", "i", 0)


def test_state_key_flow() -> None:
    dk = sv.DataKey.generate()
    sk = sv.state_key(dk, "usr_1", "acme")
    assert sk.key_id == dk.key_id and sk != dk
    env = sv.seal_item(sk, kind="session-state", user="usr_1", item="acme", version=1, plaintext=b"{}")
    assert sv.open(sk, env, sv.item_context("session-state", "usr_1", "acme", 1)) == b"{}"
    with pytest.raises(sv.CommitmentError):
        sv.open(dk, env)


def test_config_hash_is_canonical() -> None:
    a = {"name": "x", "n": 1.0, "list": [True, None, "é"]}
    b = {"list": [True, None, "é"], "n": 1, "name": "x"}
    assert sv.config_hash(a) == sv.config_hash(b)
    assert sv.config_hash({"l": (1, 2)}) == sv.config_hash({"l": [1, 2]})
    with pytest.raises(sv.InvalidRequestError):
        sv.config_hash([1, 2])  # a config is a JSON object
    assert len(sv.config_hash({"name": "x", "big": 2**53})) == 64
    for big in (2**53 + 1, -(2**53) - 1, 2**64):  # JSON numbers every SDK reads exactly
        with pytest.raises(sv.InvalidRequestError):
            sv.config_hash({"big": big})
    nested: dict[str, object] = {}
    nested["self"] = nested
    with pytest.raises(ValueError):
        sv.config_hash(nested)


def test_totp_surface() -> None:
    t = sv.Totp("JBSWY3DPEHPK3PXP", digits=8, period=60, algorithm="SHA256", issuer="ACME", account="jo")
    assert (t.digits, t.period, t.algorithm, t.issuer, t.account, t.t0, t.is_steam) == (
        8,
        60,
        "SHA256",
        "ACME",
        "jo",
        0,
        False,
    )
    assert sv.Totp.from_uri(t.to_uri()).at(1_700_000_000) == t.at(1_700_000_000)
    assert len(t.now()) == 8 and 1 <= t.seconds_left() <= 60
    assert t.verify(t.at(1_700_000_000), 1_700_000_000 + 60) == 1_700_000_000 // 60
    assert t.verify(t.at(1_700_000_000), 1_700_000_000 + 120, window=1) is None
    assert t.verify("00000000", 1_700_000_000, window=0) in (None, 1_700_000_000 // 60)
    cwv = t.code_with_validity(30, 1_700_000_000 - 1_700_000_000 % 60 + 50)
    assert cwv.wait_secs == 10 and cwv.valid_for_secs == 60
    assert sv.Totp.steam("Z3ZBVSU5ZE7PW3276QDB5KZKFAMT7Y4L").at(1616374841) == "2F9J5"


def test_now_follows_time_time(monkeypatch: pytest.MonkeyPatch) -> None:
    t = sv.Totp("JBSWY3DPEHPK3PXP")
    monkeypatch.setattr("time.time", lambda: 1_700_000_005.9)
    assert t.now() == t.at(1_700_000_005)
    assert t.seconds_left() == 30 - 1_700_000_005 % 30 and t.step() == 1_700_000_005 // 30
    assert t.verify(t.at(1_700_000_005)) == 1_700_000_005 // 30
    ready = t.code_with_validity(10)  # 5 s left: the next code, after a 5 s wait
    assert (ready.code, ready.wait_secs) == (t.at(1_700_000_005 + 30), 5)


def test_example_runs(repo: Path) -> None:
    out = subprocess.run(
        [sys.executable, str(repo / "examples/python/seal_open.py")], capture_output=True, text=True, check=True
    ).stdout
    assert "opened: SecretBytes([redacted]" in out and "code 'integrity'" in out
    assert "hunter2" not in out


def _has_mypy() -> bool:
    try:
        import mypy  # noqa: F401
    except ImportError:
        return False
    return True


needs_mypy = pytest.mark.skipif(not _has_mypy(), reason="mypy not installed")


@needs_mypy
def test_stubtest() -> None:
    """The stubs match the compiled module (mypy.stubtest)."""
    result = subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "sealvault._native", "--mypy-config-file", os.devnull],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@needs_mypy
def test_mypy_strict_on_example(repo: Path, tmp_path: Path) -> None:
    """`import sealvault` is typed: mypy --strict passes on the examples and
    catches a misuse."""
    bad = tmp_path / "bad.py"
    bad.write_text("import sealvault as sv\nsv.seal(sv.DataKey.generate(), 'text')\nx: int = sv.Totp('A').now()\n")
    ok = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental"]
        + [str(repo / "examples/python" / name) for name in ("seal_open.py", "quickstart.py")],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert ok.returncode == 0, ok.stdout + ok.stderr
    wrong = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(bad)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert wrong.returncode == 1 and "bad.py:2" in wrong.stdout and "bad.py:3" in wrong.stdout, wrong.stdout

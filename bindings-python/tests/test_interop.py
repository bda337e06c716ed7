"""Cross-language: envelopes sealed here open in Rust, and the reverse.

Talks to the core's interop driver (core/examples/interop.rs): the binary
named by SEALVAULT_INTEROP (make test-python builds it), else
`cargo run -p sealvault --example interop --features hazmat` in the repo.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

import sealvault as sv

KEY_ID, KEY = bytes(range(16)), bytes(range(32, 64))
DK = sv.DataKey.from_bytes(KEY_ID, KEY)
CONFIG = {"name": "acme", "login_url": "https://acme.test/login", "tfa": {"method": "TOTP"}, "n": 1.5}


def rust(repo: Path, op: str, cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    binary = os.environ.get("SEALVAULT_INTEROP")
    if binary:
        command = [binary]
    elif shutil.which("cargo"):
        command = ["cargo", "run", "-q", "-p", "sealvault", "--example", "interop", "--features", "hazmat"]
    else:
        pytest.skip("no interop driver: set SEALVAULT_INTEROP or install cargo")
    out = subprocess.run(
        command, input=json.dumps({"op": op, "cases": cases}), capture_output=True, text=True, cwd=repo, check=True
    )
    results: list[dict[str, Any]] = json.loads(out.stdout)["results"]
    assert len(results) == len(cases)
    return results


def key_fields() -> dict[str, str]:
    return {"key_id": KEY_ID.hex(), "key": KEY.hex()}


def test_python_envelopes_open_in_rust(repo: Path) -> None:
    sk = sv.state_key(DK, "usr_1", "acme")
    sk_bytes = bytes.fromhex(rust(repo, "state_key", [dict(key_fields(), user="usr_1", item="acme")])[0]["state_key"])
    assert sk == sv.DataKey.from_bytes(KEY_ID, sk_bytes)
    sealed = [
        (key_fields(), sv.seal(DK, b"plain", {"tenant": "t1", "\u00e9": ""}), {"tenant": "t1"}, b"plain"),
        (key_fields(), sv.seal(DK, b""), {}, b""),
        (key_fields(), sv.seal(DK, os.urandom(100_000)), {}, None),
        (
            key_fields(),
            sv.seal_item(DK, kind="credential", user="usr_1", item="acme", version=2, config=CONFIG, plaintext=b"{}"),
            sv.item_context("credential", "usr_1", "acme", 2, CONFIG),
            b"{}",
        ),
        (
            {"key_id": KEY_ID.hex(), "key": sk_bytes.hex()},
            sv.seal_item(sk, kind="session-state", user="usr_1", item="acme", version=1, plaintext=b"state"),
            sv.item_context("session-state", "usr_1", "acme", 1),
            b"state",
        ),
    ]
    cases = [dict(key, envelope=env.hex(), expected_context=ctx) for key, env, ctx, _ in sealed]
    results = rust(repo, "open", cases)
    for (_, env, _, plaintext), result in zip(sealed, results):
        assert result["ok"], result
        assert bytes.fromhex(result["plaintext"]) == (plaintext if plaintext is not None else sv.open(DK, env).expose())
    # Rust derives the same envelope keys, and a tampered Python envelope fails there with the same code.
    eks = rust(repo, "envelope_key", [dict(key_fields(), envelope=sealed[0][1].hex())])
    assert sv.envelope_key(DK, sealed[0][1]) == bytes.fromhex(eks[0]["envelope_key"])
    tampered = bytearray(sealed[0][1])
    tampered[-1] ^= 1
    failed = rust(repo, "open", [dict(key_fields(), envelope=tampered.hex(), expected_context={})])[0]
    assert (failed["ok"], failed["code"]) == (False, "integrity")


def test_rust_envelopes_open_in_python(repo: Path) -> None:
    plaintexts = [b"", b"x", os.urandom(5000)]
    results = rust(
        repo, "seal", [dict(key_fields(), plaintext=p.hex(), context={"tenant": "t1"}) for p in plaintexts]
    )
    for plaintext, result in zip(plaintexts, results):
        assert result["ok"], result
        assert sv.open(DK, bytes.fromhex(result["envelope"]), {"tenant": "t1"}) == plaintext
    hashes = rust(repo, "config_hash", [{"config": CONFIG}, {"config": {"name": "ü", "a": [1, None, True]}}])
    assert [h["sha256"] for h in hashes] == [sv.config_hash(CONFIG), sv.config_hash({"name": "ü", "a": [1, None, True]})]

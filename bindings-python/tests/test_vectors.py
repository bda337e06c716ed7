"""The shared vectors of testdata/ (DESIGN §10.4), opened from Python.

Exact sealing bytes are the Rust suite's job (the public API draws salt and
nonce itself); here every case is opened and must give its plaintext or
exactly its error class and code.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

import sealvault as sv
from conftest import load

ENVELOPES = load("envelope-v1.json")
TOTP = load("totp.json")

CLASS_OF = {code: cls for code, (_, cls) in sv.errors.CODES.items()}


def data_key(case: dict[str, Any]) -> sv.DataKey:
    key = case["key"]
    return sv.DataKey.from_bytes(bytes.fromhex(key["key_id"]), bytes.fromhex(key["key"]))


def open_case(case: dict[str, Any]) -> sv.SecretBytes:
    envelope = bytes.fromhex(case["envelope"])
    expected = case["expected_context"]
    if case["open_with"] == "data_key":
        return sv.open(data_key(case), envelope, expected)
    assert case["open_with"] == "envelope_key"
    ek = bytes.fromhex(case["envelope_key"])
    return sv.open_with_envelope_key(ek, envelope, expected)


@pytest.mark.parametrize("case", ENVELOPES["cases"], ids=lambda c: c["name"])
def test_envelope_case(case: dict[str, Any]) -> None:
    if case["expect"] == "ok":
        with open_case(case) as plaintext:
            assert plaintext.expose() == bytes.fromhex(case["plaintext"])
        header = sv.inspect(bytes.fromhex(case["envelope"]))
        assert header["version"] == 1 and header["suite"] == 1
        if "seal" in case:
            assert header["context"] == case["seal"]["context"]
            assert header["key_id"] == case["key"]["key_id"]
        return
    with pytest.raises(sv.SealVaultError) as raised:
        open_case(case)
    assert type(raised.value) is CLASS_OF[case["expect"]]
    assert raised.value.code == case["expect"]
    assert raised.value.status is None


@pytest.mark.parametrize(
    "case",
    [c for c in ENVELOPES["cases"] if "envelope_key" in c and c["open_with"] == "data_key" and c["expect"] == "ok"],
    ids=lambda c: c["name"],
)
def test_envelope_key_matches_vector(case: dict[str, Any]) -> None:
    ek = sv.envelope_key(data_key(case), bytes.fromhex(case["envelope"]))
    assert ek.expose() == bytes.fromhex(case["envelope_key"])
    assert len(ek) == 32


@pytest.mark.parametrize("case", ENVELOPES["contexts"], ids=lambda c: c["encoded"][:24] or "empty")
def test_context_encoding(case: dict[str, Any]) -> None:
    # The canonical encoding sits at bytes 64.. of any envelope sealed with it.
    env = sv.seal(sv.DataKey.generate(), b"x", case["context"])
    encoded = bytes.fromhex(case["encoded"])
    assert env[64:66] == len(encoded).to_bytes(2, "big")
    assert env[66 : 66 + len(encoded)] == encoded
    assert sv.inspect(env)["context"] == case["context"]


@pytest.mark.parametrize("case", ENVELOPES["state_keys"], ids=lambda c: f'{c["user"]}/{c["item"]}')
def test_state_key(case: dict[str, Any]) -> None:
    sk = sv.state_key(data_key(case), case["user"], case["item"])
    assert sk.key_id == case["state_key_id"]
    expected = sv.DataKey.from_bytes(bytes.fromhex(case["state_key_id"]), bytes.fromhex(case["state_key"]))
    assert sk == expected


@pytest.mark.parametrize("case", ENVELOPES["config_hashes"], ids=lambda c: c["sha256"][:12])
def test_config_hash(case: dict[str, Any]) -> None:
    config = json.loads(case["config_json"])
    assert sv.config_hash(config) == case["sha256"]
    # The same value as sv:config of a credential envelope.
    ctx = sv.item_context("credential", "usr_1", "acme", 1, config)
    assert ctx["sv:config"] == case["sha256"]


# --- TOTP vectors ---------------------------------------------------------


def b32(case: dict[str, Any]) -> str:
    if "secret_base32" in case:
        return str(case["secret_base32"])
    return base64.b32encode(bytes.fromhex(case["secret_hex"])).decode().rstrip("=")


def totp_of(case: dict[str, Any]) -> sv.Totp:
    if case.get("steam"):
        return sv.Totp.steam(b32(case))
    return sv.Totp(
        b32(case),
        digits=case.get("digits", 6),
        period=case.get("period", 30),
        algorithm=case.get("algorithm", "SHA1"),
        t0=case.get("t0", 0),
    )


def secret_of_uri(uri: str) -> bytes:
    query = uri.split("?", 1)[1]
    secret = dict(p.split("=", 1) for p in query.split("&"))["secret"]
    return base64.b32decode(secret + "=" * (-len(secret) % 8))


def run_totp_case(case: dict[str, Any]) -> None:
    op = case["op"]
    if op == "hotp":
        hotp = sv.Hotp(b32(case), digits=case.get("digits", 6), algorithm=case.get("algorithm", "SHA1"))
        assert hotp.at(case["counter"]) == case["code"]
        assert hotp.verify(case["code"], case["counter"]) == case["counter"]
    elif op == "totp":
        t = totp_of(case)
        assert t.at(case["unix"]) == case["code"]
        assert t.step(case["unix"]) == case["step"]
        assert t.seconds_left(case["unix"]) == case["seconds_left"]
    elif op == "secret":
        t = sv.Totp(case["base32"])
        assert secret_of_uri(t.to_uri()) == bytes.fromhex(case["hex"])
    elif op == "parse_uri":
        gen: sv.Totp | sv.Hotp
        if case["as"] == "totp":
            gen = sv.Totp.from_uri(case["uri"])
            if case["expect"] == "ok":
                assert gen.period == case["period"] and gen.t0 == case["t0"]
                assert gen.is_steam == case["steam"]
                assert gen.at(case["unix"]) == case["code"]
        else:
            gen = sv.Hotp.from_uri(case["uri"])
            if case["expect"] == "ok":
                assert gen.counter == case["counter"]
                assert gen.at(case["counter"]) == case["code"]
        assert gen.algorithm == case["algorithm"]
        assert gen.digits == case["digits"]
        assert gen.issuer == case["issuer"]
        assert gen.account == case["account"]
        assert secret_of_uri(gen.to_uri()) == bytes.fromhex(case["secret_hex"])
        if "to_uri" in case:
            assert gen.to_uri() == case["to_uri"]
    elif op == "code_with_validity":
        found = totp_of(case).code_with_validity(case["min_secs"], case["unix"])
        assert (found.code, found.valid_for_secs, found.wait_secs) == (
            case["code"],
            case["valid_for_secs"],
            case["wait_secs"],
        )
    elif op == "verify":
        assert totp_of(case).verify(case["code"], case["unix"], case["window"]) == case["matched_step"]
    else:
        raise AssertionError(f"unknown op {op}")


@pytest.mark.parametrize("case", TOTP["cases"], ids=lambda c: f'{c["op"]}: {c["name"]}')
def test_totp_case(case: dict[str, Any]) -> None:
    if case["expect"] == "ok":
        run_totp_case(case)
        return
    with pytest.raises(sv.SealVaultError) as raised:
        run_totp_case(case)
    assert type(raised.value) is CLASS_OF[case["expect"]]
    assert raised.value.code == case["expect"]


def test_every_totp_op_is_covered() -> None:
    assert {c["op"] for c in TOTP["cases"]} == set(TOTP["ops"])

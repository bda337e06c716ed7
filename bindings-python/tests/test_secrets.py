"""SecretBytes, redaction, bytes-like inputs, pickling, and the GIL."""

from __future__ import annotations

import array
import copy
import pickle
import sys
import threading
import time

import pytest

import sealvault as sv

KEY = bytes(range(32))
KEY_ID = bytes(range(100, 116))
SECRET = b"correct horse battery staple"


def test_secret_bytes_api() -> None:
    dk = sv.DataKey.generate()
    pt = sv.open(dk, sv.seal(dk, SECRET))
    assert isinstance(pt, sv.SecretBytes)
    assert len(pt) == len(SECRET) and bytes(pt) == SECRET and pt.expose() == SECRET
    assert pt == SECRET and pt == bytearray(SECRET) and pt == sv.SecretBytes(SECRET)
    assert pt != b"other" and pt != "text"
    assert not pt.closed
    with pt as inside:
        assert inside is pt
    assert pt.closed and len(pt) == 0
    with pytest.raises(ValueError, match="closed"):
        bytes(pt)
    with pytest.raises(ValueError, match="closed"):
        pt.expose()
    pt.close()  # idempotent
    assert repr(pt) == "SecretBytes([closed])"


def test_with_block_wipes_on_exception() -> None:
    pt = sv.SecretBytes(SECRET)
    with pytest.raises(RuntimeError), pt:
        raise RuntimeError("boom")
    assert pt.closed


def test_closed_secret_is_refused_as_input() -> None:
    pt = sv.SecretBytes(SECRET)
    pt.close()
    with pytest.raises(ValueError, match="closed"):
        sv.seal(sv.DataKey.generate(), pt)


def test_reprs_hold_no_secret() -> None:
    dk = sv.DataKey.from_bytes(KEY_ID, KEY)
    env = sv.seal(dk, SECRET)
    pt = sv.open(dk, env)
    ek = sv.envelope_key(dk, env)
    totp = sv.Totp("JBSWY3DPEHPK3PXP", issuer="ACME", account="jo")
    hotp = sv.Hotp("JBSWY3DPEHPK3PXP")
    cwv = totp.code_with_validity(0, 1_700_000_000)
    shown = {
        "pt": (repr(pt), str(pt), f"{pt}"),
        "ek": (repr(ek), str(ek)),
        "dk": (repr(dk), str(dk)),
        "sk": (repr(sv.state_key(dk, "u", "i")),),
        "totp": (repr(totp), str(totp)),
        "hotp": (repr(hotp),),
        "cwv": (repr(cwv), str(cwv)),
    }
    assert repr(pt) == f"SecretBytes([redacted], len={len(SECRET)})"
    assert repr(dk) == f"DataKey(key_id='{KEY_ID.hex()}', key=[redacted])"
    assert repr(ek) == "SecretBytes([redacted], len=32)"
    forbidden = [SECRET.decode(), KEY.hex(), repr(KEY), ek.expose().hex(), "JBSWY3DP", cwv.code]
    for name, texts in shown.items():
        for text in texts:
            for secret in forbidden:
                assert secret not in text, (name, text)
            assert "redacted" in text or "closed" in text, (name, text)


def test_secrets_do_not_pickle_or_copy() -> None:
    dk = sv.DataKey.generate()
    for obj in (dk, sv.SecretBytes(SECRET), sv.Totp("JBSWY3DPEHPK3PXP")):
        with pytest.raises(TypeError):
            pickle.dumps(obj)
        with pytest.raises(TypeError):
            copy.copy(obj)


def test_secrets_are_unhashable() -> None:
    for obj in (sv.DataKey.generate(), sv.SecretBytes(SECRET)):
        with pytest.raises(TypeError):
            hash(obj)


def test_data_key_equality_and_id() -> None:
    a, b = sv.DataKey.from_bytes(KEY_ID, KEY), sv.DataKey.from_bytes(bytearray(KEY_ID), memoryview(KEY))
    assert a == b and a.key_id == KEY_ID.hex()
    assert a != sv.DataKey.from_bytes(KEY_ID, bytes(32)) and a != "x"
    import base64

    api = sv.DataKey.from_api(KEY_ID.hex().upper(), base64.urlsafe_b64encode(KEY).decode().rstrip("="))
    assert api == a


@pytest.mark.parametrize(
    "wrap",
    [
        bytes,
        bytearray,
        memoryview,
        lambda b: memoryview(bytearray(b)),
        lambda b: array.array("B", b),
        lambda b: memoryview(b"xx" + b)[2:],
        lambda b: memoryview(bytes(b)[::-1])[::-1],  # non-contiguous
        sv.SecretBytes,
    ],
    ids=["bytes", "bytearray", "memoryview", "mv-bytearray", "array", "mv-slice", "mv-strided", "SecretBytes"],
)
def test_bytes_like_inputs(wrap: object) -> None:
    make = wrap  # type: ignore[assignment]
    dk = sv.DataKey.from_bytes(make(KEY_ID), make(KEY))  # type: ignore[operator]
    env = sv.seal(dk, make(SECRET))  # type: ignore[operator]
    assert sv.open(dk, make(env)) == SECRET  # type: ignore[operator]
    ek = sv.envelope_key(dk, make(env))  # type: ignore[operator]
    assert sv.open_with_envelope_key(make(ek.expose()), make(env)) == SECRET  # type: ignore[operator]
    assert sv.open_with_envelope_key(ek, env) == SECRET
    assert sv.inspect(make(env))["key_id"] == KEY_ID.hex()  # type: ignore[operator]


def test_mutable_input_copies_are_wiped_not_the_callers() -> None:
    data = bytearray(SECRET)
    dk = sv.DataKey.generate()
    env = sv.seal(dk, memoryview(data))
    assert data == SECRET  # the caller's buffer is untouched
    assert sv.open(dk, env) == SECRET


def test_not_bytes_like_is_a_type_error() -> None:
    dk = sv.DataKey.generate()
    for bad in ("str", 5, [1, 2], None, object()):
        with pytest.raises(TypeError):
            sv.seal(dk, bad)  # type: ignore[arg-type]


def test_bulk_crypto_releases_the_gil() -> None:
    # With a 10 s switch interval the other thread runs only when this one
    # releases the GIL: during a bulk seal or open.
    dk = sv.DataKey.generate()
    big = bytes(16 << 20)
    env = sv.seal(dk, big)
    ticks = 0
    done = threading.Event()

    def count() -> None:
        nonlocal ticks
        while not done.is_set():
            ticks += 1
            time.sleep(0)  # lets the main thread take the GIL back at once

    interval = sys.getswitchinterval()
    worker = threading.Thread(target=count)
    sys.setswitchinterval(10)
    try:
        worker.start()
        before = ticks
        sv.seal(dk, big)
        sv.open(dk, env).close()
        during = ticks - before
        before = ticks
        sv.seal(dk, b"small")
        small = ticks - before
    finally:
        done.set()
        sys.setswitchinterval(interval)
        worker.join()
    assert during > 0 and small == 0, (during, small)

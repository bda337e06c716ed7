"""Property tests (hypothesis): round trips, and every bit flip rejected."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sealvault as sv

DK = sv.DataKey.generate()

context_keys = st.text(min_size=1, max_size=20).filter(lambda k: not k.startswith("sv:"))
contexts = st.dictionaries(context_keys, st.text(max_size=40), max_size=5)


@given(plaintext=st.binary(max_size=2048), context=contexts)
@settings(max_examples=300)
def test_seal_open_round_trip(plaintext: bytes, context: dict[str, str]) -> None:
    env = sv.seal(DK, plaintext, context)
    assert sv.open(DK, env, context).expose() == plaintext
    assert sv.inspect(env)["context"] == context
    ek = sv.envelope_key(DK, env)
    assert sv.open_with_envelope_key(ek, env, context) == plaintext


@given(
    plaintext=st.binary(max_size=512),
    user=st.text(min_size=1, max_size=30),
    item=st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9._-]{0,127}\Z"),
    version=st.integers(min_value=1, max_value=2**64 - 1),
    kind=st.sampled_from(["credential", "totp-seed", "session-state"]),
)
@settings(max_examples=200)
def test_seal_item_round_trip(plaintext: bytes, user: str, item: str, version: int, kind: str) -> None:
    config = {"name": item} if kind == "credential" else None
    env = sv.seal_item(DK, kind=kind, user=user, item=item, version=version, config=config, plaintext=plaintext)
    expected = sv.item_context(kind, user, item, version, config)
    assert sv.open(DK, env, expected) == plaintext
    other = dict(expected, **{"sv:version": str(version + 1)})
    with pytest.raises(sv.ContextMismatchError):
        sv.open(DK, env, other)


SMALL = sv.seal(DK, b"hunter2", {"t": "1"})


def test_every_bit_flip_is_rejected() -> None:
    codes = set()
    for bit in range(len(SMALL) * 8):
        tampered = bytearray(SMALL)
        tampered[bit // 8] ^= 1 << (bit % 8)
        with pytest.raises(sv.SealVaultError) as raised:
            sv.open(DK, tampered, {"t": "1"})
        codes.add(raised.value.code)
    # Every stage of DESIGN §4's opening order catches some flip.
    assert codes == {"malformed_envelope", "unsupported_version", "wrong_key", "commitment_mismatch", "integrity"}


@given(data=st.data())
@settings(max_examples=300)
def test_random_tampering_is_rejected(data: st.DataObject) -> None:
    plaintext = data.draw(st.binary(max_size=64))
    env = bytearray(sv.seal(DK, plaintext))
    index = data.draw(st.integers(0, len(env) - 1))
    env[index] ^= data.draw(st.integers(1, 255))
    with pytest.raises(sv.SealVaultError):
        sv.open(DK, env)


@given(garbage=st.binary(max_size=300))
@settings(max_examples=300)
def test_garbage_never_opens(garbage: bytes) -> None:
    with pytest.raises(sv.SealVaultError):
        sv.open(DK, garbage)

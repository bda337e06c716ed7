"""Differential TOTP/HOTP against pyotp (an independent implementation)."""

from __future__ import annotations

import base64
import hashlib
import time

import pyotp
from hypothesis import given, settings
from hypothesis import strategies as st

import sealvault as sv



class TOTP(pyotp.TOTP):
    min_secret_length_bits = 80  # pyotp defaults to 112; sites issue 80-bit seeds


class HOTP(pyotp.HOTP):
    min_secret_length_bits = 80


ALGORITHMS = {"SHA1": hashlib.sha1, "SHA256": hashlib.sha256, "SHA512": hashlib.sha512}


@given(
    secret=st.binary(min_size=10, max_size=64),
    digits=st.integers(6, 10),
    period=st.integers(1, 120),  # pyotp's range
    algorithm=st.sampled_from(sorted(ALGORITHMS)),
    unix=st.integers(0, 253_402_300_799),  # pyotp: before year 10000
)
@settings(max_examples=500)
def test_totp_matches_pyotp(secret: bytes, digits: int, period: int, algorithm: str, unix: int) -> None:
    b32 = base64.b32encode(secret).decode()
    ours = sv.Totp(b32, digits=digits, period=period, algorithm=algorithm)
    theirs = TOTP(b32, digits=digits, interval=period, digest=ALGORITHMS[algorithm])
    assert ours.at(unix) == theirs.at(unix)
    assert ours.verify(theirs.at(unix), unix, window=0) == unix // period


@given(
    secret=st.binary(min_size=10, max_size=64),
    digits=st.integers(6, 10),
    counter=st.integers(0, 2**63 - 1),
    algorithm=st.sampled_from(sorted(ALGORITHMS)),
)
@settings(max_examples=300)
def test_hotp_matches_pyotp(secret: bytes, digits: int, counter: int, algorithm: str) -> None:
    b32 = base64.b32encode(secret).decode()
    ours = sv.Hotp(b32, digits=digits, algorithm=algorithm)
    theirs = HOTP(b32, digits=digits, digest=ALGORITHMS[algorithm])
    assert ours.at(counter) == theirs.at(counter)


def test_now_matches_pyotp() -> None:
    b32 = pyotp.random_base32()
    ours, theirs = sv.Totp(b32), pyotp.TOTP(b32)
    for _ in range(3):  # retry across a step boundary
        before = int(time.time())
        code, expected = ours.now(), theirs.now()
        if int(time.time()) // 30 == before // 30:
            assert code == expected
            return
    raise AssertionError("clock kept crossing step boundaries")


def test_uri_round_trip_with_pyotp() -> None:
    b32 = pyotp.random_base32()
    uri = pyotp.TOTP(b32, digits=8, interval=60, issuer="ACME Co", name="jo@acme.test").provisioning_uri()
    ours = sv.Totp.from_uri(uri)
    assert (ours.digits, ours.period, ours.issuer, ours.account) == (8, 60, "ACME Co", "jo@acme.test")
    parsed = pyotp.parse_uri(ours.to_uri())
    assert isinstance(parsed, pyotp.TOTP)
    assert parsed.at(1_700_000_000) == ours.at(1_700_000_000)

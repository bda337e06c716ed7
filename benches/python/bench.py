"""Python comparison bench of SealVault (issue 7).

Same process, interleaved: every round times a batch of each contender in
turn (rotating the order), and the reported figure is the median over rounds
of the time per operation. Run it against a *release* wheel:

    pip install <sealvault wheel> -r benches/python/requirements.txt
    python benches/python/bench.py [--rounds N] [--quick]

Contenders:
- seal+open of 64 B and 1 KiB with an empty context:
  * sealvault (`sv.open(dk, sv.seal(dk, pt))`, the plaintext left in its
    SecretBytes; and with `.expose()` copying it out as bytes);
  * raw AES-256-GCM from `cryptography` with an `os.urandom(12)` nonce (no
    key commitment, no header, no key derivation);
  * the same envelope as docs/FORMAT.md hand-rolled in Python with
    `cryptography` (HMAC-SHA256 + 2x HKDF-Expand + AESGCM), once with
    cryptography's HMAC/HKDFExpand objects, once with the stdlib's one-shot
    `hmac.digest` (an HKDF-Expand of 32 bytes is one HMAC); each output is
    checked to open with `sv.open`, so both really are the format;
  * aws-encryption-sdk with a raw AES master key: the default suite
    (committing, ECDSA-signed) and the unsigned committing suite
    AES_256_GCM_HKDF_SHA512_COMMIT_KEY;
- one TOTP code: `Totp.at(unix)` and `Totp.now()` vs pyotp's `at` and `now`.
"""

from __future__ import annotations

import argparse
import hmac
import os
import statistics
import struct
import sys
import time
from collections.abc import Callable
from hashlib import sha256

import pyotp
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as c_hmac
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDFExpand

import sealvault as sv

Op = Callable[[], object]


# --- hand-rolled envelope (docs/FORMAT.md, empty context) ---------------

EK_LABEL, ENC_LABEL, COMMIT_LABEL = b"sealvault/v1/ek", b"sealvault/v1/enc", b"sealvault/v1/commit"


class HandRolled:
    """Envelope v1 in Python; `fast` uses stdlib hmac.digest for HMAC/HKDF."""

    def __init__(self, key_id: bytes, key: bytes, fast: bool) -> None:
        self.key_id, self.key, self.fast = key_id, key, fast

    def _schedule(self, header: bytes) -> tuple[bytes, bytes]:
        if self.fast:
            ek = hmac.digest(self.key, EK_LABEL + header, "sha256")
            enc = hmac.digest(ek, ENC_LABEL + b"\x01", "sha256")
            commit = hmac.digest(ek, COMMIT_LABEL + b"\x01", "sha256")
            return enc, commit
        mac = c_hmac.HMAC(self.key, hashes.SHA256())
        mac.update(EK_LABEL + header)
        ek = mac.finalize()
        enc = HKDFExpand(hashes.SHA256(), 32, ENC_LABEL).derive(ek)
        commit = HKDFExpand(hashes.SHA256(), 32, COMMIT_LABEL).derive(ek)
        return enc, commit

    def seal(self, plaintext: bytes) -> bytes:
        salt, nonce = os.urandom(32), os.urandom(12)
        header = b"SV\x01\x01" + self.key_id + salt + nonce + b"\x00\x00"
        enc, commit = self._schedule(header)
        aad = header + commit
        return aad + AESGCM(enc).encrypt(nonce, plaintext, aad)

    def open(self, envelope: bytes) -> bytes:
        if envelope[:4] != b"SV\x01\x01" or envelope[4:20] != self.key_id:
            raise ValueError("bad header or key id")
        (length,) = struct.unpack(">H", envelope[64:66])
        if length != 0:
            raise ValueError("this bench only handles empty contexts")
        header, commit = envelope[:66], envelope[66:98]
        enc, expected = self._schedule(header)
        if not hmac.compare_digest(commit, expected):
            raise ValueError("commitment mismatch")
        return AESGCM(enc).decrypt(envelope[52:64], envelope[98:], envelope[:98])


# --- contenders ----------------------------------------------------------


def envelope_ops(size: int, with_aws: bool) -> dict[str, Op]:
    plaintext = os.urandom(size)
    key_id, key = os.urandom(16), os.urandom(32)
    dk = sv.DataKey.from_bytes(key_id, key)
    aes = AESGCM(key)
    slow, fast = HandRolled(key_id, key, fast=False), HandRolled(key_id, key, fast=True)
    for impl in (slow, fast):  # the hand-rolled envelopes are the real format
        assert sv.open(dk, impl.seal(plaintext)) == plaintext
        assert impl.open(sv.seal(dk, plaintext)) == plaintext

    def raw() -> bytes:
        nonce = os.urandom(12)
        return aes.decrypt(nonce, aes.encrypt(nonce, plaintext, None), None)

    ops: dict[str, Op] = {
        "sealvault": lambda: sv.open(dk, sv.seal(dk, plaintext)),
        "sealvault + expose()": lambda: sv.open(dk, sv.seal(dk, plaintext)).expose(),
        "cryptography AESGCM + urandom(12) (raw, no envelope)": raw,
        "hand-rolled envelope, cryptography HMAC/HKDFExpand": lambda: slow.open(slow.seal(plaintext)),
        "hand-rolled envelope, stdlib hmac.digest + AESGCM": lambda: fast.open(fast.seal(plaintext)),
    }
    if with_aws:
        ops.update(aws_ops(plaintext, key))
    return ops


def aws_ops(plaintext: bytes, key: bytes) -> dict[str, Op]:
    import aws_encryption_sdk
    from aws_encryption_sdk.identifiers import Algorithm, CommitmentPolicy, EncryptionKeyType, WrappingAlgorithm
    from aws_encryption_sdk.internal.crypto.wrapping_keys import WrappingKey
    from aws_encryption_sdk.key_providers.raw import RawMasterKeyProvider

    class StaticProvider(RawMasterKeyProvider):  # type: ignore[misc]
        provider_id = "bench"

        def _get_raw_key(self, key_id: bytes) -> WrappingKey:
            return WrappingKey(
                wrapping_algorithm=WrappingAlgorithm.AES_256_GCM_IV12_TAG16_NO_PADDING,
                wrapping_key=key,
                wrapping_key_type=EncryptionKeyType.SYMMETRIC,
            )

    provider = StaticProvider()
    provider.add_master_key(b"k1")
    client = aws_encryption_sdk.EncryptionSDKClient(
        commitment_policy=CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT
    )

    def run(suite: object | None) -> bytes:
        extra = {} if suite is None else {"algorithm": suite}
        ct, _ = client.encrypt(source=plaintext, key_provider=provider, **extra)
        pt, _ = client.decrypt(source=ct, key_provider=provider)
        return bytes(pt)

    assert run(None) == plaintext
    unsigned = Algorithm.AES_256_GCM_HKDF_SHA512_COMMIT_KEY
    assert run(unsigned) == plaintext
    return {
        "aws-encryption-sdk default (committing, ECDSA P-384 signed)": lambda: run(None),
        "aws-encryption-sdk AES_256_GCM_HKDF_SHA512_COMMIT_KEY (unsigned)": lambda: run(unsigned),
    }


def totp_ops() -> dict[str, Op]:
    secret = pyotp.random_base32()
    ours, theirs = sv.Totp(secret), pyotp.TOTP(secret)
    unix = 1_700_000_000
    assert ours.at(unix) == theirs.at(unix)
    return {
        "sealvault Totp.at(unix)": lambda: ours.at(unix),
        "pyotp TOTP.at(unix)": lambda: theirs.at(unix),
        "sealvault Totp.now()": ours.now,
        "pyotp TOTP.now()": theirs.now,
    }


# --- measurement ---------------------------------------------------------


def batch_size(op: Op, target_ns: int) -> int:
    n = 1
    while True:
        start = time.perf_counter_ns()
        for _ in range(n):
            op()
        if time.perf_counter_ns() - start >= target_ns or n >= 1 << 20:
            return n
        n *= 2


def measure(ops: dict[str, Op], rounds: int, target_ns: int) -> dict[str, float]:
    """Median ns/op over `rounds`, contenders interleaved in rotating order."""
    names = list(ops)
    sizes = {name: batch_size(ops[name], target_ns) for name in names}
    samples: dict[str, list[float]] = {name: [] for name in names}
    for r in range(rounds):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            op, n = ops[name], sizes[name]
            start = time.perf_counter_ns()
            for _ in range(n):
                op()
            samples[name].append((time.perf_counter_ns() - start) / n)
    return {name: statistics.median(values) for name, values in samples.items()}


def fmt(ns: float) -> str:
    return f"{ns / 1000:.2f} µs" if ns >= 1000 else f"{ns:.0f} ns"


def table(title: str, results: dict[str, float], base: str, ours: str) -> str:
    lines = [f"**{title}**", "", "| contender | median per op | × raw/peer | sealvault speed-up |", "|---|---:|---:|---:|"]
    for name, ns in results.items():
        lines.append(f"| {name} | {fmt(ns)} | {ns / results[base]:.2f}× | {ns / results[ours]:.1f}× |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=31)
    parser.add_argument("--quick", action="store_true", help="few rounds, short batches")
    parser.add_argument("--no-aws", action="store_true")
    args = parser.parse_args()
    rounds, target = (7, 2_000_000) if args.quick else (args.rounds, 20_000_000)

    print(f"Python {sys.version.split()[0]}, sealvault {sv.__version__}, {os.cpu_count()} CPUs; "
          f"median of {rounds} interleaved rounds\n")
    checks = []
    for size in (64, 1024):
        results = measure(envelope_ops(size, with_aws=not args.no_aws), rounds, target)
        raw = "cryptography AESGCM + urandom(12) (raw, no envelope)"
        print(table(f"seal+open, {size} B", results, raw, "sealvault"), "\n")
        checks.append((f"{size} B seal+open / raw AESGCM", results["sealvault"] / results[raw], "≤ 1.3" if size == 64 else "-"))
        aws = "aws-encryption-sdk AES_256_GCM_HKDF_SHA512_COMMIT_KEY (unsigned)"
        if aws in results:
            checks.append((f"{size} B aws unsigned committing / sealvault", results[aws] / results["sealvault"], "≥ 100"))
    results = measure(totp_ops(), rounds, target)
    print(table("one TOTP code", results, "pyotp TOTP.at(unix)", "sealvault Totp.at(unix)"), "\n")
    checks.append(("pyotp at / sealvault at", results["pyotp TOTP.at(unix)"] / results["sealvault Totp.at(unix)"], "≥ 20"))
    checks.append(("pyotp now / sealvault now", results["pyotp TOTP.now()"] / results["sealvault Totp.now()"], "≥ 20"))
    print("| ratio | value | target |\n|---|---:|---|")
    for name, value, target_text in checks:
        print(f"| {name} | {value:.2f} | {target_text} |")


if __name__ == "__main__":
    main()

"""Independent reference implementation of the SealVault envelope, version 1.

Written from docs/FORMAT.md alone (section numbers below refer to it), without
looking at the Rust core, to show that the document is enough to interoperate.
Small and readable on purpose; not constant-time beyond the commitment compare
and not meant for production.

Byte strings are ``bytes``; contexts are ``dict[str, str]``.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass

import rfc8785
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

# §2 layout
MAGIC = b"SV"
VERSION = 0x01
SUITE = 0x01
KEY_ID_LEN = 16
KEY_LEN = 32
SALT_LEN = 32
NONCE_LEN = 12
COMMITMENT_LEN = 32
TAG_LEN = 16
FIXED_HEADER_LEN = 66  # magic .. L
MIN_ENVELOPE_LEN = 114  # FIXED_HEADER_LEN + COMMITMENT_LEN + TAG_LEN

# §3 context limits
MAX_CONTEXT_LEN = 4096
MAX_KEY_LEN = 255
MAX_VALUE_LEN = 1024
RESERVED_PREFIX = "sv:"

# §4 labels
LABEL_EK = b"sealvault/v1/ek"
LABEL_ENC = b"sealvault/v1/enc"
LABEL_COMMIT = b"sealvault/v1/commit"
LABEL_STATE = b"sealvault/v1/state"

# §6 error codes
MALFORMED = "malformed_envelope"
UNSUPPORTED_VERSION = "unsupported_version"
WRONG_KEY = "wrong_key"
COMMITMENT_MISMATCH = "commitment_mismatch"
INTEGRITY = "integrity"
CONTEXT_MISMATCH = "context_mismatch"

# Refusals of a bad *request* (an invalid context to seal or to expect, an
# `sv:` key given to the general-purpose seal, a key of the wrong length).
# FORMAT.md §3 calls an invalid context "an invalid request" without naming a
# code; the Rust core answers all of these with `invalid_request`.
INVALID_REQUEST = "invalid_request"


class RefError(Exception):
    """An error with a stable code string (the Rust core's ``Error::code``)."""

    def __init__(self, code: str, detail: str = ""):
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


# --------------------------------------------------------------------------
# primitives


def hmac_sha256(key: bytes, message: bytes) -> bytes:
    return hmac.new(key, message, hashlib.sha256).digest()


def hkdf_expand_32(prk: bytes, info: bytes) -> bytes:
    """HKDF-Expand-SHA256 with L = 32: a single block, T(1) = HMAC(PRK, info | 0x01) (§4)."""
    return hmac_sha256(prk, info + b"\x01")


def u16be(n: int) -> bytes:
    return n.to_bytes(2, "big")


def lp(x: bytes) -> bytes:
    if len(x) > 0xFFFF:
        raise RefError(INVALID_REQUEST, "length-prefixed field longer than 65535 bytes")
    return u16be(len(x)) + x


def _check_len(name: str, value: bytes, n: int) -> bytes:
    if not isinstance(value, (bytes, bytearray)) or len(value) != n:
        raise RefError(INVALID_REQUEST, f"{name} must be {n} bytes")
    return bytes(value)


# --------------------------------------------------------------------------
# §3 context


def _utf8(s: str, what: str) -> bytes:
    if not isinstance(s, str):
        raise RefError(INVALID_REQUEST, f"context {what} is not a string")
    try:
        return s.encode("utf-8")  # strict: lone surrogates are refused
    except UnicodeEncodeError as e:
        raise RefError(INVALID_REQUEST, f"context {what} is not valid UTF-8") from e


def _check_entries(context: dict[str, str]) -> list[tuple[bytes, bytes]]:
    """Per-entry rules of §3 (key 1..255 bytes, value 0..1024 bytes, UTF-8)."""
    if not isinstance(context, dict):
        raise RefError(INVALID_REQUEST, "context is not a mapping")
    entries = []
    for key, value in context.items():
        kb, vb = _utf8(key, "key"), _utf8(value, "value")
        if not 1 <= len(kb) <= MAX_KEY_LEN:
            raise RefError(INVALID_REQUEST, f"context key of {len(kb)} bytes")
        if len(vb) > MAX_VALUE_LEN:
            raise RefError(INVALID_REQUEST, f"context value of {len(vb)} bytes")
        entries.append((kb, vb))
    return entries


def encode_context(context: dict[str, str]) -> bytes:
    """Canonical encoding: entries sorted by the key's UTF-8 bytes."""
    entries = sorted(_check_entries(context), key=lambda kv: kv[0])
    out = b"".join(lp(k) + lp(v) for k, v in entries)
    if len(out) > MAX_CONTEXT_LEN:
        raise RefError(INVALID_REQUEST, f"context encodes to {len(out)} bytes")
    return out


def decode_context(data: bytes) -> dict[str, str]:
    """Strict decode; every violation of §3 is ``malformed_envelope``."""
    if len(data) > MAX_CONTEXT_LEN:
        raise RefError(MALFORMED, "context longer than 4096 bytes")
    out: dict[str, str] = {}
    prev: bytes | None = None
    pos = 0

    def take(n: int, what: str) -> bytes:
        nonlocal pos
        if pos + n > len(data):
            raise RefError(MALFORMED, f"context {what} runs past L")
        chunk = data[pos : pos + n]
        pos += n
        return chunk

    while pos < len(data):
        klen = int.from_bytes(take(2, "key length"), "big")
        if not 1 <= klen <= MAX_KEY_LEN:
            raise RefError(MALFORMED, f"context key of {klen} bytes")
        kb = take(klen, "key")
        vlen = int.from_bytes(take(2, "value length"), "big")
        if vlen > MAX_VALUE_LEN:
            raise RefError(MALFORMED, f"context value of {vlen} bytes")
        vb = take(vlen, "value")
        if prev is not None and kb <= prev:
            raise RefError(MALFORMED, "context keys not strictly increasing")
        prev = kb
        try:
            out[kb.decode("utf-8")] = vb.decode("utf-8")
        except UnicodeDecodeError as e:
            raise RefError(MALFORMED, "context entry is not valid UTF-8") from e
    return out


# --------------------------------------------------------------------------
# §2 parsing, §6 steps 1-2


@dataclass(frozen=True)
class Parsed:
    key_id: bytes
    salt: bytes
    nonce: bytes
    context: dict[str, str]
    header_base: bytes  # bytes[0 .. 66+L]
    commitment: bytes  # bytes[66+L .. 98+L]
    aad: bytes  # bytes[0 .. 98+L]
    sealed: bytes  # ciphertext | tag


def parse(envelope: bytes) -> Parsed:
    env = bytes(envelope)
    if len(env) < 4:
        raise RefError(MALFORMED, "fewer than 4 bytes")
    if env[0:2] != MAGIC:
        raise RefError(MALFORMED, "bad magic")
    if env[2] != VERSION or env[3] != SUITE:
        raise RefError(UNSUPPORTED_VERSION, f"version {env[2]} suite {env[3]}")
    if len(env) < FIXED_HEADER_LEN:
        raise RefError(MALFORMED, "fewer than 66 bytes")
    ctx_len = int.from_bytes(env[64:66], "big")
    if ctx_len > MAX_CONTEXT_LEN:
        raise RefError(MALFORMED, f"L = {ctx_len} > 4096")
    if len(env) < MIN_ENVELOPE_LEN + ctx_len:
        raise RefError(MALFORMED, "shorter than 114 + L bytes")
    end = FIXED_HEADER_LEN + ctx_len
    context = decode_context(env[FIXED_HEADER_LEN:end])
    return Parsed(
        key_id=env[4:20],
        salt=env[20:52],
        nonce=env[52:64],
        context=context,
        header_base=env[:end],
        commitment=env[end : end + COMMITMENT_LEN],
        aad=env[: end + COMMITMENT_LEN],
        sealed=env[end + COMMITMENT_LEN :],
    )


def inspect(envelope: bytes) -> dict:
    """§6: steps 1-2 only; unauthenticated."""
    p = parse(envelope)
    return {"version": VERSION, "suite": SUITE, "key_id": p.key_id, "context": p.context}


# --------------------------------------------------------------------------
# §4 key schedule


def derive_ek(key: bytes, header_base: bytes) -> bytes:
    return hmac_sha256(key, LABEL_EK + header_base)


def expand(ek: bytes) -> tuple[bytes, bytes]:
    """-> (enc_key, commitment)"""
    return hkdf_expand_32(ek, LABEL_ENC), hkdf_expand_32(ek, LABEL_COMMIT)


# --------------------------------------------------------------------------
# §5 sealing


def header_base(key_id: bytes, salt: bytes, nonce: bytes, context: dict[str, str]) -> bytes:
    ctx = encode_context(context)
    return MAGIC + bytes([VERSION, SUITE]) + key_id + salt + nonce + u16be(len(ctx)) + ctx


def seal(
    key_id: bytes,
    key: bytes,
    plaintext: bytes,
    context: dict[str, str],
    salt: bytes | None = None,
    nonce: bytes | None = None,
    *,
    allow_reserved: bool = True,
) -> bytes:
    """Seal ``plaintext`` under ``key`` (a data key, or a state key with its data key's id).

    Format-level: ``sv:`` keys are allowed unless ``allow_reserved=False``
    (the behaviour §3 gives the general-purpose ``seal``).
    """
    key_id = _check_len("key_id", key_id, KEY_ID_LEN)
    key = _check_len("key", key, KEY_LEN)
    salt = os.urandom(SALT_LEN) if salt is None else _check_len("salt", salt, SALT_LEN)
    nonce = os.urandom(NONCE_LEN) if nonce is None else _check_len("nonce", nonce, NONCE_LEN)
    if not allow_reserved:
        for k in context:
            if isinstance(k, str) and k.startswith(RESERVED_PREFIX):
                raise RefError(INVALID_REQUEST, f"reserved context key {k!r}")
    hb = header_base(key_id, salt, nonce, context)
    enc_key, commitment = expand(derive_ek(key, hb))
    aad = hb + commitment
    return aad + AESGCM(enc_key).encrypt(nonce, bytes(plaintext), aad)


# --------------------------------------------------------------------------
# §6 opening


def _check_context(actual: dict[str, str], expected: dict[str, str]) -> None:
    for k, v in expected.items():
        if actual.get(k) != v:
            raise RefError(CONTEXT_MISMATCH, f"context entry {k!r}")


def _open_parsed(ek: bytes, p: Parsed, expected: dict[str, str]) -> bytes:
    enc_key, commitment = expand(ek)
    if not hmac.compare_digest(commitment, p.commitment):  # step 4
        raise RefError(COMMITMENT_MISMATCH)
    try:  # step 5
        plaintext = AESGCM(enc_key).decrypt(p.nonce, p.sealed, p.aad)
    except InvalidTag as e:
        raise RefError(INTEGRITY) from e
    _check_context(p.context, expected)  # step 6
    return plaintext


def open(key_id: bytes, key: bytes, envelope: bytes, expected: dict[str, str]) -> bytes:  # noqa: A001
    """Open with a data key (or a state key carrying its data key's id)."""
    key_id = _check_len("key_id", key_id, KEY_ID_LEN)
    key = _check_len("key", key, KEY_LEN)
    _check_entries(expected)  # a bad request, before the envelope is looked at
    p = parse(envelope)  # steps 1-2
    if p.key_id != key_id:  # step 3
        raise RefError(WRONG_KEY)
    return _open_parsed(derive_ek(key, p.header_base), p, expected)


def open_with_envelope_key(ek: bytes, envelope: bytes, expected: dict[str, str]) -> bytes:
    ek = _check_len("envelope key", ek, KEY_LEN)
    _check_entries(expected)
    p = parse(envelope)  # steps 1-2; no key id check
    return _open_parsed(ek, p, expected)


def envelope_key(key_id: bytes, key: bytes, envelope: bytes) -> bytes:
    """The envelope key of ``envelope`` under ``key`` (§4).

    FORMAT.md defines the derivation but not the checks of an "envelope_key"
    operation. Releasing a key for a header that does not verify would be
    pointless, so this runs §6 steps 1-4 (parse, version, key id, commitment)
    and returns ``ek``.
    """
    key_id = _check_len("key_id", key_id, KEY_ID_LEN)
    key = _check_len("key", key, KEY_LEN)
    p = parse(envelope)
    if p.key_id != key_id:
        raise RefError(WRONG_KEY)
    ek = derive_ek(key, p.header_base)
    if not hmac.compare_digest(expand(ek)[1], p.commitment):
        raise RefError(COMMITMENT_MISMATCH)
    return ek


# --------------------------------------------------------------------------
# §1 state keys, §3 config hash


def state_key(key: bytes, user: str, item: str) -> bytes:
    """HMAC-SHA256(DK, "sealvault/v1/state" | lp(user) | lp(item)); its key id is DK's."""
    key = _check_len("key", key, KEY_LEN)
    return hmac_sha256(key, LABEL_STATE + lp(user.encode("utf-8")) + lp(item.encode("utf-8")))


def config_hash(config) -> str:
    """Lowercase hex SHA-256 of the RFC 8785 (JCS) form of a config.

    FORMAT.md §3: the config must be a JSON object and I-JSON (no integer
    beyond ±2^53); anything else is ``invalid_config``.
    """
    if not isinstance(config, dict):
        raise RefError("invalid_config", "config must be a JSON object")
    try:
        canonical = rfc8785.dumps(config)
    except (rfc8785.CanonicalizationError, ValueError, TypeError) as e:
        raise RefError("invalid_config", f"not I-JSON: {e}") from e
    return hashlib.sha256(canonical).hexdigest()

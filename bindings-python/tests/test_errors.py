"""Exception classes and codes (DESIGN §9), raised locally and built for API answers."""

from __future__ import annotations

import pickle

import pytest

import sealvault as sv
from sealvault import errors

# DESIGN §9, transcribed independently of errors.CODES.
TABLE = [
    (400, "invalid_request", "InvalidRequestError"),
    (400, "invalid_config", "InvalidRequestError"),
    (401, "unauthorized", "AuthError"),
    (403, "forbidden", "AuthError"),
    (404, "not_found", "NotFoundError"),
    (408, "request_timeout", "ApiError"),
    (409, "version_conflict", "ConflictError"),
    (409, "salt_reuse", "ConflictError"),
    (409, "data_key_exists", "ConflictError"),
    (409, "no_number_available", "ConflictError"),
    (409, "ambiguous_recipient", "ConflictError"),
    (409, "stale_data_key", "StaleDataKeyError"),
    (409, "concurrency_limit", "LeaseError"),
    (409, "lease_required", "LeaseError"),
    (409, "stale_fencing_token", "LeaseError"),
    (413, "payload_too_large", "InvalidRequestError"),
    (422, "malformed_envelope", "MalformedEnvelopeError"),
    (422, "unsupported_version", "MalformedEnvelopeError"),
    (422, "wrong_key", "WrongKeyError"),
    (422, "commitment_mismatch", "CommitmentError"),
    (422, "integrity", "IntegrityError"),
    (422, "context_mismatch", "ContextMismatchError"),
    (422, "invalid_totp", "InvalidTotpError"),
    (423, "login_in_progress", "LeaseError"),
    (429, "rate_limited", "RateLimitedError"),
    (500, "internal", "ApiError"),
    (503, "master_key_unavailable", "UnavailableError"),
    (503, "proxy_unavailable", "UnavailableError"),
]


def test_table_matches_design() -> None:
    assert {code: (status, cls.__name__) for code, (status, cls) in errors.CODES.items()} == {
        code: (status, name) for status, code, name in TABLE
    }


@pytest.mark.parametrize(("status", "code", "name"), TABLE)
def test_api_error_for_code(status: int, code: str, name: str) -> None:
    err = errors._from_code(code, "boom", status, {"current_version": 3})
    assert type(err) is getattr(sv, name)
    assert isinstance(err, sv.ApiError) and isinstance(err, sv.SealVaultError)
    assert (err.code, err.status, str(err), err.message) == (code, status, "boom", "boom")
    assert err.details == {"current_version": 3}


def test_unknown_codes() -> None:
    assert type(errors._from_code("brand_new", "x", 418)) is sv.ApiError
    local = errors._from_code("brand_new", "x")
    assert type(local) is sv.SealVaultError and local.code == "brand_new" and local.status is None


def test_details_accessors() -> None:
    stale = errors._from_code("stale_data_key", "m", 409, {"current_key_id": "ab" * 16})
    assert isinstance(stale, sv.StaleDataKeyError) and stale.current_key_id == "ab" * 16
    conflict = errors._from_code("version_conflict", "m", 409, {"current_version": 7})
    assert isinstance(conflict, sv.ConflictError) and conflict.current_version == 7


def test_every_class_is_exported_and_documented() -> None:
    for _, _, name in TABLE:
        cls = getattr(sv, name)
        assert cls is getattr(errors, name) and cls.__doc__
        assert issubclass(cls, sv.SealVaultError)


def test_local_errors_have_codes_and_no_status() -> None:
    dk = sv.DataKey.generate()
    env = sv.seal(dk, b"secret", {"tenant": "t1"})
    cases = [
        (lambda: sv.open(sv.DataKey.generate(), env), sv.WrongKeyError, "wrong_key"),
        (lambda: sv.open(dk, env[:-1] + bytes([env[-1] ^ 1])), sv.IntegrityError, "integrity"),
        (lambda: sv.open(dk, env, {"tenant": "t2"}), sv.ContextMismatchError, "context_mismatch"),
        (lambda: sv.open(dk, b"SV"), sv.MalformedEnvelopeError, "malformed_envelope"),
        (lambda: sv.seal(dk, b"x", {"sv:user": "u"}), sv.InvalidRequestError, "invalid_request"),
        (lambda: sv.seal(dk, b"x", {"": "u"}), sv.InvalidRequestError, "invalid_request"),
        (lambda: sv.DataKey.from_bytes(b"short", b"\0" * 32), sv.InvalidRequestError, "invalid_request"),
        (lambda: sv.DataKey.from_api("zz", "AAAA"), sv.InvalidRequestError, "invalid_request"),
        (lambda: sv.config_hash(float("nan")), sv.InvalidRequestError, "invalid_config"),
        (lambda: sv.Totp("JBSW"), sv.InvalidTotpError, "invalid_totp"),
        (lambda: sv.Totp.from_uri("https://example.com"), sv.InvalidTotpError, "invalid_totp"),
        (lambda: sv.Totp("JBSWY3DPEHPK3PXP", digits=4), sv.InvalidTotpError, "invalid_totp"),
        (
            lambda: sv.seal_item(dk, kind="nope", user="u", item="i", version=1, plaintext=b""),
            sv.InvalidRequestError,
            "invalid_request",
        ),
        (
            lambda: sv.seal_item(dk, kind="credential", user="u", item="i", version=1, plaintext=b""),
            sv.InvalidRequestError,
            "invalid_request",
        ),
        (
            lambda: sv.seal_item(dk, kind="totp-seed", user="u", item="-bad", version=1, plaintext=b""),
            sv.InvalidRequestError,
            "invalid_request",
        ),
    ]
    for call, cls, code in cases:
        with pytest.raises(cls) as raised:
            call()
        assert raised.value.code == code and raised.value.status is None
        assert type(raised.value).__module__ == "sealvault.errors"


def test_api_and_local_caught_by_same_class() -> None:
    dk = sv.DataKey.generate()
    env = bytearray(sv.seal(dk, b"x"))
    env[-1] ^= 1
    for raise_it in (lambda: sv.open(dk, env), lambda: (_ for _ in ()).throw(errors._from_code("integrity", "m", 422))):
        with pytest.raises(sv.IntegrityError):
            raise_it()


def test_python_type_errors_stay_python() -> None:
    dk = sv.DataKey.generate()
    with pytest.raises(TypeError):
        sv.seal(dk, "text is not bytes")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        sv.seal(dk, 5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        sv.seal(dk, b"x", {"k": 1})  # type: ignore[dict-item]
    with pytest.raises(TypeError):
        sv.config_hash({1: "non-str key"})
    with pytest.raises(TypeError):
        sv.config_hash({"a": {1, 2}})


def test_exceptions_pickle() -> None:
    err = errors._from_code("stale_data_key", "m", 409, {"current_key_id": "00" * 16})
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is sv.StaleDataKeyError
    assert (back.code, back.status, back.current_key_id) == ("stale_data_key", 409, "00" * 16)


def test_messages_hold_no_secrets() -> None:
    dk = sv.DataKey.from_bytes(b"\x01" * 16, b"\x02" * 32)
    env = sv.seal(dk, b"p@ssw0rd-XYZ", {"tenant": "t1"})
    for call in (
        lambda: sv.open(dk, env, {"tenant": "p@ssw0rd-XYZ"}),
        lambda: sv.open(sv.DataKey.from_bytes(b"\x01" * 16, b"\x03" * 32), env),
        lambda: sv.Totp("JBSWY3DPEHPK3PX1"),
        lambda: sv.Totp.from_uri("otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&digits=99"),
    ):
        with pytest.raises(sv.SealVaultError) as raised:
            call()
        text = f"{raised.value!s} {raised.value!r}"
        for secret in ("p@ssw0rd", "JBSWY3DP", "0202", "\x02"):
            assert secret not in text


def test_client_error_classes() -> None:
    transport = errors._from_code("transport", "could not connect", None, {"sent": False})
    assert type(transport) is sv.TransportError and isinstance(transport, ConnectionError)
    assert not isinstance(transport, sv.ApiError) and (transport.code, transport.sent) == ("transport", False)
    back = pickle.loads(pickle.dumps(transport))
    assert type(back) is sv.TransportError and back.sent is False and str(back) == "could not connect"
    assert type(errors._from_code("protocol", "bad answer")) is sv.ProtocolError
    limited = errors._from_code("rate_limited", "slow down", 429, {"retry_after_secs": 7})
    assert isinstance(limited, sv.RateLimitedError) and limited.retry_after_secs == 7
    assert limited.current_version is None and limited.current_key_id is None

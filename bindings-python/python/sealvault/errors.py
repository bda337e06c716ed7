"""SealVault's exceptions: one class per row of DESIGN §9, each with ``.code``.

Every exception SealVault raises derives from :class:`SealVaultError` and
carries the stable ``code`` string of the failure (the same string the vault
puts in ``{"error": {"code"}}`` and the JavaScript SDK puts on ``.code``).

Hierarchy::

    SealVaultError              .code, .status, .message, .details
    ├── TransportError          code "transport": the request did not complete
    │                           (also a builtin ConnectionError); .sent
    ├── ProtocolError           code "protocol": the vault's answer had an
    │                           unexpected shape
    └── ApiError                code "internal" (and any code this SDK does not know);
                                .current_version, .current_key_id, .retry_after_secs
        ├── InvalidRequestError     invalid_request, invalid_config, payload_too_large
        ├── AuthError               unauthorized, forbidden
        ├── NotFoundError           not_found
        ├── ConflictError           version_conflict, salt_reuse, data_key_exists,
        │                           no_number_available, ambiguous_recipient
        ├── StaleDataKeyError       stale_data_key
        ├── LeaseError              concurrency_limit, lease_required,
        │                           stale_fencing_token, login_in_progress
        ├── MalformedEnvelopeError  malformed_envelope, unsupported_version
        ├── WrongKeyError           wrong_key
        ├── CommitmentError         commitment_mismatch
        ├── IntegrityError          integrity
        ├── ContextMismatchError    context_mismatch
        ├── InvalidTotpError        invalid_totp
        ├── RateLimitedError        rate_limited
        └── UnavailableError        master_key_unavailable, proxy_unavailable

Local errors and API errors: the same codes arise locally (``sv.open`` of a
tampered envelope, a bad TOTP URI, an invalid context) and from the vault (it
checks envelopes at ingest). Both raise the same class, so
``except sv.IntegrityError`` catches either. They differ in ``.status``: the
HTTP status when the vault answered, ``None`` when the failure happened in
this process. (So ``except sv.ApiError`` catches local failures too; test
``e.status is not None`` to know the vault said so.)

Client errors: an answer of the vault raises the class of its code, with
``.status``, ``.code``, ``.message`` and, when the error body has them,
``.current_version`` (``version_conflict``), ``.current_key_id``
(``stale_data_key``) and ``.retry_after_secs``. A request that did not
complete (connection refused, timeout, TLS) raises :class:`TransportError`,
which is not an :class:`ApiError` (no status, no DESIGN §9 code) but is a
builtin ``ConnectionError`` (so an ``OSError``); ``.sent`` is False when the
request provably never reached the vault. The client has already retried
what its policy allows before raising either.

Messages never hold secret material (keys, plaintext, TOTP seeds or codes):
at most field names, lengths and public key ids.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = [
    "CODES",
    "LOCAL_CODES",
    "ApiError",
    "AuthError",
    "CommitmentError",
    "ConflictError",
    "ContextMismatchError",
    "IntegrityError",
    "InvalidRequestError",
    "InvalidTotpError",
    "LeaseError",
    "MalformedEnvelopeError",
    "NotFoundError",
    "ProtocolError",
    "RateLimitedError",
    "SealVaultError",
    "StaleDataKeyError",
    "TransportError",
    "UnavailableError",
    "WrongKeyError",
]


class SealVaultError(Exception):
    """Base of every SealVault exception.

    Attributes:
        code: the stable error code (``"integrity"``, ``"wrong_key"``, …).
        status: the HTTP status when the vault answered, else ``None``.
        message: the human-readable message (also ``str(e)``).
        details: extra fields of the vault's error body
            (``current_version``, ``current_key_id``, …); empty locally.
    """

    default_code = "internal"

    def __init__(
        self,
        message: str = "",
        *,
        code: str | None = None,
        status: int | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code: str = code if code is not None else self.default_code
        self.status: int | None = status
        self.details: dict[str, Any] = dict(details or {})

    def __repr__(self) -> str:
        status = "" if self.status is None else f", status={self.status}"
        return f"{type(self).__name__}({self.message!r}, code={self.code!r}{status})"


class ApiError(SealVaultError):
    """A failure with a DESIGN §9 code; ``.status`` is set when the vault
    answered it. Raised as is for ``internal`` (500) and unknown codes."""

    @property
    def current_version(self) -> int | None:
        """The item's current version (``version_conflict``), else None."""
        value = self.details.get("current_version")
        return value if isinstance(value, int) else None

    @property
    def current_key_id(self) -> str | None:
        """The id of the user's current data key (``stale_data_key``), else None."""
        value = self.details.get("current_key_id")
        return value if isinstance(value, str) else None

    @property
    def retry_after_secs(self) -> int | None:
        """When to try again (``rate_limited``, some lease errors), else None."""
        value = self.details.get("retry_after_secs")
        return value if isinstance(value, int) else None


class TransportError(SealVaultError, ConnectionError):
    """The request did not complete (connection refused, timeout, TLS, a
    broken answer). Not an :class:`ApiError`: no status, code ``transport``.
    Also a builtin ``ConnectionError``."""

    default_code = "transport"

    @property
    def sent(self) -> bool:
        """False when the request provably never reached the vault (a failed
        connect); True when it may have been received."""
        return bool(self.details.get("sent", True))


class ProtocolError(SealVaultError):
    """The vault's answer did not have the documented shape (code ``protocol``)."""

    default_code = "protocol"


class InvalidRequestError(ApiError):
    """400 ``invalid_request``/``invalid_config``, 413 ``payload_too_large``."""

    default_code = "invalid_request"


class AuthError(ApiError):
    """401 ``unauthorized``, 403 ``forbidden``."""

    default_code = "unauthorized"


class NotFoundError(ApiError):
    """404 ``not_found``."""

    default_code = "not_found"


class ConflictError(ApiError):
    """409 ``version_conflict``, ``salt_reuse``, ``data_key_exists``,
    ``no_number_available``, ``ambiguous_recipient``."""

    default_code = "version_conflict"


class StaleDataKeyError(ApiError):
    """409 ``stale_data_key``: sealed under a key that is no longer current."""

    default_code = "stale_data_key"


class LeaseError(ApiError):
    """409 ``concurrency_limit``/``lease_required``/``stale_fencing_token``,
    423 ``login_in_progress``."""

    default_code = "lease_required"


class MalformedEnvelopeError(ApiError):
    """422 ``malformed_envelope``, ``unsupported_version``."""

    default_code = "malformed_envelope"


class WrongKeyError(ApiError):
    """422 ``wrong_key``: the envelope names another data key."""

    default_code = "wrong_key"


class CommitmentError(ApiError):
    """422 ``commitment_mismatch``: wrong key bytes or a forged header."""

    default_code = "commitment_mismatch"


class IntegrityError(ApiError):
    """422 ``integrity``: the GCM tag did not verify (tampered envelope)."""

    default_code = "integrity"


class ContextMismatchError(ApiError):
    """422 ``context_mismatch``: an expected context entry differs or is
    missing."""

    default_code = "context_mismatch"


class InvalidTotpError(ApiError):
    """422 ``invalid_totp``: a bad TOTP secret, URI, parameter or time."""

    default_code = "invalid_totp"


class RateLimitedError(ApiError):
    """429 ``rate_limited``."""

    default_code = "rate_limited"


class UnavailableError(ApiError):
    """503 ``master_key_unavailable``, ``proxy_unavailable``."""

    default_code = "master_key_unavailable"


#: DESIGN §9, one entry per code: its HTTP status and its class.
CODES: dict[str, tuple[int, type[SealVaultError]]] = {
    "invalid_request": (400, InvalidRequestError),
    "invalid_config": (400, InvalidRequestError),
    "unauthorized": (401, AuthError),
    "forbidden": (403, AuthError),
    "not_found": (404, NotFoundError),
    "request_timeout": (408, ApiError),
    "version_conflict": (409, ConflictError),
    "salt_reuse": (409, ConflictError),
    "data_key_exists": (409, ConflictError),
    "no_number_available": (409, ConflictError),
    "ambiguous_recipient": (409, ConflictError),
    "stale_data_key": (409, StaleDataKeyError),
    "concurrency_limit": (409, LeaseError),
    "lease_required": (409, LeaseError),
    "stale_fencing_token": (409, LeaseError),
    "payload_too_large": (413, InvalidRequestError),
    "malformed_envelope": (422, MalformedEnvelopeError),
    "unsupported_version": (422, MalformedEnvelopeError),
    "wrong_key": (422, WrongKeyError),
    "commitment_mismatch": (422, CommitmentError),
    "integrity": (422, IntegrityError),
    "context_mismatch": (422, ContextMismatchError),
    "invalid_totp": (422, InvalidTotpError),
    "login_in_progress": (423, LeaseError),
    "rate_limited": (429, RateLimitedError),
    "internal": (500, ApiError),
    "master_key_unavailable": (503, UnavailableError),
    "proxy_unavailable": (503, UnavailableError),
}


#: Codes of failures that happen in the client, never answered by the vault.
LOCAL_CODES: dict[str, type[SealVaultError]] = {
    "transport": TransportError,
    "protocol": ProtocolError,
}


def _from_code(
    code: str,
    message: str,
    status: int | None = None,
    details: Mapping[str, Any] | None = None,
) -> SealVaultError:
    """The exception for ``code`` (DESIGN §9). The native module calls this
    for every core error (``status`` None) and the vault client with the
    answer's status and error body (``details``)."""
    entry = CODES.get(code)
    if entry is not None:
        cls = entry[1]
    elif code in LOCAL_CODES:
        cls = LOCAL_CODES[code]
    else:
        cls = ApiError if status is not None else SealVaultError
    return cls(message, code=code, status=status, details=details)

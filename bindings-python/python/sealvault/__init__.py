"""SealVault: client-side encryption for browser-automation credentials.

``import sealvault as sv``. Seal a credential with the user's data key so that
only ciphertext reaches the vault; open it with the data key or with the
one-envelope key the vault hands a lease holder; compute TOTP codes.

Keys:
    ``sv.DataKey.generate()`` (offline use only: the vault does not know such
    a key), ``sv.DataKey.from_bytes(key_id, key)``,
    ``sv.DataKey.from_api(key_id_hex, key_b64)``; ``dk.key_id`` is hex.
    ``sv.state_key(dk, user, item)`` derives a credential's state key.

Envelopes (docs/FORMAT.md):
    ``sv.seal(dk, plaintext, context)`` -> bytes (``sv:`` keys refused);
    ``sv.seal_item(dk, kind=, user=, item=, version=, config=, plaintext=,
    extra=)`` sets the reserved ``sv:`` context; ``sv.open(dk, env,
    expected)`` -> :class:`SecretBytes`; ``sv.envelope_key(dk, env)`` and
    ``sv.open_with_envelope_key(ek, env, expected)``; ``sv.inspect(env)``;
    ``sv.item_context(...)`` is the ``expected`` of an item envelope;
    ``sv.config_hash(config)``.

TOTP:
    ``sv.Totp(secret_b32, digits=6, period=30, algorithm="SHA1")`` or
    ``sv.Totp.from_uri("otpauth://totp/...")``; ``t.at(unix)``, ``t.now()``,
    ``t.seconds_left()``, ``t.code_with_validity(min_secs)``,
    ``t.verify(code, window=1)``. ``sv.Hotp`` for counter-based codes.
    Where ``unix`` is omitted it is ``int(time.time())``.

Inputs: every bytes argument takes ``bytes``, ``bytearray``, ``memoryview``
(any buffer) or a :class:`SecretBytes`. ``bytes`` is read in place; other
buffers are copied into a Rust buffer that is wiped after use. Sealing and
opening more than 4 KiB releases the GIL.

Secrets and Python memory: plaintext and envelope keys come back as
:class:`SecretBytes`, owned by Rust and zeroized on ``close()``, at the end of
a ``with`` block, or when garbage-collected; its ``repr`` is redacted.
``bytes(pt)`` and ``pt.expose()`` return Python ``bytes`` copies, and Python
cannot wipe those (nor ``str`` objects such as ``Totp.to_uri()`` or a decoded
password): keep them short-lived, or pass the ``SecretBytes`` itself on.

Errors: :mod:`sealvault.errors`, one class per DESIGN §9 row, all under
:class:`SealVaultError`, each with a stable ``.code`` (``.status`` is None for
failures raised in this process).

Vault client (sync; every network call releases the GIL)::

    client = sv.Client(base_url, token)          # timeout=, ca_pem=, user_agent=, max_retries=
    client.put_credential("acme", username="jo", password="...", totp=sv.Totp(...), config={...})
    with client.session("acme") as s:            # lease, background heartbeat, release on exit
        cred = s.access()                        # .username, .password (SecretStr), .fields
        cred.check_origin(page.url)              # InvalidRequestError on another origin
        code = s.totp()                          # .code (SecretStr), .seconds_left
        tfa = s.wait_for_tfa_code(timeout=60)    # email/SMS code: .code, .link (SecretStr), .channel; None on timeout
        print(s.redact(log_line))                # the session's secrets replaced by [REDACTED]
        s.login_complete()

One method per route of the Rust client (``healthz``, ``meta``, ``me``,
``create_user``, ``create_token``, ``list_tokens``, ``revoke_token``,
``create_data_key``, ``current_data_key``, ``rotate_data_key``,
``put_credential``, ``replace_credential``, ``put_credential_envelopes``,
``list_credentials``, ``get_credential``, ``delete_credential``, ``audit``,
``metrics``, ``openapi``); JSON answers are plain ``dict``/``list``. Tokens,
passwords and codes come back as :class:`SecretStr` (Rust-owned, wiped on
close/exit/GC, redacted ``repr`` and ``str``; ``.expose()`` copies out).
Errors: the class of the vault's code with ``.status``; a request that did
not complete raises :class:`TransportError` (a ``ConnectionError``, ``.sent``).
"""

from __future__ import annotations

from sealvault import errors
from sealvault._native import (
    Client,
    CodeWithValidity,
    Credential,
    DataKey,
    Hotp,
    OneTimeCode,
    SecretBytes,
    SecretStr,
    Session,
    TfaCode,
    Totp,
    __version__,
    config_hash,
    envelope_key,
    inspect,
    item_context,
    open,  # noqa: A004 - the SDK's name (DESIGN §11); shadows builtins.open here only
    open_with_envelope_key,
    seal,
    seal_item,
    state_key,
)
from sealvault.errors import (
    ApiError,
    AuthError,
    CommitmentError,
    ConflictError,
    ContextMismatchError,
    IntegrityError,
    InvalidRequestError,
    InvalidTotpError,
    LeaseError,
    MalformedEnvelopeError,
    NotFoundError,
    ProtocolError,
    RateLimitedError,
    SealVaultError,
    StaleDataKeyError,
    TransportError,
    UnavailableError,
    WrongKeyError,
)

__all__ = [
    "ApiError",
    "AuthError",
    "Client",
    "CodeWithValidity",
    "CommitmentError",
    "ConflictError",
    "ContextMismatchError",
    "Credential",
    "DataKey",
    "Hotp",
    "IntegrityError",
    "InvalidRequestError",
    "InvalidTotpError",
    "LeaseError",
    "MalformedEnvelopeError",
    "NotFoundError",
    "OneTimeCode",
    "ProtocolError",
    "RateLimitedError",
    "SealVaultError",
    "SecretBytes",
    "SecretStr",
    "Session",
    "StaleDataKeyError",
    "TfaCode",
    "Totp",
    "TransportError",
    "UnavailableError",
    "WrongKeyError",
    "__version__",
    "config_hash",
    "envelope_key",
    "errors",
    "inspect",
    "item_context",
    "open",
    "open_with_envelope_key",
    "seal",
    "seal_item",
    "state_key",
]

"""SealVault offline quickstart: seal a credential, open it, compute a TOTP code.

Runs without a vault: the data key is generated locally (a real agent gets
it from the vault with ``sv.DataKey.from_api(key_id, key)``).

    python examples/python/seal_open.py
"""

from __future__ import annotations

import json

import sealvault as sv


def main() -> None:
    dk = sv.DataKey.generate()
    config = {"name": "acme-portal", "login_url": "https://portal.acme.test/login"}
    credential = json.dumps({"username": "jo", "password": "hunter2", "fields": {}}).encode()

    # Seal the credential for item "acme", version 1 of user "usr_1".
    envelope = sv.seal_item(
        dk, kind="credential", user="usr_1", item="acme", version=1, config=config, plaintext=credential
    )
    print(f"sealed {len(credential)} bytes into a {len(envelope)}-byte envelope under key {dk.key_id}")
    print("header:", sv.inspect(envelope)["context"])

    # Open it, expecting exactly that user, item, kind, version and config.
    expected = sv.item_context("credential", "usr_1", "acme", 1, config)
    with sv.open(dk, envelope, expected) as plaintext:
        print("opened:", plaintext)  # SecretBytes([redacted], len=...)
        username = json.loads(plaintext.expose())["username"]
    print("username:", username)

    # A tampered envelope never opens.
    tampered = bytearray(envelope)
    tampered[-1] ^= 1
    try:
        sv.open(dk, tampered, expected)
    except sv.IntegrityError as err:
        print(f"tampered envelope refused: {type(err).__name__} (code {err.code!r})")

    # The envelope key opens this one envelope only (what the vault hands a lease holder).
    ek = sv.envelope_key(dk, envelope)
    assert sv.open_with_envelope_key(ek, envelope, expected) == credential

    # TOTP: the code now, and one that stays valid for at least 10 seconds.
    totp = sv.Totp.from_uri("otpauth://totp/ACME:jo?secret=JBSWY3DPEHPK3PXP&issuer=ACME")
    ready = totp.code_with_validity(10)
    print(f"TOTP now: {totp.now()} ({totp.seconds_left()} s left); "
          f"to type: wait {ready.wait_secs} s, then valid {ready.valid_for_secs} s")
    assert totp.verify(totp.now()) is not None


if __name__ == "__main__":
    main()

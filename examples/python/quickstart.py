"""SealVault end to end from Python: the steps of the Rust quickstart.

Starts `sealvault-server serve --dev` (from $SEALVAULT_SERVER_BIN or PATH) on a
free port with a temp SQLite file, or uses the vault at $SEALVAULT_URL with
$SEALVAULT_ADMIN_TOKEN. Secrets never print.

    python examples/python/quickstart.py
"""

from __future__ import annotations

import base64
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading

import sealvault as sv


def start_vault(data_dir: str, admin_token: str) -> tuple[subprocess.Popen[str], str]:
    binary = os.environ.get("SEALVAULT_SERVER_BIN") or shutil.which("sealvault-server") or "sealvault-server"
    env = dict(os.environ, SEALVAULT_LISTEN="127.0.0.1:0", SEALVAULT_DATA_DIR=data_dir,
               SEALVAULT_DATABASE_URL=f"sqlite://{data_dir}/vault.db", SEALVAULT_ADMIN_TOKEN=admin_token)
    server = subprocess.Popen([binary, "serve", "--dev"], env=env, stderr=subprocess.PIPE, text=True)
    assert server.stderr is not None
    for line in server.stderr:  # the vault logs `listening on <addr>` once it accepts requests
        if found := re.search(r"listening on (\S+)", line):
            threading.Thread(target=server.stderr.read, daemon=True).start()  # keep draining its log
            return server, f"http://{found[1]}"
    sys.exit(f"the vault exited before listening (exit code {server.wait()})")


def main(url: str, admin_token: str) -> None:
    admin = sv.Client(url, admin_token)
    user = admin.create_user("demo-user")["id"]
    owner = sv.Client(url, admin.create_token(user, "owner", ["keys:use", "keys:rotate", "secrets:write"])["token"])
    agent = sv.Client(url, admin.create_token(user, "agent", ["secrets:access", "sessions"], items=["acme"])["token"])
    print(f"1. vault at {url}: user {user} with an owner token and an agent token limited to item 'acme'")
    key = owner.create_data_key()
    print(f"2. data key {key.key_id} created by the vault")

    password = secrets.token_urlsafe(18)
    totp = sv.Totp(base64.b32encode(secrets.token_bytes(20)).decode())
    config = {"name": "acme-portal", "login_url": "https://portal.acme.test/login",
              "tfa": {"method": "AUTHENTICATOR"}, "concurrency": {"allow_multiple": False}}
    written = owner.put_credential("acme", username="alice@acme.test", password=password, totp=totp, config=config)
    print(f"3. credential 'acme' and its TOTP seed sealed here, stored at version {written['version']}")

    with agent.session("acme") as session:  # a login lease; released at the end of the block
        credential = session.access()
        assert credential.password == password
        print(f"4. lease {session.session_id}: username {credential.username}, password opened (never printed)")
        credential.check_origin("https://portal.acme.test/login?next=/home")
        try:
            credential.check_origin("https://portal.acme.test.evil.example/login")
            sys.exit("look-alike page ACCEPTED")
        except sv.InvalidRequestError:
            print("5. origin check: login page accepted, look-alike page refused")
        code = session.totp(min_validity=5)
        assert totp.verify(code.code.expose(), window=0) is not None
        print(f"6. vault computed the TOTP code ({code.seconds_left} s left); sv.Totp agrees")
        session.login_complete()

    rotated = owner.rotate_data_key(key.key_id)
    print(f"7. data key rotated to {rotated['key_id']}, {rotated['reencrypted']} envelopes re-sealed")
    with agent.session("acme") as session:
        assert session.access().password == password
        session.login_complete()
    print(f"8. accessed again after rotation; audit log holds {len(owner.audit()['items'])} records")
    print("quickstart finished: every step passed")


if __name__ == "__main__":
    if "SEALVAULT_URL" in os.environ:
        main(os.environ["SEALVAULT_URL"], os.environ["SEALVAULT_ADMIN_TOKEN"])
    else:
        with tempfile.TemporaryDirectory() as tmp:
            token = secrets.token_urlsafe(32)
            vault, address = start_vault(tmp, token)
            try:
                main(address, token)
            finally:
                vault.terminate()
                vault.wait()

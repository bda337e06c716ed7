// SealVault in JavaScript, offline: seal a credential, open it, compute a
// TOTP code. Run after `bindings-js/build.sh`:
//   node examples/js/seal_open.mjs
// (An installed package is imported as `from "sealvault"`.)
import { DataKey, sealItem, open, itemContext, inspect, Totp, isSealVaultError } from "../../bindings-js/pkg/index.mjs";

const dk = DataKey.generate(); // offline only: a vault-issued key comes from DataKey.fromApi(keyId, keyB64)
const config = { name: "acme", login_url: "https://portal.acme.test/login" };
const envelope = sealItem(dk, {
  kind: "credential", user: "usr_1", item: "acme", version: 1, config,
  plaintext: new TextEncoder().encode("hunter2"),
});
console.log(`sealed ${envelope.length} bytes under key ${dk.keyId}`);
console.log("header:", inspect(envelope).context);

const expected = itemContext("credential", "usr_1", "acme", 1, config);
const secret = open(dk, envelope, expected); // SecretBytes: `using secret = …` where supported
try {
  const bytes = secret.expose();
  console.log(`opened: ${new TextDecoder().decode(bytes)}`);
  bytes.fill(0);
} finally {
  secret.free(); // zeroizes the plaintext in wasm memory
}

try {
  open(dk, envelope, { ...expected, "sv:version": "2" });
} catch (e) {
  if (!isSealVaultError(e)) throw e;
  console.log(`refused: ${e.code}`);
}

const totp = Totp.fromUri("otpauth://totp/ACME:alice?secret=JBSWY3DPEHPK3PXP&issuer=ACME");
console.log(`totp: ${totp.now()} (${totp.secondsLeft()} s left)`);
dk.free();

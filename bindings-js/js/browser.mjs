// Browser (and bundler) entry: the wasm-bindgen `--target web` build,
// instantiated once with top-level await (the .wasm is fetched next to
// this file), with SealVaultError registered as the error class.
import init, * as wasm from "./web/sealvault_js.js";
import { SealVaultError, isSealVaultError } from "./errors.mjs";

await init();
wasm.__registerErrorClass(SealVaultError);
// `await using s = await client.session(id)`: dispose releases the lease.
if (Symbol.asyncDispose && !wasm.Session.prototype[Symbol.asyncDispose]) {
  wasm.Session.prototype[Symbol.asyncDispose] = function () { return this.release(); };
}

export const {
  DataKey, EnvelopeKey, SecretBytes, SecretText, Totp, Hotp,
  seal, sealItem, open, envelopeKey, openWithEnvelopeKey, stateKey,
  inspect, configHash, itemContext, decodeTotpSecret,
  Client, Session, Credential, checkOrigin,
} = wasm;
export { SealVaultError, isSealVaultError };
export default {
  DataKey, EnvelopeKey, SecretBytes, SecretText, Totp, Hotp,
  seal, sealItem, open, envelopeKey, openWithEnvelopeKey, stateKey,
  inspect, configHash, itemContext, decodeTotpSecret,
  Client, Session, Credential, checkOrigin,
  SealVaultError, isSealVaultError,
};

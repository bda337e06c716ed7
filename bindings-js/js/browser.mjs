// Browser (and bundler) entry: the wasm-bindgen `--target web` build,
// instantiated once with top-level await (the .wasm is fetched next to
// this file), with SealVaultError registered as the error class.
import init, * as wasm from "./web/sealvault_js.js";
import { SealVaultError, isSealVaultError } from "./errors.mjs";

await init();
wasm.__registerErrorClass(SealVaultError);

export const {
  DataKey, EnvelopeKey, SecretBytes, Totp, Hotp,
  seal, sealItem, open, envelopeKey, openWithEnvelopeKey, stateKey,
  inspect, configHash, itemContext, decodeTotpSecret,
} = wasm;
export { SealVaultError, isSealVaultError };
export default {
  DataKey, EnvelopeKey, SecretBytes, Totp, Hotp,
  seal, sealItem, open, envelopeKey, openWithEnvelopeKey, stateKey,
  inspect, configHash, itemContext, decodeTotpSecret,
  SealVaultError, isSealVaultError,
};

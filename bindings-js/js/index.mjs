// Node ESM entry: re-exports the CommonJS entry, so `import` and `require`
// share one wasm instance and one SealVaultError class.
import sealvault from "./index.cjs";

export const {
  DataKey, EnvelopeKey, SecretBytes, SecretText, Totp, Hotp,
  seal, sealItem, open, envelopeKey, openWithEnvelopeKey, stateKey,
  inspect, configHash, itemContext, decodeTotpSecret,
  Client, Session, Credential, checkOrigin,
  SealVaultError, isSealVaultError,
} = sealvault;
export default sealvault;

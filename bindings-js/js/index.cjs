"use strict";
// Node entry (require and, through index.mjs, import): the wasm-bindgen
// `--target nodejs` build, with SealVaultError registered as the class of
// every thrown error. One instance serves both ESM and CJS consumers.
const wasm = require("./node/sealvault_js.js");
const { SealVaultError, isSealVaultError } = require("./errors.cjs");

wasm.__registerErrorClass(SealVaultError);

module.exports = {
  DataKey: wasm.DataKey,
  EnvelopeKey: wasm.EnvelopeKey,
  SecretBytes: wasm.SecretBytes,
  Totp: wasm.Totp,
  Hotp: wasm.Hotp,
  seal: wasm.seal,
  sealItem: wasm.sealItem,
  open: wasm.open,
  envelopeKey: wasm.envelopeKey,
  openWithEnvelopeKey: wasm.openWithEnvelopeKey,
  stateKey: wasm.stateKey,
  inspect: wasm.inspect,
  configHash: wasm.configHash,
  itemContext: wasm.itemContext,
  decodeTotpSecret: wasm.decodeTotpSecret,
  SealVaultError,
  isSealVaultError,
};

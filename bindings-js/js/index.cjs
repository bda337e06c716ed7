"use strict";
// Node entry (require and, through index.mjs, import): the wasm-bindgen
// `--target nodejs` build, with SealVaultError registered as the class of
// every thrown error. One instance serves both ESM and CJS consumers.
const wasm = require("./node/sealvault_js.js");
const { SealVaultError, isSealVaultError } = require("./errors.cjs");

wasm.__registerErrorClass(SealVaultError);
// `await using s = await client.session(id)`: dispose releases the lease
// (Symbol.asyncDispose exists from Node 18.18 / 20.4).
if (Symbol.asyncDispose && !wasm.Session.prototype[Symbol.asyncDispose]) {
  wasm.Session.prototype[Symbol.asyncDispose] = function () { return this.release(); };
}

module.exports = {
  DataKey: wasm.DataKey,
  EnvelopeKey: wasm.EnvelopeKey,
  SecretBytes: wasm.SecretBytes,
  SecretText: wasm.SecretText,
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
  Client: wasm.Client,
  Session: wasm.Session,
  Credential: wasm.Credential,
  checkOrigin: wasm.checkOrigin,
  SealVaultError,
  isSealVaultError,
};

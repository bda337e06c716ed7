"use strict";
// The one error class of the package (CommonJS copy for Node; errors.mjs is
// the browser copy). Every failure thrown by SealVault is an instance with
// a stable `.code` (DESIGN.md §9); messages never contain secrets.

/** An error raised by SealVault, with a stable `.code`. */
class SealVaultError extends Error {
  constructor(message, code) {
    super(message);
    this.name = "SealVaultError";
    this.code = code;
  }
}

/** True when `e` is a SealVaultError (also across package copies). */
function isSealVaultError(e) {
  return e instanceof SealVaultError ||
    (e instanceof Error && e.name === "SealVaultError" && typeof e.code === "string");
}

module.exports = { SealVaultError, isSealVaultError };

// The one error class of the package (ES module copy for browsers;
// errors.cjs is the Node copy). See errors.cjs.

/** An error raised by SealVault, with a stable `.code`. */
export class SealVaultError extends Error {
  constructor(message, code) {
    super(message);
    this.name = "SealVaultError";
    this.code = code;
  }
}

/** True when `e` is a SealVaultError (also across package copies). */
export function isSealVaultError(e) {
  return e instanceof SealVaultError ||
    (e instanceof Error && e.name === "SealVaultError" && typeof e.code === "string");
}

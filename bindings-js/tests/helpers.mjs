// Shared by the node tests: the built package (bindings-js/pkg, from
// build.sh) and the repository's shared vectors.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";
import assert from "node:assert/strict";

export const here = path.dirname(fileURLToPath(import.meta.url));
export const jsRoot = path.resolve(here, "..");
export const repoRoot = path.resolve(jsRoot, "..");
export const pkgDir = path.join(jsRoot, "pkg");

export const sv = await import(path.join(pkgDir, "index.mjs"));

export function vectors(name) {
  return JSON.parse(readFileSync(path.join(repoRoot, "testdata", name), "utf8"));
}

export const hex = (s) => Uint8Array.from(Buffer.from(s, "hex"));
export const toHex = (b) => Buffer.from(b).toString("hex");
export const utf8 = (s) => new TextEncoder().encode(s);

/** Asserts that fn throws a SealVaultError with `code`. */
export function throwsCode(fn, code) {
  assert.throws(fn, (e) => {
    assert.ok(e instanceof Error, "an Error instance");
    assert.ok(e instanceof sv.SealVaultError, `a SealVaultError, got ${e && e.name}: ${e && e.message}`);
    assert.ok(sv.isSealVaultError(e));
    assert.equal(e.name, "SealVaultError");
    assert.equal(e.code, code, `code of "${e.message}"`);
    return true;
  });
}

// `npm pack` of bindings-js/pkg, installed into scratch ESM and CommonJS
// projects that import/require "sealvault" and seal+open; `tsc --noEmit`
// on a small typed consumer of the installed package.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync, rmSync, readdirSync, cpSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pkgDir, jsRoot, here } from "./helpers.mjs";

const npm = process.platform === "win32" ? "npm.cmd" : "npm";
let scratch, tarball;

function project(name, pkgJson) {
  const dir = path.join(scratch, name);
  execFileSync("mkdir", ["-p", dir]);
  writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name, private: true, ...pkgJson }));
  execFileSync(npm, ["install", "--no-audit", "--no-fund", "--ignore-scripts", tarball], { cwd: dir, stdio: "pipe" });
  return dir;
}

before(() => {
  scratch = mkdtempSync(path.join(os.tmpdir(), "sealvault-pack-"));
  execFileSync(npm, ["pack", pkgDir, "--pack-destination", scratch], { stdio: "pipe" });
  tarball = path.join(scratch, readdirSync(scratch).find((f) => f.endsWith(".tgz")));
});
after(() => rmSync(scratch, { recursive: true, force: true }));

const body = `
const dk = DataKey.generate();
const env = seal(dk, new TextEncoder().encode("pw"), { tenant: "t1" });
const pt = open(dk, env, { tenant: "t1" });
let code = "";
try { open(DataKey.generate(), env); } catch (e) { code = isSealVaultError(e) && e instanceof SealVaultError ? e.code : "not-a-SealVaultError"; }
console.log(JSON.stringify({ pt: new TextDecoder().decode(pt.expose()), code, totp: Totp.fromUri("otpauth://totp/a?secret=JBSWY3DPEHPK3PXP").at(59) }));
`;
const expected = { pt: "pw", code: "wrong_key", totp: new (await import("otpauth")).TOTP({ secret: "JBSWY3DPEHPK3PXP" }).generate({ timestamp: 59000 }) };

test("installed tarball works with import (ESM)", () => {
  const dir = project("esm-consumer", { type: "module" });
  writeFileSync(path.join(dir, "main.js"), `import { DataKey, seal, open, Totp, isSealVaultError, SealVaultError } from "sealvault";\n${body}`);
  const out = execFileSync(process.execPath, ["main.js"], { cwd: dir, encoding: "utf8" });
  assert.deepEqual(JSON.parse(out), expected);
});

test("installed tarball works with require (CommonJS)", () => {
  const dir = project("cjs-consumer", { type: "commonjs" });
  writeFileSync(path.join(dir, "main.js"), `const { DataKey, seal, open, Totp, isSealVaultError, SealVaultError } = require("sealvault");\n${body}`);
  const out = execFileSync(process.execPath, ["main.js"], { cwd: dir, encoding: "utf8" });
  assert.deepEqual(JSON.parse(out), expected);
  // ESM and CJS share one instance: one SealVaultError class.
  const same = execFileSync(process.execPath, ["--input-type=module", "-e",
    `import { createRequire } from "node:module"; import * as m from "sealvault"; const r = createRequire(process.cwd() + "/"); console.log(r("sealvault").SealVaultError === m.SealVaultError);`],
    { cwd: dir, encoding: "utf8" });
  assert.equal(same.trim(), "true");
});

test("tsc --noEmit on a typed consumer of the installed package", () => {
  const dir = project("ts-consumer", { type: "module" });
  cpSync(path.join(here, "types", "consumer.ts"), path.join(dir, "consumer.ts"));
  cpSync(path.join(here, "types", "tsconfig.json"), path.join(dir, "tsconfig.json"));
  const tsc = path.join(jsRoot, "node_modules", ".bin", "tsc");
  execFileSync(tsc, ["--noEmit", "-p", dir], { cwd: dir, stdio: "pipe" });
});

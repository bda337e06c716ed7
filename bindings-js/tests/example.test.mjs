// Runs the offline quickstart examples/js/seal_open.mjs against the built package.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import path from "node:path";
import { repoRoot } from "./helpers.mjs";

test("examples/js/seal_open.mjs runs", () => {
  const out = execFileSync(process.execPath, [path.join(repoRoot, "examples/js/seal_open.mjs")], { encoding: "utf8" });
  assert.match(out, /opened: hunter2/);
  assert.match(out, /totp: \d{6}/);
});

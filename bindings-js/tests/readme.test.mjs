// The README's JavaScript blocks run as written, with `from "sealvault"`
// pointed at the built package.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync, mkdtempSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const blocks = [...readFileSync(join(root, "README.md"), "utf8").matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]);
const pkg = pathToFileURL(join(root, "bindings-js", "pkg", "index.mjs")).href;

test("README has JavaScript blocks", () => assert.ok(blocks.length > 0));

for (const [i, block] of blocks.entries()) {
  test(`README JavaScript block ${i + 1} runs`, () => {
    const dir = mkdtempSync(join(tmpdir(), "sealvault-readme-"));
    const file = join(dir, `block${i}.mjs`);
    writeFileSync(file, block.replaceAll('from "sealvault"', `from ${JSON.stringify(pkg)}`));
    const out = execFileSync(process.execPath, [file], { encoding: "utf8" });
    assert.match(out, /opened \d+ bytes/);
  });
}

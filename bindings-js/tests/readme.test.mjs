// The README's JavaScript blocks run as written, with `from "sealvault"`
// pointed at the built package. Offline blocks must print "opened N bytes";
// blocks that use the vault `Client` run against a real sealvault-server
// (tests/vault.mjs) with SEALVAULT_URL, OWNER_TOKEN and AGENT_TOKEN of a
// fresh user, and must print "<user>: password N chars".
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync, mkdtempSync } from "node:fs";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { startVault, makeUser, serverSkip } from "./vault.mjs";

const run = promisify(execFile);
const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const blocks = [...readFileSync(join(root, "README.md"), "utf8").matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]);
const pkg = pathToFileURL(join(root, "bindings-js", "pkg", "index.mjs")).href;

let vault;
after(async () => { await vault?.stop(); });

test("README has JavaScript blocks", () => assert.ok(blocks.length > 0));

for (const [i, block] of blocks.entries()) {
  const client = block.includes("new Client(");
  test(`README JavaScript block ${i + 1} runs${client ? " (against a vault)" : ""}`, { skip: client && serverSkip }, async () => {
    const dir = mkdtempSync(join(tmpdir(), "sealvault-readme-"));
    const file = join(dir, `block${i}.mjs`);
    writeFileSync(file, block.replaceAll('from "sealvault"', `from ${JSON.stringify(pkg)}`));
    const env = { ...process.env };
    if (client) {
      vault ??= await startVault();
      const { Client } = await import(pkg);
      const user = await makeUser(new Client(vault.url, vault.adminToken), `readme-${i}`);
      Object.assign(env, { SEALVAULT_URL: vault.url, OWNER_TOKEN: user.ownerToken, AGENT_TOKEN: user.agentToken });
    }
    const { stdout } = await run(process.execPath, [file], { encoding: "utf8", env, timeout: 60000 });
    assert.match(stdout, client ? /^\w+: password \d+ chars, code \d+ digits$/m : /opened \d+ bytes/);
  });
}

// The vault client of the npm package against a real `sealvault-server`
// subprocess (tests/vault.mjs): every route, sessions and their release,
// access and the origin check, server TOTP against Totp, typed errors,
// tombstones, envelopes sealed by JS itself, prompt process exit, the
// `await using` form (compiled by tsc), and examples/js/quickstart.mjs.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { inspect as nodeInspect, promisify } from "node:util";
import os from "node:os";
import path from "node:path";
import { sv, utf8, jsRoot, repoRoot, pkgDir } from "./helpers.mjs";
import { startVault, makeUser, serverSkip, serverBin } from "./vault.mjs";

const { Client, Session, Credential, SecretText, DataKey, Totp, sealItem, open, itemContext, inspect, isSealVaultError, SealVaultError } = sv;
const opts = { skip: serverSkip };
const run = promisify(execFile);

let vault, admin;
before(async () => {
  if (serverSkip) return;
  vault = await startVault();
  admin = new Client(vault.url, vault.adminToken);
});
after(async () => { await vault?.stop(); });

/** Asserts that `promise` rejects with a SealVaultError of `code` (and `status`). */
async function rejectsCode(promise, code, status) {
  let caught;
  try { await promise; } catch (e) { caught = e; }
  assert.ok(caught, `expected ${code}, got success`);
  assert.ok(caught instanceof SealVaultError && caught instanceof Error && isSealVaultError(caught), `a SealVaultError, got ${caught}`);
  assert.equal(caught.code, code, caught.message);
  if (status !== undefined) assert.equal(caught.status, status);
  return caught;
}

const config = (extra = {}) => ({ name: "acme", login_url: "https://portal.acme.test/login", ...extra });
const TOTP_URI = "otpauth://totp/ACME:alice?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=ACME";

async function owned(name) {
  const u = await makeUser(admin, name);
  const owner = new Client(vault.url, u.ownerToken);
  const agent = new Client(vault.url, u.agentToken);
  await owner.createDataKey();
  return { ...u, owner, agent };
}

test("public routes: healthz, metrics, openapi, meta", opts, async () => {
  const anon = new Client(vault.url, "no-token-needed");
  assert.equal(typeof (await anon.healthz()), "object");
  assert.match(await anon.metrics(), /# (HELP|TYPE) /);
  const openapi = await anon.openapi();
  assert.ok(openapi.openapi && openapi.paths["/v1/credentials/{id}"]);
  const meta = await anon.meta();
  assert.equal(typeof meta.version, "string");
  assert.ok(meta.limits.credential_body_bytes > 0);
  assert.equal(String(anon), `Client(${anon.baseUrl}, [redacted])`);
});

test("users and tokens: createUser, createToken, me, listTokens, revokeToken", opts, async () => {
  const user = await admin.createUser("tokens-user");
  assert.match(user.id, /\S/);
  assert.equal(user.name, "tokens-user");
  const t = await admin.createToken(user.id, { name: "t1", scopes: ["secrets:access", "sessions"], items: ["a", "b"], ttlSecs: 600 });
  assert.equal(typeof t.token, "string");
  assert.deepEqual(t.items, ["a", "b"]);
  const client = new Client(vault.url, t.token);
  const me = await client.me();
  assert.equal(me.user_id, user.id);
  assert.equal(me.token_id, t.id);
  assert.deepEqual([...me.scopes].sort(), ["secrets:access", "sessions"]);
  assert.equal(await client.userId(), user.id);
  const list = await admin.listTokens(user.id);
  assert.equal(list.length, 1);
  assert.equal(list[0].id, t.id);
  assert.equal(list[0].name, "t1");
  assert.ok(!JSON.stringify(list).includes(t.token), "listTokens never returns the secret");
  assert.equal(await admin.revokeToken(user.id, t.id), undefined);
  await rejectsCode(client.me(), "unauthorized", 401);
  await rejectsCode(admin.createToken(user.id, { name: "x", scopes: ["nope"] }), "invalid_request");
});

test("data keys: createDataKey, currentDataKey, data_key_exists, rotateDataKey, stale_data_key", opts, async () => {
  const u = await makeUser(admin, "keys-user");
  const owner = new Client(vault.url, u.ownerToken);
  const dk = await owner.createDataKey();
  assert.ok(dk instanceof DataKey);
  assert.match(dk.keyId, /^[0-9a-f]{32}$/);
  await rejectsCode(owner.createDataKey(), "data_key_exists", 409);
  const current = await owner.currentDataKey();
  assert.equal(current.keyId, dk.keyId);
  await owner.putCredential("k1", { username: "a", password: "b" }, TOTP_URI, config());
  const rotated = await owner.rotateDataKey(dk.keyId);
  assert.notEqual(rotated.key_id, dk.keyId);
  assert.ok(rotated.reencrypted >= 2, `re-sealed ${rotated.reencrypted}`);
  const stale = await rejectsCode(owner.rotateDataKey(dk.keyId), "stale_data_key", 409);
  assert.equal(stale.currentKeyId, rotated.key_id);
  assert.equal((await owner.currentDataKey()).keyId, rotated.key_id);
  // The client refetches the key after rotation: writes keep working.
  const w = await owner.replaceCredential("k1", 1, { username: "a", password: "c" }, null, config());
  assert.equal(w.key_id, rotated.key_id);
  await rejectsCode(owner.rotateDataKey("not-hex"), "invalid_request");
});

test("credentials: put, list, get (envelopes open with the data key), replace, conflict, delete, tombstone", opts, async () => {
  const { owner, userId } = await owned("cred-user");
  const w1 = await owner.putCredential("acme", { username: "alice", password: "hunter2", fields: { pin: "1234" } }, new Totp("JBSWY3DPEHPK3PXP"), config());
  assert.equal(w1.id, "acme");
  assert.equal(w1.version, 1);
  const list = await owner.listCredentials();
  assert.deepEqual(list.map((c) => [c.id, c.version]), [["acme", 1]]);
  assert.deepEqual(list[0].config, config());
  const detail = await owner.getCredential("acme");
  assert.ok(detail.envelope instanceof Uint8Array && detail.totp_envelope instanceof Uint8Array);
  assert.equal(inspect(detail.envelope).context["sv:item"], "acme");
  const dk = await owner.currentDataKey();
  const pt = open(dk, detail.envelope, itemContext("credential", userId, "acme", 1, config()));
  assert.deepEqual(JSON.parse(new TextDecoder().decode(pt.expose())), { username: "alice", password: "hunter2", fields: { pin: "1234" } });
  pt.free();
  const seed = open(dk, detail.totp_envelope, itemContext("totp-seed", userId, "acme", 1));
  assert.match(new TextDecoder().decode(seed.expose()), /^otpauth:\/\/totp\/.*secret=JBSWY3DPEHPK3PXP/);

  // put never overwrites a live item: version_conflict with the current version.
  const conflict = await rejectsCode(owner.putCredential("acme", { username: "x", password: "y" }, null, config()), "version_conflict", 409);
  assert.equal(conflict.currentVersion, 1);
  const w2 = await owner.replaceCredential("acme", 1, { username: "alice", password: "hunter3" }, null, config());
  assert.equal(w2.version, 2);
  assert.equal((await owner.getCredential("acme")).totp_envelope, null, "a replace without totp drops the seed");
  const stale = await rejectsCode(owner.replaceCredential("acme", 1, { username: "a", password: "b" }, null, config()), "version_conflict", 409);
  assert.equal(stale.currentVersion, 2);
  await rejectsCode(owner.deleteCredential("acme", 1), "version_conflict", 409);
  assert.equal(await owner.deleteCredential("acme", 2), undefined);
  await rejectsCode(owner.getCredential("acme"), "not_found", 404);
  assert.deepEqual(await owner.listCredentials(), []);
  // Re-creating the id continues from the tombstone's version.
  const w3 = await owner.putCredential("acme", { username: "alice", password: "again" }, null, config());
  assert.equal(w3.version, 3);
  const audit = await owner.audit();
  assert.ok(Array.isArray(audit.items) && audit.items.length > 0);
  assert.ok(audit.items.every((r) => r.user_id === userId || r.user_id === null));
  // Local validation: bad id, bad config, bad totp, bad credential.
  await rejectsCode(owner.putCredential("../x", { username: "a", password: "b" }, null, config()), "invalid_request");
  await rejectsCode(owner.putCredential("bad-config", { username: "a", password: "b" }, null, { login_url: "x" }), "invalid_config");
  await rejectsCode(owner.putCredential("bad-totp", { username: "a", password: "b" }, { toUri: () => TOTP_URI }, config()), "invalid_request");
  await rejectsCode(owner.putCredential("bad-cred", { username: "a" }, null, config()), "invalid_request");
});

test("session: access, secret wrappers, checkOrigin, totp vs Totp, loginComplete, heartbeat, getters, release", opts, async () => {
  const { owner, agent } = await owned("session-user");
  const totp = Totp.fromUri(TOTP_URI);
  await owner.putCredential("acme", { username: "alice", password: "hunter2", fields: { pin: "1234" } }, totp, config());
  const s = await agent.session("acme", { purpose: "login", waitSecs: 5, ttlSecs: 30 });
  assert.ok(s instanceof Session);
  assert.match(s.sessionId, /\S/);
  assert.equal(s.item, "acme");
  assert.equal(s.purpose, "login");
  assert.equal(s.phase, "login");
  assert.equal(typeof s.fencingToken, "number");
  assert.ok(s.expiresAt > Date.now() / 1000);
  const sk = s.stateKey;
  assert.ok(sk instanceof DataKey);
  assert.equal(sk.keyId, (await owner.currentDataKey()).keyId);
  sk.free();
  assert.ok(!String(s).includes("lease"), "toString shows no lease token");

  const cred = await s.access();
  assert.ok(cred instanceof Credential);
  assert.equal(cred.username, "alice");
  assert.equal(cred.loginUrl, "https://portal.acme.test/login");
  const pw = cred.password;
  assert.ok(pw instanceof SecretText);
  assert.equal(pw.expose(), "hunter2");
  assert.equal(pw.length, 7);
  assert.equal(String(pw), "[redacted]");
  assert.equal(`${pw}`, "[redacted]");
  assert.equal(JSON.stringify({ pw }), '{"pw":"[redacted]"}');
  assert.ok(!nodeInspect(pw, { showHidden: true, depth: 5 }).includes("hunter2"));
  assert.equal(cred.fields.pin.expose(), "1234");
  assert.deepEqual(JSON.parse(JSON.stringify(cred)), { username: "alice", password: "[redacted]", fields: ["pin"] });
  assert.ok(!String(cred).includes("hunter2") && !nodeInspect(cred, { depth: 5 }).includes("hunter2"));
  cred.checkOrigin("https://portal.acme.test/other?x=1");
  for (const bad of ["http://portal.acme.test/login", "https://portal.acme.test.evil.test/login", "https://evil.test/portal.acme.test/login", "nope"]) {
    assert.throws(() => cred.checkOrigin(bad), (e) => isSealVaultError(e) && e.code === "invalid_request", bad);
  }
  sv.checkOrigin("https://a.test/x", "https://a.test/y");
  assert.throws(() => sv.checkOrigin("https://a.test/x", "https://b.test/x"), (e) => e.code === "invalid_request");
  pw.free();
  cred.free(); // wiped; a freed object can no longer be read
  assert.throws(() => cred.password);

  const { code, secondsLeft } = await s.totp(3);
  assert.ok(code instanceof SecretText);
  assert.equal(String(code), "[redacted]");
  assert.match(code.expose(), /^\d{6}$/);
  assert.ok(secondsLeft >= 3 && secondsLeft <= 30, `secondsLeft ${secondsLeft}`);
  const now = Math.floor(Date.now() / 1000);
  assert.notEqual(totp.verify(code.expose(), now, 1), undefined, "the vault's code is the Totp's code");

  await s.heartbeat();
  assert.equal(s.phase, "login");
  await s.loginComplete();
  assert.equal(s.phase, "active");
  await rejectsCode(s.access(), "lease_required", 409);
  assert.equal(s.lost, undefined);
  await s.release();
  assert.equal(s.phase, "released");
  await s.release(); // idempotent
  await rejectsCode(s.access(), "invalid_request");
  assert.throws(() => s.expiresAt, (e) => e.code === "invalid_request");
});

test("session: released by [Symbol.asyncDispose] and on a thrown error (allow_multiple false)", opts, async () => {
  const { owner, agent } = await owned("dispose-user");
  await owner.putCredential("solo", { username: "a", password: "b" }, null, config({ concurrency: { allow_multiple: false } }));
  const first = await agent.session("solo", { waitSecs: 0 });
  await rejectsCode(agent.session("solo", { waitSecs: 0 }), "concurrency_limit", 409);
  assert.equal(typeof first[Symbol.asyncDispose], "function");
  await first[Symbol.asyncDispose]();
  assert.equal(first.phase, "released");

  // What `await using` does on a throw: dispose in the finally.
  async function work() {
    const s = await agent.session("solo", { waitSecs: 5 });
    try {
      await s.access();
      throw new Error("the page crashed");
    } finally {
      await s[Symbol.asyncDispose]();
    }
  }
  await assert.rejects(work(), /the page crashed/);
  const again = await agent.session("solo", { waitSecs: 5 });
  // A waiter is granted the lease once the holder releases it.
  const waiting = agent.session("solo", { waitSecs: 10 });
  setTimeout(() => again.release(), 300);
  const next = await waiting;
  assert.equal(next.phase, "login");
  // free() releases in the background (the core's drop guard).
  next.free();
  const last = await agent.session("solo", { waitSecs: 10 });
  await last.release();
});

test("`await using` compiled by tsc releases the lease, also on a throw", opts, async () => {
  const { owner, agentToken } = await owned("using-user");
  await owner.putCredential("solo", { username: "a", password: "b" }, null, config({ concurrency: { allow_multiple: false } }));
  const dir = mkdtempSync(path.join(os.tmpdir(), "sealvault-using-"));
  try {
    mkdirSync(path.join(dir, "node_modules"));
    symlinkSync(pkgDir, path.join(dir, "node_modules", "sealvault"), "dir");
    writeFileSync(path.join(dir, "using.ts"), `
import { Client } from "sealvault";
declare const process: { argv: string[] };
const agent = new Client(process.argv[2], process.argv[3]);
try {
  await using s = await agent.session("solo", { waitSecs: 5 });
  using cred = await s.access();
  console.log("user", cred.username);
  throw new Error("boom");
} catch (e) { console.log("caught", (e as Error).message); }
await using again = await agent.session("solo", { waitSecs: 0 });
console.log("reacquired", again.phase);
`);
    writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify({
      compilerOptions: { target: "es2022", module: "nodenext", moduleResolution: "nodenext", strict: true, skipLibCheck: true,
        lib: ["es2022", "dom", "esnext.disposable"], types: [], outDir: "out", allowJs: false },
      files: ["using.ts"],
    }));
    writeFileSync(path.join(dir, "package.json"), '{"type":"module"}');
    try {
      execFileSync(path.join(jsRoot, "node_modules", ".bin", "tsc"), ["-p", dir], { cwd: dir, stdio: "pipe" });
    } catch (e) { assert.fail(`tsc: ${e.stdout}${e.stderr}`); }
    const { stdout } = await run(process.execPath, [path.join(dir, "out", "using.js"), vault.url, agentToken]);
    assert.equal(stdout, "user a\ncaught boom\nreacquired login\n");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("typed errors: 401, 403, 404, 409, 413, 423, transport", opts, async () => {
  const { owner, agent, userId } = await owned("errors-user");
  const bad = await rejectsCode(new Client(vault.url, "wrong-token").me(), "unauthorized", 401);
  assert.ok(!bad.message.includes("wrong-token"), "the token is not in the message");
  await rejectsCode(agent.createUser("x"), "forbidden", 403);
  await rejectsCode(agent.listTokens(userId), "forbidden", 403);
  await rejectsCode(owner.getCredential("missing"), "not_found", 404);
  await rejectsCode(agent.session("missing", { waitSecs: 0 }), "not_found", 404);
  await owner.putCredential("c", { username: "a", password: "b" }, null, config());
  const c409 = await rejectsCode(owner.deleteCredential("c", 7), "version_conflict", 409);
  assert.equal(c409.currentVersion, 1);
  const meta = await owner.meta();
  const huge = "x".repeat(meta.limits.credential_body_bytes + 1024);
  await rejectsCode(owner.putCredential("big", { username: "a", password: huge }, null, config()), "payload_too_large", 413);

  await owner.putCredential("guarded", { username: "a", password: "b" }, null,
    config({ concurrency: { allow_multiple: true, prevent_concurrency_during_login: true } }));
  const s = await agent.session("guarded", { waitSecs: 0 });
  const e423 = await rejectsCode(agent.session("guarded", { waitSecs: 0 }), "login_in_progress", 423);
  assert.equal(e423.currentVersion, undefined);
  await s.loginComplete();
  await s.release();

  const down = await rejectsCode(new Client("http://127.0.0.1:9", "t", { maxRetries: 0 }).meta(), "transport");
  assert.equal(down.status, undefined);
  assert.throws(() => new Client("ftp://x", "t"), (e) => isSealVaultError(e) && e.code === "invalid_request");
});

test("envelopes sealed by JS sealItem, PUT by raw fetch, accessed through the vault", opts, async () => {
  const { owner, agent, userId, ownerToken } = await owned("raw-user");
  const dk = await owner.currentDataKey();
  const cfg = config({ tfa: { method: "AUTHENTICATOR" } });
  const plaintext = utf8(JSON.stringify({ username: "raw", password: "sealed-in-js", fields: {} }));
  const envelope = sealItem(dk, { kind: "credential", user: userId, item: "raw", version: 1, config: cfg, plaintext });
  const totpEnvelope = sealItem(dk, { kind: "totp-seed", user: userId, item: "raw", version: 1, plaintext: utf8(TOTP_URI) });
  const res = await fetch(`${vault.url}/v1/credentials/raw`, {
    method: "PUT",
    headers: { authorization: `Bearer ${ownerToken}`, "content-type": "application/json" },
    body: JSON.stringify({ envelope: Buffer.from(envelope).toString("base64url"), totp_envelope: Buffer.from(totpEnvelope).toString("base64url"), config: cfg, expected_version: 0 }),
  });
  assert.equal(res.status, 201, await res.clone().text());
  assert.equal((await res.json()).version, 1);
  const s = await agent.session("raw", { waitSecs: 5 });
  try {
    const cred = await s.access();
    assert.equal(cred.username, "raw");
    assert.equal(cred.password.expose(), "sealed-in-js");
    const { code } = await s.totp(0);
    assert.notEqual(Totp.fromUri(TOTP_URI).verify(code.expose(), Math.floor(Date.now() / 1000), 1), undefined);
  } finally {
    await s.release();
  }
  // And the JS client's own envelope, read back raw, is the documented format.
  const detail = await owner.getCredential("raw");
  assert.deepEqual(detail.envelope, envelope);
});

test("the Node process exits promptly after release (heartbeat timer does not keep it alive)", opts, async () => {
  const { owner, agent, agentToken: token } = await owned("exit-user");
  await owner.putCredential("acme", { username: "a", password: "b" }, null, config({ concurrency: { allow_multiple: false } }));
  const dir = mkdtempSync(path.join(os.tmpdir(), "sealvault-exit-"));
  const file = path.join(dir, "exit.mjs");
  writeFileSync(file, `
import { Client } from ${JSON.stringify(path.join(pkgDir, "index.mjs"))};
const [url, token, mode] = process.argv.slice(2);
const s = await new Client(url, token).session("acme", { ttlSecs: 30, waitSecs: 5 });
(await s.access()).free();
if (mode === "release") await s.release(); else s.free();
console.log("done");
`);
  for (const mode of ["release", "free"]) {
    const started = Date.now();
    const { stdout } = await run(process.execPath, [file, vault.url, token, mode], { timeout: 15000 });
    assert.equal(stdout, "done\n");
    assert.ok(Date.now() - started < 5000, `${mode}: exited after ${Date.now() - started} ms`);
    // The lease is gone (allow_multiple false): taken again without waiting.
    const s = await agent.session("acme", { waitSecs: 0 });
    await s.release();
  }
  rmSync(dir, { recursive: true, force: true });
});

test("examples/js/quickstart.mjs runs against its own server", opts, async () => {
  const { stdout } = await run(process.execPath, [path.join(repoRoot, "examples", "js", "quickstart.mjs")],
    { env: { ...process.env, SEALVAULT_SERVER_BIN: serverBin }, timeout: 60000 });
  assert.match(stdout, /password opened \(matches what the owner sealed; never printed\)/);
  assert.match(stdout, /look-alike page refused/);
  assert.match(stdout, /client-side check with Totp: valid/);
  assert.match(stdout, /quickstart finished: every step passed/);
});

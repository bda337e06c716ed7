// Browser session state through the npm package's Session (saveState,
// loadState, deleteState) against a real `sealvault-server` subprocess
// (tests/vault.mjs): round trip with unknown fields, persistence flags,
// version conflict and stale fencing token as typed errors, bad input, and
// the `sealvault/playwright` helpers' pure parts.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { sv, pkgDir } from "./helpers.mjs";
import { startVault, makeUser, serverSkip, OWNER_SCOPES } from "./vault.mjs";

const { Client, SealVaultError } = sv;
const helpers = await import(path.join(pkgDir, "playwright.mjs"));
const opts = { skip: serverSkip };

let vault, admin;
before(async () => {
  if (serverSkip) return;
  vault = await startVault();
  admin = new Client(vault.url, vault.adminToken);
});
after(async () => { await vault?.stop(); });

const ALL = { session_persistence: { cookies: true, local_storage: true, session_storage: true } };
const state = () => ({
  cookies: [
    { name: "sid", value: "cookie-secret-js", domain: "acme.test", path: "/", expires: -1, httpOnly: true, secure: false, sameSite: "Lax" },
    { name: "keep", value: "persistent-js", domain: "acme.test", path: "/", expires: 4000000000.5, httpOnly: false, secure: true, sameSite: "None", partitionKey: "http://acme.test" },
  ],
  origins: [{ origin: "http://acme.test", localStorage: [{ name: "ls", value: "local-secret-js" }], sessionStorage: [{ name: "ss", value: "session-secret-js" }], indexedDB: [] }],
});

async function ownerWith(extra) {
  const { userId } = await makeUser(admin, "state");
  const minted = await admin.createToken(userId, { name: "state", scopes: [...OWNER_SCOPES, "sessions"] });
  const client = new Client(vault.url, minted.token);
  await client.createDataKey();
  await client.putCredential("acme", { username: "a", password: "b" }, null, { name: "acme", login_url: "http://acme.test/login", ...extra });
  return client;
}

async function rejectsCode(promise, code) {
  let caught;
  try { await promise; } catch (e) { caught = e; }
  assert.ok(caught instanceof SealVaultError, `a SealVaultError, got ${caught}`);
  assert.equal(caught.code, code, caught.message);
  return caught;
}

test("saveState / loadState / deleteState round trip", opts, async () => {
  const client = await ownerWith(ALL);
  const s = await client.session("acme", { purpose: "use" });
  assert.equal(s.config.session_persistence.session_storage, true);
  assert.equal(await s.loadState(), null);
  assert.equal((await s.saveState(state())).version, 1);
  assert.deepEqual(await s.loadState(), state());
  await s.deleteState();
  assert.equal(await s.loadState(), null);
  assert.equal((await s.saveState(state())).version, 2, "versions outlive a delete");
  await s.release();
  assert.ok(!vault.log().includes("cookie-secret-js"));
});

test("persistence flags decide what is kept", opts, async () => {
  const client = await ownerWith({ session_persistence: { cookies: false, local_storage: true, session_storage: false } });
  const s = await client.session("acme", { purpose: "use" });
  await s.saveState(state());
  assert.deepEqual(await s.loadState(), {
    cookies: [],
    origins: [{ origin: "http://acme.test", localStorage: [{ name: "ls", value: "local-secret-js" }], sessionStorage: [], indexedDB: [] }],
  });
  await s.release();
});

test("conflicts and bad input are typed errors", opts, async () => {
  const client = await ownerWith({});
  const older = await client.session("acme", { purpose: "use" });
  const newer = await client.session("acme", { purpose: "use" });
  assert.equal(await older.loadState(), null);
  assert.equal(await newer.loadState(), null);
  await older.saveState(state());
  await rejectsCode(newer.saveState(state()), "version_conflict");
  await newer.loadState();
  await newer.saveState(state());
  await rejectsCode(older.saveState(state()), "stale_fencing_token");
  const bad = await rejectsCode(newer.saveState({ cookies: [{ name: "n", value: 7654321 }] }), "invalid_request");
  assert.ok(!bad.message.includes("7654321"));
  await rejectsCode(newer.saveState("not a state"), "invalid_request");
  await older.release();
  await newer.release();
});

test("playwright helpers: storageState without sessionStorage, the init script per origin", async () => {
  assert.equal(helpers.sessionStorageScript({ cookies: [], origins: [{ origin: "http://a.test", localStorage: [] }] }), null);
  const script = helpers.sessionStorageScript(state());
  const store = new Map();
  const sessionStorage = { getItem: (k) => (store.has(k) ? store.get(k) : null), setItem: (k, v) => store.set(k, v) };
  new Function("location", "sessionStorage", script)({ origin: "http://acme.test" }, sessionStorage);
  assert.deepEqual([...store], [["ss", "session-secret-js"]]);
  store.clear();
  new Function("location", "sessionStorage", script)({ origin: "http://other.test" }, sessionStorage);
  assert.equal(store.size, 0, "other origins get nothing");
  let options;
  const browser = { newContext: async (o) => { options = o; return { addInitScript: async () => {} }; } };
  await helpers.newContextFromState(browser, state(), { viewport: null });
  assert.equal(options.viewport, null);
  assert.equal(options.storageState.origins[0].sessionStorage, undefined);
  assert.deepEqual(options.storageState.origins[0].indexedDB, []);
});

test("resolveProxy: the workflow proxy, none, and proxy_unavailable with no pool member", opts, async () => {
  const plain = await ownerWith({});
  const s = await plain.session("acme", { purpose: "use" });
  const workflow = { url: "http://w:wf-secret-js@wf.example:8080", ip: "192.0.2.50" };
  const answer = await s.resolveProxy(workflow);
  assert.equal(answer.source, "workflow");
  assert.equal(answer.proxy.id, null);
  assert.equal(answer.proxy.url.expose(), workflow.url);
  assert.ok(!JSON.stringify(answer).includes("wf-secret-js"), "the URL stays out of JSON");
  assert.deepEqual(await s.resolveProxy(), { source: "none", proxy: null });
  await s.release();

  // This test vault has no pool: a credential that wants one gets a typed
  // 503, never a silent fallback to the workflow proxy.
  const pooled = await ownerWith({ proxy: { enabled: true } });
  const t = await pooled.session("acme", { purpose: "use" });
  const e = await rejectsCode(t.resolveProxy(workflow), "proxy_unavailable");
  assert.equal(e.status, 503);
  await t.release();
});

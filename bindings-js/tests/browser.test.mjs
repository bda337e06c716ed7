// Headless Chromium (Debian `chromium`, driven by playwright-core with
// executablePath; never `playwright install`) loads the package's browser
// entry from a local page served on 127.0.0.1, seals, opens and computes a
// TOTP code. Without /usr/bin/chromium (or SEALVAULT_CHROMIUM) the test is
// skipped with a reason, unless SEALVAULT_TEST_BROWSER=required: then it fails.
// A second page drives the vault Client against a real sealvault-server:
// the vault sends no CORS headers, so the page is served by this test's
// server, which also proxies /v1/ to the vault (same origin).
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer, request as httpRequest } from "node:http";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import * as OTPAuth from "otpauth";
import { pkgDir } from "./helpers.mjs";
import { startVault, makeUser, serverSkip } from "./vault.mjs";

const chromium = process.env.SEALVAULT_CHROMIUM || "/usr/bin/chromium";
const required = process.env.SEALVAULT_TEST_BROWSER === "required";
const missing = existsSync(chromium) ? null : `${chromium} not found (apt-get install -y chromium)`;

const page = `<!doctype html><meta charset="utf-8"><title>sealvault</title>
<script type="module">
import { DataKey, seal, open, inspect, Totp, isSealVaultError, SealVaultError } from "/pkg/browser.mjs";
try {
  const dk = DataKey.generate();
  const env = seal(dk, new TextEncoder().encode("browser secret"), { tenant: "t1" });
  const pt = open(dk, env, { tenant: "t1" });
  let code = null;
  try { open(DataKey.generate(), env); } catch (e) { code = isSealVaultError(e) && e instanceof SealVaultError && e instanceof Error ? e.code : "bad"; }
  window.result = {
    plaintext: new TextDecoder().decode(pt.expose()), keyId: inspect(env).keyId === dk.keyId, code,
    totp: Totp.fromUri("otpauth://totp/a?secret=JBSWY3DPEHPK3PXP").at(1700000000),
    now: new Totp("JBSWY3DPEHPK3PXP").now().length,
  };
} catch (e) { window.result = { error: String(e && e.stack || e) }; }
</script>`;

const types = { ".mjs": "text/javascript", ".js": "text/javascript", ".wasm": "application/wasm", ".json": "application/json" };

test("headless Chromium: seal, open and a TOTP code from the web build", { skip: !required && missing ? missing : false }, async () => {
  if (missing) assert.fail(`SEALVAULT_TEST_BROWSER=required but ${missing}`);
  const { chromium: pw } = await import("playwright-core");
  const server = createServer((req, res) => {
    const url = new URL(req.url, "http://127.0.0.1");
    if (url.pathname === "/") {
      res.writeHead(200, { "content-type": "text/html" }).end(page);
      return;
    }
    const file = path.join(pkgDir, path.normalize(url.pathname.replace(/^\/pkg\//, "")));
    if (!url.pathname.startsWith("/pkg/") || !file.startsWith(pkgDir) || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": types[path.extname(file)] ?? "application/octet-stream" }).end(readFileSync(file));
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const browser = await pw.launch({
    executablePath: chromium,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
  });
  try {
    const tab = await browser.newPage();
    const errors = [];
    tab.on("pageerror", (e) => errors.push(String(e)));
    await tab.goto(`http://127.0.0.1:${server.address().port}/`);
    await tab.waitForFunction(() => window.result !== undefined, null, { timeout: 30000 });
    const result = await tab.evaluate(() => window.result);
    assert.deepEqual(errors, []);
    assert.deepEqual(result, {
      plaintext: "browser secret", keyId: true, code: "wrong_key",
      totp: new OTPAuth.TOTP({ secret: "JBSWY3DPEHPK3PXP" }).generate({ timestamp: 1700000000 * 1000 }),
      now: 6,
    });
  } finally {
    await browser.close();
    server.close();
  }
});

const clientPage = (tokens) => `<!doctype html><meta charset="utf-8"><title>sealvault client</title>
<script type="module">
import { Client, Totp, SecretText, isSealVaultError } from "/pkg/browser.mjs";
const tokens = ${JSON.stringify(tokens)};
try {
  const owner = new Client(location.origin, tokens.owner);
  const agent = new Client(location.origin, tokens.agent);
  await owner.createDataKey();
  const totp = new Totp("JBSWY3DPEHPK3PXP");
  const config = { name: "acme", login_url: "https://portal.acme.test/login", concurrency: { allow_multiple: false } };
  const written = await owner.putCredential("acme", { username: "alice", password: "from-the-browser" }, totp, config);
  const s = await agent.session("acme", { waitSecs: 5 });
  let busy = null;
  try { await agent.session("acme", { waitSecs: 0 }); } catch (e) { busy = isSealVaultError(e) ? e.code + " " + e.status : String(e); }
  const cred = await s.access();
  let origin = null;
  try { cred.checkOrigin("https://evil.test/login"); } catch (e) { origin = e.code; }
  const { code, secondsLeft } = await s.totp(0);
  const result = {
    version: written.version, username: cred.username, password: cred.password.expose(), redacted: String(cred.password),
    busy, origin, secret: code instanceof SecretText,
    totp: totp.verify(code.expose(), Math.floor(Date.now() / 1000), 1) !== undefined, secondsLeft: secondsLeft > 0,
  };
  cred.free();
  await s.loginComplete();
  await s.release();
  const again = await agent.session("acme", { waitSecs: 5 });
  result.reacquired = again.phase;
  await again.release();
  window.result = result;
} catch (e) { window.result = { error: String(e && e.stack || e), code: e && e.code }; }
</script>`;

test("headless Chromium: the vault Client against a real sealvault-server", { skip: (!required && missing ? missing : false) || serverSkip }, async () => {
  if (missing) assert.fail(`SEALVAULT_TEST_BROWSER=required but ${missing}`);
  const vault = await startVault();
  const { Client } = await import(path.join(pkgDir, "index.mjs"));
  const admin = new Client(vault.url, vault.adminToken);
  const user = await makeUser(admin, "browser-user");
  const { chromium: pw } = await import("playwright-core");
  const target = new URL(vault.url);
  const server = createServer((req, res) => {
    const url = new URL(req.url, "http://127.0.0.1");
    if (url.pathname.startsWith("/v1/")) {
      // Same-origin proxy to the vault (it sends no CORS headers).
      const upstream = httpRequest({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (up) => {
        res.writeHead(up.statusCode, up.headers);
        up.pipe(res);
      });
      upstream.on("error", () => res.writeHead(502).end());
      req.pipe(upstream);
      return;
    }
    if (url.pathname === "/") {
      res.writeHead(200, { "content-type": "text/html" }).end(clientPage({ owner: user.ownerToken, agent: user.agentToken }));
      return;
    }
    const file = path.join(pkgDir, path.normalize(url.pathname.replace(/^\/pkg\//, "")));
    if (!url.pathname.startsWith("/pkg/") || !file.startsWith(pkgDir) || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": types[path.extname(file)] ?? "application/octet-stream" }).end(readFileSync(file));
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const browser = await pw.launch({
    executablePath: chromium,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
  });
  try {
    const tab = await browser.newPage();
    const errors = [];
    tab.on("pageerror", (e) => errors.push(String(e)));
    await tab.goto(`http://127.0.0.1:${server.address().port}/`);
    await tab.waitForFunction(() => window.result !== undefined, null, { timeout: 60000 });
    const result = await tab.evaluate(() => window.result);
    assert.deepEqual(errors, []);
    assert.deepEqual(result, {
      version: 1, username: "alice", password: "from-the-browser", redacted: "[redacted]",
      busy: "concurrency_limit 409", origin: "invalid_request", secret: true, totp: true, secondsLeft: true,
      reacquired: "login",
    });
  } finally {
    await browser.close();
    server.close();
    await vault.stop();
  }
});

// SealVault end to end from JavaScript: starts `sealvault-server serve --dev`
// (temp SQLite, development master key, random admin token, a free port),
// then the steps of examples/src/bin/quickstart.rs through the npm package's
// Client. Secrets never print. After `bindings-js/build.sh` and
// `cargo build -p sealvault-server`:
//   node examples/js/quickstart.mjs        (SEALVAULT_SERVER_BIN to pick the binary)
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client, Totp } from "../../bindings-js/pkg/index.mjs"; // installed: from "sealvault"

const bin = process.env.SEALVAULT_SERVER_BIN ?? "target/debug/sealvault-server";
const dir = mkdtempSync(join(tmpdir(), "sealvault-quickstart-"));
const adminToken = randomBytes(24).toString("hex");
const vault = spawn(bin, ["serve", "--dev"], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env,
  SEALVAULT_LISTEN: "127.0.0.1:0", SEALVAULT_DATABASE_URL: `sqlite://${join(dir, "vault.db")}`,
  SEALVAULT_DATA_DIR: dir, SEALVAULT_ADMIN_TOKEN: adminToken } });
const url = await new Promise((resolve, reject) => {
  let log = "";
  const seen = (d) => { log += d; const m = /listening on (\S+)/.exec(log.replace(/\x1b\[[0-9;]*m/g, "")); if (m) resolve(`http://${m[1]}`); };
  vault.stdout.on("data", seen); vault.stderr.on("data", seen);
  vault.on("error", reject).on("exit", (code) => reject(new Error(`vault exited (${code}): ${log}`)));
});
const step = (n, text) => console.log(`${String(n).padStart(2)}. ${text}`);
try {
  step(1, `vault listening on ${url} (SQLite in ${dir}, development master key)`);
  const admin = new Client(url, adminToken);
  const user = await admin.createUser("demo-user");
  const owner = new Client(url, (await admin.createToken(user.id, { name: "owner", scopes: ["keys:use", "keys:rotate", "secrets:write"], ttlSecs: 3600 })).token);
  const agent = new Client(url, (await admin.createToken(user.id, { name: "agent", scopes: ["secrets:access", "sessions"], items: ["acme"], ttlSecs: 3600 })).token);
  step(2, `user ${user.id} with an owner token and an agent token limited to item "acme"`);
  const firstKey = (await owner.createDataKey()).keyId;
  step(3, `data key ${firstKey} created by the vault, wrapped by its master key`);

  const config = { name: "acme-portal", login_url: "https://portal.acme.test/login", tfa: { method: "AUTHENTICATOR" }, concurrency: { allow_multiple: false } };
  const password = randomBytes(18).toString("base64url");
  const totp = new Totp(new Uint8Array(randomBytes(20)));
  const written = await owner.putCredential("acme", { username: "alice@acme.test", password }, totp, config);
  step(4, `credential "acme" and its TOTP seed sealed on the client, verified and stored: version ${written.version}`);

  const checks = [];
  const session = await agent.session("acme", { purpose: "login" }); // `await using session = …` on Node 24+ / TypeScript
  try {
    step(5, `agent took login lease ${session.sessionId} (fencing token ${session.fencingToken})`);
    const credential = await session.access();
    checks.push(credential.password.expose() === password);
    step(6, `agent opened the credential: username ${credential.username}, password opened (${checks[0] ? "matches what the owner sealed" : "DOES NOT MATCH"}; never printed)`);
    credential.checkOrigin("https://portal.acme.test/login?next=/home");
    let refused = false;
    try { credential.checkOrigin("https://portal.acme.test.evil.example/login"); } catch (e) { refused = e.code === "invalid_request"; }
    checks.push(refused);
    credential.free(); // wipes the opened credential in wasm memory
    step(7, `origin check: login page accepted, look-alike page ${refused ? "refused" : "ACCEPTED"}`);
    const { code, secondsLeft } = await session.totp(5);
    checks.push(totp.verify(code.expose(), undefined, 0) !== undefined);
    step(8, `vault computed the TOTP code (${secondsLeft} s left); client-side check with Totp: ${checks[2] ? "valid" : "INVALID"}`);
    await session.loginComplete();
  } finally {
    await session.release();
  }
  step(9, "login complete, lease released");

  const rotated = await owner.rotateDataKey(firstKey);
  step(10, `data key rotated: ${firstKey} -> ${rotated.key_id}, ${rotated.reencrypted} envelopes re-sealed`);
  const again = await agent.session("acme");
  try {
    const credential = await again.access();
    checks.push(credential.password.expose() === password);
    credential.free();
    await again.loginComplete();
  } finally {
    await again.release();
  }
  step(11, `agent accessed again after rotation: password ${checks[3] ? "opened and matches" : "DOES NOT MATCH"}`);
  if (checks.some((ok) => !ok)) throw new Error("a check above failed");
  console.log("quickstart finished: every step passed");
} finally {
  vault.kill("SIGTERM");
  rmSync(dir, { recursive: true, force: true });
}

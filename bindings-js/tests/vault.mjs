// A real `sealvault-server` subprocess for the client tests: 127.0.0.1:0,
// a temp SQLite file, a random 32-byte master key file, a random admin
// token. The binary comes from SEALVAULT_SERVER_BIN (scripts/test.sh sets
// it after `cargo build -p sealvault-server`), else <target>/debug/.
// Without it the tests are skipped with a reason, unless CI or
// SEALVAULT_TEST_BROWSER / SEALVAULT_TEST_SERVER say "required": then they fail.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import os from "node:os";
import path from "node:path";
import { repoRoot } from "./helpers.mjs";

const targetDir = process.env.CARGO_TARGET_DIR || path.join(repoRoot, "target");
export const serverBin = process.env.SEALVAULT_SERVER_BIN || path.join(targetDir, "debug", "sealvault-server");
export const serverRequired = Boolean(process.env.CI) ||
  process.env.SEALVAULT_TEST_BROWSER === "required" || process.env.SEALVAULT_TEST_SERVER === "required";
const missing = existsSync(serverBin) ? null : `${serverBin} not found (cargo build -p sealvault-server, or set SEALVAULT_SERVER_BIN)`;

/** `{ skip }` for node:test: skip only when the server is optional and missing. */
export const serverSkip = !serverRequired && missing ? missing : false;

/** Fails the calling test when the binary is missing (required mode). */
export function assertServer() {
  if (missing) throw new Error(`the vault server is required here but ${missing}`);
}

/** Inbound second factors (tfa.test.mjs): webhook secret, Twilio token, mail domain, SMS pool. */
export const INBOUND_SECRET = "inbound-secret-" + randomBytes(8).toString("hex");
export const TWILIO_TOKEN = "twilio-token-" + randomBytes(8).toString("hex");
export const INBOUND_DOMAIN = "inbound.test";
export const SMS_NUMBERS = ["+15550100001", "+15550100002"];

/** Starts a vault; resolves to `{ url, adminToken, stop() }` once it listens. */
export async function startVault(extraEnv = {}) {
  assertServer();
  const dir = mkdtempSync(path.join(os.tmpdir(), "sealvault-js-vault-"));
  const keyFile = path.join(dir, "master.key");
  writeFileSync(keyFile, randomBytes(32), { mode: 0o600 });
  const adminToken = randomBytes(24).toString("hex");
  const child = spawn(serverBin, ["serve"], {
    env: {
      PATH: process.env.PATH,
      SEALVAULT_LISTEN: "127.0.0.1:0",
      SEALVAULT_DATABASE_URL: `sqlite://${path.join(dir, "vault.db")}`,
      SEALVAULT_DATA_DIR: dir,
      SEALVAULT_MASTER_KEY_FILE: keyFile,
      SEALVAULT_ADMIN_TOKEN: adminToken,
      SEALVAULT_LOG: "info",
      SEALVAULT_INBOUND_DOMAIN: INBOUND_DOMAIN,
      SEALVAULT_SMS_NUMBERS: SMS_NUMBERS.join(","),
      SEALVAULT_INBOUND_SECRET: INBOUND_SECRET,
      SEALVAULT_TWILIO_AUTH_TOKEN: TWILIO_TOKEN,
      ...extraEnv,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`vault did not start in 30 s:\n${log}`)), 30000);
    const onData = (chunk) => {
      log += chunk;
      const m = /(?<!smtp )listening on (\S+)/.exec(log.replace(/\x1b\[[0-9;]*m/g, ""));
      if (m) {
        clearTimeout(timer);
        resolve(`http://${m[1]}`);
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`vault exited with ${code}:\n${log}`));
    });
  });
  child.stdout.resume();
  child.stderr.resume();
  return {
    url,
    adminToken,
    log: () => log,
    /** The SMTP listener's `host:port` (started with SEALVAULT_SMTP_LISTEN), from its log line. */
    async smtp() {
      for (let i = 0; i < 100; i++) {
        const m = /smtp listening on (\S+)/.exec(log.replace(/\x1b\[[0-9;]*m/g, ""));
        if (m) return m[1];
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`no SMTP listener in the vault's log:\n${log}`);
    },
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const OWNER_SCOPES = ["keys:use", "keys:rotate", "secrets:write"];
export const AGENT_SCOPES = ["secrets:access", "sessions"];

/** A user with an owner token and an agent token: `{ userId, owner, agent }` (tokens). */
export async function makeUser(admin, name = "u") {
  const user = await admin.createUser(name);
  const owner = await admin.createToken(user.id, { name: "owner", scopes: OWNER_SCOPES, ttlSecs: 3600 });
  const agent = await admin.createToken(user.id, { name: "agent", scopes: AGENT_SCOPES, items: null });
  return { userId: user.id, ownerToken: owner.token, agentToken: agent.token, ownerTokenId: owner.id };
}

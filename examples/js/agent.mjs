// A login robot on SealVault: playwright-core driving Debian's Chromium
// signs in to the demo site with a credential it never stores.
//
//   python examples/e2e/stack.py up               # one terminal: vault + demo site
//   node examples/js/agent.mjs --account totp     # another: password, totp, email or sms
//
// The steps of examples/python/agent.py: a `login` lease; the saved browser
// state if the site still knows it; else the credential (opened only when
// its sealed config matches, filled only on its login_url origin), the
// second factor (TOTP from the vault, or the emailed/texted code the vault
// received), the state saved as the persistence flags allow; login-complete,
// work, release. Every log line goes through `session.redact`. Needs
// `bindings-js/build.sh` and `npm ci` in bindings-js (for playwright-core).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { Client } from "../../bindings-js/pkg/index.mjs"; // installed: from "sealvault"
import { restoreContext, saveContext } from "../../bindings-js/pkg/playwright.mjs"; // "sealvault/playwright"

const repo = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const { chromium } = createRequire(join(repo, "bindings-js", "package.json"))("playwright-core");
const CHROMIUM = process.env.SEALVAULT_CHROMIUM ?? "/usr/bin/chromium";
const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
  "--disable-component-update", "--no-first-run"];

const { values: args } = parseArgs({ options: {
  account: { type: "string" },
  stack: { type: "string", default: join(repo, "examples", ".demo-stack.json") },
  proxy: { type: "boolean", default: false },
  fresh: { type: "boolean", default: false },
  "work-secs": { type: "string", default: "0" },
  logout: { type: "boolean", default: false },
  name: { type: "string", default: "js-agent" },
} });
if (!args.account) {
  console.error("usage: node examples/js/agent.mjs --account password|totp|email|sms [--proxy] [--fresh] [--work-secs N] [--logout]");
  process.exit(64);
}

let step = 0;
let session = null;
const log = (message) => {
  step += 1;
  const text = session ? session.redact(message) : message;
  console.log(`[${args.name}] ${String(step).padStart(2)}. ${text}`);
};

/** Fills the second-factor form. */
async function secondFactor(method, page, since) {
  let value;
  if (method === "AUTHENTICATOR") {
    const { code, secondsLeft } = await session.totp(2);
    value = code.expose();
    log(`TOTP code ${value} from the vault, ${secondsLeft} s left`);
  } else {
    log(`waiting for the ${method.toLowerCase()} code the site sent to the vault`);
    const answer = await session.waitForTfaCode({ timeoutSecs: 60, since });
    if (!answer?.code) throw new Error(`no ${method.toLowerCase()} code arrived within 60 s`);
    value = answer.code.expose();
    log(`${answer.channel} code ${value} arrived`);
  }
  await page.fill("#code", value);
  await page.click("#submit");
}

/** Fills the login form and answers the second factor. */
async function login(page) {
  const config = session.config;
  const credential = await session.access(); // opened only if its sealed config matches
  try {
    await page.goto(credential.loginUrl);
    credential.checkOrigin(page.url());
    log(`credential for ${credential.username} checked against ${page.url()}`);
    await page.fill("#username", credential.username);
    const password = credential.password;
    await page.fill("#password", password.expose());
    password.free();
  } finally {
    credential.free();
  }
  const since = Math.floor(Date.now() / 1000) - 1;
  await page.click("#submit");
  const method = config.tfa?.method ?? "NONE";
  if (method !== "NONE") {
    await page.waitForURL("**/login/tfa", { timeout: 15_000 });
    await secondFactor(method, page, since);
  }
  await page.waitForSelector("#dashboard", { timeout: 15_000 });
}

async function run() {
  const stack = JSON.parse(readFileSync(args.stack, "utf8"));
  const account = stack.accounts[args.account];
  const client = new Client(stack.vault, stack.token);
  log(`asking the vault for a login lease on ${account.item}`);
  session = await client.session(account.item, { purpose: "login", waitSecs: 120 });
  let reused = false;
  try {
    log(`lease ${session.sessionId} granted (fencing token ${session.fencingToken})`);
    let proxy = null;
    if (args.proxy) {
      const answer = await session.resolveProxy(null);
      proxy = answer.proxy;
      log(`proxy from the vault: ${answer.source} ${proxy ? proxy.id : "-"}`);
    }
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS,
      ...(proxy ? { proxy: { server: proxy.url.expose() } } : {}) });
    try {
      const { context, restored } = args.fresh
        ? { context: await browser.newContext(), restored: false }
        : await restoreContext(session, browser);
      const page = await context.newPage();
      if (restored) {
        log("saved browser state found: trying the dashboard");
        await page.goto(`${stack.site}/dashboard`);
        reused = (await page.locator("#dashboard").count()) > 0;
        log(reused ? "the site still knows this session" : "the site ended that session");
      }
      if (!reused) {
        await login(page);
        log("logged in");
        const saved = await saveContext(session, context);
        log(`browser state saved (version ${saved.version})`);
      }
      await session.loginComplete();
      log("login phase over");
      const deadline = Date.now() + Number(args["work-secs"]) * 1000;
      for (;;) {
        const local = await page.locator("#local").innerText();
        const tab = await page.locator("#session").innerText();
        log(`on the dashboard: ${await page.locator("#dashboard").innerText()} (local=${local}, session=${tab})`);
        if (Date.now() >= deadline) break;
        await new Promise((r) => setTimeout(r, Math.min(1000, Math.max(0, deadline - Date.now()))));
        await page.reload();
      }
      if (args.logout) {
        await page.evaluate(() => fetch("/logout", { method: "POST" }));
        log("logged out of the site");
      } else {
        await saveContext(session, context);
      }
    } finally {
      await browser.close();
    }
    log("releasing the lease");
  } finally {
    await session.release();
  }
  console.log(`[${args.name}] done: dashboard reached${reused ? " with the saved state" : ""}`);
}

try {
  await run();
} catch (e) {
  console.error(`[${args.name}] refused: ${e.code ?? "error"}: ${e.message}`);
  process.exit(2);
}

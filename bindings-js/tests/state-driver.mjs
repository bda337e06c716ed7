// The JS half of the cross-language browser-state acceptance test
// (bindings-python/tests/test_playwright_state.py runs it with node): reads
// a job as JSON on stdin, drives headless Chromium through playwright-core
// and the package's `sealvault/playwright` helpers, prints JSON.
//   {"op": "save", ...}    open the site's /set page, saveContext
//   {"op": "restore", ...} restoreContext, open /blank, report what is there
// Not a test file itself (node --test does not pick it up).
import { readFileSync } from "node:fs";
import path from "node:path";
import { chromium } from "playwright-core";
import { pkgDir } from "./helpers.mjs";

const sv = await import(path.join(pkgDir, "index.mjs"));
const { saveContext, restoreContext } = await import(path.join(pkgDir, "playwright.mjs"));

const job = JSON.parse(readFileSync(0, "utf8"));
const browser = await chromium.launch({ executablePath: job.chromium, headless: true, args: job.args });
const client = new sv.Client(job.vault, job.token);
const session = await client.session(job.item, { purpose: "use" });
let out;
try {
  if (job.op === "save") {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${job.site}/set`);
    await page.waitForFunction(() => window.done === true);
    const written = await saveContext(session, context);
    out = { version: written.version, snapshot: await snapshot(context, page) };
  } else {
    const { context, restored } = await restoreContext(session, browser);
    const page = await context.newPage();
    await page.goto(`${job.site}/blank`);
    out = { restored, snapshot: await snapshot(context, page) };
  }
} finally {
  await session.release();
  await browser.close();
}
process.stdout.write(JSON.stringify(out));

/** What a page of the site sees, in the shape the Python side builds. */
async function snapshot(context, page) {
  const storage = await page.evaluate(() => ({
    local: Object.fromEntries(Object.entries(localStorage)),
    session: Object.fromEntries(Object.entries(sessionStorage)),
  }));
  const cookies = (await context.cookies()).map((c) => ({
    name: c.name, value: c.value, domain: c.domain, path: c.path,
    expires: c.expires < 0 ? -1 : Math.floor(c.expires), httpOnly: c.httpOnly, secure: c.secure, sameSite: c.sameSite,
  })).sort((a, b) => a.name.localeCompare(b.name));
  return { cookies, ...storage };
}

// Playwright helpers of the npm package `sealvault` (subpath
// `sealvault/playwright`): capture a BrowserContext's cookies, localStorage
// and sessionStorage and save them through a lease `Session`, and restore
// them into a new context. Works with `playwright` and `playwright-core`
// objects; imports neither. Filtering by the credential's persistence
// flags, sealing and the expiry hint happen in the core (`saveState`).
"use strict";

/**
 * Runs in the page (Playwright serializes the function): the page's origin
 * and its sessionStorage as [{name, value}].
 */
function readSessionStorage() {
  const out = [];
  for (let i = 0; i < sessionStorage.length; i++) {
    const name = sessionStorage.key(i);
    out.push({ name, value: sessionStorage.getItem(name) });
  }
  return { origin: location.origin, entries: out };
}

/**
 * The context's state: `context.storageState()` (cookies, localStorage)
 * plus the sessionStorage of every open page, per origin.
 */
async function captureContext(context) {
  const state = await context.storageState();
  state.origins = state.origins || [];
  for (const page of context.pages()) {
    let found;
    try {
      found = await page.evaluate(readSessionStorage);
    } catch {
      continue; // a closed or crashed page, or an opaque origin
    }
    if (!found || !found.origin || found.origin === "null" || found.entries.length === 0) continue;
    let entry = state.origins.find((o) => o.origin === found.origin);
    if (!entry) {
      entry = { origin: found.origin, localStorage: [] };
      state.origins.push(entry);
    }
    const merged = new Map((entry.sessionStorage || []).map((e) => [e.name, e.value]));
    for (const { name, value } of found.entries) merged.set(name, value);
    entry.sessionStorage = [...merged].map(([name, value]) => ({ name, value }));
  }
  return state;
}

/** Captures `context` and saves it with `session.saveState` (filtered by the flags). */
async function saveContext(session, context) {
  return session.saveState(await captureContext(context));
}

/** `storageState` for `browser.newContext`: the state without sessionStorage. */
function storageStateOf(state) {
  return {
    ...state,
    cookies: state.cookies || [],
    origins: (state.origins || []).map(({ sessionStorage, ...rest }) => ({ ...rest, localStorage: rest.localStorage || [] })),
  };
}

/**
 * An init script writing each origin's saved sessionStorage into pages of
 * that origin (keys already present are left alone), or null when none.
 */
function sessionStorageScript(state) {
  const byOrigin = {};
  for (const o of state.origins || []) {
    if (o.sessionStorage && o.sessionStorage.length) byOrigin[o.origin] = o.sessionStorage;
  }
  if (Object.keys(byOrigin).length === 0) return null;
  return `(() => {
  const entries = (${JSON.stringify(byOrigin)})[location.origin];
  if (!entries) return;
  for (const { name, value } of entries) {
    if (sessionStorage.getItem(name) === null) sessionStorage.setItem(name, value);
  }
})();`;
}

/** A new context of `browser` holding `state` (or a fresh one for null). */
async function newContextFromState(browser, state, options = {}) {
  if (!state) return browser.newContext(options);
  const context = await browser.newContext({ ...options, storageState: storageStateOf(state) });
  const script = sessionStorageScript(state);
  if (script) await context.addInitScript(script);
  return context;
}

/**
 * Loads the session's saved state and opens a context of `browser` with
 * it (`options` go to `browser.newContext`): `{context, restored}`; a
 * fresh context and `restored: false` when there is no saved state (or it
 * expired).
 */
async function restoreContext(session, browser, options = {}) {
  const state = await session.loadState();
  const context = await newContextFromState(browser, state, options);
  return { context, restored: state !== null };
}

module.exports = { captureContext, saveContext, restoreContext, newContextFromState, sessionStorageScript };

// Types of `sealvault/playwright`. Playwright objects are typed
// structurally, so neither `playwright` nor `playwright-core` is required.
import type { BrowserState, Session, SessionStateWritten } from "./index.js";

/** The parts of a Playwright `Page` the helpers use. */
export interface PageLike { evaluate<R>(fn: () => R): Promise<R>; }
/** The parts of a Playwright `BrowserContext` the helpers use. */
export interface BrowserContextLike {
  storageState(): Promise<{ cookies: unknown[]; origins: unknown[] }>;
  pages(): PageLike[];
  addInitScript(script: string): Promise<void>;
}
/** The parts of a Playwright `Browser` the helpers use. */
export interface BrowserLike<C extends BrowserContextLike = BrowserContextLike> {
  newContext(options?: Record<string, unknown>): Promise<C>;
}
/** Cookies and localStorage from `storageState()`, sessionStorage from the open pages. */
export function captureContext(context: BrowserContextLike): Promise<BrowserState>;
/** Captures `context` and saves it (filtered by the credential's persistence flags). */
export function saveContext(session: Session, context: BrowserContextLike): Promise<SessionStateWritten>;
/** A context holding the saved state, or a fresh one (`restored: false`) when none. */
export function restoreContext<C extends BrowserContextLike>(
  session: Session, browser: BrowserLike<C>, options?: Record<string, unknown>,
): Promise<{ context: C; restored: boolean }>;
/** A context holding `state` (fresh for null). */
export function newContextFromState<C extends BrowserContextLike>(
  browser: BrowserLike<C>, state: BrowserState | null, options?: Record<string, unknown>,
): Promise<C>;
/** The init script that writes the saved sessionStorage per origin, or null. */
export function sessionStorageScript(state: BrowserState): string | null;

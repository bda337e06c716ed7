"""Playwright helpers: capture a ``BrowserContext``'s cookies, localStorage
and sessionStorage and save them through a lease ``Session``, and restore
them into a new context.

Cookies and localStorage come from ``context.storage_state()``;
sessionStorage is read by a page script on every open page. Restoring
opens ``browser.new_context(storage_state=...)`` and adds an init script
that writes each origin's sessionStorage into pages of that origin. The
SDK (``session.save_state``) keeps only what the credential's persistence
flags allow, seals the state and sends the cookie-expiry hint; these
helpers only move data between Playwright and the session.

Works with the sync API (``capture_context``, ``save_context``,
``restore_context``) and the async API (``async_`` forms; the vault calls
run in a worker thread). Playwright is not imported here.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, Protocol

__all__ = [
    "async_capture_context",
    "async_restore_context",
    "async_save_context",
    "capture_context",
    "new_context_from_state",
    "restore_context",
    "save_context",
    "session_storage_script",
]

# Runs in the page: its origin and its sessionStorage as [{name, value}].
_READ_SESSION_STORAGE = """() => {
  const entries = [];
  for (let i = 0; i < sessionStorage.length; i++) {
    const name = sessionStorage.key(i);
    entries.push({ name, value: sessionStorage.getItem(name) });
  }
  return { origin: location.origin, entries };
}"""


class _Session(Protocol):
    def save_state(self, state: dict[str, Any]) -> dict[str, Any]: ...
    def load_state(self) -> dict[str, Any] | None: ...


def _merge_session_storage(state: dict[str, Any], found: Any) -> None:
    """Adds one page's sessionStorage to its origin's entry."""
    if not isinstance(found, dict) or found.get("origin") in (None, "null") or not found.get("entries"):
        return
    origins = state.setdefault("origins", [])
    entry = next((o for o in origins if o.get("origin") == found["origin"]), None)
    if entry is None:
        entry = {"origin": found["origin"], "localStorage": []}
        origins.append(entry)
    merged = {e["name"]: e["value"] for e in entry.get("sessionStorage", [])}
    merged.update((e["name"], e["value"]) for e in found["entries"])
    entry["sessionStorage"] = [{"name": n, "value": v} for n, v in merged.items()]


def capture_context(context: Any) -> dict[str, Any]:
    """The context's state: ``storage_state()`` plus every open page's
    sessionStorage, per origin."""
    state: dict[str, Any] = dict(context.storage_state())
    state.setdefault("origins", [])
    for page in context.pages:
        try:
            found = page.evaluate(_READ_SESSION_STORAGE)
        except Exception:  # a closed or crashed page, an opaque origin
            continue
        _merge_session_storage(state, found)
    return state


def save_context(session: _Session, context: Any) -> dict[str, Any]:
    """Captures ``context`` and saves it with ``session.save_state``."""
    return session.save_state(capture_context(context))


def _storage_state(state: dict[str, Any]) -> dict[str, Any]:
    """``storage_state`` for ``new_context``: the state without sessionStorage."""
    origins = [
        {**{k: v for k, v in o.items() if k != "sessionStorage"}, "localStorage": o.get("localStorage", [])}
        for o in state.get("origins", [])
    ]
    return {**state, "cookies": state.get("cookies", []), "origins": origins}


def session_storage_script(state: dict[str, Any]) -> str | None:
    """An init script writing each origin's saved sessionStorage into pages
    of that origin (keys already present are left alone); ``None`` when
    there is none."""
    by_origin = {o["origin"]: o["sessionStorage"] for o in state.get("origins", []) if o.get("sessionStorage")}
    if not by_origin:
        return None
    return (
        "(() => {\n"
        f"  const entries = ({json.dumps(by_origin)})[location.origin];\n"
        "  if (!entries) return;\n"
        "  for (const { name, value } of entries) {\n"
        "    if (sessionStorage.getItem(name) === null) sessionStorage.setItem(name, value);\n"
        "  }\n"
        "})();"
    )


def new_context_from_state(browser: Any, state: dict[str, Any] | None, **options: Any) -> Any:
    """A new context of ``browser`` holding ``state`` (fresh for ``None``);
    ``options`` go to ``browser.new_context``."""
    if state is None:
        return browser.new_context(**options)
    context = browser.new_context(**options, storage_state=_storage_state(state))
    script = session_storage_script(state)
    if script is not None:
        context.add_init_script(script)
    return context


def restore_context(session: _Session, browser: Any, **options: Any) -> tuple[Any, bool]:
    """Loads the saved state and opens a context with it: ``(context,
    restored)``; a fresh context and ``False`` when there is no saved state
    (or it expired)."""
    state = session.load_state()
    return new_context_from_state(browser, state, **options), state is not None


async def async_capture_context(context: Any) -> dict[str, Any]:
    """``capture_context`` for the async API."""
    state: dict[str, Any] = dict(await context.storage_state())
    state.setdefault("origins", [])
    for page in context.pages:
        try:
            found = await page.evaluate(_READ_SESSION_STORAGE)
        except Exception:  # a closed or crashed page, an opaque origin
            continue
        _merge_session_storage(state, found)
    return state


async def async_save_context(session: _Session, context: Any) -> dict[str, Any]:
    """``save_context`` for the async API."""
    state = await async_capture_context(context)
    return await asyncio.to_thread(session.save_state, state)


async def async_restore_context(session: _Session, browser: Any, **options: Any) -> tuple[Any, bool]:
    """``restore_context`` for the async API."""
    state = await asyncio.to_thread(session.load_state)
    if state is None:
        return await browser.new_context(**options), False
    context = await browser.new_context(**options, storage_state=_storage_state(state))
    script = session_storage_script(state)
    if script is not None:
        await context.add_init_script(script)
    return context, True

//! Browser session state: the sealed plaintext of a `session-state`
//! envelope (DESIGN §7 session persistence).
//!
//! # Use case
//! Save a browser context after logging in and restore it in the next run
//! (in any language), so the agent skips the login.
//!
//! # About
//! The plaintext is Playwright's `storageState` JSON — `cookies` (name,
//! value, domain, path, expires in seconds as a float with -1 for a session
//! cookie, httpOnly, secure, sameSite) and `origins` (origin, localStorage
//! as `[{name, value}]`) — plus `sessionStorage: [{name, value}]` in each
//! origin entry. Fields this crate does not know (a cookie's
//! `partitionKey`, an origin's `indexedDB`, …) are kept as they came and
//! written back, so nothing Playwright adds is lost in a round trip.
//! `docs/FORMAT.md` ("Session-state plaintext") states the format.
//!
//! [`BrowserState::filter`] keeps what a credential's persistence flags
//! allow; [`BrowserState::earliest_cookie_expiry`] gives the hard expiry
//! `expiration.follow_cookie_expiry` asks for.
//!
//! # Errors
//! [`BrowserState::from_plaintext`] / [`BrowserState::from_value`] fail with
//! `invalid_request` on JSON of another shape; the message never quotes it.
//!
//! # Security
//! Cookie and storage values are secrets: they wipe themselves on drop and
//! `Debug` shows only counts and origins. Unknown fields are wiped too.
//!
//! # Example
//! ```
//! use sealvault::browser_state::BrowserState;
//! use sealvault::wire::PersistenceFlags;
//! let json = br#"{"cookies":[{"name":"sid","value":"s3cret","domain":"acme.test",
//!   "path":"/","expires":-1,"httpOnly":true,"secure":false,"sameSite":"Lax"}],
//!   "origins":[{"origin":"http://acme.test","localStorage":[{"name":"k","value":"v"}],
//!   "sessionStorage":[{"name":"tab","value":"1"}]}]}"#;
//! let state = BrowserState::from_plaintext(json)?;
//! let kept = state.filter(&PersistenceFlags::default()); // no sessionStorage
//! assert!(kept.origins[0].session_storage.is_empty());
//! assert_eq!(kept.earliest_cookie_expiry(), None); // a session cookie only
//! # Ok::<(), sealvault::Error>(())
//! ```

use std::fmt;

use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, Zeroizing};

use crate::wire::{PersistenceFlags, SecretString};
use crate::{Error, Result};

/// Fields a type does not know, kept verbatim for the round trip.
pub type Extra = serde_json::Map<String, serde_json::Value>;

/// A browser context's state: cookies and per-origin storage.
#[derive(Serialize, Deserialize, Default, PartialEq)]
pub struct BrowserState {
    /// Cookies, as Playwright's `context.cookies()` lists them.
    #[serde(default)]
    pub cookies: Vec<Cookie>,
    /// Storage per origin.
    #[serde(default)]
    pub origins: Vec<OriginState>,
    /// Top-level fields this crate does not know.
    #[serde(flatten)]
    pub extra: Extra,
}

/// One cookie (Playwright's shape).
#[derive(Serialize, Deserialize, PartialEq)]
pub struct Cookie {
    /// Name.
    pub name: String,
    /// Value: a secret.
    pub value: SecretString,
    /// Domain (a leading dot for a domain cookie).
    pub domain: String,
    /// Path.
    pub path: String,
    /// Expiry in unix seconds (a float); -1 for a session cookie.
    #[serde(default = "session_cookie", serialize_with = "seconds")]
    pub expires: f64,
    /// `HttpOnly`.
    #[serde(rename = "httpOnly", default)]
    pub http_only: bool,
    /// `Secure`.
    #[serde(default)]
    pub secure: bool,
    /// `SameSite`: `Strict`, `Lax` or `None`.
    #[serde(rename = "sameSite", default = "lax")]
    pub same_site: String,
    /// Fields this crate does not know (e.g. `partitionKey`).
    #[serde(flatten)]
    pub extra: Extra,
}

/// One origin's storage.
#[derive(Serialize, Deserialize, PartialEq)]
pub struct OriginState {
    /// `scheme://host[:port]`.
    pub origin: String,
    /// localStorage entries.
    #[serde(rename = "localStorage", default)]
    pub local_storage: Vec<StorageEntry>,
    /// sessionStorage entries (SealVault's addition to Playwright's shape).
    #[serde(rename = "sessionStorage", default)]
    pub session_storage: Vec<StorageEntry>,
    /// Fields this crate does not know (e.g. `indexedDB`); persisted with
    /// localStorage.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A storage entry: a name and a secret value.
#[derive(Serialize, Deserialize, PartialEq)]
pub struct StorageEntry {
    /// Key.
    pub name: String,
    /// Value: a secret.
    pub value: SecretString,
}

fn session_cookie() -> f64 {
    -1.0
}

/// Whole seconds as a JSON integer (as Playwright writes them), else a float.
fn seconds<S: serde::Serializer>(
    value: &f64,
    serializer: S,
) -> std::result::Result<S::Ok, S::Error> {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    if value.fract() == 0.0 && value.abs() <= EXACT {
        // Exact: a whole number within ±2^53.
        serializer.serialize_i64(*value as i64)
    } else {
        serializer.serialize_f64(*value)
    }
}

fn lax() -> String {
    "Lax".to_owned()
}

impl BrowserState {
    /// Parses the JSON plaintext (from an opened envelope or a browser).
    pub fn from_plaintext(plaintext: &[u8]) -> Result<Self> {
        serde_json::from_slice(plaintext).map_err(|e| shape_error(&e))
    }

    /// Takes a JSON value of the same shape (a binding's dict or object).
    pub fn from_value(value: serde_json::Value) -> Result<Self> {
        let mut value = value;
        let parsed = Self::deserialize(&value).map_err(|e| shape_error(&e));
        wipe_json(&mut value);
        parsed
    }

    /// The JSON plaintext that is sealed, in a wiping buffer.
    pub fn to_plaintext(&self) -> Result<Zeroizing<Vec<u8>>> {
        let mut out = Zeroizing::new(Vec::with_capacity(self.size_hint()));
        serde_json::to_writer(&mut *out, self)
            .map_err(|_| Error::InvalidRequest("browser state does not serialize".into()))?;
        Ok(out)
    }

    /// The state as a JSON value (for a binding to hand back). The value
    /// is not wiped on drop: convert it, then [`wipe_json`] it.
    pub fn to_value(&self) -> Result<serde_json::Value> {
        serde_json::to_value(self)
            .map_err(|_| Error::InvalidRequest("browser state does not serialize".into()))
    }

    /// A copy holding only what `flags` allow: cookies with `cookies`;
    /// localStorage (and unknown origin fields such as `indexedDB`) with
    /// `local_storage`; sessionStorage with `session_storage`. Origins left
    /// with nothing are dropped.
    pub fn filter(&self, flags: &PersistenceFlags) -> BrowserState {
        let cookies = if flags.cookies {
            self.cookies.iter().map(Cookie::copy).collect()
        } else {
            Vec::new()
        };
        let origins = self
            .origins
            .iter()
            .map(|o| o.filter(flags))
            .filter(|o| !o.is_empty())
            .collect();
        BrowserState {
            cookies,
            origins,
            extra: self.extra.clone(),
        }
    }

    /// The earliest expiry (unix seconds, rounded down) of a persistent
    /// cookie; session cookies (`expires` < 0) do not count.
    pub fn earliest_cookie_expiry(&self) -> Option<i64> {
        self.cookies
            .iter()
            .map(|c| c.expires)
            .filter(|e| e.is_finite() && *e >= 0.0)
            .reduce(f64::min)
            // Saturating float-to-int: a float beyond i64 becomes i64::MAX.
            .map(|e| e.floor() as i64)
    }

    /// The origin entry for `origin`, if any.
    pub fn origin(&self, origin: &str) -> Option<&OriginState> {
        self.origins.iter().find(|o| o.origin == origin)
    }

    fn size_hint(&self) -> usize {
        let entries = |v: &[StorageEntry]| {
            v.iter()
                .map(|e| e.name.len() + e.value.expose_secret().len() + 32)
                .sum::<usize>()
        };
        let cookies: usize = self
            .cookies
            .iter()
            .map(|c| c.value.expose_secret().len() + c.name.len() + c.domain.len() + 160)
            .sum();
        let origins: usize = self
            .origins
            .iter()
            .map(|o| entries(&o.local_storage) + entries(&o.session_storage) + 96)
            .sum();
        cookies + origins + 64
    }
}

impl Cookie {
    /// A wiping copy (secret types are not `Clone`).
    fn copy(&self) -> Cookie {
        Cookie {
            name: self.name.clone(),
            value: SecretString::new(self.value.expose_secret().to_owned()),
            domain: self.domain.clone(),
            path: self.path.clone(),
            expires: self.expires,
            http_only: self.http_only,
            secure: self.secure,
            same_site: self.same_site.clone(),
            extra: self.extra.clone(),
        }
    }
}

impl OriginState {
    fn filter(&self, flags: &PersistenceFlags) -> OriginState {
        let copy = |keep: bool, entries: &[StorageEntry]| {
            if keep {
                entries.iter().map(StorageEntry::copy).collect()
            } else {
                Vec::new()
            }
        };
        OriginState {
            origin: self.origin.clone(),
            local_storage: copy(flags.local_storage, &self.local_storage),
            session_storage: copy(flags.session_storage, &self.session_storage),
            extra: if flags.local_storage {
                self.extra.clone()
            } else {
                Extra::new()
            },
        }
    }

    fn is_empty(&self) -> bool {
        self.local_storage.is_empty() && self.session_storage.is_empty() && self.extra.is_empty()
    }
}

impl StorageEntry {
    /// An entry.
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            value: SecretString::new(value.into()),
        }
    }

    fn copy(&self) -> StorageEntry {
        Self::new(self.name.clone(), self.value.expose_secret())
    }
}

fn shape_error(e: &serde_json::Error) -> Error {
    // Line and column only: serde's message may quote the input.
    Error::InvalidRequest(format!(
        "browser state is not Playwright storageState JSON (line {}, column {})",
        e.line(),
        e.column()
    ))
}

/// Wipes every string in a JSON value (keys cannot be reached in place):
/// for a binding to clean up after [`BrowserState::to_value`].
pub fn wipe_json(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::String(s) => s.zeroize(),
        Value::Array(items) => items.iter_mut().for_each(wipe_json),
        Value::Object(map) => map.values_mut().for_each(wipe_json),
        _ => {}
    }
}

fn wipe_extra(extra: &mut Extra) {
    extra.values_mut().for_each(wipe_json);
}

impl Drop for BrowserState {
    fn drop(&mut self) {
        wipe_extra(&mut self.extra);
    }
}

impl Drop for Cookie {
    fn drop(&mut self) {
        self.name.zeroize();
        self.domain.zeroize();
        self.path.zeroize();
        wipe_extra(&mut self.extra);
    }
}

impl Drop for OriginState {
    fn drop(&mut self) {
        wipe_extra(&mut self.extra);
    }
}

impl Drop for StorageEntry {
    fn drop(&mut self) {
        self.name.zeroize();
    }
}

impl fmt::Debug for BrowserState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BrowserState")
            .field("cookies", &self.cookies.len())
            .field("origins", &self.origins)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for Cookie {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cookie")
            .field("domain", &self.domain)
            .field("value", &"[redacted]")
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for OriginState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OriginState")
            .field("origin", &self.origin)
            .field("local_storage", &self.local_storage.len())
            .field("session_storage", &self.session_storage.len())
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for StorageEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StorageEntry([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"{
      "cookies": [
        {"name": "sid", "value": "cookie-secret", "domain": "acme.test", "path": "/",
         "expires": -1, "httpOnly": true, "secure": false, "sameSite": "Lax"},
        {"name": "remember", "value": "r-secret", "domain": ".acme.test", "path": "/",
         "expires": 1900000000.75, "httpOnly": false, "secure": true, "sameSite": "None",
         "partitionKey": "https://top.test"},
        {"name": "short", "value": "s-secret", "domain": "acme.test", "path": "/a",
         "expires": 1800000000.5, "httpOnly": false, "secure": false, "sameSite": "Strict"}
      ],
      "origins": [
        {"origin": "http://acme.test", "localStorage": [{"name": "ls", "value": "ls-secret"}],
         "sessionStorage": [{"name": "ss", "value": "ss-secret"}],
         "indexedDB": [{"name": "db", "version": 1, "stores": []}]},
        {"origin": "http://other.test", "localStorage": [],
         "sessionStorage": [{"name": "only", "value": "only-session-value"}]}
      ],
      "futureField": {"x": 1}
    }"#;

    fn sample() -> BrowserState {
        BrowserState::from_plaintext(SAMPLE.as_bytes()).expect("parses")
    }

    fn json(state: &BrowserState) -> serde_json::Value {
        serde_json::from_slice(&state.to_plaintext().expect("serializes")).expect("json")
    }

    #[test]
    fn round_trip_keeps_unknown_fields() {
        let expected: serde_json::Value = serde_json::from_str(SAMPLE).expect("json");
        assert_eq!(json(&sample()), expected);
        let again = BrowserState::from_plaintext(&sample().to_plaintext().expect("ser"));
        assert!(again.expect("parses") == sample());
        let via_value = BrowserState::from_value(expected.clone()).expect("value");
        assert_eq!(via_value.to_value().expect("value"), expected);
    }

    #[test]
    fn playwright_defaults_fill_missing_fields() {
        let state = BrowserState::from_plaintext(
            br#"{"cookies":[{"name":"a","value":"b","domain":"d","path":"/"}]}"#,
        )
        .expect("parses");
        let cookie = &state.cookies[0];
        assert_eq!((cookie.expires, cookie.same_site.as_str()), (-1.0, "Lax"));
        assert!(state.origins.is_empty());
        assert_eq!(
            json(&BrowserState::default()),
            serde_json::json!({"cookies": [], "origins": []})
        );
    }

    #[test]
    fn filter_honours_each_flag() {
        let state = sample();
        let all = PersistenceFlags {
            cookies: true,
            local_storage: true,
            session_storage: true,
        };
        assert!(state.filter(&all) == state);

        let kept = state.filter(&PersistenceFlags::default());
        assert_eq!(kept.cookies.len(), 3);
        assert_eq!(kept.origins.len(), 1, "other.test had sessionStorage only");
        assert!(kept.origins[0].session_storage.is_empty());
        assert!(kept.origins[0].extra.contains_key("indexedDB"));
        assert!(kept.extra.contains_key("futureField"));

        let none = PersistenceFlags {
            cookies: false,
            local_storage: false,
            session_storage: false,
        };
        let kept = state.filter(&none);
        assert!(kept.cookies.is_empty() && kept.origins.is_empty());

        let session_only = PersistenceFlags {
            cookies: false,
            local_storage: false,
            session_storage: true,
        };
        let kept = state.filter(&session_only);
        assert_eq!(kept.origins.len(), 2);
        assert!(kept.origins.iter().all(|o| o.local_storage.is_empty()));
        assert!(!kept.origins[0].extra.contains_key("indexedDB"));
        assert_eq!(
            kept.origin("http://other.test")
                .map(|o| o.session_storage.len()),
            Some(1)
        );
    }

    #[test]
    fn earliest_cookie_expiry_ignores_session_cookies() {
        assert_eq!(sample().earliest_cookie_expiry(), Some(1_800_000_000));
        let only_session = sample().filter(&PersistenceFlags {
            cookies: false,
            ..PersistenceFlags::default()
        });
        assert_eq!(only_session.earliest_cookie_expiry(), None);
        let state = BrowserState::from_plaintext(
            br#"{"cookies":[{"name":"a","value":"b","domain":"d","path":"/","expires":-1}]}"#,
        )
        .expect("parses");
        assert_eq!(state.earliest_cookie_expiry(), None);
    }

    #[test]
    fn debug_and_errors_hold_no_values() {
        let state = sample();
        let shown = format!("{state:?} {state:#?} {:?}", state.cookies);
        for secret in [
            "cookie-secret",
            "r-secret",
            "ls-secret",
            "ss-secret",
            "only-session-value",
        ] {
            assert!(!shown.contains(secret), "{shown}");
        }
        assert!(shown.contains("http://acme.test"), "{shown}");

        let bad = br#"{"cookies":[{"name":"n","value":12345678}]}"#;
        let err = BrowserState::from_plaintext(bad).expect_err("value must be a string");
        assert_eq!(err.code(), "invalid_request");
        assert!(!err.to_string().contains("12345678"), "{err}");
        let err = BrowserState::from_plaintext(b"[\"hunter2\"]").expect_err("not an object");
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }
}

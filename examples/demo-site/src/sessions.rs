//! Sessions (cookie `demo_session`) and logins waiting for their second
//! factor (cookie `demo_pending`).
//!
//! A session is active from its login until `POST /logout` or
//! `POST /admin/expire-sessions`; there is no idle timeout. A login is *in
//! progress* from the password being accepted until its session exists; a
//! pending login is dropped after [`PENDING_TTL`] or when the same browser
//! starts over.

use std::time::{Duration, Instant};

use axum::http::HeaderMap;
use axum::http::header::COOKIE;
use rand::RngCore;

use crate::Inner;
use crate::accounts::LoginRecord;

/// The session cookie.
pub const SESSION_COOKIE: &str = "demo_session";
/// The cookie of a login waiting for its code.
pub const PENDING_COOKIE: &str = "demo_pending";
/// How long a pending login (and its emailed or texted code) lasts.
pub const PENDING_TTL: Duration = Duration::from_secs(600);

/// A signed-in session.
pub(crate) struct Session {
    pub(crate) username: String,
    pub(crate) created: Instant,
}

/// A login whose password was right, waiting for its code.
pub(crate) struct Pending {
    pub(crate) username: String,
    /// The emailed or texted code (none for TOTP).
    pub(crate) code: Option<String>,
    pub(crate) created: Instant,
    /// Proxy header and peer of the `POST /login`, recorded on success.
    pub(crate) record: LoginRecord,
}

/// 128 random bits in hex.
pub(crate) fn random_id() -> String {
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// The value of cookie `name` in the request, if any.
pub(crate) fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_string())
}

/// A `Set-Cookie` value: HttpOnly, Path=/, SameSite=Lax; `None` clears it.
pub(crate) fn set_cookie(name: &str, value: Option<&str>) -> String {
    match value {
        Some(value) => format!("{name}={value}; HttpOnly; Path=/; SameSite=Lax"),
        None => format!("{name}=; HttpOnly; Path=/; SameSite=Lax; Max-Age=0"),
    }
}

impl Inner {
    /// Drops pending logins older than [`PENDING_TTL`].
    pub(crate) fn prune_pending(&mut self) {
        self.pending
            .retain(|_, p| p.created.elapsed() < PENDING_TTL);
    }

    /// Logins of `username` in progress.
    pub(crate) fn in_progress(&self, username: &str) -> usize {
        self.pending
            .values()
            .filter(|p| p.username == username)
            .count()
    }

    /// Active sessions of `username`.
    pub(crate) fn active_sessions(&self, username: &str) -> usize {
        self.sessions
            .values()
            .filter(|s| s.username == username)
            .count()
    }

    /// Counts a login started for `username` (its password accepted).
    pub(crate) fn login_started(&mut self, username: &str) {
        self.prune_pending();
        let overlapping = self.in_progress(username) > 0;
        if let Some(entry) = self.accounts.get_mut(username)
            && overlapping
        {
            entry.stats.overlapping_logins += 1;
        }
    }

    /// Creates a session for a completed login and returns its id.
    pub(crate) fn start_session(&mut self, username: &str, record: LoginRecord) -> String {
        let id = random_id();
        self.sessions.insert(
            id.clone(),
            Session {
                username: username.to_string(),
                created: Instant::now(),
            },
        );
        let active = self.active_sessions(username) as u64;
        if let Some(entry) = self.accounts.get_mut(username) {
            let stats = &mut entry.stats;
            stats.total_logins += 1;
            stats.consecutive_failures = 0;
            stats.max_concurrent_sessions = stats.max_concurrent_sessions.max(active);
            stats.proxies_seen.push(record);
        }
        id
    }

    /// Ends sessions older than `older_than` (of `username` only, if
    /// given); returns how many ended.
    pub(crate) fn expire_sessions(
        &mut self,
        older_than: Duration,
        username: Option<&str>,
    ) -> usize {
        let before = self.sessions.len();
        self.sessions.retain(|_, s| {
            let selected = username.is_none_or(|u| u == s.username);
            !(selected && s.created.elapsed() >= older_than)
        });
        before - self.sessions.len()
    }
}

#[cfg(test)]
mod tests {
    use axum::http::{HeaderMap, HeaderValue};

    use super::cookie;

    #[test]
    fn finds_a_cookie_among_several() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "cookie",
            HeaderValue::from_static("a=1; demo_session=abc; demo_pending=def"),
        );
        assert_eq!(cookie(&headers, "demo_session").as_deref(), Some("abc"));
        assert_eq!(cookie(&headers, "demo_pending").as_deref(), Some("def"));
        assert_eq!(cookie(&headers, "missing"), None);
    }
}

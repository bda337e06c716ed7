//! The admin JSON API a test drives and reads. **No authentication**: the
//! site is a test fixture on loopback.
//!
//! - `GET /admin/accounts`: every account's stats, by username.
//! - `GET /admin/accounts/{username}`: one account's stats (404 if none).
//! - `POST /admin/accounts`: one account object or a list; an existing
//!   username is replaced (its lock, TOTP step and counters start over).
//! - `POST /admin/accounts/{username}/unlock`: clears the lock and the
//!   consecutive failures.
//! - `POST /admin/expire-sessions {"older_than_secs": N, "username"?}`:
//!   ends sessions at least N seconds old; answers `{"expired": count}`.
//! - `POST /admin/reset`: zeroes every account's counters, unlocks them,
//!   and sets `max_concurrent_sessions` to the sessions active now.
//!   Accounts, sessions and accepted TOTP steps stay.

use std::collections::BTreeMap;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::accounts::{Account, AccountEntry, Kind, Stats};
use crate::{AppState, Inner};

/// The stats of one account as `GET /admin/accounts/{username}` answers.
#[derive(Debug, Serialize)]
pub struct AccountStats {
    /// The login name.
    pub username: String,
    /// The second factor.
    pub kind: Kind,
    /// Locked after too many failures (until unlocked).
    pub locked: bool,
    /// Sessions not logged out nor expired.
    pub active_sessions: u64,
    /// Logins between their password and their session now.
    pub logins_in_progress: u64,
    /// The counters.
    #[serde(flatten)]
    pub stats: Stats,
}

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/accounts", get(list).post(add))
        .route("/accounts/{username}", get(one))
        .route("/accounts/{username}/unlock", post(unlock))
        .route("/expire-sessions", post(expire_sessions))
        .route("/reset", post(reset))
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({"error": message.into()}))).into_response()
}

fn stats_of(inner: &Inner, username: &str) -> Option<AccountStats> {
    let entry = inner.accounts.get(username)?;
    Some(AccountStats {
        username: username.to_string(),
        kind: entry.account.kind,
        locked: entry.locked,
        active_sessions: inner.active_sessions(username) as u64,
        logins_in_progress: inner.in_progress(username) as u64,
        stats: entry.stats.clone(),
    })
}

async fn list(State(state): State<AppState>) -> Json<BTreeMap<String, AccountStats>> {
    let mut inner = state.lock();
    inner.prune_pending();
    let names: Vec<String> = inner.accounts.keys().cloned().collect();
    Json(
        names
            .into_iter()
            .filter_map(|name| Some((name.clone(), stats_of(&inner, &name)?)))
            .collect(),
    )
}

async fn one(State(state): State<AppState>, Path(username): Path<String>) -> Response {
    let mut inner = state.lock();
    inner.prune_pending();
    match stats_of(&inner, &username) {
        Some(stats) => Json(stats).into_response(),
        None => error(StatusCode::NOT_FOUND, format!("no account {username:?}")),
    }
}

/// One account or a list of them.
#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(Account),
    Many(Vec<Account>),
}

async fn add(State(state): State<AppState>, Json(body): Json<OneOrMany>) -> Response {
    let accounts = match body {
        OneOrMany::One(account) => vec![account],
        OneOrMany::Many(accounts) => accounts,
    };
    // All or nothing: check every account before adding any.
    let mut entries = Vec::with_capacity(accounts.len());
    for account in accounts {
        match AccountEntry::new(account) {
            Ok(entry) => entries.push(entry),
            Err(message) => return error(StatusCode::BAD_REQUEST, message),
        }
    }
    let mut inner = state.lock();
    let mut added = Vec::with_capacity(entries.len());
    for entry in entries {
        let name = entry.account.username.clone();
        inner.accounts.insert(name.clone(), entry);
        added.push(name);
    }
    (StatusCode::CREATED, Json(json!({"added": added}))).into_response()
}

async fn unlock(State(state): State<AppState>, Path(username): Path<String>) -> Response {
    let mut inner = state.lock();
    let Some(entry) = inner.accounts.get_mut(&username) else {
        return error(StatusCode::NOT_FOUND, format!("no account {username:?}"));
    };
    entry.locked = false;
    entry.stats.consecutive_failures = 0;
    Json(json!({"unlocked": username})).into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Expire {
    older_than_secs: u64,
    #[serde(default)]
    username: Option<String>,
}

async fn expire_sessions(State(state): State<AppState>, Json(body): Json<Expire>) -> Response {
    let expired = state.lock().expire_sessions(
        Duration::from_secs(body.older_than_secs),
        body.username.as_deref(),
    );
    Json(json!({"expired": expired})).into_response()
}

async fn reset(State(state): State<AppState>) -> Response {
    let mut inner = state.lock();
    let names: Vec<String> = inner.accounts.keys().cloned().collect();
    for name in names {
        let active = inner.active_sessions(&name) as u64;
        if let Some(entry) = inner.accounts.get_mut(&name) {
            entry.locked = false;
            entry.stats = Stats {
                max_concurrent_sessions: active,
                ..Stats::default()
            };
        }
    }
    Json(json!({"reset": true})).into_response()
}

//! Session-state expiry (DESIGN §7): a state expires `from_last_use_secs`
//! after its last use or `from_creation_secs` after its creation, or at
//! the `expires_at` its writer named (e.g. the earliest expiry of the
//! site's own session cookies), whichever comes first. An expired state
//! reads as absent and is deleted — on use (GET, PUT) and by [`sweep`],
//! which [`spawn_sweeper`] runs every `session_state.sweep_interval_secs`
//! for every user. Time comes from the app's clock.

use std::time::Duration;

use sealvault::wire::{CredentialConfig, Expiration};
use tokio::task::JoinHandle;

use crate::api::AppState;
use crate::audit::Event;
use crate::error::{ApiError, ApiResult};
use crate::storage::StoreResult;

/// States the sweeper reads per query.
const PAGE: i64 = 500;

/// The expiration rules of a credential's config JSON (none when the
/// config names none).
pub fn rules(config: Option<&str>) -> ApiResult<Option<Expiration>> {
    let Some(config) = config else {
        return Ok(None);
    };
    let config: CredentialConfig = serde_json::from_str(config).map_err(ApiError::internal)?;
    Ok(config.expiration)
}

fn secs(value: Option<u64>) -> Option<i64> {
    value.map(|s| i64::try_from(s).unwrap_or(i64::MAX))
}

/// When a state expires, if ever: the first of `last_used_at +
/// from_last_use_secs`, `created_at + from_creation_secs` and `expires_at`.
pub fn deadline(
    rules: &Option<Expiration>,
    created_at: i64,
    last_used_at: i64,
    expires_at: Option<i64>,
) -> Option<i64> {
    let rules = rules.as_ref();
    let idle =
        secs(rules.and_then(|r| r.from_last_use_secs)).map(|s| last_used_at.saturating_add(s));
    let age = secs(rules.and_then(|r| r.from_creation_secs)).map(|s| created_at.saturating_add(s));
    [idle, age, expires_at].into_iter().flatten().min()
}

/// Whether a state with these times has expired at `now` (a deadline is
/// the first second at which the state no longer counts).
pub fn expired(
    rules: &Option<Expiration>,
    created_at: i64,
    last_used_at: i64,
    expires_at: Option<i64>,
    now: i64,
) -> bool {
    deadline(rules, created_at, last_used_at, expires_at).is_some_and(|d| now >= d)
}

/// Deletes one state if it is (still) expired, in its own transaction,
/// re-reading it under the credential's row lock; true when deleted.
async fn expire_one(state: &AppState, user: &str, item: &str) -> ApiResult<bool> {
    let at = state.clock.now();
    let mut tx = state.store.write().await?;
    let cred = tx.lock_credential(user, item).await?;
    let Some(row) = tx.session_state(user, item).await? else {
        return Ok(false);
    };
    let live_config = cred
        .as_ref()
        .filter(|c| !c.deleted)
        .map(|c| c.config.as_deref());
    let gone = match live_config {
        // A state whose credential is gone is an orphan: delete it too.
        None => true,
        Some(config) => expired(
            &rules(config)?,
            row.created_at,
            row.last_used_at,
            row.expires_at,
            at,
        ),
    };
    if !gone {
        return Ok(false);
    }
    tx.delete_session_state(user, item).await?;
    let event = Event::new("session_state.expire")
        .by(Some(user), None)
        .item(item)
        .detail(serde_json::json!({ "version": row.version, "on": "sweep" }));
    state.auditor.append(tx.as_mut(), event, at).await?;
    tx.commit().await?;
    state.metrics.session_state("swept");
    Ok(true)
}

/// The `(user, item)` of every state expired at `now`, scanned in pages
/// without reading envelopes.
async fn expired_keys(state: &AppState, now: i64) -> StoreResult<Vec<(String, String)>> {
    let mut found = Vec::new();
    let mut after = (String::new(), String::new());
    loop {
        let mut tx = state.store.read().await?;
        let page = tx.state_times((&after.0, &after.1), PAGE).await?;
        drop(tx);
        let Some(last) = page.last() else {
            return Ok(found);
        };
        after = (last.user_id.clone(), last.item_id.clone());
        for times in &page {
            let due = match times.config.as_deref().map(|c| rules(Some(c))) {
                Some(Ok(rules)) => expired(
                    &rules,
                    times.created_at,
                    times.last_used_at,
                    times.expires_at,
                    now,
                ),
                // No live credential (an orphan): `expire_one` decides under the lock.
                None => true,
                // An unreadable config (ingest validates it): left alone.
                Some(Err(_)) => false,
            };
            if due {
                found.push((times.user_id.clone(), times.item_id.clone()));
            }
        }
        if page.len() < usize::try_from(PAGE).unwrap_or(usize::MAX) {
            return Ok(found);
        }
    }
}

/// One sweep over every user's states: deletes the expired ones (each
/// audited as `session_state.expire`); returns how many. Replicas may
/// sweep at once: each deletion re-checks under the credential's lock.
pub async fn sweep(state: &AppState) -> ApiResult<u64> {
    let now = state.clock.now();
    let mut deleted = 0;
    for (user, item) in expired_keys(state, now).await? {
        // One state's failure does not stop the sweep of the others.
        match expire_one(state, &user, &item).await {
            Ok(true) => deleted += 1,
            Ok(false) => {}
            Err(e) => tracing::warn!(code = e.code.as_str(), "a session state could not be swept"),
        }
    }
    Ok(deleted)
}

/// Runs [`sweep`] every `interval` (at least a second) until the task is
/// aborted; failures are logged (without secrets) and retried next time.
pub fn spawn_sweeper(state: AppState, interval: Duration) -> JoinHandle<()> {
    let interval = interval.max(Duration::from_secs(1));
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            match sweep(&state).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(deleted = n, "expired session states swept"),
                Err(e) => tracing::warn!(code = e.code.as_str(), "session-state sweep failed"),
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(idle: Option<u64>, age: Option<u64>) -> Option<Expiration> {
        Some(Expiration {
            from_last_use_secs: idle,
            from_creation_secs: age,
            follow_cookie_expiry: false,
        })
    }

    #[test]
    fn the_first_deadline_wins() {
        let r = rules(Some(60), Some(1000));
        assert_eq!(deadline(&r, 0, 500, None), Some(560));
        assert_eq!(deadline(&r, 0, 990, None), Some(1000));
        assert_eq!(deadline(&r, 0, 990, Some(10)), Some(10));
        assert_eq!(deadline(&None, 0, 990, None), None);
        assert_eq!(deadline(&None, 0, 990, Some(5)), Some(5));
    }

    #[test]
    fn expired_from_the_deadline_on() {
        let r = rules(Some(60), None);
        assert!(!expired(&r, 0, 100, None, 159));
        assert!(expired(&r, 0, 100, None, 160));
        assert!(!expired(&None, 0, 0, None, i64::MAX));
        assert!(expired(&rules(Some(u64::MAX), None), 0, 0, Some(3), 3));
    }
}

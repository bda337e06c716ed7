//! Browser session state (DESIGN §7, §9): one sealed state per credential,
//! written and read by the holder of a live lease on it (any purpose and
//! phase).
//!
//! # About
//! The holder seals the state with the credential's state key (kind
//! `session-state`, derived from the user's data key, whose `key_id` the
//! envelope carries). A PUT is verified like credential ingest
//! ([`crate::credentials::verify`]): current key, commitment, GCM tag and
//! context (this user, item and kind, `sv:version = expected_version + 1`),
//! a never-seen `(key_id, salt)`; then compare-and-set on the state's own
//! version, and the bytes are stored verbatim.
//!
//! # Versions and fencing
//! The last version written and the fencing token of the last writer live
//! on the credential's row ([`crate::storage::StateCounters`]), not on the
//! state's, so they outlive a DELETE, an expiry and even a credential
//! tombstone: after the state is gone the next PUT still names the last
//! version as `expected_version` (a GET's 404 carries it as
//! `current_version`, as a PUT's `version_conflict` does), so an old
//! envelope can never be replayed into a fresh state. A PUT sends
//! `X-Fencing-Token`, which must be its lease's; a lease whose token is
//! lower than the last writer's gets `stale_fencing_token` on PUT and on
//! DELETE (a DELETE is a write too, fenced by its lease's own token).
//!
//! # Times
//! `created_at` is set by the first PUT after the state was absent (or
//! expired) and kept by later PUTs; `last_used_at` moves on every GET and
//! PUT. Both read the app's [`crate::clock::Clock`]. Expiry: see [`expiry`].
//!
//! # Security
//! Envelopes are never logged or audited; audit records carry versions,
//! key ids, fencing tokens and session ids only.

pub mod expiry;

use sealvault::wire::{ErrorCode, PutSessionState, SessionStateBody, SessionStateWritten};
use sealvault::{ItemInfo, KeyId, inspect, state_key};

use crate::api::AppState;
use crate::auth::Principal;
use crate::credentials::verify::{current_key, record_salts, require_current, verify};
use crate::error::{ApiError, ApiResult};
use crate::leases::live_lease;
use crate::storage::{CredentialRow, DataKeyRow, LeaseRow, SessionStateRow, StateCounters, Tx};

pub use expiry::{spawn_sweeper, sweep};

/// What a state operation has proven: the live credential (row-locked),
/// the caller's live lease on it and the state counters.
struct Leased {
    cred: CredentialRow,
    lease: LeaseRow,
    counters: StateCounters,
}

/// `not_found` unless the credential is live, then `lease_required` unless
/// the secret is a live lease on it.
async fn leased(
    tx: &mut dyn Tx,
    principal: &Principal,
    item: &str,
    secret: &str,
) -> ApiResult<Leased> {
    let user = principal.user()?;
    principal.item(item)?;
    let cred = match tx.lock_credential(user, item).await? {
        Some(row) if !row.deleted => row,
        _ => return Err(ApiError::not_found()),
    };
    let lease = live_lease(tx, principal, item, secret).await?;
    let counters = tx
        .state_counters(user, item)
        .await?
        .ok_or_else(|| ApiError::internal("credential row without state counters"))?;
    Ok(Leased {
        cred,
        lease,
        counters,
    })
}

/// `stale_fencing_token` when a newer lease has written since.
fn fence(lease: &LeaseRow, counters: StateCounters) -> ApiResult<()> {
    if lease.fencing_token < counters.fencing {
        return Err(ApiError::new(
            ErrorCode::StaleFencingToken,
            "a lease with a newer fencing token has written this state",
        ));
    }
    Ok(())
}

/// A PUT's `X-Fencing-Token`: present, the presented lease's own, and not
/// older than the last writer's.
fn fenced_write(lease: &LeaseRow, counters: StateCounters, header: Option<u64>) -> ApiResult<()> {
    let Some(header) = header else {
        return Err(ApiError::invalid(
            "X-Fencing-Token (the lease's fencing token) is required",
        ));
    };
    if u64::try_from(lease.fencing_token).ok() != Some(header) {
        return Err(ApiError::new(
            ErrorCode::StaleFencingToken,
            "X-Fencing-Token is not the fencing token of the presented lease",
        ));
    }
    fence(lease, counters)
}

/// Verifies a state envelope as ingest does, under the state key derived
/// from the current data key: parse, current key id, commitment, GCM tag,
/// context.
async fn verify_state(
    state: &AppState,
    key_row: &DataKeyRow,
    current: KeyId,
    info: &ItemInfo<'_>,
    envelope: &[u8],
) -> ApiResult<()> {
    require_current(&[inspect(envelope)?.key_id], current)?;
    let data_key = state.unwrap_data_key(key_row).await?;
    let sk = state_key(&data_key, info.user, info.item)?;
    drop(data_key);
    verify(&sk, envelope, info)
}

/// The state's row unless it is absent or expired; an expired one is
/// deleted (and audited) in `tx`.
async fn current_row(
    state: &AppState,
    tx: &mut dyn Tx,
    principal: &Principal,
    cred: &CredentialRow,
    at: i64,
) -> ApiResult<Option<SessionStateRow>> {
    let Some(row) = tx.session_state(&cred.user_id, &cred.item_id).await? else {
        return Ok(None);
    };
    let rules = expiry::rules(cred.config.as_deref())?;
    if !expiry::expired(&rules, row.created_at, row.last_used_at, row.expires_at, at) {
        return Ok(Some(row));
    }
    tx.delete_session_state(&cred.user_id, &cred.item_id)
        .await?;
    let event = principal
        .event("session_state.expire")
        .item(&cred.item_id)
        .detail(serde_json::json!({ "version": row.version, "on": "use" }));
    state.auditor.append(tx, event, at).await?;
    state.metrics.session_state("expired");
    Ok(None)
}

fn to_u64(value: i64) -> ApiResult<u64> {
    u64::try_from(value).map_err(ApiError::internal)
}

/// `not_found`, with the last version written so the next PUT can name it.
fn absent(counters: StateCounters) -> ApiError {
    ApiError {
        current_version: u64::try_from(counters.version).ok().filter(|v| *v > 0),
        ..ApiError::not_found()
    }
}

/// `PUT /v1/credentials/{id}/session-state`: `(created, answer)`, where
/// `created` means the state was absent (or expired) before.
pub async fn put(
    state: &AppState,
    principal: &Principal,
    item: &str,
    secret: &str,
    fencing: Option<u64>,
    request: &PutSessionState,
) -> ApiResult<(bool, SessionStateWritten)> {
    let user = principal.user()?;
    principal.item(item)?;
    let expected = i64::try_from(request.expected_version)
        .map_err(|_| ApiError::invalid("expected_version too large"))?;
    let version = request
        .expected_version
        .checked_add(1)
        .filter(|v| i64::try_from(*v).is_ok())
        .ok_or_else(|| ApiError::invalid("version overflow"))?;
    let at = state.clock.now();
    let mut tx = state.store.write().await?;
    // The data-key row first, as ingest and rotation lock it (lock order).
    let key_row = tx.lock_data_key(user).await?;
    let Leased {
        cred,
        lease,
        counters,
    } = leased(tx.as_mut(), principal, item, secret).await?;
    fenced_write(&lease, counters, fencing)?;
    let (key_row, current) = current_key(key_row)?;
    let info = ItemInfo::session_state(user, item, version);
    verify_state(state, &key_row, current, &info, &request.envelope).await?;
    record_salts(tx.as_mut(), &key_row.key_id, &[&request.envelope]).await?;
    if counters.version != expected {
        return Err(ApiError::version_conflict(to_u64(counters.version)?));
    }
    let previous = current_row(state, tx.as_mut(), principal, &cred, at).await?;
    let row = SessionStateRow {
        user_id: user.to_owned(),
        item_id: item.to_owned(),
        version: expected + 1,
        key_id: key_row.key_id.clone(),
        envelope: request.envelope.clone(),
        fencing_token: lease.fencing_token,
        created_at: previous.as_ref().map_or(at, |p| p.created_at),
        last_used_at: at,
        expires_at: request.expires_at,
    };
    let next = StateCounters {
        version: row.version,
        fencing: lease.fencing_token,
    };
    if !tx.set_state_counters(user, item, next, expected).await? {
        return Err(ApiError::version_conflict(to_u64(counters.version)?));
    }
    tx.put_session_state(&row).await?;
    let detail = serde_json::json!({
        "version": row.version,
        "key_id": current,
        "session": lease.id,
        "fencing_token": lease.fencing_token,
        "expires_at": row.expires_at,
    });
    let event = principal
        .event("session_state.put")
        .item(item)
        .detail(detail);
    state.auditor.append(tx.as_mut(), event, at).await?;
    tx.commit().await?;
    state.metrics.session_state("put");
    Ok((
        previous.is_none(),
        SessionStateWritten {
            version,
            key_id: current,
            created_at: row.created_at,
            last_used_at: at,
        },
    ))
}

/// `GET /v1/credentials/{id}/session-state`: `not_found` when absent or
/// expired (an expired state is deleted first).
pub async fn get(
    state: &AppState,
    principal: &Principal,
    item: &str,
    secret: &str,
) -> ApiResult<SessionStateBody> {
    let at = state.clock.now();
    let mut tx = state.store.write().await?;
    let Leased {
        cred,
        lease,
        counters,
    } = leased(tx.as_mut(), principal, item, secret).await?;
    let Some(row) = current_row(state, tx.as_mut(), principal, &cred, at).await? else {
        tx.commit().await?;
        return Err(absent(counters));
    };
    tx.touch_session_state(&row.user_id, &row.item_id, at)
        .await?;
    let detail = serde_json::json!({ "version": row.version, "session": lease.id });
    let event = principal
        .event("session_state.get")
        .item(item)
        .detail(detail);
    state.auditor.append(tx.as_mut(), event, at).await?;
    tx.commit().await?;
    state.metrics.session_state("get");
    Ok(SessionStateBody {
        version: to_u64(row.version)?,
        envelope: row.envelope,
        created_at: row.created_at,
        last_used_at: at,
    })
}

/// `DELETE /v1/credentials/{id}/session-state`: idempotent; the version
/// counter stays, so later PUTs continue from it.
pub async fn delete(
    state: &AppState,
    principal: &Principal,
    item: &str,
    secret: &str,
) -> ApiResult<()> {
    let user = principal.user()?;
    let at = state.clock.now();
    let mut tx = state.store.write().await?;
    let Leased {
        lease, counters, ..
    } = leased(tx.as_mut(), principal, item, secret).await?;
    fence(&lease, counters)?;
    let next = StateCounters {
        fencing: lease.fencing_token,
        ..counters
    };
    if !tx
        .set_state_counters(user, item, next, counters.version)
        .await?
    {
        return Err(ApiError::version_conflict(to_u64(counters.version)?));
    }
    let existed = tx.delete_session_state(user, item).await?;
    let detail = serde_json::json!({
        "version": counters.version,
        "session": lease.id,
        "existed": existed,
    });
    let event = principal
        .event("session_state.delete")
        .item(item)
        .detail(detail);
    state.auditor.append(tx.as_mut(), event, at).await?;
    tx.commit().await?;
    state.metrics.session_state("delete");
    Ok(())
}

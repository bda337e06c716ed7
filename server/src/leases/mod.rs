//! Leases (DESIGN §7, §9): acquire with a purpose, long-poll in arrival
//! order, heartbeat, login-complete, release; expired leases reclaimed.
//!
//! Every decision runs in a write transaction that first bumps the
//! credential's fencing counter — which row-locks the credential on
//! PostgreSQL and runs under SQLite's write lock — so replicas sharing one
//! database agree. Waiters register in `lease_waiters`; a grant goes to the
//! oldest live waiter first, so a waiting login is not starved.

use std::time::Duration;

use sealvault::wire::{
    AcquireLease, ErrorCode, Heartbeat, LeaseGrant, LeasePhase, LeasePurpose, LoginComplete,
    SecretString,
};
use sealvault::{KeyId, encoding, state_key};
use subtle::ConstantTimeEq;

use crate::api::AppState;
use crate::auth::{Principal, hash_secret, new_id, new_secret};
use crate::credentials::RawConfig;
use crate::error::{ApiError, ApiResult};
use crate::storage::{CredentialRow, LeaseRow, Tx, WaiterRow};
use crate::{now, now_us};

/// How often a long poll retries.
const POLL: Duration = Duration::from_millis(100);
/// A waiter unseen this long is gone.
const WAITER_STALE_SECS: i64 = 3;

fn phase_str(phase: LeasePhase) -> &'static str {
    match phase {
        LeasePhase::Login => "login",
        LeasePhase::Active => "active",
    }
}

fn parse_phase(phase: &str) -> LeasePhase {
    if phase == "login" {
        LeasePhase::Login
    } else {
        LeasePhase::Active
    }
}

/// The state key of a credential under the user's current data key.
async fn current_state_key(
    state: &AppState,
    tx: &mut dyn Tx,
    user: &str,
    item: &str,
) -> ApiResult<(SecretString, KeyId)> {
    let row = tx
        .data_key(user)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::StaleDataKey, "no data key"))?;
    let key = state.unwrap_data_key(&row).await?;
    let sk = state_key(&key, user, item)?;
    Ok((
        SecretString::new(encoding::b64_encode(sk.expose_secret())),
        sk.key_id(),
    ))
}

/// Why a grant cannot be made now.
fn refusal(
    open: &[LeaseRow],
    cred: &CredentialRow,
    purpose: LeasePurpose,
) -> ApiResult<Option<ApiError>> {
    let config: sealvault::wire::CredentialConfig =
        serde_json::from_str(cred.config.as_deref().unwrap_or("{}")).map_err(ApiError::internal)?;
    let Some(concurrency) = config.concurrency else {
        return Ok(None);
    };
    if concurrency.prevent_concurrency_during_login {
        if open.iter().any(|l| l.phase == "login") {
            return Ok(Some(ApiError::new(
                ErrorCode::LoginInProgress,
                "another lease is logging in",
            )));
        }
        if purpose == LeasePurpose::Login && !open.is_empty() {
            return Ok(Some(ApiError::new(
                ErrorCode::ConcurrencyLimit,
                "a login waits until no lease is open",
            )));
        }
    }
    match concurrency.limit() {
        Some(limit) if open.len() >= limit as usize => Ok(Some(ApiError::new(
            ErrorCode::ConcurrencyLimit,
            format!("at most {limit} leases at once"),
        ))),
        _ => Ok(None),
    }
}

struct Attempt<'a> {
    principal: &'a Principal,
    user: &'a str,
    item: &'a str,
    purpose: LeasePurpose,
    ttl: i64,
    waiter: Option<WaiterRow>,
}

/// One try in one transaction: a grant, or the reason there is none.
async fn try_acquire(
    state: &AppState,
    a: &Attempt<'_>,
) -> ApiResult<Result<LeaseGrant<RawConfig>, ApiError>> {
    let at = now();
    let mut tx = state.store.write().await?;
    let Some(fencing) = tx.bump_fencing(a.user, a.item).await? else {
        return Err(ApiError::not_found());
    };
    let cred = tx
        .credential(a.user, a.item)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let reclaimed = tx.reap_leases(a.user, a.item, at).await?;
    for _ in 0..reclaimed {
        state.metrics.lease("reclaimed");
    }
    if let Some(waiter) = &a.waiter {
        tx.touch_waiter(&WaiterRow {
            seen_at: at,
            ..waiter.clone()
        })
        .await?;
    }
    let waiters = tx.waiters(a.user, a.item, at - WAITER_STALE_SECS).await?;
    let my_turn = match (&a.waiter, waiters.first()) {
        (_, None) => true,
        (Some(me), Some(first)) => first.id == me.id,
        (None, Some(_)) => false,
    };
    let open = tx.leases(a.user, a.item).await?;
    let refused = match refusal(&open, &cred, a.purpose)? {
        Some(reason) => Some(reason),
        None if !my_turn => Some(ApiError::new(
            ErrorCode::ConcurrencyLimit,
            "other acquirers are waiting",
        )),
        None => None,
    };
    if let Some(reason) = refused {
        tx.commit().await?;
        return Ok(Err(reason));
    }
    let (state_key, state_key_id) = current_state_key(state, tx.as_mut(), a.user, a.item).await?;
    let secret = SecretString::new(new_secret("svl_"));
    let phase = if a.purpose == LeasePurpose::Login {
        LeasePhase::Login
    } else {
        LeasePhase::Active
    };
    let lease = LeaseRow {
        id: new_id("ses_"),
        user_id: a.user.to_owned(),
        item_id: a.item.to_owned(),
        token_id: a.principal.token_id.clone().unwrap_or_default(),
        token_hash: hash_secret(secret.expose_secret()),
        purpose: if a.purpose == LeasePurpose::Login {
            "login"
        } else {
            "use"
        }
        .to_owned(),
        phase: phase_str(phase).to_owned(),
        fencing_token: fencing,
        ttl_secs: a.ttl,
        created_at: at,
        expires_at: at + a.ttl,
    };
    tx.insert_lease(&lease).await?;
    if let Some(waiter) = &a.waiter {
        tx.delete_waiter(&waiter.id).await?;
    }
    let detail = serde_json::json!({ "session": lease.id, "purpose": lease.purpose, "fencing_token": fencing });
    state
        .auditor
        .append(
            tx.as_mut(),
            a.principal.event("lease.grant").item(a.item).detail(detail),
            at,
        )
        .await?;
    tx.commit().await?;
    Ok(Ok(LeaseGrant {
        session_id: lease.id,
        lease_token: secret,
        fencing_token: u64::try_from(fencing).map_err(ApiError::internal)?,
        purpose: a.purpose,
        phase,
        expires_at: lease.expires_at,
        state_key,
        state_key_id,
        config: crate::credentials::raw_config(&cred)?,
    }))
}

/// `POST /v1/credentials/{id}/sessions`.
pub async fn acquire(
    state: &AppState,
    principal: &Principal,
    item: &str,
    request: &AcquireLease,
) -> ApiResult<LeaseGrant<RawConfig>> {
    let user = principal.user()?;
    let limits = &state.limits;
    let ttl = request
        .ttl_secs
        .unwrap_or(limits.default_lease_ttl_secs)
        .clamp(1, limits.max_lease_ttl_secs);
    let wait = request.wait_secs.unwrap_or(0).min(limits.max_wait_secs);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(wait);
    let waiter = (wait > 0).then(|| WaiterRow {
        id: new_id("wai_"),
        user_id: user.to_owned(),
        item_id: item.to_owned(),
        arrived_us: now_us(),
        seen_at: now(),
    });
    let attempt = Attempt {
        principal,
        user,
        item,
        purpose: request.purpose,
        ttl: i64::try_from(ttl).unwrap_or(60),
        waiter,
    };
    loop {
        match try_acquire(state, &attempt).await? {
            Ok(grant) => {
                state.metrics.lease("granted");
                return Ok(grant);
            }
            Err(reason) if tokio::time::Instant::now() + POLL > deadline => {
                if let Some(waiter) = &attempt.waiter {
                    let mut tx = state.store.write().await?;
                    tx.delete_waiter(&waiter.id).await?;
                    tx.commit().await?;
                }
                state.metrics.lease("refused");
                return Err(reason);
            }
            Err(_) => tokio::time::sleep(POLL).await,
        }
    }
}

/// A live lease of the caller's user whose secret matches; `not_found`
/// otherwise (an expired lease is gone).
pub async fn held(
    tx: &mut dyn Tx,
    principal: &Principal,
    sid: &str,
    secret: &str,
) -> ApiResult<LeaseRow> {
    let user = principal.user()?;
    let lease = tx.lease(sid).await?.ok_or_else(ApiError::not_found)?;
    let hash_ok = bool::from(lease.token_hash.ct_eq(&hash_secret(secret)));
    if lease.user_id != user
        || !principal.sees(&lease.item_id)
        || !hash_ok
        || lease.expires_at <= now()
    {
        return Err(ApiError::not_found());
    }
    Ok(lease)
}

/// The caller's live lease on `item` (any purpose and phase), by its
/// secret; `lease_required` otherwise.
pub async fn live_lease(
    tx: &mut dyn Tx,
    principal: &Principal,
    item: &str,
    secret: &str,
) -> ApiResult<LeaseRow> {
    let user = principal.user()?;
    let hash = hash_secret(secret);
    let at = now();
    tx.leases(user, item)
        .await?
        .into_iter()
        .find(|l| bool::from(l.token_hash.ct_eq(&hash)) && l.expires_at > at)
        .ok_or_else(ApiError::live_lease_required)
}

/// The caller's live lease on `item` in its login phase, by its secret;
/// `lease_required` otherwise.
pub async fn login_lease(
    tx: &mut dyn Tx,
    principal: &Principal,
    item: &str,
    secret: &str,
) -> ApiResult<LeaseRow> {
    match live_lease(tx, principal, item, secret).await {
        Ok(lease) if lease.phase == "login" => Ok(lease),
        Err(e) if e.code != ErrorCode::LeaseRequired => Err(e),
        _ => Err(ApiError::lease_required()),
    }
}

/// `POST /v1/sessions/{sid}/heartbeat`.
pub async fn heartbeat(
    state: &AppState,
    principal: &Principal,
    sid: &str,
    secret: &str,
) -> ApiResult<Heartbeat> {
    let mut tx = state.store.write().await?;
    let lease = held(tx.as_mut(), principal, sid, secret).await?;
    let expires_at = now() + lease.ttl_secs;
    tx.update_lease(sid, &lease.phase, expires_at).await?;
    let (state_key, state_key_id) =
        current_state_key(state, tx.as_mut(), &lease.user_id, &lease.item_id).await?;
    tx.commit().await?;
    Ok(Heartbeat {
        phase: parse_phase(&lease.phase),
        expires_at,
        state_key,
        state_key_id,
    })
}

/// `POST /v1/sessions/{sid}/login-complete`.
pub async fn login_complete(
    state: &AppState,
    principal: &Principal,
    sid: &str,
    secret: &str,
) -> ApiResult<LoginComplete> {
    let at = now();
    let mut tx = state.store.write().await?;
    let lease = held(tx.as_mut(), principal, sid, secret).await?;
    tx.update_lease(sid, "active", lease.expires_at).await?;
    let event = principal
        .event("lease.login_complete")
        .item(&lease.item_id)
        .detail(serde_json::json!({ "session": sid }));
    state.auditor.append(tx.as_mut(), event, at).await?;
    tx.commit().await?;
    Ok(LoginComplete {
        phase: LeasePhase::Active,
        expires_at: lease.expires_at,
    })
}

/// `DELETE /v1/sessions/{sid}`.
pub async fn release(
    state: &AppState,
    principal: &Principal,
    sid: &str,
    secret: &str,
) -> ApiResult<()> {
    let at = now();
    let mut tx = state.store.write().await?;
    let lease = held(tx.as_mut(), principal, sid, secret).await?;
    tx.delete_lease(sid).await?;
    let event = principal
        .event("lease.release")
        .item(&lease.item_id)
        .detail(serde_json::json!({ "session": sid }));
    state.auditor.append(tx.as_mut(), event, at).await?;
    tx.commit().await?;
    state.metrics.lease("released");
    Ok(())
}

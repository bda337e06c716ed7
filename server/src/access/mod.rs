//! Leased access (DESIGN §6, §9): a lease in its login phase gets the
//! credential envelope with its envelope key and config — never the data
//! key, never the TOTP seed — or a TOTP code computed in memory.

use std::sync::Arc;

use sealvault::totp::Totp;
use sealvault::wire::{Access, ErrorCode, TotpCode, TotpRequest};
use sealvault::{DataKey, ItemInfo, encoding, envelope_key, open};

use crate::api::AppState;
use crate::auth::{Principal, RateLimiter};
use crate::credentials::RawConfig;
use crate::error::{ApiError, ApiResult};
use crate::leases::login_lease;
use crate::now;
use crate::storage::{CredentialRow, StoreError, Tx};

fn limit(limiter: &RateLimiter, principal: &Principal) -> ApiResult<()> {
    let key = principal.token_id.as_deref().unwrap_or("admin");
    limiter
        .check(key)
        .map_or(Ok(()), |secs| Err(ApiError::rate_limited(secs)))
}

/// The caller's live row (`not_found` first, as for any missing item).
async fn live_row(tx: &mut dyn Tx, user: &str, item: &str) -> ApiResult<CredentialRow> {
    match tx.credential(user, item).await? {
        Some(row) if !row.deleted => Ok(row),
        _ => Err(ApiError::not_found()),
    }
}

/// The row and its data key, unwrapped (only once a lease is proven).
async fn row_and_key(
    state: &AppState,
    tx: &mut dyn Tx,
    user: &str,
    row: CredentialRow,
) -> ApiResult<(CredentialRow, Arc<DataKey>)> {
    let key_row = tx
        .data_key(user)
        .await?
        .ok_or_else(|| ApiError::internal("credential without data key"))?;
    if row.key_id.as_deref() != Some(key_row.key_id.as_slice()) {
        return Err(ApiError::internal(
            "credential not under the current data key",
        ));
    }
    Ok((row, state.unwrap_data_key(&key_row).await?))
}

/// `POST /v1/credentials/{id}/access`.
pub async fn access(
    state: &AppState,
    principal: &Principal,
    item: &str,
    secret: &str,
) -> ApiResult<Access<RawConfig>> {
    limit(&state.access_limiter, principal)?;
    let user = principal.user()?;
    let at = now();
    let mut tx = state.store.write().await?;
    let row = live_row(tx.as_mut(), user, item).await?;
    let lease = login_lease(tx.as_mut(), principal, item, secret).await?;
    let (row, key) = row_and_key(state, tx.as_mut(), user, row).await?;
    let envelope = row.envelope.clone().unwrap_or_default();
    let ek = envelope_key(&key, &envelope)?;
    drop(key);
    let detail = serde_json::json!({ "session": lease.id, "version": row.version });
    state
        .auditor
        .append(
            tx.as_mut(),
            principal
                .event("credential.access")
                .item(item)
                .detail(detail),
            at,
        )
        .await?;
    tx.commit().await?;
    Ok(Access {
        envelope,
        envelope_key: sealvault::wire::SecretString::new(encoding::b64_encode(ek.expose_secret())),
        version: u64::try_from(row.version).map_err(ApiError::internal)?,
        config: crate::credentials::raw_config(&row)?,
    })
}

fn no_code(retry_after_secs: u64) -> TotpCode {
    TotpCode {
        code: None,
        seconds_left: None,
        retry_after_secs: Some(retry_after_secs),
    }
}

/// The TOTP generator sealed in the row's totp-seed envelope.
fn generator(key: &DataKey, row: &CredentialRow) -> ApiResult<Totp> {
    let envelope = row
        .totp_envelope
        .as_deref()
        .ok_or_else(ApiError::not_found)?;
    let version = u64::try_from(row.version).map_err(ApiError::internal)?;
    let uri = open(
        key,
        envelope,
        &ItemInfo::totp_seed(&row.user_id, &row.item_id, version).context()?,
    )?;
    let uri = std::str::from_utf8(&uri)
        .map_err(|_| ApiError::new(ErrorCode::InvalidTotp, "seed is not UTF-8"))?;
    Ok(Totp::from_uri(uri)?)
}

/// `POST /v1/credentials/{id}/totp`: a code with at least
/// `min_validity_secs` left, never the same step's code to two leases.
pub async fn totp(
    state: &AppState,
    principal: &Principal,
    item: &str,
    secret: &str,
    request: &TotpRequest,
) -> ApiResult<TotpCode> {
    limit(&state.totp_limiter, principal)?;
    let user = principal.user()?;
    let at = now();
    let mut tx = state.store.write().await?;
    let row = live_row(tx.as_mut(), user, item).await?;
    let lease = login_lease(tx.as_mut(), principal, item, secret).await?;
    let (row, key) = row_and_key(state, tx.as_mut(), user, row).await?;
    let totp = generator(&key, &row)?;
    drop(key);
    let left = totp.seconds_left(at)?;
    if left < request.min_validity_secs.unwrap_or(0) {
        return Ok(no_code(left));
    }
    let step = i64::try_from(totp.step(at)?).map_err(ApiError::internal)?;
    match tx.totp_issued(user, item, step).await? {
        Some(holder) if holder != lease.id => return Ok(no_code(left)),
        Some(_) => {}
        None => match tx.insert_totp_issued(user, item, step, &lease.id, at).await {
            Err(StoreError::Conflict) => return Ok(no_code(left)),
            other => other?,
        },
    }
    let code = totp.at(at)?;
    let detail = serde_json::json!({ "session": lease.id, "step": step });
    state
        .auditor
        .append(
            tx.as_mut(),
            principal.event("totp.code").item(item).detail(detail),
            at,
        )
        .await?;
    tx.commit().await?;
    Ok(TotpCode {
        code: Some(code),
        seconds_left: Some(left),
        retry_after_secs: None,
    })
}

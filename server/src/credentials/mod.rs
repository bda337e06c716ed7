//! Credentials: verified ingest ([`put`], sharing [`verify`] with
//! session-state writes), list, get, delete with tombstones (which also
//! deletes the credential's session state). Every query is scoped by the
//! caller's user and item list.

mod ingest;
pub mod verify;

use sealvault::KeyId;
use sealvault::wire::{Assigned, CredentialDetail, CredentialList, CredentialSummary};
use serde_json::value::RawValue;

use crate::api::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};
use crate::now;
use crate::storage::CredentialRow;

pub use ingest::put;

/// Envelope bytes 20..52: the salt (an envelope was parsed before this).
pub fn salt_of(envelope: &[u8]) -> &[u8] {
    envelope.get(20..52).unwrap_or_default()
}

/// A config as the vault holds and answers it: the exact JSON text the
/// client sent (DESIGN §6), never re-serialised.
pub type RawConfig = Box<RawValue>;

/// The stored config of a row, to answer with byte for byte (`null` when
/// none, as a live row always has one).
pub fn raw_config(row: &CredentialRow) -> ApiResult<RawConfig> {
    let text = row.config.clone().unwrap_or_else(|| "null".to_owned());
    RawValue::from_string(text).map_err(ApiError::internal)
}

/// The wire summary of a live row.
pub fn summary(row: &CredentialRow) -> ApiResult<CredentialSummary<RawConfig>> {
    let key_id = row
        .key_id
        .as_deref()
        .ok_or_else(|| ApiError::internal("live row without key id"))?;
    Ok(CredentialSummary {
        id: row.item_id.clone(),
        version: u64::try_from(row.version).map_err(ApiError::internal)?,
        key_id: KeyId::from_slice(key_id).map_err(ApiError::internal)?,
        config: raw_config(row)?,
        assigned: assigned(row)?,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

/// The vault-assigned addresses of a row.
pub fn assigned(row: &CredentialRow) -> ApiResult<Assigned> {
    match &row.assigned {
        Some(json) => serde_json::from_str(json).map_err(ApiError::internal),
        None => Ok(Assigned::default()),
    }
}

/// A live credential of the caller, or `not_found` (missing, deleted or
/// outside the allow-list all look alike).
pub async fn live(state: &AppState, principal: &Principal, item: &str) -> ApiResult<CredentialRow> {
    principal.item(item)?;
    let mut tx = state.store.read().await?;
    match tx.credential(principal.user()?, item).await? {
        Some(row) if !row.deleted => Ok(row),
        _ => Err(ApiError::not_found()),
    }
}

/// `GET /v1/credentials`: the caller's visible items.
pub async fn list(state: &AppState, principal: &Principal) -> ApiResult<CredentialList<RawConfig>> {
    let user = principal.user()?;
    let mut tx = state.store.read().await?;
    let rows = tx.credentials(user).await?;
    let items = rows
        .iter()
        .filter(|r| principal.sees(&r.item_id))
        .map(summary)
        .collect::<ApiResult<_>>()?;
    Ok(CredentialList { items })
}

/// `GET /v1/credentials/{id}`: the item with its envelopes.
pub async fn get(
    state: &AppState,
    principal: &Principal,
    item: &str,
) -> ApiResult<CredentialDetail<RawConfig>> {
    let row = live(state, principal, item).await?;
    Ok(CredentialDetail {
        summary: summary(&row)?,
        envelope: row.envelope.clone().unwrap_or_default(),
        totp_envelope: row.totp_envelope.clone(),
    })
}

/// `DELETE /v1/credentials/{id}`: compare-and-set, then a tombstone that
/// keeps the version, so re-creation continues from it.
pub async fn delete(
    state: &AppState,
    principal: &Principal,
    item: &str,
    expected: u64,
) -> ApiResult<()> {
    let user = principal.user()?;
    let at = now();
    let mut tx = state.store.write().await?;
    let row = match tx.lock_credential(user, item).await? {
        Some(row) if !row.deleted => row,
        _ => return Err(ApiError::not_found()),
    };
    let current = u64::try_from(row.version).map_err(ApiError::internal)?;
    if current != expected {
        return Err(ApiError::version_conflict(current));
    }
    crate::inbound::assign::release(tx.as_mut(), user, item, row.assigned.as_deref()).await?;
    let tombstone = CredentialRow {
        deleted: true,
        assigned: None,
        key_id: None,
        envelope: None,
        totp_envelope: None,
        config: None,
        updated_at: at,
        ..row
    };
    if !tx.update_credential(&tombstone, tombstone.version).await? {
        return Err(ApiError::version_conflict(current));
    }
    tx.delete_leases(user, item).await?;
    tx.delete_session_state(user, item).await?;
    tx.remove_live_item(user).await?;
    let event = principal
        .event("credential.delete")
        .item(item)
        .detail(serde_json::json!({ "version": current }));
    state.auditor.append(tx.as_mut(), event, at).await?;
    tx.commit().await?;
    Ok(())
}

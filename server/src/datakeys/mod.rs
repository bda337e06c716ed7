//! Data keys (DESIGN §3, §6): create the first, hand out the current one,
//! rotate with `expected_key_id`.
//!
//! Rotation runs in one transaction holding the user's key row: a new key
//! is made and wrapped, every envelope of the user is opened in memory
//! (zeroizing buffers) and re-sealed under it with the same context and a
//! fresh salt and nonce — session states under the new key's state key —
//! and the old key's row and salts are deleted. Master-key rotation needs
//! nothing for session states: they are under keys derived from the data
//! key, which only its wrapping changes. A
//! crash leaves the old state or the new, never a mix.

pub mod cache;

use sealvault::wire::{DataKeyBody, Rotated, SecretString};
use sealvault::{
    Context, DataKey, ItemInfo, KeyId, Kind, encoding, inspect, open, seal_item, state_key,
};

use crate::api::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};
use crate::now;
use crate::storage::{CredentialRow, DataKeyRow, StoreError, Tx};

fn body(key: &DataKey) -> DataKeyBody {
    DataKeyBody {
        key_id: key.key_id(),
        key: SecretString::new(encoding::b64_encode(key.expose_secret())),
    }
}

async fn wrap_row(
    state: &AppState,
    user_id: &str,
    key: &DataKey,
    at: i64,
) -> ApiResult<DataKeyRow> {
    let (mk_id, wrapped) = state
        .keyring
        .wrap_data_key(user_id, key)
        .await
        .map_err(|e| state.master_key_failed(&e, "wrap", user_id))?;
    Ok(DataKeyRow {
        key_id: key.key_id().as_bytes().to_vec(),
        user_id: user_id.to_owned(),
        mk_id,
        wrapped,
        created_at: at,
    })
}

/// `POST /v1/keys`: the user's first data key; `data_key_exists` after.
pub async fn create(state: &AppState, principal: &Principal) -> ApiResult<DataKeyBody> {
    let user = principal.user()?;
    let at = now();
    let key = DataKey::generate();
    let row = wrap_row(state, user, &key, at).await?;
    let mut tx = state.store.write().await?;
    let exists = || {
        ApiError::new(
            sealvault::wire::ErrorCode::DataKeyExists,
            "the user already has a data key",
        )
    };
    if tx.lock_data_key(user).await?.is_some() {
        return Err(exists());
    }
    match tx.insert_data_key(&row).await {
        Err(StoreError::Conflict) => return Err(exists()),
        other => other?,
    }
    let event = principal
        .event("key.create")
        .detail(serde_json::json!({ "key_id": key.key_id(), "mk_id": row.mk_id }));
    state.auditor.append(tx.as_mut(), event, at).await?;
    tx.commit().await?;
    Ok(body(&key))
}

/// `GET /v1/keys/current`: the owner's current data key (an unwrap, audited).
pub async fn current(state: &AppState, principal: &Principal) -> ApiResult<DataKeyBody> {
    let user = principal.user()?;
    let mut tx = state.store.write().await?;
    let row = tx.data_key(user).await?.ok_or_else(ApiError::not_found)?;
    let key = state.unwrap_data_key(&row).await?;
    let event = principal
        .event("key.unwrap")
        .detail(serde_json::json!({ "key_id": key.key_id(), "for": "owner" }));
    state.auditor.append(tx.as_mut(), event, now()).await?;
    tx.commit().await?;
    Ok(body(&key))
}

/// Where an envelope is stored: its user, item and version.
#[derive(Clone, Copy)]
struct Stored<'a> {
    user: &'a str,
    item: &'a str,
    version: i64,
}

impl<'a> From<&'a CredentialRow> for Stored<'a> {
    fn from(row: &'a CredentialRow) -> Self {
        Self {
            user: &row.user_id,
            item: &row.item_id,
            version: row.version,
        }
    }
}

/// The envelope's kind, from its context.
fn kind_of(envelope: &[u8]) -> ApiResult<Kind> {
    Ok(inspect(envelope)?
        .context
        .get(sealvault::item::SV_KIND)
        .unwrap_or_default()
        .parse()?)
}

/// The context an envelope carries, split into its item info and extras,
/// checked against where it is stored.
fn reseal(
    old: &DataKey,
    new: &DataKey,
    at: Stored<'_>,
    envelope: &[u8],
    config: Option<&serde_json::Value>,
) -> ApiResult<Vec<u8>> {
    let context = inspect(envelope)?.context;
    let kind = kind_of(envelope)?;
    let version = u64::try_from(at.version).map_err(ApiError::internal)?;
    let info = ItemInfo {
        kind,
        user: at.user,
        item: at.item,
        version,
        config: config.filter(|_| kind == Kind::Credential),
    };
    let plaintext = open(old, envelope, &info.context()?)?;
    let mut extra = Context::new();
    for (k, v) in context
        .iter()
        .filter(|(k, _)| !k.starts_with(sealvault::context::RESERVED_PREFIX))
    {
        extra.insert(k, v)?;
    }
    let sealed = seal_item(new, &info, &extra, &plaintext)?;
    if inspect(&sealed)?.context != context {
        return Err(ApiError::internal("re-sealed context differs"));
    }
    Ok(sealed)
}

/// Re-seals one credential row and records the new salts.
async fn reseal_row(
    tx: &mut dyn Tx,
    old: &DataKey,
    new: &DataKey,
    row: &CredentialRow,
) -> ApiResult<u64> {
    let (Some(envelope), Some(config)) = (&row.envelope, &row.config) else {
        return Ok(0);
    };
    let config: serde_json::Value = serde_json::from_str(config).map_err(ApiError::internal)?;
    let sealed = reseal(old, new, row.into(), envelope, Some(&config))?;
    let totp = row
        .totp_envelope
        .as_deref()
        .map(|t| reseal(old, new, row.into(), t, None))
        .transpose()?;
    let key_id = new.key_id().as_bytes().to_vec();
    for env in std::iter::once(&sealed).chain(totp.as_ref()) {
        tx.insert_salt(&key_id, crate::credentials::salt_of(env))
            .await?;
    }
    tx.reseal_credential(
        &row.user_id,
        &row.item_id,
        &key_id,
        &sealed,
        totp.as_deref(),
    )
    .await?;
    Ok(1 + u64::from(totp.is_some()))
}

/// Re-seals every session state of `user` from the old data key's state
/// key to the new one's (same context, new salt and nonce) and records the
/// new salts; returns how many.
async fn reseal_states(
    tx: &mut dyn Tx,
    old: &DataKey,
    new: &DataKey,
    user: &str,
) -> ApiResult<u64> {
    let key_id = new.key_id().as_bytes().to_vec();
    let mut done = 0;
    for row in tx.session_states(user).await? {
        if kind_of(&row.envelope)? != Kind::SessionState {
            return Err(ApiError::internal("stored session state of another kind"));
        }
        let old_sk = state_key(old, user, &row.item_id)?;
        let new_sk = state_key(new, user, &row.item_id)?;
        let at = Stored {
            user,
            item: &row.item_id,
            version: row.version,
        };
        let sealed = reseal(&old_sk, &new_sk, at, &row.envelope, None)?;
        tx.insert_salt(&key_id, crate::credentials::salt_of(&sealed))
            .await?;
        tx.reseal_session_state(user, &row.item_id, &key_id, &sealed)
            .await?;
        done += 1;
    }
    Ok(done)
}

/// `POST /v1/keys/rotate`.
pub async fn rotate(
    state: &AppState,
    principal: &Principal,
    expected: KeyId,
) -> ApiResult<Rotated> {
    rotate_with_progress(state, principal, expected, &|_, _| {}).await
}

/// [`rotate`], calling `progress(done, total)` after each credential.
pub async fn rotate_with_progress(
    state: &AppState,
    principal: &Principal,
    expected: KeyId,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> ApiResult<Rotated> {
    let user = principal.user()?;
    let at = now();
    let mut tx = state.store.write().await?;
    let row = tx
        .lock_data_key(user)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let current = KeyId::from_slice(&row.key_id).map_err(ApiError::internal)?;
    if current != expected {
        return Err(ApiError::stale_key(current));
    }
    let old = state.unwrap_data_key(&row).await?;
    let new = DataKey::generate();
    let new_row = wrap_row(state, user, &new, at).await?;
    let mut reencrypted = 0;
    let credentials = tx.credentials(user).await?;
    let total = credentials.len() as u64;
    for (done, cred) in (1..).zip(&credentials) {
        reencrypted += reseal_row(tx.as_mut(), &old, &new, cred).await?;
        progress(done, total);
    }
    let states = reseal_states(tx.as_mut(), &old, &new, user).await?;
    reencrypted += states;
    tx.delete_data_key(&row.key_id).await?;
    tx.delete_salts(&row.key_id).await?;
    tx.insert_data_key(&new_row).await?;
    let detail = serde_json::json!({ "old_key_id": current, "key_id": new.key_id(), "reencrypted": reencrypted, "session_states": states });
    state
        .auditor
        .append(
            tx.as_mut(),
            principal.event("key.rotate").detail(detail),
            at,
        )
        .await?;
    tx.commit().await?;
    // the old key is gone: zeroize the cached copy now, not at its expiry
    drop(old);
    state.key_cache.forget_user(user);
    Ok(Rotated {
        key_id: new.key_id(),
        reencrypted,
    })
}

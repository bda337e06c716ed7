//! Verified ingest (DESIGN §6), in this order, each failure its own code and
//! nothing stored: parse → `key_id` is the current data key (else
//! `stale_data_key`) → unwrap it, check commitment and GCM tag (plaintext
//! lands in a zeroizing scratch buffer dropped at once) → the context names
//! this user, item, kind, `sv:version = expected_version + 1` and the config
//! hash → `(key_id, salt)` never seen (`salt_reuse`) → compare-and-set the
//! version → store the bytes verbatim. The crypto runs before the write
//! transaction — with the key cache's copy of the envelopes' key when it
//! has one, else after reading the key row — and the transaction then holds
//! the user's data-key row and re-checks that the verified key is the
//! current one, so nothing is stored under a key a rotation has deleted.

use sealvault::wire::{CredentialConfig, CredentialWritten, ErrorCode, PutCredential};
use sealvault::{DataKey, ItemInfo, KeyId, inspect};

use super::verify::{current_key, record_salts, require_current, verify};
use super::{RawConfig, assigned};
use crate::api::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};
use crate::inbound::assign::assign;
use crate::now;
use crate::storage::{CredentialRow, StoreError};

/// The TOTP envelope must not claim a config.
fn check_totp_has_no_config(envelope: &[u8]) -> ApiResult<()> {
    match inspect(envelope)?.context.get(sealvault::item::SV_CONFIG) {
        None => Ok(()),
        Some(_) => Err(ApiError::new(
            ErrorCode::ContextMismatch,
            "a totp-seed envelope carries no sv:config",
        )),
    }
}

/// A `tfa.code_pattern` must compile (the vault runs it on received mail).
fn check_code_pattern(config: &CredentialConfig) -> ApiResult<()> {
    match config.tfa.as_ref().and_then(|t| t.code_pattern.as_deref()) {
        Some(pattern) => crate::inbound::extract::check_code_pattern(pattern)
            .map_err(|e| ApiError::new(ErrorCode::InvalidConfig, e.to_string())),
        None => Ok(()),
    }
}

/// What the envelopes of one PUT are checked against before its transaction.
struct Checks<'a> {
    user: &'a str,
    item: &'a str,
    version: u64,
    config: &'a serde_json::Value,
    request: &'a PutCredential<RawConfig>,
    key_ids: &'a [KeyId],
}

impl Checks<'_> {
    /// Steps 2-4 against the key cache when it holds the envelopes' key;
    /// else — or when that fails, so a refusal names the first failed check
    /// in DESIGN §6 order — against the user's key row.
    async fn verify(&self, state: &AppState) -> ApiResult<()> {
        let cached = self
            .key_ids
            .first()
            .and_then(|id| state.cached_data_key(self.user, id));
        if cached.is_some_and(|key| self.envelopes(&key).is_ok()) {
            return Ok(());
        }
        let (key_row, current) = current_key(state.store.data_key(self.user).await?)?;
        require_current(self.key_ids, current)?;
        self.envelopes(&*state.unwrap_data_key(&key_row).await?)
    }

    /// Commitment, GCM tag and context of each envelope under `key`.
    fn envelopes(&self, key: &DataKey) -> ApiResult<()> {
        let info = ItemInfo::credential(self.user, self.item, self.version, self.config);
        verify(key, &self.request.envelope, &info)?;
        if let Some(totp) = &self.request.totp_envelope {
            verify(
                key,
                totp,
                &ItemInfo::totp_seed(self.user, self.item, self.version),
            )?;
            check_totp_has_no_config(totp)?;
        }
        Ok(())
    }
}

/// `PUT /v1/credentials/{id}`: `(created, answer)`.
pub async fn put(
    state: &AppState,
    principal: &Principal,
    item: &str,
    request: &PutCredential<RawConfig>,
) -> ApiResult<(bool, CredentialWritten)> {
    let user = principal.user()?;
    sealvault::item::validate_item_id(item)?;
    // Checked and hashed as parsed; stored and answered as sent.
    let (config, config_value) = CredentialConfig::from_json(request.config.get())?;
    check_code_pattern(&config)?;
    let version = request
        .expected_version
        .checked_add(1)
        .ok_or_else(|| ApiError::invalid("version overflow"))?;
    let envelopes: Vec<&[u8]> = std::iter::once(request.envelope.as_slice())
        .chain(request.totp_envelope.as_deref())
        .collect();
    // 1. parse
    let key_ids = envelopes
        .iter()
        .map(|e| inspect(e).map(|i| i.key_id))
        .collect::<Result<Vec<_>, _>>()?;
    // 2-4. the current data key; commitment, GCM and context of each
    // envelope — before the write transaction, so writers do not queue
    // behind the crypto (or behind an HSM or KMS round trip)
    let checks = Checks {
        user,
        item,
        version,
        config: &config_value,
        request,
        key_ids: &key_ids,
    };
    checks.verify(state).await?;
    let at = now();
    let mut tx = state.store.write().await?;
    // 2 again: the verified key is still current (a rotation since is
    // `stale_data_key`), its row held until commit
    let (key_row, current) = current_key(tx.lock_data_key(user).await?)?;
    require_current(&key_ids, current)?;
    // 5. salts
    record_salts(tx.as_mut(), &key_row.key_id, &envelopes).await?;
    // 6. compare-and-set
    let existing = tx.lock_credential(user, item).await?;
    let current_version = existing.as_ref().map_or(0, |r| r.version);
    let expected = i64::try_from(request.expected_version)
        .map_err(|_| ApiError::invalid("version too large"))?;
    if current_version != expected {
        return Err(ApiError::version_conflict(
            u64::try_from(current_version).unwrap_or(0),
        ));
    }
    let live = existing.as_ref().is_some_and(|r| !r.deleted);
    let limit = i64::try_from(state.limits.items_per_user).unwrap_or(i64::MAX);
    if !live && !tx.add_live_item(user, limit).await? {
        return Err(ApiError::invalid(format!(
            "at most {} items per user",
            state.limits.items_per_user
        )));
    }
    let previous = existing.as_ref().and_then(|r| r.assigned.as_deref());
    let addresses = assign(state, tx.as_mut(), (user, item), &config, previous).await?;
    let row = CredentialRow {
        user_id: user.to_owned(),
        item_id: item.to_owned(),
        version: expected + 1,
        deleted: false,
        key_id: Some(key_row.key_id.clone()),
        envelope: Some(request.envelope.clone()),
        totp_envelope: request.totp_envelope.clone(),
        config: Some(request.config.get().to_owned()),
        assigned: addresses,
        created_at: if live {
            existing.as_ref().map_or(at, |r| r.created_at)
        } else {
            at
        },
        updated_at: at,
    };
    // 7. store verbatim
    let conflict = || ApiError::version_conflict(u64::try_from(current_version).unwrap_or(0));
    match existing {
        Some(_) if !tx.update_credential(&row, expected).await? => return Err(conflict()),
        Some(_) => {}
        None => match tx.insert_credential(&row).await {
            Err(StoreError::Conflict) => return Err(conflict()),
            other => other?,
        },
    }
    let detail = serde_json::json!({ "version": row.version, "key_id": current, "totp": request.totp_envelope.is_some() });
    state
        .auditor
        .append(
            tx.as_mut(),
            principal.event("credential.put").item(item).detail(detail),
            at,
        )
        .await?;
    tx.commit().await?;
    let written = CredentialWritten {
        id: row.item_id.clone(),
        version: u64::try_from(row.version).map_err(ApiError::internal)?,
        key_id: current,
        assigned: assigned(&row)?,
        created_at: row.created_at,
        updated_at: row.updated_at,
    };
    Ok((!live, written))
}

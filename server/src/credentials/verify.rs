//! The checks every sealed write shares — credential ingest and
//! session-state PUT (DESIGN §6): the envelope names the user's current
//! data key (else `stale_data_key` with `current_key_id`), opens under the
//! expected key and context (commitment, GCM tag, context; the plaintext
//! lands in a zeroizing buffer dropped at once), and its `(key_id, salt)`
//! was never seen (`salt_reuse`).

use sealvault::wire::ErrorCode;
use sealvault::{DataKey, ItemInfo, KeyId, open};

use super::salt_of;
use crate::error::{ApiError, ApiResult};
use crate::storage::{DataKeyRow, StoreError, Tx};

/// The user's current data-key row and its id; `stale_data_key` when the
/// user has none yet.
pub fn current_key(row: Option<DataKeyRow>) -> ApiResult<(DataKeyRow, KeyId)> {
    let Some(row) = row else {
        return Err(ApiError::new(
            ErrorCode::StaleDataKey,
            "the user has no data key yet",
        ));
    };
    let id = KeyId::from_slice(&row.key_id)?;
    Ok((row, id))
}

/// `stale_data_key` unless every envelope names the current key.
pub fn require_current(key_ids: &[KeyId], current: KeyId) -> ApiResult<()> {
    if key_ids.iter().any(|id| *id != current) {
        return Err(ApiError::stale_key(current));
    }
    Ok(())
}

/// Opens an envelope fully and drops the plaintext at once.
pub fn verify(key: &DataKey, envelope: &[u8], info: &ItemInfo<'_>) -> ApiResult<()> {
    let plaintext = open(key, envelope, &info.context()?)?;
    drop(plaintext);
    Ok(())
}

/// Records the salts, which must be new under this key and differ within
/// the request (a refusal rolls the transaction back, so nothing stays).
pub async fn record_salts(tx: &mut dyn Tx, key_id: &[u8], envelopes: &[&[u8]]) -> ApiResult<()> {
    let reuse = || {
        ApiError::new(
            ErrorCode::SaltReuse,
            "this (key_id, salt) was already ingested",
        )
    };
    if envelopes.len() == 2 && salt_of(envelopes[0]) == salt_of(envelopes[1]) {
        return Err(reuse());
    }
    for envelope in envelopes {
        match tx.insert_salt(key_id, salt_of(envelope)).await {
            Err(StoreError::Conflict) => return Err(reuse()),
            other => other?,
        }
    }
    Ok(())
}

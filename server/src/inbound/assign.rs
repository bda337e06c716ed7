//! Vault-assigned addresses and numbers (DESIGN §7): an EMAIL credential
//! gets its own random address on the inbound domain; a user's SMS
//! credentials share one number from the pool, held by that user alone
//! until their last SMS credential goes (`409 no_number_available` when
//! the pool is used up). Users never choose either.

use rand::RngCore;
use sealvault::wire::{Assigned, CredentialConfig, ErrorCode, TfaMethod};

use crate::api::AppState;
use crate::error::{ApiError, ApiResult};
use crate::storage::Tx;

fn parse(assigned: Option<&str>) -> ApiResult<Assigned> {
    assigned.map_or(Ok(Assigned::default()), |json| {
        serde_json::from_str(json).map_err(ApiError::internal)
    })
}

/// The item's `assigned` JSON for its new config, claiming or releasing
/// addresses and numbers inside the writing transaction.
pub async fn assign(
    state: &AppState,
    tx: &mut dyn Tx,
    (user, item): (&str, &str),
    config: &CredentialConfig,
    previous: Option<&str>,
) -> ApiResult<Option<String>> {
    let previous = parse(previous)?;
    let method = super::tfa_method(config);
    let email = match (method, previous.email) {
        (TfaMethod::Email, Some(address)) => Some(address),
        (TfaMethod::Email, None) => Some(new_address(state, tx, user, item).await?),
        (_, Some(_)) => {
            tx.inbound().delete_address(user, item).await?;
            None
        }
        (_, None) => None,
    };
    let phone = match (method, previous.phone) {
        (TfaMethod::Sms, Some(number)) => Some(number),
        (TfaMethod::Sms, None) => Some(claim_number(state, tx, user).await?),
        (_, Some(number)) => {
            release_if_unused(tx, user, item, &number).await?;
            None
        }
        (_, None) => None,
    };
    let assigned = Assigned { email, phone };
    if assigned == Assigned::default() {
        return Ok(None);
    }
    serde_json::to_string(&assigned)
        .map(Some)
        .map_err(ApiError::internal)
}

/// Releases what a deleted item held and forgets its codes.
pub async fn release(
    tx: &mut dyn Tx,
    user: &str,
    item: &str,
    previous: Option<&str>,
) -> ApiResult<()> {
    let previous = parse(previous)?;
    if previous.email.is_some() {
        tx.inbound().delete_address(user, item).await?;
    }
    if let Some(number) = previous.phone {
        release_if_unused(tx, user, item, &number).await?;
    }
    tx.inbound().delete_item_codes(user, item).await?;
    Ok(())
}

async fn new_address(
    state: &AppState,
    tx: &mut dyn Tx,
    user: &str,
    item: &str,
) -> ApiResult<String> {
    for _ in 0..8 {
        let mut raw = [0u8; 10];
        rand::rngs::OsRng.fill_bytes(&mut raw);
        let address = format!("sv-{}@{}", hex::encode(raw), state.inbound.domain());
        if tx.inbound().insert_address(&address, user, item).await? {
            return Ok(address);
        }
    }
    Err(ApiError::internal("no free inbound address after 8 tries"))
}

async fn claim_number(state: &AppState, tx: &mut dyn Tx, user: &str) -> ApiResult<String> {
    if let Some(number) = tx.inbound().user_number(user).await? {
        return Ok(number);
    }
    let at = crate::now();
    for number in state.inbound.numbers() {
        if tx.inbound().claim_number(number, user, at).await? {
            return Ok(number.to_owned());
        }
    }
    Err(ApiError::new(
        ErrorCode::NoNumberAvailable,
        "every number of the vault's SMS pool is in use",
    ))
}

/// Returns `number` to the pool unless another live SMS credential of the
/// user (not `item`) still has it.
async fn release_if_unused(tx: &mut dyn Tx, user: &str, item: &str, number: &str) -> ApiResult<()> {
    for row in tx.credentials(user).await? {
        if row.item_id != item && parse(row.assigned.as_deref())?.phone.as_deref() == Some(number) {
            return Ok(());
        }
    }
    tx.inbound().release_number(number, user).await?;
    Ok(())
}

//! `GET /v1/credentials/{id}/tfa-code?since=&wait=`: the newest code or
//! link received for the credential at or after `since` (default: when the
//! lease was granted), handed out once to a lease in its login phase;
//! older ones are superseded and deleted with it. Blocks up to `wait`
//! seconds, woken at once by a code stored on this replica and polling the
//! database for the others; `{"code": null}` when none came.

use std::time::{Duration, Instant};

use sealvault::wire::{
    CredentialConfig, ErrorCode, SecretString, TfaChannel, TfaCodeAnswer, TfaMethod,
};

use super::seal::open;
use crate::api::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};
use crate::leases::login_lease;
use crate::now;
use crate::storage::{CredentialRow, InboundCodeRow};

/// How often a waiter re-reads the database (codes stored by other replicas).
const POLL: Duration = Duration::from_millis(250);

/// What a request asks.
pub struct Wait<'a> {
    /// The credential.
    pub item: &'a str,
    /// The `X-Lease-Token`.
    pub lease_secret: &'a str,
    /// Only codes received at or after this.
    pub since: Option<i64>,
    /// Seconds to block.
    pub wait_secs: u64,
}

/// Runs the long poll.
pub async fn tfa_code(
    state: &AppState,
    principal: &Principal,
    request: Wait<'_>,
) -> ApiResult<TfaCodeAnswer> {
    let key = principal.token_id.as_deref().unwrap_or("admin");
    if let Some(secs) = state.totp_limiter.check(key) {
        return Err(ApiError::rate_limited(secs));
    }
    let wait = request.wait_secs.min(state.limits.max_wait_secs);
    let deadline = Instant::now() + Duration::from_secs(wait);
    loop {
        let arrived = state.inbound.arrived();
        tokio::pin!(arrived);
        arrived.as_mut().enable();
        if let Some(answer) = try_take(state, principal, &request).await? {
            return Ok(answer);
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Ok(TfaCodeAnswer::default());
        }
        tokio::select! {
            () = &mut arrived => {}
            () = tokio::time::sleep(left.min(POLL)) => {}
        }
    }
}

fn require_inbound_method(row: &CredentialRow) -> ApiResult<()> {
    let config: CredentialConfig =
        serde_json::from_str(row.config.as_deref().unwrap_or("{}")).map_err(ApiError::internal)?;
    match config.tfa.map(|t| t.method) {
        Some(TfaMethod::Email | TfaMethod::Sms) => Ok(()),
        _ => Err(ApiError::invalid(
            "this credential's tfa.method is neither EMAIL nor SMS",
        )),
    }
}

/// One look: the newest code, taken; `ambiguous_recipient` when a text
/// for this credential's number is held; else nothing.
async fn try_take(
    state: &AppState,
    principal: &Principal,
    request: &Wait<'_>,
) -> ApiResult<Option<TfaCodeAnswer>> {
    let user = principal.user()?;
    let at = now();
    let (row, since, codes) = {
        let mut tx = state.store.read().await?;
        let row = match tx.credential(user, request.item).await? {
            Some(row) if !row.deleted => row,
            _ => return Err(ApiError::not_found()),
        };
        let lease = login_lease(tx.as_mut(), principal, request.item, request.lease_secret).await?;
        require_inbound_method(&row)?;
        let since = request.since.unwrap_or(lease.created_at);
        let codes = tx.inbound().codes(user, request.item, since, at).await?;
        (row, since, codes)
    };
    if let Some((newest, older)) = codes.split_first() {
        return take(state, principal, request, newest, older).await;
    }
    if let Some(number) = super::assigned_phone(&row) {
        let mut tx = state.store.read().await?;
        if tx.inbound().held_since(user, &number, since, at).await? {
            return Err(ApiError::new(
                ErrorCode::AmbiguousRecipient,
                "a text to this credential's number could not be routed to one login: \
                 more than one (or no) credential of yours on that number was logging in",
            ));
        }
    }
    Ok(None)
}

/// Deletes the newest code (and the older ones it supersedes) and opens it,
/// in one write transaction that re-checks the lease; `None` when another
/// waiter took it first.
async fn take(
    state: &AppState,
    principal: &Principal,
    request: &Wait<'_>,
    newest: &InboundCodeRow,
    older: &[InboundCodeRow],
) -> ApiResult<Option<TfaCodeAnswer>> {
    let user = principal.user()?;
    let mut tx = state.store.write().await?;
    let lease = login_lease(tx.as_mut(), principal, request.item, request.lease_secret).await?;
    if !tx.inbound().take_code(&newest.id).await? {
        return Ok(None);
    }
    for code in older {
        tx.inbound().take_code(&code.id).await?;
    }
    let content = open(
        state.inbound.key(),
        &newest.id,
        user,
        Some(request.item),
        &newest.sealed,
    )
    .map_err(ApiError::internal)?;
    let channel = if newest.channel == "sms" {
        TfaChannel::Sms
    } else {
        TfaChannel::Email
    };
    let detail = serde_json::json!({ "session": lease.id, "channel": newest.channel });
    let event = principal
        .event("tfa.code")
        .item(request.item)
        .detail(detail);
    state.auditor.append(tx.as_mut(), event, now()).await?;
    tx.commit().await?;
    state.metrics.inbound(&newest.channel, "handed_out");
    Ok(Some(TfaCodeAnswer {
        code: content.code.clone().map(SecretString::new),
        link: content.link.clone().map(SecretString::new),
        channel: Some(channel),
        received_at: Some(newest.received_at),
    }))
}

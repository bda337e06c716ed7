//! Users and tokens (DESIGN §8). Every mint is audited.

use sealvault::wire::{CreateToken, TokenCreated, TokenInfo, TokenList, User};

use crate::api::AppState;
use crate::auth::{Principal, hash_secret, new_id, new_secret, validate_patterns};
use crate::error::{ApiError, ApiResult};
use crate::now;
use crate::storage::{TokenRow, UserRow};

/// Default token lifetime: 90 days.
pub const DEFAULT_TOKEN_TTL_SECS: u64 = 90 * 24 * 3600;

/// Creates a user.
pub async fn create_user(state: &AppState, by: &Principal, name: &str) -> ApiResult<User> {
    if name.is_empty() || name.len() > 255 {
        return Err(ApiError::invalid("name must be 1 to 255 bytes"));
    }
    let row = UserRow {
        id: new_id("usr_"),
        name: name.to_owned(),
        created_at: now(),
    };
    let mut tx = state.store.write().await?;
    tx.insert_user(&row).await?;
    let event = by
        .event("user.create")
        .detail(serde_json::json!({ "user": row.id }));
    state
        .auditor
        .append(tx.as_mut(), event, row.created_at)
        .await?;
    tx.commit().await?;
    Ok(User {
        id: row.id,
        name: row.name,
    })
}

/// Mints a token for `user_id`; `by` is `None` from the CLI.
pub async fn mint_token(
    state: &AppState,
    by: Option<&Principal>,
    user_id: &str,
    request: &CreateToken,
) -> ApiResult<TokenCreated> {
    if request.scopes.is_empty() {
        return Err(ApiError::invalid("scopes must not be empty"));
    }
    if let Some(items) = &request.items {
        validate_patterns(items)?;
    }
    let ttl = request
        .ttl_secs
        .unwrap_or(DEFAULT_TOKEN_TTL_SECS)
        .clamp(1, 10 * 365 * 24 * 3600);
    let secret = sealvault::wire::SecretString::new(new_secret("svt_"));
    let created_at = now();
    let row = TokenRow {
        id: new_id("tok_"),
        user_id: user_id.to_owned(),
        name: request.name.clone(),
        token_hash: hash_secret(secret.expose_secret()),
        scopes: serde_json::to_string(&request.scopes).map_err(ApiError::internal)?,
        items: request
            .items
            .as_ref()
            .map(serde_json::to_string)
            .transpose()
            .map_err(ApiError::internal)?,
        created_at,
        expires_at: created_at.saturating_add(i64::try_from(ttl).unwrap_or(i64::MAX)),
        revoked_at: None,
    };
    let mut tx = state.store.write().await?;
    tx.user(user_id).await?.ok_or_else(ApiError::not_found)?;
    tx.insert_token(&row).await?;
    let event = match by {
        Some(p) => p.event("token.mint"),
        None => crate::audit::Event::new("token.mint").detail(serde_json::json!({ "via": "cli" })),
    };
    let detail = serde_json::json!({ "token": row.id, "scopes": request.scopes, "items": request.items, "expires_at": row.expires_at });
    let event = crate::audit::Event {
        user_id: Some(user_id.to_owned()),
        detail,
        ..event
    };
    state.auditor.append(tx.as_mut(), event, created_at).await?;
    tx.commit().await?;
    Ok(TokenCreated {
        id: row.id,
        token: secret,
        scopes: request.scopes.clone(),
        items: request.items.clone(),
        expires_at: row.expires_at,
    })
}

/// A user's tokens, never their secrets.
pub async fn list_tokens(state: &AppState, user_id: &str) -> ApiResult<TokenList> {
    let mut tx = state.store.read().await?;
    tx.user(user_id).await?.ok_or_else(ApiError::not_found)?;
    let rows = tx.tokens(user_id).await?;
    let items = rows
        .into_iter()
        .map(|row| {
            Ok(TokenInfo {
                id: row.id,
                name: row.name,
                scopes: serde_json::from_str(&row.scopes).map_err(ApiError::internal)?,
                items: row
                    .items
                    .as_deref()
                    .map(serde_json::from_str)
                    .transpose()
                    .map_err(ApiError::internal)?,
                created_at: row.created_at,
                expires_at: row.expires_at,
                revoked_at: row.revoked_at,
            })
        })
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(TokenList { items })
}

/// Revokes a token of `user_id`.
pub async fn revoke_token(
    state: &AppState,
    by: &Principal,
    user_id: &str,
    token_id: &str,
) -> ApiResult<()> {
    let at = now();
    let mut tx = state.store.write().await?;
    if !tx.revoke_token(user_id, token_id, at).await? {
        return Err(ApiError::not_found());
    }
    let event = by
        .event("token.revoke")
        .detail(serde_json::json!({ "token": token_id, "user": user_id }));
    state.auditor.append(tx.as_mut(), event, at).await?;
    tx.commit().await?;
    Ok(())
}

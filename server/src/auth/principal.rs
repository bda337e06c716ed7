//! The authenticated caller of a request.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use sealvault::wire::Scope;
use subtle::ConstantTimeEq;

use super::tokens::{hash_secret, matches};
use crate::api::AppState;
use crate::audit::Event;
use crate::error::{ApiError, ApiResult};
use crate::now;

/// Who is calling: a user's token, or the configured admin token.
#[derive(Debug, Clone)]
pub struct Principal {
    /// The token's user (`None` for the configured admin token).
    pub user_id: Option<String>,
    /// The token id (`None` for the configured admin token).
    pub token_id: Option<String>,
    /// Scopes.
    pub scopes: Vec<Scope>,
    /// Item allow-list, `None` for every item.
    pub items: Option<Vec<String>>,
    /// Expiry.
    pub expires_at: Option<i64>,
}

impl Principal {
    /// Fails with `forbidden` without `scope`.
    pub fn require(&self, scope: Scope) -> ApiResult<()> {
        if self.scopes.contains(&scope) {
            Ok(())
        } else {
            Err(ApiError::forbidden(scope.as_str()))
        }
    }

    /// Fails with `forbidden` unless the token has one of `scopes`.
    pub fn require_any(&self, scopes: &[Scope]) -> ApiResult<()> {
        match scopes.iter().find(|s| self.scopes.contains(s)) {
            Some(_) => Ok(()),
            None => Err(ApiError::forbidden(
                &scopes
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(" or "),
            )),
        }
    }

    /// The token's user; the admin token has none (`forbidden`).
    pub fn user(&self) -> ApiResult<&str> {
        self.user_id
            .as_deref()
            .ok_or_else(|| ApiError::forbidden("of a user (the admin token has no user)"))
    }

    /// Whether the allow-list lets this token see `item`.
    pub fn sees(&self, item: &str) -> bool {
        self.items
            .as_deref()
            .is_none_or(|patterns| matches(patterns, item))
    }

    /// `not_found` for an item outside the allow-list, as for a missing one.
    pub fn item(&self, item: &str) -> ApiResult<()> {
        if self.sees(item) {
            Ok(())
        } else {
            Err(ApiError::not_found())
        }
    }

    /// An audit event by this caller.
    pub fn event(&self, action: &'static str) -> Event {
        Event::new(action).by(self.user_id.as_deref(), self.token_id.as_deref())
    }
}

fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts
        .headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

async fn authenticate(parts: &Parts, state: &AppState) -> ApiResult<Option<Principal>> {
    let Some(secret) = bearer(parts) else {
        return Ok(None);
    };
    let hash = hash_secret(secret);
    if let Some(admin) = &state.admin_token_hash
        && bool::from(admin.ct_eq(&hash))
    {
        return Ok(Some(Principal {
            user_id: None,
            token_id: None,
            scopes: vec![Scope::Admin],
            items: None,
            expires_at: None,
        }));
    }
    let Some(row) = state.store.token_by_hash(&hash).await? else {
        return Ok(None);
    };
    if !bool::from(row.token_hash.ct_eq(&hash))
        || row.revoked_at.is_some()
        || row.expires_at <= now()
    {
        return Ok(None);
    }
    let scopes = serde_json::from_str(&row.scopes).map_err(ApiError::internal)?;
    let items = row
        .items
        .as_deref()
        .map(serde_json::from_str)
        .transpose()
        .map_err(ApiError::internal)?;
    Ok(Some(Principal {
        user_id: Some(row.user_id),
        token_id: Some(row.id),
        scopes,
        items,
        expires_at: Some(row.expires_at),
    }))
}

impl FromRequestParts<AppState> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let client = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip().to_string())
            .unwrap_or_default();
        if let Some(secs) = state.auth_failures.blocked(&client) {
            return Err(ApiError::rate_limited(secs));
        }
        if let Some(principal) = authenticate(parts, state).await? {
            return Ok(principal);
        }
        state.auth_failures.hit(&client);
        let event = Event::new("auth.failure").detail(serde_json::json!({ "client": client }));
        state.auditor.record(event, now()).await?;
        Err(ApiError::unauthorized())
    }
}

//! Per-credential proxy resolution and the admin's health mark.

use crate::api::openapi::schemas as s;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use sealvault::wire::{LEASE_TOKEN_HEADER, ProxyAnswer, ProxyHealth, ProxyRequest, Scope};

use crate::api::{AppState, Body};
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};
use crate::proxies::{health, resolve as pool};

/// `POST /v1/credentials/{id}/proxy` (sessions + lease).
#[utoipa::path(post, path = "/v1/credentials/{id}/proxy", tag = "sessions", description = "scope sessions and a live lease on the credential (409 lease_required); the credential's pool member when its config enables a proxy (sticky; 503 proxy_unavailable when no member is healthy), else the workflow proxy passed in, else none", params(("id" = String, Path), ("X-Lease-Token" = String, Header)), request_body = s::ProxyRequest, responses((status = 200, body = s::ProxyAnswer), (status = "4XX", description = "error (DESIGN §9 table)", body = s::ErrorBody), (status = 503, description = "proxy_unavailable", body = s::ErrorBody)))]
pub async fn resolve(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> ApiResult<Json<ProxyAnswer>> {
    principal.require(Scope::Sessions)?;
    principal.item(&id)?;
    let request: ProxyRequest = if body.is_empty() {
        ProxyRequest::default()
    } else {
        serde_json::from_slice(&body).map_err(|_| {
            ApiError::invalid(
                "body must be {\"workflow_proxy\": {\"url\", \"ip\"} or null} or empty",
            )
        })?
    };
    let secret = headers
        .get(LEASE_TOKEN_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    Ok(Json(
        pool::resolve(&state, &principal, &id, secret, request).await?,
    ))
}

/// `POST /v1/admin/proxies/{id}/health` (admin): `false` takes the member
/// out of rotation until an admin sends `true`.
#[utoipa::path(post, path = "/v1/admin/proxies/{id}/health", tag = "admin", description = "scope admin; {\"healthy\": false} takes the pool member out of rotation until an admin sends true (the TCP check still applies); 404 for an id outside the pool", params(("id" = String, Path)), request_body = s::ProxyHealth, responses((status = 204, description = "recorded"), (status = "4XX", description = "error (DESIGN §9 table)", body = s::ErrorBody)))]
pub async fn set_health(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    Body(request): Body<ProxyHealth>,
) -> ApiResult<StatusCode> {
    principal.require(Scope::Admin)?;
    health::mark(&state, &principal, &id, request).await?;
    Ok(StatusCode::NO_CONTENT)
}

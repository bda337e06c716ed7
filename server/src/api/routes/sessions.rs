//! Leases, leased access and server-side TOTP.

use crate::api::openapi::schemas as s;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use sealvault::wire::{
    Access, AcquireLease, Heartbeat, LEASE_TOKEN_HEADER, LeaseGrant, LoginComplete, Scope,
    TotpCode, TotpRequest,
};

use crate::api::{AppState, Body};
use crate::auth::Principal;
use crate::credentials::RawConfig;
use crate::error::{ApiError, ApiResult};
use crate::{access, leases};

/// The `X-Lease-Token` header; `lease_required` without it.
pub(super) fn lease_token(headers: &HeaderMap) -> ApiResult<&str> {
    headers
        .get(LEASE_TOKEN_HEADER)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(ApiError::lease_required)
}

/// `POST /v1/credentials/{id}/sessions` (sessions): 201 with the grant.
#[utoipa::path(post, path = "/v1/credentials/{id}/sessions", tag = "sessions", description = "scope sessions; 409 concurrency_limit, 423 login_in_progress", params(("id" = String, Path)), request_body = s::AcquireLease, responses((status = 201, body = s::LeaseGrant), (status = "4XX", description = "error (DESIGN §9 table)", body = s::ErrorBody)))]
pub async fn acquire(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    Body(request): Body<AcquireLease>,
) -> ApiResult<(StatusCode, Json<LeaseGrant<RawConfig>>)> {
    principal.require(Scope::Sessions)?;
    principal.item(&id)?;
    Ok((
        StatusCode::CREATED,
        Json(leases::acquire(&state, &principal, &id, &request).await?),
    ))
}

/// `POST /v1/sessions/{sid}/heartbeat` (sessions).
#[utoipa::path(post, path = "/v1/sessions/{sid}/heartbeat", tag = "sessions", description = "scope sessions", params(("sid" = String, Path), ("X-Lease-Token" = String, Header)), responses((status = 200, body = s::Heartbeat), (status = "4XX", description = "error (DESIGN §9 table)", body = s::ErrorBody)))]
pub async fn heartbeat(
    State(state): State<AppState>,
    principal: Principal,
    Path(sid): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Json<Heartbeat>> {
    principal.require(Scope::Sessions)?;
    Ok(Json(
        leases::heartbeat(&state, &principal, &sid, lease_token(&headers)?).await?,
    ))
}

/// `POST /v1/sessions/{sid}/login-complete` (sessions).
#[utoipa::path(post, path = "/v1/sessions/{sid}/login-complete", tag = "sessions", description = "scope sessions", params(("sid" = String, Path), ("X-Lease-Token" = String, Header)), responses((status = 200, body = s::LoginComplete), (status = "4XX", description = "error (DESIGN §9 table)", body = s::ErrorBody)))]
pub async fn login_complete(
    State(state): State<AppState>,
    principal: Principal,
    Path(sid): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Json<LoginComplete>> {
    principal.require(Scope::Sessions)?;
    Ok(Json(
        leases::login_complete(&state, &principal, &sid, lease_token(&headers)?).await?,
    ))
}

/// `DELETE /v1/sessions/{sid}` (sessions).
#[utoipa::path(delete, path = "/v1/sessions/{sid}", tag = "sessions", description = "scope sessions", params(("sid" = String, Path), ("X-Lease-Token" = String, Header)), responses((status = 204, description = "released"), (status = "4XX", description = "error (DESIGN §9 table)", body = s::ErrorBody)))]
pub async fn release(
    State(state): State<AppState>,
    principal: Principal,
    Path(sid): Path<String>,
    headers: HeaderMap,
) -> ApiResult<StatusCode> {
    principal.require(Scope::Sessions)?;
    leases::release(&state, &principal, &sid, lease_token(&headers)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /v1/credentials/{id}/access` (secrets:access + login phase).
#[utoipa::path(post, path = "/v1/credentials/{id}/access", tag = "access", description = "scope secrets:access and a lease in its login phase", params(("id" = String, Path), ("X-Lease-Token" = String, Header)), responses((status = 200, body = s::Access), (status = "4XX", description = "error (DESIGN §9 table)", body = s::ErrorBody)))]
pub async fn access(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Json<Access<RawConfig>>> {
    principal.require(Scope::SecretsAccess)?;
    principal.item(&id)?;
    Ok(Json(
        access::access(&state, &principal, &id, lease_token(&headers)?).await?,
    ))
}

/// `POST /v1/credentials/{id}/totp` (secrets:access + login phase).
#[utoipa::path(post, path = "/v1/credentials/{id}/totp", tag = "access", description = "scope secrets:access and a lease in its login phase", params(("id" = String, Path), ("X-Lease-Token" = String, Header)), request_body = s::TotpRequest, responses((status = 200, body = s::TotpCode), (status = "4XX", description = "error (DESIGN §9 table)", body = s::ErrorBody)))]
pub async fn totp(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> ApiResult<Json<TotpCode>> {
    principal.require(Scope::SecretsAccess)?;
    principal.item(&id)?;
    let request: TotpRequest = if body.is_empty() {
        TotpRequest::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|_| ApiError::invalid("body must be {\"min_validity_secs\": n} or empty"))?
    };
    Ok(Json(
        access::totp(&state, &principal, &id, lease_token(&headers)?, &request).await?,
    ))
}

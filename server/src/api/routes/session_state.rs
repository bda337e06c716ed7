//! Session state: put, get, delete (scope sessions + a live lease on the
//! credential, any purpose or phase).

use crate::api::openapi::schemas as s;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use sealvault::wire::{
    FENCING_TOKEN_HEADER, PutSessionState, Scope, SessionStateBody, SessionStateWritten,
};

use super::sessions::lease_token;
use crate::api::{AppState, Body};
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};
use crate::session_state;

/// `X-Fencing-Token` as a number, if present and well-formed (checked
/// after the item and lease, so an invisible item is a 404 whatever the
/// headers).
fn fencing_token(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(FENCING_TOKEN_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
}

/// `PUT /v1/credentials/{id}/session-state` (sessions + lease): 201 when
/// the state was absent.
#[utoipa::path(put, path = "/v1/credentials/{id}/session-state", tag = "session-state", description = "scope sessions and a live lease on the credential; X-Fencing-Token must be the lease's (409 stale_fencing_token when a newer lease has written); verified like ingest (DESIGN §6) under the state key; 409 version_conflict, stale_data_key, salt_reuse; body limit limits.session_state_body_bytes", params(("id" = String, Path), ("X-Lease-Token" = String, Header), ("X-Fencing-Token" = u64, Header)), request_body = s::PutSessionState, responses((status = 200, body = s::SessionStateWritten), (status = 201, body = s::SessionStateWritten), (status = "4XX", description = "error (DESIGN §9 table)", body = s::ErrorBody)))]
pub async fn put(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    headers: HeaderMap,
    Body(request): Body<PutSessionState>,
) -> ApiResult<(StatusCode, Json<SessionStateWritten>)> {
    principal.require(Scope::Sessions)?;
    principal.item(&id)?;
    let secret = lease_token(&headers).map_err(|_| ApiError::live_lease_required())?;
    let fencing = fencing_token(&headers);
    let (created, written) =
        session_state::put(&state, &principal, &id, secret, fencing, &request).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(written)))
}

/// `GET /v1/credentials/{id}/session-state` (sessions + lease).
#[utoipa::path(get, path = "/v1/credentials/{id}/session-state", tag = "session-state", description = "scope sessions and a live lease on the credential; 404 when absent or expired (with current_version, the last version written, once there was one); moves last_used_at", params(("id" = String, Path), ("X-Lease-Token" = String, Header)), responses((status = 200, body = s::SessionStateBody), (status = "4XX", description = "error (DESIGN §9 table)", body = s::ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Json<SessionStateBody>> {
    principal.require(Scope::Sessions)?;
    principal.item(&id)?;
    let secret = lease_token(&headers).map_err(|_| ApiError::live_lease_required())?;
    Ok(Json(
        session_state::get(&state, &principal, &id, secret).await?,
    ))
}

/// `DELETE /v1/credentials/{id}/session-state` (sessions + lease): 204.
#[utoipa::path(delete, path = "/v1/credentials/{id}/session-state", tag = "session-state", description = "scope sessions and a live lease on the credential; idempotent; the version counter stays (later PUTs continue from it); 409 stale_fencing_token when a newer lease has written", params(("id" = String, Path), ("X-Lease-Token" = String, Header)), responses((status = 204, description = "deleted (or already absent)"), (status = "4XX", description = "error (DESIGN §9 table)", body = s::ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult<StatusCode> {
    principal.require(Scope::Sessions)?;
    principal.item(&id)?;
    let secret = lease_token(&headers).map_err(|_| ApiError::live_lease_required())?;
    session_state::delete(&state, &principal, &id, secret).await?;
    Ok(StatusCode::NO_CONTENT)
}

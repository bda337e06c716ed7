//! Data keys: create, current, rotate.

use crate::api::openapi::schemas as s;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use sealvault::wire::{DataKeyBody, RotateKey, Rotated, Scope};

use crate::api::{AppState, Body};
use crate::auth::Principal;
use crate::datakeys;
use crate::error::ApiResult;

/// `POST /v1/keys` (keys:use): the first data key.
#[utoipa::path(post, path = "/v1/keys", tag = "keys", description = "scope keys:use; 409 data_key_exists", responses((status = 201, body = s::DataKeyBody), (status = "4XX", description = "error (DESIGN §9 table)", body = s::ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    principal: Principal,
) -> ApiResult<(StatusCode, Json<DataKeyBody>)> {
    principal.require(Scope::KeysUse)?;
    Ok((
        StatusCode::CREATED,
        Json(datakeys::create(&state, &principal).await?),
    ))
}

/// `GET /v1/keys/current` (keys:use).
#[utoipa::path(get, path = "/v1/keys/current", tag = "keys", description = "scope keys:use", responses((status = 200, body = s::DataKeyBody), (status = "4XX", description = "error (DESIGN §9 table)", body = s::ErrorBody)))]
pub async fn current(
    State(state): State<AppState>,
    principal: Principal,
) -> ApiResult<Json<DataKeyBody>> {
    principal.require(Scope::KeysUse)?;
    Ok(Json(datakeys::current(&state, &principal).await?))
}

/// `POST /v1/keys/rotate` (keys:rotate).
#[utoipa::path(post, path = "/v1/keys/rotate", tag = "keys", description = "scope keys:rotate; 409 stale_data_key", request_body = s::RotateKey, responses((status = 200, body = s::Rotated), (status = "4XX", description = "error (DESIGN §9 table)", body = s::ErrorBody)))]
pub async fn rotate(
    State(state): State<AppState>,
    principal: Principal,
    Body(request): Body<RotateKey>,
) -> ApiResult<Json<Rotated>> {
    principal.require(Scope::KeysRotate)?;
    Ok(Json(
        datakeys::rotate(&state, &principal, request.expected_key_id).await?,
    ))
}

//! Credentials: put (verified ingest), list, get, delete.

use crate::api::openapi::schemas as s;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use sealvault::wire::{CredentialDetail, CredentialList, CredentialWritten, PutCredential, Scope};
use serde::Deserialize;

use crate::api::{AppState, Body};
use crate::auth::Principal;
use crate::credentials::{self, RawConfig};
use crate::error::{ApiError, ApiResult};

/// `PUT /v1/credentials/{id}` (secrets:write): 201 when created.
#[utoipa::path(put, path = "/v1/credentials/{id}", tag = "credentials", description = "scope secrets:write; verified ingest (DESIGN §6)", params(("id" = String, Path)), request_body = s::PutCredential, responses((status = 200, body = s::CredentialWritten), (status = 201, body = s::CredentialWritten), (status = "4XX", description = "error (DESIGN §9 table)", body = s::ErrorBody)))]
pub async fn put(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    Body(request): Body<PutCredential<RawConfig>>,
) -> ApiResult<(StatusCode, Json<CredentialWritten>)> {
    principal.require(Scope::SecretsWrite)?;
    principal.item(&id)?;
    let (created, written) = credentials::put(&state, &principal, &id, &request).await?;
    Ok((
        if created {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        },
        Json(written),
    ))
}

/// `GET /v1/credentials` (secrets:write or secrets:access).
#[utoipa::path(get, path = "/v1/credentials", tag = "credentials", description = "scope secrets:write or secrets:access", responses((status = 200, body = s::CredentialList), (status = "4XX", description = "error (DESIGN §9 table)", body = s::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    principal: Principal,
) -> ApiResult<Json<CredentialList<RawConfig>>> {
    principal.require_any(&[Scope::SecretsWrite, Scope::SecretsAccess])?;
    Ok(Json(credentials::list(&state, &principal).await?))
}

/// `GET /v1/credentials/{id}` (secrets:write): with the envelopes.
#[utoipa::path(get, path = "/v1/credentials/{id}", tag = "credentials", description = "scope secrets:write", params(("id" = String, Path)), responses((status = 200, body = s::CredentialDetail), (status = "4XX", description = "error (DESIGN §9 table)", body = s::ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<CredentialDetail<RawConfig>>> {
    principal.require(Scope::SecretsWrite)?;
    principal.item(&id)?;
    Ok(Json(credentials::get(&state, &principal, &id).await?))
}

/// The query of a delete.
#[derive(Debug, Deserialize)]
pub struct DeleteQuery {
    expected_version: Option<u64>,
}

/// `DELETE /v1/credentials/{id}?expected_version=` (secrets:write): leaves a tombstone.
#[utoipa::path(delete, path = "/v1/credentials/{id}", tag = "credentials", description = "scope secrets:write; leaves a tombstone", params(("id" = String, Path), ("expected_version" = u64, Query)), responses((status = 204, description = "deleted"), (status = "4XX", description = "error (DESIGN §9 table)", body = s::ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    query: Result<Query<DeleteQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<StatusCode> {
    principal.require(Scope::SecretsWrite)?;
    principal.item(&id)?;
    let Ok(Query(DeleteQuery {
        expected_version: Some(expected),
    })) = query
    else {
        return Err(ApiError::invalid(
            "expected_version (an integer) is required",
        ));
    };
    credentials::delete(&state, &principal, &id, expected).await?;
    Ok(StatusCode::NO_CONTENT)
}

//! Users, tokens and `/v1/me`.

use crate::api::openapi::schemas as s;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use sealvault::wire::{CreateToken, CreateUser, Me, Scope, TokenCreated, TokenList, User};

use crate::api::{AppState, Body};
use crate::auth::Principal;
use crate::error::ApiResult;
use crate::users;

/// `POST /v1/users` (admin).
#[utoipa::path(post, path = "/v1/users", tag = "users", description = "scope admin", request_body = s::CreateUser, responses((status = 201, body = s::User), (status = "4XX", description = "error (DESIGN §9 table)", body = s::ErrorBody)))]
pub async fn create_user(
    State(state): State<AppState>,
    principal: Principal,
    Body(request): Body<CreateUser>,
) -> ApiResult<(StatusCode, Json<User>)> {
    principal.require(Scope::Admin)?;
    let user = users::create_user(&state, &principal, &request.name).await?;
    Ok((StatusCode::CREATED, Json(user)))
}

/// `POST /v1/users/{user_id}/tokens` (admin): the secret is shown once.
#[utoipa::path(post, path = "/v1/users/{user_id}/tokens", tag = "users", description = "scope admin; the token is shown once", params(("user_id" = String, Path)), request_body = s::CreateToken, responses((status = 201, body = s::TokenCreated), (status = "4XX", description = "error (DESIGN §9 table)", body = s::ErrorBody)))]
pub async fn create_token(
    State(state): State<AppState>,
    principal: Principal,
    Path(user_id): Path<String>,
    Body(request): Body<CreateToken>,
) -> ApiResult<(StatusCode, Json<TokenCreated>)> {
    principal.require(Scope::Admin)?;
    let token = users::mint_token(&state, Some(&principal), &user_id, &request).await?;
    Ok((StatusCode::CREATED, Json(token)))
}

/// `GET /v1/users/{user_id}/tokens` (admin): never the secrets.
#[utoipa::path(get, path = "/v1/users/{user_id}/tokens", tag = "users", description = "scope admin", params(("user_id" = String, Path)), responses((status = 200, body = s::TokenList), (status = "4XX", description = "error (DESIGN §9 table)", body = s::ErrorBody)))]
pub async fn list_tokens(
    State(state): State<AppState>,
    principal: Principal,
    Path(user_id): Path<String>,
) -> ApiResult<Json<TokenList>> {
    principal.require(Scope::Admin)?;
    Ok(Json(users::list_tokens(&state, &user_id).await?))
}

/// `DELETE /v1/users/{user_id}/tokens/{token_id}` (admin).
#[utoipa::path(delete, path = "/v1/users/{user_id}/tokens/{token_id}", tag = "users", description = "scope admin", params(("user_id" = String, Path), ("token_id" = String, Path)), responses((status = 204, description = "revoked"), (status = "4XX", description = "error (DESIGN §9 table)", body = s::ErrorBody)))]
pub async fn revoke_token(
    State(state): State<AppState>,
    principal: Principal,
    Path((user_id, token_id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    principal.require(Scope::Admin)?;
    users::revoke_token(&state, &principal, &user_id, &token_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /v1/me`.
#[utoipa::path(get, path = "/v1/me", tag = "users", responses((status = 200, body = s::Me), (status = "4XX", description = "error (DESIGN §9 table)", body = s::ErrorBody)))]
pub async fn me(principal: Principal) -> Json<Me> {
    Json(Me {
        user_id: principal.user_id,
        token_id: principal.token_id,
        scopes: principal.scopes,
        items: principal.items,
        expires_at: principal.expires_at,
    })
}

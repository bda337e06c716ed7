//! `GET /v1/audit`: everything for admin, else the caller's user's records.

use crate::api::openapi::schemas as s;
use axum::Json;
use axum::extract::{Query, State};
use sealvault::wire::{AuditList, AuditRecord, Scope};
use serde::Deserialize;

use crate::api::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};

/// Paging.
#[derive(Debug, Deserialize)]
pub struct AuditQuery {
    /// Records after this sequence number.
    #[serde(default)]
    after: i64,
    /// At most this many (default and maximum 1000).
    #[serde(default)]
    limit: Option<i64>,
}

/// `GET /v1/audit?after=&limit=`.
#[utoipa::path(get, path = "/v1/audit", tag = "audit", description = "admin: every record; others: their user's", params(("after" = Option<i64>, Query), ("limit" = Option<i64>, Query)), responses((status = 200, body = s::AuditList), (status = "4XX", description = "error (DESIGN §9 table)", body = s::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    principal: Principal,
    Query(query): Query<AuditQuery>,
) -> ApiResult<Json<AuditList>> {
    let user = if principal.require(Scope::Admin).is_ok() {
        None
    } else {
        Some(principal.user()?)
    };
    let limit = query.limit.unwrap_or(1000).clamp(1, 1000);
    let mut tx = state.store.read().await?;
    let rows = tx.audit(user, query.after, limit).await?;
    let items = rows
        .into_iter()
        .map(|row| {
            Ok(AuditRecord {
                seq: row.seq,
                at: row.at,
                action: row.action,
                user_id: row.user_id,
                token_id: row.token_id,
                item_id: row.item_id,
                detail: serde_json::from_str(&row.detail).map_err(ApiError::internal)?,
            })
        })
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(Json(AuditList { items }))
}

//! `/healthz`, `/metrics`, `/openapi.json`, `/v1/meta`.

use crate::api::openapi::schemas as s;
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use sealvault::wire::Meta;

use crate::api::AppState;
use crate::error::ApiResult;

/// `GET /healthz`: the database answers and every master key works
/// (probed when idle or failing): `{"status":"ok"}`. 503 `degraded`, with
/// each member's state and non-secret reason, while a master key is
/// unavailable.
#[utoipa::path(get, path = "/healthz", tag = "system", responses(
    (status = 200, description = "database and master keys available"),
    (status = 503, description = "degraded: a master key is unavailable (reasons in `master_keys`)"),
))]
pub async fn healthz(State(state): State<AppState>) -> ApiResult<Response> {
    let tx = state.store.read().await?;
    drop(tx);
    let master_keys = state.keyring.health().await;
    let down: Vec<&str> = master_keys
        .iter()
        .filter(|m| m.reason.is_some())
        .map(|m| m.id.as_str())
        .collect();
    if down.is_empty() {
        let body = serde_json::json!({"status": "ok"});
        return Ok(Json(body).into_response());
    }
    let body = serde_json::json!({
        "status": "degraded",
        "reason": format!("master key unavailable: {}", down.join(", ")),
        "master_keys": master_keys,
    });
    Ok((StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response())
}

/// `GET /metrics`: Prometheus text.
#[utoipa::path(get, path = "/metrics", tag = "system", responses((status = 200, description = "Prometheus text", content_type = "text/plain")))]
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
}

/// `GET /openapi.json`.
#[utoipa::path(get, path = "/openapi.json", tag = "system", responses((status = 200, description = "this document")))]
pub async fn openapi() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        crate::api::openapi::document(),
    )
}

/// `GET /v1/meta`: version and limits.
#[utoipa::path(get, path = "/v1/meta", tag = "system", responses((status = 200, body = s::Meta)))]
pub async fn meta(State(state): State<AppState>) -> Json<Meta> {
    Json(Meta {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        limits: state.limits.to_wire(),
    })
}

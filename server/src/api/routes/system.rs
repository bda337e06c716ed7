//! `/healthz`, `/metrics`, `/openapi.json`, `/v1/meta`.

use crate::api::openapi::schemas as s;
use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use sealvault::wire::Meta;

use crate::api::AppState;
use crate::error::ApiResult;

/// `GET /healthz`: the database answers.
#[utoipa::path(get, path = "/healthz", tag = "system", responses((status = 200, description = "database reachable")))]
pub async fn healthz(State(state): State<AppState>) -> ApiResult<Json<serde_json::Value>> {
    let tx = state.store.read().await?;
    drop(tx);
    Ok(Json(serde_json::json!({"status": "ok"})))
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

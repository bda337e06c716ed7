//! The HTTP API v1 (DESIGN §9): router, shared state, JSON body extractor,
//! tracing and metrics middleware.

mod body;
pub mod openapi;
mod routes;
mod state;

use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

pub use body::Body;
pub use state::{AppState, Inner};

use crate::metrics::{RequestLabels, RouteLabels};

/// The whole application.
pub fn router(state: AppState) -> Router {
    let body_limit = usize::try_from(state.limits.credential_body_bytes).unwrap_or(usize::MAX);
    let state_limit = usize::try_from(state.limits.session_state_body_bytes).unwrap_or(usize::MAX);
    let timeout = Duration::from_secs(state.limits.request_timeout_secs.max(1));
    let email_limit = state.inbound.max_message_bytes();
    routes::routes(state_limit, email_limit)
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            timeout,
        ))
        .layer(middleware::from_fn(json_errors))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(TraceLayer::new_for_http().make_span_with(make_span))
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .with_state(state)
}

/// A span naming method, route template and request id — never headers,
/// query values or bodies.
fn make_span(request: &Request) -> tracing::Span {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("-", MatchedPath::as_str);
    let id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    tracing::info_span!("request", method = %request.method(), route, request_id = id)
}

/// Gives the error answers made outside the handlers (the timeout's 408,
/// axum's 413 and rejections, an unknown route's 404) the JSON error body
/// of DESIGN §9 (408 is `request_timeout`, a row this project added to §9).
async fn json_errors(request: Request, next: Next) -> Response {
    use axum::http::{StatusCode, header};
    use sealvault::wire::ErrorCode;
    let response = next.run(request).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let (code, message) = match status {
        StatusCode::REQUEST_TIMEOUT => (
            ErrorCode::RequestTimeout,
            "the request took longer than the request timeout",
        ),
        StatusCode::PAYLOAD_TOO_LARGE => (ErrorCode::PayloadTooLarge, "request body too large"),
        StatusCode::NOT_FOUND => (ErrorCode::NotFound, "not found"),
        StatusCode::BAD_REQUEST => (ErrorCode::InvalidRequest, "invalid request"),
        StatusCode::UNAUTHORIZED => (ErrorCode::Unauthorized, "unauthorized"),
        StatusCode::FORBIDDEN => (ErrorCode::Forbidden, "forbidden"),
        StatusCode::TOO_MANY_REQUESTS => (ErrorCode::RateLimited, "too many requests"),
        StatusCode::INTERNAL_SERVER_ERROR => (ErrorCode::Internal, "internal error"),
        _ => return response,
    };
    crate::error::ApiError::new(code, message).into_response()
}

/// Counts requests by route and status and records their latency.
async fn observe(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().to_string();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str)
        .to_owned();
    let response = next.run(request).await;
    let status = response.status().as_u16();
    state
        .metrics
        .requests
        .get_or_create(&RequestLabels {
            method,
            route: route.clone(),
            status,
        })
        .inc();
    state
        .metrics
        .latency
        .get_or_create(&RouteLabels { route })
        .observe(started.elapsed().as_secs_f64());
    tracing::debug!(
        status,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "answered"
    );
    response
}

//! Route table: one file per resource, handlers short.

pub(super) mod audit;
pub(super) mod credentials;
pub(super) mod inbound;
pub(super) mod keys;
pub(super) mod proxies;
pub(super) mod session_state;
pub(super) mod sessions;
pub(super) mod system;
pub(super) mod users;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post, put};

use super::AppState;

/// Every route of API v1; session-state bodies may reach
/// `state_body_limit` bytes (the rest keep the router's limit).
pub fn routes(state_body_limit: usize, email_body_limit: usize) -> Router<AppState> {
    Router::new()
        .route("/healthz", get(system::healthz))
        .route("/metrics", get(system::metrics))
        .route("/openapi.json", get(system::openapi))
        .route("/v1/meta", get(system::meta))
        .route("/v1/me", get(users::me))
        .route("/v1/users", post(users::create_user))
        .route(
            "/v1/users/{user_id}/tokens",
            post(users::create_token).get(users::list_tokens),
        )
        .route(
            "/v1/users/{user_id}/tokens/{token_id}",
            axum::routing::delete(users::revoke_token),
        )
        .route("/v1/keys", post(keys::create))
        .route("/v1/keys/current", get(keys::current))
        .route("/v1/keys/rotate", post(keys::rotate))
        .route("/v1/credentials", get(credentials::list))
        .route(
            "/v1/credentials/{id}",
            put(credentials::put)
                .get(credentials::get)
                .delete(credentials::delete),
        )
        .route("/v1/credentials/{id}/sessions", post(sessions::acquire))
        .route("/v1/credentials/{id}/access", post(sessions::access))
        .route("/v1/credentials/{id}/totp", post(sessions::totp))
        .route(
            "/v1/credentials/{id}/session-state",
            put(session_state::put)
                .get(session_state::get)
                .delete(session_state::delete)
                .layer(DefaultBodyLimit::max(state_body_limit)),
        )
        .route("/v1/credentials/{id}/proxy", post(proxies::resolve))
        .route("/v1/credentials/{id}/tfa-code", get(inbound::tfa_code))
        .route(
            "/v1/inbound/email",
            post(inbound::email).layer(DefaultBodyLimit::max(email_body_limit)),
        )
        .route("/v1/inbound/sms", post(inbound::sms))
        .route("/v1/inbound/sms/twilio", post(inbound::twilio))
        .route("/v1/admin/proxies/{id}/health", post(proxies::set_health))
        .route("/v1/sessions/{sid}/heartbeat", post(sessions::heartbeat))
        .route(
            "/v1/sessions/{sid}/login-complete",
            post(sessions::login_complete),
        )
        .route(
            "/v1/sessions/{sid}",
            axum::routing::delete(sessions::release),
        )
        .route("/v1/audit", get(audit::list))
}

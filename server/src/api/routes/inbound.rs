//! Inbound second factors: the signed email and SMS webhooks, Twilio's
//! webhook, and the `tfa-code` long poll.

use crate::api::openapi::schemas as s;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::{Json, body::Bytes};
use sealvault::wire::{ErrorCode, InboundSms, Scope, TfaCodeAnswer};
use serde::Deserialize;
use sha2::Digest;

use super::sessions::lease_token;
use crate::api::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};
use crate::inbound::signature::{SignatureError, verify_sealvault, verify_twilio};
use crate::inbound::{deliver, wait};

/// The vault's webhook signature header.
pub const SIGNATURE_HEADER: &str = "x-sealvault-signature";
/// Twilio's signature header.
pub const TWILIO_HEADER: &str = "x-twilio-signature";

fn refused(state: &AppState, channel: &str, error: &SignatureError) -> ApiError {
    state.metrics.inbound(channel, "bad_signature");
    tracing::warn!(channel, reason = %error, "inbound webhook refused");
    ApiError::new(ErrorCode::Forbidden, error.to_string())
}

fn not_configured(what: &str) -> ApiError {
    ApiError::new(
        ErrorCode::Forbidden,
        format!("{what} is not configured on this vault"),
    )
}

/// Counts a webhook call of `client` (`rate_limited` past the limit).
fn limit(state: &AppState, client: SocketAddr) -> ApiResult<()> {
    match state.inbound_limiter.check(&client.ip().to_string()) {
        Some(secs) => Err(ApiError::rate_limited(secs)),
        None => Ok(()),
    }
}

/// Checks `X-SealVault-Signature` over the raw body.
fn check_signed(
    state: &AppState,
    channel: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> ApiResult<()> {
    let secret = state
        .inbound
        .secret()
        .ok_or_else(|| not_configured("the inbound webhook secret (SEALVAULT_INBOUND_SECRET)"))?;
    let header = headers.get(SIGNATURE_HEADER).and_then(|v| v.to_str().ok());
    verify_sealvault(
        secret.expose_secret().as_bytes(),
        header,
        body,
        crate::now(),
    )
    .map_err(|e| refused(state, channel, &e))
}

/// `POST /v1/inbound/email`: a raw `message/rfc822`, signed.
#[utoipa::path(post, path = "/v1/inbound/email", tag = "inbound", description = "X-SealVault-Signature: t=<unix>,v1=<hex HMAC-SHA256 of \"<t>.<body>\"> under SEALVAULT_INBOUND_SECRET, five-minute window; recipients from Delivered-To/X-Original-To/To/Cc on the inbound domain", params(("X-SealVault-Signature" = String, Header)), request_body(content = String, content_type = "message/rfc822"), responses((status = 202, description = "accepted (stored, or dropped when no credential takes it)"), (status = "4XX", description = "error (DESIGN §9 table)", body = s::ErrorBody)))]
pub async fn email(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<StatusCode> {
    limit(&state, client)?;
    check_signed(&state, "email", &headers, &body)?;
    let rcpts = deliver::header_recipients(&body, state.inbound.domain());
    let digest = hex::encode(sha2::Sha256::digest(&body));
    let outcome = deliver::email(&state, &rcpts, &body, Some(&digest)).await?;
    tracing::info!(?outcome, recipients = rcpts.len(), "inbound email");
    Ok(StatusCode::ACCEPTED)
}

/// `POST /v1/inbound/sms`: `{"from","to","body","id"}`, signed.
#[utoipa::path(post, path = "/v1/inbound/sms", tag = "inbound", description = "signed like /v1/inbound/email; `id` accepted once", params(("X-SealVault-Signature" = String, Header)), request_body = s::InboundSms, responses((status = 202, description = "accepted"), (status = "4XX", description = "error (DESIGN §9 table)", body = s::ErrorBody)))]
pub async fn sms(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<StatusCode> {
    limit(&state, client)?;
    check_signed(&state, "sms", &headers, &body)?;
    let message: InboundSms = serde_json::from_slice(&body)
        .map_err(|_| ApiError::invalid("body must be {\"from\",\"to\",\"body\",\"id\"}"))?;
    let outcome = deliver::sms(&state, "sms", &message).await?;
    tracing::info!(?outcome, "inbound sms");
    Ok(StatusCode::ACCEPTED)
}

/// The URL Twilio signed: `SEALVAULT_PUBLIC_URL` + path and query when
/// set, else the request's own scheme, `Host` and URI.
fn signed_url(state: &AppState, headers: &HeaderMap, uri: &Uri) -> String {
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    match state.inbound.public_url() {
        Some(base) => format!("{base}{path}"),
        None => {
            let host = headers
                .get(header::HOST)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("localhost");
            let scheme = if state.inbound.https() {
                "https"
            } else {
                "http"
            };
            format!("{scheme}://{host}{path}")
        }
    }
}

fn field(params: &[(String, String)], name: &str) -> ApiResult<String> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
        .ok_or_else(|| ApiError::invalid(format!("form field {name} missing")))
}

/// `POST /v1/inbound/sms/twilio`: Twilio's form webhook.
#[utoipa::path(post, path = "/v1/inbound/sms/twilio", tag = "inbound", description = "X-Twilio-Signature under SEALVAULT_TWILIO_AUTH_TOKEN over SEALVAULT_PUBLIC_URL (or the request URL); MessageSid accepted once", params(("X-Twilio-Signature" = String, Header)), request_body(content = String, content_type = "application/x-www-form-urlencoded"), responses((status = 200, description = "empty TwiML", content_type = "text/xml"), (status = "4XX", description = "error (DESIGN §9 table)", body = s::ErrorBody)))]
pub async fn twilio(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> ApiResult<Response> {
    limit(&state, client)?;
    let token = state
        .inbound
        .twilio_token()
        .ok_or_else(|| not_configured("the Twilio auth token (SEALVAULT_TWILIO_AUTH_TOKEN)"))?;
    let params: Vec<(String, String)> = url::form_urlencoded::parse(&body).into_owned().collect();
    let url = signed_url(&state, &headers, &uri);
    let signature = headers.get(TWILIO_HEADER).and_then(|v| v.to_str().ok());
    verify_twilio(token.expose_secret().as_bytes(), signature, &url, &params)
        .map_err(|e| refused(&state, "sms", &e))?;
    let message = InboundSms {
        from: field(&params, "From")?,
        to: field(&params, "To")?,
        body: field(&params, "Body")?,
        id: field(&params, "MessageSid")?,
    };
    let outcome = deliver::sms(&state, "twilio", &message).await?;
    tracing::info!(?outcome, "inbound twilio sms");
    let twiml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response></Response>";
    Ok(([(header::CONTENT_TYPE, "text/xml")], twiml).into_response())
}

/// `tfa-code` query.
#[derive(Debug, Deserialize)]
pub struct TfaQuery {
    since: Option<i64>,
    wait: Option<u64>,
}

/// `GET /v1/credentials/{id}/tfa-code` (secrets:access + login phase).
#[utoipa::path(get, path = "/v1/credentials/{id}/tfa-code", tag = "access", description = "scope secrets:access and a lease in its login phase; long-polls up to `wait` seconds for a code or link received at or after `since` (default: the lease's grant); each handed out once; 409 ambiguous_recipient", params(("id" = String, Path), ("X-Lease-Token" = String, Header), ("since" = Option<i64>, Query), ("wait" = Option<u64>, Query)), responses((status = 200, body = s::TfaCodeAnswer), (status = "4XX", description = "error (DESIGN §9 table)", body = s::ErrorBody)))]
pub async fn tfa_code(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    Query(query): Query<TfaQuery>,
    headers: HeaderMap,
) -> ApiResult<Json<TfaCodeAnswer>> {
    principal.require(Scope::SecretsAccess)?;
    principal.item(&id)?;
    let request = wait::Wait {
        item: &id,
        lease_secret: lease_token(&headers)?,
        since: query.since,
        wait_secs: query.wait.unwrap_or(0),
    };
    Ok(Json(wait::tfa_code(&state, &principal, request).await?))
}

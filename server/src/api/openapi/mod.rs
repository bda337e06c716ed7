//! The OpenAPI 3.1 document, generated from the handlers' `#[utoipa::path]`
//! attributes; served at `/openapi.json` and committed as
//! `docs/openapi.json` (a test fails when they drift).

pub(crate) mod schemas;

use utoipa::OpenApi;

use super::routes::{
    audit, credentials, inbound, keys, proxies, session_state, sessions, system, users,
};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "SealVault API",
        description = "The SealVault vault, API v1 (DESIGN §9). Authorization: Bearer <token>."
    ),
    paths(
        system::healthz,
        system::metrics,
        system::openapi,
        system::meta,
        users::me,
        users::create_user,
        users::create_token,
        users::list_tokens,
        users::revoke_token,
        keys::create,
        keys::current,
        keys::rotate,
        credentials::list,
        credentials::put,
        credentials::get,
        credentials::delete,
        sessions::acquire,
        sessions::heartbeat,
        sessions::login_complete,
        sessions::release,
        sessions::access,
        sessions::totp,
        session_state::put,
        session_state::get,
        session_state::delete,
        proxies::resolve,
        proxies::set_health,
        inbound::tfa_code,
        inbound::email,
        inbound::sms,
        inbound::twilio,
        audit::list,
    ),
    components(schemas(
        schemas::ErrorBody,
        schemas::ErrorDetail,
        schemas::Meta,
        schemas::Limits,
        schemas::Scope,
        schemas::CreateUser,
        schemas::User,
        schemas::CreateToken,
        schemas::TokenCreated,
        schemas::TokenInfo,
        schemas::TokenList,
        schemas::Me,
        schemas::DataKeyBody,
        schemas::RotateKey,
        schemas::Rotated,
        schemas::PutCredential,
        schemas::Assigned,
        schemas::CredentialWritten,
        schemas::CredentialSummary,
        schemas::CredentialList,
        schemas::CredentialDetail,
        schemas::LeasePurpose,
        schemas::LeasePhase,
        schemas::AcquireLease,
        schemas::LeaseGrant,
        schemas::Heartbeat,
        schemas::LoginComplete,
        schemas::Access,
        schemas::TotpRequest,
        schemas::TotpCode,
        schemas::PutSessionState,
        schemas::SessionStateWritten,
        schemas::SessionStateBody,
        schemas::WorkflowProxy,
        schemas::ProxyRequest,
        schemas::ProxySource,
        schemas::ProxyChoice,
        schemas::ProxyAnswer,
        schemas::ProxyHealth,
        schemas::TfaChannel,
        schemas::TfaCodeAnswer,
        schemas::InboundSms,
        schemas::AuditRecord,
        schemas::AuditList,
    ))
)]
struct ApiDoc;

/// The document as pretty JSON, with a trailing newline.
pub fn document() -> String {
    let mut doc = ApiDoc::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    doc.info.license = None;
    doc.info.contact = None;
    let mut text = doc.to_pretty_json().unwrap_or_else(|_| "{}".to_owned());
    text.push('\n');
    text
}

//! Schema mirrors of the wire types of `sealvault::wire` (the core carries
//! no OpenAPI dependency). Names and fields follow DESIGN §9 exactly.

#![allow(dead_code)]

use utoipa::ToSchema;

/// `{"error": {...}}`.
#[derive(ToSchema)]
pub struct ErrorBody {
    error: ErrorDetail,
}

/// A stable code (its status is fixed, DESIGN §9) and a message.
#[derive(ToSchema)]
pub struct ErrorDetail {
    code: String,
    message: String,
    /// With `version_conflict`.
    current_version: Option<u64>,
    /// With `stale_data_key`.
    current_key_id: Option<String>,
    /// With `rate_limited`.
    retry_after_secs: Option<u64>,
}

/// Version and limits.
#[derive(ToSchema)]
pub struct Meta {
    version: String,
    limits: Limits,
}

/// Configured limits.
#[derive(ToSchema)]
pub struct Limits {
    credential_body_bytes: u64,
    session_state_body_bytes: u64,
    items_per_user: u64,
    failed_auth_per_minute: u32,
    access_per_minute: u32,
    totp_per_minute: u32,
    max_lease_ttl_secs: u64,
    max_wait_secs: u64,
}

/// A token scope.
#[derive(ToSchema)]
pub enum Scope {
    #[schema(rename = "admin")]
    Admin,
    #[schema(rename = "keys:use")]
    KeysUse,
    #[schema(rename = "keys:rotate")]
    KeysRotate,
    #[schema(rename = "secrets:write")]
    SecretsWrite,
    #[schema(rename = "secrets:access")]
    SecretsAccess,
    #[schema(rename = "sessions")]
    Sessions,
}

/// `POST /v1/users`.
#[derive(ToSchema)]
pub struct CreateUser {
    name: String,
}

/// A user.
#[derive(ToSchema)]
pub struct User {
    id: String,
    name: String,
}

/// `POST /v1/users/{user_id}/tokens`.
#[derive(ToSchema)]
pub struct CreateToken {
    name: String,
    scopes: Vec<Scope>,
    /// Item ids or `prefix*`; null for every item.
    items: Option<Vec<String>>,
    /// Default 90 days.
    ttl_secs: Option<u64>,
}

/// A minted token; `token` is shown once.
#[derive(ToSchema)]
pub struct TokenCreated {
    id: String,
    token: String,
    scopes: Vec<Scope>,
    items: Option<Vec<String>>,
    expires_at: i64,
}

/// A token as listed (never the secret).
#[derive(ToSchema)]
pub struct TokenInfo {
    id: String,
    name: String,
    scopes: Vec<Scope>,
    items: Option<Vec<String>>,
    created_at: i64,
    expires_at: i64,
    revoked_at: Option<i64>,
}

/// A user's tokens.
#[derive(ToSchema)]
pub struct TokenList {
    items: Vec<TokenInfo>,
}

/// The calling token.
#[derive(ToSchema)]
pub struct Me {
    user_id: Option<String>,
    token_id: Option<String>,
    scopes: Vec<Scope>,
    items: Option<Vec<String>>,
    expires_at: Option<i64>,
}

/// A data key: `key_id` lowercase hex, `key` unpadded base64url.
#[derive(ToSchema)]
pub struct DataKeyBody {
    key_id: String,
    key: String,
}

/// `POST /v1/keys/rotate`.
#[derive(ToSchema)]
pub struct RotateKey {
    expected_key_id: String,
}

/// A finished rotation.
#[derive(ToSchema)]
pub struct Rotated {
    key_id: String,
    reencrypted: u64,
}

/// `PUT /v1/credentials/{id}`: envelopes unpadded base64url.
#[derive(ToSchema)]
pub struct PutCredential {
    envelope: String,
    totp_envelope: Option<String>,
    #[schema(value_type = Object)]
    config: serde_json::Value,
    expected_version: u64,
}

/// Vault-assigned addresses.
#[derive(ToSchema)]
pub struct Assigned {
    email: Option<String>,
    phone: Option<String>,
}

/// A stored credential version.
#[derive(ToSchema)]
pub struct CredentialWritten {
    id: String,
    version: u64,
    key_id: String,
    assigned: Assigned,
    created_at: i64,
    updated_at: i64,
}

/// A credential as listed.
#[derive(ToSchema)]
pub struct CredentialSummary {
    id: String,
    version: u64,
    key_id: String,
    #[schema(value_type = Object)]
    config: serde_json::Value,
    assigned: Assigned,
    created_at: i64,
    updated_at: i64,
}

/// Visible credentials.
#[derive(ToSchema)]
pub struct CredentialList {
    items: Vec<CredentialSummary>,
}

/// A credential with its envelopes.
#[derive(ToSchema)]
pub struct CredentialDetail {
    id: String,
    version: u64,
    key_id: String,
    #[schema(value_type = Object)]
    config: serde_json::Value,
    assigned: Assigned,
    created_at: i64,
    updated_at: i64,
    envelope: String,
    totp_envelope: Option<String>,
}

/// `login` or `use`.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum LeasePurpose {
    Login,
    Use,
}

/// `login` or `active`.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum LeasePhase {
    Login,
    Active,
}

/// `POST /v1/credentials/{id}/sessions`.
#[derive(ToSchema)]
pub struct AcquireLease {
    purpose: LeasePurpose,
    wait_secs: Option<u64>,
    ttl_secs: Option<u64>,
}

/// A granted lease.
#[derive(ToSchema)]
pub struct LeaseGrant {
    session_id: String,
    lease_token: String,
    fencing_token: u64,
    purpose: LeasePurpose,
    phase: LeasePhase,
    expires_at: i64,
    state_key: String,
    state_key_id: String,
    #[schema(value_type = Object)]
    config: serde_json::Value,
}

/// A heartbeat's answer.
#[derive(ToSchema)]
pub struct Heartbeat {
    phase: LeasePhase,
    expires_at: i64,
    state_key: String,
    state_key_id: String,
}

/// The end of the login phase.
#[derive(ToSchema)]
pub struct LoginComplete {
    phase: LeasePhase,
    expires_at: i64,
}

/// Leased access: the envelope and the key that opens it alone.
#[derive(ToSchema)]
pub struct Access {
    envelope: String,
    envelope_key: String,
    version: u64,
    #[schema(value_type = Object)]
    config: serde_json::Value,
}

/// `POST /v1/credentials/{id}/totp`.
#[derive(ToSchema)]
pub struct TotpRequest {
    min_validity_secs: Option<u64>,
}

/// A code, or `code: null` with `retry_after_secs`.
#[derive(ToSchema)]
pub struct TotpCode {
    code: Option<String>,
    seconds_left: Option<u64>,
    retry_after_secs: Option<u64>,
}

/// How a second-factor code arrived.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum TfaChannel {
    /// By email.
    Email,
    /// By SMS.
    Sms,
}

/// A received code or magic link, handed out once; all null when none came.
#[derive(ToSchema)]
pub struct TfaCodeAnswer {
    code: Option<String>,
    link: Option<String>,
    channel: Option<TfaChannel>,
    received_at: Option<i64>,
}

/// A text for a pool number (generic SMS webhook).
#[derive(ToSchema)]
pub struct InboundSms {
    from: String,
    to: String,
    body: String,
    /// The carrier's message id, accepted once.
    id: String,
}

/// A proxy the caller would use without the vault.
#[derive(ToSchema)]
pub struct WorkflowProxy {
    /// May carry credentials; never logged or stored.
    url: String,
    ip: Option<String>,
}

/// `POST /v1/credentials/{id}/proxy` (an empty body means no workflow proxy).
#[derive(ToSchema)]
pub struct ProxyRequest {
    workflow_proxy: Option<WorkflowProxy>,
}

/// Which setting decided the proxy.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum ProxySource {
    Credential,
    Workflow,
    None,
}

/// A proxy to send the browser through.
#[derive(ToSchema)]
pub struct ProxyChoice {
    /// The pool member; `null` for a workflow proxy.
    id: Option<String>,
    /// May carry credentials.
    url: String,
    ip: Option<String>,
}

/// The resolved proxy: `proxy` is `null` when `source` is `none`.
#[derive(ToSchema)]
pub struct ProxyAnswer {
    source: ProxySource,
    proxy: Option<ProxyChoice>,
}

/// `POST /v1/admin/proxies/{id}/health`.
#[derive(ToSchema)]
pub struct ProxyHealth {
    healthy: bool,
}

/// An audit record.
#[derive(ToSchema)]
pub struct AuditRecord {
    seq: i64,
    at: i64,
    action: String,
    user_id: Option<String>,
    token_id: Option<String>,
    item_id: Option<String>,
    #[schema(value_type = Object)]
    detail: serde_json::Value,
}

/// Audit records, oldest first.
#[derive(ToSchema)]
pub struct AuditList {
    items: Vec<AuditRecord>,
}

/// `PUT /v1/credentials/{id}/session-state`: a `session-state` envelope
/// (unpadded base64url) sealed under the state key; `expires_at` an
/// optional hard expiry (unix seconds).
#[derive(ToSchema)]
pub struct PutSessionState {
    envelope: String,
    expected_version: u64,
    expires_at: Option<i64>,
}

/// A stored session-state version.
#[derive(ToSchema)]
pub struct SessionStateWritten {
    version: u64,
    key_id: String,
    created_at: i64,
    last_used_at: i64,
}

/// A saved session state.
#[derive(ToSchema)]
pub struct SessionStateBody {
    envelope: String,
    version: u64,
    created_at: i64,
    last_used_at: i64,
}

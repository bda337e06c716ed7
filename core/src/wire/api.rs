//! Request and response bodies of the vault's HTTP API v1 (DESIGN §9),
//! shared by the vault server and the SDK clients.
//!
//! Field names are the wire names and may not be renamed; fields may be
//! added. Times are integer unix seconds; envelopes are unpadded base64url;
//! key ids lowercase hex.
//!
//! # Security
//! Bodies that carry a secret (a data key, a state key, an envelope key, a
//! bearer or lease token) print `[redacted]` in `Debug` and wipe the secret
//! string on drop.

use std::fmt;

use serde::{Deserialize, Serialize};
use zeroize::Zeroize;

use crate::keys::KeyId;

/// The header carrying a lease token.
pub const LEASE_TOKEN_HEADER: &str = "x-lease-token";
/// The header carrying a fencing token on session-state writes.
pub const FENCING_TOKEN_HEADER: &str = "x-fencing-token";

/// A string secret (key or token) that wipes itself and never prints.
///
/// Not `Clone`; constant-time `==`; redacted `Debug`.
#[derive(Serialize, Deserialize, Default)]
#[serde(transparent)]
pub struct SecretString(String);

impl PartialEq for SecretString {
    fn eq(&self, other: &Self) -> bool {
        subtle::ConstantTimeEq::ct_eq(self.0.as_bytes(), other.0.as_bytes()).into()
    }
}

impl Eq for SecretString {}

impl SecretString {
    /// Wraps a secret string.
    pub fn new(secret: String) -> Self {
        Self(secret)
    }

    /// The secret text. Keep the borrow short and never log it.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }
}

impl Drop for SecretString {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// `GET /v1/meta`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Meta {
    /// The vault's version.
    pub version: String,
    /// Its configured limits.
    pub limits: Limits,
}

/// The limits a vault advertises.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    /// Largest credential request body, bytes.
    pub credential_body_bytes: u64,
    /// Largest session-state request body, bytes.
    pub session_state_body_bytes: u64,
    /// Most items (credentials) per user.
    pub items_per_user: u64,
    /// Failed authentications allowed per client address per minute.
    pub failed_auth_per_minute: u32,
    /// `/access` calls allowed per token per minute.
    pub access_per_minute: u32,
    /// `/totp` calls allowed per token per minute.
    pub totp_per_minute: u32,
    /// Longest lease TTL, seconds.
    pub max_lease_ttl_secs: u64,
    /// Longest `wait_secs` of a lease acquire.
    pub max_wait_secs: u64,
}

/// A token scope (DESIGN §8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Scope {
    /// Users, tokens, audit of everyone.
    #[serde(rename = "admin")]
    Admin,
    /// Create and fetch the data key.
    #[serde(rename = "keys:use")]
    KeysUse,
    /// Rotate the data key.
    #[serde(rename = "keys:rotate")]
    KeysRotate,
    /// Write, read and delete credentials.
    #[serde(rename = "secrets:write")]
    SecretsWrite,
    /// Leased access and TOTP.
    #[serde(rename = "secrets:access")]
    SecretsAccess,
    /// Leases and session state.
    #[serde(rename = "sessions")]
    Sessions,
}

impl Scope {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Admin => "admin",
            Scope::KeysUse => "keys:use",
            Scope::KeysRotate => "keys:rotate",
            Scope::SecretsWrite => "secrets:write",
            Scope::SecretsAccess => "secrets:access",
            Scope::Sessions => "sessions",
        }
    }
}

/// `POST /v1/users`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateUser {
    /// Display name.
    pub name: String,
}

/// A user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// Vault-assigned id (`usr_…`).
    pub id: String,
    /// Display name.
    pub name: String,
}

/// `POST /v1/users/{user_id}/tokens`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateToken {
    /// Display name.
    pub name: String,
    /// Scopes granted.
    pub scopes: Vec<Scope>,
    /// Item allow-list (exact ids or `prefix*`); `null` for every item.
    #[serde(default)]
    pub items: Option<Vec<String>>,
    /// Lifetime; `null` for the default (90 days).
    #[serde(default)]
    pub ttl_secs: Option<u64>,
}

/// A freshly minted token: the secret is shown this once.
#[derive(Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenCreated {
    /// Token id (`tok_…`).
    pub id: String,
    /// The bearer secret.
    pub token: SecretString,
    /// Scopes granted.
    pub scopes: Vec<Scope>,
    /// Item allow-list, `null` for every item.
    pub items: Option<Vec<String>>,
    /// Expiry.
    pub expires_at: i64,
}

/// A token as listed (never the secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenInfo {
    /// Token id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Scopes granted.
    pub scopes: Vec<Scope>,
    /// Item allow-list, `null` for every item.
    pub items: Option<Vec<String>>,
    /// Creation time.
    pub created_at: i64,
    /// Expiry.
    pub expires_at: i64,
    /// Revocation time, if revoked.
    pub revoked_at: Option<i64>,
}

/// `GET /v1/users/{user_id}/tokens`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenList {
    /// The user's tokens.
    pub items: Vec<TokenInfo>,
}

/// `GET /v1/me`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    /// The token's user (`null` for the configured admin token).
    pub user_id: Option<String>,
    /// The token's id (`null` for the configured admin token).
    pub token_id: Option<String>,
    /// Scopes.
    pub scopes: Vec<Scope>,
    /// Item allow-list, `null` for every item.
    pub items: Option<Vec<String>>,
    /// Expiry (`null` for the configured admin token).
    pub expires_at: Option<i64>,
}

/// A data key as the vault hands it to its owner (`keys:use`).
#[derive(Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataKeyBody {
    /// Key id, lowercase hex.
    pub key_id: KeyId,
    /// The key, unpadded base64url.
    pub key: SecretString,
}

/// `POST /v1/keys/rotate`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RotateKey {
    /// The key id the caller believes is current.
    pub expected_key_id: KeyId,
}

/// The answer to a rotation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rotated {
    /// The new current key id.
    pub key_id: KeyId,
    /// How many envelopes were re-sealed.
    pub reencrypted: u64,
}

/// `PUT /v1/credentials/{id}`.
///
/// `C` is how the config is held: a [`serde_json::Value`] (the default) for
/// clients; the vault reads it as `Box<serde_json::value::RawValue>` so it
/// stores and returns the config's bytes exactly as sent (DESIGN §6).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PutCredential<C = serde_json::Value> {
    /// The credential envelope (kind `credential`).
    #[serde(with = "crate::encoding::b64")]
    pub envelope: Vec<u8>,
    /// The TOTP-seed envelope (kind `totp-seed`, same version), if any.
    #[serde(
        default,
        with = "crate::encoding::b64_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub totp_envelope: Option<Vec<u8>>,
    /// The credential config (DESIGN §7), a JSON object, hashed (in RFC
    /// 8785 canonical form) into `sv:config`.
    pub config: C,
    /// The version being replaced (0, or the tombstone's, for a new item).
    pub expected_version: u64,
}

/// Vault-assigned, read-only addresses of an item.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assigned {
    /// The inbound email address, when assigned.
    pub email: Option<String>,
    /// The E.164 number from the vault's pool, when assigned.
    pub phone: Option<String>,
}

/// The answer to a credential PUT.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialWritten {
    /// Item id.
    pub id: String,
    /// The version now stored.
    pub version: u64,
    /// The data key it is sealed under.
    pub key_id: KeyId,
    /// Vault-assigned addresses.
    pub assigned: Assigned,
    /// Creation time of the item.
    pub created_at: i64,
    /// Time of this write.
    pub updated_at: i64,
}

/// A credential as listed.
///
/// `C` is how the config is held: a [`serde_json::Value`] (the default) for
/// clients; the vault writes the stored bytes as a
/// `Box<serde_json::value::RawValue>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialSummary<C = serde_json::Value> {
    /// Item id.
    pub id: String,
    /// Current version.
    pub version: u64,
    /// The data key it is sealed under.
    pub key_id: KeyId,
    /// The config, byte for byte as sent.
    pub config: C,
    /// Vault-assigned addresses.
    pub assigned: Assigned,
    /// Creation time.
    pub created_at: i64,
    /// Last write.
    pub updated_at: i64,
}

/// `GET /v1/credentials` (`C` as in [`CredentialSummary`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialList<C = serde_json::Value> {
    /// Visible credentials.
    pub items: Vec<CredentialSummary<C>>,
}

/// `GET /v1/credentials/{id}`: the item with its envelopes (`C` as in
/// [`CredentialSummary`]; a `RawValue` config serialises through the
/// flatten, but only a `Value` one deserialises).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialDetail<C = serde_json::Value> {
    /// The item.
    #[serde(flatten)]
    pub summary: CredentialSummary<C>,
    /// The credential envelope.
    #[serde(with = "crate::encoding::b64")]
    pub envelope: Vec<u8>,
    /// The TOTP-seed envelope, `null` when none.
    #[serde(default, with = "crate::encoding::b64_opt")]
    pub totp_envelope: Option<Vec<u8>>,
}

/// Why a lease is taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LeasePurpose {
    /// Starts in the login phase: may access the credential and codes.
    Login,
    /// Never logs in: loads and saves state only.
    Use,
}

/// Where a lease is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LeasePhase {
    /// Logging in: `/access`, `/totp`, `/tfa-code` allowed.
    Login,
    /// Logged in (or never logging in).
    Active,
}

/// `POST /v1/credentials/{id}/sessions`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AcquireLease {
    /// `login` or `use`.
    pub purpose: LeasePurpose,
    /// Long-poll this long for a free slot (0 or absent: answer at once).
    #[serde(default)]
    pub wait_secs: Option<u64>,
    /// Lease lifetime without heartbeat (absent: 60 s).
    #[serde(default)]
    pub ttl_secs: Option<u64>,
}

/// A granted lease (`C` as in [`CredentialSummary`]).
#[derive(Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaseGrant<C = serde_json::Value> {
    /// Session (lease) id.
    pub session_id: String,
    /// The lease secret, sent back as `X-Lease-Token`.
    pub lease_token: SecretString,
    /// Monotonic per credential; sent as `X-Fencing-Token` on state writes.
    pub fencing_token: u64,
    /// The purpose asked for.
    pub purpose: LeasePurpose,
    /// `login` for a login lease, else `active`.
    pub phase: LeasePhase,
    /// When the lease ends without a heartbeat.
    pub expires_at: i64,
    /// The credential's state key, unpadded base64url.
    pub state_key: SecretString,
    /// The data key id the state key derives from.
    pub state_key_id: KeyId,
    /// The credential's config (persistence flags, expiry, proxy), so a
    /// holder that never accesses the credential still honours it; byte
    /// for byte as sent.
    #[serde(default)]
    pub config: C,
}

/// `POST /v1/sessions/{sid}/heartbeat`.
#[derive(Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Heartbeat {
    /// Current phase.
    pub phase: LeasePhase,
    /// New expiry.
    pub expires_at: i64,
    /// The current state key.
    pub state_key: SecretString,
    /// Its data key id.
    pub state_key_id: KeyId,
}

/// `POST /v1/sessions/{sid}/login-complete`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginComplete {
    /// Always `active`.
    pub phase: LeasePhase,
    /// Expiry.
    pub expires_at: i64,
}

/// `POST /v1/credentials/{id}/access` (`C` as in [`CredentialSummary`]).
#[derive(Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Access<C = serde_json::Value> {
    /// The credential envelope.
    #[serde(with = "crate::encoding::b64")]
    pub envelope: Vec<u8>,
    /// Its envelope key, unpadded base64url: opens this envelope only.
    pub envelope_key: SecretString,
    /// The item's version.
    pub version: u64,
    /// The config, byte for byte as sent, to check against `sv:config`.
    pub config: C,
}

/// `POST /v1/credentials/{id}/totp` body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TotpRequest {
    /// Refuse a code with fewer seconds of validity left.
    #[serde(default)]
    pub min_validity_secs: Option<u64>,
}

/// `POST /v1/credentials/{id}/totp` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TotpCode {
    /// The code, or `null` when none can be handed out now.
    pub code: Option<String>,
    /// Seconds the code stays valid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seconds_left: Option<u64>,
    /// With `code: null`: when to ask again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_secs: Option<u64>,
}

/// How a second-factor code reached the vault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TfaChannel {
    /// By email (SMTP listener or the signed raw-MIME webhook).
    Email,
    /// By SMS (the Twilio or the signed JSON webhook).
    Sms,
}

/// `GET /v1/credentials/{id}/tfa-code?since=&wait=` answer: the code (or
/// magic link) received after `since`, handed out once; all `null` when
/// none came within `wait` seconds.
#[derive(Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TfaCodeAnswer {
    /// The extracted code.
    pub code: Option<SecretString>,
    /// A magic link on the credential's `login_url` site.
    #[serde(default)]
    pub link: Option<SecretString>,
    /// How it arrived.
    #[serde(default)]
    pub channel: Option<TfaChannel>,
    /// When the vault received it.
    #[serde(default)]
    pub received_at: Option<i64>,
}

/// `POST /v1/inbound/sms` body (signed like `/v1/inbound/email`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboundSms {
    /// The sender's number.
    pub from: String,
    /// The pool number it was sent to (E.164).
    pub to: String,
    /// The text.
    pub body: String,
    /// The carrier's message id, accepted once.
    pub id: String,
}

/// One audit record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// Position in the chain, from 1.
    pub seq: i64,
    /// Time.
    pub at: i64,
    /// What happened (`token.mint`, `key.unwrap`, `credential.access`, …).
    pub action: String,
    /// The user concerned, if any.
    pub user_id: Option<String>,
    /// The acting token, if any.
    pub token_id: Option<String>,
    /// The item concerned, if any.
    pub item_id: Option<String>,
    /// Non-secret details.
    pub detail: serde_json::Value,
}

/// `GET /v1/audit`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditList {
    /// Records, oldest first.
    pub items: Vec<AuditRecord>,
}

/// `PUT /v1/credentials/{id}/session-state` body; the lease's fencing
/// token travels as `X-Fencing-Token`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PutSessionState {
    /// The `session-state` envelope, sealed under the state key.
    #[serde(with = "crate::encoding::b64")]
    pub envelope: Vec<u8>,
    /// The state's current version (0 when absent).
    pub expected_version: u64,
    /// Optional hard expiry (unix seconds), e.g. the earliest expiry of the
    /// site's own session cookies; the vault deletes the state then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<i64>,
}

/// Answer to a session-state PUT.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionStateWritten {
    /// The stored version.
    pub version: u64,
    /// The data key id the state key derives from.
    pub key_id: KeyId,
    /// When this state was first written after being absent (a login).
    pub created_at: i64,
    /// Last GET or PUT.
    pub last_used_at: i64,
}

/// `GET /v1/credentials/{id}/session-state`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionStateBody {
    /// The `session-state` envelope.
    #[serde(with = "crate::encoding::b64")]
    pub envelope: Vec<u8>,
    /// Its version.
    pub version: u64,
    /// When this state was first written after being absent.
    pub created_at: i64,
    /// Last GET or PUT (this GET included).
    pub last_used_at: i64,
}

/// A proxy the caller would use without the vault (`{"url","ip"}`).
#[derive(Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkflowProxy {
    /// Proxy URL, possibly with credentials.
    pub url: SecretString,
    /// Its exit IP, when known.
    #[serde(default)]
    pub ip: Option<String>,
}

/// `POST /v1/credentials/{id}/proxy` body.
#[derive(Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProxyRequest {
    /// The workflow-level proxy; the credential's setting wins over it.
    #[serde(default)]
    pub workflow_proxy: Option<WorkflowProxy>,
}

/// Which setting decided the proxy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProxySource {
    /// The credential's `proxy` config chose a pool member.
    Credential,
    /// The workflow-level proxy passed in.
    Workflow,
    /// No proxy.
    None,
}

/// A proxy to send the browser through.
#[derive(Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProxyChoice {
    /// Pool member id (`null` for a workflow proxy).
    pub id: Option<String>,
    /// Proxy URL, possibly with credentials: never log it.
    pub url: SecretString,
    /// Exit IP, when known.
    pub ip: Option<String>,
}

/// `POST /v1/credentials/{id}/proxy` answer.
#[derive(Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProxyAnswer {
    /// Which setting won.
    pub source: ProxySource,
    /// The proxy, `null` when none.
    pub proxy: Option<ProxyChoice>,
}

/// `POST /v1/admin/proxies/{id}/health`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProxyHealth {
    /// Whether the member may be chosen.
    pub healthy: bool,
}

//! Rows as stored. Ids are text; key ids, hashes and envelopes bytes;
//! times unix seconds; flags 0/1.

/// A user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRow {
    /// `usr_…`.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Creation time.
    pub created_at: i64,
}

/// A token (the secret only as its SHA-256).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRow {
    /// `tok_…`.
    pub id: String,
    /// Owner.
    pub user_id: String,
    /// Display name.
    pub name: String,
    /// SHA-256 of the secret.
    pub token_hash: Vec<u8>,
    /// JSON array of scopes.
    pub scopes: String,
    /// JSON array of item patterns, or none for every item.
    pub items: Option<String>,
    /// Creation time.
    pub created_at: i64,
    /// Expiry.
    pub expires_at: i64,
    /// Revocation time.
    pub revoked_at: Option<i64>,
}

/// A wrapped data key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataKeyRow {
    /// 16-byte key id.
    pub key_id: Vec<u8>,
    /// Owner.
    pub user_id: String,
    /// The master key that wraps it.
    pub mk_id: String,
    /// `nonce | AES-GCM(MK, DK, aad)`.
    pub wrapped: Vec<u8>,
    /// Creation time.
    pub created_at: i64,
}

/// A wrapped vault-internal key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VaultKeyRow {
    /// `audit` or `inbound`.
    pub name: String,
    /// The master key that wraps it.
    pub mk_id: String,
    /// `nonce | AES-GCM(MK, key, aad)`.
    pub wrapped: Vec<u8>,
    /// Creation time.
    pub created_at: i64,
}

/// A credential, or its tombstone (`deleted`, no envelopes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialRow {
    /// Owner.
    pub user_id: String,
    /// Client-chosen id.
    pub item_id: String,
    /// Current (or last, for a tombstone) version.
    pub version: i64,
    /// Tombstone flag.
    pub deleted: bool,
    /// Data key id of the envelopes.
    pub key_id: Option<Vec<u8>>,
    /// Credential envelope, verbatim.
    pub envelope: Option<Vec<u8>>,
    /// TOTP-seed envelope, verbatim.
    pub totp_envelope: Option<Vec<u8>>,
    /// Config JSON.
    pub config: Option<String>,
    /// Vault-assigned addresses, JSON.
    pub assigned: Option<String>,
    /// Creation time of the item.
    pub created_at: i64,
    /// Last write.
    pub updated_at: i64,
}

/// A lease.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseRow {
    /// `ses_…`.
    pub id: String,
    /// Owner.
    pub user_id: String,
    /// Credential.
    pub item_id: String,
    /// The token that took it.
    pub token_id: String,
    /// SHA-256 of the lease secret.
    pub token_hash: Vec<u8>,
    /// `login` or `use`.
    pub purpose: String,
    /// `login` or `active`.
    pub phase: String,
    /// Fencing token of the grant.
    pub fencing_token: i64,
    /// Lifetime granted per heartbeat.
    pub ttl_secs: i64,
    /// Grant time.
    pub created_at: i64,
    /// Expiry.
    pub expires_at: i64,
}

/// A lease acquirer waiting its turn (arrival order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaiterRow {
    /// Random id of the waiting request.
    pub id: String,
    /// Owner.
    pub user_id: String,
    /// Credential.
    pub item_id: String,
    /// Arrival time, microseconds (orders waiters).
    pub arrived_us: i64,
    /// Last poll, unix seconds (stale waiters are ignored).
    pub seen_at: i64,
}

/// An audit record with its chain MAC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRow {
    /// Position, from 1.
    pub seq: i64,
    /// Time.
    pub at: i64,
    /// Action name.
    pub action: String,
    /// User concerned.
    pub user_id: Option<String>,
    /// Acting token.
    pub token_id: Option<String>,
    /// Item concerned.
    pub item_id: Option<String>,
    /// JSON details (never secret).
    pub detail: String,
    /// `HMAC(audit key, prev mac | record)`.
    pub mac: Vec<u8>,
}

/// A credential's saved browser session state (its envelope verbatim).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionStateRow {
    /// Owner.
    pub user_id: String,
    /// Credential.
    pub item_id: String,
    /// The state's version.
    pub version: i64,
    /// Data key id the state key derives from.
    pub key_id: Vec<u8>,
    /// The `session-state` envelope, verbatim.
    pub envelope: Vec<u8>,
    /// Fencing token of the lease that wrote it.
    pub fencing_token: i64,
    /// First write after the state was absent.
    pub created_at: i64,
    /// Last GET or PUT.
    pub last_used_at: i64,
    /// Hard expiry the writer named, if any.
    pub expires_at: Option<i64>,
}

/// A credential's state counters, kept on its row so they outlive the
/// state: the last version written and the last writer's fencing token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StateCounters {
    /// Last session-state version written (0: never).
    pub version: i64,
    /// Fencing token of the last writer (or deleter).
    pub fencing: i64,
}

/// A state's times and its credential's config, for the expiry sweep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateTimes {
    /// Owner.
    pub user_id: String,
    /// Credential.
    pub item_id: String,
    /// First write after the state was absent.
    pub created_at: i64,
    /// Last GET or PUT.
    pub last_used_at: i64,
    /// Hard expiry the writer named, if any.
    pub expires_at: Option<i64>,
    /// The credential's config JSON.
    pub config: Option<String>,
}

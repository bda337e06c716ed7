//! Vault items: the reserved `sv:` context of an item's envelopes, the
//! config hash, and the per-credential state key.
//!
//! # Use case
//! Seal a credential, its TOTP seed or its browser state so that the vault
//! (at ingest) and the SDK (at open) can check the envelope belongs to
//! exactly this user, item, kind, version and config.
//!
//! # About
//! [`seal_item`] sets `sv:user`, `sv:item`, `sv:kind`, `sv:version` and, on
//! kind `credential`, `sv:config` = lowercase hex SHA-256 of the config in
//! RFC 8785 canonical JSON. Callers may add their own (non-`sv:`) keys.
//! [`ItemInfo::context`] gives the context an opener expects.
//!
//! # Example
//! ```
//! use sealvault::{Context, DataKey, ItemInfo, Kind, open, seal_item};
//! let dk = DataKey::generate();
//! let config = serde_json::json!({"name": "acme", "login_url": "https://acme.test/login"});
//! let info = ItemInfo::credential("usr_1", "acme", 1, &config);
//! let env = seal_item(&dk, &info, &Context::new(), br#"{"username":"a","password":"b"}"#)?;
//! open(&dk, &env, &info.context()?)?;
//! # Ok::<(), sealvault::Error>(())
//! ```

use sha2::{Digest, Sha256};

use crate::context::Context;
use crate::envelope;
use crate::error::{Error, Result};
use crate::keys::DataKey;

/// Context key of the owning user id.
pub const SV_USER: &str = "sv:user";
/// Context key of the item id.
pub const SV_ITEM: &str = "sv:item";
/// Context key of the envelope kind.
pub const SV_KIND: &str = "sv:kind";
/// Context key of the version the envelope writes.
pub const SV_VERSION: &str = "sv:version";
/// Context key of the config hash (kind `credential` only).
pub const SV_CONFIG: &str = "sv:config";

const STATE_LABEL: &[u8] = b"sealvault/v1/state";

/// What an item envelope holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A credential: JSON `{"username","password","fields"}`.
    Credential,
    /// A TOTP seed: an `otpauth://` URI.
    TotpSeed,
    /// Browser session state, sealed under the state key.
    SessionState,
}

impl Kind {
    /// The wire name (`credential`, `totp-seed`, `session-state`).
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Credential => "credential",
            Kind::TotpSeed => "totp-seed",
            Kind::SessionState => "session-state",
        }
    }
}

impl std::str::FromStr for Kind {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "credential" => Ok(Kind::Credential),
            "totp-seed" => Ok(Kind::TotpSeed),
            "session-state" => Ok(Kind::SessionState),
            _ => Err(Error::InvalidRequest(format!(
                "unknown envelope kind {s:?}"
            ))),
        }
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where an item envelope belongs: the source of its `sv:` context.
#[derive(Debug, Clone, Copy)]
pub struct ItemInfo<'a> {
    /// Envelope kind.
    pub kind: Kind,
    /// Owning user id.
    pub user: &'a str,
    /// Item id, `[A-Za-z0-9][A-Za-z0-9._-]{0,127}`.
    pub item: &'a str,
    /// The version this envelope writes (≥ 1).
    pub version: u64,
    /// The credential config (kind `credential` only).
    pub config: Option<&'a serde_json::Value>,
}

impl<'a> ItemInfo<'a> {
    /// A credential envelope's info.
    pub fn credential(
        user: &'a str,
        item: &'a str,
        version: u64,
        config: &'a serde_json::Value,
    ) -> Self {
        Self {
            kind: Kind::Credential,
            user,
            item,
            version,
            config: Some(config),
        }
    }

    /// A TOTP-seed envelope's info.
    pub fn totp_seed(user: &'a str, item: &'a str, version: u64) -> Self {
        Self {
            kind: Kind::TotpSeed,
            user,
            item,
            version,
            config: None,
        }
    }

    /// A session-state envelope's info.
    pub fn session_state(user: &'a str, item: &'a str, version: u64) -> Self {
        Self {
            kind: Kind::SessionState,
            user,
            item,
            version,
            config: None,
        }
    }

    /// The `sv:` context these envelopes carry, which an opener expects.
    pub fn context(&self) -> Result<Context> {
        if self.user.is_empty() {
            return Err(Error::InvalidRequest("user id must not be empty".into()));
        }
        validate_item_id(self.item)?;
        if self.version == 0 {
            return Err(Error::InvalidRequest("sv:version starts at 1".into()));
        }
        let mut ctx = Context::new();
        ctx.insert(SV_USER, self.user)?;
        ctx.insert(SV_ITEM, self.item)?;
        ctx.insert(SV_KIND, self.kind.as_str())?;
        ctx.insert(SV_VERSION, self.version.to_string())?;
        match (self.kind, self.config) {
            (Kind::Credential, Some(config)) => ctx.insert(SV_CONFIG, config_hash(config)?)?,
            (Kind::Credential, None) => {
                return Err(Error::InvalidRequest(
                    "a credential envelope needs its config".into(),
                ));
            }
            (_, Some(_)) => {
                return Err(Error::InvalidRequest(format!(
                    "kind {} carries no config",
                    self.kind
                )));
            }
            (_, None) => {}
        }
        Ok(ctx)
    }
}

/// Seals an item envelope: the `sv:` context of `info` plus the caller's
/// `extra` entries (which may not use `sv:` keys).
pub fn seal_item(
    key: &DataKey,
    info: &ItemInfo<'_>,
    extra: &Context,
    plaintext: &[u8],
) -> Result<Vec<u8>> {
    if let Some(reserved) = extra.first_reserved_key() {
        return Err(Error::ReservedContextKey {
            key: reserved.to_owned(),
        });
    }
    let mut ctx = info.context()?;
    ctx.merge_disjoint(extra)?;
    envelope::seal_with_context(key, plaintext, &ctx)
}

/// Lowercase hex SHA-256 of `config` in RFC 8785 canonical JSON.
pub fn config_hash(config: &serde_json::Value) -> Result<String> {
    let canonical = canonical_json(config)?;
    Ok(hex::encode(Sha256::digest(canonical.as_bytes())))
}

/// `config` in RFC 8785 (JCS) canonical form. The config must be an
/// object, and I-JSON: an integer beyond ±2^53 is refused, not rounded.
pub fn canonical_json(config: &serde_json::Value) -> Result<String> {
    if !config.is_object() {
        return Err(Error::InvalidConfig("config must be a JSON object".into()));
    }
    check_i_json(config)?;
    serde_jcs::to_string(config)
        .map_err(|e| Error::InvalidConfig(format!("cannot canonicalize: {e}")))
}

/// Refuses integers a double cannot hold exactly (RFC 7493 §2.2).
fn check_i_json(value: &serde_json::Value) -> Result<()> {
    const MAX_EXACT: u64 = 1 << 53;
    match value {
        serde_json::Value::Number(n) => {
            let exact = n
                .as_u64()
                .map(|u| u <= MAX_EXACT)
                .or_else(|| n.as_i64().map(|i| i.unsigned_abs() <= MAX_EXACT))
                .unwrap_or(true);
            if exact {
                Ok(())
            } else {
                Err(Error::InvalidConfig(
                    "integer beyond ±2^53 in config".into(),
                ))
            }
        }
        serde_json::Value::Array(items) => items.iter().try_for_each(check_i_json),
        serde_json::Value::Object(map) => map.values().try_for_each(check_i_json),
        _ => Ok(()),
    }
}

/// The state key of one credential: `HMAC-SHA256(DK, "sealvault/v1/state" |
/// lp(user) | lp(item))`, carrying the data key's id.
pub fn state_key(key: &DataKey, user: &str, item: &str) -> Result<DataKey> {
    let lp = |part: &str| {
        u16::try_from(part.len())
            .map(u16::to_be_bytes)
            .map_err(|_| Error::InvalidRequest("id longer than 65535 bytes".into()))
    };
    let (user_len, item_len) = (lp(user)?, lp(item)?);
    let parts: [&[u8]; 5] = [
        STATE_LABEL,
        &user_len,
        user.as_bytes(),
        &item_len,
        item.as_bytes(),
    ];
    let out = envelope::hmac_sha256(key.expose_secret(), &parts);
    Ok(DataKey::with_id(key.key_id(), *out))
}

/// Checks an item id against `[A-Za-z0-9][A-Za-z0-9._-]{0,127}`.
pub fn validate_item_id(item: &str) -> Result<()> {
    let bytes = item.as_bytes();
    let first_ok = bytes.first().is_some_and(u8::is_ascii_alphanumeric);
    let rest_ok = bytes
        .iter()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if first_ok && rest_ok && bytes.len() <= 128 {
        Ok(())
    } else {
        Err(Error::InvalidRequest(format!(
            "item id must match [A-Za-z0-9][A-Za-z0-9._-]{{0,127}}, got {} bytes",
            item.len()
        )))
    }
}

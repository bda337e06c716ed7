//! The credential configuration of DESIGN §7: stored in clear so the vault
//! can enforce it, hashed into every credential envelope (`sv:config`).
//!
//! Validation is strict: `name` is required, every section is optional,
//! unknown keys are `invalid_config`. The vault stores the JSON exactly as
//! sent; these types only check it and give typed access.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// A credential's configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialConfig {
    /// Display name (required, 1..=255 bytes).
    pub name: String,
    /// The page the credential is for; its origin is the only origin the
    /// SDK hands the credential to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login_url: Option<String>,
    /// Second factor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tfa: Option<TfaConfig>,
    /// What browser state the SDK keeps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_persistence: Option<PersistenceFlags>,
    /// Lease limits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concurrency: Option<Concurrency>,
    /// Session-state expiry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration: Option<Expiration>,
    /// Per-credential proxy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy: Option<ProxyConfig>,
}

/// Second-factor settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TfaConfig {
    /// How the site asks for a second factor.
    pub method: TfaMethod,
    /// Accept codes only from this sender (address or number).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender_filter: Option<String>,
    /// A regex whose first capture group (or whole match) is the code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_pattern: Option<String>,
}

/// Second-factor method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum TfaMethod {
    /// No second factor.
    None,
    /// An authenticator app (TOTP).
    Authenticator,
    /// A code or link by email.
    Email,
    /// A code by SMS.
    Sms,
}

/// Which browser state the SDK persists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersistenceFlags {
    /// Keep cookies (default true).
    #[serde(default = "yes")]
    pub cookies: bool,
    /// Keep localStorage (default true).
    #[serde(default = "yes")]
    pub local_storage: bool,
    /// Keep sessionStorage (default false).
    #[serde(default)]
    pub session_storage: bool,
}

fn yes() -> bool {
    true
}

impl Default for PersistenceFlags {
    fn default() -> Self {
        Self {
            cookies: true,
            local_storage: true,
            session_storage: false,
        }
    }
}

/// Lease limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Concurrency {
    /// Whether more than one lease may be open (default true).
    #[serde(default = "yes")]
    pub allow_multiple: bool,
    /// At most this many leases when `allow_multiple` (absent: no limit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_concurrent: Option<u32>,
    /// No grant while another lease is logging in, and no login while any
    /// lease is open (default false).
    #[serde(default)]
    pub prevent_concurrency_during_login: bool,
}

impl Concurrency {
    /// The most leases that may be open at once, `None` for no limit.
    pub fn limit(&self) -> Option<u32> {
        if self.allow_multiple {
            self.max_concurrent
        } else {
            Some(1)
        }
    }
}

/// Session-state expiry; whichever rule fires first wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expiration {
    /// Expire this long after the state's last use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_last_use_secs: Option<u64>,
    /// Expire this long after the state was created (a fresh login).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_creation_secs: Option<u64>,
    /// Also expire at the earliest expiry of the site's own cookies in the
    /// saved state (the SDK sends it as the state's `expires_at`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub follow_cookie_expiry: bool,
}

/// Per-credential proxy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProxyConfig {
    /// Whether the credential uses a proxy from the vault's pool.
    #[serde(default)]
    pub enabled: bool,
    /// The exit IP to be nearest to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_ip: Option<IpAddr>,
}

impl CredentialConfig {
    /// Parses and validates a config as the client sent it.
    pub fn from_value(value: &serde_json::Value) -> Result<Self> {
        if !value.is_object() {
            return Err(Error::InvalidConfig("config must be a JSON object".into()));
        }
        let config: CredentialConfig = serde_json::from_value(value.clone())
            .map_err(|e| Error::InvalidConfig(e.to_string()))?;
        config.validate()?;
        Ok(config)
    }

    /// Parses and validates a config from its exact JSON text, as the vault
    /// stores it: [`Self::from_value`] on the parsed value, which it also
    /// returns (for the `sv:config` hash), and a duplicate key at any depth
    /// is `invalid_config` — a value parse would silently keep the last
    /// one, so the text would mean different things to different readers.
    pub fn from_json(json: &str) -> Result<(Self, serde_json::Value)> {
        let value: serde_json::Value = serde_json::from_str(json)
            .map_err(|e| Error::InvalidConfig(format!("config is not JSON: {e}")))?;
        let config = Self::from_value(&value)?;
        // Every level is a struct, which refuses a repeated field.
        serde_json::from_str::<Self>(json).map_err(|e| Error::InvalidConfig(e.to_string()))?;
        Ok((config, value))
    }

    /// Checks the rules serde cannot express.
    pub fn validate(&self) -> Result<()> {
        if self.name.is_empty() || self.name.len() > 255 {
            return Err(Error::InvalidConfig("name must be 1 to 255 bytes".into()));
        }
        if let Some(login_url) = &self.login_url {
            let url = url::Url::parse(login_url)
                .map_err(|e| Error::InvalidConfig(format!("login_url is not a URL: {e}")))?;
            if !matches!(url.scheme(), "https" | "http") || url.host().is_none() {
                return Err(Error::InvalidConfig(
                    "login_url must be an http(s) URL with a host".into(),
                ));
            }
        }
        if let Some(c) = &self.concurrency
            && c.max_concurrent == Some(0)
        {
            return Err(Error::InvalidConfig(
                "concurrency.max_concurrent must be at least 1".into(),
            ));
        }
        if let Some(e) = &self.expiration
            && (e.from_last_use_secs == Some(0) || e.from_creation_secs == Some(0))
        {
            return Err(Error::InvalidConfig(
                "expiration times must be at least 1 second".into(),
            ));
        }
        Ok(())
    }

    /// The persistence flags, defaults when absent.
    pub fn persistence(&self) -> PersistenceFlags {
        self.session_persistence.unwrap_or_default()
    }

    /// The origin (`scheme://host[:port]`) of `login_url`, if set.
    pub fn login_origin(&self) -> Option<String> {
        let url = url::Url::parse(self.login_url.as_deref()?).ok()?;
        Some(url.origin().ascii_serialization())
    }
}

//! Configuration: a TOML file (`--config`) overridden by the environment
//! variables of DESIGN §8.
//!
//! ```toml
//! listen = "127.0.0.1:8080"
//! database_url = "sqlite://sealvault.db"
//! admin_token_file = "/run/secrets/admin-token"
//!
//! [[master_keys]]
//! id = "mk-2026"
//! provider = "file"            # or "env" with `env = "VAR"`
//! path = "/run/secrets/master-key"
//! active = true
//!
//! [[master_keys]]                # feature `pkcs11`
//! id = "hsm-1"
//! provider = "pkcs11"
//! module = "/usr/lib/softhsm/libsofthsm2.so"
//! token_label = "sealvault"
//! key_label = "sealvault-master"
//! pin_file = "/run/secrets/hsm-pin"  # or pin_env = "SEALVAULT_HSM_PIN"
//!
//! [[master_keys]]                # feature `aws-kms`
//! id = "kms-1"
//! provider = "aws-kms"
//! key_id = "alias/sealvault"
//! region = "eu-west-1"           # optional
//! endpoint = "https://kms.eu-west-1.amazonaws.com"  # optional; or AWS_ENDPOINT_URL_KMS
//!
//! [limits]
//! credential_body_bytes = 65536
//!
//! [session_state]
//! sweep_interval_secs = 60     # SEALVAULT_STATE_SWEEP_SECS
//!
//! [key_cache]                  # unwrapped data keys in memory; 0 = off
//! entries = 1024               # SEALVAULT_KEY_CACHE_ENTRIES
//! ttl_secs = 60                # SEALVAULT_KEY_CACHE_TTL_SECS
//! [proxy]                      # optional; env SEALVAULT_PROXY_MAXMIND_DB, …
//! maxmind_db = "/var/lib/GeoLite2-City.mmdb"
//! check_interval_secs = 30
//! check_timeout_secs = 3
//!
//! [[proxies]]                  # the pool (DESIGN §7 "Proxy")
//! id = "par-1"
//! url_env = "PROXY_PAR_1_URL"  # or url = "…" or url_file = "…"
//! ip = "198.51.100.10"
//! location = { lat = 48.8566, lon = 2.3522 }
//! ```

mod inbound;

use std::path::{Path, PathBuf};

pub use inbound::{InboundConfig, is_e164};

use sealvault::wire::{Limits, SecretString};
use serde::Deserialize;

/// Everything the server reads at start.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Listen address (`SEALVAULT_LISTEN`).
    #[serde(default = "default_listen")]
    pub listen: String,
    /// Database URL (`SEALVAULT_DATABASE_URL`).
    #[serde(default = "default_database_url")]
    pub database_url: String,
    /// Folder for the dev master key (default: the SQLite file's folder, else `.`).
    #[serde(default)]
    pub data_dir: Option<PathBuf>,
    /// The admin bearer token (`SEALVAULT_ADMIN_TOKEN`).
    #[serde(default)]
    pub admin_token: Option<SecretString>,
    /// A file holding the admin token (`SEALVAULT_ADMIN_TOKEN_FILE`).
    #[serde(default)]
    pub admin_token_file: Option<PathBuf>,
    /// The master-key keyring.
    #[serde(default)]
    pub master_keys: Vec<MasterKeyConfig>,
    /// Limits advertised by `/v1/meta`.
    #[serde(default)]
    pub limits: LimitsConfig,
    /// Log filter (`RUST_LOG` syntax; `SEALVAULT_LOG` or `RUST_LOG`).
    #[serde(default)]
    pub log: Option<String>,
    /// Serve HTTPS with rustls (`SEALVAULT_TLS_CERT`, `SEALVAULT_TLS_KEY`).
    #[serde(default)]
    pub tls: Option<TlsConfig>,
    /// Browser session state.
    #[serde(default)]
    pub session_state: SessionStateConfig,
    /// Unwrapped data keys kept in memory.
    #[serde(default)]
    pub key_cache: KeyCacheConfig,
    /// Proxy pool settings.
    #[serde(default)]
    pub proxy: ProxySettings,
    /// The proxy pool.
    #[serde(default)]
    pub proxies: Vec<ProxyMemberConfig>,
    /// Second-factor messages in.
    #[serde(default)]
    pub inbound: InboundConfig,
}

/// `[session_state]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SessionStateConfig {
    /// Seconds between sweeps that delete expired states
    /// (`SEALVAULT_STATE_SWEEP_SECS`; at least 1).
    pub sweep_interval_secs: u64,
}

impl Default for SessionStateConfig {
    fn default() -> Self {
        Self {
            sweep_interval_secs: 60,
        }
    }
}

/// `[key_cache]`: unwrapped data keys kept in memory, each zeroized when
/// evicted, expired or rotated away.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct KeyCacheConfig {
    /// Keys kept at most; 0 turns the cache off
    /// (`SEALVAULT_KEY_CACHE_ENTRIES`).
    pub entries: usize,
    /// Seconds a key is kept after its unwrap; 0 turns the cache off
    /// (`SEALVAULT_KEY_CACHE_TTL_SECS`).
    pub ttl_secs: u64,
}

impl Default for KeyCacheConfig {
    fn default() -> Self {
        Self {
            entries: 1024,
            ttl_secs: 60,
        }
    }
}

/// `[proxy]`: how pool members are located and checked.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProxySettings {
    /// A MaxMind-format (GeoIP2/GeoLite2 City) database locating IPs
    /// (`SEALVAULT_PROXY_MAXMIND_DB`); without one, the nearest member is
    /// the one with the longest common address prefix.
    pub maxmind_db: Option<PathBuf>,
    /// Seconds between TCP checks of every member
    /// (`SEALVAULT_PROXY_CHECK_INTERVAL_SECS`).
    pub check_interval_secs: u64,
    /// Seconds a TCP connect may take before the member counts as down
    /// (`SEALVAULT_PROXY_CHECK_TIMEOUT_SECS`).
    pub check_timeout_secs: u64,
}

impl Default for ProxySettings {
    fn default() -> Self {
        Self {
            maxmind_db: None,
            check_interval_secs: 30,
            check_timeout_secs: 3,
        }
    }
}

/// One `[[proxies]]` member. Exactly one of `url`, `url_env`, `url_file`
/// gives its URL, which may carry proxy credentials and is never logged,
/// stored or echoed in an error.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProxyMemberConfig {
    /// Member id (stable: credentials stick to it).
    pub id: String,
    /// The URL inline (`scheme://[user:pass@]host:port`).
    #[serde(default)]
    pub url: Option<SecretString>,
    /// The variable holding the URL.
    #[serde(default)]
    pub url_env: Option<String>,
    /// A file holding the URL.
    #[serde(default)]
    pub url_file: Option<PathBuf>,
    /// The member's exit IP.
    pub ip: std::net::IpAddr,
    /// Where the exit IP is, overriding the MaxMind database.
    #[serde(default)]
    pub location: Option<GeoPoint>,
}

/// A place on Earth, in degrees.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GeoPoint {
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
}

/// `[tls]`: PEM files.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// Certificate chain (PEM).
    pub cert: PathBuf,
    /// Private key (PEM).
    pub key: PathBuf,
}

/// One `[[master_keys]]` member.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MasterKeyConfig {
    /// Member id, stored beside every key it wraps.
    pub id: String,
    /// `file`, `env`, `pkcs11` or `aws-kms`.
    pub provider: String,
    /// For `file`: the key file.
    #[serde(default)]
    pub path: Option<PathBuf>,
    /// For `env`: the variable holding base64 of the key.
    #[serde(default)]
    pub env: Option<String>,
    /// The member that wraps new keys (exactly one).
    #[serde(default)]
    pub active: bool,
    /// For `pkcs11`: the PKCS#11 module (shared library).
    #[serde(default)]
    pub module: Option<PathBuf>,
    /// For `pkcs11`: the token's label (the slot is found by it).
    #[serde(default)]
    pub token_label: Option<String>,
    /// For `pkcs11`: the AES key's label.
    #[serde(default)]
    pub key_label: Option<String>,
    /// For `pkcs11`: the variable holding the user PIN.
    #[serde(default)]
    pub pin_env: Option<String>,
    /// For `pkcs11`: a file holding the user PIN (trailing newline ignored).
    #[serde(default)]
    pub pin_file: Option<PathBuf>,
    /// For `aws-kms`: key id, ARN or alias (`alias/…`).
    #[serde(default)]
    pub key_id: Option<String>,
    /// For `aws-kms`: the region (else the AWS default chain).
    #[serde(default)]
    pub region: Option<String>,
    /// For `aws-kms`: endpoint override (else `AWS_ENDPOINT_URL_KMS`).
    #[serde(default)]
    pub endpoint: Option<String>,
}

/// Limits; every one configurable.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsConfig {
    /// Largest credential request body.
    pub credential_body_bytes: u64,
    /// Largest session-state request body.
    pub session_state_body_bytes: u64,
    /// Most live items per user.
    pub items_per_user: u64,
    /// Failed authentications per client address per minute.
    pub failed_auth_per_minute: u32,
    /// `/access` calls per token per minute.
    pub access_per_minute: u32,
    /// `/totp` calls per token per minute.
    pub totp_per_minute: u32,
    /// Inbound webhook calls (email, SMS, Twilio) per client address per minute.
    pub inbound_per_minute: u32,
    /// Lease TTL when the acquirer names none.
    pub default_lease_ttl_secs: u64,
    /// Longest lease TTL.
    pub max_lease_ttl_secs: u64,
    /// Longest lease long poll.
    pub max_wait_secs: u64,
    /// Request timeout (longer than `max_wait_secs`).
    pub request_timeout_secs: u64,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        Self {
            credential_body_bytes: 64 * 1024,
            session_state_body_bytes: 4 * 1024 * 1024,
            items_per_user: 10_000,
            failed_auth_per_minute: 20,
            access_per_minute: 600,
            totp_per_minute: 600,
            inbound_per_minute: 600,
            default_lease_ttl_secs: 60,
            max_lease_ttl_secs: 3600,
            max_wait_secs: 60,
            request_timeout_secs: 90,
        }
    }
}

impl LimitsConfig {
    /// The limits as `/v1/meta` advertises them.
    pub fn to_wire(&self) -> Limits {
        Limits {
            credential_body_bytes: self.credential_body_bytes,
            session_state_body_bytes: self.session_state_body_bytes,
            items_per_user: self.items_per_user,
            failed_auth_per_minute: self.failed_auth_per_minute,
            access_per_minute: self.access_per_minute,
            totp_per_minute: self.totp_per_minute,
            max_lease_ttl_secs: self.max_lease_ttl_secs,
            max_wait_secs: self.max_wait_secs,
        }
    }
}

fn default_listen() -> String {
    "127.0.0.1:8080".into()
}

fn default_database_url() -> String {
    "sqlite://sealvault.db".into()
}

/// The id of the one-member keyring `SEALVAULT_MASTER_KEY_FILE` makes.
pub const ENV_FILE_KEY_ID: &str = "default";

impl Config {
    /// Reads the TOML file (if any), then applies the environment.
    pub fn load(file: Option<&Path>) -> Result<Self, String> {
        let mut config: Config = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
                toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?
            }
            None => toml::from_str("").map_err(|e| e.to_string())?,
        };
        config.apply_env(|name| std::env::var(name).ok());
        Ok(config)
    }

    /// Applies `SEALVAULT_*` overrides from `var`.
    pub fn apply_env(&mut self, var: impl Fn(&str) -> Option<String>) {
        if let Some(listen) = var("SEALVAULT_LISTEN") {
            self.listen = listen;
        }
        if let Some(url) = var("SEALVAULT_DATABASE_URL") {
            self.database_url = url;
        }
        if let Some(dir) = var("SEALVAULT_DATA_DIR") {
            self.data_dir = Some(dir.into());
        }
        if let Some(path) = var("SEALVAULT_MASTER_KEY_FILE") {
            self.master_keys = vec![MasterKeyConfig {
                id: ENV_FILE_KEY_ID.into(),
                provider: "file".into(),
                path: Some(path.into()),
                active: true,
                ..MasterKeyConfig::default()
            }];
        }
        if let Some(token) = var("SEALVAULT_ADMIN_TOKEN") {
            self.admin_token = Some(SecretString::new(token));
        }
        if let Some(path) = var("SEALVAULT_ADMIN_TOKEN_FILE") {
            self.admin_token_file = Some(path.into());
        }
        if let (Some(cert), Some(key)) = (var("SEALVAULT_TLS_CERT"), var("SEALVAULT_TLS_KEY")) {
            self.tls = Some(TlsConfig {
                cert: cert.into(),
                key: key.into(),
            });
        }
        if let Some(secs) = var("SEALVAULT_STATE_SWEEP_SECS").and_then(|v| v.parse().ok()) {
            self.session_state.sweep_interval_secs = secs;
        }
        if let Some(n) = var("SEALVAULT_KEY_CACHE_ENTRIES").and_then(|v| v.parse().ok()) {
            self.key_cache.entries = n;
        }
        if let Some(secs) = var("SEALVAULT_KEY_CACHE_TTL_SECS").and_then(|v| v.parse().ok()) {
            self.key_cache.ttl_secs = secs;
        }
        self.inbound.apply_env(&var);
        if let Some(filter) = var("SEALVAULT_LOG") {
            self.log = Some(filter);
        }
        self.apply_proxy_env(&var);
    }

    fn apply_proxy_env(&mut self, var: &impl Fn(&str) -> Option<String>) {
        if let Some(path) = var("SEALVAULT_PROXY_MAXMIND_DB") {
            self.proxy.maxmind_db = Some(path.into());
        }
        if let Some(secs) = var("SEALVAULT_PROXY_CHECK_INTERVAL_SECS").and_then(|v| v.parse().ok())
        {
            self.proxy.check_interval_secs = secs;
        }
        if let Some(secs) = var("SEALVAULT_PROXY_CHECK_TIMEOUT_SECS").and_then(|v| v.parse().ok()) {
            self.proxy.check_timeout_secs = secs;
        }
    }

    /// The admin token from the config, the environment or its file.
    pub fn admin_token(&self) -> Result<Option<SecretString>, String> {
        if let Some(token) = &self.admin_token {
            return Ok(Some(SecretString::new(token.expose_secret().to_owned())));
        }
        match &self.admin_token_file {
            Some(path) => {
                let text = zeroize::Zeroizing::new(
                    std::fs::read_to_string(path)
                        .map_err(|e| format!("cannot read {}: {e}", path.display()))?,
                );
                Ok(Some(SecretString::new(text.trim().to_owned())))
            }
            None => Ok(None),
        }
    }

    /// The folder for generated files (the dev master key).
    pub fn data_dir(&self) -> PathBuf {
        if let Some(dir) = &self.data_dir {
            return dir.clone();
        }
        let path = self
            .database_url
            .strip_prefix("sqlite://")
            .or_else(|| self.database_url.strip_prefix("sqlite:"));
        match path
            .map(|p| p.split('?').next().unwrap_or(p))
            .map(Path::new)
        {
            Some(file) => match file.parent() {
                Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
                _ => PathBuf::from("."),
            },
            None => PathBuf::from("."),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_overrides_file_values() {
        let mut config: Config =
            toml::from_str("listen = \"0.0.0.0:1\"\n[limits]\nitems_per_user = 5\n").unwrap();
        config.apply_env(|name| match name {
            "SEALVAULT_LISTEN" => Some("127.0.0.1:9".into()),
            "SEALVAULT_MASTER_KEY_FILE" => Some("/k".into()),
            "SEALVAULT_STATE_SWEEP_SECS" => Some("5".into()),
            _ => None,
        });
        assert_eq!(config.session_state.sweep_interval_secs, 5);
        assert_eq!(config.listen, "127.0.0.1:9");
        assert_eq!(config.limits.items_per_user, 5);
        assert_eq!(config.master_keys.len(), 1);
        assert!(config.master_keys[0].active);
        assert_eq!(config.database_url, "sqlite://sealvault.db");
        let file: Config = toml::from_str("[session_state]\nsweep_interval_secs = 9\n").unwrap();
        assert_eq!(file.session_state.sweep_interval_secs, 9);
        let default: Config = toml::from_str("").unwrap();
        assert_eq!(default.session_state.sweep_interval_secs, 60);
    }

    #[test]
    fn proxy_pool_parses_and_env_overrides_its_settings() {
        let text = "[proxy]\ncheck_interval_secs = 5\n\n[[proxies]]\nid = \"p1\"\n\
                    url = \"http://u:CANARY@127.0.0.1:3128\"\nip = \"198.51.100.10\"\n\
                    location = { lat = 48.8, lon = 2.3 }\n";
        let mut config: Config = toml::from_str(text).unwrap();
        assert_eq!(config.proxy.check_interval_secs, 5);
        assert_eq!(config.proxies[0].location.unwrap().lon, 2.3);
        assert!(!format!("{config:?}").contains("CANARY"));
        config.apply_env(|name| match name {
            "SEALVAULT_PROXY_MAXMIND_DB" => Some("/g.mmdb".into()),
            "SEALVAULT_PROXY_CHECK_TIMEOUT_SECS" => Some("1".into()),
            _ => None,
        });
        assert_eq!(config.proxy.maxmind_db, Some(PathBuf::from("/g.mmdb")));
        assert_eq!(config.proxy.check_timeout_secs, 1);
        assert!(toml::from_str::<Config>("[[proxies]]\nid = \"p\"\nip = \"nope\"\n").is_err());
    }

    #[test]
    fn data_dir_follows_the_sqlite_file() {
        let mut config: Config =
            toml::from_str("database_url = \"sqlite:///var/lib/sv/v.db?mode=rwc\"").unwrap();
        assert_eq!(config.data_dir(), PathBuf::from("/var/lib/sv"));
        config.database_url = "sqlite://v.db".into();
        assert_eq!(config.data_dir(), PathBuf::from("."));
    }
}

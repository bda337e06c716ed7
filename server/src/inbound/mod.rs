//! Inbound second factors (DESIGN §7, issue 9): email through the SMTP
//! listener or the signed raw-MIME webhook, SMS through the Twilio or the
//! signed JSON webhook; MIME parsing, code extraction, routing to the one
//! credential whose login lease is waiting, sealed storage under the
//! inbound key, and the `tfa-code` long poll.
//!
//! Modules: [`assign`] (addresses and numbers), [`mime`] and [`extract`]
//! (message → code), [`deliver`] (routing and storage), [`seal`] (codes at
//! rest), [`signature`] (webhooks), [`wait`] (the long poll), [`smtp`] and
//! [`sink`] (the listener and its hand-off).

pub mod assign;
pub mod deliver;
pub mod extract;
pub mod mime;
pub mod seal;
pub mod signature;
pub mod sink;
pub mod smtp;
pub mod wait;

use std::time::Duration;

use sealvault::wire::SecretString;
use tokio::sync::Notify;

use crate::config::InboundConfig;
use crate::keys::VaultKey;

/// A config's second-factor method (`NONE` without a `tfa` section).
pub fn tfa_method(config: &sealvault::wire::CredentialConfig) -> sealvault::wire::TfaMethod {
    config
        .tfa
        .as_ref()
        .map_or(sealvault::wire::TfaMethod::None, |t| t.method)
}

/// The pool number assigned to a credential row, if any.
pub fn assigned_phone(row: &crate::storage::CredentialRow) -> Option<String> {
    crate::credentials::assigned(row).ok()?.phone
}

/// Webhook ids are remembered this long (Twilio signs no timestamp).
pub const SEEN_KEEP_SECS: i64 = 7 * 24 * 3600;

/// The inbound settings and key every replica holds in memory.
pub struct Inbound {
    domain: String,
    numbers: Vec<String>,
    secret: Option<SecretString>,
    twilio_token: Option<SecretString>,
    public_url: Option<String>,
    code_ttl_secs: i64,
    max_message_bytes: usize,
    https: bool,
    key: VaultKey,
    /// Woken when this replica stores a code (others poll).
    arrived: Notify,
}

impl std::fmt::Debug for Inbound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inbound")
            .field("domain", &self.domain)
            .field("numbers", &self.numbers.len())
            .finish_non_exhaustive()
    }
}

impl Inbound {
    /// From `[inbound]` and the unwrapped inbound key.
    pub fn new(config: &InboundConfig, key: VaultKey) -> Result<Self, String> {
        config.validate()?;
        Ok(Self {
            domain: config.domain.to_ascii_lowercase(),
            numbers: config.sms_numbers.clone(),
            secret: config.secret()?,
            twilio_token: config.twilio_auth_token()?,
            public_url: config
                .public_url
                .as_ref()
                .map(|u| u.trim_end_matches('/').to_owned()),
            code_ttl_secs: i64::try_from(config.code_ttl_secs.max(1)).unwrap_or(600),
            max_message_bytes: config.max_message_bytes,
            https: false,
            key,
            arrived: Notify::new(),
        })
    }

    /// Notes that the server itself serves HTTPS (the URL Twilio signs).
    pub fn with_https(mut self, https: bool) -> Self {
        self.https = https;
        self
    }

    /// Whether the server itself serves HTTPS.
    pub fn https(&self) -> bool {
        self.https
    }

    /// The domain of assigned addresses.
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// The SMS pool.
    pub fn numbers(&self) -> &[String] {
        &self.numbers
    }

    /// The webhook HMAC key, when configured.
    pub fn secret(&self) -> Option<&SecretString> {
        self.secret.as_ref()
    }

    /// Twilio's auth token, when configured.
    pub fn twilio_token(&self) -> Option<&SecretString> {
        self.twilio_token.as_ref()
    }

    /// The public base URL Twilio signs, when configured.
    pub fn public_url(&self) -> Option<&str> {
        self.public_url.as_deref()
    }

    /// Seconds a code is kept.
    pub fn code_ttl_secs(&self) -> i64 {
        self.code_ttl_secs
    }

    /// Largest email accepted.
    pub fn max_message_bytes(&self) -> usize {
        self.max_message_bytes
    }

    /// The inbound key.
    pub fn key(&self) -> &VaultKey {
        &self.key
    }

    /// Wakes this replica's waiters.
    pub fn wake(&self) {
        self.arrived.notify_waiters();
    }

    /// Resolves on the next [`Inbound::wake`] (register before checking).
    pub fn arrived(&self) -> tokio::sync::futures::Notified<'_> {
        self.arrived.notified()
    }
}

/// Deletes expired codes and old webhook ids every `every`.
pub fn spawn_sweeper(state: crate::api::AppState, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            if let Err(e) = sweep(&state).await {
                tracing::warn!(cause = %e, "inbound sweep failed");
            }
        }
    })
}

async fn sweep(state: &crate::api::AppState) -> crate::storage::StoreResult<()> {
    let now = crate::now();
    let mut tx = state.store.write().await?;
    let swept = tx
        .inbound()
        .sweep_inbound(now, now - SEEN_KEEP_SECS)
        .await?;
    tx.commit().await?;
    if swept > 0 {
        tracing::debug!(swept, "expired inbound codes deleted");
    }
    Ok(())
}

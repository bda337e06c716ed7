//! The vault client (feature `client`): one async method per route of the
//! HTTP API v1 (DESIGN §9), sealing done here, in the SDK, and leases as a
//! guard. [`blocking`] wraps it for synchronous code.
//!
//! ```no_run
//! # async fn run() -> Result<(), sealvault::client::ClientError> {
//! use sealvault::client::{Client, Credential, Purpose};
//! let owner = Client::new("http://127.0.0.1:8080", "owner-token")?;
//! let config = serde_json::json!({"name": "acme", "login_url": "https://acme.test/login"});
//! owner.put_credential("acme", &Credential::new("alice", "hunter2"), None, &config).await?;
//!
//! let agent = Client::new("http://127.0.0.1:8080", "agent-token")?;
//! let session = agent.session("acme", Purpose::Login).await?;
//! let credential = session.access().await?;
//! credential.check_origin("https://acme.test/login?next=/")?;
//! session.login_complete().await?;
//! session.release().await?;
//! # Ok(()) }
//! ```
//!
//! # Security
//! The bearer and lease tokens are sent as sensitive headers and never
//! appear in `Debug` or errors. Keys, tokens and opened credentials live in
//! wiping buffers; the HTTP stack's own read buffers are not wiped.

#[cfg(all(feature = "blocking", not(target_arch = "wasm32")))]
pub mod blocking;
mod credential;
mod error;
mod http;
mod routes;
mod rt;
mod sealing;
mod session;
mod state;
mod tfa;

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

pub use credential::{Credential, check_origin};
pub use error::{ApiError, ClientError, ClientResult};
pub use session::{OneTimeCode, Purpose, Session, SessionOptions};
pub use tfa::{TfaChannel, TfaCode};

use crate::DataKey;
use crate::wire::SecretString;

/// An async client of one vault, for one bearer token. Cheap to clone.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    base: url::Url,
    token: SecretString,
    timeout: Duration,
    max_retries: u32,
    /// The token's user id, fetched once.
    user_id: Mutex<Option<Arc<str>>>,
    /// The user's current data key, fetched once, refetched when stale.
    data_key: Mutex<Option<Arc<DataKey>>>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.base.as_str())
            .field("token", &"[redacted]")
            .finish()
    }
}

/// Options of a [`Client`].
pub struct ClientBuilder {
    base_url: String,
    token: SecretString,
    timeout: Duration,
    connect_timeout: Duration,
    max_retries: u32,
    user_agent: String,
    ca_pem: Vec<Vec<u8>>,
}

impl ClientBuilder {
    /// Timeout of one request (default 30 s; long polls add their wait).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Timeout of connecting (default 10 s; native only).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Retries of a call the policy allows to retry (default 3).
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.max_retries = retries;
        self
    }

    /// The `User-Agent` (native only; browsers set their own).
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// Trusts a PEM CA certificate besides the built-in roots (native only).
    pub fn add_root_certificate_pem(mut self, pem: &[u8]) -> Self {
        self.ca_pem.push(pem.to_vec());
        self
    }

    /// Builds the client.
    pub fn build(self) -> ClientResult<Client> {
        let base = url::Url::parse(&self.base_url)
            .map_err(|e| crate::Error::InvalidRequest(format!("base URL: {e}")))?;
        if !matches!(base.scheme(), "http" | "https") || base.cannot_be_a_base() {
            return Err(crate::Error::InvalidRequest("base URL must be http(s)://…".into()).into());
        }
        Ok(Client {
            inner: Arc::new(Inner {
                http: self.http()?,
                base,
                token: self.token,
                timeout: self.timeout,
                max_retries: self.max_retries,
                user_id: Mutex::new(None),
                data_key: Mutex::new(None),
            }),
        })
    }

    #[cfg(not(target_arch = "wasm32"))]
    fn http(&self) -> ClientResult<reqwest::Client> {
        let mut http = reqwest::Client::builder()
            .connect_timeout(self.connect_timeout)
            .user_agent(&self.user_agent);
        for pem in &self.ca_pem {
            let certs = reqwest::Certificate::from_pem_bundle(pem)
                .ok()
                .filter(|certs| !certs.is_empty())
                .ok_or_else(|| {
                    crate::Error::InvalidRequest("CA file holds no PEM certificate".into())
                })?;
            for cert in certs {
                http = http.add_root_certificate(cert);
            }
        }
        http.build().map_err(|e| ClientError::transport(&e))
    }

    #[cfg(target_arch = "wasm32")]
    fn http(&self) -> ClientResult<reqwest::Client> {
        reqwest::Client::builder()
            .build()
            .map_err(|e| ClientError::transport(&e))
    }
}

impl Client {
    /// A client with default options.
    pub fn new(base_url: &str, token: &str) -> ClientResult<Client> {
        Self::builder(base_url, token).build()
    }

    /// Options for a client of the vault at `base_url` with bearer `token`.
    pub fn builder(base_url: &str, token: &str) -> ClientBuilder {
        ClientBuilder {
            base_url: base_url.to_owned(),
            token: SecretString::new(token.to_owned()),
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            max_retries: 3,
            user_agent: concat!("sealvault-rust/", env!("CARGO_PKG_VERSION")).to_owned(),
            ca_pem: Vec::new(),
        }
    }

    /// The vault's base URL.
    pub fn base_url(&self) -> &str {
        self.inner.base.as_str()
    }

    /// The token's user id (`GET /v1/me`, once).
    pub async fn user_id(&self) -> ClientResult<Arc<str>> {
        if let Some(id) = lock(&self.inner.user_id).clone() {
            return Ok(id);
        }
        let me = self.me().await?;
        let id: Arc<str> = me
            .user_id
            .ok_or_else(|| {
                crate::Error::InvalidRequest("this token belongs to no user (admin token)".into())
            })?
            .into();
        *lock(&self.inner.user_id) = Some(id.clone());
        Ok(id)
    }

    /// The user's current data key (`GET /v1/keys/current`, once; again after
    /// [`Client::forget_data_key`]).
    pub async fn data_key(&self) -> ClientResult<Arc<DataKey>> {
        if let Some(key) = lock(&self.inner.data_key).clone() {
            return Ok(key);
        }
        let key = Arc::new(self.current_data_key().await?);
        *lock(&self.inner.data_key) = Some(key.clone());
        Ok(key)
    }

    /// Drops the cached data key (it is wiped once no call still holds it).
    pub fn forget_data_key(&self) {
        lock(&self.inner.data_key).take();
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

//! A stand-in website for SealVault's browser-agent tests.
//!
//! # Use case
//! The Python and JS agents log in to a website through the vault: they
//! fetch a password, type a TOTP code, wait for an emailed or texted code,
//! save and restore the session. This crate is that website, small enough
//! to read in one sitting, with counters a test can query to check what the
//! agents did (how many logins, how many concurrent sessions, which proxy).
//!
//! # About
//! - `GET /login`, `POST /login`: the username and password form.
//! - `GET /login/tfa`, `POST /login/tfa`: the second step for accounts of
//!   kind `totp` (5-second period, 6 digits, SHA-1, ±1 step, a step is
//!   accepted once), `email` (a 6-digit code mailed by SMTP) and `sms` (a
//!   6-digit code posted as a signed Twilio webhook to the vault).
//! - `GET /dashboard`, `POST /logout`: the signed-in page and its exit.
//! - `/admin/…`: a JSON API without authentication (see [`admin`]).
//!
//! # Security
//! None, on purpose: this is a test fixture, not a real site. Passwords are
//! kept in clear, the admin API has no authentication, SMTP is plain text.
//! Bind it to loopback only.

pub mod accounts;
pub mod admin;
pub mod pages;
pub mod sessions;
pub mod tfa;

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::routing::{get, post};
use tokio::net::TcpListener;

use accounts::{Account, AccountEntry};
use sessions::{Pending, Session};

/// How the site is set up: its accounts and where it sends codes.
#[derive(Default)]
pub struct Config {
    /// The accounts that exist at start (more can be added by
    /// `POST /admin/accounts`).
    pub accounts: Vec<Account>,
    /// `host:port` of the SMTP server emailed codes go to (plain SMTP, no
    /// TLS, no authentication).
    pub smtp: Option<String>,
    /// The URL texted codes are posted to, as a Twilio webhook: the vault's
    /// `/v1/inbound/sms/twilio`. It is also the URL that is signed.
    pub twilio_url: Option<String>,
    /// The Twilio auth token the webhook is signed with.
    pub twilio_token: Option<String>,
    /// The E.164 number texted codes come from (Twilio's `From`).
    pub sms_from: Option<String>,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("accounts", &self.accounts.len())
            .field("smtp", &self.smtp)
            .field("twilio_url", &self.twilio_url)
            .field(
                "twilio_token",
                &self.twilio_token.as_ref().map(|_| "[redacted]"),
            )
            .field("sms_from", &self.sms_from)
            .finish()
    }
}

/// Where codes are sent: the part of [`Config`] the handlers read.
#[derive(Debug, Clone, Default)]
pub struct Delivery {
    pub(crate) smtp: Option<String>,
    pub(crate) twilio_url: Option<String>,
    pub(crate) twilio_token: Option<String>,
    pub(crate) sms_from: Option<String>,
    pub(crate) http: reqwest::Client,
}

/// Everything the site remembers, behind one lock (never held across an
/// `.await`).
#[derive(Default)]
pub(crate) struct Inner {
    pub(crate) accounts: HashMap<String, AccountEntry>,
    pub(crate) sessions: HashMap<String, Session>,
    pub(crate) pending: HashMap<String, Pending>,
}

/// The shared state of the handlers.
#[derive(Clone)]
pub struct AppState {
    pub(crate) inner: Arc<Mutex<Inner>>,
    pub(crate) delivery: Arc<Delivery>,
}

impl AppState {
    pub(crate) fn lock(&self) -> MutexGuard<'_, Inner> {
        // A handler that panicked mid-update leaves counters of a test
        // fixture, nothing worth refusing every later request for.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// An error building the site: an invalid account in the configuration.
#[derive(Debug)]
pub struct ConfigError(pub String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

/// The site's router. Serve it with [`serve`] (the login pages record the
/// peer address, which needs `ConnectInfo<SocketAddr>`).
///
/// # Errors
/// [`ConfigError`] for an invalid account (a duplicate username, a `totp`
/// account without a valid base32 secret, an `email` account without an
/// address, an `sms` account without an E.164 phone).
pub fn app(config: Config) -> Result<Router, ConfigError> {
    let mut inner = Inner::default();
    for account in config.accounts {
        if inner.accounts.contains_key(&account.username) {
            return Err(ConfigError(format!(
                "duplicate account {:?}",
                account.username
            )));
        }
        let entry = AccountEntry::new(account).map_err(ConfigError)?;
        inner.accounts.insert(entry.account.username.clone(), entry);
    }
    let state = AppState {
        inner: Arc::new(Mutex::new(inner)),
        delivery: Arc::new(Delivery {
            smtp: config.smtp,
            twilio_url: config.twilio_url,
            twilio_token: config.twilio_token,
            sms_from: config.sms_from,
            http: reqwest::Client::new(),
        }),
    };
    Ok(Router::new()
        .route("/", get(pages::root))
        .route("/login", get(pages::login_form).post(pages::login_submit))
        .route("/login/tfa", get(pages::tfa_form).post(pages::tfa_submit))
        .route("/dashboard", get(pages::dashboard))
        .route("/logout", post(pages::logout))
        .nest("/admin", admin::router())
        .with_state(state))
}

/// Serves `router` on `listener` with the peer address of each connection
/// available to the handlers, until the task is dropped.
///
/// # Errors
/// An I/O error of the listener.
pub async fn serve(listener: TcpListener, router: Router) -> std::io::Result<()> {
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .await
}

/// Seconds since the Unix epoch.
pub(crate) fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

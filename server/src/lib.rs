//! # SealVault server
//!
//! The vault of DESIGN §2–§9: stores credentials sealed on the client,
//! after checking — before it stores anything — that each was sealed with
//! the user's current data key for exactly this item, kind, version and
//! config; hands a lease holder in its login phase only the key that opens
//! that one envelope; computes TOTP codes; rotates data keys; keeps an
//! HMAC-chained audit log.
//!
//! Modules, one per concern: [`config`], [`storage`] (SQLite and
//! PostgreSQL behind one trait), [`keys`] (master-key providers and the
//! keyring), [`auth`] (tokens), [`users`], [`datakeys`], [`credentials`]
//! (verified ingest), [`leases`], [`access`], [`session_state`] (sealed
//! browser state, its expiry and sweeper), [`clock`], [`proxies`] (the
//! pool, its health and per-credential resolution), [`audit`], [`metrics`],
//! [`api`] (the axum router) and [`app`] (start-up and the admin verbs).
//!
//! # Security
//! No plaintext, key or token is logged, printed by `Debug`, put in an
//! error or written to the database; unwrapped keys live in zeroizing
//! buffers; tracing never records bodies or the Authorization and lease
//! headers.

pub mod access;
pub mod api;
pub mod app;
pub mod audit;
pub mod auth;
pub mod clock;
pub mod config;
pub mod credentials;
pub mod datakeys;
pub mod error;
pub mod inbound;
pub mod keys;
pub mod leases;
pub mod metrics;
pub mod proxies;
pub mod session_state;
pub mod storage;
pub mod users;

/// Unix seconds now.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// Unix microseconds now (orders lease waiters).
pub fn now_us() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
}

//! State shared by every handler.

use std::ops::Deref;
use std::sync::Arc;

use crate::audit::Auditor;
use crate::auth::RateLimiter;
use crate::clock::Clock;
use crate::config::LimitsConfig;
use crate::keys::Keyring;
use crate::metrics::Metrics;
use crate::storage::Store;

/// Cheap to clone: one `Arc`.
#[derive(Clone)]
pub struct AppState(pub Arc<Inner>);

/// What handlers share.
pub struct Inner {
    /// The database.
    pub store: Arc<dyn Store>,
    /// The master keys.
    pub keyring: Arc<Keyring>,
    /// The audit log.
    pub auditor: Auditor,
    /// Prometheus metrics.
    pub metrics: Arc<Metrics>,
    /// Limits.
    pub limits: LimitsConfig,
    /// SHA-256 of the configured admin token.
    pub admin_token_hash: Option<Vec<u8>>,
    /// Failed authentications per client address.
    pub auth_failures: RateLimiter,
    /// `/access` per token.
    pub access_limiter: RateLimiter,
    /// `/totp` per token.
    pub totp_limiter: RateLimiter,
    /// Time for the session-state code paths (injectable for tests).
    pub clock: Arc<dyn Clock>,
}

impl Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl Inner {
    /// Unwraps a data key (counted; failures are 503 or 500, no detail).
    pub async fn unwrap_data_key(
        &self,
        row: &crate::storage::DataKeyRow,
    ) -> crate::error::ApiResult<sealvault::DataKey> {
        self.metrics.unwraps.inc();
        self.keyring
            .unwrap_data_key(row)
            .await
            .map_err(crate::error::ApiError::master_key)
    }
}

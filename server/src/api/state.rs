//! State shared by every handler.

use std::ops::Deref;
use std::sync::Arc;

use crate::audit::Auditor;
use crate::auth::RateLimiter;
use crate::clock::Clock;
use crate::config::LimitsConfig;
use crate::datakeys::cache::KeyCache;
use crate::keys::Keyring;
use crate::metrics::Metrics;
use crate::proxies::Pool;
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
    /// Unwrapped data keys, briefly (`[key_cache]`).
    pub key_cache: Arc<KeyCache>,
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
    /// Inbound webhooks per client address.
    pub inbound_limiter: RateLimiter,
    /// Time for the session-state code paths (injectable for tests).
    pub clock: Arc<dyn Clock>,
    /// The proxy pool.
    pub proxies: Arc<Pool>,
    /// Inbound second factors: settings, key, waiters.
    pub inbound: Arc<crate::inbound::Inbound>,
}

impl Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    /// The data key of `row`: from the key cache, or unwrapped by the
    /// master key (counted; a failure is audited and answers 503) and, when
    /// that master key is local, cached.
    pub async fn unwrap_data_key(
        &self,
        row: &crate::storage::DataKeyRow,
    ) -> crate::error::ApiResult<Arc<sealvault::DataKey>> {
        let cached = sealvault::KeyId::from_slice(&row.key_id)
            .ok()
            .and_then(|id| self.cached_data_key(&row.user_id, &id));
        if let Some(key) = cached {
            return Ok(key);
        }
        self.metrics.unwraps.inc();
        let key = Arc::new(
            self.keyring
                .unwrap_data_key(row)
                .await
                .map_err(|e| self.master_key_failed(&e, "unwrap", &row.user_id))?,
        );
        if self.keyring.caches_unwraps(&row.mk_id) {
            self.key_cache.insert(&row.user_id, key.clone());
        }
        Ok(key)
    }

    /// `user`'s data key `key_id` when the key cache holds it (counted; only
    /// keys of local master keys are cached). Only *a* key of the user:
    /// whoever stores or hands out something under it still checks, in its
    /// transaction, that it is the current one.
    pub fn cached_data_key(
        &self,
        user: &str,
        key_id: &sealvault::KeyId,
    ) -> Option<Arc<sealvault::DataKey>> {
        let key = self.key_cache.get(user, key_id)?;
        self.metrics.key_cache_hits.inc();
        Some(key)
    }

    /// A failed master-key use: `503 master_key_unavailable`, and a
    /// `master_key.failure` audit record (member, operation, non-secret
    /// reason) written in its own transaction once the failing request's
    /// transaction has rolled back, so nothing else of the request is stored.
    pub fn master_key_failed(
        &self,
        error: &crate::keys::KeyError,
        op: &'static str,
        user_id: &str,
    ) -> crate::error::ApiError {
        let detail = serde_json::json!({
            "mk_id": error.member(),
            "op": op,
            "reason": error.to_string(),
        });
        let event = crate::audit::Event::new("master_key.failure")
            .by(Some(user_id), None)
            .detail(detail);
        let state = self.clone();
        tokio::spawn(async move {
            if let Err(e) = state.auditor.record(event, crate::now()).await {
                tracing::error!(cause = %e, "cannot audit a master-key failure");
            }
        });
        crate::error::ApiError::master_key(error)
    }
}

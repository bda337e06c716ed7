//! Member health: the periodic TCP connect check (every replica runs one;
//! results go to the database) and the admin mark.

use std::time::Duration;

use sealvault::wire::ProxyHealth;
use tokio::net::TcpStream;
use tokio::task::{JoinHandle, JoinSet};

use super::Pool;
use crate::api::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};
use crate::now;
use crate::storage::{Store, StoreResult};

/// Records every configured member (id, exit IP) in the database.
pub async fn register(store: &dyn Store, pool: &Pool) -> StoreResult<()> {
    let mut tx = store.write().await?;
    for member in &pool.members {
        tx.upsert_proxy(&member.id, &member.ip.to_string()).await?;
    }
    tx.commit().await
}

/// Whether a TCP connection to `host:port` opens within `timeout`.
async fn reachable(host: String, port: u16, timeout: Duration) -> bool {
    let connect = TcpStream::connect((host.as_str(), port));
    matches!(tokio::time::timeout(timeout, connect).await, Ok(Ok(_)))
}

/// Checks every member at once, records the results and updates the gauge.
pub async fn check_all(state: &AppState) -> StoreResult<()> {
    let pool = &state.proxies;
    let timeout = Duration::from_secs(pool.check_timeout_secs);
    let mut checks = JoinSet::new();
    for member in &pool.members {
        let (id, host, port) = (member.id.clone(), member.host.clone(), member.port);
        checks.spawn(async move { (id, reachable(host, port, timeout).await) });
    }
    let results = checks.join_all().await;
    let at = now();
    let mut tx = state.store.write().await?;
    for (id, up) in &results {
        tracing::debug!(proxy = %id, reachable = up, "proxy check");
        tx.set_proxy_check(id, *up, at).await?;
    }
    tx.commit().await?;
    refresh_gauge(state).await
}

/// Sets the healthy-members gauge from the database.
pub async fn refresh_gauge(state: &AppState) -> StoreResult<()> {
    let mut tx = state.store.read().await?;
    let rows = tx.proxies().await?;
    let healthy = rows
        .iter()
        .filter(|r| r.healthy() && state.proxies.member(&r.id).is_some())
        .count();
    state
        .metrics
        .proxies_healthy
        .set(i64::try_from(healthy).unwrap_or(i64::MAX));
    Ok(())
}

/// Registers the pool, checks it once (so the first answers know), then
/// keeps checking every `check_interval_secs` until the task is aborted.
pub async fn spawn(state: AppState) -> Result<Option<JoinHandle<()>>, String> {
    if state.proxies.members.is_empty() {
        return Ok(None);
    }
    register(state.store.as_ref(), &state.proxies)
        .await
        .map_err(|e| format!("proxy pool: {e}"))?;
    check_all(&state)
        .await
        .map_err(|e| format!("proxy check: {e}"))?;
    let every = Duration::from_secs(state.proxies.check_interval_secs);
    Ok(Some(tokio::spawn(async move {
        loop {
            tokio::time::sleep(every).await;
            if let Err(e) = check_all(&state).await {
                tracing::warn!("proxy check failed: {e}");
            }
        }
    })))
}

/// `POST /v1/admin/proxies/{id}/health`: sets or clears the admin mark of
/// a configured member; `not_found` for an id outside the pool.
pub async fn mark(
    state: &AppState,
    principal: &Principal,
    id: &str,
    health: ProxyHealth,
) -> ApiResult<()> {
    let member = state.proxies.member(id).ok_or_else(ApiError::not_found)?;
    let at = now();
    let mut tx = state.store.write().await?;
    tx.upsert_proxy(&member.id, &member.ip.to_string()).await?;
    tx.set_proxy_admin(&member.id, health.healthy, at).await?;
    let detail = serde_json::json!({ "proxy": member.id, "healthy": health.healthy });
    state
        .auditor
        .append(
            tx.as_mut(),
            principal.event("proxy.health").detail(detail),
            at,
        )
        .await?;
    tx.commit().await?;
    refresh_gauge(state).await?;
    Ok(())
}

/// Keeps the check task alive with the vault; aborts it when dropped.
#[derive(Debug, Default)]
pub struct Checker(Option<JoinHandle<()>>);

impl Checker {
    /// Wraps the task [`spawn`] started.
    pub fn new(task: Option<JoinHandle<()>>) -> Self {
        Self(task)
    }
}

impl Drop for Checker {
    fn drop(&mut self) {
        if let Some(task) = self.0.take() {
            task.abort();
        }
    }
}

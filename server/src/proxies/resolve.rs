//! `POST /v1/credentials/{id}/proxy`: the credential's pool member when its
//! config enables one (sticky), else the workflow proxy passed in, else none.

use std::net::IpAddr;

use sealvault::wire::{
    CredentialConfig, ProxyAnswer, ProxyChoice, ProxyRequest, ProxySource, SecretString,
};

use super::{Member, choose};
use crate::api::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};
use crate::leases::live_lease;
use crate::now;
use crate::storage::Tx;

/// Resolves the proxy for a lease holder of `item`.
pub async fn resolve(
    state: &AppState,
    principal: &Principal,
    item: &str,
    secret: &str,
    request: ProxyRequest,
) -> ApiResult<ProxyAnswer> {
    let user = principal.user()?;
    let at = now();
    let mut tx = state.store.write().await?;
    let row = match tx.lock_credential(user, item).await? {
        Some(row) if !row.deleted => row,
        _ => return Err(ApiError::not_found()),
    };
    let lease = live_lease(tx.as_mut(), principal, item, secret).await?;
    let config: CredentialConfig =
        serde_json::from_str(row.config.as_deref().unwrap_or("{}")).map_err(ApiError::internal)?;
    let answer = match config.proxy.filter(|p| p.enabled) {
        Some(proxy) => {
            let member = sticky_member(state, tx.as_mut(), user, item, proxy.target_ip).await?;
            pool_answer(member)
        }
        None => workflow_answer(request),
    };
    let detail = serde_json::json!({
        "session": lease.id,
        "source": source_name(answer.source),
        "proxy": answer.proxy.as_ref().and_then(|p| p.id.as_deref()),
    });
    state
        .auditor
        .append(
            tx.as_mut(),
            principal.event("proxy.resolve").item(item).detail(detail),
            at,
        )
        .await?;
    tx.commit().await?;
    state.metrics.proxy_resolution(source_name(answer.source));
    Ok(answer)
}

fn source_name(source: ProxySource) -> &'static str {
    match source {
        ProxySource::Credential => "credential",
        ProxySource::Workflow => "workflow",
        ProxySource::None => "none",
    }
}

fn pool_answer(member: &Member) -> ProxyAnswer {
    ProxyAnswer {
        source: ProxySource::Credential,
        proxy: Some(ProxyChoice {
            id: Some(member.id.clone()),
            url: SecretString::new(member.url.expose_secret().to_owned()),
            ip: Some(member.ip.to_string()),
        }),
    }
}

fn workflow_answer(request: ProxyRequest) -> ProxyAnswer {
    match request.workflow_proxy {
        Some(proxy) => ProxyAnswer {
            source: ProxySource::Workflow,
            proxy: Some(ProxyChoice {
                id: None,
                url: proxy.url,
                ip: proxy.ip,
            }),
        },
        None => ProxyAnswer {
            source: ProxySource::None,
            proxy: None,
        },
    }
}

/// The credential's member: the stored one while in the pool and healthy,
/// else the nearest healthy one, stored. The caller holds the credential's
/// row lock, so concurrent resolvers on any replica agree.
async fn sticky_member<'a>(
    state: &'a AppState,
    tx: &mut dyn Tx,
    user: &str,
    item: &str,
    target: Option<IpAddr>,
) -> ApiResult<&'a Member> {
    let pool = &state.proxies;
    let rows = tx.proxies().await?;
    let healthy: Vec<&Member> = pool
        .members
        .iter()
        .filter(|m| {
            rows.iter()
                .find(|r| r.id == m.id)
                .is_none_or(|r| r.healthy())
        })
        .collect();
    let current = tx.credential_proxy(user, item).await?;
    if let Some(member) = current.and_then(|id| healthy.iter().find(|m| m.id == id)) {
        return Ok(member);
    }
    let chosen = choose::nearest(&healthy, target, pool.geo.as_ref())
        .ok_or_else(ApiError::proxy_unavailable)?;
    tx.set_credential_proxy(user, item, &chosen.id).await?;
    Ok(chosen)
}

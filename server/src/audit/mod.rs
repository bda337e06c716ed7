//! The audit log: one record per data-key creation and unwrap, access,
//! TOTP, lease, rotation, master-key use, token mint and auth failure,
//! chained by HMAC-SHA256 under the audit key (wrapped by the master key).
//!
//! `mac[n] = HMAC(audit key, mac[n-1] | u64be(seq) | i64be(at) | lp(action)
//! | opt(user) | opt(token) | opt(item) | lp(detail))`, `mac[0]` empty. A
//! database writer without the audit key can neither alter nor remove a
//! record (nor append one) without [`verify`] noticing; the head row makes
//! a cut-off tail visible unless the head is rolled back too.

use std::sync::Arc;

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::keys::VaultKey;
use crate::metrics::Metrics;
use crate::storage::{AuditRow, Store, StoreResult, Tx};

/// Something to record. Never put secrets in `detail`.
#[derive(Debug, Clone, Default)]
pub struct Event {
    /// Dotted action name, e.g. `credential.put`.
    pub action: &'static str,
    /// The user concerned.
    pub user_id: Option<String>,
    /// The acting token.
    pub token_id: Option<String>,
    /// The item concerned.
    pub item_id: Option<String>,
    /// Non-secret details.
    pub detail: serde_json::Value,
}

impl Event {
    /// An event with an action only.
    pub fn new(action: &'static str) -> Self {
        Self {
            action,
            detail: serde_json::Value::Object(Default::default()),
            ..Self::default()
        }
    }

    /// Sets the user and token.
    pub fn by(mut self, user_id: Option<&str>, token_id: Option<&str>) -> Self {
        self.user_id = user_id.map(str::to_owned);
        self.token_id = token_id.map(str::to_owned);
        self
    }

    /// Sets the item.
    pub fn item(mut self, item_id: &str) -> Self {
        self.item_id = Some(item_id.to_owned());
        self
    }

    /// Sets the details.
    pub fn detail(mut self, detail: serde_json::Value) -> Self {
        self.detail = detail;
        self
    }
}

fn put_lp(mac: &mut Hmac<Sha256>, part: &[u8]) {
    mac.update(&(part.len() as u64).to_be_bytes());
    mac.update(part);
}

fn put_opt(mac: &mut Hmac<Sha256>, part: Option<&str>) {
    match part {
        Some(text) => {
            mac.update(&[1]);
            put_lp(mac, text.as_bytes());
        }
        None => mac.update(&[0]),
    }
}

/// The chain MAC of `row` after `prev`.
pub fn chain_mac(key: &VaultKey, prev: &[u8], row: &AuditRow) -> Vec<u8> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key.expose_secret())
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    put_lp(&mut mac, prev);
    mac.update(&row.seq.to_be_bytes());
    mac.update(&row.at.to_be_bytes());
    put_lp(&mut mac, row.action.as_bytes());
    put_opt(&mut mac, row.user_id.as_deref());
    put_opt(&mut mac, row.token_id.as_deref());
    put_opt(&mut mac, row.item_id.as_deref());
    put_lp(&mut mac, row.detail.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

/// Writes audit records.
pub struct Auditor {
    key: VaultKey,
    store: Arc<dyn Store>,
    metrics: Arc<Metrics>,
}

impl Auditor {
    /// An auditor over `store` with the unwrapped audit key.
    pub fn new(key: VaultKey, store: Arc<dyn Store>, metrics: Arc<Metrics>) -> Self {
        Self {
            key,
            store,
            metrics,
        }
    }

    /// Appends `event` inside `tx` (the flow's own transaction).
    pub async fn append(&self, tx: &mut dyn Tx, event: Event, now: i64) -> StoreResult<()> {
        let (seq, prev) = tx.lock_audit_head().await?;
        let mut row = AuditRow {
            seq: seq + 1,
            at: now,
            action: event.action.to_owned(),
            user_id: event.user_id,
            token_id: event.token_id,
            item_id: event.item_id,
            detail: event.detail.to_string(),
            mac: Vec::new(),
        };
        row.mac = chain_mac(&self.key, &prev, &row);
        tx.append_audit(&row).await?;
        self.metrics.audit_writes.inc();
        Ok(())
    }

    /// Appends `event` in a transaction of its own.
    pub async fn record(&self, event: Event, now: i64) -> StoreResult<()> {
        let mut tx = self.store.write().await?;
        self.append(tx.as_mut(), event, now).await?;
        tx.commit().await
    }

    /// Checks the whole chain.
    pub async fn verify(&self) -> StoreResult<Result<u64, String>> {
        verify(self.store.as_ref(), &self.key).await
    }
}

/// Walks the chain from the first record: every `seq` in order, every MAC
/// right, the head at the last. `Ok(Ok(n))` for `n` good records,
/// `Ok(Err(reason))` at the first problem.
pub async fn verify(store: &dyn Store, key: &VaultKey) -> StoreResult<Result<u64, String>> {
    let mut tx = store.read().await?;
    let mut prev = Vec::new();
    let mut last = 0i64;
    loop {
        let page = tx.audit(None, last, 1000).await?;
        if page.is_empty() {
            break;
        }
        for row in &page {
            if row.seq != last + 1 {
                return Ok(Err(format!(
                    "record {} is missing (next is {})",
                    last + 1,
                    row.seq
                )));
            }
            let expected = chain_mac(key, &prev, row);
            if !bool::from(expected.ct_eq(&row.mac)) {
                return Ok(Err(format!("record {} was altered (bad MAC)", row.seq)));
            }
            prev = row.mac.clone();
            last = row.seq;
        }
    }
    let (head_seq, head_mac) = tx.lock_audit_head().await?;
    if head_seq != last || !bool::from(head_mac.ct_eq(&prev)) {
        return Ok(Err(format!(
            "the head names record {head_seq} but the chain ends at {last}"
        )));
    }
    Ok(Ok(u64::try_from(last).unwrap_or(0)))
}

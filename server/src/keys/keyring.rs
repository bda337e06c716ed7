//! The keyring: master keys by id, one active for wrapping, every member for
//! unwrapping. Wrapping AAD (DESIGN §5):
//! `"sealvault/v1/dk" | lp(mk_id) | lp(user_id) | lp(key_id)`; vault keys use
//! `"sealvault/v1/vk" | lp(mk_id) | lp(name)`.
//!
//! Every master-key use goes through [`Keyring::observe`]: it is counted in
//! `/metrics` by member, operation and result, timed, and its outcome is
//! kept per member for `/healthz`. A failure is never retried with another
//! member: the caller fails closed.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::RngCore;
use sealvault::DataKey;
use zeroize::Zeroizing;

use super::provider::{KeyError, MasterKeyProvider};
use crate::metrics::Metrics;
use crate::storage::{DataKeyRow, StoreError, Tx, VaultKeyRow};

const DK_LABEL: &[u8] = b"sealvault/v1/dk";
const VK_LABEL: &[u8] = b"sealvault/v1/vk";
const PROBE_LABEL: &[u8] = b"sealvault/v1/probe";
/// A healthy member is probed again by `/healthz` after this long idle.
const PROBE_AFTER: Duration = Duration::from_secs(10);
/// `/healthz` waits no longer than this for a probe.
const PROBE_TIMEOUT: Duration = Duration::from_secs(3);

fn lp(out: &mut Vec<u8>, part: &[u8]) {
    // Ids are short; anything longer than u16 is truncated by design never.
    let len = u16::try_from(part.len()).unwrap_or(u16::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&part[..usize::from(len)]);
}

/// The AAD that binds a wrapped data key to its master key, user and id.
pub fn dk_aad(mk_id: &str, user_id: &str, key_id: &[u8]) -> Vec<u8> {
    let mut aad = DK_LABEL.to_vec();
    lp(&mut aad, mk_id.as_bytes());
    lp(&mut aad, user_id.as_bytes());
    lp(&mut aad, key_id);
    aad
}

fn vk_aad(mk_id: &str, name: &str) -> Vec<u8> {
    let mut aad = VK_LABEL.to_vec();
    lp(&mut aad, mk_id.as_bytes());
    lp(&mut aad, name.as_bytes());
    aad
}

/// Master keys by id, one active.
pub struct Keyring {
    members: Vec<Arc<dyn MasterKeyProvider>>,
    active: usize,
    metrics: Option<Arc<Metrics>>,
    last: Mutex<HashMap<String, Outcome>>,
}

/// The last outcome of a member's use.
#[derive(Clone)]
struct Outcome {
    at: Instant,
    error: Option<String>,
}

/// A member's state as `/healthz` reports it (no secrets: ids and reasons).
#[derive(Debug, Clone, serde::Serialize)]
pub struct MemberHealth {
    /// Member id.
    pub id: String,
    /// Wraps new keys.
    pub active: bool,
    /// `ok` or `unavailable`.
    pub status: &'static str,
    /// Why not, when unavailable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

fn result_label(result: &Result<(), &KeyError>) -> &'static str {
    match result {
        Ok(()) => "ok",
        Err(KeyError::Unavailable { .. }) => "unavailable",
        Err(KeyError::Unwrap(_)) => "refused",
        Err(KeyError::UnknownMember(_)) => "unknown_member",
    }
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ids: Vec<&str> = self.members.iter().map(|m| m.id()).collect();
        f.debug_struct("Keyring")
            .field("members", &ids)
            .field("active", &self.active_id())
            .finish()
    }
}

/// A vault-internal 32-byte key (audit, inbound), zeroized on drop.
pub struct VaultKey(Zeroizing<[u8; 32]>);

impl VaultKey {
    /// A key from raw bytes (tests, and keys just unwrapped).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(Zeroizing::new(bytes))
    }

    /// The raw bytes. Never log them.
    pub fn expose_secret(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for VaultKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("VaultKey([redacted])")
    }
}

impl Keyring {
    /// A keyring; `active` must name a member.
    pub fn new(members: Vec<Arc<dyn MasterKeyProvider>>, active: &str) -> Result<Self, KeyError> {
        let index = members
            .iter()
            .position(|m| m.id() == active)
            .ok_or_else(|| KeyError::UnknownMember(active.to_owned()))?;
        Ok(Self {
            members,
            active: index,
            metrics: None,
            last: Mutex::new(HashMap::new()),
        })
    }

    /// Counts and times every master-key use in `metrics`.
    pub fn with_metrics(mut self, metrics: Arc<Metrics>) -> Self {
        self.metrics = Some(metrics);
        self
    }

    /// Runs one use of member `mk` (`op` = `wrap`, `unwrap` or `probe`),
    /// recording its outcome.
    async fn observe<T>(
        &self,
        mk: &dyn MasterKeyProvider,
        op: &'static str,
        call: impl std::future::Future<Output = Result<T, KeyError>>,
    ) -> Result<T, KeyError> {
        let start = Instant::now();
        let result = call.await;
        let outcome = result.as_ref().map(|_| ());
        if let Some(metrics) = &self.metrics {
            metrics.master_key_use(mk.id(), op, result_label(&outcome), start.elapsed());
        }
        // A refused unwrap (bad tag) says nothing about the member's health.
        if !matches!(outcome, Err(KeyError::Unwrap(_)))
            && let Ok(mut last) = self.last.lock()
        {
            let error = outcome.err().map(|e| e.to_string());
            last.insert(mk.id().to_owned(), Outcome { at: start, error });
        }
        result
    }

    async fn probe(&self, mk: &dyn MasterKeyProvider) -> Result<(), KeyError> {
        let mut aad = PROBE_LABEL.to_vec();
        lp(&mut aad, mk.id().as_bytes());
        let mut key = Zeroizing::new([0u8; 32]);
        rand::rngs::OsRng.fill_bytes(key.as_mut_slice());
        let wrapped = self
            .observe(mk, "probe", mk.wrap(key.as_slice(), &aad))
            .await?;
        let back = self.observe(mk, "probe", mk.unwrap(&wrapped, &aad)).await?;
        if back.as_slice() != key.as_slice() {
            return Err(KeyError::Unwrap(mk.id().to_owned()));
        }
        Ok(())
    }

    /// Every member's state for `/healthz`. A member whose last use failed,
    /// or that has been idle for a while, is probed first (a wrap and an
    /// unwrap of a random key that is then dropped), at most
    /// `PROBE_TIMEOUT` long.
    pub async fn health(&self) -> Vec<MemberHealth> {
        let mut out = Vec::with_capacity(self.members.len());
        for (index, mk) in self.members.iter().enumerate() {
            let last = self.last.lock().ok().and_then(|l| l.get(mk.id()).cloned());
            let stale = last
                .as_ref()
                .is_none_or(|o| o.error.is_some() || o.at.elapsed() > PROBE_AFTER);
            let error = if stale {
                match tokio::time::timeout(PROBE_TIMEOUT, self.probe(mk.as_ref())).await {
                    Ok(result) => result.err().map(|e| e.to_string()),
                    Err(_) => Some(format!("master key {:?}: probe timed out", mk.id())),
                }
            } else {
                last.and_then(|o| o.error)
            };
            out.push(MemberHealth {
                id: mk.id().to_owned(),
                active: index == self.active,
                status: if error.is_some() { "unavailable" } else { "ok" },
                reason: error,
            });
        }
        out
    }

    /// Whether data keys member `id` unwraps may be cached: only a local
    /// member's (`file`, `env`), which nothing outside can withdraw.
    pub fn caches_unwraps(&self, id: &str) -> bool {
        self.member(id).is_ok_and(|m| !m.revocable())
    }

    /// The id of the member that wraps.
    pub fn active_id(&self) -> &str {
        self.members[self.active].id()
    }

    fn member(&self, id: &str) -> Result<&dyn MasterKeyProvider, KeyError> {
        self.members
            .iter()
            .find(|m| m.id() == id)
            .map(|m| m.as_ref())
            .ok_or_else(|| KeyError::UnknownMember(id.to_owned()))
    }

    /// Wraps a data key for a user with the active member: `(mk_id, wrapped)`.
    pub async fn wrap_data_key(
        &self,
        user_id: &str,
        key: &DataKey,
    ) -> Result<(String, Vec<u8>), KeyError> {
        let mk = &self.members[self.active];
        let aad = dk_aad(mk.id(), user_id, key.key_id().as_bytes());
        let wrapped = self
            .observe(mk.as_ref(), "wrap", mk.wrap(key.expose_secret(), &aad))
            .await?;
        Ok((mk.id().to_owned(), wrapped))
    }

    /// Unwraps a stored data key with the member that wrapped it.
    pub async fn unwrap_data_key(&self, row: &DataKeyRow) -> Result<DataKey, KeyError> {
        let aad = dk_aad(&row.mk_id, &row.user_id, &row.key_id);
        let mk = self.member(&row.mk_id)?;
        let raw = self
            .observe(mk, "unwrap", mk.unwrap(&row.wrapped, &aad))
            .await?;
        DataKey::from_bytes(&row.key_id, &raw).map_err(|_| KeyError::Unwrap(row.mk_id.clone()))
    }

    /// Wraps a vault key under the active member: `(mk_id, wrapped)`.
    pub async fn wrap_vault_key(
        &self,
        name: &str,
        key: &VaultKey,
    ) -> Result<(String, Vec<u8>), KeyError> {
        let mk = &self.members[self.active];
        let aad = vk_aad(mk.id(), name);
        let wrapped = self
            .observe(mk.as_ref(), "wrap", mk.wrap(key.expose_secret(), &aad))
            .await?;
        Ok((mk.id().to_owned(), wrapped))
    }

    /// Unwraps a stored vault key.
    pub async fn unwrap_vault_key(&self, row: &VaultKeyRow) -> Result<VaultKey, KeyError> {
        let mk = self.member(&row.mk_id)?;
        let aad = vk_aad(&row.mk_id, &row.name);
        let raw = self
            .observe(mk, "unwrap", mk.unwrap(&row.wrapped, &aad))
            .await?;
        let mut key = Zeroizing::new([0u8; 32]);
        if raw.len() != 32 {
            return Err(KeyError::Unwrap(row.mk_id.clone()));
        }
        key.copy_from_slice(&raw);
        Ok(VaultKey(key))
    }
}

/// Loads a vault key, creating and storing it on first use.
pub async fn load_vault_key(
    tx: &mut dyn Tx,
    keyring: &Keyring,
    name: &str,
    now: i64,
) -> Result<VaultKey, LoadError> {
    if let Some(row) = tx.vault_key(name).await? {
        return Ok(keyring.unwrap_vault_key(&row).await?);
    }
    let mut raw = Zeroizing::new([0u8; 32]);
    rand::rngs::OsRng.fill_bytes(raw.as_mut_slice());
    let key = VaultKey(raw);
    let (mk_id, wrapped) = keyring.wrap_vault_key(name, &key).await?;
    tx.insert_vault_key(&VaultKeyRow {
        name: name.to_owned(),
        mk_id,
        wrapped,
        created_at: now,
    })
    .await?;
    Ok(key)
}

/// Loading a vault key failed.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// Storage.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Master key.
    #[error(transparent)]
    Key(#[from] KeyError),
}

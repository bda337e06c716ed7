//! Storage behind one trait, with SQLite and PostgreSQL implementations.
//!
//! # About
//! [`Store`] opens transactions; every read and write goes through a
//! [`Tx`]. Write transactions take the database's write lock where needed:
//! SQLite runs them as `BEGIN IMMEDIATE` (one writer at a time, waiting on
//! the busy timeout), PostgreSQL takes row locks (`SELECT … FOR UPDATE`) on
//! the rows a flow decides on (a user's data-key row, a credential's row,
//! the audit head). So limits hold across replicas, never by in-process
//! locks alone.
//!
//! Both implementations share their SQL (numbered `$n` parameters, which
//! SQLite accepts too) through one macro; SQLite runs it inline through
//! rusqlite, PostgreSQL through sqlx. Versioned migrations live in
//! `server/migrations/{sqlite,postgres}/`.

mod inbound;
mod migrations;
mod postgres;
mod query;
mod rows;
mod sql;
mod sqlite;

use async_trait::async_trait;

pub use inbound::{InboundCodeRow, InboundTx};
pub use migrations::run as run_migrations;
pub use postgres::PgStore;
pub use rows::*;
pub use sql::connect;
pub use sqlite::SqliteStore;

/// A storage failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique constraint refused the write (a concurrent writer won).
    #[error("unique constraint violated")]
    Conflict,
    /// Anything else from the database.
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    /// Anything else from SQLite.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The store could not start a thread or open a file.
    #[error("storage I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// A migration failed.
    #[error("migration error: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A stored value does not decode.
    #[error("corrupt row: {0}")]
    Corrupt(String),
}

/// Storage result.
pub type StoreResult<T> = Result<T, StoreError>;

/// A database: opens transactions.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// A transaction that will write: takes SQLite's write lock at once.
    async fn write(&self) -> StoreResult<Box<dyn Tx>>;
    /// A transaction that only reads.
    async fn read(&self) -> StoreResult<Box<dyn Tx>>;
    /// Runs pending migrations.
    async fn migrate(&self) -> StoreResult<()>;
    /// A token by the SHA-256 of its secret, in one statement outside any
    /// transaction (authentication of every request).
    async fn token_by_hash(&self, hash: &[u8]) -> StoreResult<Option<TokenRow>>;
    /// The user's current data key, in one statement outside any
    /// transaction (what ingest verifies against before it writes).
    async fn data_key(&self, user_id: &str) -> StoreResult<Option<DataKeyRow>>;
    /// `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;
}

/// One transaction. Dropped without [`Tx::commit`], it rolls back.
#[async_trait]
pub trait Tx: Send {
    /// Commits.
    async fn commit(self: Box<Self>) -> StoreResult<()>;
    /// The inbound second-factor tables, in this transaction.
    fn inbound(&mut self) -> &mut dyn InboundTx;

    // users and tokens
    /// Inserts a user.
    async fn insert_user(&mut self, user: &UserRow) -> StoreResult<()>;
    /// A user by id.
    async fn user(&mut self, id: &str) -> StoreResult<Option<UserRow>>;
    /// Inserts a token.
    async fn insert_token(&mut self, token: &TokenRow) -> StoreResult<()>;
    /// A token by the SHA-256 of its secret.
    async fn token_by_hash(&mut self, hash: &[u8]) -> StoreResult<Option<TokenRow>>;
    /// A user's tokens.
    async fn tokens(&mut self, user_id: &str) -> StoreResult<Vec<TokenRow>>;
    /// Revokes a user's token; false when there is none.
    async fn revoke_token(&mut self, user_id: &str, token_id: &str, now: i64) -> StoreResult<bool>;

    // data keys and vault keys
    /// The user's current data key, row-locked in a write transaction.
    async fn lock_data_key(&mut self, user_id: &str) -> StoreResult<Option<DataKeyRow>>;
    /// The user's current data key.
    async fn data_key(&mut self, user_id: &str) -> StoreResult<Option<DataKeyRow>>;
    /// Inserts a data key (one per user: a second is a conflict).
    async fn insert_data_key(&mut self, key: &DataKeyRow) -> StoreResult<()>;
    /// Deletes a data key by id.
    async fn delete_data_key(&mut self, key_id: &[u8]) -> StoreResult<()>;
    /// Every data key (master-key rotation).
    async fn all_data_keys(&mut self) -> StoreResult<Vec<DataKeyRow>>;
    /// Replaces a data key's wrapping.
    async fn rewrap_data_key(
        &mut self,
        key_id: &[u8],
        mk_id: &str,
        wrapped: &[u8],
    ) -> StoreResult<()>;
    /// A vault-internal key (`audit`, `inbound`).
    async fn vault_key(&mut self, name: &str) -> StoreResult<Option<VaultKeyRow>>;
    /// Inserts a vault-internal key.
    async fn insert_vault_key(&mut self, key: &VaultKeyRow) -> StoreResult<()>;
    /// Replaces a vault-internal key's wrapping.
    async fn rewrap_vault_key(
        &mut self,
        name: &str,
        mk_id: &str,
        wrapped: &[u8],
    ) -> StoreResult<()>;

    // credentials
    /// A credential or tombstone, row-locked in a write transaction.
    async fn lock_credential(
        &mut self,
        user_id: &str,
        item_id: &str,
    ) -> StoreResult<Option<CredentialRow>>;
    /// A credential or tombstone.
    async fn credential(
        &mut self,
        user_id: &str,
        item_id: &str,
    ) -> StoreResult<Option<CredentialRow>>;
    /// The user's live credentials (no tombstones), by id.
    async fn credentials(&mut self, user_id: &str) -> StoreResult<Vec<CredentialRow>>;
    /// How many live credentials the user has (a counter, not a count).
    async fn count_credentials(&mut self, user_id: &str) -> StoreResult<i64>;
    /// Counts one more live credential unless the user has `limit`
    /// already; false then.
    async fn add_live_item(&mut self, user_id: &str, limit: i64) -> StoreResult<bool>;
    /// Counts one live credential less.
    async fn remove_live_item(&mut self, user_id: &str) -> StoreResult<()>;
    /// Inserts a new item row.
    async fn insert_credential(&mut self, row: &CredentialRow) -> StoreResult<()>;
    /// Replaces an item row if its version is still `expected`; false otherwise.
    async fn update_credential(&mut self, row: &CredentialRow, expected: i64) -> StoreResult<bool>;
    /// Replaces the envelopes of a row (rotation).
    async fn reseal_credential(
        &mut self,
        user_id: &str,
        item_id: &str,
        key_id: &[u8],
        envelope: &[u8],
        totp_envelope: Option<&[u8]>,
    ) -> StoreResult<()>;
    /// Whether `(key_id, salt)` was seen.
    async fn salt_seen(&mut self, key_id: &[u8], salt: &[u8]) -> StoreResult<bool>;
    /// Records `(key_id, salt)`; a repeat is [`StoreError::Conflict`].
    async fn insert_salt(&mut self, key_id: &[u8], salt: &[u8]) -> StoreResult<()>;
    /// Forgets the salts of a deleted key.
    async fn delete_salts(&mut self, key_id: &[u8]) -> StoreResult<()>;

    // leases
    /// Bumps and returns the credential's fencing counter; row-locks it.
    async fn bump_fencing(&mut self, user_id: &str, item_id: &str) -> StoreResult<Option<i64>>;
    /// Deletes the credential's leases that expired at or before `now`.
    async fn reap_leases(&mut self, user_id: &str, item_id: &str, now: i64) -> StoreResult<u64>;
    /// The credential's open leases.
    async fn leases(&mut self, user_id: &str, item_id: &str) -> StoreResult<Vec<LeaseRow>>;
    /// Inserts a lease.
    async fn insert_lease(&mut self, lease: &LeaseRow) -> StoreResult<()>;
    /// A lease by id.
    async fn lease(&mut self, id: &str) -> StoreResult<Option<LeaseRow>>;
    /// Sets a lease's phase and expiry.
    async fn update_lease(&mut self, id: &str, phase: &str, expires_at: i64) -> StoreResult<()>;
    /// Deletes a lease.
    async fn delete_lease(&mut self, id: &str) -> StoreResult<()>;
    /// Deletes every lease of a credential (when it is deleted).
    async fn delete_leases(&mut self, user_id: &str, item_id: &str) -> StoreResult<()>;
    /// Registers or refreshes a lease waiter; returns its arrival number.
    async fn touch_waiter(&mut self, waiter: &WaiterRow) -> StoreResult<()>;
    /// Live waiters of a credential, oldest first.
    async fn waiters(
        &mut self,
        user_id: &str,
        item_id: &str,
        seen_after: i64,
    ) -> StoreResult<Vec<WaiterRow>>;
    /// Removes a waiter.
    async fn delete_waiter(&mut self, id: &str) -> StoreResult<()>;

    // TOTP hand-outs
    /// The lease a code of this step was handed to, if any.
    async fn totp_issued(
        &mut self,
        user_id: &str,
        item_id: &str,
        step: i64,
    ) -> StoreResult<Option<String>>;
    /// Records a hand-out; a second one for the step is [`StoreError::Conflict`].
    async fn insert_totp_issued(
        &mut self,
        user_id: &str,
        item_id: &str,
        step: i64,
        lease_id: &str,
        now: i64,
    ) -> StoreResult<()>;

    // session states
    /// A credential's session state.
    async fn session_state(
        &mut self,
        user_id: &str,
        item_id: &str,
    ) -> StoreResult<Option<SessionStateRow>>;
    /// Every session state of a user (rotation).
    async fn session_states(&mut self, user_id: &str) -> StoreResult<Vec<SessionStateRow>>;
    /// Inserts or replaces a credential's session state.
    async fn put_session_state(&mut self, row: &SessionStateRow) -> StoreResult<()>;
    /// Moves a state's `last_used_at`.
    async fn touch_session_state(
        &mut self,
        user_id: &str,
        item_id: &str,
        at: i64,
    ) -> StoreResult<()>;
    /// Deletes a credential's session state; false when there was none.
    async fn delete_session_state(&mut self, user_id: &str, item_id: &str) -> StoreResult<bool>;
    /// Replaces a state's envelope (rotation).
    async fn reseal_session_state(
        &mut self,
        user_id: &str,
        item_id: &str,
        key_id: &[u8],
        envelope: &[u8],
    ) -> StoreResult<()>;
    /// The state counters on a credential's row (tombstones included).
    async fn state_counters(
        &mut self,
        user_id: &str,
        item_id: &str,
    ) -> StoreResult<Option<StateCounters>>;
    /// Sets the state counters if the version is still `expected`; false otherwise.
    async fn set_state_counters(
        &mut self,
        user_id: &str,
        item_id: &str,
        counters: StateCounters,
        expected: i64,
    ) -> StoreResult<bool>;
    /// The times of every user's states after `(user_id, item_id)`, in key
    /// order, with their credential's config (no envelopes): the sweeper's scan.
    async fn state_times(
        &mut self,
        after: (&str, &str),
        limit: i64,
    ) -> StoreResult<Vec<StateTimes>>;

    // proxies
    /// Records a pool member (id and exit IP) if missing, else updates its IP.
    async fn upsert_proxy(&mut self, id: &str, ip: &str) -> StoreResult<()>;
    /// Every recorded pool member, by id.
    async fn proxies(&mut self) -> StoreResult<Vec<ProxyRow>>;
    /// Records a TCP check's result.
    async fn set_proxy_check(&mut self, id: &str, healthy: bool, at: i64) -> StoreResult<()>;
    /// Records an admin mark.
    async fn set_proxy_admin(&mut self, id: &str, healthy: bool, at: i64) -> StoreResult<()>;
    /// The pool member a credential is stuck to.
    async fn credential_proxy(
        &mut self,
        user_id: &str,
        item_id: &str,
    ) -> StoreResult<Option<String>>;
    /// Sticks a credential to a pool member.
    async fn set_credential_proxy(
        &mut self,
        user_id: &str,
        item_id: &str,
        proxy_id: &str,
    ) -> StoreResult<()>;

    // audit
    /// The chain head `(seq, mac)`, row-locked in a write transaction.
    async fn lock_audit_head(&mut self) -> StoreResult<(i64, Vec<u8>)>;
    /// Appends a record and moves the head to it.
    async fn append_audit(&mut self, row: &AuditRow) -> StoreResult<()>;
    /// Records after `after_seq`, oldest first, optionally one user's.
    async fn audit(
        &mut self,
        user_id: Option<&str>,
        after_seq: i64,
        limit: i64,
    ) -> StoreResult<Vec<AuditRow>>;
}

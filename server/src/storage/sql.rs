//! The SQLite and PostgreSQL stores: one body of SQL, two sqlx drivers.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Pool, Postgres, Row, Sqlite, Transaction};
use tokio::sync::{Mutex, OwnedMutexGuard};

use super::{
    AuditRow, CredentialRow, DataKeyRow, LeaseRow, ProxyRow, SessionStateRow, StateCounters,
    StateTimes, Store, StoreError, StoreResult, TokenRow, Tx, UserRow, VaultKeyRow, WaiterRow,
    migrations,
};

/// Opens the store a database URL names (`sqlite://…` or `postgres://…`).
pub async fn connect(url: &str) -> StoreResult<Box<dyn Store>> {
    if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        Ok(Box::new(PgStore::connect(url).await?))
    } else if url.starts_with("sqlite:") {
        Ok(Box::new(SqliteStore::connect(url).await?))
    } else {
        Err(StoreError::Corrupt(
            "database URL must start with sqlite: or postgres:".into(),
        ))
    }
}

impl SqliteStore {
    /// Opens (creating if missing) a SQLite file: WAL, `secure_delete=ON`,
    /// foreign keys, a 10 s busy timeout.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true)
            .pragma("secure_delete", "ON");
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await?;
        Ok(Self {
            pool,
            writer: Some(Arc::new(Mutex::new(()))),
        })
    }
}

impl PgStore {
    /// Opens a PostgreSQL connection pool.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let options = PgConnectOptions::from_str(url)?;
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await?;
        Ok(Self { pool, writer: None })
    }
}

fn map_err(e: sqlx::Error) -> StoreError {
    match e.as_database_error() {
        Some(db) if db.is_unique_violation() => StoreError::Conflict,
        _ => StoreError::Db(e),
    }
}

const USER_COLS: &str = "id, name, created_at";
const TOKEN_COLS: &str =
    "id, user_id, name, token_hash, scopes, items, created_at, expires_at, revoked_at";
const KEY_COLS: &str = "key_id, user_id, mk_id, wrapped, created_at";
const CRED_COLS: &str = "user_id, item_id, version, deleted, key_id, envelope, totp_envelope, config, assigned, created_at, updated_at";
const LEASE_COLS: &str = "id, user_id, item_id, token_id, token_hash, purpose, phase, fencing_token, ttl_secs, created_at, expires_at";
const STATE_COLS: &str = "user_id, item_id, version, key_id, envelope, fencing_token, created_at, last_used_at, expires_at";
const PROXY_COLS: &str = "id, ip, check_healthy, admin_healthy, checked_at, marked_at";
const AUDIT_COLS: &str = "seq, at, action, user_id, token_id, item_id, detail, mac";

macro_rules! sql_store {
    ($store:ident, $tx:ident, $db:ty, $backend:literal, $begin_write:literal, $for_update:literal) => {
        /// A store on this database.
        pub struct $store {
            pool: Pool<$db>,
            /// SQLite: writers queue here in arrival order before `BEGIN
            /// IMMEDIATE` (which still guards against other processes),
            /// instead of polling the busy handler with growing sleeps.
            writer: Option<Arc<Mutex<()>>>,
        }

        impl $store {
            /// The pool, for tests and admin verbs.
            pub fn pool(&self) -> &Pool<$db> {
                &self.pool
            }
        }

        /// A transaction; a write one on SQLite holds the writer queue.
        struct $tx(Transaction<'static, $db>, Option<OwnedMutexGuard<()>>);

        #[async_trait]
        impl Store for $store {
            async fn write(&self) -> StoreResult<Box<dyn Tx>> {
                let turn = match &self.writer {
                    Some(writer) => Some(writer.clone().lock_owned().await),
                    None => None,
                };
                Ok(Box::new($tx(self.pool.begin_with($begin_write).await?, turn)))
            }

            async fn read(&self) -> StoreResult<Box<dyn Tx>> {
                Ok(Box::new($tx(self.pool.begin().await?, None)))
            }

            async fn migrate(&self) -> StoreResult<()> {
                migrations::run($backend, &self.pool).await?;
                Ok(())
            }

            fn backend(&self) -> &'static str {
                $backend
            }

            async fn token_by_hash(&self, hash: &[u8]) -> StoreResult<Option<TokenRow>> {
                let sql = format!("SELECT {TOKEN_COLS} FROM tokens WHERE token_hash = $1");
                let row = sqlx::query(&sql).bind(hash).fetch_optional(&self.pool).await?;
                row.as_ref().map($tx::token_row).transpose()
            }
        }

        impl $tx {
            fn user_row(r: &<$db as sqlx::Database>::Row) -> StoreResult<UserRow> {
                Ok(UserRow { id: r.try_get("id")?, name: r.try_get("name")?, created_at: r.try_get("created_at")? })
            }

            fn token_row(r: &<$db as sqlx::Database>::Row) -> StoreResult<TokenRow> {
                Ok(TokenRow {
                    id: r.try_get("id")?,
                    user_id: r.try_get("user_id")?,
                    name: r.try_get("name")?,
                    token_hash: r.try_get("token_hash")?,
                    scopes: r.try_get("scopes")?,
                    items: r.try_get("items")?,
                    created_at: r.try_get("created_at")?,
                    expires_at: r.try_get("expires_at")?,
                    revoked_at: r.try_get("revoked_at")?,
                })
            }

            fn key_row(r: &<$db as sqlx::Database>::Row) -> StoreResult<DataKeyRow> {
                Ok(DataKeyRow {
                    key_id: r.try_get("key_id")?,
                    user_id: r.try_get("user_id")?,
                    mk_id: r.try_get("mk_id")?,
                    wrapped: r.try_get("wrapped")?,
                    created_at: r.try_get("created_at")?,
                })
            }

            fn cred_row(r: &<$db as sqlx::Database>::Row) -> StoreResult<CredentialRow> {
                Ok(CredentialRow {
                    user_id: r.try_get("user_id")?,
                    item_id: r.try_get("item_id")?,
                    version: r.try_get("version")?,
                    deleted: r.try_get::<i64, _>("deleted")? != 0,
                    key_id: r.try_get("key_id")?,
                    envelope: r.try_get("envelope")?,
                    totp_envelope: r.try_get("totp_envelope")?,
                    config: r.try_get("config")?,
                    assigned: r.try_get("assigned")?,
                    created_at: r.try_get("created_at")?,
                    updated_at: r.try_get("updated_at")?,
                })
            }

            fn lease_row(r: &<$db as sqlx::Database>::Row) -> StoreResult<LeaseRow> {
                Ok(LeaseRow {
                    id: r.try_get("id")?,
                    user_id: r.try_get("user_id")?,
                    item_id: r.try_get("item_id")?,
                    token_id: r.try_get("token_id")?,
                    token_hash: r.try_get("token_hash")?,
                    purpose: r.try_get("purpose")?,
                    phase: r.try_get("phase")?,
                    fencing_token: r.try_get("fencing_token")?,
                    ttl_secs: r.try_get("ttl_secs")?,
                    created_at: r.try_get("created_at")?,
                    expires_at: r.try_get("expires_at")?,
                })
            }

            fn state_row(r: &<$db as sqlx::Database>::Row) -> StoreResult<SessionStateRow> {
                Ok(SessionStateRow {
                    user_id: r.try_get("user_id")?,
                    item_id: r.try_get("item_id")?,
                    version: r.try_get("version")?,
                    key_id: r.try_get("key_id")?,
                    envelope: r.try_get("envelope")?,
                    fencing_token: r.try_get("fencing_token")?,
                    created_at: r.try_get("created_at")?,
                    last_used_at: r.try_get("last_used_at")?,
                    expires_at: r.try_get("expires_at")?,
                })
            }

            fn audit_row(r: &<$db as sqlx::Database>::Row) -> StoreResult<AuditRow> {
                Ok(AuditRow {
                    seq: r.try_get("seq")?,
                    at: r.try_get("at")?,
                    action: r.try_get("action")?,
                    user_id: r.try_get("user_id")?,
                    token_id: r.try_get("token_id")?,
                    item_id: r.try_get("item_id")?,
                    detail: r.try_get("detail")?,
                    mac: r.try_get("mac")?,
                })
            }
        }

        super::inbound::inbound_sql!($tx);

        #[async_trait]
        impl Tx for $tx {
            async fn commit(self: Box<Self>) -> StoreResult<()> {
                let $tx(tx, _turn) = *self;
                tx.commit().await.map_err(map_err)
            }

            fn inbound(&mut self) -> &mut dyn super::InboundTx {
                self
            }

            async fn insert_user(&mut self, u: &UserRow) -> StoreResult<()> {
                sqlx::query("INSERT INTO users (id, name, created_at) VALUES ($1, $2, $3)")
                    .bind(&u.id)
                    .bind(&u.name)
                    .bind(u.created_at)
                    .execute(&mut *self.0)
                    .await
                    .map_err(map_err)?;
                Ok(())
            }

            async fn user(&mut self, id: &str) -> StoreResult<Option<UserRow>> {
                let sql = format!("SELECT {USER_COLS} FROM users WHERE id = $1");
                let row = sqlx::query(&sql).bind(id).fetch_optional(&mut *self.0).await?;
                row.as_ref().map(Self::user_row).transpose()
            }

            async fn insert_token(&mut self, t: &TokenRow) -> StoreResult<()> {
                let sql = format!("INSERT INTO tokens ({TOKEN_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)");
                sqlx::query(&sql)
                    .bind(&t.id)
                    .bind(&t.user_id)
                    .bind(&t.name)
                    .bind(&t.token_hash)
                    .bind(&t.scopes)
                    .bind(&t.items)
                    .bind(t.created_at)
                    .bind(t.expires_at)
                    .bind(t.revoked_at)
                    .execute(&mut *self.0)
                    .await
                    .map_err(map_err)?;
                Ok(())
            }

            async fn token_by_hash(&mut self, hash: &[u8]) -> StoreResult<Option<TokenRow>> {
                let sql = format!("SELECT {TOKEN_COLS} FROM tokens WHERE token_hash = $1");
                let row = sqlx::query(&sql).bind(hash).fetch_optional(&mut *self.0).await?;
                row.as_ref().map(Self::token_row).transpose()
            }

            async fn tokens(&mut self, user_id: &str) -> StoreResult<Vec<TokenRow>> {
                let sql = format!("SELECT {TOKEN_COLS} FROM tokens WHERE user_id = $1 ORDER BY created_at, id");
                let rows = sqlx::query(&sql).bind(user_id).fetch_all(&mut *self.0).await?;
                rows.iter().map(Self::token_row).collect()
            }

            async fn revoke_token(&mut self, user_id: &str, token_id: &str, now: i64) -> StoreResult<bool> {
                let done = sqlx::query(
                    "UPDATE tokens SET revoked_at = COALESCE(revoked_at, $3) WHERE user_id = $1 AND id = $2",
                )
                .bind(user_id)
                .bind(token_id)
                .bind(now)
                .execute(&mut *self.0)
                .await?;
                Ok(done.rows_affected() > 0)
            }

            async fn lock_data_key(&mut self, user_id: &str) -> StoreResult<Option<DataKeyRow>> {
                let sql = format!("SELECT {KEY_COLS} FROM data_keys WHERE user_id = $1{}", $for_update);
                let row = sqlx::query(&sql).bind(user_id).fetch_optional(&mut *self.0).await?;
                row.as_ref().map(Self::key_row).transpose()
            }

            async fn data_key(&mut self, user_id: &str) -> StoreResult<Option<DataKeyRow>> {
                let sql = format!("SELECT {KEY_COLS} FROM data_keys WHERE user_id = $1");
                let row = sqlx::query(&sql).bind(user_id).fetch_optional(&mut *self.0).await?;
                row.as_ref().map(Self::key_row).transpose()
            }

            async fn insert_data_key(&mut self, k: &DataKeyRow) -> StoreResult<()> {
                let sql = format!("INSERT INTO data_keys ({KEY_COLS}) VALUES ($1, $2, $3, $4, $5)");
                sqlx::query(&sql)
                    .bind(&k.key_id)
                    .bind(&k.user_id)
                    .bind(&k.mk_id)
                    .bind(&k.wrapped)
                    .bind(k.created_at)
                    .execute(&mut *self.0)
                    .await
                    .map_err(map_err)?;
                Ok(())
            }

            async fn delete_data_key(&mut self, key_id: &[u8]) -> StoreResult<()> {
                sqlx::query("DELETE FROM data_keys WHERE key_id = $1").bind(key_id).execute(&mut *self.0).await?;
                Ok(())
            }

            async fn all_data_keys(&mut self) -> StoreResult<Vec<DataKeyRow>> {
                let sql = format!("SELECT {KEY_COLS} FROM data_keys ORDER BY user_id");
                let rows = sqlx::query(&sql).fetch_all(&mut *self.0).await?;
                rows.iter().map(Self::key_row).collect()
            }

            async fn rewrap_data_key(&mut self, key_id: &[u8], mk_id: &str, wrapped: &[u8]) -> StoreResult<()> {
                sqlx::query("UPDATE data_keys SET mk_id = $2, wrapped = $3 WHERE key_id = $1")
                    .bind(key_id)
                    .bind(mk_id)
                    .bind(wrapped)
                    .execute(&mut *self.0)
                    .await?;
                Ok(())
            }

            async fn vault_key(&mut self, name: &str) -> StoreResult<Option<VaultKeyRow>> {
                let row = sqlx::query("SELECT name, mk_id, wrapped, created_at FROM vault_keys WHERE name = $1")
                    .bind(name)
                    .fetch_optional(&mut *self.0)
                    .await?;
                row.map(|r| {
                    Ok(VaultKeyRow {
                        name: r.try_get("name")?,
                        mk_id: r.try_get("mk_id")?,
                        wrapped: r.try_get("wrapped")?,
                        created_at: r.try_get("created_at")?,
                    })
                })
                .transpose()
            }

            async fn insert_vault_key(&mut self, k: &VaultKeyRow) -> StoreResult<()> {
                sqlx::query("INSERT INTO vault_keys (name, mk_id, wrapped, created_at) VALUES ($1, $2, $3, $4)")
                    .bind(&k.name)
                    .bind(&k.mk_id)
                    .bind(&k.wrapped)
                    .bind(k.created_at)
                    .execute(&mut *self.0)
                    .await
                    .map_err(map_err)?;
                Ok(())
            }

            async fn rewrap_vault_key(&mut self, name: &str, mk_id: &str, wrapped: &[u8]) -> StoreResult<()> {
                sqlx::query("UPDATE vault_keys SET mk_id = $2, wrapped = $3 WHERE name = $1")
                    .bind(name)
                    .bind(mk_id)
                    .bind(wrapped)
                    .execute(&mut *self.0)
                    .await?;
                Ok(())
            }

            async fn lock_credential(&mut self, user_id: &str, item_id: &str) -> StoreResult<Option<CredentialRow>> {
                let sql = format!(
                    "SELECT {CRED_COLS} FROM credentials WHERE user_id = $1 AND item_id = $2{}",
                    $for_update
                );
                let row = sqlx::query(&sql).bind(user_id).bind(item_id).fetch_optional(&mut *self.0).await?;
                row.as_ref().map(Self::cred_row).transpose()
            }

            async fn credential(&mut self, user_id: &str, item_id: &str) -> StoreResult<Option<CredentialRow>> {
                let sql = format!("SELECT {CRED_COLS} FROM credentials WHERE user_id = $1 AND item_id = $2");
                let row = sqlx::query(&sql).bind(user_id).bind(item_id).fetch_optional(&mut *self.0).await?;
                row.as_ref().map(Self::cred_row).transpose()
            }

            async fn credentials(&mut self, user_id: &str) -> StoreResult<Vec<CredentialRow>> {
                let sql = format!(
                    "SELECT {CRED_COLS} FROM credentials WHERE user_id = $1 AND deleted = 0 ORDER BY item_id"
                );
                let rows = sqlx::query(&sql).bind(user_id).fetch_all(&mut *self.0).await?;
                rows.iter().map(Self::cred_row).collect()
            }

            async fn count_credentials(&mut self, user_id: &str) -> StoreResult<i64> {
                let row = sqlx::query("SELECT live_items FROM users WHERE id = $1")
                    .bind(user_id)
                    .fetch_optional(&mut *self.0)
                    .await?;
                Ok(row.map(|r| r.try_get("live_items")).transpose()?.unwrap_or(0))
            }

            async fn add_live_item(&mut self, user_id: &str, limit: i64) -> StoreResult<bool> {
                let done = sqlx::query("UPDATE users SET live_items = live_items + 1 WHERE id = $1 AND live_items < $2")
                    .bind(user_id)
                    .bind(limit)
                    .execute(&mut *self.0)
                    .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn remove_live_item(&mut self, user_id: &str) -> StoreResult<()> {
                sqlx::query("UPDATE users SET live_items = live_items - 1 WHERE id = $1")
                    .bind(user_id)
                    .execute(&mut *self.0)
                    .await?;
                Ok(())
            }

            async fn insert_credential(&mut self, c: &CredentialRow) -> StoreResult<()> {
                let sql = format!(
                    "INSERT INTO credentials ({CRED_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
                );
                sqlx::query(&sql)
                    .bind(&c.user_id)
                    .bind(&c.item_id)
                    .bind(c.version)
                    .bind(i64::from(c.deleted))
                    .bind(&c.key_id)
                    .bind(&c.envelope)
                    .bind(&c.totp_envelope)
                    .bind(&c.config)
                    .bind(&c.assigned)
                    .bind(c.created_at)
                    .bind(c.updated_at)
                    .execute(&mut *self.0)
                    .await
                    .map_err(map_err)?;
                Ok(())
            }

            async fn update_credential(&mut self, c: &CredentialRow, expected: i64) -> StoreResult<bool> {
                let done = sqlx::query(
                    "UPDATE credentials SET version = $3, deleted = $4, key_id = $5, envelope = $6, \
                     totp_envelope = $7, config = $8, assigned = $9, created_at = $10, updated_at = $11 \
                     WHERE user_id = $1 AND item_id = $2 AND version = $12",
                )
                .bind(&c.user_id)
                .bind(&c.item_id)
                .bind(c.version)
                .bind(i64::from(c.deleted))
                .bind(&c.key_id)
                .bind(&c.envelope)
                .bind(&c.totp_envelope)
                .bind(&c.config)
                .bind(&c.assigned)
                .bind(c.created_at)
                .bind(c.updated_at)
                .bind(expected)
                .execute(&mut *self.0)
                .await
                .map_err(map_err)?;
                Ok(done.rows_affected() == 1)
            }

            async fn reseal_credential(
                &mut self,
                user_id: &str,
                item_id: &str,
                key_id: &[u8],
                envelope: &[u8],
                totp_envelope: Option<&[u8]>,
            ) -> StoreResult<()> {
                sqlx::query(
                    "UPDATE credentials SET key_id = $3, envelope = $4, totp_envelope = $5 \
                     WHERE user_id = $1 AND item_id = $2",
                )
                .bind(user_id)
                .bind(item_id)
                .bind(key_id)
                .bind(envelope)
                .bind(totp_envelope)
                .execute(&mut *self.0)
                .await?;
                Ok(())
            }

            async fn salt_seen(&mut self, key_id: &[u8], salt: &[u8]) -> StoreResult<bool> {
                let row = sqlx::query("SELECT 1 AS one FROM seen_salts WHERE key_id = $1 AND salt = $2")
                    .bind(key_id)
                    .bind(salt)
                    .fetch_optional(&mut *self.0)
                    .await?;
                Ok(row.is_some())
            }

            async fn insert_salt(&mut self, key_id: &[u8], salt: &[u8]) -> StoreResult<()> {
                sqlx::query("INSERT INTO seen_salts (key_id, salt) VALUES ($1, $2)")
                    .bind(key_id)
                    .bind(salt)
                    .execute(&mut *self.0)
                    .await
                    .map_err(map_err)?;
                Ok(())
            }

            async fn delete_salts(&mut self, key_id: &[u8]) -> StoreResult<()> {
                sqlx::query("DELETE FROM seen_salts WHERE key_id = $1").bind(key_id).execute(&mut *self.0).await?;
                Ok(())
            }

            async fn bump_fencing(&mut self, user_id: &str, item_id: &str) -> StoreResult<Option<i64>> {
                let row = sqlx::query(
                    "UPDATE credentials SET fencing_seq = fencing_seq + 1 \
                     WHERE user_id = $1 AND item_id = $2 AND deleted = 0 RETURNING fencing_seq",
                )
                .bind(user_id)
                .bind(item_id)
                .fetch_optional(&mut *self.0)
                .await?;
                Ok(row.map(|r| r.try_get("fencing_seq")).transpose()?)
            }

            async fn reap_leases(&mut self, user_id: &str, item_id: &str, now: i64) -> StoreResult<u64> {
                let done = sqlx::query("DELETE FROM leases WHERE user_id = $1 AND item_id = $2 AND expires_at <= $3")
                    .bind(user_id)
                    .bind(item_id)
                    .bind(now)
                    .execute(&mut *self.0)
                    .await?;
                Ok(done.rows_affected())
            }

            async fn leases(&mut self, user_id: &str, item_id: &str) -> StoreResult<Vec<LeaseRow>> {
                let sql = format!("SELECT {LEASE_COLS} FROM leases WHERE user_id = $1 AND item_id = $2 ORDER BY id");
                let rows = sqlx::query(&sql).bind(user_id).bind(item_id).fetch_all(&mut *self.0).await?;
                rows.iter().map(Self::lease_row).collect()
            }

            async fn insert_lease(&mut self, l: &LeaseRow) -> StoreResult<()> {
                let sql = format!(
                    "INSERT INTO leases ({LEASE_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
                );
                sqlx::query(&sql)
                    .bind(&l.id)
                    .bind(&l.user_id)
                    .bind(&l.item_id)
                    .bind(&l.token_id)
                    .bind(&l.token_hash)
                    .bind(&l.purpose)
                    .bind(&l.phase)
                    .bind(l.fencing_token)
                    .bind(l.ttl_secs)
                    .bind(l.created_at)
                    .bind(l.expires_at)
                    .execute(&mut *self.0)
                    .await
                    .map_err(map_err)?;
                Ok(())
            }

            async fn lease(&mut self, id: &str) -> StoreResult<Option<LeaseRow>> {
                let sql = format!("SELECT {LEASE_COLS} FROM leases WHERE id = $1");
                let row = sqlx::query(&sql).bind(id).fetch_optional(&mut *self.0).await?;
                row.as_ref().map(Self::lease_row).transpose()
            }

            async fn update_lease(&mut self, id: &str, phase: &str, expires_at: i64) -> StoreResult<()> {
                sqlx::query("UPDATE leases SET phase = $2, expires_at = $3 WHERE id = $1")
                    .bind(id)
                    .bind(phase)
                    .bind(expires_at)
                    .execute(&mut *self.0)
                    .await?;
                Ok(())
            }

            async fn delete_lease(&mut self, id: &str) -> StoreResult<()> {
                sqlx::query("DELETE FROM leases WHERE id = $1").bind(id).execute(&mut *self.0).await?;
                Ok(())
            }

            async fn delete_leases(&mut self, user_id: &str, item_id: &str) -> StoreResult<()> {
                sqlx::query("DELETE FROM leases WHERE user_id = $1 AND item_id = $2")
                    .bind(user_id)
                    .bind(item_id)
                    .execute(&mut *self.0)
                    .await?;
                Ok(())
            }

            async fn touch_waiter(&mut self, w: &WaiterRow) -> StoreResult<()> {
                let done = sqlx::query("UPDATE lease_waiters SET seen_at = $2 WHERE id = $1")
                    .bind(&w.id)
                    .bind(w.seen_at)
                    .execute(&mut *self.0)
                    .await?;
                if done.rows_affected() == 0 {
                    sqlx::query(
                        "INSERT INTO lease_waiters (id, user_id, item_id, arrived_us, seen_at) \
                         VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(&w.id)
                    .bind(&w.user_id)
                    .bind(&w.item_id)
                    .bind(w.arrived_us)
                    .bind(w.seen_at)
                    .execute(&mut *self.0)
                    .await
                    .map_err(map_err)?;
                }
                Ok(())
            }

            async fn waiters(&mut self, user_id: &str, item_id: &str, seen_after: i64) -> StoreResult<Vec<WaiterRow>> {
                sqlx::query("DELETE FROM lease_waiters WHERE user_id = $1 AND item_id = $2 AND seen_at < $3")
                    .bind(user_id)
                    .bind(item_id)
                    .bind(seen_after)
                    .execute(&mut *self.0)
                    .await?;
                let rows = sqlx::query(
                    "SELECT id, user_id, item_id, arrived_us, seen_at FROM lease_waiters \
                     WHERE user_id = $1 AND item_id = $2 ORDER BY arrived_us, id",
                )
                .bind(user_id)
                .bind(item_id)
                .fetch_all(&mut *self.0)
                .await?;
                rows.iter()
                    .map(|r| {
                        Ok(WaiterRow {
                            id: r.try_get("id")?,
                            user_id: r.try_get("user_id")?,
                            item_id: r.try_get("item_id")?,
                            arrived_us: r.try_get("arrived_us")?,
                            seen_at: r.try_get("seen_at")?,
                        })
                    })
                    .collect()
            }

            async fn delete_waiter(&mut self, id: &str) -> StoreResult<()> {
                sqlx::query("DELETE FROM lease_waiters WHERE id = $1").bind(id).execute(&mut *self.0).await?;
                Ok(())
            }

            async fn totp_issued(&mut self, user_id: &str, item_id: &str, step: i64) -> StoreResult<Option<String>> {
                let row = sqlx::query(
                    "SELECT lease_id FROM totp_issued WHERE user_id = $1 AND item_id = $2 AND step = $3",
                )
                .bind(user_id)
                .bind(item_id)
                .bind(step)
                .fetch_optional(&mut *self.0)
                .await?;
                Ok(row.map(|r| r.try_get("lease_id")).transpose()?)
            }

            async fn insert_totp_issued(
                &mut self,
                user_id: &str,
                item_id: &str,
                step: i64,
                lease_id: &str,
                now: i64,
            ) -> StoreResult<()> {
                sqlx::query(
                    "INSERT INTO totp_issued (user_id, item_id, step, lease_id, issued_at) VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(user_id)
                .bind(item_id)
                .bind(step)
                .bind(lease_id)
                .bind(now)
                .execute(&mut *self.0)
                .await
                .map_err(map_err)?;
                Ok(())
            }

            async fn session_state(&mut self, user_id: &str, item_id: &str) -> StoreResult<Option<SessionStateRow>> {
                let sql = format!("SELECT {STATE_COLS} FROM session_states WHERE user_id = $1 AND item_id = $2");
                let row = sqlx::query(&sql).bind(user_id).bind(item_id).fetch_optional(&mut *self.0).await?;
                row.as_ref().map(Self::state_row).transpose()
            }

            async fn session_states(&mut self, user_id: &str) -> StoreResult<Vec<SessionStateRow>> {
                let sql = format!("SELECT {STATE_COLS} FROM session_states WHERE user_id = $1 ORDER BY item_id");
                let rows = sqlx::query(&sql).bind(user_id).fetch_all(&mut *self.0).await?;
                rows.iter().map(Self::state_row).collect()
            }

            async fn put_session_state(&mut self, s: &SessionStateRow) -> StoreResult<()> {
                let sql = format!(
                    "INSERT INTO session_states ({STATE_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                     ON CONFLICT (user_id, item_id) DO UPDATE SET version = excluded.version, \
                     key_id = excluded.key_id, envelope = excluded.envelope, \
                     fencing_token = excluded.fencing_token, created_at = excluded.created_at, \
                     last_used_at = excluded.last_used_at, expires_at = excluded.expires_at"
                );
                sqlx::query(&sql)
                    .bind(&s.user_id)
                    .bind(&s.item_id)
                    .bind(s.version)
                    .bind(&s.key_id)
                    .bind(&s.envelope)
                    .bind(s.fencing_token)
                    .bind(s.created_at)
                    .bind(s.last_used_at)
                    .bind(s.expires_at)
                    .execute(&mut *self.0)
                    .await
                    .map_err(map_err)?;
                Ok(())
            }

            async fn touch_session_state(&mut self, user_id: &str, item_id: &str, at: i64) -> StoreResult<()> {
                sqlx::query("UPDATE session_states SET last_used_at = $3 WHERE user_id = $1 AND item_id = $2")
                    .bind(user_id)
                    .bind(item_id)
                    .bind(at)
                    .execute(&mut *self.0)
                    .await?;
                Ok(())
            }

            async fn delete_session_state(&mut self, user_id: &str, item_id: &str) -> StoreResult<bool> {
                let done = sqlx::query("DELETE FROM session_states WHERE user_id = $1 AND item_id = $2")
                    .bind(user_id)
                    .bind(item_id)
                    .execute(&mut *self.0)
                    .await?;
                Ok(done.rows_affected() > 0)
            }

            async fn reseal_session_state(
                &mut self,
                user_id: &str,
                item_id: &str,
                key_id: &[u8],
                envelope: &[u8],
            ) -> StoreResult<()> {
                sqlx::query("UPDATE session_states SET key_id = $3, envelope = $4 WHERE user_id = $1 AND item_id = $2")
                    .bind(user_id)
                    .bind(item_id)
                    .bind(key_id)
                    .bind(envelope)
                    .execute(&mut *self.0)
                    .await?;
                Ok(())
            }

            async fn state_counters(&mut self, user_id: &str, item_id: &str) -> StoreResult<Option<StateCounters>> {
                let row = sqlx::query(
                    "SELECT state_version, state_fencing FROM credentials WHERE user_id = $1 AND item_id = $2",
                )
                .bind(user_id)
                .bind(item_id)
                .fetch_optional(&mut *self.0)
                .await?;
                row.map(|r| {
                    Ok(StateCounters { version: r.try_get("state_version")?, fencing: r.try_get("state_fencing")? })
                })
                .transpose()
            }

            async fn set_state_counters(
                &mut self,
                user_id: &str,
                item_id: &str,
                counters: StateCounters,
                expected: i64,
            ) -> StoreResult<bool> {
                let done = sqlx::query(
                    "UPDATE credentials SET state_version = $3, state_fencing = $4 \
                     WHERE user_id = $1 AND item_id = $2 AND state_version = $5",
                )
                .bind(user_id)
                .bind(item_id)
                .bind(counters.version)
                .bind(counters.fencing)
                .bind(expected)
                .execute(&mut *self.0)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn state_times(&mut self, after: (&str, &str), limit: i64) -> StoreResult<Vec<StateTimes>> {
                let rows = sqlx::query(
                    "SELECT s.user_id, s.item_id, s.created_at, s.last_used_at, s.expires_at, c.config \
                     FROM session_states s LEFT JOIN credentials c \
                     ON c.user_id = s.user_id AND c.item_id = s.item_id \
                     WHERE (s.user_id, s.item_id) > ($1, $2) ORDER BY s.user_id, s.item_id LIMIT $3",
                )
                .bind(after.0)
                .bind(after.1)
                .bind(limit)
                .fetch_all(&mut *self.0)
                .await?;
                rows.iter()
                    .map(|r| {
                        Ok(StateTimes {
                            user_id: r.try_get("user_id")?,
                            item_id: r.try_get("item_id")?,
                            created_at: r.try_get("created_at")?,
                            last_used_at: r.try_get("last_used_at")?,
                            expires_at: r.try_get("expires_at")?,
                            config: r.try_get("config")?,
                        })
                    })
                    .collect()
            }

            async fn upsert_proxy(&mut self, id: &str, ip: &str) -> StoreResult<()> {
                sqlx::query("INSERT INTO proxies (id, ip) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET ip = $2")
                    .bind(id)
                    .bind(ip)
                    .execute(&mut *self.0)
                    .await
                    .map_err(map_err)?;
                Ok(())
            }

            async fn proxies(&mut self) -> StoreResult<Vec<ProxyRow>> {
                let sql = format!("SELECT {PROXY_COLS} FROM proxies ORDER BY id");
                let rows = sqlx::query(&sql).fetch_all(&mut *self.0).await?;
                rows.iter()
                    .map(|r| {
                        Ok(ProxyRow {
                            id: r.try_get("id")?,
                            ip: r.try_get("ip")?,
                            check_healthy: r.try_get::<i64, _>("check_healthy")? != 0,
                            admin_healthy: r.try_get::<i64, _>("admin_healthy")? != 0,
                            checked_at: r.try_get("checked_at")?,
                            marked_at: r.try_get("marked_at")?,
                        })
                    })
                    .collect()
            }

            async fn set_proxy_check(&mut self, id: &str, healthy: bool, at: i64) -> StoreResult<()> {
                sqlx::query("UPDATE proxies SET check_healthy = $2, checked_at = $3 WHERE id = $1")
                    .bind(id)
                    .bind(i64::from(healthy))
                    .bind(at)
                    .execute(&mut *self.0)
                    .await?;
                Ok(())
            }

            async fn set_proxy_admin(&mut self, id: &str, healthy: bool, at: i64) -> StoreResult<()> {
                sqlx::query("UPDATE proxies SET admin_healthy = $2, marked_at = $3 WHERE id = $1")
                    .bind(id)
                    .bind(i64::from(healthy))
                    .bind(at)
                    .execute(&mut *self.0)
                    .await?;
                Ok(())
            }

            async fn credential_proxy(&mut self, user_id: &str, item_id: &str) -> StoreResult<Option<String>> {
                let row = sqlx::query("SELECT proxy_id FROM credentials WHERE user_id = $1 AND item_id = $2")
                    .bind(user_id)
                    .bind(item_id)
                    .fetch_optional(&mut *self.0)
                    .await?;
                Ok(row.map(|r| r.try_get::<Option<String>, _>("proxy_id")).transpose()?.flatten())
            }

            async fn set_credential_proxy(&mut self, user_id: &str, item_id: &str, proxy_id: &str) -> StoreResult<()> {
                sqlx::query("UPDATE credentials SET proxy_id = $3 WHERE user_id = $1 AND item_id = $2")
                    .bind(user_id)
                    .bind(item_id)
                    .bind(proxy_id)
                    .execute(&mut *self.0)
                    .await?;
                Ok(())
            }

            async fn lock_audit_head(&mut self) -> StoreResult<(i64, Vec<u8>)> {
                let sql = format!("SELECT seq, mac FROM audit_head WHERE id = 1{}", $for_update);
                let row = sqlx::query(&sql).fetch_one(&mut *self.0).await?;
                Ok((row.try_get("seq")?, row.try_get("mac")?))
            }

            async fn append_audit(&mut self, a: &AuditRow) -> StoreResult<()> {
                let sql = format!("INSERT INTO audit_log ({AUDIT_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)");
                sqlx::query(&sql)
                    .bind(a.seq)
                    .bind(a.at)
                    .bind(&a.action)
                    .bind(&a.user_id)
                    .bind(&a.token_id)
                    .bind(&a.item_id)
                    .bind(&a.detail)
                    .bind(&a.mac)
                    .execute(&mut *self.0)
                    .await
                    .map_err(map_err)?;
                sqlx::query("UPDATE audit_head SET seq = $1, mac = $2 WHERE id = 1")
                    .bind(a.seq)
                    .bind(&a.mac)
                    .execute(&mut *self.0)
                    .await?;
                Ok(())
            }

            async fn audit(&mut self, user_id: Option<&str>, after_seq: i64, limit: i64) -> StoreResult<Vec<AuditRow>> {
                let rows = match user_id {
                    Some(user) => {
                        let sql = format!(
                            "SELECT {AUDIT_COLS} FROM audit_log WHERE user_id = $1 AND seq > $2 ORDER BY seq LIMIT $3"
                        );
                        sqlx::query(&sql).bind(user).bind(after_seq).bind(limit).fetch_all(&mut *self.0).await?
                    }
                    None => {
                        let sql = format!("SELECT {AUDIT_COLS} FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2");
                        sqlx::query(&sql).bind(after_seq).bind(limit).fetch_all(&mut *self.0).await?
                    }
                };
                rows.iter().map(Self::audit_row).collect()
            }
        }
    };
}

sql_store!(
    SqliteStore,
    SqliteTx,
    Sqlite,
    "sqlite",
    "BEGIN IMMEDIATE",
    ""
);
sql_store!(PgStore, PgTx, Postgres, "postgres", "BEGIN", " FOR UPDATE");

//! The SQL both stores share: one body per [`Tx`] method, written once with
//! numbered `$n` parameters (SQLite accepts them too) and expanded for each
//! backend by [`sql_tx!`], over the [`Exec`](super::query::Exec) of
//! [`super::sqlite`] (rusqlite, inline) and [`super::postgres`] (sqlx).

use super::{PgStore, SqliteStore, Store, StoreError, StoreResult};

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

pub(super) fn map_err(e: sqlx::Error) -> StoreError {
    match e.as_database_error() {
        Some(db) if db.is_unique_violation() => StoreError::Conflict,
        _ => StoreError::Db(e),
    }
}

pub(super) const USER_COLS: &str = "id, name, created_at";
pub(super) const TOKEN_COLS: &str =
    "id, user_id, name, token_hash, scopes, items, created_at, expires_at, revoked_at";
pub(super) const KEY_COLS: &str = "key_id, user_id, mk_id, wrapped, created_at";
pub(super) const CRED_COLS: &str = "user_id, item_id, version, deleted, key_id, envelope, totp_envelope, config, assigned, created_at, updated_at";
pub(super) const LEASE_COLS: &str = "id, user_id, item_id, token_id, token_hash, purpose, phase, fencing_token, ttl_secs, created_at, expires_at";
pub(super) const STATE_COLS: &str = "user_id, item_id, version, key_id, envelope, fencing_token, created_at, last_used_at, expires_at";
pub(super) const PROXY_COLS: &str = "id, ip, check_healthy, admin_healthy, checked_at, marked_at";
pub(super) const AUDIT_COLS: &str = "seq, at, action, user_id, token_id, item_id, detail, mac";

macro_rules! sql_tx {
    ($tx:ident, $row:ty, $for_update:literal) => {
        impl $tx {
            fn user_row(r: &$row) -> StoreResult<UserRow> {
                Ok(UserRow { id: r.try_get("id")?, name: r.try_get("name")?, created_at: r.try_get("created_at")? })
            }

            fn token_row(r: &$row) -> StoreResult<TokenRow> {
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

            fn key_row(r: &$row) -> StoreResult<DataKeyRow> {
                Ok(DataKeyRow {
                    key_id: r.try_get("key_id")?,
                    user_id: r.try_get("user_id")?,
                    mk_id: r.try_get("mk_id")?,
                    wrapped: r.try_get("wrapped")?,
                    created_at: r.try_get("created_at")?,
                })
            }

            fn cred_row(r: &$row) -> StoreResult<CredentialRow> {
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

            fn lease_row(r: &$row) -> StoreResult<LeaseRow> {
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

            fn state_row(r: &$row) -> StoreResult<SessionStateRow> {
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

            fn audit_row(r: &$row) -> StoreResult<AuditRow> {
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

        $crate::storage::inbound::inbound_sql!($tx);

        #[async_trait]
        impl Tx for $tx {
            async fn commit(self: Box<Self>) -> StoreResult<()> {
                (*self).commit_tx().await
            }

            fn inbound(&mut self) -> &mut dyn super::InboundTx {
                self
            }

            async fn insert_user(&mut self, u: &UserRow) -> StoreResult<()> {
                query("INSERT INTO users (id, name, created_at) VALUES ($1, $2, $3)")
                    .bind(&u.id)
                    .bind(&u.name)
                    .bind(u.created_at)
                    .execute(self)
                    .await?;
                Ok(())
            }

            async fn user(&mut self, id: &str) -> StoreResult<Option<UserRow>> {
                let sql = format!("SELECT {USER_COLS} FROM users WHERE id = $1");
                let row = query(&sql).bind(id).fetch_optional(self).await?;
                row.as_ref().map(Self::user_row).transpose()
            }

            async fn insert_token(&mut self, t: &TokenRow) -> StoreResult<()> {
                let sql = format!("INSERT INTO tokens ({TOKEN_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)");
                query(&sql)
                    .bind(&t.id)
                    .bind(&t.user_id)
                    .bind(&t.name)
                    .bind(&t.token_hash)
                    .bind(&t.scopes)
                    .bind(&t.items)
                    .bind(t.created_at)
                    .bind(t.expires_at)
                    .bind(t.revoked_at)
                    .execute(self)
                    .await?;
                Ok(())
            }

            async fn token_by_hash(&mut self, hash: &[u8]) -> StoreResult<Option<TokenRow>> {
                let sql = format!("SELECT {TOKEN_COLS} FROM tokens WHERE token_hash = $1");
                let row = query(&sql).bind(hash).fetch_optional(self).await?;
                row.as_ref().map(Self::token_row).transpose()
            }

            async fn tokens(&mut self, user_id: &str) -> StoreResult<Vec<TokenRow>> {
                let sql = format!("SELECT {TOKEN_COLS} FROM tokens WHERE user_id = $1 ORDER BY created_at, id");
                let rows = query(&sql).bind(user_id).fetch_all(self).await?;
                rows.iter().map(Self::token_row).collect()
            }

            async fn revoke_token(&mut self, user_id: &str, token_id: &str, now: i64) -> StoreResult<bool> {
                let done = query(
                    "UPDATE tokens SET revoked_at = COALESCE(revoked_at, $3) WHERE user_id = $1 AND id = $2",
                )
                .bind(user_id)
                .bind(token_id)
                .bind(now)
                .execute(self)
                .await?;
                Ok(done.rows_affected() > 0)
            }

            async fn lock_data_key(&mut self, user_id: &str) -> StoreResult<Option<DataKeyRow>> {
                let sql = format!("SELECT {KEY_COLS} FROM data_keys WHERE user_id = $1{}", $for_update);
                let row = query(&sql).bind(user_id).fetch_optional(self).await?;
                row.as_ref().map(Self::key_row).transpose()
            }

            async fn data_key(&mut self, user_id: &str) -> StoreResult<Option<DataKeyRow>> {
                let sql = format!("SELECT {KEY_COLS} FROM data_keys WHERE user_id = $1");
                let row = query(&sql).bind(user_id).fetch_optional(self).await?;
                row.as_ref().map(Self::key_row).transpose()
            }

            async fn insert_data_key(&mut self, k: &DataKeyRow) -> StoreResult<()> {
                let sql = format!("INSERT INTO data_keys ({KEY_COLS}) VALUES ($1, $2, $3, $4, $5)");
                query(&sql)
                    .bind(&k.key_id)
                    .bind(&k.user_id)
                    .bind(&k.mk_id)
                    .bind(&k.wrapped)
                    .bind(k.created_at)
                    .execute(self)
                    .await?;
                Ok(())
            }

            async fn delete_data_key(&mut self, key_id: &[u8]) -> StoreResult<()> {
                query("DELETE FROM data_keys WHERE key_id = $1").bind(key_id).execute(self).await?;
                Ok(())
            }

            async fn all_data_keys(&mut self) -> StoreResult<Vec<DataKeyRow>> {
                let sql = format!("SELECT {KEY_COLS} FROM data_keys ORDER BY user_id");
                let rows = query(&sql).fetch_all(self).await?;
                rows.iter().map(Self::key_row).collect()
            }

            async fn rewrap_data_key(&mut self, key_id: &[u8], mk_id: &str, wrapped: &[u8]) -> StoreResult<()> {
                query("UPDATE data_keys SET mk_id = $2, wrapped = $3 WHERE key_id = $1")
                    .bind(key_id)
                    .bind(mk_id)
                    .bind(wrapped)
                    .execute(self)
                    .await?;
                Ok(())
            }

            async fn vault_key(&mut self, name: &str) -> StoreResult<Option<VaultKeyRow>> {
                let row = query("SELECT name, mk_id, wrapped, created_at FROM vault_keys WHERE name = $1")
                    .bind(name)
                    .fetch_optional(self)
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
                query("INSERT INTO vault_keys (name, mk_id, wrapped, created_at) VALUES ($1, $2, $3, $4)")
                    .bind(&k.name)
                    .bind(&k.mk_id)
                    .bind(&k.wrapped)
                    .bind(k.created_at)
                    .execute(self)
                    .await?;
                Ok(())
            }

            async fn rewrap_vault_key(&mut self, name: &str, mk_id: &str, wrapped: &[u8]) -> StoreResult<()> {
                query("UPDATE vault_keys SET mk_id = $2, wrapped = $3 WHERE name = $1")
                    .bind(name)
                    .bind(mk_id)
                    .bind(wrapped)
                    .execute(self)
                    .await?;
                Ok(())
            }

            async fn lock_credential(&mut self, user_id: &str, item_id: &str) -> StoreResult<Option<CredentialRow>> {
                let sql = format!(
                    "SELECT {CRED_COLS} FROM credentials WHERE user_id = $1 AND item_id = $2{}",
                    $for_update
                );
                let row = query(&sql).bind(user_id).bind(item_id).fetch_optional(self).await?;
                row.as_ref().map(Self::cred_row).transpose()
            }

            async fn credential(&mut self, user_id: &str, item_id: &str) -> StoreResult<Option<CredentialRow>> {
                let sql = format!("SELECT {CRED_COLS} FROM credentials WHERE user_id = $1 AND item_id = $2");
                let row = query(&sql).bind(user_id).bind(item_id).fetch_optional(self).await?;
                row.as_ref().map(Self::cred_row).transpose()
            }

            async fn credentials(&mut self, user_id: &str) -> StoreResult<Vec<CredentialRow>> {
                let sql = format!(
                    "SELECT {CRED_COLS} FROM credentials WHERE user_id = $1 AND deleted = 0 ORDER BY item_id"
                );
                let rows = query(&sql).bind(user_id).fetch_all(self).await?;
                rows.iter().map(Self::cred_row).collect()
            }

            async fn count_credentials(&mut self, user_id: &str) -> StoreResult<i64> {
                let row = query("SELECT live_items FROM users WHERE id = $1")
                    .bind(user_id)
                    .fetch_optional(self)
                    .await?;
                Ok(row.map(|r| r.try_get("live_items")).transpose()?.unwrap_or(0))
            }

            async fn add_live_item(&mut self, user_id: &str, limit: i64) -> StoreResult<bool> {
                let done = query("UPDATE users SET live_items = live_items + 1 WHERE id = $1 AND live_items < $2")
                    .bind(user_id)
                    .bind(limit)
                    .execute(self)
                    .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn remove_live_item(&mut self, user_id: &str) -> StoreResult<()> {
                query("UPDATE users SET live_items = live_items - 1 WHERE id = $1")
                    .bind(user_id)
                    .execute(self)
                    .await?;
                Ok(())
            }

            async fn insert_credential(&mut self, c: &CredentialRow) -> StoreResult<()> {
                let sql = format!(
                    "INSERT INTO credentials ({CRED_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
                );
                query(&sql)
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
                    .execute(self)
                    .await?;
                Ok(())
            }

            async fn update_credential(&mut self, c: &CredentialRow, expected: i64) -> StoreResult<bool> {
                let done = query(
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
                .execute(self)
                .await?;
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
                query(
                    "UPDATE credentials SET key_id = $3, envelope = $4, totp_envelope = $5 \
                     WHERE user_id = $1 AND item_id = $2",
                )
                .bind(user_id)
                .bind(item_id)
                .bind(key_id)
                .bind(envelope)
                .bind(totp_envelope)
                .execute(self)
                .await?;
                Ok(())
            }

            async fn salt_seen(&mut self, key_id: &[u8], salt: &[u8]) -> StoreResult<bool> {
                let row = query("SELECT 1 AS one FROM seen_salts WHERE key_id = $1 AND salt = $2")
                    .bind(key_id)
                    .bind(salt)
                    .fetch_optional(self)
                    .await?;
                Ok(row.is_some())
            }

            async fn insert_salt(&mut self, key_id: &[u8], salt: &[u8]) -> StoreResult<()> {
                query("INSERT INTO seen_salts (key_id, salt) VALUES ($1, $2)")
                    .bind(key_id)
                    .bind(salt)
                    .execute(self)
                    .await?;
                Ok(())
            }

            async fn delete_salts(&mut self, key_id: &[u8]) -> StoreResult<()> {
                query("DELETE FROM seen_salts WHERE key_id = $1").bind(key_id).execute(self).await?;
                Ok(())
            }

            async fn bump_fencing(&mut self, user_id: &str, item_id: &str) -> StoreResult<Option<i64>> {
                let row = query(
                    "UPDATE credentials SET fencing_seq = fencing_seq + 1 \
                     WHERE user_id = $1 AND item_id = $2 AND deleted = 0 RETURNING fencing_seq",
                )
                .bind(user_id)
                .bind(item_id)
                .fetch_optional(self)
                .await?;
                Ok(row.map(|r| r.try_get("fencing_seq")).transpose()?)
            }

            async fn reap_leases(&mut self, user_id: &str, item_id: &str, now: i64) -> StoreResult<u64> {
                let done = query("DELETE FROM leases WHERE user_id = $1 AND item_id = $2 AND expires_at <= $3")
                    .bind(user_id)
                    .bind(item_id)
                    .bind(now)
                    .execute(self)
                    .await?;
                Ok(done.rows_affected())
            }

            async fn leases(&mut self, user_id: &str, item_id: &str) -> StoreResult<Vec<LeaseRow>> {
                let sql = format!("SELECT {LEASE_COLS} FROM leases WHERE user_id = $1 AND item_id = $2 ORDER BY id");
                let rows = query(&sql).bind(user_id).bind(item_id).fetch_all(self).await?;
                rows.iter().map(Self::lease_row).collect()
            }

            async fn insert_lease(&mut self, l: &LeaseRow) -> StoreResult<()> {
                let sql = format!(
                    "INSERT INTO leases ({LEASE_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
                );
                query(&sql)
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
                    .execute(self)
                    .await?;
                Ok(())
            }

            async fn lease(&mut self, id: &str) -> StoreResult<Option<LeaseRow>> {
                let sql = format!("SELECT {LEASE_COLS} FROM leases WHERE id = $1");
                let row = query(&sql).bind(id).fetch_optional(self).await?;
                row.as_ref().map(Self::lease_row).transpose()
            }

            async fn update_lease(&mut self, id: &str, phase: &str, expires_at: i64) -> StoreResult<()> {
                query("UPDATE leases SET phase = $2, expires_at = $3 WHERE id = $1")
                    .bind(id)
                    .bind(phase)
                    .bind(expires_at)
                    .execute(self)
                    .await?;
                Ok(())
            }

            async fn delete_lease(&mut self, id: &str) -> StoreResult<()> {
                query("DELETE FROM leases WHERE id = $1").bind(id).execute(self).await?;
                Ok(())
            }

            async fn delete_leases(&mut self, user_id: &str, item_id: &str) -> StoreResult<()> {
                query("DELETE FROM leases WHERE user_id = $1 AND item_id = $2")
                    .bind(user_id)
                    .bind(item_id)
                    .execute(self)
                    .await?;
                Ok(())
            }

            async fn touch_waiter(&mut self, w: &WaiterRow) -> StoreResult<()> {
                let done = query("UPDATE lease_waiters SET seen_at = $2 WHERE id = $1")
                    .bind(&w.id)
                    .bind(w.seen_at)
                    .execute(self)
                    .await?;
                if done.rows_affected() == 0 {
                    query(
                        "INSERT INTO lease_waiters (id, user_id, item_id, arrived_us, seen_at) \
                         VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(&w.id)
                    .bind(&w.user_id)
                    .bind(&w.item_id)
                    .bind(w.arrived_us)
                    .bind(w.seen_at)
                    .execute(self)
                    .await?;
                }
                Ok(())
            }

            async fn waiters(&mut self, user_id: &str, item_id: &str, seen_after: i64) -> StoreResult<Vec<WaiterRow>> {
                query("DELETE FROM lease_waiters WHERE user_id = $1 AND item_id = $2 AND seen_at < $3")
                    .bind(user_id)
                    .bind(item_id)
                    .bind(seen_after)
                    .execute(self)
                    .await?;
                let rows = query(
                    "SELECT id, user_id, item_id, arrived_us, seen_at FROM lease_waiters \
                     WHERE user_id = $1 AND item_id = $2 ORDER BY arrived_us, id",
                )
                .bind(user_id)
                .bind(item_id)
                .fetch_all(self)
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
                query("DELETE FROM lease_waiters WHERE id = $1").bind(id).execute(self).await?;
                Ok(())
            }

            async fn totp_issued(&mut self, user_id: &str, item_id: &str, step: i64) -> StoreResult<Option<String>> {
                let row = query(
                    "SELECT lease_id FROM totp_issued WHERE user_id = $1 AND item_id = $2 AND step = $3",
                )
                .bind(user_id)
                .bind(item_id)
                .bind(step)
                .fetch_optional(self)
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
                query(
                    "INSERT INTO totp_issued (user_id, item_id, step, lease_id, issued_at) VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(user_id)
                .bind(item_id)
                .bind(step)
                .bind(lease_id)
                .bind(now)
                .execute(self)
                .await?;
                Ok(())
            }

            async fn session_state(&mut self, user_id: &str, item_id: &str) -> StoreResult<Option<SessionStateRow>> {
                let sql = format!("SELECT {STATE_COLS} FROM session_states WHERE user_id = $1 AND item_id = $2");
                let row = query(&sql).bind(user_id).bind(item_id).fetch_optional(self).await?;
                row.as_ref().map(Self::state_row).transpose()
            }

            async fn session_states(&mut self, user_id: &str) -> StoreResult<Vec<SessionStateRow>> {
                let sql = format!("SELECT {STATE_COLS} FROM session_states WHERE user_id = $1 ORDER BY item_id");
                let rows = query(&sql).bind(user_id).fetch_all(self).await?;
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
                query(&sql)
                    .bind(&s.user_id)
                    .bind(&s.item_id)
                    .bind(s.version)
                    .bind(&s.key_id)
                    .bind(&s.envelope)
                    .bind(s.fencing_token)
                    .bind(s.created_at)
                    .bind(s.last_used_at)
                    .bind(s.expires_at)
                    .execute(self)
                    .await?;
                Ok(())
            }

            async fn touch_session_state(&mut self, user_id: &str, item_id: &str, at: i64) -> StoreResult<()> {
                query("UPDATE session_states SET last_used_at = $3 WHERE user_id = $1 AND item_id = $2")
                    .bind(user_id)
                    .bind(item_id)
                    .bind(at)
                    .execute(self)
                    .await?;
                Ok(())
            }

            async fn delete_session_state(&mut self, user_id: &str, item_id: &str) -> StoreResult<bool> {
                let done = query("DELETE FROM session_states WHERE user_id = $1 AND item_id = $2")
                    .bind(user_id)
                    .bind(item_id)
                    .execute(self)
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
                query("UPDATE session_states SET key_id = $3, envelope = $4 WHERE user_id = $1 AND item_id = $2")
                    .bind(user_id)
                    .bind(item_id)
                    .bind(key_id)
                    .bind(envelope)
                    .execute(self)
                    .await?;
                Ok(())
            }

            async fn state_counters(&mut self, user_id: &str, item_id: &str) -> StoreResult<Option<StateCounters>> {
                let row = query(
                    "SELECT state_version, state_fencing FROM credentials WHERE user_id = $1 AND item_id = $2",
                )
                .bind(user_id)
                .bind(item_id)
                .fetch_optional(self)
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
                let done = query(
                    "UPDATE credentials SET state_version = $3, state_fencing = $4 \
                     WHERE user_id = $1 AND item_id = $2 AND state_version = $5",
                )
                .bind(user_id)
                .bind(item_id)
                .bind(counters.version)
                .bind(counters.fencing)
                .bind(expected)
                .execute(self)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn state_times(&mut self, after: (&str, &str), limit: i64) -> StoreResult<Vec<StateTimes>> {
                let rows = query(
                    "SELECT s.user_id, s.item_id, s.created_at, s.last_used_at, s.expires_at, c.config \
                     FROM session_states s LEFT JOIN credentials c \
                     ON c.user_id = s.user_id AND c.item_id = s.item_id \
                     WHERE (s.user_id, s.item_id) > ($1, $2) ORDER BY s.user_id, s.item_id LIMIT $3",
                )
                .bind(after.0)
                .bind(after.1)
                .bind(limit)
                .fetch_all(self)
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
                query("INSERT INTO proxies (id, ip) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET ip = $2")
                    .bind(id)
                    .bind(ip)
                    .execute(self)
                    .await?;
                Ok(())
            }

            async fn proxies(&mut self) -> StoreResult<Vec<ProxyRow>> {
                let sql = format!("SELECT {PROXY_COLS} FROM proxies ORDER BY id");
                let rows = query(&sql).fetch_all(self).await?;
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
                query("UPDATE proxies SET check_healthy = $2, checked_at = $3 WHERE id = $1")
                    .bind(id)
                    .bind(i64::from(healthy))
                    .bind(at)
                    .execute(self)
                    .await?;
                Ok(())
            }

            async fn set_proxy_admin(&mut self, id: &str, healthy: bool, at: i64) -> StoreResult<()> {
                query("UPDATE proxies SET admin_healthy = $2, marked_at = $3 WHERE id = $1")
                    .bind(id)
                    .bind(i64::from(healthy))
                    .bind(at)
                    .execute(self)
                    .await?;
                Ok(())
            }

            async fn credential_proxy(&mut self, user_id: &str, item_id: &str) -> StoreResult<Option<String>> {
                let row = query("SELECT proxy_id FROM credentials WHERE user_id = $1 AND item_id = $2")
                    .bind(user_id)
                    .bind(item_id)
                    .fetch_optional(self)
                    .await?;
                Ok(row.map(|r| r.try_get::<Option<String>, _>("proxy_id")).transpose()?.flatten())
            }

            async fn set_credential_proxy(&mut self, user_id: &str, item_id: &str, proxy_id: &str) -> StoreResult<()> {
                query("UPDATE credentials SET proxy_id = $3 WHERE user_id = $1 AND item_id = $2")
                    .bind(user_id)
                    .bind(item_id)
                    .bind(proxy_id)
                    .execute(self)
                    .await?;
                Ok(())
            }

            async fn lock_audit_head(&mut self) -> StoreResult<(i64, Vec<u8>)> {
                let sql = format!("SELECT seq, mac FROM audit_head WHERE id = 1{}", $for_update);
                let row = query(&sql).fetch_one(self).await?;
                Ok((row.try_get("seq")?, row.try_get("mac")?))
            }

            async fn append_audit(&mut self, a: &AuditRow) -> StoreResult<()> {
                let sql = format!("INSERT INTO audit_log ({AUDIT_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)");
                query(&sql)
                    .bind(a.seq)
                    .bind(a.at)
                    .bind(&a.action)
                    .bind(&a.user_id)
                    .bind(&a.token_id)
                    .bind(&a.item_id)
                    .bind(&a.detail)
                    .bind(&a.mac)
                    .execute(self)
                    .await?;
                query("UPDATE audit_head SET seq = $1, mac = $2 WHERE id = 1")
                    .bind(a.seq)
                    .bind(&a.mac)
                    .execute(self)
                    .await?;
                Ok(())
            }

            async fn audit(&mut self, user_id: Option<&str>, after_seq: i64, limit: i64) -> StoreResult<Vec<AuditRow>> {
                let rows = match user_id {
                    Some(user) => {
                        let sql = format!(
                            "SELECT {AUDIT_COLS} FROM audit_log WHERE user_id = $1 AND seq > $2 ORDER BY seq LIMIT $3"
                        );
                        query(&sql).bind(user).bind(after_seq).bind(limit).fetch_all(self).await?
                    }
                    None => {
                        let sql = format!("SELECT {AUDIT_COLS} FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2");
                        query(&sql).bind(after_seq).bind(limit).fetch_all(self).await?
                    }
                };
                rows.iter().map(Self::audit_row).collect()
            }
        }
    };
}

pub(super) use sql_tx;

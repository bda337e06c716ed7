//! The PostgreSQL store: a sqlx pool; limits hold through row locks
//! (`SELECT … FOR UPDATE`), so several replicas agree.

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::postgres::{PgArguments, PgConnectOptions, PgPoolOptions, PgRow};
use sqlx::{Pool, Postgres, Transaction};

use super::query::query;
use super::query::{Arg, Done, Exec, Query};
use super::sql::{AUDIT_COLS, CRED_COLS, KEY_COLS, LEASE_COLS, PROXY_COLS, STATE_COLS, USER_COLS};
use super::sql::{TOKEN_COLS, map_err};
use super::{
    AuditRow, CredentialRow, DataKeyRow, LeaseRow, ProxyRow, SessionStateRow, StateCounters,
    StateTimes, UserRow, VaultKeyRow, WaiterRow,
};
use super::{Store, StoreResult, TokenRow, Tx, migrations};
use sqlx::Row;

/// A store on PostgreSQL.
pub struct PgStore {
    pool: Pool<Postgres>,
}

/// A PostgreSQL transaction.
pub struct PgTx(Transaction<'static, Postgres>);

impl PgStore {
    /// Opens a PostgreSQL connection pool.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let options = PgConnectOptions::from_str(url)?;
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await?;
        Ok(Self { pool })
    }

    /// The pool, for tests and admin verbs.
    pub fn pool(&self) -> &Pool<Postgres> {
        &self.pool
    }
}

fn bound<'q>(q: &Query<'q>) -> sqlx::query::Query<'q, Postgres, PgArguments> {
    let mut out = sqlx::query(q.sql);
    for arg in &q.args {
        out = match *arg {
            Arg::Int(v) => out.bind(v),
            Arg::Text(v) => out.bind(v),
            Arg::Blob(v) => out.bind(v),
        };
    }
    out
}

impl Exec for PgTx {
    type Row = PgRow;

    async fn execute(&mut self, q: Query<'_>) -> StoreResult<Done> {
        let done = bound(&q).execute(&mut *self.0).await.map_err(map_err)?;
        Ok(Done(done.rows_affected()))
    }

    async fn fetch_optional(&mut self, q: Query<'_>) -> StoreResult<Option<PgRow>> {
        bound(&q)
            .fetch_optional(&mut *self.0)
            .await
            .map_err(map_err)
    }

    async fn fetch_all(&mut self, q: Query<'_>) -> StoreResult<Vec<PgRow>> {
        bound(&q).fetch_all(&mut *self.0).await.map_err(map_err)
    }
}

impl PgTx {
    async fn commit_tx(self) -> StoreResult<()> {
        self.0.commit().await.map_err(map_err)
    }
}

#[async_trait]
impl Store for PgStore {
    async fn write(&self) -> StoreResult<Box<dyn Tx>> {
        Ok(Box::new(PgTx(self.pool.begin().await?)))
    }

    async fn read(&self) -> StoreResult<Box<dyn Tx>> {
        Ok(Box::new(PgTx(self.pool.begin().await?)))
    }

    async fn migrate(&self) -> StoreResult<()> {
        migrations::run("postgres", &self.pool).await?;
        Ok(())
    }

    fn backend(&self) -> &'static str {
        "postgres"
    }

    async fn token_by_hash(&self, hash: &[u8]) -> StoreResult<Option<TokenRow>> {
        let sql = format!("SELECT {TOKEN_COLS} FROM tokens WHERE token_hash = $1");
        let row = sqlx::query(&sql)
            .bind(hash)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(PgTx::token_row).transpose()
    }

    async fn data_key(&self, user_id: &str) -> StoreResult<Option<DataKeyRow>> {
        let sql = format!("SELECT {KEY_COLS} FROM data_keys WHERE user_id = $1");
        let row = sqlx::query(&sql)
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(PgTx::key_row).transpose()
    }
}

super::sql::sql_tx!(PgTx, PgRow, " FOR UPDATE");

//! The SQLite store: WAL, `secure_delete=ON`, foreign keys.
//!
//! Statements run inline through rusqlite on the task's own thread: a
//! statement on a warm page cache takes microseconds, while handing each one
//! to a driver's worker thread and back cost two thread wake-ups, which on
//! two shared cores was most of a request's CPU (`benches/README.md`).
//! Writers queue in arrival order on one connection (a FIFO async mutex)
//! and then take SQLite's write lock with `BEGIN IMMEDIATE`, which still
//! guards against other processes; a busy lock is retried with async
//! sleeps, never by blocking the runtime. Readers share a few connections.
//! The price: a write the disk stalls (seen at 17-171 ms on a busy shared
//! disk) stalls the runtime thread running it; as one writer runs at a
//! time, that is at most one thread, and the other runtime threads can
//! steal most of the tasks queued on it.
//! Migrations run through sqlx, which owns the migration table.

use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use rusqlite::types::{FromSql, Value, ValueRef};
use rusqlite::{Connection, ErrorCode, OpenFlags};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use tokio::sync::{Mutex, OwnedMutexGuard};

use super::query::query;
mod batch;
mod checkpoint;
mod writeback;

use super::query::{Arg, Done, Exec, Query};
use super::sql::TOKEN_COLS;
use super::sql::{AUDIT_COLS, CRED_COLS, KEY_COLS, LEASE_COLS, PROXY_COLS, STATE_COLS, USER_COLS};
use super::{
    AuditRow, CredentialRow, DataKeyRow, LeaseRow, ProxyRow, SessionStateRow, StateCounters,
    StateTimes, UserRow, VaultKeyRow, WaiterRow,
};
use super::{Store, StoreError, StoreResult, TokenRow, Tx, migrations};

/// Reader connections.
const READERS: usize = 8;
/// How long a writer waits for another process's write lock.
const BUSY_WAIT: Duration = Duration::from_secs(10);
/// Prepared statements kept per connection.
const STATEMENT_CACHE: usize = 128;
/// Bytes of the file each connection reads through a memory map instead of
/// `pread` plus a copy: every commit empties the other connections' page
/// caches, so reads refetch pages often (ingest ran 30 % faster with it).
/// Writes still go through `write`.
const MMAP_SIZE: u64 = 256 << 20;
/// A long transaction (a rotation) lets other tasks run this often.
const YIELD_EVERY: u32 = 64;

/// A store on a SQLite file.
pub struct SqliteStore {
    options: SqliteConnectOptions,
    writer: Arc<batch::WriteQueue>,
    readers: Vec<Arc<Mutex<Connection>>>,
    next_reader: AtomicUsize,
    /// Dropped with the store, which stops the checkpoint thread.
    _checkpointer: checkpoint::Stop,
}

/// A SQLite transaction on a connection it holds; rolled back when dropped
/// uncommitted.
pub struct SqliteTx {
    held: Held,
    statements: u32,
}

/// What a transaction runs on.
enum Held {
    /// A read transaction on a reader connection.
    Read(ReadTx),
    /// A write flow: a savepoint in the writer's batch.
    Write(batch::Member),
}

impl Held {
    fn conn(&self) -> &Connection {
        match self {
            Held::Read(read) => &read.conn,
            Held::Write(member) => member.conn(),
        }
    }
}

/// A read transaction; rolled back when dropped uncommitted.
struct ReadTx {
    conn: OwnedMutexGuard<Connection>,
    open: bool,
}

impl ReadTx {
    fn commit(mut self) -> StoreResult<()> {
        self.conn.execute_batch("COMMIT").map_err(sqlite_err)?;
        self.open = false;
        Ok(())
    }
}

impl Drop for ReadTx {
    fn drop(&mut self) {
        if self.open {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }
}

/// A result row, its values owned.
pub struct SqlRow {
    names: Arc<[String]>,
    values: Vec<Value>,
}

impl SqlRow {
    /// The value of column `name`.
    pub fn try_get<T: FromSql, I: AsRef<str>>(&self, name: I) -> StoreResult<T> {
        let name = name.as_ref();
        let index = self
            .names
            .iter()
            .position(|n| n == name)
            .ok_or_else(|| StoreError::Corrupt(format!("no column {name}")))?;
        T::column_result(ValueRef::from(&self.values[index]))
            .map_err(|e| StoreError::Corrupt(format!("column {name}: {e}")))
    }
}

pub(super) fn sqlite_err(e: rusqlite::Error) -> StoreError {
    match e.sqlite_error() {
        Some(f)
            if f.code == ErrorCode::ConstraintViolation
                && matches!(
                    f.extended_code,
                    rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                        | rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
                ) =>
        {
            StoreError::Conflict
        }
        _ => StoreError::Sqlite(e),
    }
}

pub(super) fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)
    )
}

fn open(path: &std::path::Path, busy: Duration) -> StoreResult<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_URI;
    let conn = Connection::open_with_flags(path, flags).map_err(sqlite_err)?;
    // Setting up waits like any writer: another process may hold the file
    // for a moment (a CLI verb closing it, recovery after a crash).
    conn.busy_timeout(BUSY_WAIT).map_err(sqlite_err)?;
    // temp_store: the sub-journals of group commit's savepoints (copies of
    // database pages) stay in memory instead of spilling to unlinked files
    // in /var/tmp (seen under load)
    conn.execute_batch(&format!(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
         PRAGMA foreign_keys = ON; PRAGMA secure_delete = ON; \
         PRAGMA mmap_size = {MMAP_SIZE}; PRAGMA temp_store = MEMORY;"
    ))
    .map_err(sqlite_err)?;
    conn.busy_timeout(busy).map_err(sqlite_err)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(conn)
}

impl SqliteStore {
    /// Opens (creating if missing) a SQLite file named by a `sqlite:` URL.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(BUSY_WAIT)
            .foreign_keys(true)
            .pragma("secure_delete", "ON");
        let path = options.get_filename().to_owned();
        // the writer's own waits are async retries (`begin_immediate`); it
        // leaves checkpoints (an fsync) to a thread of their own
        let writer = open(&path, Duration::ZERO)?;
        writer
            .execute_batch(&format!(
                "PRAGMA wal_autocheckpoint = 0; PRAGMA journal_size_limit = {};",
                checkpoint::WAL_KEEP
            ))
            .map_err(sqlite_err)?;
        let writer = batch::WriteQueue::new(writer);
        let mut wal = path.clone().into_os_string();
        wal.push("-wal");
        let checkpointer = checkpoint::spawn(
            open(&path, checkpoint::READER_WAIT)?,
            wal.into(),
            writer.writer(),
        )?;
        let readers = (0..READERS)
            .map(|_| open(&path, Duration::from_secs(5)).map(|c| Arc::new(Mutex::new(c))))
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(Self {
            options,
            writer,
            readers,
            next_reader: AtomicUsize::new(0),
            _checkpointer: checkpointer,
        })
    }

    /// A free reader connection, else the next one in turn.
    async fn reader(&self) -> OwnedMutexGuard<Connection> {
        let start = self.next_reader.fetch_add(1, Ordering::Relaxed);
        for i in 0..READERS {
            if let Ok(conn) = self.readers[(start + i) % READERS].clone().try_lock_owned() {
                return conn;
            }
        }
        self.readers[start % READERS].clone().lock_owned().await
    }
}

/// The names of the first parameters, so binding them allocates nothing.
const PARAMETERS: [&str; 16] = [
    "$1", "$2", "$3", "$4", "$5", "$6", "$7", "$8", "$9", "$10", "$11", "$12", "$13", "$14", "$15",
    "$16",
];

fn bind(stmt: &mut rusqlite::CachedStatement<'_>, args: &[Arg<'_>]) -> rusqlite::Result<()> {
    for (i, arg) in args.iter().enumerate() {
        let index = match PARAMETERS.get(i) {
            Some(name) => stmt.parameter_index(name)?,
            None => stmt.parameter_index(&format!("${}", i + 1))?,
        };
        let Some(index) = index else {
            continue;
        };
        match *arg {
            Arg::Int(v) => stmt.raw_bind_parameter(index, v)?,
            Arg::Text(v) => stmt.raw_bind_parameter(index, v)?,
            Arg::Blob(v) => stmt.raw_bind_parameter(index, v)?,
        }
    }
    Ok(())
}

/// Runs `q` on `conn`, keeping at most `limit` rows.
fn rows(conn: &Connection, q: &Query<'_>, limit: usize) -> StoreResult<Vec<SqlRow>> {
    let run = || -> rusqlite::Result<Vec<SqlRow>> {
        let mut stmt = conn.prepare_cached(q.sql)?;
        bind(&mut stmt, &q.args)?;
        let names: Arc<[String]> = stmt.column_names().into_iter().map(str::to_owned).collect();
        let width = names.len();
        let mut rows = stmt.raw_query();
        let mut out = Vec::new();
        while out.len() < limit {
            let Some(row) = rows.next()? else { break };
            let values = (0..width)
                .map(|i| row.get::<_, Value>(i))
                .collect::<Result<_, _>>()?;
            out.push(SqlRow {
                names: names.clone(),
                values,
            });
        }
        Ok(out)
    };
    run().map_err(sqlite_err)
}

fn execute_on(conn: &Connection, q: &Query<'_>) -> StoreResult<Done> {
    let run = || -> rusqlite::Result<usize> {
        let mut stmt = conn.prepare_cached(q.sql)?;
        bind(&mut stmt, &q.args)?;
        stmt.raw_execute()
    };
    run().map(|n| Done(n as u64)).map_err(sqlite_err)
}

impl Exec for SqliteTx {
    type Row = SqlRow;

    async fn execute(&mut self, q: Query<'_>) -> StoreResult<Done> {
        let done = execute_on(self.held.conn(), &q);
        self.pace().await;
        done
    }

    async fn fetch_optional(&mut self, q: Query<'_>) -> StoreResult<Option<SqlRow>> {
        let row = rows(self.held.conn(), &q, 1).map(|mut rows| rows.pop());
        self.pace().await;
        row
    }

    async fn fetch_all(&mut self, q: Query<'_>) -> StoreResult<Vec<SqlRow>> {
        let all = rows(self.held.conn(), &q, usize::MAX);
        self.pace().await;
        all
    }
}

impl SqliteTx {
    /// Statements run inline, so a transaction of thousands (a rotation)
    /// yields now and then instead of holding a runtime thread throughout.
    async fn pace(&mut self) {
        self.statements = self.statements.wrapping_add(1);
        if self.statements.is_multiple_of(YIELD_EVERY) {
            tokio::task::yield_now().await;
        }
    }

    async fn commit_tx(self) -> StoreResult<()> {
        match self.held {
            Held::Write(member) => member.commit().await,
            Held::Read(read) => read.commit(),
        }
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn write(&self) -> StoreResult<Box<dyn Tx>> {
        Ok(Box::new(SqliteTx {
            held: Held::Write(self.writer.begin().await?),
            statements: 0,
        }))
    }

    async fn read(&self) -> StoreResult<Box<dyn Tx>> {
        let conn = self.reader().await;
        conn.execute_batch("BEGIN").map_err(sqlite_err)?;
        Ok(Box::new(SqliteTx {
            held: Held::Read(ReadTx { conn, open: true }),
            statements: 0,
        }))
    }

    async fn migrate(&self) -> StoreResult<()> {
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(self.options.clone())
            .await?;
        let result = migrations::run("sqlite", &pool).await;
        pool.close().await;
        Ok(result?)
    }

    fn backend(&self) -> &'static str {
        "sqlite"
    }

    async fn token_by_hash(&self, hash: &[u8]) -> StoreResult<Option<TokenRow>> {
        let conn = self.reader().await;
        let sql = format!("SELECT {TOKEN_COLS} FROM tokens WHERE token_hash = $1");
        let q = query(&sql).bind(hash);
        let row = rows(&conn, &q, 1)?.pop();
        row.as_ref().map(SqliteTx::token_row).transpose()
    }

    async fn data_key(&self, user_id: &str) -> StoreResult<Option<DataKeyRow>> {
        let conn = self.reader().await;
        let sql = format!("SELECT {KEY_COLS} FROM data_keys WHERE user_id = $1");
        let row = rows(&conn, &query(&sql).bind(user_id), 1)?.pop();
        row.as_ref().map(SqliteTx::key_row).transpose()
    }
}

super::sql::sql_tx!(SqliteTx, SqlRow, "");

#[cfg(test)]
mod tests {
    use super::*;

    fn pragma<T: FromSql>(conn: &Connection, name: &str) -> T {
        conn.query_row(&format!("PRAGMA {name}"), [], |r| r.get(0))
            .unwrap()
    }

    /// DEPLOY.md and SECURITY.md rely on these settings, on every connection.
    #[tokio::test]
    async fn every_connection_is_wal_with_secure_delete() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("vault.db").display());
        let store = SqliteStore::connect(&url).await.unwrap();
        let writer = store.writer.writer().lock_owned().await;
        let mut readers = Vec::new();
        for reader in &store.readers {
            readers.push(reader.clone().lock_owned().await);
        }
        let conns: Vec<&Connection> = std::iter::once(&writer.conn)
            .chain(readers.iter().map(|r| &**r))
            .collect();
        for conn in conns.iter().copied() {
            assert_eq!(pragma::<String>(conn, "journal_mode"), "wal");
            assert_eq!(pragma::<i64>(conn, "secure_delete"), 1);
            assert_eq!(pragma::<i64>(conn, "foreign_keys"), 1);
            assert_eq!(pragma::<i64>(conn, "synchronous"), 1, "NORMAL");
            assert_eq!(pragma::<i64>(conn, "mmap_size"), MMAP_SIZE as i64);
            assert_eq!(pragma::<i64>(conn, "temp_store"), 2, "MEMORY");
        }
        assert_eq!(pragma::<i64>(conns[0], "wal_autocheckpoint"), 0);
        assert_eq!(
            pragma::<i64>(conns[0], "journal_size_limit"),
            checkpoint::WAL_KEEP as i64
        );
    }

    /// Another process holding the file while the server starts (seen: a
    /// CLI verb's connection closing, which checkpoints under an exclusive
    /// lock) is waited for, not a startup failure.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn connect_waits_for_a_lock_held_elsewhere() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vault.db");
        let url = format!("sqlite://{}", path.display());
        drop(SqliteStore::connect(&url).await.unwrap());
        // exclusive locking mode: the file stays locked until `other` closes
        let other = Connection::open(&path).unwrap();
        other
            .execute_batch("PRAGMA locking_mode = EXCLUSIVE; CREATE TABLE t (v INTEGER);")
            .unwrap();
        let release = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            drop(other);
        });
        let store = SqliteStore::connect(&url).await;
        release.join().unwrap();
        let store = store.expect("connect waited for the lock");
        let writer = store.writer.writer().lock_owned().await;
        assert_eq!(
            pragma::<i64>(&writer.conn, "busy_timeout"),
            0,
            "writer retries itself"
        );
    }
}

//! WAL checkpoints on a thread of their own.
//!
//! SQLite's automatic checkpoint runs inside the commit that crosses the
//! threshold, so some request would pay for copying pages and syncing the
//! files. Worse, under steady writes a `PASSIVE` checkpoint never catches
//! up with the log (new frames arrive while it copies), so the WAL is never
//! restarted and grows without bound — measured at 1 GB in 30 s of ingest,
//! with a 1.8 s `fsync` of it stalling every writer behind the file system.
//!
//! So every [`EVERY`] this thread copies what it can with `PASSIVE`,
//! unlocked; when the log file has grown past [`WAL_LIMIT`] it then queues
//! for the writer connection (behind waiting writers, in order), finishes
//! with `RESTART` — only the frames written since, and a wait of at most
//! [`READER_WAIT`] for readers of older frames — and lets go, so the next
//! writer starts the log from its beginning again (and, through
//! `journal_size_limit`, truncates the file back to [`WAL_KEEP`]).
//!
//! Each checkpoint syncs both files, and on a shared disk one `fsync` can
//! take tens of milliseconds and hold up appends to the log meanwhile (and
//! a restart holds up writers): checkpoints once a second and a restart
//! only past 128 MiB made these stalls rarest in `vault_load` on the
//! development machine (`benches/README.md`). Between checkpoints the
//! thread starts the log's write-back every 20 ms ([`writeback`]), so the
//! checkpoint's own sync of it is short.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::time::{Duration, Instant};

use rusqlite::Connection;
use tokio::sync::Mutex;

use super::batch::Writer;
use super::{sqlite_err, writeback};
use crate::storage::StoreResult;

/// How often the thread looks at the log.
const EVERY: Duration = Duration::from_secs(1);
/// Log file length (bytes) past which the log is restarted.
const WAL_LIMIT: u64 = 128 << 20;
/// What a restarted log file is truncated back to (`journal_size_limit`):
/// its full working length, so a restarted log overwrites blocks the file
/// already has instead of freeing and reallocating them, which on ext4
/// (with `discard`) cut the worst write stalls from 180-280 ms to 65-195
/// ms in `vault_load` (`benches/README.md`).
pub(super) const WAL_KEEP: u64 = WAL_LIMIT;
/// The busy timeout of the checkpoint connection: how long a restart
/// waits for readers of older frames (the writer lock held meanwhile).
pub(super) const READER_WAIT: Duration = Duration::from_millis(20);

/// Dropped with the store: the thread runs a last checkpoint and ends.
pub(super) struct Stop(#[allow(dead_code)] Sender<()>);

/// Starts the checkpoint thread on its own connection.
pub(super) fn spawn(
    conn: Connection,
    wal: PathBuf,
    writer: Arc<Mutex<Writer>>,
) -> StoreResult<Stop> {
    let (stop, stopped) = channel();
    std::thread::Builder::new()
        .name("sqlite-checkpoint".into())
        .spawn(move || run(&conn, &wal, &writer, &stopped))?;
    Ok(Stop(stop))
}

fn run(conn: &Connection, wal: &Path, writer: &Mutex<Writer>, stopped: &Receiver<()>) {
    let mut next = Instant::now() + EVERY;
    let mut log = WalWriteback::default();
    while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(writeback::EVERY) {
        if Instant::now() < next {
            log.start(wal);
            continue;
        }
        if let Err(e) = round(conn, wal, WAL_LIMIT, writer) {
            tracing::warn!(error = %e, "sqlite checkpoint failed");
        }
        log.reopen();
        next = Instant::now() + EVERY;
    }
    let _ = checkpoint(conn, "PASSIVE");
}

/// The log file as [`writeback`] sees it: opened when first there, opened
/// again after each checkpoint round, given up on after an error.
#[derive(Default)]
struct WalWriteback {
    file: Option<std::fs::File>,
    failed: bool,
}

impl WalWriteback {
    fn start(&mut self, wal: &Path) {
        if self.failed {
            return;
        }
        if self.file.is_none() {
            self.file = std::fs::File::open(wal).ok();
        }
        let Some(file) = &self.file else { return };
        if let Err(e) = writeback::start(file) {
            tracing::warn!(error = %e, "cannot start the sqlite log's write-back; not trying again");
            self.failed = true;
        }
    }

    fn reopen(&mut self) {
        self.file = None;
    }
}

/// A passive copy of the log, then a restart under the writer lock when
/// the log file is long.
fn round(conn: &Connection, wal: &Path, limit: u64, writer: &Mutex<Writer>) -> StoreResult<()> {
    checkpoint(conn, "PASSIVE")?;
    if std::fs::metadata(wal).is_ok_and(|m| m.len() > limit) {
        let mut writers_wait = writer.blocking_lock();
        // an open batch would hold the log (and is due anyway)
        let _ = writers_wait.commit_batch();
        checkpoint(conn, "RESTART")?;
    }
    Ok(())
}

/// Runs `PRAGMA wal_checkpoint(mode)`; the log's length in frames.
fn checkpoint(conn: &Connection, mode: &str) -> StoreResult<i64> {
    conn.query_row(&format!("PRAGMA wal_checkpoint({mode})"), [], |row| {
        row.get::<_, i64>(1)
    })
    .map_err(sqlite_err)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wal_len(wal: &Path) -> u64 {
        std::fs::metadata(wal).map(|m| m.len()).unwrap_or(0)
    }

    /// A real SQLite file: a round past the limit restarts the log — even
    /// when a reader of an older snapshot kept its `PASSIVE` copy from
    /// finishing, which is when steady traffic never lets the log restart
    /// by itself — and the next commit truncates the file to
    /// `journal_size_limit`.
    #[test]
    fn a_round_past_the_limit_restarts_and_truncates_the_log() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vault.db");
        let wal = dir.path().join("vault.db-wal");
        let writer = super::super::open(&path, Duration::ZERO).unwrap();
        writer
            .execute_batch(
                "PRAGMA wal_autocheckpoint = 0; PRAGMA journal_size_limit = 0; \
                 CREATE TABLE t (v BLOB);",
            )
            .unwrap();
        for _ in 0..200 {
            writer
                .execute("INSERT INTO t (v) VALUES (randomblob(4000))", [])
                .unwrap();
        }
        // a reader on the snapshot of 200 rows, while 200 more are written
        let old = super::super::open(&path, READER_WAIT).unwrap();
        old.execute_batch("BEGIN; SELECT COUNT(*) FROM t;").unwrap();
        for _ in 0..200 {
            writer
                .execute("INSERT INTO t (v) VALUES (randomblob(4000))", [])
                .unwrap();
        }
        let grown = wal_len(&wal);
        assert!(grown > 400 * 4096, "the log grew to {grown} bytes");
        let queue = super::super::batch::WriteQueue::new(writer);
        let writer = queue.writer();
        // waits (here up to 5 s) for the old reader, which ends after 200 ms
        let conn = super::super::open(&path, Duration::from_secs(5)).unwrap();
        let reader = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(200));
            old.execute_batch("COMMIT").unwrap();
        });

        // past the limit: restarted, and the next commit truncates the file
        round(&conn, &wal, 4096, &writer).unwrap();
        reader.join().unwrap();
        writer
            .blocking_lock()
            .conn
            .execute("INSERT INTO t (v) VALUES (2)", [])
            .unwrap();
        let after = wal_len(&wal);
        assert!(after < 64 * 1024, "the log file is still {after} bytes");
        let rows: i64 = conn
            .query_row("SELECT COUNT(*) FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(rows, 401);
    }
}

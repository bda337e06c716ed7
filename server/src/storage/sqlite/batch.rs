//! Group commit: write flows queued on the one writer connection share a
//! SQLite transaction.
//!
//! Each flow runs in a savepoint of the open batch. A flow that commits
//! while other writers are queued (and the batch is young and small)
//! releases its savepoint, hands the connection to the next writer and
//! waits; whoever finds no writer behind it commits once for all and tells
//! every member the outcome. So a member hears `Ok` only after that
//! `COMMIT`: no answer is given for a write that is not in the database,
//! and a `COMMIT` that fails fails every member. A flow that rolls back
//! undoes only its own savepoint. Pages the flows share — the audit head
//! and the log's tail, the user's row, index tails — go to the log once
//! per batch instead of once per flow, which is most of what a small write
//! costs (`benches/README.md`).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use rusqlite::{Connection, ffi};
use tokio::sync::{Mutex, OwnedMutexGuard, oneshot};

use super::{BUSY_WAIT, is_busy, sqlite_err};
use crate::storage::{StoreError, StoreResult};

/// Most flows in one batch.
const MAX_MEMBERS: usize = 32;
/// A batch older than this commits at its next member's end.
const MAX_AGE: Duration = Duration::from_millis(4);
/// How long a member waits for its batch's `COMMIT` before committing the
/// batch itself (the writer it handed over to gave up before its turn).
const STRAGGLER_WAIT: Duration = Duration::from_millis(50);

/// What a member learns of its batch: the error code of a failed `COMMIT`.
type Outcome = Result<(), (ffi::Error, Option<String>)>;

/// The writer connection and its open batch, if any.
pub(super) struct Writer {
    pub(super) conn: Connection,
    batch: Option<Batch>,
    /// Batches committed (tests count them).
    commits: u64,
}

/// An open SQLite transaction and the members committed into it.
struct Batch {
    epoch: u64,
    /// Past this, the batch commits at its next member's end.
    due: Instant,
    waiting: Vec<oneshot::Sender<Outcome>>,
}

/// The writer connection and the writers queued for it (in arrival order:
/// tokio's mutex is fair).
pub(super) struct WriteQueue {
    writer: Arc<Mutex<Writer>>,
    queued: AtomicUsize,
    epochs: AtomicU64,
    max_age: Duration,
}

/// Counts a writer while it waits for the connection.
struct Queued<'a>(&'a AtomicUsize);

impl<'a> Queued<'a> {
    fn new(count: &'a AtomicUsize) -> Self {
        count.fetch_add(1, Ordering::AcqRel);
        Self(count)
    }
}

impl Drop for Queued<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl WriteQueue {
    pub(super) fn new(conn: Connection) -> Arc<Self> {
        Self::with_max_age(conn, MAX_AGE)
    }

    fn with_max_age(conn: Connection, max_age: Duration) -> Arc<Self> {
        Arc::new(Self {
            writer: Arc::new(Mutex::new(Writer {
                conn,
                batch: None,
                commits: 0,
            })),
            queued: AtomicUsize::new(0),
            epochs: AtomicU64::new(0),
            max_age,
        })
    }

    /// The writer connection, for the checkpoint thread's restarts.
    pub(super) fn writer(&self) -> Arc<Mutex<Writer>> {
        self.writer.clone()
    }

    async fn lock(&self) -> OwnedMutexGuard<Writer> {
        let _queued = Queued::new(&self.queued);
        self.writer.clone().lock_owned().await
    }

    fn queued(&self) -> bool {
        self.queued.load(Ordering::Acquire) > 0
    }

    /// A new write flow: a savepoint in the open batch, or in a new one.
    pub(super) async fn begin(self: &Arc<Self>) -> StoreResult<Member> {
        let mut writer = self.lock().await;
        if writer.batch.as_ref().is_some_and(Batch::aged) {
            let _ = writer.commit_batch();
        }
        if writer.batch.is_none() {
            writer = begin_immediate(writer).await?;
            writer.batch = Some(Batch {
                epoch: self.epochs.fetch_add(1, Ordering::Relaxed),
                due: Instant::now() + self.max_age,
                waiting: Vec::new(),
            });
        }
        let mut member = Member {
            queue: self.clone(),
            writer: Some(writer),
            open: false,
        };
        member
            .conn()
            .execute_batch("SAVEPOINT flow")
            .map_err(sqlite_err)?;
        member.open = true;
        Ok(member)
    }
}

/// `BEGIN IMMEDIATE`, waiting (asynchronously) while another process holds
/// the write lock.
async fn begin_immediate(writer: OwnedMutexGuard<Writer>) -> StoreResult<OwnedMutexGuard<Writer>> {
    let deadline = Instant::now() + BUSY_WAIT;
    let mut pause = Duration::from_millis(1);
    loop {
        let begun = writer.conn.execute_batch("BEGIN IMMEDIATE");
        match begun {
            Ok(()) => return Ok(writer),
            Err(e) if is_busy(&e) && Instant::now() < deadline => {
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_millis(50));
            }
            Err(e) => return Err(sqlite_err(e)),
        }
    }
}

impl Batch {
    fn aged(&self) -> bool {
        Instant::now() >= self.due
    }

    fn full(&self) -> bool {
        self.waiting.len() + 1 >= MAX_MEMBERS
    }
}

impl Writer {
    /// Commits the open batch, if any, and tells its members.
    pub(super) fn commit_batch(&mut self) -> Outcome {
        let Some(batch) = self.batch.take() else {
            return Ok(());
        };
        self.commits += 1;
        let outcome = self.conn.execute_batch("COMMIT").map_err(failure);
        if !self.conn.is_autocommit() {
            // a COMMIT that failed can leave the transaction open
            let _ = self.conn.execute_batch("ROLLBACK");
        }
        for member in batch.waiting {
            let _ = member.send(outcome.clone());
        }
        outcome
    }

    /// After an error: when SQLite rolled the whole transaction back
    /// (an I/O error, a full disk), the batch's members are told so.
    fn forget_if_rolled_back(&mut self) {
        if self.batch.is_none() || !self.conn.is_autocommit() {
            return;
        }
        let lost = (
            ffi::Error::new(ffi::SQLITE_ABORT),
            Some("the batch's transaction was rolled back".to_owned()),
        );
        for member in self.batch.take().into_iter().flat_map(|b| b.waiting) {
            let _ = member.send(Err(lost.clone()));
        }
    }

    #[cfg(test)]
    fn commits(&self) -> u64 {
        self.commits
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        let _ = self.commit_batch();
    }
}

fn failure(e: rusqlite::Error) -> (ffi::Error, Option<String>) {
    match e {
        rusqlite::Error::SqliteFailure(code, message) => (code, message),
        other => (ffi::Error::new(ffi::SQLITE_ERROR), Some(other.to_string())),
    }
}

fn outcome_err((code, message): (ffi::Error, Option<String>)) -> StoreError {
    StoreError::Sqlite(rusqlite::Error::SqliteFailure(code, message))
}

/// One write flow: a savepoint in a batch, holding the writer connection.
/// Dropped uncommitted, it rolls its savepoint back.
pub(super) struct Member {
    queue: Arc<WriteQueue>,
    writer: Option<OwnedMutexGuard<Writer>>,
    open: bool,
}

impl Member {
    pub(super) fn conn(&self) -> &Connection {
        &self.writer.as_ref().expect("held until commit").conn
    }

    /// Releases the savepoint; returns once the batch is committed.
    pub(super) async fn commit(mut self) -> StoreResult<()> {
        self.conn()
            .execute_batch("RELEASE flow")
            .map_err(sqlite_err)?;
        self.open = false;
        let mut writer = self.writer.take().expect("held until commit");
        let batch = writer.batch.as_mut().expect("a flow runs in a batch");
        if !self.queue.queued() || batch.full() || batch.aged() {
            return writer.commit_batch().map_err(outcome_err);
        }
        // the next writer continues the batch; its last member commits it
        let (told, mut outcome) = oneshot::channel();
        batch.waiting.push(told);
        let epoch = batch.epoch;
        drop(writer);
        if let Ok(heard) = tokio::time::timeout(STRAGGLER_WAIT, &mut outcome).await {
            return heard.unwrap_or(Err(abandoned())).map_err(outcome_err);
        }
        let mut writer = self.queue.lock().await;
        if writer.batch.as_ref().is_some_and(|b| b.epoch == epoch) {
            let _ = writer.commit_batch();
        }
        drop(writer);
        outcome
            .await
            .unwrap_or(Err(abandoned()))
            .map_err(outcome_err)
    }
}

fn abandoned() -> (ffi::Error, Option<String>) {
    (
        ffi::Error::new(ffi::SQLITE_ABORT),
        Some("the batch ended without a commit".to_owned()),
    )
}

impl Drop for Member {
    fn drop(&mut self) {
        let Some(mut writer) = self.writer.take() else {
            return;
        };
        if self.open {
            // nothing to report to: the flow already failed or gave up
            let _ = writer.conn.execute_batch("ROLLBACK TO flow; RELEASE flow");
        }
        writer.forget_if_rolled_back();
        if self.queue.queued() {
            return; // the next writer continues the batch
        }
        match &writer.batch {
            Some(batch) if batch.waiting.is_empty() => {
                // nothing of this batch to keep: end it, freeing the lock
                let _ = writer.conn.execute_batch("ROLLBACK");
                writer.batch = None;
            }
            Some(_) => {
                let _ = writer.commit_batch();
            }
            None => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::*;

    /// A queue on a real SQLite file with a table `t (v)`.
    fn queue(dir: &Path, max_age: Duration) -> (Arc<WriteQueue>, PathBuf) {
        let path = dir.join("batch.db");
        let conn = super::super::open(&path, Duration::ZERO).unwrap();
        conn.execute_batch(
            "CREATE TABLE t (v INTEGER PRIMARY KEY); \
             CREATE TABLE p (id INTEGER PRIMARY KEY); \
             CREATE TABLE c (p INTEGER REFERENCES p(id) DEFERRABLE INITIALLY DEFERRED);",
        )
        .unwrap();
        (WriteQueue::with_max_age(conn, max_age), path)
    }

    /// What another connection sees committed.
    fn committed(path: &Path) -> Vec<i64> {
        let conn = Connection::open(path).unwrap();
        let mut stmt = conn.prepare("SELECT v FROM t ORDER BY v").unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    async fn insert(queue: &Arc<WriteQueue>, v: i64) -> Member {
        let member = queue.begin().await.unwrap();
        member
            .conn()
            .execute("INSERT INTO t (v) VALUES (?1)", [v])
            .unwrap();
        member
    }

    async fn until_queued(queue: &WriteQueue, n: usize) {
        for _ in 0..5000 {
            if queue.queued.load(Ordering::Acquire) == n {
                return;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        panic!("{n} writers never queued");
    }

    fn commits(queue: &WriteQueue) -> u64 {
        queue.writer.try_lock().unwrap().commits()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn queued_flows_share_one_commit_and_hear_ok_only_after_it() {
        let dir = tempfile::tempdir().unwrap();
        let (queue, path) = queue(dir.path(), Duration::from_secs(60));
        let first = insert(&queue, 0).await;
        let mut flows = Vec::new();
        for v in 1..=10 {
            let (q, path) = (queue.clone(), path.clone());
            flows.push(tokio::spawn(async move {
                insert(&q, v).await.commit().await.unwrap();
                // told Ok: the row is in the database for everyone
                assert!(committed(&path).contains(&v), "{v} not committed");
            }));
            until_queued(&queue, v as usize).await;
        }
        first.commit().await.unwrap();
        assert!(committed(&path).contains(&0));
        for flow in flows {
            flow.await.unwrap();
        }
        assert_eq!(committed(&path), (0..=10).collect::<Vec<_>>());
        assert_eq!(commits(&queue), 1, "eleven flows, one COMMIT");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_rolled_back_flow_undoes_only_its_own_savepoint() {
        let dir = tempfile::tempdir().unwrap();
        let (queue, path) = queue(dir.path(), Duration::from_secs(60));
        let first = insert(&queue, 1).await;
        let q = queue.clone();
        let gives_up = tokio::spawn(async move { drop(insert(&q, 2).await) });
        until_queued(&queue, 1).await;
        let q = queue.clone();
        let third = tokio::spawn(async move { insert(&q, 3).await.commit().await });
        until_queued(&queue, 2).await;
        first.commit().await.unwrap();
        gives_up.await.unwrap();
        third.await.unwrap().unwrap();
        assert_eq!(committed(&path), vec![1, 3]);
        assert_eq!(commits(&queue), 1);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failed_commit_fails_every_member_and_keeps_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let (queue, path) = queue(dir.path(), Duration::from_secs(60));
        let first = insert(&queue, 1).await;
        let q = queue.clone();
        let breaks = tokio::spawn(async move {
            let member = q.begin().await.unwrap();
            // a deferred foreign key: checked only by the batch's COMMIT
            member
                .conn()
                .execute("INSERT INTO c (p) VALUES (99)", [])
                .unwrap();
            member.commit().await
        });
        until_queued(&queue, 1).await;
        let first = first.commit().await;
        let second = breaks.await.unwrap();
        assert!(matches!(first, Err(StoreError::Sqlite(_))), "{first:?}");
        assert!(matches!(second, Err(StoreError::Sqlite(_))), "{second:?}");
        assert!(committed(&path).is_empty());
        // the writer carries on
        insert(&queue, 4).await.commit().await.unwrap();
        assert_eq!(committed(&path), vec![4]);
    }

    /// A writer that leaves the queue before its turn (its request was
    /// dropped) leaves the batch to the member waiting on it, which commits
    /// it after `STRAGGLER_WAIT`. The test stands in a counted waiter that
    /// never takes its turn.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_writer_gone_from_the_queue_does_not_strand_the_batch() {
        let dir = tempfile::tempdir().unwrap();
        let (queue, path) = queue(dir.path(), Duration::from_secs(60));
        let first = insert(&queue, 1).await;
        let phantom = Queued::new(&queue.queued);
        let waited = Instant::now();
        first.commit().await.unwrap();
        assert!(
            waited.elapsed() >= STRAGGLER_WAIT,
            "it did wait for the next writer"
        );
        drop(phantom);
        assert_eq!(committed(&path), vec![1]);
    }

    #[tokio::test]
    async fn an_old_batch_commits_at_its_next_member() {
        let dir = tempfile::tempdir().unwrap();
        let (queue, path) = queue(dir.path(), Duration::ZERO);
        let first = insert(&queue, 1).await;
        let _phantom = Queued::new(&queue.queued);
        // due at once: no waiting for the (phantom) next writer
        tokio::time::timeout(STRAGGLER_WAIT / 2, first.commit())
            .await
            .expect("committed without waiting")
            .unwrap();
        assert_eq!(committed(&path), vec![1]);
    }
}

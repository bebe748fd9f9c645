use std::ops::{Deref, DerefMut};
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyConnection, AnyPool, ConnectOptions, Connection, Executor};
use tokio::sync::{oneshot, Mutex, OwnedMutexGuard};

use crate::{StoreError, StoreResult};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Epoch milliseconds now.
pub fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// Handle to the database. Cheap to clone.
///
/// On SQLite every write goes through one connection owned by a [`GroupWriter`]: write transactions run one
/// after another as savepoints of a shared `BEGIN IMMEDIATE` transaction, and that transaction is committed
/// (one fsync) when nobody else is waiting to write, or after [`GROUP_MAX`] transactions or [`GROUP_MAX_AGE`].
/// [`Tx::commit`] returns only after that commit, so an answer never precedes durability. Reads use a pool
/// of their own and see every committed write (WAL). On PostgreSQL both are one pool and each transaction
/// commits itself (the server groups WAL flushes of concurrent commits).
#[derive(Clone, Debug)]
pub struct Store {
    read: AnyPool,
    write: Writer,
    backend: Backend,
}

#[derive(Clone, Debug)]
enum Writer {
    Pool(AnyPool),
    Group(Arc<GroupWriter>),
}

/// At most this many write transactions share one commit.
pub const GROUP_MAX: usize = 64;
/// A commit is not held back longer than this for transactions still queued behind it.
pub const GROUP_MAX_AGE: Duration = Duration::from_millis(4);
/// How long `begin` waits for the writer before giving up (as a pool's acquire timeout would).
const WRITER_WAIT: Duration = Duration::from_secs(30);

/// How often the server checkpoints an SQLite database's write-ahead log ([`Store::checkpoint`]).
pub const CHECKPOINT_EVERY: Duration = Duration::from_millis(250);

/// SQLite read connections (each has a thread of its own).
const READERS: u32 = 4;

const SQLITE_PRAGMAS: &str =
    "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=10000; PRAGMA temp_store=MEMORY; PRAGMA cache_size=-65536;";

impl Store {
    /// Connect by URL (`sqlite://path`, `postgres://…`). SQLite files are created when missing.
    pub async fn connect(url: &str) -> StoreResult<Store> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            return Err(StoreError::Unavailable(format!(
                "database URL must start with sqlite:// or postgres:// (got '{}')",
                redact(url)
            )));
        };
        match backend {
            Backend::Sqlite => {
                let url = sqlite_url(url);
                let opts = AnyConnectOptions::from_str(&url).map_err(StoreError::from)?;
                let mut conn = opts.connect().await?;
                conn.execute(SQLITE_PRAGMAS).await?;
                // Checkpoints run beside the writer (`Store::checkpoint`), which cannot restart the log while
                // the writer keeps appending to it; the writer checkpoints too (what is left, little when the
                // other ran) once the log passes this many pages (64 MiB), so that the log starts over.
                conn.execute("PRAGMA wal_autocheckpoint=16384").await?;
                let write = Writer::Group(Arc::new(GroupWriter::new(conn)));
                let read = sqlite_pool(READERS).connect_with(opts).await?;
                Ok(Store { read, write, backend })
            }
            Backend::Postgres => {
                let pool = AnyPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect(url)
                    .await?;
                Ok(Store { read: pool.clone(), write: Writer::Pool(pool), backend })
            }
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Pool for reads.
    pub fn reader(&self) -> &AnyPool {
        &self.read
    }

    /// Begin a write transaction.
    pub async fn begin(&self) -> StoreResult<Tx> {
        match &self.write {
            Writer::Pool(pool) => Ok(Tx(TxInner::Pool(pool.begin().await?))),
            Writer::Group(g) => g.begin().await,
        }
    }

    /// Apply embedded migrations for this backend.
    pub async fn migrate(&self) -> StoreResult<()> {
        match &self.write {
            Writer::Pool(pool) => sqlx::migrate!("./migrations/postgres").run(pool).await?,
            Writer::Group(g) => {
                let mut state = g.idle().await?;
                let conn = state.conn.as_mut().ok_or_else(closed)?;
                sqlx::migrate!("./migrations/sqlite").run(conn).await?
            }
        }
        Ok(())
    }

    /// Round-trip to the database (readiness).
    pub async fn ping(&self) -> StoreResult<()> {
        let (one,): (i32,) = sqlx::query_as("SELECT 1").fetch_one(&self.read).await?;
        debug_assert_eq!(one, 1);
        Ok(())
    }

    /// A tiny committed write (readiness): rewrites the installation row as it is. Fails when the database
    /// refuses writes (a read-only file, session or standby; a full disk).
    pub async fn heartbeat(&self) -> StoreResult<()> {
        self.installation_key().await?;
        let mut tx = self.begin().await?;
        sqlx::query("UPDATE installation SET install_key = install_key WHERE id = 1").execute(&mut *tx).await?;
        tx.commit().await
    }

    /// Copy what the SQLite write-ahead log holds into the database file, without waiting for or blocking
    /// the writer (a passive checkpoint on a reading connection). The server calls this every
    /// [`CHECKPOINT_EVERY`] so that the writer never stops to checkpoint in the middle of a group of commits.
    /// When the log was already all in the file at the previous call and nothing was written since (the
    /// writer is idle), the log file is also cut back to nothing, so that a burst of writes does not leave its
    /// high-water size on disk; that truncation waits at most 20 ms for readers and gives up otherwise.
    /// Nothing to do on PostgreSQL.
    pub async fn checkpoint(&self) -> StoreResult<()> {
        let Writer::Group(writer) = &self.write else { return Ok(()) };
        // Read before the checkpoint: a commit after this read is seen as one at the next call.
        let commits = writer.commits.load(Ordering::Acquire);
        let (busy, log, moved): (i64, i64, i64) =
            sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)").fetch_one(&self.read).await?;
        let all_moved = busy == 0 && moved == log;
        let before = writer.checkpointed_at.swap(if all_moved { commits } else { u64::MAX }, Ordering::AcqRel);
        if before == commits && log > 0 {
            // Everything was in the file at the last call and nothing was committed since.
            let mut conn = self.read.acquire().await?;
            let cut = (&mut *conn).execute("PRAGMA busy_timeout=20; PRAGMA wal_checkpoint(TRUNCATE)").await;
            (&mut *conn).execute("PRAGMA busy_timeout=10000").await?;
            cut?;
        }
        Ok(())
    }

    /// Commit what is pending and close every connection.
    pub async fn close(&self) {
        self.read.close().await;
        match &self.write {
            Writer::Pool(pool) => pool.close().await,
            Writer::Group(g) => {
                if let Ok(mut state) = g.idle().await {
                    if let Some(conn) = state.conn.take() {
                        let _ = conn.close().await;
                    }
                }
            }
        }
    }

    /// Row-lock clause for a claim query: `FOR UPDATE SKIP LOCKED` on PostgreSQL; nothing on SQLite,
    /// where the single writer already serialises claims.
    pub(crate) fn skip_locked(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite => "",
            Backend::Postgres => "FOR UPDATE SKIP LOCKED",
        }
    }
}

/// `$first, $first+1, …` for `n` values of an `IN (…)` list that follows `first - 1` other parameters.
pub(crate) fn placeholders(first: usize, n: usize) -> String {
    (first..first + n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

/// Commit a write transaction, with the store's error type.
pub async fn commit(tx: Tx) -> StoreResult<()> {
    tx.commit().await
}

fn closed() -> StoreError {
    StoreError::Unavailable("the database is closed".into())
}

/// A write transaction. Derefs to the connection, so queries run on `&mut *tx`. Dropped without
/// [`Tx::commit`], it rolls back.
pub struct Tx(TxInner);

enum TxInner {
    Pool(sqlx::Transaction<'static, sqlx::Any>),
    Group(GroupTx),
}

impl Tx {
    /// Make the transaction's writes durable; returns once they are.
    pub async fn commit(self) -> StoreResult<()> {
        match self.0 {
            TxInner::Pool(t) => t.commit().await.map_err(StoreError::from),
            TxInner::Group(g) => g.finish(true).await,
        }
    }

    /// Undo the transaction's writes.
    pub async fn rollback(self) -> StoreResult<()> {
        match self.0 {
            TxInner::Pool(t) => t.rollback().await.map_err(StoreError::from),
            TxInner::Group(g) => g.finish(false).await,
        }
    }
}

impl Deref for Tx {
    type Target = AnyConnection;
    fn deref(&self) -> &AnyConnection {
        match &self.0 {
            TxInner::Pool(t) => t,
            TxInner::Group(g) => g.conn(),
        }
    }
}

impl DerefMut for Tx {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        match &mut self.0 {
            TxInner::Pool(t) => t,
            TxInner::Group(g) => g.conn_mut(),
        }
    }
}

/// The single SQLite write connection and the commit it is gathering.
pub(crate) struct GroupWriter {
    state: Arc<Mutex<GroupState>>,
    /// Callers of `begin` queued for the connection.
    waiting: AtomicUsize,
    /// Commits made so far (see [`Store::checkpoint`]).
    commits: Arc<AtomicU64>,
    /// The commit count at the last checkpoint that found the whole log in the database file (`u64::MAX`:
    /// none yet); see [`Store::checkpoint`].
    checkpointed_at: AtomicU64,
}

impl std::fmt::Debug for GroupWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GroupWriter").field("waiting", &self.waiting.load(Ordering::Relaxed)).finish()
    }
}

struct GroupState {
    conn: Option<AnyConnection>,
    /// `BEGIN IMMEDIATE` has been issued and not yet committed.
    open: bool,
    /// A transaction was dropped inside its savepoint; undo it before the next one starts.
    abandoned: bool,
    /// An empty savepoint is already open for the next transaction (opened by the previous one as it ended,
    /// in the same round trip).
    ready: bool,
    /// Transactions released into the open commit, waiting for it.
    pending: Vec<oneshot::Sender<Result<(), String>>>,
    first_pending: Option<Instant>,
    /// Commits made on the connection (shared with [`GroupWriter::commits`], read without the lock).
    commits: Arc<AtomicU64>,
    /// A statement sent whose caller stopped waiting before it was answered (its request was dropped, e.g.
    /// the client went away); the next holder settles the state (see [`GroupState::recover`]).
    inflight: Option<Op>,
}

/// Undo the open savepoint and drop it.
const UNDO: &str = "ROLLBACK TO SAVEPOINT w; RELEASE SAVEPOINT w";

/// What a statement sent on the write connection was for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    /// `BEGIN IMMEDIATE; SAVEPOINT w` or `SAVEPOINT w` for a transaction that never got it.
    Open,
    /// A savepoint ended and the next one opened: the transaction is in the shared one.
    Leave,
    /// Ending the savepoint (maybe) and `COMMIT`.
    Commit,
    /// Undoing an abandoned transaction.
    Undo,
    /// `ROLLBACK` of the shared transaction.
    Rollback,
}

impl GroupState {
    /// Run `sql`, remembering what it was for until it is answered.
    async fn exec(&mut self, op: Op, sql: &str) -> Result<(), sqlx::Error> {
        let conn = self.conn.as_mut().ok_or(sqlx::Error::PoolClosed)?;
        self.inflight = Some(op);
        let r = conn.execute(sql).await.map(|_| ());
        self.inflight = None;
        r
    }

    /// Bring the state back to a known one after a caller stopped waiting for its statement. The connection
    /// may have run all, part or none of it (it stops between statements when nobody reads the results), so
    /// nothing is assumed: a savepoint left behind holds at most a transaction nobody was answered for and
    /// is rolled back; an interrupted commit is checked with a new `BEGIN`, which fails inside a transaction.
    async fn recover(&mut self) {
        let Some(op) = self.inflight.take() else { return };
        self.ready = false;
        match op {
            // A `BEGIN` that may or may not have run: nothing was written since, nothing is pending.
            Op::Open if !self.open => self.abort("an interrupted begin").await,
            Op::Open | Op::Leave | Op::Undo => {
                // An error means no savepoint was left: nothing to undo.
                let _ = self.exec(Op::Undo, UNDO).await;
            }
            Op::Commit => match self.exec(Op::Open, "BEGIN IMMEDIATE").await {
                Ok(()) => {
                    // No transaction was active: the commit happened. A new one is open (no savepoint).
                    self.first_pending = None;
                    self.commits.fetch_add(1, Ordering::AcqRel);
                    for p in self.pending.drain(..) {
                        let _ = p.send(Ok(()));
                    }
                    self.open = true;
                }
                Err(e) if e.to_string().contains("within a transaction") => {
                    // Still inside the shared transaction: drop the interrupted transaction's savepoint if it
                    // is still there (nobody was answered for it), then commit the others.
                    let _ = self.exec(Op::Undo, UNDO).await;
                    let _ = self.flush().await;
                }
                Err(e) => self.abort(&format!("an interrupted commit could not be confirmed: {e}")).await,
            },
            Op::Rollback => self.abort("the shared transaction was rolled back").await,
        }
    }

    /// Settle what an interrupted caller left, then undo an abandoned transaction. If the savepoint is gone
    /// (SQLite rolled the whole transaction back after an I/O error), everything pending fails.
    async fn tidy(&mut self) {
        self.recover().await;
        if !self.abandoned {
            return;
        }
        self.abandoned = false;
        if let Err(e) = self.exec(Op::Undo, UNDO).await {
            self.abort(&e.to_string()).await;
        }
    }

    /// Commit the shared transaction and answer everyone in it.
    async fn flush(&mut self) -> Result<(), String> {
        self.flush_after("").await
    }

    /// [`GroupState::flush`], sending `prefix` (statements ending the current savepoint) in the same round trip.
    async fn flush_after(&mut self, prefix: &str) -> Result<(), String> {
        if !self.open {
            return Ok(());
        }
        self.ready = false;
        let r = self.exec(Op::Commit, &format!("{prefix}COMMIT")).await.map_err(|e| e.to_string());
        match &r {
            Ok(()) => {
                self.open = false;
                self.first_pending = None;
                self.commits.fetch_add(1, Ordering::AcqRel);
                for p in self.pending.drain(..) {
                    let _ = p.send(Ok(()));
                }
            }
            Err(e) => self.abort(e).await,
        }
        r
    }

    /// Roll the shared transaction back and fail everyone in it.
    async fn abort(&mut self, why: &str) {
        let _ = self.exec(Op::Rollback, "ROLLBACK").await;
        self.open = false;
        self.ready = false;
        self.first_pending = None;
        for p in self.pending.drain(..) {
            let _ = p.send(Err(why.to_string()));
        }
    }
}

/// Decrements the waiting count when `begin` stops waiting, also when its future is dropped.
struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl GroupWriter {
    fn new(conn: AnyConnection) -> GroupWriter {
        let commits = Arc::new(AtomicU64::new(0));
        GroupWriter {
            commits: commits.clone(),
            state: Arc::new(Mutex::new(GroupState {
                conn: Some(conn),
                open: false,
                abandoned: false,
                ready: false,
                pending: Vec::new(),
                first_pending: None,
                inflight: None,
                commits,
            })),
            waiting: AtomicUsize::new(0),
            checkpointed_at: AtomicU64::new(u64::MAX),
        }
    }

    async fn lock(&self) -> StoreResult<OwnedMutexGuard<GroupState>> {
        self.waiting.fetch_add(1, Ordering::AcqRel);
        let _w = Waiting(&self.waiting);
        tokio::time::timeout(WRITER_WAIT, self.state.clone().lock_owned())
            .await
            .map_err(|_| StoreError::Unavailable("timed out waiting for the database writer".into()))
    }

    /// The connection with no transaction open (pending commits flushed first).
    async fn idle(&self) -> StoreResult<OwnedMutexGuard<GroupState>> {
        let mut state = self.lock().await?;
        state.tidy().await;
        state.flush().await.map_err(StoreError::Unavailable)?;
        Ok(state)
    }

    async fn begin(self: &Arc<Self>) -> StoreResult<Tx> {
        let mut state = self.lock().await?;
        state.tidy().await;
        if state.ready {
            state.ready = false;
        } else if !state.open {
            if let Err(e) = state.exec(Op::Open, "BEGIN IMMEDIATE; SAVEPOINT w").await {
                state.abort(&e.to_string()).await;
                return Err(e.into());
            }
            state.open = true;
        } else if let Err(e) = state.exec(Op::Open, "SAVEPOINT w").await {
            // Nothing of this transaction was written; the shared one may still commit.
            if !state.pending.is_empty() || self.waiting.load(Ordering::Acquire) == 0 {
                let _ = state.flush().await;
            }
            return Err(e.into());
        }
        Ok(Tx(TxInner::Group(GroupTx { state: Some(state), writer: self.clone() })))
    }
}

struct GroupTx {
    state: Option<OwnedMutexGuard<GroupState>>,
    writer: Arc<GroupWriter>,
}

impl GroupTx {
    fn conn(&self) -> &AnyConnection {
        self.state.as_ref().and_then(|s| s.conn.as_ref()).expect("a transaction holds the open connection")
    }

    fn conn_mut(&mut self) -> &mut AnyConnection {
        self.state.as_mut().and_then(|s| s.conn.as_mut()).expect("a transaction holds the open connection")
    }

    /// End the savepoint (release or roll back), then either commit the shared transaction now or leave it to
    /// whoever writes next and wait for their commit.
    async fn finish(mut self, keep: bool) -> StoreResult<()> {
        let mut state = self.state.take().expect("a transaction holds the open connection");
        let end = if keep { "RELEASE SAVEPOINT w; " } else { "ROLLBACK TO SAVEPOINT w; RELEASE SAVEPOINT w; " };
        let now = Instant::now();
        let overdue = state.first_pending.is_some_and(|t| now.duration_since(t) >= GROUP_MAX_AGE);
        let others = self.writer.waiting.load(Ordering::Acquire) > 0;
        if !others || overdue || state.pending.len() + 1 >= GROUP_MAX {
            // Commit now, in the same round trip as ending the savepoint. A rolled-back transaction still
            // commits the others'.
            return state.flush_after(end).await.map_err(StoreError::Unavailable);
        }
        // Leave the commit to a later writer and open its savepoint already.
        if let Err(e) = state.exec(Op::Leave, &format!("{end}SAVEPOINT w")).await {
            // The savepoint is gone or could not be released: nothing in the shared transaction can be trusted.
            state.abort(&e.to_string()).await;
            return Err(e.into());
        }
        state.ready = true;
        if !keep {
            return Ok(());
        }
        let (tx, mut rx) = oneshot::channel();
        state.pending.push(tx);
        state.first_pending.get_or_insert(now);
        drop(state);
        // Normally the last writer queued now commits for everyone. This transaction also queues for the
        // connection itself (without counting as a writer), so if that writer never comes (its caller gave up)
        // or newer writers keep arriving, it commits the group itself once its turn comes.
        tokio::select! {
            r = &mut rx => r.unwrap_or_else(|_| Err("the database writer stopped".into())).map_err(StoreError::Unavailable),
            mut state = self.writer.state.clone().lock_owned() => {
                if let Ok(r) = rx.try_recv() {
                    return r.map_err(StoreError::Unavailable);
                }
                state.tidy().await;
                state.flush().await.map_err(StoreError::Unavailable)
            }
        }
    }
}

impl Drop for GroupTx {
    fn drop(&mut self) {
        if let Some(mut state) = self.state.take() {
            state.abandoned = true;
            drop(state);
            // Commit what others left pending when nobody else is about to.
            if self.writer.waiting.load(Ordering::Acquire) == 0 {
                if let Ok(rt) = tokio::runtime::Handle::try_current() {
                    let writer = self.writer.clone();
                    rt.spawn(async move {
                        let mut state = writer.state.clone().lock_owned().await;
                        state.tidy().await;
                        let _ = state.flush().await;
                    });
                }
            }
        }
    }
}

fn sqlite_pool(max: u32) -> AnyPoolOptions {
    AnyPoolOptions::new()
        .max_connections(max)
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(30))
        .after_connect(|conn, _meta| {
            Box::pin(async move {
                if conn.backend_name() == "SQLite" {
                    conn.execute(SQLITE_PRAGMAS).await?;
                }
                Ok(())
            })
        })
}

/// `sqlite://file.db` → `sqlite://file.db?mode=rwc` so the file is created when missing.
fn sqlite_url(url: &str) -> String {
    if url.contains("mode=") || url.contains(":memory:") {
        url.to_string()
    } else if url.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    }
}

/// A URL with its password masked, for messages and logs.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.find(':') {
                Some(c) => format!("{}{}:***{}", &url[..s + 3], &creds[..c], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(sqlite_url("sqlite://a.db"), "sqlite://a.db?mode=rwc");
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(placeholders(3, 2), "$3, $4");
    }
}

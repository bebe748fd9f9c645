//! Write transactions under concurrency: on SQLite they share commits (savepoints of one transaction);
//! each must still behave as its own transaction. The same checks run on PostgreSQL, where every
//! transaction commits itself.

use std::sync::Arc;

use minimall_store::Store;

async fn sqlite() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::connect(&format!("sqlite://{}", dir.path().join("g.db").display())).await.unwrap();
    (dir, s)
}

async fn postgres(table: &str) -> Option<Store> {
    let url = std::env::var("MINIMALL_TEST_PG_URL").ok().filter(|s| !s.is_empty())?;
    let s = Store::connect(&url).await.unwrap();
    sqlx::query(&format!("DROP TABLE IF EXISTS {table}")).execute(s.reader()).await.unwrap();
    Some(s)
}

async fn rows(s: &Store, table: &str) -> Vec<i64> {
    let mut v: Vec<(i64,)> =
        sqlx::query_as(&format!("SELECT id FROM {table} ORDER BY id")).fetch_all(s.reader()).await.unwrap();
    v.sort_unstable();
    v.into_iter().map(|r| r.0).collect()
}

/// 300 concurrent transactions: a third commit, a third roll back, a third are dropped mid-way, some
/// break a uniqueness rule. Exactly the committed rows exist, and each is readable as soon as its commit
/// returned.
async fn each_transaction_stands_alone(s: Store, table: &str) {
    let mut tx = s.begin().await.unwrap();
    sqlx::query(&format!("CREATE TABLE {table} (id BIGINT PRIMARY KEY, v BIGINT NOT NULL)"))
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let s = Arc::new(s);
    let mut tasks = Vec::new();
    for i in 0..300i64 {
        let s = s.clone();
        let table = table.to_string();
        tasks.push(tokio::spawn(async move {
            let mut tx = s.begin().await.unwrap();
            sqlx::query(&format!("INSERT INTO {table} (id, v) VALUES ($1, $2)"))
                .bind(i)
                .bind(i * 10)
                .execute(&mut *tx)
                .await
                .unwrap();
            if i % 10 == 3 {
                // A duplicate inside the transaction fails that statement only; the transaction goes on.
                let dup =
                    sqlx::query(&format!("INSERT INTO {table} (id, v) VALUES ($1, 0)")).bind(i).execute(&mut *tx).await;
                assert!(dup.is_err());
                if s.backend() == minimall_store::Backend::Postgres {
                    // PostgreSQL aborts the whole transaction after an error.
                    return false;
                }
            }
            tokio::task::yield_now().await;
            match i % 3 {
                0 => {
                    tx.commit().await.unwrap();
                    let seen: Option<(i64,)> = sqlx::query_as(&format!("SELECT v FROM {table} WHERE id = $1"))
                        .bind(i)
                        .fetch_optional(s.reader())
                        .await
                        .unwrap();
                    assert_eq!(seen, Some((i * 10,)), "row {i} readable once its commit returned");
                    true
                }
                1 => {
                    tx.rollback().await.unwrap();
                    false
                }
                _ => {
                    drop(tx);
                    false
                }
            }
        }));
    }
    let mut expected = Vec::new();
    for (i, t) in tasks.into_iter().enumerate() {
        if t.await.unwrap() {
            expected.push(i as i64);
        }
    }
    // A last write flushes whatever a dropped transaction left behind.
    let tx = s.begin().await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(rows(&s, table).await, expected);
    assert!(expected.len() >= 80);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_transactions_grouped_into_one_commit_stay_separate() {
    let (_dir, s) = sqlite().await;
    each_transaction_stands_alone(s, "grouped").await;
}

#[tokio::test]
async fn postgres_transactions_stay_separate() {
    let table = format!("grouped_{}", std::process::id());
    let Some(s) = postgres(&table).await else {
        assert!(std::env::var_os("CI").is_none(), "CI runs every PostgreSQL test: set MINIMALL_TEST_PG_URL");
        eprintln!("skipped: MINIMALL_TEST_PG_URL is not set");
        return;
    };
    each_transaction_stands_alone(s.clone(), &table).await;
    sqlx::query(&format!("DROP TABLE {table}")).execute(s.reader()).await.unwrap();
}

#[tokio::test]
async fn sqlite_store_closes_with_writes_pending_committed() {
    let (dir, s) = sqlite().await;
    s.migrate().await.unwrap();
    let mut tx = s.begin().await.unwrap();
    sqlx::query("CREATE TABLE t (id BIGINT PRIMARY KEY)").execute(&mut *tx).await.unwrap();
    tx.commit().await.unwrap();
    let mut tx = s.begin().await.unwrap();
    sqlx::query("INSERT INTO t (id) VALUES (1)").execute(&mut *tx).await.unwrap();
    drop(tx);
    s.close().await;
    let again = Store::connect(&format!("sqlite://{}", dir.path().join("g.db").display())).await.unwrap();
    assert!(rows(&again, "t").await.is_empty(), "a dropped transaction leaves nothing");
}

/// Requests can be dropped at any await (a client that goes away): here begins and commits are abandoned
/// after their first poll, while they wait for the connection's answer, amid ordinary transactions. The
/// ordinary ones all commit or roll back as asked, and the writer keeps working.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_writer_survives_callers_that_stop_waiting() {
    let (_dir, s) = sqlite().await;
    let mut tx = s.begin().await.unwrap();
    sqlx::query("CREATE TABLE t (id BIGINT PRIMARY KEY)").execute(&mut *tx).await.unwrap();
    tx.commit().await.unwrap();
    let s = Arc::new(s);
    let mut tasks = Vec::new();
    for i in 0..400i64 {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            if i % 7 == 5 {
                // A begin abandoned while its BEGIN/SAVEPOINT is on its way.
                tokio::select! {
                    biased;
                    _ = s.begin() => {}
                    _ = std::future::ready(()) => {}
                }
                return None;
            }
            let mut tx = s.begin().await.unwrap();
            sqlx::query("INSERT INTO t (id) VALUES ($1)").bind(i).execute(&mut *tx).await.unwrap();
            tokio::task::yield_now().await;
            match i % 4 {
                // A commit abandoned after its first step: its row may or may not be there.
                3 => {
                    tokio::select! {
                        biased;
                        _ = tx.commit() => {}
                        _ = std::future::ready(()) => {}
                    }
                    None
                }
                2 => {
                    tx.rollback().await.unwrap();
                    Some((i, false))
                }
                _ => {
                    tx.commit().await.unwrap();
                    Some((i, true))
                }
            }
        }));
    }
    let mut outcomes = Vec::new();
    for t in tasks {
        if let Some(o) = t.await.unwrap() {
            outcomes.push(o);
        }
    }
    let tx = s.begin().await.unwrap();
    tx.commit().await.unwrap();
    let present = rows(&s, "t").await;
    for (i, committed) in &outcomes {
        assert_eq!(present.contains(i), *committed, "row {i}");
    }
    assert!(outcomes.iter().filter(|o| o.1).count() > 100);
}

/// The checkpoint the server runs beside the writer: concurrent writes go on while it runs, and afterwards
/// the database file alone (copied without its log) holds every committed row.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_checkpoint_beside_the_writer_moves_the_log_into_the_file() {
    let (dir, s) = sqlite().await;
    let mut tx = s.begin().await.unwrap();
    sqlx::query("CREATE TABLE c (id BIGINT PRIMARY KEY, v TEXT NOT NULL)").execute(&mut *tx).await.unwrap();
    tx.commit().await.unwrap();
    let s = Arc::new(s);
    let writers: Vec<_> = (0..40i64)
        .map(|w| {
            let s = s.clone();
            tokio::spawn(async move {
                for i in 0..25i64 {
                    let mut tx = s.begin().await.unwrap();
                    sqlx::query("INSERT INTO c (id, v) VALUES ($1, $2)")
                        .bind(w * 1000 + i)
                        .bind("x".repeat(500))
                        .execute(&mut *tx)
                        .await
                        .unwrap();
                    tx.commit().await.unwrap();
                }
            })
        })
        .collect();
    let checkpoints = {
        let s = s.clone();
        tokio::spawn(async move {
            for _ in 0..50 {
                s.checkpoint().await.unwrap();
                tokio::time::sleep(std::time::Duration::from_millis(2)).await;
            }
        })
    };
    for w in writers {
        w.await.unwrap();
    }
    checkpoints.await.unwrap();
    s.checkpoint().await.unwrap();
    std::fs::copy(dir.path().join("g.db"), dir.path().join("copy.db")).unwrap();
    let copy = Store::connect(&format!("sqlite://{}", dir.path().join("copy.db").display())).await.unwrap();
    assert_eq!(rows(&copy, "c").await.len(), 1000, "the file alone holds every committed row");
}

#[tokio::test]
async fn sqlite_log_is_cut_back_once_the_writer_is_idle() {
    let (dir, s) = sqlite().await;
    let log = dir.path().join("g.db-wal");
    let mut tx = s.begin().await.unwrap();
    sqlx::query("CREATE TABLE b (id BIGINT PRIMARY KEY, v TEXT NOT NULL)").execute(&mut *tx).await.unwrap();
    tx.commit().await.unwrap();
    // About 32 MiB of rows in one transaction.
    let mut tx = s.begin().await.unwrap();
    for i in 0..8_000i64 {
        sqlx::query("INSERT INTO b (id, v) VALUES ($1, $2)")
            .bind(i)
            .bind("y".repeat(4_000))
            .execute(&mut *tx)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    let burst = std::fs::metadata(&log).unwrap().len();
    assert!(burst > 24 << 20, "the burst wrote {burst} bytes of log");
    // The first checkpoint moves the log into the file; the file keeps its size while writes may follow.
    s.checkpoint().await.unwrap();
    assert_eq!(std::fs::metadata(&log).unwrap().len(), burst);
    // Nothing written since: the next one cuts the log file back.
    s.checkpoint().await.unwrap();
    assert_eq!(std::fs::metadata(&log).unwrap().len(), 0);
    s.checkpoint().await.unwrap();
    let mut tx = s.begin().await.unwrap();
    sqlx::query("INSERT INTO b (id, v) VALUES (-1, 'after')").execute(&mut *tx).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(rows(&s, "b").await.len(), 8_001);
    // A write between two checkpoints: no cut.
    s.checkpoint().await.unwrap();
    let grown = std::fs::metadata(&log).unwrap().len();
    let mut tx = s.begin().await.unwrap();
    sqlx::query("INSERT INTO b (id, v) VALUES (-2, 'later')").execute(&mut *tx).await.unwrap();
    tx.commit().await.unwrap();
    s.checkpoint().await.unwrap();
    assert!(std::fs::metadata(&log).unwrap().len() >= grown, "the log was cut while written to");
}

#[tokio::test]
async fn postgres_has_no_checkpoint_to_run() {
    let Some(s) = postgres("checkpoint_unused").await else {
        assert!(std::env::var_os("CI").is_none(), "CI runs every PostgreSQL test: set MINIMALL_TEST_PG_URL");
        eprintln!("skipped: MINIMALL_TEST_PG_URL is not set");
        return;
    };
    s.checkpoint().await.unwrap();
}

use std::str::FromStr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};

use crate::{StoreError, StoreResult};

/// A transaction on the write path.
pub type Tx = sqlx::Transaction<'static, sqlx::Any>;

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
/// On SQLite, writes go through a pool of exactly one connection and start with `BEGIN IMMEDIATE`, so
/// concurrent requests queue in-process instead of failing with "database is locked"; reads use a pool of
/// their own and see every committed write (WAL). On PostgreSQL both pools are the same.
#[derive(Clone, Debug)]
pub struct Store {
    read: AnyPool,
    write: AnyPool,
    backend: Backend,
}

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
                let write = sqlite_pool(1).connect_with(opts.clone()).await?;
                let read = sqlite_pool(8).connect_with(opts).await?;
                Ok(Store { read, write, backend })
            }
            Backend::Postgres => {
                let pool = AnyPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect(url)
                    .await?;
                Ok(Store { read: pool.clone(), write: pool, backend })
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

    /// Begin a write transaction (`BEGIN IMMEDIATE` on SQLite).
    pub async fn begin(&self) -> StoreResult<Tx> {
        let tx = match self.backend {
            Backend::Sqlite => self.write.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.write.begin().await?,
        };
        Ok(tx)
    }

    /// Apply embedded migrations for this backend.
    pub async fn migrate(&self) -> StoreResult<()> {
        match self.backend {
            Backend::Sqlite => sqlx::migrate!("./migrations/sqlite").run(&self.write).await?,
            Backend::Postgres => sqlx::migrate!("./migrations/postgres").run(&self.write).await?,
        }
        Ok(())
    }

    /// Round-trip to the database (readiness).
    pub async fn ping(&self) -> StoreResult<()> {
        let (one,): (i32,) = sqlx::query_as("SELECT 1").fetch_one(&self.read).await?;
        debug_assert_eq!(one, 1);
        Ok(())
    }

    pub async fn close(&self) {
        self.read.close().await;
        self.write.close().await;
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

/// Commit a write transaction, with the store's error type.
pub async fn commit(tx: Tx) -> StoreResult<()> {
    tx.commit().await.map_err(StoreError::from)
}

fn sqlite_pool(max: u32) -> AnyPoolOptions {
    AnyPoolOptions::new()
        .max_connections(max)
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(30))
        .after_connect(|conn, _meta| {
            Box::pin(async move {
                if conn.backend_name() == "SQLite" {
                    conn.execute(
                        "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=10000;",
                    )
                    .await?;
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
    }
}

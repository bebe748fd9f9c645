//! Durable jobs: anything that must happen later is a row here, never an in-memory timer.
//!
//! A worker claims a due job by setting a lease (`locked_until`) in one `UPDATE … RETURNING`; on PostgreSQL
//! the candidate row is picked with `FOR UPDATE SKIP LOCKED`, so several instances never claim the same job.
//! Success marks it `done`; failure reschedules it with backoff until `max_attempts`, then `dead`. A worker
//! that dies mid-job leaves its lease to expire, after which another worker claims the job again, so job
//! handlers must be idempotent (payloads are keys; handlers recompute).

use minimall_core::jobs::backoff_ms;
use sqlx::FromRow;

use crate::{now_ms, Paged, Store, StoreResult, Tx};

#[derive(Debug, Clone, FromRow)]
pub struct JobRow {
    pub id: i64,
    pub merchant_id: i64,
    pub kind: String,
    pub payload: String,
    pub dedup_key: Option<String>,
    pub status: String,
    pub run_at: i64,
    pub attempts: i32,
    pub max_attempts: i32,
    pub locked_by: Option<String>,
    pub locked_until: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub finished_at: Option<i64>,
}

const COLS: &str = "id, merchant_id, kind, payload, dedup_key, status, run_at, attempts, max_attempts, locked_by, locked_until, last_error, created_at, finished_at";

pub struct NewJob<'a> {
    pub merchant_id: i64,
    pub kind: &'a str,
    pub payload: &'a str,
    pub run_at: i64,
    /// At most one job with this key ever exists; enqueueing it again is a no-op.
    pub dedup_key: Option<&'a str>,
    pub max_attempts: i32,
}

impl Store {
    /// Enqueue inside the caller's transaction, so the job exists exactly when the change that needs it does.
    /// Returns the job id, or `None` when a job with the same `dedup_key` already exists.
    pub async fn enqueue_job(&self, tx: &mut Tx, j: &NewJob<'_>) -> StoreResult<Option<i64>> {
        let row: Option<(i64,)> = sqlx::query_as(
            "INSERT INTO jobs (merchant_id, kind, payload, dedup_key, status, run_at, max_attempts, created_at)
             VALUES ($1, $2, $3, $4, 'pending', $5, $6, $7) ON CONFLICT (dedup_key) DO NOTHING RETURNING id",
        )
        .bind(j.merchant_id)
        .bind(j.kind)
        .bind(j.payload)
        .bind(j.dedup_key)
        .bind(j.run_at)
        .bind(j.max_attempts)
        .bind(now_ms())
        .fetch_optional(&mut **tx)
        .await?;
        Ok(row.map(|r| r.0))
    }

    /// Claim one due job for `worker`, leased for `lease_ms`. Expired leases count as due.
    pub async fn claim_job(&self, worker: &str, lease_ms: i64) -> StoreResult<Option<JobRow>> {
        Ok(self.claim_jobs(worker, lease_ms, 1).await?.into_iter().next())
    }

    /// Claim up to `limit` due jobs (oldest first) for `worker`, leased for `lease_ms`. A read looks first, so
    /// an idle queue costs no write.
    pub async fn claim_jobs(&self, worker: &str, lease_ms: i64, limit: i64) -> StoreResult<Vec<JobRow>> {
        Ok(self.complete_and_claim(&[], worker, lease_ms, limit).await?.1)
    }

    /// Mark `done` done where `worker` still holds their lease (as [`Store::complete_jobs`]) and claim up to
    /// `limit` due jobs, in one transaction: a worker that goes straight from one batch to the next writes once.
    /// Returns how many of `done` were marked and the claimed jobs.
    pub async fn complete_and_claim(
        &self,
        done: &[i64],
        worker: &str,
        lease_ms: i64,
        limit: i64,
    ) -> StoreResult<(u64, Vec<JobRow>)> {
        let now = now_ms();
        let due: Option<(i64,)> = sqlx::query_as(
            "SELECT id FROM jobs WHERE status = 'pending' AND run_at <= $1
             AND (locked_until IS NULL OR locked_until < $1) LIMIT 1",
        )
        .bind(now)
        .fetch_optional(self.reader())
        .await?;
        if due.is_none() && done.is_empty() {
            return Ok((0, Vec::new()));
        }
        let mut tx = self.begin().await?;
        let completed = complete(&mut tx, done, worker).await?;
        let mut jobs = match due {
            None => Vec::new(),
            Some(_) => {
                sqlx::query_as::<_, JobRow>(&format!(
                    "UPDATE jobs SET locked_by = $1, locked_until = $2, attempts = attempts + 1
                     WHERE id IN (SELECT id FROM jobs WHERE status = 'pending' AND run_at <= $3
                                  AND (locked_until IS NULL OR locked_until < $3)
                                  ORDER BY run_at, id LIMIT $4 {})
                     RETURNING {COLS}",
                    self.skip_locked()
                ))
                .bind(worker)
                .bind(now + lease_ms)
                .bind(now)
                .bind(limit)
                .fetch_all(&mut *tx)
                .await?
            }
        };
        tx.commit().await?;
        jobs.sort_by_key(|j| (j.run_at, j.id));
        Ok((completed, jobs))
    }

    /// Mark done, if this worker still holds the lease. Returns false when the lease was lost.
    pub async fn complete_job(&self, id: i64, worker: &str) -> StoreResult<bool> {
        Ok(self.complete_jobs(&[id], worker).await? == 1)
    }

    /// Mark these jobs done where this worker still holds their lease; returns how many were.
    pub async fn complete_jobs(&self, ids: &[i64], worker: &str) -> StoreResult<u64> {
        if ids.is_empty() {
            return Ok(0);
        }
        let mut tx = self.begin().await?;
        let n = complete(&mut tx, ids, worker).await?;
        tx.commit().await?;
        Ok(n)
    }

    /// Record a failure: reschedule with backoff, or give up after `max_attempts`.
    pub async fn fail_job(&self, job: &JobRow, worker: &str, error: &str) -> StoreResult<()> {
        let now = now_ms();
        let dead = job.attempts >= job.max_attempts;
        let mut tx = self.begin().await?;
        sqlx::query(
            "UPDATE jobs SET status = $3, run_at = $4, locked_until = NULL, last_error = $5,
             finished_at = CASE WHEN $3 = 'dead' THEN $6 ELSE NULL END
             WHERE id = $1 AND locked_by = $2 AND status = 'pending'",
        )
        .bind(job.id)
        .bind(worker)
        .bind(if dead { "dead" } else { "pending" })
        .bind(now + backoff_ms(job.attempts as i64 - 1))
        .bind(truncate(error, 2000))
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn job(&self, id: i64) -> StoreResult<JobRow> {
        Ok(sqlx::query_as::<_, JobRow>(&format!("SELECT {COLS} FROM jobs WHERE id = $1"))
            .bind(id)
            .fetch_one(self.reader())
            .await?)
    }

    pub async fn list_jobs(
        &self,
        merchant_id: i64,
        status: Option<&str>,
        kind: Option<&str>,
        limit: i64,
        offset: i64,
    ) -> StoreResult<Paged<JobRow>> {
        let filter = "merchant_id = $1 AND ($2 = '' OR status = $2) AND ($3 = '' OR kind = $3)";
        let items = sqlx::query_as::<_, JobRow>(&format!(
            "SELECT {COLS} FROM jobs WHERE {filter} ORDER BY id DESC LIMIT $4 OFFSET $5"
        ))
        .bind(merchant_id)
        .bind(status.unwrap_or(""))
        .bind(kind.unwrap_or(""))
        .bind(limit)
        .bind(offset)
        .fetch_all(self.reader())
        .await?;
        let (total,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM jobs WHERE {filter}"))
            .bind(merchant_id)
            .bind(status.unwrap_or(""))
            .bind(kind.unwrap_or(""))
            .fetch_one(self.reader())
            .await?;
        Ok(Paged { items, total })
    }

    /// Put a dead job back in the queue now.
    pub async fn retry_job(&self, merchant_id: i64, id: i64) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let n = sqlx::query(
            "UPDATE jobs SET status = 'pending', run_at = $3, attempts = 0, locked_until = NULL, finished_at = NULL
             WHERE merchant_id = $1 AND id = $2 AND status = 'dead'",
        )
        .bind(merchant_id)
        .bind(id)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(n == 1)
    }

    /// Delete finished jobs older than `before_ms`.
    pub async fn purge_jobs(&self, before_ms: i64) -> StoreResult<u64> {
        let mut tx = self.begin().await?;
        let n = sqlx::query("DELETE FROM jobs WHERE status = 'done' AND finished_at < $1")
            .bind(before_ms)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(n)
    }
}

/// Mark `ids` done where `worker` still holds their lease; returns how many were.
async fn complete(tx: &mut Tx, ids: &[i64], worker: &str) -> StoreResult<u64> {
    if ids.is_empty() {
        return Ok(0);
    }
    let list = crate::db::placeholders(3, ids.len());
    let sql = format!(
        "UPDATE jobs SET status = 'done', finished_at = $2, locked_until = NULL, last_error = NULL
         WHERE locked_by = $1 AND status = 'pending' AND id IN ({list})"
    );
    let mut q = sqlx::query(&sql).bind(worker).bind(now_ms());
    for id in ids {
        q = q.bind(*id);
    }
    Ok(q.execute(&mut **tx).await?.rows_affected())
}

fn truncate(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

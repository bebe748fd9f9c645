//! Idempotency keys. The key is claimed in the same transaction as the work it guards and the response is
//! saved there too, so "work done" and "response stored" commit together. A concurrent duplicate waits on
//! the uncommitted key row (PostgreSQL) or on the single writer (SQLite), then replays the stored response.

use crate::{now_ms, Store, StoreResult, Tx};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// First use of the key: do the work in this transaction, then call [`Store::save_idempotent_response`].
    New,
    /// Same key, same request: answer with this.
    Replay { status: u16, body: String },
    /// Same key, different request.
    Mismatch,
}

impl Store {
    pub async fn claim_idempotency_key(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        scope: &str,
        key: &str,
        request_hash: &str,
    ) -> StoreResult<Claim> {
        let inserted = sqlx::query(
            "INSERT INTO idempotency_keys (scope, idem_key, merchant_id, request_hash, status_code, response_body, created_at)
             VALUES ($1, $2, $3, $4, 0, '', $5) ON CONFLICT (scope, idem_key) DO NOTHING",
        )
        .bind(scope)
        .bind(key)
        .bind(merchant_id)
        .bind(request_hash)
        .bind(now_ms())
        .execute(&mut **tx)
        .await?
        .rows_affected();
        if inserted == 1 {
            return Ok(Claim::New);
        }
        let (hash, status, body): (String, i32, String) = sqlx::query_as(
            "SELECT request_hash, status_code, response_body FROM idempotency_keys WHERE scope = $1 AND idem_key = $2",
        )
        .bind(scope)
        .bind(key)
        .fetch_one(&mut **tx)
        .await?;
        if hash != request_hash {
            return Ok(Claim::Mismatch);
        }
        Ok(Claim::Replay { status: status as u16, body })
    }

    /// The record of a key, if any: (request hash, status, response body).
    pub async fn idempotency_record(&self, scope: &str, key: &str) -> StoreResult<Option<(String, u16, String)>> {
        let row: Option<(String, i32, String)> = sqlx::query_as(
            "SELECT request_hash, status_code, response_body FROM idempotency_keys WHERE scope = $1 AND idem_key = $2",
        )
        .bind(scope)
        .bind(key)
        .fetch_optional(self.reader())
        .await?;
        Ok(row.map(|(h, s, b)| (h, s as u16, b)))
    }

    pub async fn save_idempotent_response(
        &self,
        tx: &mut Tx,
        scope: &str,
        key: &str,
        status: u16,
        body: &str,
    ) -> StoreResult<()> {
        let mut w = self.writes();
        w.idempotent_response(scope, key, status, body);
        w.run(tx).await?;
        Ok(())
    }

    /// Forget keys older than `before_ms` (clients retry within hours, not weeks).
    pub async fn purge_idempotency_keys(&self, before_ms: i64) -> StoreResult<u64> {
        let mut tx = self.begin().await?;
        let n = sqlx::query("DELETE FROM idempotency_keys WHERE created_at < $1")
            .bind(before_ms)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(n)
    }
}

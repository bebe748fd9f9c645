//! Login sessions for console users and buyers. Only the SHA-256 of a token is stored.

use sqlx::FromRow;

use crate::{now_ms, Store, StoreResult};

#[derive(Debug, Clone, FromRow)]
pub struct SessionRow {
    pub token_hash: String,
    pub kind: String,
    pub subject_id: i64,
    pub merchant_id: i64,
    pub created_at: i64,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
}

impl Store {
    pub async fn create_session(
        &self,
        token_hash: &str,
        kind: &str,
        subject_id: i64,
        merchant_id: i64,
        ttl_ms: i64,
    ) -> StoreResult<()> {
        let now = now_ms();
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO sessions (token_hash, kind, subject_id, merchant_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(token_hash)
        .bind(kind)
        .bind(subject_id)
        .bind(merchant_id)
        .bind(now)
        .bind(now + ttl_ms)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A session that exists, is not revoked and has not expired.
    pub async fn live_session(&self, token_hash: &str) -> StoreResult<Option<SessionRow>> {
        Ok(sqlx::query_as::<_, SessionRow>(
            "SELECT token_hash, kind, subject_id, merchant_id, created_at, expires_at, revoked_at FROM sessions
             WHERE token_hash = $1 AND revoked_at IS NULL AND expires_at > $2",
        )
        .bind(token_hash)
        .bind(now_ms())
        .fetch_optional(self.reader())
        .await?)
    }

    pub async fn revoke_session(&self, token_hash: &str) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let n = sqlx::query("UPDATE sessions SET revoked_at = $2 WHERE token_hash = $1 AND revoked_at IS NULL")
            .bind(token_hash)
            .bind(now_ms())
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(n > 0)
    }

    /// Revoke every session of a subject (disabled user, changed role).
    pub async fn revoke_subject_sessions(&self, tx: &mut crate::Tx, kind: &str, subject_id: i64) -> StoreResult<u64> {
        Ok(sqlx::query(
            "UPDATE sessions SET revoked_at = $3 WHERE kind = $1 AND subject_id = $2 AND revoked_at IS NULL",
        )
        .bind(kind)
        .bind(subject_id)
        .bind(now_ms())
        .execute(&mut **tx)
        .await?
        .rows_affected())
    }

    /// Housekeeping: delete sessions that expired or were revoked before `before_ms`.
    pub async fn purge_sessions(&self, before_ms: i64) -> StoreResult<u64> {
        let mut tx = self.begin().await?;
        let n = sqlx::query("DELETE FROM sessions WHERE expires_at < $1 OR revoked_at < $1")
            .bind(before_ms)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(n)
    }
}

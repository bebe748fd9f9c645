//! The message outbox (SMS, later email and subscription messages) and one-time SMS login codes.
//! A message is written in the same transaction as the business change that causes it, together with a
//! `message.deliver` job; the job hands it to its channel.

use sqlx::FromRow;

use crate::jobs::NewJob;
use crate::{now_ms, Paged, Store, StoreResult, Tx};

#[derive(Debug, Clone, FromRow)]
pub struct OutboxRow {
    pub id: i64,
    pub merchant_id: i64,
    pub channel: String,
    pub recipient: String,
    pub template: String,
    pub body: String,
    pub status: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub sent_at: Option<i64>,
}

const COLS: &str =
    "id, merchant_id, channel, recipient, template, body, status, attempts, last_error, created_at, sent_at";

pub const DELIVER_JOB: &str = "message.deliver";

#[derive(Debug, Clone, FromRow)]
pub struct SmsCodeRow {
    pub id: i64,
    pub code_hash: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub attempts: i32,
    pub used_at: Option<i64>,
}

impl Store {
    /// Queue a message and the job that delivers it.
    pub async fn enqueue_message(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        channel: &str,
        recipient: &str,
        template: &str,
        body: &str,
    ) -> StoreResult<i64> {
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO outbox (merchant_id, channel, recipient, template, body, status, created_at)
             VALUES ($1, $2, $3, $4, $5, 'pending', $6) RETURNING id",
        )
        .bind(merchant_id)
        .bind(channel)
        .bind(recipient)
        .bind(template)
        .bind(body)
        .bind(now_ms())
        .fetch_one(&mut **tx)
        .await?;
        self.enqueue_job(
            tx,
            &NewJob {
                merchant_id,
                kind: DELIVER_JOB,
                payload: &format!("{{\"message_id\":{id}}}"),
                run_at: now_ms(),
                dedup_key: Some(&format!("{DELIVER_JOB}:{id}")),
                max_attempts: 8,
            },
        )
        .await?;
        Ok(id)
    }

    pub async fn message(&self, id: i64) -> StoreResult<OutboxRow> {
        Ok(sqlx::query_as::<_, OutboxRow>(&format!("SELECT {COLS} FROM outbox WHERE id = $1"))
            .bind(id)
            .fetch_one(self.reader())
            .await?)
    }

    pub async fn mark_message(&self, id: i64, sent: bool, error: Option<&str>) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "UPDATE outbox SET status = $2, attempts = attempts + 1, last_error = $3,
             sent_at = CASE WHEN $2 = 'sent' THEN $4 ELSE sent_at END WHERE id = $1",
        )
        .bind(id)
        .bind(if sent { "sent" } else { "pending" })
        .bind(error)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn list_messages(
        &self,
        merchant_id: i64,
        recipient: Option<&str>,
        status: Option<&str>,
        limit: i64,
        offset: i64,
    ) -> StoreResult<Paged<OutboxRow>> {
        let filter = "merchant_id = $1 AND ($2 = '' OR recipient = $2) AND ($3 = '' OR status = $3)";
        let items = sqlx::query_as::<_, OutboxRow>(&format!(
            "SELECT {COLS} FROM outbox WHERE {filter} ORDER BY id DESC LIMIT $4 OFFSET $5"
        ))
        .bind(merchant_id)
        .bind(recipient.unwrap_or(""))
        .bind(status.unwrap_or(""))
        .bind(limit)
        .bind(offset)
        .fetch_all(self.reader())
        .await?;
        let (total,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM outbox WHERE {filter}"))
            .bind(merchant_id)
            .bind(recipient.unwrap_or(""))
            .bind(status.unwrap_or(""))
            .fetch_one(self.reader())
            .await?;
        Ok(Paged { items, total })
    }

    // ---- SMS login codes ---------------------------------------------------------------------------

    /// When the last code for this phone was issued (for the resend interval).
    pub async fn last_sms_code_at(&self, merchant_id: i64, phone: &str) -> StoreResult<Option<i64>> {
        let row: Option<(i64,)> = sqlx::query_as(
            "SELECT created_at FROM sms_codes WHERE merchant_id = $1 AND phone = $2 ORDER BY id DESC LIMIT 1",
        )
        .bind(merchant_id)
        .bind(phone)
        .fetch_optional(self.reader())
        .await?;
        Ok(row.map(|r| r.0))
    }

    pub async fn insert_sms_code(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        phone: &str,
        code_hash: &str,
        ttl_ms: i64,
    ) -> StoreResult<()> {
        let now = now_ms();
        sqlx::query(
            "INSERT INTO sms_codes (merchant_id, phone, code_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(merchant_id)
        .bind(phone)
        .bind(code_hash)
        .bind(now)
        .bind(now + ttl_ms)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// The newest unused, unexpired code for this phone, inside the write transaction.
    pub async fn current_sms_code(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        phone: &str,
    ) -> StoreResult<Option<SmsCodeRow>> {
        Ok(sqlx::query_as::<_, SmsCodeRow>(
            "SELECT id, code_hash, created_at, expires_at, attempts, used_at FROM sms_codes
             WHERE merchant_id = $1 AND phone = $2 AND used_at IS NULL AND expires_at > $3 ORDER BY id DESC LIMIT 1",
        )
        .bind(merchant_id)
        .bind(phone)
        .bind(now_ms())
        .fetch_optional(&mut **tx)
        .await?)
    }

    pub async fn sms_code_attempt(&self, tx: &mut Tx, id: i64, success: bool) -> StoreResult<()> {
        sqlx::query(
            "UPDATE sms_codes SET attempts = attempts + 1, used_at = CASE WHEN $2 = 1 THEN $3 ELSE used_at END WHERE id = $1",
        )
        .bind(id)
        .bind(i32::from(success))
        .bind(now_ms())
        .execute(&mut **tx)
        .await?;
        Ok(())
    }
}

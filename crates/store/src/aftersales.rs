//! After-sales requests. Units under request are reserved on the order line with a conditional update, so
//! two requests can never claim the same units, and refunded units and amounts never exceed what was paid
//! (CHECK constraints on the line).

use sqlx::{Any, Executor, FromRow};

use crate::{now_ms, Paged, Store, StoreResult, Tx};

#[derive(Debug, Clone, FromRow)]
pub struct AftersaleRow {
    pub id: i64,
    pub merchant_id: i64,
    pub order_id: i64,
    pub buyer_id: i64,
    pub kind: String,
    pub status: String,
    pub reason: String,
    pub images: String,
    pub lines: String,
    pub amount: i64,
    pub points: i64,
    pub shipping_refund: i64,
    pub return_carrier: Option<String>,
    pub return_tracking: Option<String>,
    pub reject_reason: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLS: &str = "id, merchant_id, order_id, buyer_id, kind, status, reason, images, lines, amount, points, shipping_refund, return_carrier, return_tracking, reject_reason, created_at, updated_at";

pub struct NewAftersale<'a> {
    pub order_id: i64,
    pub buyer_id: i64,
    pub kind: &'a str,
    pub reason: &'a str,
    pub images: &'a str,
    pub lines: &'a str,
    pub amount: i64,
    pub points: i64,
    pub shipping_refund: i64,
}

impl Store {
    /// Reserve units of a line for an after-sales request; false when fewer remain.
    pub async fn reserve_refund_units(&self, tx: &mut Tx, line_id: i64, qty: i64) -> StoreResult<bool> {
        let n = sqlx::query(
            "UPDATE order_lines SET pending_refund_qty = pending_refund_qty + $2
             WHERE id = $1 AND refunded_qty + pending_refund_qty + $2 <= quantity",
        )
        .bind(line_id)
        .bind(qty)
        .execute(&mut **tx)
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    pub async fn release_refund_units(&self, tx: &mut Tx, line_id: i64, qty: i64) -> StoreResult<()> {
        sqlx::query("UPDATE order_lines SET pending_refund_qty = pending_refund_qty - $2 WHERE id = $1 AND pending_refund_qty >= $2")
            .bind(line_id)
            .bind(qty)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    /// Reserved units become refunded, with their amount.
    pub async fn commit_refund_units(&self, tx: &mut Tx, line_id: i64, qty: i64, amount: i64) -> StoreResult<()> {
        sqlx::query(
            "UPDATE order_lines SET pending_refund_qty = pending_refund_qty - $2, refunded_qty = refunded_qty + $2,
                refunded_amount = refunded_amount + $3 WHERE id = $1",
        )
        .bind(line_id)
        .bind(qty)
        .bind(amount)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    pub async fn insert_aftersale(&self, tx: &mut Tx, merchant_id: i64, a: &NewAftersale<'_>) -> StoreResult<i64> {
        let now = now_ms();
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO aftersales (merchant_id, order_id, buyer_id, kind, status, reason, images, lines, amount, points, shipping_refund, created_at, updated_at)
             VALUES ($1, $2, $3, $4, 'pending', $5, $6, $7, $8, $9, $10, $11, $11) RETURNING id",
        )
        .bind(merchant_id)
        .bind(a.order_id)
        .bind(a.buyer_id)
        .bind(a.kind)
        .bind(a.reason)
        .bind(a.images)
        .bind(a.lines)
        .bind(a.amount)
        .bind(a.points)
        .bind(a.shipping_refund)
        .bind(now)
        .fetch_one(&mut **tx)
        .await?;
        Ok(id)
    }

    /// Move a request from `from` to `to` once; false when it was not in `from`.
    pub async fn aftersale_transition(&self, tx: &mut Tx, id: i64, from: &str, to: &str) -> StoreResult<bool> {
        let n = sqlx::query("UPDATE aftersales SET status = $3, updated_at = $4 WHERE id = $1 AND status = $2")
            .bind(id)
            .bind(from)
            .bind(to)
            .bind(now_ms())
            .execute(&mut **tx)
            .await?
            .rows_affected();
        Ok(n == 1)
    }

    pub async fn aftersale_set_return(&self, tx: &mut Tx, id: i64, carrier: &str, tracking: &str) -> StoreResult<()> {
        sqlx::query("UPDATE aftersales SET return_carrier = $2, return_tracking = $3 WHERE id = $1")
            .bind(id)
            .bind(carrier)
            .bind(tracking)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    pub async fn aftersale_set_reject(&self, tx: &mut Tx, id: i64, reason: &str) -> StoreResult<()> {
        sqlx::query("UPDATE aftersales SET reject_reason = $2 WHERE id = $1")
            .bind(id)
            .bind(reason)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    pub async fn aftersale<'e>(&self, ex: impl Executor<'e, Database = Any>, id: i64) -> StoreResult<AftersaleRow> {
        Ok(sqlx::query_as::<_, AftersaleRow>(&format!("SELECT {COLS} FROM aftersales WHERE id = $1"))
            .bind(id)
            .fetch_one(ex)
            .await?)
    }

    pub async fn list_aftersales(
        &self,
        merchant_id: i64,
        buyer_id: i64,
        status: &str,
        limit: i64,
        offset: i64,
    ) -> StoreResult<Paged<AftersaleRow>> {
        let filter = "merchant_id = $1 AND ($2 = 0 OR buyer_id = $2) AND ($3 = '' OR status = $3)";
        let items = sqlx::query_as::<_, AftersaleRow>(&format!(
            "SELECT {COLS} FROM aftersales WHERE {filter} ORDER BY id DESC LIMIT $4 OFFSET $5"
        ))
        .bind(merchant_id)
        .bind(buyer_id)
        .bind(status)
        .bind(limit)
        .bind(offset)
        .fetch_all(self.reader())
        .await?;
        let (total,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM aftersales WHERE {filter}"))
            .bind(merchant_id)
            .bind(buyer_id)
            .bind(status)
            .fetch_one(self.reader())
            .await?;
        Ok(Paged { items, total })
    }
}

//! Figures for the console dashboard and the finance page: paid orders, refunds and fees over a period.

use sqlx::FromRow;

use crate::{Store, StoreResult};

/// One paid order, for per-day sums.
#[derive(Debug, Clone, FromRow)]
pub struct PaidOrder {
    pub paid_at: i64,
    pub payable: i64,
    pub buyer_id: i64,
    pub refunded_amount: i64,
}

/// One successful payment with its provider fee.
#[derive(Debug, Clone, FromRow)]
pub struct PaidFee {
    pub succeeded_at: i64,
    pub amount: i64,
    pub fee: i64,
}

impl Store {
    /// Orders paid at or after `since_ms` (whatever happened to them later).
    pub async fn paid_orders_since(&self, merchant_id: i64, since_ms: i64) -> StoreResult<Vec<PaidOrder>> {
        Ok(sqlx::query_as(
            "SELECT paid_at, payable, buyer_id, refunded_amount FROM orders
             WHERE merchant_id = $1 AND paid_at IS NOT NULL AND paid_at >= $2",
        )
        .bind(merchant_id)
        .bind(since_ms)
        .fetch_all(self.reader())
        .await?)
    }

    /// Successful payments since `since_ms`, with their fees.
    pub async fn payments_since(&self, merchant_id: i64, since_ms: i64) -> StoreResult<Vec<PaidFee>> {
        Ok(sqlx::query_as(
            "SELECT succeeded_at, amount, fee FROM payments
             WHERE merchant_id = $1 AND status = 'succeeded' AND succeeded_at IS NOT NULL AND succeeded_at >= $2",
        )
        .bind(merchant_id)
        .bind(since_ms)
        .fetch_all(self.reader())
        .await?)
    }

    /// After-sales requests waiting for the merchant (pending approval or a returned parcel).
    pub async fn count_open_aftersales(&self, merchant_id: i64) -> StoreResult<i64> {
        let (n,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM aftersales WHERE merchant_id = $1 AND status IN ('pending', 'returning')",
        )
        .bind(merchant_id)
        .fetch_one(self.reader())
        .await?;
        Ok(n)
    }
}

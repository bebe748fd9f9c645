//! Figures for the console dashboard and the finance page: paid orders, payments, refunds and fees over a
//! period. Each figure is one SQL aggregate; days are the shop's calendar days, numbered from 1970-01-01, found
//! as `(ms + offset) / 86,400,000` with the zone's UTC offset over the period (the shop's zone, Asia/Shanghai,
//! has kept UTC+8 without daylight saving since 1991).

use sqlx::FromRow;

use crate::{Store, StoreResult};

/// `ms` as a day number of the shop's calendar, in SQL; `$4` is the zone's offset in ms.
macro_rules! day_of {
    ($col:literal) => {
        concat!("CAST((", $col, " + $4) / 86400000 AS BIGINT)")
    };
}

/// Orders paid on one day (whatever happened to them later).
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromRow)]
pub struct DaySales {
    pub day: i64,
    /// Sum of the payable amounts, fen.
    pub gmv: i64,
    pub paid_orders: i64,
    /// Distinct buyers who paid that day.
    pub buyers: i64,
}

/// Orders paid in a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromRow)]
pub struct SalesTotals {
    pub gmv: i64,
    pub paid_orders: i64,
    /// Distinct buyers who paid in the period (a buyer who paid on several days counts once).
    pub buyers: i64,
}

/// Money in and out on one day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromRow)]
pub struct DayFinance {
    pub day: i64,
    /// Payments that succeeded that day, fen.
    pub received: i64,
    /// Their provider fees, fen.
    pub fee: i64,
    /// Refunds that succeeded that day, fen.
    pub refunded: i64,
    /// Orders paid that day.
    pub paid_orders: i64,
}

impl Store {
    /// Orders paid in `[from_ms, to_ms)`, per day of a zone `offset_ms` ahead of UTC (days without a paid order
    /// are left out).
    pub async fn sales_by_day(
        &self,
        merchant_id: i64,
        from_ms: i64,
        to_ms: i64,
        offset_ms: i64,
    ) -> StoreResult<Vec<DaySales>> {
        Ok(sqlx::query_as(concat!(
            "SELECT ",
            day_of!("paid_at"),
            " AS day, CAST(COALESCE(SUM(payable), 0) AS BIGINT) AS gmv, COUNT(*) AS paid_orders,
                    COUNT(DISTINCT buyer_id) AS buyers
             FROM orders WHERE merchant_id = $1 AND paid_at >= $2 AND paid_at < $3
             GROUP BY 1 ORDER BY 1"
        ))
        .bind(merchant_id)
        .bind(from_ms)
        .bind(to_ms)
        .bind(offset_ms)
        .fetch_all(self.reader())
        .await?)
    }

    /// Orders paid in `[from_ms, to_ms)` as one total.
    pub async fn sales_total(&self, merchant_id: i64, from_ms: i64, to_ms: i64) -> StoreResult<SalesTotals> {
        Ok(sqlx::query_as(
            "SELECT CAST(COALESCE(SUM(payable), 0) AS BIGINT) AS gmv, COUNT(*) AS paid_orders,
                    COUNT(DISTINCT buyer_id) AS buyers
             FROM orders WHERE merchant_id = $1 AND paid_at >= $2 AND paid_at < $3",
        )
        .bind(merchant_id)
        .bind(from_ms)
        .bind(to_ms)
        .fetch_one(self.reader())
        .await?)
    }

    /// Payments and refunds that succeeded, and orders paid, in `[from_ms, to_ms)`, per day of a zone
    /// `offset_ms` ahead of UTC: a refund counts on the day it succeeded, not on the day its order was paid.
    pub async fn finance_by_day(
        &self,
        merchant_id: i64,
        from_ms: i64,
        to_ms: i64,
        offset_ms: i64,
    ) -> StoreResult<Vec<DayFinance>> {
        Ok(sqlx::query_as(concat!(
            "SELECT day, CAST(SUM(received) AS BIGINT) AS received, CAST(SUM(fee) AS BIGINT) AS fee,
                    CAST(SUM(refunded) AS BIGINT) AS refunded, CAST(SUM(paid_orders) AS BIGINT) AS paid_orders
             FROM (
               SELECT ",
            day_of!("succeeded_at"),
            " AS day, amount AS received, fee, CAST(0 AS BIGINT) AS refunded, CAST(0 AS BIGINT) AS paid_orders
               FROM payments
               WHERE merchant_id = $1 AND status = 'succeeded' AND succeeded_at >= $2 AND succeeded_at < $3
               UNION ALL
               SELECT ",
            day_of!("succeeded_at"),
            ", CAST(0 AS BIGINT), CAST(0 AS BIGINT), amount, CAST(0 AS BIGINT)
               FROM refunds
               WHERE merchant_id = $1 AND status = 'succeeded' AND succeeded_at >= $2 AND succeeded_at < $3
               UNION ALL
               SELECT ",
            day_of!("paid_at"),
            ", CAST(0 AS BIGINT), CAST(0 AS BIGINT), CAST(0 AS BIGINT), CAST(1 AS BIGINT)
               FROM orders WHERE merchant_id = $1 AND paid_at >= $2 AND paid_at < $3
             ) t GROUP BY day ORDER BY day"
        ))
        .bind(merchant_id)
        .bind(from_ms)
        .bind(to_ms)
        .bind(offset_ms)
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

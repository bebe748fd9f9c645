//! What the analytics dashboards read: distinct actors per step over a period (from the events themselves, so a
//! visitor seen on several days or channels counts once), additive sums per channel from the daily rollup, the
//! touch an order is attributed to, and the paid orders that customer analysis reads.

use sqlx::FromRow;

use crate::{Store, StoreResult, Tx};

/// The actor of an event in SQL: its buyer when known, otherwise its visitor (as in the rollups).
const ACTOR: &str = "CASE WHEN buyer_id IS NOT NULL THEN 'b' || CAST(buyer_id AS TEXT) ELSE 'v' || visitor END";

/// How distinct actors are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReachBy {
    /// One row for the whole period (key `""`).
    Period,
    /// One row per day that has events (key: the day number as text).
    Day,
    /// One row per channel that has events.
    Channel,
}

/// Distinct actors of a group at each step: visitors (any storefront event), product viewers, adders to cart,
/// checkouts started, payers.
#[derive(Debug, Clone, PartialEq, Eq, Default, FromRow)]
pub struct StepActors {
    pub key: String,
    pub visitors: i64,
    pub viewers: i64,
    pub carts: i64,
    pub checkouts: i64,
    pub buyers: i64,
}

/// Paid orders and their amount per channel, from the payment events' rollup.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct ChannelSales {
    pub channel: String,
    pub paid_orders: i64,
    pub gmv: i64,
}

/// Where a buyer came from: the channel, campaign and promoter of an event.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct Touch {
    pub channel: String,
    pub campaign: String,
    pub promoter_id: Option<i64>,
}

/// One paid order as customer analysis reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromRow)]
pub struct PaidOrder {
    pub buyer_id: i64,
    pub paid_at: i64,
    pub payable: i64,
}

impl Store {
    /// Distinct actors per step over the days `from_day..=to_day`, grouped as `by`.
    pub async fn step_actors(
        &self,
        merchant_id: i64,
        from_day: i64,
        to_day: i64,
        by: ReachBy,
    ) -> StoreResult<Vec<StepActors>> {
        let (key, group) = match by {
            ReachBy::Period => ("''", ""),
            ReachBy::Day => ("CAST(day AS TEXT)", "GROUP BY day ORDER BY day"),
            ReachBy::Channel => ("channel", "GROUP BY channel ORDER BY channel"),
        };
        let sql = format!(
            "SELECT {key} AS key,
                    COUNT(DISTINCT CASE WHEN kind BETWEEN 1 AND 6 THEN {ACTOR} END) AS visitors,
                    COUNT(DISTINCT CASE WHEN kind = 2 THEN {ACTOR} END) AS viewers,
                    COUNT(DISTINCT CASE WHEN kind = 3 THEN {ACTOR} END) AS carts,
                    COUNT(DISTINCT CASE WHEN kind = 4 THEN {ACTOR} END) AS checkouts,
                    COUNT(DISTINCT CASE WHEN kind = 8 THEN {ACTOR} END) AS buyers
             FROM events WHERE merchant_id = $1 AND day BETWEEN $2 AND $3
             {group}"
        );
        Ok(sqlx::query_as(&sql).bind(merchant_id).bind(from_day).bind(to_day).fetch_all(self.reader()).await?)
    }

    /// Payment events and their amounts per channel over the days `from_day..=to_day`, from the daily rollup.
    pub async fn channel_sales(&self, merchant_id: i64, from_day: i64, to_day: i64) -> StoreResult<Vec<ChannelSales>> {
        Ok(sqlx::query_as(
            "SELECT channel, CAST(SUM(events) AS BIGINT) AS paid_orders, CAST(SUM(amount_fen) AS BIGINT) AS gmv
             FROM event_daily WHERE merchant_id = $1 AND day BETWEEN $2 AND $3 AND kind = 8
             GROUP BY channel ORDER BY channel",
        )
        .bind(merchant_id)
        .bind(from_day)
        .bind(to_day)
        .fetch_all(self.reader())
        .await?)
    }

    /// The buyer's latest storefront event (page or product view, cart, checkout, share, search), if any.
    pub async fn last_touch(&self, tx: &mut Tx, merchant_id: i64, buyer_id: i64) -> StoreResult<Option<Touch>> {
        Ok(sqlx::query_as(
            "SELECT channel, campaign, promoter_id FROM events
             WHERE merchant_id = $1 AND buyer_id = $2 AND kind BETWEEN 1 AND 6 ORDER BY id DESC LIMIT 1",
        )
        .bind(merchant_id)
        .bind(buyer_id)
        .fetch_optional(&mut **tx)
        .await?)
    }

    /// The touch an order was placed from (its `order_placed` event), if it has one.
    pub async fn order_touch(&self, tx: &mut Tx, merchant_id: i64, order_id: i64) -> StoreResult<Option<Touch>> {
        Ok(sqlx::query_as(
            "SELECT channel, campaign, promoter_id FROM events
             WHERE merchant_id = $1 AND order_id = $2 AND kind = 7 ORDER BY id LIMIT 1",
        )
        .bind(merchant_id)
        .bind(order_id)
        .fetch_optional(&mut **tx)
        .await?)
    }

    /// Every order paid before `to_ms`, oldest first (what RFM, cohorts and lifetime value read).
    pub async fn paid_orders_before(&self, merchant_id: i64, to_ms: i64) -> StoreResult<Vec<PaidOrder>> {
        Ok(sqlx::query_as(
            "SELECT buyer_id, paid_at, payable FROM orders
             WHERE merchant_id = $1 AND paid_at IS NOT NULL AND paid_at < $2 ORDER BY paid_at, id",
        )
        .bind(merchant_id)
        .bind(to_ms)
        .fetch_all(self.reader())
        .await?)
    }
}

//! Where orders came from (`order_touches`): the three visits of a buyer that the attribution rule needs, found by
//! index, the touches kept with an order when it is placed, and paid orders counted by their first or last touch.

use sqlx::FromRow;

use crate::event_stats::Touch;
use crate::{Store, StoreResult, Tx};

/// A storefront visit (event kinds 1–6) and its server time.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct Visit {
    pub channel: String,
    pub campaign: String,
    pub promoter_id: Option<i64>,
    pub at: i64,
}

impl Visit {
    pub fn touch(&self) -> Touch {
        Touch { channel: self.channel.clone(), campaign: self.campaign.clone(), promoter_id: self.promoter_id }
    }
}

/// A buyer's earliest visit, latest visit through a channel other than `direct`, and latest visit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Visits {
    pub earliest: Option<Visit>,
    pub latest_other: Option<Visit>,
    pub latest: Option<Visit>,
}

/// The touches an order keeps; a touch's time is `None` when the order had none (direct).
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct OrderTouches {
    pub order_id: i64,
    pub first_channel: String,
    pub first_campaign: String,
    pub first_promoter_id: Option<i64>,
    pub first_at: Option<i64>,
    pub last_channel: String,
    pub last_campaign: String,
    pub last_promoter_id: Option<i64>,
    pub last_at: Option<i64>,
}

/// Paid orders and their amount by the channel of one of their touches.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct TouchSales {
    pub channel: String,
    pub paid_orders: i64,
    pub gmv: i64,
}

/// Which of an order's touches to count by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TouchKind {
    First,
    Last,
}

const VISIT: &str = "SELECT channel, campaign, promoter_id, server_at AS at FROM events
     WHERE merchant_id = $1 AND buyer_id = $2 AND kind BETWEEN 1 AND 6";

impl Store {
    /// The buyer's visits that attribution chooses from (by the events' ids, which follow the server's time).
    pub async fn buyer_visits(&self, tx: &mut Tx, merchant_id: i64, buyer_id: i64) -> StoreResult<Visits> {
        let mut found = Vec::with_capacity(3);
        for tail in
            ["ORDER BY id LIMIT 1", "AND channel <> 'direct' ORDER BY id DESC LIMIT 1", "ORDER BY id DESC LIMIT 1"]
        {
            let v: Option<Visit> = sqlx::query_as(&format!("{VISIT} {tail}"))
                .bind(merchant_id)
                .bind(buyer_id)
                .fetch_optional(&mut **tx)
                .await?;
            found.push(v);
        }
        let latest = found.pop().flatten();
        let latest_other = found.pop().flatten();
        let earliest = found.pop().flatten();
        Ok(Visits { earliest, latest_other, latest })
    }

    /// Keep an order's touches (once; placing an order writes them in its transaction).
    pub async fn insert_order_touches(&self, tx: &mut Tx, merchant_id: i64, t: &OrderTouches) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO order_touches (order_id, merchant_id, first_channel, first_campaign, first_promoter_id,
                 first_at, last_channel, last_campaign, last_promoter_id, last_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(t.order_id)
        .bind(merchant_id)
        .bind(&t.first_channel)
        .bind(&t.first_campaign)
        .bind(t.first_promoter_id)
        .bind(t.first_at)
        .bind(&t.last_channel)
        .bind(&t.last_campaign)
        .bind(t.last_promoter_id)
        .bind(t.last_at)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// An order's touches, if they were kept.
    pub async fn order_touches(&self, merchant_id: i64, order_id: i64) -> StoreResult<Option<OrderTouches>> {
        Ok(sqlx::query_as(
            "SELECT order_id, first_channel, first_campaign, first_promoter_id, first_at, last_channel, last_campaign,
                    last_promoter_id, last_at
             FROM order_touches WHERE merchant_id = $1 AND order_id = $2",
        )
        .bind(merchant_id)
        .bind(order_id)
        .fetch_optional(self.reader())
        .await?)
    }

    /// Orders paid in `from_ms..to_ms` and their payable, by the channel of their first or last touch (orders
    /// placed before touches were kept are left out).
    pub async fn touch_sales(
        &self,
        merchant_id: i64,
        from_ms: i64,
        to_ms: i64,
        by: TouchKind,
    ) -> StoreResult<Vec<TouchSales>> {
        let col = match by {
            TouchKind::First => "t.first_channel",
            TouchKind::Last => "t.last_channel",
        };
        let sql = format!(
            "SELECT {col} AS channel, COUNT(*) AS paid_orders, CAST(COALESCE(SUM(o.payable), 0) AS BIGINT) AS gmv
             FROM orders o JOIN order_touches t ON t.order_id = o.id
             WHERE o.merchant_id = $1 AND o.paid_at >= $2 AND o.paid_at < $3
             GROUP BY {col} ORDER BY {col}"
        );
        Ok(sqlx::query_as(&sql).bind(merchant_id).bind(from_ms).bind(to_ms).fetch_all(self.reader()).await?)
    }
}

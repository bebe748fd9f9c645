//! The buyer's view of their orders: lists by a set of statuses (the tabs of 我的订单) and the counts per status.

use crate::orders::{OrderRow, ORDER_COLS};
use crate::{Paged, Store, StoreResult};

/// `$first, $first+1, …` for `n` values.
fn placeholders(first: usize, n: usize) -> String {
    (first..first + n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

impl Store {
    /// The buyer's orders whose status is one of `statuses` (all of them when empty), newest first.
    pub async fn buyer_orders_in(
        &self,
        buyer_id: i64,
        statuses: &[&str],
        limit: i64,
        offset: i64,
    ) -> StoreResult<Paged<OrderRow>> {
        let filter = if statuses.is_empty() {
            "buyer_id = $1".to_string()
        } else {
            format!("buyer_id = $1 AND status IN ({})", placeholders(2, statuses.len()))
        };
        let n = statuses.len();
        let sql = format!(
            "SELECT {ORDER_COLS} FROM orders WHERE {filter} ORDER BY id DESC LIMIT ${} OFFSET ${}",
            n + 2,
            n + 3
        );
        let mut q = sqlx::query_as::<_, OrderRow>(&sql).bind(buyer_id);
        for s in statuses {
            q = q.bind(*s);
        }
        let items = q.bind(limit).bind(offset).fetch_all(self.reader()).await?;
        let count_sql = format!("SELECT COUNT(*) FROM orders WHERE {filter}");
        let mut c = sqlx::query_as::<_, (i64,)>(&count_sql).bind(buyer_id);
        for s in statuses {
            c = c.bind(*s);
        }
        let (total,) = c.fetch_one(self.reader()).await?;
        Ok(Paged { items, total })
    }

    /// How many of the buyer's orders are in each status (statuses without orders are left out).
    pub async fn buyer_order_counts(&self, buyer_id: i64) -> StoreResult<Vec<(String, i64)>> {
        Ok(sqlx::query_as::<_, (String, i64)>(
            "SELECT status, COUNT(*) FROM orders WHERE buyer_id = $1 GROUP BY status ORDER BY status",
        )
        .bind(buyer_id)
        .fetch_all(self.reader())
        .await?)
    }

    /// The buyer's after-sales requests still open (not refunded, exchanged, rejected or cancelled).
    pub async fn buyer_open_aftersales(&self, buyer_id: i64) -> StoreResult<i64> {
        let (n,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM aftersales WHERE buyer_id = $1 AND status IN ('pending', 'approved', 'returning')",
        )
        .bind(buyer_id)
        .fetch_one(self.reader())
        .await?;
        Ok(n)
    }
}

//! Bulk rows of a generated shop (`minimall demo --orders N --events M`): orders written as they would stand
//! after checkout and payment, many per statement. Events go through [`Store::append_events`].

use crate::script::Kind::{Int, Text};
use crate::script::{Rows, Script};
use crate::{Store, StoreResult};

/// One generated order: paid (`paid_at`) or cancelled unpaid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedOrder {
    pub order_no: String,
    pub buyer_id: i64,
    pub payable: i64,
    pub created_at: i64,
    pub paid_at: Option<i64>,
}

const COLUMNS: &[(&str, crate::script::Kind)] = &[
    ("merchant_id", Int),
    ("order_no", Text),
    ("buyer_id", Int),
    ("status", Text),
    ("list_total", Int),
    ("goods_total", Int),
    ("order_discount", Int),
    ("coupon_discount", Int),
    ("points_used", Int),
    ("points_discount", Int),
    ("shipping", Int),
    ("payable", Int),
    ("refunded_amount", Int),
    ("pay_deadline", Int),
    ("paid_at", Int),
    ("created_at", Int),
    ("updated_at", Int),
];

/// Rows per statement (17 columns).
const CHUNK: usize = 1_000;

impl Store {
    /// Write generated orders in one transaction; the number written. Paid orders are `completed`, the others
    /// `cancelled`.
    pub async fn insert_generated_orders(&self, merchant_id: i64, orders: &[GeneratedOrder]) -> StoreResult<u64> {
        let mut tx = self.begin().await?;
        let mut script = Script::independent(self.backend());
        for chunk in orders.chunks(CHUNK) {
            let mut rows = Rows::new("orders", COLUMNS, chunk.len());
            for o in chunk {
                rows.int(merchant_id)
                    .text(o.order_no.as_str())
                    .int(o.buyer_id)
                    .text(if o.paid_at.is_some() { "completed" } else { "cancelled" })
                    .int(o.payable)
                    .int(o.payable)
                    .int(0)
                    .int(0)
                    .int(0)
                    .int(0)
                    .int(0)
                    .int(o.payable)
                    .int(0)
                    .int(o.created_at + 30 * 60 * 1000)
                    .int(o.paid_at)
                    .int(o.created_at)
                    .int(o.paid_at.unwrap_or(o.created_at));
            }
            script.insert(rows);
        }
        let n = if script.len() == 0 { 0 } else { script.run(&mut tx).await?.iter().sum() };
        tx.commit().await?;
        Ok(n)
    }

    /// The ids of the merchant's buyers, ascending (at most `limit`).
    pub async fn buyer_ids(&self, merchant_id: i64, limit: i64) -> StoreResult<Vec<i64>> {
        let rows: Vec<(i64,)> = sqlx::query_as("SELECT id FROM buyers WHERE merchant_id = $1 ORDER BY id LIMIT $2")
            .bind(merchant_id)
            .bind(limit)
            .fetch_all(self.reader())
            .await?;
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    /// Order ids by order number, for the generated orders just written (`order_no >= prefix`, in order).
    pub async fn order_ids_from(
        &self,
        merchant_id: i64,
        from_no: &str,
        to_no: &str,
    ) -> StoreResult<Vec<(String, i64)>> {
        Ok(sqlx::query_as(
            "SELECT order_no, id FROM orders WHERE merchant_id = $1 AND order_no >= $2 AND order_no <= $3 ORDER BY order_no",
        )
        .bind(merchant_id)
        .bind(from_no)
        .bind(to_no)
        .fetch_all(self.reader())
        .await?)
    }
}

impl Store {
    /// The ids of the merchant's products on shelf, ascending (at most `limit`).
    pub async fn shelf_product_ids(&self, merchant_id: i64, limit: i64) -> StoreResult<Vec<i64>> {
        let rows: Vec<(i64,)> =
            sqlx::query_as("SELECT id FROM products WHERE merchant_id = $1 AND on_shelf = 1 ORDER BY id LIMIT $2")
                .bind(merchant_id)
                .bind(limit)
                .fetch_all(self.reader())
                .await?;
        Ok(rows.into_iter().map(|r| r.0).collect())
    }
}

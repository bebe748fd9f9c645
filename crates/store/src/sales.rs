//! Sales history per SKU for forecasting and markdowns: units sold per shop day, and each SKU's stock with the
//! last time it was received. No table of its own: order lines of paid orders and stock movements.
//!
//! Units sold on a day are the units of orders paid that day less the units refunded from those lines since
//! (what stayed sold). Days are numbered as in [`crate::stats`]: `(ms + offset) / 86,400,000`.

use sqlx::FromRow;

use crate::{Store, StoreResult, Tx};

/// Units of one SKU sold on one shop day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromRow)]
pub struct SkuDay {
    pub sku_id: i64,
    pub day: i64,
    pub units: i64,
}

/// A SKU as forecasting and markdowns see it: its price, cost, stock, and its last receipt of stock (the first
/// stock it was created with, an import or a manual increase), if any.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct SkuStock {
    pub sku_id: i64,
    pub product_id: i64,
    pub title: String,
    pub sku_code: String,
    pub spec_values: String,
    pub sale_price: i64,
    pub cost_price: i64,
    pub stock: i64,
    pub on_shelf: i32,
    /// When stock was last received (ms), and the stock on hand right after.
    pub received_at: Option<i64>,
    pub received_balance: Option<i64>,
}

/// Where stock came in: created with, imported, or increased by hand.
const RECEIPT: &str = "m.reason IN ('initial','import','manual') AND m.delta > 0";

impl Store {
    /// Units sold per SKU and shop day for orders paid in `[from_ms, to_ms)` (days without a sale left out),
    /// ordered by SKU then day. `offset_ms` is the shop's zone ahead of UTC.
    pub async fn sku_daily_units(
        &self,
        merchant_id: i64,
        from_ms: i64,
        to_ms: i64,
        offset_ms: i64,
    ) -> StoreResult<Vec<SkuDay>> {
        Ok(sqlx::query_as(
            "SELECT l.sku_id AS sku_id, CAST((o.paid_at + $4) / 86400000 AS BIGINT) AS day,
                    CAST(SUM(l.quantity - l.refunded_qty) AS BIGINT) AS units
             FROM orders o JOIN order_lines l ON l.order_id = o.id
             WHERE o.merchant_id = $1 AND o.paid_at >= $2 AND o.paid_at < $3
             GROUP BY l.sku_id, CAST((o.paid_at + $4) / 86400000 AS BIGINT)
             ORDER BY 1, 2",
        )
        .bind(merchant_id)
        .bind(from_ms)
        .bind(to_ms)
        .bind(offset_ms)
        .fetch_all(self.reader())
        .await?)
    }

    /// The merchant's SKUs that are not deleted, with stock and their last receipt, by SKU id; only `sku_ids`
    /// when given.
    pub async fn sku_stock(&self, merchant_id: i64, sku_ids: Option<&[i64]>) -> StoreResult<Vec<SkuStock>> {
        let filter = match sku_ids {
            Some([]) => return Ok(Vec::new()),
            Some(ids) => {
                let list: Vec<String> = ids.iter().map(i64::to_string).collect();
                format!(" AND s.id IN ({})", list.join(","))
            }
            None => String::new(),
        };
        let sql = format!(
            "SELECT s.id AS sku_id, s.product_id, p.title, s.code AS sku_code, s.spec_values, s.sale_price,
                    s.cost_price, s.stock, p.on_shelf,
                    r.at AS received_at, r.balance_after AS received_balance
             FROM skus s JOIN products p ON p.id = s.product_id
             LEFT JOIN stock_movements r ON r.id = (
                 SELECT MAX(m.id) FROM stock_movements m WHERE m.sku_id = s.id AND {RECEIPT})
             WHERE s.merchant_id = $1 AND s.deleted = 0 AND p.deleted = 0{filter}
             ORDER BY s.id"
        );
        Ok(sqlx::query_as(&sql).bind(merchant_id).fetch_all(self.reader()).await?)
    }
}

/// The shop's markdown ladder (see `minimall_core::analytics::markdown::Ladder`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromRow)]
pub struct MarkdownSettings {
    pub target_bp: i64,
    pub target_days: i64,
    pub n_days: i64,
    pub margin_floor_bp: i64,
}

impl Store {
    pub async fn markdown_settings(&self, merchant_id: i64) -> StoreResult<MarkdownSettings> {
        Ok(sqlx::query_as(
            "SELECT markdown_target_bp AS target_bp, markdown_target_days AS target_days, markdown_n_days AS n_days,
                    markdown_margin_floor_bp AS margin_floor_bp
             FROM merchants WHERE id = $1",
        )
        .bind(merchant_id)
        .fetch_one(self.reader())
        .await?)
    }

    pub async fn set_markdown_settings(&self, tx: &mut Tx, merchant_id: i64, s: MarkdownSettings) -> StoreResult<()> {
        sqlx::query(
            "UPDATE merchants SET markdown_target_bp = $2, markdown_target_days = $3, markdown_n_days = $4,
                    markdown_margin_floor_bp = $5
             WHERE id = $1",
        )
        .bind(merchant_id)
        .bind(s.target_bp)
        .bind(s.target_days)
        .bind(s.n_days)
        .bind(s.margin_floor_bp)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }
}

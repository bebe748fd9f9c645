//! Flash sales: setup (stock set aside from the SKU), the gate's view of a sale, and the grouped write of
//! admitted orders — many orders in one transaction with multi-row inserts, so one fsync covers a batch.

use std::collections::HashMap;

use sqlx::{Any, Executor, FromRow};

use crate::script::{Rows, Script};
use crate::stock::{StockError, StockReason};
use crate::{now_ms, Paged, Store, StoreError, StoreResult, Tx};

#[derive(Debug, Clone, FromRow)]
pub struct FlashSaleRow {
    pub id: i64,
    pub merchant_id: i64,
    pub title: String,
    pub product_id: i64,
    pub starts_at: i64,
    pub ends_at: i64,
    pub per_buyer_limit: i64,
    pub allow_coupons: i32,
    pub shipping: i64,
    pub unpaid_timeout_secs: i64,
    pub status: String,
    pub created_at: i64,
    pub updated_at: i64,
}

const SALE_COLS: &str = "id, merchant_id, title, product_id, starts_at, ends_at, per_buyer_limit, allow_coupons, shipping, unpaid_timeout_secs, status, created_at, updated_at";

/// A SKU of a sale with what an order line needs to snapshot.
#[derive(Debug, Clone, FromRow)]
pub struct FlashItemRow {
    pub id: i64,
    pub sale_id: i64,
    pub sku_id: i64,
    pub flash_price: i64,
    pub quantity: i64,
    pub sold: i64,
    pub finished: i32,
    pub sale_price: i64,
    pub original_price: i64,
    pub spec_values: String,
    pub product_id: i64,
    pub title: String,
    pub images: String,
}

const ITEM_SELECT: &str =
    "SELECT i.id, i.sale_id, i.sku_id, i.flash_price, i.quantity, i.sold, i.finished, s.sale_price, s.original_price,
        s.spec_values, p.id AS product_id, p.title, p.images
     FROM flash_sale_items i JOIN skus s ON s.id = i.sku_id JOIN products p ON p.id = s.product_id";

#[derive(Debug, Clone)]
pub struct NewFlashSale {
    pub title: String,
    pub product_id: i64,
    pub starts_at: i64,
    pub ends_at: i64,
    pub per_buyer_limit: i64,
    pub allow_coupons: bool,
    pub shipping: i64,
    pub unpaid_timeout_secs: i64,
}

/// An admitted purchase, priced, ready to be written with others in one transaction.
#[derive(Debug, Clone)]
pub struct FlashOrderWrite {
    pub merchant_id: i64,
    pub sale_id: i64,
    pub item_id: i64,
    pub sku_id: i64,
    pub product_id: i64,
    pub buyer_id: i64,
    pub quantity: i64,
    pub order_no: String,
    pub title: String,
    pub spec: String,
    pub image: Option<String>,
    pub sale_price: i64,
    pub flash_price: i64,
    pub shipping: i64,
    pub address: Option<String>,
    pub pay_deadline: i64,
    pub reservation: String,
    pub idem_scope: String,
    pub idem_key: String,
    pub idem_hash: String,
}

impl FlashOrderWrite {
    pub fn goods_amount(&self) -> i64 {
        self.flash_price * self.quantity
    }
    pub fn payable(&self) -> i64 {
        self.goods_amount() + self.shipping
    }
}

/// What became of one purchase in a grouped write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlashWriteOutcome {
    /// Written: the order id and the response body stored under its idempotency key.
    Created { order_id: i64, body: String },
    /// The idempotency key was already used for the same request: its stored response.
    Replay { status: u16, body: String },
    /// The idempotency key was already used for another request.
    Mismatch,
}

/// A flash order's units given back (cancellation): where they went.
#[derive(Debug, Clone)]
pub struct ReleasedUnits {
    pub sale_id: i64,
    pub sku_id: i64,
    pub buyer_id: i64,
    pub quantity: i64,
    /// True when the units went back to the running sale; false when the sale had finished and they went back
    /// to the SKU's stock.
    pub to_sale: bool,
}

/// [`value_rows`](crate::script::value_rows) for a statement of its own: numbered `$1,$2,…` on PostgreSQL. On SQLite the list stays
/// plain `?`: SQLite looks named parameters up one by one in a list, which makes binding a statement of n
/// `$k` parameters cost O(n²) — 40 ms for a 256-order insert — while `?` binds in order.
fn values(backend: crate::Backend, rows: usize, cols: usize) -> String {
    let rows = crate::script::value_rows(rows, cols);
    match backend {
        crate::Backend::Sqlite => rows,
        crate::Backend::Postgres => crate::script::numbered(&rows),
    }
}

/// `$1,$2,…` (or `?,?,…` on SQLite, see [`values`]) for an `IN (…)` list.
fn list(backend: crate::Backend, n: usize) -> String {
    let one = values(backend, 1, n);
    one[1..one.len() - 1].to_string()
}

use crate::script::Kind::{Int, Text};

const ORDER_COLUMNS: &[(&str, crate::script::Kind)] = &[
    ("id", Int),
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
    ("coupon_ids", Text),
    ("address", Text),
    ("remark", Text),
    ("derivation", Text),
    ("pay_deadline", Int),
    ("created_at", Int),
    ("updated_at", Int),
];
const LINE_COLUMNS: &[(&str, crate::script::Kind)] = &[
    ("merchant_id", Int),
    ("order_id", Int),
    ("sku_id", Int),
    ("product_id", Int),
    ("title", Text),
    ("spec", Text),
    ("image", Text),
    ("quantity", Int),
    ("sale_price", Int),
    ("unit_price", Int),
    ("price_source", Text),
    ("goods_amount", Int),
    ("order_discount", Int),
    ("coupon_discount", Int),
    ("points_discount", Int),
    ("paid_amount", Int),
    ("price_activity_id", Int),
];
const EVENT_COLUMNS: &[(&str, crate::script::Kind)] = &[
    ("merchant_id", Int),
    ("order_id", Int),
    ("kind", Text),
    ("from_status", Text),
    ("to_status", Text),
    ("detail", Text),
    ("actor", Text),
    ("at", Int),
];
const FLASH_COLUMNS: &[(&str, crate::script::Kind)] = &[
    ("merchant_id", Int),
    ("sale_id", Int),
    ("item_id", Int),
    ("sku_id", Int),
    ("buyer_id", Int),
    ("order_id", Int),
    ("quantity", Int),
    ("reservation", Text),
    ("idem_key", Text),
    ("live", Int),
    ("created_at", Int),
];
const JOB_COLUMNS: &[(&str, crate::script::Kind)] = &[
    ("merchant_id", Int),
    ("kind", Text),
    ("payload", Text),
    ("dedup_key", Text),
    ("status", Text),
    ("run_at", Int),
    ("max_attempts", Int),
    ("created_at", Int),
];
const KEY_COLUMNS: &[(&str, crate::script::Kind)] = &[
    ("scope", Text),
    ("idem_key", Text),
    ("merchant_id", Int),
    ("request_hash", Text),
    ("status_code", Int),
    ("response_body", Text),
    ("created_at", Int),
];

/// Rows per multi-row insert: keeps the placeholders of the widest table under SQLite's limit.
pub const MAX_BATCH: usize = 256;

impl Store {
    /// Create a sale and set its units aside from each SKU's stock, in the caller's transaction.
    pub async fn insert_flash_sale(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        s: &NewFlashSale,
        items: &[(i64, i64, i64)],
    ) -> Result<i64, StockError> {
        let now = now_ms();
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO flash_sales (merchant_id, title, product_id, starts_at, ends_at, per_buyer_limit, allow_coupons, shipping,
                unpaid_timeout_secs, status, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'scheduled', $10, $10) RETURNING id",
        )
        .bind(merchant_id)
        .bind(&s.title)
        .bind(s.product_id)
        .bind(s.starts_at)
        .bind(s.ends_at)
        .bind(s.per_buyer_limit)
        .bind(i32::from(s.allow_coupons))
        .bind(s.shipping)
        .bind(s.unpaid_timeout_secs)
        .bind(now)
        .fetch_one(&mut **tx)
        .await?;
        for (sku, price, qty) in items {
            self.move_stock(tx, merchant_id, *sku, -qty, StockReason::FlashReserve, &format!("flash:{id}"), "admin")
                .await?;
            sqlx::query(
                "INSERT INTO flash_sale_items (merchant_id, sale_id, sku_id, flash_price, quantity) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(merchant_id)
            .bind(id)
            .bind(sku)
            .bind(price)
            .bind(qty)
            .execute(&mut **tx)
            .await?;
        }
        Ok(id)
    }

    pub async fn flash_sale<'e>(
        &self,
        ex: impl Executor<'e, Database = Any>,
        merchant_id: i64,
        id: i64,
    ) -> StoreResult<FlashSaleRow> {
        Ok(sqlx::query_as::<_, FlashSaleRow>(&format!(
            "SELECT {SALE_COLS} FROM flash_sales WHERE merchant_id = $1 AND id = $2"
        ))
        .bind(merchant_id)
        .bind(id)
        .fetch_one(ex)
        .await?)
    }

    pub async fn flash_items(&self, sale_id: i64) -> StoreResult<Vec<FlashItemRow>> {
        Ok(sqlx::query_as::<_, FlashItemRow>(&format!("{ITEM_SELECT} WHERE i.sale_id = $1 ORDER BY i.id"))
            .bind(sale_id)
            .fetch_all(self.reader())
            .await?)
    }

    /// Sales of a merchant, newest first; `live_at` keeps those not yet ended at that time and not stopped.
    pub async fn flash_sales(
        &self,
        merchant_id: i64,
        live_at: Option<i64>,
        limit: i64,
        offset: i64,
    ) -> StoreResult<Paged<FlashSaleRow>> {
        let filter = if live_at.is_some() { "AND ends_at > $2 AND status = 'scheduled'" } else { "AND $2 = $2" };
        let order = if live_at.is_some() { "starts_at, id" } else { "id DESC" };
        let items = sqlx::query_as::<_, FlashSaleRow>(&format!(
            "SELECT {SALE_COLS} FROM flash_sales WHERE merchant_id = $1 {filter} ORDER BY {order} LIMIT $3 OFFSET $4"
        ))
        .bind(merchant_id)
        .bind(live_at.unwrap_or(0))
        .bind(limit)
        .bind(offset)
        .fetch_all(self.reader())
        .await?;
        let (total,): (i64,) =
            sqlx::query_as(&format!("SELECT COUNT(*) FROM flash_sales WHERE merchant_id = $1 {filter}"))
                .bind(merchant_id)
                .bind(live_at.unwrap_or(0))
                .fetch_one(self.reader())
                .await?;
        Ok(Paged { items, total })
    }

    /// Scheduled sales of a merchant whose window overlaps `[starts, ends)` and that share a SKU with `skus`.
    pub async fn overlapping_flash_sales(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        starts: i64,
        ends: i64,
        skus: &[i64],
        except: i64,
    ) -> StoreResult<Vec<(i64, i64)>> {
        let rows: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT f.id, i.sku_id FROM flash_sales f JOIN flash_sale_items i ON i.sale_id = f.id
             WHERE f.merchant_id = $1 AND f.status = 'scheduled' AND f.starts_at < $3 AND $2 < f.ends_at AND f.id <> $4",
        )
        .bind(merchant_id)
        .bind(starts)
        .bind(ends)
        .bind(except)
        .fetch_all(&mut **tx)
        .await?;
        Ok(rows.into_iter().filter(|(_, s)| skus.contains(s)).collect())
    }

    /// Change the terms of a sale (title, window, limit, shipping). Units are fixed once set aside.
    pub async fn update_flash_sale(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        id: i64,
        s: &NewFlashSale,
    ) -> StoreResult<bool> {
        let n = sqlx::query(
            "UPDATE flash_sales SET title = $3, starts_at = $4, ends_at = $5, per_buyer_limit = $6, allow_coupons = $7,
                shipping = $8, unpaid_timeout_secs = $9, updated_at = $10
             WHERE merchant_id = $1 AND id = $2 AND status = 'scheduled'",
        )
        .bind(merchant_id)
        .bind(id)
        .bind(&s.title)
        .bind(s.starts_at)
        .bind(s.ends_at)
        .bind(s.per_buyer_limit)
        .bind(i32::from(s.allow_coupons))
        .bind(s.shipping)
        .bind(s.unpaid_timeout_secs)
        .bind(now_ms())
        .execute(&mut **tx)
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    /// End a sale (stopped by the merchant, or its window closed): unsold units go back to their SKUs' stock,
    /// once. Later cancellations of its orders return their units to the SKU directly. Returns false when the
    /// sale had already ended.
    pub async fn finish_flash_sale(&self, tx: &mut Tx, merchant_id: i64, id: i64, status: &str) -> StoreResult<bool> {
        let n = sqlx::query(
            "UPDATE flash_sales SET status = $3, updated_at = $4 WHERE merchant_id = $1 AND id = $2 AND status = 'scheduled'",
        )
        .bind(merchant_id)
        .bind(id)
        .bind(status)
        .bind(now_ms())
        .execute(&mut **tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Ok(false);
        }
        let back: Vec<(i64, i64)> = sqlx::query_as(
            "UPDATE flash_sale_items SET finished = 1 WHERE sale_id = $1 AND finished = 0 RETURNING sku_id, quantity - sold",
        )
        .bind(id)
        .fetch_all(&mut **tx)
        .await?;
        for (sku, units) in back {
            if units > 0 {
                self.move_stock(
                    tx,
                    merchant_id,
                    sku,
                    units,
                    StockReason::FlashReturn,
                    &format!("flash:{id}"),
                    "system",
                )
                .await
                .map_err(stock_to_store)?;
            }
        }
        Ok(true)
    }

    /// The gate's view of a sale from the database: units free per SKU and units each buyer holds.
    pub async fn flash_gate_snapshot(&self, sale_id: i64) -> StoreResult<(Vec<(i64, i64)>, Vec<(i64, i64)>)> {
        let free: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT sku_id, CASE WHEN finished = 1 THEN 0 ELSE quantity - sold END FROM flash_sale_items WHERE sale_id = $1",
        )
        .bind(sale_id)
        .fetch_all(self.reader())
        .await?;
        let held: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT buyer_id, CAST(SUM(quantity) AS BIGINT) FROM flash_orders WHERE sale_id = $1 AND live = 1 GROUP BY buyer_id",
        )
        .bind(sale_id)
        .fetch_all(self.reader())
        .await?;
        Ok((free, held))
    }

    /// Units in live flash orders of a sale, and the number of those orders (for checks and the console).
    pub async fn flash_order_totals(&self, sale_id: i64) -> StoreResult<(i64, i64)> {
        let (units, orders): (Option<i64>, i64) = sqlx::query_as(
            "SELECT CAST(SUM(quantity) AS BIGINT), COUNT(*) FROM flash_orders WHERE sale_id = $1 AND live = 1",
        )
        .bind(sale_id)
        .fetch_one(self.reader())
        .await?;
        Ok((units.unwrap_or(0), orders))
    }

    /// Which of these reservations were written (for reclaiming those that never became orders).
    pub async fn flash_reservations_written(&self, reservations: &[String]) -> StoreResult<Vec<String>> {
        let mut out = Vec::new();
        for chunk in reservations.chunks(500) {
            let sql = format!(
                "SELECT reservation FROM flash_orders WHERE reservation IN ({})",
                list(self.backend(), chunk.len())
            );
            let mut q = sqlx::query_as::<_, (String,)>(&sql);
            for r in chunk {
                q = q.bind(r);
            }
            out.extend(q.fetch_all(self.reader()).await?.into_iter().map(|r| r.0));
        }
        Ok(out)
    }

    /// A flash order's units, given back when the order is cancelled: to the sale while it runs, else to the
    /// SKU's stock. Call inside the cancellation's transaction, after the order left pending payment.
    pub async fn release_flash_order(&self, tx: &mut Tx, order_id: i64) -> StoreResult<Option<ReleasedUnits>> {
        let row: Option<(i64, i64, i64, i64, i64, i64)> = sqlx::query_as(
            "UPDATE flash_orders SET live = 0 WHERE order_id = $1 AND live = 1
             RETURNING merchant_id, sale_id, item_id, sku_id, buyer_id, quantity",
        )
        .bind(order_id)
        .fetch_optional(&mut **tx)
        .await?;
        let Some((merchant_id, sale_id, item_id, sku_id, buyer_id, quantity)) = row else { return Ok(None) };
        let to_sale = sqlx::query("UPDATE flash_sale_items SET sold = sold - $2 WHERE id = $1 AND finished = 0")
            .bind(item_id)
            .bind(quantity)
            .execute(&mut **tx)
            .await?
            .rows_affected()
            == 1;
        if !to_sale {
            sqlx::query("UPDATE flash_sale_items SET sold = sold - $2 WHERE id = $1")
                .bind(item_id)
                .bind(quantity)
                .execute(&mut **tx)
                .await?;
            self.move_stock(
                tx,
                merchant_id,
                sku_id,
                quantity,
                StockReason::FlashReturn,
                &format!("flash:{sale_id}:order:{order_id}"),
                "system",
            )
            .await
            .map_err(stock_to_store)?;
        }
        Ok(Some(ReleasedUnits { sale_id, sku_id, buyer_id, quantity, to_sale }))
    }

    /// `n` ids for new orders, to be inserted with them in this transaction. On SQLite the transaction holds the
    /// database's one write lock, so the ids after the largest ever given (the table's `AUTOINCREMENT` counter,
    /// or its largest row) stay free until it ends; on PostgreSQL they are taken from the table's sequence.
    async fn reserve_order_ids(&self, tx: &mut Tx, n: usize) -> StoreResult<Vec<i64>> {
        match self.backend() {
            crate::Backend::Sqlite => {
                let (last,): (i64,) = sqlx::query_as(
                    "SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'orders'), 0),
                                COALESCE((SELECT MAX(id) FROM orders), 0))",
                )
                .fetch_one(&mut **tx)
                .await?;
                Ok((1..=n as i64).map(|k| last + k).collect())
            }
            crate::Backend::Postgres => {
                let rows: Vec<(i64,)> = sqlx::query_as(
                    "SELECT nextval(pg_get_serial_sequence('orders', 'id')) FROM generate_series(1, $1)",
                )
                .bind(n as i64)
                .fetch_all(&mut **tx)
                .await?;
                Ok(rows.into_iter().map(|(id,)| id).collect())
            }
        }
    }

    /// Write admitted purchases in one transaction: idempotency keys checked first (a key already used is
    /// answered from its record and writes nothing), then orders, lines, timeline, flash rows, unpaid-timeout
    /// jobs (one per merchant and payment deadline, listing its orders) and the keys with their responses, each as one multi-row statement, and last the units counted
    /// against the sale with a guard that can never let `sold` pass `quantity` (a refusal rolls back all). `body` renders a created order's response.
    /// Either everything commits or nothing does.
    pub async fn write_flash_batch(
        &self,
        writes: &[FlashOrderWrite],
        expire_job_kind: &str,
        body: &(dyn Fn(&FlashOrderWrite, i64) -> String + Sync),
    ) -> StoreResult<Vec<FlashWriteOutcome>> {
        let mut outcomes: Vec<Option<FlashWriteOutcome>> = vec![None; writes.len()];
        let mut tx = self.begin().await?;
        // 1. Keys already used.
        let mut seen: HashMap<(String, String), (String, i32, String)> = HashMap::new();
        for chunk in writes.chunks(MAX_BATCH) {
            // One primary-key lookup per (scope, key) pair: the pairs are joined to the table, not matched by
            // key alone (that would scan every key ever stored).
            let sql = format!(
                "WITH k (scope, idem_key) AS (VALUES {})
                 SELECT i.scope, i.idem_key, i.request_hash, i.status_code, i.response_body
                 FROM k JOIN idempotency_keys i ON i.scope = k.scope AND i.idem_key = k.idem_key",
                values(self.backend(), chunk.len(), 2)
            );
            let mut q = sqlx::query_as::<_, (String, String, String, i32, String)>(&sql);
            for w in chunk {
                q = q.bind(&w.idem_scope).bind(&w.idem_key);
            }
            for (scope, key, hash, status, resp) in q.fetch_all(&mut *tx).await? {
                seen.insert((scope, key), (hash, status, resp));
            }
        }
        let mut fresh: Vec<usize> = Vec::with_capacity(writes.len());
        let mut keys_in_batch: HashMap<(&str, &str), usize> = HashMap::new();
        for (i, w) in writes.iter().enumerate() {
            if let Some((hash, status, resp)) = seen.get(&(w.idem_scope.clone(), w.idem_key.clone())) {
                outcomes[i] = Some(if *hash == w.idem_hash {
                    FlashWriteOutcome::Replay { status: *status as u16, body: resp.clone() }
                } else {
                    FlashWriteOutcome::Mismatch
                });
            } else if let Some(first) = keys_in_batch.get(&(w.idem_scope.as_str(), w.idem_key.as_str())) {
                // Same key twice in one batch: the second waits for the first's answer.
                outcomes[i] = Some(if writes[*first].idem_hash == w.idem_hash {
                    FlashWriteOutcome::Replay { status: 0, body: String::new() }
                } else {
                    FlashWriteOutcome::Mismatch
                });
            } else {
                keys_in_batch.insert((w.idem_scope.as_str(), w.idem_key.as_str()), i);
                fresh.push(i);
            }
        }
        if fresh.is_empty() {
            tx.rollback().await?;
            return Ok(outcomes.into_iter().map(|o| o.unwrap_or(FlashWriteOutcome::Mismatch)).collect());
        }
        // 2. Units per sale item and per product (written last, see 9).
        let mut per_item: HashMap<i64, i64> = HashMap::new();
        let mut per_product: HashMap<i64, i64> = HashMap::new();
        for &i in &fresh {
            *per_item.entry(writes[i].item_id).or_default() += writes[i].quantity;
            *per_product.entry(writes[i].product_id).or_default() += writes[i].quantity;
        }
        let now = now_ms();
        // 3. The orders' ids, reserved first so that the orders go in the script with everything that refers to
        // them (and no row comes back from their insert).
        let order_ids = self.reserve_order_ids(&mut tx, fresh.len()).await?;
        // 3.–9. The batch as one script (one round trip on SQLite).
        // The inserts touch only new rows and read none of them (foreign keys are checked at the end of the
        // statement, once every new row is there): on PostgreSQL they go as one statement, then the shared
        // rows' updates as another.
        let mut script = Script::independent(self.backend());
        let mut bodies = Vec::with_capacity(fresh.len());
        for (chunk, ids) in fresh.chunks(MAX_BATCH).zip(order_ids.chunks(MAX_BATCH)) {
            let rows = || chunk.iter().map(|&i| &writes[i]).zip(ids.iter().copied());
            // 3. Orders.
            let mut orders = Rows::new("orders", ORDER_COLUMNS, chunk.len());
            for (w, id) in rows() {
                let list_total = w.sale_price * w.quantity;
                let derivation = format!(
                    r#"{{"list_total":{list_total},"steps":[{{"kind":"flash_sale","sale_id":{},"amount":{}}}],"shipping":{},"payable":{}}}"#,
                    w.sale_id,
                    w.goods_amount() - list_total,
                    w.shipping,
                    w.payable()
                );
                orders
                    .int(id)
                    .int(w.merchant_id)
                    .text(w.order_no.as_str())
                    .int(w.buyer_id)
                    .text("pending_payment")
                    .int(list_total)
                    .int(w.goods_amount())
                    .int(0)
                    .int(0)
                    .int(0)
                    .int(0)
                    .int(w.shipping)
                    .int(w.payable())
                    .text("[]")
                    .opt_text(w.address.clone())
                    .text("")
                    .text(derivation)
                    .int(w.pay_deadline)
                    .int(now)
                    .int(now);
            }
            script.insert(orders);
            // 4. Lines.
            let mut lines = Rows::new("order_lines", LINE_COLUMNS, chunk.len());
            for (w, id) in rows() {
                lines
                    .int(w.merchant_id)
                    .int(id)
                    .int(w.sku_id)
                    .int(w.product_id)
                    .text(w.title.as_str())
                    .text(w.spec.as_str())
                    .opt_text(w.image.clone())
                    .int(w.quantity)
                    .int(w.sale_price)
                    .int(w.flash_price)
                    .text("FlashSale")
                    .int(w.goods_amount())
                    .int(0)
                    .int(0)
                    .int(0)
                    .int(w.goods_amount())
                    .int(None::<i64>);
            }
            script.insert(lines);
            // 5. Timeline.
            let mut events = Rows::new("order_events", EVENT_COLUMNS, chunk.len());
            for (w, id) in rows() {
                events
                    .int(w.merchant_id)
                    .int(id)
                    .text("created")
                    .opt_text(None)
                    .text("pending_payment")
                    .text(format!(r#"{{"payable":{},"flash_sale_id":{}}}"#, w.payable(), w.sale_id))
                    .text("buyer")
                    .int(now);
            }
            script.insert(events);
            // 6. Flash rows.
            let mut flash = Rows::new("flash_orders", FLASH_COLUMNS, chunk.len());
            for (w, id) in rows() {
                flash
                    .int(w.merchant_id)
                    .int(w.sale_id)
                    .int(w.item_id)
                    .int(w.sku_id)
                    .int(w.buyer_id)
                    .int(id)
                    .int(w.quantity)
                    .text(w.reservation.as_str())
                    .text(w.idem_key.as_str())
                    .int(1)
                    .int(now);
            }
            script.insert(flash);
            // 7. Unpaid-timeout jobs: one per merchant and deadline, naming every order it times out (a sale's
            // batch shares one deadline), rather than a job row per order.
            let mut deadlines: Vec<((i64, i64), Vec<i64>)> = Vec::new();
            for (w, id) in rows() {
                match deadlines.iter_mut().find(|(k, _)| *k == (w.merchant_id, w.pay_deadline)) {
                    Some((_, ids)) => ids.push(id),
                    None => deadlines.push(((w.merchant_id, w.pay_deadline), vec![id])),
                }
            }
            let mut jobs = Rows::new("jobs", JOB_COLUMNS, deadlines.len());
            for ((merchant_id, deadline), ids) in &deadlines {
                let list = ids.iter().map(|id| id.to_string()).collect::<Vec<_>>().join(",");
                jobs.int(*merchant_id)
                    .text(expire_job_kind)
                    .text(format!(r#"{{"order_ids":[{list}]}}"#))
                    .text(format!("{expire_job_kind}:{}", ids[0]))
                    .text("pending")
                    .int(*deadline)
                    .int(20)
                    .int(now);
            }
            script.insert(jobs);
            // 8. Keys with their answers.
            let mut keys = Rows::new("idempotency_keys", KEY_COLUMNS, chunk.len());
            for (&i, id) in chunk.iter().zip(ids.iter().copied()) {
                let w = &writes[i];
                let b = body(w, id);
                keys.text(w.idem_scope.as_str())
                    .text(w.idem_key.as_str())
                    .int(w.merchant_id)
                    .text(w.idem_hash.as_str())
                    .int(201)
                    .text(b.as_str())
                    .int(now);
                bodies.push((i, id, b));
            }
            script.insert(keys);
        }
        let inserts = script.len();
        script.then();
        // 9. The units, with the guard, and the products' sales: these rows are shared by every buyer (and by
        // every instance on PostgreSQL), so they are locked last, for as short as possible before the commit.
        for (item, n) in &per_item {
            script
                .statement(
                    "UPDATE flash_sale_items SET sold = sold + ? WHERE id = ? AND finished = 0 AND sold + ? <= quantity"
                        .into(),
                )
                .add(*n)
                .add(*item)
                .add(*n);
        }
        for (product, n) in &per_product {
            crate::catalog::product_sales(&mut script, *product, *n);
        }
        let changed = script.run(&mut tx).await?;
        for ((item, n), rows) in per_item.iter().zip(&changed[inserts..]) {
            if *rows != 1 {
                return Err(StoreError::Constraint(format!("flash item {item} cannot take {n} more units")));
            }
        }
        for (i, order_id, body) in bodies {
            outcomes[i] = Some(FlashWriteOutcome::Created { order_id, body });
        }
        crate::commit(tx).await?;
        // Duplicates within the batch answer with their first's response.
        let mut out: Vec<FlashWriteOutcome> = Vec::with_capacity(writes.len());
        for (i, o) in outcomes.iter().enumerate() {
            let o = match o {
                Some(FlashWriteOutcome::Replay { status: 0, .. }) => {
                    let w = &writes[i];
                    let first = keys_in_batch[&(w.idem_scope.as_str(), w.idem_key.as_str())];
                    match &outcomes[first] {
                        Some(FlashWriteOutcome::Created { body, .. }) => {
                            FlashWriteOutcome::Replay { status: 201, body: body.clone() }
                        }
                        other => other.clone().unwrap_or(FlashWriteOutcome::Mismatch),
                    }
                }
                Some(o) => o.clone(),
                None => FlashWriteOutcome::Mismatch,
            };
            out.push(o);
        }
        Ok(out)
    }
}

fn stock_to_store(e: StockError) -> StoreError {
    match e {
        StockError::Insufficient(n) => StoreError::Constraint(format!("only {n} in stock")),
        StockError::Store(s) => s,
    }
}

impl Store {
    /// This database's random name (created on first use).
    pub async fn installation_key(&self) -> StoreResult<String> {
        if let Some((k,)) = sqlx::query_as::<_, (String,)>("SELECT install_key FROM installation WHERE id = 1")
            .fetch_optional(self.reader())
            .await?
        {
            return Ok(k);
        }
        let fresh: String = {
            use rand::Rng;
            let mut r = rand::thread_rng();
            (0..12).map(|_| char::from(b"abcdefghijklmnopqrstuvwxyz0123456789"[r.gen_range(0..36)])).collect()
        };
        let mut tx = self.begin().await?;
        sqlx::query("INSERT INTO installation (id, install_key) VALUES (1, $1) ON CONFLICT (id) DO NOTHING")
            .bind(&fresh)
            .execute(&mut *tx)
            .await?;
        let (k,): (String,) =
            sqlx::query_as("SELECT install_key FROM installation WHERE id = 1").fetch_one(&mut *tx).await?;
        crate::commit(tx).await?;
        Ok(k)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn values_clause() {
        assert_eq!(super::values(crate::Backend::Postgres, 2, 3), "($1,$2,$3),($4,$5,$6)");
        assert_eq!(super::values(crate::Backend::Sqlite, 2, 2), "(?,?),(?,?)");
        assert_eq!(super::list(crate::Backend::Postgres, 3), "$1,$2,$3");
    }
}

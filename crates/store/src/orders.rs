//! Orders: the cart, orders with their lines and timeline, payments and their notifications, refunds and
//! shipments. State changes are conditional updates (`WHERE status IN (…)`), so a change happens at most
//! once however many requests, notifications or jobs race for it.

use minimall_core::orders::OrderStatus;
use minimall_core::{BuyerId, MerchantId, OrderId, ProductId, SkuId};
use sqlx::{Any, Executor, FromRow};

use crate::{now_ms, Paged, Store, StoreResult, Tx};

// ---- cart ---------------------------------------------------------------------------------------

#[derive(Debug, Clone, FromRow)]
pub struct CartRow {
    pub id: i64,
    pub sku_id: i64,
    pub quantity: i64,
    pub selected: i32,
    pub product_id: i64,
    pub title: String,
    pub spec_values: String,
    pub images: String,
    pub sale_price: i64,
    pub original_price: i64,
    pub stock: i64,
    pub on_shelf: i32,
    pub deleted: i32,
}

pub const MAX_CART_ITEMS: i64 = 100;

/// What a quote needs to know about its buyer.
#[derive(Debug, Clone, FromRow)]
pub struct BuyerPricingFacts {
    pub registered_at: i64,
    /// 1 when the buyer has a paid order.
    pub has_paid_order: i64,
    pub points_balance: i64,
    /// The member level's price as a percent of the sale price, when the level has one.
    pub member_discount_pct: Option<i32>,
    pub member_level_name: Option<String>,
    /// 1 when the member level ships free.
    pub member_free_shipping: i64,
}

impl Store {
    pub async fn cart(&self, buyer_id: i64) -> StoreResult<Vec<CartRow>> {
        Ok(sqlx::query_as::<_, CartRow>(
            "SELECT c.id, c.sku_id, c.quantity, c.selected, p.id AS product_id, p.title, s.spec_values, p.images, s.sale_price,
                    s.original_price, s.stock, p.on_shelf, CASE WHEN s.deleted = 1 OR p.deleted = 1 THEN 1 ELSE 0 END AS deleted
             FROM cart_items c JOIN skus s ON s.id = c.sku_id JOIN products p ON p.id = s.product_id
             WHERE c.buyer_id = $1 ORDER BY c.updated_at DESC, c.id DESC",
        )
        .bind(buyer_id)
        .fetch_all(self.reader())
        .await?)
    }

    /// Add `quantity` of a SKU (merging with the line already there). Returns false when the cart is full.
    pub async fn cart_add(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        buyer_id: i64,
        sku_id: i64,
        quantity: i64,
        max_quantity: i64,
    ) -> StoreResult<bool> {
        let now = now_ms();
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM cart_items WHERE buyer_id = $1")
            .bind(buyer_id)
            .fetch_one(&mut **tx)
            .await?;
        let exists: Option<(i64,)> = sqlx::query_as("SELECT id FROM cart_items WHERE buyer_id = $1 AND sku_id = $2")
            .bind(buyer_id)
            .bind(sku_id)
            .fetch_optional(&mut **tx)
            .await?;
        if exists.is_none() && n >= MAX_CART_ITEMS {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO cart_items (merchant_id, buyer_id, sku_id, quantity, selected, created_at, updated_at)
             VALUES ($1, $2, $3, $4, 1, $5, $5)
             ON CONFLICT (buyer_id, sku_id) DO UPDATE SET
               quantity = CASE WHEN cart_items.quantity + excluded.quantity > $6 THEN $6 ELSE cart_items.quantity + excluded.quantity END,
               selected = 1, updated_at = excluded.updated_at",
        )
        .bind(merchant_id)
        .bind(buyer_id)
        .bind(sku_id)
        .bind(quantity)
        .bind(now)
        .bind(max_quantity)
        .execute(&mut **tx)
        .await?;
        Ok(true)
    }

    pub async fn cart_update(
        &self,
        tx: &mut Tx,
        buyer_id: i64,
        item_id: i64,
        quantity: Option<i64>,
        selected: Option<bool>,
    ) -> StoreResult<bool> {
        let n = sqlx::query(
            "UPDATE cart_items SET quantity = COALESCE($3, quantity), selected = COALESCE($4, selected), updated_at = $5
             WHERE buyer_id = $1 AND id = $2",
        )
        .bind(buyer_id)
        .bind(item_id)
        .bind(quantity)
        .bind(selected.map(i32::from))
        .bind(now_ms())
        .execute(&mut **tx)
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    pub async fn cart_remove(&self, tx: &mut Tx, buyer_id: i64, item_id: i64) -> StoreResult<bool> {
        let n = sqlx::query("DELETE FROM cart_items WHERE buyer_id = $1 AND id = $2")
            .bind(buyer_id)
            .bind(item_id)
            .execute(&mut **tx)
            .await?
            .rows_affected();
        Ok(n == 1)
    }
}

// ---- orders -------------------------------------------------------------------------------------

#[derive(Debug, Clone, FromRow)]
pub struct OrderRow {
    pub id: OrderId,
    pub merchant_id: i64,
    pub order_no: String,
    pub buyer_id: BuyerId,
    pub status: OrderStatus,
    pub is_group: i32,
    pub list_total: i64,
    pub goods_total: i64,
    pub order_discount: i64,
    pub coupon_discount: i64,
    pub points_used: i64,
    pub points_discount: i64,
    pub shipping: i64,
    pub payable: i64,
    pub refunded_amount: i64,
    pub coupon_ids: String,
    pub address: Option<String>,
    pub remark: String,
    pub derivation: String,
    pub pay_deadline: i64,
    pub paid_at: Option<i64>,
    pub shipped_at: Option<i64>,
    pub received_at: Option<i64>,
    pub completed_at: Option<i64>,
    pub cancelled_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    /// express or pickup
    pub delivery: String,
    pub store_id: Option<i64>,
    pub pickup_code: Option<String>,
    pub picked_up_at: Option<i64>,
}

pub(crate) const ORDER_COLS: &str = "id, merchant_id, order_no, buyer_id, status, is_group, list_total, goods_total, order_discount, coupon_discount, points_used, points_discount, shipping, payable, refunded_amount, coupon_ids, address, remark, derivation, pay_deadline, paid_at, shipped_at, received_at, completed_at, cancelled_at, created_at, updated_at, delivery, store_id, pickup_code, picked_up_at";

#[derive(Debug, Clone)]
pub struct NewOrder {
    pub order_no: String,
    pub buyer_id: BuyerId,
    pub status: OrderStatus,
    pub list_total: i64,
    pub goods_total: i64,
    pub order_discount: i64,
    pub coupon_discount: i64,
    pub points_used: i64,
    pub points_discount: i64,
    pub shipping: i64,
    pub payable: i64,
    pub coupon_ids: String,
    pub address: Option<String>,
    pub remark: String,
    pub derivation: String,
    pub pay_deadline: i64,
    /// Picked up at this store with this verification code (else delivered).
    pub pickup: Option<(i64, String)>,
}

#[derive(Debug, Clone, FromRow)]
pub struct OrderLineRow {
    pub id: i64,
    pub order_id: OrderId,
    pub sku_id: SkuId,
    pub product_id: ProductId,
    pub title: String,
    pub spec: String,
    pub image: Option<String>,
    pub quantity: i64,
    pub sale_price: i64,
    pub unit_price: i64,
    pub price_source: String,
    pub goods_amount: i64,
    pub order_discount: i64,
    pub coupon_discount: i64,
    pub points_discount: i64,
    pub paid_amount: i64,
    pub shipped_qty: i64,
    pub refunded_qty: i64,
    pub refunded_amount: i64,
    /// Units under an open after-sales request.
    pub pending_refund_qty: i64,
}

const LINE_COLS: &str = "id, order_id, sku_id, product_id, title, spec, image, quantity, sale_price, unit_price, price_source, goods_amount, order_discount, coupon_discount, points_discount, paid_amount, shipped_qty, refunded_qty, refunded_amount, pending_refund_qty";

#[derive(Debug, Clone)]
pub struct NewLine {
    pub sku_id: SkuId,
    pub product_id: ProductId,
    pub title: String,
    pub spec: String,
    pub image: Option<String>,
    pub quantity: i64,
    pub sale_price: i64,
    pub unit_price: i64,
    pub price_source: String,
    pub goods_amount: i64,
    pub order_discount: i64,
    pub coupon_discount: i64,
    pub points_discount: i64,
    pub paid_amount: i64,
    /// The activity that set the unit price, if any.
    pub price_activity_id: Option<i64>,
}

#[derive(Debug, Clone, FromRow)]
pub struct OrderEventRow {
    pub id: i64,
    pub kind: String,
    pub from_status: Option<OrderStatus>,
    pub to_status: Option<OrderStatus>,
    pub detail: String,
    pub actor: String,
    pub at: i64,
}

/// Whose orders a read may return.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderScope {
    /// The merchant's own orders (the console).
    Merchant(MerchantId),
    /// The buyer's own orders (the storefront).
    Buyer(BuyerId),
    /// Any order: for jobs and steps that hold an order id the server itself wrote (a job's payload, a
    /// refund's or after-sales request's order).
    Trusted,
}

/// Filters of the console's order list.
#[derive(Debug, Clone, Default)]
pub struct OrderFilter {
    pub status: String,
    pub buyer_id: i64,
    pub product_id: i64,
    pub from_ms: i64,
    pub to_ms: i64,
    pub order_no: String,
}

impl Store {
    /// Write an order and its lines; returns them as stored.
    pub async fn insert_order(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        o: &NewOrder,
        lines: &[NewLine],
    ) -> StoreResult<(OrderRow, Vec<OrderLineRow>)> {
        let now = now_ms();
        let (store_id, pickup_code) = match &o.pickup {
            Some((store, code)) => (Some(*store), Some(code.as_str())),
            None => (None, None),
        };
        let order = sqlx::query_as::<_, OrderRow>(&format!(
            "INSERT INTO orders (merchant_id, order_no, buyer_id, status, list_total, goods_total, order_discount, coupon_discount,
                points_used, points_discount, shipping, payable, coupon_ids, address, remark, derivation, pay_deadline, created_at, updated_at,
                delivery, store_id, pickup_code)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $18, $19, $20, $21)
             RETURNING {ORDER_COLS}"
        ))
        .bind(merchant_id)
        .bind(&o.order_no)
        .bind(o.buyer_id)
        .bind(o.status)
        .bind(o.list_total)
        .bind(o.goods_total)
        .bind(o.order_discount)
        .bind(o.coupon_discount)
        .bind(o.points_used)
        .bind(o.points_discount)
        .bind(o.shipping)
        .bind(o.payable)
        .bind(&o.coupon_ids)
        .bind(&o.address)
        .bind(&o.remark)
        .bind(&o.derivation)
        .bind(o.pay_deadline)
        .bind(now)
        .bind(if o.pickup.is_some() { "pickup" } else { "express" })
        .bind(store_id)
        .bind(pickup_code)
        .fetch_one(&mut **tx)
        .await?;
        let mut rows = Vec::with_capacity(lines.len());
        for l in lines {
            let row = sqlx::query_as::<_, OrderLineRow>(&format!(
                "INSERT INTO order_lines (merchant_id, order_id, sku_id, product_id, title, spec, image, quantity, sale_price, unit_price,
                    price_source, goods_amount, order_discount, coupon_discount, points_discount, paid_amount, price_activity_id)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
                 RETURNING {LINE_COLS}"
            ))
            .bind(merchant_id)
            .bind(order.id)
            .bind(l.sku_id)
            .bind(l.product_id)
            .bind(&l.title)
            .bind(&l.spec)
            .bind(&l.image)
            .bind(l.quantity)
            .bind(l.sale_price)
            .bind(l.unit_price)
            .bind(&l.price_source)
            .bind(l.goods_amount)
            .bind(l.order_discount)
            .bind(l.coupon_discount)
            .bind(l.points_discount)
            .bind(l.paid_amount)
            .bind(l.price_activity_id)
            .fetch_one(&mut **tx)
            .await?;
            rows.push(row);
        }
        Ok((order, rows))
    }

    pub async fn order_event(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        order_id: i64,
        kind: &str,
        from: Option<&str>,
        to: Option<&str>,
        detail: &str,
        actor: &str,
    ) -> StoreResult<()> {
        let mut w = self.writes();
        w.order_event(merchant_id, order_id, kind, from, to, detail, actor);
        w.run(tx).await?;
        Ok(())
    }

    /// Move an order from `from` to `to` if it is still in `from`; sets the timestamp column that goes with
    /// the new state. Returns false when another change got there first.
    pub async fn transition_order(
        &self,
        tx: &mut Tx,
        order_id: OrderId,
        from: &str,
        to: &str,
        stamp: Option<&str>,
    ) -> StoreResult<bool> {
        let mut w = self.writes();
        let moved = w.transition_order(order_id.get(), from, to, stamp);
        Ok(moved.took(&w.run(tx).await?))
    }

    /// An order, if `scope` may see it (another merchant's or buyer's order is simply not found).
    pub async fn order<'e>(
        &self,
        ex: impl Executor<'e, Database = Any>,
        scope: OrderScope,
        id: OrderId,
    ) -> StoreResult<OrderRow> {
        let (merchant_id, buyer_id) = match scope {
            OrderScope::Merchant(m) => (m.get(), 0),
            OrderScope::Buyer(b) => (0, b.get()),
            OrderScope::Trusted => (0, 0),
        };
        Ok(sqlx::query_as::<_, OrderRow>(&format!(
            "SELECT {ORDER_COLS} FROM orders WHERE id = $1 AND ($2 = 0 OR merchant_id = $2) AND ($3 = 0 OR buyer_id = $3)"
        ))
        .bind(id)
        .bind(merchant_id)
        .bind(buyer_id)
        .fetch_one(ex)
        .await?)
    }

    pub async fn order_lines<'e>(
        &self,
        ex: impl Executor<'e, Database = Any>,
        order_id: OrderId,
    ) -> StoreResult<Vec<OrderLineRow>> {
        Ok(sqlx::query_as::<_, OrderLineRow>(&format!(
            "SELECT {LINE_COLS} FROM order_lines WHERE order_id = $1 ORDER BY id"
        ))
        .bind(order_id)
        .fetch_all(ex)
        .await?)
    }

    pub async fn order_events(&self, order_id: OrderId) -> StoreResult<Vec<OrderEventRow>> {
        Ok(sqlx::query_as::<_, OrderEventRow>(
            "SELECT id, kind, from_status, to_status, detail, actor, at FROM order_events WHERE order_id = $1 ORDER BY id",
        )
        .bind(order_id)
        .fetch_all(self.reader())
        .await?)
    }

    pub async fn buyer_orders(
        &self,
        buyer_id: BuyerId,
        status: &str,
        limit: i64,
        offset: i64,
    ) -> StoreResult<Paged<OrderRow>> {
        let filter = "buyer_id = $1 AND ($2 = '' OR status = $2)";
        let items = sqlx::query_as::<_, OrderRow>(&format!(
            "SELECT {ORDER_COLS} FROM orders WHERE {filter} ORDER BY id DESC LIMIT $3 OFFSET $4"
        ))
        .bind(buyer_id)
        .bind(status)
        .bind(limit)
        .bind(offset)
        .fetch_all(self.reader())
        .await?;
        let (total,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM orders WHERE {filter}"))
            .bind(buyer_id)
            .bind(status)
            .fetch_one(self.reader())
            .await?;
        Ok(Paged { items, total })
    }

    pub async fn list_orders(
        &self,
        merchant_id: i64,
        f: &OrderFilter,
        limit: i64,
        offset: i64,
    ) -> StoreResult<Paged<OrderRow>> {
        let filter = "merchant_id = $1 AND ($2 = '' OR status = $2) AND ($3 = 0 OR buyer_id = $3)
            AND ($4 = 0 OR id IN (SELECT order_id FROM order_lines WHERE product_id = $4))
            AND ($5 = 0 OR created_at >= $5) AND ($6 = 0 OR created_at < $6) AND ($7 = '' OR order_no = $7)";
        let items = sqlx::query_as::<_, OrderRow>(&format!(
            "SELECT {ORDER_COLS} FROM orders WHERE {filter} ORDER BY id DESC LIMIT $8 OFFSET $9"
        ))
        .bind(merchant_id)
        .bind(&f.status)
        .bind(f.buyer_id)
        .bind(f.product_id)
        .bind(f.from_ms)
        .bind(f.to_ms)
        .bind(&f.order_no)
        .bind(limit)
        .bind(offset)
        .fetch_all(self.reader())
        .await?;
        let (total,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM orders WHERE {filter}"))
            .bind(merchant_id)
            .bind(&f.status)
            .bind(f.buyer_id)
            .bind(f.product_id)
            .bind(f.from_ms)
            .bind(f.to_ms)
            .bind(&f.order_no)
            .fetch_one(self.reader())
            .await?;
        Ok(Paged { items, total })
    }

    /// Has the buyer paid for any order (首单 eligibility)?
    /// What a quote needs to know of the buyer, in one read: registration time, whether any order was ever
    /// paid, and the points balance. `NotFound` when the buyer is not the merchant's.
    pub async fn buyer_pricing_facts(&self, merchant_id: i64, buyer_id: i64) -> StoreResult<BuyerPricingFacts> {
        Ok(sqlx::query_as(
            "SELECT b.created_at AS registered_at,
                    CAST(COALESCE((SELECT 1 FROM orders o WHERE o.buyer_id = b.id AND o.paid_at IS NOT NULL LIMIT 1), 0) AS BIGINT) AS has_paid_order,
                    CAST(COALESCE((SELECT p.balance FROM points_balances p WHERE p.buyer_id = b.id), 0) AS BIGINT) AS points_balance,
                    l.discount_pct AS member_discount_pct, l.name AS member_level_name,
                    CAST(COALESCE(l.free_shipping, 0) AS BIGINT) AS member_free_shipping
             FROM buyers b LEFT JOIN member_profiles m ON m.buyer_id = b.id LEFT JOIN member_levels l ON l.id = m.level_id
             WHERE b.merchant_id = $1 AND b.id = $2",
        )
        .bind(merchant_id)
        .bind(buyer_id)
        .fetch_one(self.reader())
        .await?)
    }

    /// Units a buyer has ordered (not cancelled) per SKU, for per-buyer limits.
    pub async fn buyer_units_by_product(&self, buyer_id: i64, product_ids: &[i64]) -> StoreResult<Vec<(i64, i64)>> {
        let mut out = Vec::new();
        for p in product_ids {
            let (n,): (i64,) = sqlx::query_as(
                "SELECT CAST(COALESCE(SUM(l.quantity - l.refunded_qty), 0) AS BIGINT) FROM order_lines l JOIN orders o ON o.id = l.order_id
                 WHERE o.buyer_id = $1 AND l.product_id = $2 AND o.status NOT IN ('cancelled')",
            )
            .bind(buyer_id)
            .bind(*p)
            .fetch_one(self.reader())
            .await?;
            out.push((*p, n));
        }
        Ok(out)
    }

    // ---- coupons held by orders ---------------------------------------------------------------

    /// Coupons locked by an order go back to unused (cancelled order) or become used (paid order).
    pub async fn settle_coupons(&self, tx: &mut Tx, order_no: &str, used: bool) -> StoreResult<u64> {
        let mut w = self.writes();
        w.settle_coupons(order_no, used);
        Ok(w.run(tx).await?.first().copied().unwrap_or(0))
    }

    // ---- payments -------------------------------------------------------------------------------

    pub async fn payment_for_order(&self, order_id: OrderId) -> StoreResult<Option<PaymentRow>> {
        Ok(sqlx::query_as::<_, PaymentRow>(&format!(
            "SELECT {PAY_COLS} FROM payments WHERE order_id = $1 ORDER BY id DESC LIMIT 1"
        ))
        .bind(order_id)
        .fetch_optional(self.reader())
        .await?)
    }

    pub async fn payment_by_trade_no(&self, out_trade_no: &str) -> StoreResult<Option<PaymentRow>> {
        Ok(sqlx::query_as::<_, PaymentRow>(&format!("SELECT {PAY_COLS} FROM payments WHERE out_trade_no = $1"))
            .bind(out_trade_no)
            .fetch_optional(self.reader())
            .await?)
    }

    /// Create the order's payment, or return the one it has (one payment per order and provider).
    pub async fn ensure_payment(
        &self,
        merchant_id: i64,
        order_id: i64,
        provider: &str,
        out_trade_no: &str,
        amount: i64,
    ) -> StoreResult<PaymentRow> {
        if let Some(p) = self.payment_by_trade_no(out_trade_no).await? {
            return Ok(p);
        }
        let mut tx = self.begin().await?;
        let inserted = sqlx::query_as::<_, PaymentRow>(&format!(
            "INSERT INTO payments (merchant_id, order_id, provider, out_trade_no, amount, status, created_at)
             VALUES ($1, $2, $3, $4, $5, 'pending', $6) ON CONFLICT (out_trade_no) DO NOTHING RETURNING {PAY_COLS}"
        ))
        .bind(merchant_id)
        .bind(order_id)
        .bind(provider)
        .bind(out_trade_no)
        .bind(amount)
        .bind(now_ms())
        .fetch_optional(&mut *tx)
        .await?;
        let p = match inserted {
            Some(p) => p,
            None => {
                sqlx::query_as::<_, PaymentRow>(&format!("SELECT {PAY_COLS} FROM payments WHERE out_trade_no = $1"))
                    .bind(out_trade_no)
                    .fetch_one(&mut *tx)
                    .await?
            }
        };
        crate::commit(tx).await?;
        Ok(p)
    }

    pub async fn record_notification(
        &self,
        provider: &str,
        notification_id: &str,
        out_trade_no: &str,
        outcome: &str,
    ) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        self.record_notification_tx(&mut tx, provider, notification_id, out_trade_no, outcome).await?;
        crate::commit(tx).await
    }

    /// [`Store::record_notification`] inside the transaction that acts on it.
    pub async fn record_notification_tx(
        &self,
        tx: &mut Tx,
        provider: &str,
        notification_id: &str,
        out_trade_no: &str,
        outcome: &str,
    ) -> StoreResult<()> {
        let mut w = self.writes();
        w.notification(provider, notification_id, out_trade_no, outcome);
        w.run(tx).await?;
        Ok(())
    }

    pub async fn count_notifications(&self, out_trade_no: &str) -> StoreResult<i64> {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM payment_notifications WHERE out_trade_no = $1")
            .bind(out_trade_no)
            .fetch_one(self.reader())
            .await?;
        Ok(n)
    }

    // ---- refunds --------------------------------------------------------------------------------

    pub async fn insert_refund(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        order_id: i64,
        payment_id: i64,
        out_refund_no: &str,
        amount: i64,
        reason: &str,
    ) -> StoreResult<bool> {
        let n = sqlx::query(
            "INSERT INTO refunds (merchant_id, order_id, payment_id, out_refund_no, amount, reason, status, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7) ON CONFLICT (out_refund_no) DO NOTHING",
        )
        .bind(merchant_id)
        .bind(order_id)
        .bind(payment_id)
        .bind(out_refund_no)
        .bind(amount)
        .bind(reason)
        .bind(now_ms())
        .execute(&mut **tx)
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    pub async fn refunds_of(&self, order_id: OrderId) -> StoreResult<Vec<RefundRow>> {
        Ok(sqlx::query_as::<_, RefundRow>(
            "SELECT id, order_id, payment_id, out_refund_no, amount, reason, status, created_at, succeeded_at FROM refunds WHERE order_id = $1 ORDER BY id",
        )
        .bind(order_id)
        .fetch_all(self.reader())
        .await?)
    }

    pub async fn refund_by_no(&self, out_refund_no: &str) -> StoreResult<Option<RefundRow>> {
        Ok(sqlx::query_as::<_, RefundRow>(
            "SELECT id, order_id, payment_id, out_refund_no, amount, reason, status, created_at, succeeded_at FROM refunds WHERE out_refund_no = $1",
        )
        .bind(out_refund_no)
        .fetch_optional(self.reader())
        .await?)
    }

    /// pending → succeeded once, adding the amount to the order's refunded total.
    pub async fn refund_succeeded(&self, tx: &mut Tx, out_refund_no: &str) -> StoreResult<bool> {
        let row: Option<(i64, i64)> = sqlx::query_as(
            "UPDATE refunds SET status = 'succeeded', succeeded_at = $2 WHERE out_refund_no = $1 AND status = 'pending' RETURNING order_id, amount",
        )
        .bind(out_refund_no)
        .bind(now_ms())
        .fetch_optional(&mut **tx)
        .await?;
        let Some((order_id, amount)) = row else { return Ok(false) };
        sqlx::query("UPDATE orders SET refunded_amount = refunded_amount + $2, updated_at = $3 WHERE id = $1")
            .bind(order_id)
            .bind(amount)
            .bind(now_ms())
            .execute(&mut **tx)
            .await?;
        Ok(true)
    }

    // ---- shipments ------------------------------------------------------------------------------

    pub async fn insert_shipment(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        order_id: OrderId,
        carrier: &str,
        tracking_no: &str,
        lines_json: &str,
    ) -> StoreResult<i64> {
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO shipments (merchant_id, order_id, carrier, tracking_no, lines, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(merchant_id)
        .bind(order_id)
        .bind(carrier)
        .bind(tracking_no)
        .bind(lines_json)
        .bind(now_ms())
        .fetch_one(&mut **tx)
        .await?;
        Ok(id)
    }

    /// Add shipped units to a line, never past its quantity. False when that would exceed it.
    pub async fn ship_line(&self, tx: &mut Tx, order_id: OrderId, line_id: i64, qty: i64) -> StoreResult<bool> {
        let n = sqlx::query("UPDATE order_lines SET shipped_qty = shipped_qty + $3 WHERE order_id = $1 AND id = $2 AND shipped_qty + $3 <= quantity - refunded_qty")
            .bind(order_id)
            .bind(line_id)
            .bind(qty)
            .execute(&mut **tx)
            .await?
            .rows_affected();
        Ok(n == 1)
    }

    pub async fn shipments_of(&self, order_id: OrderId) -> StoreResult<Vec<ShipmentRow>> {
        Ok(sqlx::query_as::<_, ShipmentRow>(
            "SELECT id, carrier, tracking_no, lines, created_at FROM shipments WHERE order_id = $1 ORDER BY id",
        )
        .bind(order_id)
        .fetch_all(self.reader())
        .await?)
    }
}

#[derive(Debug, Clone, FromRow)]
pub struct PaymentRow {
    pub id: i64,
    pub merchant_id: i64,
    pub order_id: OrderId,
    pub provider: String,
    pub out_trade_no: String,
    pub amount: i64,
    pub fee: i64,
    pub status: String,
    pub provider_txn_id: Option<String>,
    pub created_at: i64,
    pub succeeded_at: Option<i64>,
}

const PAY_COLS: &str =
    "id, merchant_id, order_id, provider, out_trade_no, amount, fee, status, provider_txn_id, created_at, succeeded_at";

#[derive(Debug, Clone, FromRow)]
pub struct RefundRow {
    pub id: i64,
    pub order_id: OrderId,
    pub payment_id: i64,
    pub out_refund_no: String,
    pub amount: i64,
    pub reason: String,
    pub status: String,
    pub created_at: i64,
    pub succeeded_at: Option<i64>,
}

#[derive(Debug, Clone, FromRow)]
pub struct ShipmentRow {
    pub id: i64,
    pub carrier: String,
    pub tracking_no: String,
    pub lines: String,
    pub created_at: i64,
}

impl Store {
    /// Coupons used by a fully refunded order become usable again (`returned` and usable in quotes as unused).
    pub async fn return_used_coupons(&self, tx: &mut Tx, order_no: &str) -> StoreResult<u64> {
        Ok(sqlx::query("UPDATE buyer_coupons SET state = 'unused', order_ref = NULL, used_at = NULL WHERE order_ref = $1 AND state = 'used'")
            .bind(order_no)
            .execute(&mut **tx)
            .await?
            .rows_affected())
    }
}

impl Store {
    pub async fn payment_by_id(&self, id: i64) -> StoreResult<PaymentRow> {
        Ok(sqlx::query_as::<_, PaymentRow>(&format!("SELECT {PAY_COLS} FROM payments WHERE id = $1"))
            .bind(id)
            .fetch_one(self.reader())
            .await?)
    }

    /// Pending payments of a provider created before `before_ms`, oldest first.
    pub async fn pending_payments(&self, provider: &str, before_ms: i64, limit: i64) -> StoreResult<Vec<PaymentRow>> {
        Ok(sqlx::query_as::<_, PaymentRow>(&format!(
            "SELECT {PAY_COLS} FROM payments WHERE provider = $1 AND status = 'pending' AND created_at < $2 ORDER BY id LIMIT $3"
        ))
        .bind(provider)
        .bind(before_ms)
        .bind(limit)
        .fetch_all(self.reader())
        .await?)
    }
}

impl Store {
    /// Move an order's timestamps back so it appears created at `created_at` (demo history). Each time set
    /// keeps its distance from the creation.
    pub async fn backdate_order(&self, tx: &mut Tx, order_id: i64, created_at: i64) -> StoreResult<()> {
        let (orig,): (i64,) =
            sqlx::query_as("SELECT created_at FROM orders WHERE id = $1").bind(order_id).fetch_one(&mut **tx).await?;
        let shift = orig - created_at;
        sqlx::query(
            "UPDATE orders SET created_at = created_at - $2, updated_at = updated_at - $2, pay_deadline = pay_deadline - $2,
                paid_at = paid_at - $2, shipped_at = shipped_at - $2, received_at = received_at - $2,
                completed_at = completed_at - $2, cancelled_at = cancelled_at - $2 WHERE id = $1",
        )
        .bind(order_id)
        .bind(shift)
        .execute(&mut **tx)
        .await?;
        sqlx::query("UPDATE order_events SET at = at - $2 WHERE order_id = $1 AND at > $3")
            .bind(order_id)
            .bind(shift)
            .bind(created_at)
            .execute(&mut **tx)
            .await?;
        sqlx::query("UPDATE payments SET created_at = created_at - $2, succeeded_at = succeeded_at - $2 WHERE order_id = $1 AND created_at > $3")
            .bind(order_id)
            .bind(shift)
            .bind(created_at)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }
}

// ---- O2O pick-up --------------------------------------------------------------------------------

#[derive(Debug, Clone, FromRow)]
pub struct StoreRow {
    pub id: i64,
    pub merchant_id: i64,
    pub name: String,
    pub address: String,
    pub phone: String,
    pub hours: String,
    pub active: i32,
    pub created_at: i64,
}

impl Store {
    pub async fn insert_store(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        name: &str,
        address: &str,
        phone: &str,
        hours: &str,
    ) -> StoreResult<StoreRow> {
        Ok(sqlx::query_as::<_, StoreRow>(
            "INSERT INTO stores (merchant_id, name, address, phone, hours, created_at) VALUES ($1, $2, $3, $4, $5, $6)
             RETURNING id, merchant_id, name, address, phone, hours, active, created_at",
        )
        .bind(merchant_id)
        .bind(name)
        .bind(address)
        .bind(phone)
        .bind(hours)
        .bind(now_ms())
        .fetch_one(&mut **tx)
        .await?)
    }

    pub async fn stores(&self, merchant_id: i64) -> StoreResult<Vec<StoreRow>> {
        Ok(sqlx::query_as::<_, StoreRow>("SELECT id, merchant_id, name, address, phone, hours, active, created_at FROM stores WHERE merchant_id = $1 ORDER BY id")
            .bind(merchant_id)
            .fetch_all(self.reader())
            .await?)
    }

    /// The merchant's order with this pick-up code (another merchant's code is not found).
    pub async fn order_by_pickup_code(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        code: &str,
    ) -> StoreResult<Option<OrderRow>> {
        Ok(sqlx::query_as::<_, OrderRow>(&format!(
            "SELECT {ORDER_COLS} FROM orders WHERE merchant_id = $1 AND pickup_code = $2"
        ))
        .bind(merchant_id)
        .bind(code)
        .fetch_optional(&mut **tx)
        .await?)
    }

    pub async fn mark_picked_up(&self, tx: &mut Tx, order_id: i64) -> StoreResult<bool> {
        let n = sqlx::query("UPDATE orders SET picked_up_at = $2 WHERE id = $1 AND picked_up_at IS NULL")
            .bind(order_id)
            .bind(now_ms())
            .execute(&mut **tx)
            .await?
            .rows_affected();
        Ok(n == 1)
    }
}

impl Store {
    /// Units a buyer holds that were priced by each of these activities (orders not cancelled, refunds
    /// deducted), for per-buyer limits.
    pub async fn units_bought_under(&self, buyer_id: i64, activity_ids: &[i64]) -> StoreResult<Vec<(i64, i64)>> {
        if activity_ids.is_empty() {
            return Ok(Vec::new());
        }
        let list = crate::db::placeholders(2, activity_ids.len());
        let sql = format!(
            "SELECT l.price_activity_id, CAST(COALESCE(SUM(l.quantity - l.refunded_qty), 0) AS BIGINT)
             FROM order_lines l JOIN orders o ON o.id = l.order_id
             WHERE o.buyer_id = $1 AND o.status <> 'cancelled' AND l.price_activity_id IN ({list})
             GROUP BY l.price_activity_id"
        );
        let mut q = sqlx::query_as::<_, (i64, i64)>(&sql).bind(buyer_id);
        for a in activity_ids {
            q = q.bind(*a);
        }
        let mut out: Vec<(i64, i64)> = q.fetch_all(self.reader()).await?.into_iter().filter(|(_, n)| *n > 0).collect();
        out.sort_unstable();
        Ok(out)
    }
}

//! Bulk rows of a generated shop (`minimall demo --orders N --events M`): orders written as they would stand
//! after checkout, payment, refunds, shipment and completion — their lines, payments, refunds and shipments
//! and the journal's postings of each (built by `core::ledger::build` as the real flow builds them) — many per
//! statement, one transaction per batch. Events go through [`Store::append_events`].

use minimall_core::ledger::build::{self, CostLine, RefundFee, RefundedLine, SoldLine};
use minimall_core::Money;

use crate::script::Kind::{Int, Text};
use crate::script::{Rows, Script};
use crate::{Store, StoreError, StoreResult, Tx};

/// One line of a generated order, as checkout leaves it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedLine {
    pub product_id: i64,
    pub sku_id: i64,
    pub title: String,
    pub quantity: i64,
    pub unit_price: i64,
    /// Unit price × quantity, and the parts of it taken off by order-level reductions, the coupon and points.
    pub goods_amount: i64,
    pub order_discount: i64,
    pub coupon_discount: i64,
    pub points_discount: i64,
    /// The activity that priced the line.
    pub activity_id: Option<i64>,
    /// The SKU's cost price per unit.
    pub cost_price: i64,
}

impl GeneratedLine {
    pub fn paid(&self) -> i64 {
        self.goods_amount - self.order_discount - self.coupon_discount - self.points_discount
    }
}

/// One generated order: paid (`paid_at`) or cancelled unpaid. A paid order with lines also gets its payment
/// (with `fee`), its refund, shipment and completion when given, and the journal's postings of each.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GeneratedOrder {
    pub order_no: String,
    pub buyer_id: i64,
    pub payable: i64,
    pub created_at: i64,
    pub paid_at: Option<i64>,
    pub order_discount: i64,
    pub coupon_discount: i64,
    /// The coupon used, named `coupon:<id>` on its cost.
    pub coupon_id: Option<i64>,
    pub points_used: i64,
    pub points_discount: i64,
    pub shipping: i64,
    pub lines: Vec<GeneratedLine>,
    /// The provider's fee on the payment.
    pub fee: i64,
    /// (amount, time): a refund of part of the first line, succeeded.
    pub refund: Option<(i64, i64)>,
    /// (cost, time): a shipment of the whole order and what the carrier charged.
    pub shipment: Option<(i64, i64)>,
    pub completed_at: Option<i64>,
}

impl GeneratedOrder {
    fn status(&self) -> &'static str {
        match (self.paid_at, self.completed_at, self.shipment) {
            (None, _, _) => "cancelled",
            (Some(_), _, _) if self.lines.is_empty() => "completed",
            (Some(_), Some(_), _) => "completed",
            (Some(_), None, Some(_)) => "shipped",
            (Some(_), None, None) => "paid",
        }
    }

    fn goods_total(&self) -> i64 {
        if self.lines.is_empty() {
            self.payable
        } else {
            self.lines.iter().map(|l| l.goods_amount).sum()
        }
    }
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
    ("coupon_ids", Text),
    ("pay_deadline", Int),
    ("paid_at", Int),
    ("completed_at", Int),
    ("created_at", Int),
    ("updated_at", Int),
];

const LINE_COLUMNS: &[(&str, crate::script::Kind)] = &[
    ("merchant_id", Int),
    ("order_id", Int),
    ("sku_id", Int),
    ("product_id", Int),
    ("title", Text),
    ("quantity", Int),
    ("sale_price", Int),
    ("unit_price", Int),
    ("price_source", Text),
    ("goods_amount", Int),
    ("order_discount", Int),
    ("coupon_discount", Int),
    ("points_discount", Int),
    ("paid_amount", Int),
    ("shipped_qty", Int),
    ("refunded_amount", Int),
    ("price_activity_id", Int),
];

const PAYMENT_COLUMNS: &[(&str, crate::script::Kind)] = &[
    ("id", Int),
    ("merchant_id", Int),
    ("order_id", Int),
    ("provider", Text),
    ("out_trade_no", Text),
    ("amount", Int),
    ("fee", Int),
    ("status", Text),
    ("provider_txn_id", Text),
    ("created_at", Int),
    ("succeeded_at", Int),
];

const REFUND_COLUMNS: &[(&str, crate::script::Kind)] = &[
    ("id", Int),
    ("merchant_id", Int),
    ("order_id", Int),
    ("payment_id", Int),
    ("out_refund_no", Text),
    ("amount", Int),
    ("reason", Text),
    ("status", Text),
    ("created_at", Int),
    ("succeeded_at", Int),
];

const SHIPMENT_COLUMNS: &[(&str, crate::script::Kind)] = &[
    ("id", Int),
    ("merchant_id", Int),
    ("order_id", Int),
    ("carrier", Text),
    ("tracking_no", Text),
    ("lines", Text),
    ("cost", Int),
    ("created_at", Int),
];

/// Rows per statement.
const CHUNK: usize = 1_000;

/// How the generated payments' fees come back with refunds.
#[derive(Debug, Clone, Copy)]
pub struct FeeTreatment {
    pub refund_fee: RefundFee,
}

impl Store {
    /// Write generated orders in one transaction, with the lines, payments, refunds and shipments of those
    /// that have lines and the journal's postings of each (as payment, refund, shipment and completion post
    /// them); the number of orders written.
    pub async fn insert_generated_orders(
        &self,
        merchant_id: i64,
        orders: &[GeneratedOrder],
        fees: FeeTreatment,
    ) -> StoreResult<u64> {
        let mut tx = self.begin().await?;
        let mut script = Script::independent(self.backend());
        for chunk in orders.chunks(CHUNK) {
            let mut rows = Rows::new("orders", COLUMNS, chunk.len());
            for o in chunk {
                rows.int(merchant_id)
                    .text(o.order_no.as_str())
                    .int(o.buyer_id)
                    .text(o.status())
                    .int(o.goods_total())
                    .int(o.goods_total())
                    .int(o.order_discount)
                    .int(o.coupon_discount)
                    .int(o.points_used)
                    .int(o.points_discount)
                    .int(o.shipping)
                    .int(o.payable)
                    .int(o.refund.map_or(0, |r| r.0))
                    .text(o.coupon_id.map_or_else(|| "[]".to_string(), |c| format!("[{c}]")))
                    .int(o.created_at + 30 * 60 * 1000)
                    .int(o.paid_at)
                    .int(o.completed_at)
                    .int(o.created_at)
                    .int(o.completed_at.or(o.paid_at).unwrap_or(o.created_at));
            }
            script.insert(rows);
        }
        let n = if script.len() == 0 { 0 } else { script.run(&mut tx).await?.iter().sum() };
        if orders.iter().any(|o| !o.lines.is_empty()) {
            self.insert_generated_sales(&mut tx, merchant_id, orders, fees).await?;
        }
        tx.commit().await?;
        Ok(n)
    }

    async fn insert_generated_sales(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        orders: &[GeneratedOrder],
        fees: FeeTreatment,
    ) -> StoreResult<()> {
        let (first, last) = (&orders[0].order_no, &orders[orders.len() - 1].order_no);
        let ids: Vec<(String, i64)> = sqlx::query_as(
            "SELECT order_no, id FROM orders WHERE merchant_id = $1 AND order_no >= $2 AND order_no <= $3 ORDER BY order_no",
        )
        .bind(merchant_id)
        .bind(first)
        .bind(last)
        .fetch_all(&mut **tx)
        .await?;
        let ids: std::collections::HashMap<String, i64> = ids.into_iter().collect();
        let (mut payment_id, mut refund_id, mut shipment_id) = (
            self.next_id(tx, "payments").await?,
            self.next_id(tx, "refunds").await?,
            self.next_id(tx, "shipments").await?,
        );
        let mut lines = Vec::new();
        let mut payments = Vec::new();
        let mut refunds = Vec::new();
        let mut shipments = Vec::new();
        let mut postings = Vec::new();
        let bad = |e: minimall_core::ledger::LedgerError| StoreError::Constraint(format!("generated posting: {e}"));
        for o in orders {
            let Some(&order_id) = ids.get(&o.order_no) else {
                return Err(StoreError::Constraint(format!("generated order {} not written", o.order_no)));
            };
            for (k, l) in o.lines.iter().enumerate() {
                let refunded = if k == 0 { o.refund.map_or(0, |r| r.0) } else { 0 };
                lines.push((order_id, l, refunded));
            }
            let Some(paid_at) = o.paid_at.filter(|_| !o.lines.is_empty()) else { continue };
            let pid = payment_id;
            payment_id += 1;
            payments.push((pid, order_id, o, paid_at));
            let sold: Vec<SoldLine> = o
                .lines
                .iter()
                .map(|l| SoldLine {
                    product_id: l.product_id,
                    revenue: Money::from_fen(l.goods_amount - l.order_discount),
                    coupon: Money::from_fen(l.coupon_discount),
                    points: Money::from_fen(l.points_discount),
                    activity: l.activity_id,
                })
                .collect();
            let tag = o.coupon_id.map(|c| format!("coupon:{c}"));
            let facts = build::PaymentFacts {
                payment_id: pid,
                at_ms: paid_at,
                paid: Money::from_fen(o.payable),
                fee: Money::from_fen(o.fee),
                shipping: Money::from_fen(o.shipping),
                lines: &sold,
                coupon: if o.coupon_discount > 0 { tag.as_deref() } else { None },
            };
            postings.extend(build::payment_succeeded(&facts).map_err(bad)?);
            if let Some((amount, at)) = o.refund {
                let rid = refund_id;
                refund_id += 1;
                refunds.push((rid, order_id, pid, o, amount, at));
                let refunded = [RefundedLine { product_id: o.lines[0].product_id, amount: Money::from_fen(amount) }];
                let fee_returned = build::refund_fee(
                    fees.refund_fee,
                    Money::from_fen(o.fee),
                    Money::from_fen(o.payable),
                    Money::ZERO,
                    Money::from_fen(amount),
                );
                let facts = build::RefundFacts {
                    refund_id: rid,
                    at_ms: at,
                    amount: Money::from_fen(amount),
                    shipping: Money::ZERO,
                    lines: &refunded,
                    fee_returned,
                    coupon_returned: Money::ZERO,
                    coupon: None,
                    points_value_returned: Money::ZERO,
                };
                postings.extend(build::refund_succeeded(&facts).map_err(bad)?);
            }
            if let Some((cost, at)) = o.shipment {
                let sid = shipment_id;
                shipment_id += 1;
                shipments.push((sid, order_id, o, cost, at));
                postings.extend(build::shipment_cost(sid, at, Money::from_fen(cost)).map_err(bad)?);
            }
            if let Some(at) = o.completed_at {
                let costs = o
                    .lines
                    .iter()
                    .map(|l| CostLine::of(l.product_id, Money::from_fen(l.cost_price), l.quantity))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(bad)?;
                postings.extend(build::order_completed(order_id, at, &costs).map_err(bad)?);
            }
        }

        let mut script = Script::independent(self.backend());
        for chunk in lines.chunks(CHUNK) {
            let mut rows = Rows::new("order_lines", LINE_COLUMNS, chunk.len());
            for (order_id, l, refunded) in chunk {
                rows.int(merchant_id)
                    .int(*order_id)
                    .int(l.sku_id)
                    .int(l.product_id)
                    .text(l.title.as_str())
                    .int(l.quantity)
                    .int(l.unit_price)
                    .int(l.unit_price)
                    .text(if l.activity_id.is_some() { "activity" } else { "sale" })
                    .int(l.goods_amount)
                    .int(l.order_discount)
                    .int(l.coupon_discount)
                    .int(l.points_discount)
                    .int(l.paid())
                    .int(0)
                    .int(*refunded)
                    .int(l.activity_id);
            }
            script.insert(rows);
        }
        for chunk in payments.chunks(CHUNK) {
            let mut rows = Rows::new("payments", PAYMENT_COLUMNS, chunk.len());
            for (id, order_id, o, at) in chunk {
                rows.int(*id)
                    .int(merchant_id)
                    .int(*order_id)
                    .text("sandbox")
                    .text(format!("P{}", o.order_no))
                    .int(o.payable)
                    .int(o.fee)
                    .text("succeeded")
                    .text(format!("SBX{}", o.order_no))
                    .int(o.created_at)
                    .int(*at);
            }
            script.insert(rows);
        }
        for chunk in shipments.chunks(CHUNK) {
            let mut rows = Rows::new("shipments", SHIPMENT_COLUMNS, chunk.len());
            for (id, order_id, o, cost, at) in chunk {
                rows.int(*id)
                    .int(merchant_id)
                    .int(*order_id)
                    .text("SF")
                    .text(format!("SF{}", o.order_no))
                    .text("[]")
                    .int(*cost)
                    .int(*at);
            }
            script.insert(rows);
        }
        script.then();
        for chunk in refunds.chunks(CHUNK) {
            let mut rows = Rows::new("refunds", REFUND_COLUMNS, chunk.len());
            for (id, order_id, payment_id, o, amount, at) in chunk {
                rows.int(*id)
                    .int(merchant_id)
                    .int(*order_id)
                    .int(*payment_id)
                    .text(format!("R{}", o.order_no))
                    .int(*amount)
                    .text("generated")
                    .text("succeeded")
                    .int(*at)
                    .int(*at);
            }
            script.insert(rows);
        }
        if script.len() > 0 {
            script.run(tx).await?;
        }
        for table in ["payments", "refunds", "shipments"] {
            self.sync_id_sequence(tx, table).await?;
        }
        self.post_many(tx, merchant_id, &postings).await?;
        Ok(())
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

/// A SKU to generate order lines of: (product id, SKU id, product title, sale price, cost price).
pub type GeneratorSku = (i64, i64, String, i64, i64);

impl Store {
    /// The first SKU of each of the merchant's products on shelf, by product id (at most `limit`).
    pub async fn generator_skus(&self, merchant_id: i64, limit: i64) -> StoreResult<Vec<GeneratorSku>> {
        Ok(sqlx::query_as(
            "SELECT p.id, s.id, p.title, s.sale_price, s.cost_price FROM products p
             JOIN skus s ON s.id = (SELECT MIN(x.id) FROM skus x WHERE x.product_id = p.id)
             WHERE p.merchant_id = $1 AND p.on_shelf = 1 ORDER BY p.id LIMIT $2",
        )
        .bind(merchant_id)
        .bind(limit)
        .fetch_all(self.reader())
        .await?)
    }

    /// The ids of the merchant's activities and coupon templates, ascending (at most `limit` each).
    pub async fn generator_promotions(&self, merchant_id: i64, limit: i64) -> StoreResult<(Vec<i64>, Vec<i64>)> {
        let activities: Vec<(i64,)> =
            sqlx::query_as("SELECT id FROM activities WHERE merchant_id = $1 ORDER BY id LIMIT $2")
                .bind(merchant_id)
                .bind(limit)
                .fetch_all(self.reader())
                .await?;
        let coupons: Vec<(i64,)> =
            sqlx::query_as("SELECT id FROM coupon_templates WHERE merchant_id = $1 ORDER BY id LIMIT $2")
                .bind(merchant_id)
                .bind(limit)
                .fetch_all(self.reader())
                .await?;
        Ok((activities.into_iter().map(|r| r.0).collect(), coupons.into_iter().map(|r| r.0).collect()))
    }
}

//! Writes gathered inside a transaction and sent together: on SQLite one round trip between the caller and
//! the write connection's thread for all of them, however many there are (see [`crate::script`]).
//!
//! Where [`Store`] has a one-at-a-time method for the same write (timeline entry, coupon settlement, product
//! sales, idempotent answer, payment notification, order transition), it is built on the method here, so
//! the write has one SQL text whichever way it is sent. `take_stock` and `spend_points` are the sale's case
//! of `Store::move_stock` and `Store::move_points`, and `job` that of `Store::enqueue_job`, which move either
//! way or return the new row and so keep statements of their own. A write that may not take effect — stock
//! that is not there, a coupon already used — returns a [`Counted`] to look its row count up in what
//! [`Writes::run`] returns. Statements after it run whatever its count: a caller that finds a count it did
//! not want must drop (roll back) the transaction.

use crate::db::{Backend, Tx};
use crate::jobs::NewJob;
use crate::script::Script;
use crate::stock::StockReason;
use crate::{now_ms, Store, StoreResult};

/// A statement whose row count says whether it took effect.
#[derive(Debug, Clone, Copy)]
pub struct Counted(usize);

impl Counted {
    /// Whether the statement changed its one row, given the counts [`Writes::run`] returned.
    pub fn took(self, counts: &[u64]) -> bool {
        counts.get(self.0) == Some(&1)
    }
}

/// Statements waiting to be sent.
pub struct Writes {
    script: Script<'static>,
}

impl Store {
    /// An empty set of writes for a transaction of this store.
    pub fn writes(&self) -> Writes {
        Writes::new(self.backend())
    }
}

impl Writes {
    pub(crate) fn new(backend: Backend) -> Writes {
        Writes { script: Script::new(backend) }
    }

    /// Send every statement in `tx`, in order; the rows each one changed.
    pub async fn run(self, tx: &mut Tx) -> StoreResult<Vec<u64>> {
        if self.script.len() == 0 {
            return Ok(Vec::new());
        }
        self.script.run(tx).await
    }

    fn counted(&self) -> Counted {
        Counted(self.script.len() - 1)
    }

    /// Take `quantity` units of a SKU out of stock, with the movement that records it and the low-stock
    /// alert it may open (or close, for a SKU without a threshold). Counted: the stock was there.
    pub fn take_stock(
        &mut self,
        merchant_id: i64,
        sku_id: i64,
        quantity: i64,
        reason: StockReason,
        reference: &str,
        actor: &str,
    ) -> Counted {
        let now = now_ms();
        self.script
            .statement(
                "UPDATE skus SET stock = stock - ? WHERE merchant_id = ? AND id = ? AND deleted = 0 AND stock >= ?"
                    .into(),
            )
            .add(quantity)
            .add(merchant_id)
            .add(sku_id)
            .add(quantity);
        let taken = self.counted();
        self.script
            .statement(
                "INSERT INTO stock_movements (merchant_id, sku_id, delta, balance_after, reason, reference, actor, at)
                 SELECT merchant_id, id, ?, stock, ?, ?, ?, ? FROM skus WHERE merchant_id = ? AND id = ? AND deleted = 0"
                    .into(),
            )
            .add(-quantity)
            .add(reason.as_str())
            .add(reference.to_string())
            .add(actor.to_string())
            .add(now)
            .add(merchant_id)
            .add(sku_id);
        // As `Store::check_threshold` after taking stock: at or below a threshold opens an alert (one open
        // per SKU); a SKU without a threshold has its open alerts closed.
        self.script
            .statement(
                "INSERT INTO stock_alerts (merchant_id, sku_id, stock, threshold, created_at)
                 SELECT merchant_id, id, stock, safety_stock, ? FROM skus
                 WHERE merchant_id = ? AND id = ? AND safety_stock > 0 AND stock <= safety_stock
                   AND NOT EXISTS (SELECT 1 FROM stock_alerts WHERE sku_id = ? AND resolved_at IS NULL)"
                    .into(),
            )
            .add(now)
            .add(merchant_id)
            .add(sku_id)
            .add(sku_id);
        self.script
            .statement(
                "UPDATE stock_alerts SET resolved_at = ? WHERE sku_id = ? AND resolved_at IS NULL
                   AND EXISTS (SELECT 1 FROM skus WHERE id = ? AND safety_stock <= 0 AND stock <= safety_stock)"
                    .into(),
            )
            .add(now)
            .add(sku_id)
            .add(sku_id);
        taken
    }

    /// Lock an unused, still valid coupon of the buyer for an order. Counted: it was free.
    pub fn lock_coupon(&mut self, buyer_id: i64, coupon_id: i64, order_no: &str) -> Counted {
        self.script
            .statement(
                "UPDATE buyer_coupons SET state = 'locked', order_ref = ? WHERE buyer_id = ? AND id = ? AND state = 'unused' AND valid_until > ?"
                    .into(),
            )
            .add(order_no.to_string())
            .add(buyer_id)
            .add(coupon_id)
            .add(now_ms());
        self.counted()
    }

    /// Spend `points` of the buyer's balance, with the ledger entry. Counted: the balance sufficed.
    pub fn spend_points(
        &mut self,
        merchant_id: i64,
        buyer_id: i64,
        points: i64,
        reason: &str,
        reference: &str,
    ) -> Counted {
        self.script
            .statement(
                "INSERT INTO points_balances (buyer_id, merchant_id, balance) VALUES (?, ?, 0) ON CONFLICT (buyer_id) DO NOTHING"
                    .into(),
            )
            .add(buyer_id)
            .add(merchant_id);
        self.script
            .statement("UPDATE points_balances SET balance = balance - ? WHERE buyer_id = ? AND balance >= ?".into())
            .add(points)
            .add(buyer_id)
            .add(points);
        let spent = self.counted();
        self.script
            .statement(
                "INSERT INTO points_ledger (merchant_id, buyer_id, delta, balance_after, reason, reference, at)
                 SELECT ?, buyer_id, ?, balance, ?, ?, ? FROM points_balances WHERE buyer_id = ?"
                    .into(),
            )
            .add(merchant_id)
            .add(-points)
            .add(reason.to_string())
            .add(reference.to_string())
            .add(now_ms())
            .add(buyer_id);
        spent
    }

    /// An entry of an order's timeline.
    #[allow(clippy::too_many_arguments)]
    pub fn order_event(
        &mut self,
        merchant_id: i64,
        order_id: i64,
        kind: &str,
        from: Option<&str>,
        to: Option<&str>,
        detail: &str,
        actor: &str,
    ) {
        self.script
            .statement(
                "INSERT INTO order_events (merchant_id, order_id, kind, from_status, to_status, detail, actor, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                    .into(),
            )
            .add(merchant_id)
            .add(order_id)
            .add(kind.to_string())
            .add(from.map(str::to_string))
            .add(to.map(str::to_string))
            .add(detail.to_string())
            .add(actor.to_string())
            .add(now_ms());
    }

    /// Count `n` more units sold on a product.
    pub fn product_sales(&mut self, product_id: i64, n: i64) {
        crate::catalog::product_sales(&mut self.script, product_id, n);
    }

    /// A durable job (a no-op when one with its dedup key exists).
    pub fn job(&mut self, j: &NewJob<'_>) {
        self.script
            .statement(
                "INSERT INTO jobs (merchant_id, kind, payload, dedup_key, status, run_at, max_attempts, created_at)
                 VALUES (?, ?, ?, ?, 'pending', ?, ?, ?) ON CONFLICT (dedup_key) DO NOTHING"
                    .into(),
            )
            .add(j.merchant_id)
            .add(j.kind.to_string())
            .add(j.payload.to_string())
            .add(j.dedup_key.map(str::to_string))
            .add(j.run_at)
            .add(j.max_attempts)
            .add(now_ms());
    }

    /// Take these SKUs out of the buyer's cart.
    pub fn cart_remove(&mut self, buyer_id: i64, sku_ids: &[i64]) {
        for s in sku_ids {
            self.script
                .statement("DELETE FROM cart_items WHERE buyer_id = ? AND sku_id = ?".into())
                .add(buyer_id)
                .add(*s);
        }
    }

    /// The answer to keep under a claimed idempotency key.
    pub fn idempotent_response(&mut self, scope: &str, key: &str, status: u16, body: &str) {
        self.script
            .statement(
                "UPDATE idempotency_keys SET status_code = ?, response_body = ? WHERE scope = ? AND idem_key = ?"
                    .into(),
            )
            .add(i32::from(status))
            .add(body.to_string())
            .add(scope.to_string())
            .add(key.to_string());
    }

    /// A pending payment marked succeeded. Counted: it was still pending (not a repeated notification).
    pub fn payment_succeeded(&mut self, out_trade_no: &str, txn_id: &str, fee: i64) -> Counted {
        self.script
            .statement(
                "UPDATE payments SET status = 'succeeded', provider_txn_id = ?, fee = ?, succeeded_at = ? WHERE out_trade_no = ? AND status = 'pending'"
                    .into(),
            )
            .add(txn_id.to_string())
            .add(fee)
            .add(now_ms())
            .add(out_trade_no.to_string());
        self.counted()
    }

    /// A payment notification received, with what became of it.
    pub fn notification(&mut self, provider: &str, notification_id: &str, out_trade_no: &str, outcome: &str) {
        self.script
            .statement(
                "INSERT INTO payment_notifications (provider, notification_id, out_trade_no, outcome, received_at) VALUES (?, ?, ?, ?, ?)"
                    .into(),
            )
            .add(provider.to_string())
            .add(notification_id.to_string())
            .add(out_trade_no.to_string())
            .add(outcome.to_string())
            .add(now_ms());
    }

    /// An order moved from `from` to `to` if it is still in `from`, with the timestamp column that goes with
    /// the new state. Counted: no other change got there first.
    pub fn transition_order(&mut self, order_id: i64, from: &str, to: &str, stamp: Option<&str>) -> Counted {
        let col = match stamp {
            Some(c) if ["paid_at", "shipped_at", "received_at", "completed_at", "cancelled_at"].contains(&c) => {
                format!(", {c} = ?")
            }
            _ => String::new(),
        };
        let now = now_ms();
        self.script
            .statement(format!("UPDATE orders SET status = ?, updated_at = ?{col} WHERE id = ? AND status = ?"))
            .add(to.to_string())
            .add(now);
        if !col.is_empty() {
            self.script.add(now);
        }
        self.script.add(order_id).add(from.to_string());
        self.counted()
    }

    /// The coupons an order locked become used (paid order) or unused again (cancelled order).
    pub fn settle_coupons(&mut self, order_no: &str, used: bool) {
        if used {
            self.script
                .statement(
                    "UPDATE buyer_coupons SET state = 'used', used_at = ? WHERE order_ref = ? AND state = 'locked'"
                        .into(),
                )
                .add(now_ms())
                .add(order_no.to_string());
        } else {
            self.script
                .statement(
                    "UPDATE buyer_coupons SET state = 'unused', order_ref = NULL WHERE order_ref = ? AND state = 'locked'"
                        .into(),
                )
                .add(order_no.to_string());
        }
    }
}

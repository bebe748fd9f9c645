//! After-sales use cases: requests by line and quantity, approval, returns, refunds through the payment
//! provider. Refund amounts come from each line's apportioned paid amount (`core::orders::refundable_amount`),
//! points are returned in proportion, shipping only when nothing shipped and everything is refunded.

pub mod api;
pub mod cases;
pub mod console;
pub mod refusals;
pub mod shop_pages;

use minimall_core::error::Reason;
use minimall_core::orders::{refund_shipping, refundable_amount, refundable_points, LineMoney, OrderEvent};
use minimall_core::Money;
use minimall_core::OrderId;
use minimall_store::aftersales::AftersaleRow;
use minimall_store::stock::StockReason;
use minimall_store::Tx;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::aftersales::refusals::AftersaleRefusal;
use crate::error::ApiReason;
use crate::error::{ApiError, ApiResult};
use crate::orders as ord;
use crate::state::AppState;
use minimall_store::orders::OrderScope;

#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AftersaleLine {
    pub line_id: i64,
    pub quantity: i64,
    /// Filled by the server: the refund for these units (fen) and the points returned.
    #[serde(default)]
    pub amount: i64,
    #[serde(default)]
    pub points: i64,
}

/// Refund the request's units: lines, stock (unless kept by the buyer), points, coupons, order totals, and
/// the provider refund (a job). Runs inside `tx` after the request moved to `refunded`.
pub async fn refund(st: &AppState, tx: &mut Tx, a: &AftersaleRow, return_stock: bool, actor: &str) -> ApiResult<()> {
    let o = st.store.order(&mut **tx, OrderScope::Trusted, OrderId::new(a.order_id)).await?;
    let lines: Vec<AftersaleLine> = serde_json::from_str(&a.lines).map_err(ApiError::internal)?;
    let order_lines = st.store.order_lines(&mut **tx, o.id).await?;
    for l in &lines {
        st.store.commit_refund_units(tx, l.line_id, l.quantity, l.amount).await?;
        if return_stock {
            if let Some(ol) = order_lines.iter().find(|x| x.id == l.line_id) {
                st.store
                    .move_stock(
                        tx,
                        o.merchant_id,
                        ol.sku_id.get(),
                        l.quantity,
                        StockReason::Refund,
                        &format!("{}-A{}", o.order_no, a.id),
                        actor,
                    )
                    .await
                    .map_err(|e| ApiError::internal(format!("{e:?}")))?;
            }
        }
    }
    if a.points > 0 {
        st.store.move_points(tx, o.merchant_id, o.buyer_id.get(), a.points, "refund", &o.order_no).await?;
        crate::finance::points_restored(st, tx, o.merchant_id, &format!("aftersale:{}", a.id), a.points).await?;
    }
    for l in &lines {
        crate::members::cards::line_refunded(st, tx, o.merchant_id, o.id.get(), l.line_id).await?;
    }
    let goods: i64 = lines.iter().map(|l| l.amount).sum();
    crate::members::order_refunded(st, tx, o.merchant_id, o.id.get(), goods, &format!("order:{}:A{}", o.id, a.id))
        .await?;
    let total = a.amount + a.shipping_refund;
    if total > 0 {
        let payment = st
            .store
            .payment_for_order(o.id)
            .await?
            .ok_or_else(|| ApiError::conflict_because(&AftersaleRefusal::NoPayment))?;
        let out_refund_no = format!("{}-A{}", o.order_no, a.id);
        st.store.insert_refund(tx, o.merchant_id, o.id.get(), payment.id, &out_refund_no, total, &a.reason).await?;
        st.store
            .enqueue_job(
                tx,
                &minimall_store::jobs::NewJob {
                    merchant_id: o.merchant_id,
                    kind: ord::REFUND_JOB,
                    payload: &serde_json::json!({"out_refund_no": out_refund_no}).to_string(),
                    run_at: minimall_store::now_ms(),
                    dedup_key: Some(&format!("{}:{out_refund_no}", ord::REFUND_JOB)),
                    max_attempts: 20,
                },
            )
            .await?;
    }
    st.store
        .order_event(
            tx,
            o.merchant_id,
            o.id.get(),
            "aftersale_refunded",
            None,
            None,
            &serde_json::json!({"aftersale_id": a.id, "amount": total, "points": a.points}).to_string(),
            actor,
        )
        .await?;
    // Everything refunded: the order closes and its coupons come back.
    let after = st.store.order_lines(&mut **tx, o.id).await?;
    if after.iter().all(|l| l.refunded_qty >= l.quantity) {
        if let Ok((from, to)) = ord::next_status(o.status.as_str(), OrderEvent::RefundedInFull) {
            if st.store.transition_order(tx, o.id, from.as_str(), to.as_str(), None).await? {
                st.store
                    .order_event(
                        tx,
                        o.merchant_id,
                        o.id.get(),
                        "closed",
                        Some(from.as_str()),
                        Some(to.as_str()),
                        "{}",
                        actor,
                    )
                    .await?;
                if st.cfg.orders.return_coupons_on_full_refund {
                    return_coupons(st, tx, &o.order_no).await?;
                }
            }
        }
    }
    Ok(())
}

async fn return_coupons(st: &AppState, tx: &mut Tx, order_no: &str) -> ApiResult<()> {
    st.store.return_used_coupons(tx, order_no).await?;
    Ok(())
}

/// Compute the request's lines (amounts, points) and shipping refund, and reserve the units.
pub async fn plan(
    st: &AppState,
    tx: &mut Tx,
    order_id: i64,
    req: &[AftersaleLine],
) -> ApiResult<(Vec<AftersaleLine>, i64, i64, i64)> {
    let o = st.store.order(&mut **tx, OrderScope::Trusted, OrderId::new(order_id)).await?;
    let lines = st.store.order_lines(&mut **tx, OrderId::new(order_id)).await?;
    if req.is_empty() || req.len() > 100 {
        return Err(ApiError::invalid_because("lines", &Reason::ListCount { min: 1, max: 100 }));
    }
    // Each line's share of the order's points, by its points discount; the shares add up to exactly the
    // points spent, so refunding everything gives every point back.
    let point_shares: Vec<i64> = if o.points_used > 0 && o.points_discount > 0 {
        let weights: Vec<Money> = lines.iter().map(|l| Money::from_fen(l.points_discount)).collect();
        minimall_core::money::apportion(Money::from_fen(o.points_used), &weights).into_iter().map(Money::fen).collect()
    } else {
        vec![0; lines.len()]
    };
    let mut out = Vec::new();
    let (mut amount, mut points) = (0i64, 0i64);
    let mut seen = std::collections::HashSet::new();
    for (i, r) in req.iter().enumerate() {
        let Some(l) = lines.iter().find(|l| l.id == r.line_id) else {
            return Err(ApiError::invalid_because(format!("lines[{i}].line_id"), &AftersaleRefusal::NoSuchLine));
        };
        if !seen.insert(r.line_id) {
            return Err(ApiError::invalid_because(format!("lines[{i}].line_id"), &Reason::Duplicate));
        }
        let available = l.quantity - l.refunded_qty - l.pending_refund_qty;
        if r.quantity < 1 {
            return Err(ApiError::invalid_because(format!("lines[{i}].quantity"), &ApiReason::AtLeastOne));
        }
        if r.quantity > available {
            return Err(ApiError::conflict_because(&AftersaleRefusal::UnitsLeft { available })
                .with_field(format!("lines[{i}].quantity")));
        }
        // Units under other open requests count as refunded at their running share.
        let taken = l.refunded_qty + l.pending_refund_qty;
        let taken_amount = ((l.paid_amount as i128 * taken as i128) / l.quantity.max(1) as i128) as i64;
        let lm = LineMoney {
            quantity: l.quantity,
            paid_amount: Money::from_fen(l.paid_amount),
            refunded_units: taken,
            refunded_amount: Money::from_fen(taken_amount.max(l.refunded_amount).min(l.paid_amount)),
        };
        let a = refundable_amount(&lm, r.quantity)
            .map_err(|e| ApiError::from(e).with_field(format!("lines[{i}].quantity")))?
            .fen();
        let share = lines.iter().position(|x| x.id == l.id).map_or(0, |k| point_shares[k]);
        let line_points = refundable_points(share, l.quantity, l.refunded_qty, r.quantity);
        if !st.store.reserve_refund_units(tx, l.id, r.quantity).await? {
            return Err(
                ApiError::conflict_because(&AftersaleRefusal::UnitsTaken).with_field(format!("lines[{i}].quantity"))
            );
        }
        amount += a;
        points += line_points;
        out.push(AftersaleLine { line_id: l.id, quantity: r.quantity, amount: a, points: line_points });
    }
    let nothing_shipped = lines.iter().all(|l| l.shipped_qty == 0);
    let all_refunded = lines.iter().all(|l| {
        let asked = out.iter().find(|x| x.line_id == l.id).map(|x| x.quantity).unwrap_or(0);
        l.refunded_qty + l.pending_refund_qty + asked >= l.quantity
    });
    let shipping = refund_shipping(Money::from_fen(o.shipping), !nothing_shipped, all_refunded).fen();
    Ok((out, amount, points, shipping))
}

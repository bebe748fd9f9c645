//! Finance: the journal's postings of orders, written in the transaction of the business write that causes them:
//! a payment that succeeded, a refund that succeeded, a shipment's cost, an order's completion. The
//! postings come from `core::ledger::build`; a posting that core refuses, or that would take an account that
//! may not go negative below zero, fails the business write with it. `api` serves the journal, the trial
//! balance, profit and loss and the shop's fee terms to the console.
//!
//! Built with the cargo feature `bench-no-journal` (for measuring the journal's share of checkout only, never
//! shipped), the postings of this module are not written and their facts not read.

pub mod adjust;
pub mod api;
pub mod books_api;
pub mod books_console;
pub mod console;
pub mod expenses;
pub mod reconcile;
pub mod reports;

use minimall_core::ledger::build::{self, CostLine, FeeRate, RefundFee, RefundedLine, SoldLine};
use minimall_core::ledger::{LedgerError, Posting};
use minimall_core::Money;
use minimall_store::orders::{OrderLineRow, OrderRow, PaymentRow, RefundRow};
use minimall_store::Tx;

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use minimall_store::orders::OrderScope;

/// The providers a shop may set fee terms for.
pub const PROVIDERS: [&str; 2] = ["sandbox", "wechat"];

/// A shop's fee terms with a provider: its own if it set them, otherwise the configured rate
/// (`orders.fee_per_mille`) with the fee given back on refunds, as WeChat Pay does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeeTerms {
    pub rate: FeeRate,
    pub refund_fee: RefundFee,
}

pub fn default_terms(st: &AppState) -> FeeTerms {
    let bp = st.cfg.orders.fee_per_mille.saturating_mul(10).min(FeeRate::MAX_BASIS_POINTS);
    FeeTerms { rate: FeeRate::from_basis_points(bp).unwrap_or(FeeRate::DEFAULT), refund_fee: RefundFee::Returned }
}

fn terms_of(st: &AppState, s: Option<minimall_store::journal::FeeSetting>) -> FeeTerms {
    match s {
        Some(s) => FeeTerms {
            rate: u32::try_from(s.fee_basis_points)
                .ok()
                .and_then(|bp| FeeRate::from_basis_points(bp).ok())
                .unwrap_or_else(|| default_terms(st).rate),
            refund_fee: RefundFee::parse(&s.refund_fee).unwrap_or(RefundFee::Returned),
        },
        None => default_terms(st),
    }
}

/// Payments from the buyer's stored value cost no fee.
const NO_FEE: FeeTerms = FeeTerms { rate: FeeRate::ZERO, refund_fee: RefundFee::Returned };

pub async fn fee_terms(st: &AppState, merchant_id: i64, provider: &str) -> ApiResult<FeeTerms> {
    fee_terms_in(st, None, merchant_id, provider).await
}

/// [`fee_terms`], read inside `tx` when given.
async fn fee_terms_in(st: &AppState, tx: Option<&mut Tx>, merchant_id: i64, provider: &str) -> ApiResult<FeeTerms> {
    if provider == crate::stored_value::PROVIDER {
        return Ok(NO_FEE);
    }
    let setting = match tx {
        Some(tx) => st.store.payment_fee_setting(&mut **tx, merchant_id, provider).await?,
        None => st.store.payment_fee_setting(st.store.reader(), merchant_id, provider).await?,
    };
    Ok(terms_of(st, setting))
}

fn refused(e: LedgerError) -> ApiError {
    ApiError::internal(format!("the journal refused a posting: {e}"))
}

/// Whether this build keeps no books (the feature `bench-no-journal`, for measuring only).
const NO_JOURNAL: bool = cfg!(feature = "bench-no-journal");

async fn post(st: &AppState, tx: &mut Tx, merchant_id: i64, p: Result<Option<Posting>, LedgerError>) -> ApiResult<()> {
    if NO_JOURNAL {
        return Ok(());
    }
    if let Some(p) = p.map_err(refused)? {
        st.store.post(tx, merchant_id, &p, None).await?;
    }
    Ok(())
}

fn m(fen: i64) -> Money {
    Money::from_fen(fen)
}

/// The coupon named on coupon cost entries: the order's first coupon.
fn coupon_tag(o: &OrderRow) -> Option<String> {
    serde_json::from_str::<Vec<i64>>(&o.coupon_ids).ok().and_then(|v| v.first().map(|id| format!("coupon:{id}")))
}

/// A payment of `o` succeeded. `late`: the order had been cancelled meanwhile (its coupon and points went
/// back then), so the lines are posted at what was paid for them, to be refunded in full.
pub async fn payment_succeeded(
    st: &AppState,
    tx: &mut Tx,
    o: &OrderRow,
    payment: &PaymentRow,
    fee: i64,
    late: bool,
) -> ApiResult<()> {
    if NO_JOURNAL {
        return Ok(());
    }
    let lines = st.store.order_lines(&mut **tx, o.id).await?;
    let activities = st.store.order_line_activities_tx(tx, o.id.get()).await?;
    let activity = |line: i64| activities.iter().find(|(id, _)| *id == line).and_then(|(_, a)| *a);
    let sold: Vec<SoldLine> = lines
        .iter()
        .map(|l| {
            if late {
                SoldLine {
                    product_id: l.product_id.get(),
                    revenue: m(l.paid_amount),
                    coupon: Money::ZERO,
                    points: Money::ZERO,
                    activity: activity(l.id),
                }
            } else {
                SoldLine {
                    product_id: l.product_id.get(),
                    revenue: m(l.goods_amount - l.order_discount),
                    coupon: m(l.coupon_discount),
                    points: m(l.points_discount),
                    activity: activity(l.id),
                }
            }
        })
        .collect();
    let tag = coupon_tag(o);
    let facts = build::PaymentFacts {
        payment_id: payment.id,
        at_ms: minimall_store::now_ms(),
        paid: m(payment.amount),
        fee: m(fee),
        shipping: m(o.shipping),
        lines: &sold,
        coupon: if late { None } else { tag.as_deref() },
    };
    post(st, tx, o.merchant_id, build::payment_succeeded(&facts)).await
}

/// The fee on a payment of `amount` with `provider` for the shop.
pub async fn payment_fee(st: &AppState, merchant_id: i64, provider: &str, amount: i64) -> ApiResult<i64> {
    Ok(fee_terms(st, merchant_id, provider).await?.rate.fee(m(amount)).fen())
}

/// A refund succeeded (called once, in the transaction that marked it so).
pub async fn refund_succeeded(st: &AppState, tx: &mut Tx, r: &RefundRow) -> ApiResult<()> {
    if NO_JOURNAL {
        return Ok(());
    }
    let o = st.store.order(&mut **tx, OrderScope::Trusted, r.order_id).await?;
    let payment = st.store.payment_by_id(r.payment_id).await?;
    let lines = st.store.order_lines(&mut **tx, o.id).await?;
    let terms = fee_terms_in(st, Some(&mut *tx), o.merchant_id, &payment.provider).await?;
    let before = st.store.payment_refunded_except_tx(tx, payment.id, &r.out_refund_no).await?;
    let fee_returned = build::refund_fee(terms.refund_fee, m(payment.fee), m(payment.amount), m(before), m(r.amount));
    let aftersale_id = r.out_refund_no.strip_prefix(&format!("{}-A", o.order_no)).and_then(|id| id.parse::<i64>().ok());
    let (refunded, shipping, points_value) = match aftersale_id {
        Some(id) => aftersale_parts(st, tx, &o, &lines, id).await?,
        None => whole_payment_parts(&lines, o.shipping, r.amount),
    };
    let facts = build::RefundFacts {
        refund_id: r.id,
        at_ms: minimall_store::now_ms(),
        amount: m(r.amount),
        shipping: m(shipping),
        lines: &refunded,
        fee_returned,
        coupon_returned: Money::ZERO,
        coupon: None,
        points_value_returned: m(points_value),
    };
    post(st, tx, o.merchant_id, build::refund_succeeded(&facts)).await
}

/// An after-sales refund: its lines' amounts by product, its shipping, and the value of the points it gave
/// back (at the value they were spent at: the order's points discount per point).
async fn aftersale_parts(
    st: &AppState,
    tx: &mut Tx,
    o: &OrderRow,
    lines: &[OrderLineRow],
    id: i64,
) -> ApiResult<(Vec<RefundedLine>, i64, i64)> {
    let a = st.store.aftersale(&mut **tx, id).await?;
    let asked: Vec<crate::aftersales::AftersaleLine> = serde_json::from_str(&a.lines).map_err(ApiError::internal)?;
    let refunded = asked
        .iter()
        .map(|l| RefundedLine {
            product_id: lines.iter().find(|x| x.id == l.line_id).map_or(0, |x| x.product_id.get()),
            amount: m(l.amount),
        })
        .collect();
    let points_value = if o.points_used > 0 {
        m(o.points_discount).mul_ratio_round(a.points, o.points_used).unwrap_or(Money::ZERO).fen()
    } else {
        0
    };
    Ok((refunded, a.shipping_refund, points_value))
}

/// A refund of a whole payment (paid after the order was cancelled): the lines at what was paid for them
/// and the shipping; any other amount is spread over the lines.
fn whole_payment_parts(lines: &[OrderLineRow], shipping: i64, amount: i64) -> (Vec<RefundedLine>, i64, i64) {
    let paid: i64 = lines.iter().map(|l| l.paid_amount).sum();
    if paid + shipping == amount {
        let l =
            lines.iter().map(|l| RefundedLine { product_id: l.product_id.get(), amount: m(l.paid_amount) }).collect();
        return (l, shipping, 0);
    }
    let weights: Vec<Money> = lines.iter().map(|l| m(l.paid_amount)).collect();
    let parts = minimall_core::money::apportion(m(amount), &weights);
    (lines.iter().zip(parts).map(|(l, a)| RefundedLine { product_id: l.product_id.get(), amount: a }).collect(), 0, 0)
}

/// A shipment with a cost entered.
pub async fn shipment_cost(st: &AppState, tx: &mut Tx, merchant_id: i64, shipment_id: i64, cost: i64) -> ApiResult<()> {
    post(st, tx, merchant_id, build::shipment_cost(shipment_id, minimall_store::now_ms(), m(cost))).await
}

/// The order completed: the goods the buyer kept leave inventory at their SKU's cost price.
pub async fn order_completed(st: &AppState, tx: &mut Tx, o: &OrderRow) -> ApiResult<()> {
    if NO_JOURNAL {
        return Ok(());
    }
    let costs = st.store.order_line_costs_tx(tx, o.id.get()).await?;
    let lines = costs
        .into_iter()
        .map(|(product_id, cost, units)| CostLine::of(product_id, m(cost), units.max(0)))
        .collect::<Result<Vec<_>, _>>()
        .map_err(refused)?;
    post(st, tx, o.merchant_id, build::order_completed(o.id.get(), minimall_store::now_ms(), &lines)).await
}

/// A buyer spent points (at checkout): the points liability moves with the buyer's balance, in the same
/// transaction. `reference` names the cause once, e.g. `order:<order_no>`.
pub async fn points_spent(st: &AppState, tx: &mut Tx, merchant_id: i64, reference: &str, points: i64) -> ApiResult<()> {
    post(st, tx, merchant_id, build::points_spent(reference, minimall_store::now_ms(), points)).await
}

/// Spent points came back to a buyer (a cancelled order, a refund), in the transaction that gives them back.
pub async fn points_restored(
    st: &AppState,
    tx: &mut Tx,
    merchant_id: i64,
    reference: &str,
    points: i64,
) -> ApiResult<()> {
    post(st, tx, merchant_id, build::points_restored(reference, minimall_store::now_ms(), points)).await
}

//! Distribution (分销): promoters, buyers' bindings to them, and the commission their buyers' orders earn.
//!
//! Commission follows its order's money, in the transactions that move it: accrued (frozen) when a payment
//! succeeds ([`order_paid`], in the payment's transaction, after its own posting), or accrued and **held** for
//! review when the risk check (`core::social::risk`, shared with referral) finds the buyer sharing a phone,
//! address or device with the promoter, many of the promoter's buyers sharing one of the buyer's, or the
//! promoter past the day's limit of orders (audited as `system`); a held commission is not settled until an
//! operator releases it (it then settles as any frozen one, at once when its order's settlement period is
//! over) or rejects it (reversed in full by a new posting) — [`cases::review_commission`]; reversed in proportion when
//! a refund succeeds ([`refund_succeeded`], also after settlement, as a new posting), settled by the durable
//! job `distribution.settle` the shop's settlement period after the order was received ([`order_received`]).
//! Each step is decided by `core::social::commission_ledger` on the promoter's sub-ledger as recorded, under
//! the promoter's row (`Store::lock_promoter`, promoters in id order), and writes both the sub-ledger and the
//! posting that moves the same amounts; what the rules and bindings say is read before the transaction
//! begins ([`plan_for`]).
//!
//! `settings` holds the shop's rules and their wire form, `cases` the use cases of buyers and operators
//! (applications, bindings, withdrawals), `admin_api` and `shop_api` their handlers, `console` and
//! `shop_pages` the pages.

pub mod admin_api;
pub mod cases;
pub mod console;
pub mod settings;
pub mod shop_api;
pub mod shop_pages;

use std::collections::{BTreeMap, HashMap};

use axum::http::StatusCode;
use minimall_core::ledger::Posting;
use minimall_core::money::apportion;
use minimall_core::social::commission::{self, Earner, LineCommission, PaidLine, Rules};
use minimall_core::social::commission_ledger::{
    self as cl, Commission, CommissionError, CommissionStatus, PromoterBalance,
};
use minimall_core::social::promoter::{promoter_at, Binding};
use minimall_core::social::risk::{self, Crowd, Limits, RiskFacts};
use minimall_core::Money;
use minimall_store::distribution::{BalanceCols, BindingRow, CommissionRow, NewCommission, PromoterRow};
use minimall_store::orders::{OrderRow, RefundRow};
use minimall_store::Tx;

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use minimall_store::orders::OrderScope;

pub const SETTLE_JOB: &str = "distribution.settle";
const DAY_MS: i64 = 86_400_000;

minimall_core::coded_enum! {
    /// Refusals of distribution.
    pub enum Reason {
        NotPromoter = "distribution.not_promoter",
        AlreadyPromoter = "promoter.already",
        ApplicationPending = "promoter.application_pending",
        Barred = "promoter.barred",
        SelfBinding = "promoter.self_binding",
        PromoterInactive = "promoter.inactive",
        UnknownCode = "promoter.unknown_code",
        NotPending = "promoter.not_pending",
        StatusChanged = "promoter.status_changed",
        OutOfRange { min: i64, max: i64 } = "distribution.out_of_range",
        UnknownProduct = "commission.unknown_product",
        TooMany { max: i64 } = "distribution.too_many",
        UnknownStatus = "distribution.unknown_status",
        BelowMinimum { min_fen: Money } = "withdrawal.below_minimum",
        AboveMaximum { max_fen: Money } = "withdrawal.above_maximum",
        Insufficient { available_fen: Money } = "withdrawal.insufficient",
        CommissionNotHeld = "commission.not_held",
        WithdrawalNotPending = "withdrawal.not_pending",
        WithdrawalInverted = "withdrawal.inverted",
        CommissionChanged = "commission.changed_meanwhile",
    }
}

/// A refusal with its status and field.
pub fn refused(status: StatusCode, reason: Reason, field: &str) -> ApiError {
    let category = match status {
        StatusCode::UNPROCESSABLE_ENTITY => "validation_failed",
        StatusCode::FORBIDDEN => "forbidden",
        StatusCode::NOT_FOUND => "not_found",
        _ => "conflict",
    };
    ApiError::refused(status, category, &reason).with_field(field)
}

fn ledger(e: CommissionError) -> ApiError {
    ApiError::internal(format!("commission step refused: {e}"))
}

pub fn balance_of(p: &PromoterRow) -> PromoterBalance {
    PromoterBalance {
        frozen: Money::from_fen(p.frozen),
        available: Money::from_fen(p.available),
        withdrawing: Money::from_fen(p.withdrawing),
        owed: Money::from_fen(p.owed),
        paid_out: Money::from_fen(p.paid_out),
    }
}

pub fn cols(b: &PromoterBalance) -> BalanceCols {
    BalanceCols {
        frozen: b.frozen.fen(),
        available: b.available.fen(),
        withdrawing: b.withdrawing.fen(),
        owed: b.owed.fen(),
        paid_out: b.paid_out.fen(),
    }
}

fn commission_of(c: &CommissionRow) -> Commission {
    Commission {
        id: c.id,
        promoter_id: c.promoter_id,
        product_id: c.product_id,
        amount: Money::from_fen(c.amount),
        base: Money::from_fen(c.base),
        refunded: Money::from_fen(c.refunded),
        reversed: Money::from_fen(c.reversed),
        status: CommissionStatus::parse(&c.status).unwrap_or(CommissionStatus::Frozen),
    }
}

pub fn binding_of(b: &BindingRow) -> Binding {
    Binding { promoter_id: b.promoter_id, bound_at_ms: b.bound_at, expires_at_ms: b.expires_at }
}

async fn post(st: &AppState, tx: &mut Tx, merchant_id: i64, p: Option<Posting>) -> ApiResult<()> {
    if let Some(p) = p {
        st.store.post(tx, merchant_id, &p, None).await?;
    }
    Ok(())
}

/// Who earns on an order and by which rules, read before the payment's transaction begins.
pub struct Plan {
    rules: Rules,
    direct: Earner,
    leader: Option<Earner>,
    limits: Limits,
}

/// The active promoter `buyer_id` was bound to at `at_ms`, if any.
async fn earner_of(st: &AppState, merchant_id: i64, buyer_id: i64, at_ms: i64) -> ApiResult<Option<Earner>> {
    let Some(b) = st.store.binding(merchant_id, buyer_id).await? else { return Ok(None) };
    let Some(pid) = promoter_at(Some(&binding_of(&b)), at_ms) else { return Ok(None) };
    let Some(p) = st.store.promoter(merchant_id, pid).await? else { return Ok(None) };
    Ok((p.status == "active").then_some(Earner { promoter_id: p.id, buyer_id: p.buyer_id }))
}

/// The plan of an order's commission: its buyer's promoter when the order was placed, that promoter's own
/// promoter (the team leader), and the shop's rules. `None` when nobody earns.
pub async fn plan_for(st: &AppState, o: &OrderRow) -> ApiResult<Option<Plan>> {
    let Some(direct) = earner_of(st, o.merchant_id, o.buyer_id.get(), o.created_at).await? else { return Ok(None) };
    let s = settings::load(st, o.merchant_id).await?;
    let rules = s.rules()?;
    if rules.default.direct.is_none() && rules.default.leader.is_none() && rules.overrides.is_empty() {
        return Ok(None);
    }
    let limits = s.risk_limits()?;
    let leader = earner_of(st, o.merchant_id, direct.buyer_id, o.created_at).await?;
    Ok(Some(Plan { rules, direct, leader, limits }))
}

/// By promoter id (the order their rows are taken in).
fn by_promoter<T>(items: impl IntoIterator<Item = (i64, T)>) -> BTreeMap<i64, Vec<T>> {
    let mut m: BTreeMap<i64, Vec<T>> = BTreeMap::new();
    for (k, v) in items {
        m.entry(k).or_default().push(v);
    }
    m
}

/// A payment of `o` succeeded and moved it to paid: record the commission its lines earn, frozen, and post it.
pub async fn order_paid(st: &AppState, tx: &mut Tx, o: &OrderRow, plan: Option<Plan>) -> ApiResult<()> {
    let Some(plan) = plan else { return Ok(()) };
    let lines = st.store.order_lines(&mut **tx, o.id).await?;
    let paid: Vec<PaidLine> = lines
        .iter()
        .map(|l| PaidLine {
            line_id: l.id,
            product_id: l.product_id.get(),
            quantity: u32::try_from(l.quantity).unwrap_or(0),
            paid: Money::from_fen(l.paid_amount),
        })
        .collect();
    let earned = commission::commissions(&plan.rules, o.buyer_id.get(), Some(plan.direct), plan.leader, &paid);
    let now = minimall_store::now_ms();
    let buyer = if earned.is_empty() {
        Default::default()
    } else {
        crate::referral::identity(st, tx, o.merchant_id, o.buyer_id.get()).await?
    };
    for (pid, list) in by_promoter(earned.into_iter().map(|c: LineCommission| (c.promoter_id, c))) {
        let row = st.store.lock_promoter(tx, pid).await?.ok_or_else(|| ApiError::not_found("promoter"))?;
        let mut bal = balance_of(&row);
        let reasons = assess(st, tx, &row, o, &buyer, plan.limits, now).await?;
        let codes: Vec<&str> = reasons.iter().map(|r| r.code()).collect();
        let status = if codes.is_empty() { CommissionStatus::Frozen } else { CommissionStatus::Held };
        for lc in list {
            let id = st
                .store
                .insert_commission(
                    tx,
                    o.merchant_id,
                    &NewCommission {
                        promoter_id: pid,
                        order_id: o.id.get(),
                        line_id: lc.line_id,
                        product_id: lc.product_id,
                        buyer_id: o.buyer_id.get(),
                        tier: lc.tier.as_str(),
                        amount: lc.amount.fen(),
                        base: lc.base.fen(),
                        status: status.as_str(),
                        hold_reasons: codes.join(","),
                    },
                )
                .await?;
            let p = cl::accrue(&Commission::new(id, &lc), &mut bal, now).map_err(ledger)?;
            post(st, tx, o.merchant_id, p).await?;
            if status == CommissionStatus::Held {
                let sys = crate::referral::System { merchant_id: o.merchant_id };
                let after = serde_json::json!({
                    "status": "held", "reasons": codes, "order_id": o.id.get(), "promoter_id": pid, "amount": lc.amount.fen()
                });
                crate::ops::audit::audit(
                    st,
                    tx,
                    &sys,
                    &sys,
                    "commission.hold",
                    format!("commission:{id}"),
                    None,
                    Some(after),
                )
                .await?;
            }
        }
        st.store.save_promoter_balance(tx, pid, cols(&bal)).await?;
    }
    Ok(())
}

/// The risk check of what an order earns one promoter: the buyer against the promoter and the promoter's other
/// buyers, and the promoter's orders earlier the same shop day. The buyer's fingerprints are kept for later
/// counts.
async fn assess(
    st: &AppState,
    tx: &mut Tx,
    promoter: &PromoterRow,
    o: &OrderRow,
    buyer: &risk::Identity,
    limits: Limits,
    now: i64,
) -> ApiResult<Vec<risk::HoldReason>> {
    let m = o.merchant_id;
    let earner = crate::referral::identity(st, tx, m, promoter.buyer_id).await?;
    let count = |n: i64| u32::try_from(n).unwrap_or(u32::MAX);
    let mut crowd = [0u32; 4];
    for (slot, (kind, marks)) in crowd.iter_mut().zip([
        ("phone", &buyer.phones),
        ("address", &buyer.addresses),
        ("device", &buyer.devices),
        ("payment_account", &buyer.payment_accounts),
    ]) {
        *slot = count(st.store.commission_crowd(tx, m, promoter.id, o.buyer_id.get(), kind, marks).await?);
    }
    let day = minimall_core::time::day_of(now).unwrap_or_default();
    let start = minimall_core::time::day_start_ms(day).unwrap_or(now);
    let earlier =
        st.store.promoter_orders_between(tx, promoter.id, start, start + minimall_core::time::day_ms()).await?;
    let facts = RiskFacts {
        earner,
        subject: buyer.clone(),
        crowd: Crowd { phone: crowd[0], address: crowd[1], device: crowd[2], payment_account: crowd[3] },
        earner_today: count(earlier),
    };
    let marks: Vec<(&str, String)> = buyer.marks().into_iter().map(|(k, v)| (k.code(), v)).collect();
    st.store.insert_commission_marks(tx, m, promoter.id, o.buyer_id.get(), &marks).await?;
    Ok(risk::assess(risk::Earner::Promoter, limits, &facts))
}

/// What refund `r` gave back of each line of its order: an after-sales refund its lines' amounts, a refund of
/// the whole payment every line in full, any other amount spread over the lines by what was paid for them.
async fn refunded_per_line(st: &AppState, tx: &mut Tx, o: &OrderRow, r: &RefundRow) -> ApiResult<HashMap<i64, i64>> {
    let lines = st.store.order_lines(&mut **tx, o.id).await?;
    let aftersale = r.out_refund_no.strip_prefix(&format!("{}-A", o.order_no)).and_then(|id| id.parse::<i64>().ok());
    if let Some(id) = aftersale {
        let a = st.store.aftersale(&mut **tx, id).await?;
        let asked: Vec<crate::aftersales::AftersaleLine> =
            serde_json::from_str(&a.lines).map_err(ApiError::internal)?;
        let mut m = HashMap::new();
        for l in asked {
            *m.entry(l.line_id).or_insert(0) += l.amount;
        }
        return Ok(m);
    }
    let paid: i64 = lines.iter().map(|l| l.paid_amount).sum();
    if r.amount >= paid {
        return Ok(lines.iter().map(|l| (l.id, l.paid_amount)).collect());
    }
    let weights: Vec<Money> = lines.iter().map(|l| Money::from_fen(l.paid_amount)).collect();
    let parts = apportion(Money::from_fen(r.amount), &weights);
    Ok(lines.iter().zip(parts).map(|(l, a)| (l.id, a.fen())).collect())
}

/// Refund `r` succeeded (called once, in the transaction that marked it so): every commission of its order
/// is reversed in proportion to what the refund gave back of its line, by a new posting.
pub async fn refund_succeeded(st: &AppState, tx: &mut Tx, r: &RefundRow) -> ApiResult<()> {
    let cs = st.store.order_commissions(&mut **tx, r.order_id.get()).await?;
    if cs.is_empty() {
        return Ok(());
    }
    let o = st.store.order(&mut **tx, OrderScope::Trusted, r.order_id).await?;
    let per_line = refunded_per_line(st, tx, &o, r).await?;
    let now = minimall_store::now_ms();
    for (pid, list) in by_promoter(cs.into_iter().map(|c| (c.promoter_id, c))) {
        let row = st.store.lock_promoter(tx, pid).await?.ok_or_else(|| ApiError::not_found("promoter"))?;
        let mut bal = balance_of(&row);
        for c in list {
            let add = per_line.get(&c.line_id).copied().unwrap_or(0);
            if add <= 0 {
                continue;
            }
            let mut cc = commission_of(&c);
            let after = Money::from_fen((c.refunded + add).min(c.base));
            let p = cl::reverse(&mut cc, &mut bal, r.id, after, now).map_err(ledger)?;
            post(st, tx, o.merchant_id, p).await?;
            if !st.store.update_commission(tx, c.id, &c.status, cc.refunded.fen(), cc.reversed.fen(), &c.status).await?
            {
                return Err(ApiError::conflict_because(&Reason::CommissionChanged));
            }
        }
        st.store.save_promoter_balance(tx, pid, cols(&bal)).await?;
    }
    Ok(())
}

/// Order `o` was received: its commission settles the shop's settlement period later (a durable job).
pub async fn order_received(st: &AppState, tx: &mut Tx, o: &OrderRow) -> ApiResult<()> {
    if !st.store.order_has_commissions_tx(tx, o.id.get()).await? {
        return Ok(());
    }
    let days = match st.store.distribution_settings(&mut **tx, o.merchant_id).await? {
        Some(s) => s.settle_days,
        None => settings::default_settle_days(st),
    };
    let at = minimall_store::now_ms() + days.max(0) * DAY_MS;
    crate::orders::enqueue_job(
        st,
        tx,
        o.merchant_id,
        SETTLE_JOB,
        serde_json::json!({"order_id": o.id.get()}),
        at,
        format!("{SETTLE_JOB}:{}", o.id),
    )
    .await
}

#[derive(serde::Deserialize)]
struct SettlePayload {
    order_id: i64,
}

/// `distribution.settle`: the order's settlement period is over; each frozen commission of it becomes its
/// promoter's (first paying off what they owe). Run again, it finds nothing frozen.
pub async fn settle_job(st: AppState, job: minimall_store::jobs::JobRow) -> Result<(), String> {
    let p: SettlePayload = serde_json::from_str(&job.payload).map_err(|e| e.to_string())?;
    settle_order(&st, p.order_id).await.map_err(|e| e.to_string())
}

pub async fn settle_order(st: &AppState, order_id: i64) -> ApiResult<()> {
    let mut tx = st.store.begin().await?;
    let cs = st.store.order_commissions(&mut *tx, order_id).await?;
    let frozen = cs.into_iter().filter(|c| c.status == CommissionStatus::Frozen.as_str());
    let now = minimall_store::now_ms();
    for (pid, list) in by_promoter(frozen.map(|c| (c.promoter_id, c))) {
        let row = st.store.lock_promoter(&mut tx, pid).await?.ok_or_else(|| ApiError::not_found("promoter"))?;
        let mut bal = balance_of(&row);
        for c in list {
            let mut cc = commission_of(&c);
            let p = cl::settle(&mut cc, &mut bal, now).map_err(ledger)?;
            post(st, &mut tx, row.merchant_id, p).await?;
            if !st.store.update_commission(&mut tx, c.id, "frozen", c.refunded, c.reversed, "settled").await? {
                return Err(ApiError::conflict_because(&Reason::CommissionChanged));
            }
        }
        st.store.save_promoter_balance(&mut tx, pid, cols(&bal)).await?;
    }
    minimall_store::commit(tx).await?;
    Ok(())
}

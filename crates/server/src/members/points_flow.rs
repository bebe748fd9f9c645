//! Points moved by hand and points that expire.

use minimall_core::error::Reason;
use minimall_core::ledger::{build, PostingKind};
use minimall_core::members::points;
use minimall_core::Money;
use minimall_store::members::LotSource;
use minimall_store::StoreError;

use minimall_core::members::levels::Occasion;
use minimall_store::Tx;

use super::{audit, evaluate_level, grant_points, ledger, rules, rules_in, settled_lots, Rules};
use crate::error::ApiReason;
use crate::error::{ApiError, ApiResult};
use crate::members::refusals::MemberRefusal;
use crate::state::AppState;
use crate::usecase::{self, Call, Effects};

/// Adjust a buyer's points by hand, with a reason (audited): a grant is a lot like any other, a deduction
/// takes from the balance (and the lots follow).
pub async fn adjust_points(
    st: &AppState,
    who: &crate::accounts::auth::Admin<crate::accounts::auth::ManageMembers>,
    call: &Call,
    buyer_id: i64,
    delta: i64,
    reason: &str,
) -> ApiResult<i64> {
    if delta == 0 || !(-10_000_000..=10_000_000).contains(&delta) {
        return Err(ApiError::invalid_because("delta", &ApiReason::StockDeltaRange));
    }
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 100 || reason.chars().any(char::is_control) {
        return Err(ApiError::invalid_because("reason", &Reason::Length { min: 1, max: 100 }));
    }
    let merchant_id = who.merchant_id;
    st.store.buyer_by_id(merchant_id, buyer_id).await.map_err(|_| ApiError::not_found("buyer"))?;
    let rules = rules(st, merchant_id).await?;
    let now = minimall_store::now_ms();
    let mut tx = st.store.begin().await?;
    let reference = format!("adjust:{buyer_id}:{}", call.request_id.clone().unwrap_or_else(|| now.to_string()));
    let balance = if delta > 0 {
        grant_points(st, &mut tx, &rules, merchant_id, buyer_id, delta, LotSource::Adjust, &reference, now).await?
    } else {
        let value = Money::from_fen(points::value_fen(-delta, rules.points_per_yuan));
        let balance = st.store.move_points(&mut tx, merchant_id, buyer_id, delta, "adjust", reason).await.map_err(
            |e| match e {
                StoreError::Constraint(_) => {
                    ApiError::conflict_because(&MemberRefusal::FewerPoints).with_field("delta")
                }
                o => o.into(),
            },
        )?;
        if let Some(p) =
            build::points_withdrawn(PostingKind::PointsReversed, &reference, now, -delta, value).map_err(ledger)?
        {
            st.store.post(&mut tx, merchant_id, &p, Some(who.id)).await?;
        }
        balance
    };
    audit(
        st,
        &mut tx,
        who,
        call,
        "points.adjust",
        format!("buyer:{buyer_id}"),
        None,
        Some(serde_json::json!({"delta": delta, "balance": balance, "reason": reason})),
    )
    .await?;
    usecase::commit(st, tx, Effects::new()).await?;
    Ok(balance)
}

/// Write off the points of lots that expired by `now` for one buyer, each lot once, with its posting.
pub async fn expire_buyer(st: &AppState, rules: &Rules, merchant_id: i64, buyer_id: i64, now: i64) -> ApiResult<i64> {
    let per_yuan = rules.points_per_yuan;
    let mut tx = st.store.begin().await?;
    let balance = minimall_store::members::points_balance_in(&mut *tx, buyer_id).await?;
    let lots = st.store.open_lots(&mut tx, buyer_id).await?;
    let settle = points::settle(&lots, balance);
    st.store.take_from_lots(&mut tx, buyer_id, &settle).await?;
    let lots = settled_lots(&lots, balance);
    let mut total = 0;
    let expired = points::expired(&lots, now);
    for t in &expired {
        let value = Money::from_fen(points::value_fen(t.points, per_yuan));
        if let Some(p) =
            build::points_withdrawn(PostingKind::PointsExpired, &format!("lot:{}", t.lot_id), now, t.points, value)
                .map_err(ledger)?
        {
            st.store.post(&mut tx, merchant_id, &p, None).await?;
        }
        total += t.points;
    }
    st.store.take_from_lots(&mut tx, buyer_id, &expired).await?;
    if total > 0 {
        st.store.move_points(&mut tx, merchant_id, buyer_id, -total, "expire", "").await?;
    }
    usecase::commit(st, tx, Effects::new()).await?;
    Ok(total)
}

/// A refund of `refunded_fen` of goods on an order that had already counted towards its buyer's membership
/// (it completed while a return was on its way): the spend comes off, the points the order earned are
/// reversed in proportion to what is refunded so far (never more than it earned; the balance gives what it
/// still holds and never goes negative), with their journal posting, and the level follows the shop's
/// downgrade policy. Runs in the refund's transaction; an order not counted yet changes nothing (it counts
/// what is left when it completes). `reference` names the refund once.
pub async fn order_refunded(
    st: &AppState,
    tx: &mut Tx,
    merchant_id: i64,
    order_id: i64,
    refunded_fen: i64,
    reference: &str,
) -> ApiResult<()> {
    if refunded_fen <= 0 {
        return Ok(());
    }
    let Some(c) = st.store.order_credit(tx, merchant_id, order_id).await? else { return Ok(()) };
    let rules = rules_in(tx, merchant_id).await?;
    let now = minimall_store::now_ms();
    let due = points::reversal_due(c.points, c.reversed_points, c.spend_fen, c.refunded_fen + refunded_fen);
    let spend_back = refunded_fen.min(c.spend_fen - c.reversed_spend_fen).max(0);
    st.store.add_credit_reversal(tx, order_id, refunded_fen, spend_back, due).await?;
    if due > 0 {
        let balance = minimall_store::members::points_balance_in(&mut **tx, c.buyer_id).await?;
        let take = due.min(balance);
        if take > 0 {
            st.store.move_points(tx, merchant_id, c.buyer_id, -take, "reverse", reference).await?;
            let value = Money::from_fen(points::value_fen(take, rules.points_per_yuan));
            if let Some(p) =
                build::points_withdrawn(PostingKind::PointsReversed, &format!("reverse:{reference}"), now, take, value)
                    .map_err(ledger)?
            {
                st.store.post(tx, merchant_id, &p, None).await?;
            }
        }
        st.store.add_points_earned(tx, merchant_id, c.buyer_id, -due).await?;
    }
    if spend_back > 0 {
        st.store.add_member_spend(tx, merchant_id, c.buyer_id, -spend_back, None).await?;
    }
    evaluate_level(st, tx, &rules, merchant_id, c.buyer_id, Occasion::Progress, now).await?;
    Ok(())
}

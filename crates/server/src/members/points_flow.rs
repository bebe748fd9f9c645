//! Points moved by hand and points that expire.

use minimall_core::error::Reason;
use minimall_core::ledger::{build, PostingKind};
use minimall_core::members::points;
use minimall_core::Money;
use minimall_store::members::LotSource;
use minimall_store::StoreError;

use super::{audit, grant_points, ledger, rules, settled_lots, Rules};
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

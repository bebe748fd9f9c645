//! Referral (老带新): a buyer shares their invitation code or link; a new buyer accepts it; when the invitee's
//! first order completes, `core::social::referral::decide` says whether the invitation earns the shop's rewards
//! and whether the risk check holds them for review. Everything is decided in the transaction that completes
//! the order ([`order_completed`]), which is when its after-sales window closes: rewards granted (points as a lot
//! with their journal posting, coupons issued, stored value credited through `Store::move_stored_value` with its
//! posting, a marketing cost), held (the reasons kept, audited) or nothing (the reason kept). An operator releases
//! a held reward (granted then) or rejects it, both audited. A refund of the order after the reward (an
//! after-sales request made within the window and refunded after it closed) reverses it
//! ([`refund_succeeded`]): points and stored value leave by new postings (points at the value they were granted
//! at; both as much as the buyer still holds, the rest recorded as not recovered), unused coupons end; a held
//! reward whose order is refunded earns nothing.
//!
//! `cases` holds the use cases, `api` their handlers, `pages` the buyer's 邀请有礼 and the console's pages.

pub mod api;
pub mod cases;
pub mod pages;

use axum::http::StatusCode;
use minimall_core::ledger::stored_value::{self as sv, Reason as StoredValueReason};
use minimall_core::ledger::{build, PostingKind};
use minimall_core::members::points;
use minimall_core::social::referral::{
    self as rf, Crowd, Decision, Identity, Invitation, InviteeFacts, Reward, RiskFacts, Rules,
};
use minimall_core::Money;
use minimall_store::members::LotSource;
use minimall_store::orders::{OrderRow, RefundRow};
use minimall_store::promotions::CouponTemplateRow;
use minimall_store::referral::{ReferralRow, ReferralSettingsRow};
use minimall_store::stored_value::StoredValueChange;
use minimall_store::Tx;

use crate::error::{ApiError, ApiResult};
use crate::ops::audit::{audit, Acting, Asked};
use crate::state::AppState;
use minimall_store::orders::OrderScope;

minimall_core::coded_enum! {
    /// Refusals of referral.
    pub enum Refusal {
        Disabled = "referral.disabled",
        UnknownCode = "referral.unknown_code",
        SelfInvite = "referral.self_invite",
        RepeatedInvitee = "referral.repeated_invitee",
        ExistingBuyer = "referral.existing_buyer",
        NotHeld = "referral.not_held",
        UnknownStatus = "referral.unknown_status",
        NoReward = "referral.no_reward",
        UnknownCoupon = "referral.unknown_coupon",
    }
}

/// A refusal with its status and field.
pub fn refused(status: StatusCode, reason: Refusal, field: &str) -> ApiError {
    let category = match status {
        StatusCode::UNPROCESSABLE_ENTITY => "validation_failed",
        StatusCode::NOT_FOUND => "not_found",
        _ => "conflict",
    };
    ApiError::refused(status, category, &reason).with_field(field)
}

pub const STATUSES: [&str; 6] = ["invited", "rewarded", "held", "rejected", "no_reward", "reversed"];

/// Every reason an invitation may carry (no-reward and hold codes), for the pages' labels.
pub const REASONS: [&str; 16] = [
    "referral.self_invite",
    "referral.repeated_invitee",
    "referral.existing_buyer",
    "referral.not_first_order",
    "referral.not_completed",
    "referral.refunded",
    "referral.below_minimum",
    "risk.phone_shared_with_inviter",
    "risk.address_shared_with_inviter",
    "risk.device_shared_with_inviter",
    "risk.payment_account_shared_with_inviter",
    "risk.phone_shared_by_many",
    "risk.address_shared_by_many",
    "risk.device_shared_by_many",
    "risk.payment_account_shared_by_many",
    "risk.daily_limit",
];

/// The server acting on its own (a job): audit entries name it `system`.
pub struct System {
    pub merchant_id: i64,
}

impl Acting for System {
    fn actor(&self) -> (i64, i64, &str) {
        (self.merchant_id, 0, "system")
    }
}

impl Asked for System {
    fn request_id(&self) -> Option<String> {
        None
    }
}

/// The core rule of the shop's settings.
pub fn rules_of(s: &ReferralSettingsRow) -> Rules {
    let side = |points: i64, coupon: Option<i64>, stored: i64| {
        let mut v = Vec::new();
        if points > 0 {
            v.push(Reward::Points { points });
        }
        if let Some(template_id) = coupon {
            v.push(Reward::Coupon { template_id });
        }
        if stored > 0 {
            v.push(Reward::StoredValue { amount: Money::from_fen(stored) });
        }
        v
    };
    Rules {
        inviter: side(s.inviter_points, s.inviter_coupon_id, s.inviter_stored_value),
        invitee: side(s.invitee_points, s.invitee_coupon_id, s.invitee_stored_value),
        min_first_order: Money::from_fen(s.min_first_order),
        daily_limit: u32::try_from(s.daily_limit).unwrap_or(rf::DAILY_LIMIT_MAX),
        crowd_limit: u32::try_from(s.crowd_limit).unwrap_or(rf::CROWD_LIMIT_MAX),
    }
}

/// What deciding and granting read before their transaction begins.
pub struct Prepared {
    pub settings: ReferralSettingsRow,
    pub members: crate::members::Rules,
    pub inviter_coupon: Option<CouponTemplateRow>,
    pub invitee_coupon: Option<CouponTemplateRow>,
}

pub async fn prepare(st: &AppState, merchant_id: i64) -> ApiResult<Prepared> {
    let settings = st.store.referral_settings(merchant_id).await?;
    let members = crate::members::rules(st, merchant_id).await?;
    let template = |id: Option<i64>| async move {
        match id {
            Some(id) => Ok::<_, ApiError>(st.store.coupon_template(merchant_id, id).await.ok()),
            None => Ok(None),
        }
    };
    let inviter_coupon = template(settings.inviter_coupon_id).await?;
    let invitee_coupon = template(settings.invitee_coupon_id).await?;
    Ok(Prepared { settings, members, inviter_coupon, invitee_coupon })
}

/// A buyer's identifiers as fingerprints (the risk check of commissions reads them too).
pub async fn identity(st: &AppState, tx: &mut Tx, merchant_id: i64, buyer_id: i64) -> ApiResult<Identity> {
    let raw = st.store.raw_identity(tx, merchant_id, buyer_id).await?;
    Ok(Identity {
        phones: raw.phones.iter().filter_map(|p| rf::phone_fingerprint(p)).collect(),
        addresses: raw.addresses.iter().map(|(p, c, d, x)| rf::address_fingerprint(&[p, c, d, x])).collect(),
        devices: raw.devices.iter().filter_map(|d| rf::token_fingerprint(d)).collect(),
        payment_accounts: Vec::new(),
    }
    .normalised())
}

fn count(n: i64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// The invitee's first order completed: decide the invitation, in the transaction that completes the order.
pub async fn order_completed(st: &AppState, tx: &mut Tx, p: &Prepared, o: &OrderRow) -> ApiResult<()> {
    if p.settings.enabled == 0 {
        return Ok(());
    }
    let Some(r) = st.store.referral_of_invitee(tx, o.merchant_id, o.buyer_id.get()).await? else { return Ok(()) };
    if r.status != "invited" {
        return Ok(());
    }
    let m = o.merchant_id;
    let now = minimall_store::now_ms();
    let day = minimall_core::time::day_of(now).unwrap_or_default();
    let rules = rules_of(&p.settings);
    let facts = InviteeFacts {
        rewarded_before: false,
        ordered_before_invitation: st.store.paid_orders_placed_before(tx, m, o.buyer_id.get(), r.invited_at).await? > 0,
        earlier_orders: count(st.store.paid_orders_placed_before(tx, m, o.buyer_id.get(), o.created_at).await?),
        order_completed: true,
        order_paid: Money::from_fen(o.payable),
        order_refunded: Money::from_fen(o.refunded_amount),
    };
    let inviter = identity(st, tx, m, r.inviter_id).await?;
    let invitee = identity(st, tx, m, r.invitee_id).await?;
    let crowd = Crowd {
        phone: count(st.store.referral_crowd(tx, m, r.invitee_id, "phone", &invitee.phones).await?),
        address: count(st.store.referral_crowd(tx, m, r.invitee_id, "address", &invitee.addresses).await?),
        device: count(st.store.referral_crowd(tx, m, r.invitee_id, "device", &invitee.devices).await?),
        payment_account: 0,
    };
    let today = count(st.store.inviter_rewards_on(tx, m, r.inviter_id, day).await?);
    let marks: Vec<(&str, String)> = invitee
        .phones
        .iter()
        .map(|x| ("phone", x.clone()))
        .chain(invitee.addresses.iter().map(|x| ("address", x.clone())))
        .chain(invitee.devices.iter().map(|x| ("device", x.clone())))
        .collect();
    let risk = RiskFacts { earner: inviter, subject: invitee, crowd, earner_today: today };
    let inv = Invitation { inviter_id: r.inviter_id, invitee_id: r.invitee_id, invited_at_ms: r.invited_at };
    st.store.insert_referral_marks(tx, m, r.invitee_id, &marks).await?;
    match rf::decide(&rules, &inv, &facts, &risk) {
        Decision::NoReward(why) => {
            st.store.decide_referral(tx, r.id, "invited", "no_reward", why.code(), Some(o.id.get()), day, None).await?;
        }
        Decision::Grant => {
            if st.store.decide_referral(tx, r.id, "invited", "rewarded", "", Some(o.id.get()), day, None).await? {
                grant(st, tx, p, &r, now).await?;
            }
        }
        Decision::Hold(reasons) => {
            let codes: Vec<&str> = reasons.iter().map(|x| x.code()).collect();
            let reason = codes.join(",");
            if st.store.decide_referral(tx, r.id, "invited", "held", &reason, Some(o.id.get()), day, None).await? {
                let after = serde_json::json!({"status": "held", "reasons": codes, "order_id": o.id.get()});
                let sys = System { merchant_id: m };
                audit(st, tx, &sys, &sys, "referral.hold", format!("referral:{}", r.id), None, Some(after)).await?;
            }
        }
    }
    Ok(())
}

/// Give both sides their rewards (the invitation was just marked rewarded in `tx`).
pub async fn grant(st: &AppState, tx: &mut Tx, p: &Prepared, r: &ReferralRow, now: i64) -> ApiResult<()> {
    let s = &p.settings;
    let m = r.merchant_id;
    let per_yuan = p.members.points_per_yuan;
    let mut points = (0, 0);
    let mut values = (0, 0);
    for (who, buyer, pts, slot, value) in [
        ("inviter", r.inviter_id, s.inviter_points, &mut points.0, &mut values.0),
        ("invitee", r.invitee_id, s.invitee_points, &mut points.1, &mut values.1),
    ] {
        if pts > 0 {
            let reference = format!("referral:{}:{who}", r.id);
            crate::members::grant_points(st, tx, &p.members, m, buyer, pts, LotSource::Task, &reference, now).await?;
            *slot = pts;
            *value = points::value_fen(pts, per_yuan);
        }
    }
    let mut coupons = (None, None);
    for (buyer, template, slot) in
        [(r.inviter_id, &p.inviter_coupon, &mut coupons.0), (r.invitee_id, &p.invitee_coupon, &mut coupons.1)]
    {
        if let Some(t) = template {
            let validity = crate::promotions::pricing::validity(t, now);
            // A coupon that can no longer be issued (sold out, stopped) is left out; the points still go.
            *slot = st.store.issue_coupon(tx, m, t.id, buyer, "reward", validity, false).await.ok();
        }
    }
    let mut stored = (0, 0);
    for (who, buyer, fen, slot) in [
        ("inviter", r.inviter_id, s.inviter_stored_value, &mut stored.0),
        ("invitee", r.invitee_id, s.invitee_stored_value, &mut stored.1),
    ] {
        if fen > 0 {
            let reference = format!("referral:{}:{who}", r.id);
            let posting = sv::referral_reward(&reference, now, Money::from_fen(fen))
                .map_err(|e| ApiError::internal(format!("journal posting refused: {e}")))?;
            let change = StoredValueChange {
                merchant_id: m,
                buyer_id: buyer,
                delta: fen,
                reason: StoredValueReason::ReferralReward,
                reference: &reference,
                note: "",
                by_admin: None,
            };
            crate::stored_value::move_in(st, tx, change, &posting, "stored_value").await?;
            *slot = fen;
        }
    }
    st.store.set_referral_rewards(tx, r.id, points, values, coupons, stored).await?;
    Ok(())
}

/// Take back what a reward gave: points (as much as the buyer still has) by a new posting at the value they
/// were granted at, and unused coupons.
async fn take_back(st: &AppState, tx: &mut Tx, r: &ReferralRow, now: i64) -> ApiResult<()> {
    let m = r.merchant_id;
    for (who, buyer, pts, value) in [
        ("inviter", r.inviter_id, r.inviter_points, r.inviter_points_value),
        ("invitee", r.invitee_id, r.invitee_points, r.invitee_points_value),
    ] {
        if pts <= 0 {
            continue;
        }
        let balance = minimall_store::members::points_balance_in(&mut **tx, buyer).await?;
        let taken = pts.min(balance.max(0));
        if taken == 0 {
            continue;
        }
        let reference = format!("referral:{}:{who}:reversed", r.id);
        st.store.move_points(tx, m, buyer, -taken, "adjust", &reference).await?;
        let worth = Money::from_fen(value * taken / pts);
        let posting = build::points_withdrawn(PostingKind::PointsReversed, &reference, now, taken, worth)
            .map_err(|e| ApiError::internal(format!("journal posting refused: {e}")))?;
        if let Some(posting) = posting {
            st.store.post(tx, m, &posting, None).await?;
        }
    }
    let mut taken_back = 0;
    for (who, buyer, fen) in
        [("inviter", r.inviter_id, r.inviter_stored_value), ("invitee", r.invitee_id, r.invitee_stored_value)]
    {
        if fen <= 0 {
            continue;
        }
        let balance = st.store.stored_value_balance_tx(tx, m, buyer).await?;
        let taken = fen.min(balance.max(0));
        if taken == 0 {
            continue;
        }
        let reference = format!("referral:{}:{who}", r.id);
        let posting = sv::referral_reversed(&reference, now, Money::from_fen(taken))
            .map_err(|e| ApiError::internal(format!("journal posting refused: {e}")))?;
        let reversed_ref = format!("{reference}:reversed");
        let change = StoredValueChange {
            merchant_id: m,
            buyer_id: buyer,
            delta: -taken,
            reason: StoredValueReason::ReferralReversed,
            reference: &reversed_ref,
            note: "",
            by_admin: None,
        };
        crate::stored_value::move_in(st, tx, change, &posting, "stored_value").await?;
        taken_back += taken;
    }
    if taken_back > 0 {
        st.store.set_referral_stored_value_taken_back(tx, r.id, taken_back).await?;
    }
    for coupon in [r.inviter_coupon_id, r.invitee_coupon_id].into_iter().flatten() {
        st.store.void_unused_coupon(tx, m, coupon).await?;
    }
    Ok(())
}

/// A refund of an order succeeded: a reward it earned is reversed; a held one earns nothing.
pub async fn refund_succeeded(st: &AppState, tx: &mut Tx, refund: &RefundRow) -> ApiResult<()> {
    let o = st.store.order(&mut **tx, OrderScope::Trusted, refund.order_id).await?;
    let Some(r) = st.store.referral_of_order(tx, o.merchant_id, o.id.get()).await? else { return Ok(()) };
    let day = minimall_core::time::day_of(minimall_store::now_ms()).unwrap_or_default();
    let sys = System { merchant_id: o.merchant_id };
    let (from, to) = match r.status.as_str() {
        "rewarded" => ("rewarded", "reversed"),
        "held" => ("held", "no_reward"),
        _ => return Ok(()),
    };
    if st.store.decide_referral(tx, r.id, from, to, "referral.refunded", None, day, None).await? {
        if from == "rewarded" {
            take_back(st, tx, &r, minimall_store::now_ms()).await?;
        }
        let r2 = st.store.referral(&mut **tx, o.merchant_id, r.id).await?.unwrap_or(r.clone());
        let granted = r2.inviter_stored_value + r2.invitee_stored_value;
        let after = serde_json::json!({
            "status": to, "reason": "referral.refunded", "refund": refund.out_refund_no,
            "stored_value_taken_back": r2.stored_value_taken_back,
            "stored_value_not_recovered": if from == "rewarded" { granted - r2.stored_value_taken_back } else { 0 },
        });
        audit(st, tx, &sys, &sys, &format!("referral.{to}"), format!("referral:{}", r.id), None, Some(after)).await?;
    }
    Ok(())
}

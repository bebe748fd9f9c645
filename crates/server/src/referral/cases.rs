//! Referral use cases: a buyer's code, link and invitees; accepting an invitation; the shop's settings; the
//! review queue of held rewards (release or reject, audited).

use axum::http::StatusCode;
use minimall_core::error::Reason;
use minimall_core::page::Page;
use minimall_core::social::referral as rf;
use minimall_store::referral::{ReferralRow, ReferralSettingsRow};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{prepare, refused, Refusal, STATUSES};
use crate::accounts::auth::{Admin, Buyer, ManageMembers, ManageSettings, ReadBuyers};
use crate::error::{ApiError, ApiResult};
use crate::http::Paginated;
use crate::ops::audit::audit;
use crate::state::AppState;
use crate::usecase::{self, Call, Effects};

// ---- wire types ---------------------------------------------------------------------------------

/// The shop's referral rule: what each side receives when the invitee's first order completes, and the risk
/// check's limits.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReferralSettingsDto {
    pub enabled: bool,
    /// Points for the inviter (0: none).
    #[schema(minimum = 0, maximum = 1_000_000)]
    pub inviter_points: i64,
    /// A coupon template issued to the inviter.
    #[schema(minimum = 1)]
    pub inviter_coupon_id: Option<i64>,
    /// Points for the invitee (0: none).
    #[schema(minimum = 0, maximum = 1_000_000)]
    pub invitee_points: i64,
    #[schema(minimum = 1)]
    pub invitee_coupon_id: Option<i64>,
    /// The first order must have been paid at least this much (fen).
    #[schema(minimum = 0, maximum = 100_000_000)]
    pub min_first_order: i64,
    /// Rewards per inviter and shop day; the next one is held for review.
    #[schema(minimum = 1, maximum = 1000)]
    pub daily_limit: i64,
    /// A reward is held when this many other invitees share the invitee's phone, address or device.
    #[schema(minimum = 1, maximum = 1000)]
    pub crowd_limit: i64,
    /// Stored value (fen) credited to the inviter (0: none).
    #[serde(default)]
    #[schema(minimum = 0, maximum = 100_000)]
    pub inviter_stored_value: i64,
    /// Stored value (fen) credited to the invitee (0: none).
    #[serde(default)]
    #[schema(minimum = 0, maximum = 100_000)]
    pub invitee_stored_value: i64,
}

impl From<&ReferralSettingsRow> for ReferralSettingsDto {
    fn from(s: &ReferralSettingsRow) -> Self {
        ReferralSettingsDto {
            enabled: s.enabled == 1,
            inviter_points: s.inviter_points,
            inviter_coupon_id: s.inviter_coupon_id,
            invitee_points: s.invitee_points,
            invitee_coupon_id: s.invitee_coupon_id,
            min_first_order: s.min_first_order,
            daily_limit: s.daily_limit,
            crowd_limit: s.crowd_limit,
            inviter_stored_value: s.inviter_stored_value,
            invitee_stored_value: s.invitee_stored_value,
        }
    }
}

/// An invitation as the console sees it.
#[derive(Serialize, ToSchema)]
pub struct ReferralDto {
    pub id: i64,
    pub inviter_id: i64,
    pub inviter_nickname: String,
    pub invitee_id: i64,
    pub invitee_nickname: String,
    pub invited_at: i64,
    /// invited, rewarded, held, rejected, no_reward or reversed
    pub status: String,
    /// Why it earned nothing, or why it is held (risk codes).
    pub reasons: Vec<String>,
    /// The invitee's order that decided it.
    pub order_id: Option<i64>,
    pub decided_at: Option<i64>,
    pub inviter_points: i64,
    pub invitee_points: i64,
    pub inviter_coupon_id: Option<i64>,
    pub invitee_coupon_id: Option<i64>,
    /// Stored value (fen) the reward credited the inviter.
    pub inviter_stored_value: i64,
    /// Stored value (fen) the reward credited the invitee.
    pub invitee_stored_value: i64,
    /// Stored value (fen) taken back when the first order was refunded after the reward (at most what the
    /// buyers still held).
    pub stored_value_taken_back: i64,
}

pub fn reasons_of(r: &ReferralRow) -> Vec<String> {
    r.reason.split(',').filter(|x| !x.is_empty()).map(str::to_string).collect()
}

fn dto(r: ReferralRow) -> ReferralDto {
    ReferralDto {
        reasons: reasons_of(&r),
        id: r.id,
        inviter_id: r.inviter_id,
        inviter_nickname: r.inviter_nickname,
        invitee_id: r.invitee_id,
        invitee_nickname: r.invitee_nickname,
        invited_at: r.invited_at,
        status: r.status,
        order_id: r.order_id,
        decided_at: r.decided_at,
        inviter_points: r.inviter_points,
        invitee_points: r.invitee_points,
        inviter_coupon_id: r.inviter_coupon_id,
        invitee_coupon_id: r.invitee_coupon_id,
        inviter_stored_value: r.inviter_stored_value,
        invitee_stored_value: r.invitee_stored_value,
        stored_value_taken_back: r.stored_value_taken_back,
    }
}

/// One of the buyer's invitees (name masked).
#[derive(Serialize, ToSchema)]
pub struct InviteeDto {
    pub nickname: String,
    pub invited_at: i64,
    /// invited, rewarded, held, rejected, no_reward or reversed
    pub status: String,
    /// Points the buyer received for this invitee.
    pub points: i64,
    /// Stored value (fen) the buyer received for this invitee.
    pub stored_value: i64,
}

/// The buyer's 邀请有礼.
#[derive(Serialize, ToSchema)]
pub struct MyReferralDto {
    pub enabled: bool,
    /// The buyer's invitation code.
    pub code: String,
    /// The link to share (path and query; the storefront's address goes before it).
    pub share_path: String,
    pub inviter_points: i64,
    pub invitee_points: i64,
    pub inviter_coupon: bool,
    pub invitee_coupon: bool,
    /// Stored value (fen) the inviter receives.
    pub inviter_stored_value: i64,
    /// Stored value (fen) the invitee receives.
    pub invitee_stored_value: i64,
    /// The first order must have been paid at least this much (fen).
    pub min_first_order: i64,
    /// Who invited the buyer, masked, if anyone.
    pub invited_by: Option<String>,
    pub invitees: Paginated<InviteeDto>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptInput {
    /// The inviter's code.
    #[schema(min_length = 4, max_length = 16)]
    pub code: String,
}

#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ReferralQuery {
    /// invited, rewarded, held, rejected, no_reward or reversed
    pub status: Option<String>,
    pub page: Option<i64>,
    pub page_size: Option<i64>,
}

// ---- the buyer's side ---------------------------------------------------------------------------

/// Eight characters without look-alikes; the fourth and seventh are digits, so that a code never reads as a word.
fn new_code() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    const DIGITS: &[u8] = b"23456789";
    let mut r = rand::thread_rng();
    (0..8)
        .map(|i| {
            let set = if i == 3 || i == 6 { DIGITS } else { ALPHABET };
            set[r.gen_range(0..set.len())] as char
        })
        .collect()
}

fn mask(name: &str) -> String {
    let first: String = name.chars().take(1).collect();
    format!("{first}**")
}

/// The buyer's code, made on first use.
pub async fn code_of(st: &AppState, buyer: &Buyer) -> ApiResult<String> {
    for _ in 0..8 {
        if let Some(c) = st.store.referral_code_of(buyer.merchant_id, buyer.id).await? {
            return Ok(c);
        }
        st.store.insert_referral_code(buyer.merchant_id, buyer.id, &new_code()).await?;
    }
    Err(ApiError::internal("no free referral code"))
}

/// The buyer's code, link, the shop's rule and the buyer's invitees.
pub async fn mine(st: &AppState, buyer: &Buyer, page: Page) -> ApiResult<MyReferralDto> {
    let s = st.store.referral_settings(buyer.merchant_id).await?;
    let code = code_of(st, buyer).await?;
    let rows = st.store.referrals(buyer.merchant_id, None, Some(buyer.id), page.size(), page.offset()).await?;
    let mut tx = st.store.begin().await?;
    let by = st.store.referral_of_invitee(&mut tx, buyer.merchant_id, buyer.id).await?;
    minimall_store::commit(tx).await?;
    let items = rows
        .items
        .into_iter()
        .map(|r| InviteeDto {
            nickname: mask(&r.invitee_nickname),
            invited_at: r.invited_at,
            points: r.inviter_points,
            stored_value: r.inviter_stored_value,
            status: r.status,
        })
        .collect();
    Ok(MyReferralDto {
        enabled: s.enabled == 1,
        share_path: format!("/invite/{code}?ch=share"),
        code,
        inviter_points: s.inviter_points,
        invitee_points: s.invitee_points,
        inviter_coupon: s.inviter_coupon_id.is_some(),
        invitee_coupon: s.invitee_coupon_id.is_some(),
        inviter_stored_value: s.inviter_stored_value,
        invitee_stored_value: s.invitee_stored_value,
        min_first_order: s.min_first_order,
        invited_by: by.map(|r| mask(&r.inviter_nickname)),
        invitees: Paginated::new(items, rows.total, page),
    })
}

/// Accept an invitation: never one's own, once per buyer, and only before one's first paid order.
pub async fn accept(st: &AppState, buyer: &Buyer, input: &AcceptInput) -> ApiResult<ReferralDto> {
    let s = st.store.referral_settings(buyer.merchant_id).await?;
    if s.enabled == 0 {
        return Err(refused(StatusCode::CONFLICT, Refusal::Disabled, "code"));
    }
    let code = input.code.trim().to_ascii_uppercase();
    if !(4..=16).contains(&code.len()) || !code.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(ApiError::invalid_because("code", &Reason::Length { min: 4, max: 16 }));
    }
    let Some(inviter) = st.store.buyer_of_referral_code(buyer.merchant_id, &code).await? else {
        return Err(refused(StatusCode::UNPROCESSABLE_ENTITY, Refusal::UnknownCode, "code"));
    };
    if inviter == buyer.id {
        return Err(refused(StatusCode::UNPROCESSABLE_ENTITY, Refusal::SelfInvite, "code"));
    }
    let mut tx = st.store.begin().await?;
    if st.store.paid_orders_placed_before(&mut tx, buyer.merchant_id, buyer.id, i64::MAX).await? > 0 {
        return Err(refused(StatusCode::CONFLICT, Refusal::ExistingBuyer, "code"));
    }
    let Some(id) = st.store.insert_referral(&mut tx, buyer.merchant_id, inviter, buyer.id).await? else {
        return Err(refused(StatusCode::CONFLICT, Refusal::RepeatedInvitee, "code"));
    };
    let row = st.store.referral(&mut *tx, buyer.merchant_id, id).await?.ok_or_else(|| ApiError::internal("lost"))?;
    minimall_store::commit(tx).await?;
    Ok(dto(row))
}

// ---- the console's side -------------------------------------------------------------------------

pub async fn settings(st: &AppState, admin: &Admin<ReadBuyers>) -> ApiResult<ReferralSettingsDto> {
    Ok((&st.store.referral_settings(admin.merchant_id).await?).into())
}

fn range(field: &str, v: i64, min: i64, max: i64) -> ApiResult<()> {
    if (min..=max).contains(&v) {
        Ok(())
    } else {
        Err(ApiError::invalid_because(field, &Reason::OutOfRange { min, max }))
    }
}

/// Set the shop's rule (audited). An enabled rule needs a reward.
pub async fn put_settings(
    st: &AppState,
    admin: &Admin<ManageSettings>,
    call: &Call,
    input: &ReferralSettingsDto,
) -> ApiResult<ReferralSettingsDto> {
    range("inviter_points", input.inviter_points, 0, rf::POINTS_MAX)?;
    range("invitee_points", input.invitee_points, 0, rf::POINTS_MAX)?;
    range("min_first_order", input.min_first_order, 0, 100_000_000)?;
    range("daily_limit", input.daily_limit, 1, i64::from(rf::DAILY_LIMIT_MAX))?;
    range("crowd_limit", input.crowd_limit, 1, i64::from(rf::CROWD_LIMIT_MAX))?;
    range("inviter_stored_value", input.inviter_stored_value, 0, rf::STORED_VALUE_MAX_FEN)?;
    range("invitee_stored_value", input.invitee_stored_value, 0, rf::STORED_VALUE_MAX_FEN)?;
    for (field, id) in [("inviter_coupon_id", input.inviter_coupon_id), ("invitee_coupon_id", input.invitee_coupon_id)]
    {
        if let Some(id) = id {
            if id < 1 || st.store.coupon_template(admin.merchant_id, id).await.is_err() {
                return Err(refused(StatusCode::UNPROCESSABLE_ENTITY, Refusal::UnknownCoupon, field));
            }
        }
    }
    let row = ReferralSettingsRow {
        enabled: i32::from(input.enabled),
        inviter_points: input.inviter_points,
        inviter_coupon_id: input.inviter_coupon_id,
        invitee_points: input.invitee_points,
        invitee_coupon_id: input.invitee_coupon_id,
        min_first_order: input.min_first_order,
        daily_limit: input.daily_limit,
        crowd_limit: input.crowd_limit,
        inviter_stored_value: input.inviter_stored_value,
        invitee_stored_value: input.invitee_stored_value,
    };
    if input.enabled && super::rules_of(&row).validate().is_err() {
        return Err(refused(StatusCode::UNPROCESSABLE_ENTITY, Refusal::NoReward, "inviter_points"));
    }
    let before = st.store.referral_settings(admin.merchant_id).await?;
    let mut tx = st.store.begin().await?;
    st.store.put_referral_settings(&mut tx, admin.merchant_id, &row).await?;
    let json = |s: &ReferralSettingsRow| serde_json::to_value(ReferralSettingsDto::from(s)).ok();
    audit(st, &mut tx, admin, call, "referral.settings", "referral_settings".into(), json(&before), json(&row)).await?;
    usecase::commit(st, tx, Effects::new()).await?;
    Ok((&row).into())
}

/// Invitations, newest first; of one status when given (`held`: the review queue).
pub async fn list(st: &AppState, admin: &Admin<ReadBuyers>, q: &ReferralQuery) -> ApiResult<Paginated<ReferralDto>> {
    let page = Page::parse(q.page, q.page_size)?;
    let status = q.status.clone().unwrap_or_default();
    if !status.is_empty() && !STATUSES.contains(&status.as_str()) {
        return Err(refused(StatusCode::UNPROCESSABLE_ENTITY, Refusal::UnknownStatus, "status"));
    }
    let status = (!status.is_empty()).then_some(status.as_str());
    let rows = st.store.referrals(admin.merchant_id, status, None, page.size(), page.offset()).await?;
    Ok(Paginated::new(rows.items.into_iter().map(dto).collect(), rows.total, page))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Review {
    Release,
    Reject,
}

/// Release a held reward (granted now) or reject it; audited with the hold's reasons.
pub async fn review(
    st: &AppState,
    admin: &Admin<ManageMembers>,
    call: &Call,
    id: i64,
    what: Review,
) -> ApiResult<ReferralDto> {
    let r = st
        .store
        .referral(st.store.reader(), admin.merchant_id, id)
        .await?
        .ok_or_else(|| ApiError::not_found("referral"))?;
    let p = prepare(st, admin.merchant_id).await?;
    let now = minimall_store::now_ms();
    let day = minimall_core::time::day_of(now).unwrap_or_default();
    let (to, action) = match what {
        Review::Release => ("rewarded", "referral.release"),
        Review::Reject => ("rejected", "referral.reject"),
    };
    let mut tx = st.store.begin().await?;
    if !st.store.decide_referral(&mut tx, r.id, "held", to, &r.reason, None, day, Some(admin.id)).await? {
        return Err(refused(StatusCode::CONFLICT, Refusal::NotHeld, "id"));
    }
    if what == Review::Release {
        super::grant(st, &mut tx, &p, &r, now).await?;
    }
    let before = serde_json::json!({"status": "held", "reasons": reasons_of(&r)});
    let after = serde_json::json!({"status": to});
    audit(st, &mut tx, admin, call, action, format!("referral:{id}"), Some(before), Some(after)).await?;
    let row =
        st.store.referral(&mut *tx, admin.merchant_id, id).await?.ok_or_else(|| ApiError::not_found("referral"))?;
    usecase::commit(st, tx, Effects::new()).await?;
    Ok(dto(row))
}

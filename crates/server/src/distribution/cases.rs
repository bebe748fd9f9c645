//! Distribution use cases: a buyer applies, binds to a promoter by code, link or poster, reads their promoter
//! centre (team, commissions, earnings, withdrawals) and asks to withdraw; operators decide applications,
//! suspend promoters, set the rules; finance approves, pays (to the buyer's stored value or by hand) or
//! refuses withdrawals. Every money step writes the promoter's sub-ledger and its posting in one transaction.

use axum::http::StatusCode;
use minimall_core::page::Page;
use minimall_core::social::commission_ledger::{self as cl, Payout, Withdrawal, WithdrawalRefusal};
use minimall_core::social::promoter::{
    self as pm, Applicant, Application, ApplicationRefusal, BindDecision, BindRefusal, PromoterRef,
};
use minimall_core::validate::display_text;
use minimall_core::Money;
use minimall_store::distribution::{BindingRow, CommissionRow, PromoterRow, TeamMemberRow, WithdrawalRow};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::settings::{self, DistributionSettings};
use super::{balance_of, binding_of, cols, refused, Reason};
use crate::accounts::auth::{Admin, Buyer, ManageMembers, ManageSettings, ReadBuyers, ReadFinance};
use crate::error::{ApiError, ApiResult};
use crate::http::Paginated;
use crate::ops::audit::{audit, to_json};
use crate::state::AppState;
use crate::usecase::{self, Call, Effects};

pub const PROMOTER_STATUSES: [&str; 4] = ["pending", "active", "rejected", "suspended"];
pub const WITHDRAWAL_STATUSES: [&str; 4] = ["requested", "approved", "paid", "rejected"];
pub const COMMISSION_STATUSES: [&str; 4] = ["frozen", "held", "settled", "rejected"];

// ---- wire types ---------------------------------------------------------------------------------

/// A promoter's commission by state (fen). Frozen: orders still in their settlement period; available:
/// settled and free to withdraw; withdrawing: in requests not yet paid; owed: reversed after it was
/// withdrawn, netted against the next settled commission; paid out: ever.
#[derive(Serialize, ToSchema, Clone, Copy, Default)]
pub struct EarningsDto {
    pub frozen: i64,
    /// Of `frozen`, what the risk check holds for review (not settled until released).
    pub held: i64,
    pub available: i64,
    pub withdrawing: i64,
    pub owed: i64,
    pub paid_out: i64,
}

#[derive(Serialize, ToSchema)]
pub struct PromoterDto {
    pub id: i64,
    pub buyer_id: i64,
    pub nickname: String,
    /// The promoter's public code (links carry it as `pr`).
    pub code: String,
    /// pending (application), active, rejected or suspended
    pub status: String,
    pub real_name: String,
    pub note: String,
    pub decision_note: String,
    pub applied_at: i64,
    pub decided_at: Option<i64>,
    pub earnings: EarningsDto,
}

pub fn promoter_dto(p: &PromoterRow) -> PromoterDto {
    PromoterDto {
        id: p.id,
        buyer_id: p.buyer_id,
        nickname: p.nickname.clone(),
        code: p.code.clone(),
        status: p.status.clone(),
        real_name: p.real_name.clone(),
        note: p.note.clone(),
        decision_note: p.decision_note.clone(),
        applied_at: p.applied_at,
        decided_at: p.decided_at,
        earnings: EarningsDto {
            frozen: p.frozen,
            held: p.held,
            available: p.available,
            withdrawing: p.withdrawing,
            owed: p.owed,
            paid_out: p.paid_out,
        },
    }
}

#[derive(Serialize, ToSchema)]
pub struct CommissionDto {
    pub id: i64,
    pub order_id: i64,
    pub order_no: String,
    /// The order line's product title.
    pub title: String,
    /// direct (the buyer's promoter) or leader (the promoter's promoter)
    pub tier: String,
    /// As earned at payment (fen).
    pub amount: i64,
    /// The line's paid amount it was earned on.
    pub base: i64,
    pub refunded: i64,
    pub reversed: i64,
    /// What it is worth now: amount − reversed.
    pub net: i64,
    pub status: CommissionStatusDto,
    pub created_at: i64,
    pub settled_at: Option<i64>,
    pub promoter_id: i64,
    /// The promoter's name.
    pub promoter_nickname: String,
    pub buyer_id: i64,
    /// The buyer's name, masked.
    pub buyer_nickname: String,
    /// Why the risk check held it (kept after the review): `risk.*` codes.
    pub hold_reasons: Vec<HoldReasonDto>,
    /// When an operator released or rejected it.
    pub reviewed_at: Option<i64>,
}

/// A commission's state.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CommissionStatusDto {
    /// Earned on an order whose settlement period is not over.
    Frozen,
    /// Frozen and held for review by the risk check: not settled until released.
    Held,
    /// The promoter's: withdrawable.
    Settled,
    /// Rejected on review: reversed in full.
    Rejected,
}

impl CommissionStatusDto {
    pub const ALL: [CommissionStatusDto; 4] = [
        CommissionStatusDto::Frozen,
        CommissionStatusDto::Held,
        CommissionStatusDto::Settled,
        CommissionStatusDto::Rejected,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CommissionStatusDto::Frozen => "frozen",
            CommissionStatusDto::Held => "held",
            CommissionStatusDto::Settled => "settled",
            CommissionStatusDto::Rejected => "rejected",
        }
    }

    fn of(s: &str) -> CommissionStatusDto {
        match s {
            "held" => CommissionStatusDto::Held,
            "settled" => CommissionStatusDto::Settled,
            "rejected" => CommissionStatusDto::Rejected,
            _ => CommissionStatusDto::Frozen,
        }
    }
}

/// Why the risk check held a commission.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq, ToSchema)]
pub enum HoldReasonDto {
    #[serde(rename = "risk.phone_shared_with_promoter")]
    PhoneSharedWithPromoter,
    #[serde(rename = "risk.address_shared_with_promoter")]
    AddressSharedWithPromoter,
    #[serde(rename = "risk.device_shared_with_promoter")]
    DeviceSharedWithPromoter,
    #[serde(rename = "risk.payment_account_shared_with_promoter")]
    PaymentAccountSharedWithPromoter,
    #[serde(rename = "risk.phone_shared_by_many")]
    PhoneSharedByMany,
    #[serde(rename = "risk.address_shared_by_many")]
    AddressSharedByMany,
    #[serde(rename = "risk.device_shared_by_many")]
    DeviceSharedByMany,
    #[serde(rename = "risk.payment_account_shared_by_many")]
    PaymentAccountSharedByMany,
    #[serde(rename = "risk.daily_limit")]
    DailyLimit,
}

/// Every reason a commission may be held for, in the order [`HoldReasonDto`] lists them (for the pages' labels).
pub const HOLD_REASONS: [&str; 9] = [
    "risk.phone_shared_with_promoter",
    "risk.address_shared_with_promoter",
    "risk.device_shared_with_promoter",
    "risk.payment_account_shared_with_promoter",
    "risk.phone_shared_by_many",
    "risk.address_shared_by_many",
    "risk.device_shared_by_many",
    "risk.payment_account_shared_by_many",
    "risk.daily_limit",
];

impl HoldReasonDto {
    const ALL: [HoldReasonDto; 9] = [
        HoldReasonDto::PhoneSharedWithPromoter,
        HoldReasonDto::AddressSharedWithPromoter,
        HoldReasonDto::DeviceSharedWithPromoter,
        HoldReasonDto::PaymentAccountSharedWithPromoter,
        HoldReasonDto::PhoneSharedByMany,
        HoldReasonDto::AddressSharedByMany,
        HoldReasonDto::DeviceSharedByMany,
        HoldReasonDto::PaymentAccountSharedByMany,
        HoldReasonDto::DailyLimit,
    ];

    fn of(code: &str) -> Option<HoldReasonDto> {
        HOLD_REASONS.iter().position(|c| *c == code).map(|i| HoldReasonDto::ALL[i])
    }

    pub fn code(self) -> &'static str {
        HoldReasonDto::ALL.iter().position(|r| *r == self).map_or("", |i| HOLD_REASONS[i])
    }
}

pub fn hold_reasons(codes: &str) -> Vec<HoldReasonDto> {
    codes.split(',').filter_map(HoldReasonDto::of).collect()
}

fn commission_dto(c: CommissionRow) -> CommissionDto {
    CommissionDto {
        status: CommissionStatusDto::of(&c.status),
        promoter_id: c.promoter_id,
        promoter_nickname: c.promoter_nickname,
        buyer_id: c.buyer_id,
        buyer_nickname: mask(&c.buyer_nickname),
        hold_reasons: hold_reasons(&c.hold_reasons),
        reviewed_at: c.reviewed_at,
        id: c.id,
        order_id: c.order_id,
        order_no: c.order_no,
        title: c.title,
        tier: c.tier,
        amount: c.amount,
        base: c.base,
        refunded: c.refunded,
        reversed: c.reversed,
        net: c.amount - c.reversed,
        created_at: c.created_at,
        settled_at: c.settled_at,
    }
}

#[derive(Serialize, ToSchema)]
pub struct WithdrawalDto {
    pub id: i64,
    pub promoter_id: i64,
    pub nickname: String,
    pub code: String,
    pub amount: i64,
    /// requested, approved, paid or rejected
    pub status: String,
    /// stored_value or bank, once paid
    pub payout: Option<String>,
    pub note: String,
    pub requested_at: i64,
    pub decided_at: Option<i64>,
}

fn withdrawal_dto(w: WithdrawalRow) -> WithdrawalDto {
    WithdrawalDto {
        id: w.id,
        promoter_id: w.promoter_id,
        nickname: w.nickname,
        code: w.code,
        amount: w.amount,
        status: w.status,
        payout: w.payout,
        note: w.note,
        requested_at: w.requested_at,
        decided_at: w.decided_at,
    }
}

#[derive(Serialize, ToSchema)]
pub struct TeamMemberDto {
    pub buyer_id: i64,
    pub nickname: String,
    /// link, poster or code
    pub source: String,
    pub bound_at: i64,
    pub expires_at: Option<i64>,
    /// Orders of this buyer that earned the promoter commission.
    pub orders: i64,
}

fn team_dto(t: TeamMemberRow) -> TeamMemberDto {
    TeamMemberDto {
        buyer_id: t.buyer_id,
        nickname: mask(&t.nickname),
        source: t.source,
        bound_at: t.bound_at,
        expires_at: t.expires_at,
        orders: t.orders,
    }
}

/// A name as shown to another buyer: the first character, the rest hidden.
fn mask(name: &str) -> String {
    let first: String = name.chars().take(1).collect();
    format!("{first}**")
}

#[derive(Serialize, ToSchema)]
pub struct BoundDto {
    pub code: String,
    /// The promoter's name, masked.
    pub nickname: String,
    pub bound_at: i64,
    pub expires_at: Option<i64>,
}

/// The buyer's promoter centre.
#[derive(Serialize, ToSchema)]
pub struct CentreDto {
    /// The buyer as a promoter (or their application); none: never applied.
    pub promoter: Option<PromoterDto>,
    /// The promoter the buyer is bound to, while the binding lasts.
    pub bound_to: Option<BoundDto>,
    /// The promoter's share link (path and query), when active.
    pub share_path: Option<String>,
    pub withdrawal_min: i64,
    pub withdrawal_max: i64,
}

#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplyInput {
    /// 1–20 characters.
    pub real_name: String,
    /// Why, or where the buyer will share (0–200 characters).
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BindSource {
    Link,
    Poster,
    Code,
}

impl BindSource {
    fn as_str(self) -> &'static str {
        match self {
            BindSource::Link => "link",
            BindSource::Poster => "poster",
            BindSource::Code => "code",
        }
    }
}

#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BindInput {
    /// The promoter's code: 4–16 letters and digits.
    pub code: String,
    /// How the buyer came: a share link, a poster's QR code, or the code typed in.
    pub source: BindSource,
}

#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WithdrawInput {
    /// Fen, within the shop's limits and the settled commission free to withdraw.
    #[schema(minimum = 1)]
    pub amount: i64,
}

#[derive(Deserialize, Serialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct NoteInput {
    /// 0–200 characters.
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PayoutKind {
    /// To the promoter's stored value (储值) in the shop.
    StoredValue,
    /// Paid by hand from the shop's bank account (record the transfer in the note).
    Bank,
}

#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PayInput {
    pub payout: PayoutKind,
    /// 0–200 characters: the transfer's reference when paid by hand.
    #[serde(default)]
    pub note: String,
}

#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct StatusQuery {
    /// Of one status only.
    pub status: Option<String>,
    pub page: Option<i64>,
    pub page_size: Option<i64>,
}

impl StatusQuery {
    fn parse(&self, allowed: &[&str]) -> ApiResult<(String, Page)> {
        let page = Page::parse(self.page, self.page_size)?;
        let status = self.status.clone().unwrap_or_default();
        if !status.is_empty() && !allowed.contains(&status.as_str()) {
            return Err(refused(StatusCode::UNPROCESSABLE_ENTITY, Reason::UnknownStatus, "status"));
        }
        Ok((status, page))
    }
}

fn optional_text(field: &str, s: &str, max: usize) -> ApiResult<String> {
    if s.trim().is_empty() {
        Ok(String::new())
    } else {
        Ok(display_text(field, s, max)?)
    }
}

// ---- the buyer's side ---------------------------------------------------------------------------

fn new_code() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut r = rand::thread_rng();
    (0..8).map(|_| ALPHABET[r.gen_range(0..ALPHABET.len())] as char).collect()
}

/// A buyer applies to become a promoter: approved at once when the shop's automatic rule says so, otherwise
/// to the operators' queue. A refused applicant may apply again; a suspended one may not.
pub async fn apply(st: &AppState, buyer: &Buyer, input: &ApplyInput) -> ApiResult<PromoterDto> {
    let real_name = display_text("real_name", &input.real_name, 20)?;
    let note = optional_text("note", &input.note, 200)?;
    let s = settings::load(st, buyer.merchant_id).await?;
    let rule = s.approval_rule()?;
    let existing = st.store.promoter_of_buyer(buyer.merchant_id, buyer.id).await?;
    let (spend, rank) = st.store.applicant_standing(buyer.merchant_id, buyer.id).await?;
    let status = existing.as_ref().map(|p| p.status.as_str()).unwrap_or("");
    let a = Applicant {
        spend: Money::from_fen(spend),
        level_rank: u32::try_from(rank).unwrap_or(0),
        already_promoter: status == "active",
        pending: status == "pending",
        barred: status == "suspended",
    };
    let decision = pm::apply(rule, &a).map_err(|r| {
        let reason = match r {
            ApplicationRefusal::AlreadyPromoter => Reason::AlreadyPromoter,
            ApplicationRefusal::Pending => Reason::ApplicationPending,
            ApplicationRefusal::Barred => Reason::Barred,
        };
        refused(StatusCode::CONFLICT, reason, "buyer")
    })?;
    let to = if decision == Application::Approve { "active" } else { "pending" };
    let mut tx = st.store.begin().await?;
    match existing {
        Some(p) => {
            if !st.store.reapply_promoter(&mut tx, p.id, to, &real_name, &note).await? {
                return Err(refused(StatusCode::CONFLICT, Reason::StatusChanged, "buyer"));
            }
        }
        None => {
            st.store.insert_promoter(&mut tx, buyer.merchant_id, buyer.id, &new_code(), to, &real_name, &note).await?;
        }
    }
    usecase::commit(st, tx, Effects::new()).await?;
    let p = st
        .store
        .promoter_of_buyer(buyer.merchant_id, buyer.id)
        .await?
        .ok_or_else(|| ApiError::not_found("promoter"))?;
    Ok(promoter_dto(&p))
}

/// Bind the buyer to the promoter whose code, link or poster they came through, by the shop's touch rule and
/// binding period. Never to oneself; a suspended or unapproved promoter binds nobody.
pub async fn bind(st: &AppState, buyer: &Buyer, input: &BindInput) -> ApiResult<CentreDto> {
    let code = input.code.trim().to_ascii_uppercase();
    let shape_ok = (4..=16).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_alphanumeric());
    if !shape_ok {
        return Err(refused(StatusCode::UNPROCESSABLE_ENTITY, Reason::UnknownCode, "code"));
    }
    let Some(p) = st.store.promoter_by_code(buyer.merchant_id, &code).await? else {
        return Err(refused(StatusCode::UNPROCESSABLE_ENTITY, Reason::UnknownCode, "code"));
    };
    let rules = settings::load(st, buyer.merchant_id).await?.binding_rules()?;
    let current = st.store.binding(buyer.merchant_id, buyer.id).await?;
    let now = minimall_store::now_ms();
    let promoter = PromoterRef { promoter_id: p.id, buyer_id: p.buyer_id, active: p.status == "active" };
    let decision =
        pm::bind(rules, current.as_ref().map(binding_of).as_ref(), buyer.id, promoter, now).map_err(|r| match r {
            BindRefusal::SelfBinding => refused(StatusCode::UNPROCESSABLE_ENTITY, Reason::SelfBinding, "code"),
            BindRefusal::PromoterInactive => refused(StatusCode::CONFLICT, Reason::PromoterInactive, "code"),
        })?;
    if let BindDecision::Bind(b) = decision {
        let mut tx = st.store.begin().await?;
        let row = BindingRow {
            buyer_id: buyer.id,
            promoter_id: b.promoter_id,
            source: input.source.as_str().into(),
            bound_at: b.bound_at_ms,
            expires_at: b.expires_at_ms,
        };
        st.store.save_binding(&mut tx, buyer.merchant_id, &row).await?;
        usecase::commit(st, tx, Effects::new()).await?;
    }
    centre(st, buyer).await
}

/// The buyer's promoter centre: their promoter record and earnings, their binding, their share link.
pub async fn centre(st: &AppState, buyer: &Buyer) -> ApiResult<CentreDto> {
    let s = settings::load(st, buyer.merchant_id).await?;
    let me = st.store.promoter_of_buyer(buyer.merchant_id, buyer.id).await?;
    let now = minimall_store::now_ms();
    let bound_to = match st.store.binding(buyer.merchant_id, buyer.id).await? {
        Some(b) if binding_of(&b).active_at(now) => {
            st.store.promoter(buyer.merchant_id, b.promoter_id).await?.map(|p| BoundDto {
                code: p.code,
                nickname: mask(&p.nickname),
                bound_at: b.bound_at,
                expires_at: b.expires_at,
            })
        }
        _ => None,
    };
    let share_path =
        me.as_ref().filter(|p| p.status == "active").map(|p| format!("/join/{0}?ch=promoter&pr={0}", p.code));
    Ok(CentreDto {
        promoter: me.as_ref().map(promoter_dto),
        bound_to,
        share_path,
        withdrawal_min: s.withdrawal_min,
        withdrawal_max: s.withdrawal_max,
    })
}

/// The buyer as an active promoter, or 403.
async fn me_active(st: &AppState, buyer: &Buyer) -> ApiResult<PromoterRow> {
    match st.store.promoter_of_buyer(buyer.merchant_id, buyer.id).await? {
        Some(p) if p.status == "active" => Ok(p),
        _ => Err(refused(StatusCode::FORBIDDEN, Reason::NotPromoter, "buyer")),
    }
}

/// The buyers bound to the promoter.
pub async fn my_team(st: &AppState, buyer: &Buyer, q: &crate::http::PageQuery) -> ApiResult<Paginated<TeamMemberDto>> {
    let page = q.page()?;
    let me = me_active(st, buyer).await?;
    let rows = st.store.team(me.id, page.size(), page.offset()).await?;
    Ok(Paginated::new(rows.items.into_iter().map(team_dto).collect(), rows.total, page))
}

/// The promoter's commissions (their buyers' orders), of one state when asked.
pub async fn my_commissions(st: &AppState, buyer: &Buyer, q: &StatusQuery) -> ApiResult<Paginated<CommissionDto>> {
    let (status, page) = q.parse(&COMMISSION_STATUSES)?;
    let me = me_active(st, buyer).await?;
    let rows = st.store.promoter_commissions(me.id, &status, page.size(), page.offset()).await?;
    Ok(Paginated::new(rows.items.into_iter().map(commission_dto).collect(), rows.total, page))
}

/// The promoter's withdrawals (also a suspended promoter's: what they asked for stays theirs to see).
pub async fn my_withdrawals(st: &AppState, buyer: &Buyer, q: &StatusQuery) -> ApiResult<Paginated<WithdrawalDto>> {
    let (status, page) = q.parse(&WITHDRAWAL_STATUSES)?;
    let Some(me) = st.store.promoter_of_buyer(buyer.merchant_id, buyer.id).await? else {
        return Err(refused(StatusCode::FORBIDDEN, Reason::NotPromoter, "buyer"));
    };
    let rows = st.store.list_withdrawals(buyer.merchant_id, me.id, &status, page.size(), page.offset()).await?;
    Ok(Paginated::new(rows.items.into_iter().map(withdrawal_dto).collect(), rows.total, page))
}

/// Ask to withdraw settled commission: set aside until finance pays or refuses it. Never more than what is
/// available (settled and not already asked for).
pub async fn request_withdrawal(st: &AppState, buyer: &Buyer, input: &WithdrawInput) -> ApiResult<WithdrawalDto> {
    let rules = settings::load(st, buyer.merchant_id).await?.withdrawal_rules()?;
    let me = me_active(st, buyer).await?;
    let mut tx = st.store.begin().await?;
    let row = st.store.lock_promoter(&mut tx, me.id).await?.ok_or_else(|| ApiError::not_found("promoter"))?;
    let mut bal = balance_of(&row);
    let available = bal.available;
    cl::request_withdrawal(rules, &mut bal, Money::from_fen(input.amount)).map_err(|r| {
        let reason = match r {
            WithdrawalRefusal::BelowMinimum => Reason::BelowMinimum { min_fen: rules.min },
            WithdrawalRefusal::AboveMaximum => Reason::AboveMaximum { max_fen: rules.max },
            WithdrawalRefusal::Insufficient => Reason::Insufficient { available_fen: available },
        };
        refused(StatusCode::UNPROCESSABLE_ENTITY, reason, r.field())
    })?;
    let id = st.store.insert_withdrawal(&mut tx, buyer.merchant_id, me.id, input.amount).await?;
    st.store.save_promoter_balance(&mut tx, me.id, cols(&bal)).await?;
    usecase::commit(st, tx, Effects::new()).await?;
    let w = st.store.withdrawal(buyer.merchant_id, id).await?.ok_or_else(|| ApiError::not_found("withdrawal"))?;
    Ok(withdrawal_dto(w))
}

// ---- the console's side -------------------------------------------------------------------------

pub async fn promoters(st: &AppState, admin: &Admin<ReadBuyers>, q: &StatusQuery) -> ApiResult<Paginated<PromoterDto>> {
    let (status, page) = q.parse(&PROMOTER_STATUSES)?;
    let rows = st.store.list_promoters(admin.merchant_id, &status, page.size(), page.offset()).await?;
    Ok(Paginated::new(rows.items.iter().map(promoter_dto).collect(), rows.total, page))
}

pub async fn promoter(st: &AppState, admin: &Admin<ReadBuyers>, id: i64) -> ApiResult<PromoterDto> {
    let p = st.store.promoter(admin.merchant_id, id).await?.ok_or_else(|| ApiError::not_found("promoter"))?;
    Ok(promoter_dto(&p))
}

/// A promoter's commissions, for the console.
pub async fn promoter_commissions(
    st: &AppState,
    admin: &Admin<ReadBuyers>,
    id: i64,
    q: &StatusQuery,
) -> ApiResult<Paginated<CommissionDto>> {
    let (status, page) = q.parse(&COMMISSION_STATUSES)?;
    let p = st.store.promoter(admin.merchant_id, id).await?.ok_or_else(|| ApiError::not_found("promoter"))?;
    let rows = st.store.promoter_commissions(p.id, &status, page.size(), page.offset()).await?;
    Ok(Paginated::new(rows.items.into_iter().map(commission_dto).collect(), rows.total, page))
}

/// What an operator does to a promoter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Approve,
    Reject,
    Suspend,
    Reinstate,
}

impl Decision {
    fn moves(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Decision::Approve => ("pending", "active", "promoter.approve"),
            Decision::Reject => ("pending", "rejected", "promoter.reject"),
            Decision::Suspend => ("active", "suspended", "promoter.suspend"),
            Decision::Reinstate => ("suspended", "active", "promoter.reinstate"),
        }
    }
}

/// Approve or refuse an application, suspend or reinstate a promoter; audited.
pub async fn decide(
    st: &AppState,
    admin: &Admin<ManageMembers>,
    call: &Call,
    id: i64,
    d: Decision,
    input: &NoteInput,
) -> ApiResult<PromoterDto> {
    let note = optional_text("note", &input.note, 200)?;
    let before = st.store.promoter(admin.merchant_id, id).await?.ok_or_else(|| ApiError::not_found("promoter"))?;
    let (from, to, action) = d.moves();
    let mut tx = st.store.begin().await?;
    if !st.store.decide_promoter(&mut tx, admin.merchant_id, id, from, to, &note).await? {
        let reason =
            if d == Decision::Approve || d == Decision::Reject { Reason::NotPending } else { Reason::StatusChanged };
        return Err(refused(StatusCode::CONFLICT, reason, "status"));
    }
    audit(
        st,
        &mut tx,
        admin,
        call,
        action,
        format!("promoter:{id}"),
        Some(serde_json::json!({"status": before.status})),
        Some(serde_json::json!({"status": to, "note": note})),
    )
    .await?;
    usecase::commit(st, tx, Effects::new()).await?;
    let p = st.store.promoter(admin.merchant_id, id).await?.ok_or_else(|| ApiError::not_found("promoter"))?;
    Ok(promoter_dto(&p))
}

pub async fn get_settings(st: &AppState, admin: &Admin<ManageMembers>) -> ApiResult<DistributionSettings> {
    settings::load(st, admin.merchant_id).await
}

/// Save the shop's distribution settings (every rule checked first, products the shop's own); audited.
pub async fn put_settings(
    st: &AppState,
    admin: &Admin<ManageSettings>,
    call: &Call,
    s: &DistributionSettings,
) -> ApiResult<DistributionSettings> {
    s.validate()?;
    for (i, o) in s.product_rates.iter().enumerate() {
        if st.store.product_title(admin.merchant_id, o.product_id).await?.is_none() {
            return Err(refused(
                StatusCode::UNPROCESSABLE_ENTITY,
                Reason::UnknownProduct,
                &format!("product_rates[{i}].product_id"),
            ));
        }
    }
    let before = settings::load(st, admin.merchant_id).await?;
    let mut tx = st.store.begin().await?;
    st.store.save_distribution_settings(&mut tx, admin.merchant_id, &s.to_row()).await?;
    audit(st, &mut tx, admin, call, "distribution.settings", "distribution".into(), to_json(&before), to_json(s))
        .await?;
    usecase::commit(st, tx, Effects::new()).await?;
    settings::load(st, admin.merchant_id).await
}

pub async fn withdrawals(
    st: &AppState,
    admin: &Admin<ReadFinance>,
    q: &StatusQuery,
) -> ApiResult<Paginated<WithdrawalDto>> {
    let (status, page) = q.parse(&WITHDRAWAL_STATUSES)?;
    let rows = st.store.list_withdrawals(admin.merchant_id, 0, &status, page.size(), page.offset()).await?;
    Ok(Paginated::new(rows.items.into_iter().map(withdrawal_dto).collect(), rows.total, page))
}

/// What finance does with a withdrawal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WithdrawalStep {
    Approve,
    Pay(PayoutKind),
    Reject,
}

/// Approve, pay or refuse a withdrawal; paying posts it (commission payable to the buyer's stored value or
/// the bank), refusing gives it back to the promoter (less what they owe by now). Audited.
pub async fn decide_withdrawal(
    st: &AppState,
    admin: &Admin<ReadFinance>,
    call: &Call,
    id: i64,
    step: WithdrawalStep,
    note: &str,
) -> ApiResult<WithdrawalDto> {
    let note = optional_text("note", note, 200)?;
    let w = st.store.withdrawal(admin.merchant_id, id).await?.ok_or_else(|| ApiError::not_found("withdrawal"))?;
    let not_pending = || refused(StatusCode::CONFLICT, Reason::WithdrawalNotPending, "status");
    let (from, to, action): (&str, &str, &str) = match step {
        WithdrawalStep::Approve => ("requested", "approved", "withdrawal.approve"),
        WithdrawalStep::Pay(_) => ("approved", "paid", "withdrawal.pay"),
        WithdrawalStep::Reject if w.status == "approved" => ("approved", "rejected", "withdrawal.reject"),
        WithdrawalStep::Reject => ("requested", "rejected", "withdrawal.reject"),
    };
    if w.status != from {
        return Err(not_pending());
    }
    let payout = match step {
        WithdrawalStep::Pay(PayoutKind::StoredValue) => Some(Payout::StoredValue),
        WithdrawalStep::Pay(PayoutKind::Bank) => Some(Payout::Bank),
        _ => None,
    };
    let now = minimall_store::now_ms();
    let mut tx = st.store.begin().await?;
    if !st
        .store
        .decide_withdrawal(&mut tx, admin.merchant_id, id, from, to, payout.map(Payout::as_str), &note, admin.id)
        .await?
    {
        return Err(not_pending());
    }
    if step != WithdrawalStep::Approve {
        let row =
            st.store.lock_promoter(&mut tx, w.promoter_id).await?.ok_or_else(|| ApiError::not_found("promoter"))?;
        let mut bal = balance_of(&row);
        let wd = Withdrawal { id, amount: Money::from_fen(w.amount) };
        let posting = match payout {
            Some(p) => Some(cl::pay_withdrawal(&mut bal, wd, p, now)),
            None => cl::return_withdrawal(&mut bal, wd, now).transpose(),
        };
        if let Some(p) = posting {
            let p = p.map_err(|e| ApiError::internal(format!("withdrawal step refused: {e}")))?;
            if payout == Some(Payout::StoredValue) {
                crate::stored_value::withdrawal_paid(st, &mut tx, admin.merchant_id, row.buyer_id, id, &p, admin.id)
                    .await?;
            } else {
                st.store.post(&mut tx, admin.merchant_id, &p, Some(admin.id)).await?;
            }
        }
        st.store.save_promoter_balance(&mut tx, w.promoter_id, cols(&bal)).await?;
    }
    audit(
        st,
        &mut tx,
        admin,
        call,
        action,
        format!("withdrawal:{id}"),
        Some(serde_json::json!({"status": w.status, "amount": w.amount})),
        Some(serde_json::json!({"status": to, "payout": payout.map(Payout::as_str), "note": note})),
    )
    .await?;
    usecase::commit(st, tx, Effects::new()).await?;
    let w = st.store.withdrawal(admin.merchant_id, id).await?.ok_or_else(|| ApiError::not_found("withdrawal"))?;
    Ok(withdrawal_dto(w))
}

// ---- the review queue of held commissions -------------------------------------------------------

#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CommissionQuery {
    /// Of one state only (`held`: the review queue).
    pub status: Option<CommissionStatusDto>,
    pub page: Option<i64>,
    pub page_size: Option<i64>,
}

/// The shop's commissions, newest first; of one state when asked (`held` is the review queue).
pub async fn commissions(
    st: &AppState,
    admin: &Admin<ReadBuyers>,
    q: &CommissionQuery,
) -> ApiResult<Paginated<CommissionDto>> {
    let page = Page::parse(q.page, q.page_size)?;
    let status = q.status.map(CommissionStatusDto::as_str).unwrap_or("");
    let rows = st.store.list_commissions(admin.merchant_id, status, page.size(), page.offset()).await?;
    Ok(Paginated::new(rows.items.into_iter().map(commission_dto).collect(), rows.total, page))
}

/// What an operator does with a held commission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommissionReview {
    /// Frozen again: it settles with its order (at once when the settlement period is over).
    Release,
    /// Reversed in full by a new posting.
    Reject,
}

/// Release or reject a commission the risk check held; audited with the hold's reasons.
pub async fn review_commission(
    st: &AppState,
    admin: &Admin<ManageMembers>,
    call: &Call,
    id: i64,
    what: CommissionReview,
) -> ApiResult<CommissionDto> {
    let c = st
        .store
        .commission(st.store.reader(), admin.merchant_id, id)
        .await?
        .ok_or_else(|| ApiError::not_found("commission"))?;
    let not_held = || refused(StatusCode::CONFLICT, Reason::CommissionNotHeld, "id");
    if c.status != "held" {
        return Err(not_held());
    }
    let settle_days = settings::load(st, admin.merchant_id).await?.settle_days;
    let now = minimall_store::now_ms();
    let mut tx = st.store.begin().await?;
    let row = st.store.lock_promoter(&mut tx, c.promoter_id).await?.ok_or_else(|| ApiError::not_found("promoter"))?;
    // As it is now, under the promoter's row (a refund may have reversed part of it meanwhile).
    let c = st.store.commission(&mut *tx, admin.merchant_id, id).await?.ok_or_else(not_held)?;
    let mut cc = super::commission_of(&c);
    let mut bal = balance_of(&row);
    let (to, action) = match what {
        CommissionReview::Release => {
            cl::release(&mut cc).map_err(|_| not_held())?;
            ("frozen", "commission.release")
        }
        CommissionReview::Reject => {
            let p = cl::reject(&mut cc, &mut bal, now).map_err(|_| not_held())?;
            super::post(st, &mut tx, admin.merchant_id, p).await?;
            ("rejected", "commission.reject")
        }
    };
    if !st.store.review_commission(&mut tx, id, to, cc.reversed.fen(), admin.id).await? {
        return Err(not_held());
    }
    let mut settled = false;
    if what == CommissionReview::Release {
        // The order's settlement ran while it was held: it settles now.
        let o = st.store.order(&mut *tx, minimall_store::orders::OrderScope::Trusted, c.order_id.into()).await?;
        let due = o.received_at.is_some_and(|r| r + settle_days.max(0) * super::DAY_MS <= now);
        if due {
            let p = cl::settle(&mut cc, &mut bal, now).map_err(super::ledger)?;
            super::post(st, &mut tx, admin.merchant_id, p).await?;
            if !st.store.update_commission(&mut tx, id, "frozen", c.refunded, cc.reversed.fen(), "settled").await? {
                return Err(ApiError::conflict_because(&Reason::CommissionChanged));
            }
            settled = true;
        }
    }
    st.store.save_promoter_balance(&mut tx, c.promoter_id, cols(&bal)).await?;
    let codes: Vec<&str> = c.hold_reasons.split(',').filter(|x| !x.is_empty()).collect();
    let before = serde_json::json!({"status": "held", "reasons": codes, "net": c.amount - c.reversed});
    let after = serde_json::json!({"status": if settled { "settled" } else { to }, "reversed": cc.reversed.fen()});
    audit(st, &mut tx, admin, call, action, format!("commission:{id}"), Some(before), Some(after)).await?;
    let row =
        st.store.commission(&mut *tx, admin.merchant_id, id).await?.ok_or_else(|| ApiError::not_found("commission"))?;
    usecase::commit(st, tx, Effects::new()).await?;
    Ok(commission_dto(row))
}

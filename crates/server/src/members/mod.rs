//! Members: levels and their benefits, points earned and expiring by lots, daily sign-in, buyer profiles,
//! tags and segments, the lifecycle. The rules are `minimall_core::members`; the rows `minimall_store::members`;
//! every grant and withdrawal of points is also a journal posting in the same transaction.
//!
//! The use cases here are shared by the JSON API (`admin_api.rs`, `shop_api.rs`) and the pages (`console.rs`,
//! `shop_pages.rs`). The order flow calls [`order_completed`] inside the transaction that completes an order.

pub mod admin_api;
pub mod cards;
pub mod console;
mod daily;
pub mod mall;
mod points_flow;
pub mod refusals;
pub mod segments;
mod settings;
pub mod shop_api;
pub mod shop_pages;
pub mod tasks;
mod yearly;

pub use daily::{daily_job, schedule_daily};
pub use points_flow::{adjust_points, expire_buyer, order_refunded};
pub use settings::{
    save_levels, save_settings, settings, Downgrade, ExpiryKind, LevelInput, LevelsInput, MemberSettings, SignInBonus,
};
pub use yearly::{schedule_yearly, yearly_job, YEARLY_JOB};

use minimall_core::error::Reason;
use minimall_core::ledger::build;
use minimall_core::members::levels::{self, DowngradePolicy, Occasion, Progress};
use minimall_core::members::lifecycle::StageDays;
use minimall_core::members::points::{self, ExpiryPolicy};
use minimall_core::members::signin::{AlreadySignedIn, SignInRule, StreakBonus};
use minimall_core::members::Level;
use minimall_core::Money;
use minimall_store::members::{LevelReason, LevelRow, LotSource, MemberSettingsRow};
use minimall_store::{StoreError, Tx};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiError, ApiResult};
use crate::members::refusals::MemberRefusal;
pub(crate) use crate::ops::audit::audit;
use crate::state::AppState;
use crate::usecase::{self, Effects};

/// The daily members job: points expiry, lifecycle stages, birthday benefits.
pub const DAILY_JOB: &str = "members.daily";
const MS_PER_DAY: i64 = 86_400_000;
/// Points expiring within this window are shown to the buyer as expiring soon.
pub const EXPIRY_NOTICE_MS: i64 = 30 * MS_PER_DAY;

/// A shop's member rules as read once per use case.
pub struct Rules {
    pub levels: Vec<LevelRow>,
    pub settings: MemberSettingsRow,
    /// The shop's deduction rate (points worth ¥1), which values points in the journal.
    pub points_per_yuan: i64,
}

impl Rules {
    pub fn core_levels(&self) -> Vec<Level> {
        self.levels.iter().map(LevelRow::level).collect()
    }

    pub fn level(&self, id: Option<i64>) -> Option<&LevelRow> {
        id.and_then(|id| self.levels.iter().find(|l| l.id == id))
    }

    pub fn expiry(&self) -> ExpiryPolicy {
        expiry_policy(&self.settings)
    }

    pub fn downgrade(&self) -> DowngradePolicy {
        DowngradePolicy::parse(&self.settings.downgrade).unwrap_or_default()
    }

    pub fn sign_in(&self) -> SignInRule {
        sign_in_rule(&self.settings)
    }

    pub fn stage_days(&self) -> StageDays {
        StageDays {
            new_days: self.settings.new_days.max(1) as u32,
            silent_after: self.settings.silent_after.max(1) as u32,
            churned_after: self.settings.churned_after.max(2) as u32,
        }
    }
}

pub fn expiry_policy(s: &MemberSettingsRow) -> ExpiryPolicy {
    match s.expiry.as_str() {
        "rolling" => ExpiryPolicy::Rolling { days: s.expiry_value.max(1) as u32 },
        "year_end" => ExpiryPolicy::YearEnd { years: s.expiry_value.max(0) as u32 },
        _ => ExpiryPolicy::Never,
    }
}

pub fn sign_in_rule(s: &MemberSettingsRow) -> SignInRule {
    let bonuses: Vec<(u32, u32)> = serde_json::from_str(&s.sign_in_bonuses).unwrap_or_default();
    SignInRule {
        base_points: s.sign_in_base.max(0) as u32,
        bonuses: bonuses.into_iter().map(|(day, points)| StreakBonus { day, points }).collect(),
        cycle_days: s.sign_in_cycle.max(0) as u32,
    }
}

/// The shop's member rules; a shop without levels gets the default table first.
pub async fn rules(st: &AppState, merchant_id: i64) -> ApiResult<Rules> {
    let mut levels = st.store.member_levels(merchant_id).await?;
    if levels.is_empty() && st.store.seed_member_levels(merchant_id, &levels::default_levels()).await? {
        levels = st.store.member_levels(merchant_id).await?;
    }
    let points_per_yuan = st.store.pricing_settings(merchant_id).await?.0.max(1);
    Ok(Rules { levels, settings: st.store.member_settings(merchant_id).await?, points_per_yuan })
}

/// [`rules`] read inside a write transaction (nothing through the read pool; a shop without levels keeps none).
pub async fn rules_in(tx: &mut Tx, merchant_id: i64) -> ApiResult<Rules> {
    let levels = minimall_store::members::levels(&mut **tx, merchant_id).await?;
    let settings = minimall_store::members::settings_in(&mut **tx, merchant_id).await?;
    let points_per_yuan = minimall_store::members::points_per_yuan_in(&mut **tx, merchant_id).await?.max(1);
    Ok(Rules { levels, settings, points_per_yuan })
}

fn ledger(e: minimall_core::ledger::LedgerError) -> ApiError {
    ApiError::internal(format!("journal posting refused: {e}"))
}

/// Read nothing through the read pool while a write transaction is open: on PostgreSQL both pools can be
/// the same, and a transaction waiting for a read connection that other waiting transactions hold would stall.
///
/// Give a buyer points inside `tx`: a lot with the shop's expiry, the balance and its history line, the
/// lifetime points earned, and the journal posting. `reference` names the cause once (a second grant with
/// the same reference is refused by the journal, so a retried job grants once).
#[allow(clippy::too_many_arguments)]
pub async fn grant_points(
    st: &AppState,
    tx: &mut Tx,
    rules: &Rules,
    merchant_id: i64,
    buyer_id: i64,
    points: i64,
    source: LotSource,
    reference: &str,
    now: i64,
) -> ApiResult<i64> {
    if points <= 0 {
        return minimall_store::members::points_balance_in(&mut **tx, buyer_id).await.map_err(Into::into);
    }
    let value = Money::from_fen(points::value_fen(points, rules.points_per_yuan));
    if let Some(p) = build::points_granted(reference, now, points, value).map_err(ledger)? {
        st.store.post(tx, merchant_id, &p, None).await.map_err(|e| match e {
            StoreError::Duplicate(_) => ApiError::conflict_because(&MemberRefusal::PointsGranted),
            o => o.into(),
        })?;
    }
    st.store
        .insert_points_lot(tx, merchant_id, buyer_id, source, reference, now, rules.expiry().expires_at(now), points)
        .await?;
    let balance = st.store.move_points(tx, merchant_id, buyer_id, points, source.as_str(), reference).await?;
    st.store.add_points_earned(tx, merchant_id, buyer_id, points).await?;
    Ok(balance)
}

/// Re-evaluate a buyer's level after their progress changed, inside `tx`.
pub async fn evaluate_level(
    st: &AppState,
    tx: &mut Tx,
    rules: &Rules,
    merchant_id: i64,
    buyer_id: i64,
    occasion: Occasion,
    now: i64,
) -> ApiResult<Option<levels::LevelChange>> {
    let Some(p) = minimall_store::members::profile(&mut **tx, merchant_id, buyer_id).await? else { return Ok(None) };
    let (completed_spend_fen, points_earned) = p.level_progress();
    let progress = Progress { completed_spend_fen, points_earned };
    let card = minimall_store::members::cards::active_card_level(&mut **tx, buyer_id, now).await?;
    let change =
        levels::evaluate_with_card(&rules.core_levels(), p.level_id, &progress, rules.downgrade(), occasion, card);
    if let Some(ch) = change {
        let reason = if occasion == Occasion::Yearly { LevelReason::Yearly } else { LevelReason::Progress };
        st.store.change_member_level(tx, merchant_id, buyer_id, ch.from, ch.to, reason, now).await?;
    }
    Ok(change)
}

/// An order completed (its after-sales window closed): its paid amount after refunds counts towards the
/// buyer's level, and its lines that earn points earn them at the level's multiplier. Runs in the
/// transaction that completes the order, once per order; `rules` are read before that transaction began.
pub async fn order_completed(
    st: &AppState,
    tx: &mut Tx,
    rules: &Rules,
    merchant_id: i64,
    buyer_id: i64,
    order_id: i64,
) -> ApiResult<()> {
    let now = minimall_store::now_ms();
    let lines = st.store.order_member_lines(tx, order_id).await?;
    let spend: i64 = lines.iter().map(|(paid, _)| *paid).sum();
    let before = st.store.add_member_spend(tx, merchant_id, buyer_id, spend, minimall_core::time::day_of(now)).await?;
    let multiplier =
        rules.level(before.level_id).map(|l| l.points_multiplier_pct.clamp(100, 1_000) as u32).unwrap_or(100);
    let earn_lines: Vec<points::EarnLine> =
        lines.iter().map(|(paid, earns)| points::EarnLine { paid_fen: *paid, earns: *earns }).collect();
    let earned = points::earned(&earn_lines, rules.settings.earn_per_yuan.max(0) as u32, multiplier);
    if earned > 0 {
        grant_points(st, tx, rules, merchant_id, buyer_id, earned, LotSource::Order, &format!("order:{order_id}"), now)
            .await?;
    }
    st.store.record_order_credit(tx, merchant_id, buyer_id, order_id, spend, earned, now).await?;
    evaluate_level(st, tx, rules, merchant_id, buyer_id, Occasion::Progress, now).await?;
    Ok(())
}

/// What a buyer sees of their membership.
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberCard {
    pub level: Option<LevelDto>,
    /// The next level up and what is missing to reach it.
    pub next: Option<NextLevelDto>,
    pub completed_spend_fen: i64,
    pub points_earned: i64,
    pub points_balance: i64,
    /// Points that expire within 30 days.
    pub points_expiring_soon: i64,
    pub signed_in_today: bool,
    /// The paid membership card held now.
    pub paid_card: Option<cards::HeldPaidCard>,
    /// Days in a row, counting today when signed in.
    pub streak: i32,
    /// Points the next sign-in gives.
    pub next_sign_in_points: i64,
    /// The member tasks: points once each.
    pub tasks: Vec<tasks::MemberTaskDto>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LevelDto {
    pub id: i64,
    #[schema(max_length = 20)]
    pub name: String,
    pub rank: i32,
    #[schema(max_length = 200)]
    pub badge: String,
    /// Completed spend that reaches the level, in fen.
    #[schema(minimum = 0, maximum = 10_000_000_000_i64)]
    pub min_spend_fen: Option<i64>,
    /// Points earned that reach the level.
    #[schema(minimum = 0, maximum = 10_000_000_000_i64)]
    pub min_points: Option<i64>,
    /// Both thresholds must be met (when both are set).
    pub both_required: bool,
    /// Member price as a percent of the sale price (95 = 5 % off).
    #[schema(minimum = 1, maximum = 99)]
    pub discount_pct: Option<i32>,
    pub free_shipping: bool,
    /// Points earned are multiplied by this percent (100 = ×1).
    #[schema(minimum = 100, maximum = 1000)]
    pub points_multiplier_pct: i32,
    pub birthday_coupon_id: Option<i64>,
}

impl From<&LevelRow> for LevelDto {
    fn from(l: &LevelRow) -> Self {
        LevelDto {
            id: l.id,
            name: l.name.clone(),
            rank: l.rank,
            badge: l.badge.clone(),
            min_spend_fen: l.min_spend_fen,
            min_points: l.min_points,
            both_required: l.both_required != 0,
            discount_pct: l.discount_pct,
            free_shipping: l.free_shipping != 0,
            points_multiplier_pct: l.points_multiplier_pct,
            birthday_coupon_id: l.birthday_coupon_id,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NextLevelDto {
    pub id: i64,
    pub name: String,
    pub spend_missing_fen: Option<i64>,
    pub points_missing: Option<i64>,
}

pub async fn card(st: &AppState, merchant_id: i64, buyer_id: i64) -> ApiResult<MemberCard> {
    let rules = rules(st, merchant_id).await?;
    let profile = st.store.member_profile(merchant_id, buyer_id).await?;
    let (level_id, spend, earned) =
        profile.as_ref().map(|p| (p.level_id, p.completed_spend_fen, p.points_earned)).unwrap_or((None, 0, 0));
    let (level_spend, level_points) = profile.as_ref().map(|p| p.level_progress()).unwrap_or((0, 0));
    let progress = Progress { completed_spend_fen: level_spend, points_earned: level_points };
    let core_levels = rules.core_levels();
    let next = levels::next_level(&core_levels, level_id, &progress).map(|n| NextLevelDto {
        id: n.level.id,
        name: n.level.name.clone(),
        spend_missing_fen: n.spend_missing_fen,
        points_missing: n.points_missing,
    });
    let now = minimall_store::now_ms();
    let balance = st.store.points_balance(buyer_id).await?;
    let lots = minimall_store::members::open_lots(st.store.reader(), buyer_id).await?;
    let settled = settled_lots(&lots, balance);
    let today = minimall_core::time::day_of(now).unwrap_or(0);
    let last = st.store.last_sign_in(buyer_id).await?;
    let rule = rules.sign_in();
    let signed_in_today = last.is_some_and(|(d, _)| d == today);
    let streak = match last {
        Some((d, s)) if d == today || d == today - 1 => s,
        _ => 0,
    };
    let next_sign_in_points = if signed_in_today {
        let tomorrow = rule.next_streak(last.map(|(d, s)| (d, s as u32)), today + 1).unwrap_or(1);
        rule.reward(tomorrow)
    } else {
        rule.reward(rule.next_streak(last.map(|(d, s)| (d, s as u32)), today).unwrap_or(1))
    };
    Ok(MemberCard {
        level: rules.level(level_id).map(LevelDto::from),
        next,
        completed_spend_fen: spend,
        points_earned: earned,
        points_balance: balance,
        points_expiring_soon: points::expiring_within(&settled, now, EXPIRY_NOTICE_MS),
        signed_in_today,
        paid_card: cards::held(st, buyer_id).await?,
        streak,
        next_sign_in_points,
        tasks: tasks::tasks(st, buyer_id, &rules.settings).await?,
    })
}

/// The lots as they stand once the balance's movements elsewhere are applied (see `points::settle`).
fn settled_lots(lots: &[points::Lot], balance: i64) -> Vec<points::Lot> {
    let takes = points::settle(lots, balance);
    lots.iter()
        .map(|l| {
            let taken: i64 = takes.iter().filter(|t| t.lot_id == l.id).map(|t| t.points).sum();
            points::Lot { remaining: l.remaining - taken, ..*l }
        })
        .collect()
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SignedIn {
    /// The shop day signed in (days since 1970-01-01, Beijing time).
    pub day: i64,
    pub streak: i32,
    pub points: i64,
    pub balance: i64,
}

/// Sign in for today: once per shop day, concurrent attempts included.
pub async fn sign_in(st: &AppState, merchant_id: i64, buyer_id: i64) -> ApiResult<SignedIn> {
    let rules = rules(st, merchant_id).await?;
    let rule = rules.sign_in();
    let now = minimall_store::now_ms();
    let today = minimall_core::time::day_of(now).ok_or_else(|| ApiError::internal("clock out of range"))?;
    let already = || ApiError::conflict_because(&MemberRefusal::SignedInToday).with_field("day");
    // Most repeated taps stop here, without a write transaction.
    if st.store.last_sign_in(buyer_id).await?.is_some_and(|(d, _)| d == today) {
        return Err(already());
    }
    let mut tx = st.store.begin().await?;
    st.store.ensure_member_profile(&mut tx, merchant_id, buyer_id).await?;
    let last = minimall_store::members::last_sign_in(&mut *tx, buyer_id).await?;
    let streak =
        rule.next_streak(last.map(|(d, s)| (d, s as u32)), today).map_err(|AlreadySignedIn { .. }| already())?;
    let points = rule.reward(streak);
    let streak = i32::try_from(streak).unwrap_or(i32::MAX);
    if !st.store.record_sign_in(&mut tx, merchant_id, buyer_id, today, streak, points, now).await? {
        return Err(already());
    }
    let balance = grant_points(
        st,
        &mut tx,
        &rules,
        merchant_id,
        buyer_id,
        points,
        LotSource::SignIn,
        &format!("sign_in:{buyer_id}:{today}"),
        now,
    )
    .await
    .map_err(|e| if e.status == axum::http::StatusCode::CONFLICT { already() } else { e })?;
    evaluate_level(st, &mut tx, &rules, merchant_id, buyer_id, Occasion::Progress, now).await?;
    usecase::commit(st, tx, Effects::new()).await?;
    Ok(SignedIn { day: today, streak, points, balance })
}

/// What a buyer tells about themselves for their membership.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileInput {
    /// `YYYY-MM-DD`; null to clear.
    #[schema(pattern = r"^\d{4}-\d{2}-\d{2}$")]
    pub birthday: Option<String>,
    /// female, male, unknown.
    #[schema(example = "female")]
    pub gender: String,
}

pub async fn save_profile(st: &AppState, merchant_id: i64, buyer_id: i64, p: ProfileInput) -> ApiResult<()> {
    let gender = minimall_core::members::segment::Gender::parse(&p.gender).ok_or_else(|| {
        ApiError::invalid_because("gender", &Reason::OneOf { allowed: "female, male, unknown".into() })
    })?;
    let today = minimall_core::time::day_of(minimall_store::now_ms()).unwrap_or(0);
    let birth_day = match p.birthday.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => {
            let d = minimall_core::time::parse_day(s)
                .ok_or_else(|| ApiError::invalid_because("birthday", &MemberRefusal::DateFormat))?;
            if d > today || d < today - 120 * 366 {
                return Err(ApiError::invalid_because("birthday", &MemberRefusal::BirthdayRange));
            }
            Some(d)
        }
        None => None,
    };
    let mut tx = st.store.begin().await?;
    st.store.set_member_details(&mut tx, merchant_id, buyer_id, birth_day, gender.as_str()).await?;
    st.store.refresh_member_region(&mut tx, merchant_id, buyer_id).await?;
    tasks::profile_changed(st, &mut tx, merchant_id, buyer_id).await?;
    usecase::commit(st, tx, Effects::new()).await
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SignInDay {
    /// `YYYY-MM-DD` in the shop's zone.
    pub date: String,
    pub streak: i32,
    pub points: i64,
}

/// A buyer's sign-ins in a month (`YYYY-MM`, default this month).
pub async fn sign_in_calendar(
    st: &AppState,
    buyer_id: i64,
    month: Option<&str>,
) -> ApiResult<(String, Vec<SignInDay>)> {
    let now = minimall_store::now_ms();
    let today = minimall_core::time::day_of(now).unwrap_or(0);
    let (y, m) = match month {
        Some(s) => parse_month(s).ok_or_else(|| ApiError::invalid_because("month", &MemberRefusal::MonthFormat))?,
        None => {
            let d = minimall_core::time::date_of_day(today).ok_or_else(|| ApiError::internal("clock"))?;
            (d.year(), d.month())
        }
    };
    let (first, last) = minimall_core::time::month_days(y, m)
        .ok_or_else(|| ApiError::invalid_because("month", &MemberRefusal::NoSuchMonth))?;
    let rows = st.store.sign_ins(buyer_id, first, last).await?;
    let days = rows
        .into_iter()
        .map(|r| SignInDay {
            date: minimall_core::time::date_of_day(r.day).map(|d| d.to_string()).unwrap_or_default(),
            streak: r.streak,
            points: r.points,
        })
        .collect();
    Ok((format!("{y:04}-{m:02}"), days))
}

fn parse_month(s: &str) -> Option<(i16, i8)> {
    let (y, m) = s.split_once('-')?;
    if y.len() != 4 || m.len() != 2 {
        return None;
    }
    let (y, m): (i16, i8) = (y.parse().ok()?, m.parse().ok()?);
    ((2000..=2100).contains(&y) && (1..=12).contains(&m)).then_some((y, m))
}

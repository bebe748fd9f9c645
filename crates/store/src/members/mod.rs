//! Members: levels, buyer profiles, level history, sign-ins, points lots, tags and segments.
//!
//! Reads take any executor (the read pool, or a write transaction as `&mut **tx`), so one function serves
//! both; writes take the transaction of the business change that causes them.

pub mod cards;
mod levels;
mod mall;
mod points;
mod segments;
pub mod tasks;

use minimall_core::members::{Level, Lot, Threshold};
use sqlx::{Any, Executor, FromRow};

pub use levels::MemberSettingsRow;
pub use mall::{ExchangeRefusal, MallItemRow};
pub use points::OrderCreditRow;

use crate::StoreResult;

#[derive(Debug, Clone, FromRow)]
pub struct LevelRow {
    pub id: i64,
    pub name: String,
    pub rank: i32,
    pub badge: String,
    pub min_spend_fen: Option<i64>,
    pub min_points: Option<i64>,
    pub both_required: i32,
    pub discount_pct: Option<i32>,
    pub free_shipping: i32,
    pub points_multiplier_pct: i32,
    pub birthday_coupon_id: Option<i64>,
}

impl LevelRow {
    /// The level as core's rules read it.
    pub fn level(&self) -> Level {
        Level {
            id: self.id,
            name: self.name.clone(),
            rank: self.rank,
            threshold: Threshold {
                min_spend_fen: self.min_spend_fen,
                min_points: self.min_points,
                both: self.both_required != 0,
            },
            benefits: minimall_core::members::Benefits {
                discount_pct: self.discount_pct.and_then(|p| u8::try_from(p).ok()),
                free_shipping: self.free_shipping != 0,
                points_multiplier_pct: u32::try_from(self.points_multiplier_pct).unwrap_or(100),
                birthday_coupon_id: self.birthday_coupon_id,
            },
        }
    }
}

/// A level as written: core's level plus its badge.
#[derive(Debug, Clone)]
pub struct LevelInput<'a> {
    pub level: &'a Level,
    pub badge: &'a str,
}

const LEVEL_COLS: &str = "id, name, rank, badge, min_spend_fen, min_points, both_required, discount_pct, free_shipping, points_multiplier_pct, birthday_coupon_id";

#[derive(Debug, Clone, FromRow)]
pub struct ProfileRow {
    pub buyer_id: i64,
    pub nickname: String,
    pub level_id: Option<i64>,
    pub completed_spend_fen: i64,
    pub points_earned: i64,
    pub orders_count: i64,
    pub registered_day: i64,
    pub first_order_day: Option<i64>,
    pub last_order_day: Option<i64>,
    pub birth_day: Option<i64>,
    pub gender: String,
    pub region: String,
    pub channel: String,
    pub stage: String,
    pub birthday_granted_year: Option<i32>,
    /// Spend and points before the last yearly re-evaluation's 12 months: they no longer count towards the level.
    pub level_base_spend_fen: i64,
    pub level_base_points: i64,
}

impl ProfileRow {
    /// What counts towards the level: the lifetime totals less what the last yearly re-evaluation left behind.
    pub fn level_progress(&self) -> (i64, i64) {
        (
            (self.completed_spend_fen - self.level_base_spend_fen).max(0),
            (self.points_earned - self.level_base_points).max(0),
        )
    }
}

const PROFILE_COLS: &str = "p.buyer_id, b.nickname, p.level_id, p.completed_spend_fen, p.points_earned, p.orders_count, p.registered_day, p.first_order_day, p.last_order_day, p.birth_day, p.gender, p.region, p.channel, p.stage, p.birthday_granted_year, p.level_base_spend_fen, p.level_base_points";

#[derive(Debug, Clone, FromRow)]
pub struct LevelHistoryRow {
    pub id: i64,
    pub from_level_id: Option<i64>,
    pub to_level_id: Option<i64>,
    pub reason: String,
    pub at: i64,
}

#[derive(Debug, Clone, FromRow)]
pub struct SignInRow {
    pub day: i64,
    pub streak: i32,
    pub points: i64,
}

#[derive(Debug, Clone, FromRow)]
pub struct TagRow {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub rule: Option<String>,
    pub buyers: i64,
}

#[derive(Debug, Clone, FromRow)]
pub struct SegmentRow {
    pub id: i64,
    pub name: String,
    pub filter: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Where a lot of points came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LotSource {
    Order,
    SignIn,
    Task,
    Adjust,
    Card,
}

impl LotSource {
    pub fn as_str(self) -> &'static str {
        match self {
            LotSource::Order => "order",
            LotSource::SignIn => "sign_in",
            LotSource::Task => "task",
            LotSource::Adjust => "adjust",
            LotSource::Card => "card",
        }
    }
}

/// Why a level changed (level history).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LevelReason {
    Progress,
    Yearly,
    Admin,
    Card,
}

impl LevelReason {
    pub fn as_str(self) -> &'static str {
        match self {
            LevelReason::Progress => "progress",
            LevelReason::Yearly => "yearly",
            LevelReason::Admin => "admin",
            LevelReason::Card => "card",
        }
    }
}

/// The shop's levels, lowest rank first.
pub async fn levels<'e>(ex: impl Executor<'e, Database = Any>, merchant_id: i64) -> StoreResult<Vec<LevelRow>> {
    let sql = format!("SELECT {LEVEL_COLS} FROM member_levels WHERE merchant_id = $1 ORDER BY rank");
    Ok(sqlx::query_as(&sql).bind(merchant_id).fetch_all(ex).await?)
}

/// A buyer's profile (`None` before the buyer has one).
pub async fn profile<'e>(
    ex: impl Executor<'e, Database = Any>,
    merchant_id: i64,
    buyer_id: i64,
) -> StoreResult<Option<ProfileRow>> {
    let sql = format!(
        "SELECT {PROFILE_COLS} FROM member_profiles p JOIN buyers b ON b.id = p.buyer_id WHERE p.merchant_id = $1 AND p.buyer_id = $2"
    );
    Ok(sqlx::query_as(&sql).bind(merchant_id).bind(buyer_id).fetch_optional(ex).await?)
}

/// The points lots of a buyer that still hold points, in no particular order.
pub async fn open_lots<'e>(ex: impl Executor<'e, Database = Any>, buyer_id: i64) -> StoreResult<Vec<Lot>> {
    let rows: Vec<(i64, i64, Option<i64>, i64)> = sqlx::query_as(
        "SELECT id, granted_at, expires_at, remaining FROM points_lots WHERE buyer_id = $1 AND remaining > 0",
    )
    .bind(buyer_id)
    .fetch_all(ex)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, granted_ms, expires_ms, remaining)| Lot { id, granted_ms, expires_ms, remaining })
        .collect())
}

/// The last sign-in of a buyer: (day, streak).
pub async fn last_sign_in<'e>(ex: impl Executor<'e, Database = Any>, buyer_id: i64) -> StoreResult<Option<(i64, i32)>> {
    Ok(sqlx::query_as("SELECT day, streak FROM sign_ins WHERE buyer_id = $1 ORDER BY day DESC LIMIT 1")
        .bind(buyer_id)
        .fetch_optional(ex)
        .await?)
}

/// A buyer's points balance, read with any executor.
pub async fn points_balance_in<'e>(ex: impl Executor<'e, Database = Any>, buyer_id: i64) -> StoreResult<i64> {
    let row: Option<(i64,)> = sqlx::query_as("SELECT balance FROM points_balances WHERE buyer_id = $1")
        .bind(buyer_id)
        .fetch_optional(ex)
        .await?;
    Ok(row.map(|r| r.0).unwrap_or(0))
}

/// The shop's member rules read with any executor (the defaults until the shop saves its own).
pub async fn settings_in<'e>(
    ex: impl Executor<'e, Database = Any>,
    merchant_id: i64,
) -> StoreResult<MemberSettingsRow> {
    let row = sqlx::query_as(
        "SELECT earn_per_yuan, expiry, expiry_value, downgrade, sign_in_base, sign_in_bonuses, sign_in_cycle, new_days, silent_after, churned_after,
                task_review_points, task_profile_points, task_share_points, yearly_review
         FROM member_settings WHERE merchant_id = $1",
    )
    .bind(merchant_id)
    .fetch_optional(ex)
    .await?;
    Ok(row.unwrap_or_default())
}

/// The shop's deduction rate (points worth ¥1), read with any executor.
pub async fn points_per_yuan_in<'e>(ex: impl Executor<'e, Database = Any>, merchant_id: i64) -> StoreResult<i64> {
    let (n,): (i64,) =
        sqlx::query_as("SELECT points_per_yuan FROM merchants WHERE id = $1").bind(merchant_id).fetch_one(ex).await?;
    Ok(n)
}

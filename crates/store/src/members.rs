//! Members: levels, buyer profiles, level history, sign-ins, points lots, tags and segments.
//!
//! Reads take any executor (the read pool, or a write transaction as `&mut **tx`), so one function serves
//! both; writes take the transaction of the business change that causes them.

use minimall_core::members::lifecycle::{Stage, StageDays};
use minimall_core::members::segment::{birth_days, Filter};
use minimall_core::members::{Level, Lot, Take, Threshold};
use sqlx::{Any, Executor, FromRow};

use crate::{Paged, Store, StoreError, StoreResult, Tx};

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
}

const PROFILE_COLS: &str = "p.buyer_id, b.nickname, p.level_id, p.completed_spend_fen, p.points_earned, p.orders_count, p.registered_day, p.first_order_day, p.last_order_day, p.birth_day, p.gender, p.region, p.channel, p.stage, p.birthday_granted_year";

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

/// One SQL condition built from a filter, with its values in placeholder order.
struct Condition {
    sql: String,
    args: Vec<Arg>,
}

enum Arg {
    Int(i64),
    Text(String),
}

impl Condition {
    fn new(merchant_id: i64) -> Self {
        Condition { sql: "p.merchant_id = $1".into(), args: vec![Arg::Int(merchant_id)] }
    }

    fn next(&mut self, a: Arg) -> String {
        self.args.push(a);
        format!("${}", self.args.len())
    }

    fn and(&mut self, part: &str) {
        self.sql.push_str(" AND ");
        self.sql.push_str(part);
    }

    fn list(&mut self, column: &str, values: Vec<Arg>) {
        if values.is_empty() {
            return;
        }
        let marks: Vec<String> = values.into_iter().map(|a| self.next(a)).collect();
        self.and(&format!("{column} IN ({})", marks.join(", ")));
    }

    fn bind<'q, O>(
        &'q self,
        mut q: sqlx::query::QueryAs<'q, Any, O, sqlx::any::AnyArguments<'q>>,
    ) -> sqlx::query::QueryAs<'q, Any, O, sqlx::any::AnyArguments<'q>> {
        for a in &self.args {
            q = match a {
                Arg::Int(v) => q.bind(*v),
                Arg::Text(v) => q.bind(v.as_str()),
            };
        }
        q
    }
}

/// The condition selecting a segment's buyers on shop day `today`.
fn segment_condition(merchant_id: i64, f: &Filter, today: i64) -> Condition {
    let mut c = Condition::new(merchant_id);
    c.list("COALESCE(p.level_id, 0)", f.level_ids.iter().map(|&v| Arg::Int(v)).collect());
    if !f.tag_ids.is_empty() {
        let marks: Vec<String> = f.tag_ids.iter().map(|&t| c.next(Arg::Int(t))).collect();
        c.and(&format!(
            "EXISTS (SELECT 1 FROM buyer_tags t WHERE t.buyer_id = p.buyer_id AND t.tag_id IN ({}))",
            marks.join(", ")
        ));
    }
    c.list("p.stage", f.stages.iter().map(|s| Arg::Text(s.as_str().into())).collect());
    c.list("p.region", f.regions.iter().map(|s| Arg::Text(s.clone())).collect());
    c.list("p.channel", f.channels.iter().map(|s| Arg::Text(s.clone())).collect());
    c.list("p.gender", f.genders.iter().map(|g| Arg::Text(g.as_str().into())).collect());
    for (column, op, v) in [
        ("p.completed_spend_fen", ">=", f.min_spend_fen),
        ("p.completed_spend_fen", "<=", f.max_spend_fen),
        ("p.orders_count", ">=", f.min_orders),
        ("p.orders_count", "<=", f.max_orders),
    ] {
        if let Some(v) = v {
            let m = c.next(Arg::Int(v));
            c.and(&format!("{column} {op} {m}"));
        }
    }
    if let Some(d) = f.ordered_within_days {
        let m = c.next(Arg::Int(today - d));
        c.and(&format!("p.last_order_day >= {m}"));
    }
    if let Some(d) = f.idle_days {
        let m = c.next(Arg::Int(today - d));
        c.and(&format!("(p.last_order_day IS NULL OR p.last_order_day <= {m})"));
    }
    if !f.age_bands.is_empty() {
        let mut parts = Vec::new();
        for band in &f.age_bands {
            if let Some((lo, hi)) = birth_days(*band, today) {
                let (a, b) = (c.next(Arg::Int(lo)), c.next(Arg::Int(hi)));
                parts.push(format!("p.birth_day BETWEEN {a} AND {b}"));
            }
        }
        if parts.is_empty() {
            c.and("1 = 0");
        } else {
            c.and(&format!("({})", parts.join(" OR ")));
        }
    }
    c
}

impl Store {
    /// Write the default levels when the shop has none yet. Returns whether it wrote them.
    pub async fn seed_member_levels(&self, merchant_id: i64, defaults: &[Level]) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM member_levels WHERE merchant_id = $1")
            .bind(merchant_id)
            .fetch_one(&mut *tx)
            .await?;
        if n > 0 {
            return Ok(false);
        }
        // Two first readers may seed at once: the ranks' uniqueness keeps one table.
        let now = crate::now_ms();
        let mut wrote = false;
        for l in defaults {
            let b = &l.benefits;
            let r = sqlx::query(
                "INSERT INTO member_levels (merchant_id, name, rank, badge, min_spend_fen, min_points, both_required, discount_pct, free_shipping, points_multiplier_pct, created_at, updated_at)
                 VALUES ($1, $2, $3, '', $4, $5, $6, $7, $8, $9, $10, $10) ON CONFLICT DO NOTHING",
            )
            .bind(merchant_id)
            .bind(l.name.trim())
            .bind(l.rank)
            .bind(l.threshold.min_spend_fen)
            .bind(l.threshold.min_points)
            .bind(i32::from(l.threshold.both))
            .bind(b.discount_pct.map(i32::from))
            .bind(i32::from(b.free_shipping))
            .bind(b.points_multiplier_pct as i32)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            wrote |= r.rows_affected() > 0;
        }
        tx.commit().await?;
        Ok(wrote)
    }

    pub async fn member_levels(&self, merchant_id: i64) -> StoreResult<Vec<LevelRow>> {
        levels(self.reader(), merchant_id).await
    }

    pub async fn insert_member_level(&self, tx: &mut Tx, merchant_id: i64, l: &LevelInput<'_>) -> StoreResult<i64> {
        let now = crate::now_ms();
        let b = &l.level.benefits;
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO member_levels (merchant_id, name, rank, badge, min_spend_fen, min_points, both_required, discount_pct, free_shipping, points_multiplier_pct, birthday_coupon_id, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) RETURNING id",
        )
        .bind(merchant_id)
        .bind(l.level.name.trim())
        .bind(l.level.rank)
        .bind(l.badge)
        .bind(l.level.threshold.min_spend_fen)
        .bind(l.level.threshold.min_points)
        .bind(i32::from(l.level.threshold.both))
        .bind(b.discount_pct.map(i32::from))
        .bind(i32::from(b.free_shipping))
        .bind(b.points_multiplier_pct as i32)
        .bind(b.birthday_coupon_id)
        .bind(now)
        .fetch_one(&mut **tx)
        .await
        .map_err(|e| level_dup(e, &l.level.name))?;
        Ok(id)
    }

    pub async fn update_member_level(&self, tx: &mut Tx, merchant_id: i64, l: &LevelInput<'_>) -> StoreResult<()> {
        let b = &l.level.benefits;
        let r = sqlx::query(
            "UPDATE member_levels SET name = $3, rank = $4, badge = $5, min_spend_fen = $6, min_points = $7, both_required = $8,
                    discount_pct = $9, free_shipping = $10, points_multiplier_pct = $11, birthday_coupon_id = $12, updated_at = $13
             WHERE merchant_id = $1 AND id = $2",
        )
        .bind(merchant_id)
        .bind(l.level.id)
        .bind(l.level.name.trim())
        .bind(l.level.rank)
        .bind(l.badge)
        .bind(l.level.threshold.min_spend_fen)
        .bind(l.level.threshold.min_points)
        .bind(i32::from(l.level.threshold.both))
        .bind(b.discount_pct.map(i32::from))
        .bind(i32::from(b.free_shipping))
        .bind(b.points_multiplier_pct as i32)
        .bind(b.birthday_coupon_id)
        .bind(crate::now_ms())
        .execute(&mut **tx)
        .await
        .map_err(|e| level_dup(e, &l.level.name))?;
        if r.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// Delete a level no buyer holds; refused with `Constraint` while someone holds it.
    pub async fn delete_member_level(&self, tx: &mut Tx, merchant_id: i64, id: i64) -> StoreResult<()> {
        let (held,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM member_profiles WHERE merchant_id = $1 AND level_id = $2")
                .bind(merchant_id)
                .bind(id)
                .fetch_one(&mut **tx)
                .await?;
        if held > 0 {
            return Err(StoreError::Constraint(format!("{held} buyers hold this level")));
        }
        sqlx::query(
            "DELETE FROM member_level_history WHERE merchant_id = $1 AND (from_level_id = $2 OR to_level_id = $2)",
        )
        .bind(merchant_id)
        .bind(id)
        .execute(&mut **tx)
        .await?;
        let r = sqlx::query("DELETE FROM member_levels WHERE merchant_id = $1 AND id = $2")
            .bind(merchant_id)
            .bind(id)
            .execute(&mut **tx)
            .await?;
        if r.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// Create the buyer's profile if it does not exist yet (registration day and channel from the buyer).
    pub async fn ensure_member_profile(&self, tx: &mut Tx, merchant_id: i64, buyer_id: i64) -> StoreResult<()> {
        let now = crate::now_ms();
        let (created_at, channel): (i64, String) =
            sqlx::query_as("SELECT created_at, channel FROM buyers WHERE merchant_id = $1 AND id = $2")
                .bind(merchant_id)
                .bind(buyer_id)
                .fetch_one(&mut **tx)
                .await?;
        let day = minimall_core::time::day_of(created_at).unwrap_or(0);
        sqlx::query(
            "INSERT INTO member_profiles (buyer_id, merchant_id, registered_day, channel, updated_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (buyer_id) DO NOTHING",
        )
        .bind(buyer_id)
        .bind(merchant_id)
        .bind(day)
        .bind(channel)
        .bind(now)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    pub async fn member_profile(&self, merchant_id: i64, buyer_id: i64) -> StoreResult<Option<ProfileRow>> {
        profile(self.reader(), merchant_id, buyer_id).await
    }

    /// Set what the buyer tells about themselves. `birth_day` is a shop day number.
    pub async fn set_member_details(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        buyer_id: i64,
        birth_day: Option<i64>,
        gender: &str,
    ) -> StoreResult<()> {
        self.ensure_member_profile(tx, merchant_id, buyer_id).await?;
        sqlx::query("UPDATE member_profiles SET birth_day = $3, gender = $4, updated_at = $5 WHERE merchant_id = $1 AND buyer_id = $2")
            .bind(merchant_id)
            .bind(buyer_id)
            .bind(birth_day)
            .bind(gender)
            .bind(crate::now_ms())
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    /// Follow the buyer's default address for the profile's region.
    pub async fn refresh_member_region(&self, tx: &mut Tx, merchant_id: i64, buyer_id: i64) -> StoreResult<()> {
        self.ensure_member_profile(tx, merchant_id, buyer_id).await?;
        sqlx::query(
            "UPDATE member_profiles SET region = COALESCE((SELECT a.province FROM addresses a WHERE a.buyer_id = $2 AND a.merchant_id = $1
                 ORDER BY a.is_default DESC, a.id DESC LIMIT 1), '')
             WHERE merchant_id = $1 AND buyer_id = $2",
        )
        .bind(merchant_id)
        .bind(buyer_id)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// Count spend that became final (`spend_fen` > 0, one more order on `day`) or was refunded afterwards
    /// (`spend_fen` < 0, `day` None). Returns the profile after the change.
    pub async fn add_member_spend(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        buyer_id: i64,
        spend_fen: i64,
        order_day: Option<i64>,
    ) -> StoreResult<ProfileRow> {
        self.ensure_member_profile(tx, merchant_id, buyer_id).await?;
        let orders = i64::from(order_day.is_some());
        sqlx::query(
            "UPDATE member_profiles SET completed_spend_fen = completed_spend_fen + $3, orders_count = orders_count + $4,
                    first_order_day = COALESCE(first_order_day, $5),
                    last_order_day = CASE WHEN $5 IS NULL THEN last_order_day WHEN last_order_day IS NULL OR last_order_day < $5 THEN $5 ELSE last_order_day END,
                    updated_at = $6
             WHERE merchant_id = $1 AND buyer_id = $2",
        )
        .bind(merchant_id)
        .bind(buyer_id)
        .bind(spend_fen)
        .bind(orders)
        .bind(order_day)
        .bind(crate::now_ms())
        .execute(&mut **tx)
        .await?;
        profile(&mut **tx, merchant_id, buyer_id).await?.ok_or(StoreError::NotFound)
    }

    /// Change the lifetime points earned (reversals pass a negative delta). Returns the new total.
    pub async fn add_points_earned(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        buyer_id: i64,
        delta: i64,
    ) -> StoreResult<i64> {
        self.ensure_member_profile(tx, merchant_id, buyer_id).await?;
        let (total,): (i64,) = sqlx::query_as(
            "UPDATE member_profiles SET points_earned = CASE WHEN points_earned + $3 < 0 THEN 0 ELSE points_earned + $3 END, updated_at = $4
             WHERE merchant_id = $1 AND buyer_id = $2 RETURNING points_earned",
        )
        .bind(merchant_id)
        .bind(buyer_id)
        .bind(delta)
        .bind(crate::now_ms())
        .fetch_one(&mut **tx)
        .await?;
        Ok(total)
    }

    /// Move a buyer from `from` to `to` and record it. Refused with `Constraint` when the buyer no longer holds
    /// `from` (a concurrent change won), so a level change is recorded once.
    #[allow(clippy::too_many_arguments)]
    pub async fn change_member_level(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        buyer_id: i64,
        from: Option<i64>,
        to: Option<i64>,
        reason: LevelReason,
        at: i64,
    ) -> StoreResult<()> {
        let r = sqlx::query(
            "UPDATE member_profiles SET level_id = $4, updated_at = $5 WHERE merchant_id = $1 AND buyer_id = $2 AND COALESCE(level_id, 0) = $3",
        )
        .bind(merchant_id)
        .bind(buyer_id)
        .bind(from.unwrap_or(0))
        .bind(to)
        .bind(at)
        .execute(&mut **tx)
        .await?;
        if r.rows_affected() == 0 {
            return Err(StoreError::Constraint("the member's level changed meanwhile".into()));
        }
        sqlx::query(
            "INSERT INTO member_level_history (merchant_id, buyer_id, from_level_id, to_level_id, reason, at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(merchant_id)
        .bind(buyer_id)
        .bind(from)
        .bind(to)
        .bind(reason.as_str())
        .bind(at)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    pub async fn member_level_history(
        &self,
        merchant_id: i64,
        buyer_id: i64,
        limit: i64,
        offset: i64,
    ) -> StoreResult<Paged<LevelHistoryRow>> {
        let items = sqlx::query_as(
            "SELECT id, from_level_id, to_level_id, reason, at FROM member_level_history WHERE merchant_id = $1 AND buyer_id = $2
             ORDER BY id DESC LIMIT $3 OFFSET $4",
        )
        .bind(merchant_id)
        .bind(buyer_id)
        .bind(limit)
        .bind(offset)
        .fetch_all(self.reader())
        .await?;
        let (total,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM member_level_history WHERE merchant_id = $1 AND buyer_id = $2")
                .bind(merchant_id)
                .bind(buyer_id)
                .fetch_one(self.reader())
                .await?;
        Ok(Paged { items, total })
    }

    /// Record a sign-in. `false` when the buyer already signed in that day (a concurrent sign-in won).
    #[allow(clippy::too_many_arguments)]
    pub async fn record_sign_in(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        buyer_id: i64,
        day: i64,
        streak: i32,
        points: i64,
        at: i64,
    ) -> StoreResult<bool> {
        let r = sqlx::query(
            "INSERT INTO sign_ins (buyer_id, day, merchant_id, streak, points, at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (buyer_id, day) DO NOTHING",
        )
        .bind(buyer_id)
        .bind(day)
        .bind(merchant_id)
        .bind(streak)
        .bind(points)
        .bind(at)
        .execute(&mut **tx)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// A buyer's sign-ins between two shop days (inclusive), for the calendar.
    pub async fn sign_ins(&self, buyer_id: i64, from_day: i64, to_day: i64) -> StoreResult<Vec<SignInRow>> {
        Ok(sqlx::query_as(
            "SELECT day, streak, points FROM sign_ins WHERE buyer_id = $1 AND day BETWEEN $2 AND $3 ORDER BY day",
        )
        .bind(buyer_id)
        .bind(from_day)
        .bind(to_day)
        .fetch_all(self.reader())
        .await?)
    }

    pub async fn last_sign_in(&self, buyer_id: i64) -> StoreResult<Option<(i64, i32)>> {
        last_sign_in(self.reader(), buyer_id).await
    }

    /// Add a lot of points. Returns its id.
    #[allow(clippy::too_many_arguments)]
    pub async fn insert_points_lot(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        buyer_id: i64,
        source: LotSource,
        reference: &str,
        granted_at: i64,
        expires_at: Option<i64>,
        amount: i64,
    ) -> StoreResult<i64> {
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO points_lots (merchant_id, buyer_id, source, reference, granted_at, expires_at, amount, remaining)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
        )
        .bind(merchant_id)
        .bind(buyer_id)
        .bind(source.as_str())
        .bind(reference)
        .bind(granted_at)
        .bind(expires_at)
        .bind(amount)
        .fetch_one(&mut **tx)
        .await?;
        Ok(id)
    }

    /// Take points from lots, each by a guarded update: a lot that no longer holds what core planned to take
    /// (a concurrent spend) refuses the whole transaction with `Constraint`.
    pub async fn take_from_lots(&self, tx: &mut Tx, buyer_id: i64, takes: &[Take]) -> StoreResult<()> {
        for t in takes {
            let r = sqlx::query(
                "UPDATE points_lots SET remaining = remaining - $3 WHERE id = $1 AND buyer_id = $2 AND remaining >= $3",
            )
            .bind(t.lot_id)
            .bind(buyer_id)
            .bind(t.points)
            .execute(&mut **tx)
            .await?;
            if r.rows_affected() == 0 {
                return Err(StoreError::Constraint("points lot changed meanwhile".into()));
            }
        }
        Ok(())
    }

    /// Open lots of a buyer, read in the write transaction that will spend them.
    pub async fn open_lots(&self, tx: &mut Tx, buyer_id: i64) -> StoreResult<Vec<Lot>> {
        open_lots(&mut **tx, buyer_id).await
    }

    /// Buyers with lots that expired by `now` and still hold points, at most `limit`.
    pub async fn buyers_with_expired_lots(&self, merchant_id: i64, now: i64, limit: i64) -> StoreResult<Vec<i64>> {
        let rows: Vec<(i64,)> = sqlx::query_as(
            "SELECT DISTINCT buyer_id FROM points_lots WHERE merchant_id = $1 AND expires_at <= $2 AND remaining > 0 ORDER BY buyer_id LIMIT $3",
        )
        .bind(merchant_id)
        .bind(now)
        .bind(limit)
        .fetch_all(self.reader())
        .await?;
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    pub async fn create_member_tag(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        name: &str,
        rule: Option<&str>,
    ) -> StoreResult<i64> {
        let kind = if rule.is_some() { "rule" } else { "manual" };
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO member_tags (merchant_id, name, kind, rule, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(merchant_id)
        .bind(name.trim())
        .bind(kind)
        .bind(rule)
        .bind(crate::now_ms())
        .fetch_one(&mut **tx)
        .await
        .map_err(|e| match StoreError::from(e) {
            StoreError::Duplicate(_) => StoreError::Duplicate(format!("tag {name}")),
            other => other,
        })?;
        Ok(id)
    }

    /// Tags with the number of buyers carrying each, paginated.
    pub async fn member_tags(&self, merchant_id: i64, limit: i64, offset: i64) -> StoreResult<Paged<TagRow>> {
        let items = sqlx::query_as(
            "SELECT t.id, t.name, t.kind, t.rule, (SELECT COUNT(*) FROM buyer_tags bt WHERE bt.tag_id = t.id) AS buyers
             FROM member_tags t WHERE t.merchant_id = $1 ORDER BY t.id LIMIT $2 OFFSET $3",
        )
        .bind(merchant_id)
        .bind(limit)
        .bind(offset)
        .fetch_all(self.reader())
        .await?;
        let (total,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM member_tags WHERE merchant_id = $1")
            .bind(merchant_id)
            .fetch_one(self.reader())
            .await?;
        Ok(Paged { items, total })
    }

    /// Put a tag on buyers of this shop; buyers who carry it already are skipped. Returns how many were tagged.
    pub async fn tag_buyers(&self, tx: &mut Tx, merchant_id: i64, tag_id: i64, buyer_ids: &[i64]) -> StoreResult<u64> {
        let mut n = 0;
        for b in buyer_ids {
            let r = sqlx::query(
                "INSERT INTO buyer_tags (tag_id, buyer_id, merchant_id, tagged_at)
                 SELECT t.id, b.id, $3, $4 FROM member_tags t, buyers b
                 WHERE t.id = $1 AND t.merchant_id = $3 AND b.id = $2 AND b.merchant_id = $3
                 ON CONFLICT (tag_id, buyer_id) DO NOTHING",
            )
            .bind(tag_id)
            .bind(*b)
            .bind(merchant_id)
            .bind(crate::now_ms())
            .execute(&mut **tx)
            .await?;
            n += r.rows_affected();
        }
        Ok(n)
    }

    /// Put a tag on every buyer of a segment filter (bulk tagging by a filter). Returns how many were tagged.
    pub async fn tag_segment(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        tag_id: i64,
        filter: &Filter,
        today: i64,
    ) -> StoreResult<u64> {
        let mut c = segment_condition(merchant_id, filter, today);
        let (t, at) = (c.next(Arg::Int(tag_id)), c.next(Arg::Int(crate::now_ms())));
        let sql = format!(
            "INSERT INTO buyer_tags (tag_id, buyer_id, merchant_id, tagged_at)
             SELECT {t}, p.buyer_id, p.merchant_id, {at} FROM member_profiles p
             WHERE {} AND EXISTS (SELECT 1 FROM member_tags mt WHERE mt.id = {t} AND mt.merchant_id = $1)
             ON CONFLICT (tag_id, buyer_id) DO NOTHING",
            c.sql
        );
        let mut q = sqlx::query(&sql);
        for a in &c.args {
            q = match a {
                Arg::Int(v) => q.bind(*v),
                Arg::Text(v) => q.bind(v.as_str()),
            };
        }
        Ok(q.execute(&mut **tx).await?.rows_affected())
    }

    pub async fn untag_buyer(&self, tx: &mut Tx, merchant_id: i64, tag_id: i64, buyer_id: i64) -> StoreResult<bool> {
        let r = sqlx::query("DELETE FROM buyer_tags WHERE merchant_id = $1 AND tag_id = $2 AND buyer_id = $3")
            .bind(merchant_id)
            .bind(tag_id)
            .bind(buyer_id)
            .execute(&mut **tx)
            .await?;
        Ok(r.rows_affected() == 1)
    }

    pub async fn delete_member_tag(&self, tx: &mut Tx, merchant_id: i64, tag_id: i64) -> StoreResult<()> {
        sqlx::query("DELETE FROM buyer_tags WHERE merchant_id = $1 AND tag_id = $2")
            .bind(merchant_id)
            .bind(tag_id)
            .execute(&mut **tx)
            .await?;
        let r = sqlx::query("DELETE FROM member_tags WHERE merchant_id = $1 AND id = $2")
            .bind(merchant_id)
            .bind(tag_id)
            .execute(&mut **tx)
            .await?;
        if r.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// The tag ids a buyer carries.
    pub async fn tags_of_buyer(&self, merchant_id: i64, buyer_id: i64) -> StoreResult<Vec<i64>> {
        let rows: Vec<(i64,)> =
            sqlx::query_as("SELECT tag_id FROM buyer_tags WHERE merchant_id = $1 AND buyer_id = $2 ORDER BY tag_id")
                .bind(merchant_id)
                .bind(buyer_id)
                .fetch_all(self.reader())
                .await?;
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    /// Buyers matching a filter on shop day `today`: one page and the total count.
    pub async fn segment_members(
        &self,
        merchant_id: i64,
        filter: &Filter,
        today: i64,
        limit: i64,
        offset: i64,
    ) -> StoreResult<Paged<ProfileRow>> {
        let c = segment_condition(merchant_id, filter, today);
        let n = c.args.len();
        let list = format!(
            "SELECT {PROFILE_COLS} FROM member_profiles p JOIN buyers b ON b.id = p.buyer_id WHERE {} ORDER BY p.buyer_id DESC LIMIT ${} OFFSET ${}",
            c.sql,
            n + 1,
            n + 2
        );
        let items =
            c.bind(sqlx::query_as::<_, ProfileRow>(&list)).bind(limit).bind(offset).fetch_all(self.reader()).await?;
        let total = self.segment_count(merchant_id, filter, today).await?;
        Ok(Paged { items, total })
    }

    pub async fn segment_count(&self, merchant_id: i64, filter: &Filter, today: i64) -> StoreResult<i64> {
        let c = segment_condition(merchant_id, filter, today);
        let sql = format!("SELECT COUNT(*) FROM member_profiles p WHERE {}", c.sql);
        let (total,): (i64,) = c.bind(sqlx::query_as(&sql)).fetch_one(self.reader()).await?;
        Ok(total)
    }

    pub async fn create_segment(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        name: &str,
        filter_json: &str,
    ) -> StoreResult<i64> {
        let now = crate::now_ms();
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO segments (merchant_id, name, filter, created_at, updated_at) VALUES ($1, $2, $3, $4, $4) RETURNING id",
        )
        .bind(merchant_id)
        .bind(name.trim())
        .bind(filter_json)
        .bind(now)
        .fetch_one(&mut **tx)
        .await
        .map_err(|e| match StoreError::from(e) {
            StoreError::Duplicate(_) => StoreError::Duplicate(format!("segment {name}")),
            other => other,
        })?;
        Ok(id)
    }

    pub async fn update_segment(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        id: i64,
        name: &str,
        filter_json: &str,
    ) -> StoreResult<()> {
        let r = sqlx::query(
            "UPDATE segments SET name = $3, filter = $4, updated_at = $5 WHERE merchant_id = $1 AND id = $2",
        )
        .bind(merchant_id)
        .bind(id)
        .bind(name.trim())
        .bind(filter_json)
        .bind(crate::now_ms())
        .execute(&mut **tx)
        .await
        .map_err(|e| match StoreError::from(e) {
            StoreError::Duplicate(_) => StoreError::Duplicate(format!("segment {name}")),
            other => other,
        })?;
        if r.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    pub async fn delete_segment(&self, tx: &mut Tx, merchant_id: i64, id: i64) -> StoreResult<()> {
        let r = sqlx::query("DELETE FROM segments WHERE merchant_id = $1 AND id = $2")
            .bind(merchant_id)
            .bind(id)
            .execute(&mut **tx)
            .await?;
        if r.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    pub async fn segment(&self, merchant_id: i64, id: i64) -> StoreResult<SegmentRow> {
        sqlx::query_as(
            "SELECT id, name, filter, created_at, updated_at FROM segments WHERE merchant_id = $1 AND id = $2",
        )
        .bind(merchant_id)
        .bind(id)
        .fetch_optional(self.reader())
        .await?
        .ok_or(StoreError::NotFound)
    }

    pub async fn segments(&self, merchant_id: i64, limit: i64, offset: i64) -> StoreResult<Paged<SegmentRow>> {
        let items = sqlx::query_as(
            "SELECT id, name, filter, created_at, updated_at FROM segments WHERE merchant_id = $1 ORDER BY id DESC LIMIT $2 OFFSET $3",
        )
        .bind(merchant_id)
        .bind(limit)
        .bind(offset)
        .fetch_all(self.reader())
        .await?;
        let (total,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM segments WHERE merchant_id = $1")
            .bind(merchant_id)
            .fetch_one(self.reader())
            .await?;
        Ok(Paged { items, total })
    }

    /// Recompute the lifecycle stage of the profiles with `buyer_id > after`, at most `batch` of them, in one
    /// short transaction (the daily job walks the shop batch by batch so that checkout's writes interleave).
    /// Returns how many changed and the last buyer id looked at (`None` when the walk is done).
    pub async fn recompute_stages(
        &self,
        merchant_id: i64,
        days: StageDays,
        today: i64,
        after: i64,
        batch: i64,
    ) -> StoreResult<(u64, Option<i64>)> {
        let mut tx = self.begin().await?;
        let (last,): (Option<i64>,) = sqlx::query_as(
            "SELECT MAX(buyer_id) FROM (SELECT buyer_id FROM member_profiles WHERE merchant_id = $1 AND buyer_id > $2 ORDER BY buyer_id LIMIT $3) s",
        )
        .bind(merchant_id)
        .bind(after)
        .bind(batch)
        .fetch_one(&mut *tx)
        .await?;
        let Some(last) = last else {
            return Ok((0, None));
        };
        // the same rule as core's `lifecycle::stage`, which the tests compare it with
        let r = sqlx::query(
            "UPDATE member_profiles SET stage = CASE
                 WHEN $3 - COALESCE(first_order_day, registered_day) < $4 THEN 'new'
                 WHEN $3 - COALESCE(last_order_day, registered_day) <= $5 THEN 'active'
                 WHEN $3 - COALESCE(last_order_day, registered_day) <= $6 THEN 'silent'
                 ELSE 'churned' END
             WHERE merchant_id = $1 AND buyer_id > $2 AND buyer_id <= $7 AND stage <> CASE
                 WHEN $3 - COALESCE(first_order_day, registered_day) < $4 THEN 'new'
                 WHEN $3 - COALESCE(last_order_day, registered_day) <= $5 THEN 'active'
                 WHEN $3 - COALESCE(last_order_day, registered_day) <= $6 THEN 'silent'
                 ELSE 'churned' END",
        )
        .bind(merchant_id)
        .bind(after)
        .bind(today)
        .bind(i64::from(days.new_days))
        .bind(i64::from(days.silent_after))
        .bind(i64::from(days.churned_after))
        .bind(last)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok((r.rows_affected(), Some(last)))
    }

    /// Count of buyers per lifecycle stage (every stage listed, zero included).
    pub async fn stage_counts(&self, merchant_id: i64) -> StoreResult<Vec<(Stage, i64)>> {
        let rows: Vec<(String, i64)> =
            sqlx::query_as("SELECT stage, COUNT(*) FROM member_profiles WHERE merchant_id = $1 GROUP BY stage")
                .bind(merchant_id)
                .fetch_all(self.reader())
                .await?;
        Ok(Stage::ALL
            .iter()
            .map(|s| (*s, rows.iter().find(|(n, _)| n == s.as_str()).map(|r| r.1).unwrap_or(0)))
            .collect())
    }
}

fn level_dup(e: sqlx::Error, name: &str) -> StoreError {
    match StoreError::from(e) {
        StoreError::Duplicate(m) if m.contains("rank") => StoreError::Duplicate("level rank".into()),
        StoreError::Duplicate(_) => StoreError::Duplicate(format!("level {name}")),
        other => other,
    }
}

/// The shop's member rules (the defaults until the shop saves its own).
#[derive(Debug, Clone, FromRow, PartialEq, Eq)]
pub struct MemberSettingsRow {
    /// Points earned per whole yuan paid (before the level's multiplier).
    pub earn_per_yuan: i32,
    /// never, rolling (expiry_value days), year_end (expiry_value years after the grant's year).
    pub expiry: String,
    pub expiry_value: i32,
    /// keep, follow.
    pub downgrade: String,
    pub sign_in_base: i32,
    /// JSON `[[day, points], …]`.
    pub sign_in_bonuses: String,
    pub sign_in_cycle: i32,
    pub new_days: i32,
    pub silent_after: i32,
    pub churned_after: i32,
}

impl Default for MemberSettingsRow {
    fn default() -> Self {
        MemberSettingsRow {
            earn_per_yuan: 1,
            expiry: "year_end".into(),
            expiry_value: 1,
            downgrade: "keep".into(),
            sign_in_base: 5,
            sign_in_bonuses: "[[3,10],[7,30]]".into(),
            sign_in_cycle: 7,
            new_days: 30,
            silent_after: 60,
            churned_after: 180,
        }
    }
}

impl Store {
    pub async fn member_settings(&self, merchant_id: i64) -> StoreResult<MemberSettingsRow> {
        let row = sqlx::query_as(
            "SELECT earn_per_yuan, expiry, expiry_value, downgrade, sign_in_base, sign_in_bonuses, sign_in_cycle, new_days, silent_after, churned_after
             FROM member_settings WHERE merchant_id = $1",
        )
        .bind(merchant_id)
        .fetch_optional(self.reader())
        .await?;
        Ok(row.unwrap_or_default())
    }

    pub async fn set_member_settings(&self, tx: &mut Tx, merchant_id: i64, s: &MemberSettingsRow) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO member_settings (merchant_id, earn_per_yuan, expiry, expiry_value, downgrade, sign_in_base, sign_in_bonuses, sign_in_cycle, new_days, silent_after, churned_after, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
             ON CONFLICT (merchant_id) DO UPDATE SET earn_per_yuan = excluded.earn_per_yuan, expiry = excluded.expiry,
                 expiry_value = excluded.expiry_value, downgrade = excluded.downgrade, sign_in_base = excluded.sign_in_base,
                 sign_in_bonuses = excluded.sign_in_bonuses, sign_in_cycle = excluded.sign_in_cycle, new_days = excluded.new_days,
                 silent_after = excluded.silent_after, churned_after = excluded.churned_after, updated_at = excluded.updated_at",
        )
        .bind(merchant_id)
        .bind(s.earn_per_yuan)
        .bind(&s.expiry)
        .bind(s.expiry_value)
        .bind(&s.downgrade)
        .bind(s.sign_in_base)
        .bind(&s.sign_in_bonuses)
        .bind(s.sign_in_cycle)
        .bind(s.new_days)
        .bind(s.silent_after)
        .bind(s.churned_after)
        .bind(crate::now_ms())
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// What an order contributes to its buyer's membership when it completes: the paid amount of each line
    /// after refunds (apportioned, as the order recorded it), and whether its product earns points.
    pub async fn order_member_lines(&self, tx: &mut Tx, order_id: i64) -> StoreResult<Vec<(i64, bool)>> {
        let rows: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT l.paid_amount - l.refunded_amount, COALESCE(p.earns_points, 1) FROM order_lines l
             LEFT JOIN products p ON p.id = l.product_id WHERE l.order_id = $1",
        )
        .bind(order_id)
        .fetch_all(&mut **tx)
        .await?;
        Ok(rows.into_iter().map(|(paid, earns)| (paid.max(0), earns != 0)).collect())
    }
}

/// A buyer's points balance, read with any executor.
pub async fn points_balance_in<'e>(ex: impl Executor<'e, Database = Any>, buyer_id: i64) -> StoreResult<i64> {
    let row: Option<(i64,)> = sqlx::query_as("SELECT balance FROM points_balances WHERE buyer_id = $1")
        .bind(buyer_id)
        .fetch_optional(ex)
        .await?;
    Ok(row.map(|r| r.0).unwrap_or(0))
}

#[derive(Debug, Clone, FromRow)]
pub struct MallItemRow {
    pub id: i64,
    pub title: String,
    pub coupon_template_id: i64,
    pub points_price: i64,
    pub stock: i64,
    pub per_buyer_limit: i64,
    pub exchanged: i64,
    pub on_sale: i32,
}

const MALL_COLS: &str = "id, title, coupon_template_id, points_price, stock, per_buyer_limit, exchanged, on_sale";

/// Why an exchange in the points mall was refused.
#[derive(Debug)]
pub enum ExchangeRefusal {
    NotFound,
    SoldOut,
    LimitReached { limit: i64 },
}

impl Store {
    pub async fn mall_items(
        &self,
        merchant_id: i64,
        on_sale_only: bool,
        limit: i64,
        offset: i64,
    ) -> StoreResult<Paged<MallItemRow>> {
        let filter = if on_sale_only { "merchant_id = $1 AND on_sale = 1" } else { "merchant_id = $1" };
        let items = sqlx::query_as(&format!(
            "SELECT {MALL_COLS} FROM points_mall_items WHERE {filter} ORDER BY id DESC LIMIT $2 OFFSET $3"
        ))
        .bind(merchant_id)
        .bind(limit)
        .bind(offset)
        .fetch_all(self.reader())
        .await?;
        let (total,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM points_mall_items WHERE {filter}"))
            .bind(merchant_id)
            .fetch_one(self.reader())
            .await?;
        Ok(Paged { items, total })
    }

    pub async fn mall_item(&self, merchant_id: i64, id: i64) -> StoreResult<MallItemRow> {
        sqlx::query_as(&format!("SELECT {MALL_COLS} FROM points_mall_items WHERE merchant_id = $1 AND id = $2"))
            .bind(merchant_id)
            .bind(id)
            .fetch_optional(self.reader())
            .await?
            .ok_or(StoreError::NotFound)
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn create_mall_item(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        title: &str,
        coupon_template_id: i64,
        points_price: i64,
        stock: i64,
        per_buyer_limit: i64,
    ) -> StoreResult<i64> {
        let now = crate::now_ms();
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO points_mall_items (merchant_id, title, coupon_template_id, points_price, stock, per_buyer_limit, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
        )
        .bind(merchant_id)
        .bind(title)
        .bind(coupon_template_id)
        .bind(points_price)
        .bind(stock)
        .bind(per_buyer_limit)
        .bind(now)
        .fetch_one(&mut **tx)
        .await?;
        Ok(id)
    }

    /// Change what is on offer: stock added (or removed, never below zero) and whether it is on sale.
    pub async fn update_mall_item(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        id: i64,
        stock_delta: i64,
        on_sale: bool,
    ) -> StoreResult<()> {
        let r = sqlx::query(
            "UPDATE points_mall_items SET stock = stock + $3, on_sale = $4, updated_at = $5
             WHERE merchant_id = $1 AND id = $2 AND stock + $3 >= 0",
        )
        .bind(merchant_id)
        .bind(id)
        .bind(stock_delta)
        .bind(i32::from(on_sale))
        .bind(crate::now_ms())
        .execute(&mut **tx)
        .await?;
        if r.rows_affected() == 0 {
            return Err(StoreError::Constraint("stock would fall below zero, or no such item".into()));
        }
        Ok(())
    }

    /// Take one unit of an item for a buyer inside `tx`: the stock by a guarded update (concurrent exchanges of
    /// the last units yield exactly that many), then the buyer's limit.
    pub async fn take_mall_item(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        id: i64,
        buyer_id: i64,
    ) -> StoreResult<Result<MallItemRow, ExchangeRefusal>> {
        let r = sqlx::query(
            "UPDATE points_mall_items SET stock = stock - 1, exchanged = exchanged + 1, updated_at = $3
             WHERE merchant_id = $1 AND id = $2 AND on_sale = 1 AND stock > 0",
        )
        .bind(merchant_id)
        .bind(id)
        .bind(crate::now_ms())
        .execute(&mut **tx)
        .await?;
        let row: Option<MallItemRow> =
            sqlx::query_as(&format!("SELECT {MALL_COLS} FROM points_mall_items WHERE merchant_id = $1 AND id = $2"))
                .bind(merchant_id)
                .bind(id)
                .fetch_optional(&mut **tx)
                .await?;
        let Some(item) = row else { return Ok(Err(ExchangeRefusal::NotFound)) };
        if r.rows_affected() == 0 {
            return Ok(Err(if item.on_sale == 0 { ExchangeRefusal::NotFound } else { ExchangeRefusal::SoldOut }));
        }
        if item.per_buyer_limit > 0 {
            let (n,): (i64,) =
                sqlx::query_as("SELECT COUNT(*) FROM points_exchanges WHERE item_id = $1 AND buyer_id = $2")
                    .bind(id)
                    .bind(buyer_id)
                    .fetch_one(&mut **tx)
                    .await?;
            if n >= item.per_buyer_limit {
                return Ok(Err(ExchangeRefusal::LimitReached { limit: item.per_buyer_limit }));
            }
        }
        Ok(Ok(item))
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn record_exchange(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        item_id: i64,
        buyer_id: i64,
        points: i64,
        coupon_id: i64,
        at: i64,
    ) -> StoreResult<i64> {
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO points_exchanges (merchant_id, item_id, buyer_id, points, coupon_id, at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(merchant_id)
        .bind(item_id)
        .bind(buyer_id)
        .bind(points)
        .bind(coupon_id)
        .bind(at)
        .fetch_one(&mut **tx)
        .await?;
        Ok(id)
    }

    /// Buyers with a birth day whose level gives a birthday coupon and who have not had it in `year`:
    /// (buyer, birth day, coupon template), at most `limit` after buyer `after`.
    pub async fn birthday_candidates(
        &self,
        merchant_id: i64,
        year: i32,
        after: i64,
        limit: i64,
    ) -> StoreResult<Vec<(i64, i64, i64)>> {
        Ok(sqlx::query_as(
            "SELECT p.buyer_id, p.birth_day, l.birthday_coupon_id FROM member_profiles p JOIN member_levels l ON l.id = p.level_id
             WHERE p.merchant_id = $1 AND p.buyer_id > $4 AND l.birthday_coupon_id IS NOT NULL AND p.birth_day IS NOT NULL
               AND (p.birthday_granted_year IS NULL OR p.birthday_granted_year < $2)
             ORDER BY p.buyer_id LIMIT $3",
        )
        .bind(merchant_id)
        .bind(year)
        .bind(limit)
        .bind(after)
        .fetch_all(self.reader())
        .await?)
    }

    /// Mark the birthday benefit of `year` given; `false` when it was already (a concurrent run won).
    pub async fn mark_birthday_granted(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        buyer_id: i64,
        year: i32,
    ) -> StoreResult<bool> {
        let r = sqlx::query(
            "UPDATE member_profiles SET birthday_granted_year = $3
             WHERE merchant_id = $1 AND buyer_id = $2 AND (birthday_granted_year IS NULL OR birthday_granted_year < $3)",
        )
        .bind(merchant_id)
        .bind(buyer_id)
        .bind(year)
        .execute(&mut **tx)
        .await?;
        Ok(r.rows_affected() == 1)
    }
}

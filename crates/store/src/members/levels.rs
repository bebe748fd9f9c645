//! Levels, buyer profiles, level history and the shop's member rules.

use minimall_core::members::Level;
use sqlx::FromRow;

use super::{levels, profile, LevelHistoryRow, LevelInput, LevelReason, LevelRow, ProfileRow};
use crate::{Paged, Store, StoreError, StoreResult, Tx};

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
    /// Points of the member tasks (once per buyer each).
    pub task_review_points: i32,
    pub task_profile_points: i32,
    pub task_share_points: i32,
    /// 1: levels are evaluated again once a year on the last 12 months (and may go down).
    pub yearly_review: i32,
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
            task_review_points: 20,
            task_profile_points: 50,
            task_share_points: 10,
            yearly_review: 0,
        }
    }
}

impl Store {
    pub async fn member_settings(&self, merchant_id: i64) -> StoreResult<MemberSettingsRow> {
        super::settings_in(self.reader(), merchant_id).await
    }

    pub async fn set_member_settings(&self, tx: &mut Tx, merchant_id: i64, s: &MemberSettingsRow) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO member_settings (merchant_id, earn_per_yuan, expiry, expiry_value, downgrade, sign_in_base, sign_in_bonuses, sign_in_cycle, new_days, silent_after, churned_after, updated_at,
                 task_review_points, task_profile_points, task_share_points, yearly_review)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
             ON CONFLICT (merchant_id) DO UPDATE SET earn_per_yuan = excluded.earn_per_yuan, expiry = excluded.expiry,
                 expiry_value = excluded.expiry_value, downgrade = excluded.downgrade, sign_in_base = excluded.sign_in_base,
                 sign_in_bonuses = excluded.sign_in_bonuses, sign_in_cycle = excluded.sign_in_cycle, new_days = excluded.new_days,
                 silent_after = excluded.silent_after, churned_after = excluded.churned_after, updated_at = excluded.updated_at,
                 task_review_points = excluded.task_review_points, task_profile_points = excluded.task_profile_points,
                 task_share_points = excluded.task_share_points, yearly_review = excluded.yearly_review",
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
        .bind(s.task_review_points)
        .bind(s.task_profile_points)
        .bind(s.task_share_points)
        .bind(s.yearly_review)
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

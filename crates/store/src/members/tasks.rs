//! Member tasks (points once per buyer for a first review, a completed profile, a first share) and the
//! yearly re-evaluation of levels.

use sqlx::{Any, Executor, FromRow};

use crate::{Store, StoreResult, Tx};

#[derive(Debug, Clone, FromRow)]
pub struct TaskDoneRow {
    pub task: String,
    pub points: i64,
    pub at: i64,
}

/// The tasks a buyer has done.
pub async fn tasks_done<'e>(ex: impl Executor<'e, Database = Any>, buyer_id: i64) -> StoreResult<Vec<TaskDoneRow>> {
    Ok(sqlx::query_as("SELECT task, points, at FROM member_tasks_done WHERE buyer_id = $1 ORDER BY at")
        .bind(buyer_id)
        .fetch_all(ex)
        .await?)
}

/// Whether a buyer's profile is complete: a birthday, a gender told and at least one address.
pub async fn profile_complete<'e>(
    ex: impl Executor<'e, Database = Any>,
    merchant_id: i64,
    buyer_id: i64,
) -> StoreResult<bool> {
    let row: Option<(i64,)> = sqlx::query_as(
        "SELECT p.buyer_id FROM member_profiles p WHERE p.merchant_id = $1 AND p.buyer_id = $2
           AND p.birth_day IS NOT NULL AND p.gender IN ('female', 'male')
           AND EXISTS (SELECT 1 FROM addresses a WHERE a.merchant_id = $1 AND a.buyer_id = $2)",
    )
    .bind(merchant_id)
    .bind(buyer_id)
    .fetch_optional(ex)
    .await?;
    Ok(row.is_some())
}

impl Store {
    /// Record a task as done with the points it gave. `false` when it was done already (a concurrent
    /// attempt included: the primary key lets one insert through).
    pub async fn mark_task_done(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        buyer_id: i64,
        task: &str,
        points: i64,
        at: i64,
    ) -> StoreResult<bool> {
        let r = sqlx::query(
            "INSERT INTO member_tasks_done (buyer_id, task, merchant_id, points, at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (buyer_id, task) DO NOTHING",
        )
        .bind(buyer_id)
        .bind(task)
        .bind(merchant_id)
        .bind(points)
        .bind(at)
        .execute(&mut **tx)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Members not yet reviewed for `year`, after `after` in id order.
    pub async fn members_to_review(
        &self,
        merchant_id: i64,
        year: i32,
        after: i64,
        limit: i64,
    ) -> StoreResult<Vec<i64>> {
        let rows: Vec<(i64,)> = sqlx::query_as(
            "SELECT buyer_id FROM member_profiles WHERE merchant_id = $1 AND buyer_id > $2
               AND (reviewed_year IS NULL OR reviewed_year < $3) ORDER BY buyer_id LIMIT $4",
        )
        .bind(merchant_id)
        .bind(after)
        .bind(year)
        .bind(limit)
        .fetch_all(self.reader())
        .await?;
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    /// Take a member's review of `year`; `false` when it was done already (a rerun or another instance).
    pub async fn claim_year_review(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        buyer_id: i64,
        year: i32,
    ) -> StoreResult<bool> {
        let r = sqlx::query(
            "UPDATE member_profiles SET reviewed_year = $3 WHERE merchant_id = $1 AND buyer_id = $2
               AND (reviewed_year IS NULL OR reviewed_year < $3)",
        )
        .bind(merchant_id)
        .bind(buyer_id)
        .bind(year)
        .execute(&mut **tx)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// What a buyer's completed orders counted since `since` (spend after refunds) and the points earned since
    /// then (orders after reversals, and every other grant).
    pub async fn progress_since(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        buyer_id: i64,
        since: i64,
    ) -> StoreResult<(i64, i64)> {
        let (spend, order_points): (i64, i64) = sqlx::query_as(
            "SELECT CAST(COALESCE(SUM(spend_fen - reversed_spend_fen), 0) AS BIGINT), CAST(COALESCE(SUM(points - reversed_points), 0) AS BIGINT)
             FROM member_order_credits WHERE merchant_id = $1 AND buyer_id = $2 AND at >= $3",
        )
        .bind(merchant_id)
        .bind(buyer_id)
        .bind(since)
        .fetch_one(&mut **tx)
        .await?;
        let (other,): (i64,) = sqlx::query_as(
            "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM points_lots
             WHERE merchant_id = $1 AND buyer_id = $2 AND granted_at >= $3 AND source <> 'order'",
        )
        .bind(merchant_id)
        .bind(buyer_id)
        .bind(since)
        .fetch_one(&mut **tx)
        .await?;
        Ok((spend, order_points + other))
    }

    /// From now on only the last 12 months count towards the buyer's level: what came before is the base.
    pub async fn set_level_base(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        buyer_id: i64,
        spend_fen: i64,
        points: i64,
    ) -> StoreResult<()> {
        sqlx::query(
            "UPDATE member_profiles SET level_base_spend_fen = CASE WHEN completed_spend_fen - $3 > 0 THEN completed_spend_fen - $3 ELSE 0 END,
                    level_base_points = CASE WHEN points_earned - $4 > 0 THEN points_earned - $4 ELSE 0 END, updated_at = $5
             WHERE merchant_id = $1 AND buyer_id = $2",
        )
        .bind(merchant_id)
        .bind(buyer_id)
        .bind(spend_fen)
        .bind(points)
        .bind(crate::now_ms())
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// The phone of a buyer, for a notice (`None` without one).
    pub async fn buyer_phone(&self, tx: &mut Tx, merchant_id: i64, buyer_id: i64) -> StoreResult<Option<String>> {
        let row: Option<(Option<String>,)> =
            sqlx::query_as("SELECT phone FROM buyers WHERE merchant_id = $1 AND id = $2")
                .bind(merchant_id)
                .bind(buyer_id)
                .fetch_optional(&mut **tx)
                .await?;
        Ok(row.and_then(|r| r.0).filter(|p| !p.is_empty()))
    }
}

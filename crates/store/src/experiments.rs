//! A/B experiments: their definition and state, the actors exposed to each (first exposure, with the variant),
//! and their conversions (first after exposure, with the order's amount for a purchase).

use sqlx::{Any, Executor, FromRow};

use crate::{now_ms, Paged, Store, StoreResult, Tx};

#[derive(Debug, Clone, FromRow)]
pub struct ExperimentRow {
    pub id: i64,
    pub merchant_id: i64,
    pub name: String,
    pub placement: String,
    pub metric: String,
    /// JSON `[{name, strategy, weight}]`, variant 0 the control.
    pub variants: String,
    pub planned: i64,
    pub status: String,
    pub created_by: i64,
    pub created_at: i64,
    pub started_at: Option<i64>,
    pub stopped_at: Option<i64>,
}

const COLS: &str =
    "id, merchant_id, name, placement, metric, variants, planned, status, created_by, created_at, started_at, stopped_at";

pub struct NewExperiment<'a> {
    pub name: &'a str,
    pub placement: &'a str,
    pub metric: &'a str,
    pub variants: &'a str,
    pub planned: i64,
    pub created_by: i64,
}

/// The running experiment of a placement an actor was exposed to.
#[derive(Debug, Clone, FromRow)]
pub struct Exposure {
    pub experiment_id: i64,
    pub variant: i64,
    pub metric: String,
}

/// One variant's exposures and conversions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromRow)]
pub struct VariantCount {
    pub variant: i64,
    pub exposed: i64,
    pub converted: i64,
}

impl Store {
    pub async fn create_experiment(&self, tx: &mut Tx, merchant_id: i64, e: &NewExperiment<'_>) -> StoreResult<i64> {
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO experiments (merchant_id, name, placement, metric, variants, planned, status, created_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, 'draft', $7, $8) RETURNING id",
        )
        .bind(merchant_id)
        .bind(e.name)
        .bind(e.placement)
        .bind(e.metric)
        .bind(e.variants)
        .bind(e.planned)
        .bind(e.created_by)
        .bind(now_ms())
        .fetch_one(&mut **tx)
        .await?;
        Ok(id)
    }

    pub async fn experiment<'e>(
        &self,
        ex: impl Executor<'e, Database = Any>,
        merchant_id: i64,
        id: i64,
    ) -> StoreResult<Option<ExperimentRow>> {
        Ok(sqlx::query_as::<_, ExperimentRow>(&format!(
            "SELECT {COLS} FROM experiments WHERE merchant_id = $1 AND id = $2"
        ))
        .bind(merchant_id)
        .bind(id)
        .fetch_optional(ex)
        .await?)
    }

    /// Newest first.
    pub async fn list_experiments(
        &self,
        merchant_id: i64,
        limit: i64,
        offset: i64,
    ) -> StoreResult<Paged<ExperimentRow>> {
        let items = sqlx::query_as::<_, ExperimentRow>(&format!(
            "SELECT {COLS} FROM experiments WHERE merchant_id = $1 ORDER BY id DESC LIMIT $2 OFFSET $3"
        ))
        .bind(merchant_id)
        .bind(limit)
        .bind(offset)
        .fetch_all(self.reader())
        .await?;
        let (total,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM experiments WHERE merchant_id = $1")
            .bind(merchant_id)
            .fetch_one(self.reader())
            .await?;
        Ok(Paged { items, total })
    }

    /// The experiment running on a placement, if any.
    pub async fn running_experiment(&self, merchant_id: i64, placement: &str) -> StoreResult<Option<ExperimentRow>> {
        Ok(sqlx::query_as::<_, ExperimentRow>(&format!(
            "SELECT {COLS} FROM experiments WHERE merchant_id = $1 AND status = 'running' AND placement = $2
             ORDER BY id LIMIT 1"
        ))
        .bind(merchant_id)
        .bind(placement)
        .fetch_optional(self.reader())
        .await?)
    }

    /// Whether another experiment runs on the placement (in the caller's transaction).
    pub async fn placement_busy(&self, tx: &mut Tx, merchant_id: i64, placement: &str) -> StoreResult<bool> {
        let row: Option<(i64,)> = sqlx::query_as(
            "SELECT id FROM experiments WHERE merchant_id = $1 AND status = 'running' AND placement = $2 LIMIT 1",
        )
        .bind(merchant_id)
        .bind(placement)
        .fetch_optional(&mut **tx)
        .await?;
        Ok(row.is_some())
    }

    /// Move an experiment from `from` to `to` (stamping the start or stop time); false when it was not in `from`.
    pub async fn set_experiment_status(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        id: i64,
        from: &str,
        to: &str,
    ) -> StoreResult<bool> {
        let now = now_ms();
        let n = sqlx::query(
            "UPDATE experiments SET status = $4,
                started_at = CASE WHEN $4 = 'running' THEN $5 ELSE started_at END,
                stopped_at = CASE WHEN $4 = 'stopped' THEN $5 ELSE stopped_at END
             WHERE merchant_id = $1 AND id = $2 AND status = $3",
        )
        .bind(merchant_id)
        .bind(id)
        .bind(from)
        .bind(to)
        .bind(now)
        .execute(&mut **tx)
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    /// Note an actor's exposure (the first one stays).
    pub async fn expose_experiment(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        experiment_id: i64,
        actor: &str,
        variant: i64,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO experiment_exposures (merchant_id, experiment_id, actor, variant, at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (experiment_id, actor) DO NOTHING",
        )
        .bind(merchant_id)
        .bind(experiment_id)
        .bind(actor)
        .bind(variant)
        .bind(now_ms())
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// The running experiment of a placement the actor was exposed to, with the actor's variant.
    pub async fn exposure_on(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        placement: &str,
        actor: &str,
    ) -> StoreResult<Option<Exposure>> {
        Ok(sqlx::query_as::<_, Exposure>(
            "SELECT x.experiment_id, x.variant, e.metric FROM experiment_exposures x
             JOIN experiments e ON e.id = x.experiment_id
             WHERE x.merchant_id = $1 AND x.actor = $2 AND e.status = 'running' AND e.placement = $3
             ORDER BY x.experiment_id LIMIT 1",
        )
        .bind(merchant_id)
        .bind(actor)
        .bind(placement)
        .fetch_optional(&mut **tx)
        .await?)
    }

    /// Note an exposed actor's conversion (the first one stays).
    #[allow(clippy::too_many_arguments)]
    pub async fn convert_experiment(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        experiment_id: i64,
        actor: &str,
        variant: i64,
        order_id: Option<i64>,
        amount_fen: Option<i64>,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO experiment_conversions (merchant_id, experiment_id, actor, variant, order_id, amount_fen, at)
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (experiment_id, actor) DO NOTHING",
        )
        .bind(merchant_id)
        .bind(experiment_id)
        .bind(actor)
        .bind(variant)
        .bind(order_id)
        .bind(amount_fen)
        .bind(now_ms())
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// A buyer paid an order: a conversion in every running purchase experiment they were exposed to.
    pub async fn convert_purchase(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        buyer_id: i64,
        order_id: i64,
        amount_fen: i64,
    ) -> StoreResult<u64> {
        Ok(sqlx::query(
            "INSERT INTO experiment_conversions (merchant_id, experiment_id, actor, variant, order_id, amount_fen, at)
             SELECT x.merchant_id, x.experiment_id, x.actor, x.variant, $3, $4, $5 FROM experiment_exposures x
             JOIN experiments e ON e.id = x.experiment_id
             WHERE x.merchant_id = $1 AND x.actor = $2 AND e.status = 'running' AND e.metric = 'purchase'
             ON CONFLICT (experiment_id, actor) DO NOTHING",
        )
        .bind(merchant_id)
        .bind(format!("b{buyer_id}"))
        .bind(order_id)
        .bind(amount_fen)
        .bind(now_ms())
        .execute(&mut **tx)
        .await?
        .rows_affected())
    }

    /// Exposures and conversions per variant.
    pub async fn experiment_counts(&self, merchant_id: i64, experiment_id: i64) -> StoreResult<Vec<VariantCount>> {
        Ok(sqlx::query_as::<_, VariantCount>(
            "SELECT x.variant AS variant, CAST(COUNT(*) AS BIGINT) AS exposed,
                    CAST(COUNT(c.actor) AS BIGINT) AS converted
             FROM experiment_exposures x LEFT JOIN experiment_conversions c
               ON c.experiment_id = x.experiment_id AND c.actor = x.actor
             WHERE x.merchant_id = $1 AND x.experiment_id = $2 GROUP BY x.variant ORDER BY x.variant",
        )
        .bind(merchant_id)
        .bind(experiment_id)
        .fetch_all(self.reader())
        .await?)
    }

    /// The order amounts of the conversions, by variant.
    pub async fn experiment_amounts(&self, merchant_id: i64, experiment_id: i64) -> StoreResult<Vec<(i64, i64)>> {
        Ok(sqlx::query_as(
            "SELECT variant, amount_fen FROM experiment_conversions
             WHERE merchant_id = $1 AND experiment_id = $2 AND amount_fen IS NOT NULL ORDER BY variant",
        )
        .bind(merchant_id)
        .bind(experiment_id)
        .fetch_all(self.reader())
        .await?)
    }
}

//! Points (积分): a ledger of grants and spends; the balance row is updated in the same transaction and
//! can never go negative (checked by the database).

use sqlx::FromRow;

use crate::{now_ms, Paged, Store, StoreError, StoreResult, Tx};

#[derive(Debug, Clone, FromRow)]
pub struct PointsEntry {
    pub id: i64,
    pub delta: i64,
    pub balance_after: i64,
    pub reason: String,
    pub reference: String,
    pub at: i64,
}

impl Store {
    pub async fn points_balance(&self, buyer_id: i64) -> StoreResult<i64> {
        crate::members::points_balance_in(self.reader(), buyer_id).await
    }

    /// Add (positive) or spend (negative) points. Spending more than the balance is refused with
    /// `Constraint` and nothing changes.
    pub async fn move_points(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        buyer_id: i64,
        delta: i64,
        reason: &str,
        reference: &str,
    ) -> StoreResult<i64> {
        sqlx::query("INSERT INTO points_balances (buyer_id, merchant_id, balance) VALUES ($1, $2, 0) ON CONFLICT (buyer_id) DO NOTHING")
            .bind(buyer_id)
            .bind(merchant_id)
            .execute(&mut **tx)
            .await?;
        let row: Option<(i64,)> = sqlx::query_as(
            "UPDATE points_balances SET balance = balance + $2 WHERE buyer_id = $1 AND balance + $2 >= 0 RETURNING balance",
        )
        .bind(buyer_id)
        .bind(delta)
        .fetch_optional(&mut **tx)
        .await?;
        let Some((balance,)) = row else {
            return Err(StoreError::Constraint("not enough points".into()));
        };
        sqlx::query(
            "INSERT INTO points_ledger (merchant_id, buyer_id, delta, balance_after, reason, reference, at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(merchant_id)
        .bind(buyer_id)
        .bind(delta)
        .bind(balance)
        .bind(reason)
        .bind(reference)
        .bind(now_ms())
        .execute(&mut **tx)
        .await?;
        Ok(balance)
    }

    pub async fn points_entries(&self, buyer_id: i64, limit: i64, offset: i64) -> StoreResult<Paged<PointsEntry>> {
        let items = sqlx::query_as::<_, PointsEntry>(
            "SELECT id, delta, balance_after, reason, reference, at FROM points_ledger WHERE buyer_id = $1 ORDER BY id DESC LIMIT $2 OFFSET $3",
        )
        .bind(buyer_id)
        .bind(limit)
        .bind(offset)
        .fetch_all(self.reader())
        .await?;
        let (total,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM points_ledger WHERE buyer_id = $1")
            .bind(buyer_id)
            .fetch_one(self.reader())
            .await?;
        Ok(Paged { items, total })
    }

    /// Σ ledger deltas of a buyer (equals the balance).
    pub async fn points_ledger_sum(&self, buyer_id: i64) -> StoreResult<i64> {
        let (n,): (i64,) =
            sqlx::query_as("SELECT CAST(COALESCE(SUM(delta), 0) AS BIGINT) FROM points_ledger WHERE buyer_id = $1")
                .bind(buyer_id)
                .fetch_one(self.reader())
                .await?;
        Ok(n)
    }
}

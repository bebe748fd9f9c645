//! Daily sign-ins and points lots.

use minimall_core::members::{Lot, Take};

use super::{last_sign_in, open_lots, LotSource, SignInRow};
use crate::{Store, StoreError, StoreResult, Tx};

impl Store {
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
}

/// What a completed order counted towards its buyer's membership, and what refunds took back since.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OrderCreditRow {
    pub order_id: i64,
    pub buyer_id: i64,
    pub spend_fen: i64,
    pub points: i64,
    pub refunded_fen: i64,
    pub reversed_spend_fen: i64,
    pub reversed_points: i64,
}

impl Store {
    /// Record what a completed order counted (once per order: a second completion is refused by the key).
    #[allow(clippy::too_many_arguments)]
    pub async fn record_order_credit(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        buyer_id: i64,
        order_id: i64,
        spend_fen: i64,
        points: i64,
        at: i64,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO member_order_credits (order_id, merchant_id, buyer_id, spend_fen, points, at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(order_id)
        .bind(merchant_id)
        .bind(buyer_id)
        .bind(spend_fen.max(0))
        .bind(points.max(0))
        .bind(at)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// The credit of an order, read in the transaction that refunds it (`None`: the order was not counted).
    pub async fn order_credit(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        order_id: i64,
    ) -> StoreResult<Option<OrderCreditRow>> {
        Ok(sqlx::query_as(
            "SELECT order_id, buyer_id, spend_fen, points, refunded_fen, reversed_spend_fen, reversed_points
             FROM member_order_credits WHERE merchant_id = $1 AND order_id = $2",
        )
        .bind(merchant_id)
        .bind(order_id)
        .fetch_optional(&mut **tx)
        .await?)
    }

    /// Add a refund to an order's credit: the refunded amount, and the spend and points it took back. Guarded
    /// so that what is taken back never exceeds what was counted (refused with `Constraint`).
    pub async fn add_credit_reversal(
        &self,
        tx: &mut Tx,
        order_id: i64,
        refunded_fen: i64,
        spend_fen: i64,
        points: i64,
    ) -> StoreResult<()> {
        let r = sqlx::query(
            "UPDATE member_order_credits SET refunded_fen = refunded_fen + $2, reversed_spend_fen = reversed_spend_fen + $3,
                    reversed_points = reversed_points + $4
             WHERE order_id = $1 AND reversed_spend_fen + $3 <= spend_fen AND reversed_points + $4 <= points",
        )
        .bind(order_id)
        .bind(refunded_fen)
        .bind(spend_fen)
        .bind(points)
        .execute(&mut **tx)
        .await?;
        if r.rows_affected() == 0 {
            return Err(StoreError::Constraint("the order's credit changed meanwhile".into()));
        }
        Ok(())
    }
}

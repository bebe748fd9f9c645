//! Stored value (储值): each buyer's balance and its movements, written in the transaction of the journal
//! posting that moves the control account. The balance never goes below zero (checked by a guarded update
//! and by the database).

use minimall_core::ledger::stored_value::Reason;
use minimall_core::ledger::Posting;
use sqlx::FromRow;

use crate::{now_ms, Paged, Store, StoreResult, Tx};

#[derive(Debug, Clone, FromRow)]
pub struct StoredValueMove {
    pub id: i64,
    pub buyer_id: i64,
    pub delta: i64,
    pub balance_after: i64,
    pub reason: String,
    pub reference: String,
    pub note: String,
    pub posting_id: Option<i64>,
    pub by_admin: Option<i64>,
    pub at: i64,
}

/// One movement to write: the buyer, the signed amount (positive: credited to the buyer), why, and the
/// posting that moves the control account by the same amount.
pub struct StoredValueChange<'a> {
    pub merchant_id: i64,
    pub buyer_id: i64,
    pub delta: i64,
    pub reason: Reason,
    pub reference: &'a str,
    pub note: &'a str,
    pub by_admin: Option<i64>,
}

const MOVE_COLS: &str = "id, buyer_id, delta, balance_after, reason, reference, note, posting_id, by_admin, at";

impl Store {
    /// A buyer's stored value (0 when they never held any).
    pub async fn stored_value_balance(&self, merchant_id: i64, buyer_id: i64) -> StoreResult<i64> {
        let row: Option<(i64,)> =
            sqlx::query_as("SELECT balance FROM stored_value_balances WHERE merchant_id = $1 AND buyer_id = $2")
                .bind(merchant_id)
                .bind(buyer_id)
                .fetch_optional(self.reader())
                .await?;
        Ok(row.map_or(0, |r| r.0))
    }

    /// A buyer's stored value, read in `tx` (0 when they never held any).
    pub async fn stored_value_balance_tx(&self, tx: &mut Tx, merchant_id: i64, buyer_id: i64) -> StoreResult<i64> {
        let row: Option<(i64,)> =
            sqlx::query_as("SELECT balance FROM stored_value_balances WHERE merchant_id = $1 AND buyer_id = $2")
                .bind(merchant_id)
                .bind(buyer_id)
                .fetch_optional(&mut **tx)
                .await?;
        Ok(row.map_or(0, |r| r.0))
    }

    /// Move a buyer's stored value and post `posting` with it, in `tx`. Returns the movement written, or, when a
    /// spend is more than the balance, `Err(balance)` with nothing of the movement written.
    pub async fn move_stored_value(
        &self,
        tx: &mut Tx,
        change: StoredValueChange<'_>,
        posting: &Posting,
    ) -> StoreResult<Result<StoredValueMove, i64>> {
        let c = change;
        sqlx::query(
            "INSERT INTO stored_value_balances (buyer_id, merchant_id, balance) VALUES ($1, $2, 0)
             ON CONFLICT (buyer_id) DO NOTHING",
        )
        .bind(c.buyer_id)
        .bind(c.merchant_id)
        .execute(&mut **tx)
        .await?;
        let row: Option<(i64,)> = sqlx::query_as(
            "UPDATE stored_value_balances SET balance = balance + $3
             WHERE buyer_id = $1 AND merchant_id = $2 AND balance + $3 >= 0 RETURNING balance",
        )
        .bind(c.buyer_id)
        .bind(c.merchant_id)
        .bind(c.delta)
        .fetch_optional(&mut **tx)
        .await?;
        let Some((after,)) = row else {
            let (has,): (i64,) = sqlx::query_as("SELECT balance FROM stored_value_balances WHERE buyer_id = $1")
                .bind(c.buyer_id)
                .fetch_one(&mut **tx)
                .await?;
            return Ok(Err(has));
        };
        let posting_id = self.post(tx, c.merchant_id, posting, c.by_admin).await?;
        let moved = sqlx::query_as::<_, StoredValueMove>(&format!(
            "INSERT INTO stored_value_moves
                 (merchant_id, buyer_id, delta, balance_after, reason, reference, note, posting_id, by_admin, at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING {MOVE_COLS}"
        ))
        .bind(c.merchant_id)
        .bind(c.buyer_id)
        .bind(c.delta)
        .bind(after)
        .bind(c.reason.code())
        .bind(c.reference)
        .bind(c.note)
        .bind(posting_id)
        .bind(c.by_admin)
        .bind(now_ms())
        .fetch_one(&mut **tx)
        .await?;
        Ok(Ok(moved))
    }

    /// A buyer's movements of stored value, newest first.
    pub async fn stored_value_moves(
        &self,
        merchant_id: i64,
        buyer_id: i64,
        limit: i64,
        offset: i64,
    ) -> StoreResult<Paged<StoredValueMove>> {
        let items = sqlx::query_as::<_, StoredValueMove>(&format!(
            "SELECT {MOVE_COLS} FROM stored_value_moves WHERE merchant_id = $1 AND buyer_id = $2
             ORDER BY id DESC LIMIT $3 OFFSET $4"
        ))
        .bind(merchant_id)
        .bind(buyer_id)
        .bind(limit)
        .bind(offset)
        .fetch_all(self.reader())
        .await?;
        let (total,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM stored_value_moves WHERE merchant_id = $1 AND buyer_id = $2")
                .bind(merchant_id)
                .bind(buyer_id)
                .fetch_one(self.reader())
                .await?;
        Ok(Paged { items, total })
    }

    /// Claim a pending payment for a provider that settles it itself (the balance): records the transaction
    /// id once; `false` when it was claimed already or is no longer pending.
    pub async fn claim_payment(&self, tx: &mut Tx, payment_id: i64, txn_id: &str) -> StoreResult<bool> {
        Ok(sqlx::query(
            "UPDATE payments SET provider_txn_id = $2 WHERE id = $1 AND status = 'pending' AND provider_txn_id IS NULL",
        )
        .bind(payment_id)
        .bind(txn_id)
        .execute(&mut **tx)
        .await?
        .rows_affected()
            == 1)
    }
}

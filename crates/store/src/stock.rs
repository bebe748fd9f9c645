//! Stock: every change is a movement row with the balance after it; the database refuses a negative
//! balance (`CHECK (stock >= 0)`), and the decrement is a conditional update, so concurrent sales can
//! never take more than there is. Crossing a SKU's safety threshold opens a low-stock alert.

use sqlx::FromRow;

use crate::{now_ms, Paged, Store, StoreError, StoreResult, Tx};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StockReason {
    Initial,
    Sale,
    Cancel,
    Refund,
    Return,
    Manual,
    Import,
    /// Units set aside for a flash sale.
    FlashReserve,
    /// Unsold or cancelled flash-sale units back to the SKU.
    FlashReturn,
}

impl StockReason {
    pub fn as_str(self) -> &'static str {
        match self {
            StockReason::Initial => "initial",
            StockReason::Sale => "sale",
            StockReason::Cancel => "cancel",
            StockReason::Refund => "refund",
            StockReason::Return => "return",
            StockReason::Manual => "manual",
            StockReason::Import => "import",
            StockReason::FlashReserve => "flash_reserve",
            StockReason::FlashReturn => "flash_return",
        }
    }
}

#[derive(Debug, Clone, FromRow)]
pub struct MovementRow {
    pub id: i64,
    pub sku_id: i64,
    pub delta: i64,
    pub balance_after: i64,
    pub reason: String,
    pub reference: String,
    pub actor: String,
    pub at: i64,
}

#[derive(Debug, Clone, FromRow)]
pub struct AlertRow {
    pub id: i64,
    pub sku_id: i64,
    pub sku_code: String,
    pub product_id: i64,
    pub product_title: String,
    pub stock: i64,
    pub threshold: i64,
    pub current_stock: i64,
    pub created_at: i64,
    pub resolved_at: Option<i64>,
}

/// Why a stock change was refused.
#[derive(Debug)]
pub enum StockError {
    /// Not enough stock: (available now).
    Insufficient(i64),
    Store(StoreError),
}

impl From<StoreError> for StockError {
    fn from(e: StoreError) -> Self {
        StockError::Store(e)
    }
}

impl From<sqlx::Error> for StockError {
    fn from(e: sqlx::Error) -> Self {
        StockError::Store(e.into())
    }
}

impl Store {
    /// Apply `delta` to a SKU's stock and record the movement. Returns the balance after.
    pub async fn move_stock(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        sku_id: i64,
        delta: i64,
        reason: StockReason,
        reference: &str,
        actor: &str,
    ) -> Result<i64, StockError> {
        let row: Option<(i64, i64)> = sqlx::query_as(
            "UPDATE skus SET stock = stock + $3 WHERE merchant_id = $1 AND id = $2 AND deleted = 0 AND stock + $3 >= 0
             RETURNING stock, safety_stock",
        )
        .bind(merchant_id)
        .bind(sku_id)
        .bind(delta)
        .fetch_optional(&mut **tx)
        .await?;
        let Some((balance, safety)) = row else {
            return Err(match self.sku_stock_tx(tx, merchant_id, sku_id).await? {
                Some(n) => StockError::Insufficient(n),
                None => StockError::Store(StoreError::NotFound),
            });
        };
        let now = now_ms();
        sqlx::query(
            "INSERT INTO stock_movements (merchant_id, sku_id, delta, balance_after, reason, reference, actor, at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(merchant_id)
        .bind(sku_id)
        .bind(delta)
        .bind(balance)
        .bind(reason.as_str())
        .bind(reference)
        .bind(actor)
        .bind(now)
        .execute(&mut **tx)
        .await?;
        // Taking stock that stays above the threshold neither opens an alert nor closes one (none is open).
        if !(delta < 0 && balance > safety) {
            self.check_threshold(tx, merchant_id, sku_id, balance, safety).await?;
        }
        Ok(balance)
    }

    /// A live SKU's stock as this transaction sees it; `None` when there is no such SKU.
    pub async fn sku_stock_tx(&self, tx: &mut Tx, merchant_id: i64, sku_id: i64) -> StoreResult<Option<i64>> {
        let have: Option<(i64,)> =
            sqlx::query_as("SELECT stock FROM skus WHERE merchant_id = $1 AND id = $2 AND deleted = 0")
                .bind(merchant_id)
                .bind(sku_id)
                .fetch_optional(&mut **tx)
                .await?;
        Ok(have.map(|h| h.0))
    }

    /// Open an alert when the stock is at or below the threshold (one open alert per SKU); close open
    /// alerts when it is above again.
    pub async fn check_threshold(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        sku_id: i64,
        balance: i64,
        safety: i64,
    ) -> StoreResult<()> {
        let now = now_ms();
        if safety > 0 && balance <= safety {
            sqlx::query(
                "INSERT INTO stock_alerts (merchant_id, sku_id, stock, threshold, created_at)
                 SELECT $1, $2, $3, $4, $5 WHERE NOT EXISTS
                   (SELECT 1 FROM stock_alerts WHERE sku_id = $2 AND resolved_at IS NULL)",
            )
            .bind(merchant_id)
            .bind(sku_id)
            .bind(balance)
            .bind(safety)
            .bind(now)
            .execute(&mut **tx)
            .await?;
        } else {
            sqlx::query("UPDATE stock_alerts SET resolved_at = $2 WHERE sku_id = $1 AND resolved_at IS NULL")
                .bind(sku_id)
                .bind(now)
                .execute(&mut **tx)
                .await?;
        }
        Ok(())
    }

    pub async fn list_movements(
        &self,
        merchant_id: i64,
        sku_id: i64,
        limit: i64,
        offset: i64,
    ) -> StoreResult<Paged<MovementRow>> {
        let items = sqlx::query_as::<_, MovementRow>(
            "SELECT id, sku_id, delta, balance_after, reason, reference, actor, at FROM stock_movements
             WHERE merchant_id = $1 AND sku_id = $2 ORDER BY id DESC LIMIT $3 OFFSET $4",
        )
        .bind(merchant_id)
        .bind(sku_id)
        .bind(limit)
        .bind(offset)
        .fetch_all(self.reader())
        .await?;
        let (total,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM stock_movements WHERE merchant_id = $1 AND sku_id = $2")
                .bind(merchant_id)
                .bind(sku_id)
                .fetch_one(self.reader())
                .await?;
        Ok(Paged { items, total })
    }

    /// Sum of all movements of a SKU (equals its stock).
    pub async fn movement_sum(&self, sku_id: i64) -> StoreResult<i64> {
        let (n,): (i64,) =
            sqlx::query_as("SELECT CAST(COALESCE(SUM(delta), 0) AS BIGINT) FROM stock_movements WHERE sku_id = $1")
                .bind(sku_id)
                .fetch_one(self.reader())
                .await?;
        Ok(n)
    }

    pub async fn list_alerts(
        &self,
        merchant_id: i64,
        open_only: bool,
        limit: i64,
        offset: i64,
    ) -> StoreResult<Paged<AlertRow>> {
        let filter = "a.merchant_id = $1 AND ($2 = 0 OR a.resolved_at IS NULL)";
        let items = sqlx::query_as::<_, AlertRow>(&format!(
            "SELECT a.id, a.sku_id, s.code AS sku_code, s.product_id, p.title AS product_title, a.stock, a.threshold,
                    s.stock AS current_stock, a.created_at, a.resolved_at
             FROM stock_alerts a JOIN skus s ON s.id = a.sku_id JOIN products p ON p.id = s.product_id
             WHERE {filter} ORDER BY a.id DESC LIMIT $3 OFFSET $4"
        ))
        .bind(merchant_id)
        .bind(i32::from(open_only))
        .bind(limit)
        .bind(offset)
        .fetch_all(self.reader())
        .await?;
        let (total,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM stock_alerts a WHERE {filter}"))
            .bind(merchant_id)
            .bind(i32::from(open_only))
            .fetch_one(self.reader())
            .await?;
        Ok(Paged { items, total })
    }

    pub async fn count_open_alerts(&self, merchant_id: i64) -> StoreResult<i64> {
        let (n,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM stock_alerts WHERE merchant_id = $1 AND resolved_at IS NULL")
                .bind(merchant_id)
                .fetch_one(self.reader())
                .await?;
        Ok(n)
    }
}

//! The points mall and the birthday benefit.

use sqlx::FromRow;

use crate::{Paged, Store, StoreError, StoreResult, Tx};

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

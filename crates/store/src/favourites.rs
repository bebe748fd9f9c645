//! A buyer's favourites (收藏) and browsing history (足迹): one row per buyer and product, listed with what the
//! product is now (title, first image, lowest price, whether it is still on sale).

use sqlx::FromRow;

use crate::{Paged, Store, StoreResult, Tx};

/// The most products a buyer's history remembers; a view beyond it forgets the oldest.
pub const HISTORY_KEEP: i64 = 200;

/// A product a buyer saved or viewed, as it is now.
#[derive(Debug, Clone, FromRow)]
pub struct SavedProductRow {
    pub product_id: i64,
    /// When it was saved, or last viewed.
    pub at: i64,
    pub title: String,
    /// JSON array of image URLs.
    pub images: String,
    pub min_price: i64,
    pub sales: i64,
    /// On the shelf and not deleted.
    pub on_sale: i32,
}

fn listing(table: &str, at: &str) -> String {
    format!(
        "SELECT t.product_id, t.{at} AS at, p.title, p.images, p.min_price, p.sales,
                CASE WHEN p.on_shelf = 1 AND p.deleted = 0 THEN 1 ELSE 0 END AS on_sale
         FROM {table} t JOIN products p ON p.id = t.product_id
         WHERE t.buyer_id = $1 ORDER BY t.{at} DESC, t.id DESC LIMIT $2 OFFSET $3"
    )
}

impl Store {
    /// Save a product; false when it was saved already.
    pub async fn add_favourite(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        buyer_id: i64,
        product_id: i64,
    ) -> StoreResult<bool> {
        let n = sqlx::query(
            "INSERT INTO favourites (merchant_id, buyer_id, product_id, created_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (buyer_id, product_id) DO NOTHING",
        )
        .bind(merchant_id)
        .bind(buyer_id)
        .bind(product_id)
        .bind(crate::now_ms())
        .execute(&mut **tx)
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    /// Forget a saved product; false when it was not saved.
    pub async fn remove_favourite(&self, tx: &mut Tx, buyer_id: i64, product_id: i64) -> StoreResult<bool> {
        let n = sqlx::query("DELETE FROM favourites WHERE buyer_id = $1 AND product_id = $2")
            .bind(buyer_id)
            .bind(product_id)
            .execute(&mut **tx)
            .await?
            .rows_affected();
        Ok(n == 1)
    }

    pub async fn is_favourite(&self, buyer_id: i64, product_id: i64) -> StoreResult<bool> {
        let row: Option<(i64,)> = sqlx::query_as("SELECT id FROM favourites WHERE buyer_id = $1 AND product_id = $2")
            .bind(buyer_id)
            .bind(product_id)
            .fetch_optional(self.reader())
            .await?;
        Ok(row.is_some())
    }

    /// A buyer's saved products, last saved first.
    pub async fn favourites(&self, buyer_id: i64, limit: i64, offset: i64) -> StoreResult<Paged<SavedProductRow>> {
        self.saved_page("favourites", "created_at", buyer_id, limit, offset).await
    }

    /// Remember that a buyer viewed a product (once per product: a new view moves it to the top), keeping
    /// the latest [`HISTORY_KEEP`].
    pub async fn record_view(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        buyer_id: i64,
        product_id: i64,
        at: i64,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO browsing_history (merchant_id, buyer_id, product_id, viewed_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (buyer_id, product_id) DO UPDATE SET viewed_at = excluded.viewed_at",
        )
        .bind(merchant_id)
        .bind(buyer_id)
        .bind(product_id)
        .bind(at)
        .execute(&mut **tx)
        .await?;
        sqlx::query(
            "DELETE FROM browsing_history WHERE buyer_id = $1 AND id NOT IN
               (SELECT id FROM browsing_history WHERE buyer_id = $1 ORDER BY viewed_at DESC, id DESC LIMIT $2)",
        )
        .bind(buyer_id)
        .bind(HISTORY_KEEP)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// A buyer's viewed products, last viewed first.
    pub async fn history(&self, buyer_id: i64, limit: i64, offset: i64) -> StoreResult<Paged<SavedProductRow>> {
        self.saved_page("browsing_history", "viewed_at", buyer_id, limit, offset).await
    }

    /// Forget one viewed product (`Some`) or the whole history; the number of rows forgotten.
    pub async fn forget_views(&self, tx: &mut Tx, buyer_id: i64, product_id: Option<i64>) -> StoreResult<u64> {
        let q = match product_id {
            Some(p) => sqlx::query("DELETE FROM browsing_history WHERE buyer_id = $1 AND product_id = $2")
                .bind(buyer_id)
                .bind(p),
            None => sqlx::query("DELETE FROM browsing_history WHERE buyer_id = $1").bind(buyer_id),
        };
        Ok(q.execute(&mut **tx).await?.rows_affected())
    }

    /// How many products a buyer saved and viewed (for 我的).
    pub async fn saved_counts(&self, buyer_id: i64) -> StoreResult<(i64, i64)> {
        Ok(sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM favourites WHERE buyer_id = $1), (SELECT COUNT(*) FROM browsing_history WHERE buyer_id = $1)",
        )
        .bind(buyer_id)
        .fetch_one(self.reader())
        .await?)
    }

    async fn saved_page(
        &self,
        table: &str,
        at: &str,
        buyer_id: i64,
        limit: i64,
        offset: i64,
    ) -> StoreResult<Paged<SavedProductRow>> {
        let items = sqlx::query_as::<_, SavedProductRow>(&listing(table, at))
            .bind(buyer_id)
            .bind(limit)
            .bind(offset)
            .fetch_all(self.reader())
            .await?;
        let (total,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM {table} WHERE buyer_id = $1"))
            .bind(buyer_id)
            .fetch_one(self.reader())
            .await?;
        Ok(Paged { items, total })
    }
}

//! Reviews (评价): one per order line, by its buyer, after receipt; shown on the product page unless the
//! merchant hid it; the merchant's reply.

use sqlx::FromRow;

use crate::{now_ms, Paged, Store, StoreResult, Tx};

#[derive(Debug, Clone, FromRow)]
pub struct ReviewRow {
    pub id: i64,
    pub order_id: i64,
    pub line_id: i64,
    pub product_id: i64,
    pub buyer_id: i64,
    pub nickname: String,
    pub title: String,
    pub spec: String,
    pub rating: i32,
    pub text: String,
    pub images: String,
    pub anonymous: i32,
    pub hidden: i32,
    pub reply: Option<String>,
    pub replied_at: Option<i64>,
    pub created_at: i64,
}

const COLS: &str =
    "r.id, r.order_id, r.line_id, r.product_id, r.buyer_id, b.nickname, l.title, l.spec, r.rating, r.text, \
                    r.images, r.anonymous, r.hidden, r.reply, r.replied_at, r.created_at";
const FROM: &str = "reviews r JOIN buyers b ON b.id = r.buyer_id JOIN order_lines l ON l.id = r.line_id";

pub struct NewReview<'a> {
    pub order_id: i64,
    pub line_id: i64,
    pub product_id: i64,
    pub buyer_id: i64,
    pub rating: i32,
    pub text: &'a str,
    pub images_json: &'a str,
    pub anonymous: bool,
}

/// Which of a product's reviews: all, those with images, good (4–5 stars), neutral (3), bad (1–2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewFilter {
    All,
    WithImages,
    Good,
    Neutral,
    Bad,
}

impl ReviewFilter {
    fn sql(self) -> &'static str {
        match self {
            ReviewFilter::All => "",
            ReviewFilter::WithImages => " AND r.images <> '[]'",
            ReviewFilter::Good => " AND r.rating >= 4",
            ReviewFilter::Neutral => " AND r.rating = 3",
            ReviewFilter::Bad => " AND r.rating <= 2",
        }
    }
}

/// A product's visible reviews counted: total, stars summed, with images, good, neutral, bad.
#[derive(Debug, Clone, Default, FromRow)]
pub struct ReviewCounts {
    pub total: i64,
    pub stars: i64,
    pub with_images: i64,
    pub good: i64,
    pub neutral: i64,
    pub bad: i64,
}

impl Store {
    /// Write a review; `None` when the line was reviewed already.
    pub async fn insert_review(&self, tx: &mut Tx, merchant_id: i64, r: &NewReview<'_>) -> StoreResult<Option<i64>> {
        let id: Option<(i64,)> = sqlx::query_as(
            "INSERT INTO reviews (merchant_id, order_id, line_id, product_id, buyer_id, rating, text, images, anonymous, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (line_id) DO NOTHING RETURNING id",
        )
        .bind(merchant_id)
        .bind(r.order_id)
        .bind(r.line_id)
        .bind(r.product_id)
        .bind(r.buyer_id)
        .bind(r.rating)
        .bind(r.text)
        .bind(r.images_json)
        .bind(i32::from(r.anonymous))
        .bind(now_ms())
        .fetch_optional(&mut **tx)
        .await?;
        Ok(id.map(|(i,)| i))
    }

    pub async fn review(&self, merchant_id: i64, id: i64) -> StoreResult<ReviewRow> {
        Ok(sqlx::query_as::<_, ReviewRow>(&format!("SELECT {COLS} FROM {FROM} WHERE r.merchant_id = $1 AND r.id = $2"))
            .bind(merchant_id)
            .bind(id)
            .fetch_one(self.reader())
            .await?)
    }

    /// The lines of an order that have a review.
    pub async fn reviewed_lines(&self, order_id: i64) -> StoreResult<Vec<i64>> {
        let rows: Vec<(i64,)> = sqlx::query_as("SELECT line_id FROM reviews WHERE order_id = $1")
            .bind(order_id)
            .fetch_all(self.reader())
            .await?;
        Ok(rows.into_iter().map(|(i,)| i).collect())
    }

    /// A product's visible reviews, newest first.
    pub async fn product_reviews(
        &self,
        product_id: i64,
        filter: ReviewFilter,
        limit: i64,
        offset: i64,
    ) -> StoreResult<Paged<ReviewRow>> {
        let filter = format!("r.product_id = $1 AND r.hidden = 0{}", filter.sql());
        let items = sqlx::query_as::<_, ReviewRow>(&format!(
            "SELECT {COLS} FROM {FROM} WHERE {filter} ORDER BY r.id DESC LIMIT $2 OFFSET $3"
        ))
        .bind(product_id)
        .bind(limit)
        .bind(offset)
        .fetch_all(self.reader())
        .await?;
        let (total,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM reviews r WHERE {filter}"))
            .bind(product_id)
            .fetch_one(self.reader())
            .await?;
        Ok(Paged { items, total })
    }

    /// A product's visible reviews counted, one aggregate.
    pub async fn review_counts(&self, product_id: i64) -> StoreResult<ReviewCounts> {
        Ok(sqlx::query_as::<_, ReviewCounts>(
            "SELECT COUNT(*) AS total, COALESCE(SUM(rating), 0) AS stars,
                    COALESCE(SUM(CASE WHEN images <> '[]' THEN 1 ELSE 0 END), 0) AS with_images,
                    COALESCE(SUM(CASE WHEN rating >= 4 THEN 1 ELSE 0 END), 0) AS good,
                    COALESCE(SUM(CASE WHEN rating = 3 THEN 1 ELSE 0 END), 0) AS neutral,
                    COALESCE(SUM(CASE WHEN rating <= 2 THEN 1 ELSE 0 END), 0) AS bad
             FROM reviews WHERE product_id = $1 AND hidden = 0",
        )
        .bind(product_id)
        .fetch_one(self.reader())
        .await?)
    }

    /// A buyer's own reviews (hidden ones too), newest first.
    pub async fn buyer_reviews(&self, buyer_id: i64, limit: i64, offset: i64) -> StoreResult<Paged<ReviewRow>> {
        let items = sqlx::query_as::<_, ReviewRow>(&format!(
            "SELECT {COLS} FROM {FROM} WHERE r.buyer_id = $1 ORDER BY r.id DESC LIMIT $2 OFFSET $3"
        ))
        .bind(buyer_id)
        .bind(limit)
        .bind(offset)
        .fetch_all(self.reader())
        .await?;
        let (total,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM reviews WHERE buyer_id = $1")
            .bind(buyer_id)
            .fetch_one(self.reader())
            .await?;
        Ok(Paged { items, total })
    }

    /// The merchant's reviews, newest first; `unreplied` keeps those without a reply.
    pub async fn merchant_reviews(
        &self,
        merchant_id: i64,
        unreplied: bool,
        limit: i64,
        offset: i64,
    ) -> StoreResult<Paged<ReviewRow>> {
        let filter = if unreplied { "r.merchant_id = $1 AND r.reply IS NULL" } else { "r.merchant_id = $1" };
        let items = sqlx::query_as::<_, ReviewRow>(&format!(
            "SELECT {COLS} FROM {FROM} WHERE {filter} ORDER BY r.id DESC LIMIT $2 OFFSET $3"
        ))
        .bind(merchant_id)
        .bind(limit)
        .bind(offset)
        .fetch_all(self.reader())
        .await?;
        let (total,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM reviews r WHERE {filter}"))
            .bind(merchant_id)
            .fetch_one(self.reader())
            .await?;
        Ok(Paged { items, total })
    }

    pub async fn set_review_reply(&self, tx: &mut Tx, merchant_id: i64, id: i64, reply: &str) -> StoreResult<bool> {
        let n = sqlx::query("UPDATE reviews SET reply = $3, replied_at = $4 WHERE merchant_id = $1 AND id = $2")
            .bind(merchant_id)
            .bind(id)
            .bind(reply)
            .bind(now_ms())
            .execute(&mut **tx)
            .await?
            .rows_affected();
        Ok(n == 1)
    }

    pub async fn set_review_hidden(&self, tx: &mut Tx, merchant_id: i64, id: i64, hidden: bool) -> StoreResult<bool> {
        let n = sqlx::query("UPDATE reviews SET hidden = $3 WHERE merchant_id = $1 AND id = $2")
            .bind(merchant_id)
            .bind(id)
            .bind(i32::from(hidden))
            .execute(&mut **tx)
            .await?
            .rows_affected();
        Ok(n == 1)
    }

    /// The buyer's orders received or completed with a line not reviewed yet (待评价), newest first.
    pub async fn buyer_orders_to_review(
        &self,
        buyer_id: i64,
        limit: i64,
        offset: i64,
    ) -> StoreResult<Paged<crate::orders::OrderRow>> {
        let filter = "buyer_id = $1 AND status IN ('received', 'completed') AND EXISTS (
            SELECT 1 FROM order_lines l WHERE l.order_id = orders.id AND NOT EXISTS (
                SELECT 1 FROM reviews r WHERE r.line_id = l.id))";
        let items = sqlx::query_as::<_, crate::orders::OrderRow>(&format!(
            "SELECT {} FROM orders WHERE {filter} ORDER BY id DESC LIMIT $2 OFFSET $3",
            crate::orders::ORDER_COLS
        ))
        .bind(buyer_id)
        .bind(limit)
        .bind(offset)
        .fetch_all(self.reader())
        .await?;
        let (total,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM orders WHERE {filter}"))
            .bind(buyer_id)
            .fetch_one(self.reader())
            .await?;
        Ok(Paged { items, total })
    }
}

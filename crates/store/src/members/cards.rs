//! Paid membership cards (付费会员/年卡) and their grants.

use sqlx::{Any, Executor, FromRow};

use crate::{Paged, Store, StoreError, StoreResult, Tx};

#[derive(Debug, Clone, FromRow)]
pub struct CardRow {
    pub id: i64,
    pub name: String,
    pub product_id: i64,
    pub level_id: i64,
    pub term_days: i32,
    pub welcome_points: i64,
    pub created_at: i64,
}

const CARD_COLS: &str = "c.id, c.name, c.product_id, c.level_id, c.term_days, c.welcome_points, c.created_at";

/// A card bought on an order line.
#[derive(Debug, Clone, FromRow)]
pub struct CardLineRow {
    pub line_id: i64,
    pub quantity: i64,
    pub id: i64,
    pub name: String,
    pub product_id: i64,
    pub level_id: i64,
    pub term_days: i32,
    pub welcome_points: i64,
    pub created_at: i64,
}

#[derive(Debug, Clone, FromRow)]
pub struct GrantRow {
    pub id: i64,
    pub buyer_id: i64,
    pub card_id: i64,
    pub order_id: i64,
    pub line_id: i64,
    pub level_id: i64,
    pub before_level_id: Option<i64>,
    pub starts_at: i64,
    pub ends_at: i64,
    pub welcome_points: i64,
    pub status: String,
}

const GRANT_COLS: &str =
    "id, buyer_id, card_id, order_id, line_id, level_id, before_level_id, starts_at, ends_at, welcome_points, status";

/// A new grant of a card.
#[derive(Debug, Clone)]
pub struct NewGrant {
    pub buyer_id: i64,
    pub card_id: i64,
    pub order_id: i64,
    pub line_id: i64,
    pub level_id: i64,
    pub before_level_id: Option<i64>,
    pub starts_at: i64,
    pub ends_at: i64,
    pub welcome_points: i64,
}

/// The buyer's card as their level card shows it: the card's name, the level it grants and when the last
/// of its active grants ends.
#[derive(Debug, Clone, FromRow)]
pub struct HeldCardRow {
    pub name: String,
    pub level_id: i64,
    pub ends_at: i64,
    pub product_id: i64,
    pub term_days: i32,
}

/// The highest-ranked level granted by an active card at `now` (the grant has started and not ended).
pub async fn active_card_level<'e>(
    ex: impl Executor<'e, Database = Any>,
    buyer_id: i64,
    now: i64,
) -> StoreResult<Option<i64>> {
    let row: Option<(i64,)> = sqlx::query_as(
        "SELECT g.level_id FROM member_card_grants g JOIN member_levels l ON l.id = g.level_id
         WHERE g.buyer_id = $1 AND g.status = 'active' AND g.starts_at <= $2 AND g.ends_at > $2
         ORDER BY l.rank DESC LIMIT 1",
    )
    .bind(buyer_id)
    .bind(now)
    .fetch_optional(ex)
    .await?;
    Ok(row.map(|r| r.0))
}

/// The card a buyer holds at `now`, with the end of its last active grant (renewals included).
pub async fn held_card<'e>(
    ex: impl Executor<'e, Database = Any>,
    buyer_id: i64,
    now: i64,
) -> StoreResult<Option<HeldCardRow>> {
    Ok(sqlx::query_as(
        "SELECT c.name, g.level_id, (SELECT MAX(g2.ends_at) FROM member_card_grants g2
                 WHERE g2.buyer_id = g.buyer_id AND g2.card_id = g.card_id AND g2.status = 'active') AS ends_at,
                c.product_id, c.term_days
         FROM member_card_grants g JOIN member_cards c ON c.id = g.card_id JOIN member_levels l ON l.id = g.level_id
         WHERE g.buyer_id = $1 AND g.status = 'active' AND g.starts_at <= $2 AND g.ends_at > $2
         ORDER BY l.rank DESC, g.id LIMIT 1",
    )
    .bind(buyer_id)
    .bind(now)
    .fetch_optional(ex)
    .await?)
}

impl Store {
    #[allow(clippy::too_many_arguments)]
    pub async fn create_member_card(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        name: &str,
        product_id: i64,
        level_id: i64,
        term_days: i32,
        welcome_points: i64,
    ) -> StoreResult<i64> {
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO member_cards (merchant_id, name, product_id, level_id, term_days, welcome_points, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(merchant_id)
        .bind(name.trim())
        .bind(product_id)
        .bind(level_id)
        .bind(term_days)
        .bind(welcome_points)
        .bind(crate::now_ms())
        .fetch_one(&mut **tx)
        .await
        .map_err(|e| match StoreError::from(e) {
            StoreError::Duplicate(m) if m.contains("product") => StoreError::Duplicate("card product".into()),
            StoreError::Duplicate(_) => StoreError::Duplicate(format!("card {name}")),
            other => other,
        })?;
        Ok(id)
    }

    pub async fn member_cards(&self, merchant_id: i64, limit: i64, offset: i64) -> StoreResult<Paged<CardRow>> {
        let items = sqlx::query_as(&format!(
            "SELECT {CARD_COLS} FROM member_cards c WHERE c.merchant_id = $1 ORDER BY c.id DESC LIMIT $2 OFFSET $3"
        ))
        .bind(merchant_id)
        .bind(limit)
        .bind(offset)
        .fetch_all(self.reader())
        .await?;
        let (total,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM member_cards WHERE merchant_id = $1")
            .bind(merchant_id)
            .fetch_one(self.reader())
            .await?;
        Ok(Paged { items, total })
    }

    /// The lines of an order that sell a card, with the card.
    pub async fn card_lines(&self, tx: &mut Tx, merchant_id: i64, order_id: i64) -> StoreResult<Vec<CardLineRow>> {
        Ok(sqlx::query_as(&format!(
            "SELECT l.id AS line_id, l.quantity, {CARD_COLS} FROM order_lines l
             JOIN member_cards c ON c.product_id = l.product_id AND c.merchant_id = $2
             WHERE l.order_id = $1 ORDER BY l.id"
        ))
        .bind(order_id)
        .bind(merchant_id)
        .fetch_all(&mut **tx)
        .await?)
    }

    /// The active grants of a buyer, latest end first.
    pub async fn active_grants(&self, tx: &mut Tx, buyer_id: i64) -> StoreResult<Vec<GrantRow>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {GRANT_COLS} FROM member_card_grants WHERE buyer_id = $1 AND status = 'active' ORDER BY ends_at DESC, id DESC"
        ))
        .bind(buyer_id)
        .fetch_all(&mut **tx)
        .await?)
    }

    pub async fn insert_card_grant(&self, tx: &mut Tx, merchant_id: i64, g: &NewGrant) -> StoreResult<i64> {
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO member_card_grants (merchant_id, buyer_id, card_id, order_id, line_id, level_id, before_level_id, starts_at, ends_at, welcome_points)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(merchant_id)
        .bind(g.buyer_id)
        .bind(g.card_id)
        .bind(g.order_id)
        .bind(g.line_id)
        .bind(g.level_id)
        .bind(g.before_level_id)
        .bind(g.starts_at)
        .bind(g.ends_at)
        .bind(g.welcome_points)
        .fetch_one(&mut **tx)
        .await?;
        Ok(id)
    }

    pub async fn card_grant(&self, tx: &mut Tx, id: i64) -> StoreResult<Option<GrantRow>> {
        Ok(sqlx::query_as(&format!("SELECT {GRANT_COLS} FROM member_card_grants WHERE id = $1"))
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?)
    }

    pub async fn card_grant_of_line(&self, tx: &mut Tx, line_id: i64) -> StoreResult<Option<GrantRow>> {
        Ok(sqlx::query_as(&format!("SELECT {GRANT_COLS} FROM member_card_grants WHERE line_id = $1"))
            .bind(line_id)
            .fetch_optional(&mut **tx)
            .await?)
    }

    /// End an active grant (`ended` at its term, `revoked` by a refund). `false` when it was not active (a
    /// concurrent end won).
    pub async fn end_card_grant(&self, tx: &mut Tx, id: i64, status: &str, at: i64) -> StoreResult<bool> {
        let r =
            sqlx::query("UPDATE member_card_grants SET status = $2, ended_at = $3 WHERE id = $1 AND status = 'active'")
                .bind(id)
                .bind(status)
                .bind(at)
                .execute(&mut **tx)
                .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Shorten an active grant to end at `ends_at` (units of the card refunded).
    pub async fn shorten_card_grant(&self, tx: &mut Tx, id: i64, ends_at: i64) -> StoreResult<bool> {
        let r = sqlx::query(
            "UPDATE member_card_grants SET ends_at = $2 WHERE id = $1 AND status = 'active' AND starts_at < $2 AND ends_at > $2",
        )
        .bind(id)
        .bind(ends_at)
        .execute(&mut **tx)
        .await?;
        Ok(r.rows_affected() == 1)
    }
}

//! The storefront's showcase (店铺装修): image banners and the icon grid of the home page, in their order.

use sqlx::{Any, Executor, FromRow};

use crate::{Paged, Store, StoreResult, Tx};

#[derive(Debug, Clone, FromRow)]
pub struct ShowcaseRow {
    pub id: i64,
    pub slot: String,
    pub title: String,
    pub image: String,
    pub link_kind: String,
    pub link_target: Option<String>,
    pub position: i64,
    pub enabled: i32,
    pub starts_at: Option<i64>,
    pub ends_at: Option<i64>,
    pub updated_at: i64,
}

/// An entry as written.
#[derive(Debug, Clone)]
pub struct ShowcaseFields<'a> {
    pub title: &'a str,
    pub image: &'a str,
    pub link_kind: &'a str,
    pub link_target: Option<&'a str>,
    pub enabled: bool,
    pub starts_at: Option<i64>,
    pub ends_at: Option<i64>,
}

const COLUMNS: &str =
    "id, slot, title, image, link_kind, link_target, position, enabled, starts_at, ends_at, updated_at";

impl Store {
    /// Entries of a slot in a shop, in their order.
    pub async fn showcase(
        &self,
        merchant_id: i64,
        slot: &str,
        limit: i64,
        offset: i64,
    ) -> StoreResult<Paged<ShowcaseRow>> {
        let items = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM showcase_items WHERE merchant_id = $1 AND slot = $2
             ORDER BY position, id LIMIT $3 OFFSET $4"
        ))
        .bind(merchant_id)
        .bind(slot)
        .bind(limit)
        .bind(offset)
        .fetch_all(self.reader())
        .await?;
        let (total,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM showcase_items WHERE merchant_id = $1 AND slot = $2")
                .bind(merchant_id)
                .bind(slot)
                .fetch_one(self.reader())
                .await?;
        Ok(Paged { items, total })
    }

    /// The entries of a slot that show at `now` (enabled, within their window), in their order.
    pub async fn showcase_live(
        &self,
        merchant_id: i64,
        slot: &str,
        now: i64,
        limit: i64,
    ) -> StoreResult<Vec<ShowcaseRow>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM showcase_items
             WHERE merchant_id = $1 AND slot = $2 AND enabled = 1
               AND (starts_at IS NULL OR starts_at <= $3) AND (ends_at IS NULL OR ends_at > $3)
             ORDER BY position, id LIMIT $4"
        ))
        .bind(merchant_id)
        .bind(slot)
        .bind(now)
        .bind(limit)
        .fetch_all(self.reader())
        .await?)
    }

    pub async fn showcase_entry<'e>(
        &self,
        ex: impl Executor<'e, Database = Any>,
        merchant_id: i64,
        id: i64,
    ) -> StoreResult<Option<ShowcaseRow>> {
        Ok(sqlx::query_as(&format!("SELECT {COLUMNS} FROM showcase_items WHERE merchant_id = $1 AND id = $2"))
            .bind(merchant_id)
            .bind(id)
            .fetch_optional(ex)
            .await?)
    }

    /// Entries a slot holds now (inside the writing transaction, to keep the slot's bound).
    pub async fn showcase_count(&self, tx: &mut Tx, merchant_id: i64, slot: &str) -> StoreResult<i64> {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM showcase_items WHERE merchant_id = $1 AND slot = $2")
            .bind(merchant_id)
            .bind(slot)
            .fetch_one(&mut **tx)
            .await?;
        Ok(n)
    }

    /// Add an entry at the end of its slot.
    pub async fn create_showcase_item(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        slot: &str,
        f: &ShowcaseFields<'_>,
    ) -> StoreResult<ShowcaseRow> {
        let now = crate::now_ms();
        let row = sqlx::query_as(&format!(
            "INSERT INTO showcase_items (merchant_id, slot, title, image, link_kind, link_target, position, enabled,
                                         starts_at, ends_at, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6,
                     (SELECT COALESCE(MAX(position), 0) + 1 FROM showcase_items WHERE merchant_id = $1 AND slot = $2),
                     $7, $8, $9, $10, $10)
             RETURNING {COLUMNS}"
        ))
        .bind(merchant_id)
        .bind(slot)
        .bind(f.title)
        .bind(f.image)
        .bind(f.link_kind)
        .bind(f.link_target)
        .bind(i32::from(f.enabled))
        .bind(f.starts_at)
        .bind(f.ends_at)
        .bind(now)
        .fetch_one(&mut **tx)
        .await?;
        Ok(row)
    }

    /// Rewrite an entry's fields (its slot and position stay); false when there is no such entry.
    pub async fn update_showcase_item(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        id: i64,
        f: &ShowcaseFields<'_>,
    ) -> StoreResult<bool> {
        let n = sqlx::query(
            "UPDATE showcase_items SET title = $3, image = $4, link_kind = $5, link_target = $6, enabled = $7,
                    starts_at = $8, ends_at = $9, updated_at = $10
             WHERE merchant_id = $1 AND id = $2",
        )
        .bind(merchant_id)
        .bind(id)
        .bind(f.title)
        .bind(f.image)
        .bind(f.link_kind)
        .bind(f.link_target)
        .bind(i32::from(f.enabled))
        .bind(f.starts_at)
        .bind(f.ends_at)
        .bind(crate::now_ms())
        .execute(&mut **tx)
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    pub async fn set_showcase_enabled(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        id: i64,
        enabled: bool,
    ) -> StoreResult<bool> {
        let n =
            sqlx::query("UPDATE showcase_items SET enabled = $3, updated_at = $4 WHERE merchant_id = $1 AND id = $2")
                .bind(merchant_id)
                .bind(id)
                .bind(i32::from(enabled))
                .bind(crate::now_ms())
                .execute(&mut **tx)
                .await?
                .rows_affected();
        Ok(n == 1)
    }

    pub async fn delete_showcase_item(&self, tx: &mut Tx, merchant_id: i64, id: i64) -> StoreResult<bool> {
        let n = sqlx::query("DELETE FROM showcase_items WHERE merchant_id = $1 AND id = $2")
            .bind(merchant_id)
            .bind(id)
            .execute(&mut **tx)
            .await?
            .rows_affected();
        Ok(n == 1)
    }

    /// Swap an entry's position with its neighbour's (the one before it when `up`); false at either end.
    pub async fn move_showcase_item(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        row: &ShowcaseRow,
        up: bool,
    ) -> StoreResult<bool> {
        let sql = if up {
            "SELECT id, position FROM showcase_items WHERE merchant_id = $1 AND slot = $2
               AND (position < $3 OR (position = $3 AND id < $4)) ORDER BY position DESC, id DESC LIMIT 1"
        } else {
            "SELECT id, position FROM showcase_items WHERE merchant_id = $1 AND slot = $2
               AND (position > $3 OR (position = $3 AND id > $4)) ORDER BY position, id LIMIT 1"
        };
        let other: Option<(i64, i64)> = sqlx::query_as(sql)
            .bind(merchant_id)
            .bind(&row.slot)
            .bind(row.position)
            .bind(row.id)
            .fetch_optional(&mut **tx)
            .await?;
        let Some((other_id, other_position)) = other else { return Ok(false) };
        // Equal positions (never written by this module, but possible after a restore) become distinct.
        let (mine, theirs) = if other_position == row.position {
            if up {
                (row.position - 1, row.position)
            } else {
                (row.position + 1, row.position)
            }
        } else {
            (other_position, row.position)
        };
        let now = crate::now_ms();
        for (id, position) in [(row.id, mine), (other_id, theirs)] {
            sqlx::query("UPDATE showcase_items SET position = $3, updated_at = $4 WHERE merchant_id = $1 AND id = $2")
                .bind(merchant_id)
                .bind(id)
                .bind(position)
                .bind(now)
                .execute(&mut **tx)
                .await?;
        }
        Ok(true)
    }
}

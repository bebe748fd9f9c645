//! Buyers of a merchant's shop.

use sqlx::FromRow;

use crate::{now_ms, Paged, Store, StoreResult, Tx};

#[derive(Debug, Clone, FromRow)]
pub struct BuyerRow {
    pub id: i64,
    pub merchant_id: i64,
    pub openid: Option<String>,
    pub phone: Option<String>,
    pub nickname: String,
    pub channel: String,
    pub created_at: i64,
}

const COLS: &str = "id, merchant_id, openid, phone, nickname, channel, created_at";

/// How the buyer is identified at login.
#[derive(Debug, Clone, Copy)]
pub enum BuyerIdentity<'a> {
    OpenId(&'a str),
    Phone(&'a str),
}

impl Store {
    /// Find the buyer by openid or phone, creating them on first login. Returns the row and whether it is new.
    pub async fn upsert_buyer(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        who: BuyerIdentity<'_>,
        nickname: &str,
        channel: &str,
    ) -> StoreResult<(BuyerRow, bool)> {
        let (col, val) = match who {
            BuyerIdentity::OpenId(v) => ("openid", v),
            BuyerIdentity::Phone(v) => ("phone", v),
        };
        if let Some(b) =
            sqlx::query_as::<_, BuyerRow>(&format!("SELECT {COLS} FROM buyers WHERE merchant_id = $1 AND {col} = $2"))
                .bind(merchant_id)
                .bind(val)
                .fetch_optional(&mut **tx)
                .await?
        {
            return Ok((b, false));
        }
        let b = sqlx::query_as::<_, BuyerRow>(&format!(
            "INSERT INTO buyers (merchant_id, {col}, nickname, channel, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING {COLS}"
        ))
        .bind(merchant_id)
        .bind(val)
        .bind(nickname)
        .bind(channel)
        .bind(now_ms())
        .fetch_one(&mut **tx)
        .await?;
        // Every buyer has a member profile from the start, so that segments and the lifecycle see them all.
        sqlx::query(
            "INSERT INTO member_profiles (buyer_id, merchant_id, registered_day, channel, updated_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (buyer_id) DO NOTHING",
        )
        .bind(b.id)
        .bind(merchant_id)
        .bind(minimall_core::time::day_of(b.created_at).unwrap_or(0))
        .bind(channel)
        .bind(b.created_at)
        .execute(&mut **tx)
        .await?;
        Ok((b, true))
    }

    pub async fn buyer_by_id(&self, merchant_id: i64, id: i64) -> StoreResult<BuyerRow> {
        Ok(sqlx::query_as::<_, BuyerRow>(&format!("SELECT {COLS} FROM buyers WHERE merchant_id = $1 AND id = $2"))
            .bind(merchant_id)
            .bind(id)
            .fetch_one(self.reader())
            .await?)
    }

    /// Buyers, newest first, optionally filtered by a nickname/phone substring.
    pub async fn list_buyers(
        &self,
        merchant_id: i64,
        q: &str,
        limit: i64,
        offset: i64,
    ) -> StoreResult<Paged<BuyerRow>> {
        let pattern = format!("%{}%", q.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
        let filter = "merchant_id = $1 AND ($2 = '%%' OR nickname LIKE $2 ESCAPE '\\' OR phone LIKE $2 ESCAPE '\\')";
        let items = sqlx::query_as::<_, BuyerRow>(&format!(
            "SELECT {COLS} FROM buyers WHERE {filter} ORDER BY id DESC LIMIT $3 OFFSET $4"
        ))
        .bind(merchant_id)
        .bind(&pattern)
        .bind(limit)
        .bind(offset)
        .fetch_all(self.reader())
        .await?;
        let (total,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM buyers WHERE {filter}"))
            .bind(merchant_id)
            .bind(&pattern)
            .fetch_one(self.reader())
            .await?;
        Ok(Paged { items, total })
    }

    pub async fn count_buyers(&self, merchant_id: i64) -> StoreResult<i64> {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM buyers WHERE merchant_id = $1")
            .bind(merchant_id)
            .fetch_one(self.reader())
            .await?;
        Ok(n)
    }
}

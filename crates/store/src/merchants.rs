//! Merchants. Self-operated mode has exactly one, the default merchant.

use sqlx::FromRow;

use crate::{now_ms, Store, StoreResult};

#[derive(Debug, Clone, FromRow)]
pub struct MerchantRow {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub is_default: i32,
    pub created_at: i64,
}

pub const DEFAULT_CODE: &str = "default";

impl Store {
    /// The default merchant, created on first use.
    pub async fn default_merchant(&self) -> StoreResult<MerchantRow> {
        if let Some(m) = sqlx::query_as::<_, MerchantRow>(
            "SELECT id, code, name, is_default, created_at FROM merchants WHERE is_default = 1",
        )
        .fetch_optional(self.reader())
        .await?
        {
            return Ok(m);
        }
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO merchants (code, name, is_default, created_at) VALUES ($1, $2, 1, $3) ON CONFLICT (code) DO NOTHING",
        )
        .bind(DEFAULT_CODE)
        .bind("Minimall 自营店")
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        let m = sqlx::query_as::<_, MerchantRow>(
            "SELECT id, code, name, is_default, created_at FROM merchants WHERE code = $1",
        )
        .bind(DEFAULT_CODE)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(m)
    }
}

impl Store {
    /// Add a merchant (platform mode: merchants join the mall).
    pub async fn create_merchant(&self, code: &str, name: &str) -> StoreResult<MerchantRow> {
        let mut tx = self.begin().await?;
        let m = sqlx::query_as::<_, MerchantRow>(
            "INSERT INTO merchants (code, name, is_default, created_at) VALUES ($1, $2, 0, $3) RETURNING id, code, name, is_default, created_at",
        )
        .bind(code)
        .bind(name)
        .bind(now_ms())
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(m)
    }
}

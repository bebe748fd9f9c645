//! Buyers' delivery addresses.

use sqlx::FromRow;

use crate::{now_ms, Store, StoreError, StoreResult, Tx};

#[derive(Debug, Clone, FromRow)]
pub struct AddressRow {
    pub id: i64,
    pub buyer_id: i64,
    pub name: String,
    pub phone: String,
    pub province: String,
    pub city: String,
    pub district: String,
    pub detail: String,
    pub is_default: i32,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLS: &str = "id, buyer_id, name, phone, province, city, district, detail, is_default, created_at, updated_at";

#[derive(Debug, Clone)]
pub struct AddressFields {
    pub name: String,
    pub phone: String,
    pub province: String,
    pub city: String,
    pub district: String,
    pub detail: String,
    pub is_default: bool,
}

/// A buyer keeps at most this many addresses.
pub const MAX_ADDRESSES: i64 = 30;

impl Store {
    pub async fn addresses(&self, buyer_id: i64) -> StoreResult<Vec<AddressRow>> {
        Ok(sqlx::query_as::<_, AddressRow>(&format!(
            "SELECT {COLS} FROM addresses WHERE buyer_id = $1 ORDER BY is_default DESC, id DESC"
        ))
        .bind(buyer_id)
        .fetch_all(self.reader())
        .await?)
    }

    pub async fn address(&self, buyer_id: i64, id: i64) -> StoreResult<AddressRow> {
        Ok(sqlx::query_as::<_, AddressRow>(&format!("SELECT {COLS} FROM addresses WHERE buyer_id = $1 AND id = $2"))
            .bind(buyer_id)
            .bind(id)
            .fetch_one(self.reader())
            .await?)
    }

    pub async fn insert_address(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        buyer_id: i64,
        a: &AddressFields,
    ) -> StoreResult<AddressRow> {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM addresses WHERE buyer_id = $1")
            .bind(buyer_id)
            .fetch_one(&mut **tx)
            .await?;
        if n >= MAX_ADDRESSES {
            return Err(StoreError::Constraint(format!("at most {MAX_ADDRESSES} addresses")));
        }
        let first = n == 0;
        if a.is_default {
            sqlx::query("UPDATE addresses SET is_default = 0 WHERE buyer_id = $1")
                .bind(buyer_id)
                .execute(&mut **tx)
                .await?;
        }
        let now = now_ms();
        Ok(sqlx::query_as::<_, AddressRow>(&format!(
            "INSERT INTO addresses (merchant_id, buyer_id, name, phone, province, city, district, detail, is_default, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING {COLS}"
        ))
        .bind(merchant_id)
        .bind(buyer_id)
        .bind(&a.name)
        .bind(&a.phone)
        .bind(&a.province)
        .bind(&a.city)
        .bind(&a.district)
        .bind(&a.detail)
        .bind(i32::from(a.is_default || first))
        .bind(now)
        .fetch_one(&mut **tx)
        .await?)
    }

    pub async fn update_address(
        &self,
        tx: &mut Tx,
        buyer_id: i64,
        id: i64,
        a: &AddressFields,
    ) -> StoreResult<AddressRow> {
        if a.is_default {
            sqlx::query("UPDATE addresses SET is_default = 0 WHERE buyer_id = $1")
                .bind(buyer_id)
                .execute(&mut **tx)
                .await?;
        }
        Ok(sqlx::query_as::<_, AddressRow>(&format!(
            "UPDATE addresses SET name = $3, phone = $4, province = $5, city = $6, district = $7, detail = $8,
                is_default = CASE WHEN $9 = 1 THEN 1 ELSE is_default END, updated_at = $10
             WHERE buyer_id = $1 AND id = $2 RETURNING {COLS}"
        ))
        .bind(buyer_id)
        .bind(id)
        .bind(&a.name)
        .bind(&a.phone)
        .bind(&a.province)
        .bind(&a.city)
        .bind(&a.district)
        .bind(&a.detail)
        .bind(i32::from(a.is_default))
        .bind(now_ms())
        .fetch_one(&mut **tx)
        .await?)
    }

    pub async fn delete_address(&self, tx: &mut Tx, buyer_id: i64, id: i64) -> StoreResult<()> {
        let n = sqlx::query("DELETE FROM addresses WHERE buyer_id = $1 AND id = $2")
            .bind(buyer_id)
            .bind(id)
            .execute(&mut **tx)
            .await?
            .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }
}

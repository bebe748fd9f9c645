//! Per-merchant settings kept on the merchant row.

use crate::{Store, StoreResult, Tx};

impl Store {
    /// (mode, words as a JSON array or None for the built-in list).
    pub async fn banned_word_settings(&self, merchant_id: i64) -> StoreResult<(String, Option<String>)> {
        Ok(sqlx::query_as("SELECT banned_word_mode, banned_words FROM merchants WHERE id = $1")
            .bind(merchant_id)
            .fetch_one(self.reader())
            .await?)
    }

    pub async fn set_banned_word_settings(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        mode: &str,
        words_json: &str,
    ) -> StoreResult<()> {
        sqlx::query("UPDATE merchants SET banned_word_mode = $2, banned_words = $3 WHERE id = $1")
            .bind(merchant_id)
            .bind(mode)
            .bind(words_json)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }
}

impl Store {
    /// What the shop decided about its roles: whether operators see cost prices.
    pub async fn operator_reads_cost(&self, merchant_id: i64) -> StoreResult<bool> {
        let (v,): (i64,) = sqlx::query_as("SELECT operator_reads_cost FROM merchants WHERE id = $1")
            .bind(merchant_id)
            .fetch_one(self.reader())
            .await?;
        Ok(v != 0)
    }

    pub async fn set_operator_reads_cost(&self, tx: &mut Tx, merchant_id: i64, on: bool) -> StoreResult<()> {
        sqlx::query("UPDATE merchants SET operator_reads_cost = $2 WHERE id = $1")
            .bind(merchant_id)
            .bind(i64::from(on))
            .execute(&mut **tx)
            .await?;
        Ok(())
    }
}

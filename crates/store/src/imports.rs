//! Product CSV imports: the decoded file, its progress and its outcome.

use sqlx::FromRow;

use crate::{now_ms, Store, StoreResult, Tx};

#[derive(Debug, Clone, FromRow)]
pub struct ImportRecord {
    pub id: i64,
    pub merchant_id: i64,
    pub actor: String,
    pub status: String,
    pub encoding: String,
    pub total_rows: i64,
    pub processed_rows: i64,
    pub created_products: i64,
    pub updated_products: i64,
    pub created_skus: i64,
    pub updated_skus: i64,
    /// JSON array of `{row, column, message}`.
    pub errors: String,
    pub created_at: i64,
    pub finished_at: Option<i64>,
}

const COLS: &str = "id, merchant_id, actor, status, encoding, total_rows, processed_rows, created_products, updated_products, created_skus, updated_skus, errors, created_at, finished_at";

/// Counts of what an import wrote.
#[derive(Debug, Clone, Copy, Default)]
pub struct ImportCounts {
    pub created_products: i64,
    pub updated_products: i64,
    pub created_skus: i64,
    pub updated_skus: i64,
}

impl Store {
    pub async fn insert_import(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        actor: &str,
        encoding: &str,
        content: &str,
        total_rows: i64,
    ) -> StoreResult<i64> {
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO imports (merchant_id, actor, status, encoding, content, total_rows, created_at)
             VALUES ($1, $2, 'queued', $3, $4, $5, $6) RETURNING id",
        )
        .bind(merchant_id)
        .bind(actor)
        .bind(encoding)
        .bind(content)
        .bind(total_rows)
        .bind(now_ms())
        .fetch_one(&mut **tx)
        .await?;
        Ok(id)
    }

    pub async fn import_record(&self, merchant_id: i64, id: i64) -> StoreResult<ImportRecord> {
        Ok(sqlx::query_as::<_, ImportRecord>(&format!("SELECT {COLS} FROM imports WHERE merchant_id = $1 AND id = $2"))
            .bind(merchant_id)
            .bind(id)
            .fetch_one(self.reader())
            .await?)
    }

    pub async fn import_content(&self, id: i64) -> StoreResult<String> {
        let (c,): (String,) =
            sqlx::query_as("SELECT content FROM imports WHERE id = $1").bind(id).fetch_one(self.reader()).await?;
        Ok(c)
    }

    pub async fn set_import_progress(&self, id: i64, status: &str, processed: i64) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        sqlx::query("UPDATE imports SET status = $2, processed_rows = $3 WHERE id = $1")
            .bind(id)
            .bind(status)
            .bind(processed)
            .execute(&mut *tx)
            .await?;
        crate::commit(tx).await
    }

    /// Final state, inside the transaction that applied the rows (or on its own when the import failed).
    pub async fn finish_import(
        &self,
        tx: &mut Tx,
        id: i64,
        status: &str,
        counts: ImportCounts,
        errors_json: &str,
        processed: i64,
    ) -> StoreResult<()> {
        sqlx::query(
            "UPDATE imports SET status = $2, created_products = $3, updated_products = $4, created_skus = $5,
                updated_skus = $6, errors = $7, processed_rows = $8, finished_at = $9, content = '' WHERE id = $1",
        )
        .bind(id)
        .bind(status)
        .bind(counts.created_products)
        .bind(counts.updated_products)
        .bind(counts.created_skus)
        .bind(counts.updated_skus)
        .bind(errors_json)
        .bind(processed)
        .bind(now_ms())
        .execute(&mut **tx)
        .await?;
        Ok(())
    }
}

//! Uploaded files (product images). The bytes live on disk; this is their record.

use sqlx::FromRow;

use crate::{now_ms, Store, StoreResult};

#[derive(Debug, Clone, FromRow)]
pub struct UploadRow {
    pub id: i64,
    pub merchant_id: i64,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub created_at: i64,
}

impl Store {
    /// Record an upload; the same content (same name) uploaded twice is one record.
    pub async fn record_upload(
        &self,
        merchant_id: i64,
        file_name: &str,
        content_type: &str,
        size: i64,
    ) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO uploads (merchant_id, file_name, content_type, size_bytes, created_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (file_name) DO NOTHING",
        )
        .bind(merchant_id)
        .bind(file_name)
        .bind(content_type)
        .bind(size)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        crate::commit(tx).await
    }

    pub async fn upload(&self, file_name: &str) -> StoreResult<Option<UploadRow>> {
        Ok(sqlx::query_as::<_, UploadRow>(
            "SELECT id, merchant_id, file_name, content_type, size_bytes, created_at FROM uploads WHERE file_name = $1",
        )
        .bind(file_name)
        .fetch_optional(self.reader())
        .await?)
    }
}

//! The audit log: who did what to which record, with the record before and after, written in the same
//! transaction as the change.

use sqlx::FromRow;

use crate::{now_ms, Paged, Store, StoreResult, Tx};

#[derive(Debug, Clone, FromRow)]
pub struct AuditRow {
    pub id: i64,
    pub merchant_id: i64,
    pub actor_id: i64,
    pub actor_name: String,
    pub action: String,
    pub target: String,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
    pub request_id: Option<String>,
    pub at: i64,
}

pub struct AuditEntry<'a> {
    pub merchant_id: i64,
    pub actor_id: i64,
    pub actor_name: &'a str,
    pub action: &'a str,
    pub target: &'a str,
    pub before: Option<&'a serde_json::Value>,
    pub after: Option<&'a serde_json::Value>,
    pub request_id: Option<&'a str>,
}

impl Store {
    pub async fn audit(&self, tx: &mut Tx, e: &AuditEntry<'_>) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO audit_log (merchant_id, actor_id, actor_name, action, target, before_json, after_json, request_id, at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(e.merchant_id)
        .bind(e.actor_id)
        .bind(e.actor_name)
        .bind(e.action)
        .bind(e.target)
        .bind(e.before.map(|v| v.to_string()))
        .bind(e.after.map(|v| v.to_string()))
        .bind(e.request_id)
        .bind(now_ms())
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    pub async fn list_audit(
        &self,
        merchant_id: i64,
        action: Option<&str>,
        actor_id: Option<i64>,
        limit: i64,
        offset: i64,
    ) -> StoreResult<Paged<AuditRow>> {
        let filter = "merchant_id = $1 AND ($2 = '' OR action = $2) AND ($3 = 0 OR actor_id = $3)";
        let items = sqlx::query_as::<_, AuditRow>(&format!(
            "SELECT id, merchant_id, actor_id, actor_name, action, target, before_json, after_json, request_id, at
             FROM audit_log WHERE {filter} ORDER BY id DESC LIMIT $4 OFFSET $5"
        ))
        .bind(merchant_id)
        .bind(action.unwrap_or(""))
        .bind(actor_id.unwrap_or(0))
        .bind(limit)
        .bind(offset)
        .fetch_all(self.reader())
        .await?;
        let (total,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM audit_log WHERE {filter}"))
            .bind(merchant_id)
            .bind(action.unwrap_or(""))
            .bind(actor_id.unwrap_or(0))
            .fetch_one(self.reader())
            .await?;
        Ok(Paged { items, total })
    }
}

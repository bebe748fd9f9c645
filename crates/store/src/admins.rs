//! Console users.

use sqlx::FromRow;

use crate::{now_ms, Paged, Store, StoreError, StoreResult, Tx};

#[derive(Debug, Clone, FromRow)]
pub struct AdminRow {
    pub id: i64,
    pub merchant_id: i64,
    pub username: String,
    pub display_name: String,
    pub password_hash: String,
    pub role: String,
    pub disabled: i32,
    pub created_at: i64,
}

const COLS: &str = "id, merchant_id, username, display_name, password_hash, role, disabled, created_at";

pub struct NewAdmin<'a> {
    pub merchant_id: i64,
    pub username: &'a str,
    pub display_name: &'a str,
    pub password_hash: &'a str,
    pub role: &'a str,
}

impl Store {
    pub async fn insert_admin(&self, tx: &mut Tx, a: &NewAdmin<'_>) -> StoreResult<AdminRow> {
        let r = sqlx::query_as::<_, AdminRow>(&format!(
            "INSERT INTO admin_users (merchant_id, username, display_name, password_hash, role, created_at)
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING {COLS}"
        ))
        .bind(a.merchant_id)
        .bind(a.username)
        .bind(a.display_name)
        .bind(a.password_hash)
        .bind(a.role)
        .bind(now_ms())
        .fetch_one(&mut **tx)
        .await;
        match r {
            Err(e) => match StoreError::from(e) {
                StoreError::Duplicate(_) => Err(StoreError::Duplicate(format!("username {}", a.username))),
                other => Err(other),
            },
            Ok(row) => Ok(row),
        }
    }

    pub async fn admin_by_username(&self, merchant_id: i64, username: &str) -> StoreResult<Option<AdminRow>> {
        Ok(sqlx::query_as::<_, AdminRow>(&format!(
            "SELECT {COLS} FROM admin_users WHERE merchant_id = $1 AND username = $2"
        ))
        .bind(merchant_id)
        .bind(username)
        .fetch_optional(self.reader())
        .await?)
    }

    pub async fn admin_by_id(&self, merchant_id: i64, id: i64) -> StoreResult<AdminRow> {
        Ok(sqlx::query_as::<_, AdminRow>(&format!("SELECT {COLS} FROM admin_users WHERE merchant_id = $1 AND id = $2"))
            .bind(merchant_id)
            .bind(id)
            .fetch_one(self.reader())
            .await?)
    }

    pub async fn list_admins(
        &self,
        merchant_id: i64,
        role: Option<&str>,
        limit: i64,
        offset: i64,
    ) -> StoreResult<Paged<AdminRow>> {
        let items = sqlx::query_as::<_, AdminRow>(&format!(
            "SELECT {COLS} FROM admin_users WHERE merchant_id = $1 AND ($2 = '' OR role = $2)
             ORDER BY id LIMIT $3 OFFSET $4"
        ))
        .bind(merchant_id)
        .bind(role.unwrap_or(""))
        .bind(limit)
        .bind(offset)
        .fetch_all(self.reader())
        .await?;
        let (total,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM admin_users WHERE merchant_id = $1 AND ($2 = '' OR role = $2)")
                .bind(merchant_id)
                .bind(role.unwrap_or(""))
                .fetch_one(self.reader())
                .await?;
        Ok(Paged { items, total })
    }

    /// Change role and/or the disabled flag. Returns the row before and after.
    pub async fn update_admin(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        id: i64,
        role: Option<&str>,
        disabled: Option<bool>,
    ) -> StoreResult<(AdminRow, AdminRow)> {
        let before = sqlx::query_as::<_, AdminRow>(&format!(
            "SELECT {COLS} FROM admin_users WHERE merchant_id = $1 AND id = $2"
        ))
        .bind(merchant_id)
        .bind(id)
        .fetch_one(&mut **tx)
        .await?;
        let after = sqlx::query_as::<_, AdminRow>(&format!(
            "UPDATE admin_users SET role = $3, disabled = $4 WHERE merchant_id = $1 AND id = $2 RETURNING {COLS}"
        ))
        .bind(merchant_id)
        .bind(id)
        .bind(role.unwrap_or(&before.role))
        .bind(disabled.map(i32::from).unwrap_or(before.disabled))
        .fetch_one(&mut **tx)
        .await?;
        Ok((before, after))
    }

    pub async fn count_admins(&self) -> StoreResult<i64> {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM admin_users").fetch_one(self.reader()).await?;
        Ok(n)
    }

    pub async fn set_admin_password(&self, merchant_id: i64, username: &str, hash: &str) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        let n = sqlx::query("UPDATE admin_users SET password_hash = $3 WHERE merchant_id = $1 AND username = $2")
            .bind(merchant_id)
            .bind(username)
            .bind(hash)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        tx.commit().await?;
        Ok(())
    }

    // ---- login rate limiting -------------------------------------------------------------------

    /// Failed logins for this account from this source address since `since_ms`: how many, and when
    /// the last one was (0 when none).
    pub async fn login_failures_of_pair(&self, login_key: &str, ip: &str, since_ms: i64) -> StoreResult<(i64, i64)> {
        Ok(sqlx::query_as(
            "SELECT COUNT(*), CAST(COALESCE(MAX(at), 0) AS BIGINT) FROM login_failures
             WHERE login_key = $1 AND ip = $2 AND at >= $3",
        )
        .bind(login_key)
        .bind(ip)
        .bind(since_ms)
        .fetch_one(self.reader())
        .await?)
    }

    /// Failed logins from this source address on any account since `since_ms`: how many, and when the
    /// last one was (0 when none).
    pub async fn login_failures_of_ip(&self, ip: &str, since_ms: i64) -> StoreResult<(i64, i64)> {
        Ok(sqlx::query_as(
            "SELECT COUNT(*), CAST(COALESCE(MAX(at), 0) AS BIGINT) FROM login_failures WHERE ip = $1 AND at >= $2",
        )
        .bind(ip)
        .bind(since_ms)
        .fetch_one(self.reader())
        .await?)
    }

    pub async fn record_login_failure(&self, merchant_id: i64, login_key: &str, ip: &str) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        sqlx::query("INSERT INTO login_failures (merchant_id, login_key, ip, at) VALUES ($1, $2, $3, $4)")
            .bind(merchant_id)
            .bind(login_key)
            .bind(ip)
            .bind(now_ms())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Forget the failures of this account from this source address (after a successful login).
    pub async fn clear_login_failures(&self, login_key: &str, ip: &str) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        sqlx::query("DELETE FROM login_failures WHERE login_key = $1 AND ip = $2")
            .bind(login_key)
            .bind(ip)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Housekeeping: drop failures older than `before_ms`.
    pub async fn purge_login_failures(&self, before_ms: i64) -> StoreResult<u64> {
        let mut tx = self.begin().await?;
        let n = sqlx::query("DELETE FROM login_failures WHERE at < $1")
            .bind(before_ms)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(n)
    }
}

//! Two-factor login of console users: `admin_two_factor` (the TOTP secret and the last time step
//! accepted), `admin_recovery_codes` (SHA-256 only), `admin_login_challenges` (the short-lived token between
//! a correct password and the second step, or enrolment) and the shop's rule on `merchants`.

use sqlx::FromRow;

use crate::{now_ms, Store, StoreResult, Tx};

#[derive(Debug, Clone, FromRow)]
pub struct TwoFactorRow {
    pub admin_id: i64,
    pub merchant_id: i64,
    /// Base32, as the authenticator app is given it.
    pub secret: String,
    pub enabled: i32,
    pub last_step: i64,
}

/// What a login challenge lets its holder do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChallengePurpose {
    /// Send a TOTP or recovery code to finish the login.
    Code,
    /// Enrol in two-factor login, which the shop requires, before anything else.
    Enrol,
}

impl ChallengePurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            ChallengePurpose::Code => "code",
            ChallengePurpose::Enrol => "enrol",
        }
    }
}

#[derive(Debug, Clone, FromRow)]
pub struct ChallengeRow {
    pub admin_id: i64,
    pub merchant_id: i64,
    pub expires_at: i64,
}

impl Store {
    pub async fn two_factor(&self, merchant_id: i64, admin_id: i64) -> StoreResult<Option<TwoFactorRow>> {
        Ok(sqlx::query_as::<_, TwoFactorRow>(
            "SELECT admin_id, merchant_id, secret, enabled, last_step FROM admin_two_factor
             WHERE merchant_id = $1 AND admin_id = $2",
        )
        .bind(merchant_id)
        .bind(admin_id)
        .fetch_optional(self.reader())
        .await?)
    }

    /// Ids of the merchant's console users with two-factor login on.
    pub async fn two_factor_admin_ids(&self, merchant_id: i64) -> StoreResult<Vec<i64>> {
        let rows: Vec<(i64,)> =
            sqlx::query_as("SELECT admin_id FROM admin_two_factor WHERE merchant_id = $1 AND enabled = 1")
                .bind(merchant_id)
                .fetch_all(self.reader())
                .await?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    /// Start (or restart) enrolment with a new secret. False when two-factor login is already on.
    pub async fn start_two_factor(&self, merchant_id: i64, admin_id: i64, secret: &str) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let n = sqlx::query(
            "INSERT INTO admin_two_factor (admin_id, merchant_id, secret, enabled, last_step, created_at)
             VALUES ($1, $2, $3, 0, 0, $4)
             ON CONFLICT (admin_id) DO UPDATE SET secret = excluded.secret, last_step = 0, created_at = excluded.created_at
             WHERE admin_two_factor.enabled = 0",
        )
        .bind(admin_id)
        .bind(merchant_id)
        .bind(secret)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(n == 1)
    }

    /// Turn two-factor login on with the step of the code that confirmed it and fresh recovery codes
    /// (their hashes). False when it was not pending or that step was already used.
    pub async fn enable_two_factor(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        admin_id: i64,
        step: i64,
        recovery_hashes: &[String],
    ) -> StoreResult<bool> {
        let n = sqlx::query(
            "UPDATE admin_two_factor SET enabled = 1, last_step = $3, enabled_at = $4
             WHERE merchant_id = $1 AND admin_id = $2 AND enabled = 0 AND last_step < $3",
        )
        .bind(merchant_id)
        .bind(admin_id)
        .bind(step)
        .bind(now_ms())
        .execute(&mut **tx)
        .await?
        .rows_affected();
        if n != 1 {
            return Ok(false);
        }
        sqlx::query("DELETE FROM admin_recovery_codes WHERE merchant_id = $1 AND admin_id = $2")
            .bind(merchant_id)
            .bind(admin_id)
            .execute(&mut **tx)
            .await?;
        for h in recovery_hashes {
            sqlx::query("INSERT INTO admin_recovery_codes (merchant_id, admin_id, code_hash) VALUES ($1, $2, $3)")
                .bind(merchant_id)
                .bind(admin_id)
                .bind(h)
                .execute(&mut **tx)
                .await?;
        }
        Ok(true)
    }

    /// Record that a code of `step` was accepted. False when that step (or a later one) was accepted
    /// before: the code is a replay.
    pub async fn use_totp_step(&self, merchant_id: i64, admin_id: i64, step: i64) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let n = sqlx::query(
            "UPDATE admin_two_factor SET last_step = $3
             WHERE merchant_id = $1 AND admin_id = $2 AND enabled = 1 AND last_step < $3",
        )
        .bind(merchant_id)
        .bind(admin_id)
        .bind(step)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(n == 1)
    }

    /// Use up a recovery code (by hash). False when it is unknown or was used.
    pub async fn use_recovery_code(&self, merchant_id: i64, admin_id: i64, code_hash: &str) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let n = sqlx::query(
            "UPDATE admin_recovery_codes SET used_at = $4
             WHERE merchant_id = $1 AND admin_id = $2 AND code_hash = $3 AND used_at IS NULL",
        )
        .bind(merchant_id)
        .bind(admin_id)
        .bind(code_hash)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(n > 0)
    }

    pub async fn recovery_codes_left(&self, merchant_id: i64, admin_id: i64) -> StoreResult<i64> {
        let (n,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM admin_recovery_codes WHERE merchant_id = $1 AND admin_id = $2 AND used_at IS NULL",
        )
        .bind(merchant_id)
        .bind(admin_id)
        .fetch_one(self.reader())
        .await?;
        Ok(n)
    }

    /// Turn two-factor login off (or drop a pending enrolment). True when there was something to remove.
    pub async fn remove_two_factor(&self, tx: &mut Tx, merchant_id: i64, admin_id: i64) -> StoreResult<bool> {
        sqlx::query("DELETE FROM admin_recovery_codes WHERE merchant_id = $1 AND admin_id = $2")
            .bind(merchant_id)
            .bind(admin_id)
            .execute(&mut **tx)
            .await?;
        let n = sqlx::query("DELETE FROM admin_two_factor WHERE merchant_id = $1 AND admin_id = $2")
            .bind(merchant_id)
            .bind(admin_id)
            .execute(&mut **tx)
            .await?
            .rows_affected();
        Ok(n > 0)
    }

    // ---- login challenges ------------------------------------------------------------------------

    pub async fn create_login_challenge(
        &self,
        token_hash: &str,
        purpose: ChallengePurpose,
        merchant_id: i64,
        admin_id: i64,
        ttl_ms: i64,
    ) -> StoreResult<()> {
        let now = now_ms();
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO admin_login_challenges (token_hash, purpose, admin_id, merchant_id, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(token_hash)
        .bind(purpose.as_str())
        .bind(admin_id)
        .bind(merchant_id)
        .bind(now)
        .bind(now + ttl_ms)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A challenge for `purpose` that is neither used nor expired.
    pub async fn live_login_challenge(
        &self,
        token_hash: &str,
        purpose: ChallengePurpose,
    ) -> StoreResult<Option<ChallengeRow>> {
        Ok(sqlx::query_as::<_, ChallengeRow>(
            "SELECT admin_id, merchant_id, expires_at FROM admin_login_challenges
             WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3",
        )
        .bind(token_hash)
        .bind(purpose.as_str())
        .bind(now_ms())
        .fetch_optional(self.reader())
        .await?)
    }

    /// Use a challenge up. False when it was already used (a second request with the same one lost).
    pub async fn end_login_challenge(&self, token_hash: &str) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let n = sqlx::query("UPDATE admin_login_challenges SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL")
            .bind(token_hash)
            .bind(now_ms())
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(n == 1)
    }

    /// Housekeeping: drop challenges that expired before `before_ms`.
    pub async fn purge_login_challenges(&self, before_ms: i64) -> StoreResult<u64> {
        let mut tx = self.begin().await?;
        let n = sqlx::query("DELETE FROM admin_login_challenges WHERE expires_at < $1")
            .bind(before_ms)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(n)
    }

    // ---- the shop's rule ---------------------------------------------------------------------------

    /// Whether the shop requires its owners to log in with a second factor.
    pub async fn owner_two_factor_required(&self, merchant_id: i64) -> StoreResult<bool> {
        let (v,): (i32,) = sqlx::query_as("SELECT owner_two_factor FROM merchants WHERE id = $1")
            .bind(merchant_id)
            .fetch_one(self.reader())
            .await?;
        Ok(v != 0)
    }

    pub async fn set_owner_two_factor_required(&self, tx: &mut Tx, merchant_id: i64, on: bool) -> StoreResult<()> {
        sqlx::query("UPDATE merchants SET owner_two_factor = $2 WHERE id = $1")
            .bind(merchant_id)
            .bind(i32::from(on))
            .execute(&mut **tx)
            .await?;
        Ok(())
    }
}

//! The installation record: this database's random name, what it was created as, and its sandbox secret.

use crate::{now_ms, Store, StoreResult};

#[derive(Debug, Clone)]
pub struct Installation {
    /// `demo`, `sandbox` or `live`; `None` until the first start records it.
    pub kind: Option<String>,
    /// The secret the sandbox payment provider signs this installation's notifications with.
    pub sandbox_secret: String,
}

fn random_secret() -> String {
    use rand::Rng;
    let mut r = rand::thread_rng();
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    (0..40).map(|_| char::from(CHARS[r.gen_range(0..CHARS.len())])).collect()
}

impl Store {
    /// This database's installation record, made on first use with a random sandbox secret.
    pub async fn installation(&self) -> StoreResult<Installation> {
        self.installation_key().await?;
        let mut tx = self.begin().await?;
        sqlx::query("UPDATE installation SET sandbox_secret = $1 WHERE id = 1 AND sandbox_secret IS NULL")
            .bind(random_secret())
            .execute(&mut *tx)
            .await?;
        let (kind, sandbox_secret): (Option<String>, String) =
            sqlx::query_as("SELECT kind, sandbox_secret FROM installation WHERE id = 1").fetch_one(&mut *tx).await?;
        crate::commit(tx).await?;
        Ok(Installation { kind, sandbox_secret })
    }

    /// Record what this database was created as, once: the first start's answer stays. Returns the
    /// kind on record afterwards.
    pub async fn record_installation_kind(&self, kind: &str) -> StoreResult<String> {
        let mut tx = self.begin().await?;
        sqlx::query("UPDATE installation SET kind = $1, created_at = $2 WHERE id = 1 AND kind IS NULL")
            .bind(kind)
            .bind(now_ms())
            .execute(&mut *tx)
            .await?;
        let (k,): (String,) = sqlx::query_as("SELECT kind FROM installation WHERE id = 1").fetch_one(&mut *tx).await?;
        crate::commit(tx).await?;
        Ok(k)
    }
}

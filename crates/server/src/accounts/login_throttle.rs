//! Console login throttling per (account, source address), with waits that double on every further
//! failure up to a cap. Only the source that failed waits: the right password from another address is
//! never refused. Failures on any accounts from one address (made-up usernames) also slow that address,
//! and only it. Every lock is recorded in the audit log with the account and the source.

use minimall_store::audit::AuditEntry;
use minimall_store::now_ms;

use crate::accounts::refusals::AccountRefusal;
use crate::config::LoginConfig;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// How long a source must still wait, in ms, after `failures` failures of which the last was at
/// `last_ms`: nothing below `threshold`; then `first_ms`, doubled for each failure past the threshold,
/// at most `cap_ms`.
pub fn wait_ms(failures: i64, threshold: i64, last_ms: i64, first_ms: i64, cap_ms: i64, now: i64) -> i64 {
    if failures < threshold {
        return 0;
    }
    let doublings = (failures - threshold).clamp(0, 40) as u32;
    let delay = first_ms.saturating_mul(1i64 << doublings.min(40)).min(cap_ms);
    (last_ms + delay - now).max(0)
}

/// One login attempt: which account, from where.
pub struct Attempt {
    /// The account as typed (lower case).
    username: String,
    login_key: String,
    ip: String,
}

impl Attempt {
    pub fn new(st: &AppState, username: &str, ip: &str) -> Attempt {
        Attempt {
            username: username.to_string(),
            login_key: format!("admin:{}:{username}", st.merchant_id),
            ip: ip.to_string(),
        }
    }

    pub fn ip(&self) -> &str {
        &self.ip
    }

    /// Waits (ms) of the pair and of the address, as of now.
    async fn waits(&self, st: &AppState) -> ApiResult<(i64, i64)> {
        let l: &LoginConfig = &st.cfg.login;
        let now = now_ms();
        let since = now - l.window_secs * 1000;
        let (pair, pair_last) = st.store.login_failures_of_pair(&self.login_key, &self.ip, since).await?;
        let (by_ip, ip_last) = st.store.login_failures_of_ip(&self.ip, since).await?;
        let (first, cap) = (l.lock_secs * 1000, l.max_lock_secs * 1000);
        Ok((
            wait_ms(pair, l.max_failures, pair_last, first, cap, now),
            wait_ms(by_ip, l.max_failures_per_ip, ip_last, first, cap, now),
        ))
    }

    /// Refuse (429 with `Retry-After`) while this account from this address, or this address, must wait.
    pub async fn check(&self, st: &AppState) -> ApiResult<()> {
        let (pair, by_ip) = self.waits(st).await?;
        let wait = pair.max(by_ip);
        if wait > 0 {
            return Err(ApiError::too_many_because(&AccountRefusal::LoginThrottled, ((wait + 999) / 1000) as u64));
        }
        Ok(())
    }

    /// Count a failed attempt; when it makes the pair or the address wait, record the lock in the audit
    /// log (`auth.lock`) with the account and the source.
    pub async fn failed(&self, st: &AppState, account: Option<(i64, &str)>, request_id: Option<&str>) -> ApiResult<()> {
        st.store.record_login_failure(st.merchant_id, &self.login_key, &self.ip).await?;
        let (pair, by_ip) = self.waits(st).await?;
        if pair == 0 && by_ip == 0 {
            return Ok(());
        }
        let (actor_id, target) = match account {
            Some((id, _)) => (id, format!("admin_user:{id}")),
            None => (0, format!("login:{}", self.username)),
        };
        let after = serde_json::json!({
            "username": self.username,
            "ip": self.ip,
            "scope": if pair >= by_ip { "account_and_address" } else { "address" },
            "wait_secs": (pair.max(by_ip) + 999) / 1000,
        });
        let mut tx = st.store.begin().await?;
        st.store
            .audit(
                &mut tx,
                &AuditEntry {
                    merchant_id: st.merchant_id,
                    actor_id,
                    actor_name: account.map(|(_, n)| n).unwrap_or(&self.username),
                    action: "auth.lock",
                    target: &target,
                    before: None,
                    after: Some(&after),
                    request_id,
                },
            )
            .await?;
        minimall_store::commit(tx).await?;
        Ok(())
    }

    /// A successful login forgets this account's failures from this address.
    pub async fn succeeded(&self, st: &AppState) -> ApiResult<()> {
        st.store.clear_login_failures(&self.login_key, &self.ip).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::wait_ms;

    #[test]
    fn waits_start_at_the_threshold_double_and_stop_at_the_cap() {
        let (first, cap) = (60_000, 3_600_000);
        assert_eq!(wait_ms(4, 5, 1_000, first, cap, 1_000), 0);
        assert_eq!(wait_ms(5, 5, 1_000, first, cap, 1_000), 60_000);
        assert_eq!(wait_ms(5, 5, 1_000, first, cap, 31_000), 30_000);
        assert_eq!(wait_ms(5, 5, 1_000, first, cap, 61_000), 0);
        assert_eq!(wait_ms(6, 5, 0, first, cap, 0), 120_000);
        assert_eq!(wait_ms(8, 5, 0, first, cap, 0), 480_000);
        assert_eq!(wait_ms(20, 5, 0, first, cap, 0), cap);
        assert_eq!(wait_ms(i64::MAX, 5, 0, first, cap, 0), cap);
    }
}

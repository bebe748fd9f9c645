//! The daily members job.

use super::points_flow::expire_buyer;
use super::{mall, rules, DAILY_JOB};
use crate::error::ApiResult;
use crate::state::AppState;
use crate::usecase::{self, Effects};

/// `members.daily`: expire points, recompute lifecycle stages, then schedule tomorrow's run.
pub async fn daily_job(st: AppState, job: minimall_store::jobs::JobRow) -> Result<(), String> {
    let merchant_id = job.merchant_id;
    let rules = rules(&st, merchant_id).await.map_err(|e| e.to_string())?;
    let now = minimall_store::now_ms();
    loop {
        let buyers = st.store.buyers_with_expired_lots(merchant_id, now, 200).await.map_err(|e| e.to_string())?;
        if buyers.is_empty() {
            break;
        }
        let mut progressed = false;
        for b in buyers {
            match expire_buyer(&st, &rules, merchant_id, b, now).await {
                Ok(n) => progressed |= n > 0,
                Err(e) => tracing::warn!(buyer = b, error = %e, "points expiry failed; the next run retries"),
            }
        }
        if !progressed {
            break;
        }
    }
    let today = minimall_core::time::day_of(now).unwrap_or(0);
    mall::birthday_benefits(&st, merchant_id, today).await.map_err(|e| e.message(crate::web::i18n::Lang::En))?;
    let mut after = 0;
    while let (_, Some(last)) = st
        .store
        .recompute_stages(merchant_id, rules.stage_days(), today, after, 2_000)
        .await
        .map_err(|e| e.to_string())?
    {
        after = last;
        tokio::task::yield_now().await;
    }
    schedule_daily(&st, merchant_id, today + 1).await.map_err(|e| e.to_string())
}

/// Make sure the daily members job of shop day `day` exists (02:00 Beijing time); safe from every instance.
pub async fn schedule_daily(st: &AppState, merchant_id: i64, day: i64) -> ApiResult<()> {
    let run_at = minimall_core::time::day_start_ms(day).unwrap_or(0) + 2 * 3_600_000;
    let mut tx = st.store.begin().await?;
    st.store
        .enqueue_job(
            &mut tx,
            &minimall_store::jobs::NewJob {
                merchant_id,
                kind: DAILY_JOB,
                payload: "{}",
                run_at,
                dedup_key: Some(&format!("{DAILY_JOB}:{merchant_id}:{day}")),
                max_attempts: 5,
            },
        )
        .await?;
    usecase::commit(st, tx, Effects::new().wake_jobs()).await
}

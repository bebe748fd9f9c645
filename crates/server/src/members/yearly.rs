//! The yearly re-evaluation of levels (年度复核), off until the shop turns it on. A durable job runs on 1 January
//! (03:00, shop time): every member's level is evaluated again on the last 12 months' completed spend (after
//! refunds) and points earned, and from then on only those count towards the level (what came before becomes
//! the profile's level base). A level no longer reached goes down — whatever the refund policy — recorded in the
//! level history, with an SMS notice to a buyer who has a phone. Each member's review of a year is claimed
//! once (`reviewed_year`), so a rerun or a second instance changes nothing twice. A paid card's level holds.

use minimall_core::members::levels::{self, Occasion, Progress};
use minimall_store::members::LevelReason;
use serde::Deserialize;

use super::{rules, rules_in};
use crate::error::ApiResult;
use crate::state::AppState;
use crate::usecase::{self, Effects};

pub const YEARLY_JOB: &str = "members.yearly";
const MS_PER_DAY: i64 = 86_400_000;
/// The window of the review: the 12 months before it runs.
pub const WINDOW_MS: i64 = 365 * MS_PER_DAY;
/// The outbox template of the notice of a lower level.
pub const NOTICE_TEMPLATE: &str = "member_level_down";

#[derive(Deserialize)]
struct Payload {
    year: i32,
}

/// Make sure the review of `year` is scheduled (1 January of `year`, 03:00 shop time); safe from every instance.
pub async fn schedule_yearly(st: &AppState, merchant_id: i64, year: i32) -> ApiResult<()> {
    let start = i16::try_from(year).ok().and_then(minimall_core::time::year_start_ms).unwrap_or(0);
    let run_at = start + 3 * 3_600_000;
    let mut tx = st.store.begin().await?;
    st.store
        .enqueue_job(
            &mut tx,
            &minimall_store::jobs::NewJob {
                merchant_id,
                kind: YEARLY_JOB,
                payload: &serde_json::json!({ "year": year }).to_string(),
                run_at,
                dedup_key: Some(&format!("{YEARLY_JOB}:{merchant_id}:{year}")),
                max_attempts: 5,
            },
        )
        .await?;
    usecase::commit(st, tx, Effects::new().wake_jobs()).await
}

/// `members.yearly`: review every member for the payload's year (when the shop has it on), then schedule
/// next year's run.
pub async fn yearly_job(st: AppState, job: minimall_store::jobs::JobRow) -> Result<(), String> {
    let p: Payload = serde_json::from_str(&job.payload).map_err(|e| e.to_string())?;
    let merchant_id = job.merchant_id;
    let on = rules(&st, merchant_id).await.map_err(|e| e.to_string())?.settings.yearly_review != 0;
    if on {
        let mut after = 0;
        loop {
            let buyers =
                st.store.members_to_review(merchant_id, p.year, after, 500).await.map_err(|e| e.to_string())?;
            let Some(last) = buyers.last().copied() else { break };
            for b in buyers {
                review(&st, merchant_id, b, p.year).await.map_err(|e| e.to_string())?;
            }
            after = last;
            tokio::task::yield_now().await;
        }
    }
    schedule_yearly(&st, merchant_id, p.year + 1).await.map_err(|e| e.to_string())
}

/// One member's review of `year`, in its own transaction.
async fn review(st: &AppState, merchant_id: i64, buyer_id: i64, year: i32) -> ApiResult<()> {
    let now = minimall_store::now_ms();
    let mut tx = st.store.begin().await?;
    if !st.store.claim_year_review(&mut tx, merchant_id, buyer_id, year).await? {
        return Ok(());
    }
    let rules = rules_in(&mut tx, merchant_id).await?;
    let (spend, points) = st.store.progress_since(&mut tx, merchant_id, buyer_id, now - WINDOW_MS).await?;
    st.store.set_level_base(&mut tx, merchant_id, buyer_id, spend, points).await?;
    let Some(p) = minimall_store::members::profile(&mut *tx, merchant_id, buyer_id).await? else {
        return usecase::commit(st, tx, Effects::new()).await;
    };
    let (completed_spend_fen, points_earned) = p.level_progress();
    let progress = Progress { completed_spend_fen, points_earned };
    let card = minimall_store::members::cards::active_card_level(&mut *tx, buyer_id, now).await?;
    let change = levels::evaluate_with_card(
        &rules.core_levels(),
        p.level_id,
        &progress,
        rules.downgrade(),
        Occasion::Yearly,
        card,
    );
    if let Some(ch) = change {
        st.store.change_member_level(&mut tx, merchant_id, buyer_id, ch.from, ch.to, LevelReason::Yearly, now).await?;
        if !ch.up {
            if let Some(phone) = st.store.buyer_phone(&mut tx, merchant_id, buyer_id).await? {
                let to = rules
                    .level(ch.to)
                    .map(|l| l.name.clone())
                    .unwrap_or_else(|| crate::web::i18n::t(crate::web::i18n::Lang::Zh, "mem.no_level").into());
                let body = format!("【会员等级调整】根据近12个月的消费与积分，您的会员等级已调整为{to}。");
                st.store.enqueue_message(&mut tx, merchant_id, "sms", &phone, NOTICE_TEMPLATE, &body).await?;
            }
        }
    }
    usecase::commit(st, tx, Effects::new().wake_jobs()).await
}

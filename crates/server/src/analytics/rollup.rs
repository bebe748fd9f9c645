//! The daily rollups: kept up to date by a periodic durable job that rebuilds the days still receiving events
//! (yesterday and today), rebuilt for any range of days by a job an operator asks for, and recounted from the
//! raw events on demand (the admin endpoint and `minimall analytics recount`).

use minimall_store::events::Difference;
use minimall_store::jobs::{JobRow, NewJob};
use minimall_store::{Store, StoreError};
use serde::{Deserialize, Serialize};

use crate::analytics::refusals::AnalyticsRefusal;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::usecase::{self, Effects};

/// Rebuilds yesterday's and today's rollups; reschedules itself.
pub const ROLLUP_JOB: &str = "analytics.rollup";
/// Rebuilds a range of days an operator asked for.
pub const REBUILD_JOB: &str = "analytics.rebuild";
/// How often the periodic rollup runs.
pub const ROLLUP_EVERY_MS: i64 = 5 * 60 * 1000;
/// The most days one rebuild may cover.
pub const MAX_REBUILD_DAYS: i64 = 366;

/// Make sure the next periodic rollup exists. Its key makes this safe to call from every instance.
pub async fn schedule_rollup(store: &Store, merchant_id: i64, at: i64) -> Result<(), StoreError> {
    let slot = at / ROLLUP_EVERY_MS * ROLLUP_EVERY_MS;
    let mut tx = store.begin().await?;
    store
        .enqueue_job(
            &mut tx,
            &NewJob {
                merchant_id,
                kind: ROLLUP_JOB,
                payload: "{}",
                run_at: slot,
                dedup_key: Some(&format!("{ROLLUP_JOB}:{slot}")),
                max_attempts: 3,
            },
        )
        .await?;
    minimall_store::commit(tx).await
}

/// Rebuild `from_day..=to_day`, one transaction per day (a long range does not hold the writer).
pub async fn rebuild_days(store: &Store, merchant_id: i64, from_day: i64, to_day: i64) -> Result<u64, StoreError> {
    let mut rows = 0;
    for day in from_day..=to_day {
        let r = store.rebuild_event_rollups(merchant_id, day, day).await?;
        rows += r.cells + r.reach;
    }
    Ok(rows)
}

pub async fn rollup_job(st: AppState, job: JobRow) -> Result<(), String> {
    let today = crate::web::view::beijing_day(minimall_store::now_ms());
    rebuild_days(&st.store, job.merchant_id, today - 1, today).await.map_err(|e| e.to_string())?;
    schedule_rollup(&st.store, job.merchant_id, job.run_at + ROLLUP_EVERY_MS).await.map_err(|e| e.to_string())
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct RebuildPayload {
    pub from_day: i64,
    pub to_day: i64,
}

pub async fn rebuild_job(st: AppState, job: JobRow) -> Result<(), String> {
    let p: RebuildPayload = serde_json::from_str(&job.payload).map_err(|e| format!("bad payload: {e}"))?;
    rebuild_days(&st.store, job.merchant_id, p.from_day, p.to_day).await.map_err(|e| e.to_string())?;
    Ok(())
}

/// A range of days as typed (`YYYY-MM-DD`), checked: `from` not after `to`, at most `max_days` long.
pub fn day_range(from: &str, to: &str, max_days: i64) -> ApiResult<(i64, i64)> {
    let parse = |field: &str, s: &str| {
        crate::web::view::parse_day(s).ok_or_else(|| ApiError::invalid_because(field, &AnalyticsRefusal::DateFormat))
    };
    let (f, t) = (parse("from", from)?, parse("to", to)?);
    if f > t {
        return Err(ApiError::invalid_because("to", &AnalyticsRefusal::ToBeforeFrom));
    }
    if t - f + 1 > max_days {
        return Err(ApiError::invalid_because("to", &AnalyticsRefusal::RangeTooLong { max_days }));
    }
    Ok((f, t))
}

/// Ask for a rebuild of `from_day..=to_day` as a durable job; its id.
pub async fn request_rebuild(st: &AppState, merchant_id: i64, from_day: i64, to_day: i64) -> ApiResult<i64> {
    let payload = serde_json::to_string(&RebuildPayload { from_day, to_day }).map_err(ApiError::internal)?;
    let now = minimall_store::now_ms();
    let mut tx = st.store.begin().await?;
    let id = st
        .store
        .enqueue_job(
            &mut tx,
            &NewJob {
                merchant_id,
                kind: REBUILD_JOB,
                payload: &payload,
                run_at: now,
                dedup_key: None,
                max_attempts: 5,
            },
        )
        .await?;
    usecase::commit(st, tx, Effects::new().wake_jobs()).await?;
    id.ok_or_else(|| ApiError::internal("rebuild job not enqueued"))
}

/// One cell of a recount: where the rollup and the events disagree.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RecountDifference {
    /// `cell` (day × channel × campaign × product × kind) or `reach` (day × channel × campaign × kind).
    pub table: &'static str,
    pub channel: String,
    pub campaign: String,
    /// 0 for reach rows and events without a product.
    pub product_id: i64,
    pub kind: String,
    /// The rollup's figures (events, actors, amount; or actors, sessions), absent when it has no row.
    pub rollup: Option<Vec<i64>>,
    /// The recount's, absent when the events have none.
    pub events: Option<Vec<i64>>,
}

fn kind_name(code: i64) -> String {
    minimall_core::analytics::events::EventKind::from_code(code).map(|k| k.as_str().to_string()).unwrap_or_default()
}

pub fn difference_dto(d: Difference) -> RecountDifference {
    match d {
        Difference::Cell { key: (_, channel, campaign, product_id, kind), rollup, events } => RecountDifference {
            table: "cell",
            channel,
            campaign,
            product_id,
            kind: kind_name(kind),
            rollup: rollup.map(|c| vec![c.events, c.actors, c.amount_fen]),
            events: events.map(|c| vec![c.events, c.actors, c.amount_fen]),
        },
        Difference::Reach { key: (_, channel, campaign, kind), rollup, events } => RecountDifference {
            table: "reach",
            channel,
            campaign,
            product_id: 0,
            kind: kind_name(kind),
            rollup: rollup.map(|r| vec![r.actors, r.sessions]),
            events: events.map(|r| vec![r.actors, r.sessions]),
        },
    }
}

/// Recount a day from its events and list where the rollup differs; with `rebuild`, rebuild the day afterwards
/// when it does (and recount again, so the answer says whether the rollup now agrees).
pub async fn recount(store: &Store, merchant_id: i64, day: i64, rebuild: bool) -> Result<Recount, StoreError> {
    let differences = store.recount_event_day(merchant_id, day).await?;
    let mut after = None;
    if rebuild && !differences.is_empty() {
        store.rebuild_event_rollups(merchant_id, day, day).await?;
        after = Some(store.recount_event_day(merchant_id, day).await?.len());
    }
    Ok(Recount {
        date: crate::web::view::date_label(day),
        differences: differences.into_iter().map(difference_dto).collect(),
        remaining: after,
    })
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Recount {
    /// The day recounted, `YYYY-MM-DD`.
    pub date: String,
    /// Every cell where the rollup and the raw events differ; empty when they agree.
    pub differences: Vec<RecountDifference>,
    /// After a rebuild: how many differences remain (0 when the rollup now agrees).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remaining: Option<usize>,
}

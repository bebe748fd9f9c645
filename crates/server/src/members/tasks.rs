//! Member tasks: points once per buyer for a first review, a completed profile (a birthday, a gender told and
//! an address) and a first share. The task is recorded (`member_tasks_done`, one row per buyer and task) and its
//! points granted — a journal posting — in the transaction of the business write that completed it, so a task
//! gives its points once whatever the retries and concurrent attempts.

use minimall_core::members::levels::Occasion;
use minimall_store::members::LotSource;
use minimall_store::Tx;
use serde::Serialize;
use utoipa::ToSchema;

use super::{evaluate_level, grant_points, rules_in};
use crate::error::ApiResult;
use crate::state::AppState;
use crate::usecase::{self, Effects};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MemberTask {
    FirstReview,
    ProfileCompleted,
    FirstShare,
}

impl MemberTask {
    pub const ALL: [MemberTask; 3] = [MemberTask::FirstReview, MemberTask::ProfileCompleted, MemberTask::FirstShare];

    pub fn as_str(self) -> &'static str {
        match self {
            MemberTask::FirstReview => "first_review",
            MemberTask::ProfileCompleted => "profile_completed",
            MemberTask::FirstShare => "first_share",
        }
    }

    fn points(self, s: &minimall_store::members::MemberSettingsRow) -> i64 {
        i64::from(match self {
            MemberTask::FirstReview => s.task_review_points,
            MemberTask::ProfileCompleted => s.task_profile_points,
            MemberTask::FirstShare => s.task_share_points,
        })
        .max(0)
    }
}

/// A task as the buyer sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberTaskDto {
    pub task: MemberTask,
    /// Points given when done (what it gave, once done).
    pub points: i64,
    pub done: bool,
    /// When it was done (ms since the epoch).
    pub done_at: Option<i64>,
}

/// Inside the transaction of the write that completed `task`: record it and grant its points, once per buyer.
/// Returns the points granted (`None` when the buyer had done it already).
pub async fn complete(
    st: &AppState,
    tx: &mut Tx,
    merchant_id: i64,
    buyer_id: i64,
    task: MemberTask,
) -> ApiResult<Option<i64>> {
    let now = minimall_store::now_ms();
    let rules = rules_in(tx, merchant_id).await?;
    let points = task.points(&rules.settings);
    st.store.ensure_member_profile(tx, merchant_id, buyer_id).await?;
    if !st.store.mark_task_done(tx, merchant_id, buyer_id, task.as_str(), points, now).await? {
        return Ok(None);
    }
    if points > 0 {
        let reference = format!("task:{}:{buyer_id}", task.as_str());
        grant_points(st, tx, &rules, merchant_id, buyer_id, points, LotSource::Task, &reference, now).await?;
        evaluate_level(st, tx, &rules, merchant_id, buyer_id, Occasion::Progress, now).await?;
    }
    Ok(Some(points))
}

/// Inside `tx`, after the buyer's profile or addresses changed: a profile now complete completes its task.
pub async fn profile_changed(st: &AppState, tx: &mut Tx, merchant_id: i64, buyer_id: i64) -> ApiResult<()> {
    if minimall_store::members::tasks::profile_complete(&mut **tx, merchant_id, buyer_id).await? {
        complete(st, tx, merchant_id, buyer_id, MemberTask::ProfileCompleted).await?;
    }
    Ok(())
}

/// The buyer shared (a share event was recorded): the first share completes its task in its own transaction.
pub async fn shared(st: &AppState, merchant_id: i64, buyer_id: i64) -> ApiResult<()> {
    // Later shares stop here, without a write transaction.
    let done = minimall_store::members::tasks::tasks_done(st.store.reader(), buyer_id).await?;
    if done.iter().any(|d| d.task == MemberTask::FirstShare.as_str()) {
        return Ok(());
    }
    let mut tx = st.store.begin().await?;
    complete(st, &mut tx, merchant_id, buyer_id, MemberTask::FirstShare).await?;
    usecase::commit(st, tx, Effects::new()).await
}

/// Every task with its points and whether the buyer has done it.
pub async fn tasks(
    st: &AppState,
    buyer_id: i64,
    settings: &minimall_store::members::MemberSettingsRow,
) -> ApiResult<Vec<MemberTaskDto>> {
    let done = minimall_store::members::tasks::tasks_done(st.store.reader(), buyer_id).await?;
    Ok(MemberTask::ALL
        .iter()
        .map(|t| {
            let d = done.iter().find(|d| d.task == t.as_str());
            MemberTaskDto {
                task: *t,
                points: d.map_or_else(|| t.points(settings), |d| d.points),
                done: d.is_some(),
                done_at: d.map(|d| d.at),
            }
        })
        .collect())
}

//! Job workers inside `serve`. The queue is durable (`minimall_store::jobs`); this module runs handlers.
//!
//! Every handler is idempotent: its payload is a key, it reloads state and does nothing when the work is
//! already done, because a job whose worker died after doing the work but before marking it done runs again.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use minimall_store::jobs::{JobRow, NewJob};
use minimall_store::now_ms;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::state::AppState;

pub type JobFuture = Pin<Box<dyn Future<Output = Result<(), String>> + Send>>;
pub type Handler = fn(AppState, JobRow) -> JobFuture;

pub const HOUSEKEEPING: &str = "housekeeping";
const HOUSEKEEPING_EVERY_MS: i64 = 3_600_000;

/// Every job kind and its handler.
pub fn handlers() -> HashMap<&'static str, Handler> {
    let mut m: HashMap<&'static str, Handler> = HashMap::new();
    m.insert(minimall_store::outbox::DELIVER_JOB, |st, job| Box::pin(deliver_message(st, job)));
    m.insert(HOUSEKEEPING, |st, job| Box::pin(housekeeping(st, job)));
    m.insert(crate::catalog::import::IMPORT_JOB, |st, job| Box::pin(crate::catalog::import::run_job(st, job)));
    m.insert(crate::orders::EXPIRE_JOB, |st, job| Box::pin(crate::orders::expire_job(st, job)));
    m.insert(crate::orders::AUTO_RECEIVE_JOB, |st, job| Box::pin(crate::orders::auto_receive_job(st, job)));
    m.insert(crate::orders::COMPLETE_JOB, |st, job| Box::pin(crate::orders::complete_job(st, job)));
    m.insert(crate::orders::SANDBOX_NOTIFY_JOB, |st, job| Box::pin(crate::orders::sandbox_notify_job(st, job)));
    m.insert(crate::stored_value::SETTLE_JOB, |st, job| Box::pin(crate::stored_value::settle_job(st, job)));
    m.insert(crate::orders::REFUND_JOB, |st, job| Box::pin(crate::orders::refund_job(st, job)));
    m.insert(crate::orders::RECONCILE_JOB, |st, job| Box::pin(crate::orders::reconcile_job(st, job)));
    m.insert(crate::distribution::SETTLE_JOB, |st, job| Box::pin(crate::distribution::settle_job(st, job)));
    m.insert(crate::group_buy::EXPIRE_JOB, |st, job| Box::pin(crate::group_buy::expire_job(st, job)));
    m.insert(crate::flash::FINISH_JOB, |st, job| Box::pin(crate::flash::finish_job(st, job)));
    m.insert(crate::finance::reconcile::DAILY_JOB, |st, job| Box::pin(crate::finance::reconcile::daily_job(st, job)));
    m.insert(crate::members::DAILY_JOB, |st, job| Box::pin(crate::members::daily_job(st, job)));
    m.insert(crate::members::YEARLY_JOB, |st, job| Box::pin(crate::members::yearly_job(st, job)));
    m.insert(crate::members::cards::CARD_END_JOB, |st, job| Box::pin(crate::members::cards::card_end_job(st, job)));
    m.insert(crate::flash::RECONCILE_JOB, |st, job| Box::pin(crate::flash::reconcile_job(st, job)));
    m.insert(crate::analytics::rollup::ROLLUP_JOB, |st, job| Box::pin(crate::analytics::rollup::rollup_job(st, job)));
    m.insert(crate::analytics::recommend::REFRESH_JOB, |st, job| {
        Box::pin(crate::analytics::recommend::refresh_job(st, job))
    });
    m.insert(crate::analytics::rollup::REBUILD_JOB, |st, job| Box::pin(crate::analytics::rollup::rebuild_job(st, job)));
    m
}

/// Start `n` workers; they stop when `shutdown` turns true.
pub fn spawn_workers(state: AppState, n: usize, shutdown: watch::Receiver<bool>) -> Vec<JoinHandle<()>> {
    let instance = crate::accounts::auth::new_token("")[..8].to_string();
    (0..n)
        .map(|i| {
            let st = state.clone();
            let mut stop = shutdown.clone();
            let worker = format!("{instance}-{i}");
            tokio::spawn(async move { worker_loop(st, worker, &mut stop).await })
        })
        .collect()
}

async fn worker_loop(st: AppState, worker: String, stop: &mut watch::Receiver<bool>) {
    let table = handlers();
    let lease_ms = (st.cfg.jobs.lease_secs * 1000) as i64;
    let poll = Duration::from_millis(st.cfg.jobs.poll_interval_ms);
    // Jobs of the last batch that succeeded and are not marked done yet: the next claim marks them.
    let mut done: Vec<i64> = Vec::new();
    while !*stop.borrow() {
        match st.store.complete_and_claim(&done, &worker, lease_ms, CLAIM_BATCH).await {
            Ok((marked, jobs)) => {
                lost_leases(done.len(), marked);
                done.clear();
                if !jobs.is_empty() {
                    done = run_batch(&st, &table, &worker, jobs).await;
                    continue;
                }
                let wake = st.jobs_wakeup.notified();
                tokio::select! {
                    _ = tokio::time::sleep(poll) => {}
                    _ = wake => {}
                    _ = stop.changed() => {}
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "claiming a job failed");
                tokio::select! {
                    _ = tokio::time::sleep(poll * 4) => {}
                    _ = stop.changed() => {}
                }
            }
        }
    }
    complete(&st, &worker, done).await;
}

/// Jobs one claim takes at most; they run concurrently and those that succeed are marked done together.
const CLAIM_BATCH: i64 = 16;

/// Run a claimed batch; returns the jobs that succeeded and are not yet marked done (the worker's next claim
/// marks them in its own transaction).
async fn run_batch(st: &AppState, table: &HashMap<&'static str, Handler>, worker: &str, jobs: Vec<JobRow>) -> Vec<i64> {
    use futures_util::stream::{FuturesUnordered, StreamExt};
    let mut runs: FuturesUnordered<_> = jobs.into_iter().map(|job| run_one(st, table, worker, job)).collect();
    // Jobs done within the first moment are marked done together; any finishing later (a long import)
    // are marked as they finish, so their batch-mates do not outlive their leases waiting for them.
    let together = tokio::time::Instant::now() + Duration::from_millis(500);
    let mut done: Vec<i64> = Vec::new();
    loop {
        tokio::select! {
            next = runs.next() => match next {
                Some(Some(id)) => done.push(id),
                Some(None) => {}
                None => break,
            },
            _ = tokio::time::sleep_until(together), if !done.is_empty() => {
                complete(st, worker, std::mem::take(&mut done)).await;
            }
        }
    }
    done
}

async fn complete(st: &AppState, worker: &str, done: Vec<i64>) {
    match st.store.complete_jobs(&done, worker).await {
        Ok(n) => lost_leases(done.len(), n),
        Err(e) => tracing::warn!(error = %e, "could not mark jobs done; they will run again"),
    }
}

fn lost_leases(done: usize, marked: u64) {
    if marked < done as u64 {
        tracing::warn!(lost = done as u64 - marked, "leases lost before completion; those jobs will run again");
    }
}

/// Run one job; its id when it succeeded (to be marked done), failures are recorded here.
async fn run_one(st: &AppState, table: &HashMap<&'static str, Handler>, worker: &str, job: JobRow) -> Option<i64> {
    let kind = job.kind.clone();
    let started = std::time::Instant::now();
    let outcome = match table.get(kind.as_str()) {
        // A panicking handler must not take the worker down: run it as its own task.
        Some(h) => match tokio::spawn(h(st.clone(), job.clone())).await {
            Ok(r) => r,
            Err(e) => Err(format!("handler panicked: {e}")),
        },
        None => Err(format!("no handler for job kind '{kind}'")),
    };
    metrics::histogram!("jobs_duration_seconds", "kind" => kind.clone()).record(started.elapsed().as_secs_f64());
    match outcome {
        Ok(()) => {
            metrics::counter!("jobs_completed_total", "kind" => kind.clone()).increment(1);
            Some(job.id)
        }
        Err(msg) => {
            metrics::counter!("jobs_failed_total", "kind" => kind.clone()).increment(1);
            tracing::warn!(job = job.id, kind, attempt = job.attempts, error = %msg, "job failed");
            if let Err(e) = st.store.fail_job(&job, worker, &msg).await {
                tracing::warn!(job = job.id, error = %e, "could not record job failure");
            }
            None
        }
    }
}

#[derive(serde::Deserialize)]
struct MessagePayload {
    message_id: i64,
}

async fn deliver_message(st: AppState, job: JobRow) -> Result<(), String> {
    let p: MessagePayload = serde_json::from_str(&job.payload).map_err(|e| format!("bad payload: {e}"))?;
    let msg = st.store.message(p.message_id).await.map_err(|e| e.to_string())?;
    if msg.status == "sent" {
        return Ok(());
    }
    let result = match msg.channel.as_str() {
        // The sandbox SMS channel delivers by recording: the message stays readable in the outbox.
        "sms" if st.cfg.sms.provider == "sandbox" => Ok(()),
        "sms" => Err(format!("SMS provider '{}' cannot send", st.cfg.sms.provider)),
        other => Err(format!("no channel '{other}'")),
    };
    st.store
        .mark_message(msg.id, result.is_ok(), result.as_ref().err().map(String::as_str))
        .await
        .map_err(|e| e.to_string())?;
    result
}

async fn housekeeping(st: AppState, job: JobRow) -> Result<(), String> {
    let now = now_ms();
    let e = |e: minimall_store::StoreError| e.to_string();
    st.store.purge_sessions(now - 86_400_000).await.map_err(e)?;
    st.store.purge_login_failures(now - st.cfg.login.window_secs * 1000).await.map_err(e)?;
    st.store.purge_login_challenges(now - 86_400_000).await.map_err(e)?;
    st.store.purge_idempotency_keys(now - 2 * 86_400_000).await.map_err(e)?;
    st.store.purge_jobs(now - 7 * 86_400_000).await.map_err(e)?;
    schedule_housekeeping(&st, job.run_at + HOUSEKEEPING_EVERY_MS).await.map_err(e)
}

/// Make sure the next housekeeping run exists. Its key makes this safe to call from every instance.
pub async fn schedule_housekeeping(st: &AppState, at: i64) -> Result<(), minimall_store::StoreError> {
    let slot = at / HOUSEKEEPING_EVERY_MS * HOUSEKEEPING_EVERY_MS;
    let mut tx = st.store.begin().await?;
    st.store
        .enqueue_job(
            &mut tx,
            &NewJob {
                merchant_id: st.merchant_id,
                kind: HOUSEKEEPING,
                payload: "{}",
                run_at: slot,
                dedup_key: Some(&format!("{HOUSEKEEPING}:{slot}")),
                max_attempts: 3,
            },
        )
        .await?;
    minimall_store::commit(tx).await
}

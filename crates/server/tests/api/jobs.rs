use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;
use crate::suite;

async fn message_status(app: &TestApp, token: &str, phone: &str) -> (String, i64) {
    let (_, v) = body(app.get(&format!("/api/v1/admin/messages?recipient={phone}"), Some(token)).await).await;
    let m = &v["items"][0];
    (m["status"].as_str().unwrap_or("").to_string(), m["id"].as_i64().unwrap_or(0))
}

async fn job_of_kind(app: &TestApp, token: &str, kind: &str) -> Value {
    let (_, v) = body(app.get(&format!("/api/v1/admin/jobs?kind={kind}"), Some(token)).await).await;
    v["items"][0].clone()
}

suite!(a_job_scheduled_before_a_restart_runs_after_it, |b| async move {
    let db = TestDb::new(b).await;
    let mut cfg = test_config(&db.url);
    cfg.jobs.enabled = false;
    let app = TestApp::spawn_with(db, cfg.clone(), true).await;
    let r = app.post("/api/v1/shop/auth/sms/code", None, &json!({"phone": "13900001111"})).await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let op = app.admin_login("operator").await;
    assert_eq!(message_status(&app, &op, "13900001111").await.0, "pending");
    let db = app.stop().await;

    // Same database, a new process with workers.
    cfg.jobs.enabled = true;
    let app = TestApp::spawn_with(db, cfg, true).await;
    let op = app.admin_login("operator").await;
    eventually(10, || async { (message_status(&app, &op, "13900001111").await.0 == "sent").then_some(()) }).await;
    let job = job_of_kind(&app, &op, "message.deliver").await;
    assert_eq!(job["status"], "done");
    assert_eq!(job["attempts"], 1);
});

suite!(a_crashed_jobs_lease_expires_and_it_runs_again, |b| async move {
    let db = TestDb::new(b).await;
    let mut cfg = test_config(&db.url);
    cfg.jobs.enabled = false;
    let app = TestApp::spawn_with(db, cfg.clone(), true).await;
    let r = app.post("/api/v1/shop/auth/sms/code", None, &json!({"phone": "13900002222"})).await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    // A worker claims the job with a 1.5 s lease and dies without finishing it.
    let claimed = loop {
        let j = app.store().claim_job("crashed-worker", 1500).await.unwrap().expect("a due job");
        if j.kind == "message.deliver" {
            break j;
        }
        app.store().complete_job(j.id, "crashed-worker").await.unwrap();
    };
    assert_eq!(claimed.attempts, 1);
    // While the lease holds, nobody else may take it.
    assert!(app.store().claim_job("other", 1000).await.unwrap().is_none_or(|j| j.id != claimed.id));
    let db = app.stop().await;

    cfg.jobs.enabled = true;
    let app = TestApp::spawn_with(db, cfg, true).await;
    let op = app.admin_login("operator").await;
    eventually(15, || async { (message_status(&app, &op, "13900002222").await.0 == "sent").then_some(()) }).await;
    // The message is marked sent before its job is marked done: wait for the job too.
    let job = eventually(15, || async {
        let job = job_of_kind(&app, &op, "message.deliver").await;
        (job["status"] == "done").then_some(job)
    })
    .await;
    assert_eq!(job["id"], claimed.id);
    assert_eq!(job["attempts"], 2, "ran again after the lease expired: {job}");
    // The crashed worker can no longer complete it.
    assert!(!app.store().complete_job(claimed.id, "crashed-worker").await.unwrap());
});

suite!(failing_jobs_back_off_and_die_then_can_be_retried, |b| async move {
    let db = TestDb::new(b).await;
    let mut cfg = test_config(&db.url);
    cfg.jobs.enabled = false;
    let app = TestApp::spawn_with(db, cfg, true).await;
    let mut tx = app.store().begin().await.unwrap();
    let id = app
        .store()
        .enqueue_job(
            &mut tx,
            &minimall_store::jobs::NewJob {
                merchant_id: 1,
                kind: "no.such.kind",
                payload: "{}",
                run_at: 0,
                dedup_key: Some("x"),
                max_attempts: 2,
            },
        )
        .await
        .unwrap()
        .unwrap();
    // Same dedup key: no second job.
    assert!(app
        .store()
        .enqueue_job(
            &mut tx,
            &minimall_store::jobs::NewJob {
                merchant_id: 1,
                kind: "no.such.kind",
                payload: "{}",
                run_at: 0,
                dedup_key: Some("x"),
                max_attempts: 2
            }
        )
        .await
        .unwrap()
        .is_none());
    minimall_store::commit(tx).await.unwrap();
    let s = app.store();
    let j = loop {
        let j = s.claim_job("w", 60_000).await.unwrap().unwrap();
        if j.id == id {
            break j;
        }
        s.complete_job(j.id, "w").await.unwrap();
    };
    s.fail_job(&j, "w", "boom").await.unwrap();
    let after = s.job(id).await.unwrap();
    assert_eq!(after.status, "pending");
    assert!(after.run_at > minimall_store::now_ms(), "backed off");
    assert_eq!(after.last_error.as_deref(), Some("boom"));

    let owner = app.admin_login("admin").await;
    let r = app.post(&format!("/api/v1/admin/jobs/{id}/retry"), Some(&owner), &json!({})).await;
    assert_eq!(r.status(), StatusCode::CONFLICT, "only dead jobs are retried");
});

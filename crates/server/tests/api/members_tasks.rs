//! Member tasks (first review, completed profile, first share) grant their points once per buyer, concurrent
//! attempts included; the yearly re-evaluation of levels downgrades once, with history and a notice.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::analytics::ev;
use crate::helpers::*;
use crate::members::{complete_order, shop};
use crate::suite;

async fn member(app: &TestApp, buyer: &str) -> Value {
    let (st, c) = body(app.get("/api/v1/shop/member", Some(buyer)).await).await;
    assert_eq!(st, StatusCode::OK, "{c}");
    c
}

fn task<'a>(card: &'a Value, name: &str) -> &'a Value {
    card["tasks"].as_array().unwrap().iter().find(|t| t["task"] == name).unwrap_or_else(|| panic!("{name}: {card}"))
}

async fn buyer_id(app: &TestApp, buyer: &str) -> i64 {
    let (_, me) = body(app.get("/api/v1/shop/me", Some(buyer)).await).await;
    me["id"].as_i64().unwrap()
}

/// The buyer's points history lines of tasks: (delta, reference).
async fn task_lines(app: &TestApp, buyer: &str) -> Vec<(i64, String)> {
    let (st, p) = body(app.get("/api/v1/shop/points?page_size=100", Some(buyer)).await).await;
    assert_eq!(st, StatusCode::OK, "{p}");
    p["entries"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["reason"] == "task")
        .map(|e| (e["delta"].as_i64().unwrap(), e["reference"].as_str().unwrap().to_string()))
        .collect()
}

async fn put_settings(app: &TestApp, token: &str, f: impl Fn(&mut Value)) -> (StatusCode, Value) {
    let (st, mut s) = body(app.get("/api/v1/admin/members/settings", Some(token)).await).await;
    assert_eq!(st, StatusCode::OK, "{s}");
    f(&mut s);
    body(app.put("/api/v1/admin/members/settings", Some(token), &s).await).await
}

suite!(member_tasks_grant_their_points_once_each, |b| async move {
    let s = shop(b).await;
    let app = &s.app;
    let owner = app.admin_login("admin").await;
    // The tasks' points are shop settings: 20 / 50 / 10 until changed, bounded, set by those who manage members.
    let (_, settings) = body(app.get("/api/v1/admin/members/settings", Some(&owner)).await).await;
    assert_eq!(
        (&settings["task_review_points"], &settings["task_profile_points"], &settings["task_share_points"]),
        (&json!(20), &json!(50), &json!(10)),
        "{settings}"
    );
    assert_eq!(settings["yearly_review"], false, "{settings}");
    for (field, bad) in [("task_share_points", -1), ("task_review_points", 10_001)] {
        let (st, v) = put_settings(app, &owner, |s| s[field] = json!(bad)).await;
        assert_eq!((st, v["error"]["field"].clone()), (StatusCode::UNPROCESSABLE_ENTITY, json!(field)), "{v}");
    }
    let service = app.admin_login("service").await;
    let (st, _) = put_settings(app, &service, |s| s["task_share_points"] = json!(99)).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, v) = put_settings(app, &owner, |s| s["task_share_points"] = json!(15)).await;
    assert_eq!((st, v["task_share_points"].clone()), (StatusCode::OK, json!(15)), "{v}");

    let buyer = app.buyer_login("tasker").await;
    let id = buyer_id(app, &buyer).await;
    let card = member(app, &buyer).await;
    for (name, points) in [("first_review", 20), ("profile_completed", 50), ("first_share", 15)] {
        let t = task(&card, name);
        assert_eq!((t["done"].clone(), t["points"].clone()), (json!(false), json!(points)), "{card}");
    }
    let before = card["points_balance"].as_i64().unwrap();

    // First share: 20 concurrent share events grant once.
    let shares = (0..20).map(|i| {
        let buyer = buyer.clone();
        async move {
            let e = ev("share", &format!("visitor-share-{i:02}"), json!({"channel": "share"}));
            send_events(app, &buyer, vec![e]).await
        }
    });
    for st in futures_util::future::join_all(shares).await {
        assert_eq!(st, StatusCode::ACCEPTED);
    }
    let card = member(app, &buyer).await;
    assert_eq!(task(&card, "first_share")["done"], true, "{card}");
    assert_eq!(card["points_balance"].as_i64().unwrap(), before + 15, "{card}");
    assert_eq!(task_lines(app, &buyer).await, vec![(15, format!("task:first_share:{id}"))]);
    let merchant = app.store().default_merchant().await.unwrap().id;
    let posting = app
        .store()
        .journal_posting_by_reference(
            merchant,
            minimall_core::ledger::PostingKind::PointsGranted,
            &format!("points:task:first_share:{id}"),
        )
        .await
        .unwrap();
    assert!(posting.is_some(), "the task's points are a journal posting");

    // Profile: a birthday and a gender are not enough without an address; the address completes it, once.
    let profile = json!({"birthday": "1990-05-20", "gender": "female"});
    let r = app.put("/api/v1/shop/member/profile", Some(&buyer), &profile).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(task(&member(app, &buyer).await, "profile_completed")["done"], false);
    // The first completed order adds the address (and then a review completes the review task).
    let order = complete_order(&s, &buyer, 1).await;
    let card = member(app, &buyer).await;
    assert_eq!(task(&card, "profile_completed")["done"], true, "{card}");
    let r = app
        .put("/api/v1/shop/member/profile", Some(&buyer), &json!({"birthday": "1990-05-21", "gender": "male"}))
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);

    // First review, once: a second order's review gives nothing more.
    let review = |o: &Value| {
        let (oid, line) = (o["id"].as_i64().unwrap(), o["lines"][0]["id"].as_i64().unwrap());
        let buyer = buyer.clone();
        async move {
            let r = app
                .post(
                    &format!("/api/v1/shop/orders/{oid}/reviews"),
                    Some(&buyer),
                    &json!({"line_id": line, "rating": 5, "text": "很好"}),
                )
                .await;
            assert_eq!(r.status(), StatusCode::CREATED);
        }
    };
    review(&order).await;
    let second = complete_order(&s, &buyer, 2).await;
    review(&second).await;
    let card = member(app, &buyer).await;
    assert!(card["tasks"].as_array().unwrap().iter().all(|t| t["done"] == true), "{card}");
    let mut lines = task_lines(app, &buyer).await;
    lines.sort();
    assert_eq!(
        lines,
        vec![
            (15, format!("task:first_share:{id}")),
            (20, format!("task:first_review:{id}")),
            (50, format!("task:profile_completed:{id}")),
        ],
        "each task once in the points history"
    );
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM member_tasks_done WHERE buyer_id = $1")
        .bind(id)
        .fetch_one(app.store().reader())
        .await
        .unwrap();
    assert_eq!(n, 3);
    // The points of tasks are liabilities like every grant: the journal balances.
    let finance = app.admin_login("finance").await;
    let (st, tb) = body(app.get("/api/v1/admin/ledger/trial-balance", Some(&finance)).await).await;
    assert_eq!(st, StatusCode::OK, "{tb}");
    assert_eq!((tb["fen_difference"].as_i64(), tb["points_difference"].as_i64()), (Some(0), Some(0)), "{tb}");

    // The member page shows the tasks and their state; the console's points rules page their points.
    let (st, html) = shop_page(app, "/member", &buyer).await;
    assert_eq!(st, StatusCode::OK);
    assert!(html.contains("会员任务") && html.contains("首次分享") && html.contains("已完成"), "{html}");
    let (st, html) = crate::adjustments::page(app, "/admin/members/rules", &owner).await;
    assert_eq!(st, StatusCode::OK);
    assert!(html.contains("积分规则") && html.contains("首次评价") && html.contains("15"), "{html}");
});

async fn send_events(app: &TestApp, buyer: &str, events: Vec<Value>) -> StatusCode {
    crate::analytics::send(app, Some(buyer), events).await.status()
}

/// A storefront page as a logged-in buyer sees it.
async fn shop_page(app: &TestApp, path: &str, buyer: &str) -> (StatusCode, String) {
    let r = app.get(path, Some(buyer)).await;
    (r.status(), r.text().await.unwrap())
}

async fn count(app: &TestApp, sql: &str, id: i64) -> i64 {
    let (n,): (i64,) = sqlx::query_as(sql).bind(id).fetch_one(app.store().reader()).await.unwrap();
    n
}

/// Run the yearly review of `year` now, as its worker would, and wait until it is done.
async fn run_yearly(app: &TestApp, year: i32, key: &str) {
    let mut tx = app.store().begin().await.unwrap();
    app.store()
        .enqueue_job(
            &mut tx,
            &minimall_store::jobs::NewJob {
                merchant_id: app.store().default_merchant().await.unwrap().id,
                kind: minimall_server::members::YEARLY_JOB,
                payload: &json!({"year": year}).to_string(),
                run_at: minimall_store::now_ms(),
                dedup_key: Some(key),
                max_attempts: 3,
            },
        )
        .await
        .unwrap();
    minimall_store::commit(tx).await.unwrap();
    eventually(30, || async {
        let row: Option<(String,)> = sqlx::query_as("SELECT status FROM jobs WHERE dedup_key = $1")
            .bind(key)
            .fetch_optional(app.store().reader())
            .await
            .unwrap();
        row.filter(|(s,)| s == "done").map(|_| ())
    })
    .await;
}

suite!(the_yearly_review_downgrades_a_member_once_with_history_and_a_notice, |b| async move {
    let s = shop(b).await;
    let app = &s.app;
    let owner = app.admin_login("admin").await;
    let lapsed = app.buyer_login("lapsed").await;
    let loyal = app.buyer_login("loyal").await;
    complete_order(&s, &lapsed, 1).await;
    complete_order(&s, &loyal, 1).await;
    for b in [&lapsed, &loyal] {
        assert_eq!(member(app, b).await["level"]["name"], "普通会员");
    }
    let id = buyer_id(app, &lapsed).await;
    // The lapsed buyer has a phone for the notice; their spend and points are over a year old now.
    let mut tx = app.store().begin().await.unwrap();
    for sql in [
        "UPDATE buyers SET phone = '13900007777' WHERE id = $1",
        "UPDATE member_order_credits SET at = at - 34560000000 WHERE buyer_id = $1",
        "UPDATE points_lots SET granted_at = granted_at - 34560000000 WHERE buyer_id = $1",
    ] {
        sqlx::query(sql).bind(id).execute(&mut *tx).await.unwrap();
    }
    minimall_store::commit(tx).await.unwrap();
    let history = "SELECT COUNT(*) FROM member_level_history WHERE buyer_id = $1 AND reason = 'yearly'";
    let notices = "SELECT COUNT(*) FROM outbox WHERE template = 'member_level_down' AND recipient = (SELECT phone FROM buyers WHERE id = $1)";

    // Off by default: the job changes nothing.
    run_yearly(app, 2098, "yearly-off").await;
    assert_eq!(member(app, &lapsed).await["level"]["name"], "普通会员");
    assert_eq!(count(app, history, id).await, 0);

    let (st, v) = put_settings(app, &owner, |s| s["yearly_review"] = json!(true)).await;
    assert_eq!((st, v["yearly_review"].clone()), (StatusCode::OK, json!(true)), "{v}");
    run_yearly(app, 2099, "yearly-1").await;
    let card = member(app, &lapsed).await;
    assert!(card["level"].is_null(), "below the threshold over the last 12 months: {card}");
    assert_eq!(card["completed_spend_fen"], 35_000, "lifetime spend is kept: {card}");
    assert_eq!(card["next"]["spend_missing_fen"], 30_000, "only the last 12 months count: {card}");
    assert_eq!(member(app, &loyal).await["level"]["name"], "普通会员", "recent spend keeps the level");
    assert_eq!(count(app, history, id).await, 1);
    assert_eq!(count(app, notices, id).await, 1);
    let (_, detail) = body(app.get(&format!("/api/v1/admin/members/{id}"), Some(&owner)).await).await;
    assert_eq!(detail["level_history"][0]["reason"], "yearly", "{detail}");

    // A rerun of the same year changes nothing; a sign-in does not bring the old spend back.
    run_yearly(app, 2099, "yearly-2").await;
    assert_eq!((count(app, history, id).await, count(app, notices, id).await), (1, 1));
    let r = app.post("/api/v1/shop/member/sign-in", Some(&lapsed), &json!({})).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(member(app, &lapsed).await["level"].is_null());
    // Next year's run is scheduled.
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM jobs WHERE dedup_key LIKE 'members.yearly:%:2100'")
        .fetch_one(app.store().reader())
        .await
        .unwrap();
    assert_eq!(n, 1);
});

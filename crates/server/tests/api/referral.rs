//! Referral (老带新) through the API: the shop's rule (the owner's), invitations by code (never one's own, once,
//! only for new buyers), rewards when the invitee's first order completes (points with their journal posting, a
//! coupon), nothing for a refunded first order, rewards held when the invitee shares a phone or address with
//! the inviter or beyond the inviter's daily limit, the review queue (release, reject; audited) and who may do
//! what.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::analytics::product;
use crate::helpers::*;
use crate::suite;

/// An order of `qty` units to an address with `phone` and `detail`, paid through the sandbox; its id.
async fn order(app: &TestApp, buyer: &str, sku: i64, qty: i64, phone: &str, detail: &str) -> i64 {
    let (s, a) = body(app.post("/api/v1/shop/addresses", Some(buyer), &json!({"name": "钱七", "phone": phone, "province": "浙江省", "city": "杭州市", "district": "西湖区", "detail": detail})).await).await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    let (s, o) = body(
        app.post_idem(
            "/api/v1/shop/orders",
            Some(buyer),
            &json!({"items": [{"sku_id": sku, "quantity": qty}], "address_id": a["id"]}),
        )
        .await,
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{o}");
    let id = o["id"].as_i64().unwrap();
    let (_, pay) =
        body(app.post(&format!("/api/v1/shop/orders/{id}/pay"), Some(buyer), &json!({"provider": "sandbox"})).await)
            .await;
    app.post(pay["sandbox_complete_url"].as_str().unwrap(), Some(buyer), &json!({})).await;
    eventually(15, || async {
        let (_, o) = body(app.get(&format!("/api/v1/shop/orders/{id}"), Some(buyer)).await).await;
        (o["status"] == "to_ship").then_some(())
    })
    .await;
    id
}

/// Shipped and received; the order completes at once (no after-sales window in these tests).
async fn complete(app: &TestApp, op: &str, buyer: &str, id: i64) {
    let (s, v) = body(
        app.post(
            &format!("/api/v1/admin/orders/{id}/ship"),
            Some(op),
            &json!({"carrier": "顺丰速运", "tracking_no": format!("SF{id}")}),
        )
        .await,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = body(app.post(&format!("/api/v1/shop/orders/{id}/receive"), Some(buyer), &json!({})).await).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    eventually(15, || async {
        let (_, o) = body(app.get(&format!("/api/v1/shop/orders/{id}"), Some(buyer)).await).await;
        (o["status"] == "completed").then_some(())
    })
    .await;
}

async fn accept(app: &TestApp, buyer: &str, code: &str) -> (StatusCode, Value) {
    body(app.post("/api/v1/shop/referral/accept", Some(buyer), &json!({"code": code})).await).await
}

/// The invitation of an invitee as the console lists it.
async fn invitation(app: &TestApp, op: &str, invitee: i64) -> Value {
    let (s, v) = body(app.get("/api/v1/admin/referrals?page_size=100", Some(op)).await).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v["items"].as_array().unwrap().iter().find(|r| r["invitee_id"] == invitee).cloned().expect("an invitation")
}

async fn points(app: &TestApp, buyer: &str) -> i64 {
    let (_, p) = body(app.get("/api/v1/shop/points", Some(buyer)).await).await;
    p["balance"].as_i64().unwrap()
}

async fn audits(app: &TestApp, action: &str) -> i64 {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM audit_log WHERE action = $1")
        .bind(action)
        .fetch_one(app.store().reader())
        .await
        .unwrap();
    n
}

/// Journal postings of an invitation's points.
async fn postings(app: &TestApp, id: &Value) -> i64 {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM journal_postings WHERE reference LIKE $1")
        .bind(format!("points:referral:{id}:%"))
        .fetch_one(app.store().reader())
        .await
        .unwrap();
    n
}

async fn buyer_id(app: &TestApp, token: &str) -> i64 {
    let (_, me) = body(app.get("/api/v1/shop/me", Some(token)).await).await;
    me["id"].as_i64().unwrap_or_else(|| panic!("{me}"))
}

suite!(referral_rewards_first_orders_holds_what_looks_farmed_and_refuses_the_guards, |b| async move {
    let db = TestDb::new(b).await;
    let mut cfg = test_config(&db.url);
    cfg.orders.sandbox_notify_delay_ms = 10;
    cfg.orders.aftersale_days = 0;
    let app = TestApp::spawn_with(db, cfg, true).await;
    let owner = app.admin_login("admin").await;
    let op = app.admin_login("operator").await;
    let service = app.admin_login("service").await;
    let finance = app.admin_login("finance").await;
    let (_, sku) = product(&app, &op).await;
    let (s, t) = body(
        app.post(
            "/api/v1/admin/coupons",
            Some(&op),
            &json!({"name": "新人券", "kind": "amount_off", "amount_off": 500, "total_quantity": 100, "scope": {"all": true}, "valid_days": 30}),
        )
        .await,
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");

    // The rule is the owner's; bad values are refused naming the field.
    let rule = json!({
        "enabled": true, "inviter_points": 100, "inviter_coupon_id": null, "invitee_points": 50,
        "invitee_coupon_id": t["id"], "min_first_order": 0, "daily_limit": 2, "crowd_limit": 3
    });
    let (s, _) = body(app.put("/api/v1/admin/referral/settings", Some(&op), &rule).await).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "the rule is the owner's");
    let mut bad = rule.clone();
    bad["daily_limit"] = json!(0);
    assert_field_error(
        app.put("/api/v1/admin/referral/settings", Some(&owner), &bad).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "daily_limit",
    )
    .await;
    let mut bad = rule.clone();
    bad["invitee_coupon_id"] = json!(999_999);
    assert_field_error(
        app.put("/api/v1/admin/referral/settings", Some(&owner), &bad).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invitee_coupon_id",
    )
    .await;
    let (s, v) = body(app.put("/api/v1/admin/referral/settings", Some(&owner), &rule).await).await;
    assert_eq!((s, &v["invitee_points"]), (StatusCode::OK, &json!(50)), "{v}");
    assert_eq!(audits(&app, "referral.settings").await, 1);

    // The inviter's code and link; guards on accepting.
    let inviter = app.buyer_login("buyer040").await;
    let (s, mine) = body(app.get("/api/v1/shop/referral", Some(&inviter)).await).await;
    assert_eq!(s, StatusCode::OK, "{mine}");
    let code = mine["code"].as_str().unwrap().to_string();
    assert_eq!(mine["share_path"], format!("/invite/{code}?ch=share"));
    let (s, v) = accept(&app, &inviter, &code).await;
    assert_eq!((s, &v["error"]["reason"]), (StatusCode::UNPROCESSABLE_ENTITY, &json!("referral.self_invite")), "{v}");
    let (s, v) = accept(&app, &inviter, "ZZZZ9999").await;
    assert_eq!((s, &v["error"]["reason"]), (StatusCode::UNPROCESSABLE_ENTITY, &json!("referral.unknown_code")), "{v}");
    let first = app.buyer_login("buyer041").await;
    let (s, v) = accept(&app, &first, &code.to_lowercase()).await;
    assert_eq!((s, &v["status"]), (StatusCode::CREATED, &json!("invited")), "{v}");
    let (s, v) = accept(&app, &first, &code).await;
    assert_eq!((s, &v["error"]["reason"]), (StatusCode::CONFLICT, &json!("referral.repeated_invitee")), "{v}");
    let regular = app.buyer_login("buyer042").await;
    order(&app, &regular, sku, 1, "13600000042", "环城北路 42 号").await;
    let (s, v) = accept(&app, &regular, &code).await;
    assert_eq!((s, &v["error"]["reason"]), (StatusCode::CONFLICT, &json!("referral.existing_buyer")), "{v}");

    // A clean first order: both sides rewarded when it completes, the points through the journal.
    let id = order(&app, &first, sku, 1, "13600000041", "环城北路 41 号").await;
    let first_id = buyer_id(&app, &first).await;
    assert_eq!(invitation(&app, &op, first_id).await["status"], "invited", "rewards wait for completion");
    complete(&app, &op, &first, id).await;
    let r = eventually(15, || async {
        let r = invitation(&app, &op, first_id).await;
        (r["status"] != "invited").then_some(r)
    })
    .await;
    assert_eq!((r["status"].as_str(), r["order_id"].as_i64()), (Some("rewarded"), Some(id)), "{r}");
    assert_eq!(
        (points(&app, &inviter).await, r["inviter_points"].as_i64(), r["invitee_points"].as_i64()),
        (100, Some(100), Some(50))
    );
    let (_, coupons) = body(app.get("/api/v1/shop/coupons", Some(&first)).await).await;
    assert_eq!(coupons["total"], 1, "{coupons}");
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM journal_postings WHERE reference LIKE $1")
        .bind(format!("points:referral:{}:%", r["id"]))
        .fetch_one(app.store().reader())
        .await
        .unwrap();
    assert_eq!(n, 2, "one points posting per side");

    // The invitee ships to the inviter's phone and address: held for review with both reasons.
    let (s, _) = body(app.post("/api/v1/shop/addresses", Some(&inviter), &json!({"name": "钱七", "phone": "13911112222", "province": "浙江省", "city": "杭州市", "district": "西湖区", "detail": "文三路 8 号"})).await).await;
    assert_eq!(s, StatusCode::CREATED);
    let second = app.buyer_login("buyer043").await;
    assert_eq!(accept(&app, &second, &code).await.0, StatusCode::CREATED);
    let id = order(&app, &second, sku, 1, "13911112222", "文三路8号").await;
    complete(&app, &op, &second, id).await;
    let second_id = buyer_id(&app, &second).await;
    let held = eventually(15, || async {
        let r = invitation(&app, &op, second_id).await;
        (r["status"] != "invited").then_some(r)
    })
    .await;
    assert_eq!(held["status"], "held", "{held}");
    assert_eq!(held["reasons"], json!(["risk.phone_shared_with_inviter", "risk.address_shared_with_inviter"]));
    assert_eq!(postings(&app, &held["id"]).await, 0, "a held reward gives nothing yet");
    assert_eq!(audits(&app, "referral.hold").await, 1);
    let (s, q) = body(app.get("/api/v1/admin/referrals?status=held", Some(&service)).await).await;
    assert_eq!((s, q["total"].as_i64()), (StatusCode::OK, Some(1)), "{q}");

    // Who may review: not finance (cannot even read the queue), not customer service, not a buyer.
    let release = format!("/api/v1/admin/referrals/{}/release", held["id"]);
    for token in [&finance, &service, &first] {
        assert_eq!(app.post(&release, Some(token), &json!({})).await.status(), StatusCode::FORBIDDEN);
    }
    assert_eq!(app.get("/api/v1/admin/referrals", Some(&finance)).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.get("/api/v1/admin/referral/settings", Some(&first)).await.status(), StatusCode::FORBIDDEN);
    let (s, v) = body(app.post(&release, Some(&op), &json!({})).await).await;
    assert_eq!((s, &v["status"]), (StatusCode::OK, &json!("rewarded")), "{v}");
    let (s, v) = body(app.post(&release, Some(&op), &json!({})).await).await;
    assert_eq!((s, &v["error"]["reason"]), (StatusCode::CONFLICT, &json!("referral.not_held")), "{v}");
    assert_eq!((points(&app, &inviter).await, postings(&app, &held["id"]).await), (200, 2));
    assert_eq!(audits(&app, "referral.release").await, 1);

    // The inviter's third reward of the day is beyond the limit of 2: held, then rejected.
    let third = app.buyer_login("buyer044").await;
    assert_eq!(accept(&app, &third, &code).await.0, StatusCode::CREATED);
    let id = order(&app, &third, sku, 1, "13600000044", "环城北路 44 号").await;
    complete(&app, &op, &third, id).await;
    let third_id = buyer_id(&app, &third).await;
    let held = eventually(15, || async {
        let r = invitation(&app, &op, third_id).await;
        (r["status"] != "invited").then_some(r)
    })
    .await;
    assert_eq!((held["status"].as_str(), held["reasons"].clone()), (Some("held"), json!(["risk.daily_limit"])));
    let (s, v) =
        body(app.post(&format!("/api/v1/admin/referrals/{}/reject", held["id"]), Some(&op), &json!({})).await).await;
    assert_eq!((s, &v["status"]), (StatusCode::OK, &json!("rejected")), "{v}");
    assert_eq!((points(&app, &inviter).await, postings(&app, &held["id"]).await), (200, 0));
    assert_eq!(audits(&app, "referral.reject").await, 1);

    // A first order refunded in part before it completes earns nothing.
    let fourth = app.buyer_login("buyer045").await;
    assert_eq!(accept(&app, &fourth, &code).await.0, StatusCode::CREATED);
    let id = order(&app, &fourth, sku, 2, "13600000045", "环城北路 45 号").await;
    let (_, o) = body(app.get(&format!("/api/v1/shop/orders/{id}"), Some(&fourth)).await).await;
    let line = o["lines"][0]["id"].as_i64().unwrap();
    let (s, req) = body(
        app.post(
            &format!("/api/v1/shop/orders/{id}/aftersales"),
            Some(&fourth),
            &json!({"kind": "refund_only", "lines": [{"line_id": line, "quantity": 1}], "reason": "买多了"}),
        )
        .await,
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{req}");
    let (s, v) =
        body(app.post(&format!("/api/v1/admin/aftersales/{}/approve", req["id"]), Some(&op), &json!({})).await).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    eventually(15, || async {
        app.store()
            .refunds_of(minimall_core::OrderId::new(id))
            .await
            .unwrap()
            .into_iter()
            .find(|r| r.status == "succeeded")
    })
    .await;
    complete(&app, &op, &fourth, id).await;
    let fourth_id = buyer_id(&app, &fourth).await;
    let r = eventually(15, || async {
        let r = invitation(&app, &op, fourth_id).await;
        (r["status"] != "invited").then_some(r)
    })
    .await;
    assert_eq!((r["status"].as_str(), r["reasons"].clone()), (Some("no_reward"), json!(["referral.refunded"])));
    assert_eq!((points(&app, &inviter).await, postings(&app, &r["id"]).await), (200, 0));

    // The buyer's page lists the invitees; the console's queue page speaks Chinese.
    let (_, mine) = body(app.get("/api/v1/shop/referral", Some(&inviter)).await).await;
    assert_eq!(mine["invitees"]["total"], 4, "{mine}");
    let page = |path: &str, cookie: String| {
        let app = &app;
        let path = path.to_string();
        async move {
            let r = app.req(Method::GET, &path, None).header("cookie", cookie).send().await.unwrap();
            assert_eq!(r.status(), StatusCode::OK, "{path}");
            r.text().await.unwrap()
        }
    };
    let html = page("/invite", format!("mm_buyer={inviter}")).await;
    assert!(html.contains(&code) && html.contains("已发放奖励") && html.contains("已驳回"), "{html}");
    let html = page("/admin/referrals?status=", format!("mm_admin={owner}")).await;
    assert!(html.contains("退款") || html.contains("首单已退款"), "{html}");
    assert!(html.contains("与邀请人手机号相同"), "{html}");
});

async fn balance(app: &TestApp, buyer: &str) -> i64 {
    let (s, v) = body(app.get("/api/v1/shop/stored-value", Some(buyer)).await).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v["balance"].as_i64().unwrap()
}

/// A buyer's movements of stored value, oldest first: (delta, reason).
async fn moves(app: &TestApp, buyer: &str) -> Vec<(i64, String)> {
    let (_, v) = body(app.get("/api/v1/shop/stored-value/moves?page_size=100", Some(buyer)).await).await;
    let mut out: Vec<(i64, String)> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["delta"].as_i64().unwrap(), m["reason"].as_str().unwrap().to_string()))
        .collect();
    out.reverse();
    out
}

/// Σ of entries on `account` over the postings whose reference starts with `prefix`.
async fn journal_on(app: &TestApp, prefix: &str, account: &str) -> i64 {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT CAST(COALESCE(SUM(e.amount), 0) AS BIGINT) FROM journal_entries e JOIN journal_postings p ON p.id = e.posting_id
         WHERE p.reference LIKE $1 AND e.account = $2",
    )
    .bind(format!("{prefix}%"))
    .bind(account)
    .fetch_one(app.store().reader())
    .await
    .unwrap();
    n
}

suite!(a_first_order_refunded_after_its_reward_takes_the_reward_back_by_postings, |b| async move {
    let db = TestDb::new(b).await;
    let mut cfg = test_config(&db.url);
    cfg.orders.sandbox_notify_delay_ms = 10;
    cfg.orders.aftersale_days = 0;
    let app = TestApp::spawn_with(db, cfg, true).await;
    let owner = app.admin_login("admin").await;
    let op = app.admin_login("operator").await;
    let (_, sku) = product(&app, &op).await;
    let (s, t) = body(
        app.post(
            "/api/v1/admin/coupons",
            Some(&op),
            &json!({"name": "新人券", "kind": "amount_off", "amount_off": 500, "total_quantity": 100, "scope": {"all": true}, "valid_days": 30}),
        )
        .await,
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");

    // Points, a coupon and stored value: ¥5.00 to the inviter, ¥3.00 to the invitee.
    let rule = json!({
        "enabled": true, "inviter_points": 100, "inviter_coupon_id": null, "invitee_points": 50,
        "invitee_coupon_id": t["id"], "min_first_order": 0, "daily_limit": 5, "crowd_limit": 3,
        "inviter_stored_value": 500, "invitee_stored_value": 300
    });
    let mut bad = rule.clone();
    bad["invitee_stored_value"] = json!(100_001);
    assert_field_error(
        app.put("/api/v1/admin/referral/settings", Some(&owner), &bad).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invitee_stored_value",
    )
    .await;
    let (s, v) = body(app.put("/api/v1/admin/referral/settings", Some(&owner), &rule).await).await;
    assert_eq!((s, &v["inviter_stored_value"]), (StatusCode::OK, &json!(500)), "{v}");

    let inviter = app.buyer_login("buyer050").await;
    let (_, mine) = body(app.get("/api/v1/shop/referral", Some(&inviter)).await).await;
    assert_eq!((mine["inviter_stored_value"].as_i64(), mine["invitee_stored_value"].as_i64()), (Some(500), Some(300)));
    let code = mine["code"].as_str().unwrap().to_string();
    let invitee = app.buyer_login("buyer051").await;
    assert_eq!(accept(&app, &invitee, &code).await.0, StatusCode::CREATED);

    // The first order: shipped, an after-sales request made within the window, then received. The window
    // closes (none in this test), the order completes and the rewards are granted.
    let id = order(&app, &invitee, sku, 2, "13600000051", "环城北路 51 号").await;
    let (s, v) = body(
        app.post(
            &format!("/api/v1/admin/orders/{id}/ship"),
            Some(&op),
            &json!({"carrier": "顺丰速运", "tracking_no": "SF51"}),
        )
        .await,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (_, o) = body(app.get(&format!("/api/v1/shop/orders/{id}"), Some(&invitee)).await).await;
    let line = o["lines"][0]["id"].as_i64().unwrap();
    let (s, req) = body(
        app.post(
            &format!("/api/v1/shop/orders/{id}/aftersales"),
            Some(&invitee),
            &json!({"kind": "refund_only", "lines": [{"line_id": line, "quantity": 1}], "reason": "少发了一件"}),
        )
        .await,
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{req}");
    let (s, v) = body(app.post(&format!("/api/v1/shop/orders/{id}/receive"), Some(&invitee), &json!({})).await).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let invitee_id = buyer_id(&app, &invitee).await;
    let r = eventually(15, || async {
        let r = invitation(&app, &op, invitee_id).await;
        (r["status"] != "invited").then_some(r)
    })
    .await;
    assert_eq!(r["status"], "rewarded", "{r}");
    assert_eq!((r["inviter_stored_value"].as_i64(), r["invitee_stored_value"].as_i64()), (Some(500), Some(300)));
    assert_eq!((balance(&app, &inviter).await, balance(&app, &invitee).await), (500, 300));
    assert_eq!((points(&app, &inviter).await, r["invitee_points"].as_i64()), (100, Some(50)));
    assert_eq!(moves(&app, &inviter).await, vec![(500, "referral_reward".to_string())]);
    let reward = format!("stored_value:referral:{}:", r["id"]);
    assert_eq!(journal_on(&app, &reward, "buyer_stored_value").await, -800, "credited through the journal");
    assert_eq!(journal_on(&app, &reward, "operating_expenses").await, 800, "a marketing cost");
    let (_, coupons) = body(app.get("/api/v1/shop/coupons", Some(&invitee)).await).await;
    assert_eq!(coupons["total"], 1, "{coupons}");
    let html = {
        let r =
            app.req(Method::GET, "/invite", None).header("cookie", format!("mm_buyer={inviter}")).send().await.unwrap();
        r.text().await.unwrap()
    };
    assert!(html.contains("你得余额 ¥5.00") && html.contains("好友得余额 ¥3.00"), "{html}");

    // The request is approved after the window closed: the refund takes the whole reward back by new
    // postings (points at their value, stored value), and the unused coupon ends.
    let (s, v) =
        body(app.post(&format!("/api/v1/admin/aftersales/{}/approve", req["id"]), Some(&op), &json!({})).await).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let r = eventually(15, || async {
        let r = invitation(&app, &op, invitee_id).await;
        (r["status"] == "reversed").then_some(r)
    })
    .await;
    assert_eq!(
        (r["reasons"].clone(), r["stored_value_taken_back"].as_i64()),
        (json!(["referral.refunded"]), Some(800))
    );
    assert_eq!((balance(&app, &inviter).await, balance(&app, &invitee).await), (0, 0));
    assert_eq!(points(&app, &inviter).await, 0);
    assert_eq!(
        moves(&app, &invitee).await,
        vec![(300, "referral_reward".to_string()), (-300, "referral_reversed".to_string())],
        "a new movement, never an edit"
    );
    assert_eq!(journal_on(&app, &reward, "buyer_stored_value").await, 0);
    assert_eq!(journal_on(&app, &reward, "operating_expenses").await, 0);
    assert_eq!(journal_on(&app, &format!("points:referral:{}:", r["id"]), "points_liability").await, 0);
    let (_, coupons) = body(app.get("/api/v1/shop/coupons", Some(&invitee)).await).await;
    assert_eq!(coupons["total"], 0, "the unused coupon ended: {coupons}");
    assert_eq!(audits(&app, "referral.reversed").await, 1);
    // The stored value control account equals the sum of the balances.
    let (sum,): (i64,) = sqlx::query_as("SELECT CAST(COALESCE(SUM(balance), 0) AS BIGINT) FROM stored_value_balances")
        .fetch_one(app.store().reader())
        .await
        .unwrap();
    let (control,): (i64,) = sqlx::query_as(
        "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM journal_entries WHERE account = 'buyer_stored_value'",
    )
    .fetch_one(app.store().reader())
    .await
    .unwrap();
    assert_eq!((sum, -control), (0, 0));
});

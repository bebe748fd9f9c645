//! Group buying (拼团) end to end: opening and joining through orders, the last seat under concurrency, a
//! group completing, a group expiring with its paid members refunded once (duplicated and late notifications,
//! a restart in the middle), and who may see and do what.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::*;
use crate::suite;

struct Setup {
    app: TestApp,
    cfg: minimall_server::Config,
    op: String,
    sku: i64,
    product: i64,
    activity: i64,
}

async fn setup(b: Backend, size: i64, tweak: impl FnOnce(&mut minimall_server::Config)) -> Setup {
    let db = TestDb::new(b).await;
    let mut cfg = test_config(&db.url);
    cfg.orders.sandbox_notify_delay_ms = 20;
    tweak(&mut cfg);
    let app = TestApp::spawn_with(db, cfg.clone(), true).await;
    let op = app.admin_login("operator").await;
    let (_, c) = body(app.post("/api/v1/admin/categories", Some(&op), &json!({"name": "水果"})).await).await;
    let (s, p) = body(
        app.post_idem(
            "/api/v1/admin/products",
            Some(&op),
            &json!({
                "product": {"code": "ORANGE", "category_id": c["id"], "title": "赣南脐橙", "on_shelf": true},
                "skus": [{"code": "ORANGE-5", "stock": 50, "original_price": 6000, "sale_price": 5000}]
            }),
        )
        .await,
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    let sku = p["product"]["skus"][0]["id"].as_i64().unwrap();
    let product = p["product"]["id"].as_i64().unwrap();
    let now = minimall_store::now_ms();
    let (s, a) = body(
        app.post(
            "/api/v1/admin/group-buys",
            Some(&op),
            &json!({
                "name": "脐橙三人团", "product_id": product, "starts_at": now - 60_000, "ends_at": now + 86_400_000,
                "group_size": size, "time_limit_minutes": 60, "leader_discount": 500, "free_shipping": true,
                "per_buyer_limit": 1, "skus": [{"sku_id": sku, "group_price": 3900}]
            }),
        )
        .await,
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    assert_eq!(a["state"], "running");
    assert_eq!(a["skus"][0]["leader_price"], 3400);
    Setup { app, cfg, op, sku, product, activity: a["id"].as_i64().unwrap() }
}

async fn buyer(app: &TestApp, name: &str) -> (String, i64) {
    let token = app.buyer_login(name).await;
    let (s, a) = body(app.post("/api/v1/shop/addresses", Some(&token), &json!({
        "name": "李四", "phone": "13912345678", "province": "浙江省", "city": "杭州市", "district": "西湖区", "detail": "文三路 1 号"
    })).await).await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    (token, a["id"].as_i64().unwrap())
}

async fn place(s: &Setup, who: &(String, i64), group: Option<i64>, extra: Value) -> (StatusCode, Value) {
    let mut req = json!({"sku_id": s.sku, "address_id": who.1});
    if let Some(g) = group {
        req["group_id"] = json!(g);
    }
    if let (Some(r), Some(e)) = (req.as_object_mut(), extra.as_object()) {
        r.extend(e.clone());
    }
    body(s.app.post_idem(&format!("/api/v1/shop/group-buys/{}/orders", s.activity), Some(&who.0), &req).await).await
}

/// Start paying and complete it in the sandbox (its notifications arrive later, repeated).
async fn pay(app: &TestApp, token: &str, order: i64) -> (String, i64) {
    let (s, p) =
        body(app.post(&format!("/api/v1/shop/orders/{order}/pay"), Some(token), &json!({"provider": "sandbox"})).await)
            .await;
    assert_eq!(s, StatusCode::OK, "{p}");
    let no = p["out_trade_no"].as_str().unwrap().to_string();
    let r = app.post(&format!("/api/v1/shop/sandbox/payments/{no}/complete"), Some(token), &json!({})).await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    (no, p["amount"].as_i64().unwrap())
}

/// A signed sandbox notification, as the provider would send it (again, or late).
async fn notify(app: &TestApp, no: &str, amount: i64, n: usize) -> StatusCode {
    let secret = app.sandbox_secret();
    let raw = serde_json::to_vec(
        &json!({"id": format!("{no}-late-{n}"), "event_type": "TRANSACTION.SUCCESS", "out_trade_no": no,
        "transaction_id": format!("SBX{no}"), "amount": amount, "out_refund_no": null}),
    )
    .unwrap();
    let ts = (minimall_store::now_ms() / 1000).to_string();
    let nonce = format!("nonce{n:011}");
    let sig = minimall_server::payments::sandbox::sign(&secret, &ts, &nonce, &raw);
    app.req(Method::POST, "/api/v1/payments/sandbox/notify", None)
        .header("content-type", "application/json")
        .header("x-sandbox-timestamp", ts)
        .header("x-sandbox-nonce", nonce)
        .header("x-sandbox-signature", sig)
        .body(raw)
        .send()
        .await
        .unwrap()
        .status()
}

async fn status(app: &TestApp, token: &str, id: i64) -> String {
    let (_, o) = body(app.get(&format!("/api/v1/shop/orders/{id}"), Some(token)).await).await;
    o["status"].as_str().unwrap_or_default().to_string()
}

async fn until_status(app: &TestApp, token: &str, id: i64, want: &str) {
    eventually(20, || async { (status(app, token, id).await == want).then_some(()) }).await;
}

async fn stock(s: &Setup) -> i64 {
    let (_, p) = body(s.app.get(&format!("/api/v1/admin/products/{}", s.product), Some(&s.op)).await).await;
    p["skus"][0]["stock"].as_i64().unwrap()
}

async fn refunds(app: &TestApp, op: &str, order: i64) -> Vec<Value> {
    let (s, d) = body(app.get(&format!("/api/v1/admin/orders/{order}"), Some(op)).await).await;
    assert_eq!(s, StatusCode::OK, "{d}");
    d["refunds"].as_array().unwrap().clone()
}

async fn group(app: &TestApp, op: &str, id: i64) -> Value {
    let (s, l) = body(app.get("/api/v1/admin/group-buys/groups?page_size=100", Some(op)).await).await;
    assert_eq!(s, StatusCode::OK, "{l}");
    l["items"].as_array().unwrap().iter().find(|g| g["id"] == id).cloned().expect("the group is listed")
}

fn order_id(v: &Value) -> i64 {
    v["order"]["id"].as_i64().unwrap()
}

suite!(a_group_of_three_completes_when_the_third_pays_and_its_orders_proceed, |b| async move {
    let s = setup(b, 3, |_| {}).await;
    let app = &s.app;
    let (amy, ben, cat, dan) =
        (buyer(app, "amy").await, buyer(app, "ben").await, buyer(app, "cat").await, buyer(app, "dan").await);
    let (st, lead) = place(&s, &amy, None, json!({})).await;
    assert_eq!(st, StatusCode::CREATED, "{lead}");
    assert_eq!(lead["order"]["payable"], 3400, "group price less the leader's discount, shipped free");
    assert_eq!(lead["order"]["status"], "pending_payment");
    let gid = lead["group_id"].as_i64().unwrap();
    // Others join once the leader has paid.
    let (st, e) = place(&s, &ben, Some(gid), json!({})).await;
    assert_eq!((st, e["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("group_buy.leader_unpaid")), "{e}");
    assert_eq!(e["error"]["field"], "group_id");
    pay(app, &amy.0, order_id(&lead)).await;
    until_status(app, &amy.0, order_id(&lead), "awaiting_group").await;
    let (_, o) = body(app.get(&format!("/api/v1/shop/orders/{}", order_id(&lead)), Some(&amy.0)).await).await;
    assert_eq!(o["status_label"], "待成团");
    // The label is the catalogue's, in the request's language; the status stays the code.
    let r = app
        .req(Method::GET, &format!("/api/v1/shop/orders/{}", order_id(&lead)), Some(&amy.0))
        .header("accept-language", "en")
        .send()
        .await
        .unwrap();
    let (_, en) = body(r).await;
    assert_eq!(
        (en["status"].as_str(), en["status_label"].as_str()),
        (Some("awaiting_group"), Some("awaiting its group"))
    );
    // The product lists the group with its seats and countdown.
    let (_, list) = body(app.get(&format!("/api/v1/shop/products/{}/group-buys", s.product), None).await).await;
    assert_eq!(list[0]["groups"][0]["id"], gid, "{list}");
    assert_eq!(list[0]["groups"][0]["seats_left"], 2);
    assert_eq!(list[0]["groups"][0]["leader"], "a**");
    assert!(list[0]["groups"][0]["deadline"].as_i64().unwrap() > list[0]["now"].as_i64().unwrap());
    let (st, jb) = place(&s, &ben, Some(gid), json!({})).await;
    assert_eq!(st, StatusCode::CREATED, "{jb}");
    assert_eq!(jb["order"]["payable"], 3900);
    let (st, e) = place(&s, &ben, Some(gid), json!({})).await;
    assert_eq!(e["error"]["code"], "group_buy.already_member", "{st} {e}");
    let (st, jc) = place(&s, &cat, Some(gid), json!({})).await;
    assert_eq!(st, StatusCode::CREATED, "{jc}");
    // The last seat is held by cat's unpaid order.
    let (st, e) = place(&s, &dan, Some(gid), json!({})).await;
    assert_eq!((st, e["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("group_buy.full")), "{e}");
    // The group page: members with their names hidden, seats left, and only the viewer's own order.
    let (_, view) = body(app.get(&format!("/api/v1/shop/group-buys/groups/{gid}"), Some(&ben.0)).await).await;
    assert_eq!(view["members"].as_array().unwrap().len(), 3, "{view}");
    assert_eq!(view["seats_left"], 0);
    assert_eq!(view["my_order_id"], order_id(&jb));
    assert!(!view.to_string().contains(&format!("\"order_id\":{}", order_id(&lead))));
    let (_, view) = body(app.get(&format!("/api/v1/shop/group-buys/groups/{gid}"), Some(&dan.0)).await).await;
    assert_eq!(view["my_order_id"], Value::Null);
    assert_eq!(view["joinable"], false);
    // Another buyer's order stays theirs.
    assert_eq!(
        app.get(&format!("/api/v1/shop/orders/{}", order_id(&lead)), Some(&ben.0)).await.status(),
        StatusCode::NOT_FOUND
    );
    pay(app, &ben.0, order_id(&jb)).await;
    until_status(app, &ben.0, order_id(&jb), "awaiting_group").await;
    assert_eq!(status(app, &amy.0, order_id(&lead)).await, "awaiting_group");
    pay(app, &cat.0, order_id(&jc)).await;
    for (who, o) in [(&amy, &lead), (&ben, &jb), (&cat, &jc)] {
        until_status(app, &who.0, order_id(o), "to_ship").await;
    }
    let g = group(app, &s.op, gid).await;
    assert_eq!(
        (g["status"].as_str(), g["paid"].as_i64(), g["seats"].as_i64()),
        (Some("complete"), Some(3), Some(3)),
        "{g}"
    );
    let (_, list) = body(app.get(&format!("/api/v1/shop/products/{}/group-buys", s.product), None).await).await;
    assert_eq!(list[0]["groups"].as_array().unwrap().len(), 0, "a complete group is not joinable");
    assert_eq!(stock(&s).await, 47);
    // The order can now be shipped.
    let (st, d) = body(app.get(&format!("/api/v1/admin/orders/{}", order_id(&lead)), Some(&s.op)).await).await;
    assert_eq!(st, StatusCode::OK);
    assert!(d["refunds"].as_array().unwrap().is_empty());
    // Each member's order placed and paid, and their seat, are recorded as events.
    let kinds: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT CAST(kind AS BIGINT), COUNT(*) FROM events WHERE kind IN (7, 8, 10) GROUP BY kind ORDER BY kind",
    )
    .fetch_all(app.store().reader())
    .await
    .unwrap();
    assert_eq!(kinds, [(7, 3), (8, 3), (10, 3)]);
});

suite!(a_group_that_expires_with_two_of_three_paid_refunds_both_once_across_a_restart, |b| async move {
    let s = setup(b, 3, |c| c.orders.sandbox_duplicates = 3).await;
    let app = &s.app;
    let (amy, ben, cat) = (buyer(app, "amy").await, buyer(app, "ben").await, buyer(app, "cat").await);
    // amy opens with a coupon.
    let (_, tpl) = body(
        app.post(
            "/api/v1/admin/coupons",
            Some(&s.op),
            &json!({"name": "减5", "kind": "amount_off", "amount_off": 500, "scope": {"all": true}, "valid_days": 3}),
        )
        .await,
    )
    .await;
    let (_, coupon) =
        body(app.post(&format!("/api/v1/shop/coupon-templates/{}/claim", tpl["id"]), Some(&amy.0), &json!({})).await)
            .await;
    let (st, lead) = place(&s, &amy, None, json!({"coupon_ids": [coupon["id"]]})).await;
    assert_eq!(st, StatusCode::CREATED, "{lead}");
    assert_eq!(lead["order"]["payable"], 2900);
    let gid = lead["group_id"].as_i64().unwrap();
    let (a_no, a_amount) = pay(app, &amy.0, order_id(&lead)).await;
    until_status(app, &amy.0, order_id(&lead), "awaiting_group").await;
    let (_, jb) = place(&s, &ben, Some(gid), json!({})).await;
    let (b_no, b_amount) = pay(app, &ben.0, order_id(&jb)).await;
    until_status(app, &ben.0, order_id(&jb), "awaiting_group").await;
    // cat takes the last seat and starts paying, but the money arrives only after the group expired.
    let (_, jc) = place(&s, &cat, Some(gid), json!({})).await;
    let (st, cp) = body(
        app.post(&format!("/api/v1/shop/orders/{}/pay", order_id(&jc)), Some(&cat.0), &json!({"provider": "sandbox"}))
            .await,
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{cp}");
    let c_no = cp["out_trade_no"].as_str().unwrap().to_string();
    assert_eq!(stock(&s).await, 47);
    let (_, w) = body(app.get("/api/v1/shop/coupons?view=available", Some(&amy.0)).await).await;
    assert_eq!(w["total"], 0, "the coupon is used");
    // Time runs out; the server restarts in the middle of the expiry: once the group is decided, before (or
    // while) its refunds go to the provider.
    app.store()
        .move_group_deadline(gid, minimall_store::now_ms(), &minimall_server::group_buy::expire_key(gid))
        .await
        .unwrap();
    eventually(20, || async { (group(app, &s.op, gid).await["status"] == "expired").then_some(()) }).await;
    let db = s.app.stop().await;
    let app = TestApp::spawn_with(db, s.cfg.clone(), true).await;
    let op = app.admin_login("operator").await;
    // The expiry job again (a lease lost at the restart), and duplicated and late notifications.
    let mut tx = app.store().begin().await.unwrap();
    app.store()
        .enqueue_job(
            &mut tx,
            &minimall_store::jobs::NewJob {
                merchant_id: 1,
                kind: minimall_server::group_buy::EXPIRE_JOB,
                payload: &json!({"group_id": gid}).to_string(),
                run_at: minimall_store::now_ms(),
                dedup_key: Some(&format!("again-{gid}")),
                max_attempts: 3,
            },
        )
        .await
        .unwrap();
    minimall_store::commit(tx).await.unwrap();
    for n in 0..3 {
        assert_eq!(notify(&app, &a_no, a_amount, n).await, StatusCode::OK);
        assert_eq!(notify(&app, &b_no, b_amount, n).await, StatusCode::OK);
    }
    // cat's payment arrives for a group that is closed: it is given back, once.
    for n in 0..3 {
        assert_eq!(notify(&app, &c_no, 3900, n).await, StatusCode::OK);
    }
    for (who, o, amount) in [(&amy, &lead, a_amount), (&ben, &jb, b_amount), (&cat, &jc, 3900)] {
        let id = order_id(o);
        let done = eventually(20, || async {
            let r = refunds(&app, &op, id).await;
            r.iter().all(|r| r["status"] == "succeeded").then_some(r).filter(|r| !r.is_empty())
        })
        .await;
        assert_eq!(done.len(), 1, "order {id} refunded once: {done:?}");
        assert_eq!(done[0]["amount"], amount);
        let (_, o) = body(app.get(&format!("/api/v1/shop/orders/{id}"), Some(&who.0)).await).await;
        assert_eq!(o["refunded_amount"], amount, "{o}");
    }
    assert_eq!(status(&app, &amy.0, order_id(&lead)).await, "closed");
    assert_eq!(status(&app, &ben.0, order_id(&jb)).await, "closed");
    assert_eq!(status(&app, &cat.0, order_id(&jc)).await, "cancelled");
    // Let anything still queued run, then count again: nothing more.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    for o in [&lead, &jb, &jc] {
        assert_eq!(refunds(&app, &op, order_id(o)).await.len(), 1);
    }
    let s = Setup { app, op, ..s };
    assert_eq!(stock(&s).await, 50, "stock back once");
    let (_, mv) =
        body(s.app.get(&format!("/api/v1/admin/skus/{}/movements?page_size=100", s.sku), Some(&s.op)).await).await;
    let back =
        mv["items"].as_array().unwrap().iter().filter(|m| m["reason"] == "refund" || m["reason"] == "cancel").count();
    assert_eq!(back, 3, "{mv}");
    let (_, w) = body(s.app.get("/api/v1/shop/coupons?view=available", Some(&amy.0)).await).await;
    assert_eq!(w["total"], 1, "the coupon is back");
    let g = group(&s.app, &s.op, gid).await;
    let states: Vec<&str> = g["members"].as_array().unwrap().iter().map(|m| m["state"].as_str().unwrap()).collect();
    assert_eq!(states, ["refund_due", "refund_due", "refund_due"], "{g}");
    assert_eq!(g["members"][0]["refund_reason"], "group_expired");
    assert_eq!(g["members"][2]["refund_reason"], "group_closed");
});

suite!(concurrent_joins_for_the_last_seats_seat_exactly_n, |b| async move {
    let s = setup(b, 5, |_| {}).await;
    let app = &s.app;
    let amy = buyer(app, "amy").await;
    let (_, lead) = place(&s, &amy, None, json!({})).await;
    let gid = lead["group_id"].as_i64().unwrap();
    pay(app, &amy.0, order_id(&lead)).await;
    until_status(app, &amy.0, order_id(&lead), "awaiting_group").await;
    let mut joiners = Vec::new();
    for i in 0..12 {
        joiners.push(buyer(app, &format!("joiner{i}")).await);
    }
    let results = futures_util::future::join_all(joiners.iter().map(|j| place(&s, j, Some(gid), json!({})))).await;
    let won: Vec<(usize, i64)> = results
        .iter()
        .enumerate()
        .filter(|(_, (st, _))| *st == StatusCode::CREATED)
        .map(|(i, (_, v))| (i, order_id(v)))
        .collect();
    assert_eq!(won.len(), 4, "{results:?}");
    for (st, v) in results.iter().filter(|(st, _)| *st != StatusCode::CREATED) {
        assert_eq!((*st, v["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("group_buy.full")), "{v}");
    }
    assert_eq!(stock(&s).await, 45, "stock taken for seats only");
    futures_util::future::join_all(won.iter().map(|(i, o)| pay(app, &joiners[*i].0, *o))).await;
    for (i, o) in &won {
        until_status(app, &joiners[*i].0, *o, "to_ship").await;
    }
    let g = group(app, &s.op, gid).await;
    assert_eq!((g["status"].as_str(), g["paid"].as_i64()), (Some("complete"), Some(5)), "{g}");
    assert_eq!(g["members"].as_array().unwrap().len(), 5);
});

suite!(group_buys_refuse_bad_terms_and_roles_without_the_permission, |b| async move {
    let s = setup(b, 3, |c| c.jobs.enabled = false).await;
    let app = &s.app;
    let now = minimall_store::now_ms();
    let good = json!({"name": "两人团", "product_id": s.product, "starts_at": now, "ends_at": now + 86_400_000,
        "group_size": 2, "time_limit_minutes": 30, "skus": [{"sku_id": s.sku, "group_price": 4000}]});
    let bad = |f: &dyn Fn(&mut Value)| {
        let mut v = good.clone();
        f(&mut v);
        v
    };
    for (req, field) in [
        (bad(&|v| v["group_size"] = json!(1)), "group_size"),
        (bad(&|v| v["time_limit_minutes"] = json!(1)), "time_limit_minutes"),
        (bad(&|v| v["skus"][0]["group_price"] = json!(5001)), "skus[0].group_price"),
        (bad(&|v| v["skus"][0]["sku_id"] = json!(999_999)), "skus[0].sku_id"),
        (bad(&|v| v["skus"] = json!([])), "skus"),
        (bad(&|v| v["ends_at"] = json!(now - 1)), "ends_at"),
        (bad(&|v| v["leader_discount"] = json!(4000)), "leader_discount"),
        (bad(&|v| v["product_id"] = json!(999_999)), "product_id"),
        (bad(&|v| v["group_size"] = json!(-5)), "group_size"),
    ] {
        assert_field_error(
            app.post("/api/v1/admin/group-buys", Some(&s.op), &req).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            field,
        )
        .await;
    }
    for role in ["service", "finance", "clerk"] {
        let t = app.admin_login(role).await;
        assert_eq!(
            app.post("/api/v1/admin/group-buys", Some(&t), &good).await.status(),
            StatusCode::FORBIDDEN,
            "{role}"
        );
        assert_eq!(
            app.post(&format!("/api/v1/admin/group-buys/{}/stop", s.activity), Some(&t), &json!({})).await.status(),
            StatusCode::FORBIDDEN,
            "{role}"
        );
    }
    let clerk = app.admin_login("clerk").await;
    assert_eq!(app.get("/api/v1/admin/group-buys/groups", Some(&clerk)).await.status(), StatusCode::FORBIDDEN);
    let amy = buyer(app, "amy").await;
    assert_eq!(app.get("/api/v1/admin/group-buys/groups", Some(&amy.0)).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.get("/api/v1/admin/group-buys", None).await.status(), StatusCode::UNAUTHORIZED);
    // Buyers: a session and a key are needed; the SKU must be the activity's; an unknown group is 404.
    let path = format!("/api/v1/shop/group-buys/{}/orders", s.activity);
    assert_eq!(
        app.post_idem(&path, None, &json!({"sku_id": s.sku, "address_id": amy.1})).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_field_error(
        app.post(&path, Some(&amy.0), &json!({"sku_id": s.sku, "address_id": amy.1})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "Idempotency-Key",
    )
    .await;
    assert_field_error(
        app.post_idem(&path, Some(&amy.0), &json!({"sku_id": 999_999, "address_id": amy.1})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "sku_id",
    )
    .await;
    assert_field_error(
        app.post_idem(&path, Some(&amy.0), &json!({"sku_id": s.sku, "address_id": 999_999})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "address_id",
    )
    .await;
    assert_field_error(
        app.post_idem(&path, Some(&amy.0), &json!({"sku_id": s.sku, "address_id": amy.1, "group_id": 999_999})).await,
        StatusCode::NOT_FOUND,
        "group_id",
    )
    .await;
    assert_eq!(app.get("/api/v1/shop/group-buys/groups/1", None).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.get("/api/v1/admin/group-buys/groups?status=done", Some(&s.op)).await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    // The same key answers the same order; stopping the activity refuses new groups.
    let key_req = |k: &str| {
        app.req(Method::POST, &path, Some(&amy.0))
            .header("Idempotency-Key", k.to_string())
            .json(&json!({"sku_id": s.sku, "address_id": amy.1}))
    };
    let (st1, first) = body(key_req("same-1").send().await.unwrap()).await;
    let (st2, again) = body(key_req("same-1").send().await.unwrap()).await;
    assert_eq!((st1, st2), (StatusCode::CREATED, StatusCode::CREATED), "{first} {again}");
    assert_eq!(first["order"]["id"], again["order"]["id"]);
    let (st, e) = body(key_req("same-2").send().await.unwrap()).await;
    assert_eq!((st, e["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("group_buy.limit_reached")), "{e}");
    let (st, _) =
        body(app.post(&format!("/api/v1/admin/group-buys/{}/stop", s.activity), Some(&s.op), &json!({})).await).await;
    assert_eq!(st, StatusCode::OK);
    let ben = buyer(app, "ben").await;
    let (st, e) = place(&s, &ben, None, json!({})).await;
    assert_eq!((st, e["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("group_buy.ended")), "{e}");
    let (_, audit) =
        body(app.get("/api/v1/admin/audit-log?action=group_buy.stop", Some(&app.admin_login("admin").await)).await)
            .await;
    assert!(audit.to_string().contains("group_buy.stop"), "{audit}");
});

suite!(group_buying_on_the_pages_in_chinese, |b| async move {
    use reqwest::header::{COOKIE, LOCATION, ORIGIN, SET_COOKIE};
    let s = setup(b, 3, |_| {}).await;
    let app = &s.app;
    let c = reqwest::Client::builder().no_proxy().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let get = |path: String, cookie: String| {
        let c = c.clone();
        let base = app.base.clone();
        async move {
            let r = c.get(format!("{base}{path}")).header(COOKIE, cookie).send().await.unwrap();
            let csrf = r
                .headers()
                .get_all(SET_COOKIE)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .find(|v| v.starts_with("mm_csrf="))
                .map(|v| v.split(';').next().unwrap().to_string());
            (r.status(), csrf, r.text().await.unwrap())
        }
    };
    let amy = buyer(app, "amy").await;
    let (st, csrf, html) = get(format!("/p/{}", s.product), String::new()).await;
    assert_eq!(st, StatusCode::OK);
    assert!(html.contains("发起拼团") && html.contains("脐橙三人团") && html.contains("¥39.00"), "{html}");
    let csrf = csrf.expect("a csrf cookie");
    let cookie = format!("{csrf}; mm_buyer={}", amy.0);
    let (_, _, html) = get(format!("/p/{}", s.product), cookie.clone()).await;
    let field = |html: &str, name: &str| {
        html.split(&format!("name=\"{name}\" value=\"")).nth(1).unwrap().split('"').next().unwrap().to_string()
    };
    let (token, idem) = (field(&html, "_csrf"), field(&html, "idem"));
    let r = c
        .post(format!("{}/group-buys/{}/open", app.base, s.activity))
        .header(COOKIE, &cookie)
        .header(ORIGIN, &app.base)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("_csrf={token}&idem={idem}&sku_id={}", s.sku))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let pay_page = r.headers()[LOCATION].to_str().unwrap().to_string();
    let order: i64 = pay_page.trim_start_matches("/orders/").trim_end_matches("/pay").parse().unwrap();
    assert_eq!(status(app, &amy.0, order).await, "pending_payment");
    pay(app, &amy.0, order).await;
    until_status(app, &amy.0, order, "awaiting_group").await;
    let (_, list) = body(app.get(&format!("/api/v1/shop/products/{}/group-buys", s.product), None).await).await;
    let gid = list[0]["groups"][0]["id"].as_i64().unwrap();
    // The product page lists the group; the group page shows its members and seats left, all in Chinese.
    let (_, _, html) = get(format!("/p/{}", s.product), cookie.clone()).await;
    assert!(html.contains(&format!("href=\"/g/{gid}\"")) && html.contains("去参团"), "{html}");
    let ben = buyer(app, "ben").await;
    let (st, _, html) = get(format!("/g/{gid}"), format!("{csrf}; mm_buyer={}", ben.0)).await;
    assert_eq!(st, StatusCode::OK);
    assert!(
        html.contains("待成团") && html.contains("a**") && html.contains("团长") && html.contains("待加入"),
        "{html}"
    );
    assert!(html.contains("还差 2") && html.contains("去参团"), "{html}");
    assert!(!html.contains(&format!("/orders/{order}")), "another buyer's order is not linked");
    let (st, _, _) = get(format!("/g/{gid}"), String::new()).await;
    assert!(st.is_redirection(), "the group page needs a buyer");
    // The console lists the activity and refuses a bad form in Chinese at its field.
    let op = format!("{csrf}; mm_admin={}", s.op);
    let (st, _, html) = get("/admin/group-buys".into(), op.clone()).await;
    assert_eq!(st, StatusCode::OK);
    assert!(html.contains("脐橙三人团") && html.contains("新建拼团") && html.contains("进行中"), "{html}");
    let (st, _, html) = get(format!("/admin/group-buys/{}/groups", s.activity), op.clone()).await;
    assert_eq!(st, StatusCode::OK);
    assert!(html.contains("待成团") && html.contains("amy"), "{html}");
    let token = field(&html, "_csrf");
    let r = c
        .post(format!("{}/admin/group-buys", app.base))
        .header(COOKIE, &op)
        .header(ORIGIN, &app.base)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "_csrf={token}&name=%E5%9B%A2&product_id={}&sku_code=&group_price=99&group_size=3&time_limit_minutes=60&leader_discount=0&starts_at=2030-01-01T10%3A00&ends_at=2030-01-02T10%3A00&per_buyer_limit=1&free_shipping=1&mock_fill=0",
            s.product
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("拼团价须在 0.01 元到售价之间"), "{html}");
    let (st, _, _) =
        get("/admin/group-buys".into(), format!("{csrf}; mm_admin={}", app.admin_login("clerk").await)).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
});

suite!(group_orders_earn_commission_frozen_at_payment_and_a_failed_group_reverses_it, |b| async move {
    use crate::distribution::{become_promoter, bind, centre, earnings};
    let s = setup(b, 2, |_| {}).await;
    let app = &s.app;
    let owner = app.admin_login("admin").await;
    let settings = json!({
        "approval": "manual", "touch": "first", "settle_days": 0,
        "rates": {"direct": {"mode": "percent", "value": 1000}, "leader": {"mode": "percent", "value": 500}},
        "withdrawal_min": 100, "withdrawal_max": 100000
    });
    let (st, v) = body(app.put("/api/v1/admin/distribution/settings", Some(&owner), &settings).await).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let pam = buyer(app, "pam").await;
    let (_, code) = become_promoter(app, &pam.0, &s.op).await;
    let (amy, ben, cat) = (buyer(app, "amy").await, buyer(app, "ben").await, buyer(app, "cat").await);
    for who in [&amy, &cat] {
        let (st, v) = bind(app, &who.0, &code).await;
        assert_eq!(st, StatusCode::OK, "{v}");
    }
    // amy (pam's) opens and pays: 10 % of the 3,400 paid is frozen for pam; ben (nobody's) completes it.
    let (_, lead) = place(&s, &amy, None, json!({})).await;
    let gid = lead["group_id"].as_i64().unwrap();
    pay(app, &amy.0, order_id(&lead)).await;
    until_status(app, &amy.0, order_id(&lead), "awaiting_group").await;
    assert_eq!(earnings(&centre(app, &pam.0).await).0, 340);
    let (_, jb) = place(&s, &ben, Some(gid), json!({})).await;
    pay(app, &ben.0, order_id(&jb)).await;
    until_status(app, &amy.0, order_id(&lead), "to_ship").await;
    assert_eq!(earnings(&centre(app, &pam.0).await).0, 340, "ben's order earns nobody anything");
    // cat (pam's) opens another group, pays, and nobody joins: the refund reverses the commission.
    let (_, lone) = place(&s, &cat, None, json!({})).await;
    let lone_gid = lone["group_id"].as_i64().unwrap();
    pay(app, &cat.0, order_id(&lone)).await;
    until_status(app, &cat.0, order_id(&lone), "awaiting_group").await;
    assert_eq!(earnings(&centre(app, &pam.0).await).0, 680);
    app.store()
        .move_group_deadline(lone_gid, minimall_store::now_ms(), &minimall_server::group_buy::expire_key(lone_gid))
        .await
        .unwrap();
    until_status(app, &cat.0, order_id(&lone), "closed").await;
    eventually(20, || async { (earnings(&centre(app, &pam.0).await).0 == 340).then_some(()) }).await;
    let (_, list) = body(app.get("/api/v1/shop/promoter/commissions?page_size=100", Some(&pam.0)).await).await;
    let reversed: Vec<&Value> = list["items"].as_array().unwrap().iter().filter(|c| c["reversed"] != 0).collect();
    assert_eq!(reversed.len(), 1, "{list}");
    assert_eq!(
        (reversed[0]["order_id"].as_i64(), reversed[0]["reversed"].as_i64()),
        (Some(order_id(&lone)), Some(340))
    );
});

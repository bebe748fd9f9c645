use futures_util::StreamExt;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::*;
use crate::suite;

struct Setup {
    app: TestApp,
    op: String,
    sku: i64,
    product: i64,
}

async fn setup(b: Backend, tweak: impl FnOnce(&mut minimall_server::Config)) -> Setup {
    let db = TestDb::new(b).await;
    let mut cfg = test_config(&db.url);
    cfg.orders.sandbox_notify_delay_ms = 20;
    tweak(&mut cfg);
    let app = TestApp::spawn_with(db, cfg, true).await;
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
    Setup {
        op,
        sku: p["product"]["skus"][0]["id"].as_i64().unwrap(),
        product: p["product"]["id"].as_i64().unwrap(),
        app,
    }
}

async fn address(app: &TestApp, buyer: &str) -> i64 {
    let (s, a) = body(app.post("/api/v1/shop/addresses", Some(buyer), &json!({
        "name": "李四", "phone": "13912345678", "province": "浙江省", "city": "杭州市", "district": "西湖区", "detail": "文三路 1 号"
    })).await).await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    a["id"].as_i64().unwrap()
}

async fn place(app: &TestApp, buyer: &str, key: &str, body_json: &Value) -> (StatusCode, Value) {
    body(
        app.req(Method::POST, "/api/v1/shop/orders", Some(buyer))
            .header("Idempotency-Key", key)
            .json(body_json)
            .send()
            .await
            .unwrap(),
    )
    .await
}

async fn stock(app: &TestApp, op: &str, product: i64) -> i64 {
    let (_, p) = body(app.get(&format!("/api/v1/admin/products/{product}"), Some(op)).await).await;
    p["skus"][0]["stock"].as_i64().unwrap()
}

async fn order_status(app: &TestApp, buyer: &str, id: i64) -> String {
    let (_, o) = body(app.get(&format!("/api/v1/shop/orders/{id}"), Some(buyer)).await).await;
    o["status"].as_str().unwrap_or_default().to_string()
}

suite!(checkout_pay_ship_receive, |b| async move {
    let s = setup(b, |_| {}).await;
    let app = &s.app;
    let buyer = app.buyer_login("amy").await;
    let addr = address(app, &buyer).await;
    // Through the cart.
    let (st, cart) =
        body(app.post("/api/v1/shop/cart/items", Some(&buyer), &json!({"sku_id": s.sku, "quantity": 2})).await).await;
    assert_eq!(st, StatusCode::OK, "{cart}");
    assert_eq!(cart["selected_amount"], 10000);
    // The client's payable is checked: a stale one gets 409 with the new quote.
    let (st, v) = place(app, &buyer, "o-1", &json!({"address_id": addr, "expected_payable": 1})).await;
    assert_eq!(st, StatusCode::CONFLICT, "{v}");
    assert_eq!(v["error"]["code"], "quote_changed");
    let payable = v["quote"]["payable"].as_i64().unwrap();
    let (st, o) = place(app, &buyer, "o-2", &json!({"address_id": addr, "expected_payable": payable})).await;
    assert_eq!(st, StatusCode::CREATED, "{o}");
    assert_eq!(o["status"], "pending_payment");
    assert_eq!(o["payable"], payable);
    let paid: i64 = o["lines"].as_array().unwrap().iter().map(|l| l["paid_amount"].as_i64().unwrap()).sum();
    assert_eq!(paid + o["shipping"].as_i64().unwrap(), payable);
    let id = o["id"].as_i64().unwrap();
    assert_eq!(stock(app, &s.op, s.product).await, 48, "stock taken at checkout");
    // The shop's cached product page follows within a second.
    eventually(5, || async {
        let (_, p) = body(app.get(&format!("/api/v1/shop/products/{}", s.product), None).await).await;
        (p["skus"][0]["stock"] == 48).then_some(())
    })
    .await;
    let (_, cart) = body(app.get("/api/v1/shop/cart", Some(&buyer)).await).await;
    assert_eq!(cart["total"], 0, "ordered lines leave the cart");

    // Sandbox payment: completing it only schedules signed notifications; the order becomes paid when they arrive.
    let (st, p) =
        body(app.post(&format!("/api/v1/shop/orders/{id}/pay"), Some(&buyer), &json!({"provider": "sandbox"})).await)
            .await;
    assert_eq!(st, StatusCode::OK, "{p}");
    let r = app.post(p["sandbox_complete_url"].as_str().unwrap(), Some(&buyer), &json!({})).await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    eventually(15, || async { (order_status(app, &buyer, id).await == "to_ship").then_some(()) }).await;
    // Every duplicate delivery arrives; the order was paid once.
    let (_, d) = eventually(15, || async {
        let (st, d) = body(app.get(&format!("/api/v1/admin/orders/{id}"), Some(&s.op)).await).await;
        (d["payment"]["notifications"] == 2).then_some((st, d))
    })
    .await;
    assert_eq!(d["payment"]["status"], "succeeded");
    assert_eq!(
        d["payment"]["fee"],
        minimall_core::orders::payment_fee(minimall_core::Money::from_fen(payable), 6).fen()
    );
    assert_eq!(d["timeline"].as_array().unwrap().iter().filter(|e| e["kind"] == "paid").count(), 1);

    // Ship in two parcels, then the buyer confirms.
    let line = d["order"]["lines"][0]["id"].as_i64().unwrap();
    let (st, v) = body(
        app.post(
            &format!("/api/v1/admin/orders/{id}/ship"),
            Some(&s.op),
            &json!({"carrier": "顺丰", "tracking_no": "SF1", "lines": [{"line_id": line, "quantity": 1}]}),
        )
        .await,
    )
    .await;
    assert_eq!((st, v["status"].clone()), (StatusCode::OK, json!("partially_shipped")), "{v}");
    let (st, v) = body(
        app.post(
            &format!("/api/v1/admin/orders/{id}/ship"),
            Some(&s.op),
            &json!({"carrier": "顺丰", "tracking_no": "SF2", "lines": [{"line_id": line, "quantity": 5}]}),
        )
        .await,
    )
    .await;
    assert_eq!(st, StatusCode::CONFLICT, "{v}");
    let (st, v) = body(
        app.post(
            &format!("/api/v1/admin/orders/{id}/ship"),
            Some(&s.op),
            &json!({"carrier": "顺丰", "tracking_no": "SF2"}),
        )
        .await,
    )
    .await;
    assert_eq!((st, v["status"].clone()), (StatusCode::OK, json!("shipped")), "{v}");
    assert_eq!(order_status(app, &buyer, id).await, "shipped");
    let (st, v) = body(app.post(&format!("/api/v1/shop/orders/{id}/receive"), Some(&buyer), &json!({})).await).await;
    assert_eq!((st, v["status"].clone()), (StatusCode::OK, json!("received")));
    // A received order cannot be cancelled.
    assert_eq!(
        app.post(&format!("/api/v1/shop/orders/{id}/cancel"), Some(&buyer), &json!({})).await.status(),
        StatusCode::CONFLICT
    );
    let (_, d) = body(app.get(&format!("/api/v1/admin/orders/{id}"), Some(&s.op)).await).await;
    let kinds: Vec<&str> = d["timeline"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["created", "paid", "shippartial", "shipall", "confirmreceipt"]);
    assert_eq!(d["shipments"].as_array().unwrap().len(), 2);
    // Lists: the buyer's own, and the console's filters and export.
    let (_, mine) = body(app.get("/api/v1/shop/orders?status=received", Some(&buyer)).await).await;
    assert_eq!(mine["total"], 1);
    let (_, all) = body(app.get(&format!("/api/v1/admin/orders?product_id={}", s.product), Some(&s.op)).await).await;
    assert_eq!(all["total"], 1);
    let csv = app.get("/api/v1/admin/orders/export", Some(&s.op)).await.text().await.unwrap();
    assert!(csv.contains(d["order"]["order_no"].as_str().unwrap()));
    assert_field_error(
        app.get("/api/v1/admin/orders?status=lost", Some(&s.op)).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "status",
    )
    .await;
});

suite!(one_key_one_order_under_concurrency, |b| async move {
    let s = setup(b, |_| {}).await;
    let app = &s.app;
    let buyer = app.buyer_login("ben").await;
    let addr = address(app, &buyer).await;
    let req = json!({"items": [{"sku_id": s.sku, "quantity": 1}], "address_id": addr});
    let futs = (0..100).map(|_| place(app, &buyer, "same-key", &req));
    let results = futures_util::future::join_all(futs).await;
    let first = results[0].1["id"].clone();
    for (st, v) in &results {
        assert_eq!(*st, StatusCode::CREATED, "{v}");
        assert_eq!(v["id"], first);
    }
    let (_, mine) = body(app.get("/api/v1/shop/orders", Some(&buyer)).await).await;
    assert_eq!(mine["total"], 1);
    assert_eq!(stock(app, &s.op, s.product).await, 49, "one unit taken");
    let (st, v) =
        place(app, &buyer, "same-key", &json!({"items": [{"sku_id": s.sku, "quantity": 2}], "address_id": addr})).await;
    assert_eq!((st, v["error"]["code"].clone()), (StatusCode::UNPROCESSABLE_ENTITY, json!("idempotency_key_reused")));
    // Never oversold: 60 buyers race for the remaining 49.
    let futs = (0..60).map(|i| async move {
        let t = app.buyer_login(&format!("crowd{i}")).await;
        let a = address(app, &t).await;
        place(app, &t, &format!("k{i}"), &json!({"items": [{"sku_id": s.sku, "quantity": 1}], "address_id": a})).await.0
    });
    let statuses = futures_util::future::join_all(futs).await;
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::CREATED).count(), 49);
    assert!(statuses.iter().all(|s| *s == StatusCode::CREATED || *s == StatusCode::CONFLICT), "{statuses:?}");
    assert_eq!(stock(app, &s.op, s.product).await, 0);
});

suite!(unpaid_timeout_returns_stock_coupon_and_points_once_even_across_a_restart, |b| async move {
    let db = TestDb::new(b).await;
    let mut cfg = test_config(&db.url);
    cfg.orders.unpaid_timeout_secs = 1;
    cfg.jobs.enabled = false;
    let app = TestApp::spawn_with(db, cfg.clone(), true).await;
    let op = app.admin_login("operator").await;
    let (_, c) = body(app.post("/api/v1/admin/categories", Some(&op), &json!({"name": "茶"})).await).await;
    let (_, p) = body(
        app.post_idem(
            "/api/v1/admin/products",
            Some(&op),
            &json!({
                "product": {"code": "TEA", "category_id": c["id"], "title": "龙井", "on_shelf": true},
                "skus": [{"code": "TEA-1", "stock": 10, "original_price": 20000, "sale_price": 20000}]
            }),
        )
        .await,
    )
    .await;
    let sku = p["product"]["skus"][0]["id"].as_i64().unwrap();
    let product = p["product"]["id"].as_i64().unwrap();
    let (_, tpl) = body(
        app.post(
            "/api/v1/admin/coupons",
            Some(&op),
            &json!({"name": "减10", "kind": "amount_off", "amount_off": 1000, "scope": {"all": true}, "valid_days": 3}),
        )
        .await,
    )
    .await;
    let buyer = app.buyer_login("cat").await;
    let (_, me) = body(app.get("/api/v1/shop/me", Some(&buyer)).await).await;
    app.post(&format!("/api/v1/admin/buyers/{}/points", me["id"]), Some(&op), &json!({"delta": 5000, "note": "奖励"}))
        .await;
    let (_, coupon) =
        body(app.post(&format!("/api/v1/shop/coupon-templates/{}/claim", tpl["id"]), Some(&buyer), &json!({})).await)
            .await;
    let addr = address(&app, &buyer).await;
    let (st, o) = place(&app, &buyer, "t-1", &json!({"items": [{"sku_id": sku, "quantity": 3}], "coupon_ids": [coupon["id"]], "points": 2000, "address_id": addr})).await;
    assert_eq!(st, StatusCode::CREATED, "{o}");
    assert_eq!(o["points_used"], 2000);
    assert_eq!(o["coupon_discount"], 1000);
    assert_eq!(stock(&app, &op, product).await, 7);
    let (_, w) = body(app.get("/api/v1/shop/coupons?view=available", Some(&buyer)).await).await;
    assert_eq!(w["total"], 0, "coupon locked by the order");
    // Restart before the deadline passes, with workers this time.
    let db = app.stop().await;
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    cfg.jobs.enabled = true;
    let app = TestApp::spawn_with(db, cfg, true).await;
    let op = app.admin_login("operator").await;
    let id = o["id"].as_i64().unwrap();
    eventually(15, || async { (order_status(&app, &buyer, id).await == "cancelled").then_some(()) }).await;
    assert_eq!(stock(&app, &op, product).await, 10, "stock back");
    let (_, pts) = body(app.get("/api/v1/shop/points", Some(&buyer)).await).await;
    assert_eq!(pts["balance"], 5000, "points back");
    let (_, w) = body(app.get("/api/v1/shop/coupons?view=available", Some(&buyer)).await).await;
    assert_eq!(w["total"], 1, "coupon back");
    // Exactly once: cancelling again changes nothing.
    assert_eq!(
        app.post(&format!("/api/v1/shop/orders/{id}/cancel"), Some(&buyer), &json!({})).await.status(),
        StatusCode::CONFLICT
    );
    let (_, mv) = body(app.get(&format!("/api/v1/admin/skus/{sku}/movements"), Some(&op)).await).await;
    assert_eq!(mv["items"].as_array().unwrap().iter().filter(|m| m["reason"] == "cancel").count(), 1);
    assert_eq!(stock(&app, &op, product).await, 10);
    // Paying a cancelled order is refused.
    assert_eq!(
        app.post(&format!("/api/v1/shop/orders/{id}/pay"), Some(&buyer), &json!({"provider": "sandbox"}))
            .await
            .status(),
        StatusCode::CONFLICT
    );
});

suite!(a_notification_storm_pays_each_order_once_and_accepts_no_forgery, |b| async move {
    let s = setup(b, |c| c.jobs.enabled = false).await;
    let app = &s.app;
    let secret = app.sandbox_secret();
    let secret = secret.as_str();
    let buyer = app.buyer_login("dan").await;
    let addr = address(app, &buyer).await;
    let mut trades = Vec::new();
    for i in 0..10 {
        let (_, o) = place(
            app,
            &buyer,
            &format!("storm-{i}"),
            &json!({"items": [{"sku_id": s.sku, "quantity": 1}], "address_id": addr}),
        )
        .await;
        let (_, p) = body(
            app.post(&format!("/api/v1/shop/orders/{}/pay", o["id"]), Some(&buyer), &json!({"provider": "sandbox"}))
                .await,
        )
        .await;
        trades.push((
            o["id"].as_i64().unwrap(),
            p["out_trade_no"].as_str().unwrap().to_string(),
            p["amount"].as_i64().unwrap(),
        ));
    }
    let sign = |body: &[u8], ts: &str, nonce: &str, secret: &str| {
        minimall_server::payments::sandbox::sign(secret, ts, nonce, body)
    };
    let notice = |no: &str, amount: i64, n: usize| {
        serde_json::to_vec(&json!({"id": format!("{no}-{n}"), "event_type": "TRANSACTION.SUCCESS", "out_trade_no": no, "transaction_id": format!("T{no}"), "amount": amount, "out_refund_no": null})).unwrap()
    };
    let send = |body: Vec<u8>, ts: String, nonce: String, sig: String| async move {
        app.req(Method::POST, "/api/v1/payments/sandbox/notify", None)
            .header("content-type", "application/json")
            .header("x-sandbox-timestamp", ts)
            .header("x-sandbox-nonce", nonce)
            .header("x-sandbox-signature", sig)
            .body(body)
            .send()
            .await
            .unwrap()
            .status()
    };
    let now = (minimall_store::now_ms() / 1000).to_string();
    // Genuine notifications, each five times, shuffled; an amount mismatch signed correctly; forgeries.
    let mut genuine = Vec::new();
    for (_, no, amount) in &trades {
        for n in 0..5 {
            let b = notice(no, *amount, n);
            let sig = sign(&b, &now, "nonce", secret);
            genuine.push((b, sig));
        }
    }
    use rand::seq::SliceRandom;
    genuine.shuffle(&mut rand::thread_rng());
    let mismatched = notice(&trades[0].1, trades[0].2 + 1, 99);
    let sig = sign(&mismatched, &now, "nonce", secret);
    assert_eq!(send(mismatched, now.clone(), "nonce".into(), sig).await, StatusCode::UNPROCESSABLE_ENTITY);
    let forged = (0..10_000).map(|i| {
        let (_, no, amount) = &trades[i % trades.len()];
        let mut b = notice(no, *amount, 1000 + i);
        let (ts, sig) = match i % 4 {
            0 => (now.clone(), sign(&b, &now, "nonce", "wrong-secret")),
            1 => {
                let sig = sign(&b, &now, "nonce", secret);
                let at = b.len() / 2;
                b[at] ^= 0x01;
                (now.clone(), sig)
            }
            2 => {
                let old = (minimall_store::now_ms() / 1000 - 3600).to_string();
                let sig = sign(&b, &old, "nonce", secret);
                (old, sig)
            }
            _ => (now.clone(), "00".repeat(32)),
        };
        send(b, ts, "nonce".into(), sig)
    });
    let genuine_futs = genuine.into_iter().map(|(b, sig)| send(b, now.clone(), "nonce".into(), sig));
    let forged_statuses: Vec<StatusCode> = futures_util::stream::iter(forged).buffer_unordered(32).collect().await;
    let genuine_statuses: Vec<StatusCode> = futures_util::future::join_all(genuine_futs).await;
    assert!(forged_statuses.iter().all(|s| s.is_client_error()), "no forgery accepted");
    assert!(genuine_statuses.iter().all(|s| *s == StatusCode::OK), "{genuine_statuses:?}");
    for (id, no, _) in &trades {
        assert_eq!(order_status(app, &buyer, *id).await, "to_ship");
        let (_, d) = body(app.get(&format!("/api/v1/admin/orders/{id}"), Some(&s.op)).await).await;
        assert_eq!(d["timeline"].as_array().unwrap().iter().filter(|e| e["kind"] == "paid").count(), 1, "{no}");
    }
});

suite!(buyers_cannot_touch_each_others_orders_and_tampering_is_refused, |b| async move {
    let s = setup(b, |_| {}).await;
    let app = &s.app;
    let a = app.buyer_login("owner-a").await;
    let other = app.buyer_login("intruder-b").await;
    let addr = address(app, &a).await;
    let (_, o) =
        place(app, &a, "mine", &json!({"items": [{"sku_id": s.sku, "quantity": 1}], "address_id": addr})).await;
    let id = o["id"].as_i64().unwrap();
    assert_eq!(app.get(&format!("/api/v1/shop/orders/{id}"), Some(&other)).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        app.post(&format!("/api/v1/shop/orders/{id}/cancel"), Some(&other), &json!({})).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.post(&format!("/api/v1/shop/orders/{id}/pay"), Some(&other), &json!({"provider": "sandbox"}))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.post(&format!("/api/v1/shop/orders/{id}/receive"), Some(&other), &json!({})).await.status(),
        StatusCode::NOT_FOUND
    );
    let (_, theirs) = body(app.get("/api/v1/shop/orders", Some(&other)).await).await;
    assert_eq!(theirs["total"], 0);
    // Someone else's address.
    let r = place(app, &other, "x1", &json!({"items": [{"sku_id": s.sku, "quantity": 1}], "address_id": addr})).await;
    assert_eq!((r.0, r.1["error"]["field"].clone()), (StatusCode::UNPROCESSABLE_ENTITY, json!("address_id")));
    let oaddr = address(app, &other).await;
    for (i, (items, field)) in [
        (json!([{"sku_id": s.sku, "quantity": -1}]), "items[0].quantity"),
        (json!([{"sku_id": s.sku, "quantity": 0}]), "items[0].quantity"),
        (json!([{"sku_id": s.sku, "quantity": 1_000_000_000_000_i64}]), "items[0].quantity"),
        (json!([{"sku_id": s.sku, "quantity": 9_999_999_999_999_999_999_u64}]), "items[0].quantity"),
        (json!([{"sku_id": 424242, "quantity": 1}]), "items[0].sku_id"),
    ]
    .into_iter()
    .enumerate()
    {
        let (st, v) = place(app, &other, &format!("t{i}"), &json!({"items": items, "address_id": oaddr})).await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["error"]["field"], field, "{v}");
    }
    // Without an Idempotency-Key.
    let r = app
        .post(
            "/api/v1/shop/orders",
            Some(&other),
            &json!({"items": [{"sku_id": s.sku, "quantity": 1}], "address_id": oaddr}),
        )
        .await;
    assert_field_error(r, StatusCode::UNPROCESSABLE_ENTITY, "Idempotency-Key").await;
    // Console roles: finance reads orders but may not ship.
    let fin = app.admin_login("finance").await;
    assert_eq!(app.get("/api/v1/admin/orders", Some(&fin)).await.status(), StatusCode::OK);
    assert_eq!(
        app.post(&format!("/api/v1/admin/orders/{id}/ship"), Some(&fin), &json!({"carrier": "x", "tracking_no": "1"}))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    // Shipping an unpaid order is refused.
    assert_eq!(
        app.post(
            &format!("/api/v1/admin/orders/{id}/ship"),
            Some(&s.op),
            &json!({"carrier": "顺丰", "tracking_no": "SF9"})
        )
        .await
        .status(),
        StatusCode::CONFLICT
    );
});

// Checkout takes stock line by line with a movement each (reason `sale`, the balance after, the order
// number), opens one low-stock alert when a sale crosses the threshold, and refuses what is not there with
// the line's field, leaving stock and movements as they were.
suite!(checkout_takes_stock_with_movements_and_alerts, |b| async move {
    let s = setup(b, |_| {}).await;
    let app = &s.app;
    let (_, c) = body(app.post("/api/v1/admin/categories", Some(&s.op), &json!({"name": "礼盒"})).await).await;
    let (st, p) = body(
        app.post_idem(
            "/api/v1/admin/products",
            Some(&s.op),
            &json!({
                "product": {"code": "GIFT", "category_id": c["id"], "title": "年货礼盒", "on_shelf": true},
                "skus": [{"code": "GIFT-1", "stock": 6, "original_price": 9900, "sale_price": 8800, "safety_stock": 3}]
            }),
        )
        .await,
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{p}");
    let sku = p["product"]["skus"][0]["id"].as_i64().unwrap();
    let product = p["product"]["id"].as_i64().unwrap();
    let buyer = app.buyer_login("gift-buyer").await;
    let addr = address(app, &buyer).await;
    let alerts = || async {
        let (_, a) = body(app.get("/api/v1/admin/stock-alerts", Some(&s.op)).await).await;
        a["total"].as_i64().unwrap()
    };
    let mut order_nos = Vec::new();
    for (i, after) in [4, 2, 0].into_iter().enumerate() {
        let items = json!([{"sku_id": s.sku, "quantity": 1}, {"sku_id": sku, "quantity": 2}]);
        let (st, o) = place(app, &buyer, &format!("gift-{i}"), &json!({"items": items, "address_id": addr})).await;
        assert_eq!(st, StatusCode::CREATED, "{o}");
        order_nos.push(o["order_no"].as_str().unwrap().to_string());
        assert_eq!(stock(app, &s.op, product).await, after);
        assert_eq!(alerts().await, if after <= 3 { 1 } else { 0 }, "one open alert once at or below 3");
    }
    let before = stock(app, &s.op, s.product).await;
    let (st, e) = place(
        app,
        &buyer,
        "gift-3",
        &json!({"items": [{"sku_id": s.sku, "quantity": 1}, {"sku_id": sku, "quantity": 1}], "address_id": addr}),
    )
    .await;
    assert_eq!(
        (st, e["error"]["code"].clone(), e["error"]["field"].clone()),
        (StatusCode::CONFLICT, json!("out_of_stock"), json!("items[1].quantity")),
        "{e}"
    );
    assert_eq!(
        (&e["error"]["reason"], &e["error"]["params"]),
        (&json!("orders.only_left"), &json!({"have": 0})),
        "{e}"
    );
    assert_eq!(stock(app, &s.op, s.product).await, before, "the first line's stock was given back with the refusal");
    let (_, mv) = body(app.get(&format!("/api/v1/admin/skus/{sku}/movements?page_size=100"), Some(&s.op)).await).await;
    let rows: Vec<(i64, i64, String, String)> = mv["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["delta"].as_i64().unwrap(),
                m["balance_after"].as_i64().unwrap(),
                m["reason"].as_str().unwrap().to_string(),
                m["reference"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    let sales: Vec<_> = rows.iter().filter(|r| r.2 == "sale").cloned().collect();
    assert_eq!(
        sales,
        vec![
            (-2, 0, "sale".to_string(), order_nos[2].clone()),
            (-2, 2, "sale".to_string(), order_nos[1].clone()),
            (-2, 4, "sale".to_string(), order_nos[0].clone()),
        ],
        "{mv}"
    );
    assert_eq!(rows.len(), 4, "the initial stock and three sales, nothing of the refused order");
    let (_, mine) = body(app.get("/api/v1/shop/orders", Some(&buyer)).await).await;
    assert_eq!(mine["total"], 3);
});

// A payment that arrives for an order cancelled meanwhile is accepted and refunded in full, once, however
// often it is notified; the order stays cancelled.
suite!(a_payment_for_a_cancelled_order_is_refunded_once, |b| async move {
    let s = setup(b, |_| {}).await;
    let app = &s.app;
    let buyer = app.buyer_login("too-late").await;
    let addr = address(app, &buyer).await;
    let (st, o) =
        place(app, &buyer, "late-1", &json!({"items": [{"sku_id": s.sku, "quantity": 2}], "address_id": addr})).await;
    assert_eq!(st, StatusCode::CREATED, "{o}");
    let id = o["id"].as_i64().unwrap();
    let (_, p) =
        body(app.post(&format!("/api/v1/shop/orders/{id}/pay"), Some(&buyer), &json!({"provider": "sandbox"})).await)
            .await;
    let (no, amount) = (p["out_trade_no"].as_str().unwrap().to_string(), p["amount"].as_i64().unwrap());
    assert_eq!(
        app.post(&format!("/api/v1/shop/orders/{id}/cancel"), Some(&buyer), &json!({})).await.status(),
        StatusCode::OK
    );
    let secret = app.sandbox_secret();
    let notify = |n: usize| {
        let no = no.clone();
        let secret = secret.clone();
        async move {
            let b = serde_json::to_vec(&json!({"id": format!("{no}-{n}"), "event_type": "TRANSACTION.SUCCESS", "out_trade_no": no, "transaction_id": format!("T{no}"), "amount": amount, "out_refund_no": null})).unwrap();
            let ts = (minimall_store::now_ms() / 1000).to_string();
            let sig = minimall_server::payments::sandbox::sign(&secret, &ts, "nonce", &b);
            app.req(Method::POST, "/api/v1/payments/sandbox/notify", None)
                .header("content-type", "application/json")
                .header("x-sandbox-timestamp", ts)
                .header("x-sandbox-nonce", "nonce")
                .header("x-sandbox-signature", sig)
                .body(b)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    for n in 0..3 {
        assert_eq!(notify(n).await, StatusCode::OK);
    }
    let d = eventually(15, || async {
        let (_, d) = body(app.get(&format!("/api/v1/admin/orders/{id}"), Some(&s.op)).await).await;
        (d["refunds"][0]["status"] == "succeeded").then_some(d)
    })
    .await;
    assert_eq!(d["refunds"].as_array().unwrap().len(), 1, "{d}");
    assert_eq!(d["refunds"][0]["amount"], amount);
    assert_eq!(d["order"]["status"], "cancelled");
    let kinds: Vec<&str> = d["timeline"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds.iter().filter(|k| **k == "late_payment_refunded").count(), 1, "{kinds:?}");
    assert!(!kinds.contains(&"paid"), "{kinds:?}");
    assert_eq!(order_status(app, &buyer, id).await, "cancelled");
});

// The sandbox provider signs with a secret made for this installation: a notification signed with the
// secret every copy of Minimall used to share is refused and pays nothing.
suite!(sandbox_notifications_need_this_installations_secret, |b| async move {
    let s = setup(b, |_| {}).await;
    let app = &s.app;
    let secret = app.sandbox_secret();
    assert_ne!(secret, "minimall-sandbox");
    assert!(secret.len() >= 32, "a random secret");
    let buyer = app.buyer_login("forger").await;
    let addr = address(app, &buyer).await;
    let (st, o) =
        place(app, &buyer, "forge-1", &json!({"items": [{"sku_id": s.sku, "quantity": 1}], "address_id": addr})).await;
    assert_eq!(st, StatusCode::CREATED, "{o}");
    let id = o["id"].as_i64().unwrap();
    let (_, p) =
        body(app.post(&format!("/api/v1/shop/orders/{id}/pay"), Some(&buyer), &json!({"provider": "sandbox"})).await)
            .await;
    let (no, amount) = (p["out_trade_no"].as_str().unwrap().to_string(), p["amount"].as_i64().unwrap());
    let send = |key: String, n: usize| {
        let no = no.clone();
        async move {
            let b = serde_json::to_vec(&json!({"id": format!("{no}-{n}"), "event_type": "TRANSACTION.SUCCESS", "out_trade_no": no, "transaction_id": format!("T{no}"), "amount": amount, "out_refund_no": null})).unwrap();
            let ts = (minimall_store::now_ms() / 1000).to_string();
            let sig = minimall_server::payments::sandbox::sign(&key, &ts, "nonce", &b);
            body(
                app.req(Method::POST, "/api/v1/payments/sandbox/notify", None)
                    .header("content-type", "application/json")
                    .header("x-sandbox-timestamp", ts)
                    .header("x-sandbox-nonce", "nonce")
                    .header("x-sandbox-signature", sig)
                    .body(b)
                    .send()
                    .await
                    .unwrap(),
            )
            .await
        }
    };
    let (st, e) = send("minimall-sandbox".into(), 0).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED, "{e}");
    assert_eq!(order_status(app, &buyer, id).await, "pending_payment");
    let (st, e) = send(secret.clone(), 1).await;
    assert_eq!(st, StatusCode::OK, "{e}");
    assert_eq!(order_status(app, &buyer, id).await, "to_ship");
});

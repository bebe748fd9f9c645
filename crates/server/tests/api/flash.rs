//! Flash sales: setup rules, refusals, idempotency, storms of buyers over few units on SQLite, PostgreSQL and
//! two instances sharing a Redis gate, expiry giving units back exactly once.

use std::collections::{HashMap, HashSet};

use futures_util::StreamExt;
use rand::{Rng, SeedableRng};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::*;
use crate::suite;

pub struct Shop {
    pub op: String,
    pub product: i64,
    pub skus: Vec<i64>,
}

/// A product with two SKUs (stock 1,000 each, sale price 5,000 fen).
pub async fn shop(app: &TestApp) -> Shop {
    let op = app.admin_login("operator").await;
    let (_, c) = body(app.post("/api/v1/admin/categories", Some(&op), &json!({"name": "数码"})).await).await;
    let (s, p) = body(
        app.post_idem(
            "/api/v1/admin/products",
            Some(&op),
            &json!({
                "product": {"code": "PHONE", "category_id": c["id"], "title": "秒杀手机", "on_shelf": true},
                "specs": [{"name": "颜色", "values": ["黑", "白"]}],
                "skus": [
                    {"code": "PHONE-B", "spec": ["黑"], "stock": 1000, "original_price": 6000, "sale_price": 5000},
                    {"code": "PHONE-W", "spec": ["白"], "stock": 1000, "original_price": 6000, "sale_price": 5000}
                ]
            }),
        )
        .await,
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    let skus = p["product"]["skus"].as_array().unwrap().iter().map(|s| s["id"].as_i64().unwrap()).collect();
    Shop { op, product: p["product"]["id"].as_i64().unwrap(), skus }
}

pub fn sale_body(shop: &Shop, quantity: i64, limit: i64, starts_in_ms: i64) -> Value {
    let now = minimall_store::now_ms();
    json!({
        "title": "整点秒杀", "product_id": shop.product, "starts_at": now + starts_in_ms, "ends_at": now + 3_600_000,
        "per_buyer_limit": limit, "items": [{"sku_id": shop.skus[0], "flash_price": 1999, "quantity": quantity}]
    })
}

pub async fn create_sale(app: &TestApp, shop: &Shop, body_json: &Value) -> i64 {
    let (s, v) = body(app.post("/api/v1/admin/flash-sales", Some(&shop.op), body_json).await).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["id"].as_i64().unwrap()
}

/// `n` buyers with sessions, written straight to the database (logging 5,000 buyers in over HTTP would
/// only test login).
pub async fn db_buyers(store: &minimall_store::Store, tag: &str, n: usize) -> Vec<(i64, String)> {
    let merchant = store.default_merchant().await.unwrap().id;
    let mut out = Vec::with_capacity(n);
    let mut tx = store.begin().await.unwrap();
    let now = minimall_store::now_ms();
    for i in 0..n {
        let openid = format!("flash-{tag}-{i}");
        let (b, _) = store
            .upsert_buyer(&mut tx, merchant, minimall_store::buyers::BuyerIdentity::OpenId(&openid), "买家", "test")
            .await
            .unwrap();
        let token = minimall_server::accounts::auth::new_token("mmb_");
        sqlx::query(
            "INSERT INTO sessions (token_hash, kind, subject_id, merchant_id, created_at, expires_at) VALUES ($1, 'buyer', $2, $3, $4, $5)",
        )
        .bind(minimall_server::accounts::auth::token_hash(&token))
        .bind(b.id)
        .bind(merchant)
        .bind(now)
        .bind(now + 3_600_000)
        .execute(&mut *tx)
        .await
        .unwrap();
        out.push((b.id, token));
    }
    minimall_store::commit(tx).await.unwrap();
    out
}

pub async fn buy(
    base: &str,
    client: &reqwest::Client,
    sale: i64,
    token: &str,
    key: &str,
    body_json: &Value,
) -> (StatusCode, Value) {
    let r = client
        .request(Method::POST, format!("{base}/api/v1/shop/flash-sales/{sale}/orders"))
        .bearer_auth(token)
        .header("Idempotency-Key", key)
        .json(body_json)
        .send()
        .await
        .unwrap();
    body(r).await
}

suite!(flash_sale_setup_is_validated_and_sets_stock_aside, |b| async move {
    let app = TestApp::spawn(b).await;
    let shop = shop(&app).await;
    let path = "/api/v1/admin/flash-sales";
    let mut bad = sale_body(&shop, 1001, 1, 0);
    assert_field_error(
        app.post(path, Some(&shop.op), &bad).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "items[0].quantity",
    )
    .await;
    bad = sale_body(&shop, 10, 1, 0);
    bad["items"][0]["flash_price"] = json!(5000);
    assert_field_error(
        app.post(path, Some(&shop.op), &bad).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "items[0].flash_price",
    )
    .await;
    bad = sale_body(&shop, 10, 1, 0);
    bad["ends_at"] = bad["starts_at"].clone();
    assert_field_error(app.post(path, Some(&shop.op), &bad).await, StatusCode::UNPROCESSABLE_ENTITY, "ends_at").await;
    bad = sale_body(&shop, 10, 0, 0);
    assert_field_error(app.post(path, Some(&shop.op), &bad).await, StatusCode::UNPROCESSABLE_ENTITY, "per_buyer_limit")
        .await;
    bad = sale_body(&shop, 10, 1, 0);
    bad["items"][0]["sku_id"] = json!(999_999);
    assert_field_error(app.post(path, Some(&shop.op), &bad).await, StatusCode::UNPROCESSABLE_ENTITY, "items[0].sku_id")
        .await;

    // Roles: customer service may not set up sales; a buyer token is not a console token.
    let service = app.admin_login("service").await;
    assert_eq!(app.post(path, Some(&service), &sale_body(&shop, 10, 1, 0)).await.status(), StatusCode::FORBIDDEN);
    let buyer = app.buyer_login("someone").await;
    assert!(app.post(path, Some(&buyer), &sale_body(&shop, 10, 1, 0)).await.status().is_client_error());

    let id = create_sale(&app, &shop, &sale_body(&shop, 100, 2, 0)).await;
    let (_, p) = body(app.get(&format!("/api/v1/admin/products/{}", shop.product), Some(&shop.op)).await).await;
    assert_eq!(p["skus"][0]["stock"], 900, "100 units set aside from 1,000");
    // The same SKU in an overlapping window is refused; the other SKU is fine.
    let (s, v) = body(app.post(path, Some(&shop.op), &sale_body(&shop, 5, 1, 0)).await).await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    let mut other = sale_body(&shop, 5, 1, 0);
    other["items"][0]["sku_id"] = json!(shop.skus[1]);
    create_sale(&app, &shop, &other).await;

    let (s, list) = body(app.get("/api/v1/shop/flash-sales", None).await).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(list["total"], 2);
    let sale = list["items"].as_array().unwrap().iter().find(|x| x["id"] == id).unwrap().clone();
    assert_eq!(sale["state"], "running");
    assert_eq!(sale["items"][0]["remaining"], 100);
    assert_eq!(sale["items"][0]["flash_price"], 1999);
    assert!(sale["now"].as_i64().unwrap() >= sale["starts_at"].as_i64().unwrap());

    // Stop: unsold units go back to the SKU, once.
    let (s, v) = body(app.post(&format!("{path}/{id}/stop"), Some(&shop.op), &json!({})).await).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["state"], "stopped");
    assert_eq!(app.post(&format!("{path}/{id}/stop"), Some(&shop.op), &json!({})).await.status(), StatusCode::CONFLICT);
    let (_, p) = body(app.get(&format!("/api/v1/admin/products/{}", shop.product), Some(&shop.op)).await).await;
    assert_eq!(p["skus"][0]["stock"], 1000);
    let (_, m) = body(
        app.get(&format!("/api/v1/admin/products/{}/movements?page_size=100", shop.product), Some(&shop.op)).await,
    )
    .await;
    let _ = m;
});

suite!(flash_purchase_refusals_limits_and_one_key_fifty_times, |b| async move {
    let app = TestApp::spawn(b).await;
    let shop = shop(&app).await;
    let id = create_sale(&app, &shop, &sale_body(&shop, 3, 1, 0)).await;
    let later = {
        let mut s = sale_body(&shop, 3, 1, 3_000_000);
        s["items"][0]["sku_id"] = json!(shop.skus[1]);
        create_sale(&app, &shop, &s).await
    };
    let a = app.buyer_login("flash-a").await;
    let buy_path = format!("/api/v1/shop/flash-sales/{id}/orders");

    // Bad input names the field; no key is a 422 too.
    assert_field_error(
        app.post(&buy_path, Some(&a), &json!({})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "Idempotency-Key",
    )
    .await;
    assert_field_error(
        app.post_idem(&buy_path, Some(&a), &json!({"quantity": 2})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "quantity",
    )
    .await;
    assert_field_error(
        app.post_idem(&buy_path, Some(&a), &json!({"quantity": 0})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "quantity",
    )
    .await;
    assert_field_error(
        app.post_idem(&buy_path, Some(&a), &json!({"sku_id": shop.skus[1]})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "sku_id",
    )
    .await;
    assert_eq!(app.post_idem(&buy_path, None, &json!({})).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.post_idem("/api/v1/shop/flash-sales/99999/orders", Some(&a), &json!({})).await.status(),
        StatusCode::NOT_FOUND
    );
    let (s, v) =
        body(app.post_idem(&format!("/api/v1/shop/flash-sales/{later}/orders"), Some(&a), &json!({})).await).await;
    assert_eq!((s, v["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("flash_not_started")));

    // The same key fifty times at once: one order, every answer the same.
    let empty = json!({});
    let results: Vec<(StatusCode, Value)> = futures_util::stream::iter(0..50)
        .map(|_| buy(&app.base, &app.client, id, &a, "same-key", &empty))
        .buffer_unordered(50)
        .collect()
        .await;
    let ids: HashSet<i64> = results
        .iter()
        .map(|(s, v)| {
            assert_eq!(*s, StatusCode::CREATED, "{v}");
            v["order_id"].as_i64().unwrap()
        })
        .collect();
    assert_eq!(ids.len(), 1);
    let order_id = *ids.iter().next().unwrap();
    let (_, o) = body(app.get(&format!("/api/v1/shop/orders/{order_id}"), Some(&a)).await).await;
    assert_eq!(o["status"], "pending_payment");
    assert_eq!(o["payable"], 1999);
    assert_eq!(o["lines"][0]["unit_price"], 1999);
    // Same key, another body: 422. Another key: the limit.
    let (s, _) = buy(&app.base, &app.client, id, &a, "same-key", &json!({"quantity": 1, "sku_id": shop.skus[0]})).await;
    assert_eq!(s, StatusCode::CREATED, "an equivalent body is the same request");
    let (s, v) = buy(&app.base, &app.client, id, &a, "same-key", &json!({"address_id": 1})).await;
    assert!(s == StatusCode::UNPROCESSABLE_ENTITY, "{s} {v}");
    let (s, v) = body(app.post_idem(&buy_path, Some(&a), &json!({})).await).await;
    assert_eq!((s, v["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("flash_limit_reached")));
    // Sold out after three buyers; the fourth is refused; the order's owner alone may read it.
    for n in ["flash-b", "flash-c"] {
        let t = app.buyer_login(n).await;
        assert_eq!(app.post_idem(&buy_path, Some(&t), &json!({})).await.status(), StatusCode::CREATED);
    }
    let d = app.buyer_login("flash-d").await;
    let (s, v) = body(app.post_idem(&buy_path, Some(&d), &json!({})).await).await;
    assert_eq!((s, v["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("flash_sold_out")));
    // After the sell-out the first buyer's key still answers with their order; another body under it is 422.
    let (s, v) = buy(&app.base, &app.client, id, &a, "same-key", &empty).await;
    assert_eq!((s, v["order_id"].as_i64()), (StatusCode::CREATED, Some(order_id)), "{v}");
    let (s, _) = buy(&app.base, &app.client, id, &a, "same-key", &json!({"quantity": 2})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.get(&format!("/api/v1/shop/orders/{order_id}"), Some(&d)).await.status(), StatusCode::NOT_FOUND);
    let (_, sale) = body(app.get(&format!("/api/v1/admin/flash-sales/{id}"), Some(&shop.op)).await).await;
    assert_eq!(sale["state"], "sold_out");
    assert_eq!(sale["items"][0]["sold"], 3);
    assert_eq!(sale["live_units"], 3);
    assert_eq!(sale["gate_remaining"][0]["remaining"], 0);
});

/// A demo shop whose flash orders stay unpaid for `secs` seconds.
async fn app_with_unpaid_timeout(b: Backend, secs: i64) -> TestApp {
    let db = TestDb::new(b).await;
    let mut cfg = test_config(&db.url);
    cfg.flash.unpaid_timeout_secs = secs;
    TestApp::spawn_with(db, cfg, true).await
}

suite!(unpaid_flash_orders_expire_and_their_units_sell_again_once, |b| async move {
    let app = app_with_unpaid_timeout(b, 1).await;
    let shop = shop(&app).await;
    let id = create_sale(&app, &shop, &sale_body(&shop, 2, 2, 0)).await;
    let a = app.buyer_login("exp-a").await;
    let b2 = app.buyer_login("exp-b").await;
    let path = format!("/api/v1/shop/flash-sales/{id}/orders");
    let (s, first) = body(app.post_idem(&path, Some(&a), &json!({"quantity": 1})).await).await;
    assert_eq!(s, StatusCode::CREATED, "{first}");
    let (s, second) = body(app.post_idem(&path, Some(&b2), &json!({"quantity": 1})).await).await;
    assert_eq!(s, StatusCode::CREATED, "{second}");
    // The buyer cancels one; the other runs out of time. Each unit comes back once, also when the expiry job
    // of the cancelled order runs later.
    let cancelled =
        app.post(&format!("/api/v1/shop/orders/{}/cancel", second["order_id"]), Some(&b2), &json!({})).await;
    assert_eq!(cancelled.status(), StatusCode::OK);
    let op = shop.op.clone();
    let sale = eventually(15, || {
        let app = &app;
        let op = op.clone();
        async move {
            let (_, v) = body(app.get(&format!("/api/v1/admin/flash-sales/{id}"), Some(&op)).await).await;
            // The gate hears of a cancellation right after its commit. The view is put together from the sale's
            // terms, the gate and the live orders, read one after another, so a cancellation committed between
            // those reads can show in one and not yet in another: wait for all three.
            (v["live_units"] == 0 && v["gate_remaining"][0]["remaining"] == 2 && v["items"][0]["sold"] == 0)
                .then_some(v)
        }
    })
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let (_, sale2) = body(app.get(&format!("/api/v1/admin/flash-sales/{id}"), Some(&op)).await).await;
    for v in [&sale, &sale2] {
        assert_eq!(v["items"][0]["sold"], 0, "{v}");
        assert_eq!(v["gate_remaining"][0]["remaining"], 2, "{v}");
    }
    let (_, o) = body(app.get(&format!("/api/v1/shop/orders/{}", first["order_id"]), Some(&a)).await).await;
    assert_eq!(o["status"], "cancelled");
    // Both units sell again, to anyone, and then no more.
    assert_eq!(app.post_idem(&path, Some(&a), &json!({"quantity": 2})).await.status(), StatusCode::CREATED);
    let (s, v) = body(app.post_idem(&path, Some(&b2), &json!({})).await).await;
    assert_eq!((s, v["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("flash_sold_out")));
    // SKU stock was never touched by the orders: 1,000 − 2 set aside.
    let (_, p) = body(app.get(&format!("/api/v1/admin/products/{}", shop.product), Some(&op)).await).await;
    assert_eq!(p["skus"][0]["stock"], 998);
});

suite!(a_crowd_of_unpaid_flash_orders_expires_each_order_once, |b| async move {
    // Purchases written in one batch share one expiry job naming all of them; every order is named by one
    // job, is cancelled once, and gives its unit back once.
    let app = app_with_unpaid_timeout(b, 1).await;
    let shop = shop(&app).await;
    let id = create_sale(&app, &shop, &sale_body(&shop, 24, 1, 0)).await;
    let buyers = db_buyers(app.store(), "crowd-exp", 24).await;
    let answers = futures_util::future::join_all(buyers.iter().enumerate().map(|(n, (_, t))| {
        let (base, client) = (app.base.clone(), app.client.clone());
        async move { buy(&base, &client, id, t, &format!("crowd-{n}"), &json!({"quantity": 1})).await }
    }))
    .await;
    let mut orders: Vec<i64> = answers
        .iter()
        .map(|(s, v)| {
            assert_eq!(*s, StatusCode::CREATED, "{v}");
            v["order_id"].as_i64().unwrap()
        })
        .collect();
    orders.sort_unstable();
    let cancelled = app
        .post(&format!("/api/v1/shop/orders/{}/cancel", answers[0].1["order_id"]), Some(&buyers[0].1), &json!({}))
        .await;
    assert_eq!(cancelled.status(), StatusCode::OK);
    let op = shop.op.clone();
    eventually(20, || {
        let app = &app;
        let op = op.clone();
        async move {
            let (_, v) = body(app.get(&format!("/api/v1/admin/flash-sales/{id}"), Some(&op)).await).await;
            (v["live_units"] == 0 && v["gate_remaining"][0]["remaining"] == 24 && v["items"][0]["sold"] == 0)
                .then_some(v)
        }
    })
    .await;
    // Every job that named them runs to its end; each order is named by one job and was cancelled once.
    let mut named: Vec<i64> = eventually(20, || {
        let (app, orders) = (&app, &orders);
        async move {
            let mut tx = app.store().begin().await.unwrap();
            let jobs: Vec<(String, String)> =
                sqlx::query_as("SELECT payload, status FROM jobs WHERE kind = 'order.expire'")
                    .fetch_all(&mut *tx)
                    .await
                    .unwrap();
            tx.rollback().await.unwrap();
            let mut named = Vec::new();
            let mut all_done = true;
            for (payload, status) in &jobs {
                let v: Value = serde_json::from_str(payload).unwrap();
                let ids = v["order_ids"].as_array().cloned().unwrap_or_else(|| vec![v["order_id"].clone()]);
                let ids: Vec<i64> = ids.iter().map(|i| i.as_i64().unwrap()).collect();
                if ids.iter().any(|i| orders.binary_search(i).is_ok()) {
                    all_done &= status == "done";
                    named.extend(ids);
                }
            }
            all_done.then_some(named)
        }
    })
    .await;
    named.sort_unstable();
    assert_eq!(named, orders, "each order named by exactly one expiry job");
    let mut tx = app.store().begin().await.unwrap();
    for o in &orders {
        let (n,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM order_events WHERE order_id = $1 AND kind = 'cancelled'")
                .bind(*o)
                .fetch_one(&mut *tx)
                .await
                .unwrap();
        assert_eq!(n, 1, "order {o} cancelled once");
    }
    tx.rollback().await.unwrap();
    let (_, sale) = body(app.get(&format!("/api/v1/admin/flash-sales/{id}"), Some(&op)).await).await;
    assert_eq!(sale["items"][0]["sold"], 0, "{sale}");
    // All 24 units sell again, and no more.
    let again = db_buyers(app.store(), "crowd-again", 25).await;
    let mut created = 0;
    for (n, (_, t)) in again.iter().enumerate() {
        let (s, v) = buy(&app.base, &app.client, id, t, &format!("again-{n}"), &json!({"quantity": 1})).await;
        match s {
            StatusCode::CREATED => created += 1,
            _ => assert_eq!(v["error"]["code"], "flash_sold_out", "{v}"),
        }
    }
    assert_eq!(created, 24);
});

suite!(flash_orders_and_checkout_orders_share_one_numbering, |b| async move {
    // Flash orders are written with ids the batch reserves; checkout orders take theirs from the table. Mixed
    // and concurrent, every order gets an id of its own and its own line.
    let app = TestApp::spawn(b).await;
    let shop = shop(&app).await;
    let id = create_sale(&app, &shop, &sale_body(&shop, 30, 3, 0)).await;
    let flash_path = format!("/api/v1/shop/flash-sales/{id}/orders");
    let mut buyers = Vec::new();
    for n in 0..6 {
        let t = app.buyer_login(&format!("mix-{n}")).await;
        let (s, a) = body(app.post("/api/v1/shop/addresses", Some(&t), &json!({
            "name": "王五", "phone": "13912345678", "province": "浙江省", "city": "杭州市", "district": "西湖区", "detail": "文一路 2 号"
        })).await).await;
        assert_eq!(s, StatusCode::CREATED, "{a}");
        buyers.push((t, a["id"].as_i64().unwrap()));
    }
    let regular = |t: String, addr: i64, key: String| {
        let app = &app;
        let sku = shop.skus[1];
        async move {
            let r = app
                .req(Method::POST, "/api/v1/shop/orders", Some(&t))
                .header("Idempotency-Key", key)
                .json(&json!({"items": [{"sku_id": sku, "quantity": 1}], "address_id": addr}))
                .send()
                .await
                .unwrap();
            (t, body(r).await)
        }
    };
    let flash = |t: String| {
        let app = &app;
        let path = flash_path.clone();
        async move { (t.clone(), body(app.post_idem(&path, Some(&t), &json!({"quantity": 1})).await).await) }
    };
    let mut calls = Vec::new();
    for round in 0..3 {
        for (t, addr) in &buyers {
            calls.push(futures_util::future::Either::Left(regular(t.clone(), *addr, format!("mix-{round}-{addr}"))));
            calls.push(futures_util::future::Either::Right(flash(t.clone())));
        }
    }
    let results: Vec<(String, (StatusCode, Value))> =
        futures_util::stream::iter(calls).buffer_unordered(36).collect().await;
    let mut seen = HashSet::new();
    let mut flash_ids = Vec::new();
    for (t, (s, v)) in &results {
        assert_eq!(*s, StatusCode::CREATED, "{v}");
        let order = v["order_id"].as_i64().or_else(|| v["id"].as_i64()).unwrap();
        assert!(seen.insert(order), "order id {order} given twice");
        let (s, o) = body(app.get(&format!("/api/v1/shop/orders/{order}"), Some(t)).await).await;
        assert_eq!(s, StatusCode::OK, "{o}");
        let lines = o["lines"].as_array().unwrap();
        assert_eq!(lines.len(), 1, "{o}");
        if v.get("order_id").is_some() {
            assert_eq!((lines[0]["sku_id"].as_i64(), o["payable"].as_i64()), (Some(shop.skus[0]), Some(1999)), "{o}");
            flash_ids.push(order);
        } else {
            assert_eq!(lines[0]["sku_id"].as_i64(), Some(shop.skus[1]), "{o}");
        }
    }
    assert_eq!((seen.len(), flash_ids.len()), (36, 18));
    // A checkout after them all is numbered after them all.
    let (t, addr) = &buyers[0];
    let (_, (s, v)) = regular(t.clone(), *addr, "mix-last".into()).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let last = v["id"].as_i64().unwrap();
    assert!(seen.iter().all(|&o| o < last), "{last} after {seen:?}");
    let (_, sale) = body(app.get(&format!("/api/v1/admin/flash-sales/{id}"), Some(&shop.op)).await).await;
    assert_eq!((sale["items"][0]["sold"].as_i64(), sale["live_units"].as_i64()), (Some(18), Some(18)), "{sale}");
});

/// One storm: `buyers` buyers (some twice with a new key, some repeating their key) over `units` units,
/// spread over the given servers. Checks: exactly `units` sold, nobody over the limit, every 2xx has an order
/// row at the flash price, the sale's counts and the SKU's stock add up.
pub async fn storm(
    bases: &[String],
    op_app: &TestApp,
    op: &str,
    shop: &Shop,
    buyers: &[(i64, String)],
    units: i64,
    seed: u64,
) {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let limit = 1 + (seed % 3) as i64;
    let mut sale = sale_body(shop, units, limit, 0);
    sale["items"][0]["sku_id"] = json!(shop.skus[(seed % 2) as usize]);
    sale["title"] = json!(format!("秒杀 {seed}"));
    let id = create_sale(op_app, shop, &sale).await;
    let mut plan: Vec<(usize, String, i64)> = Vec::new();
    for (i, _) in buyers.iter().enumerate() {
        let q = rng.gen_range(1..=limit);
        plan.push((i, format!("s{seed}-b{i}"), q));
        match rng.gen_range(0..10) {
            0 => plan.push((i, format!("s{seed}-b{i}"), q)),
            1 => plan.push((i, format!("s{seed}-b{i}-again"), 1)),
            _ => {}
        }
    }
    for i in (1..plan.len()).rev() {
        let j = rng.gen_range(0..=i);
        plan.swap(i, j);
    }
    let client = reqwest::Client::builder().no_proxy().pool_max_idle_per_host(1000).build().unwrap();
    let results: Vec<(usize, i64, StatusCode, Value)> = futures_util::stream::iter(plan.into_iter().enumerate())
        .map(|(n, (i, key, q))| {
            let client = client.clone();
            let base = bases[n % bases.len()].clone();
            let token = buyers[i].1.clone();
            async move {
                let (s, v) = buy(&base, &client, id, &token, &key, &json!({"quantity": q})).await;
                (i, q, s, v)
            }
        })
        .buffer_unordered(1000)
        .collect()
        .await;
    let mut orders: HashMap<i64, (usize, i64)> = HashMap::new();
    let mut per_buyer: HashMap<usize, i64> = HashMap::new();
    for (i, q, s, v) in &results {
        match *s {
            StatusCode::CREATED => {
                let oid = v["order_id"].as_i64().unwrap();
                assert_eq!(v["quantity"], *q);
                if orders.insert(oid, (*i, *q)).is_none() {
                    *per_buyer.entry(*i).or_default() += q;
                }
            }
            StatusCode::CONFLICT => {
                let code = v["error"]["code"].as_str().unwrap();
                assert!(["flash_sold_out", "flash_limit_reached"].contains(&code), "{v}");
            }
            other => panic!("unexpected {other}: {v}"),
        }
    }
    let sold: i64 = orders.values().map(|o| o.1).sum();
    assert_eq!(sold, units, "seed {seed}: exactly the units on sale are sold");
    assert!(per_buyer.values().all(|n| *n <= limit), "seed {seed}: nobody over the limit");
    for (oid, (i, q)) in &orders {
        let r = op_app.get(&format!("/api/v1/admin/orders/{oid}"), Some(op)).await;
        let (s, o) = body(r).await;
        assert_eq!(s, StatusCode::OK, "seed {seed}: order {oid} acknowledged but missing");
        assert_eq!(o["order"]["buyer_id"], buyers[*i].0);
        assert_eq!(o["order"]["payable"], 1999 * q);
        assert_eq!(o["order"]["status"], "pending_payment");
    }
    let (_, v) = body(op_app.get(&format!("/api/v1/admin/flash-sales/{id}"), Some(op)).await).await;
    assert_eq!(v["items"][0]["sold"], units, "{v}");
    assert_eq!(v["live_units"], units, "{v}");
    assert_eq!(v["live_orders"], orders.len() as i64, "{v}");
    assert_eq!(v["gate_remaining"][0]["remaining"], 0, "{v}");
    // Stop the sale so the next seed can use the SKU; nothing is left to return.
    let (s, _) = body(op_app.post(&format!("/api/v1/admin/flash-sales/{id}/stop"), Some(op), &json!({})).await).await;
    assert_eq!(s, StatusCode::OK);
}

const BUYERS: usize = 5000;
const SEEDS: u64 = 10;

suite!(ten_storms_of_5000_buyers_over_100_units, |b| async move {
    let app = TestApp::spawn(b).await;
    let shop = shop(&app).await;
    let buyers = db_buyers(app.store(), "storm", BUYERS).await;
    let bases = vec![app.base.clone()];
    for seed in 0..SEEDS {
        storm(&bases, &app, &shop.op, &shop, &buyers, 100, seed).await;
    }
    // Stock math over all sales: nothing returned, since each sold out; 100 per sale left the SKUs.
    let (_, p) = body(app.get(&format!("/api/v1/admin/products/{}", shop.product), Some(&shop.op)).await).await;
    let total: i64 = p["skus"].as_array().unwrap().iter().map(|s| s["stock"].as_i64().unwrap()).sum();
    assert_eq!(total, 2000 - 100 * SEEDS as i64);
});

/// Two instances on one PostgreSQL database sharing the gate in Redis.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_storms_on_two_instances_with_redis() {
    let (Some(_), Ok(redis)) = (pg_url(), std::env::var("MINIMALL_TEST_REDIS_URL")) else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI runs every Redis test: set MINIMALL_TEST_PG_URL and MINIMALL_TEST_REDIS_URL"
        );
        eprintln!("skipped: MINIMALL_TEST_PG_URL and MINIMALL_TEST_REDIS_URL are needed for the two-instance test");
        return;
    };
    let db = TestDb::new(Backend::Postgres).await;
    let mut cfg = test_config(&db.url);
    cfg.redis_url = Some(redis);
    let url = db.url.clone();
    let app = TestApp::spawn_with(db, cfg.clone(), true).await;
    cfg.database_url = url;
    let (second, _) = minimall_server::Application::build(cfg, false).await.expect("second instance");
    let bases = vec![app.base.clone(), format!("http://{}", second.addr())];
    let shop = shop(&app).await;
    let buyers = db_buyers(app.store(), "redis", BUYERS).await;
    for seed in 0..SEEDS {
        storm(&bases, &app, &shop.op, &shop, &buyers, 100, seed).await;
    }
    second.shutdown().await.unwrap();
}

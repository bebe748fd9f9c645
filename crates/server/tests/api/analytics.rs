//! Analytics: storefront event batches (validated, size- and rate-limited), events the server records where the
//! business happens, rollups rebuilt by a job and recounted, and dashboard, RFM and cohort figures checked
//! against a recount of the rows they come from.

use std::collections::{BTreeMap, HashMap, HashSet};

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::*;
use crate::suite;

const DAY_MS: i64 = 86_400_000;

/// kind, buyer, visitor, channel, campaign, product, query
type StoredEvent = (i64, Option<i64>, Option<String>, String, String, Option<i64>, Option<String>);
/// day, kind, channel, buyer, visitor, amount
type RawEvent = (i64, i64, String, Option<i64>, Option<String>, Option<i64>);
/// day, kind, channel, buyer, visitor, product
type GeneratedEvent = (i64, i64, String, Option<i64>, Option<String>, Option<i64>);
/// day, channel, campaign, product, kind, events, actors, amount
type RollupCell = (i64, String, String, i64, i64, i64, i64, i64);

fn now() -> i64 {
    minimall_store::now_ms()
}

pub(crate) fn ev(kind: &str, visitor: &str, extra: Value) -> Value {
    let mut e = json!({"kind": kind, "client_at": now() - 1000, "visitor": visitor, "session": format!("s-{visitor}")});
    for (k, v) in extra.as_object().unwrap() {
        e[k] = v.clone();
    }
    e
}

pub(crate) async fn send(app: &TestApp, token: Option<&str>, events: Vec<Value>) -> reqwest::Response {
    app.post("/api/v1/shop/events", token, &json!({ "events": events })).await
}

async fn count_events(app: &TestApp) -> i64 {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM events").fetch_one(app.store().reader()).await.unwrap();
    n
}

suite!(events_are_validated_limited_and_stored, |b| async move {
    let app = TestApp::spawn(b).await;
    // An anonymous visitor's batch, sent as a beacon sends it (text/plain).
    let batch = json!({"events": [
        ev("page_view", "visitor-aaaa", json!({"page": "/"})),
        ev("product_view", "visitor-aaaa", json!({"product_id": 7, "channel": "wechat", "campaign": "双十二"})),
        ev("search", "visitor-aaaa", json!({"query": "脐橙"})),
    ]});
    let r = app
        .req(Method::POST, "/api/v1/shop/events", None)
        .header("content-type", "text/plain;charset=UTF-8")
        .body(batch.to_string())
        .send()
        .await
        .unwrap();
    let (s, v) = body(r).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    assert_eq!(v["accepted"], 3);
    let rows: Vec<StoredEvent> = sqlx::query_as(
        "SELECT CAST(kind AS BIGINT), buyer_id, visitor, channel, campaign, product_id, query FROM events ORDER BY id",
    )
    .fetch_all(app.store().reader())
    .await
    .unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0], (1, None, Some("visitor-aaaa".into()), "direct".into(), "".into(), None, None));
    assert_eq!(rows[1].3, "wechat");
    assert_eq!(rows[1].4, "双十二");
    assert_eq!(rows[1].5, Some(7));
    assert_eq!(rows[2].6.as_deref(), Some("脐橙"));

    // A logged-in buyer's events are theirs.
    let buyer = app.buyer_login("buyer001").await;
    let r =
        send(&app, Some(&buyer), vec![ev("add_to_cart", "visitor-bbbb", json!({"product_id": 7, "sku_id": 9}))]).await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let (who,): (Option<i64>,) =
        sqlx::query_as("SELECT buyer_id FROM events WHERE kind = 3").fetch_one(app.store().reader()).await.unwrap();
    assert!(who.is_some());

    // Refusals name the event and its field, and store nothing of the batch.
    let before = count_events(&app).await;
    let ok = ev("page_view", "visitor-cccc", json!({}));
    for (events, field) in [
        (vec![ok.clone(), ev("product_view", "visitor-cccc", json!({}))], "events[1].product_id"),
        (vec![ev("page_view", "visitor-cccc", json!({"client_at": now() + 3_600_000}))], "events[0].client_at"),
        (vec![ev("page_view", "visitor-cccc", json!({"client_at": now() - 8 * DAY_MS}))], "events[0].client_at"),
        (vec![ok.clone(), ok.clone(), ev("order_paid", "visitor-cccc", json!({}))], "events[2].kind"),
        (vec![ev("teleport", "visitor-cccc", json!({}))], "events[0].kind"),
        (vec![ev("page_view", "short", json!({}))], "events[0].visitor"),
        (vec![ev("page_view", "visitor-cccc", json!({"channel": "Bad Channel"}))], "events[0].channel"),
        (vec![ev("page_view", "visitor-cccc", json!({"product_id": -3}))], "events[0].product_id"),
        (vec![ev("page_view", "visitor-cccc", json!({"query": "x"}))], "events[0].query"),
        (vec![ok.clone(); 101], "events"),
        (vec![], "events"),
    ] {
        assert_field_error(send(&app, None, events).await, StatusCode::UNPROCESSABLE_ENTITY, field).await;
    }
    let r = app.post("/api/v1/shop/events", None, &json!({"events": [ok], "extra": 1})).await;
    assert_field_error(r, StatusCode::UNPROCESSABLE_ENTITY, "extra").await;
    // Oversized bodies and other media types.
    let huge = json!({"events": [ev("page_view", "visitor-cccc", json!({"page": "x".repeat(70_000)}))]});
    let (s, v) = body(app.post("/api/v1/shop/events", None, &huge).await).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{v}");
    let r = app
        .req(Method::POST, "/api/v1/shop/events", None)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("a=1")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(count_events(&app).await, before, "refused batches store nothing");

    // A visitor flooding the endpoint is limited; another visitor (from the same address) is not.
    let full: Vec<Value> = (0..100).map(|_| ev("page_view", "flooder-1234", json!({}))).collect();
    let mut limited = None;
    for i in 0..10 {
        let r = send(&app, None, full.clone()).await;
        if r.status() == StatusCode::TOO_MANY_REQUESTS {
            limited = Some((i, r));
            break;
        }
        assert_eq!(r.status(), StatusCode::ACCEPTED);
    }
    let (i, r) = limited.expect("the flood is limited");
    assert_eq!(i, 3, "a burst of 300 events, then 429");
    assert!(r.headers().get("retry-after").is_some());
    let (_, v) = body(r).await;
    assert_eq!(v["error"]["code"], "rate_limited");
    let other: Vec<Value> = (0..100).map(|_| ev("page_view", "neighbour-1234", json!({}))).collect();
    let (s, v) = body(send(&app, None, other).await).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    assert_eq!(v["accepted"], 100);
    let (flood,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM events WHERE visitor = 'flooder-1234'")
        .fetch_one(app.store().reader())
        .await
        .unwrap();
    assert_eq!(flood, 300);
});

pub(crate) async fn product(app: &TestApp, op: &str) -> (i64, i64) {
    let (_, c) = body(app.post("/api/v1/admin/categories", Some(op), &json!({"name": "水果"})).await).await;
    let (s, p) = body(
        app.post_idem(
            "/api/v1/admin/products",
            Some(op),
            &json!({
                "product": {"code": "ORANGE", "category_id": c["id"], "title": "赣南脐橙", "on_shelf": true},
                "skus": [{"code": "ORANGE-5", "stock": 500, "original_price": 6000, "sale_price": 5000}]
            }),
        )
        .await,
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    (p["product"]["id"].as_i64().unwrap(), p["product"]["skus"][0]["id"].as_i64().unwrap())
}

/// A buyer views the product from `channel`, orders it and pays through the sandbox; the order's id.
async fn buy(app: &TestApp, name: &str, channel: &str, product: i64, sku: i64, qty: i64) -> i64 {
    let buyer = app.buyer_login(name).await;
    let vid = format!("visitor-{name}");
    let r = send(
        app,
        Some(&buyer),
        vec![
            ev("product_view", &vid, json!({"product_id": product, "channel": channel})),
            ev("add_to_cart", &vid, json!({"product_id": product, "channel": channel})),
            ev("checkout_started", &vid, json!({"channel": channel})),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let (s, a) = body(app.post("/api/v1/shop/addresses", Some(&buyer), &json!({
        "name": "李四", "phone": "13912345678", "province": "浙江省", "city": "杭州市", "district": "西湖区", "detail": "文三路 1 号"
    })).await).await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    let (s, o) = body(
        app.post_idem(
            "/api/v1/shop/orders",
            Some(&buyer),
            &json!({"items": [{"sku_id": sku, "quantity": qty}], "address_id": a["id"]}),
        )
        .await,
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{o}");
    let id = o["id"].as_i64().unwrap();
    let (s, p) =
        body(app.post(&format!("/api/v1/shop/orders/{id}/pay"), Some(&buyer), &json!({"provider": "sandbox"})).await)
            .await;
    assert_eq!(s, StatusCode::OK, "{p}");
    let r = app.post(p["sandbox_complete_url"].as_str().unwrap(), Some(&buyer), &json!({})).await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    eventually(15, || async {
        let (_, o) = body(app.get(&format!("/api/v1/shop/orders/{id}"), Some(&buyer)).await).await;
        (o["status"] == "to_ship").then_some(())
    })
    .await;
    id
}

suite!(orders_payments_and_coupons_record_their_events_with_the_buyers_channel, |b| async move {
    let db = TestDb::new(b).await;
    let mut cfg = test_config(&db.url);
    cfg.orders.sandbox_notify_delay_ms = 20;
    let app = TestApp::spawn_with(db, cfg, true).await;
    let op = app.admin_login("operator").await;
    let (product, sku) = product(&app, &op).await;
    let id = buy(&app, "buyer002", "douyin", product, sku, 2).await;
    let (payable, buyer): (i64, i64) = sqlx::query_as("SELECT payable, buyer_id FROM orders WHERE id = $1")
        .bind(id)
        .fetch_one(app.store().reader())
        .await
        .unwrap();
    let rows: Vec<(i64, Option<i64>, String, Option<i64>)> = sqlx::query_as(
        "SELECT CAST(kind AS BIGINT), buyer_id, channel, amount_fen FROM events WHERE order_id = $1 ORDER BY id",
    )
    .bind(id)
    .fetch_all(app.store().reader())
    .await
    .unwrap();
    assert_eq!(
        rows,
        vec![(7, Some(buyer), "douyin".into(), Some(payable)), (8, Some(buyer), "douyin".into(), Some(payable))],
        "placed and paid once each, attributed to the channel the buyer came from"
    );
    // A coupon claimed is recorded too.
    let (s, t) = body(
        app.post(
            "/api/v1/admin/coupons",
            Some(&op),
            &json!({"name": "满减", "kind": "amount_off", "amount_off": 100, "total_quantity": 5, "scope": {"all": true}, "valid_days": 3}),
        )
        .await,
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let token = app.buyer_login("buyer002").await;
    let r = app.post(&format!("/api/v1/shop/coupon-templates/{}/claim", t["id"]), Some(&token), &json!({})).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM events WHERE kind = 11 AND buyer_id = $1")
        .bind(buyer)
        .fetch_one(app.store().reader())
        .await
        .unwrap();
    assert_eq!(n, 1);
});

/// Events of past days written straight into the store: `n` random storefront events over `days` days by 40
/// visitors and 10 buyers on 3 channels, and payment events.
async fn past_events(store: &minimall_store::Store, n: usize, days: i64) {
    use minimall_core::analytics::events::EventKind;
    let merchant = store.default_merchant().await.unwrap().id;
    let mut seed: u64 = 7;
    let mut next = |m: u64| {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (seed >> 33) % m
    };
    let kinds = [EventKind::PageView, EventKind::ProductView, EventKind::AddToCart, EventKind::CheckoutStarted];
    let mut rows = Vec::new();
    for _ in 0..n {
        let at = now() - 1 - next((days * DAY_MS) as u64) as i64;
        let buyer = (next(5) == 0).then(|| 1 + next(10) as i64);
        let kind = if next(20) == 0 { EventKind::OrderPaid } else { kinds[next(4) as usize] };
        let buyer = if kind == EventKind::OrderPaid { Some(buyer.unwrap_or(1 + next(10) as i64)) } else { buyer };
        rows.push(minimall_store::events::NewEvent {
            kind,
            buyer_id: buyer,
            visitor: Some(format!("visitor-{:04}", next(40))),
            session: Some(format!("session-{:04}", next(60))),
            channel: ["direct", "wechat", "douyin"][next(3) as usize].into(),
            campaign: ["", "c1"][next(2) as usize].into(),
            promoter_id: None,
            product_id: matches!(kind, EventKind::ProductView | EventKind::AddToCart).then(|| 1 + next(5) as i64),
            sku_id: None,
            order_id: None,
            amount_fen: (kind == EventKind::OrderPaid).then(|| 100 + next(10_000) as i64),
            query: None,
            client_at_ms: at,
            server_at_ms: at,
        });
    }
    store.record_events(merchant, &rows).await.unwrap();
}

/// Raw events recounted in Rust: (day, kind, channel, actor, amount).
async fn raw(app: &TestApp) -> Vec<(i64, i64, String, String, i64)> {
    let rows: Vec<RawEvent> =
        sqlx::query_as("SELECT day, CAST(kind AS BIGINT), channel, buyer_id, visitor, amount_fen FROM events")
            .fetch_all(app.store().reader())
            .await
            .unwrap();
    rows.into_iter()
        .map(|(d, k, ch, b, v, a)| {
            let actor = match b {
                Some(b) => format!("b{b}"),
                None => format!("v{}", v.unwrap()),
            };
            (d, k, ch, actor, a.unwrap_or(0))
        })
        .collect()
}

fn actors(raw: &[(i64, i64, String, String, i64)], keep: impl Fn(&(i64, i64, String, String, i64)) -> bool) -> i64 {
    raw.iter().filter(|r| keep(r)).map(|r| r.3.clone()).collect::<HashSet<_>>().len() as i64
}

suite!(dashboard_rfm_and_cohorts_equal_a_recount_of_their_rows, |b| async move {
    let db = TestDb::new(b).await;
    let mut cfg = test_config(&db.url);
    cfg.orders.sandbox_notify_delay_ms = 20;
    let app = TestApp::spawn_with(db, cfg, true).await;
    let op = app.admin_login("operator").await;
    let owner = app.admin_login("admin").await;
    let (product, sku) = product(&app, &op).await;
    // Orders paid today through the API, from two channels; events of the last 20 days written directly.
    for (i, ch) in ["wechat", "wechat", "douyin"].iter().enumerate() {
        buy(&app, &format!("buyer01{i}"), ch, product, sku, 1 + i as i64).await;
    }
    past_events(app.store(), 3_000, 20).await;
    let today = beijing_day(now());
    let (from, to) = (today - 6, today);

    // Before a rebuild the rollup differs from the events; after the job it agrees, and a second rebuild gives
    // the same rows.
    let (s, r) =
        body(app.get(&format!("/api/v1/admin/analytics/recount?date={}", date(today - 1)), Some(&owner)).await).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert!(!r["differences"].as_array().unwrap().is_empty(), "{r}");
    let rebuild = |from: i64, to: i64| {
        let owner = owner.clone();
        let app = &app;
        async move {
            let (s, j) = body(
                app.post(
                    "/api/v1/admin/analytics/rollups/rebuild",
                    Some(&owner),
                    &json!({"from": date(from), "to": date(to)}),
                )
                .await,
            )
            .await;
            assert_eq!(s, StatusCode::ACCEPTED, "{j}");
            let id = j["job_id"].as_i64().unwrap();
            eventually(20, || async {
                let (st,): (String,) = sqlx::query_as("SELECT status FROM jobs WHERE id = $1")
                    .bind(id)
                    .fetch_one(app.store().reader())
                    .await
                    .unwrap();
                (st == "done").then_some(())
            })
            .await;
        }
    };
    rebuild(today - 25, today).await;
    let cells = || async {
        let rows: Vec<RollupCell> = sqlx::query_as(
            "SELECT day, channel, campaign, product_id, CAST(kind AS BIGINT), events, actors, amount_fen
             FROM event_daily ORDER BY 1, 2, 3, 4, 5",
        )
        .fetch_all(app.store().reader())
        .await
        .unwrap();
        rows
    };
    let first = cells().await;
    rebuild(today - 25, today).await;
    assert_eq!(cells().await, first, "rebuilt twice, the same rows");
    for d in [today - 1, today - 10] {
        let (_, r) =
            body(app.get(&format!("/api/v1/admin/analytics/recount?date={}", date(d)), Some(&owner)).await).await;
        assert_eq!(r["differences"], json!([]), "{r}");
    }

    // The dashboard against a recount of the events and orders.
    let url = format!("/api/v1/admin/analytics/dashboard?from={}&to={}", date(from), date(to));
    let (s, d) = body(app.get(&url, Some(&owner)).await).await;
    assert_eq!(s, StatusCode::OK, "{d}");
    let ev = raw(&app).await;
    let within = |r: &(i64, i64, String, String, i64), a: i64, z: i64| r.0 >= a && r.0 <= z;
    let check = |f: &Value, a: i64, z: i64, ch: Option<&str>| {
        let on = |r: &(i64, i64, String, String, i64)| within(r, a, z) && ch.is_none_or(|c| r.2 == c);
        let visitors = actors(&ev, |r| on(r) && r.1 <= 6);
        let buyers = actors(&ev, |r| on(r) && r.1 == 8);
        assert_eq!(f["visitors"], visitors, "visitors {a}..{z} {ch:?}: {f}");
        assert_eq!(f["product_viewers"], actors(&ev, |r| on(r) && r.1 == 2), "{f}");
        assert_eq!(f["buyers"], buyers, "{f}");
        assert_eq!(f["conversion_bp"], if visitors == 0 { 0 } else { buyers * 10_000 / visitors }, "{f}");
    };
    check(&d["total"], from, to, None);
    check(&d["previous"], from - 7, from - 1, None);
    for (i, day) in d["days"].as_array().unwrap().iter().enumerate() {
        assert_eq!(day["date"], date(from + i as i64));
        check(day, from + i as i64, from + i as i64, None);
    }
    let channels: Vec<&str> =
        d["channels"].as_array().unwrap().iter().map(|c| c["channel"].as_str().unwrap()).collect();
    assert_eq!(channels, ["direct", "douyin", "wechat"]);
    for c in d["channels"].as_array().unwrap() {
        let ch = c["channel"].as_str().unwrap();
        check(c, from, to, Some(ch));
        let paid: Vec<_> = ev.iter().filter(|r| within(r, from, to) && r.2 == ch && r.1 == 8).collect();
        assert_eq!(c["paid_orders"], paid.len() as i64, "{c}");
        assert_eq!(c["gmv"], paid.iter().map(|r| r.4).sum::<i64>(), "{c}");
    }
    assert!(d["total"]["visitors"].as_i64().unwrap() > 20 && d["previous"]["buyers"].as_i64().unwrap() > 0, "{d}");
    let funnel: Vec<i64> = d["funnel"].as_array().unwrap().iter().map(|s| s["actors"].as_i64().unwrap()).collect();
    let step = |k: i64| actors(&ev, |r| within(r, from, to) && r.1 == k);
    assert_eq!(funnel, [step(2), step(3), step(4), step(8)]);
    assert!(funnel.iter().all(|&n| n > 0), "{funnel:?}");
    // Money from the orders paid in the period.
    let start = (from * 86_400 - 8 * 3600) * 1000;
    let (gmv, paid): (i64, i64) = sqlx::query_as(
        "SELECT CAST(COALESCE(SUM(payable), 0) AS BIGINT), COUNT(*) FROM orders WHERE paid_at >= $1 AND paid_at < $2",
    )
    .bind(start)
    .bind(start + 7 * DAY_MS)
    .fetch_one(app.store().reader())
    .await
    .unwrap();
    assert!(paid >= 3);
    assert_eq!(d["total"]["paid_orders"], paid);
    assert_eq!(d["total"]["gmv"], gmv);
    assert_eq!(d["total"]["average_order_value"], gmv / paid);
    let paid_rows: Vec<(i64, i64)> = sqlx::query_as("SELECT paid_at, payable FROM orders WHERE paid_at IS NOT NULL")
        .fetch_all(app.store().reader())
        .await
        .unwrap();
    for (i, day) in d["days"].as_array().unwrap().iter().enumerate() {
        let on: Vec<_> = paid_rows.iter().filter(|(at, _)| beijing_day(*at) == from + i as i64).collect();
        assert_eq!(day["paid_orders"], on.len() as i64, "{day}");
        assert_eq!(day["gmv"], on.iter().map(|r| r.1).sum::<i64>(), "{day}");
    }

    // CSV: one line per day and the total, the same figures.
    let r = app.get(&url.replace("/dashboard?", "/dashboard/export?"), Some(&owner)).await;
    assert_eq!(r.status(), StatusCode::OK);
    let csv = r.text().await.unwrap();
    let lines: Vec<&str> = csv.trim_end().split("\r\n").collect();
    assert_eq!(lines.len(), 1 + 7 + 1, "{csv}");
    assert!(lines[0].contains("成交额"));
    let last: Vec<&str> = lines[8].split(',').collect();
    assert_eq!(last[0], "合计");
    assert_eq!(last[1], d["total"]["visitors"].to_string());
    assert_eq!(last[5], paid.to_string());

    // Roles: service sees no revenue; a clerk sees no dashboard; bad periods name their field.
    let svc = app.admin_login("service").await;
    let (s, v) = body(app.get(&url, Some(&svc)).await).await;
    assert_eq!(s, StatusCode::OK);
    assert!(v["total"].get("gmv").is_none() && v["total"]["paid_orders"] == paid, "{v}");
    let clerk = app.admin_login("clerk").await;
    assert_eq!(app.get(&url, Some(&clerk)).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.get("/api/v1/admin/analytics/rfm", Some(&clerk)).await.status(), StatusCode::FORBIDDEN);
    let buyer = app.buyer_login("buyer001").await;
    assert_eq!(app.get(&url, Some(&buyer)).await.status(), StatusCode::FORBIDDEN);
    let r = app
        .post("/api/v1/admin/analytics/rollups/rebuild", Some(&svc), &json!({"from": date(today), "to": date(today)}))
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    for (q, field) in [
        (format!("from={}&to={}", date(to), date(from)), "to"),
        (format!("from={}&to={}", date(today - 100), date(today)), "to"),
        ("from=2026-13-01&to=2026-12-01".to_string(), "from"),
        (format!("from={}", date(today)), "to"),
    ] {
        let r = app.get(&format!("/api/v1/admin/analytics/dashboard?{q}"), Some(&owner)).await;
        assert_field_error(r, StatusCode::UNPROCESSABLE_ENTITY, field).await;
    }

    // RFM and cohorts over the orders paid: every paying buyer in exactly one class, the buyers behind a class
    // listed, and cohort sizes by the month of the first paid order.
    let orders: Vec<(i64, i64)> = sqlx::query_as("SELECT buyer_id, paid_at FROM orders WHERE paid_at IS NOT NULL")
        .fetch_all(app.store().reader())
        .await
        .unwrap();
    let payers: HashSet<i64> = orders.iter().map(|o| o.0).collect();
    let (s, classes) = body(app.get("/api/v1/admin/analytics/rfm", Some(&owner)).await).await;
    assert_eq!(s, StatusCode::OK, "{classes}");
    assert_eq!(classes.as_array().unwrap().len(), 8);
    let sum: u64 = classes.as_array().unwrap().iter().map(|c| c["buyers"].as_u64().unwrap()).sum();
    assert_eq!(sum, payers.len() as u64);
    let mut listed = HashSet::new();
    for c in classes.as_array().unwrap() {
        let (s, page) = body(
            app.get(
                &format!("/api/v1/admin/analytics/rfm/{}?page_size=100", c["class"].as_str().unwrap()),
                Some(&owner),
            )
            .await,
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{page}");
        assert_eq!(page["total"], c["buyers"]);
        for b in page["items"].as_array().unwrap() {
            let id = b["buyer_id"].as_i64().unwrap();
            assert_eq!(b["orders"], orders.iter().filter(|o| o.0 == id).count() as i64);
            assert!(listed.insert(id), "a buyer in one class only");
        }
    }
    assert_eq!(listed, payers);
    assert_eq!(app.get("/api/v1/admin/analytics/rfm/nobody", Some(&owner)).await.status(), StatusCode::NOT_FOUND);
    let mut first: HashMap<i64, i64> = HashMap::new();
    for (b, at) in &orders {
        let e = first.entry(*b).or_insert(*at);
        *e = (*e).min(*at);
    }
    let mut by_month: BTreeMap<String, u64> = BTreeMap::new();
    for at in first.values() {
        *by_month.entry(date(beijing_day(*at))[..7].to_string()).or_default() += 1;
    }
    let (s, cohorts) = body(app.get("/api/v1/admin/analytics/cohorts", Some(&owner)).await).await;
    assert_eq!(s, StatusCode::OK, "{cohorts}");
    let got: BTreeMap<String, u64> = cohorts
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["month"].as_str().unwrap().to_string(), c["buyers"].as_u64().unwrap()))
        .collect();
    let recent: BTreeMap<String, u64> = by_month.into_iter().rev().take(12).collect();
    assert_eq!(got, recent);
    for c in cohorts.as_array().unwrap() {
        assert_eq!(c["active"][0], c["buyers"]);
    }

    // The console page shows the same figures.
    let page = app
        .req(Method::GET, &format!("/admin/analytics?from={}&to={}", date(from), date(to)), None)
        .header("cookie", format!("mm_admin={owner}"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("转化漏斗") && html.contains("RFM"), "{html}");
});

suite!(a_generated_shop_is_the_same_for_the_same_seed_and_its_rollups_recount, |b| async move {
    use minimall_server::demo::generate::{generate, Plan, DAYS};
    let plan = Plan { buyers: 0, orders: 600, events: 4_000, seed: 42 };
    let mut shops = Vec::new();
    for _ in 0..2 {
        let app = TestApp::spawn(b).await;
        let g = generate(app.app.as_ref().unwrap().state(), plan).await.unwrap();
        assert_eq!(g.orders, 600);
        let (paid,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM orders WHERE order_no LIKE 'G%' AND paid_at IS NOT NULL")
                .fetch_one(app.store().reader())
                .await
                .unwrap();
        assert_eq!(g.events, 4_000 + 600 + paid as u64, "a placed event per order, a paid one per paid order");
        let orders: Vec<(String, i64, i64, Option<i64>)> = sqlx::query_as(
            "SELECT order_no, buyer_id, payable, paid_at FROM orders WHERE order_no LIKE 'G%' ORDER BY order_no",
        )
        .fetch_all(app.store().reader())
        .await
        .unwrap();
        let events: Vec<GeneratedEvent> = sqlx::query_as(
            "SELECT day, CAST(kind AS BIGINT), channel, buyer_id, visitor, product_id FROM events ORDER BY id",
        )
        .fetch_all(app.store().reader())
        .await
        .unwrap();
        // The rollups were rebuilt for every generated day: each recounts without a difference.
        let owner = app.admin_login("admin").await;
        let today = beijing_day(now());
        for d in [today - DAYS + 1, today - 90, today - 1] {
            let (_, r) =
                body(app.get(&format!("/api/v1/admin/analytics/recount?date={}", date(d)), Some(&owner)).await).await;
            assert_eq!(r["differences"], json!([]), "{r}");
        }
        // The same seed again on the same database is refused, nothing half-written.
        assert!(generate(app.app.as_ref().unwrap().state(), plan).await.is_err());
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM orders WHERE order_no LIKE 'G%'")
            .fetch_one(app.store().reader())
            .await
            .unwrap();
        assert_eq!(n, 600);
        shops.push((orders, events));
    }
    assert_eq!(shops[0].0.len(), 600);
    assert_eq!(shops[0], shops[1], "the same seed gives the same shop");
});

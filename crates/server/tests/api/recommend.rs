//! Recommendations (智能推荐): a shop where buyers of A mostly also buy B, its neighbours computed by the durable
//! refresh job from the events and paid orders, and the lists of the product page, home feed and cart through the
//! API and the pages: B first for A, nothing off the shelf, out of stock or already bought, exposures and clicks
//! logged, bad input refused by field.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::analytics::{ev, send};
use crate::helpers::*;
use crate::suite;

/// A product with one SKU; its id and the SKU's.
pub(crate) async fn product(
    app: &TestApp,
    op: &str,
    category: i64,
    code: &str,
    stock: i64,
    on_shelf: bool,
) -> (i64, i64) {
    let (s, p) = body(
        app.post_idem(
            "/api/v1/admin/products",
            Some(op),
            &json!({
                "product": {"code": code, "category_id": category, "title": format!("商品{code}"), "on_shelf": on_shelf},
                "skus": [{"code": format!("{code}-1"), "stock": stock, "original_price": 3000, "sale_price": 2000}]
            }),
        )
        .await,
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    (p["product"]["id"].as_i64().unwrap(), p["product"]["skus"][0]["id"].as_i64().unwrap())
}

/// A buyer (logged in through the sandbox) and their id.
pub(crate) async fn buyer(app: &TestApp, name: &str) -> (String, i64) {
    let token = app.buyer_login(name).await;
    let (s, me) = body(app.get("/api/v1/shop/me", Some(&token)).await).await;
    assert_eq!(s, StatusCode::OK, "{me}");
    (token, me["id"].as_i64().or_else(|| me["buyer"]["id"].as_i64()).expect("buyer id"))
}

/// A paid order of one unit of each (product, sku), written straight into the database with its `order_paid`
/// event, as the payment would leave it.
pub(crate) async fn paid(app: &TestApp, buyer_id: i64, lines: &[(i64, i64)], tag: &str) {
    let store = app.store();
    let merchant = store.default_merchant().await.unwrap().id;
    let now = minimall_store::now_ms();
    let amount = 2000 * lines.len() as i64;
    let mut tx = store.begin().await.unwrap();
    let (order,): (i64,) = sqlx::query_as(
        "INSERT INTO orders (merchant_id, order_no, buyer_id, status, list_total, goods_total, order_discount, \
         coupon_discount, points_used, points_discount, shipping, payable, refunded_amount, pay_deadline, paid_at, \
         created_at, updated_at) VALUES ($1, $2, $3, 'paid', $4, $4, 0, 0, 0, 0, 0, $4, 0, $5, $5, $5, $5) \
         RETURNING id",
    )
    .bind(merchant)
    .bind(format!("RC{tag}"))
    .bind(buyer_id)
    .bind(amount)
    .bind(now)
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    for (product, sku) in lines {
        sqlx::query(
            "INSERT INTO order_lines (merchant_id, order_id, sku_id, product_id, title, quantity, sale_price, \
             unit_price, price_source, goods_amount, order_discount, coupon_discount, points_discount, paid_amount) \
             VALUES ($1, $2, $3, $4, '商品', 1, 2000, 2000, 'sale', 2000, 0, 0, 0, 2000)",
        )
        .bind(merchant)
        .bind(order)
        .bind(sku)
        .bind(product)
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    sqlx::query(
        "INSERT INTO events (merchant_id, kind, day, buyer_id, channel, campaign, order_id, amount_fen, client_at, \
         server_at) VALUES ($1, 8, $2, $3, 'direct', '', $4, $5, $6, $6)",
    )
    .bind(merchant)
    .bind(beijing_day(now))
    .bind(buyer_id)
    .bind(order)
    .bind(amount)
    .bind(now)
    .execute(&mut *tx)
    .await
    .unwrap();
    minimall_store::commit(tx).await.unwrap();
}

fn ids(v: &Value) -> Vec<i64> {
    v["items"].as_array().unwrap().iter().map(|p| p["id"].as_i64().unwrap()).collect()
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    let (n,): (i64,) = sqlx::query_as(sql).fetch_one(app.store().reader()).await.unwrap();
    n
}

/// The products of the generated shop.
pub(crate) struct Shop {
    pub a: (i64, i64),
    pub b: (i64, i64),
    pub c: (i64, i64),
    pub d: (i64, i64),
    pub off: (i64, i64),
    pub empty: (i64, i64),
}

/// Buyers of A mostly also buy B (12 of 15), a few buy C with A; visitors who view A mostly view B, some D;
/// an off-shelf and an out-of-stock product are bought and viewed with A more than anything. Then a refresh.
pub(crate) async fn generate(app: &TestApp) -> Shop {
    let op = app.admin_login("operator").await;
    let (_, cat) = body(app.post("/api/v1/admin/categories", Some(&op), &json!({"name": "零食"})).await).await;
    let (_, cat2) = body(app.post("/api/v1/admin/categories", Some(&op), &json!({"name": "饮料"})).await).await;
    let (cat, cat2) = (cat["id"].as_i64().unwrap(), cat2["id"].as_i64().unwrap());
    let a = product(app, &op, cat, "A", 100, true).await;
    let b = product(app, &op, cat, "B", 100, true).await;
    let c = product(app, &op, cat, "C", 100, true).await;
    let d = product(app, &op, cat2, "D", 100, true).await;
    let off = product(app, &op, cat, "OFF", 100, false).await;
    let empty = product(app, &op, cat, "EMPTY", 0, true).await;
    for i in 0..4 {
        product(app, &op, cat2, &format!("O{i}"), 50, true).await;
    }
    for i in 0..15 {
        let (_, id) = buyer(app, &format!("reco{i:02}")).await;
        let with = if i < 12 { b } else { c };
        paid(app, id, &[a, with], &format!("{i:03}")).await;
        // The off-shelf and out-of-stock products go with A even more often, bought separately.
        paid(app, id, &[off, empty], &format!("{i:03}x")).await;
        paid(app, id, &[a], &format!("{i:03}y")).await;
    }
    let mut batch = Vec::new();
    for v in 0..20 {
        let vid = format!("visitor-gen{v:03}");
        batch.push(ev("product_view", &vid, json!({"product_id": a.0})));
        batch.push(ev("product_view", &vid, json!({"product_id": off.0})));
        batch.push(ev("product_view", &vid, json!({"product_id": empty.0})));
        batch.push(ev("product_view", &vid, json!({"product_id": if v < 14 { b.0 } else { d.0 }})));
        if v < 8 {
            batch.push(ev("add_to_cart", &vid, json!({"product_id": b.0})));
        }
        if batch.len() >= 90 {
            let r = send(app, None, std::mem::take(&mut batch)).await;
            assert_eq!(r.status(), StatusCode::ACCEPTED);
        }
    }
    let r = send(app, None, batch).await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    refresh(app).await;
    Shop { a, b, c, d, off, empty }
}

/// Ask for a refresh and wait for its job.
pub(crate) async fn refresh(app: &TestApp) {
    let op = app.admin_login("operator").await;
    let (s, j) = body(app.post("/api/v1/admin/analytics/recommendations/refresh", Some(&op), &json!({})).await).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{j}");
    let id = j["job_id"].as_i64().unwrap();
    eventually(30, || async {
        let (status,): (String,) = sqlx::query_as("SELECT status FROM jobs WHERE id = $1")
            .bind(id)
            .fetch_one(app.store().reader())
            .await
            .unwrap();
        assert_ne!(status, "dead");
        (status == "done").then_some(())
    })
    .await;
}

suite!(what_buyers_of_a_also_buy_ranks_first_and_nothing_unavailable_is_shown, |b| async move {
    let app = TestApp::spawn(b).await;
    let shop = generate(&app).await;
    let (a, bb) = (shop.a.0, shop.b.0);
    let hidden = [shop.off.0, shop.empty.0];

    // The neighbours table holds the off-shelf and out-of-stock products (they co-occur with A most)...
    let stored = count(
        &app,
        &format!(
            "SELECT COUNT(*) FROM reco_neighbours WHERE product_id = {a} AND neighbour_id IN ({}, {})",
            hidden[0], hidden[1]
        ),
    )
    .await;
    assert!(stored >= 2, "{stored}");
    // ...but no list shows them: B is first for A, on both bases.
    for kind in ["bought", "viewed"] {
        let (s, v) = body(
            app.get(&format!("/api/v1/shop/products/{a}/recommendations?kind={kind}&visitor=visitor-new001"), None)
                .await,
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let got = ids(&v);
        assert_eq!(got.first(), Some(&bb), "{kind}: {v}");
        assert!(got.iter().all(|p| !hidden.contains(p) && *p != a), "{kind}: {got:?}");
        assert_eq!(v["strategy"], "personal");
        assert_eq!(v["placement"], if kind == "bought" { "product_bought" } else { "product_viewed" });
        if kind == "viewed" {
            assert_eq!(&got[..3], &[bb, shop.c.0, shop.d.0], "by cosine: B, then C, then D (co-viewed by six)");
        }
    }
    let (_, v) = body(app.get(&format!("/api/v1/shop/products/{a}/recommendations?kind=bought"), None).await).await;
    assert!(ids(&v)[..2].contains(&shop.c.0), "C is bought with A by three buyers: {v}");

    // A buyer who already bought B is not shown it.
    let (me, me_id) = buyer(&app, "already").await;
    paid(&app, me_id, &[shop.b], "me").await;
    let (_, v) =
        body(app.get(&format!("/api/v1/shop/products/{a}/recommendations?kind=bought"), Some(&me)).await).await;
    let got = ids(&v);
    assert!(!got.contains(&bb) && !got.is_empty(), "{got:?}");

    // The feed: a new visitor gets popular products (never hidden ones); one who viewed A gets B first.
    let (s, v) = body(app.get("/api/v1/shop/recommendations?visitor=visitor-fresh01&limit=20", None).await).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let got = ids(&v);
    assert_eq!(got.len(), 8, "every available product: {got:?}");
    assert!(got.iter().all(|p| !hidden.contains(p)));
    let r = send(&app, None, vec![ev("product_view", "visitor-feed001", json!({"product_id": a}))]).await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    refresh(&app).await;
    let (_, v) = body(app.get("/api/v1/shop/recommendations?visitor=visitor-feed001", None).await).await;
    let got = ids(&v);
    assert_eq!(got.first(), Some(&bb), "{v}");
    assert!(!got.contains(&a), "what was just viewed is not shown again: {got:?}");

    // The cart: buyers also bought.
    let (cart_buyer, _) = buyer(&app, "cartbuyer").await;
    let r = app.post("/api/v1/shop/cart/items", Some(&cart_buyer), &json!({"sku_id": shop.a.1, "quantity": 1})).await;
    assert!(r.status().is_success(), "{}", r.status());
    let (s, v) = body(app.get("/api/v1/shop/cart/recommendations", Some(&cart_buyer)).await).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let got = ids(&v);
    assert_eq!(got.first(), Some(&bb), "{v}");
    assert!(got.iter().all(|p| *p != a && !hidden.contains(p)));

    // Every list shown was logged as an exposure; a click is logged.
    let exposures = count(&app, "SELECT COUNT(*) FROM reco_events WHERE kind = 1").await;
    assert!(exposures >= 6, "{exposures}");
    let (s, _) = body(
        app.post(
            "/api/v1/shop/recommendations/clicks",
            None,
            &json!({"placement": "home_feed", "product_id": bb, "visitor": "visitor-feed001"}),
        )
        .await,
    )
    .await;
    assert_eq!(s, StatusCode::ACCEPTED);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM reco_events WHERE kind = 2 AND placement = 'home_feed'").await, 1);

    // The storefront: the product page shows both blocks with links that log their click.
    let page = app
        .client
        .get(format!("{}/p/{a}", app.base))
        .header(reqwest::header::COOKIE, "mm_vid=visitor-page0001")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("id=\"reco-product_viewed\"") && html.contains("id=\"reco-product_bought\""));
    assert!(html.contains("看了又看") && html.contains("买了又买"));
    assert!(html.contains(&format!("/p/{bb}?rec=product_viewed")));
    for h in hidden {
        assert!(!html.contains(&format!("/p/{h}?rec=")), "hidden product {h} linked");
    }
    let r = app
        .client
        .get(format!("{}/p/{bb}?rec=product_viewed", app.base))
        .header(reqwest::header::COOKIE, "mm_vid=visitor-page0001")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM reco_events WHERE kind = 2 AND actor = 'vvisitor-page0001' AND placement = 'product_viewed'").await,
        1
    );
    // A first visit gets its visitor cookie; the home page shows the feed.
    let r = app.client.get(format!("{}/", app.base)).send().await.unwrap();
    let cookie =
        r.headers().get_all(reqwest::header::SET_COOKIE).iter().any(|v| v.to_str().unwrap().starts_with("mm_vid="));
    assert!(cookie);
    assert!(r.text().await.unwrap().contains("id=\"reco-home_feed\""));
    app.stop().await;
});

suite!(recommendation_requests_are_checked, |b| async move {
    let app = TestApp::spawn(b).await;
    let op = app.admin_login("operator").await;
    let (_, cat) = body(app.post("/api/v1/admin/categories", Some(&op), &json!({"name": "零食"})).await).await;
    let (a, _) = product(&app, &op, cat["id"].as_i64().unwrap(), "A", 10, true).await;
    let (off, _) = product(&app, &op, cat["id"].as_i64().unwrap(), "OFF", 10, false).await;
    let base = format!("/api/v1/shop/products/{a}/recommendations");
    assert_field_error(app.get(&format!("{base}?limit=0"), None).await, StatusCode::UNPROCESSABLE_ENTITY, "limit")
        .await;
    assert_field_error(app.get(&format!("{base}?limit=21"), None).await, StatusCode::UNPROCESSABLE_ENTITY, "limit")
        .await;
    assert_field_error(app.get(&format!("{base}?kind=liked"), None).await, StatusCode::UNPROCESSABLE_ENTITY, "kind")
        .await;
    assert_field_error(app.get(&format!("{base}?visitor=x!"), None).await, StatusCode::UNPROCESSABLE_ENTITY, "visitor")
        .await;
    let r = app.get(&format!("/api/v1/shop/products/{off}/recommendations"), None).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = app.get("/api/v1/shop/cart/recommendations", None).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let click = |placement: &str, product: i64| json!({"placement": placement, "product_id": product});
    assert_field_error(
        app.post("/api/v1/shop/recommendations/clicks", None, &click("sidebar", a)).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "placement",
    )
    .await;
    assert_field_error(
        app.post("/api/v1/shop/recommendations/clicks", None, &click("home_feed", 0)).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "product_id",
    )
    .await;
    // Only who may run jobs asks for a refresh.
    for user in ["service", "clerk"] {
        let t = app.admin_login(user).await;
        let r = app.post("/api/v1/admin/analytics/recommendations/refresh", Some(&t), &json!({})).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{user}");
    }
    app.stop().await;
});

/// Every stored neighbour: (basis, product, neighbour, score, support), in order.
async fn neighbours(app: &TestApp) -> Vec<(i64, i64, i64, i64, i64)> {
    sqlx::query_as(
        "SELECT basis, product_id, neighbour_id, score_micros, support FROM reco_neighbours
         ORDER BY basis, product_id, pos",
    )
    .fetch_all(app.store().reader())
    .await
    .unwrap()
}

async fn forget_recommendations(app: &TestApp) {
    let mut tx = app.store().begin().await.unwrap();
    for table in ["reco_cursor", "reco_neighbours", "reco_profiles", "reco_dirty"] {
        sqlx::query(&format!("DELETE FROM {table}")).execute(&mut *tx).await.unwrap();
    }
    minimall_store::commit(tx).await.unwrap();
}

suite!(a_refresh_that_meets_its_budget_continues_to_the_same_neighbours, |b| async move {
    let app = TestApp::spawn(b).await;
    generate(&app).await;
    let whole = neighbours(&app).await;
    assert!(!whole.is_empty());
    let merchant: (i64,) =
        sqlx::query_as("SELECT id FROM merchants ORDER BY id LIMIT 1").fetch_one(app.store().reader()).await.unwrap();

    // From nothing again, with no budget at all: every call takes one step and says what is left.
    forget_recommendations(&app).await;
    let mut calls = 0;
    let mut signals = 0;
    loop {
        calls += 1;
        assert!(calls < 1000, "a refresh in steps ends");
        let r =
            minimall_server::analytics::recommend::refresh(app.store(), merchant.0, Some(std::time::Duration::ZERO))
                .await
                .unwrap();
        signals += r.signals;
        if !r.more {
            break;
        }
    }
    assert!(signals > 0 && calls >= 3, "events folded, then products recomputed, then done: {calls} calls");
    assert_eq!(neighbours(&app).await, whole, "the same neighbours as one whole run");
    let (due,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM reco_dirty").fetch_one(app.store().reader()).await.unwrap();
    assert_eq!(due, 0);
});

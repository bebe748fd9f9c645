use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::*;
use crate::suite;

const DAY: i64 = 86_400_000;

fn now() -> i64 {
    minimall_store::now_ms()
}

struct Shop {
    op: String,
    owner: String,
    food: i64,
    other: i64,
    /// (sku id, price) of: two food SKUs and one other.
    skus: Vec<i64>,
}

async fn product(app: &TestApp, t: &str, code: &str, cat: i64, price: i64, extra: Value) -> i64 {
    let mut p = json!({
        "product": {"code": code, "category_id": cat, "title": format!("商品{code}"), "on_shelf": true},
        "skus": [{"code": format!("{code}-1"), "stock": 100, "original_price": price, "sale_price": price, "weight_g": 500}]
    });
    if let Some(o) = extra.as_object() {
        for (k, v) in o {
            p["product"][k] = v.clone();
        }
    }
    let (s, v) = body(app.post_idem("/api/v1/admin/products", Some(t), &p).await).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["product"]["skus"][0]["id"].as_i64().unwrap()
}

async fn shop(app: &TestApp) -> Shop {
    let op = app.admin_login("operator").await;
    let owner = app.admin_login("admin").await;
    let cat = |name: &'static str| {
        let op = op.clone();
        async move {
            let (_, v) = body(app.post("/api/v1/admin/categories", Some(&op), &json!({"name": name})).await).await;
            v["id"].as_i64().unwrap()
        }
    };
    let food = cat("食品").await;
    let other = cat("家居").await;
    let a = product(app, &op, "F1", food, 15000, json!({})).await;
    let b = product(app, &op, "F2", food, 10000, json!({})).await;
    let c = product(app, &op, "H1", other, 8000, json!({})).await;
    Shop { op, owner, food, other, skus: vec![a, b, c] }
}

async fn activity(app: &TestApp, t: &str, body_json: Value) -> (StatusCode, Value) {
    body(app.post("/api/v1/admin/activities", Some(t), &body_json).await).await
}

async fn coupon(app: &TestApp, t: &str, body_json: Value) -> i64 {
    let (s, v) = body(app.post("/api/v1/admin/coupons", Some(t), &body_json).await).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["id"].as_i64().unwrap()
}

async fn claim(app: &TestApp, buyer: &str, template: i64) -> (StatusCode, Value) {
    body(app.post(&format!("/api/v1/shop/coupon-templates/{template}/claim"), Some(buyer), &json!({})).await).await
}

async fn quote(app: &TestApp, buyer: &str, q: Value) -> Value {
    let (s, v) = body(app.post("/api/v1/shop/quote", Some(buyer), &q).await).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v
}

fn check_sums(q: &Value) {
    let lines = q["lines"].as_array().unwrap();
    for k in ["order_discount", "coupon_discount", "points_discount"] {
        let sum: i64 = lines.iter().map(|l| l[k].as_i64().unwrap()).sum();
        assert_eq!(sum, q[k].as_i64().unwrap(), "{k} lines sum to the total: {q}");
        assert!(lines.iter().all(|l| l[k].as_i64().unwrap() >= 0));
    }
    let steps: i64 = q["steps"].as_array().unwrap().iter().map(|s| s["amount"].as_i64().unwrap()).sum();
    assert_eq!(q["list_total"].as_i64().unwrap() + steps, q["payable"].as_i64().unwrap(), "derivation adds up: {q}");
    let paid: i64 = lines.iter().map(|l| l["paid_amount"].as_i64().unwrap()).sum();
    assert_eq!(paid + q["shipping"].as_i64().unwrap(), q["payable"].as_i64().unwrap());
}

suite!(full_reduction_with_a_coupon_on_a_mixed_cart, |b| async move {
    let app = TestApp::spawn(b).await;
    let s = shop(&app).await;
    let (st, v) = activity(
        &app,
        &s.op,
        json!({
            "name": "食品满300减30", "kind": "full_reduction", "rule": {"tiers": [{"threshold": 30000, "off": 3000}]},
            "scope": {"categories": [s.food]}, "starts_at": now() - DAY, "ends_at": now() + DAY
        }),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let tpl = coupon(
        &app,
        &s.op,
        json!({
            "name": "满200减20", "kind": "amount_off", "threshold": 20000, "amount_off": 2000,
            "scope": {"all": true}, "valid_days": 7
        }),
    )
    .await;
    let buyer = app.buyer_login("alice").await;
    let (st, c) = claim(&app, &buyer, tpl).await;
    assert_eq!(st, StatusCode::CREATED, "{c}");
    let cid = c["id"].as_i64().unwrap();
    // 150×1 + 100×2 food = 350 ≥ 300 → −30; household 80. Coupon on the remaining 400 → −20.
    let q = quote(
        &app,
        &buyer,
        json!({"items": [
        {"sku_id": s.skus[0], "quantity": 1}, {"sku_id": s.skus[1], "quantity": 2}, {"sku_id": s.skus[2], "quantity": 1}
    ], "coupon_ids": [cid]}),
    )
    .await;
    assert_eq!(q["list_total"], 43000);
    assert_eq!(q["order_discount"], 3000);
    assert_eq!(q["coupon_discount"], 2000);
    assert_eq!(q["payable"], 38000, "{q}");
    assert_eq!(q["lines"][2]["order_discount"], 0, "household is out of the reduction's scope");
    assert_eq!(q["applied_coupons"], json!([cid]));
    check_sums(&q);
    // Without choosing it, the coupon is suggested.
    let q = quote(
        &app,
        &buyer,
        json!({"items": [{"sku_id": s.skus[0], "quantity": 1}, {"sku_id": s.skus[1], "quantity": 2}]}),
    )
    .await;
    assert_eq!(q["suggested_coupon_id"], cid);
    assert_eq!(q["suggested_payable"], q["payable"].as_i64().unwrap() - 2000);
    // Below the threshold the derivation says why.
    let q = quote(&app, &buyer, json!({"items": [{"sku_id": s.skus[1], "quantity": 1}]})).await;
    assert_eq!(q["order_discount"], 0);
    assert!(q["rejected"].as_array().unwrap().iter().any(|r| r["reason"] == "below_threshold"), "{q}");
    check_sums(&q);
});

suite!(limited_discount_and_coupon_rules_and_shipping, |b| async move {
    let app = TestApp::spawn(b).await;
    let s = shop(&app).await;
    // A limited discount on household that forbids coupons.
    let (st, v) = activity(
        &app,
        &s.op,
        json!({
            "name": "家居8折", "kind": "limited_discount", "rule": {"percent": 80}, "allow_coupons": false,
            "scope": {"categories": [s.other]}, "starts_at": now() - DAY, "ends_at": now() + DAY
        }),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let tpl = coupon(
        &app,
        &s.op,
        json!({"name": "无门槛5元", "kind": "amount_off", "amount_off": 500, "scope": {"all": true}, "valid_days": 3}),
    )
    .await;
    let buyer = app.buyer_login("bob").await;
    let cid = claim(&app, &buyer, tpl).await.1["id"].as_i64().unwrap();
    let q = quote(&app, &buyer, json!({"items": [{"sku_id": s.skus[2], "quantity": 1}, {"sku_id": s.skus[1], "quantity": 1}], "coupon_ids": [cid]})).await;
    assert_eq!(q["lines"][0]["unit_price"], 6400);
    assert_eq!(q["lines"][0]["price_source"], "activity");
    assert_eq!(q["lines"][0]["coupon_discount"], 0, "the discounted line takes no coupon");
    assert_eq!(q["lines"][1]["coupon_discount"], 500);
    check_sums(&q);

    // Freight: ¥8 first piece + ¥2 each; free over ¥99; 新疆 dearer.
    let (st, f) = body(app.post("/api/v1/admin/freight-templates", Some(&s.owner), &json!({
        "name": "标准", "mode": "piece", "free_over": 9900,
        "rules": {"default": {"first_units": 1, "first_fee": 800, "additional_units": 1, "additional_fee": 200},
                  "regions": [{"provinces": ["新疆"], "first_units": 1, "first_fee": 2000, "additional_units": 1, "additional_fee": 800}]}
    })).await).await;
    assert_eq!(st, StatusCode::CREATED, "{f}");
    let r = app
        .put(
            "/api/v1/admin/settings/pricing",
            Some(&s.owner),
            &json!({"points_per_yuan": 100, "points_max_share_pct": 50, "default_freight_template_id": f["id"]}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let addr = |province: &'static str| {
        let buyer = buyer.clone();
        let app = &app;
        async move {
            let (st, a) = body(app.post("/api/v1/shop/addresses", Some(&buyer), &json!({
                "name": "张三", "phone": "13800138000", "province": province, "city": "市", "district": "区", "detail": "路 1 号"
            })).await).await;
            assert_eq!(st, StatusCode::CREATED, "{a}");
            a["id"].as_i64().unwrap()
        }
    };
    let sh = addr("上海").await;
    let xj = addr("新疆维吾尔自治区").await;
    // 64 (after 20 % off) < 99: pay shipping; ¥8.
    let q = quote(&app, &buyer, json!({"items": [{"sku_id": s.skus[2], "quantity": 1}], "address_id": sh})).await;
    assert_eq!(q["shipping"], 800, "{q}");
    check_sums(&q);
    let q = quote(&app, &buyer, json!({"items": [{"sku_id": s.skus[2], "quantity": 1}], "address_id": xj})).await;
    assert_eq!(q["shipping"], 2000, "{q}");
    // Free by threshold: 150 ≥ 99.
    let q = quote(&app, &buyer, json!({"items": [{"sku_id": s.skus[0], "quantity": 1}], "address_id": sh})).await;
    assert_eq!(q["shipping"], 0, "{q}");
    check_sums(&q);
    // Someone else's address is refused.
    let carol = app.buyer_login("carol").await;
    let (st, v) = body(
        app.post(
            "/api/v1/shop/quote",
            Some(&carol),
            &json!({"items": [{"sku_id": s.skus[0], "quantity": 1}], "address_id": sh}),
        )
        .await,
    )
    .await;
    assert_eq!((st, v["error"]["field"].clone()), (StatusCode::UNPROCESSABLE_ENTITY, json!("address_id")));
    assert_eq!(
        app.req(Method::DELETE, &format!("/api/v1/shop/addresses/{sh}"), Some(&carol)).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
});

suite!(points_deduction_is_capped_and_tampering_is_refused, |b| async move {
    let app = TestApp::spawn(b).await;
    let s = shop(&app).await;
    let buyer = app.buyer_login("dave").await;
    let (_, me) = body(app.get("/api/v1/shop/me", Some(&buyer)).await).await;
    let bid = me["id"].as_i64().unwrap();
    let (st, v) = body(
        app.post(
            &format!("/api/v1/admin/buyers/{bid}/points"),
            Some(&s.op),
            &json!({"delta": 100000, "note": "活动奖励"}),
        )
        .await,
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    // 100 points = ¥1, at most 50 % of ¥100 → 5,000 points.
    let q = quote(&app, &buyer, json!({"items": [{"sku_id": s.skus[1], "quantity": 1}], "points": 8000})).await;
    assert_eq!(q["points_used"], 5000, "{q}");
    assert_eq!(q["points_discount"], 5000);
    assert_eq!(q["payable"], 5000);
    check_sums(&q);
    let (_, pts) = body(app.get("/api/v1/shop/points", Some(&buyer)).await).await;
    assert_eq!(pts["balance"], 100000);
    let r = app
        .post(&format!("/api/v1/admin/buyers/{bid}/points"), Some(&s.op), &json!({"delta": -200000, "note": "扣减"}))
        .await;
    assert_field_error(r, StatusCode::CONFLICT, "delta").await;

    // Tampering.
    let url = "/api/v1/shop/quote";
    for (items, field) in [
        (json!([{"sku_id": s.skus[0], "quantity": 0}]), "items[0].quantity"),
        (json!([{"sku_id": s.skus[0], "quantity": -3}]), "items[0].quantity"),
        (json!([{"sku_id": s.skus[0], "quantity": 99999999}]), "items[0].quantity"),
        (json!([{"sku_id": s.skus[0], "quantity": 1e30}]), "items[0].quantity"),
        (json!([{"sku_id": 987654, "quantity": 1}]), "items[0].sku_id"),
        (json!([{"sku_id": s.skus[0], "quantity": 1}, {"sku_id": s.skus[0], "quantity": 1}]), "items[1].sku_id"),
        (json!([]), "items"),
    ] {
        assert_field_error(
            app.post(url, Some(&buyer), &json!({"items": items})).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            field,
        )
        .await;
    }
    // Someone else's coupon.
    let tpl = coupon(
        &app,
        &s.op,
        json!({"name": "券", "kind": "amount_off", "amount_off": 100, "scope": {"all": true}, "valid_days": 3}),
    )
    .await;
    let other = app.buyer_login("erin").await;
    let cid = claim(&app, &other, tpl).await.1["id"].as_i64().unwrap();
    assert_field_error(
        app.post(url, Some(&buyer), &json!({"items": [{"sku_id": s.skus[0], "quantity": 1}], "coupon_ids": [cid]}))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "coupon_ids[0]",
    )
    .await;
    assert_field_error(
        app.post(url, Some(&buyer), &json!({"items": [{"sku_id": s.skus[0], "quantity": 1}], "points": -5})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "points",
    )
    .await;
    assert_eq!(
        app.post(url, None, &json!({"items": [{"sku_id": s.skus[0], "quantity": 1}]})).await.status(),
        StatusCode::UNAUTHORIZED
    );
});

suite!(the_last_coupon_goes_to_one_of_two_concurrent_buyers, |b| async move {
    let app = TestApp::spawn(b).await;
    let s = shop(&app).await;
    for round in 0..5 {
        let tpl = coupon(&app, &s.op, json!({"name": format!("限量{round}"), "kind": "amount_off", "amount_off": 100, "total_quantity": 1, "scope": {"all": true}, "valid_days": 3})).await;
        let a = app.buyer_login(&format!("racer-a{round}")).await;
        let c = app.buyer_login(&format!("racer-b{round}")).await;
        let (r1, r2) = tokio::join!(claim(&app, &a, tpl), claim(&app, &c, tpl));
        let mut statuses = [r1.0, r2.0];
        statuses.sort();
        assert_eq!(statuses, [StatusCode::CREATED, StatusCode::CONFLICT], "{r1:?} {r2:?}");
        let loser = if r1.0 == StatusCode::CONFLICT { r1.1 } else { r2.1 };
        assert_eq!(loser["error"]["code"], "sold_out");
    }
    // Per-buyer limit.
    let tpl = coupon(&app, &s.op, json!({"name": "每人一张", "kind": "percent_off", "percent": 90, "cap": 1000, "scope": {"all": true}, "valid_days": 3})).await;
    let a = app.buyer_login("limit").await;
    assert_eq!(claim(&app, &a, tpl).await.0, StatusCode::CREATED);
    let (st, v) = claim(&app, &a, tpl).await;
    assert_eq!((st, v["error"]["code"].clone()), (StatusCode::CONFLICT, json!("limit_reached")));
    let (_, w) = body(app.get("/api/v1/shop/coupons", Some(&a)).await).await;
    assert_eq!(w["total"], 1);
    // Pushed coupons land in wallets.
    let (_, me) = body(app.get("/api/v1/shop/me", Some(&a)).await).await;
    let push = coupon(
        &app,
        &s.op,
        json!({"name": "推送券", "kind": "free_shipping", "scope": {"all": true}, "valid_days": 3, "claimable": false}),
    )
    .await;
    assert_eq!(claim(&app, &a, push).await.0, StatusCode::CONFLICT, "not claimable by buyers");
    let (st, v) = body(
        app.post(&format!("/api/v1/admin/coupons/{push}/push"), Some(&s.op), &json!({"buyer_ids": [me["id"], 999999]}))
            .await,
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["issued"], 1);
    assert_eq!(v["skipped"][0]["buyer_id"], 999999);
    let (_, w) = body(app.get("/api/v1/shop/coupons?view=available", Some(&a)).await).await;
    assert_eq!(w["total"], 2);
});

suite!(activity_and_coupon_validation, |b| async move {
    let app = TestApp::spawn(b).await;
    let s = shop(&app).await;
    let base = json!({"name": "x", "kind": "limited_discount", "rule": {"percent": 80}, "scope": {"all": true}, "starts_at": now(), "ends_at": now() + DAY});
    let with = |k: &str, v: Value| {
        let mut b = base.clone();
        b[k] = v;
        b
    };
    for (body_json, field) in [
        (with("rule", json!({"percent": 0})), "rule.percent"),
        (with("rule", json!({"percent": 150})), "rule.percent"),
        (with("ends_at", json!(now() - DAY)), "ends_at"),
        (with("kind", json!("lottery")), "kind"),
        (with("scope", json!({})), "scope"),
        (with("rule", json!({"prices": [{"sku_id": s.skus[0], "price": -1}]})), "rule.prices[0].price"),
        (
            json!({"name": "满减", "kind": "full_reduction", "rule": {"tiers": [{"threshold": 10000, "off": -5}]}, "scope": {"all": true}, "starts_at": now(), "ends_at": now() + DAY}),
            "rule.tiers[0].off",
        ),
        (
            json!({"name": "满减", "kind": "full_reduction", "rule": {"tiers": [{"threshold": 10000, "off": 500}, {"threshold": 5000, "off": 100}]}, "scope": {"all": true}, "starts_at": now(), "ends_at": now() + DAY}),
            "rule.tiers[1].threshold",
        ),
    ] {
        let (st, v) = activity(&app, &s.op, body_json).await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["error"]["field"], field, "{v}");
    }
    // Overlap on the same SKUs in the same window is refused unless allowed.
    let (st, _) = activity(&app, &s.op, with("scope", json!({"categories": [s.food]}))).await;
    assert_eq!(st, StatusCode::CREATED);
    let (st, v) = activity(&app, &s.op, with("scope", json!({"products": []  , "skus": [s.skus[1]]}))).await;
    assert_eq!(st, StatusCode::CONFLICT, "{v}");
    let mut allowed = with("scope", json!({"skus": [s.skus[1]]}));
    allowed["allow_overlap"] = json!(true);
    assert_eq!(activity(&app, &s.op, allowed).await.0, StatusCode::CREATED);
    // A different category does not overlap; an order-level activity never does.
    assert_eq!(activity(&app, &s.op, with("scope", json!({"categories": [s.other]}))).await.0, StatusCode::CREATED);
    // Coupons.
    for (body_json, field) in [
        (json!({"name": "c", "kind": "percent_off", "percent": 0, "scope": {"all": true}, "valid_days": 3}), "percent"),
        (
            json!({"name": "c", "kind": "percent_off", "percent": 120, "scope": {"all": true}, "valid_days": 3}),
            "percent",
        ),
        (
            json!({"name": "c", "kind": "amount_off", "amount_off": -1, "scope": {"all": true}, "valid_days": 3}),
            "amount_off",
        ),
        (json!({"name": "c", "kind": "amount_off", "amount_off": 100, "scope": {"all": true}}), "valid_until"),
        (
            json!({"name": "c", "kind": "amount_off", "amount_off": 100, "scope": {"all": true}, "valid_from": now(), "valid_until": now() - 1}),
            "valid_until",
        ),
    ] {
        let (st, v) = body(app.post("/api/v1/admin/coupons", Some(&s.op), &body_json).await).await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["error"]["field"], field, "{v}");
    }
    // Roles: customer service cannot create promotions; buyers cannot reach the admin API.
    let svc = app.admin_login("service").await;
    assert_eq!(activity(&app, &svc, base.clone()).await.0, StatusCode::FORBIDDEN);
    let buyer = app.buyer_login("nosy").await;
    assert_eq!(app.get("/api/v1/admin/activities", Some(&buyer)).await.status(), StatusCode::FORBIDDEN);
});

suite!(per_buyer_limit_of_a_discount_holds_across_orders, |b| async move {
    let app = TestApp::spawn(b).await;
    let s = shop(&app).await;
    let (st, v) = activity(
        &app,
        &s.op,
        json!({
            "name": "限购一件5折", "kind": "limited_discount", "rule": {"percent": 50}, "per_buyer_limit": 1,
            "scope": {"skus": [s.skus[2]]}, "starts_at": now() - DAY, "ends_at": now() + DAY
        }),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let buyer = app.buyer_login("limited").await;
    let q = quote(&app, &buyer, json!({"items": [{"sku_id": s.skus[2], "quantity": 2}]})).await;
    assert_eq!(q["lines"][0]["units_at_price"], 1, "{q}");
    assert_eq!(q["lines"][0]["goods_amount"], 4000 + 8000);
    let (_, a) = body(app.post("/api/v1/shop/addresses", Some(&buyer), &json!({"name": "限", "phone": "13800138000", "province": "浙江", "city": "杭州", "district": "西湖", "detail": "1号"})).await).await;
    let (st, o) = body(
        app.req(Method::POST, "/api/v1/shop/orders", Some(&buyer))
            .header("Idempotency-Key", "lim-1")
            .json(&json!({"items": [{"sku_id": s.skus[2], "quantity": 1}], "address_id": a["id"]}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{o}");
    assert_eq!(o["lines"][0]["unit_price"], 4000);
    // The unit at the activity price is used up: the next order pays the sale price and says why.
    let q = quote(&app, &buyer, json!({"items": [{"sku_id": s.skus[2], "quantity": 1}]})).await;
    assert_eq!(q["lines"][0]["unit_price"], 8000, "{q}");
    assert!(q["rejected"].as_array().unwrap().iter().any(|r| r["reason"] == "per_buyer_limit"), "{q}");
    // Another buyer still gets it; cancelling the order gives the allowance back.
    let other = app.buyer_login("limited-2").await;
    assert_eq!(
        quote(&app, &other, json!({"items": [{"sku_id": s.skus[2], "quantity": 1}]})).await["lines"][0]["unit_price"],
        4000
    );
    app.post(&format!("/api/v1/shop/orders/{}/cancel", o["id"]), Some(&buyer), &json!({})).await;
    assert_eq!(
        quote(&app, &buyer, json!({"items": [{"sku_id": s.skus[2], "quantity": 1}]})).await["lines"][0]["unit_price"],
        4000
    );
});

suite!(a_coupon_changes_within_what_is_already_issued, |b| async move {
    let app = TestApp::spawn(b).await;
    let s = shop(&app).await;
    let tpl = coupon(&app, &s.op, json!({"name": "限量券", "kind": "amount_off", "amount_off": 500, "threshold": 5000, "total_quantity": 3, "scope": {"all": true}, "valid_days": 7})).await;
    let url = format!("/api/v1/admin/coupons/{tpl}");
    for n in 0..2 {
        let buyer = app.buyer_login(&format!("holder{n}")).await;
        assert_eq!(claim(&app, &buyer, tpl).await.0, StatusCode::CREATED);
    }
    let change = |name: &str, total: i64, per_buyer: i64, claimable: bool| json!({"name": name, "total_quantity": total, "per_buyer_limit": per_buyer, "claimable": claimable});

    // Not below what is out, not out of range, not without a name; nothing changes on a refusal.
    assert_field_error(
        app.put(&url, Some(&s.op), &change("限量券", 1, 1, true)).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "total_quantity",
    )
    .await;
    assert_field_error(
        app.put(&url, Some(&s.op), &change("限量券", 2, 5000, true)).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "per_buyer_limit",
    )
    .await;
    assert_field_error(
        app.put(&url, Some(&s.op), &change(" ", 2, 1, true)).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "name",
    )
    .await;
    let r = app
        .put(
            &url,
            Some(&s.op),
            &json!({"name": "x", "total_quantity": 2, "per_buyer_limit": 1, "claimable": true, "amount_off": 1}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "amounts are not part of a change");
    let (_, same) = body(app.get(&url, Some(&s.op)).await).await;
    assert_eq!((same["name"].clone(), same["total_quantity"].clone()), (json!("限量券"), json!(3)));

    // Down to exactly what is out: the next buyer finds it sold out.
    let (st, v) = body(app.put(&url, Some(&s.op), &change("限量券", 2, 1, true)).await).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!((v["total_quantity"].clone(), v["issued"].clone()), (json!(2), json!(2)));
    let late = app.buyer_login("late").await;
    let (st, v) = claim(&app, &late, tpl).await;
    assert_eq!((st, v["error"]["code"].clone()), (StatusCode::CONFLICT, json!("sold_out")));

    // More of them, two each, renamed: the late buyer gets one, then a second; the amounts stay.
    let (st, v) = body(app.put(&url, Some(&s.op), &change("限量券（加量）", 10, 2, true)).await).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(claim(&app, &late, tpl).await.0, StatusCode::CREATED);
    assert_eq!(claim(&app, &late, tpl).await.0, StatusCode::CREATED);
    assert_eq!(claim(&app, &late, tpl).await.0, StatusCode::CONFLICT);
    let (_, now) = body(app.get(&url, Some(&s.op)).await).await;
    assert_eq!(now["name"], "限量券（加量）");
    assert_eq!(
        (now["issued"].clone(), now["amount_off"].clone(), now["threshold"].clone()),
        (json!(4), json!(500), json!(5000))
    );

    // Not claimable any more: buyers cannot take it themselves.
    let (st, _) = body(app.put(&url, Some(&s.op), &change("限量券（加量）", 0, 2, false)).await).await;
    assert_eq!(st, StatusCode::OK);
    let fresh = app.buyer_login("fresh").await;
    assert_ne!(claim(&app, &fresh, tpl).await.0, StatusCode::CREATED);

    // The change is audited with before and after.
    let (_, log) = body(app.get("/api/v1/admin/audit-log?action=coupon.update", Some(&s.owner)).await).await;
    assert_eq!(log["total"], 3, "{log}");

    // Who may: customer service and buyers may not; another id is 404; a stopped coupon is 409.
    let service = app.admin_login("service").await;
    assert_eq!(app.get(&url, Some(&service)).await.status(), StatusCode::OK);
    assert_eq!(app.put(&url, Some(&service), &change("客服", 0, 1, true)).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.put(&url, Some(&fresh), &change("买家", 0, 1, true)).await.status(), StatusCode::FORBIDDEN);
    let other = format!("/api/v1/admin/coupons/{}", tpl + 1000);
    assert_eq!(app.put(&other, Some(&s.op), &change("无", 0, 1, true)).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.get(&other, Some(&s.op)).await.status(), StatusCode::NOT_FOUND);
    let (st, _) = body(app.post(&format!("{url}/stop"), Some(&s.op), &json!({})).await).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(app.put(&url, Some(&s.op), &change("停了", 0, 1, true)).await.status(), StatusCode::CONFLICT);
});

async fn new_address(app: &TestApp, buyer: &str) -> i64 {
    let (st, a) = body(app.post("/api/v1/shop/addresses", Some(buyer), &json!({
        "name": "张三", "phone": "13800138000", "province": "浙江省", "city": "杭州市", "district": "西湖区", "detail": "路 1 号"
    })).await).await;
    assert_eq!(st, StatusCode::CREATED, "{a}");
    a["id"].as_i64().unwrap()
}

async fn place(app: &TestApp, buyer: &str, key: &str, order: &Value) -> (StatusCode, Value) {
    body(
        app.req(Method::POST, "/api/v1/shop/orders", Some(buyer))
            .header("Idempotency-Key", key)
            .json(order)
            .send()
            .await
            .unwrap(),
    )
    .await
}

async fn coupon_state(app: &TestApp, buyer: &str, id: i64) -> String {
    for view in ["available", "used", "expired"] {
        let (_, w) = body(app.get(&format!("/api/v1/shop/coupons?view={view}"), Some(buyer)).await).await;
        if let Some(c) = w["items"].as_array().unwrap().iter().find(|c| c["id"] == id) {
            return c["state"].as_str().unwrap().to_string();
        }
    }
    panic!("coupon {id} not in the wallet");
}

async fn points_balance(app: &TestApp, buyer: &str) -> i64 {
    let (_, p) = body(app.get("/api/v1/shop/points", Some(buyer)).await).await;
    p["balance"].as_i64().unwrap()
}

suite!(a_coupon_worth_nothing_is_neither_applied_nor_consumed, |b| async move {
    let app = TestApp::spawn(b).await;
    let s = shop(&app).await;
    let penny = product(&app, &s.op, "P1", s.food, 1, json!({})).await;
    let tpl = coupon(
        &app,
        &s.op,
        json!({"name": "半价券", "kind": "percent_off", "percent": 50, "scope": {"all": true}, "valid_days": 7}),
    )
    .await;
    let buyer = app.buyer_login("penny").await;
    let cid = claim(&app, &buyer, tpl).await.1["id"].as_i64().unwrap();
    let addr = new_address(&app, &buyer).await;
    // Half of 1 fen rounds to 0 fen off: the coupon takes nothing off, so it is not applied and says why.
    let req = json!({"items": [{"sku_id": penny, "quantity": 1}], "coupon_ids": [cid], "address_id": addr});
    let q = quote(&app, &buyer, req.clone()).await;
    assert_eq!(q["applied_coupons"], json!([]), "{q}");
    assert_eq!(q["coupon_discount"], 0);
    assert_eq!(q["payable"], 1);
    assert!(q["steps"].as_array().unwrap().iter().all(|s| s["rule_kind"] != "coupon"), "{q}");
    let refusal = json!({"rule_kind": "coupon", "rule_id": cid, "reason": "no_discount", "field": "coupon_ids[0]"});
    for list in ["rejected", "blocking"] {
        let hit = q[list].as_array().unwrap().iter().find(|r| r["rule_kind"] == "coupon" && r["rule_id"] == cid);
        let hit = hit.unwrap_or_else(|| panic!("{list} lacks the coupon: {q}"));
        assert_eq!(hit["reason"], "no_discount", "{q}");
        if list == "blocking" {
            assert_eq!(hit["field"], refusal["field"]);
        }
    }
    // The order with it is refused the same way, and the coupon stays in the wallet, unlocked.
    let mut order = req.clone();
    order["expected_payable"] = q["payable"].clone();
    let (st, e) = place(&app, &buyer, "penny-1", &order).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(
        (e["error"]["code"].clone(), e["error"]["field"].clone()),
        (json!("no_discount"), json!("coupon_ids[0]"))
    );
    assert_eq!(e["error"]["details"]["rule_kind"], "coupon");
    assert_eq!(coupon_state(&app, &buyer, cid).await, "unused");
    // Without it the order goes through and the coupon is still unused.
    let (st, o) =
        place(&app, &buyer, "penny-2", &json!({"items": [{"sku_id": penny, "quantity": 1}], "address_id": addr})).await;
    assert_eq!(st, StatusCode::CREATED, "{o}");
    assert_eq!(o["coupon_discount"], 0);
    assert_eq!(coupon_state(&app, &buyer, cid).await, "unused");
});

suite!(points_that_buy_nothing_are_not_taken, |b| async move {
    let app = TestApp::spawn(b).await;
    let s = shop(&app).await;
    let r = app
        .put(
            "/api/v1/admin/settings/pricing",
            Some(&s.owner),
            &json!({"points_per_yuan": 250, "points_max_share_pct": 100, "default_freight_template_id": null}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let buyer = app.buyer_login("frank").await;
    let (_, me) = body(app.get("/api/v1/shop/me", Some(&buyer)).await).await;
    let bid = me["id"].as_i64().unwrap();
    let (st, v) = body(
        app.post(&format!("/api/v1/admin/buyers/{bid}/points"), Some(&s.op), &json!({"delta": 5000, "note": "奖励"}))
            .await,
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let addr = new_address(&app, &buyer).await;
    // 1,001 points at 250 per yuan are worth ¥4.00, and so are 1,000: only 1,000 are spent.
    let req = json!({"items": [{"sku_id": s.skus[1], "quantity": 1}], "points": 1001, "address_id": addr});
    let q = quote(&app, &buyer, req.clone()).await;
    assert_eq!((q["points_used"].clone(), q["points_discount"].clone()), (json!(1000), json!(400)), "{q}");
    check_sums(&q);
    let mut order = req.clone();
    order["expected_payable"] = q["payable"].clone();
    let (st, o) = place(&app, &buyer, "pts-1", &order).await;
    assert_eq!(st, StatusCode::CREATED, "{o}");
    assert_eq!((o["points_used"].clone(), o["points_discount"].clone()), (json!(1000), json!(400)));
    assert_eq!(points_balance(&app, &buyer).await, 4000);
    // Cancelling gives back exactly what was spent.
    let id = o["id"].as_i64().unwrap();
    let (st, v) = body(app.post(&format!("/api/v1/shop/orders/{id}/cancel"), Some(&buyer), &json!({})).await).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(points_balance(&app, &buyer).await, 5000);

    // More than the balance: the balance is used, and the derivation says so.
    let req = json!({"items": [{"sku_id": s.skus[1], "quantity": 1}], "points": 99999, "address_id": addr});
    let q = quote(&app, &buyer, req.clone()).await;
    assert_eq!((q["points_used"].clone(), q["points_discount"].clone()), (json!(5000), json!(2000)), "{q}");
    let note = q["rejected"].as_array().unwrap().iter().find(|r| r["rule_kind"] == "points").cloned();
    assert_eq!(note.as_ref().map(|r| r["reason"].clone()), Some(json!("not_enough_points")), "{q}");
    let step = q["steps"].as_array().unwrap().iter().find(|s| s["stage"] == "points").cloned().unwrap();
    assert!(step["detail"].as_str().unwrap().contains("积分余额 5000"), "{step}");
    assert!(q["blocking"].as_array().unwrap().is_empty(), "{q}");
    let mut order = req.clone();
    order["expected_payable"] = q["payable"].clone();
    let (st, o) = place(&app, &buyer, "pts-2", &order).await;
    assert_eq!(st, StatusCode::CREATED, "{o}");
    assert_eq!(o["points_used"], 5000);
    assert_eq!(points_balance(&app, &buyer).await, 0);
});

suite!(refusal_reasons_name_the_rule_by_kind_and_id, |b| async move {
    let app = TestApp::spawn(b).await;
    let s = shop(&app).await;
    let buyer = app.buyer_login("grace").await;
    let tpl = coupon(
        &app,
        &s.op,
        json!({"name": "满999减10", "kind": "amount_off", "threshold": 99900, "amount_off": 1000, "scope": {"all": true}, "valid_days": 7}),
    )
    .await;
    // An activity for another category and a coupon below its threshold, with the same id.
    let new_activity = || async {
        let (st, v) = activity(
            &app,
            &s.op,
            json!({
                "name": "家居折扣", "kind": "limited_discount", "rule": {"percent": 90},
                "scope": {"categories": [s.other]}, "starts_at": now() - DAY, "ends_at": now() + DAY
            }),
        )
        .await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
        v["id"].as_i64().unwrap()
    };
    let mut aid = new_activity().await;
    let mut cid = claim(&app, &buyer, tpl).await.1["id"].as_i64().unwrap();
    for _ in 0..10 {
        if aid == cid {
            break;
        }
        if aid < cid {
            aid = new_activity().await;
        } else {
            let t = coupon(&app, &s.op, json!({"name": "满999减10", "kind": "amount_off", "threshold": 99900, "amount_off": 1000, "scope": {"all": true}, "valid_days": 7})).await;
            cid = claim(&app, &buyer, t).await.1["id"].as_i64().unwrap();
        }
    }
    assert_eq!(aid, cid, "the test needs an activity and a coupon with the same id");
    let addr = new_address(&app, &buyer).await;
    let req = json!({"items": [{"sku_id": s.skus[0], "quantity": 1}], "coupon_ids": [cid], "address_id": addr});
    let q = quote(&app, &buyer, req.clone()).await;
    let reason = |kind: &str| {
        q["rejected"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["rule_kind"] == kind && r["rule_id"] == cid)
            .map(|r| r["reason"].clone())
    };
    assert_eq!(reason("activity"), Some(json!("not_in_scope")), "{q}");
    assert_eq!(reason("coupon"), Some(json!("below_threshold")), "{q}");
    assert_eq!(q["blocking"][0]["rule_kind"], "coupon", "{q}");
    let mut order = req.clone();
    order["expected_payable"] = q["payable"].clone();
    let (st, e) = place(&app, &buyer, "same-id", &order).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(e["error"]["code"], "below_threshold", "the coupon's own reason, not the activity's: {e}");
    assert_eq!(e["error"]["field"], "coupon_ids[0]");
    assert!(e["error"]["message"].as_str().unwrap().contains("¥999"), "{e}");
    assert_eq!(e["error"]["details"], json!({"rule": q["blocking"][0]["rule"], "rule_kind": "coupon", "rule_id": cid}));
});

/// A small deterministic generator for the generated carts below.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

suite!(an_order_is_placed_at_its_quote_or_refused_as_it_says, |b| async move {
    let app = TestApp::spawn(b).await;
    let s = shop(&app).await;
    let penny = product(&app, &s.op, "P1", s.other, 1, json!({})).await;
    let mut skus = s.skus.clone();
    skus.push(penny);
    let (st, v) = activity(
        &app,
        &s.op,
        json!({
            "name": "食品满300减30", "kind": "full_reduction", "rule": {"tiers": [{"threshold": 30000, "off": 3000}]},
            "scope": {"categories": [s.food]}, "starts_at": now() - DAY, "ends_at": now() + DAY
        }),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let (st, f) = body(
        app.post(
            "/api/v1/admin/freight-templates",
            Some(&s.owner),
            &json!({
                "name": "标准", "mode": "piece", "free_over": 30000,
                "rules": {"default": {"first_units": 1, "first_fee": 800, "additional_units": 1, "additional_fee": 200}}
            }),
        )
        .await,
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{f}");
    let r = app
        .put(
            "/api/v1/admin/settings/pricing",
            Some(&s.owner),
            &json!({"points_per_yuan": 250, "points_max_share_pct": 50, "default_freight_template_id": f["id"]}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let buyer = app.buyer_login("henry").await;
    let (_, me) = body(app.get("/api/v1/shop/me", Some(&buyer)).await).await;
    app.post(
        &format!("/api/v1/admin/buyers/{}/points", me["id"]),
        Some(&s.op),
        &json!({"delta": 3000, "note": "奖励"}),
    )
    .await;
    let templates = [
        json!({"name": "满200减20", "kind": "amount_off", "threshold": 20000, "amount_off": 2000, "scope": {"all": true}, "valid_days": 7}),
        json!({"name": "食品9折", "kind": "percent_off", "percent": 90, "scope": {"categories": [s.food]}, "valid_days": 7}),
        json!({"name": "家居半价", "kind": "percent_off", "percent": 50, "scope": {"categories": [s.other]}, "valid_days": 7}),
        json!({"name": "包邮", "kind": "free_shipping", "threshold": 10000, "scope": {"all": true}, "valid_days": 7}),
        json!({"name": "立减1元", "kind": "amount_off", "amount_off": 100, "scope": {"all": true}, "valid_days": 7}),
    ];
    let mut wallet = Vec::new();
    for t in &templates {
        let id = coupon(&app, &s.op, t.clone()).await;
        wallet.push(claim(&app, &buyer, id).await.1["id"].as_i64().unwrap());
    }
    let addr = new_address(&app, &buyer).await;
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let (mut placed, mut refused) = (0, 0);
    for round in 0..24 {
        let mut items = Vec::new();
        for sku in &skus {
            if rng.below(2) == 0 {
                items.push(json!({"sku_id": sku, "quantity": 1 + rng.below(3)}));
            }
        }
        if items.is_empty() {
            items.push(json!({"sku_id": skus[rng.below(4) as usize], "quantity": 1}));
        }
        let coupons: Vec<i64> = wallet.iter().copied().filter(|_| rng.below(3) == 0).collect();
        let points = [0, 1, 1001, 2500, 99999][rng.below(5) as usize];
        let req = json!({"items": items, "coupon_ids": coupons, "points": points, "address_id": addr});
        let q = quote(&app, &buyer, req.clone()).await;
        check_sums(&q);
        let mut order = req.clone();
        order["expected_payable"] = q["payable"].clone();
        let (st, o) = place(&app, &buyer, &format!("gen-{round}"), &order).await;
        let blocking = q["blocking"].as_array().unwrap();
        if blocking.is_empty() {
            assert_eq!(st, StatusCode::CREATED, "the quote had no blocking refusal: {q}\n{o}");
            for k in [
                "list_total",
                "goods_total",
                "order_discount",
                "coupon_discount",
                "points_used",
                "points_discount",
                "shipping",
                "payable",
            ] {
                assert_eq!(o[k], q[k], "{k}: {q}\n{o}");
            }
            let (ol, ql) = (o["lines"].as_array().unwrap(), q["lines"].as_array().unwrap());
            assert_eq!(ol.len(), ql.len());
            for (a, b) in ol.iter().zip(ql) {
                for k in [
                    "sku_id",
                    "quantity",
                    "sale_price",
                    "unit_price",
                    "goods_amount",
                    "order_discount",
                    "coupon_discount",
                    "points_discount",
                    "paid_amount",
                ] {
                    assert_eq!(a[k], b[k], "line {k}: {q}\n{o}");
                }
            }
            for c in q["applied_coupons"].as_array().unwrap() {
                assert_eq!(coupon_state(&app, &buyer, c.as_i64().unwrap()).await, "locked");
            }
            // Give everything back for the next round.
            let (st, v) =
                body(app.post(&format!("/api/v1/shop/orders/{}/cancel", o["id"]), Some(&buyer), &json!({})).await)
                    .await;
            assert_eq!(st, StatusCode::OK, "{v}");
            placed += 1;
        } else {
            assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "the quote had a blocking refusal: {q}\n{o}");
            assert_eq!(o["error"]["code"], blocking[0]["reason"], "{q}\n{o}");
            assert_eq!(o["error"]["field"], blocking[0]["field"], "{q}\n{o}");
            refused += 1;
        }
    }
    assert!(placed > 3 && refused > 3, "both outcomes are exercised: {placed} placed, {refused} refused");
    // The case that was found: one coupon applies, the free-shipping one is below its threshold.
    let req = json!({"items": [{"sku_id": s.skus[2], "quantity": 1}], "coupon_ids": [wallet[4], wallet[3]], "address_id": addr});
    let q = quote(&app, &buyer, req.clone()).await;
    assert_eq!(q["applied_coupons"], json!([wallet[4]]));
    assert_eq!(q["blocking"][0]["reason"], "below_threshold", "{q}");
    assert_eq!(q["blocking"][0]["field"], "coupon_ids[1]", "{q}");
    let mut order = req.clone();
    order["expected_payable"] = q["payable"].clone();
    let (st, e) = place(&app, &buyer, "found", &order).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(
        (e["error"]["code"].clone(), e["error"]["field"].clone()),
        (json!("below_threshold"), json!("coupon_ids[1]"))
    );
});

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::*;
use crate::suite;

pub(crate) struct Shop {
    pub app: TestApp,
    pub op: String,
    pub sku: i64,
}

/// A shop whose orders complete as soon as they are received, selling one SKU at ¥350.
pub(crate) async fn shop(b: Backend) -> Shop {
    let db = TestDb::new(b).await;
    let mut cfg = test_config(&db.url);
    cfg.orders.sandbox_notify_delay_ms = 10;
    cfg.orders.aftersale_days = 0;
    let app = TestApp::spawn_with(db, cfg, true).await;
    let op = app.admin_login("operator").await;
    let (_, c) = body(app.post("/api/v1/admin/categories", Some(&op), &json!({"name": "茶叶"})).await).await;
    let (st, p) = body(
        app.post_idem(
            "/api/v1/admin/products",
            Some(&op),
            &json!({
                "product": {"code": "TEA", "category_id": c["id"], "title": "明前龙井", "on_shelf": true},
                "skus": [{"code": "TEA-1", "stock": 100, "original_price": 35000, "sale_price": 35000}]
            }),
        )
        .await,
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{p}");
    Shop { sku: p["product"]["skus"][0]["id"].as_i64().unwrap(), app, op }
}

/// Place, pay, ship and receive an order of `qty` units; returns the order as the buyer sees it at the end.
pub(crate) async fn complete_order(s: &Shop, buyer: &str, qty: i64) -> Value {
    let app = &s.app;
    let (_, a) = body(app.post("/api/v1/shop/addresses", Some(buyer), &json!({"name": "李四", "phone": "13800001111", "province": "浙江省", "city": "杭州市", "district": "西湖区", "detail": "1号"})).await).await;
    let (st, o) = body(
        app.req(Method::POST, "/api/v1/shop/orders", Some(buyer))
            .header("Idempotency-Key", format!("m-{}-{qty}-{}", a["id"], buyer.len()))
            .json(&json!({"items": [{"sku_id": s.sku, "quantity": qty}], "address_id": a["id"]}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{o}");
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
    let (st, v) = body(
        app.post(
            &format!("/api/v1/admin/orders/{id}/ship"),
            Some(&s.op),
            &json!({"carrier": "顺丰", "tracking_no": format!("SF{id}")}),
        )
        .await,
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let (st, _) = body(app.post(&format!("/api/v1/shop/orders/{id}/receive"), Some(buyer), &json!({})).await).await;
    assert_eq!(st, StatusCode::OK);
    eventually(15, || async {
        let (_, o) = body(app.get(&format!("/api/v1/shop/orders/{id}"), Some(buyer)).await).await;
        (o["status"] == "completed").then_some(o)
    })
    .await
}

suite!(a_completed_order_makes_a_member_earns_points_and_gets_the_member_price, |b| async move {
    let s = shop(b).await;
    let app = &s.app;
    let buyer = app.buyer_login("member-1").await;
    let (st, card) = body(app.get("/api/v1/shop/member", Some(&buyer)).await).await;
    assert_eq!(st, StatusCode::OK, "{card}");
    assert!(card["level"].is_null(), "no level before any completed order: {card}");
    assert_eq!(card["next"]["name"], "普通会员");
    assert_eq!(card["next"]["spend_missing_fen"], 30_000);
    let before = card["points_balance"].as_i64().unwrap();

    let order = complete_order(&s, &buyer, 1).await;
    let paid: i64 = order["lines"].as_array().unwrap().iter().map(|l| l["paid_amount"].as_i64().unwrap()).sum();
    assert_eq!(paid, 35_000);
    let card = eventually(15, || async {
        let (_, c) = body(app.get("/api/v1/shop/member", Some(&buyer)).await).await;
        (c["level"]["name"] == "普通会员").then_some(c)
    })
    .await;
    assert_eq!(card["completed_spend_fen"], 35_000);
    // 1 point per whole yuan at ×1 (普通会员 has no multiplier)
    assert_eq!(card["points_earned"], 350);
    assert_eq!(card["points_balance"].as_i64().unwrap(), before + 350);
    // the grant is a journal posting in points and at the shop's points value
    let p = app
        .store()
        .journal_posting_by_reference(
            app.store().default_merchant().await.unwrap().id,
            minimall_core::ledger::PostingKind::PointsGranted,
            &format!("points:order:{}", order["id"]),
        )
        .await
        .unwrap();
    assert!(p.is_some(), "points granted on completion are posted");

    // The level gets a member price: every quote and order show it, apportioned to the lines.
    let owner = app.admin_login("admin").await;
    let (_, levels) = body(app.get("/api/v1/admin/members/levels", Some(&owner)).await).await;
    let mut table: Vec<Value> = levels["items"].as_array().unwrap().clone();
    for l in table.iter_mut() {
        if l["name"] == "普通会员" {
            l["discount_pct"] = json!(95);
        }
    }
    let (st, v) = body(app.put("/api/v1/admin/members/levels", Some(&owner), &json!({"levels": table})).await).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let (st, q) =
        body(app.post("/api/v1/shop/quote", Some(&buyer), &json!({"items": [{"sku_id": s.sku, "quantity": 2}]})).await)
            .await;
    assert_eq!(st, StatusCode::OK, "{q}");
    assert_eq!(q["lines"][0]["unit_price"], 33_250, "{q}");
    assert!(q.to_string().contains("普通会员"), "the derivation names the level: {q}");
    let other = app.buyer_login("no-level").await;
    let (_, q2) =
        body(app.post("/api/v1/shop/quote", Some(&other), &json!({"items": [{"sku_id": s.sku, "quantity": 2}]})).await)
            .await;
    assert_eq!(q2["lines"][0]["unit_price"], 35_000, "a buyer without a level pays the sale price");
    let order = complete_order(&s, &buyer, 2).await;
    assert_eq!(order["lines"][0]["unit_price"], 33_250);
    assert_eq!(order["lines"][0]["paid_amount"], 66_500);

    // The member list filters by level and counts what SQL counts.
    let level_id = table.iter().find(|l| l["name"] == "普通会员").unwrap()["id"].as_i64().unwrap();
    let (st, list) = body(app.get(&format!("/api/v1/admin/members?level_ids={level_id}"), Some(&s.op)).await).await;
    assert_eq!(st, StatusCode::OK, "{list}");
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM member_profiles WHERE level_id = $1")
        .bind(level_id)
        .fetch_one(app.store().reader())
        .await
        .unwrap();
    assert_eq!(list["total"], n);
    assert_eq!(n, 1);
    let (_, detail) =
        body(app.get(&format!("/api/v1/admin/members/{}", list["items"][0]["buyer_id"]), Some(&s.op)).await).await;
    assert_eq!(detail["level_history"].as_array().unwrap().len(), 1, "{detail}");
    assert_eq!(detail["member"]["completed_spend_fen"], 35_000 + 66_500);
});

suite!(one_sign_in_a_day_under_concurrency, |b| async move {
    let app = TestApp::spawn(b).await;
    let buyer = app.buyer_login("signer").await;
    let (st, card) = body(app.get("/api/v1/shop/member", Some(&buyer)).await).await;
    assert_eq!(st, StatusCode::OK, "{card}");
    let before = card["points_balance"].as_i64().unwrap();
    let expected = card["next_sign_in_points"].as_i64().unwrap();
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let req = app.req(Method::POST, "/api/v1/shop/member/sign-in", Some(&buyer));
        tasks.push(tokio::spawn(async move { req.send().await.unwrap().status() }));
    }
    let mut ok = 0;
    for t in tasks {
        match t.await.unwrap() {
            StatusCode::OK => ok += 1,
            StatusCode::CONFLICT => {}
            other => panic!("sign-in answered {other}"),
        }
    }
    assert_eq!(ok, 1);
    let (_, card) = body(app.get("/api/v1/shop/member", Some(&buyer)).await).await;
    assert_eq!(card["points_balance"].as_i64().unwrap(), before + expected);
    assert_eq!(card["signed_in_today"], true);
    assert_eq!(card["streak"], 1);
    let (st, cal) = body(app.get("/api/v1/shop/member/sign-ins", Some(&buyer)).await).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(cal["days"].as_array().unwrap().len(), 1);
    assert_field_error(
        app.get("/api/v1/shop/member/sign-ins?month=2026-13", Some(&buyer)).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "month",
    )
    .await;
    // the page says so, in Chinese
    let page =
        app.req(Method::GET, "/member", None).header("cookie", format!("mm_buyer={buyer}")).send().await.unwrap();
    let html = page.text().await.unwrap();
    assert!(html.contains("今日已签到") || html.contains("登录"), "{html}");
});

suite!(segments_and_tags_count_what_sql_counts_and_roles_are_checked, |b| async move {
    let app = TestApp::spawn(b).await;
    let owner = app.admin_login("admin").await;
    let op = app.admin_login("operator").await;
    let service = app.admin_login("service").await;
    let clerk = app.admin_login("clerk").await;
    let finance = app.admin_login("finance").await;
    let m = app.store().default_merchant().await.unwrap().id;

    let (st, tag) = body(app.post("/api/v1/admin/member-tags", Some(&op), &json!({"name": "复购"})).await).await;
    assert_eq!(st, StatusCode::CREATED, "{tag}");
    let tag_id = tag["id"].as_i64().unwrap();
    let (st, v) = body(app.post("/api/v1/admin/member-tags", Some(&op), &json!({"name": "复购"})).await).await;
    assert_eq!((st, v["error"]["field"].clone()), (StatusCode::CONFLICT, json!("name")));
    let ids: Vec<(i64,)> = sqlx::query_as("SELECT id FROM buyers WHERE merchant_id = $1 ORDER BY id LIMIT 37")
        .bind(m)
        .fetch_all(app.store().reader())
        .await
        .unwrap();
    let ids: Vec<i64> = ids.into_iter().map(|r| r.0).collect();
    let (st, t) = body(
        app.post(&format!("/api/v1/admin/member-tags/{tag_id}/buyers"), Some(&op), &json!({"buyer_ids": ids})).await,
    )
    .await;
    assert_eq!((st, t["tagged"].clone()), (StatusCode::OK, json!(37)), "{t}");
    // tagging again tags nobody new
    let (_, t) = body(
        app.post(&format!("/api/v1/admin/member-tags/{tag_id}/buyers"), Some(&op), &json!({"buyer_ids": ids})).await,
    )
    .await;
    assert_eq!(t["tagged"], 0);
    // by filter: every buyer who came through a shared link
    let (st, t2) = body(app.post("/api/v1/admin/member-tags", Some(&op), &json!({"name": "分享来的"})).await).await;
    assert_eq!(st, StatusCode::CREATED);
    let (st, t) = body(
        app.post(
            &format!("/api/v1/admin/member-tags/{}/buyers", t2["id"]),
            Some(&op),
            &json!({"filter": {"channels": ["share"]}}),
        )
        .await,
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{t}");
    let (shared,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM buyers WHERE merchant_id = $1 AND channel = 'share'")
        .bind(m)
        .fetch_one(app.store().reader())
        .await
        .unwrap();
    assert_eq!(t["tagged"], shared);

    // A segment: tagged, no level yet. Its count equals a direct count.
    let (st, seg) = body(
        app.post(
            "/api/v1/admin/segments",
            Some(&op),
            &json!({"name": "复购无等级", "filter": {"tag_ids": [tag_id], "level_ids": [0]}}),
        )
        .await,
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{seg}");
    let (direct,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM member_profiles p WHERE p.merchant_id = $1 AND p.level_id IS NULL
         AND EXISTS (SELECT 1 FROM buyer_tags t WHERE t.buyer_id = p.buyer_id AND t.tag_id = $2)",
    )
    .bind(m)
    .bind(tag_id)
    .fetch_one(app.store().reader())
    .await
    .unwrap();
    assert_eq!(seg["count"], direct);
    assert_eq!(direct, 37);
    let (_, members) =
        body(app.get(&format!("/api/v1/admin/segments/{}/members?page_size=10", seg["id"]), Some(&service)).await)
            .await;
    assert_eq!((members["total"].clone(), members["items"].as_array().unwrap().len()), (json!(37), 10));
    let csv = app.get(&format!("/api/v1/admin/segments/{}/export", seg["id"]), Some(&op)).await;
    assert_eq!(csv.status(), StatusCode::OK);
    let text = csv.text().await.unwrap();
    assert_eq!(text.lines().count(), 38, "a head and one line per buyer");
    // Bad filters name their field.
    assert_field_error(
        app.post("/api/v1/admin/segments", Some(&op), &json!({"name": "x", "filter": {"stages": ["sleepy"]}})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "stages[0]",
    )
    .await;
    let (st, e) = body(
        app.post(
            "/api/v1/admin/segments",
            Some(&op),
            &json!({"name": "x", "filter": {"min_spend_fen": 500, "max_spend_fen": 100}}),
        )
        .await,
    )
    .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(
        (&e["error"]["field"], &e["error"]["reason"]),
        (&json!("max_spend_fen"), &json!("range.inverted")),
        "{e}"
    );
    assert_eq!(e["error"]["message"], "下限不能高于上限", "{e}");
    assert_field_error(
        app.get("/api/v1/admin/members?level_ids=a", Some(&op)).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "level_ids",
    )
    .await;

    // Who may do what: service reads, does not change; finance and clerks see nothing of members.
    assert_eq!(app.get("/api/v1/admin/members", Some(&service)).await.status(), StatusCode::OK);
    assert_eq!(
        app.post("/api/v1/admin/member-tags", Some(&service), &json!({"name": "y"})).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.put("/api/v1/admin/members/levels", Some(&service), &json!({"levels": []})).await.status(),
        StatusCode::FORBIDDEN
    );
    for t in [&finance, &clerk] {
        assert_eq!(app.get("/api/v1/admin/members", Some(t)).await.status(), StatusCode::FORBIDDEN);
        assert_eq!(app.get("/api/v1/admin/segments", Some(t)).await.status(), StatusCode::FORBIDDEN);
        assert_eq!(
            app.get(&format!("/api/v1/admin/segments/{}/export", seg["id"]), Some(t)).await.status(),
            StatusCode::FORBIDDEN
        );
    }
    assert_eq!(app.get("/api/v1/admin/members", None).await.status(), StatusCode::UNAUTHORIZED);
    let buyer = app.buyer_login("nosy").await;
    assert_eq!(app.get("/api/v1/admin/members", Some(&buyer)).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.get("/api/v1/shop/member", None).await.status(), StatusCode::UNAUTHORIZED);

    // Points adjustments: owner and operator, with a reason; never below zero; audited.
    let target = ids[0];
    let (st, v) = body(
        app.post(
            &format!("/api/v1/admin/members/{target}/points"),
            Some(&op),
            &json!({"delta": 120, "reason": "客诉补偿"}),
        )
        .await,
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let bal = v["balance"].as_i64().unwrap();
    let (st, v) = body(
        app.post(
            &format!("/api/v1/admin/members/{target}/points"),
            Some(&op),
            &json!({"delta": -(bal + 1), "reason": "扣回"}),
        )
        .await,
    )
    .await;
    assert_eq!((st, v["error"]["field"].clone()), (StatusCode::CONFLICT, json!("delta")));
    assert_field_error(
        app.post(&format!("/api/v1/admin/members/{target}/points"), Some(&op), &json!({"delta": 5, "reason": ""}))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "reason",
    )
    .await;
    assert_eq!(
        app.post(
            &format!("/api/v1/admin/members/{target}/points"),
            Some(&service),
            &json!({"delta": 5, "reason": "x"})
        )
        .await
        .status(),
        StatusCode::FORBIDDEN
    );
    let (_, audit) = body(app.get("/api/v1/admin/audit-log?page_size=100", Some(&owner)).await).await;
    assert!(audit.to_string().contains("points.adjust"), "{audit}");

    // Levels: a table that skips a rung or holds a level someone holds cannot be saved.
    let (_, levels) = body(app.get("/api/v1/admin/members/levels", Some(&op)).await).await;
    let mut table: Vec<Value> = levels["items"].as_array().unwrap().clone();
    table[4]["min_spend_fen"] = json!(100);
    let (st, e) = body(app.put("/api/v1/admin/members/levels", Some(&op), &json!({"levels": table})).await).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(e["error"]["field"], "levels[4].min_spend_fen", "{e}");
    assert_eq!(e["error"]["reason"], "member_level.not_ascending", "{e}");
    assert!(e["error"]["params"]["lower_rank"].is_i64(), "{e}");
});

suite!(the_last_ten_items_of_the_points_mall_go_to_ten_buyers, |b| async move {
    let app = TestApp::spawn(b).await;
    let op = app.admin_login("operator").await;
    let (st, tpl) = body(
        app.post(
            "/api/v1/admin/coupons",
            Some(&op),
            &json!({"name": "积分兑券", "kind": "amount_off", "amount_off": 500, "scope": {"all": true}, "valid_days": 30, "claimable": false}),
        )
        .await,
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{tpl}");
    let (st, item) = body(
        app.post(
            "/api/v1/admin/points-mall",
            Some(&op),
            &json!({"title": "5元券", "coupon_template_id": tpl["id"], "points_price": 300, "stock": 10, "per_buyer_limit": 1}),
        )
        .await,
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{item}");
    let item_id = item["id"].as_i64().unwrap();
    assert_field_error(
        app.post(
            "/api/v1/admin/points-mall",
            Some(&op),
            &json!({"title": "x", "coupon_template_id": tpl["id"], "points_price": 0, "stock": 1}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "points_price",
    )
    .await;

    // 100 buyers with enough points each
    let mut buyers = Vec::new();
    for i in 0..100 {
        let t = app.buyer_login(&format!("mall-{i}")).await;
        let (_, me) = body(app.get("/api/v1/shop/member", Some(&t)).await).await;
        if me["points_balance"].as_i64().unwrap() < 300 {
            let (_, who) = body(app.get("/api/v1/shop/me", Some(&t)).await).await;
            let (st, v) = body(
                app.post(
                    &format!("/api/v1/admin/members/{}/points", who["id"]),
                    Some(&op),
                    &json!({"delta": 500, "reason": "活动"}),
                )
                .await,
            )
            .await;
            assert_eq!(st, StatusCode::OK, "{v}");
        }
        buyers.push(t);
    }
    let mut before = Vec::new();
    for t in &buyers {
        let (_, me) = body(app.get("/api/v1/shop/member", Some(t)).await).await;
        before.push(me["points_balance"].as_i64().unwrap());
    }
    let mut tasks = Vec::new();
    for t in &buyers {
        let req = app.req(Method::POST, &format!("/api/v1/shop/points-mall/{item_id}/exchange"), Some(t));
        tasks.push(tokio::spawn(async move {
            let r = req.send().await.unwrap();
            (r.status(), r.text().await.unwrap())
        }));
    }
    let mut won = Vec::new();
    for (i, t) in tasks.into_iter().enumerate() {
        match t.await.unwrap() {
            (StatusCode::OK, _) => won.push(i),
            (StatusCode::CONFLICT, _) => {}
            (other, text) => panic!("exchange answered {other}: {text}"),
        }
    }
    assert_eq!(won.len(), 10, "exactly the ten units");
    for (i, t) in buyers.iter().enumerate() {
        let (_, me) = body(app.get("/api/v1/shop/member", Some(t)).await).await;
        let spent = if won.contains(&i) { 300 } else { 0 };
        assert_eq!(me["points_balance"].as_i64().unwrap(), before[i] - spent, "buyer {i}");
    }
    let (_, items) = body(app.get("/api/v1/admin/points-mall", Some(&op)).await).await;
    assert_eq!((items["items"][0]["stock"].clone(), items["items"][0]["exchanged"].clone()), (json!(0), json!(10)));
    let (_, wallet) = body(app.get("/api/v1/shop/coupons", Some(&buyers[won[0]])).await).await;
    assert!(wallet.to_string().contains("积分兑券"), "{wallet}");
    // the limit of one per buyer holds when stock comes back
    let (st, _) = body(
        app.put(
            &format!("/api/v1/admin/points-mall/{item_id}"),
            Some(&op),
            &json!({"stock_delta": 5, "on_sale": true}),
        )
        .await,
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    let (st, v) = body(
        app.post(&format!("/api/v1/shop/points-mall/{item_id}/exchange"), Some(&buyers[won[0]]), &json!({})).await,
    )
    .await;
    assert_eq!(st, StatusCode::CONFLICT, "{v}");
    // the profile takes a birthday and a gender, checked
    assert_field_error(
        app.put(
            "/api/v1/shop/member/profile",
            Some(&buyers[0]),
            &json!({"birthday": "1990-02-30", "gender": "female"}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "birthday",
    )
    .await;
    assert_field_error(
        app.put("/api/v1/shop/member/profile", Some(&buyers[0]), &json!({"birthday": null, "gender": "x"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "gender",
    )
    .await;
    let r = app
        .put("/api/v1/shop/member/profile", Some(&buyers[0]), &json!({"birthday": "1990-02-28", "gender": "female"}))
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
});

/// A count straight from the tables, for comparing with a segment's.
async fn direct(app: &TestApp, sql: &str, m: i64, arg: i64) -> i64 {
    let (n,): (i64,) = sqlx::query_as(sql).bind(m).bind(arg).fetch_one(app.store().reader()).await.unwrap();
    n
}

suite!(segment_counts_over_a_generated_crowd_equal_a_direct_count, |b| async move {
    use minimall_server::demo::generate::{generate, Plan};
    let db = TestDb::new(b).await;
    let mut cfg = test_config(&db.url);
    cfg.demo_products = 60;
    let app = TestApp::spawn_with(db, cfg, true).await;
    let op = app.admin_login("operator").await;
    let owner = app.admin_login("admin").await;
    let m = app.store().default_merchant().await.unwrap().id;
    let started = std::time::Instant::now();
    let plan = Plan { buyers: 10_000, orders: 12_000, events: 0, seed: 7 };
    let g = generate(app.app.as_ref().unwrap().state(), plan).await.unwrap();
    eprintln!("generated {} buyers and {} orders in {:?}", g.buyers, g.orders, started.elapsed());
    assert_eq!((g.buyers, g.orders), (10_000, 12_000));

    // The crowd is whole: every buyer has a default address and a profile whose region is its province, and a
    // profile's totals are what its orders' credits add up to.
    let crowd = "SELECT COUNT(*) FROM buyers b WHERE b.merchant_id = $1 AND b.openid LIKE 'gen7:%' AND $2 = $2";
    assert_eq!(direct(&app, crowd, m, 0).await, 10_000);
    let unprofiled = "SELECT COUNT(*) FROM buyers b WHERE b.merchant_id = $1 AND $2 = $2
        AND NOT EXISTS (SELECT 1 FROM member_profiles p WHERE p.buyer_id = b.id)";
    assert_eq!(direct(&app, unprofiled, m, 0).await, 0);
    let misplaced =
        "SELECT COUNT(*) FROM member_profiles p JOIN buyers b ON b.id = p.buyer_id AND b.openid LIKE 'gen7:%'
        LEFT JOIN addresses a ON a.buyer_id = p.buyer_id AND a.is_default = 1
        WHERE p.merchant_id = $1 AND $2 = $2 AND (a.province IS NULL OR p.region <> a.province)";
    assert_eq!(direct(&app, misplaced, m, 0).await, 0);
    let miscounted = "SELECT COUNT(*) FROM member_profiles p JOIN buyers b ON b.id = p.buyer_id AND b.openid LIKE 'gen7:%'
        WHERE p.merchant_id = $1 AND $2 = $2 AND (
          p.completed_spend_fen <> (SELECT COALESCE(SUM(c.spend_fen), 0) FROM member_order_credits c WHERE c.buyer_id = p.buyer_id)
       OR p.orders_count <> (SELECT COUNT(*) FROM member_order_credits c WHERE c.buyer_id = p.buyer_id)
       OR p.points_earned <> (SELECT COALESCE(SUM(c.points), 0) FROM member_order_credits c WHERE c.buyer_id = p.buyer_id)
       OR p.points_earned <> COALESCE((SELECT x.balance FROM points_balances x WHERE x.buyer_id = p.buyer_id), 0))";
    assert_eq!(direct(&app, miscounted, m, 0).await, 0);
    // Points balances are the journal's points liability; the books still balance.
    let (_, tb) = body(app.get("/api/v1/admin/ledger/trial-balance", Some(&owner)).await).await;
    assert_eq!((tb["fen_difference"].as_i64(), tb["points_difference"].as_i64()), (Some(0), Some(0)), "{tb}");
    let (st, v) = body(app.get("/api/v1/admin/ledger/sub-ledgers", Some(&owner)).await).await;
    assert_eq!((st, v["all_agree"].clone()), (StatusCode::OK, json!(true)), "{v}");
    let points = v["items"].as_array().unwrap().iter().find(|i| i["sub_ledger"] == "buyer_points").unwrap().clone();
    assert_eq!(points["control_balance"], points["sub_ledger_total"], "{v}");
    assert!(points["holders"].as_i64().unwrap() > 1_000, "{v}");
    // The lifecycle stages written are the daily job's: recomputing them changes none.
    let rules = minimall_server::members::rules(app.app.as_ref().unwrap().state(), m).await.unwrap();
    let today = beijing_day(minimall_store::now_ms());
    let (changed, _) = app.store().recompute_stages(m, rules.stage_days(), today, 0, 1_000_000).await.unwrap();
    assert_eq!(changed, 0);

    let (_, levels) = body(app.get("/api/v1/admin/members/levels", Some(&op)).await).await;
    let level = levels["items"][0]["id"].as_i64().unwrap();
    let (_, tags) = body(app.get("/api/v1/admin/member-tags?page_size=100", Some(&op)).await).await;
    let tag = tags["items"].as_array().unwrap().iter().find(|t| t["name"] == "宝妈").unwrap()["id"].as_i64().unwrap();
    let profiles = "SELECT COUNT(*) FROM member_profiles p WHERE p.merchant_id = $1";
    let shapes: Vec<(Value, String, i64)> = vec![
        (json!({"level_ids": [level]}), format!("{profiles} AND p.level_id = $2"), level),
        (json!({"level_ids": [0, level]}), format!("{profiles} AND (p.level_id IS NULL OR p.level_id = $2)"), level),
        (json!({"tag_ids": [tag]}), "SELECT COUNT(*) FROM buyer_tags t WHERE t.merchant_id = $1 AND t.tag_id = $2".into(), tag),
        (
            json!({"min_spend_fen": 30_000, "max_spend_fen": 200_000}),
            format!("{profiles} AND p.completed_spend_fen BETWEEN 30000 AND $2"),
            200_000,
        ),
        (json!({"ordered_within_days": 30}), format!("{profiles} AND p.last_order_day >= $2"), today - 30),
        (json!({"idle_days": 90}), format!("{profiles} AND (p.last_order_day IS NULL OR p.last_order_day <= $2)"), today - 90),
        (
            json!({"regions": ["广东省"]}),
            format!("{profiles} AND p.region = '广东省' AND $2 = $2"),
            0,
        ),
        (json!({"stages": ["silent"]}), format!("{profiles} AND p.stage = 'silent' AND $2 = $2"), 0),
        (json!({"stages": ["churned", "active"]}), format!("{profiles} AND p.stage IN ('churned', 'active') AND $2 = $2"), 0),
        (
            json!({"regions": ["浙江省"], "stages": ["active"], "min_spend_fen": 10_000, "genders": ["female"]}),
            format!(
                "{profiles} AND p.region = '浙江省' AND p.stage = 'active' AND p.completed_spend_fen >= $2 AND p.gender = 'female'"
            ),
            10_000,
        ),
    ];
    for (n, (filter, sql, arg)) in shapes.into_iter().enumerate() {
        let (st, seg) = body(
            app.post("/api/v1/admin/segments", Some(&op), &json!({"name": format!("人群{n}"), "filter": filter})).await,
        )
        .await;
        assert_eq!(st, StatusCode::CREATED, "{seg}");
        let expected = direct(&app, &sql, m, arg).await;
        assert!(expected > 0 && expected < 10_000, "{filter}: {expected} of the crowd");
        let (_, again) = body(app.get(&format!("/api/v1/admin/segments/{}", seg["id"]), Some(&op)).await).await;
        assert_eq!((seg["count"].as_i64(), again["count"].as_i64()), (Some(expected), Some(expected)), "{filter}");
        let (st, page) =
            body(app.get(&format!("/api/v1/admin/segments/{}/members?page_size=20", seg["id"]), Some(&op)).await).await;
        assert_eq!(st, StatusCode::OK, "{page}");
        assert_eq!(page["total"].as_i64(), Some(expected), "{filter}");
        assert_eq!(page["items"].as_array().unwrap().len() as i64, expected.min(20));
    }
});

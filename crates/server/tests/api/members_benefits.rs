//! Member benefits beyond the price: the level's free shipping in quotes and orders, and refunds after an
//! order counted, which take back its spend and the points it earned.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::*;
use crate::members::{complete_order, shop, Shop};
use crate::suite;

async fn address(app: &TestApp, buyer: &str) -> i64 {
    let (st, a) = body(
        app.post(
            "/api/v1/shop/addresses",
            Some(buyer),
            &json!({"name": "王五", "phone": "13800002222", "province": "浙江省", "city": "杭州市", "district": "西湖区", "detail": "2号"}),
        )
        .await,
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{a}");
    a["id"].as_i64().unwrap()
}

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64
}

async fn card(app: &TestApp, buyer: &str) -> Value {
    let (st, c) = body(app.get("/api/v1/shop/member", Some(buyer)).await).await;
    assert_eq!(st, StatusCode::OK, "{c}");
    c
}

/// Change the shop's level table with `f` applied to each level.
async fn edit_levels(app: &TestApp, owner: &str, f: impl Fn(&mut Value)) -> Vec<Value> {
    let (_, levels) = body(app.get("/api/v1/admin/members/levels", Some(owner)).await).await;
    let mut table: Vec<Value> = levels["items"].as_array().unwrap().clone();
    table.iter_mut().for_each(f);
    let (st, v) = body(app.put("/api/v1/admin/members/levels", Some(owner), &json!({"levels": table})).await).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    v["items"].as_array().unwrap().clone()
}

suite!(a_level_with_free_shipping_ships_free_in_the_quote_and_the_order, |b| async move {
    let s = shop(b).await;
    let app = &s.app;
    let owner = app.admin_login("admin").await;
    let (st, f) = body(
        app.post(
            "/api/v1/admin/freight-templates",
            Some(&owner),
            &json!({"name": "标准", "mode": "piece", "rules": {"default": {"first_units": 1, "first_fee": 800, "additional_units": 1, "additional_fee": 200}}}),
        )
        .await,
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{f}");
    let r = app
        .put(
            "/api/v1/admin/settings/pricing",
            Some(&owner),
            &json!({"points_per_yuan": 100, "points_max_share_pct": 50, "default_freight_template_id": f["id"]}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let buyer = app.buyer_login("free-shipper").await;
    complete_order(&s, &buyer, 1).await;
    let c = eventually(15, || async {
        let c = card(app, &buyer).await;
        (c["level"]["name"] == "普通会员").then_some(c)
    })
    .await;
    assert_eq!(c["level"]["free_shipping"], false);
    let addr = address(app, &buyer).await;
    let quote = |who: String| async move {
        let (st, q) = body(
            app.post(
                "/api/v1/shop/quote",
                Some(&who),
                &json!({"items": [{"sku_id": s.sku, "quantity": 2}], "address_id": addr}),
            )
            .await,
        )
        .await;
        assert_eq!(st, StatusCode::OK, "{q}");
        q
    };
    assert_eq!(quote(buyer.clone()).await["shipping"], 1000, "the level does not ship free yet");

    // Only a members manager changes the level table.
    for who in [app.admin_login("clerk").await, app.admin_login("finance").await] {
        let r = app.put("/api/v1/admin/members/levels", Some(&who), &json!({"levels": []})).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
    }
    let r = app.put("/api/v1/admin/members/levels", Some(&buyer), &json!({"levels": []})).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "a buyer's token is no console user's");
    let r = app.put("/api/v1/admin/members/levels", None, &json!({"levels": []})).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    edit_levels(app, &owner, |l| {
        if l["name"] == "普通会员" {
            l["free_shipping"] = json!(true);
        }
    })
    .await;
    let q = quote(buyer.clone()).await;
    assert_eq!((q["shipping"].clone(), q["payable"].clone()), (json!(0), json!(70_000)), "{q}");
    let steps: Vec<&Value> = q["steps"].as_array().unwrap().iter().filter(|s| s["stage"] == "shipping").collect();
    assert_eq!(steps.len(), 2, "{q}");
    assert_eq!((steps[0]["rule_kind"].clone(), steps[0]["amount"].clone()), (json!("freight_template"), json!(1000)));
    assert_eq!((steps[1]["rule_kind"].clone(), steps[1]["amount"].clone()), (json!("member_price"), json!(-1000)));
    assert!(steps[1]["rule"].as_str().unwrap().contains("会员包邮 普通会员"), "{q}");
    assert!(steps[1]["detail"].as_str().unwrap().contains("会员包邮"), "{q}");
    let stranger = app.buyer_login("no-level-here").await;
    let addr2 = address(app, &stranger).await;
    let (_, q2) = body(
        app.post(
            "/api/v1/shop/quote",
            Some(&stranger),
            &json!({"items": [{"sku_id": s.sku, "quantity": 2}], "address_id": addr2}),
        )
        .await,
    )
    .await;
    assert_eq!(q2["shipping"], 1000, "a buyer without the level pays shipping: {q2}");

    // The order is placed at the quote: no shipping.
    let (st, o) = body(
        app.req(Method::POST, "/api/v1/shop/orders", Some(&buyer))
            .header("Idempotency-Key", "free-ship-order")
            .json(&json!({"items": [{"sku_id": s.sku, "quantity": 2}], "address_id": addr}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{o}");
    assert_eq!((o["shipping"].clone(), o["payable"].clone()), (json!(0), json!(70_000)), "{o}");
});

/// An order of `qty` units paid and shipped; the buyer returns `back` units, and the order completes while the
/// goods are on their way back. Returns (order id, after-sales id).
async fn returned_after_completion(s: &Shop, buyer: &str, qty: i64, back: i64) -> (i64, i64) {
    let app = &s.app;
    let addr = address(app, buyer).await;
    let (st, o) = body(
        app.req(Method::POST, "/api/v1/shop/orders", Some(buyer))
            .header("Idempotency-Key", format!("ret-{addr}-{qty}"))
            .json(&json!({"items": [{"sku_id": s.sku, "quantity": qty}], "address_id": addr}))
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
    let r = app
        .post(
            &format!("/api/v1/admin/orders/{id}/ship"),
            Some(&s.op),
            &json!({"carrier": "顺丰", "tracking_no": format!("SF{id}")}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let line = o["lines"][0]["id"].as_i64().unwrap();
    let (st, a) = body(
        app.post(
            &format!("/api/v1/shop/orders/{id}/aftersales"),
            Some(buyer),
            &json!({"kind": "return_refund", "lines": [{"line_id": line, "quantity": back}], "reason": "尺码不合适"}),
        )
        .await,
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{a}");
    let aid = a["id"].as_i64().unwrap();
    let (st, _) =
        body(app.post(&format!("/api/v1/admin/aftersales/{aid}/approve"), Some(&s.op), &json!({})).await).await;
    assert_eq!(st, StatusCode::OK);
    let (_, a) = body(
        app.post(
            &format!("/api/v1/shop/aftersales/{aid}/return"),
            Some(buyer),
            &json!({"carrier": "中通", "tracking_no": format!("ZT{aid}")}),
        )
        .await,
    )
    .await;
    assert_eq!(a["status"], "returning", "{a}");
    let (st, _) = body(app.post(&format!("/api/v1/shop/orders/{id}/receive"), Some(buyer), &json!({})).await).await;
    assert_eq!(st, StatusCode::OK);
    eventually(15, || async {
        let (_, o) = body(app.get(&format!("/api/v1/shop/orders/{id}"), Some(buyer)).await).await;
        (o["status"] == "completed").then_some(())
    })
    .await;
    (id, aid)
}

async fn reversal_posting(app: &TestApp, order: i64, aftersale: i64) -> Option<i64> {
    let m = app.store().default_merchant().await.unwrap().id;
    let p = app
        .store()
        .journal_posting_by_reference(
            m,
            minimall_core::ledger::PostingKind::PointsReversed,
            &format!("points:reverse:order:{order}:A{aftersale}"),
        )
        .await
        .unwrap()?;
    p.entries.iter().find(|e| e.account == "points_liability").map(|e| e.amount)
}

suite!(a_refund_after_completion_reverses_points_in_proportion_and_follows_the_downgrade_policy, |b| async move {
    let s = shop(b).await;
    let app = &s.app;
    let owner = app.admin_login("admin").await;

    // Keep (the default): the level reached stays, the points earned on the refunded goods go.
    let keeper = app.buyer_login("keeper").await;
    let before = card(app, &keeper).await["points_balance"].as_i64().unwrap();
    let (order, aid) = returned_after_completion(&s, &keeper, 1, 1).await;
    let c = eventually(15, || async {
        let c = card(app, &keeper).await;
        (c["level"]["name"] == "普通会员").then_some(c)
    })
    .await;
    assert_eq!((c["points_earned"].clone(), c["completed_spend_fen"].clone()), (json!(350), json!(35_000)));
    assert_eq!(reversal_posting(app, order, aid).await, None, "nothing reversed before the refund");
    let (st, a) =
        body(app.post(&format!("/api/v1/admin/aftersales/{aid}/receive"), Some(&s.op), &json!({})).await).await;
    assert_eq!((st, a["status"].clone()), (StatusCode::OK, json!("refunded")), "{a}");
    let c = card(app, &keeper).await;
    assert_eq!(c["points_balance"].as_i64().unwrap(), before, "{c}");
    assert_eq!((c["points_earned"].clone(), c["completed_spend_fen"].clone()), (json!(0), json!(0)), "{c}");
    assert_eq!(c["level"]["name"], "普通会员", "keep: a refund does not lower the level");
    assert_eq!(reversal_posting(app, order, aid).await, Some(350));

    // Follow: the level follows the spend down. 普通会员 now needs ¥500.
    edit_levels(app, &owner, |l| {
        if l["name"] == "普通会员" {
            l["min_spend_fen"] = json!(50_000);
        }
    })
    .await;
    let (_, mut settings) = body(app.get("/api/v1/admin/members/settings", Some(&owner)).await).await;
    settings["downgrade"] = json!("follow");
    let (st, v) = body(app.put("/api/v1/admin/members/settings", Some(&owner), &settings).await).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let follower = app.buyer_login("follower").await;
    let before = card(app, &follower).await["points_balance"].as_i64().unwrap();
    let (order, aid) = returned_after_completion(&s, &follower, 2, 1).await;
    let c = eventually(15, || async {
        let c = card(app, &follower).await;
        (c["level"]["name"] == "普通会员").then_some(c)
    })
    .await;
    assert_eq!(c["points_balance"].as_i64().unwrap(), before + 700);
    let (st, _) =
        body(app.post(&format!("/api/v1/admin/aftersales/{aid}/receive"), Some(&s.op), &json!({})).await).await;
    assert_eq!(st, StatusCode::OK);
    let c = card(app, &follower).await;
    assert_eq!(c["points_balance"].as_i64().unwrap(), before + 350, "half the goods back, half the points: {c}");
    assert_eq!((c["points_earned"].clone(), c["completed_spend_fen"].clone()), (json!(350), json!(35_000)), "{c}");
    assert!(c["level"].is_null(), "follow: ¥350 is below ¥500, the level goes: {c}");
    assert_eq!(reversal_posting(app, order, aid).await, Some(350));
    let (_, me) = body(app.get("/api/v1/shop/me", Some(&follower)).await).await;
    let (_, detail) = body(app.get(&format!("/api/v1/admin/members/{}", me["id"]), Some(&s.op)).await).await;
    let history = detail["level_history"].as_array().unwrap();
    assert_eq!(history.len(), 2, "up, then down: {detail}");
    assert!(history[0]["to_level_id"].is_null(), "{detail}");
});

/// Place and pay an order of one unit of `sku`; returns the order once paid.
async fn paid_order(app: &TestApp, buyer: &str, sku: i64, key: &str) -> Value {
    let addr = address(app, buyer).await;
    let (st, o) = body(
        app.req(Method::POST, "/api/v1/shop/orders", Some(buyer))
            .header("Idempotency-Key", key)
            .json(&json!({"items": [{"sku_id": sku, "quantity": 1}], "address_id": addr}))
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
        (o["status"] == "to_ship").then_some(o)
    })
    .await
}

/// Refund a paid order's only line in full (refund only, before shipping).
async fn refund_all(s: &Shop, buyer: &str, o: &Value) {
    let app = &s.app;
    let (st, a) = body(
        app.post(
            &format!("/api/v1/shop/orders/{}/aftersales", o["id"]),
            Some(buyer),
            &json!({"kind": "refund_only", "lines": [{"line_id": o["lines"][0]["id"], "quantity": 1}], "reason": "不想要了"}),
        )
        .await,
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{a}");
    let (st, a) =
        body(app.post(&format!("/api/v1/admin/aftersales/{}/approve", a["id"]), Some(&s.op), &json!({})).await).await;
    assert_eq!((st, a["status"].clone()), (StatusCode::OK, json!("refunded")), "{a}");
}

suite!(a_paid_card_grants_its_level_for_its_term_renews_and_a_refund_takes_it_back, |b| async move {
    let s = shop(b).await;
    let app = &s.app;
    let owner = app.admin_login("admin").await;
    let (_, c) = body(app.post("/api/v1/admin/categories", Some(&s.op), &json!({"name": "会员"})).await).await;
    let (st, p) = body(
        app.post_idem(
            "/api/v1/admin/products",
            Some(&s.op),
            &json!({
                "product": {"code": "GOLD-CARD", "category_id": c["id"], "title": "黄金年卡", "on_shelf": true},
                "skus": [{"code": "GOLD-CARD-1", "stock": 1000, "original_price": 9900, "sale_price": 9900}]
            }),
        )
        .await,
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{p}");
    let (product, card_sku) = (p["product"]["id"].as_i64().unwrap(), p["product"]["skus"][0]["id"].as_i64().unwrap());
    let (_, levels) = body(app.get("/api/v1/admin/members/levels", Some(&owner)).await).await;
    let gold = levels["items"].as_array().unwrap().iter().find(|l| l["name"] == "黄金会员").unwrap()["id"].clone();
    let new_card =
        json!({"name": "黄金年卡", "product_id": product, "level_id": gold, "term_days": 365, "welcome_points": 100});

    // Who may, and what is refused.
    for who in [app.admin_login("clerk").await, app.admin_login("finance").await, app.admin_login("service").await] {
        assert_eq!(app.post("/api/v1/admin/member-cards", Some(&who), &new_card).await.status(), StatusCode::FORBIDDEN);
    }
    assert_eq!(app.post("/api/v1/admin/member-cards", None, &new_card).await.status(), StatusCode::UNAUTHORIZED);
    for (field, bad) in
        [("term_days", json!(0)), ("level_id", json!(999_999)), ("product_id", json!(999_999)), ("name", json!(""))]
    {
        let mut c = new_card.clone();
        c[field] = bad;
        assert_field_error(
            app.post("/api/v1/admin/member-cards", Some(&s.op), &c).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            field,
        )
        .await;
    }
    let (st, made) = body(app.post("/api/v1/admin/member-cards", Some(&s.op), &new_card).await).await;
    assert_eq!(st, StatusCode::CREATED, "{made}");
    assert_eq!(made["level_name"], "黄金会员");
    let mut again = new_card.clone();
    again["name"] = json!("另一张");
    let (st, v) = body(app.post("/api/v1/admin/member-cards", Some(&s.op), &again).await).await;
    assert_eq!((st, v["error"]["field"].clone()), (StatusCode::CONFLICT, json!("product_id")), "{v}");
    let (st, list) = body(app.get("/api/v1/admin/member-cards", Some(&app.admin_login("service").await)).await).await;
    assert_eq!((st, list["total"].clone()), (StatusCode::OK, json!(1)), "{list}");

    // Bought: the level for the term, the welcome points, and the level's prices in every quote.
    let buyer = app.buyer_login("card-holder").await;
    let before = card(app, &buyer).await["points_balance"].as_i64().unwrap();
    let first = paid_order(app, &buyer, card_sku, "card-1").await;
    let held = card(app, &buyer).await;
    assert_eq!(held["level"]["name"], "黄金会员", "{held}");
    assert_eq!(held["paid_card"]["name"], "黄金年卡");
    assert_eq!(held["points_balance"].as_i64().unwrap(), before + 100);
    let first_end = held["paid_card"]["ends_at"].as_i64().unwrap();
    let year = 365 * 86_400_000;
    assert!((first_end - now() - year).abs() < 120_000, "{held}");
    let (_, q) =
        body(app.post("/api/v1/shop/quote", Some(&buyer), &json!({"items": [{"sku_id": s.sku, "quantity": 1}]})).await)
            .await;
    assert_eq!(q["lines"][0]["unit_price"], 32_200, "黄金会员 pays 92 %: {q}");

    // Renewed: the new term starts where the first ends.
    let second = paid_order(app, &buyer, card_sku, "card-2").await;
    let held = card(app, &buyer).await;
    assert_eq!(held["paid_card"]["ends_at"].as_i64().unwrap(), first_end + year, "{held}");

    // The renewal refunded: back to the first term, the level stays.
    refund_all(&s, &buyer, &second).await;
    let held = card(app, &buyer).await;
    assert_eq!(held["paid_card"]["ends_at"].as_i64().unwrap(), first_end, "{held}");
    assert_eq!(held["level"]["name"], "黄金会员");
    // The first refunded: no card, no level (nothing earned), the welcome points gone.
    refund_all(&s, &buyer, &first).await;
    let held = card(app, &buyer).await;
    assert!(held["paid_card"].is_null() && held["level"].is_null(), "{held}");
    assert_eq!(held["points_balance"].as_i64().unwrap(), before);
    let m = app.store().default_merchant().await.unwrap().id;
    let (reasons,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM member_level_history WHERE merchant_id = $1 AND reason = 'card'")
            .bind(m)
            .fetch_one(app.store().reader())
            .await
            .unwrap();
    assert_eq!(reasons, 1, "the level went back when the card was revoked");
});

suite!(a_paid_cards_term_end_takes_its_level_and_benefits_back_and_the_member_page_offers_renewal, |b| async move {
    let s = shop(b).await;
    let app = &s.app;
    let (_, c) = body(app.post("/api/v1/admin/categories", Some(&s.op), &json!({"name": "会员"})).await).await;
    let (st, p) = body(
        app.post_idem(
            "/api/v1/admin/products",
            Some(&s.op),
            &json!({
                "product": {"code": "SILVER-CARD", "category_id": c["id"], "title": "白银月卡", "on_shelf": true},
                "skus": [{"code": "SILVER-CARD-1", "stock": 100, "original_price": 1900, "sale_price": 1900}]
            }),
        )
        .await,
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{p}");
    let (product, card_sku) = (p["product"]["id"].as_i64().unwrap(), p["product"]["skus"][0]["id"].as_i64().unwrap());
    let owner = app.admin_login("admin").await;
    let (_, levels) = body(app.get("/api/v1/admin/members/levels", Some(&owner)).await).await;
    let gold = levels["items"].as_array().unwrap().iter().find(|l| l["name"] == "黄金会员").unwrap()["id"].clone();
    let new_card = json!({"name": "黄金月卡", "product_id": product, "level_id": gold, "term_days": 30});
    let (st, made) = body(app.post("/api/v1/admin/member-cards", Some(&s.op), &new_card).await).await;
    assert_eq!(st, StatusCode::CREATED, "{made}");

    // Before buying: the member page offers the card.
    let buyer = app.buyer_login("monthly").await;
    let html = app.get("/member", Some(&buyer)).await.text().await.unwrap();
    assert!(html.contains("黄金月卡") && html.contains(&format!("/p/{product}")), "{html}");

    paid_order(app, &buyer, card_sku, "monthly-1").await;
    let held = card(app, &buyer).await;
    assert_eq!((held["level"]["name"].clone(), held["paid_card"]["term_days"].clone()), (json!("黄金会员"), json!(30)));
    assert_eq!(held["paid_card"]["product_id"], product);
    let html = app.get("/member", Some(&buyer)).await.text().await.unwrap();
    assert!(html.contains("有效期至") && html.contains("立即续费") && html.contains("paid-card-renew"), "{html}");
    let quote = |b: String| async move {
        let (_, q) =
            body(app.post("/api/v1/shop/quote", Some(&b), &json!({"items": [{"sku_id": s.sku, "quantity": 1}]})).await)
                .await;
        q["lines"][0]["unit_price"].as_i64().unwrap()
    };
    assert_eq!(quote(buyer.clone()).await, 32_200, "黄金会员 pays 92 %");

    // The term is over: its job takes the level and its member price back, once.
    let grant: (i64,) = sqlx::query_as("SELECT id FROM member_card_grants WHERE status = 'active' ORDER BY id DESC")
        .fetch_one(app.store().reader())
        .await
        .unwrap();
    let ended = now() - 1_000;
    let mut tx = app.store().begin().await.unwrap();
    sqlx::query("UPDATE member_card_grants SET starts_at = $2, ends_at = $3 WHERE id = $1")
        .bind(grant.0)
        .bind(ended - 30 * 86_400_000)
        .bind(ended)
        .execute(&mut *tx)
        .await
        .unwrap();
    for key in ["card-end-1", "card-end-2"] {
        app.store()
            .enqueue_job(
                &mut tx,
                &minimall_store::jobs::NewJob {
                    merchant_id: app.store().default_merchant().await.unwrap().id,
                    kind: minimall_server::members::cards::CARD_END_JOB,
                    payload: &json!({"grant_id": grant.0}).to_string(),
                    run_at: now(),
                    dedup_key: Some(key),
                    max_attempts: 3,
                },
            )
            .await
            .unwrap();
    }
    minimall_store::commit(tx).await.unwrap();
    eventually(20, || async {
        let (n,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM jobs WHERE dedup_key IN ('card-end-1', 'card-end-2') AND status = 'done'",
        )
        .fetch_one(app.store().reader())
        .await
        .unwrap();
        (n == 2).then_some(())
    })
    .await;
    let after = card(app, &buyer).await;
    assert!(after["paid_card"].is_null() && after["level"].is_null(), "nothing earned: back to no level: {after}");
    assert_eq!(quote(buyer.clone()).await, 35_000, "no member price after the term");
    let (status, reasons): (String, i64) = sqlx::query_as(
        "SELECT g.status, (SELECT COUNT(*) FROM member_level_history h WHERE h.buyer_id = g.buyer_id AND h.reason = 'card')
         FROM member_card_grants g WHERE g.id = $1",
    )
    .bind(grant.0)
    .fetch_one(app.store().reader())
    .await
    .unwrap();
    assert_eq!((status.as_str(), reasons), ("ended", 1), "ended once");
});

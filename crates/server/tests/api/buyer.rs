//! The buyer's side of orders: the tabs of 我的订单 and their counts, buying again, and storefront actions that
//! answer in the page (a refusal shown where the action was taken; a logged-out action resumed after login).

use reqwest::header::{COOKIE, LOCATION, ORIGIN, REFERER, SET_COOKIE};
use reqwest::{Client, Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::*;
use crate::suite;

pub struct Shop {
    pub app: TestApp,
    pub op: String,
    pub sku: i64,
    pub product: i64,
}

pub async fn shop(b: Backend) -> Shop {
    let db = TestDb::new(b).await;
    let mut cfg = test_config(&db.url);
    cfg.orders.sandbox_notify_delay_ms = 20;
    let app = TestApp::spawn_with(db, cfg, true).await;
    let op = app.admin_login("operator").await;
    let (_, c) = body(app.post("/api/v1/admin/categories", Some(&op), &json!({"name": "水果"})).await).await;
    let (s, p) = body(
        app.post_idem(
            "/api/v1/admin/products",
            Some(&op),
            &json!({
                "product": {"code": "PEAR", "category_id": c["id"], "title": "砀山梨", "on_shelf": true},
                "skus": [{"code": "PEAR-5", "stock": 50, "original_price": 4000, "sale_price": 3000}]
            }),
        )
        .await,
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    Shop {
        sku: p["product"]["skus"][0]["id"].as_i64().unwrap(),
        product: p["product"]["id"].as_i64().unwrap(),
        op,
        app,
    }
}

/// An order of `qty` units placed through the cart by `buyer`, unpaid.
pub async fn order(s: &Shop, buyer: &str, qty: i64) -> i64 {
    let app = &s.app;
    let (_, addrs) = body(app.get("/api/v1/shop/addresses", Some(buyer)).await).await;
    let addr = match addrs["items"][0]["id"].as_i64() {
        Some(a) => a,
        None => {
            let (st, a) = body(app.post("/api/v1/shop/addresses", Some(buyer), &json!({
                "name": "王五", "phone": "13812345678", "province": "安徽省", "city": "宿州市", "district": "砀山县", "detail": "梨园路 8 号"
            })).await).await;
            assert_eq!(st, StatusCode::CREATED, "{a}");
            a["id"].as_i64().unwrap()
        }
    };
    let (st, v) =
        body(app.post("/api/v1/shop/cart/items", Some(buyer), &json!({"sku_id": s.sku, "quantity": qty})).await).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let key = format!("o-{}", minimall_store::now_ms());
    let (st, o) = body(
        app.req(Method::POST, "/api/v1/shop/orders", Some(buyer))
            .header("Idempotency-Key", key)
            .json(&json!({"address_id": addr}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{o}");
    o["id"].as_i64().unwrap()
}

pub async fn status(app: &TestApp, buyer: &str, id: i64) -> String {
    let (_, o) = body(app.get(&format!("/api/v1/shop/orders/{id}"), Some(buyer)).await).await;
    o["status"].as_str().unwrap_or_default().to_string()
}

/// Pay an order in the sandbox and wait until it is to ship.
pub async fn pay(app: &TestApp, buyer: &str, id: i64) {
    let (st, p) =
        body(app.post(&format!("/api/v1/shop/orders/{id}/pay"), Some(buyer), &json!({"provider": "sandbox"})).await)
            .await;
    assert_eq!(st, StatusCode::OK, "{p}");
    let r = app.post(p["sandbox_complete_url"].as_str().unwrap(), Some(buyer), &json!({})).await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    eventually(15, || async { (status(app, buyer, id).await == "to_ship").then_some(()) }).await;
}

/// A paid order, shipped whole and received: ready to review.
pub async fn received_order(s: &Shop, buyer: &str) -> i64 {
    let id = order(s, buyer, 1).await;
    pay(&s.app, buyer, id).await;
    let (st, v) = body(
        s.app
            .post(
                &format!("/api/v1/admin/orders/{id}/ship"),
                Some(&s.op),
                &json!({"carrier": "顺丰", "tracking_no": "SF100"}),
            )
            .await,
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let (st, v) = body(s.app.post(&format!("/api/v1/shop/orders/{id}/receive"), Some(buyer), &json!({})).await).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    id
}

async fn counts(app: &TestApp, buyer: &str) -> Value {
    let (st, v) = body(app.get("/api/v1/shop/orders/counts", Some(buyer)).await).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    v
}

suite!(order_tabs_count_what_they_list_and_an_order_can_be_bought_again, |b| async move {
    let s = shop(b).await;
    let app = &s.app;
    let amy = app.buyer_login("amy").await;
    let unpaid = order(&s, &amy, 1).await;
    let paid = order(&s, &amy, 2).await;
    pay(app, &amy, paid).await;
    let c = counts(app, &amy).await;
    assert_eq!((c["to_pay"].clone(), c["to_ship"].clone(), c["to_receive"].clone()), (json!(1), json!(1), json!(0)));
    // Each count is a recount of its tab's list.
    for tab in ["to_pay", "to_ship", "to_receive", "to_review"] {
        let (st, l) = body(app.get(&format!("/api/v1/shop/orders?tab={tab}"), Some(&amy)).await).await;
        assert_eq!(st, StatusCode::OK, "{l}");
        assert_eq!(l["total"], c[tab], "{tab}");
    }
    let (_, l) = body(app.get("/api/v1/shop/orders?tab=to_pay", Some(&amy)).await).await;
    assert_eq!(l["items"][0]["id"], unpaid);
    // Shipped, then received: the order moves from tab to tab.
    let r = app
        .post(
            &format!("/api/v1/admin/orders/{paid}/ship"),
            Some(&s.op),
            &json!({"carrier": "顺丰", "tracking_no": "SF1"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(counts(app, &amy).await["to_receive"], 1);
    let r = app.post(&format!("/api/v1/shop/orders/{paid}/receive"), Some(&amy), &json!({})).await;
    assert_eq!(r.status(), StatusCode::OK);
    let c = counts(app, &amy).await;
    assert_eq!(
        (c["to_receive"].clone(), c["to_review"].clone(), c["aftersale"].clone()),
        (json!(0), json!(1), json!(0))
    );
    // Another buyer's counts are their own.
    let bob = app.buyer_login("bob").await;
    assert_eq!(
        counts(app, &bob).await,
        json!({"to_pay": 0, "to_ship": 0, "to_receive": 0, "to_review": 0, "aftersale": 0})
    );
    // Bad input names the field.
    assert_field_error(
        app.get("/api/v1/shop/orders?tab=lost", Some(&amy)).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "tab",
    )
    .await;
    assert_field_error(
        app.get("/api/v1/shop/orders?tab=to_pay&status=shipped", Some(&amy)).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "tab",
    )
    .await;
    assert_eq!(app.get("/api/v1/shop/orders/counts", None).await.status(), StatusCode::UNAUTHORIZED);

    // Buy again: the order's products go back into the cart, merged with what is there.
    let (st, v) = body(app.post(&format!("/api/v1/shop/orders/{paid}/buy-again"), Some(&amy), &json!({})).await).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!((v["added"].clone(), v["skipped"].clone()), (json!(1), json!(0)));
    assert_eq!(v["cart"]["items"][0]["sku_id"], s.sku);
    assert_eq!(v["cart"]["items"][0]["quantity"], 2);
    // Not another buyer's order.
    let r = app.post(&format!("/api/v1/shop/orders/{paid}/buy-again"), Some(&bob), &json!({})).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    // Nothing on sale any more: refused with its reason.
    let r =
        app.post("/api/v1/admin/products/shelf", Some(&s.op), &json!({"ids": [s.product], "on_shelf": false})).await;
    assert!(r.status().is_success(), "{:?}", r.text().await);
    let (st, v) = body(app.post(&format!("/api/v1/shop/orders/{paid}/buy-again"), Some(&amy), &json!({})).await).await;
    assert_eq!((st, v["error"]["reason"].clone()), (StatusCode::CONFLICT, json!("orders.nothing_to_buy_again")), "{v}");
});

pub(crate) fn no_redirects() -> Client {
    Client::builder().no_proxy().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// The CSRF cookie and token of a page.
pub async fn csrf(c: &Client, app: &TestApp, path: &str) -> (String, String) {
    let resp = c.get(format!("{}{}", app.base, path)).send().await.unwrap();
    let cookie = resp
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("mm_csrf="))
        .map(|v| v.split(';').next().unwrap().to_string())
        .expect("a csrf cookie");
    (cookie.clone(), cookie.trim_start_matches("mm_csrf=").to_string())
}

/// A form sent from `from` (the page it is on) to `to`.
pub async fn form(c: &Client, app: &TestApp, cookie: &str, from: &str, to: &str, fields: &str) -> reqwest::Response {
    c.post(format!("{}{}", app.base, to))
        .header(COOKIE, cookie)
        .header(ORIGIN, &app.base)
        .header(REFERER, format!("{}{}", app.base, from))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(fields.to_string())
        .send()
        .await
        .unwrap()
}

pub(crate) fn toast(r: &reqwest::Response) -> Option<String> {
    r.headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix("mm_toast="))
        .map(|v| v.split(';').next().unwrap().to_string())
}

suite!(storefront_actions_answer_in_the_page_and_resume_after_login, |b| async move {
    let s = shop(b).await;
    let app = &s.app;
    let c = no_redirects();
    let (csrf_cookie, token) = csrf(&c, app, "/").await;
    let (st, t) = body(app.post("/api/v1/admin/coupons", Some(&s.op), &json!({"name": "每人一张", "kind": "amount_off", "amount_off": 500, "scope": {"all": true}, "valid_days": 3})).await).await;
    assert_eq!(st, StatusCode::CREATED, "{t}");
    let tpl = t["id"].as_i64().unwrap();
    let amy = format!("{csrf_cookie}; mm_buyer={}", app.buyer_login("amy").await);

    // Claimed once: a confirmation on the coupons page, which then shows 已领取 / 去使用 instead of 领取.
    let r = form(&c, app, &amy, "/coupons", &format!("/coupons/{tpl}/claim"), &format!("_csrf={token}")).await;
    assert_eq!((r.status(), r.headers()[LOCATION].to_str().unwrap()), (StatusCode::SEE_OTHER, "/coupons"));
    assert!(toast(&r).unwrap().starts_with("s|"));
    let html = c.get(format!("{}/coupons", app.base)).header(COOKIE, &amy).send().await.unwrap().text().await.unwrap();
    let card = html.split(&format!("id=\"tpl-{tpl}\"")).nth(1).unwrap().split("</li>").next().unwrap();
    assert!(card.contains("已领取") && card.contains("去使用") && !card.contains("/claim"), "{card}");
    // Claimed again (an old page): the refusal comes back to the page it was sent from, worded, not an error page.
    let r = form(&c, app, &amy, "/coupons", &format!("/coupons/{tpl}/claim"), &format!("_csrf={token}")).await;
    assert_eq!((r.status(), r.headers()[LOCATION].to_str().unwrap()), (StatusCode::SEE_OTHER, "/coupons"));
    let t = toast(&r).unwrap();
    assert!(t.starts_with("e|"), "{t}");
    let shown = c
        .get(format!("{}/coupons", app.base))
        .header(COOKIE, format!("{amy}; mm_toast={t}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(shown.contains("id=\"toast\""), "the page shows the answer");

    // Logged out, 加入购物车 goes through the login and lands in the cart.
    let r = form(
        &c,
        app,
        &csrf_cookie,
        &format!("/p/{}", s.product),
        "/cart/add",
        &format!("_csrf={token}&sku_id={}&quantity=3&buy_now=0", s.sku),
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let login = r.headers()[LOCATION].to_str().unwrap().to_string();
    assert!(login.starts_with("/login?next=%2Fresume"), "{login}");
    let next: String = url_param(&login, "next");
    let bob = format!("{csrf_cookie}; mm_buyer={}", app.buyer_login("bob").await);
    let html = c.get(format!("{}{next}", app.base)).header(COOKIE, &bob).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("action=\"/cart/add\"") && html.contains("data-autosubmit"), "{html}");
    let fields: Vec<String> = html
        .split("<input type=\"hidden\" name=\"")
        .skip(1)
        .map(|p| {
            let name = p.split('"').next().unwrap();
            let value = p.split("value=\"").nth(1).unwrap().split('"').next().unwrap();
            format!("{name}={value}")
        })
        .collect();
    let r = form(&c, app, &bob, &next, "/cart/add", &fields.join("&")).await;
    assert_eq!((r.status(), r.headers()[LOCATION].to_str().unwrap()), (StatusCode::SEE_OTHER, "/cart"));
    let bob_token = bob.split("mm_buyer=").nth(1).unwrap();
    let (_, cart) = body(app.get("/api/v1/shop/cart", Some(bob_token)).await).await;
    assert_eq!((cart["items"][0]["sku_id"].clone(), cart["items"][0]["quantity"].clone()), (json!(s.sku), json!(3)));
    // Only storefront actions resume.
    let r = c.get(format!("{}/resume?to=%2Flogout", app.base)).header(COOKIE, &bob).send().await.unwrap();
    assert_eq!((r.status(), r.headers()[LOCATION].to_str().unwrap()), (StatusCode::SEE_OTHER, "/"));
});

fn url_param(url: &str, name: &str) -> String {
    let q = url.split_once('?').map(|x| x.1).unwrap_or("");
    form_urlencoded::parse(q.as_bytes()).find(|(k, _)| k == name).map(|(_, v)| v.into_owned()).unwrap_or_default()
}

suite!(parcels_and_their_timelines_reach_the_buyer, |b| async move {
    let s = shop(b).await;
    let app = &s.app;
    let amy = app.buyer_login("amy").await;
    let id = order(&s, &amy, 3).await;
    pay(app, &amy, id).await;
    let (_, d) = body(app.get(&format!("/api/v1/admin/orders/{id}"), Some(&s.op)).await).await;
    let line = d["order"]["lines"][0]["id"].as_i64().unwrap();
    // Two of three units in a first parcel: a partial shipment.
    let r = app
        .post(
            &format!("/api/v1/admin/orders/{id}/ship"),
            Some(&s.op),
            &json!({"carrier": "中通快递", "tracking_no": "ZT778899", "lines": [{"line_id": line, "quantity": 2}]}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let (st, l) = body(app.get(&format!("/api/v1/shop/orders/{id}/logistics"), Some(&amy)).await).await;
    assert_eq!(st, StatusCode::OK, "{l}");
    assert_eq!(l["parcels"].as_array().unwrap().len(), 1);
    assert_eq!(
        (l["parcels"][0]["carrier"].clone(), l["parcels"][0]["tracking_no"].clone()),
        (json!("中通快递"), json!("ZT778899"))
    );
    assert_eq!(l["parcels"][0]["lines"][0]["quantity"], 2);
    assert_eq!(l["to_ship"][0]["quantity"], 1);
    let parcel = l["parcels"][0]["id"].as_i64().unwrap();
    let track = |who: String, body_json: Value| async move {
        body(app.post(&format!("/api/v1/admin/orders/{id}/shipments/{parcel}/tracks"), Some(&who), &body_json).await)
            .await
    };
    let (st, v) = track(s.op.clone(), json!({"kind": "collected", "text": "【杭州】中通快递 已揽收"})).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let (st, v) = track(s.op.clone(), json!({"kind": "in_transit", "text": "已到达【杭州转运中心】"})).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let (_, l) = body(app.get(&format!("/api/v1/shop/orders/{id}/logistics"), Some(&amy)).await).await;
    let kinds: Vec<&str> =
        l["parcels"][0]["tracks"].as_array().unwrap().iter().map(|t| t["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["in_transit", "collected"], "newest first");
    // The change is audited.
    let (_, audit) =
        body(app.get("/api/v1/admin/audit-log?action=shipment.track", Some(&app.admin_login("admin").await)).await)
            .await;
    assert_eq!(audit["total"], 2, "{audit}");
    // Bad input names its field; nothing is written.
    for (bad, field) in [
        (json!({"kind": "teleported", "text": "x"}), "kind"),
        (json!({"kind": "in_transit", "text": "  "}), "text"),
        (json!({"kind": "in_transit", "text": "x".repeat(101)}), "text"),
        (json!({"kind": "in_transit", "text": "x", "at": minimall_store::now_ms() + 86_400_000}), "at"),
        (json!({"kind": "in_transit", "text": "x", "at": 1}), "at"),
    ] {
        let r = app.post(&format!("/api/v1/admin/orders/{id}/shipments/{parcel}/tracks"), Some(&s.op), &bad).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        let (_, v) = body(r).await;
        assert_eq!(v["error"]["field"], field, "{v}");
    }
    // Denials: a parcel of another order, a role that may not manage orders, a buyer on the console's route,
    // another buyer's order.
    let other = order(&s, &amy, 1).await;
    let r = app
        .post(
            &format!("/api/v1/admin/orders/{other}/shipments/{parcel}/tracks"),
            Some(&s.op),
            &json!({"kind": "in_transit", "text": "x"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let (st, _) = track(app.admin_login("finance").await, json!({"kind": "in_transit", "text": "x"})).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _) = track(amy.clone(), json!({"kind": "in_transit", "text": "x"})).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let bob = app.buyer_login("bob").await;
    assert_eq!(
        app.get(&format!("/api/v1/shop/orders/{id}/logistics"), Some(&bob)).await.status(),
        StatusCode::NOT_FOUND
    );
    let (_, l) = body(app.get(&format!("/api/v1/admin/orders/{id}/logistics"), Some(&s.op)).await).await;
    assert_eq!(l["parcels"][0]["tracks"].as_array().unwrap().len(), 2);
    // The buyer's order page shows the parcel, its timeline and what is still to ship, in Chinese.
    let c = no_redirects();
    let html = c
        .get(format!("{}/orders/{id}", app.base))
        .header(COOKIE, format!("mm_buyer={amy}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("ZT778899")
            && html.contains("已到达【杭州转运中心】")
            && html.contains("运输中")
            && html.contains("待发货"),
        "{html}"
    );
});

suite!(reviews_after_receipt_on_the_product_page_replied_and_hidden, |b| async move {
    let s = shop(b).await;
    let app = &s.app;
    let amy = app.buyer_login("amy").await;
    // Not before receipt.
    let unpaid = order(&s, &amy, 1).await;
    let (_, o) = body(app.get(&format!("/api/v1/shop/orders/{unpaid}"), Some(&amy)).await).await;
    let line = o["lines"][0]["id"].as_i64().unwrap();
    let review = |who: String, id: i64, b: Value| async move {
        body(app.post(&format!("/api/v1/shop/orders/{id}/reviews"), Some(&who), &b).await).await
    };
    let (st, v) = review(amy.clone(), unpaid, json!({"line_id": line, "rating": 5, "text": "好"})).await;
    assert_eq!((st, v["error"]["reason"].clone()), (StatusCode::CONFLICT, json!("review.not_received")), "{v}");

    let id = received_order(&s, &amy).await;
    let (_, o) = body(app.get(&format!("/api/v1/shop/orders/{id}"), Some(&amy)).await).await;
    let line = o["lines"][0]["id"].as_i64().unwrap();
    assert_eq!(counts(app, &amy).await["to_review"], 1);
    // Bad input names its field; nothing is written.
    let img = "/img/placeholder/1.svg";
    for (bad, field) in [
        (json!({"line_id": line, "rating": 6, "text": "好"}), "rating"),
        (json!({"line_id": line, "rating": 0, "text": "好"}), "rating"),
        (json!({"line_id": line, "rating": 5, "text": " "}), "text"),
        (json!({"line_id": line, "rating": 5, "text": "好".repeat(501)}), "text"),
        (json!({"line_id": line, "rating": 5, "text": "好", "images": vec![img; 10]}), "images"),
        (json!({"line_id": line, "rating": 5, "text": "好", "images": ["javascript:alert(1)"]}), "images[0]"),
        (json!({"line_id": line + 1000, "rating": 5, "text": "好"}), "line_id"),
        (json!({"line_id": line, "rating": 5, "text": "全网最低价"}), "text"),
    ] {
        let (st, v) = review(amy.clone(), id, bad.clone()).await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{bad} {v}");
        assert_eq!(v["error"]["field"], field, "{v}");
    }
    // Another buyer cannot review this order.
    let bob = app.buyer_login("bob").await;
    let (st, _) = review(bob.clone(), id, json!({"line_id": line, "rating": 1, "text": "差"})).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    // The review, once.
    let (st, r) = review(
        amy.clone(),
        id,
        json!({"line_id": line, "rating": 4, "text": "很甜，水分足", "images": [img], "anonymous": true}),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{r}");
    assert_eq!((r["author"].clone(), r["images"].clone()), (json!("匿名用户"), json!([img])));
    let (st, v) = review(amy.clone(), id, json!({"line_id": line, "rating": 5, "text": "再评"})).await;
    assert_eq!((st, v["error"]["reason"].clone()), (StatusCode::CONFLICT, json!("review.already_reviewed")));
    assert_eq!(counts(app, &amy).await["to_review"], 0);
    // A second buyer, a bad review.
    let cat = app.buyer_login("cat").await;
    let id2 = received_order(&s, &cat).await;
    let (_, o2) = body(app.get(&format!("/api/v1/shop/orders/{id2}"), Some(&cat)).await).await;
    let (st, r2) =
        review(cat.clone(), id2, json!({"line_id": o2["lines"][0]["id"], "rating": 1, "text": "垃圾 骗子"})).await;
    assert_eq!(st, StatusCode::CREATED, "{r2}");
    let r2id = r2["id"].as_i64().unwrap();
    // On the product: rating and counts equal a recount of the visible reviews.
    let url = format!("/api/v1/shop/products/{}/reviews", s.product);
    let (_, p) = body(app.get(&url, None).await).await;
    assert_eq!(
        p["rating"],
        json!({"total": 2, "average_x10": 25, "good_percent": 50, "with_images": 1, "good": 1, "neutral": 0, "bad": 1})
    );
    let (_, bad) = body(app.get(&format!("{url}?tab=bad"), None).await).await;
    assert_eq!(
        (bad["reviews"]["total"].clone(), bad["reviews"]["items"][0]["author"].clone()),
        (json!(1), json!("c**"))
    );
    assert_field_error(app.get(&format!("{url}?tab=best"), None).await, StatusCode::UNPROCESSABLE_ENTITY, "tab").await;
    // Buyers see only their own.
    let (_, mine) = body(app.get("/api/v1/shop/reviews", Some(&bob)).await).await;
    assert_eq!(mine["total"], 0);
    let (_, mine) = body(app.get("/api/v1/shop/reviews", Some(&amy)).await).await;
    assert_eq!(mine["total"], 1);
    // The merchant replies and hides the abusive one (audited); a role that may not manage orders cannot.
    let (st, v) = body(
        app.post(
            &format!("/api/v1/admin/reviews/{r2id}/reply"),
            Some(&s.op),
            &json!({"reply": "很抱歉，已安排客服联系您"}),
        )
        .await,
    )
    .await;
    assert_eq!((st, v["reply"].clone()), (StatusCode::OK, json!("很抱歉，已安排客服联系您")), "{v}");
    assert_field_error(
        app.post(&format!("/api/v1/admin/reviews/{r2id}/reply"), Some(&s.op), &json!({"reply": ""})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "reply",
    )
    .await;
    let fin = app.admin_login("finance").await;
    assert_eq!(
        app.post(&format!("/api/v1/admin/reviews/{r2id}/hide"), Some(&fin), &json!({"hidden": true})).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.post(&format!("/api/v1/admin/reviews/{r2id}/hide"), Some(&amy), &json!({"hidden": true})).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.post("/api/v1/admin/reviews/999999/hide", Some(&s.op), &json!({"hidden": true})).await.status(),
        StatusCode::NOT_FOUND
    );
    let (st, v) =
        body(app.post(&format!("/api/v1/admin/reviews/{r2id}/hide"), Some(&s.op), &json!({"hidden": true})).await)
            .await;
    assert_eq!((st, v["hidden"].clone()), (StatusCode::OK, json!(true)));
    let (_, p) = body(app.get(&url, None).await).await;
    assert_eq!((p["rating"]["total"].clone(), p["rating"]["bad"].clone()), (json!(1), json!(0)));
    let (_, audit) =
        body(app.get("/api/v1/admin/audit-log?action=review.hide", Some(&app.admin_login("admin").await)).await).await;
    assert_eq!(audit["total"], 1);
    let (_, unreplied) = body(app.get("/api/v1/admin/reviews?unreplied=true", Some(&s.op)).await).await;
    assert_eq!(unreplied["total"], 1);
    assert_eq!(app.get("/api/v1/admin/reviews", Some(&amy)).await.status(), StatusCode::FORBIDDEN);
    // The product page shows the rating and the visible review, in Chinese.
    let html = no_redirects().get(format!("{}/p/{}", app.base, s.product)).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("很甜，水分足") && html.contains("好评率") && !html.contains("垃圾"), "{html}");
});

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
#[allow(dead_code)]
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

fn no_redirects() -> Client {
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

fn toast(r: &reqwest::Response) -> Option<String> {
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

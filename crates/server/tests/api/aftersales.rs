use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::*;
use crate::suite;

struct Paid {
    app: TestApp,
    op: String,
    buyer: String,
    order: Value,
    product: i64,
}

/// A paid order of 3 units at ¥33.33 with a ¥10 coupon, so lines carry uneven apportioned amounts.
async fn paid_order(b: Backend) -> Paid {
    let db = TestDb::new(b).await;
    let mut cfg = test_config(&db.url);
    cfg.orders.sandbox_notify_delay_ms = 10;
    cfg.orders.sandbox_duplicates = 1;
    let app = TestApp::spawn_with(db, cfg, true).await;
    let op = app.admin_login("operator").await;
    let (_, c) = body(app.post("/api/v1/admin/categories", Some(&op), &json!({"name": "杯子"})).await).await;
    let (_, p) = body(
        app.post_idem(
            "/api/v1/admin/products",
            Some(&op),
            &json!({
                "product": {"code": "CUP", "category_id": c["id"], "title": "陶瓷杯", "on_shelf": true},
                "skus": [{"code": "CUP-1", "stock": 20, "original_price": 3333, "sale_price": 3333}]
            }),
        )
        .await,
    )
    .await;
    let sku = p["product"]["skus"][0]["id"].as_i64().unwrap();
    let (_, tpl) = body(
        app.post(
            "/api/v1/admin/coupons",
            Some(&op),
            &json!({"name": "减10", "kind": "amount_off", "amount_off": 1000, "scope": {"all": true}, "valid_days": 3}),
        )
        .await,
    )
    .await;
    let buyer = app.buyer_login("refunder").await;
    let (_, coupon) =
        body(app.post(&format!("/api/v1/shop/coupon-templates/{}/claim", tpl["id"]), Some(&buyer), &json!({})).await)
            .await;
    let (_, a) = body(app.post("/api/v1/shop/addresses", Some(&buyer), &json!({"name": "王五", "phone": "13700001111", "province": "北京", "city": "北京", "district": "朝阳", "detail": "1号"})).await).await;
    let (st, o) = body(app.req(Method::POST, "/api/v1/shop/orders", Some(&buyer)).header("Idempotency-Key", "a1").json(&json!({"items": [{"sku_id": sku, "quantity": 3}], "coupon_ids": [coupon["id"]], "address_id": a["id"]})).send().await.unwrap()).await;
    assert_eq!(st, StatusCode::CREATED, "{o}");
    let id = o["id"].as_i64().unwrap();
    let (_, pay) =
        body(app.post(&format!("/api/v1/shop/orders/{id}/pay"), Some(&buyer), &json!({"provider": "sandbox"})).await)
            .await;
    app.post(pay["sandbox_complete_url"].as_str().unwrap(), Some(&buyer), &json!({})).await;
    let order = eventually(15, || async {
        let (_, o) = body(app.get(&format!("/api/v1/shop/orders/{id}"), Some(&buyer)).await).await;
        (o["status"] == "to_ship").then_some(o)
    })
    .await;
    Paid { product: p["product"]["id"].as_i64().unwrap(), app, op, buyer, order }
}

async fn ask(p: &Paid, kind: &str, qty: i64) -> (StatusCode, Value) {
    let id = p.order["id"].as_i64().unwrap();
    let line = p.order["lines"][0]["id"].as_i64().unwrap();
    body(
        p.app
            .post(
                &format!("/api/v1/shop/orders/{id}/aftersales"),
                Some(&p.buyer),
                &json!({"kind": kind, "lines": [{"line_id": line, "quantity": qty}], "reason": "不想要了"}),
            )
            .await,
    )
    .await
}

async fn stock(p: &Paid) -> i64 {
    let (_, v) = body(p.app.get(&format!("/api/v1/admin/products/{}", p.product), Some(&p.op)).await).await;
    v["skus"][0]["stock"].as_i64().unwrap()
}

suite!(partial_refunds_add_up_to_what_was_paid_and_never_more, |b| async move {
    let p = paid_order(b).await;
    let paid_line = p.order["lines"][0]["paid_amount"].as_i64().unwrap();
    assert_eq!(paid_line, 3 * 3333 - 1000);
    let mut refunded = 0;
    for _ in 0..3 {
        let (st, a) = ask(&p, "refund_only", 1).await;
        assert_eq!(st, StatusCode::CREATED, "{a}");
        let (st, a) =
            body(p.app.post(&format!("/api/v1/admin/aftersales/{}/approve", a["id"]), Some(&p.op), &json!({})).await)
                .await;
        assert_eq!((st, a["status"].clone()), (StatusCode::OK, json!("refunded")), "{a}");
        refunded += a["amount"].as_i64().unwrap();
    }
    assert_eq!(refunded, paid_line, "three single-unit refunds return exactly the line's paid amount");
    let (st, v) = ask(&p, "refund_only", 1).await;
    assert_eq!(st, StatusCode::CONFLICT, "nothing left to refund: {v}");
    let id = p.order["id"].as_i64().unwrap();
    let (_, d) = eventually(15, || async {
        let (st, d) = body(p.app.get(&format!("/api/v1/admin/orders/{id}"), Some(&p.op)).await).await;
        (d["refunds"].as_array().is_some_and(|r| r.len() == 3 && r.iter().all(|x| x["status"] == "succeeded"))
            && d["order"]["refunded_amount"] == d["order"]["payable"])
            .then_some((st, d))
    })
    .await;
    assert_eq!(d["order"]["status"], "closed", "refunded in full before shipping closes the order");
    assert_eq!(d["order"]["refunded_amount"], d["order"]["payable"], "shipping refunded too, nothing more");
    assert_eq!(stock(&p).await, 20, "unshipped units went back to stock");
    let (_, w) = body(p.app.get("/api/v1/shop/coupons?view=available", Some(&p.buyer)).await).await;
    assert_eq!(w["total"], 1, "the coupon came back with the full refund");
});

suite!(the_same_units_cannot_be_refunded_twice, |b| async move {
    let p = paid_order(b).await;
    // Two concurrent requests for all three units: one wins.
    let (r1, r2) = tokio::join!(ask(&p, "refund_only", 3), ask(&p, "refund_only", 3));
    let mut s = [r1.0, r2.0];
    s.sort();
    assert_eq!(s, [StatusCode::CREATED, StatusCode::CONFLICT], "{r1:?} {r2:?}");
    let a = if r1.0 == StatusCode::CREATED { r1.1 } else { r2.1 };
    // Approving twice, concurrently: one refund.
    let url = format!("/api/v1/admin/aftersales/{}/approve", a["id"]);
    let empty = json!({});
    let (x, y) = tokio::join!(p.app.post(&url, Some(&p.op), &empty), p.app.post(&url, Some(&p.op), &empty));
    let mut s = [x.status(), y.status()];
    s.sort();
    assert_eq!(s, [StatusCode::OK, StatusCode::CONFLICT]);
    let id = p.order["id"].as_i64().unwrap();
    let (_, d) = body(p.app.get(&format!("/api/v1/admin/orders/{id}"), Some(&p.op)).await).await;
    assert_eq!(d["refunds"].as_array().unwrap().len(), 1);
    // Another buyer cannot ask on this order; finance cannot approve.
    let other = p.app.buyer_login("not-the-buyer").await;
    let line = p.order["lines"][0]["id"].as_i64().unwrap();
    let r = p
        .app
        .post(
            &format!("/api/v1/shop/orders/{id}/aftersales"),
            Some(&other),
            &json!({"kind": "refund_only", "lines": [{"line_id": line, "quantity": 1}], "reason": "x"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let fin = p.app.admin_login("finance").await;
    assert_eq!(p.app.post(&url, Some(&fin), &json!({})).await.status(), StatusCode::FORBIDDEN);
});

suite!(return_and_refund_after_shipping, |b| async move {
    let p = paid_order(b).await;
    let id = p.order["id"].as_i64().unwrap();
    let (st, _) = body(
        p.app
            .post(
                &format!("/api/v1/admin/orders/{id}/ship"),
                Some(&p.op),
                &json!({"carrier": "中通", "tracking_no": "ZT1"}),
            )
            .await,
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(stock(&p).await, 17);
    let (st, a) = ask(&p, "return_refund", 2).await;
    assert_eq!(st, StatusCode::CREATED, "{a}");
    assert_eq!(a["shipping_refund"], 0, "shipping is not refunded once goods shipped");
    let aid = a["id"].as_i64().unwrap();
    // The buyer cannot send it back before approval.
    let r = p
        .app
        .post(
            &format!("/api/v1/shop/aftersales/{aid}/return"),
            Some(&p.buyer),
            &json!({"carrier": "中通", "tracking_no": "ZT2"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let (_, a) =
        body(p.app.post(&format!("/api/v1/admin/aftersales/{aid}/approve"), Some(&p.op), &json!({})).await).await;
    assert_eq!(a["status"], "approved");
    let (_, a) = body(
        p.app
            .post(
                &format!("/api/v1/shop/aftersales/{aid}/return"),
                Some(&p.buyer),
                &json!({"carrier": "中通", "tracking_no": "ZT2"}),
            )
            .await,
    )
    .await;
    assert_eq!(a["status"], "returning");
    let (st, a) =
        body(p.app.post(&format!("/api/v1/admin/aftersales/{aid}/receive"), Some(&p.op), &json!({})).await).await;
    assert_eq!((st, a["status"].clone()), (StatusCode::OK, json!("refunded")), "{a}");
    assert_eq!(stock(&p).await, 19, "returned units are back in stock");
    let (_, q) = body(p.app.get("/api/v1/admin/aftersales?status=refunded", Some(&p.op)).await).await;
    assert_eq!(q["total"], 1);
    let (_, mine) = body(p.app.get("/api/v1/shop/aftersales", Some(&p.buyer)).await).await;
    assert_eq!(mine["items"][0]["amount"], a["amount"]);
});

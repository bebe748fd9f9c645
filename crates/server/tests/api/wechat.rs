//! Paying an order with WeChat Pay, against the local stand-in of the WeChat Pay API.

use minimall_server::config::{Secret, WechatPaySettings};
use minimall_server::payments::wechat::NotificationPayload;
use minimall_server::payments::wechat_standin::StandIn;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::*;
use crate::suite;

suite!(wechat_pay_notification_reconcile_and_refund, |b| async move {
    let wx = StandIn::start().await;
    let c = wx.config("https://shop.example.com/api/v1/payments/wechat/notify");
    let db = TestDb::new(b).await;
    let mut cfg = test_config(&db.url);
    cfg.wechat_pay = Some(WechatPaySettings {
        mchid: c.mchid.clone(),
        appid: c.appid.clone(),
        merchant_serial_no: c.merchant_serial_no.clone(),
        merchant_private_key: Secret::new(c.merchant_private_key_pem.clone()),
        api_v3_key: Secret::new(c.api_v3_key.clone()),
        platform_serial_no: c.platform_serial_no.clone(),
        platform_public_key: c.platform_public_key_pem.clone(),
        base_url: c.base_url.clone(),
        notify_url: c.notify_url.clone(),
    });
    let app = TestApp::spawn_with(db, cfg, true).await;
    let op = app.admin_login("operator").await;
    let (_, cat) = body(app.post("/api/v1/admin/categories", Some(&op), &json!({"name": "茶"})).await).await;
    let (_, p) = body(
        app.post_idem(
            "/api/v1/admin/products",
            Some(&op),
            &json!({
                "product": {"code": "TEA", "category_id": cat["id"], "title": "白茶", "on_shelf": true},
                "skus": [{"code": "TEA-1", "stock": 10, "original_price": 12800, "sale_price": 12800}]
            }),
        )
        .await,
    )
    .await;
    let sku = p["product"]["skus"][0]["id"].as_i64().unwrap();
    let buyer = app.buyer_login("wxbuyer").await;
    let (_, a) = body(app.post("/api/v1/shop/addresses", Some(&buyer), &json!({"name": "赵六", "phone": "13600001111", "province": "广东", "city": "深圳", "district": "南山", "detail": "1号"})).await).await;
    let order = |key: &'static str| {
        let (app, buyer, a) = (&app, buyer.clone(), a["id"].clone());
        async move {
            let (st, o) = body(
                app.req(Method::POST, "/api/v1/shop/orders", Some(&buyer))
                    .header("Idempotency-Key", key)
                    .json(&json!({"items": [{"sku_id": sku, "quantity": 1}], "address_id": a}))
                    .send()
                    .await
                    .unwrap(),
            )
            .await;
            assert_eq!(st, StatusCode::CREATED, "{o}");
            o
        }
    };
    let o1 = order("wx-1").await;
    let id1 = o1["id"].as_i64().unwrap();
    let (st, pay) =
        body(app.post(&format!("/api/v1/shop/orders/{id1}/pay"), Some(&buyer), &json!({"provider": "wechat"})).await)
            .await;
    assert_eq!(st, StatusCode::OK, "{pay}");
    let params = &pay["wx_request_payment"];
    assert!(params["package"].as_str().unwrap().starts_with("prepay_id="), "{pay}");
    assert_eq!(params["signType"], "RSA");
    assert!(wx.requests().iter().all(|r| r.signature_ok), "every request to WeChat was signed correctly");

    // WeChat notifies three times; one payment.
    let t = wx.pay(pay["out_trade_no"].as_str().unwrap());
    let (headers, nbody) = wx.signed_notification(&NotificationPayload::Transaction(t));
    let send = |headers: Vec<(String, String)>, body: Vec<u8>| {
        let app = &app;
        async move {
            let mut r = app
                .req(Method::POST, "/api/v1/payments/wechat/notify", None)
                .header("content-type", "application/json");
            for (k, v) in headers {
                r = r.header(k, v);
            }
            r.body(body).send().await.unwrap().status()
        }
    };
    for _ in 0..3 {
        assert_eq!(send(headers.clone(), nbody.clone()).await, StatusCode::OK);
    }
    let mut tampered = nbody.clone();
    let mid = tampered.len() / 2;
    tampered[mid] ^= 1;
    assert_eq!(send(headers.clone(), tampered).await, StatusCode::UNAUTHORIZED);
    let (_, d) = body(app.get(&format!("/api/v1/admin/orders/{id1}"), Some(&op)).await).await;
    assert_eq!(d["order"]["status"], "to_ship");
    assert_eq!(d["payment"]["provider"], "wechat");
    assert_eq!(d["timeline"].as_array().unwrap().iter().filter(|e| e["kind"] == "paid").count(), 1);

    // Refund through WeChat: processing, then settled by the refund notification.
    let line = d["order"]["lines"][0]["id"].as_i64().unwrap();
    let (st, af) = body(
        app.post(
            &format!("/api/v1/shop/orders/{id1}/aftersales"),
            Some(&buyer),
            &json!({"kind": "refund_only", "lines": [{"line_id": line, "quantity": 1}], "reason": "不要了"}),
        )
        .await,
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{af}");
    let (st, _) =
        body(app.post(&format!("/api/v1/admin/aftersales/{}/approve", af["id"]), Some(&op), &json!({})).await).await;
    assert_eq!(st, StatusCode::OK);
    let out_refund_no = eventually(15, || async {
        let (_, d) = body(app.get(&format!("/api/v1/admin/orders/{id1}"), Some(&op)).await).await;
        d["refunds"][0]["out_refund_no"]
            .as_str()
            .map(str::to_string)
            .filter(|_| wx.refunded_fen(o1["order_no"].as_str().unwrap()) > 0)
    })
    .await;
    assert_eq!(wx.refunded_fen(o1["order_no"].as_str().unwrap()), 12800);
    let notice = wx.refund_notice(&out_refund_no);
    let (h, rb) = wx.signed_notification(&NotificationPayload::Refund(notice));
    assert_eq!(send(h.clone(), rb.clone()).await, StatusCode::OK);
    assert_eq!(send(h, rb).await, StatusCode::OK);
    let (_, d) = body(app.get(&format!("/api/v1/admin/orders/{id1}"), Some(&op)).await).await;
    assert_eq!(d["refunds"][0]["status"], "succeeded");
    assert_eq!(d["order"]["refunded_amount"], 12800, "refunded once");
});

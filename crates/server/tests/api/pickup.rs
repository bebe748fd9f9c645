use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::*;
use crate::suite;

suite!(pickup_code_is_verified_once_by_a_clerk_of_the_same_merchant, |b| async move {
    let db = TestDb::new(b).await;
    let mut cfg = test_config(&db.url);
    cfg.orders.sandbox_notify_delay_ms = 10;
    let app = TestApp::spawn_with(db, cfg, true).await;
    let owner = app.admin_login("admin").await;
    let op = app.admin_login("operator").await;
    let (st, store) = body(
        app.post(
            "/api/v1/admin/stores",
            Some(&owner),
            &json!({"name": "西湖店", "address": "文三路 90 号", "hours": "09:00-21:00"}),
        )
        .await,
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{store}");
    let (_, c) = body(app.post("/api/v1/admin/categories", Some(&op), &json!({"name": "蛋糕"})).await).await;
    let (_, p) = body(
        app.post_idem(
            "/api/v1/admin/products",
            Some(&op),
            &json!({
                "product": {"code": "CAKE", "category_id": c["id"], "title": "草莓蛋糕", "on_shelf": true},
                "skus": [{"code": "CAKE-1", "stock": 5, "original_price": 16800, "sale_price": 16800}]
            }),
        )
        .await,
    )
    .await;
    let sku = p["product"]["skus"][0]["id"].as_i64().unwrap();
    let buyer = app.buyer_login("picker").await;
    let (_, stores) = body(app.get("/api/v1/shop/stores", None).await).await;
    assert_eq!(stores["total"], 1);
    let (st, v) = body(
        app.req(Method::POST, "/api/v1/shop/orders", Some(&buyer))
            .header("Idempotency-Key", "p0")
            .json(&json!({"items": [{"sku_id": sku, "quantity": 1}], "delivery": "pickup"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((st, v["error"]["field"].clone()), (StatusCode::UNPROCESSABLE_ENTITY, json!("store_id")));
    let (st, o) = body(
        app.req(Method::POST, "/api/v1/shop/orders", Some(&buyer))
            .header("Idempotency-Key", "p1")
            .json(&json!({"items": [{"sku_id": sku, "quantity": 1}], "delivery": "pickup", "store_id": store["id"]}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{o}");
    assert_eq!(o["delivery"], "pickup");
    assert_eq!(o["shipping"], 0);
    assert!(o["pickup_code"].is_null(), "no code before payment");
    let id = o["id"].as_i64().unwrap();
    assert_eq!(
        app.get(&format!("/api/v1/shop/orders/{id}/pickup-qr"), Some(&buyer)).await.status(),
        StatusCode::CONFLICT
    );
    let (_, pay) =
        body(app.post(&format!("/api/v1/shop/orders/{id}/pay"), Some(&buyer), &json!({"provider": "sandbox"})).await)
            .await;
    app.post(pay["sandbox_complete_url"].as_str().unwrap(), Some(&buyer), &json!({})).await;
    let o = eventually(15, || async {
        let (_, o) = body(app.get(&format!("/api/v1/shop/orders/{id}"), Some(&buyer)).await).await;
        (o["status"] == "to_ship").then_some(o)
    })
    .await;
    let code = o["pickup_code"].as_str().unwrap().to_string();
    assert_eq!(code.len(), 12);
    let qr = app.get(&format!("/api/v1/shop/orders/{id}/pickup-qr"), Some(&buyer)).await;
    assert_eq!(qr.status(), StatusCode::OK);
    assert!(qr.text().await.unwrap().contains("<svg"));

    // A clerk of another merchant cannot verify this code.
    let other = app.store().create_merchant("other", "另一家店").await.unwrap();
    let hash = minimall_server::accounts::auth::hash_password(PASSWORD.into()).await.unwrap();
    let mut tx = app.store().begin().await.unwrap();
    app.store()
        .insert_admin(
            &mut tx,
            &minimall_store::admins::NewAdmin {
                merchant_id: other.id,
                username: "clerk",
                display_name: "别家店员",
                password_hash: &hash,
                role: "clerk",
            },
        )
        .await
        .unwrap();
    minimall_store::commit(tx).await.unwrap();
    let foreign = {
        let token = minimall_server::accounts::auth::new_token("mma_");
        let admin_id = app.store().admin_by_username(other.id, "clerk").await.unwrap().unwrap().id;
        app.store()
            .create_session(
                &minimall_server::accounts::auth::token_hash(&token),
                "admin",
                admin_id,
                other.id,
                3_600_000,
            )
            .await
            .unwrap();
        token
    };
    let r = app.post("/api/v1/admin/pickup/verify", Some(&foreign), &json!({"code": code})).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    // Customer service may not verify; the clerk may not read orders.
    let svc = app.admin_login("service").await;
    assert_eq!(
        app.post("/api/v1/admin/pickup/verify", Some(&svc), &json!({"code": code})).await.status(),
        StatusCode::FORBIDDEN
    );
    let clerk = app.admin_login("clerk").await;
    assert_eq!(app.get("/api/v1/admin/orders", Some(&clerk)).await.status(), StatusCode::FORBIDDEN);
    assert_field_error(
        app.post("/api/v1/admin/pickup/verify", Some(&clerk), &json!({"code": "12ab"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "code",
    )
    .await;
    // Verified once.
    let (st, v) = body(app.post("/api/v1/admin/pickup/verify", Some(&clerk), &json!({"code": code})).await).await;
    assert_eq!((st, v["status"].clone()), (StatusCode::OK, json!("received")), "{v}");
    assert!(v["picked_up_at"].as_i64().is_some());
    let (st, _) = body(app.post("/api/v1/admin/pickup/verify", Some(&clerk), &json!({"code": code})).await).await;
    assert_eq!(st, StatusCode::CONFLICT);
});

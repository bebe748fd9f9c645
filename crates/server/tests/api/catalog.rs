use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::*;
use crate::suite;

async fn category(app: &TestApp, t: &str, name: &str, parent: Option<i64>) -> i64 {
    let (s, v) =
        body(app.post("/api/v1/admin/categories", Some(t), &json!({"name": name, "parent_id": parent})).await).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["id"].as_i64().unwrap()
}

fn shirt(code: &str, category_id: i64) -> Value {
    let mut skus = Vec::new();
    for (ci, c) in ["红", "蓝"].iter().enumerate() {
        for (si, sz) in ["S", "M", "L"].iter().enumerate() {
            skus.push(json!({
                "code": format!("{code}-{ci}{si}"), "spec": [c, sz], "stock": 10 + si as i64,
                "original_price": 9900, "sale_price": 7900 + 100 * si as i64, "cost_price": 3000, "weight_g": 250, "safety_stock": 3
            }));
        }
    }
    json!({
        "product": {
            "code": code, "category_id": category_id, "title": "纯棉圆领T恤 夏季新款", "subtitle": "透气舒适",
            "description": "<p>100% 棉</p>", "images": ["/img/placeholder/1.svg"], "tags": ["新品", "热卖"],
            "on_shelf": false, "lifecycle": "growing", "free_shipping": true, "earns_points": false,
            "coupons_usable": false, "purchase_limit": 3
        },
        "specs": [{"name": "颜色", "values": ["红", "蓝"]}, {"name": "尺码", "values": ["S", "M", "L"]}],
        "skus": skus
    })
}

/// An operator of a shop that lets operators see and set cost prices (the products here carry a cost).
async fn cost_operator(app: &TestApp) -> String {
    let owner = app.admin_login("admin").await;
    let r = app.put("/api/v1/admin/settings/roles", Some(&owner), &json!({"operator_reads_cost": true})).await;
    assert_eq!(r.status(), StatusCode::OK);
    app.admin_login("operator").await
}

async fn create(app: &TestApp, t: &str, body_json: &Value) -> Value {
    let (s, v) = body(app.post_idem("/api/v1/admin/products", Some(t), body_json).await).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["product"].clone()
}

suite!(category_tree_rules, |b| async move {
    let app = TestApp::spawn(b).await;
    let t = cost_operator(&app).await;
    let food = category(&app, &t, "食品", None).await;
    let fruit = category(&app, &t, "水果", Some(food)).await;
    let orange = category(&app, &t, "橙子", Some(fruit)).await;
    assert_field_error(
        app.post("/api/v1/admin/categories", Some(&t), &json!({"name": "脐橙", "parent_id": orange})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "parent_id",
    )
    .await;
    assert_field_error(
        app.post("/api/v1/admin/categories", Some(&t), &json!({"name": "水果", "parent_id": food})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "name",
    )
    .await;
    assert_field_error(
        app.post("/api/v1/admin/categories", Some(&t), &json!({"name": "", "parent_id": food})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "name",
    )
    .await;
    // Moving under its own descendant is refused; so is making the tree four deep.
    let r = app
        .req(Method::PATCH, &format!("/api/v1/admin/categories/{food}"), Some(&t))
        .json(&json!({"parent_id": orange}))
        .send()
        .await
        .unwrap();
    assert_field_error(r, StatusCode::UNPROCESSABLE_ENTITY, "parent_id").await;
    let other = category(&app, &t, "其他", None).await;
    let r = app
        .req(Method::PATCH, &format!("/api/v1/admin/categories/{food}"), Some(&t))
        .json(&json!({"parent_id": other}))
        .send()
        .await
        .unwrap();
    assert_field_error(r, StatusCode::UNPROCESSABLE_ENTITY, "parent_id").await;
    // Moving 水果 (two levels) under 其他 works and re-levels 橙子.
    let r = app
        .req(Method::PATCH, &format!("/api/v1/admin/categories/{fruit}"), Some(&t))
        .json(&json!({"parent_id": other, "sort": 9}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let (_, tree) = body(app.get("/api/v1/shop/categories", None).await).await;
    let roots = tree["items"].as_array().unwrap();
    let other_node = roots.iter().find(|n| n["id"] == other).unwrap();
    assert_eq!(other_node["children"][0]["id"], fruit);
    assert_eq!(other_node["children"][0]["children"][0]["depth"], 3);
    // A non-empty category cannot be deleted; an empty one can.
    assert_eq!(
        app.req(Method::DELETE, &format!("/api/v1/admin/categories/{other}"), Some(&t)).send().await.unwrap().status(),
        StatusCode::CONFLICT
    );
    create(&app, &t, &shirt("TEE1", orange)).await;
    assert_eq!(
        app.req(Method::DELETE, &format!("/api/v1/admin/categories/{orange}"), Some(&t)).send().await.unwrap().status(),
        StatusCode::CONFLICT
    );
    assert_eq!(
        app.req(Method::DELETE, &format!("/api/v1/admin/categories/{food}"), Some(&t)).send().await.unwrap().status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.req(Method::DELETE, &format!("/api/v1/admin/categories/{food}"), Some(&t)).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
});

suite!(sku_matrix_and_flags_round_trip_and_buyers_see_only_on_shelf, |b| async move {
    let app = TestApp::spawn(b).await;
    let t = cost_operator(&app).await;
    let c = category(&app, &t, "服装", None).await;
    let p = create(&app, &t, &shirt("TEE2", c)).await;
    let id = p["id"].as_i64().unwrap();
    let (_, got) = body(app.get(&format!("/api/v1/admin/products/{id}"), Some(&t)).await).await;
    assert_eq!(got["skus"].as_array().unwrap().len(), 6);
    assert_eq!(got["specs"][1]["values"], json!(["S", "M", "L"]));
    assert_eq!(got["skus"][4]["spec"], json!(["蓝", "M"]));
    assert_eq!(got["skus"][0]["cost_price"], 3000);
    for (k, v) in [
        ("free_shipping", json!(true)),
        ("earns_points", json!(false)),
        ("coupons_usable", json!(false)),
        ("purchase_limit", json!(3)),
        ("lifecycle", json!("growing")),
        ("tags", json!(["新品", "热卖"])),
    ] {
        assert_eq!(got[k], v, "{k}");
    }
    assert_eq!(got["min_price"], 7900);
    assert_eq!(got["max_price"], 8100);
    assert_eq!(got["total_stock"], 66);
    assert_eq!(got["category_path"], json!(["服装"]));

    // Off the shelf: invisible to buyers.
    assert_eq!(app.get(&format!("/api/v1/shop/products/{id}"), None).await.status(), StatusCode::NOT_FOUND);
    let (_, list) = body(app.get("/api/v1/shop/products", None).await).await;
    assert_eq!(list["total"], 0);
    let (s, _) =
        body(app.post("/api/v1/admin/products/shelf", Some(&t), &json!({"ids": [id], "on_shelf": true})).await).await;
    assert_eq!(s, StatusCode::OK);
    let (s, shop) = body(app.get(&format!("/api/v1/shop/products/{id}"), None).await).await;
    assert_eq!(s, StatusCode::OK, "{shop}");
    assert_eq!(shop["free_shipping"], true);
    assert_eq!(shop["coupons_usable"], false);
    assert!(shop["skus"][0].get("cost_price").is_none(), "buyers never see cost");
    assert_eq!(shop["skus"][0]["stock_status"], "in_stock");
    // Chinese keyword search without spaces, and category filter including descendants.
    let sub = category(&app, &t, "短袖", Some(c)).await;
    let mut other = shirt("TEE3", sub);
    other["product"]["title"] = json!("速干运动短袖");
    other["product"]["on_shelf"] = json!(true);
    for s in other["skus"].as_array_mut().unwrap() {
        s["sale_price"] = json!(5000);
    }
    create(&app, &t, &other).await;
    let (_, found) = body(app.get("/api/v1/shop/products?q=%E5%9C%86%E9%A2%86", None).await).await; // 圆领
    assert_eq!(found["total"], 1, "{found}");
    assert_eq!(found["items"][0]["id"], id);
    let (_, in_cat) = body(app.get(&format!("/api/v1/shop/products?category_id={c}"), None).await).await;
    assert_eq!(in_cat["total"], 2);
    let (_, by_price) = body(app.get("/api/v1/shop/products?sort=price_asc", None).await).await;
    assert_eq!(by_price["items"][0]["min_price"], 5000);
    assert_field_error(
        app.get("/api/v1/shop/products?sort=cheap", None).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "sort",
    )
    .await;
    // Shelf off again: gone at once.
    app.post("/api/v1/admin/products/shelf", Some(&t), &json!({"ids": [id], "on_shelf": false})).await;
    assert_eq!(app.get(&format!("/api/v1/shop/products/{id}"), None).await.status(), StatusCode::NOT_FOUND);
    let (_, found) = body(app.get("/api/v1/shop/products?q=%E5%9C%86%E9%A2%86", None).await).await;
    assert_eq!(found["total"], 0);
});

suite!(product_validation_names_the_field, |b| async move {
    let app = TestApp::spawn(b).await;
    let t = cost_operator(&app).await;
    let c = category(&app, &t, "服装", None).await;
    let url = "/api/v1/admin/products";
    let mut p = shirt("BAD1", c);
    p["skus"][2]["sale_price"] = json!(12000);
    assert_field_error(app.post_idem(url, Some(&t), &p).await, StatusCode::UNPROCESSABLE_ENTITY, "skus[2].sale_price")
        .await;
    p["skus"][2]["price_above_original"] = json!(true);
    p["skus"][3]["barcode"] = json!("6901234567891");
    assert_field_error(app.post_idem(url, Some(&t), &p).await, StatusCode::UNPROCESSABLE_ENTITY, "skus[3].barcode")
        .await;
    p["skus"][3]["barcode"] = json!("6901234567892");
    p["skus"][1]["stock"] = json!(-1);
    assert_field_error(app.post_idem(url, Some(&t), &p).await, StatusCode::UNPROCESSABLE_ENTITY, "skus[1].stock").await;
    p["skus"][1]["stock"] = json!(1);
    p["skus"][5]["spec"] = json!(["绿", "L"]);
    let (s, v) = body(app.post_idem(url, Some(&t), &p).await).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(v["error"]["field"].as_str().unwrap().starts_with("skus[5]"), "{v}");
    p["skus"][5]["spec"] = json!(["蓝", "L"]);
    p["skus"][5]["original_price"] = json!(-5);
    assert_field_error(
        app.post_idem(url, Some(&t), &p).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "skus[5].original_price",
    )
    .await;
    p["skus"][5]["original_price"] = json!(9900);
    p["product"]["category_id"] = json!(999999);
    assert_field_error(app.post_idem(url, Some(&t), &p).await, StatusCode::UNPROCESSABLE_ENTITY, "category_id").await;
    p["product"]["category_id"] = json!(c);
    p["product"]["lifecycle"] = json!("dead");
    assert_field_error(app.post_idem(url, Some(&t), &p).await, StatusCode::UNPROCESSABLE_ENTITY, "lifecycle").await;
    p["product"]["lifecycle"] = json!("new");
    // Without an Idempotency-Key, stock-setting creates are refused.
    assert_field_error(app.post(url, Some(&t), &p).await, StatusCode::UNPROCESSABLE_ENTITY, "Idempotency-Key").await;
    create(&app, &t, &p).await;
    // The same product code again.
    let (s, v) = body(app.post_idem(url, Some(&t), &p).await).await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    let (_, list) = body(app.get("/api/v1/admin/products", Some(&t)).await).await;
    assert_eq!(list["total"], 1, "nothing half-written");
});

suite!(stock_never_negative_under_concurrent_decrements_and_movements_sum_to_stock, |b| async move {
    let app = TestApp::spawn(b).await;
    let t = cost_operator(&app).await;
    let c = category(&app, &t, "水果", None).await;
    let p = create(
        &app,
        &t,
        &json!({
            "product": {"code": "ORANGE", "category_id": c, "title": "赣南脐橙 10斤装", "on_shelf": true},
            "skus": [{"code": "ORANGE-10", "stock": 30, "original_price": 10000, "sale_price": 8800, "safety_stock": 5}]
        }),
    )
    .await;
    let sku = p["skus"][0]["id"].as_i64().unwrap();
    let url = format!("/api/v1/admin/skus/{sku}/stock");
    let futs = (0..50).map(|_| {
        let app = &app;
        let t = t.clone();
        let url = url.clone();
        async move { app.post_idem(&url, Some(&t), &json!({"delta": -1, "note": "盘点"})).await.status() }
    });
    let statuses = futures_util::future::join_all(futs).await;
    let ok = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    let refused = statuses.iter().filter(|s| **s == StatusCode::CONFLICT).count();
    assert_eq!((ok, refused), (30, 20), "{statuses:?}");
    let (_, got) = body(app.get(&format!("/api/v1/admin/products/{}", p["id"]), Some(&t)).await).await;
    assert_eq!(got["skus"][0]["stock"], 0);
    let (_, mv) = body(app.get(&format!("/api/v1/admin/skus/{sku}/movements?page_size=100"), Some(&t)).await).await;
    assert_eq!(mv["total"], 31);
    let sum: i64 = mv["items"].as_array().unwrap().iter().map(|m| m["delta"].as_i64().unwrap()).sum();
    assert_eq!(sum, 0, "movements sum to the stock");
    assert!(mv["items"].as_array().unwrap().iter().all(|m| m["balance_after"].as_i64().unwrap() >= 0));
    assert_eq!(mv["items"].as_array().unwrap().last().unwrap()["reason"], "initial");
    // One low-stock alert was opened when the threshold was crossed; buyers see it sold out.
    let (_, alerts) = body(app.get("/api/v1/admin/stock-alerts", Some(&t)).await).await;
    assert_eq!(alerts["total"], 1, "{alerts}");
    assert_eq!(alerts["items"][0]["sku_id"], sku);
    let (_, shop) = body(app.get(&format!("/api/v1/shop/products/{}", p["id"]), None).await).await;
    assert_eq!(shop["skus"][0]["stock_status"], "sold_out");
    // Restocking resolves the alert.
    let r = app.post_idem(&url, Some(&t), &json!({"delta": 100})).await;
    assert_eq!(r.status(), StatusCode::OK);
    let (_, alerts) = body(app.get("/api/v1/admin/stock-alerts", Some(&t)).await).await;
    assert_eq!(alerts["total"], 0);
    assert_field_error(
        app.post_idem(&url, Some(&t), &json!({"delta": 0})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "delta",
    )
    .await;
    assert_field_error(app.post_idem(&url, Some(&t), &json!({"delta": -1000})).await, StatusCode::CONFLICT, "delta")
        .await;
    assert_field_error(
        app.post_idem(&url, Some(&t), &json!({"delta": 1, "reason": "sale"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "reason",
    )
    .await;
});

suite!(a_price_change_is_read_back_at_once, |b| async move {
    let app = TestApp::spawn(b).await;
    let t = app.admin_login("operator").await;
    let c = category(&app, &t, "水果", None).await;
    let p = create(
        &app,
        &t,
        &json!({
            "product": {"code": "APPLE", "category_id": c, "title": "烟台红富士苹果", "on_shelf": true},
            "skus": [{"code": "APPLE-5", "stock": 30, "original_price": 5000, "sale_price": 3900}]
        }),
    )
    .await;
    let id = p["id"].as_i64().unwrap();
    for _ in 0..3 {
        let (_, v) = body(app.get(&format!("/api/v1/shop/products/{id}"), None).await).await;
        assert_eq!(v["skus"][0]["sale_price"], 3900);
        let (_, l) = body(app.get("/api/v1/shop/products", None).await).await;
        assert_eq!(l["items"][0]["min_price"], 3900);
    }
    let r = app
        .put(
            &format!("/api/v1/admin/products/{id}/skus"),
            Some(&t),
            &json!({
                "skus": [{"code": "APPLE-5", "original_price": 5000, "sale_price": 3500}]
            }),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let (_, v) = body(app.get(&format!("/api/v1/shop/products/{id}"), None).await).await;
    assert_eq!(v["skus"][0]["sale_price"], 3500, "no stale price after a write");
    let (_, l) = body(app.get("/api/v1/shop/products", None).await).await;
    assert_eq!(l["items"][0]["min_price"], 3500);
    // A product-level edit, too.
    let mut edit = json!({"code": "APPLE", "category_id": c, "title": "烟台苹果 脆甜", "on_shelf": true});
    let (s, v) = body(app.put(&format!("/api/v1/admin/products/{id}"), Some(&t), &edit).await).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (_, v) = body(app.get(&format!("/api/v1/shop/products/{id}"), None).await).await;
    assert_eq!(v["title"], "烟台苹果 脆甜");
    edit["title"] = json!("");
    assert_field_error(
        app.put(&format!("/api/v1/admin/products/{id}"), Some(&t), &edit).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "title",
    )
    .await;
});

suite!(banned_words_and_script_removal, |b| async move {
    let app = TestApp::spawn(b).await;
    let t = app.admin_login("operator").await;
    let c = category(&app, &t, "美妆", None).await;
    let mut p = json!({
        "product": {"code": "CREAM", "category_id": c, "title": "全网最低价 国家级面霜", "description": "<p>史上好用</p>"},
        "skus": [{"code": "CREAM-1", "stock": 3, "original_price": 20000, "sale_price": 19900}]
    });
    let (s, v) = body(app.post_idem("/api/v1/admin/products", Some(&t), &p).await).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["error"]["code"], "banned_words");
    let hits = v["error"]["details"]["hits"].as_array().unwrap();
    let found: Vec<(String, String)> =
        hits.iter().map(|h| (h["word"].as_str().unwrap().into(), h["field"].as_str().unwrap().into())).collect();
    assert!(found.contains(&("全网最低".into(), "title".into())), "{found:?}");
    assert!(found.contains(&("国家级".into(), "title".into())), "{found:?}");
    assert!(found.contains(&("史上".into(), "description".into())), "{found:?}");
    assert_eq!(hits.iter().find(|h| h["word"] == "国家级").unwrap()["position"], 6);

    // Warn mode (owner setting): saved, with warnings.
    let owner = app.admin_login("admin").await;
    let op_denied =
        app.put("/api/v1/admin/settings/banned-words", Some(&t), &json!({"mode": "warn", "words": ["最"]})).await;
    assert_eq!(op_denied.status(), StatusCode::FORBIDDEN);
    let (s, v) = body(
        app.put(
            "/api/v1/admin/settings/banned-words",
            Some(&owner),
            &json!({"mode": "warn", "words": ["国家级", "史上", "全网最低"]}),
        )
        .await,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    p["product"]["description"] = json!("<p onclick=\"steal()\">史上好用<script>alert(1)</script><img src=x onerror=alert(2)><a href=\"javascript:alert(3)\">看</a></p>");
    let (s, v) = body(app.post_idem("/api/v1/admin/products", Some(&t), &p).await).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert!(v["warnings"].as_array().unwrap().len() >= 3, "{v}");
    let d = v["product"]["description"].as_str().unwrap();
    for bad in ["<script", "onerror", "onclick", "javascript:"] {
        assert!(!d.contains(bad), "{bad} survived: {d}");
    }
    assert!(d.contains("史上好用"));
    assert_field_error(
        app.put("/api/v1/admin/settings/banned-words", Some(&owner), &json!({"mode": "loud", "words": []})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "mode",
    )
    .await;
});

suite!(catalog_roles, |b| async move {
    let app = TestApp::spawn(b).await;
    let op = app.admin_login("operator").await;
    let c = category(&app, &op, "数码", None).await;
    for user in ["finance", "service"] {
        let tk = app.admin_login(user).await;
        assert_eq!(app.get("/api/v1/admin/products", Some(&tk)).await.status(), StatusCode::OK, "{user} reads");
        let r = app.post_idem("/api/v1/admin/products", Some(&tk), &shirt("X", c)).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{user} may not create");
        let r = app.post("/api/v1/admin/categories", Some(&tk), &json!({"name": "x"})).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
    }
    let buyer = app.buyer_login("buyer001").await;
    assert_eq!(app.get("/api/v1/admin/products", Some(&buyer)).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.get("/api/v1/admin/products", None).await.status(), StatusCode::UNAUTHORIZED);
});

suite!(image_upload_is_typed_and_cached, |b| async move {
    let app = TestApp::spawn(b).await;
    let op = app.admin_login("operator").await;
    let png: Vec<u8> = [&[0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a][..], b"fake-but-typed-body"].concat();
    let r = app
        .req(Method::POST, "/api/v1/admin/uploads", Some(&op))
        .header("content-type", "image/png")
        .body(png.clone())
        .send()
        .await
        .unwrap();
    let (s, v) = body(r).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let url = v["url"].as_str().unwrap().to_string();
    let r = app.get(&url, None).await;
    assert_eq!(r.status(), StatusCode::OK, "{url}");
    assert!(r.headers()["cache-control"].to_str().unwrap().contains("immutable"));
    assert_eq!(r.bytes().await.unwrap().to_vec(), png);
    let r = app
        .req(Method::POST, "/api/v1/admin/uploads", Some(&op))
        .header("content-type", "image/png")
        .body("<svg onload=alert(1)>")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let r = app
        .req(Method::POST, "/api/v1/admin/uploads", Some(&op))
        .header("content-type", "image/png")
        .body(vec![0u8; 6 * 1024 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(app.get("/uploads/..%2F..%2Fetc%2Fpasswd", None).await.status(), StatusCode::NOT_FOUND);
});

//! Input at the edges: spreadsheet formulas in exports, image URLs, and the error envelope of every
//! refusal (path parameters, long query strings, JSON bodies, numbers at the ends of their range).

use reqwest::header::{ACCEPT, CONTENT_SECURITY_POLICY, CONTENT_TYPE, COOKIE};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::*;
use crate::suite;

async fn category(app: &TestApp, t: &str) -> i64 {
    let (s, v) =
        body(app.post("/api/v1/admin/categories", Some(t), &json!({"name": "水果", "parent_id": null})).await).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["id"].as_i64().unwrap()
}

fn product(code: &str, category_id: i64, title: &str, images: Value) -> Value {
    json!({
        "product": {
            "code": code, "category_id": category_id, "title": title, "subtitle": "-10% 限时",
            "description": "<p>@大促</p>", "images": images, "tags": ["+1", "新品"],
            "on_shelf": true, "lifecycle": "new", "free_shipping": false, "earns_points": true,
            "coupons_usable": true, "purchase_limit": 0
        },
        "specs": [],
        "skus": [{"code": format!("{code}-1"), "spec": [], "stock": 5, "original_price": 1990, "sale_price": 1590,
                  "cost_price": 800, "weight_g": 100, "safety_stock": 0}]
    })
}

async fn export(app: &TestApp, t: &str) -> String {
    let r = app.get("/api/v1/admin/products/export", Some(t)).await;
    assert_eq!(r.status(), StatusCode::OK);
    String::from_utf8(r.bytes().await.unwrap().to_vec()).unwrap()
}

async fn import(app: &TestApp, t: &str, text: &str, dry: bool) -> (StatusCode, Value) {
    let url = format!("/api/v1/admin/products/import?dry_run={dry}");
    body(
        app.req(Method::POST, &url, Some(t))
            .header(CONTENT_TYPE, "text/csv")
            .body(text.to_string())
            .send()
            .await
            .unwrap(),
    )
    .await
}

const HYPERLINK: &str = "=HYPERLINK(\"http://evil.example\",\"x\")";

suite!(exports_write_formulas_as_text_and_import_them_back_exactly, |b| async move {
    let app = TestApp::spawn(b).await;
    let t = app.admin_login("admin").await;
    let cat = category(&app, &t).await;
    let (s, v) = body(
        app.post_idem(
            "/api/v1/admin/products",
            Some(&t),
            &product("-P1", cat, HYPERLINK, json!(["/img/placeholder/1.svg"])),
        )
        .await,
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let id = v["product"]["id"].as_i64().unwrap();

    let csv = export(&app, &t).await;
    let row = csv.split("\r\n").nth(1).unwrap();
    assert!(row.starts_with("'-P1,\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"x\"\")\",'-10% 限时,"), "{row}");
    assert!(row.contains(",'+1|新品,"), "{row}");
    // Every cell of every row: none starts like a formula; numbers are plain numbers.
    for line in csv.trim_start_matches('\u{feff}').split("\r\n").skip(1).filter(|l| !l.is_empty()) {
        for cell in split_cells(line) {
            assert!(!cell.starts_with(['=', '+', '-', '@', '\t', '\r']), "{cell:?} in {line}");
        }
        assert!(line.ends_with(",5,19.90,15.90,8.00,100,0"), "{line}");
    }

    // The file imports back into the same shop as an update that changes nothing …
    let (s, v) = import(&app, &t, &csv, true).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["errors"], json!([]), "{v}");
    assert_eq!(v["updated_products"], 1, "{v}");
    // … and into another shop as the same product, title and all.
    let other = TestApp::spawn(b).await;
    let t2 = other.admin_login("admin").await;
    let (s, v) = import(&other, &t2, &csv, false).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    let job = v["id"].as_i64().unwrap();
    let done = eventually(20, || async {
        let (_, v) = body(other.get(&format!("/api/v1/admin/imports/{job}"), Some(&t2)).await).await;
        (v["status"] == "done" || v["status"] == "failed").then_some(v)
    })
    .await;
    assert_eq!(done["status"], "done", "{done}");
    assert_eq!(export(&other, &t2).await, csv);
    let (_, list) = body(other.get("/api/v1/admin/products", Some(&t2)).await).await;
    assert_eq!(list["items"][0]["title"], HYPERLINK, "{list}");
    let (_, mine) = body(app.get(&format!("/api/v1/admin/products/{id}"), Some(&t)).await).await;
    assert_eq!(mine["title"], HYPERLINK);
    assert_eq!(mine["subtitle"], "-10% 限时");

    // The order export neutralises its text cells too and keeps amounts as numbers.
    let orders = app.get("/api/v1/admin/orders/export", Some(&t)).await.text().await.unwrap();
    for line in orders.trim_start_matches('\u{feff}').split("\r\n").filter(|l| !l.is_empty()) {
        for cell in split_cells(line) {
            assert!(!cell.starts_with(['=', '+', '@', '\t', '\r']), "{cell:?} in {line}");
        }
    }
});

/// The cells of one CSV line (quoted cells unquoted; no line breaks inside them here).
fn split_cells(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(ch) = chars.next() {
        match ch {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut cur)),
            _ => cur.push(ch),
        }
    }
    out.push(cur);
    out
}

suite!(product_images_are_own_uploads_or_cdn_hosts, |b| async move {
    let db = TestDb::new(b).await;
    let mut cfg = test_config(&db.url);
    cfg.cdn_hosts = vec!["cdn.example.com".into()];
    let app = TestApp::spawn_with(db, cfg, true).await;
    let t = app.admin_login("operator").await;
    // Operators do not set cost prices (the shop's default).
    let product = |code: &str, category_id: i64, title: &str, images: Value| {
        let mut p = product(code, category_id, title, images);
        p["skus"][0].as_object_mut().unwrap().remove("cost_price");
        p
    };
    let cat = category(&app, &t).await;
    let png = [&[0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a][..], &[0u8; 32]].concat();
    let (s, up) = body(
        app.req(Method::POST, "/api/v1/admin/uploads", Some(&t))
            .header(CONTENT_TYPE, "image/png")
            .body(png)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{up}");
    let upload = up["url"].as_str().unwrap().to_string();

    for (i, bad) in [
        "/uploads/../../etc/passwd",
        "/uploads/..%2F..%2Fetc%2Fpasswd",
        "/uploads/%2e%2e/x.png",
        "/uploads/a/../../b.png",
        "http://cdn.example.com/a.jpg",
        "https://evil.example/a.jpg",
        "https://cdn.example.com.evil.example/a.jpg",
        "https://cdn.example.com@evil.example/a.jpg",
        "https://cdn.example.com/a/../../b.jpg",
        "//evil.example/a.jpg",
        "javascript:alert(1)",
        "/etc/passwd",
    ]
    .into_iter()
    .enumerate()
    {
        let images = json!([upload, bad]);
        assert_field_error(
            app.post_idem("/api/v1/admin/products", Some(&t), &product(&format!("B{i}"), cat, "橙子", images)).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "images[1]",
        )
        .await;
    }
    let good = json!([
        upload,
        "/img/placeholder/7.svg",
        "https://cdn.example.com/p/a.jpg",
        "https://CDN.example.com/b.png?w=200"
    ]);
    let (s, v) =
        body(app.post_idem("/api/v1/admin/products", Some(&t), &product("G1", cat, "橙子", good.clone())).await).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["product"]["images"], good);
    let id = v["product"]["id"].as_i64().unwrap();
    // Editing refuses the same way.
    let mut p = product("G1", cat, "橙子", json!(["/uploads/../../etc/passwd"]))["product"].clone();
    assert_field_error(
        app.put(&format!("/api/v1/admin/products/{id}"), Some(&t), &p).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "images[0]",
    )
    .await;
    p["images"] = json!(["https://cdn.example.com/c.jpg"]);
    let (s, v) = body(app.put(&format!("/api/v1/admin/products/{id}"), Some(&t), &p).await).await;
    assert_eq!(s, StatusCode::OK, "{v}");

    // The pages allow images from the CDN host, and only from there.
    let r = app.get("/", None).await;
    let csp = r.headers()[CONTENT_SECURITY_POLICY].to_str().unwrap().to_string();
    assert!(csp.contains("img-src 'self' data: https://cdn.example.com;"), "{csp}");

    // A shop without CDN hosts takes only its own images; the demo's pictures still work.
    let plain = TestApp::spawn(b).await;
    let t2 = plain.admin_login("operator").await;
    let cat2 = category(&plain, &t2).await;
    assert_field_error(
        plain
            .post_idem(
                "/api/v1/admin/products",
                Some(&t2),
                &product("C1", cat2, "橙子", json!(["https://cdn.example.com/a.jpg"])),
            )
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "images[0]",
    )
    .await;
    let (s, v) = body(
        plain
            .post_idem(
                "/api/v1/admin/products",
                Some(&t2),
                &product("C2", cat2, "橙子", json!(["/img/placeholder/3.svg"])),
            )
            .await,
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let csp = plain.get("/", None).await.headers()[CONTENT_SECURITY_POLICY].to_str().unwrap().to_string();
    assert!(csp.contains("img-src 'self' data:;"), "{csp}");
});

/// Assert the error envelope with `status`, `code` and `field`.
async fn assert_envelope(r: reqwest::Response, status: StatusCode, code: &str, field: Option<&str>, what: &str) {
    let ct = r.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let (s, v) = body(r).await;
    assert_eq!(s, status, "{what}: {v}");
    assert!(ct.starts_with("application/json"), "{what}: content type {ct}");
    assert_eq!(v["error"]["code"], code, "{what}: {v}");
    assert!(v["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{what}: {v}");
    if let Some(f) = field {
        assert_eq!(v["error"]["field"], f, "{what}: {v}");
    }
}

suite!(every_route_refuses_a_path_id_that_does_not_parse_with_the_envelope, |b| async move {
    let app = TestApp::spawn(b).await;
    let owner = app.admin_login("admin").await;
    let buyer = app.buyer_login("buyer001").await;
    let (_, doc) = body(app.get("/openapi.json", None).await).await;
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let Some(params) = op["parameters"].as_array() else { continue };
            let ints: Vec<&str> = params
                .iter()
                .filter(|p| p["in"] == "path" && p["schema"]["type"] == "integer")
                .map(|p| p["name"].as_str().unwrap())
                .collect();
            let Some(first) = ints.first() else { continue };
            let url = ints.iter().fold(path.clone(), |u, name| u.replace(&format!("{{{name}}}"), "abc"));
            let token = if path.starts_with("/api/v1/admin/") { &owner } else { &buyer };
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let mut req = app.req(method.clone(), &url, Some(token)).header("Idempotency-Key", format!("k-{checked}"));
            if method != Method::GET && method != Method::DELETE {
                req = req.json(&json!({}));
            }
            let r = req.send().await.unwrap();
            assert_envelope(r, StatusCode::BAD_REQUEST, "bad_path", Some(first), &format!("{method} {url}")).await;
            checked += 1;
        }
    }
    assert!(checked >= 40, "only {checked} routes with an id in their path");
    // A number too large for an id is refused the same way.
    assert_envelope(
        app.get("/api/v1/shop/orders/99999999999999999999", Some(&buyer)).await,
        StatusCode::BAD_REQUEST,
        "bad_path",
        Some("id"),
        "huge id",
    )
    .await;

    // Pages answer an error page in their language.
    for (path, cookie) in [
        ("/p/abc", String::new()),
        ("/orders/abc", format!("mm_buyer={buyer}")),
        ("/admin/orders/abc", format!("mm_admin={owner}")),
        ("/admin/products/abc", format!("mm_admin={owner}")),
    ] {
        for (lang, want, not) in [("zh", "无效的编号", "not valid"), ("en", "not valid", "无效")] {
            let r = app
                .client
                .get(format!("{}{}", app.base, path))
                .header(COOKIE, format!("{cookie}; lang={lang}"))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{path}");
            assert!(r.headers()[CONTENT_TYPE].to_str().unwrap().starts_with("text/html"), "{path}");
            let html = r.text().await.unwrap();
            assert!(html.contains(want) && !html.contains(not), "{path} {lang}: {html}");
        }
    }
    // A page's query that does not parse, too.
    let r = app
        .client
        .get(format!("{}/admin/orders?page=x", app.base))
        .header(COOKIE, format!("mm_admin={owner}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.unwrap().contains("无效的编号或参数"));
});

suite!(long_queries_json_bodies_and_extreme_numbers_get_the_envelope, |b| async move {
    let app = TestApp::spawn(b).await;
    let owner = app.admin_login("admin").await;
    let buyer = app.buyer_login("buyer001").await;
    let long = "x".repeat(8 * 1024);

    // An 8 kB query string: 414 with the envelope, whether or not the route reads its query.
    for url in [
        format!("/api/v1/shop/products?q={long}"),
        format!("/api/v1/shop/categories?q={long}"),
        format!("/api/v1/nowhere?q={long}"),
        format!("/healthz?q={long}"),
    ] {
        assert_envelope(app.get(&url, None).await, StatusCode::URI_TOO_LONG, "uri_too_long", Some("query"), &url).await;
    }
    // A browser asking for a page gets a page.
    let r = app.client.get(format!("{}/products?q={long}", app.base)).header(ACCEPT, "text/html").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::URI_TOO_LONG);
    assert!(r.text().await.unwrap().contains("地址太长"));

    // JSON bodies: malformed, mistyped, missing and not JSON.
    let url = "/api/v1/shop/cart/items";
    let send = |ct: Option<&'static str>, body: &'static str| {
        let mut r = app.req(Method::POST, url, Some(&buyer)).body(body);
        if let Some(ct) = ct {
            r = r.header(CONTENT_TYPE, ct);
        }
        r.send()
    };
    assert_envelope(
        send(Some("application/json"), "{\"sku_id\":").await.unwrap(),
        StatusCode::BAD_REQUEST,
        "bad_json",
        None,
        "syntax",
    )
    .await;
    assert_envelope(
        send(Some("application/json"), "{\"sku_id\":\"one\",\"quantity\":1}").await.unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("sku_id"),
        "wrong type",
    )
    .await;
    assert_envelope(
        send(None, "{\"sku_id\":1,\"quantity\":1}").await.unwrap(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        None,
        "no content type",
    )
    .await;
    assert_envelope(
        send(Some("text/plain"), "{}").await.unwrap(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        None,
        "text",
    )
    .await;
    // The router's own refusals.
    assert_envelope(app.get("/api/v1/nowhere", None).await, StatusCode::NOT_FOUND, "not_found", None, "no route").await;
    assert_envelope(
        app.req(Method::DELETE, "/api/v1/shop/products", None).send().await.unwrap(),
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        None,
        "method",
    )
    .await;

    // Numbers at the ends of their range are refused by size, not by overflow.
    let cat = category(&app, &owner).await;
    let (s, v) =
        body(app.post_idem("/api/v1/admin/products", Some(&owner), &product("D1", cat, "橙子", json!([]))).await).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let sku = v["product"]["skus"][0]["id"].as_i64().unwrap();
    let (_, buyers) = body(app.get("/api/v1/admin/buyers?page_size=1", Some(&owner)).await).await;
    let buyer_id = buyers["items"][0]["id"].as_i64().unwrap();
    for delta in [i64::MIN, i64::MIN + 1, i64::MAX] {
        assert_field_error(
            app.post_idem(&format!("/api/v1/admin/skus/{sku}/stock"), Some(&owner), &json!({"delta": delta})).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "delta",
        )
        .await;
        assert_field_error(
            app.post(
                &format!("/api/v1/admin/buyers/{buyer_id}/points"),
                Some(&owner),
                &json!({"delta": delta, "note": "x"}),
            )
            .await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "delta",
        )
        .await;
    }
    // The stock check runs before the SKU is looked up.
    assert_field_error(
        app.post_idem("/api/v1/admin/skus/1/stock", Some(&owner), &json!({"delta": i64::MIN})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "delta",
    )
    .await;
    let mut p = product("S1", cat, "橙子", json!([]));
    p["product"]["sort"] = json!(i64::MIN);
    assert_field_error(
        app.post_idem("/api/v1/admin/products", Some(&owner), &p).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "sort",
    )
    .await;
});

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;
use crate::suite;

suite!(health_and_readiness, |b| async move {
    let app = TestApp::spawn(b).await;
    let (s, v) = body(app.get("/healthz", None).await).await;
    assert_eq!((s, v), (StatusCode::OK, json!({"status": "ok"})));
    assert_eq!(app.get("/readyz", None).await.status(), StatusCode::OK);
    let r = app.get("/healthz", None).await;
    assert!(r.headers().get("x-request-id").is_some(), "every response carries a request id");
    let m = app.get("/metrics", None).await.text().await.unwrap();
    assert!(m.contains("http_requests_total"), "{m}");
    let (s, v) = body(app.get("/no/such/route", None).await).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(v["error"]["code"], "not_found");
});

suite!(request_ids_headers_and_route_metrics, |b| async move {
    let app = TestApp::spawn(b).await;
    // The ids the server makes are unique and written as a UUID's groups; a client's own id comes back as sent.
    let mut ids = std::collections::HashSet::new();
    for _ in 0..20 {
        let r = app.get("/healthz", None).await;
        assert_eq!(r.headers()["x-content-type-options"], "nosniff");
        let id = r.headers()["x-request-id"].to_str().unwrap().to_string();
        assert_eq!(id.split('-').map(str::len).collect::<Vec<_>>(), [8, 4, 4, 4, 12], "{id}");
        assert!(id.chars().all(|c| c == '-' || c.is_ascii_hexdigit()), "{id}");
        assert!(ids.insert(id), "request ids repeat");
    }
    let r =
        app.req(reqwest::Method::GET, "/healthz", None).header("x-request-id", "client-chosen-7").send().await.unwrap();
    assert_eq!(r.headers()["x-request-id"], "client-chosen-7");
    let r = app.get("/api/v1/shop/products/999999999", None).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(r.headers().get("x-request-id").is_some() && r.headers().get("x-content-type-options").is_some());
    // Counted per method, route (as declared, not the path asked for) and status, with its latency.
    let counter = r#"http_requests_total{method="GET",route="/api/v1/shop/products/{id}",status="404"}"#;
    let latency = r#"http_request_duration_seconds_count{method="GET",route="/api/v1/shop/products/{id}"}"#;
    let (c0, l0) = (metric(&app, counter).await, metric(&app, latency).await);
    for _ in 0..3 {
        app.get("/api/v1/shop/products/999999998", None).await;
    }
    // Other tests of this process may count on the same route meanwhile, never fewer.
    assert!(metric(&app, counter).await >= c0 + 3.0);
    assert!(metric(&app, latency).await >= l0 + 3.0);
    let m = app.get("/metrics", None).await.text().await.unwrap();
    assert!(m.contains(r#"http_requests_total{method="GET",route="/healthz",status="200"}"#), "{m}");
    assert_eq!(app.get("/no/such/route", None).await.status(), StatusCode::NOT_FOUND);
    let m = app.get("/metrics", None).await.text().await.unwrap();
    assert!(m.contains(r#"http_requests_total{method="GET",route="unmatched",status="404"}"#), "{m}");
});

suite!(cookies_are_marked_secure_only_when_configured, |b| async move {
    let no_redirects =
        reqwest::Client::builder().no_proxy().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    for secure in [true, false] {
        let db = TestDb::new(b).await;
        let mut cfg = test_config(&db.url);
        cfg.secure_cookies = secure;
        let app = TestApp::spawn_with(db, cfg, false).await;
        let r = no_redirects.get(format!("{}/lang?to=en", app.base)).send().await.unwrap();
        let c = r.headers()["set-cookie"].to_str().unwrap().to_string();
        assert!(c.starts_with("lang=en;"), "{c}");
        assert_eq!(c.ends_with("; Secure"), secure, "{c}");
    }
});

/// A metric's value in `GET /metrics` (0 while it has none).
async fn metric(app: &TestApp, series: &str) -> f64 {
    let m = app.get("/metrics", None).await.text().await.unwrap();
    m.lines().find_map(|l| l.strip_prefix(series).and_then(|v| v.trim().parse().ok())).unwrap_or(0.0)
}

suite!(audit_log_records_before_and_after, |b| async move {
    let app = TestApp::spawn(b).await;
    let owner = app.admin_login("admin").await;
    let (s, created) = body(
        app.post(
            "/api/v1/admin/users",
            Some(&owner),
            &json!({"username": "newop", "password": "pass-word-1", "role": "operator"}),
        )
        .await,
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let id = created["id"].as_i64().unwrap();
    let r = app
        .req(reqwest::Method::PATCH, &format!("/api/v1/admin/users/{id}"), Some(&owner))
        .json(&json!({"role": "service"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let (_, log) = body(app.get("/api/v1/admin/audit-log?action=user.update", Some(&owner)).await).await;
    assert_eq!(log["total"], 1);
    let e = &log["items"][0];
    assert_eq!(e["actor_name"], "admin");
    assert_eq!(e["target"], format!("admin_user:{id}"));
    assert_eq!(e["before"]["role"], "operator");
    assert_eq!(e["after"]["role"], "service");
    assert!(e["request_id"].as_str().is_some_and(|r| !r.is_empty()));
    let (_, log) = body(app.get("/api/v1/admin/audit-log?action=user.create", Some(&owner)).await).await;
    assert_eq!(log["items"][0]["after"]["username"], "newop");
});

suite!(lists_are_paginated, |b| async move {
    let app = TestApp::spawn(b).await;
    let op = app.admin_login("operator").await;
    let (s, v) = body(app.get("/api/v1/admin/buyers?page=2&page_size=50", Some(&op)).await).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["total"], 200);
    assert_eq!(v["page"], 2);
    assert_eq!(v["page_size"], 50);
    assert_eq!(v["items"].as_array().unwrap().len(), 50);
    let (_, last) = body(app.get("/api/v1/admin/buyers?page=4&page_size=50", Some(&op)).await).await;
    assert_eq!(last["items"].as_array().unwrap().len(), 50);
    let (_, beyond) = body(app.get("/api/v1/admin/buyers?page=5&page_size=50", Some(&op)).await).await;
    assert_eq!(beyond["items"].as_array().unwrap().len(), 0);
    assert_eq!(beyond["total"], 200);
    let (_, default) = body(app.get("/api/v1/admin/buyers", Some(&op)).await).await;
    assert_eq!(default["page_size"], 20);
});

/// The served OpenAPI document; every API change shows up as a snapshot diff.
#[tokio::test]
async fn openapi_document_snapshot() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let (s, doc) = body(app.get("/openapi.json", None).await).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(doc["openapi"], "3.1.0");
    insta::assert_json_snapshot!("openapi", doc, { ".info.version" => "[version]" });
}

/// What an integrator's generated client relies on: unique operation ids, every error an operation can
/// answer declared with the error body, enums and bounds where the server enforces them.
#[tokio::test]
async fn openapi_document_is_a_contract() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let (_, doc) = body(app.get("/openapi.json", None).await).await;
    let mut ids = std::collections::HashSet::new();
    let mut ops = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            ops += 1;
            let id = op["operationId"].as_str().unwrap_or_else(|| panic!("{method} {path}: no operationId"));
            assert!(ids.insert(id.to_string()), "{method} {path}: operationId {id} is not unique");
            let wechat = path.starts_with("/api/v1/payments/wechat/");
            let responses = op["responses"].as_object().unwrap();
            let declares = |s: &str| responses.contains_key(s);
            for (status, r) in responses {
                assert!(
                    !r["description"].as_str().unwrap_or("").is_empty(),
                    "{method} {path} {status}: no description"
                );
                // WeChat Pay's callback answers in WeChat Pay's own form; every other error carries
                // `error` (the error body, or one that adds to it, such as the changed quote).
                if (status.starts_with('4') || status.starts_with('5')) && !wechat {
                    let schema = &r["content"]["application/json"]["schema"]["$ref"];
                    let name = schema.as_str().and_then(|s| s.strip_prefix("#/components/schemas/"));
                    let name = name.unwrap_or_else(|| panic!("{method} {path} {status}: no error body"));
                    let error = &doc["components"]["schemas"][name]["properties"]["error"];
                    assert!(name == "ErrorBody" || error.is_object(), "{method} {path} {status}: {name} has no error");
                }
                if status == "429" || status == "503" {
                    assert!(r["headers"]["Retry-After"].is_object(), "{method} {path} {status}: no Retry-After");
                }
            }
            if op["security"].as_array().is_some_and(|s| !s.is_empty()) {
                assert!(declares("401") && declares("403"), "{method} {path}: secured without 401/403");
            }
            if op["requestBody"]["content"]["application/json"].is_object() && !wechat {
                for s in ["400", "413", "415", "422"] {
                    assert!(declares(s), "{method} {path}: JSON body without {s}");
                }
            }
            if path.contains('{') {
                assert!(declares("400") && declares("404"), "{method} {path}: path id without 400/404");
            }
            for p in op["parameters"].as_array().into_iter().flatten() {
                match p["name"].as_str().unwrap() {
                    "page" => assert_eq!(
                        (p["schema"]["minimum"].as_i64(), p["schema"]["maximum"].as_i64()),
                        (Some(1), Some(10_000))
                    ),
                    "page_size" => assert_eq!(
                        (p["schema"]["minimum"].as_i64(), p["schema"]["maximum"].as_i64()),
                        (Some(1), Some(100))
                    ),
                    _ => {}
                }
            }
        }
    }
    assert!(ops > 100, "{ops} operations");
    let upload = &doc["paths"]["/api/v1/admin/uploads"]["post"]["requestBody"]["content"];
    assert_eq!(upload["image/png"]["schema"]["format"], "binary");
    let status = &doc["components"]["schemas"]["OrderDto"]["properties"]["status"]["enum"];
    assert!(status.as_array().unwrap().contains(&json!("pending_payment")), "{status}");
    assert_eq!(doc["components"]["schemas"]["ShipmentDto"]["properties"]["lines"]["type"], "array");
    assert!(doc["servers"].is_array());
}

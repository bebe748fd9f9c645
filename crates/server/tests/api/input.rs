use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::*;
use crate::suite;

suite!(bad_input_gets_4xx_naming_the_field, |b| async move {
    let app = TestApp::spawn(b).await;
    let owner = app.admin_login("admin").await;
    let url = "/api/v1/admin/users";

    // Malformed JSON → 400.
    let r = app
        .req(Method::POST, url, Some(&owner))
        .header("content-type", "application/json")
        .body("{\"username\":")
        .send()
        .await
        .unwrap();
    let (s, v) = body(r).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["error"]["code"], "bad_json");

    // Not JSON → 415.
    let r = app
        .req(Method::POST, url, Some(&owner))
        .header("content-type", "text/plain")
        .body("hello")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);

    // Unknown, missing and mistyped fields → 422 naming them.
    assert_field_error(
        app.post(
            url,
            Some(&owner),
            &json!({"username": "abc", "password": "pass-word-1", "role": "operator", "admin": true}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "admin",
    )
    .await;
    assert_field_error(
        app.post(url, Some(&owner), &json!({"username": "abc", "role": "operator"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "password",
    )
    .await;
    assert_field_error(
        app.post(url, Some(&owner), &json!({"username": 12, "password": "pass-word-1", "role": "operator"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "username",
    )
    .await;
    // Values that parse but are not acceptable.
    assert_field_error(
        app.post(url, Some(&owner), &json!({"username": "a", "password": "pass-word-1", "role": "operator"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "username",
    )
    .await;
    assert_field_error(
        app.post(url, Some(&owner), &json!({"username": "abcd", "password": "12345678", "role": "operator"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "password",
    )
    .await;
    assert_field_error(
        app.post(url, Some(&owner), &json!({"username": "abcd", "password": "pass-word-1", "role": "root"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "role",
    )
    .await;
    // Duplicate → 409 naming the field.
    assert_field_error(
        app.post(url, Some(&owner), &json!({"username": "operator", "password": "pass-word-1", "role": "operator"}))
            .await,
        StatusCode::CONFLICT,
        "username",
    )
    .await;

    // Out-of-range numbers in the path and the query.
    let r = app
        .req(Method::PATCH, "/api/v1/admin/users/99999999999999999999999", Some(&owner))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_client_error(), "{}", r.status());
    assert_field_error(
        app.get("/api/v1/admin/buyers?page_size=1000", Some(&owner)).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "page_size",
    )
    .await;
    assert_field_error(
        app.get("/api/v1/admin/buyers?page=abc", Some(&owner)).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "page",
    )
    .await;
    assert_field_error(
        app.get("/api/v1/admin/buyers?page=0", Some(&owner)).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "page",
    )
    .await;
    assert_field_error(
        app.get("/api/v1/admin/buyers?page=99999999999999999999", Some(&owner)).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "page",
    )
    .await;
    assert_field_error(
        app.get("/api/v1/admin/jobs?status=weird", Some(&owner)).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "status",
    )
    .await;

    // Oversize body → 413, and nothing was written.
    let huge = "x".repeat(2 * 1024 * 1024);
    let r = app.post(url, Some(&owner), &json!({"username": "big", "password": huge, "role": "operator"})).await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let (_, users) = body(app.get("/api/v1/admin/users", Some(&owner)).await).await;
    assert_eq!(users["total"], 5, "no half-written users: {users}");

    // Shop side.
    assert_field_error(
        app.post("/api/v1/shop/auth/sms/code", None, &json!({"phone": "12345"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "phone",
    )
    .await;
    assert_field_error(
        app.post("/api/v1/shop/auth/wechat", None, &json!({"code": ""})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "code",
    )
    .await;
    assert_field_error(
        app.post("/api/v1/shop/auth/wechat", None, &json!({"code": "sandbox:bad name!"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "code",
    )
    .await;
    assert_field_error(
        app.post("/api/v1/shop/auth/wechat", None, &json!({"code": "sandbox:a", "channel": "tv"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "channel",
    )
    .await;
    assert_field_error(
        app.post("/api/v1/admin/auth/login", None, &json!({"username": "", "password": "x"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "username",
    )
    .await;
});

suite!(concurrent_writes_never_see_a_locked_database, |b| async move {
    let app = TestApp::spawn(b).await;
    let futs = (0..60).map(|i| {
        let app = &app;
        async move {
            app.post("/api/v1/shop/auth/wechat", None, &json!({"code": format!("sandbox:crowd{i}")})).await.status()
        }
    });
    let statuses = futures_util::future::join_all(futs).await;
    assert!(statuses.iter().all(|s| *s == StatusCode::OK), "{statuses:?}");
    let op = app.admin_login("operator").await;
    let (_, v) = body(app.get("/api/v1/admin/buyers?q=crowd", Some(&op)).await).await;
    assert_eq!(v["total"], 60);
});

suite!(refusals_are_worded_in_the_requests_language_with_the_same_code_reason_and_field, |b| async move {
    let app = TestApp::spawn(b).await;
    let owner = app.admin_login("admin").await;
    let bad = json!({"username": "abcd", "password": "12345678", "role": "operator"});
    let send = |lang: Option<(&'static str, &'static str)>| {
        let mut r = app.req(Method::POST, "/api/v1/admin/users", Some(&owner)).json(&bad);
        if let Some((h, v)) = lang {
            r = r.header(h, v);
        }
        async move { body(r.send().await.unwrap()).await }
    };
    let (s, zh) = send(None).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{zh}");
    assert_eq!(zh["error"]["message"], "不能全是数字", "{zh}");
    for lang in [("accept-language", "en-US,en;q=0.9,zh;q=0.5"), ("cookie", "lang=en")] {
        let (s, en) = send(Some(lang)).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{en}");
        assert_eq!(en["error"]["message"], "must not be only digits", "{lang:?}: {en}");
        for k in ["code", "reason", "field", "params"] {
            assert_eq!(en["error"][k], zh["error"][k], "{k}: {en} / {zh}");
        }
    }
    assert_eq!(zh["error"]["code"], "validation_failed");
    assert_eq!(zh["error"]["reason"], "password.only_digits");
    assert_eq!(zh["error"]["field"], "password");
    // A cookie choosing Chinese wins over the browser's English; parameters are typed values.
    let (_, v) = send(Some(("cookie", "lang=zh"))).await;
    assert_eq!(v["error"]["message"], "不能全是数字");
    let long =
        json!({"username": "abcd", "password": "pass-word-1", "role": "operator", "display_name": "x".repeat(200)});
    let r = app.req(Method::POST, "/api/v1/admin/users", Some(&owner)).header("accept-language", "en").json(&long);
    let (s, v) = body(r.send().await.unwrap()).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!((&v["error"]["reason"], &v["error"]["field"]), (&json!("text.too_long"), &json!("display_name")), "{v}");
    assert_eq!(v["error"]["params"], json!({"max": 32}));
    assert_eq!(v["error"]["message"], "must be at most 32 characters");
});

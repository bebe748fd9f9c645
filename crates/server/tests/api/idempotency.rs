use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;
use crate::suite;

suite!(same_key_same_body_replays_different_body_is_422, |b| async move {
    let app = TestApp::spawn(b).await;
    let owner = app.admin_login("admin").await;
    let body1 = json!({"username": "idem1", "password": "pass-word-1", "role": "operator"});
    let send = |body: serde_json::Value, key: &'static str| {
        let app = &app;
        let owner = owner.clone();
        async move {
            app.req(reqwest::Method::POST, "/api/v1/admin/users", Some(&owner))
                .header("Idempotency-Key", key)
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };
    let (s1, v1) = body(send(body1.clone(), "key-1").await).await;
    assert_eq!(s1, StatusCode::CREATED, "{v1}");
    let r2 = send(body1.clone(), "key-1").await;
    assert_eq!(r2.headers().get("idempotent-replayed").map(|v| v.to_str().unwrap()), Some("true"));
    let (s2, v2) = body(r2).await;
    assert_eq!((s2, &v2), (StatusCode::CREATED, &v1), "the stored response is replayed");
    let (s3, v3) =
        body(send(json!({"username": "idem2", "password": "pass-word-1", "role": "operator"}), "key-1").await).await;
    assert_eq!(s3, StatusCode::UNPROCESSABLE_ENTITY, "{v3}");
    assert_eq!(v3["error"]["code"], "idempotency_key_reused");
    assert_eq!(v3["error"]["field"], "Idempotency-Key");
    // A malformed key is refused, not ignored.
    let r = app
        .req(reqwest::Method::POST, "/api/v1/admin/users", Some(&owner))
        .header("Idempotency-Key", "k".repeat(200))
        .json(&body1)
        .send()
        .await
        .unwrap();
    assert_field_error(r, StatusCode::UNPROCESSABLE_ENTITY, "Idempotency-Key").await;
    let (_, users) = body(app.get("/api/v1/admin/users?role=operator", Some(&owner)).await).await;
    assert_eq!(users["total"], 2, "operator from the demo + idem1 once: {users}");
});

suite!(hundred_concurrent_requests_with_one_key_have_one_effect, |b| async move {
    let app = TestApp::spawn(b).await;
    let owner = app.admin_login("admin").await;
    let body1 = json!({"username": "racer", "password": "pass-word-1", "role": "service"});
    let futs = (0..100).map(|_| {
        let app = &app;
        let owner = owner.clone();
        let body1 = body1.clone();
        async move {
            let r = app
                .req(reqwest::Method::POST, "/api/v1/admin/users", Some(&owner))
                .header("Idempotency-Key", "one-key")
                .json(&body1)
                .send()
                .await
                .unwrap();
            body(r).await
        }
    });
    let results = futures_util::future::join_all(futs).await;
    let first_id = results[0].1["id"].clone();
    for (s, v) in &results {
        assert_eq!(*s, StatusCode::CREATED, "{v}");
        assert_eq!(v["id"], first_id, "every answer is the one response");
    }
    let (_, users) = body(app.get("/api/v1/admin/users?role=service", Some(&owner)).await).await;
    assert_eq!(users["total"], 2, "demo service user + racer once: {users}");
});

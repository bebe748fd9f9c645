use axum::extract::Query;
use axum::routing::get;
use axum::{Json, Router};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;
use crate::suite;

/// A local stand-in for WeChat's code2session endpoint.
async fn code2session_stub() -> String {
    async fn handler(Query(q): Query<std::collections::HashMap<String, String>>) -> Json<Value> {
        if q.get("appid").map(String::as_str) != Some("wx-test-app")
            || q.get("secret").map(String::as_str) != Some("test-secret")
        {
            return Json(json!({"errcode": 40125, "errmsg": "invalid appsecret"}));
        }
        match q.get("js_code").map(String::as_str) {
            Some(code) if code.starts_with("good-") => Json(json!({"openid": format!("o-{code}"), "session_key": "k"})),
            _ => Json(json!({"errcode": 40029, "errmsg": "invalid code"})),
        }
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, Router::new().route("/sns/jscode2session", get(handler))).await.unwrap()
    });
    format!("http://{addr}/sns/jscode2session")
}

suite!(wechat_code_is_exchanged_through_code2session, |b| async move {
    let stub = code2session_stub().await;
    let db = TestDb::new(b).await;
    let mut cfg = test_config(&db.url);
    cfg.sandbox = false;
    cfg.wechat.appid = Some("wx-test-app".into());
    cfg.wechat.secret = Some(minimall_server::config::Secret::new("test-secret"));
    cfg.wechat.code2session_url = stub;
    let app = TestApp::spawn_with(db, cfg, false).await;

    let (s, v) =
        body(app.post("/api/v1/shop/auth/wechat", None, &json!({"code": "good-123", "channel": "qr_poster"})).await)
            .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["new_buyer"], true);
    let token = v["token"].as_str().unwrap().to_string();
    let (s, me) = body(app.get("/api/v1/shop/me", Some(&token)).await).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(me["id"], v["buyer"]["id"]);
    // Same openid again: same buyer.
    let (_, again) = body(app.post("/api/v1/shop/auth/wechat", None, &json!({"code": "good-123"})).await).await;
    assert_eq!(again["new_buyer"], false);
    assert_eq!(again["buyer"]["id"], v["buyer"]["id"]);
    // A code WeChat refuses.
    assert_field_error(
        app.post("/api/v1/shop/auth/wechat", None, &json!({"code": "bad"})).await,
        StatusCode::UNAUTHORIZED,
        "code",
    )
    .await;
    // Sandbox login is refused when sandbox mode is off.
    let (s, v) = body(app.post("/api/v1/shop/auth/wechat", None, &json!({"code": "sandbox:buyer001"})).await).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    // Logout revokes the buyer token.
    assert_eq!(app.post("/api/v1/shop/auth/logout", Some(&token), &json!({})).await.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.get("/api/v1/shop/me", Some(&token)).await.status(), StatusCode::UNAUTHORIZED);
});

suite!(wechat_login_without_configuration_is_503, |b| async move {
    let db = TestDb::new(b).await;
    let mut cfg = test_config(&db.url);
    cfg.sandbox = false;
    let app = TestApp::spawn_with(db, cfg, false).await;
    let (s, v) = body(app.post("/api/v1/shop/auth/wechat", None, &json!({"code": "abc"})).await).await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE, "{v}");
});

suite!(phone_login_with_sms_code_from_the_outbox, |b| async move {
    let app = TestApp::spawn(b).await;
    let phone = "13712345678";
    let (s, v) = body(app.post("/api/v1/shop/auth/sms/code", None, &json!({"phone": phone})).await).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    // A second request inside the resend interval is refused.
    let r = app.post("/api/v1/shop/auth/sms/code", None, &json!({"phone": phone})).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers().get("retry-after").is_some());

    // The sandbox SMS channel records the message; customer service can read it.
    let svc = app.admin_login("service").await;
    let msg = eventually(10, || async {
        let (_, v) = body(app.get(&format!("/api/v1/admin/messages?recipient={phone}"), Some(&svc)).await).await;
        let m = v["items"][0].clone();
        (m["status"] == "sent").then_some(m)
    })
    .await;
    let text = msg["body"].as_str().unwrap();
    let code: String = text.chars().filter(char::is_ascii_digit).take(6).collect();
    assert_eq!(code.len(), 6, "{text}");

    let wrong = if code == "000000" { "111111" } else { "000000" };
    assert_field_error(
        app.post("/api/v1/shop/auth/sms/login", None, &json!({"phone": phone, "code": wrong})).await,
        StatusCode::UNAUTHORIZED,
        "code",
    )
    .await;
    let (s, v) =
        body(app.post("/api/v1/shop/auth/sms/login", None, &json!({"phone": phone, "code": code})).await).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["buyer"]["phone"], "137****5678");
    // A code works once.
    let r = app.post("/api/v1/shop/auth/sms/login", None, &json!({"phone": phone, "code": code})).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_field_error(
        app.post("/api/v1/shop/auth/sms/login", None, &json!({"phone": phone, "code": "12ab56"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "code",
    )
    .await;
});

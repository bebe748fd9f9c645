//! What a database was created as (demo, sandbox or live) decides what a later start may do to it.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::*;
use crate::suite;

const OTHER: &str = "other-pass-456";

fn live_config(url: &str) -> minimall_server::Config {
    let mut cfg = test_config(url);
    cfg.sandbox = false;
    cfg
}

async fn login_status(app: &TestApp, user: &str, password: &str) -> StatusCode {
    app.post("/api/v1/admin/auth/login", None, &json!({"username": user, "password": password})).await.status()
}

async fn refused(cfg: minimall_server::Config, demo: bool) -> String {
    match minimall_server::Application::build(cfg, demo).await {
        Ok(_) => panic!("the start was not refused"),
        Err(e) => format!("{e:#}"),
    }
}

// A shop started without --demo: `--demo` (with another admin password) refuses to start and changes
// nothing, and so does sandbox mode; a plain restart with another MINIMALL_ADMIN_PASSWORD keeps the
// owner's password.
suite!(demo_and_sandbox_refuse_a_live_shop, |b| async move {
    let db = TestDb::new(b).await;
    let url = db.url.clone();
    let app = TestApp::spawn_with(db, live_config(&url), false).await;
    assert_eq!(login_status(&app, "admin", PASSWORD).await, StatusCode::OK);
    let db = app.stop().await;

    let mut demo = test_config(&url);
    demo.admin_password = Some(minimall_server::config::Secret::new(OTHER));
    let e = refused(demo.clone(), true).await;
    assert!(e.contains("--demo") && e.contains("not created as a demo") && e.contains("new empty database"), "{e}");
    let e = refused(demo.clone(), false).await;
    assert!(e.contains("sandbox") && e.contains("live shop"), "{e}");

    // Started as it should be, with another admin password in the environment: nothing changed.
    let mut again = live_config(&url);
    again.admin_password = Some(minimall_server::config::Secret::new(OTHER));
    let app = TestApp::spawn_with(db, again, false).await;
    assert_eq!(login_status(&app, "admin", OTHER).await, StatusCode::UNAUTHORIZED);
    assert_eq!(login_status(&app, "admin", PASSWORD).await, StatusCode::OK);
    let r = app.post("/api/v1/shop/auth/wechat", None, &json!({"code": "sandbox:x"})).await;
    assert_ne!(r.status(), StatusCode::OK, "no sandbox buyer logins");
    let (_, users) = body(app.get("/api/v1/admin/users", Some(&app.admin_login("admin").await)).await).await;
    assert_eq!(users["total"], 1, "no demo users: {users}");
});

// A database created with sandbox mode (a test shop, no demo data) is not a demo either.
suite!(demo_refuses_a_sandbox_shop, |b| async move {
    let db = TestDb::new(b).await;
    let url = db.url.clone();
    let app = TestApp::spawn_with(db, test_config(&url), false).await;
    let _db = app.stop().await;
    let e = refused(test_config(&url), true).await;
    assert!(e.contains("not created as a demo"), "{e}");
});

// A demo database stays a demo: --demo again may set the demo password, and a start without --demo runs it.
suite!(a_demo_database_may_be_restarted_as_a_demo, |b| async move {
    let app = TestApp::spawn(b).await;
    let db = app.stop().await;
    let mut cfg = test_config(&db.url);
    cfg.admin_password = Some(minimall_server::config::Secret::new(OTHER));
    let app = TestApp::spawn_with(db, cfg, true).await;
    assert_eq!(login_status(&app, "finance", OTHER).await, StatusCode::OK);
    let db = app.stop().await;
    let cfg = test_config(&db.url);
    let app = TestApp::spawn_with(db, cfg, false).await;
    assert_eq!(login_status(&app, "admin", OTHER).await, StatusCode::OK, "the password stays without --demo");
});

// With sandbox mode off the sandbox provider's callback does not exist.
suite!(sandbox_notify_is_absent_without_sandbox_mode, |b| async move {
    let db = TestDb::new(b).await;
    let url = db.url.clone();
    let app = TestApp::spawn_with(db, live_config(&url), false).await;
    let r = app
        .req(Method::POST, "/api/v1/payments/sandbox/notify", None)
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    let (st, e) = body(r).await;
    assert_eq!(st, StatusCode::NOT_FOUND, "{e}");
    assert_eq!(e["error"]["code"], "not_found", "{e}");
    // Each installation has its own secret.
    let mine = app.sandbox_secret();
    let other = TestApp::spawn(b).await;
    assert_ne!(mine, other.sandbox_secret());
});

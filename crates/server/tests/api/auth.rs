use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::*;
use crate::suite;

suite!(no_token_is_401_and_bad_token_is_401, |b| async move {
    let app = TestApp::spawn(b).await;
    for path in ["/api/v1/admin/me", "/api/v1/admin/users", "/api/v1/admin/buyers", "/api/v1/shop/me"] {
        let r = app.get(path, None).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(r.headers()["www-authenticate"], "Bearer");
        assert_eq!(app.get(path, Some("mma_forged")).await.status(), StatusCode::UNAUTHORIZED, "{path}");
    }
});

suite!(buyer_token_is_refused_on_admin_routes, |b| async move {
    let app = TestApp::spawn(b).await;
    let buyer = app.buyer_login("buyer001").await;
    for path in ["/api/v1/admin/me", "/api/v1/admin/users", "/api/v1/admin/buyers", "/api/v1/admin/jobs"] {
        let (s, v) = body(app.get(path, Some(&buyer)).await).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{path} {v}");
    }
    let admin = app.admin_login("admin").await;
    assert_eq!(app.get("/api/v1/shop/me", Some(&admin)).await.status(), StatusCode::FORBIDDEN);
});

suite!(each_role_is_denied_what_it_may_not_do, |b| async move {
    let app = TestApp::spawn(b).await;
    // (path, roles allowed)
    let table: &[(&str, &[&str])] = &[
        ("/api/v1/admin/me", &["admin", "operator", "finance", "service", "clerk"]),
        ("/api/v1/admin/users", &["admin"]),
        ("/api/v1/admin/audit-log", &["admin", "finance"]),
        ("/api/v1/admin/buyers", &["admin", "operator", "service"]),
        ("/api/v1/admin/messages", &["admin", "operator", "service"]),
        ("/api/v1/admin/jobs", &["admin", "operator"]),
    ];
    for user in ["admin", "operator", "finance", "service", "clerk"] {
        let token = app.admin_login(user).await;
        for (path, allowed) in table {
            let (s, v) = body(app.get(path, Some(&token)).await).await;
            if allowed.contains(&user) {
                assert_eq!(s, StatusCode::OK, "{user} {path} {v}");
            } else {
                assert_eq!(s, StatusCode::FORBIDDEN, "{user} {path} {v}");
                assert_eq!(v["error"]["code"], "forbidden");
            }
        }
        // Writes are checked too.
        let r = app
            .post(
                "/api/v1/admin/users",
                Some(&token),
                &json!({"username": format!("x{user}"), "password": "pass-word-1", "role": "service"}),
            )
            .await;
        let expected = if user == "admin" { StatusCode::CREATED } else { StatusCode::FORBIDDEN };
        assert_eq!(r.status(), expected, "{user} create user");
    }
    let (_, me) = body(app.get("/api/v1/admin/me", Some(&app.admin_login("service").await)).await).await;
    let perms: Vec<&str> = me["permissions"].as_array().unwrap().iter().map(|p| p.as_str().unwrap()).collect();
    assert!(!perms.contains(&"read_finance") && !perms.contains(&"manage_users"), "{perms:?}");
});

suite!(logout_revokes_and_disabling_a_user_revokes_their_sessions, |b| async move {
    let app = TestApp::spawn(b).await;
    let t = app.admin_login("operator").await;
    assert_eq!(app.get("/api/v1/admin/me", Some(&t)).await.status(), StatusCode::OK);
    assert_eq!(app.post("/api/v1/admin/auth/logout", Some(&t), &json!({})).await.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.get("/api/v1/admin/me", Some(&t)).await.status(), StatusCode::UNAUTHORIZED);

    let owner = app.admin_login("admin").await;
    let svc = app.admin_login("service").await;
    let (_, users) = body(app.get("/api/v1/admin/users?role=service", Some(&owner)).await).await;
    let id = users["items"][0]["id"].as_i64().unwrap();
    let r = app
        .req(Method::PATCH, &format!("/api/v1/admin/users/{id}"), Some(&owner))
        .json(&json!({"disabled": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(app.get("/api/v1/admin/me", Some(&svc)).await.status(), StatusCode::UNAUTHORIZED);
    let r = app.post("/api/v1/admin/auth/login", None, &json!({"username": "service", "password": PASSWORD})).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    // The last owner cannot lock everyone out.
    let (_, owners) = body(app.get("/api/v1/admin/users?role=owner", Some(&owner)).await).await;
    let oid = owners["items"][0]["id"].as_i64().unwrap();
    let r = app
        .req(Method::PATCH, &format!("/api/v1/admin/users/{oid}"), Some(&owner))
        .json(&json!({"role": "finance"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
});

/// A demo app behind a trusted proxy on 127.0.0.1, with one-second first waits.
async fn behind_proxy(b: Backend) -> TestApp {
    let db = TestDb::new(b).await;
    let mut cfg = test_config(&db.url);
    cfg.trusted_proxies = vec!["127.0.0.1".into()];
    cfg.login.lock_secs = 1;
    cfg.login.max_failures_per_ip = 8;
    TestApp::spawn_with(db, cfg, true).await
}

async fn login_from(app: &TestApp, from: &str, user: &str, password: &str) -> reqwest::Response {
    app.req(Method::POST, "/api/v1/admin/auth/login", None)
        .header("x-forwarded-for", from)
        .json(&json!({"username": user, "password": password}))
        .send()
        .await
        .unwrap()
}

// Failures lock the account only from the address they came from, for a wait that doubles with each
// further failure; the owner logs in from elsewhere meanwhile; each lock is in the audit log.
suite!(failed_logins_lock_the_account_only_from_that_address, |b| async move {
    let app = behind_proxy(b).await;
    let attacker = "203.0.113.5";
    for _ in 0..5 {
        assert_eq!(login_from(&app, attacker, "admin", "wrong-password").await.status(), StatusCode::UNAUTHORIZED);
    }
    let r = login_from(&app, attacker, "admin", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.headers()["retry-after"], "1");
    // The owner, from another address, is not refused.
    assert_eq!(login_from(&app, "198.51.100.7", "admin", PASSWORD).await.status(), StatusCode::OK);
    // After the wait, one more failure makes the next wait twice as long.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(login_from(&app, attacker, "admin", "wrong-again").await.status(), StatusCode::UNAUTHORIZED);
    let r = login_from(&app, attacker, "admin", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.headers()["retry-after"], "2");

    let owner = app.admin_login("admin").await;
    let (_, log) = body(app.get("/api/v1/admin/audit-log?action=auth.lock", Some(&owner)).await).await;
    assert_eq!(log["total"], 2, "{log}");
    let e = &log["items"][0];
    assert_eq!(e["after"]["username"], "admin");
    assert_eq!(e["after"]["ip"], attacker);
    assert!(e["target"].as_str().unwrap().starts_with("admin_user:"), "{e}");
});

// Failures on made-up usernames slow only the address they come from.
suite!(failures_on_unknown_users_slow_only_their_address, |b| async move {
    let app = behind_proxy(b).await;
    let prober = "203.0.113.9";
    for i in 0..8 {
        let r = login_from(&app, prober, &format!("ghost{i}"), "wrong-password").await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    let r = login_from(&app, prober, "finance", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers().get("retry-after").is_some());
    assert_eq!(login_from(&app, "198.51.100.8", "finance", PASSWORD).await.status(), StatusCode::OK);
    let owner = app.admin_login("admin").await;
    let (_, log) = body(app.get("/api/v1/admin/audit-log?action=auth.lock", Some(&owner)).await).await;
    assert_eq!(log["items"][0]["after"]["ip"], prober, "{log}");
    assert_eq!(log["items"][0]["target"], "login:ghost7", "{log}");
});

// X-Forwarded-For from a peer that is not a trusted proxy is ignored: changing it does not escape a lock.
suite!(forwarded_for_from_an_untrusted_peer_is_ignored, |b| async move {
    let app = TestApp::spawn(b).await;
    for i in 0..5 {
        let r = login_from(&app, &format!("203.0.113.{i}"), "finance", "wrong-password").await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    let r = login_from(&app, "198.51.100.1", "finance", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers().get("retry-after").is_some());
    // Other accounts are unaffected.
    app.admin_login("operator").await;
});

// A PATCH that changes nothing keeps the user's sessions, the caller's own included; a real change
// of role or status revokes them.
suite!(a_patch_that_changes_nothing_keeps_sessions, |b| async move {
    let app = TestApp::spawn(b).await;
    let owner = app.admin_login("admin").await;
    let op = app.admin_login("operator").await;
    let (_, me) = body(app.get("/api/v1/admin/me", Some(&owner)).await).await;
    let own_id = me["user"]["id"].as_i64().unwrap();
    let (_, ops) = body(app.get("/api/v1/admin/users?role=operator", Some(&owner)).await).await;
    let op_id = ops["items"][0]["id"].as_i64().unwrap();
    let patch = |id: i64, v: serde_json::Value| {
        let owner = owner.clone();
        let app = &app;
        async move {
            app.req(Method::PATCH, &format!("/api/v1/admin/users/{id}"), Some(&owner))
                .json(&v)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(patch(own_id, json!({})).await, StatusCode::OK);
    assert_eq!(app.get("/api/v1/admin/me", Some(&owner)).await.status(), StatusCode::OK);
    assert_eq!(patch(op_id, json!({"role": "operator", "disabled": false})).await, StatusCode::OK);
    assert_eq!(app.get("/api/v1/admin/me", Some(&op)).await.status(), StatusCode::OK);
    assert_eq!(patch(op_id, json!({"role": "finance"})).await, StatusCode::OK);
    assert_eq!(app.get("/api/v1/admin/me", Some(&op)).await.status(), StatusCode::UNAUTHORIZED);
});

suite!(console_cookie_session_works_and_refuses_cross_site_writes, |b| async move {
    let app = TestApp::spawn(b).await;
    let r = app.post("/api/v1/admin/auth/login", None, &json!({"username": "admin", "password": PASSWORD})).await;
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");
    let pair = cookie.split(';').next().unwrap().to_string();
    let r = app.req(Method::GET, "/api/v1/admin/me", None).header("cookie", &pair).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let body_json = json!({"username": "cookieop", "password": "pass-word-1", "role": "operator"});
    let r = app
        .req(Method::POST, "/api/v1/admin/users", None)
        .header("cookie", &pair)
        .header("origin", "https://evil.example")
        .json(&body_json)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let host = app.base.trim_start_matches("http://").to_string();
    let r = app
        .req(Method::POST, "/api/v1/admin/users", None)
        .header("cookie", &pair)
        .header("origin", format!("http://{host}"))
        .json(&body_json)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
});

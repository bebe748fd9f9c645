//! Two-factor login of console users: enrolment, the login's second step, replays, recovery codes, the
//! shop's rule for owners, and who may change the rule or reset another user.

use minimall_core::two_factor::step_at;
use minimall_server::accounts::two_factor::code_at_step;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::*;
use crate::suite;

/// The code of the step `offset` steps from now.
fn code(secret: &str, offset: i64) -> String {
    code_at_step(secret, step_at(minimall_store::now_ms()) + offset).unwrap()
}

/// Enrol `token`'s user: start, confirm with the previous step's code. (secret, recovery codes, answer)
async fn enrol(app: &TestApp, token: &str) -> (String, Vec<String>, Value) {
    let (s, start) = body(app.post("/api/v1/admin/two-factor/enrolment", Some(token), &json!({})).await).await;
    assert_eq!(s, StatusCode::OK, "{start}");
    let secret = start["secret"].as_str().unwrap().to_string();
    let (s, done) = body(
        app.post("/api/v1/admin/two-factor/enrolment/confirm", Some(token), &json!({"code": code(&secret, -1)})).await,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{done}");
    let codes = done["recovery_codes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_string()).collect();
    (secret, codes, done)
}

/// Log in with the password; expects the second step. Returns the challenge.
async fn challenge(app: &TestApp, user: &str) -> String {
    let (s, v) =
        body(app.post("/api/v1/admin/auth/login", None, &json!({"username": user, "password": PASSWORD})).await).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    assert_eq!(v["code"], "two_factor_required", "{v}");
    assert!(v.get("token").is_none(), "{v}");
    v["challenge"].as_str().unwrap().to_string()
}

async fn second_step(app: &TestApp, challenge: &str, code: &str) -> (StatusCode, Value) {
    body(app.post("/api/v1/admin/auth/login/two-factor", None, &json!({"challenge": challenge, "code": code})).await)
        .await
}

suite!(enrolment_then_login_needs_a_code_once, |b| async move {
    let app = TestApp::spawn(b).await;
    let owner = app.admin_login("admin").await;
    let (_, st) = body(app.get("/api/v1/admin/two-factor", Some(&owner)).await).await;
    assert_eq!(st["enabled"], false, "{st}");

    let (_, start) = body(app.post("/api/v1/admin/two-factor/enrolment", Some(&owner), &json!({})).await).await;
    let secret = start["secret"].as_str().unwrap();
    let uri = start["otpauth_uri"].as_str().unwrap();
    assert!(uri.starts_with("otpauth://totp/") && uri.contains(&format!("secret={secret}")), "{uri}");
    assert!(start["qr_svg"].as_str().unwrap().contains("<svg"));
    // A wrong code does not turn it on.
    let r = app.post("/api/v1/admin/two-factor/enrolment/confirm", Some(&owner), &json!({"code": "000000"})).await;
    assert_field_error(r, StatusCode::UNPROCESSABLE_ENTITY, "code").await;
    let (_, st) = body(app.get("/api/v1/admin/two-factor", Some(&owner)).await).await;
    assert_eq!(st["enabled"], false, "{st}");

    let (secret, codes, _) = enrol(&app, &owner).await;
    assert_eq!(codes.len(), 10);
    let (_, st) = body(app.get("/api/v1/admin/two-factor", Some(&owner)).await).await;
    assert_eq!((st["enabled"].as_bool(), st["recovery_codes_left"].as_i64()), (Some(true), Some(10)), "{st}");
    // Enrolling again while on is refused.
    let r = app.post("/api/v1/admin/two-factor/enrolment", Some(&owner), &json!({})).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);

    // The password alone gives a challenge, which is no session.
    let ch = challenge(&app, "admin").await;
    assert_eq!(app.get("/api/v1/admin/me", Some(&ch)).await.status(), StatusCode::UNAUTHORIZED);
    // The code the enrolment used is not accepted again.
    let (s, v) = second_step(&app, &ch, &code(&secret, -1)).await;
    assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNAUTHORIZED, Some("code")), "{v}");
    let (s, v) = second_step(&app, &ch, "123-456").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{v}");
    let current = code(&secret, 0);
    let (s, v) = second_step(&app, &ch, &current).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let token = v["token"].as_str().unwrap().to_string();
    assert_eq!(app.get("/api/v1/admin/me", Some(&token)).await.status(), StatusCode::OK);
    // The challenge is used up, and the same code does not log in twice.
    let (s, v) = second_step(&app, &ch, &code(&secret, 1)).await;
    assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNAUTHORIZED, Some("challenge")), "{v}");
    let ch2 = challenge(&app, "admin").await;
    let (s, v) = second_step(&app, &ch2, &current).await;
    assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNAUTHORIZED, Some("code")), "replayed code {v}");
    let (s, v) = second_step(&app, &ch2, &code(&secret, 1)).await;
    assert_eq!(s, StatusCode::OK, "the next step's code {v}");

    // The logins are audited with their second factor.
    let (_, log) = body(app.get("/api/v1/admin/audit-log?action=auth.login", Some(&token)).await).await;
    assert!(log["items"].as_array().unwrap().iter().any(|e| e["after"]["second_factor"] == "totp"), "{log}");
    let (_, log) = body(app.get("/api/v1/admin/audit-log?action=auth.two_factor.enable", Some(&token)).await).await;
    assert_eq!(log["total"], 1, "{log}");
});

suite!(a_recovery_code_works_once, |b| async move {
    let app = TestApp::spawn(b).await;
    let op = app.admin_login("operator").await;
    let (_, codes, _) = enrol(&app, &op).await;
    let ch = challenge(&app, "operator").await;
    let (s, v) = second_step(&app, &ch, &codes[3].to_uppercase()).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let t = v["token"].as_str().unwrap().to_string();
    let (_, st) = body(app.get("/api/v1/admin/two-factor", Some(&t)).await).await;
    assert_eq!(st["recovery_codes_left"], 9, "{st}");
    let ch = challenge(&app, "operator").await;
    let (s, v) = second_step(&app, &ch, &codes[3]).await;
    assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNAUTHORIZED, Some("code")), "{v}");
    let (s, _) = second_step(&app, &ch, &codes[4]).await;
    assert_eq!(s, StatusCode::OK);
});

suite!(wrong_codes_count_as_failed_logins, |b| async move {
    let db = TestDb::new(b).await;
    let mut cfg = test_config(&db.url);
    cfg.login.max_failures = 3;
    let app = TestApp::spawn_with(db, cfg, true).await;
    let op = app.admin_login("operator").await;
    let (secret, _, _) = enrol(&app, &op).await;
    let ch = challenge(&app, "operator").await;
    for _ in 0..2 {
        let (s, v) = second_step(&app, &ch, "999999").await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{v}");
    }
    // The right password again does not forget the wrong codes.
    let ch = challenge(&app, "operator").await;
    let (s, v) = second_step(&app, &ch, "999999").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{v}");
    let (s, v) = second_step(&app, &ch, &code(&secret, 0)).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "{v}");
    let (_, log) =
        body(app.get("/api/v1/admin/audit-log?action=auth.lock", Some(&app.admin_login("admin").await)).await).await;
    assert!(log["total"].as_i64().unwrap() >= 1, "{log}");
    // Disabling with a wrong code is throttled the same way.
    let r = app.post("/api/v1/admin/two-factor/disable", Some(&op), &json!({"code": "999999"})).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
});

suite!(the_owner_rule_forces_enrolment_of_owners_only, |b| async move {
    let app = TestApp::spawn(b).await;
    let owner = app.admin_login("admin").await;
    // Only an owner who uses it may require it.
    let r = app.put("/api/v1/admin/settings/two-factor", Some(&owner), &json!({"owner_required": true})).await;
    assert_field_error(r, StatusCode::CONFLICT, "owner_required").await;
    enrol(&app, &owner).await;
    let (s, v) =
        body(app.put("/api/v1/admin/settings/two-factor", Some(&owner), &json!({"owner_required": true})).await).await;
    assert_eq!((s, v["owner_required"].as_bool()), (StatusCode::OK, Some(true)), "{v}");
    let (_, log) = body(app.get("/api/v1/admin/audit-log?action=settings.two_factor", Some(&owner)).await).await;
    assert_eq!(log["items"][0]["after"]["owner_required"], true, "{log}");

    let r = app
        .post(
            "/api/v1/admin/users",
            Some(&owner),
            &json!({"username": "owner2", "password": PASSWORD, "role": "owner"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    // Another owner without two-factor login is sent to enrolment, with a token good for nothing else.
    let (s, v) =
        body(app.post("/api/v1/admin/auth/login", None, &json!({"username": "owner2", "password": PASSWORD})).await)
            .await;
    assert_eq!((s, v["code"].as_str()), (StatusCode::ACCEPTED, Some("two_factor_enrolment_required")), "{v}");
    assert!(v.get("token").is_none(), "{v}");
    let enrol_token = v["challenge"].as_str().unwrap().to_string();
    for path in ["/api/v1/admin/me", "/api/v1/admin/users", "/api/v1/admin/orders"] {
        assert_eq!(app.get(path, Some(&enrol_token)).await.status(), StatusCode::UNAUTHORIZED, "{path}");
    }
    let (_, st) = body(app.get("/api/v1/admin/two-factor", Some(&enrol_token)).await).await;
    assert_eq!(st["must_enrol"], true, "{st}");
    let (_, codes, done) = enrol(&app, &enrol_token).await;
    assert_eq!(codes.len(), 10);
    let session = done["login"]["token"].as_str().expect("enrolment finishes the login").to_string();
    assert_eq!(app.get("/api/v1/admin/me", Some(&session)).await.status(), StatusCode::OK);
    // The enrolment token is used up.
    assert_eq!(app.get("/api/v1/admin/two-factor", Some(&enrol_token)).await.status(), StatusCode::UNAUTHORIZED);
    // From now on owner2 logs in with a code.
    challenge(&app, "owner2").await;

    // Other roles are not affected unless they enrol themselves.
    for user in ["operator", "finance", "service", "clerk"] {
        app.admin_login(user).await;
    }
    let fin = app.admin_login("finance").await;
    enrol(&app, &fin).await;
    challenge(&app, "finance").await;
});

suite!(only_the_owner_changes_the_rule_or_resets_another_user, |b| async move {
    let app = TestApp::spawn(b).await;
    let owner = app.admin_login("admin").await;
    let op = app.admin_login("operator").await;
    let (op_secret, _, _) = enrol(&app, &op).await;
    let (_, users) = body(app.get("/api/v1/admin/users?role=operator", Some(&owner)).await).await;
    let op_id = users["items"][0]["id"].as_i64().unwrap();
    let (_, me) = body(app.get("/api/v1/admin/me", Some(&owner)).await).await;
    let owner_id = me["user"]["id"].as_i64().unwrap();

    for user in ["operator", "finance", "service", "clerk"] {
        let t = if user == "operator" { op.clone() } else { app.admin_login(user).await };
        let (s, v) =
            body(app.put("/api/v1/admin/settings/two-factor", Some(&t), &json!({"owner_required": false})).await).await;
        assert_eq!((s, v["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")), "{user} {v}");
        let r = app.post(&format!("/api/v1/admin/users/{owner_id}/two-factor/reset"), Some(&t), &json!({})).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{user}");
    }
    // Disabling one's own needs a right code.
    let r = app.post("/api/v1/admin/two-factor/disable", Some(&op), &json!({"code": "12345"})).await;
    assert_field_error(r, StatusCode::UNPROCESSABLE_ENTITY, "code").await;

    // The owner resets the operator's, audited; the operator then logs in with the password alone.
    let r = app.post(&format!("/api/v1/admin/users/{op_id}/two-factor/reset"), Some(&owner), &json!({})).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let (_, log) = body(app.get("/api/v1/admin/audit-log?action=user.two_factor.reset", Some(&owner)).await).await;
    assert_eq!(log["items"][0]["target"], format!("admin_user:{op_id}"), "{log}");
    let r = app.post(&format!("/api/v1/admin/users/{op_id}/two-factor/reset"), Some(&owner), &json!({})).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    app.admin_login("operator").await;
    let r = app.post("/api/v1/admin/two-factor/disable", Some(&op), &json!({"code": code(&op_secret, 0)})).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);

    // The owner turns their own off with a code.
    let (secret, _, _) = enrol(&app, &owner).await;
    let r = app
        .req(Method::POST, "/api/v1/admin/two-factor/disable", Some(&owner))
        .json(&json!({"code": code(&secret, 0)}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    app.admin_login("admin").await;
});

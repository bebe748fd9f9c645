//! Manual adjustment postings through the API: finance posts them with a reason (audited, its author kept),
//! a correction names the posting it corrects, core refuses what does not balance and the control accounts of
//! sub-ledgers; other roles may not post them. The sub-ledger check compares points per buyer and commission
//! per promoter with their control accounts, and the trial balance page shows it.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;
use crate::suite;

const PATH: &str = "/api/v1/admin/ledger/adjustments";

fn entry(account: &str, amount: i64) -> Value {
    json!({"account": account, "amount": amount})
}

async fn balance(app: &TestApp, token: &str, account: &str) -> i64 {
    let (st, tb) = body(app.get("/api/v1/admin/ledger/trial-balance", Some(token)).await).await;
    assert_eq!(st, StatusCode::OK, "{tb}");
    tb["accounts"].as_array().unwrap().iter().find(|a| a["account"] == account).unwrap()["balance"].as_i64().unwrap()
}

/// A console page as a signed-in console user sees it.
pub async fn page(app: &TestApp, path: &str, token: &str) -> (StatusCode, String) {
    let r = app
        .client
        .get(format!("{}{}", app.base, path))
        .header("cookie", format!("mm_admin={token}"))
        .send()
        .await
        .unwrap();
    (r.status(), r.text().await.unwrap())
}

suite!(finance_posts_adjustments_and_corrections_with_a_reason_and_other_roles_may_not, |b| async move {
    let app = TestApp::spawn(b).await;
    let owner = app.admin_login("admin").await;
    let finance = app.admin_login("finance").await;
    let bank_before = balance(&app, &finance, "bank").await;

    // A bank charge found on the statement: a fee against the bank.
    let req = json!({"reason": "银行账户管理费补记", "entries": [entry("payment_fees", 1_500), entry("bank", -1_500)]});
    let (st, p) = body(app.post_idem(PATH, Some(&finance), &req).await).await;
    assert_eq!(st, StatusCode::CREATED, "{p}");
    assert_eq!(
        (p["kind"].as_str(), p["memo"].as_str(), &p["corrects"]),
        (Some("adjustment"), Some("银行账户管理费补记"), &json!(null))
    );
    assert!(p["actor_id"].as_i64().is_some(), "{p}");
    let id = p["id"].as_i64().unwrap();
    assert_eq!(balance(&app, &finance, "bank").await, bank_before - 1_500);

    // Listed among the postings (read by the owner too), and audited.
    let (st, list) = body(app.get("/api/v1/admin/ledger/postings?kind=adjustment", Some(&owner)).await).await;
    assert_eq!(st, StatusCode::OK, "{list}");
    assert!(list["items"].as_array().unwrap().iter().any(|x| x["id"] == id), "{list}");
    let (_, log) = body(app.get("/api/v1/admin/audit-log?action=finance.adjustment", Some(&owner)).await).await;
    assert_eq!(log["total"], 1, "{log}");

    // A correction of part of it names it; the two together leave the bank 1,000 fen down.
    let fix = json!({"reason": "金额录错，应为10元", "corrects": id,
        "entries": [entry("payment_fees", -500), entry("bank", 500)]});
    let (st, c) = body(app.post_idem(PATH, Some(&finance), &fix).await).await;
    assert_eq!(st, StatusCode::CREATED, "{c}");
    assert_eq!((c["kind"].as_str(), c["corrects"].as_i64()), (Some("correction"), Some(id)), "{c}");
    assert_eq!(balance(&app, &finance, "bank").await, bank_before - 1_000);
    let (st, tb) = body(app.get("/api/v1/admin/ledger/trial-balance", Some(&finance)).await).await;
    assert_eq!((st, tb["fen_difference"].as_i64()), (StatusCode::OK, Some(0)));

    // The same key replays the same posting rather than posting twice.
    let key = "adj-once";
    let mut ids = Vec::new();
    for _ in 0..2 {
        let r = app
            .req(reqwest::Method::POST, PATH, Some(&finance))
            .header("Idempotency-Key", key)
            .json(&json!({"reason": "期初银行存款", "entries": [entry("bank", 100_000), entry("opening_balances", -100_000)]}))
            .send()
            .await
            .unwrap();
        let (st, v) = body(r).await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
        ids.push(v["id"].as_i64().unwrap());
    }
    assert_eq!(ids[0], ids[1]);
    assert_eq!(balance(&app, &finance, "bank").await, bank_before - 1_000 + 100_000);

    // Refusals: unbalanced (with the unit and how far off), a sub-ledger control account, unknown account,
    // zero, too few entries, no reason, a missing posting to correct, no idempotency key.
    let (st, v) = body(
        app.post_idem(
            PATH,
            Some(&finance),
            &json!({"reason": "x", "entries": [entry("bank", 100), entry("sales_revenue", -99)]}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (st, v["error"]["reason"].as_str(), v["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("ledger.unbalanced"), Some("entries")),
        "{v}"
    );
    assert_eq!(
        (v["error"]["params"]["unit"].as_str(), v["error"]["params"]["sum"].as_i64()),
        (Some("fen"), Some(1)),
        "{v}"
    );
    let (st, v) = body(
        app.post_idem(
            PATH,
            Some(&finance),
            &json!({"reason": "x", "entries": [entry("points_granted", 10), entry("points_liability", -10)]}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (st, v["error"]["reason"].as_str(), v["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("ledger.sub_ledger_control"), Some("entries[1].account")),
        "{v}"
    );
    for (bad, field) in [
        (json!({"reason": "x", "entries": [entry("nope", 1), entry("bank", -1)]}), "entries[0].account"),
        (json!({"reason": "x", "entries": [entry("bank", 0), entry("bank", 0)]}), "entries[0].amount"),
        (json!({"reason": "x", "entries": [entry("bank", 1)]}), "entries"),
        (json!({"reason": "  ", "entries": [entry("bank", 1), entry("opening_balances", -1)]}), "reason"),
        (
            json!({"reason": "x", "corrects": 99_999_999, "entries": [entry("bank", 1), entry("opening_balances", -1)]}),
            "corrects",
        ),
        (
            json!({"reason": "x", "corrects": 0, "entries": [entry("bank", 1), entry("opening_balances", -1)]}),
            "corrects",
        ),
    ] {
        let r = app.post_idem(PATH, Some(&finance), &bad).await;
        let expected = if field == "corrects" && bad["corrects"] != 0 {
            StatusCode::NOT_FOUND
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        };
        assert_field_error(r, expected, field).await;
    }
    let r = app
        .post(
            PATH,
            Some(&finance),
            &json!({"reason": "x", "entries": [entry("bank", 1), entry("opening_balances", -1)]}),
        )
        .await;
    assert_field_error(r, StatusCode::UNPROCESSABLE_ENTITY, "Idempotency-Key").await;

    // The console page lists them with their reasons and gives finance the form.
    let (s, html) = page(&app, "/admin/finance/adjustments", &finance).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("录入调整凭证") && html.contains("金额录错，应为10元"), "the adjustments page");

    // Who may not: operator, service, clerk, a buyer, nobody.
    let ok = json!({"reason": "x", "entries": [entry("bank", 1), entry("opening_balances", -1)]});
    for who in ["operator", "service", "clerk"] {
        let t = app.admin_login(who).await;
        assert_eq!(app.post_idem(PATH, Some(&t), &ok).await.status(), StatusCode::FORBIDDEN, "{who}");
        assert_eq!(
            app.get("/api/v1/admin/ledger/sub-ledgers", Some(&t)).await.status(),
            StatusCode::FORBIDDEN,
            "{who}"
        );
        assert_eq!(page(&app, "/admin/finance/adjustments", &t).await.0, StatusCode::FORBIDDEN, "{who}");
    }
    let buyer = app.buyer_login("adj-nosy").await;
    assert_eq!(app.post_idem(PATH, Some(&buyer), &ok).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.post_idem(PATH, None, &ok).await.status(), StatusCode::UNAUTHORIZED);
    let (_, log) = body(app.get("/api/v1/admin/audit-log?action=finance.adjustment", Some(&owner)).await).await;
    assert_eq!(log["total"], 3, "two adjustments and one correction: {log}");
});

suite!(every_sub_ledger_equals_its_control_account_and_the_trial_balance_page_says_so, |b| async move {
    let app = TestApp::spawn(b).await;
    let owner = app.admin_login("admin").await;
    let finance = app.admin_login("finance").await;
    let op = app.admin_login("operator").await;

    // A buyer is given points by the console: the buyer's balance and the points liability move together.
    let buyer = app.buyer_login("sub-ledger-buyer").await;
    let (_, me) = body(app.get("/api/v1/shop/me", Some(&buyer)).await).await;
    let buyer_id = me["id"].as_i64().expect("the buyer's id");
    let (st, v) = body(
        app.post_idem(
            &format!("/api/v1/admin/members/{buyer_id}/points"),
            Some(&op),
            &json!({"delta": 120, "reason": "客服补偿"}),
        )
        .await,
    )
    .await;
    assert!(st.is_success(), "{st} {v}");

    for t in [&owner, &finance] {
        let (st, v) = body(app.get("/api/v1/admin/ledger/sub-ledgers", Some(t)).await).await;
        assert_eq!(st, StatusCode::OK, "{v}");
        assert_eq!(v["all_agree"], true, "{v}");
        let points = v["items"].as_array().unwrap().iter().find(|i| i["sub_ledger"] == "buyer_points").unwrap().clone();
        assert_eq!(points["account"], "points_liability");
        assert_eq!(points["control_balance"], points["sub_ledger_total"], "{v}");
        assert!(points["sub_ledger_total"].as_i64().unwrap() >= 120, "{v}");
        assert!(points["holders"].as_i64().unwrap() >= 1, "{v}");
    }

    // A points balance changed behind the journal's back shows as a difference, on the API and the page.
    let mut tx = app.store().begin().await.unwrap();
    sqlx::query("UPDATE points_balances SET balance = balance + 7 WHERE buyer_id = $1")
        .bind(buyer_id)
        .execute(&mut *tx)
        .await
        .unwrap();
    minimall_store::commit(tx).await.unwrap();
    let (_, v) = body(app.get("/api/v1/admin/ledger/sub-ledgers", Some(&finance)).await).await;
    assert_eq!(v["all_agree"], false, "{v}");
    let points = v["items"].as_array().unwrap().iter().find(|i| i["sub_ledger"] == "buyer_points").unwrap().clone();
    assert_eq!(points["difference"], -7, "{v}");
    let (s, html) = page(&app, "/admin/finance/trial-balance", &finance).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("有明细账与总账不一致") && html.contains("明细账合计"), "the page shows the difference");
});

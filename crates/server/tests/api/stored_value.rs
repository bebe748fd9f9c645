//! Stored value (储值 / 余额) through the API: finance credits a buyer at the counter (audited, idempotent,
//! bounded), the buyer pays an order from the balance (no fee, paid at once; never beyond the balance, even by
//! two payments at the same time), a refund of that order comes back to the balance, a promoter's withdrawal
//! can be paid into it; the buyers' balances always equal the journal's control account; who may see and do
//! what.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::buyer::{order, shop, status};
use crate::helpers::*;
use crate::suite;

async fn balance(app: &TestApp, buyer: &str) -> i64 {
    let (st, v) = body(app.get("/api/v1/shop/stored-value", Some(buyer)).await).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    v["balance"].as_i64().unwrap()
}

async fn pay_from_balance(app: &TestApp, buyer: &str, id: i64) -> (StatusCode, Value) {
    body(app.post(&format!("/api/v1/shop/orders/{id}/pay"), Some(buyer), &json!({"provider": "balance"})).await).await
}

async fn sub_ledger(app: &TestApp, finance: &str) -> (bool, i64, i64) {
    let (st, v) = body(app.get("/api/v1/admin/ledger/sub-ledgers", Some(finance)).await).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let item = v["items"].as_array().unwrap().iter().find(|i| i["sub_ledger"] == "buyer_stored_value").cloned();
    let item = item.expect("the stored value sub-ledger is checked");
    (
        v["all_agree"].as_bool().unwrap(),
        item["control_balance"].as_i64().unwrap(),
        item["sub_ledger_total"].as_i64().unwrap(),
    )
}

suite!(stored_value_pays_orders_takes_refunds_back_and_equals_its_control_account, |b| async move {
    let s = shop(b).await;
    let app = &s.app;
    let finance = app.admin_login("finance").await;
    let owner = app.admin_login("admin").await;
    let (amy, bob) = (app.buyer_login("sv-amy").await, app.buyer_login("sv-bob").await);
    let (_, me) = body(app.get("/api/v1/shop/me", Some(&amy)).await).await;
    let amy_id = me["id"].as_i64().unwrap();
    let adjust = format!("/api/v1/admin/buyers/{amy_id}/stored-value/adjustments");
    assert_eq!(balance(app, &amy).await, 0);

    // Who may: the operator neither reads nor adjusts; the owner and finance do; a buyer reads only their own.
    let r = app.get(&format!("/api/v1/admin/buyers/{amy_id}/stored-value"), Some(&s.op)).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = app.post_idem(&adjust, Some(&s.op), &json!({"kind": "counter", "amount": 100, "note": "x"})).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = app.get(&format!("/api/v1/admin/buyers/{amy_id}/stored-value"), Some(&amy)).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "a buyer's token opens no console route");
    let r = app.get("/api/v1/admin/buyers/999999/stored-value", Some(&owner)).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    // Bad input names its field and writes nothing.
    for (bad, field) in [
        (json!({"kind": "cash", "amount": 100, "note": "x"}), "kind"),
        (json!({"kind": "counter", "amount": 0, "note": "x"}), "amount"),
        (json!({"kind": "counter", "amount": 10_000_001, "note": "x"}), "amount"),
        (json!({"kind": "goodwill", "amount": -10_000_001, "note": "x"}), "amount"),
        (json!({"kind": "counter", "amount": 100, "note": ""}), "note"),
    ] {
        assert_field_error(app.post_idem(&adjust, Some(&finance), &bad).await, StatusCode::UNPROCESSABLE_ENTITY, field)
            .await;
    }
    let r = app.post(&adjust, Some(&finance), &json!({"kind": "counter", "amount": 100, "note": "x"})).await;
    assert_field_error(r, StatusCode::UNPROCESSABLE_ENTITY, "Idempotency-Key").await;
    // Taking back more than the buyer holds: 409 with both amounts.
    let (st, v) =
        body(app.post_idem(&adjust, Some(&finance), &json!({"kind": "goodwill", "amount": -1, "note": "x"})).await)
            .await;
    assert_eq!(
        (st, &v["error"]["reason"], &v["error"]["field"]),
        (StatusCode::CONFLICT, &json!("stored_value.insufficient"), &json!("amount")),
        "{v}"
    );
    assert_eq!(
        (v["error"]["params"]["needed_fen"].as_i64(), v["error"]["params"]["has_fen"].as_i64()),
        (Some(1), Some(0))
    );
    assert_eq!(balance(app, &amy).await, 0);

    // ¥100 received at the counter; the same key and body answer the first result.
    let top_up = json!({"kind": "counter", "amount": 10_000, "note": "门店充值"});
    let send =
        || app.req(Method::POST, &adjust, Some(&finance)).header("Idempotency-Key", "sv-top-up-1").json(&top_up).send();
    let (st, m) = body(send().await.unwrap()).await;
    assert_eq!(
        (st, m["delta"].as_i64(), m["balance_after"].as_i64(), &m["reason"]),
        (StatusCode::CREATED, Some(10_000), Some(10_000), &json!("counter")),
        "{m}"
    );
    let (st, again) = body(send().await.unwrap()).await;
    assert_eq!((st, &again["id"]), (StatusCode::CREATED, &m["id"]), "replayed, not moved twice");
    assert_eq!(balance(app, &amy).await, 10_000);
    assert_eq!(balance(app, &bob).await, 0, "bob's is his own");
    let (_, audit) = body(app.get("/api/v1/admin/audit-log?action=stored_value.adjust", Some(&owner)).await).await;
    assert_eq!(audit["total"], 1, "{audit}");

    // An order paid from the balance: paid at once, no fee, the balance lower by what was paid.
    let id = order(&s, &amy, 2).await;
    let (st, start) = pay_from_balance(app, &amy, id).await;
    assert_eq!((st, &start["provider"]), (StatusCode::OK, &json!("balance")), "{start}");
    let paid = start["amount"].as_i64().unwrap();
    assert!(paid > 0 && paid <= 10_000, "{start}");
    eventually(15, || async { (status(app, &amy, id).await == "to_ship").then_some(()) }).await;
    assert_eq!(balance(app, &amy).await, 10_000 - paid);
    let (_, d) = body(app.get(&format!("/api/v1/admin/orders/{id}"), Some(&owner)).await).await;
    let pay = &d["payment"];
    assert_eq!(
        (&pay["provider"], &pay["fee"], &pay["status"]),
        (&json!("balance"), &json!(0), &json!("succeeded")),
        "{d}"
    );
    // Asked again: nothing moves twice.
    let (st, _) = pay_from_balance(app, &amy, id).await;
    assert_eq!(st, StatusCode::CONFLICT, "the order is paid");
    assert_eq!(balance(app, &amy).await, 10_000 - paid);

    // bob holds nothing: refused, the order still payable another way.
    let bobs = order(&s, &bob, 1).await;
    let (st, v) = pay_from_balance(app, &bob, bobs).await;
    assert_eq!(
        (st, &v["error"]["reason"], &v["error"]["field"]),
        (StatusCode::CONFLICT, &json!("stored_value.insufficient"), &json!("provider")),
        "{v}"
    );
    assert_eq!(status(app, &bob, bobs).await, "pending_payment");
    let (st, v) =
        body(app.post(&format!("/api/v1/shop/orders/{bobs}/pay"), Some(&bob), &json!({"provider": "sandbox"})).await)
            .await;
    assert_eq!(st, StatusCode::OK, "another provider after a refused balance payment: {v}");

    // Two orders paid from a balance that covers only one of them, at the same time: one is paid.
    let left = balance(app, &amy).await;
    let (o1, o2) = (order(&s, &amy, 1).await, order(&s, &amy, 1).await);
    let (_, one) = body(app.get(&format!("/api/v1/shop/orders/{o1}"), Some(&amy)).await).await;
    let each = one["payable"].as_i64().unwrap();
    let spare = left - each - each / 2;
    if spare > 0 {
        let (st, v) = body(
            app.post_idem(&adjust, Some(&finance), &json!({"kind": "goodwill", "amount": -spare, "note": "对账调整"}))
                .await,
        )
        .await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
    }
    let before = balance(app, &amy).await;
    assert!(before >= each && before < 2 * each, "{before} {each}");
    let (r1, r2) = tokio::join!(pay_from_balance(app, &amy, o1), pay_from_balance(app, &amy, o2));
    let mut codes = [r1.0, r2.0];
    codes.sort();
    assert_eq!(codes, [StatusCode::OK, StatusCode::CONFLICT], "{r1:?} {r2:?}");
    assert_eq!(balance(app, &amy).await, before - each);

    // A refund of one unit of the first order comes back to the balance.
    let now = balance(app, &amy).await;
    let (_, o) = body(app.get(&format!("/api/v1/shop/orders/{id}"), Some(&amy)).await).await;
    let line = o["lines"][0]["id"].as_i64().unwrap();
    let (st, a) = body(
        app.post(
            &format!("/api/v1/shop/orders/{id}/aftersales"),
            Some(&amy),
            &json!({"kind": "refund_only", "lines": [{"line_id": line, "quantity": 1}], "reason": "不想要了"}),
        )
        .await,
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{a}");
    let (st, a) =
        body(app.post(&format!("/api/v1/admin/aftersales/{}/approve", a["id"]), Some(&s.op), &json!({})).await).await;
    assert_eq!(st, StatusCode::OK, "{a}");
    let refund = a["amount"].as_i64().unwrap();
    eventually(15, || async { (balance(app, &amy).await == now + refund).then_some(()) }).await;
    let (st, moves) = body(app.get("/api/v1/shop/stored-value/moves?page_size=100", Some(&amy)).await).await;
    assert_eq!(st, StatusCode::OK);
    let reasons: Vec<&str> = moves["items"].as_array().unwrap().iter().map(|m| m["reason"].as_str().unwrap()).collect();
    assert_eq!(reasons.first(), Some(&"order_refunded"), "{moves}");
    assert!(
        reasons.contains(&"order_paid") && reasons.contains(&"counter") && reasons.contains(&"goodwill") == (spare > 0)
    );
    let sum: i64 = moves["items"].as_array().unwrap().iter().map(|m| m["delta"].as_i64().unwrap()).sum();
    assert_eq!(sum, balance(app, &amy).await, "the balance is the sum of its movements");
    let (_, theirs) =
        body(app.get(&format!("/api/v1/admin/buyers/{amy_id}/stored-value/moves"), Some(&owner)).await).await;
    assert_eq!(theirs["total"], moves["total"]);
    let (_, bobs_moves) = body(app.get("/api/v1/shop/stored-value/moves", Some(&bob)).await).await;
    assert_eq!(bobs_moves["total"], 0, "bob sees none of amy's");

    // The buyers' balances equal the journal's control account.
    let (agree, control, total) = sub_ledger(app, &finance).await;
    assert!(agree);
    assert_eq!((control, total), (balance(app, &amy).await, balance(app, &amy).await));

    // The pages: 我的 shows the balance; finance's console page lists the movements, the operator's is refused.
    let r = app.get(&format!("/admin/members/{amy_id}/balance"), Some(&finance)).await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = app.get(&format!("/admin/members/{amy_id}/balance"), Some(&s.op)).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
});

suite!(a_withdrawal_paid_into_stored_value_reaches_the_promoters_balance, |b| async move {
    let s = shop(b).await;
    let app = &s.app;
    let finance = app.admin_login("finance").await;
    let promoter = app.buyer_login("sv-promoter").await;
    let (_, me) = body(app.get("/api/v1/shop/me", Some(&promoter)).await).await;
    let pid = me["id"].as_i64().unwrap();
    // 10 % commission to the direct promoter, settled at receipt.
    let owner = app.admin_login("admin").await;
    let settings = json!({
        "approval": "manual", "touch": "first", "settle_days": 0,
        "rates": {"direct": {"mode": "percent", "value": 1000}, "leader": {"mode": "percent", "value": 0}},
        "withdrawal_min": 100, "withdrawal_max": 100000
    });
    let (st, v) = body(app.put("/api/v1/admin/distribution/settings", Some(&owner), &settings).await).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let (_, code) = crate::distribution::become_promoter(app, &promoter, &s.op).await;
    let buyer = app.buyer_login("sv-customer").await;
    let (st, _) = crate::distribution::bind(app, &buyer, &code).await;
    assert!(st.is_success());
    let o = crate::distribution::paid_order(app, &buyer, s.sku, 2, "sv-dist-1").await;
    let id = o["id"].as_i64().unwrap();
    let (st, v) = body(
        app.post(
            &format!("/api/v1/admin/orders/{id}/ship"),
            Some(&s.op),
            &json!({"carrier": "中通", "tracking_no": "ZT9"}),
        )
        .await,
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let (st, _) = body(app.post(&format!("/api/v1/shop/orders/{id}/receive"), Some(&buyer), &json!({})).await).await;
    assert_eq!(st, StatusCode::OK);
    let available = eventually(20, || async {
        let (_, avail, ..) = crate::distribution::earnings(&crate::distribution::centre(app, &promoter).await);
        (avail >= 100).then_some(avail)
    })
    .await;
    let (st, w) =
        body(app.post("/api/v1/shop/promoter/withdrawals", Some(&promoter), &json!({"amount": available})).await).await;
    assert_eq!(st, StatusCode::CREATED, "{w}");
    let wid = w["id"].as_i64().unwrap();
    let (st, v) =
        body(app.post(&format!("/api/v1/admin/promoter-withdrawals/{wid}/approve"), Some(&finance), &json!({})).await)
            .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let pay = json!({"payout": "stored_value", "note": "转入余额"});
    let (st, v) =
        body(app.post(&format!("/api/v1/admin/promoter-withdrawals/{wid}/pay"), Some(&finance), &pay).await).await;
    assert_eq!((st, &v["payout"]), (StatusCode::OK, &json!("stored_value")), "{v}");
    assert_eq!(balance(app, &promoter).await, available);
    let (_, moves) =
        body(app.get(&format!("/api/v1/admin/buyers/{pid}/stored-value/moves"), Some(&finance)).await).await;
    assert_eq!(
        (&moves["items"][0]["reason"], &moves["items"][0]["reference"]),
        (&json!("withdrawal_paid"), &json!(format!("withdrawal:{wid}"))),
        "{moves}"
    );
    let (agree, control, total) = sub_ledger(app, &finance).await;
    assert!(agree && control == available && total == available, "{control} {total}");
});

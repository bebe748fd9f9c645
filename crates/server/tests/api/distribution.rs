//! Distribution (分销) through the API: applications and approval, binding by code (never to oneself), commission
//! frozen at payment for the direct promoter and the team leader, settled by the job after receipt, withdrawn
//! within settled funds, reversed in proportion by a refund after settlement (a new posting, the shortfall the
//! promoter's debt); promoters' balances equal the sums of their postings; who may do what. Commissions the risk
//! check holds (a phone shared with the promoter, the promoter's daily limit) are not settled until an operator
//! releases them; a rejected one is reversed by a posting; every hold, release and rejection is audited.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::*;
use crate::suite;

const COMMISSION_KINDS: [&str; 5] =
    ["commission_accrued", "commission_reversed", "commission_settled", "commission_withdrawn", "promoter_debt"];

/// Every posting of `kind`.
async fn postings(app: &TestApp, token: &str, kind: &str) -> Vec<Value> {
    let mut out = Vec::new();
    for page in 1.. {
        let (st, v) = body(
            app.get(&format!("/api/v1/admin/ledger/postings?kind={kind}&page={page}&page_size=100"), Some(token)).await,
        )
        .await;
        assert_eq!(st, StatusCode::OK, "{v}");
        let items = v["items"].as_array().unwrap().clone();
        let n = items.len();
        out.extend(items);
        if n < 100 {
            break;
        }
    }
    out
}

/// Σ amount (debit positive) on `account` over every commission posting.
async fn journal_sum(app: &TestApp, token: &str, account: &str) -> i64 {
    let mut sum = 0;
    for kind in COMMISSION_KINDS {
        for p in postings(app, token, kind).await {
            let entries = p["entries"].as_array().unwrap();
            let fen: i64 = entries.iter().filter(|e| e["unit"] == "fen").map(|e| e["amount"].as_i64().unwrap()).sum();
            assert_eq!(fen, 0, "balanced: {p}");
            sum +=
                entries.iter().filter(|e| e["account"] == account).map(|e| e["amount"].as_i64().unwrap()).sum::<i64>();
        }
    }
    sum
}

pub(crate) async fn centre(app: &TestApp, buyer: &str) -> Value {
    let (st, v) = body(app.get("/api/v1/shop/promoter", Some(buyer)).await).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    v
}

pub(crate) fn earnings(c: &Value) -> (i64, i64, i64, i64, i64) {
    let e = &c["promoter"]["earnings"];
    let f = |k: &str| e[k].as_i64().unwrap();
    (f("frozen"), f("available"), f("withdrawing"), f("owed"), f("paid_out"))
}

/// Apply, approved by the operator; answers the promoter's code.
pub(crate) async fn become_promoter(app: &TestApp, buyer: &str, op: &str) -> (i64, String) {
    let (st, p) = body(app.post("/api/v1/shop/promoter/apply", Some(buyer), &json!({"real_name": "张三"})).await).await;
    assert_eq!(st, StatusCode::CREATED, "{p}");
    assert_eq!(p["status"], "pending", "{p}");
    let (st, again) =
        body(app.post("/api/v1/shop/promoter/apply", Some(buyer), &json!({"real_name": "张三"})).await).await;
    assert_eq!((st, &again["error"]["reason"]), (StatusCode::CONFLICT, &json!("promoter.application_pending")));
    let (st, a) =
        body(app.post(&format!("/api/v1/admin/promoters/{}/approve", p["id"]), Some(op), &json!({})).await).await;
    assert_eq!(st, StatusCode::OK, "{a}");
    assert_eq!(a["status"], "active");
    (p["id"].as_i64().unwrap(), p["code"].as_str().unwrap().to_string())
}

pub(crate) async fn bind(app: &TestApp, buyer: &str, code: &str) -> (StatusCode, Value) {
    body(app.post("/api/v1/shop/promoter/bind", Some(buyer), &json!({"code": code, "source": "link"})).await).await
}

/// An order of `qty` units of `sku`, paid through the sandbox; answers the order once it is to ship. Each buyer
/// ships to a phone and address of their own (the risk check would hold commissions of shared ones).
pub(crate) async fn paid_order(app: &TestApp, buyer: &str, sku: i64, qty: i64, key: &str) -> Value {
    let n = buyer.bytes().fold(7u64, |a, b| a.wrapping_mul(31).wrapping_add(u64::from(b))) % 100_000_000;
    paid_order_to(app, buyer, sku, qty, key, &format!("137{n:08}"), &format!("文一路 {n} 号")).await
}

/// An order as [`paid_order`], to an address with `phone` and `detail`.
pub(crate) async fn paid_order_to(
    app: &TestApp,
    buyer: &str,
    sku: i64,
    qty: i64,
    key: &str,
    phone: &str,
    detail: &str,
) -> Value {
    let (_, a) = body(app.post("/api/v1/shop/addresses", Some(buyer), &json!({"name": "王五", "phone": phone, "province": "浙江", "city": "杭州", "district": "西湖", "detail": detail})).await).await;
    let (st, o) = body(
        app.req(Method::POST, "/api/v1/shop/orders", Some(buyer))
            .header("Idempotency-Key", key)
            .json(&json!({"items": [{"sku_id": sku, "quantity": qty}], "address_id": a["id"]}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{o}");
    let id = o["id"].as_i64().unwrap();
    let (_, pay) =
        body(app.post(&format!("/api/v1/shop/orders/{id}/pay"), Some(buyer), &json!({"provider": "sandbox"})).await)
            .await;
    app.post(pay["sandbox_complete_url"].as_str().unwrap(), Some(buyer), &json!({})).await;
    eventually(15, || async {
        let (_, o) = body(app.get(&format!("/api/v1/shop/orders/{id}"), Some(buyer)).await).await;
        (o["status"] == "to_ship").then_some(o)
    })
    .await
}

suite!(commission_is_frozen_settled_withdrawn_and_reversed_after_settlement_by_a_new_posting, |b| async move {
    let db = TestDb::new(b).await;
    let mut cfg = test_config(&db.url);
    cfg.orders.sandbox_notify_delay_ms = 10;
    cfg.orders.sandbox_duplicates = 2;
    let app = TestApp::spawn_with(db, cfg, true).await;
    let owner = app.admin_login("admin").await;
    let finance = app.admin_login("finance").await;
    let op = app.admin_login("operator").await;

    // 10 % to the direct promoter, 5 % to the team leader; commission settles at receipt.
    let settings = json!({
        "approval": "manual", "touch": "first", "settle_days": 0,
        "rates": {"direct": {"mode": "percent", "value": 1000}, "leader": {"mode": "percent", "value": 500}},
        "withdrawal_min": 100, "withdrawal_max": 100000
    });
    let (st, v) = body(app.put("/api/v1/admin/distribution/settings", Some(&owner), &settings).await).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let (st, _) = body(app.put("/api/v1/admin/distribution/settings", Some(&op), &settings).await).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "settings are the owner's");
    let mut bad = settings.clone();
    bad["rates"]["leader"]["value"] = json!(9500);
    assert_field_error(
        app.put("/api/v1/admin/distribution/settings", Some(&owner), &bad).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "rates.leader",
    )
    .await;
    // The automatic-approval thresholds are bounded with manual approval too.
    let mut bad = settings.clone();
    bad["min_level_rank"] = json!(101);
    assert_field_error(
        app.put("/api/v1/admin/distribution/settings", Some(&owner), &bad).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "min_level_rank",
    )
    .await;

    let (_, c) = body(app.post("/api/v1/admin/categories", Some(&op), &json!({"name": "茶叶"})).await).await;
    let (st, p) = body(
        app.post_idem(
            "/api/v1/admin/products",
            Some(&owner),
            &json!({
                "product": {"code": "TEA", "category_id": c["id"], "title": "龙井", "on_shelf": true},
                "skus": [{"code": "TEA-1", "stock": 50, "original_price": 10000, "sale_price": 10000, "cost_price": 4000}]
            }),
        )
        .await,
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{p}");
    let sku = p["product"]["skus"][0]["id"].as_i64().unwrap();

    // The leader, then a promoter of the leader's team, then their buyer.
    let leader = app.buyer_login("dist-leader").await;
    let promoter = app.buyer_login("dist-promoter").await;
    let buyer = app.buyer_login("dist-buyer").await;
    let (leader_id, leader_code) = become_promoter(&app, &leader, &op).await;
    let (st, v) = bind(&app, &leader, &leader_code).await;
    assert_eq!((st, &v["error"]["reason"]), (StatusCode::UNPROCESSABLE_ENTITY, &json!("promoter.self_binding")));
    let (st, v) = bind(&app, &promoter, &leader_code).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let (promoter_id, promoter_code) = become_promoter(&app, &promoter, &op).await;
    let (st, v) = bind(&app, &buyer, &promoter_code).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["bound_to"]["code"], promoter_code);
    let (st, v) = bind(&app, &buyer, &leader_code).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["bound_to"]["code"], promoter_code, "first touch keeps the first promoter");

    // The leader buys for themselves: bound to nobody, nobody earns.
    paid_order(&app, &leader, sku, 1, "dist-self").await;
    // The buyer pays ¥200: ¥20 to the promoter, ¥10 to the leader, frozen.
    let order = paid_order(&app, &buyer, sku, 2, "dist-1").await;
    let id = order["id"].as_i64().unwrap();
    assert_eq!(earnings(&centre(&app, &promoter).await), (2_000, 0, 0, 0, 0));
    assert_eq!(earnings(&centre(&app, &leader).await), (1_000, 0, 0, 0, 0));
    let (_, team) = body(app.get("/api/v1/shop/promoter/team", Some(&promoter)).await).await;
    assert_eq!((team["total"].as_i64(), team["items"][0]["orders"].as_i64()), (Some(1), Some(1)), "{team}");
    let (st, _) = body(app.get("/api/v1/shop/promoter/team", Some(&buyer)).await).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "a buyer who is no promoter has no team");

    // Shipped and received: the settlement job makes it withdrawable.
    let (st, v) = body(
        app.post(
            &format!("/api/v1/admin/orders/{id}/ship"),
            Some(&op),
            &json!({"carrier": "顺丰速运", "tracking_no": "SF1"}),
        )
        .await,
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let (st, v) = body(app.post(&format!("/api/v1/shop/orders/{id}/receive"), Some(&buyer), &json!({})).await).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    eventually(15, || async { (earnings(&centre(&app, &promoter).await).1 == 2_000).then_some(()) }).await;
    assert_eq!(earnings(&centre(&app, &promoter).await), (0, 2_000, 0, 0, 0));

    // No withdrawal above settled funds; ¥15 asked, approved and paid by hand.
    let (st, v) =
        body(app.post("/api/v1/shop/promoter/withdrawals", Some(&promoter), &json!({"amount": 2_001})).await).await;
    assert_eq!(
        (st, &v["error"]["reason"], &v["error"]["field"]),
        (StatusCode::UNPROCESSABLE_ENTITY, &json!("withdrawal.insufficient"), &json!("amount"))
    );
    let (st, w) =
        body(app.post("/api/v1/shop/promoter/withdrawals", Some(&promoter), &json!({"amount": 1_500})).await).await;
    assert_eq!(st, StatusCode::CREATED, "{w}");
    assert_eq!(earnings(&centre(&app, &promoter).await), (0, 500, 1_500, 0, 0));
    let wid = w["id"].as_i64().unwrap();
    let (st, _) = body(app.get("/api/v1/admin/promoter-withdrawals", Some(&op)).await).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "withdrawals are finance's");
    let pay = json!({"payout": "bank", "note": "网银 0001"});
    let (st, v) =
        body(app.post(&format!("/api/v1/admin/promoter-withdrawals/{wid}/pay"), Some(&finance), &pay).await).await;
    assert_eq!((st, &v["error"]["reason"]), (StatusCode::CONFLICT, &json!("withdrawal.not_pending")), "approved first");
    let (st, v) =
        body(app.post(&format!("/api/v1/admin/promoter-withdrawals/{wid}/approve"), Some(&finance), &json!({})).await)
            .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let (st, v) =
        body(app.post(&format!("/api/v1/admin/promoter-withdrawals/{wid}/pay"), Some(&finance), &pay).await).await;
    assert_eq!((st, &v["status"], &v["payout"]), (StatusCode::OK, &json!("paid"), &json!("bank")), "{v}");
    assert_eq!(earnings(&centre(&app, &promoter).await), (0, 500, 0, 0, 1_500));

    // A refund of one unit after settlement: half the commission reversed by a new posting; what was
    // withdrawn already becomes the promoter's debt.
    let line = order["lines"][0]["id"].as_i64().unwrap();
    let (st, req) = body(
        app.post(
            &format!("/api/v1/shop/orders/{id}/aftersales"),
            Some(&buyer),
            &json!({"kind": "refund_only", "lines": [{"line_id": line, "quantity": 1}], "reason": "不想要了"}),
        )
        .await,
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{req}");
    let (st, v) =
        body(app.post(&format!("/api/v1/admin/aftersales/{}/approve", req["id"]), Some(&op), &json!({})).await).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    eventually(15, || async { (earnings(&centre(&app, &promoter).await).3 == 500).then_some(()) }).await;
    assert_eq!(earnings(&centre(&app, &promoter).await), (0, 0, 0, 500, 1_500));
    assert_eq!(earnings(&centre(&app, &leader).await), (0, 500, 0, 0, 0));
    let reversals = postings(&app, &finance, "commission_reversed").await;
    assert_eq!(reversals.len(), 2, "{reversals:?}");
    let on = |p: &Value, account: &str| -> i64 {
        p["entries"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["account"] == account)
            .map(|e| e["amount"].as_i64().unwrap())
            .sum()
    };
    let direct = reversals.iter().find(|p| on(p, "promoter_receivable") != 0).expect("the promoter's reversal");
    assert_eq!(
        (on(direct, "commission_payable"), on(direct, "promoter_receivable"), on(direct, "commission_expense")),
        (500, 500, -1_000)
    );

    // Each promoter's balance is the sum of the postings: frozen, payable (available + withdrawing), owed.
    let mut sums = (0, 0, 0);
    for id in [leader_id, promoter_id] {
        let (st, p) = body(app.get(&format!("/api/v1/admin/promoters/{id}"), Some(&op)).await).await;
        assert_eq!(st, StatusCode::OK, "{p}");
        let e = &p["earnings"];
        let f = |k: &str| e[k].as_i64().unwrap();
        sums.0 += f("frozen");
        sums.1 += f("available") + f("withdrawing");
        sums.2 += f("owed");
    }
    assert_eq!(-journal_sum(&app, &finance, "commission_frozen").await, sums.0);
    assert_eq!(-journal_sum(&app, &finance, "commission_payable").await, sums.1);
    assert_eq!(journal_sum(&app, &finance, "promoter_receivable").await, sums.2);

    // The console's lists, and who may read them.
    let (st, list) = body(app.get("/api/v1/admin/promoters?status=active", Some(&op)).await).await;
    assert_eq!((st, list["total"].as_i64()), (StatusCode::OK, Some(2)), "{list}");
    let (st, v) = body(app.get("/api/v1/admin/promoters?status=nope", Some(&op)).await).await;
    assert_eq!((st, &v["error"]["field"]), (StatusCode::UNPROCESSABLE_ENTITY, &json!("status")));
    let (st, _) = body(app.get("/api/v1/admin/promoters", Some(&buyer)).await).await;
    assert!(st == StatusCode::UNAUTHORIZED || st == StatusCode::FORBIDDEN, "{st}");
    let (st, _) =
        body(app.post(&format!("/api/v1/admin/promoters/{promoter_id}/suspend"), Some(&finance), &json!({})).await)
            .await;
    assert_eq!(st, StatusCode::FORBIDDEN, "finance decides no promoters");
    let (st, v) =
        body(app.get(&format!("/api/v1/admin/promoters/{promoter_id}/commissions?status=settled"), Some(&op)).await)
            .await;
    assert_eq!((st, v["total"].as_i64()), (StatusCode::OK, Some(1)), "{v}");
    let (_, mine) = body(app.get("/api/v1/shop/promoter/commissions", Some(&promoter)).await).await;
    assert_eq!(mine["items"][0]["net"], 1_000, "{mine}");
    let (_, w) = body(app.get("/api/v1/shop/promoter/withdrawals", Some(&leader)).await).await;
    assert_eq!(w["total"], 0, "a promoter sees only their own withdrawals: {w}");

    // The pages: statuses and amounts in Chinese, figures as the API gives them.
    let html = |path: &str, cookie: String| {
        let app = &app;
        let path = path.to_string();
        async move {
            let r = app.req(Method::GET, &path, None).header("cookie", cookie).send().await.unwrap();
            assert_eq!(r.status(), StatusCode::OK, "{path}");
            r.text().await.unwrap()
        }
    };
    let console = html("/admin/promoters", format!("mm_admin={op}")).await;
    assert!(console.contains(&promoter_code) && console.contains("推广中"), "{console}");
    assert!(!console.contains(">active<"), "no raw status on the page");
    let centre_page = html("/promoter", format!("mm_buyer={promoter}")).await;
    assert!(
        centre_page.contains("推广中心") && centre_page.contains("¥15.00") && centre_page.contains("龙井"),
        "{centre_page}"
    );
    let w_page = html("/admin/promoter-withdrawals", format!("mm_admin={finance}")).await;
    assert!(w_page.contains("已打款") && w_page.contains("线下转账"), "{w_page}");
    let s_page = html("/admin/distribution", format!("mm_admin={owner}")).await;
    assert!(s_page.contains("分销规则"), "{s_page}");
});

/// A ¥100 product with a cost; its SKU.
async fn tea(app: &TestApp, op: &str, owner: &str, code: &str) -> i64 {
    let (_, c) =
        body(app.post("/api/v1/admin/categories", Some(op), &json!({"name": format!("茶{code}")})).await).await;
    let (st, p) = body(
        app.post_idem(
            "/api/v1/admin/products",
            Some(owner),
            &json!({
                "product": {"code": code, "category_id": c["id"], "title": "龙井", "on_shelf": true},
                "skus": [{"code": format!("{code}-1"), "stock": 50, "original_price": 10000, "sale_price": 10000, "cost_price": 4000}]
            }),
        )
        .await,
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{p}");
    p["product"]["skus"][0]["id"].as_i64().unwrap()
}

async fn audits(app: &TestApp, action: &str) -> i64 {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM audit_log WHERE action = $1")
        .bind(action)
        .fetch_one(app.store().reader())
        .await
        .unwrap();
    n
}

/// Ship and receive: with no settlement period, the settlement job runs at once; answers when it has run.
async fn ship_and_receive(app: &TestApp, op: &str, buyer: &str, id: i64) {
    let (st, v) = body(
        app.post(
            &format!("/api/v1/admin/orders/{id}/ship"),
            Some(op),
            &json!({"carrier": "顺丰速运", "tracking_no": format!("SF{id}")}),
        )
        .await,
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let (st, v) = body(app.post(&format!("/api/v1/shop/orders/{id}/receive"), Some(buyer), &json!({})).await).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    eventually(20, || async {
        let (n,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM jobs WHERE kind = 'distribution.settle' AND dedup_key = $1 AND status = 'done'",
        )
        .bind(format!("distribution.settle:{id}"))
        .fetch_one(app.store().reader())
        .await
        .unwrap();
        (n == 1).then_some(())
    })
    .await;
}

suite!(a_held_commission_is_not_settled_until_released_and_a_rejected_one_is_reversed, |b| async move {
    let db = TestDb::new(b).await;
    let mut cfg = test_config(&db.url);
    cfg.orders.sandbox_notify_delay_ms = 10;
    let app = TestApp::spawn_with(db, cfg, true).await;
    let owner = app.admin_login("admin").await;
    let finance = app.admin_login("finance").await;
    let service = app.admin_login("service").await;
    let op = app.admin_login("operator").await;

    // 10 % to the direct promoter, settled at receipt; one order per promoter and day before a hold.
    let settings = json!({
        "approval": "manual", "touch": "first", "settle_days": 0,
        "rates": {"direct": {"mode": "percent", "value": 1000}},
        "withdrawal_min": 100, "withdrawal_max": 100000, "risk_daily_limit": 1, "risk_crowd_limit": 3
    });
    let mut bad = settings.clone();
    bad["risk_daily_limit"] = json!(0);
    assert_field_error(
        app.put("/api/v1/admin/distribution/settings", Some(&owner), &bad).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "risk_daily_limit",
    )
    .await;
    let (st, v) = body(app.put("/api/v1/admin/distribution/settings", Some(&owner), &settings).await).await;
    assert_eq!((st, &v["risk_daily_limit"]), (StatusCode::OK, &json!(1)), "{v}");
    let sku = tea(&app, &op, &owner, "RISK").await;

    // The promoter keeps an address with their phone; a buyer of theirs ships to that phone.
    let promoter = app.buyer_login("risk-promoter").await;
    let (_, code) = become_promoter(&app, &promoter, &op).await;
    let (st, _) = body(app.post("/api/v1/shop/addresses", Some(&promoter), &json!({"name": "赵六", "phone": "13811112222", "province": "浙江", "city": "杭州", "district": "西湖", "detail": "文三路 8 号"})).await).await;
    assert_eq!(st, StatusCode::CREATED);
    let twin = app.buyer_login("risk-twin").await;
    let other = app.buyer_login("risk-other").await;
    for who in [&twin, &other] {
        assert_eq!(bind(&app, who, &code).await.0, StatusCode::OK);
    }
    let shared = paid_order_to(&app, &twin, sku, 1, "risk-1", "13811112222", "莫干山路 3 号").await;
    // Another buyer, nothing shared: the promoter's second order of the day is beyond the limit.
    let second = paid_order(&app, &other, sku, 1, "risk-2").await;
    let c = centre(&app, &promoter).await;
    assert_eq!((earnings(&c).0, c["promoter"]["earnings"]["held"].as_i64()), (2_000, Some(2_000)), "{c}");
    let r =
        app.req(Method::GET, "/promoter", None).header("cookie", format!("mm_buyer={promoter}")).send().await.unwrap();
    let centre_page = r.text().await.unwrap();
    assert!(centre_page.contains("其中审核中的佣金") && centre_page.contains("¥20.00"), "{centre_page}");
    let (st, q) = body(app.get("/api/v1/admin/commissions?status=held", Some(&service)).await).await;
    assert_eq!((st, q["total"].as_i64()), (StatusCode::OK, Some(2)), "{q}");
    let held_of = |order: &Value| {
        q["items"].as_array().unwrap().iter().find(|c| c["order_id"] == order["id"]).cloned().expect("held")
    };
    let (first_held, second_held) = (held_of(&shared), held_of(&second));
    assert_eq!(first_held["hold_reasons"], json!(["risk.phone_shared_with_promoter"]), "{first_held}");
    assert_eq!(second_held["hold_reasons"], json!(["risk.daily_limit"]), "{second_held}");
    assert_eq!(first_held["status"], "held");
    assert_eq!(audits(&app, "commission.hold").await, 2, "every hold is audited");
    assert_field_error(
        app.get("/api/v1/admin/commissions?status=nope", Some(&op)).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "status",
    )
    .await;

    // Received, and the settlement job has run: held commissions stay frozen.
    for (buyer, order) in [(&twin, &shared), (&other, &second)] {
        ship_and_receive(&app, &op, buyer, order["id"].as_i64().unwrap()).await;
    }
    assert_eq!(earnings(&centre(&app, &promoter).await), (2_000, 0, 0, 0, 0), "nothing held is settled");

    // Who may decide: not a buyer (the promoter), not finance, not customer service.
    let release = format!("/api/v1/admin/commissions/{}/release", first_held["id"]);
    let reject = format!("/api/v1/admin/commissions/{}/reject", second_held["id"]);
    for token in [&promoter, &finance, &service] {
        for path in [&release, &reject] {
            let st = app.post(path, Some(token), &json!({})).await.status();
            assert!(st == StatusCode::FORBIDDEN || st == StatusCode::UNAUTHORIZED, "{path}: {st}");
        }
    }
    assert_eq!(app.get("/api/v1/admin/commissions", Some(&finance)).await.status(), StatusCode::FORBIDDEN);
    let st = app.get("/api/v1/admin/commissions", Some(&promoter)).await.status();
    assert!(st == StatusCode::FORBIDDEN || st == StatusCode::UNAUTHORIZED, "{st}");
    let st = app.post("/api/v1/admin/commissions/999999/release", Some(&op), &json!({})).await.status();
    assert_eq!(st, StatusCode::NOT_FOUND);

    // Released after its order's settlement: it settles at once. Rejected: reversed by a new posting.
    let (st, v) = body(app.post(&release, Some(&op), &json!({})).await).await;
    assert_eq!((st, &v["status"]), (StatusCode::OK, &json!("settled")), "{v}");
    let (st, v) = body(app.post(&release, Some(&op), &json!({})).await).await;
    assert_eq!((st, &v["error"]["reason"]), (StatusCode::CONFLICT, &json!("commission.not_held")), "{v}");
    let (st, v) = body(app.post(&reject, Some(&op), &json!({})).await).await;
    assert_eq!((st, &v["status"], &v["net"]), (StatusCode::OK, &json!("rejected"), &json!(0)), "{v}");
    assert_eq!(v["hold_reasons"], json!(["risk.daily_limit"]), "the reasons stay on the record");
    let (st, v) = body(app.post(&reject, Some(&op), &json!({})).await).await;
    assert_eq!((st, &v["error"]["reason"]), (StatusCode::CONFLICT, &json!("commission.not_held")), "{v}");
    assert_eq!(earnings(&centre(&app, &promoter).await), (0, 1_000, 0, 0, 0));
    assert_eq!((audits(&app, "commission.release").await, audits(&app, "commission.reject").await), (1, 1));
    let rejected: Vec<Value> = postings(&app, &finance, "commission_reversed")
        .await
        .into_iter()
        .filter(|p| p["reference"] == format!("commission:{}:rejected", second_held["id"]))
        .collect();
    assert_eq!(rejected.len(), 1, "{rejected:?}");
    let on = |account: &str| -> i64 {
        rejected[0]["entries"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["account"] == account)
            .map(|e| e["amount"].as_i64().unwrap())
            .sum()
    };
    assert_eq!((on("commission_frozen"), on("commission_expense")), (1_000, -1_000));
    assert_eq!(-journal_sum(&app, &finance, "commission_frozen").await, 0);
    assert_eq!(-journal_sum(&app, &finance, "commission_payable").await, 1_000);
    let (_, q) = body(app.get("/api/v1/admin/commissions?status=held", Some(&op)).await).await;
    assert_eq!(q["total"], 0, "{q}");

    // The console's queue, in Chinese.
    let page = |path: &str, cookie: String| {
        let app = &app;
        let path = path.to_string();
        async move {
            let r = app.req(Method::GET, &path, None).header("cookie", cookie).send().await.unwrap();
            (r.status(), r.text().await.unwrap())
        }
    };
    let (st, html) = page("/admin/commissions?status=", format!("mm_admin={op}")).await;
    assert_eq!(st, StatusCode::OK);
    assert!(
        html.contains("佣金审核") && html.contains("与推广员手机号相同") && html.contains("推广员当日订单已达上限"),
        "{html}"
    );
    assert!(html.contains("已驳回") && !html.contains(">rejected<"), "{html}");
    let (st, _) = page("/admin/commissions", format!("mm_admin={finance}")).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
});

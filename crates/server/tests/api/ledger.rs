//! The journal through the API: an order walked through payment, a partial refund, shipment and completion
//! posts exactly its money, to the fen; the trial balance is zero and equals a recount of the entries; who
//! may read and change what.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::*;
use crate::suite;

/// The entries of the posting with `reference`, as (account, amount) sums per account.
async fn posting(app: &TestApp, token: &str, kind: &str, reference: &str) -> Option<Value> {
    let mut page = 1;
    loop {
        let (st, v) = body(
            app.get(&format!("/api/v1/admin/ledger/postings?kind={kind}&page={page}&page_size=100"), Some(token)).await,
        )
        .await;
        assert_eq!(st, StatusCode::OK, "{v}");
        let items = v["items"].as_array().unwrap();
        if let Some(p) = items.iter().find(|p| p["reference"] == reference) {
            return Some(p.clone());
        }
        if items.len() < 100 {
            return None;
        }
        page += 1;
    }
}

fn on(p: &Value, account: &str) -> i64 {
    p["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["account"] == account)
        .map(|e| e["amount"].as_i64().unwrap())
        .sum()
}

fn balanced(p: &Value) {
    for unit in ["fen", "points"] {
        let sum: i64 = p["entries"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["unit"] == unit)
            .map(|e| e["amount"].as_i64().unwrap())
            .sum();
        assert_eq!(sum, 0, "{unit} entries of {p}");
    }
}

/// Half up, as the fee rule says: round(a × b / c).
fn round_half_up(a: i64, b: i64, c: i64) -> i64 {
    ((a as i128 * b as i128 * 2 + c as i128) / (2 * c as i128)) as i64
}

suite!(an_order_posts_payment_refund_shipment_and_cost_of_goods_to_the_fen, |b| async move {
    let db = TestDb::new(b).await;
    let mut cfg = test_config(&db.url);
    cfg.orders.sandbox_notify_delay_ms = 10;
    cfg.orders.sandbox_duplicates = 2;
    cfg.orders.aftersale_days = 0;
    let app = TestApp::spawn_with(db, cfg, true).await;
    let owner = app.admin_login("admin").await;
    let finance = app.admin_login("finance").await;
    let op = app.admin_login("operator").await;

    // The shop's terms with the sandbox: 0.6 %, the fee given back on refunds.
    let terms = json!({"provider": "sandbox", "fee_basis_points": 60, "refund_fee": "returned"});
    let (st, v) = body(app.put("/api/v1/admin/settings/payment-fees", Some(&owner), &terms).await).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert!(v["items"].as_array().unwrap().contains(&terms), "{v}");

    // 3 × ¥307.40 with a ¥20 coupon: ¥902.20 paid, whose fee is ¥5.41 (541.32 fen, half up).
    let (_, c) = body(app.post("/api/v1/admin/categories", Some(&op), &json!({"name": "茶叶"})).await).await;
    let (st, p) = body(
        app.post_idem(
            "/api/v1/admin/products",
            Some(&owner),
            &json!({
                "product": {"code": "TEA", "category_id": c["id"], "title": "龙井", "on_shelf": true},
                "skus": [{"code": "TEA-1", "stock": 20, "original_price": 30740, "sale_price": 30740, "cost_price": 12000}]
            }),
        )
        .await,
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{p}");
    let sku = p["product"]["skus"][0]["id"].as_i64().unwrap();
    let product = p["product"]["id"].as_i64().unwrap();
    let (_, tpl) = body(
        app.post(
            "/api/v1/admin/coupons",
            Some(&op),
            &json!({"name": "减20", "kind": "amount_off", "amount_off": 2000, "scope": {"all": true}, "valid_days": 3}),
        )
        .await,
    )
    .await;
    let buyer = app.buyer_login("ledger-buyer").await;
    let (_, coupon) =
        body(app.post(&format!("/api/v1/shop/coupon-templates/{}/claim", tpl["id"]), Some(&buyer), &json!({})).await)
            .await;
    let (_, a) = body(app.post("/api/v1/shop/addresses", Some(&buyer), &json!({"name": "王五", "phone": "13700001111", "province": "浙江", "city": "杭州", "district": "西湖", "detail": "1号"})).await).await;
    let (st, o) = body(
        app.req(Method::POST, "/api/v1/shop/orders", Some(&buyer))
            .header("Idempotency-Key", "ledger-1")
            .json(&json!({"items": [{"sku_id": sku, "quantity": 3}], "coupon_ids": [coupon["id"]], "address_id": a["id"]}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{o}");
    let id = o["id"].as_i64().unwrap();
    assert_eq!(o["payable"], 90_220, "{o}");
    let (_, pay) =
        body(app.post(&format!("/api/v1/shop/orders/{id}/pay"), Some(&buyer), &json!({"provider": "sandbox"})).await)
            .await;
    app.post(pay["sandbox_complete_url"].as_str().unwrap(), Some(&buyer), &json!({})).await;
    let order = eventually(15, || async {
        let (_, o) = body(app.get(&format!("/api/v1/shop/orders/{id}"), Some(&buyer)).await).await;
        (o["status"] == "to_ship").then_some(o)
    })
    .await;
    let merchant = app.store().default_merchant().await.unwrap().id;
    let payment = app.store().payment_for_order(minimall_core::OrderId::new(id)).await.unwrap().unwrap();
    assert_eq!((payment.amount, payment.fee), (90_220, 541));

    // Payment: the provider holds what was paid less the fee; revenue before the coupon; the coupon a cost.
    let paid =
        posting(&app, &finance, "payment_succeeded", &format!("payment:{}", payment.id)).await.expect("payment posted");
    balanced(&paid);
    assert_eq!(on(&paid, "provider_clearing"), 90_220 - 541);
    assert_eq!(on(&paid, "sales_revenue"), -92_220);
    assert_eq!(on(&paid, "coupon_cost"), 2_000);
    assert_eq!(on(&paid, "payment_fees"), 541);
    assert!(paid["entries"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["account"] == "sales_revenue" && e["product_id"] == product));
    // The finance pages show it: the payment of ¥902.20 posted with its fee of ¥5.41.
    let r = app
        .client
        .get(format!("{}/admin/finance/postings?kind=payment_succeeded", app.base))
        .header("cookie", format!("mm_admin={finance}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    let at = html.find("5.41").unwrap_or(0).saturating_sub(200);
    let near: String = html.get(at..).unwrap_or("").chars().take(400).collect();
    assert!(
        html.contains("支付渠道待清算 ¥902.20") && html.contains("支付手续费 ¥5.41"),
        "the postings page shows the fee: {near}"
    );

    // Partial refund of one unit: the fee comes back in proportion, half up.
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
    let (st, done) =
        body(app.post(&format!("/api/v1/admin/aftersales/{}/approve", req["id"]), Some(&op), &json!({})).await).await;
    assert_eq!(st, StatusCode::OK, "{done}");
    let refunded = done["amount"].as_i64().unwrap();
    assert!(refunded > 0 && refunded < 90_220);
    let refund = eventually(15, || async {
        let r = app.store().refunds_of(minimall_core::OrderId::new(id)).await.unwrap();
        r.into_iter().find(|r| r.status == "succeeded")
    })
    .await;
    assert_eq!(refund.amount, refunded);
    let back =
        posting(&app, &finance, "refund_succeeded", &format!("refund:{}", refund.id)).await.expect("refund posted");
    balanced(&back);
    let fee_back = round_half_up(541, refunded, 90_220);
    assert_eq!(on(&back, "sales_refunds"), refunded);
    assert_eq!(on(&back, "provider_clearing"), fee_back - refunded);
    assert_eq!(on(&back, "payment_fees"), -fee_back);

    // Shipped with what the carrier charges; the buyer receives; the order completes.
    let (st, v) = body(
        app.post(
            &format!("/api/v1/admin/orders/{id}/ship"),
            Some(&op),
            &json!({"carrier": "顺丰速运", "tracking_no": "SF100200", "cost": 1_200}),
        )
        .await,
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let (st, v) = body(app.post(&format!("/api/v1/shop/orders/{id}/receive"), Some(&buyer), &json!({})).await).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let completed =
        eventually(15, || async { posting(&app, &finance, "order_completed", &format!("order:{id}")).await }).await;
    balanced(&completed);
    assert_eq!(on(&completed, "cost_of_goods"), 2 * 12_000, "the two units kept, at the SKU's cost");
    assert_eq!(on(&completed, "inventory"), -2 * 12_000);
    let (_, d) = body(app.get(&format!("/api/v1/admin/orders/{id}"), Some(&op)).await).await;
    assert_eq!(d["order"]["status"], "completed", "{d}");
    let ship = app.store().shipments_of(minimall_core::OrderId::new(id)).await.unwrap();
    let shipped =
        posting(&app, &finance, "shipment_cost", &format!("shipment:{}", ship[0].id)).await.expect("shipment posted");
    assert_eq!((on(&shipped, "shipping_cost"), on(&shipped, "accounts_payable")), (1_200, -1_200));

    // The trial balance is zero per unit and equals a recount of the entries.
    let (st, tb) = body(app.get("/api/v1/admin/ledger/trial-balance", Some(&finance)).await).await;
    assert_eq!(st, StatusCode::OK, "{tb}");
    assert_eq!((tb["fen_difference"].as_i64(), tb["points_difference"].as_i64()), (Some(0), Some(0)), "{tb}");
    let recount = app.store().journal_recount(merchant).await.unwrap();
    let accounts = tb["accounts"].as_array().unwrap();
    assert_eq!(accounts.len(), recount.len());
    for (a, r) in accounts.iter().zip(&recount) {
        assert_eq!(a["account"], r.account.as_str());
        assert_eq!(
            (a["debits"].as_i64(), a["credits"].as_i64(), a["balance"].as_i64(), a["entries"].as_i64()),
            (Some(r.debits), Some(r.credits), Some(r.balance), Some(r.entry_count)),
            "{}",
            r.account
        );
    }

    // Profit and loss of today equals the entries of today, account by account.
    let today = minimall_core::time::day_of(minimall_store::now_ms()).unwrap();
    let date = minimall_core::time::date_of_day(today).unwrap().to_string();
    let (st, pl) =
        body(app.get(&format!("/api/v1/admin/ledger/profit-and-loss?from={date}&to={date}"), Some(&finance)).await)
            .await;
    assert_eq!(st, StatusCode::OK, "{pl}");
    let flows = app.store().journal_period_recount(merchant, today, today).await.unwrap();
    let movement = |code: &str, sign: i64| {
        flows.iter().filter(|f| f.account == code).map(|f| (f.debits - f.credits) * sign).sum::<i64>()
    };
    assert_eq!(pl["payment_fees"].as_i64().unwrap(), movement("payment_fees", 1));
    assert_eq!(pl["sales_revenue"].as_i64().unwrap(), movement("sales_revenue", -1));
    assert_eq!(pl["cost_of_goods"].as_i64().unwrap(), movement("cost_of_goods", 1));
    let pnl_accounts = [
        "sales_revenue",
        "shipping_income",
        "sales_refunds",
        "payment_fees",
        "coupon_cost",
        "points_cost",
        "shipping_cost",
        "cost_of_goods",
        "commission_expense",
        "operating_expenses",
    ];
    let direct: i64 = pnl_accounts.iter().map(|a| movement(a, -1)).sum();
    assert_eq!(pl["net_profit"].as_i64().unwrap(), direct);
    assert!(pl["cost_of_goods"].as_i64().unwrap() >= 24_000 && pl["shipping_cost"].as_i64().unwrap() >= 1_200);
});

suite!(the_journal_is_read_by_finance_and_owner_and_fee_terms_set_by_the_owner, |b| async move {
    let app = TestApp::spawn(b).await;
    let owner = app.admin_login("admin").await;
    let finance = app.admin_login("finance").await;
    for path in [
        "/api/v1/admin/ledger/postings",
        "/api/v1/admin/ledger/trial-balance",
        "/api/v1/admin/ledger/profit-and-loss?from=2026-01-01&to=2026-01-31",
        "/api/v1/admin/settings/payment-fees",
    ] {
        for who in ["operator", "service", "clerk"] {
            let t = app.admin_login(who).await;
            let r = app.get(path, Some(&t)).await;
            assert_eq!(r.status(), StatusCode::FORBIDDEN, "{who} {path}");
        }
        for t in [&owner, &finance] {
            let r = app.get(path, Some(t)).await;
            assert_eq!(r.status(), StatusCode::OK, "{path}");
        }
        let buyer = app.buyer_login("nosy").await;
        assert_eq!(app.get(path, Some(&buyer)).await.status(), StatusCode::FORBIDDEN, "buyer {path}");
        assert_eq!(app.get(path, None).await.status(), StatusCode::UNAUTHORIZED, "anonymous {path}");
    }
    let terms = json!({"provider": "wechat", "fee_basis_points": 38, "refund_fee": "kept"});
    let r = app.put("/api/v1/admin/settings/payment-fees", Some(&finance), &terms).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "finance reads the terms but does not set them");
    let (st, v) = body(app.put("/api/v1/admin/settings/payment-fees", Some(&owner), &terms).await).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let (_, v) = body(app.get("/api/v1/admin/settings/payment-fees", Some(&finance)).await).await;
    assert!(v["items"].as_array().unwrap().contains(&terms), "{v}");
    let (_, log) = body(app.get("/api/v1/admin/audit-log?action=settings.payment_fees", Some(&owner)).await).await;
    assert_eq!(log["total"], 1, "{log}");

    for (bad, field) in [
        (json!({"provider": "wechat", "fee_basis_points": 1001, "refund_fee": "kept"}), "fee_basis_points"),
        (json!({"provider": "wechat", "fee_basis_points": -1, "refund_fee": "kept"}), "fee_basis_points"),
        (json!({"provider": "alipay", "fee_basis_points": 60, "refund_fee": "kept"}), "provider"),
        (json!({"provider": "wechat", "fee_basis_points": 60, "refund_fee": "sometimes"}), "refund_fee"),
    ] {
        assert_field_error(
            app.put("/api/v1/admin/settings/payment-fees", Some(&owner), &bad).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            field,
        )
        .await;
    }
    for (query, field) in [
        ("account=nope", "account"),
        ("kind=nope", "kind"),
        ("from=2026-13-01", "from"),
        ("page_size=101", "page_size"),
    ] {
        assert_field_error(
            app.get(&format!("/api/v1/admin/ledger/postings?{query}"), Some(&finance)).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            field,
        )
        .await;
    }
    for (query, field) in [
        ("from=2026-02-01&to=2026-01-01", "to"),
        ("from=2000-01-01&to=2026-01-01", "to"),
        ("from=x&to=2026-01-01", "from"),
    ] {
        assert_field_error(
            app.get(&format!("/api/v1/admin/ledger/profit-and-loss?{query}"), Some(&finance)).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            field,
        )
        .await;
    }
});

// Three orders paid with the sandbox today, one refunded in part: the sandbox's own bill reconciles with no
// finding; a bill with a refund left out, an extra payment and an amount changed has exactly those three.
suite!(reconciliation_finds_a_planted_missing_refund_extra_payment_and_amount_mismatch, |b| async move {
    let db = TestDb::new(b).await;
    let mut cfg = test_config(&db.url);
    cfg.orders.sandbox_notify_delay_ms = 10;
    cfg.orders.sandbox_duplicates = 1;
    let app = TestApp::spawn_with(db, cfg, true).await;
    let owner = app.admin_login("admin").await;
    let finance = app.admin_login("finance").await;
    let op = app.admin_login("operator").await;
    let (_, c) = body(app.post("/api/v1/admin/categories", Some(&op), &json!({"name": "水果"})).await).await;
    let (_, p) = body(
        app.post_idem(
            "/api/v1/admin/products",
            Some(&owner),
            &json!({
                "product": {"code": "ORANGE", "category_id": c["id"], "title": "脐橙", "on_shelf": true},
                "skus": [{"code": "ORANGE-1", "stock": 50, "original_price": 4990, "sale_price": 4990, "cost_price": 2000}]
            }),
        )
        .await,
    )
    .await;
    let sku = p["product"]["skus"][0]["id"].as_i64().unwrap();
    let buyer = app.buyer_login("reconciler").await;
    let (_, a) = body(app.post("/api/v1/shop/addresses", Some(&buyer), &json!({"name": "赵六", "phone": "13700002222", "province": "江西", "city": "赣州", "district": "章贡", "detail": "2号"})).await).await;
    let mut orders = Vec::new();
    for (k, qty) in [1, 2, 3].into_iter().enumerate() {
        let (st, o) = body(
            app.req(Method::POST, "/api/v1/shop/orders", Some(&buyer))
                .header("Idempotency-Key", format!("rec-{k}"))
                .json(&json!({"items": [{"sku_id": sku, "quantity": qty}], "address_id": a["id"]}))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(st, StatusCode::CREATED, "{o}");
        let id = o["id"].as_i64().unwrap();
        let (_, pay) = body(
            app.post(&format!("/api/v1/shop/orders/{id}/pay"), Some(&buyer), &json!({"provider": "sandbox"})).await,
        )
        .await;
        app.post(pay["sandbox_complete_url"].as_str().unwrap(), Some(&buyer), &json!({})).await;
        let o = eventually(15, || async {
            let (_, o) = body(app.get(&format!("/api/v1/shop/orders/{id}"), Some(&buyer)).await).await;
            (o["status"] == "to_ship").then_some(o)
        })
        .await;
        orders.push(o);
    }
    let refunded_order = orders[2]["id"].as_i64().unwrap();
    let line = orders[2]["lines"][0]["id"].as_i64().unwrap();
    let (_, req) = body(
        app.post(
            &format!("/api/v1/shop/orders/{refunded_order}/aftersales"),
            Some(&buyer),
            &json!({"kind": "refund_only", "lines": [{"line_id": line, "quantity": 1}], "reason": "坏了一个"}),
        )
        .await,
    )
    .await;
    let (st, v) =
        body(app.post(&format!("/api/v1/admin/aftersales/{}/approve", req["id"]), Some(&op), &json!({})).await).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let refund = eventually(15, || async {
        app.store()
            .refunds_of(minimall_core::OrderId::new(refunded_order))
            .await
            .unwrap()
            .into_iter()
            .find(|r| r.status == "succeeded")
    })
    .await;
    let payment = |i: usize| orders[i]["id"].as_i64().unwrap();
    let first = app.store().payment_for_order(minimall_core::OrderId::new(payment(0))).await.unwrap().unwrap();
    let second = app.store().payment_for_order(minimall_core::OrderId::new(payment(1))).await.unwrap().unwrap();

    let date = minimall_core::time::date_of_day(minimall_core::time::day_of(minimall_store::now_ms()).unwrap())
        .unwrap()
        .to_string();
    let r = app.get(&format!("/api/v1/admin/ledger/statements/sandbox?date={date}"), Some(&finance)).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let bill = r.text().await.unwrap();
    assert!(
        bill.contains(&format!("`{}", first.out_trade_no)) && bill.contains(&format!("`{}", refund.out_refund_no)),
        "{bill}"
    );

    let reconcile = |bill: String| {
        let app = &app;
        let finance = finance.clone();
        let date = date.clone();
        async move {
            let (st, v) = body(
                app.post(
                    "/api/v1/admin/ledger/reconciliations",
                    Some(&finance),
                    &json!({"provider": "sandbox", "date": date, "bill": bill}),
                )
                .await,
            )
            .await;
            assert_eq!(st, StatusCode::OK, "{v}");
            v
        }
    };
    let clean = reconcile(bill.clone()).await;
    assert_eq!(clean["findings"], json!([]), "{clean}");
    assert!(clean["matched"].as_i64().unwrap() >= 4);
    assert_eq!(clean["matched"], clean["statement_lines"]);
    assert_eq!(clean["matched"], clean["recorded_lines"]);

    // Plant: the refund left out, the second payment a fen more, a payment the shop never took.
    let rows: Vec<&str> = bill.split("\r\n").collect();
    let mut planted = Vec::new();
    for row in &rows {
        if row.contains(&format!("`{}", refund.out_refund_no)) {
            continue;
        }
        if row.contains(&format!("`{},", second.out_trade_no)) && row.contains("`SUCCESS") {
            let yuan = |fen: i64| minimall_core::Money::from_fen(fen).to_yuan_string();
            planted.push(row.replacen(
                &format!("`{}", yuan(second.amount)),
                &format!("`{}", yuan(second.amount + 1)),
                1,
            ));
            continue;
        }
        planted.push(row.to_string());
        if row.contains(&format!("`{},", first.out_trade_no)) && row.contains("`SUCCESS") {
            planted.push(row.replace(&first.out_trade_no, "EXTRA20260101000001"));
        }
    }
    let report = reconcile(planted.join("\r\n")).await;
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 3, "{report}");
    assert!(
        findings.contains(&json!({"finding": "amount_mismatch", "kind": "payment", "reference": second.out_trade_no,
        "what": "amount", "recorded": second.amount, "statement": second.amount + 1})),
        "{report}"
    );
    assert!(
        findings.contains(&json!({"finding": "extra", "kind": "payment", "reference": "EXTRA20260101000001",
        "what": null, "recorded": null, "statement": first.amount})),
        "{report}"
    );
    assert!(
        findings.contains(&json!({"finding": "missing", "kind": "refund", "reference": refund.out_refund_no,
        "what": null, "recorded": refund.amount, "statement": null})),
        "{report}"
    );

    // Only finance and the owner; a bill that is not one is refused naming the field.
    let r = app
        .post(
            "/api/v1/admin/ledger/reconciliations",
            Some(&op),
            &json!({"provider": "sandbox", "date": date, "bill": bill}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        app.get(&format!("/api/v1/admin/ledger/statements/sandbox?date={date}"), Some(&op)).await.status(),
        StatusCode::FORBIDDEN
    );
    for (bad, field) in [
        (json!({"provider": "sandbox", "date": date, "bill": "a,b\r\n1,2"}), "bill"),
        (json!({"provider": "sandbox", "date": "2026-02-30", "bill": bill}), "date"),
        (json!({"provider": "paypal", "date": date, "bill": bill}), "provider"),
    ] {
        assert_field_error(
            app.post("/api/v1/admin/ledger/reconciliations", Some(&owner), &bad).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            field,
        )
        .await;
    }
});

// A line priced by an activity names it on its revenue entry, so the report per promotion reads what the
// activity sold from the journal.
suite!(an_activity_priced_line_is_tagged_in_the_journal_and_reported_per_promotion, |b| async move {
    let db = TestDb::new(b).await;
    let mut cfg = test_config(&db.url);
    cfg.orders.sandbox_notify_delay_ms = 10;
    let app = TestApp::spawn_with(db, cfg, true).await;
    let owner = app.admin_login("admin").await;
    let op = app.admin_login("operator").await;
    let finance = app.admin_login("finance").await;
    let (_, c) = body(app.post("/api/v1/admin/categories", Some(&op), &json!({"name": "茶叶"})).await).await;
    let (st, p) = body(
        app.post_idem(
            "/api/v1/admin/products",
            Some(&owner),
            &json!({
                "product": {"code": "ACT", "category_id": c["id"], "title": "白茶", "on_shelf": true},
                "skus": [{"code": "ACT-1", "stock": 20, "original_price": 10000, "sale_price": 10000, "cost_price": 4000}]
            }),
        )
        .await,
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{p}");
    let sku = p["product"]["skus"][0]["id"].as_i64().unwrap();
    let now = minimall_store::now_ms();
    let (st, act) = body(
        app.post(
            "/api/v1/admin/activities",
            Some(&op),
            &json!({"name": "白茶8折", "kind": "limited_discount", "rule": {"percent": 80},
                "scope": {"products": [p["product"]["id"]]}, "starts_at": now - 1_000, "ends_at": now + 86_400_000}),
        )
        .await,
    )
    .await;
    assert!(st.is_success(), "{act}");
    let activity = act["id"].as_i64().unwrap();
    let buyer = app.buyer_login("activity-buyer").await;
    let (_, a) = body(app.post("/api/v1/shop/addresses", Some(&buyer), &json!({"name": "王五", "phone": "13700001111", "province": "浙江", "city": "杭州", "district": "西湖", "detail": "1号"})).await).await;
    let (st, o) = body(
        app.req(Method::POST, "/api/v1/shop/orders", Some(&buyer))
            .header("Idempotency-Key", "activity-1")
            .json(&json!({"items": [{"sku_id": sku, "quantity": 2}], "address_id": a["id"]}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{o}");
    let id = o["id"].as_i64().unwrap();
    let (_, pay) =
        body(app.post(&format!("/api/v1/shop/orders/{id}/pay"), Some(&buyer), &json!({"provider": "sandbox"})).await)
            .await;
    app.post(pay["sandbox_complete_url"].as_str().unwrap(), Some(&buyer), &json!({})).await;
    let payment = eventually(15, || async {
        app.store()
            .payment_for_order(minimall_core::OrderId::new(id))
            .await
            .unwrap()
            .filter(|p| p.status == "succeeded")
    })
    .await;
    let paid = eventually(15, || async {
        posting(&app, &finance, "payment_succeeded", &format!("payment:{}", payment.id)).await
    })
    .await;
    let tag = format!("activity:{activity}");
    let revenue: Vec<&Value> =
        paid["entries"].as_array().unwrap().iter().filter(|e| e["account"] == "sales_revenue").collect();
    assert_eq!(revenue.len(), 1, "{paid}");
    assert_eq!(
        (revenue[0]["promotion"].as_str(), revenue[0]["amount"].as_i64()),
        (Some(tag.as_str()), Some(-16_000)),
        "{paid}"
    );

    let today = minimall_core::time::date_of_day(minimall_core::time::day_of(minimall_store::now_ms()).unwrap())
        .unwrap()
        .to_string();
    let (st, r) = body(
        app.get(&format!("/api/v1/admin/finance/report/promotions?from={today}&to={today}"), Some(&finance)).await,
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    let row = r["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["promotion"] == tag.as_str())
        .cloned()
        .expect("the activity's row");
    assert_eq!(row["sold"], 16_000, "{r}");
    let (_, drill) =
        body(app.get(&format!("/api/v1/admin/ledger/postings?promotion={tag}"), Some(&finance)).await).await;
    assert_eq!(drill["total"], 1, "{drill}");
});

//! Finance reports, operating expenses and staff counts through the API: who may read and write them, what
//! they post, and a generated shop of 10,000 orders over 60 days whose every report figure (by day, week and
//! month, per product and per promotion) equals a direct recount from its orders, refunds and expenses.

use minimall_core::ledger::build::{self, CostLine, FeeRate, RefundedLine};
use minimall_core::Money;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;
use crate::suite;

const DAY_MS: i64 = 86_400_000;

fn month_of(ms: i64) -> String {
    minimall_core::time::rfc3339_seconds(ms).unwrap()[..7].to_string()
}

suite!(expenses_and_staff_are_written_by_finance_read_by_the_owner_and_posted, |b| async move {
    let app = TestApp::spawn(b).await;
    let owner = app.admin_login("admin").await;
    let finance = app.admin_login("finance").await;
    let now = minimall_store::now_ms();
    let month = month_of(now);
    let today = minimall_core::time::rfc3339_seconds(now).unwrap()[..10].to_string();
    let first = format!("{month}-01");

    let rent = json!({"month": month, "category": "rent", "amount": 800_000, "memo": "店铺房租"});
    let labour = json!({"month": month, "category": "labour", "amount": 1_200_000, "paid": false});
    // Who may write and read.
    for who in ["operator", "service", "clerk"] {
        let t = app.admin_login(who).await;
        let r = app.post_idem("/api/v1/admin/finance/expenses", Some(&t), &rent).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{who} enters no expense");
        let r = app.put("/api/v1/admin/finance/staff", Some(&t), &json!({"month": month, "staff": 3})).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{who} sets no staff count");
        for path in [
            "/api/v1/admin/finance/expenses".to_string(),
            "/api/v1/admin/finance/staff".to_string(),
            format!("/api/v1/admin/finance/report?from={first}&to={today}"),
            format!("/api/v1/admin/finance/report/products?from={first}&to={today}"),
            format!("/api/v1/admin/finance/report/promotions?from={first}&to={today}"),
        ] {
            assert_eq!(app.get(&path, Some(&t)).await.status(), StatusCode::FORBIDDEN, "{who} {path}");
            assert_eq!(app.get(&path, None).await.status(), StatusCode::UNAUTHORIZED, "{path}");
            assert_eq!(app.get(&path, Some(&owner)).await.status(), StatusCode::OK, "{path}");
        }
    }
    let buyer = app.buyer_login("nosy").await;
    assert_eq!(
        app.post_idem("/api/v1/admin/finance/expenses", Some(&buyer), &rent).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(app.post_idem("/api/v1/admin/finance/expenses", None, &rent).await.status(), StatusCode::UNAUTHORIZED);
    // A money write needs its key.
    let r = app.post("/api/v1/admin/finance/expenses", Some(&finance), &rent).await;
    assert_field_error(r, StatusCode::UNPROCESSABLE_ENTITY, "Idempotency-Key").await;

    let (s, e1) = body(app.post_idem("/api/v1/admin/finance/expenses", Some(&finance), &rent).await).await;
    assert_eq!(s, StatusCode::CREATED, "{e1}");
    let (s, e2) = body(app.post_idem("/api/v1/admin/finance/expenses", Some(&owner), &labour).await).await;
    assert_eq!(s, StatusCode::CREATED, "{e2}");
    assert_eq!((e1["paid"].as_bool(), e2["paid"].as_bool()), (Some(true), Some(false)));

    // Its posting: operating expenses against the bank (paid) or accounts payable (owed), by a person.
    let (_, posts) =
        body(app.get("/api/v1/admin/ledger/postings?kind=expense&account=operating_expenses", Some(&owner)).await)
            .await;
    assert_eq!(posts["total"], 2, "{posts}");
    let p = posts["items"].as_array().unwrap().iter().find(|p| p["id"] == e1["posting_id"]).unwrap();
    let entries: Vec<(String, i64)> = p["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["account"].as_str().unwrap().to_string(), e["amount"].as_i64().unwrap()))
        .collect();
    assert_eq!(entries, vec![("operating_expenses".into(), 800_000), ("bank".into(), -800_000)]);
    assert!(p["actor_id"].as_i64().is_some(), "a person's posting names them");
    assert_eq!(p["reference"], format!("expense:{}", e1["id"]));

    // Staff and revenue per staff member.
    let (s, v) =
        body(app.put("/api/v1/admin/finance/staff", Some(&finance), &json!({"month": month, "staff": 4})).await).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (_, staff) = body(app.get("/api/v1/admin/finance/staff", Some(&owner)).await).await;
    assert_eq!(staff["items"], json!([{"month": month, "staff": 4}]));
    let (s, pl) =
        body(app.get(&format!("/api/v1/admin/ledger/profit-and-loss?from={first}&to={today}"), Some(&owner)).await)
            .await;
    assert_eq!(s, StatusCode::OK, "{pl}");
    assert_eq!(pl["operating_expenses"], 2_000_000, "{pl}");
    assert_eq!(
        pl["net_profit"].as_i64(),
        Some(
            pl["gross_profit"].as_i64().unwrap()
                - 2_000_000
                - pl["payment_fees"].as_i64().unwrap()
                - pl["coupon_cost"].as_i64().unwrap()
                - pl["points_cost"].as_i64().unwrap()
                - pl["commission"].as_i64().unwrap()
        )
    );
    assert_eq!(pl["staff"], 4);
    assert_eq!(pl["revenue_per_staff"].as_i64(), Some(pl["net_revenue"].as_i64().unwrap().div_euclid(4)));
    let (_, rep) = body(
        app.get(&format!("/api/v1/admin/finance/report?from={first}&to={today}&granularity=month"), Some(&finance))
            .await,
    )
    .await;
    assert_eq!(rep["periods"][0]["operating_expenses"], 2_000_000, "{rep}");
    assert_eq!(rep["periods"][0]["staff"], 4, "{rep}");
    assert_eq!(
        rep["periods"][0]["drill"]["operating_expenses"],
        format!("account=operating_expenses&from={first}&to={}", rep["periods"][0]["to"].as_str().unwrap())
    );

    // Voiding reverses the posting once; the figure drops back.
    let void = format!("/api/v1/admin/finance/expenses/{}/void", e2["id"]);
    let (s, v) = body(app.post(&void, Some(&finance), &json!({"reason": "录重了"})).await).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(v["void_posting_id"].as_i64().is_some());
    let (s, v) = body(app.post(&void, Some(&finance), &json!({"reason": "再来"})).await).await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert_eq!(v["error"]["reason"], "finance.expense_voided");
    let (_, pl) =
        body(app.get(&format!("/api/v1/admin/ledger/profit-and-loss?from={first}&to={today}"), Some(&owner)).await)
            .await;
    assert_eq!(pl["operating_expenses"], 800_000, "{pl}");
    let (_, tb) = body(app.get("/api/v1/admin/ledger/trial-balance", Some(&owner)).await).await;
    assert_eq!((tb["fen_difference"].as_i64(), tb["points_difference"].as_i64()), (Some(0), Some(0)));
    let (_, list) =
        body(app.get(&format!("/api/v1/admin/finance/expenses?from={month}&to={month}"), Some(&owner)).await).await;
    assert_eq!(list["total"], 2, "{list}");
    let (_, log) = body(app.get("/api/v1/admin/audit-log?action=finance.expense", Some(&owner)).await).await;
    assert_eq!(log["total"], 2, "{log}");
    let (_, log) = body(app.get("/api/v1/admin/audit-log?action=finance.expense_void", Some(&owner)).await).await;
    assert_eq!(log["total"], 1, "{log}");
    let (_, log) = body(app.get("/api/v1/admin/audit-log?action=finance.staff", Some(&owner)).await).await;
    assert_eq!(log["total"], 1, "{log}");

    // Bad input names its field.
    for (bad, field) in [
        (json!({"month": "2026-13", "category": "rent", "amount": 1}), "month"),
        (json!({"month": month, "category": "party", "amount": 1}), "category"),
        (json!({"month": month, "category": "rent", "amount": 0}), "amount"),
        (json!({"month": month, "category": "rent", "amount": 10_000_000_001_i64}), "amount"),
        (json!({"month": month, "category": "rent", "amount": 1, "memo": "长".repeat(201)}), "memo"),
    ] {
        let r = app.post_idem("/api/v1/admin/finance/expenses", Some(&finance), &bad).await;
        assert_field_error(r, StatusCode::UNPROCESSABLE_ENTITY, field).await;
    }
    let r = app.post(&void, Some(&finance), &json!({"reason": ""})).await;
    assert_field_error(r, StatusCode::UNPROCESSABLE_ENTITY, "reason").await;
    let r = app.post("/api/v1/admin/finance/expenses/999999/void", Some(&finance), &json!({"reason": "x"})).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    for bad in [json!({"month": month, "staff": -1}), json!({"month": "x", "staff": 1})] {
        let r = app.put("/api/v1/admin/finance/staff", Some(&finance), &bad).await;
        let field = if bad["staff"] == -1 { "staff" } else { "month" };
        assert_field_error(r, StatusCode::UNPROCESSABLE_ENTITY, field).await;
    }
    for (q, field) in [
        ("from=2026-02-01&to=2026-01-01", "to"),
        ("from=2000-01-01&to=2026-01-01", "to"),
        ("from=x&to=2026-01-01", "from"),
        ("from=2026-01-01&to=2026-01-02&granularity=year", "granularity"),
    ] {
        let r = app.get(&format!("/api/v1/admin/finance/report?{q}"), Some(&owner)).await;
        assert_field_error(r, StatusCode::UNPROCESSABLE_ENTITY, field).await;
    }
    let r = app.get("/api/v1/admin/ledger/postings?product_id=0", Some(&owner)).await;
    assert_field_error(r, StatusCode::UNPROCESSABLE_ENTITY, "product_id").await;
});

/// A small deterministic generator.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: i64) -> i64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((self.0 >> 11) % n as u64) as i64
    }
}

/// Writes `n` orders over the last `days` days, as checkout, payment, refunds and completion leave them,
/// each with the journal's postings built by `core::ledger::build` at the time of its business write (the
/// shop keeps the fee on refunds): 85 % paid, 1–2 lines of 6 products, some with a reduction, a coupon of 3,
/// points or shipping; 10 % of the paid refunded in part on a later day; 60 % completed on a later day.
async fn generate(store: &minimall_store::Store, products: &[(i64, i64, i64, i64)], n: i64, days: i64) {
    let merchant = store.default_merchant().await.unwrap().id;
    let buyers: Vec<(i64,)> =
        sqlx::query_as("SELECT id FROM buyers ORDER BY id LIMIT 150").fetch_all(store.reader()).await.unwrap();
    let now = minimall_store::now_ms() - 60_000;
    let mut rng = Lcg(23);
    let mut tx = store.begin().await.unwrap();
    for i in 0..n {
        if i % 250 == 249 {
            minimall_store::commit(tx).await.unwrap();
            tx = store.begin().await.unwrap();
        }
        let created = now - rng.next(days * DAY_MS);
        let paid = rng.next(100) < 85;
        let buyer = buyers[rng.next(buyers.len() as i64) as usize].0;
        let mut lines = Vec::new();
        for _ in 0..1 + rng.next(2) {
            let (product, sku, price, _) = products[rng.next(products.len() as i64) as usize];
            let qty = 1 + rng.next(3);
            lines.push((product, sku, price, qty, price * qty));
        }
        let goods: i64 = lines.iter().map(|l| l.4).sum();
        let order_discount = if rng.next(5) == 0 { goods / 10 } else { 0 };
        let reductions = minimall_core::money::apportion(
            Money::from_fen(order_discount),
            &lines.iter().map(|l| Money::from_fen(l.4)).collect::<Vec<_>>(),
        );
        let revenue: Vec<(i64, Money)> =
            lines.iter().zip(&reductions).map(|(l, r)| (l.0, Money::from_fen(l.4 - r.fen()))).collect();
        let after: i64 = revenue.iter().map(|r| r.1.fen()).sum();
        let coupon = if rng.next(4) == 0 { (after / 20).max(1) } else { 0 };
        let coupon_id = 1 + rng.next(3);
        let points_used = if rng.next(6) == 0 { 100 * (1 + rng.next(5)) } else { 0 };
        let points_discount = (points_used / 100).min(after - coupon);
        let shipping = if rng.next(3) == 0 { 1000 } else { 0 };
        let sold = build::apportion_lines(&revenue, Money::from_fen(coupon), Money::from_fen(points_discount)).unwrap();
        let payable = after - coupon - points_discount + shipping;
        let status = if paid { "shipped" } else { "cancelled" };
        let (order_id,): (i64,) = sqlx::query_as(
            "INSERT INTO orders (merchant_id, order_no, buyer_id, status, list_total, goods_total, order_discount, \
             coupon_discount, points_used, points_discount, shipping, payable, coupon_ids, pay_deadline, paid_at, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $13, $13) \
             RETURNING id",
        )
        .bind(merchant)
        .bind(format!("FIN{i:08}"))
        .bind(buyer)
        .bind(status)
        .bind(goods)
        .bind(order_discount)
        .bind(coupon)
        .bind(points_used)
        .bind(points_discount)
        .bind(shipping)
        .bind(payable)
        .bind(if coupon > 0 { format!("[{coupon_id}]") } else { "[]".into() })
        .bind(created)
        .bind(if paid { Some(created) } else { None })
        .fetch_one(&mut *tx)
        .await
        .unwrap();
        for (l, s) in lines.iter().zip(&sold) {
            sqlx::query(
                "INSERT INTO order_lines (merchant_id, order_id, sku_id, product_id, title, quantity, sale_price, \
                 unit_price, price_source, goods_amount, order_discount, coupon_discount, points_discount, paid_amount) \
                 VALUES ($1, $2, $3, $4, 'x', $5, $6, $6, 'sale', $7, $8, $9, $10, $11)",
            )
            .bind(merchant)
            .bind(order_id)
            .bind(l.1)
            .bind(l.0)
            .bind(l.3)
            .bind(l.2)
            .bind(l.4)
            .bind(l.4 - s.revenue.fen())
            .bind(s.coupon.fen())
            .bind(s.points.fen())
            .bind(s.paid().fen())
            .execute(&mut *tx)
            .await
            .unwrap();
        }
        if !paid {
            continue;
        }
        let fee = FeeRate::DEFAULT.fee(Money::from_fen(payable));
        let (payment_id,): (i64,) = sqlx::query_as(
            "INSERT INTO payments (merchant_id, order_id, provider, out_trade_no, amount, fee, status, created_at, \
             succeeded_at) VALUES ($1, $2, 'sandbox', $3, $4, $5, 'succeeded', $6, $6) RETURNING id",
        )
        .bind(merchant)
        .bind(order_id)
        .bind(format!("FINP{i:08}"))
        .bind(payable)
        .bind(fee.fen())
        .bind(created)
        .fetch_one(&mut *tx)
        .await
        .unwrap();
        let tag = format!("coupon:{coupon_id}");
        let facts = build::PaymentFacts {
            payment_id,
            at_ms: created,
            paid: Money::from_fen(payable),
            fee,
            shipping: Money::from_fen(shipping),
            lines: &sold,
            coupon: (coupon > 0).then_some(tag.as_str()),
        };
        if let Some(p) = build::payment_succeeded(&facts).unwrap() {
            store.post(&mut tx, merchant, &p, None).await.unwrap();
        }
        if rng.next(10) == 0 && sold[0].paid().fen() > 1 {
            let at = (created + DAY_MS + rng.next(5 * DAY_MS)).min(now);
            let amount = 1 + rng.next(sold[0].paid().fen());
            let (refund_id,): (i64,) = sqlx::query_as(
                "INSERT INTO refunds (merchant_id, order_id, payment_id, out_refund_no, amount, reason, status, \
                 created_at, succeeded_at) VALUES ($1, $2, $3, $4, $5, 'test', 'succeeded', $6, $6) RETURNING id",
            )
            .bind(merchant)
            .bind(order_id)
            .bind(payment_id)
            .bind(format!("FINR{i:08}"))
            .bind(amount)
            .bind(at)
            .fetch_one(&mut *tx)
            .await
            .unwrap();
            sqlx::query("UPDATE orders SET refunded_amount = $2 WHERE id = $1")
                .bind(order_id)
                .bind(amount)
                .execute(&mut *tx)
                .await
                .unwrap();
            let refunded = [RefundedLine { product_id: sold[0].product_id, amount: Money::from_fen(amount) }];
            let facts = build::RefundFacts {
                refund_id,
                at_ms: at,
                amount: Money::from_fen(amount),
                shipping: Money::ZERO,
                lines: &refunded,
                fee_returned: Money::ZERO,
                coupon_returned: Money::ZERO,
                coupon: None,
                points_value_returned: Money::ZERO,
            };
            let p = build::refund_succeeded(&facts).unwrap().unwrap();
            store.post(&mut tx, merchant, &p, None).await.unwrap();
        }
        if rng.next(10) < 6 {
            let at = (created + 2 * DAY_MS + rng.next(7 * DAY_MS)).min(now);
            sqlx::query("UPDATE orders SET status = 'completed', completed_at = $2 WHERE id = $1")
                .bind(order_id)
                .bind(at)
                .execute(&mut *tx)
                .await
                .unwrap();
            let costs: Vec<CostLine> = lines
                .iter()
                .map(|l| {
                    let cost = products.iter().find(|p| p.1 == l.1).unwrap().3;
                    CostLine::of(l.0, Money::from_fen(cost), l.3).unwrap()
                })
                .collect();
            if let Some(p) = build::order_completed(order_id, at, &costs).unwrap() {
                store.post(&mut tx, merchant, &p, None).await.unwrap();
            }
        }
    }
    minimall_store::commit(tx).await.unwrap();
}

/// One figure recounted from the business rows over `[from, to)`.
pub(crate) async fn one(store: &minimall_store::Store, sql: &str, from: i64, to: i64) -> i64 {
    let (v,): (i64,) = sqlx::query_as(sql).bind(from).bind(to).fetch_one(store.reader()).await.unwrap();
    v
}

pub(crate) const REVENUE: &str =
    "SELECT CAST(COALESCE(SUM(l.goods_amount - l.order_discount), 0) AS BIGINT) FROM order_lines l \
                       JOIN payments p ON p.order_id = l.order_id WHERE p.status = 'succeeded' \
                       AND p.succeeded_at >= $1 AND p.succeeded_at < $2";
pub(crate) const REFUNDS: &str =
    "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM refunds WHERE status = 'succeeded' \
                       AND succeeded_at >= $1 AND succeeded_at < $2";
pub(crate) const SHIPPING: &str = "SELECT CAST(COALESCE(SUM(o.shipping), 0) AS BIGINT) FROM orders o JOIN payments p \
                        ON p.order_id = o.id WHERE p.status = 'succeeded' AND p.succeeded_at >= $1 AND p.succeeded_at < $2";
pub(crate) const FEES: &str = "SELECT CAST(COALESCE(SUM(fee), 0) AS BIGINT) FROM payments WHERE status = 'succeeded' \
                    AND succeeded_at >= $1 AND succeeded_at < $2";
pub(crate) const COUPONS: &str = "SELECT CAST(COALESCE(SUM(o.coupon_discount), 0) AS BIGINT) FROM orders o JOIN payments p \
                       ON p.order_id = o.id WHERE p.status = 'succeeded' AND p.succeeded_at >= $1 AND p.succeeded_at < $2";
pub(crate) const COST_OF_GOODS: &str =
    "SELECT CAST(COALESCE(SUM((l.quantity - l.refunded_qty) * s.cost_price), 0) AS BIGINT) \
                             FROM order_lines l JOIN orders o ON o.id = l.order_id JOIN skus s ON s.id = l.sku_id \
                             WHERE o.completed_at >= $1 AND o.completed_at < $2";
pub(crate) const SHIPPING_COST: &str =
    "SELECT CAST(COALESCE(SUM(cost), 0) AS BIGINT) FROM shipments WHERE cost IS NOT NULL \
                             AND created_at >= $1 AND created_at < $2";

/// Every figure of a period recounted: (name, value).
pub(crate) async fn recount(
    store: &minimall_store::Store,
    from_day: i64,
    to_day: i64,
    expenses: &[(i64, i64)],
) -> Vec<(&'static str, i64)> {
    let (from, to) = (day_start(from_day), day_start(to_day + 1));
    let revenue = one(store, REVENUE, from, to).await;
    let refunds = one(store, REFUNDS, from, to).await;
    let shipping_income = one(store, SHIPPING, from, to).await;
    let fees = one(store, FEES, from, to).await;
    let coupon_cost = one(store, COUPONS, from, to).await;
    let cost_of_goods = one(store, COST_OF_GOODS, from, to).await;
    let shipping_cost = one(store, SHIPPING_COST, from, to).await;
    let operating_expenses: i64 =
        expenses.iter().filter(|(day, _)| (from_day..=to_day).contains(day)).map(|(_, a)| a).sum();
    let net_revenue = revenue - refunds + shipping_income;
    let gross_profit = net_revenue - cost_of_goods - shipping_cost;
    let net_profit = gross_profit - fees - coupon_cost - operating_expenses;
    vec![
        ("revenue", revenue),
        ("refunds", refunds),
        ("shipping_income", shipping_income),
        ("net_revenue", net_revenue),
        ("fees", fees),
        ("coupon_cost", coupon_cost),
        ("points_cost", 0),
        ("shipping_cost", shipping_cost),
        ("cost_of_goods", cost_of_goods),
        ("gross_profit", gross_profit),
        ("commission", 0),
        ("operating_expenses", operating_expenses),
        ("net_profit", net_profit),
    ]
}

suite!(a_generated_shop_of_10000_orders_reports_what_a_recount_finds, |b| async move {
    let app = TestApp::spawn(b).await;
    let store = app.store();
    let owner = app.admin_login("admin").await;
    let op = app.admin_login("operator").await;
    let (_, c) = body(app.post("/api/v1/admin/categories", Some(&op), &json!({"name": "杂货"})).await).await;
    let mut products = Vec::new();
    for k in 0..6 {
        let (s, p) = body(
            app.post_idem(
                "/api/v1/admin/products",
                Some(&owner),
                &json!({
                    "product": {"code": format!("FIN{k}"), "category_id": c["id"], "title": format!("商品{k}"), "on_shelf": true},
                    "skus": [{"code": format!("FIN{k}-1"), "stock": 0, "original_price": 1990 + 1000 * k,
                              "sale_price": 1990 + 1000 * k, "cost_price": 900 + 300 * k}]
                }),
            )
            .await,
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{p}");
        products.push((
            p["product"]["id"].as_i64().unwrap(),
            p["product"]["skus"][0]["id"].as_i64().unwrap(),
            1990 + 1000 * k,
            900 + 300 * k,
        ));
    }
    let started = std::time::Instant::now();
    generate(store, &products, 10_000, 60).await;
    eprintln!("generated 10,000 orders with their postings in {:?}", started.elapsed());

    // Expenses of the last three months and staff counts, through the API.
    let now = minimall_store::now_ms();
    let today = beijing_day(now);
    let from_day = today - 60;
    let finance = app.admin_login("finance").await;
    let mut expenses = Vec::new();
    for (k, back) in [(0, 0i64), (1, 31), (2, 62)] {
        let m = month_of(now - back * DAY_MS);
        let amount = 500_000 + 1000 * k;
        let (s, e) = body(
            app.post_idem(
                "/api/v1/admin/finance/expenses",
                Some(&finance),
                &json!({"month": m, "category": "rent", "amount": amount}),
            )
            .await,
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{e}");
        let first = minimall_core::ledger::expense::Month::parse(&m).unwrap().days().0;
        expenses.push((first, amount));
        let r = app.put("/api/v1/admin/finance/staff", Some(&finance), &json!({"month": m, "staff": 3 + k})).await;
        assert_eq!(r.status(), StatusCode::OK);
    }

    let date = |d: i64| minimall_core::time::date_of_day(d).unwrap().to_string();
    for g in ["day", "week", "month"] {
        let started = std::time::Instant::now();
        let (s, rep) = body(
            app.get(
                &format!("/api/v1/admin/finance/report?from={}&to={}&granularity={g}", date(from_day), date(today)),
                Some(&owner),
            )
            .await,
        )
        .await;
        eprintln!("report by {g} in {:?}", started.elapsed());
        assert_eq!(s, StatusCode::OK, "{rep}");
        let periods = rep["periods"].as_array().unwrap();
        if g == "day" {
            assert_eq!(periods.len(), 61);
        }
        let mut sums = std::collections::BTreeMap::new();
        for p in periods {
            let (a, z) = (
                minimall_core::time::parse_day(p["from"].as_str().unwrap()).unwrap(),
                minimall_core::time::parse_day(p["to"].as_str().unwrap()).unwrap(),
            );
            for (name, want) in recount(store, a, z, &expenses).await {
                assert_eq!(p[name].as_i64(), Some(want), "{g} {}: {name} in {p}", p["label"]);
                *sums.entry(name).or_insert(0) += want;
            }
            if g == "month" {
                let m = minimall_core::ledger::expense::Month::of_day(a).unwrap();
                let k = expenses.iter().position(|e| minimall_core::ledger::expense::Month::of_day(e.0) == Some(m));
                if let Some(k) = k {
                    let staff = 3 + k as i64;
                    assert_eq!(p["staff"].as_i64(), Some(staff), "{p}");
                    assert_eq!(
                        p["revenue_per_staff"].as_i64(),
                        Some(p["net_revenue"].as_i64().unwrap().div_euclid(staff))
                    );
                }
            }
        }
        for (name, sum) in sums {
            assert_eq!(rep["total"][name].as_i64(), Some(sum), "{g} total {name}");
        }
        assert!(rep["total"]["revenue"].as_i64().unwrap() > 0 && rep["total"]["refunds"].as_i64().unwrap() > 0);
        assert!(
            rep["total"]["cost_of_goods"].as_i64().unwrap() > 0 && rep["total"]["coupon_cost"].as_i64().unwrap() > 0
        );
    }

    // Per product and per promotion, over the whole range.
    let (from, to) = (day_start(from_day), day_start(today + 1));
    let (s, prods) = body(
        app.get(
            &format!("/api/v1/admin/finance/report/products?from={}&to={}&page_size=100", date(from_day), date(today)),
            Some(&finance),
        )
        .await,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{prods}");
    assert_eq!(prods["total"], 6, "{prods}");
    for p in prods["items"].as_array().unwrap() {
        let id = p["product_id"].as_i64().unwrap();
        let (revenue,): (i64,) = sqlx::query_as(&format!("{REVENUE} AND l.product_id = $3"))
            .bind(from)
            .bind(to)
            .bind(id)
            .fetch_one(store.reader())
            .await
            .unwrap();
        let (cost,): (i64,) = sqlx::query_as(&format!("{COST_OF_GOODS} AND l.product_id = $3"))
            .bind(from)
            .bind(to)
            .bind(id)
            .fetch_one(store.reader())
            .await
            .unwrap();
        // Refunds here are of each order's first line.
        let (refunds,): (i64,) = sqlx::query_as(
            "SELECT CAST(COALESCE(SUM(r.amount), 0) AS BIGINT) FROM refunds r WHERE r.status = 'succeeded' \
             AND r.succeeded_at >= $1 AND r.succeeded_at < $2 \
             AND (SELECT l.product_id FROM order_lines l WHERE l.order_id = r.order_id ORDER BY l.id LIMIT 1) = $3",
        )
        .bind(from)
        .bind(to)
        .bind(id)
        .fetch_one(store.reader())
        .await
        .unwrap();
        let (coupon,): (i64,) = sqlx::query_as(
            "SELECT CAST(COALESCE(SUM(l.coupon_discount), 0) AS BIGINT) FROM order_lines l JOIN payments p \
             ON p.order_id = l.order_id WHERE p.status = 'succeeded' AND p.succeeded_at >= $1 AND p.succeeded_at < $2 \
             AND l.product_id = $3",
        )
        .bind(from)
        .bind(to)
        .bind(id)
        .fetch_one(store.reader())
        .await
        .unwrap();
        let got: Vec<i64> =
            ["revenue", "refunds", "cost_of_goods", "coupon_cost"].iter().map(|k| p[*k].as_i64().unwrap()).collect();
        assert_eq!(got, vec![revenue, refunds, cost, coupon], "product {id}: {p}");
        assert_eq!(p["gross_profit"].as_i64(), Some(revenue - refunds - cost - coupon));
        assert!(p["title"].as_str().unwrap().starts_with("商品"));
    }
    let (s, promos) = body(
        app.get(
            &format!("/api/v1/admin/finance/report/promotions?from={}&to={}", date(from_day), date(today)),
            Some(&finance),
        )
        .await,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{promos}");
    assert_eq!(promos["total"], 3, "{promos}");
    for p in promos["items"].as_array().unwrap() {
        let tag = p["promotion"].as_str().unwrap();
        let ids = format!("[{}]", tag.strip_prefix("coupon:").unwrap());
        let (cost, sold): (i64, i64) = sqlx::query_as(
            "SELECT CAST(COALESCE(SUM(o.coupon_discount), 0) AS BIGINT), \
                    CAST(COALESCE(SUM(o.goods_total - o.order_discount), 0) AS BIGINT) FROM orders o \
             JOIN payments p ON p.order_id = o.id WHERE p.status = 'succeeded' AND p.succeeded_at >= $1 \
             AND p.succeeded_at < $2 AND o.coupon_ids = $3",
        )
        .bind(from)
        .bind(to)
        .bind(&ids)
        .fetch_one(store.reader())
        .await
        .unwrap();
        assert_eq!((p["cost"].as_i64(), p["sold"].as_i64()), (Some(cost), Some(sold)), "{p}");
    }

    // A figure drills down to its postings: the refunds of the report's busiest refund day, and a product's.
    let (_, days) = body(
        app.get(&format!("/api/v1/admin/finance/report?from={}&to={}", date(from_day), date(today)), Some(&owner))
            .await,
    )
    .await;
    let busiest =
        days["periods"].as_array().unwrap().iter().max_by_key(|p| p["refunds"].as_i64().unwrap()).unwrap().clone();
    let sum_on = |v: &Value, account: &str| -> i64 {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|p| p["entries"].as_array().unwrap().iter())
            .filter(|e| e["account"] == account)
            .map(|e| e["amount"].as_i64().unwrap())
            .sum()
    };
    let q = busiest["drill"]["refunds"].as_str().unwrap();
    let (_, posts) =
        body(app.get(&format!("/api/v1/admin/ledger/postings?{q}&page_size=100"), Some(&owner)).await).await;
    assert!(posts["total"].as_i64().unwrap() <= 100, "{}", posts["total"]);
    assert_eq!(sum_on(&posts, "sales_refunds"), busiest["refunds"].as_i64().unwrap());
    let q = days["total"]["drill"]["operating_expenses"].as_str().unwrap();
    let (_, posts) = body(app.get(&format!("/api/v1/admin/ledger/postings?{q}"), Some(&owner)).await).await;
    assert_eq!(sum_on(&posts, "operating_expenses"), days["total"]["operating_expenses"].as_i64().unwrap());

    // The journal still balances.
    let (_, tb) = body(app.get("/api/v1/admin/ledger/trial-balance", Some(&owner)).await).await;
    assert_eq!((tb["fen_difference"].as_i64(), tb["points_difference"].as_i64()), (Some(0), Some(0)));
});

// The daily job reconciles the sandbox's bill of the day before and records it; the finance pages show the
// report, postings, trial balance, expenses and reconciliations to owner and finance, and to nobody else.
suite!(the_daily_reconciliation_is_recorded_and_the_finance_pages_show_it, |b| async move {
    let app = TestApp::spawn(b).await;
    let owner = app.admin_login("admin").await;
    let yesterday = minimall_core::time::date_of_day(beijing_day(minimall_store::now_ms()) - 1).unwrap().to_string();
    let runs = eventually(20, || {
        let (app, owner) = (&app, owner.clone());
        async move {
            let (_, v) = body(app.get("/api/v1/admin/ledger/reconciliations", Some(&owner)).await).await;
            (v["total"].as_i64() == Some(1)).then_some(v)
        }
    })
    .await;
    let r = &runs["items"][0];
    assert_eq!((r["source"].as_str(), r["provider"].as_str()), (Some("job"), Some("sandbox")), "{r}");
    assert_eq!(r["date"], yesterday);
    assert_eq!(r["findings"], json!([]));
    let (_, jobs) = body(app.get("/api/v1/admin/jobs?kind=finance.reconcile", Some(&owner)).await).await;
    eprintln!("{jobs}");

    let page = |path: String, token: String| {
        let app = &app;
        async move {
            let r = app
                .client
                .get(format!("{}{}", app.base, path))
                .header("cookie", format!("mm_admin={token}"))
                .send()
                .await
                .unwrap();
            (r.status(), r.text().await.unwrap())
        }
    };
    for (path, needle) in [
        ("/admin/finance/report?g=week", "利润表"),
        ("/admin/finance/report.csv", "净利润"),
        ("/admin/finance/postings?account=operating_expenses", "记账凭证"),
        ("/admin/finance/trial-balance", "试算平衡"),
        ("/admin/finance/expenses", "录入费用"),
        ("/admin/finance/reconciliations", "每日任务"),
    ] {
        let (s, html) = page(path.to_string(), owner.clone()).await;
        assert_eq!(s, StatusCode::OK, "{path}");
        assert!(html.contains(needle), "{path} shows {needle}");
        let op = app.admin_login("operator").await;
        let (s, _) = page(path.to_string(), op).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "operator {path}");
    }
    let finance = app.admin_login("finance").await;
    let (s, html) = page("/admin/finance/expenses".into(), finance).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("录入费用"), "finance enters expenses");
});

//! Sales forecast and markdowns: a seasonal history written straight into the database, the API's figures
//! against the same computation over that history (so the error shown is the one computed), the markdown
//! ladder on a slow mover, turning its suggestion into a limited-time discount, bounds and denials.

use minimall_core::analytics::forecast as fc;
use minimall_core::analytics::markdown as md;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;
use crate::suite;

const DAY_MS: i64 = 86_400_000;
/// Quiet early in the week, busy at the weekend.
const WEEK: [i64; 7] = [6, 7, 8, 9, 12, 16, 12];

/// A console page as `user` sees it (Chinese, the default).
async fn page_as(app: &TestApp, user: &str, path: &str) -> (StatusCode, String) {
    let cookie = format!("mm_admin={}", app.admin_login(user).await);
    let r =
        app.client.get(format!("{}{}", app.base, path)).header(reqwest::header::COOKIE, cookie).send().await.unwrap();
    (r.status(), r.text().await.unwrap())
}

/// A product with two SKUs: `SEASON` (sells every day) and `SLOW` (100 in stock, cost ¥20, price ¥50).
async fn products(app: &TestApp, op: &str) -> (i64, i64) {
    let (_, c) = body(app.post("/api/v1/admin/categories", Some(op), &json!({"name": "水果"})).await).await;
    let (s, p) = body(
        app.post_idem(
            "/api/v1/admin/products",
            Some(op),
            &json!({
                "product": {"code": "FC", "category_id": c["id"], "title": "赣南脐橙", "on_shelf": true},
                "specs": [{"name": "规格", "values": ["5斤", "10斤"]}],
                "skus": [
                    {"code": "SEASON", "spec": ["5斤"], "stock": 300, "original_price": 6000, "sale_price": 5000},
                    {"code": "SLOW", "spec": ["10斤"], "stock": 100, "original_price": 6000, "sale_price": 5000}
                ]
            }),
        )
        .await,
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    let skus = p["product"]["skus"].as_array().unwrap();
    let id = |code: &str| skus.iter().find(|k| k["code"] == code).unwrap()["id"].as_i64().unwrap();
    (id("SEASON"), id("SLOW"))
}

/// Paid orders of one line each, one per (day, units) given, paid at noon of that day.
async fn write_sales(app: &TestApp, sku: i64, sales: &[(i64, i64)], tag: &str) {
    let store = app.store();
    let merchant = store.default_merchant().await.unwrap().id;
    let (product,): (i64,) =
        sqlx::query_as("SELECT product_id FROM skus WHERE id = $1").bind(sku).fetch_one(store.reader()).await.unwrap();
    let (buyer,): (i64,) = sqlx::query_as("SELECT MIN(id) FROM buyers").fetch_one(store.reader()).await.unwrap();
    let mut tx = store.begin().await.unwrap();
    for (i, (day, units)) in sales.iter().enumerate().filter(|(_, (_, u))| *u > 0) {
        let at = day_start(*day) + 12 * 3_600_000;
        let amount = units * 5000;
        let (order,): (i64,) = sqlx::query_as(
            "INSERT INTO orders (merchant_id, order_no, buyer_id, status, list_total, goods_total, order_discount, \
             coupon_discount, points_used, points_discount, shipping, payable, refunded_amount, pay_deadline, paid_at, \
             created_at, updated_at) VALUES ($1, $2, $3, 'completed', $4, $4, 0, 0, 0, 0, 0, $4, 0, $5, $5, $5, $5) \
             RETURNING id",
        )
        .bind(merchant)
        .bind(format!("FC{tag}{i:06}"))
        .bind(buyer)
        .bind(amount)
        .bind(at)
        .fetch_one(&mut *tx)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO order_lines (merchant_id, order_id, sku_id, product_id, title, quantity, sale_price, \
             unit_price, price_source, goods_amount, order_discount, coupon_discount, points_discount, paid_amount) \
             VALUES ($1, $2, $3, $4, '赣南脐橙', $5, 5000, 5000, 'sale', $6, 0, 0, 0, $6)",
        )
        .bind(merchant)
        .bind(order)
        .bind(sku)
        .bind(product)
        .bind(units)
        .bind(amount)
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    minimall_store::commit(tx).await.unwrap();
}

suite!(forecasts_show_the_error_they_computed_and_markdowns_become_discounts, |b| async move {
    let app = TestApp::spawn(b).await;
    let op = app.admin_login("operator").await;
    let owner = app.admin_login("admin").await;
    let (season, slow) = products(&app, &op).await;
    let today = beijing_day(minimall_store::now_ms());

    // 56 whole days of a weekly pattern with a little noise, ending yesterday.
    let history: Vec<(i64, i64)> =
        (0..56).map(|i| (today - 56 + i, WEEK[((today - 56 + i) % 7) as usize] + (i * 7 % 5) - 2)).collect();
    write_sales(&app, season, &history, "S").await;
    // The slow SKU was received 40 days ago and sold 5 units since.
    let mut tx = app.store().begin().await.unwrap();
    sqlx::query("UPDATE stock_movements SET at = $1 WHERE sku_id = $2")
        .bind(day_start(today - 40) + 3_600_000)
        .bind(slow)
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query("UPDATE skus SET cost_price = 2000 WHERE id = $1").bind(slow).execute(&mut *tx).await.unwrap();
    minimall_store::commit(tx).await.unwrap();
    write_sales(&app, slow, &[(today - 30, 3), (today - 12, 2)], "L").await;

    // The forecast of the seasonal SKU is the computation over the planted history.
    let y: Vec<f64> = history.iter().map(|(_, u)| *u as f64).collect();
    let model = fc::fit(&y);
    let bt = fc::backtest(&y, 14).unwrap();
    let (s, list) =
        body(app.get("/api/v1/admin/analytics/forecast?history_days=56&page_size=100", Some(&op)).await).await;
    assert_eq!(s, StatusCode::OK, "{list}");
    let row = list["items"].as_array().unwrap().iter().find(|r| r["sku_id"] == season).unwrap().clone();
    assert_eq!(row["sold"], history.iter().map(|(_, u)| u).sum::<i64>());
    assert_eq!(row["sold_last_7"], history.iter().rev().take(7).map(|(_, u)| u).sum::<i64>());
    assert_eq!(row["model"], "holt_winters");
    assert_eq!(row["spec"], "5斤");
    let wape = |w: Option<f64>| w.map(|w| (w * 10_000.0).round() as i64);
    assert_eq!(row["backtest"]["model"]["wape_bp"].as_i64(), wape(bt.model.wape), "{row}");
    assert_eq!(row["backtest"]["naive"]["wape_bp"].as_i64(), wape(bt.naive.wape), "{row}");
    assert!(bt.model.wape < bt.naive.wape, "the seasonal model beats the mean on a seasonal history: {bt:?}");
    let ahead: f64 = model.forecast(14).iter().sum();
    assert_eq!(row["forecast_units"].as_f64().unwrap(), (ahead * 10.0).round() / 10.0);
    assert_eq!(row["restock_units"], fc::restock_units(&model, 300, 7, 14));
    assert_eq!(
        row["stock_out_date"].as_str().map(String::from),
        fc::stock_out_day(&model, 300, 14).map(|d| date(today + d as i64))
    );
    // Soonest stock-out first: a SKU that runs out is listed before one that lasts.
    let outs: Vec<Option<&str>> =
        list["items"].as_array().unwrap().iter().map(|r| r["stock_out_date"].as_str()).collect();
    let mut sorted = outs.clone();
    sorted.sort_by_key(|d| (d.is_none(), *d));
    assert_eq!(outs, sorted);

    // One SKU: every day, zeros included, and the forecast day by day from today.
    let (s, d) = body(
        app.get(&format!("/api/v1/admin/analytics/forecast/{season}?history_days=56&horizon_days=21"), Some(&op)).await,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{d}");
    assert_eq!(d["history"].as_array().unwrap().len(), 56);
    assert_eq!(d["history"][0]["date"], date(today - 56));
    assert_eq!(d["history"][55]["units"].as_f64().unwrap(), y[55]);
    assert_eq!(d["days"].as_array().unwrap().len(), 21);
    assert_eq!(d["days"][0]["date"], date(today));
    let (s, _) = body(app.get("/api/v1/admin/analytics/forecast/999999", Some(&op)).await).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // Restock only: every row has something to order.
    let (_, r) =
        body(app.get("/api/v1/admin/analytics/forecast?restock_only=true&lead_days=30&cover_days=30", Some(&op)).await)
            .await;
    assert!(r["items"].as_array().unwrap().iter().all(|x| x["restock_units"].as_i64().unwrap() > 0));
    assert!(r["items"].as_array().unwrap().iter().any(|x| x["sku_id"] == season), "{r}");

    // Bounds, each refusal naming its field.
    for (q, field) in [
        ("history_days=7", "history_days"),
        ("history_days=400", "history_days"),
        ("horizon_days=0", "horizon_days"),
        ("lead_days=-1", "lead_days"),
        ("cover_days=91", "cover_days"),
        ("page_size=101", "page_size"),
    ] {
        let r = app.get(&format!("/api/v1/admin/analytics/forecast?{q}"), Some(&op)).await;
        assert_field_error(r, StatusCode::UNPROCESSABLE_ENTITY, field).await;
    }

    // The slow SKU: 5 of 100 sold in 40 days, below the default 60 %-in-30-days target for 40 days → −20 %.
    let ladder = md::Ladder::default();
    let (s, m) = body(app.get("/api/v1/admin/analytics/markdowns", Some(&op)).await).await;
    assert_eq!(s, StatusCode::OK, "{m}");
    let item = m["items"].as_array().unwrap().iter().find(|r| r["sku_id"] == slow).unwrap().clone();
    let expected = md::step_price(5000, 2000, md::Step::TwentyOff, ladder.margin_floor_bp).unwrap();
    assert_eq!(item["step"], "twenty_off", "{item}");
    assert_eq!(item["suggested_price"], expected.price_fen);
    assert_eq!(item["sold_units"], 5);
    assert_eq!(item["on_hand"], 95, "units on hand after the receipt, less what sold: {item}");
    assert_eq!(item["days_below"], 41);
    // Only suggestions by default; with `watching`, also SKUs below target not yet at a step (the seasonal SKU,
    // received today and not sold today).
    assert!(m["items"].as_array().unwrap().iter().all(|r| r["step"].is_string()), "{m}");
    let (_, w) = body(app.get("/api/v1/admin/analytics/markdowns?watching=true", Some(&op)).await).await;
    let watched = w["items"].as_array().unwrap().iter().find(|r| r["sku_id"] == season).unwrap();
    assert!(watched["step"].is_null() && watched["suggested_price"].is_null(), "{watched}");
    // An operator does not read cost, so the floor (cost × 1.1) is not shown; the owner sees it.
    assert!(item.get("floor_price").is_none(), "{item}");
    let (_, m) = body(app.get("/api/v1/admin/analytics/markdowns", Some(&owner)).await).await;
    let item = m["items"].as_array().unwrap().iter().find(|r| r["sku_id"] == slow).unwrap().clone();
    assert_eq!(item["floor_price"], 2200);

    // Applying: one limited-time discount at the suggested price, computed by the server.
    let r = app.post("/api/v1/admin/analytics/markdowns/apply", Some(&op), &json!({"sku_ids": [season]})).await;
    assert_field_error(r, StatusCode::UNPROCESSABLE_ENTITY, "sku_ids[0]").await;
    let r = app.post("/api/v1/admin/analytics/markdowns/apply", Some(&op), &json!({"sku_ids": [slow, slow]})).await;
    assert_field_error(r, StatusCode::UNPROCESSABLE_ENTITY, "sku_ids[1]").await;
    let r = app.post("/api/v1/admin/analytics/markdowns/apply", Some(&op), &json!({"sku_ids": []})).await;
    assert_field_error(r, StatusCode::UNPROCESSABLE_ENTITY, "sku_ids").await;
    let (s, act) = body(
        app.post("/api/v1/admin/analytics/markdowns/apply", Some(&op), &json!({"sku_ids": [slow], "days": 7})).await,
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{act}");
    assert_eq!(act["kind"], "limited_discount");
    assert_eq!(act["rule"]["prices"], json!([{"sku_id": slow, "price": expected.price_fen}]));
    assert_eq!(act["ends_at"].as_i64().unwrap() - act["starts_at"].as_i64().unwrap(), 7 * DAY_MS);
    // A second discount on the same SKU and window overlaps the first.
    let (s, _) =
        body(app.post("/api/v1/admin/analytics/markdowns/apply", Some(&op), &json!({"sku_ids": [slow]})).await).await;
    assert_eq!(s, StatusCode::CONFLICT);

    // The ladder: bounded, audited, and it changes the suggestion.
    let r = app
        .put(
            "/api/v1/admin/analytics/markdowns/settings",
            Some(&op),
            &json!({"target_bp": 0, "target_days": 30, "n_days": 14, "margin_floor_bp": 1000}),
        )
        .await;
    assert_field_error(r, StatusCode::UNPROCESSABLE_ENTITY, "target_bp").await;
    let settings = json!({"target_bp": 6000, "target_days": 30, "n_days": 14, "margin_floor_bp": 4000});
    let (s, v) = body(app.put("/api/v1/admin/analytics/markdowns/settings", Some(&op), &settings).await).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (_, v) = body(app.get("/api/v1/admin/analytics/markdowns/settings", Some(&op)).await).await;
    assert_eq!(v, settings);
    // With a cost of ¥30 the floor is ¥42, above the −20 % price (¥40): the floor is suggested.
    let mut tx = app.store().begin().await.unwrap();
    sqlx::query("UPDATE skus SET cost_price = 3000 WHERE id = $1").bind(slow).execute(&mut *tx).await.unwrap();
    minimall_store::commit(tx).await.unwrap();
    let (_, m) = body(app.get("/api/v1/admin/analytics/markdowns", Some(&owner)).await).await;
    let item = m["items"].as_array().unwrap().iter().find(|r| r["sku_id"] == slow).unwrap().clone();
    assert_eq!((item["suggested_price"].clone(), item["at_floor"].clone()), (json!(4200), json!(true)));
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM audit_log WHERE action = 'markdown.settings'")
        .fetch_one(app.store().reader())
        .await
        .unwrap();
    assert_eq!(n, 1);

    // Who may: finance and service read the forecast but not markdowns; a clerk neither; a buyer nothing.
    let clerk = app.admin_login("clerk").await;
    let finance = app.admin_login("finance").await;
    let buyer = app.buyer_login("fc-buyer").await;
    assert_eq!(app.get("/api/v1/admin/analytics/forecast", Some(&finance)).await.status(), StatusCode::OK);
    assert_eq!(app.get("/api/v1/admin/analytics/forecast", Some(&clerk)).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.get("/api/v1/admin/analytics/forecast", Some(&buyer)).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.get("/api/v1/admin/analytics/forecast", None).await.status(), StatusCode::UNAUTHORIZED);
    for path in ["/api/v1/admin/analytics/markdowns", "/api/v1/admin/analytics/markdowns/settings"] {
        assert_eq!(app.get(path, Some(&finance)).await.status(), StatusCode::FORBIDDEN, "{path}");
    }
    let r = app.post("/api/v1/admin/analytics/markdowns/apply", Some(&finance), &json!({"sku_ids": [slow]})).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = app.put("/api/v1/admin/analytics/markdowns/settings", Some(&finance), &settings).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // The console pages show the same figures, in Chinese.
    let (s, html) = page_as(&app, "operator", "/admin/forecast?history_days=56").await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("销量预测") && html.contains("赣南脐橙") && html.contains("预计售罄"), "{html}");
    let (s, html) = page_as(&app, "operator", &format!("/admin/forecast/{season}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("每日销量与预测") && html.contains("<polyline"));
    let (s, html) = page_as(&app, "operator", "/admin/markdowns").await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("滞销调价") && html.contains("¥42.00"), "{html}");
});

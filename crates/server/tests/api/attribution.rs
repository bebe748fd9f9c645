//! Attribution by channel through the API: orders of buyers who came through a moments link and a promoter's link
//! (the link its QR code carries) are attributed to those channels, with their first and last touch kept; the
//! channel report's figures equal a direct count of the orders.

use std::collections::BTreeMap;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::analytics::{ev, product, send};
use crate::distribution::{become_promoter, centre, paid_order};
use crate::helpers::*;
use crate::suite;

/// A storefront page opened with the buyer's session cookie; its HTML.
async fn page(app: &TestApp, buyer: &str, path: &str) -> String {
    let r = app.req(Method::GET, path, None).header("cookie", format!("mm_buyer={buyer}")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    r.text().await.unwrap()
}

/// Events a visit sends (as the storefront's script does, with what the link carried).
async fn visit(app: &TestApp, buyer: &str, visitor: &str, extra: Value, product: i64) {
    let mut view = extra.clone();
    view["product_id"] = json!(product);
    let (s, v) =
        body(send(app, Some(buyer), vec![ev("page_view", visitor, extra), ev("product_view", visitor, view)]).await)
            .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
}

type Touches = (String, String, Option<i64>, String, String, Option<i64>);

async fn touches(app: &TestApp, order: i64) -> Touches {
    sqlx::query_as(
        "SELECT first_channel, first_campaign, first_promoter_id, last_channel, last_campaign, last_promoter_id
         FROM order_touches WHERE order_id = $1",
    )
    .bind(order)
    .fetch_one(app.store().reader())
    .await
    .unwrap()
}

suite!(orders_from_a_moments_link_and_a_promoter_code_are_attributed_and_the_channel_report_recounts, |b| async move {
    let db = TestDb::new(b).await;
    let mut cfg = test_config(&db.url);
    cfg.orders.sandbox_notify_delay_ms = 20;
    let app = TestApp::spawn_with(db, cfg, true).await;
    let op = app.admin_login("operator").await;
    let owner = app.admin_login("admin").await;
    let (product, sku) = product(&app, &op).await;

    // A promoter's link (its QR code carries the same link) names the promoter by code; the page it opens names
    // the promoter's id for the visit's events.
    let promoter = app.buyer_login("buyer030").await;
    let (promoter_id, code) = become_promoter(&app, &promoter, &op).await;
    let share = centre(&app, &promoter).await["share_path"].as_str().unwrap().to_string();
    assert_eq!(share, format!("/join/{code}?ch=promoter&pr={code}"));
    let friend = app.buyer_login("buyer031").await;
    let html = page(&app, &friend, &share).await;
    assert!(html.contains(&format!("id=\"mm-pr\" data-id=\"{promoter_id}\"")), "{html}");
    visit(&app, &friend, "visitor-friend", json!({"channel": "promoter", "promoter_id": promoter_id}), product).await;
    let by_promoter = paid_order(&app, &friend, sku, 1, "attr-1").await["id"].as_i64().unwrap();

    // Found through search, came back through a moments link, then typed the address: the first touch is search,
    // the last touch the moments link (a later direct visit does not take it over).
    let reader = app.buyer_login("buyer032").await;
    visit(&app, &reader, "visitor-reader", json!({"channel": "search"}), product).await;
    page(&app, &reader, &format!("/p/{product}?ch=moments&cp=spring")).await;
    visit(&app, &reader, "visitor-reader", json!({"channel": "moments", "campaign": "spring"}), product).await;
    visit(&app, &reader, "visitor-reader", json!({}), product).await;
    let by_moments = paid_order(&app, &reader, sku, 2, "attr-2").await["id"].as_i64().unwrap();

    // Only direct visits; and a buyer who never visited a tracked page.
    let walker = app.buyer_login("buyer033").await;
    visit(&app, &walker, "visitor-walker", json!({}), product).await;
    let direct = paid_order(&app, &walker, sku, 1, "attr-3").await["id"].as_i64().unwrap();
    let silent = app.buyer_login("buyer034").await;
    let unseen = paid_order(&app, &silent, sku, 3, "attr-4").await["id"].as_i64().unwrap();
    // A moments visitor who orders but does not pay: placed, not counted as paid.
    let idle = app.buyer_login("buyer035").await;
    visit(&app, &idle, "visitor-idle", json!({"channel": "moments"}), product).await;
    let (_, a) = body(app.post("/api/v1/shop/addresses", Some(&idle), &json!({"name": "赵六", "phone": "13700002222", "province": "浙江", "city": "杭州", "district": "西湖", "detail": "2号"})).await).await;
    let (s, unpaid) = body(
        app.post_idem(
            "/api/v1/shop/orders",
            Some(&idle),
            &json!({"items": [{"sku_id": sku, "quantity": 1}], "address_id": a["id"]}),
        )
        .await,
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{unpaid}");

    let s = |v: &str| v.to_string();
    assert_eq!(
        touches(&app, by_promoter).await,
        (s("promoter"), s(""), Some(promoter_id), s("promoter"), s(""), Some(promoter_id))
    );
    assert_eq!(touches(&app, by_moments).await, (s("search"), s(""), None, s("moments"), s("spring"), None));
    assert_eq!(touches(&app, direct).await, (s("direct"), s(""), None, s("direct"), s(""), None));
    assert_eq!(touches(&app, unseen).await, (s("direct"), s(""), None, s("direct"), s(""), None));
    assert_eq!(touches(&app, unpaid["id"].as_i64().unwrap()).await.3, "moments");
    // The payment events carry the order's last touch.
    let (ch,): (String,) = sqlx::query_as("SELECT channel FROM events WHERE order_id = $1 AND kind = 8")
        .bind(by_moments)
        .fetch_one(app.store().reader())
        .await
        .unwrap();
    assert_eq!(ch, "moments");

    // The report after the rollup's rebuild.
    let today = beijing_day(minimall_store::now_ms());
    let (st, j) = body(
        app.post(
            "/api/v1/admin/analytics/rollups/rebuild",
            Some(&owner),
            &json!({"from": date(today - 1), "to": date(today)}),
        )
        .await,
    )
    .await;
    assert_eq!(st, StatusCode::ACCEPTED, "{j}");
    let job = j["job_id"].as_i64().unwrap();
    eventually(20, || async {
        let (st,): (String,) = sqlx::query_as("SELECT status FROM jobs WHERE id = $1")
            .bind(job)
            .fetch_one(app.store().reader())
            .await
            .unwrap();
        (st == "done").then_some(())
    })
    .await;
    let (st, d) = body(
        app.get(&format!("/api/v1/admin/analytics/dashboard?from={}&to={}", date(today), date(today)), Some(&owner))
            .await,
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{d}");

    // A direct count of the orders paid today, by the channel of each touch.
    let start = day_start(today);
    let rows: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT t.first_channel, t.last_channel, o.payable FROM orders o JOIN order_touches t ON t.order_id = o.id
         WHERE o.paid_at >= $1 AND o.paid_at < $2",
    )
    .bind(start)
    .bind(start + 86_400_000)
    .fetch_all(app.store().reader())
    .await
    .unwrap();
    assert_eq!(rows.len(), 4, "{rows:?}");
    let mut last: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    let mut first: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for (f, l, amount) in &rows {
        let e = last.entry(l.clone()).or_default();
        *e = (e.0 + 1, e.1 + amount);
        let e = first.entry(f.clone()).or_default();
        *e = (e.0 + 1, e.1 + amount);
    }
    let mut report_last: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    let mut report_first: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for c in d["channels"].as_array().unwrap() {
        let ch = c["channel"].as_str().unwrap().to_string();
        let n = |k: &str| c[k].as_i64().unwrap();
        if n("paid_orders") > 0 {
            report_last.insert(ch.clone(), (n("paid_orders"), n("gmv")));
        }
        if n("first_touch_paid_orders") > 0 {
            report_first.insert(ch, (n("first_touch_paid_orders"), n("first_touch_gmv")));
        }
    }
    assert_eq!(report_last, last, "{d}");
    assert_eq!(report_first, first, "{d}");
    assert_eq!(last.keys().collect::<Vec<_>>(), ["direct", "moments", "promoter"]);
    assert_eq!(first.keys().collect::<Vec<_>>(), ["direct", "promoter", "search"]);
    assert_eq!((last["moments"].0, last["promoter"].0, last["direct"].0), (1, 1, 2));
    let totals = |m: &BTreeMap<String, (i64, i64)>| m.values().fold((0, 0), |a, v| (a.0 + v.0, a.1 + v.1));
    assert_eq!(totals(&report_last), (4, rows.iter().map(|r| r.2).sum()));
    assert_eq!(totals(&report_first), totals(&report_last));
    // A role that may not see revenue gets the counts without the amounts.
    let (_, d) = body(
        app.get(&format!("/api/v1/admin/analytics/dashboard?from={}&to={}", date(today), date(today)), Some(&op)).await,
    )
    .await;
    if let Some(c) = d["channels"].as_array().and_then(|c| c.iter().find(|c| c["channel"] == "moments")) {
        assert_eq!(c["paid_orders"], 1, "{c}");
        assert_eq!(c["first_touch_gmv"].is_null(), c["gmv"].is_null(), "{c}");
    }
    // The console shows the first-touch column in Chinese.
    let r = app
        .req(Method::GET, "/admin/analytics", None)
        .header("cookie", format!("mm_admin={owner}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("首次来源订单数"));
});

//! A/B experiments: who may manage them, checked definitions, stable assignment split by the weights, the
//! recommendations-vs-popularity experiment on the product page measuring a real purchase, and results equal
//! to reference values computed independently with scipy (inputs and expected values kept here as fixtures).

use minimall_core::analytics::ab;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;
use crate::recommend::{buyer, product};
use crate::suite;

fn spec(name: &str, placement: &str, metric: &str, weights: [i64; 2], planned: i64) -> Value {
    json!({
        "name": name, "placement": placement, "metric": metric, "planned_per_variant": planned,
        "variants": [
            {"name": "热销基线", "strategy": "popular", "weight": weights[0]},
            {"name": "智能推荐", "strategy": "personal", "weight": weights[1]}
        ]
    })
}

async fn create(app: &TestApp, token: &str, v: &Value) -> i64 {
    let (s, e) = body(app.post("/api/v1/admin/analytics/experiments", Some(token), v).await).await;
    assert_eq!(s, StatusCode::CREATED, "{e}");
    assert_eq!(e["status"], "draft");
    e["id"].as_i64().unwrap()
}

fn close(got: &Value, want: f64, what: &str) {
    let g = got.as_f64().unwrap_or_else(|| panic!("{what}: {got}"));
    assert!((g - want).abs() <= 1e-9 * want.abs() + 1e-15, "{what}: {g} != {want}");
}

suite!(experiments_are_managed_by_operators_and_owners_only, |b| async move {
    let app = TestApp::spawn(b).await;
    let op = app.admin_login("operator").await;
    let owner = app.admin_login("admin").await;
    let v = spec("商品页推荐", "product_viewed", "click", [1, 1], 100);
    for user in ["service", "clerk", "finance"] {
        let t = app.admin_login(user).await;
        let r = app.post("/api/v1/admin/analytics/experiments", Some(&t), &v).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{user} creates");
    }
    let id = create(&app, &op, &v).await;
    for user in ["service", "clerk"] {
        let t = app.admin_login(user).await;
        for path in [
            format!("/api/v1/admin/analytics/experiments/{id}/start"),
            format!("/api/v1/admin/analytics/experiments/{id}/stop"),
        ] {
            assert_eq!(app.post(&path, Some(&t), &json!({})).await.status(), StatusCode::FORBIDDEN, "{user} {path}");
        }
        assert_eq!(app.get("/api/v1/admin/analytics/experiments", Some(&t)).await.status(), StatusCode::FORBIDDEN);
        assert_eq!(
            app.get(&format!("/api/v1/admin/analytics/experiments/{id}"), Some(&t)).await.status(),
            StatusCode::FORBIDDEN
        );
        let cookie = format!("mm_admin={t}");
        let r = app
            .client
            .get(format!("{}/admin/experiments", app.base))
            .header(reqwest::header::COOKIE, cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{user} page");
    }
    let fin = app.admin_login("finance").await;
    assert_eq!(
        app.get(&format!("/api/v1/admin/analytics/experiments/{id}"), Some(&fin)).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        app.get(&format!("/api/v1/admin/analytics/experiments/{id}"), None).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(app.get("/api/v1/admin/analytics/experiments/999999", Some(&op)).await.status(), StatusCode::NOT_FOUND);

    // Owner starts, a second start and a second experiment on the same placement are refused, stop ends it.
    let (s, e) =
        body(app.post(&format!("/api/v1/admin/analytics/experiments/{id}/start"), Some(&owner), &json!({})).await)
            .await;
    assert_eq!((s, e["status"].as_str()), (StatusCode::OK, Some("running")), "{e}");
    assert!(e["started_at"].as_i64().is_some());
    let r = app.post(&format!("/api/v1/admin/analytics/experiments/{id}/start"), Some(&owner), &json!({})).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let other = create(&app, &op, &v).await;
    let (s, e) =
        body(app.post(&format!("/api/v1/admin/analytics/experiments/{other}/start"), Some(&op), &json!({})).await)
            .await;
    assert_eq!(s, StatusCode::CONFLICT, "{e}");
    assert!(e["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{e}");
    let (s, e) =
        body(app.post(&format!("/api/v1/admin/analytics/experiments/{id}/stop"), Some(&op), &json!({})).await).await;
    assert_eq!((s, e["status"].as_str()), (StatusCode::OK, Some("stopped")), "{e}");
    let r = app.post(&format!("/api/v1/admin/analytics/experiments/{id}/stop"), Some(&op), &json!({})).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let (s, list) = body(app.get("/api/v1/admin/analytics/experiments?page_size=1", Some(&op)).await).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!((list["total"].as_i64(), list["items"].as_array().unwrap().len()), (Some(2), 1));

    // Definitions are checked field by field.
    let bad = |f: &dyn Fn(&mut Value)| {
        let mut v = spec("x", "product_viewed", "click", [1, 1], 100);
        f(&mut v);
        v
    };
    let cases: Vec<(Value, &str)> = vec![
        (bad(&|v| v["name"] = json!("")), "name"),
        (bad(&|v| v["placement"] = json!("sidebar")), "placement"),
        (bad(&|v| v["metric"] = json!("revenue")), "metric"),
        (bad(&|v| v["planned_per_variant"] = json!(5)), "planned_per_variant"),
        (bad(&|v| v["variants"] = json!([{"name": "a", "strategy": "popular", "weight": 1}])), "variants"),
        (bad(&|v| v["variants"][1]["weight"] = json!(0)), "variants[1].weight"),
        (bad(&|v| v["variants"][1]["strategy"] = json!("random")), "variants[1].strategy"),
        (bad(&|v| v["variants"][1]["name"] = json!("热销基线")), "variants[1].name"),
    ];
    for (v, field) in cases {
        assert_field_error(
            app.post("/api/v1/admin/analytics/experiments", Some(&op), &v).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            field,
        )
        .await;
    }
    app.stop().await;
});

suite!(assignment_is_stable_split_by_weights_and_measures_a_purchase, |b| async move {
    let app = TestApp::spawn(b).await;
    let op = app.admin_login("operator").await;
    let (_, cat) = body(app.post("/api/v1/admin/categories", Some(&op), &json!({"name": "零食"})).await).await;
    let cat = cat["id"].as_i64().unwrap();
    let (a, _) = product(&app, &op, cat, "A", 100, true).await;
    let (_, b_sku) = product(&app, &op, cat, "B", 100, true).await;
    let id = create(&app, &op, &spec("看了又看 vs 热销", "product_viewed", "click", [1, 3], 50)).await;
    let r = app.post(&format!("/api/v1/admin/analytics/experiments/{id}/start"), Some(&op), &json!({})).await;
    assert_eq!(r.status(), StatusCode::OK);
    let mut popular = 0;
    for i in 0..300 {
        let vid = format!("visitor-ab{i:04}");
        let url = format!("/api/v1/shop/products/{a}/recommendations?visitor={vid}");
        let (s, v) = body(app.get(&url, None).await).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let want = ab::assign_visitor(&format!("exp{id}"), &vid, &[1, 3]).unwrap();
        assert_eq!(v["experiment_id"].as_i64(), Some(id));
        assert_eq!(v["strategy"], if want == 0 { "popular" } else { "personal" }, "{vid}");
        if want == 0 {
            popular += 1;
        }
        if i < 20 {
            let (_, again) = body(app.get(&url, None).await).await;
            assert_eq!(again["variant"], v["variant"], "stable for {vid}");
        }
    }
    // 1 : 3 over 300 visitors: 75 expected, the binomial's standard deviation 7.5.
    assert!((45..=105).contains(&popular), "{popular}");
    let (_, r) = body(app.get(&format!("/api/v1/admin/analytics/experiments/{id}"), Some(&op)).await).await;
    let exposed: i64 = r["variants"].as_array().unwrap().iter().map(|v| v["exposed"].as_i64().unwrap()).sum();
    assert_eq!(exposed, 300, "one exposure per visitor: {r}");
    assert_eq!(r["variants"][0]["exposed"].as_i64(), Some(popular));
    // A click from the placement is a conversion of the visitor's variant.
    let r = app
        .post(
            "/api/v1/shop/recommendations/clicks",
            None,
            &json!({"placement": "product_viewed", "product_id": a, "visitor": "visitor-ab0000"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let (_, r) = body(app.get(&format!("/api/v1/admin/analytics/experiments/{id}"), Some(&op)).await).await;
    let converted: i64 = r["variants"].as_array().unwrap().iter().map(|v| v["converted"].as_i64().unwrap()).sum();
    assert_eq!(converted, 1);
    assert_eq!(r["provisional"], false, "{r}");

    // The real use: recommendations vs popularity on 买了又买, measured by purchases. An exposed buyer pays.
    let pid = create(&app, &op, &spec("买了又买 vs 热销", "product_bought", "purchase", [1, 1], 1000)).await;
    assert_eq!(
        app.post(&format!("/api/v1/admin/analytics/experiments/{pid}/start"), Some(&op), &json!({})).await.status(),
        StatusCode::OK
    );
    let (token, _) = buyer(&app, "abbuyer").await;
    let (_, v) =
        body(app.get(&format!("/api/v1/shop/products/{a}/recommendations?kind=bought"), Some(&token)).await).await;
    assert_eq!(v["experiment_id"].as_i64(), Some(pid));
    let (s, addr) = body(app.post("/api/v1/shop/addresses", Some(&token), &json!({
        "name": "李四", "phone": "13912345678", "province": "浙江省", "city": "杭州市", "district": "西湖区", "detail": "文三路 1 号"
    })).await).await;
    assert_eq!(s, StatusCode::CREATED, "{addr}");
    let (s, o) = body(
        app.post_idem(
            "/api/v1/shop/orders",
            Some(&token),
            &json!({"items": [{"sku_id": b_sku, "quantity": 2}], "address_id": addr["id"]}),
        )
        .await,
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{o}");
    let oid = o["id"].as_i64().unwrap();
    let (s, p) =
        body(app.post(&format!("/api/v1/shop/orders/{oid}/pay"), Some(&token), &json!({"provider": "sandbox"})).await)
            .await;
    assert_eq!(s, StatusCode::OK, "{p}");
    let r = app.post(p["sandbox_complete_url"].as_str().unwrap(), Some(&token), &json!({})).await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let r = eventually(15, || async {
        let (_, r) = body(app.get(&format!("/api/v1/admin/analytics/experiments/{pid}"), Some(&op)).await).await;
        let n: i64 = r["variants"].as_array().unwrap().iter().map(|v| v["converted"].as_i64().unwrap()).sum();
        (n == 1).then_some(r)
    })
    .await;
    let v = r["variants"].as_array().unwrap().iter().find(|v| v["converted"] == 1).unwrap().clone();
    assert_eq!(v["orders"], 1);
    assert_eq!(v["mean_order_fen"].as_f64(), o["payable"].as_f64(), "{r}");
    assert_eq!(r["provisional"], true, "1 of 1,000 planned");
    app.stop().await;
});

/// Inputs of the reference computation: control 1,000 exposed and 40 converted, the variant 1,000 and 62; the
/// converted orders' amounts (fen) by the formulas below.
fn fixture_amounts() -> (Vec<i64>, Vec<i64>) {
    ((0..40).map(|i| 5000 + (i * 7919) % 3000).collect(), (0..62).map(|i| 5600 + (i * 104_729) % 4000).collect())
}

/// Computed once with scipy 1.17.1 (`stats.binomtest(k, n).proportion_ci(method="wilson")`, the pooled
/// two-proportion z with `stats.norm.sf`, `stats.ttest_ind(b, a, equal_var=False)`) over the inputs above.
mod reference {
    pub const WILSON_A: (f64, f64) = (0.02951097368545276, 0.05400964412125796);
    pub const WILSON_B: (f64, f64) = (0.04866418011998064, 0.07868806031336564);
    pub const Z: f64 = 2.236091077733549;
    pub const Z_P: f64 = 0.025345805781676098;
    pub const T: f64 = 4.618623118024786;
    pub const T_P: f64 = 1.1861726539248338e-05;
    pub const T_DF: f64 = 97.06045570678833;
    pub const MEAN_A: f64 = 6495.5;
    pub const MEAN_B: f64 = 7447.403225806452;
    pub const LIFT: f64 = 0.55;
}

async fn expose(app: &TestApp, id: i64, variant: i64, from: usize, to: usize, amounts: &[i64]) {
    let store = app.store();
    let merchant = store.default_merchant().await.unwrap().id;
    let mut tx = store.begin().await.unwrap();
    for i in from..to {
        let actor = format!("vfixture-{variant}-{i:05}");
        sqlx::query("INSERT INTO experiment_exposures (merchant_id, experiment_id, actor, variant, at) VALUES ($1, $2, $3, $4, 1)")
            .bind(merchant)
            .bind(id)
            .bind(&actor)
            .bind(variant)
            .execute(&mut *tx)
            .await
            .unwrap();
        if let Some(amount) = amounts.get(i) {
            sqlx::query(
                "INSERT INTO experiment_conversions (merchant_id, experiment_id, actor, variant, amount_fen, at) \
                 VALUES ($1, $2, $3, $4, $5, 2)",
            )
            .bind(merchant)
            .bind(id)
            .bind(&actor)
            .bind(variant)
            .bind(amount)
            .execute(&mut *tx)
            .await
            .unwrap();
        }
    }
    minimall_store::commit(tx).await.unwrap();
}

suite!(results_equal_the_reference_values_and_are_provisional_before_the_plan, |b| async move {
    let app = TestApp::spawn(b).await;
    let op = app.admin_login("operator").await;
    let id = create(&app, &op, &spec("首页推荐", "home_feed", "purchase", [1, 1], 1000)).await;
    let (a, b) = fixture_amounts();
    // Half the planned sample: the figures are there, the verdict is not (no peeking).
    expose(&app, id, 0, 0, 500, &a).await;
    expose(&app, id, 1, 0, 500, &b).await;
    let (s, r) = body(app.get(&format!("/api/v1/admin/analytics/experiments/{id}"), Some(&op)).await).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["provisional"], true);
    assert_eq!(r["smallest_sample"], 500);
    assert_eq!(r["variants"][1]["verdict"], "collecting");
    assert!(r["variants"][1]["z"].as_f64().is_some(), "figures are shown while collecting");
    let cookie = format!("mm_admin={op}");
    let page = app
        .client
        .get(format!("{}/admin/experiments/{id}", app.base))
        .header(reqwest::header::COOKIE, cookie.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("临时结果") && html.contains("样本收集中"), "the page warns");

    expose(&app, id, 0, 500, 1000, &a).await;
    expose(&app, id, 1, 500, 1000, &b).await;
    let (_, r) = body(app.get(&format!("/api/v1/admin/analytics/experiments/{id}"), Some(&op)).await).await;
    assert_eq!(r["provisional"], false, "{r}");
    let (c, v) = (&r["variants"][0], &r["variants"][1]);
    assert_eq!((c["exposed"].as_i64(), c["converted"].as_i64()), (Some(1000), Some(40)));
    assert_eq!((v["exposed"].as_i64(), v["converted"].as_i64()), (Some(1000), Some(62)));
    close(&c["rate"], 0.04, "rate A");
    close(&c["rate_low"], reference::WILSON_A.0, "wilson low A");
    close(&c["rate_high"], reference::WILSON_A.1, "wilson high A");
    close(&v["rate_low"], reference::WILSON_B.0, "wilson low B");
    close(&v["rate_high"], reference::WILSON_B.1, "wilson high B");
    close(&v["z"], reference::Z, "z");
    close(&v["z_p_value"], reference::Z_P, "z p");
    close(&v["t"], reference::T, "t");
    close(&v["t_p_value"], reference::T_P, "t p");
    close(&v["t_df"], reference::T_DF, "df");
    close(&c["mean_order_fen"], reference::MEAN_A, "mean A");
    close(&v["mean_order_fen"], reference::MEAN_B, "mean B");
    close(&v["lift"], reference::LIFT, "lift");
    assert_eq!(v["verdict"], "significant");
    assert!(c["verdict"].is_null(), "the control has none");
    let html = app
        .client
        .get(format!("{}/admin/experiments/{id}", app.base))
        .header(reqwest::header::COOKIE, cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("显著差异") && html.contains("z=2.236"), "the page shows the test");
    app.stop().await;
});

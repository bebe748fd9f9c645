use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::helpers::*;
use crate::suite;

const HEADER_ZH: &str = "商品编码,商品名称,分类,上架,SKU编码,规格,库存,划线价,售价";

fn good_csv() -> String {
    format!(
        "{HEADER_ZH}\n\
         P-ORANGE,赣南脐橙 新鲜采摘,食品/水果/橙子,是,P-ORANGE-5,规格:5斤,100,59.90,49.90\n\
         P-ORANGE,赣南脐橙 新鲜采摘,食品/水果/橙子,是,P-ORANGE-10,规格:10斤,80,99.00,88.00\n\
         P-TEA,西湖龙井 明前,食品/茶叶,否,P-TEA-1,,20,300,268.5\n"
    )
}

async fn import(app: &TestApp, t: &str, bytes: Vec<u8>, dry: bool) -> (StatusCode, Value) {
    let url = format!("/api/v1/admin/products/import?dry_run={dry}");
    body(app.req(Method::POST, &url, Some(t)).header("content-type", "text/csv").body(bytes).send().await.unwrap())
        .await
}

async fn wait_done(app: &TestApp, t: &str, id: i64) -> Value {
    eventually(20, || async {
        let (_, v) = body(app.get(&format!("/api/v1/admin/imports/{id}"), Some(t)).await).await;
        (v["status"] == "done" || v["status"] == "failed").then_some(v)
    })
    .await
}

async fn product_count(app: &TestApp, t: &str) -> i64 {
    let (_, v) = body(app.get("/api/v1/admin/products", Some(t)).await).await;
    v["total"].as_i64().unwrap()
}

suite!(utf8_bom_and_gbk_files_import, |b| async move {
    let app = TestApp::spawn(b).await;
    let t = app.admin_login("operator").await;
    let csv = good_csv();
    // Plain UTF-8: dry run first, nothing written.
    let (s, v) = import(&app, &t, csv.clone().into_bytes(), true).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["encoding"], "utf-8");
    assert_eq!(v["errors"], serde_json::json!([]));
    assert_eq!((v["created_products"].as_i64(), v["created_skus"].as_i64()), (Some(2), Some(3)));
    assert_eq!(product_count(&app, &t).await, 0, "a dry run writes nothing");
    let (s, v) = import(&app, &t, csv.clone().into_bytes(), false).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    let done = wait_done(&app, &t, v["id"].as_i64().unwrap()).await;
    assert_eq!(done["status"], "done", "{done}");
    assert_eq!(done["processed_rows"], 3);
    assert_eq!(product_count(&app, &t).await, 2);
    let (_, list) = body(app.get("/api/v1/shop/products?q=%E8%84%90%E6%A9%99", None).await).await; // 脐橙
    assert_eq!(list["items"][0]["min_price"], 4990);

    // UTF-8 with BOM, updating stock and price: upsert by SKU code.
    let mut bom = vec![0xEF, 0xBB, 0xBF];
    bom.extend(csv.replace(",100,59.90,49.90", ",60,59.90,45.00").into_bytes());
    let (s, v) = import(&app, &t, bom, false).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    assert_eq!(v["encoding"], "utf-8-bom");
    let done = wait_done(&app, &t, v["id"].as_i64().unwrap()).await;
    assert_eq!((done["updated_skus"].as_i64(), done["created_skus"].as_i64()), (Some(3), Some(0)), "{done}");
    assert_eq!(product_count(&app, &t).await, 2);

    // GBK, as Excel saves "CSV" on Chinese Windows.
    let gbk_text = format!("{HEADER_ZH}\nP-APPLE,烟台红富士苹果,食品/水果/苹果,是,P-APPLE-1,,50,39.9,29.9\n");
    let (gbk, _, _) = encoding_rs::GBK.encode(&gbk_text);
    let (s, v) = import(&app, &t, gbk.into_owned(), false).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    assert_eq!(v["encoding"], "gbk");
    assert_eq!(wait_done(&app, &t, v["id"].as_i64().unwrap()).await["status"], "done");
    let (_, found) = body(app.get("/api/v1/shop/products?q=%E7%BA%A2%E5%AF%8C%E5%A3%AB", None).await).await; // 红富士
    assert_eq!(found["total"], 1, "{found}");
    assert_eq!(found["items"][0]["title"], "烟台红富士苹果");
    // Stock movements say "import".
    let (_, p) = body(app.get(&format!("/api/v1/admin/products/{}", found["items"][0]["id"]), Some(&t)).await).await;
    let (_, mv) = body(app.get(&format!("/api/v1/admin/skus/{}/movements", p["skus"][0]["id"]), Some(&t)).await).await;
    assert_eq!(mv["items"][0]["reason"], "import");
});

suite!(a_file_with_three_bad_rows_imports_nothing_and_reports_all, |b| async move {
    let app = TestApp::spawn(b).await;
    let t = app.admin_login("operator").await;
    let csv = format!(
        "{HEADER_ZH}\n\
         A1,好物一号,家居/收纳,是,A1-1,,10,20,10\n\
         A2,好物二号,家居/收纳,是,A2-1,,-5,20,10\n\
         A3,好物三号,家居/收纳,是,A3-1,,10,20,abc\n\
         A4,好物四号,家居/收纳,是,A4-1,,10,20,10\n\
         A5,,家居/收纳,是,A5-1,,10,20,10\n"
    );
    let (s, v) = import(&app, &t, csv.clone().into_bytes(), true).await;
    assert_eq!(s, StatusCode::OK);
    let errors = v["errors"].as_array().unwrap();
    let got: Vec<(i64, String)> =
        errors.iter().map(|e| (e["row"].as_i64().unwrap(), e["column"].as_str().unwrap().to_string())).collect();
    assert_eq!(got, vec![(3, "stock".into()), (4, "sale_price".into()), (6, "title".into())], "{v}");
    let (s, v) = import(&app, &t, csv.into_bytes(), false).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["error"]["details"]["errors"].as_array().unwrap().len(), 3);
    assert_eq!(product_count(&app, &t).await, 0, "nothing half-imported");

    // A banned word found by the import, with its row and column.
    let csv = format!("{HEADER_ZH}\nB1,史上好用收纳盒,家居/收纳,是,B1-1,,10,20,10\n");
    let (_, v) = import(&app, &t, csv.into_bytes(), true).await;
    assert_eq!(v["errors"][0]["row"], 2, "{v}");
    assert_eq!(v["errors"][0]["column"], "title");
    // Not CSV at all / empty.
    let (s, _) = import(&app, &t, vec![], true).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    // Service staff may not import.
    let svc = app.admin_login("service").await;
    let (s, _) = import(&app, &svc, good_csv().into_bytes(), true).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
});

suite!(export_then_import_round_trips_the_catalog, |b| async move {
    let db = TestDb::new(b).await;
    let mut cfg = test_config(&db.url);
    cfg.demo_products = 40;
    let app = TestApp::spawn_with(db, cfg, true).await;
    let t = app.admin_login("operator").await;
    let r = app.get("/api/v1/admin/products/export", Some(&t)).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let first = r.bytes().await.unwrap().to_vec();
    assert!(first.starts_with(&[0xEF, 0xBB, 0xBF]), "UTF-8 with BOM for Excel");
    let (s, v) = import(&app, &t, first.clone(), true).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["errors"], serde_json::json!([]), "{v}");
    assert_eq!(v["created_products"], 0);
    assert_eq!(v["updated_products"], 40);

    // Into a fresh shop: the same catalog comes out.
    let other = TestApp::spawn(b).await;
    let t2 = other.admin_login("operator").await;
    let (s, v) = import(&other, &t2, first.clone(), false).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    let done = wait_done(&other, &t2, v["id"].as_i64().unwrap()).await;
    assert_eq!(done["status"], "done", "{done}");
    let second = other.get("/api/v1/admin/products/export", Some(&t2)).await.bytes().await.unwrap().to_vec();
    assert_eq!(String::from_utf8(second).unwrap(), String::from_utf8(first).unwrap());
});

//! The storefront's showcase (店铺装修): banners and icons arranged by operators through the API and the
//! console, shown on the home page and to mini-programs in their order, within their window, only when
//! enabled; bad input refused naming the field; every role only what it may.

use reqwest::header::COOKIE;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::buyer::{csrf, form, no_redirects, shop};
use crate::helpers::*;
use crate::suite;

async fn add(app: &TestApp, token: &str, v: Value) -> Value {
    let (st, item) = body(app.post("/api/v1/admin/showcase", Some(token), &v).await).await;
    assert_eq!(st, StatusCode::CREATED, "{item}");
    item
}

fn titles(v: &Value, key: &str) -> Vec<String> {
    v[key].as_array().unwrap().iter().map(|i| i["title"].as_str().unwrap().to_string()).collect()
}

suite!(banners_and_icons_show_as_operators_arrange_them, |b| async move {
    let s = shop(b).await;
    let app = &s.app;
    let op = &s.op;
    let banner = |title: &str, kind: &str, target: Value| json!({"slot": "carousel", "title": title, "image": "/img/placeholder/w1.svg", "link_kind": kind, "link_target": target});
    let pear = add(app, op, banner("砀山梨上市", "product", json!(s.product.to_string()))).await;
    assert_eq!(pear["href"], format!("/p/{}", s.product));
    let member = add(app, op, banner("会员日", "page", json!("/member"))).await;
    let coupons = add(app, op, banner("领券", "coupons", Value::Null)).await;
    assert_eq!((coupons["href"].as_str(), coupons["position"].as_i64()), (Some("/coupons"), Some(3)));

    // The storefront: in order, each with where it leads.
    let (st, v) = body(app.get("/api/v1/shop/showcase", None).await).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(titles(&v, "carousel"), ["砀山梨上市", "会员日", "领券"]);
    assert_eq!(v["icons"], json!([]));

    // Reordered: 会员日 up is first; the first one up stays first.
    let mv = |id: &Value, d: &str| {
        let path = format!("/api/v1/admin/showcase/{id}/move");
        let body_ = json!({"direction": d});
        async move { body(app.post(&path, Some(op), &body_).await).await }
    };
    assert_eq!(mv(&member["id"], "up").await.0, StatusCode::OK);
    assert_eq!(mv(&member["id"], "up").await.0, StatusCode::OK);
    let (_, v) = body(app.get("/api/v1/shop/showcase", None).await).await;
    assert_eq!(titles(&v, "carousel"), ["会员日", "砀山梨上市", "领券"]);
    assert_eq!(mv(&coupons["id"], "down").await.0, StatusCode::OK);
    let (_, list) = body(app.get("/api/v1/admin/showcase?slot=carousel", Some(op)).await).await;
    assert_eq!(
        (list["total"].as_i64(), titles(&list, "items")),
        (Some(3), vec!["会员日".to_string(), "砀山梨上市".into(), "领券".into()])
    );

    // Turned off, or outside its window, an entry is not shown (but stays listed in the console).
    let now = minimall_store::now_ms();
    let mut edit = banner("砀山梨上市", "product", json!(s.product.to_string()));
    edit.as_object_mut().unwrap().remove("slot");
    edit["enabled"] = json!(false);
    let (st, v) = body(app.put(&format!("/api/v1/admin/showcase/{}", pear["id"]), Some(op), &edit).await).await;
    assert_eq!((st, &v["enabled"]), (StatusCode::OK, &json!(false)), "{v}");
    let later = add(app, op, json!({"slot": "carousel", "title": "双十二预告", "image": "/img/placeholder/w2.svg", "link_kind": "none", "starts_at": now + 86_400_000})).await;
    let ended = add(app, op, json!({"slot": "carousel", "title": "已结束", "image": "/img/placeholder/w2.svg", "link_kind": "none", "starts_at": now - 7_200_000, "ends_at": now - 3_600_000})).await;
    assert_eq!(later["href"], Value::Null);
    let (_, v) = body(app.get("/api/v1/shop/showcase", None).await).await;
    assert_eq!(titles(&v, "carousel"), ["会员日", "领券"]);
    let (_, list) = body(app.get("/api/v1/admin/showcase", Some(op)).await).await;
    assert_eq!(list["total"], 5);

    // The home page shows the banners as images with their links, and the top categories without icons.
    let html = app.client.get(format!("{}/", app.base)).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("id=\"carousel\"") && html.contains("href=\"/member\"") && html.contains("会员日"), "{html}");
    assert!(!html.contains("双十二预告") && !html.contains("已结束"));
    assert!(html.contains("class=\"cats\"") && !html.contains("id=\"icons\""));

    // Icons: a category link; then the grid replaces the category pills.
    let (_, cats) = body(app.get("/api/v1/admin/categories", Some(op)).await).await;
    let fruit = cats["items"][0]["id"].as_i64().or_else(|| cats[0]["id"].as_i64()).expect("a category");
    let icon = add(app, op, json!({"slot": "icons", "title": "水果", "image": "/img/placeholder/i1.svg", "link_kind": "category", "link_target": fruit.to_string()})).await;
    assert_eq!(icon["href"], format!("/products?category_id={fruit}"));
    let html = app.client.get(format!("{}/", app.base)).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("id=\"icons\"") && html.contains(&format!("href=\"/products?category_id={fruit}\"")));

    // Deleted: gone from both lists; a second delete is 404.
    let r = app.req(Method::DELETE, &format!("/api/v1/admin/showcase/{}", ended["id"]), Some(op)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let r = app.req(Method::DELETE, &format!("/api/v1/admin/showcase/{}", ended["id"]), Some(op)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let (st, _) = body(app.put("/api/v1/admin/showcase/999999", Some(op), &edit).await).await;
    assert_eq!(st, StatusCode::NOT_FOUND);

    // Every change is in the audit log, by its action.
    let owner = app.admin_login("admin").await;
    for a in ["showcase.create", "showcase.update", "showcase.move", "showcase.delete"] {
        let (st, log) = body(app.get(&format!("/api/v1/admin/audit-log?action={a}"), Some(&owner)).await).await;
        assert_eq!(st, StatusCode::OK, "{log}");
        let first = &log["items"][0];
        assert!(first["target"].as_str().is_some_and(|t| t.starts_with("showcase_item:")), "{a}: {log}");
    }
});

suite!(showcase_input_is_refused_by_field_and_slots_are_bounded, |b| async move {
    let s = shop(b).await;
    let app = &s.app;
    let op = &s.op;
    let ok = json!({"slot": "icons", "title": "新品", "image": "/img/placeholder/i2.svg", "link_kind": "coupons"});
    let with = |k: &str, v: Value| {
        let mut x = ok.clone();
        x[k] = v;
        x
    };
    let cases = [
        (with("title", json!("")), "title"),
        (with("title", json!("字".repeat(21))), "title"),
        (with("image", json!("http://evil.example/a.png")), "image"),
        (with("image", json!("/uploads/../secret")), "image"),
        (with("link_kind", json!("product")), "link_target"),
        (
            json!({"slot": "icons", "title": "x", "image": "/img/placeholder/i2.svg", "link_kind": "product", "link_target": "999999"}),
            "link_target",
        ),
        (
            json!({"slot": "icons", "title": "x", "image": "/img/placeholder/i2.svg", "link_kind": "category", "link_target": "abc"}),
            "link_target",
        ),
        (
            json!({"slot": "icons", "title": "x", "image": "/img/placeholder/i2.svg", "link_kind": "flash_sale", "link_target": "424242"}),
            "link_target",
        ),
        (
            json!({"slot": "icons", "title": "x", "image": "/img/placeholder/i2.svg", "link_kind": "page", "link_target": "https://evil.example/"}),
            "link_target",
        ),
        (
            json!({"slot": "icons", "title": "x", "image": "/img/placeholder/i2.svg", "link_kind": "page", "link_target": "/admin/users"}),
            "link_target",
        ),
        (
            json!({"slot": "icons", "title": "x", "image": "/img/placeholder/i2.svg", "link_kind": "page", "link_target": "//evil.example"}),
            "link_target",
        ),
        (
            with("starts_at", json!(2_000))
                .as_object()
                .map(|m| {
                    let mut m = Value::Object(m.clone());
                    m["ends_at"] = json!(1_000);
                    m
                })
                .unwrap(),
            "ends_at",
        ),
        (with("slot", json!("sidebar")), "slot"),
        (with("link_kind", json!("video")), "link_kind"),
    ];
    for (input, field) in cases {
        let r = app.post("/api/v1/admin/showcase", Some(op), &input).await;
        let status = r.status();
        let (_, v) = body(r).await;
        assert!(status.is_client_error(), "{input} → {status} {v}");
        assert_eq!(v["error"]["field"], field, "{input} → {v}");
    }
    let (st, v) = body(app.post("/api/v1/admin/showcase", Some(op), &with("colour", json!("red"))).await).await;
    assert!(st.is_client_error(), "{v}");
    // Nothing refused was written.
    let (_, list) = body(app.get("/api/v1/admin/showcase?slot=icons", Some(op)).await).await;
    assert_eq!(list["total"], 0);

    // A slot holds 20 entries; the 21st is refused naming the slot, the other slot is not affected.
    for i in 0..20 {
        add(app, op, with("title", json!(format!("图标{i}")))).await;
    }
    let (st, v) = body(app.post("/api/v1/admin/showcase", Some(op), &ok).await).await;
    assert_eq!((st, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("slot")), "{v}");
    add(app, op, with("slot", json!("carousel"))).await;
    let (_, v) = body(app.get("/api/v1/shop/showcase", None).await).await;
    assert_eq!((v["icons"].as_array().unwrap().len(), v["carousel"].as_array().unwrap().len()), (20, 1));
    let (st, _) = body(app.get("/api/v1/admin/showcase?slot=icons&page_size=101", Some(op)).await).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    let (_, p2) = body(app.get("/api/v1/admin/showcase?slot=icons&page=2&page_size=15", Some(op)).await).await;
    assert_eq!((p2["total"].as_i64(), p2["items"].as_array().unwrap().len()), (Some(20), 5));
});

suite!(only_catalog_managers_arrange_the_showcase, |b| async move {
    let s = shop(b).await;
    let app = &s.app;
    let item = add(
        app,
        &s.op,
        json!({"slot": "carousel", "title": "上新", "image": "/img/placeholder/w1.svg", "link_kind": "none"}),
    )
    .await;
    let id = item["id"].as_i64().unwrap();
    let new = json!({"slot": "carousel", "title": "x", "image": "/img/placeholder/w1.svg", "link_kind": "none"});
    let change = json!({"title": "x", "image": "/img/placeholder/w1.svg", "link_kind": "none"});
    let amy = app.buyer_login("amy").await;
    for (who, read, write) in [
        (Some(app.admin_login("finance").await), StatusCode::OK, StatusCode::FORBIDDEN),
        (Some(app.admin_login("service").await), StatusCode::OK, StatusCode::FORBIDDEN),
        (Some(app.admin_login("clerk").await), StatusCode::FORBIDDEN, StatusCode::FORBIDDEN),
        (Some(amy), StatusCode::FORBIDDEN, StatusCode::FORBIDDEN),
        (None, StatusCode::UNAUTHORIZED, StatusCode::UNAUTHORIZED),
    ] {
        let t = who.as_deref();
        assert_eq!(app.get("/api/v1/admin/showcase", t).await.status(), read);
        assert_eq!(app.post("/api/v1/admin/showcase", t, &new).await.status(), write);
        assert_eq!(app.put(&format!("/api/v1/admin/showcase/{id}"), t, &change).await.status(), write);
        assert_eq!(
            app.post(&format!("/api/v1/admin/showcase/{id}/move"), t, &json!({"direction": "down"})).await.status(),
            write
        );
        let r = app.req(Method::DELETE, &format!("/api/v1/admin/showcase/{id}"), t).send().await.unwrap();
        assert_eq!(r.status(), write);
    }
    let (_, v) = body(app.get("/api/v1/admin/showcase", Some(&s.op)).await).await;
    assert_eq!((v["total"].as_i64(), v["items"][0]["title"].as_str()), (Some(1), Some("上新")));

    // The console page: a reader sees the list without the forms; the service role cannot post them.
    let c = no_redirects();
    let (csrf_cookie, _) = csrf(&c, app, "/admin/login").await;
    let service = format!("{csrf_cookie}; mm_admin={}", app.admin_login("service").await);
    let r = c.get(format!("{}/admin/showcase", app.base)).header(COOKIE, &service).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(html.contains("上新") && !html.contains("id=\"new-showcase\""), "{html}");
    let token = csrf_cookie.trim_start_matches("mm_csrf=");
    let r =
        form(&c, app, &service, "/admin/showcase", &format!("/admin/showcase/{id}/delete"), &format!("_csrf={token}"))
            .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
});

suite!(the_console_page_adds_refuses_reorders_and_removes_entries, |b| async move {
    let s = shop(b).await;
    let app = &s.app;
    let c = no_redirects();
    let (csrf_cookie, _) = csrf(&c, app, "/admin/login").await;
    let token = csrf_cookie.trim_start_matches("mm_csrf=").to_string();
    let op = format!("{csrf_cookie}; mm_admin={}", s.op);
    let page = |path: &str| {
        let (c, op, url) = (c.clone(), op.clone(), format!("{}{path}", app.base));
        async move {
            let r = c.get(url).header(COOKIE, op).send().await.unwrap();
            (r.status(), r.text().await.unwrap())
        }
    };
    let (st, html) = page("/admin/showcase").await;
    assert_eq!(st, StatusCode::OK);
    assert!(html.contains("id=\"new-showcase\"") && html.contains("轮播图") && html.contains("手机预览"));

    // A refused form comes back with what was typed and the message next to the field.
    let bad = format!("_csrf={token}&slot=carousel&title=%E4%B8%8A%E6%96%B0&image=%2Fimg%2Fplaceholder%2Fw1.svg&link_kind=page&link_target=https%3A%2F%2Fevil.example&enabled=1");
    let r = form(&c, app, &op, "/admin/showcase", "/admin/showcase", &bad).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"err-link_target\"") && html.contains("value=\"https://evil.example\""), "{html}");

    for (title, kind, target) in [("上新", "product", s.product.to_string()), ("会员", "page", "%2Fmember".to_string())]
    {
        let fields = format!("_csrf={token}&slot=carousel&title={}&image=%2Fimg%2Fplaceholder%2Fw1.svg&link_kind={kind}&link_target={target}&enabled=1", urlencoding(title));
        let r = form(&c, app, &op, "/admin/showcase", "/admin/showcase", &fields).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap());
    }
    let (_, v) = body(app.get("/api/v1/admin/showcase", Some(&s.op)).await).await;
    let ids: Vec<i64> = v["items"].as_array().unwrap().iter().map(|i| i["id"].as_i64().unwrap()).collect();
    assert_eq!(ids.len(), 2, "{v}");
    let r = form(&c, app, &op, "/admin/showcase", &format!("/admin/showcase/{}/up", ids[1]), &format!("_csrf={token}"))
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r =
        form(&c, app, &op, "/admin/showcase", &format!("/admin/showcase/{}/toggle", ids[0]), &format!("_csrf={token}"))
            .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, v) = body(app.get("/api/v1/shop/showcase", None).await).await;
    assert_eq!(titles(&v, "carousel"), ["会员"]);
    // The edit page changes the title; the list page shows 已停用 for the turned-off one.
    let (st, html) = page(&format!("/admin/showcase/{}", ids[1])).await;
    assert!(st == StatusCode::OK && html.contains("id=\"edit-showcase\""), "{html}");
    let fields = format!("_csrf={token}&title=%E4%BC%9A%E5%91%98%E6%97%A5&image=%2Fimg%2Fplaceholder%2Fw2.svg&link_kind=coupons&link_target=&enabled=1");
    let r = form(&c, app, &op, &format!("/admin/showcase/{}", ids[1]), &format!("/admin/showcase/{}", ids[1]), &fields)
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = page("/admin/showcase").await;
    assert!(html.contains("会员日") && html.contains("已停用") && html.contains("领券中心"), "{html}");
    let r =
        form(&c, app, &op, "/admin/showcase", &format!("/admin/showcase/{}/delete", ids[0]), &format!("_csrf={token}"))
            .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, v) = body(app.get("/api/v1/admin/showcase", Some(&s.op)).await).await;
    assert_eq!(v["total"], 1);
    let (st, _) = page("/admin/showcase/999999").await;
    assert_eq!(st, StatusCode::NOT_FOUND);
});

fn urlencoding(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

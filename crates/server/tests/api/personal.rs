//! The buyer's own collections through the API and the pages: favourites (收藏) saved once, listed with what
//! the product is now; browsing history (足迹) ordered by the last view, forgotten one by one or all; the
//! address book; each buyer sees and changes only their own.

use reqwest::header::{COOKIE, LOCATION};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::buyer::{csrf, form, no_redirects, shop, toast};
use crate::helpers::*;
use crate::suite;

async fn list(app: &TestApp, buyer: &str, path: &str) -> Value {
    let (st, v) = body(app.get(path, Some(buyer)).await).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    v
}

fn ids(v: &Value) -> Vec<i64> {
    v["items"].as_array().unwrap().iter().map(|i| i["product_id"].as_i64().unwrap()).collect()
}

suite!(favourites_and_history_are_each_buyers_own_and_list_the_product_as_it_is, |b| async move {
    let s = shop(b).await;
    let app = &s.app;
    let (_, c) = body(app.post("/api/v1/admin/categories", Some(&s.op), &json!({"name": "坚果"})).await).await;
    let (st, p) = body(
        app.post_idem(
            "/api/v1/admin/products",
            Some(&s.op),
            &json!({
                "product": {"code": "NUTS", "category_id": c["id"], "title": "碧根果", "on_shelf": true},
                "skus": [{"code": "NUTS-1", "stock": 9, "original_price": 5000, "sale_price": 3900}]
            }),
        )
        .await,
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{p}");
    let nuts = p["product"]["id"].as_i64().unwrap();
    let (amy, bob) = (app.buyer_login("amy").await, app.buyer_login("bob").await);

    // Saved once: 201, then 200; the list shows the product's price now.
    let r = app.req(Method::PUT, &format!("/api/v1/shop/favourites/{}", s.product), Some(&amy)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let r = app.req(Method::PUT, &format!("/api/v1/shop/favourites/{}", s.product), Some(&amy)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = app.req(Method::PUT, &format!("/api/v1/shop/favourites/{nuts}"), Some(&amy)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let f = list(app, &amy, "/api/v1/shop/favourites").await;
    assert_eq!((f["total"].as_i64(), ids(&f)), (Some(2), vec![nuts, s.product]), "{f}");
    assert_eq!((f["items"][0]["title"].as_str(), f["items"][0]["price"].as_i64()), (Some("碧根果"), Some(3900)));
    assert_eq!(list(app, &amy, &format!("/api/v1/shop/favourites/{nuts}")).await["saved"], true);
    // Nothing that is not a product on sale of this shop can be saved.
    let r = app.req(Method::PUT, "/api/v1/shop/favourites/999999", Some(&amy)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    // bob sees none of amy's, and removing "his" copy of one leaves hers alone.
    assert_eq!(list(app, &bob, "/api/v1/shop/favourites").await["total"], 0);
    assert_eq!(list(app, &bob, &format!("/api/v1/shop/favourites/{nuts}")).await["saved"], false);
    let r = app.req(Method::DELETE, &format!("/api/v1/shop/favourites/{nuts}"), Some(&bob)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(list(app, &amy, "/api/v1/shop/favourites").await["total"], 2);
    // Taken off the shelf, a saved product stays listed as no longer on sale.
    let (st, v) =
        body(app.post("/api/v1/admin/products/shelf", Some(&s.op), &json!({"ids": [nuts], "on_shelf": false})).await)
            .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let f = list(app, &amy, "/api/v1/shop/favourites").await;
    assert_eq!((f["items"][0]["product_id"].as_i64(), &f["items"][0]["on_sale"]), (Some(nuts), &json!(false)));
    assert_eq!(f["items"][1]["on_sale"], true);
    let r = app.req(Method::DELETE, &format!("/api/v1/shop/favourites/{nuts}"), Some(&amy)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(ids(&list(app, &amy, "/api/v1/shop/favourites").await), vec![s.product]);
    // Off the shelf, it cannot be saved or viewed again.
    let r = app.req(Method::PUT, &format!("/api/v1/shop/favourites/{nuts}"), Some(&amy)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let (st, _) = body(app.post("/api/v1/shop/history", Some(&amy), &json!({"product_id": nuts})).await).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    app.post("/api/v1/admin/products/shelf", Some(&s.op), &json!({"ids": [nuts], "on_shelf": true})).await;

    // History: one row per product, the last viewed first; the storefront's product page counts as a view.
    for p in [s.product, nuts, s.product] {
        let r = app.post("/api/v1/shop/history", Some(&amy), &json!({"product_id": p})).await;
        assert_eq!(r.status(), StatusCode::NO_CONTENT);
        tokio::time::sleep(std::time::Duration::from_millis(3)).await;
    }
    let h = list(app, &amy, "/api/v1/shop/history").await;
    assert_eq!((h["total"].as_i64(), ids(&h)), (Some(2), vec![s.product, nuts]), "{h}");
    let page = app
        .req(Method::GET, &format!("/p/{nuts}"), None)
        .header(COOKIE, format!("mm_buyer={amy}"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("id=\"favourite\""));
    assert_eq!(ids(&list(app, &amy, "/api/v1/shop/history").await), vec![nuts, s.product]);
    assert_eq!(list(app, &bob, "/api/v1/shop/history").await["total"], 0);
    let r = app.req(Method::DELETE, &format!("/api/v1/shop/history/{nuts}"), Some(&amy)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(ids(&list(app, &amy, "/api/v1/shop/history").await), vec![s.product]);
    let r = app.req(Method::DELETE, "/api/v1/shop/history", Some(&bob)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(list(app, &amy, "/api/v1/shop/history").await["total"], 1, "bob's clearing leaves amy's");
    let r = app.req(Method::DELETE, "/api/v1/shop/history", Some(&amy)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(list(app, &amy, "/api/v1/shop/history").await["total"], 0);

    // Bad input names its field; nobody logged out gets anything.
    assert_field_error(
        app.post("/api/v1/shop/history", Some(&amy), &json!({"product_id": "x"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "product_id",
    )
    .await;
    let (st, _) = body(app.get("/api/v1/shop/favourites?page_size=1000", Some(&amy)).await).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    for (m, path) in [
        (Method::GET, "/api/v1/shop/favourites".to_string()),
        (Method::PUT, format!("/api/v1/shop/favourites/{nuts}")),
        (Method::GET, "/api/v1/shop/history".to_string()),
        (Method::DELETE, "/api/v1/shop/history".to_string()),
    ] {
        let r = app.req(m.clone(), &path, None).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{m} {path}");
    }
    let op = app.req(Method::GET, "/api/v1/shop/favourites", Some(&s.op)).send().await.unwrap();
    assert!(op.status().is_client_error(), "a console token is no buyer's");
});

suite!(favourites_history_and_addresses_on_the_pages_in_chinese, |b| async move {
    let s = shop(b).await;
    let app = &s.app;
    let c = no_redirects();
    let (csrf_cookie, token) = csrf(&c, app, "/").await;
    let amy = format!("{csrf_cookie}; mm_buyer={}", app.buyer_login("amy").await);
    let page = |path: String, who: String| {
        let c = c.clone();
        let url = format!("{}{path}", app.base);
        async move {
            let r = c.get(url).header(COOKIE, who).send().await.unwrap();
            assert_eq!(r.status(), StatusCode::OK);
            r.text().await.unwrap()
        }
    };
    // Logged out, ☆ 收藏 goes through the login and on.
    let from = format!("/p/{}", s.product);
    let fav = format!("/favourites/{}", s.product);
    let r = form(&c, app, &csrf_cookie, &from, &fav, &format!("_csrf={token}&action=save")).await;
    assert!(r.headers()[LOCATION].to_str().unwrap().starts_with("/login?next=%2Fresume"));
    // Logged in: saved, with a toast back on the product page, which now shows ★ 已收藏.
    let r = form(&c, app, &amy, &from, &fav, &format!("_csrf={token}&action=save")).await;
    assert_eq!((r.status(), r.headers()[LOCATION].to_str().unwrap()), (StatusCode::SEE_OTHER, from.as_str()));
    assert!(toast(&r).unwrap().starts_with("s|"));
    let html = page(from.clone(), amy.clone()).await;
    assert!(html.contains("已收藏") && html.contains("value=\"remove\""), "{html}");
    // 我的 counts them; 我的收藏 and 我的足迹 list the product.
    let me = page("/me".into(), amy.clone()).await;
    let fig = me.split("id=\"my-favourites\"").nth(1).unwrap();
    assert!(fig.starts_with("><b>1</b>"), "{fig}");
    let fig = me.split("id=\"my-history\"").nth(1).unwrap();
    assert!(fig.starts_with("><b>1</b>"), "{fig}");
    for path in ["/me/favourites", "/me/history"] {
        let html = page(path.into(), amy.clone()).await;
        assert!(html.contains("砀山梨") && html.contains(&format!("href=\"/p/{}\"", s.product)), "{path}: {html}");
    }
    // Removed from 我的收藏, back to the list; history cleared.
    let r = form(&c, app, &amy, "/me/favourites", &fav, &format!("_csrf={token}&action=remove&back=list")).await;
    assert_eq!(r.headers()[LOCATION].to_str().unwrap(), "/me/favourites");
    assert!(page("/me/favourites".into(), amy.clone()).await.contains("还没有收藏的商品"));
    let r = form(&c, app, &amy, "/me/history", "/me/history/clear", &format!("_csrf={token}")).await;
    assert_eq!(r.headers()[LOCATION].to_str().unwrap(), "/me/history");
    assert!(page("/me/history".into(), amy.clone()).await.contains("最近没有浏览过商品"));

    // The address book: add two, make the second the default, edit, refuse a bad phone in the page, delete.
    let addr = |name: &str, phone: &str, default: bool| {
        format!(
            "_csrf={token}&name={}&phone={phone}&province=%E6%B5%99%E6%B1%9F%E7%9C%81&city=%E6%9D%AD%E5%B7%9E%E5%B8%82&district=%E8%A5%BF%E6%B9%96%E5%8C%BA&detail=1%E5%8F%B7{}",
            form_urlencoded::byte_serialize(name.as_bytes()).collect::<String>(),
            if default { "&is_default=1" } else { "" }
        )
    };
    for (name, default) in [("张三", true), ("李四", false)] {
        let r = form(&c, app, &amy, "/me/addresses/new", "/me/addresses", &addr(name, "13812345678", default)).await;
        assert_eq!(r.headers()[LOCATION].to_str().unwrap(), "/me/addresses");
    }
    let token_only = amy.split("mm_buyer=").nth(1).unwrap().to_string();
    let (_, l) = body(app.get("/api/v1/shop/addresses", Some(&token_only)).await).await;
    let names: Vec<&str> = l["items"].as_array().unwrap().iter().map(|a| a["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["张三", "李四"], "the default first: {l}");
    let li = l["items"][1]["id"].as_i64().unwrap();
    let r =
        form(&c, app, &amy, "/me/addresses", &format!("/me/addresses/{li}/default"), &format!("_csrf={token}")).await;
    assert!(toast(&r).unwrap().starts_with("s|"));
    let (_, l) = body(app.get("/api/v1/shop/addresses", Some(&token_only)).await).await;
    assert_eq!((l["items"][0]["id"].as_i64(), &l["items"][0]["is_default"]), (Some(li), &json!(true)), "{l}");
    assert_eq!(l["items"][1]["is_default"], false);
    let edit = format!("/me/addresses/{li}");
    assert!(page(edit.clone(), amy.clone()).await.contains("value=\"李四\""));
    let r = form(&c, app, &amy, &edit, &edit, &addr("李四", "12345", true)).await;
    assert_eq!(r.headers()[LOCATION].to_str().unwrap(), edit, "the refusal comes back to the form");
    assert!(toast(&r).unwrap().starts_with("e|"));
    let r = form(&c, app, &amy, &edit, &edit, &addr("李小四", "13912345678", true)).await;
    assert_eq!(r.headers()[LOCATION].to_str().unwrap(), "/me/addresses");
    let book = page("/me/addresses".into(), amy.clone()).await;
    assert!(book.contains("李小四") && book.contains("13912345678") && book.contains("默认"), "{book}");
    // Nobody else's address can be opened, changed or deleted.
    let bob = format!("{csrf_cookie}; mm_buyer={}", app.buyer_login("bob").await);
    let r = c.get(format!("{}{edit}", app.base)).header(COOKIE, &bob).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r =
        form(&c, app, &bob, "/me/addresses", &format!("/me/addresses/{li}/delete"), &format!("_csrf={token}")).await;
    assert!(toast(&r).unwrap().starts_with("e|"));
    let r =
        form(&c, app, &amy, "/me/addresses", &format!("/me/addresses/{li}/delete"), &format!("_csrf={token}")).await;
    assert!(toast(&r).unwrap().starts_with("s|"));
    let (_, l) = body(app.get("/api/v1/shop/addresses", Some(&token_only)).await).await;
    assert_eq!(l["total"], 1, "{l}");
});

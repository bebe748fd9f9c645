//! The pages: every console and storefront page for every role (200 where allowed, 403 or a redirect to the
//! login where not, never 5xx), the CSRF check of forms, the Content-Security-Policy header, escaping.

use minimall_core::auth::{Permission, Role};
use minimall_server::web::console;
use reqwest::header::{CONTENT_SECURITY_POLICY, COOKIE, LOCATION, ORIGIN, SET_COOKIE};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

use crate::helpers::*;
use crate::suite;

fn no_redirects() -> Client {
    Client::builder().no_proxy().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

async fn page(c: &Client, app: &TestApp, path: &str, cookie: &str) -> (StatusCode, String, String) {
    let mut r = c.get(format!("{}{}", app.base, path));
    if !cookie.is_empty() {
        r = r.header(COOKIE, cookie);
    }
    let resp = r.send().await.unwrap();
    let status = resp.status();
    let location = resp.headers().get(LOCATION).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    (status, location, resp.text().await.unwrap())
}

/// A demo app with a small catalog and past orders.
async fn demo_app(b: Backend) -> TestApp {
    let db = TestDb::new(b).await;
    let mut cfg = test_config(&db.url);
    cfg.demo_products = 12;
    TestApp::spawn_with(db, cfg, true).await
}

/// The CSRF cookie and the token rendered into a page's forms.
async fn csrf(c: &Client, app: &TestApp, path: &str) -> (String, String) {
    let resp = c.get(format!("{}{}", app.base, path)).send().await.unwrap();
    let cookie = resp
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("mm_csrf="))
        .map(|v| v.split(';').next().unwrap().to_string())
        .expect("a csrf cookie");
    assert!(cookie.contains("mm_csrf="));
    let html = resp.text().await.unwrap();
    let token = html.split("name=\"_csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    assert_eq!(format!("mm_csrf={token}"), cookie);
    (cookie, token)
}

suite!(every_page_for_every_role, |b| async move {
    let app = demo_app(b).await;
    let c = no_redirects();
    let owner = app.admin_login("admin").await;
    let (_, products) = body(app.get("/api/v1/admin/products?page_size=1", Some(&owner)).await).await;
    let product_id = products["items"][0]["id"].as_i64().unwrap();
    let (_, orders) = body(app.get("/api/v1/admin/orders?page_size=1", Some(&owner)).await).await;
    let order = &orders["items"][0];
    let order_id = order["id"].as_i64().unwrap();
    let buyer_id = order["buyer_id"].as_i64().unwrap();

    // Console: each role sees the pages its permissions allow, 403 for the others.
    let mut console_pages: Vec<(String, Permission)> =
        console::pages().into_iter().map(|(p, perm)| (p.to_string(), perm)).collect();
    console_pages.push((format!("/admin/products/{product_id}"), Permission::ReadCatalog));
    console_pages.push((format!("/admin/orders/{order_id}"), Permission::ReadOrders));
    console_pages.push(("/admin/orders?status=to_ship".into(), Permission::ReadOrders));
    console_pages.push(("/admin/orders?from=2020-01-01&to=2099-12-31&order_no=".into(), Permission::ReadOrders));
    console_pages.push(("/admin/stock?all=1".into(), Permission::ReadCatalog));
    console_pages.push(("/admin/products/new".into(), Permission::ManageCatalog));
    let mut staff = Vec::new();
    for (user, role) in [
        ("admin", Role::Owner),
        ("operator", Role::Operator),
        ("finance", Role::Finance),
        ("service", Role::Service),
        ("clerk", Role::Clerk),
    ] {
        let cookie = format!("mm_admin={}", app.admin_login(user).await);
        for (path, perm) in &console_pages {
            let (s, _, html) = page(&c, &app, path, &cookie).await;
            let want = if role.allows(*perm) { StatusCode::OK } else { StatusCode::FORBIDDEN };
            assert_eq!(s, want, "{user} on {path}: {html}");
            assert!(!html.contains(">?<"), "{user} on {path}: a message id without a text");
            if s == StatusCode::OK {
                // The menu shows only what the role may open.
                for (href, p) in console::pages() {
                    let link = format!("<a href=\"{href}\"");
                    assert_eq!(html.contains(&link), role.allows(p), "{user} on {path}: menu link {href}");
                }
            }
        }
        staff.push((user, cookie));
    }
    // Without a session (or with a buyer's), the console sends to its login page.
    let buyer_token = app.buyer_login("buyer001").await;
    for cookie in [String::new(), format!("mm_buyer={buyer_token}")] {
        for (path, _) in &console_pages {
            let (s, loc, _) = page(&c, &app, path, &cookie).await;
            assert_eq!(s, StatusCode::SEE_OTHER, "{cookie:?} on {path}");
            assert!(loc.starts_with("/admin/login?next="), "{path} → {loc}");
        }
    }
    let (s, _, _) = page(&c, &app, "/admin/login", "").await;
    assert_eq!(s, StatusCode::OK);

    // Storefront: public pages for everyone, the buyer's pages for the buyer, the login page for others.
    // The order's owner is found from the demo data; another buyer gets a 404 for it.
    let public = [
        "/".to_string(),
        "/products".into(),
        format!("/products?q={}", "橙"),
        "/products?sort=price_asc&page=2".into(),
        format!("/p/{product_id}"),
        format!("/p/{product_id}/qr.svg"),
        "/login".into(),
        "/assets/app.css".into(),
        "/assets/shop.js".into(),
        "/assets/admin.js".into(),
    ];
    let own = [
        "/me".to_string(),
        "/cart".into(),
        "/orders".into(),
        "/orders?status=to_ship".into(),
        format!("/orders/{order_id}"),
        format!("/orders/{order_id}/aftersale"),
        "/aftersales".into(),
        "/coupons".into(),
        "/points".into(),
        "/promoter".into(),
        "/join/ABCD2345".into(),
    ];
    let owner_cookie = {
        let (_, v) = body(
            app.post("/api/v1/shop/auth/wechat", None, &json!({"code": format!("sandbox:buyer{buyer_id:03}")})).await,
        )
        .await;
        format!("mm_buyer={}", v["token"].as_str().unwrap())
    };
    for path in &public {
        for cookie in ["", owner_cookie.as_str()] {
            let (s, _, html) = page(&c, &app, path, cookie).await;
            assert_eq!(s, StatusCode::OK, "{path}: {html}");
        }
    }
    // Console users browse the storefront like anyone; a console session is not a buyer's.
    for (user, cookie) in &staff {
        for path in &public {
            let (s, _, html) = page(&c, &app, path, cookie).await;
            assert_eq!(s, StatusCode::OK, "{user} on {path}: {html}");
        }
        for path in &own {
            let (s, loc, _) = page(&c, &app, path, cookie).await;
            assert_eq!((s, loc.starts_with("/login?next=")), (StatusCode::SEE_OTHER, true), "{user} on {path}");
        }
    }
    for path in &own {
        let (s, _, html) = page(&c, &app, path, &owner_cookie).await;
        assert_eq!(s, StatusCode::OK, "buyer on {path}: {html}");
        assert!(!html.contains(">?<"), "buyer on {path}: a message id without a text");
        let (s, loc, _) = page(&c, &app, path, "").await;
        assert_eq!(s, StatusCode::SEE_OTHER, "anonymous on {path}");
        assert!(loc.starts_with("/login?next="), "{path} → {loc}");
    }
    // Checkout with an empty cart goes back to the cart; someone else's order is not found.
    let (s, loc, _) = page(&c, &app, "/checkout", &owner_cookie).await;
    assert_eq!((s, loc.as_str()), (StatusCode::SEE_OTHER, "/cart"));
    let other = if buyer_id == 1 { "buyer002" } else { "buyer001" };
    let other_cookie = format!("mm_buyer={}", app.buyer_login(other).await);
    let (s, _, _) = page(&c, &app, &format!("/orders/{order_id}"), &other_cookie).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _, _) = page(&c, &app, "/p/999999", "").await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // The date filter of the order list.
    let order_no = order["order_no"].as_str().unwrap();
    let (_, _, html) =
        page(&c, &app, "/admin/orders?from=2020-01-01&to=2099-12-31", &format!("mm_admin={owner}")).await;
    assert!(html.contains(order_no));
    let (_, _, html) = page(&c, &app, "/admin/orders?from=2099-01-01", &format!("mm_admin={owner}")).await;
    assert!(!html.contains(order_no));

    // English on request.
    let (_, _, html) = page(&c, &app, "/", "lang=en").await;
    assert!(html.contains("Recommended") && html.contains("lang=\"en\""));
    let (_, _, html) = page(&c, &app, "/admin", &format!("lang=en; mm_admin={owner}")).await;
    assert!(html.contains("Dashboard"));
});

suite!(forms_need_the_csrf_token_and_our_origin, |b| async move {
    let app = TestApp::spawn(b).await;
    let c = no_redirects();
    let (cookie, token) = csrf(&c, &app, "/admin/login").await;
    let url = format!("{}/admin/login", app.base);
    let form = |t: &str| format!("_csrf={t}&username=admin&password={PASSWORD}");
    let post = |body: String, cookie: String, origin: &str| {
        c.post(&url)
            .header(COOKIE, cookie)
            .header(ORIGIN, origin)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
    };
    let origin = app.base.as_str();
    // No token, a wrong token, no cookie, another site: refused before the handler runs.
    let r = post(format!("username=admin&password={PASSWORD}"), cookie.clone(), origin).await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = post(form(&"0".repeat(64)), cookie.clone(), origin).await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = post(form(&token), String::new(), origin).await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = post(form(&token), cookie.clone(), "https://evil.example").await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // The right token logs in: a session cookie that is HttpOnly and SameSite.
    let r = post(form(&token), cookie.clone(), origin).await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let session = r
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("mm_admin="))
        .unwrap()
        .to_string();
    assert!(session.contains("HttpOnly") && session.contains("SameSite=Strict"), "{session}");
    let admin = session.split(';').next().unwrap().to_string();

    // A logged-in action without the token is refused too, and changes nothing.
    let both = format!("{cookie}; {admin}");
    let r = c
        .post(format!("{}/admin/categories", app.base))
        .header(COOKIE, &both)
        .header(ORIGIN, origin)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("name=%E6%B5%8B%E8%AF%95")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = c
        .post(format!("{}/admin/categories", app.base))
        .header(COOKIE, &both)
        .header(ORIGIN, origin)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("_csrf={token}&name=%E6%B5%8B%E8%AF%95&parent_id=&sort=0"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let t = app.admin_login("admin").await;
    let (_, cats) = body(app.get("/api/v1/admin/categories", Some(&t)).await).await;
    let names: Vec<&str> = cats["items"].as_array().unwrap().iter().filter_map(|c| c["name"].as_str()).collect();
    assert_eq!(names.iter().filter(|n| **n == "测试").count(), 1, "{names:?}");

    // A buyer's storefront form is held to the same rule.
    let buyer = format!("{cookie}; mm_buyer={}", app.buyer_login("buyer001").await);
    let r = c
        .post(format!("{}/coupons/1/claim", app.base))
        .header(COOKIE, &buyer)
        .header(ORIGIN, origin)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
});

suite!(pages_carry_a_content_security_policy, |b| async move {
    let app = TestApp::spawn(b).await;
    let c = no_redirects();
    let owner = format!("mm_admin={}", app.admin_login("admin").await);
    for (path, cookie) in
        [("/", ""), ("/products?q=茶", ""), ("/login", ""), ("/admin/login", ""), ("/admin", owner.as_str())]
    {
        let mut r = c.get(format!("{}{}", app.base, path));
        if !cookie.is_empty() {
            r = r.header(COOKIE, cookie);
        }
        let resp = r.send().await.unwrap();
        let csp = resp.headers().get(CONTENT_SECURITY_POLICY).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
        assert!(csp.contains("default-src 'self'") && csp.contains("script-src 'self'"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
        let html = resp.text().await.unwrap();
        assert!(!html.contains("<script>") && !html.contains(" style=\""), "{path} has inline script or style");
    }
    // The JSON API is not a page and keeps its own headers; it is not in the OpenAPI document either.
    let (_, doc) = body(app.get("/openapi.json", None).await).await;
    assert!(doc["paths"]
        .as_object()
        .unwrap()
        .keys()
        .all(|p| p.starts_with("/api/") || p == "/healthz" || p == "/readyz"));
});

suite!(user_text_is_escaped, |b| async move {
    let app = TestApp::spawn(b).await;
    let t = app.admin_login("operator").await;
    let (s, cat) = body(app.post("/api/v1/admin/categories", Some(&t), &json!({"name": "<b>分类<b>"})).await).await;
    assert_eq!(s, StatusCode::CREATED, "{cat}");
    let body_json: Value = json!({
        "product": {
            "code": "XSS-1", "category_id": cat["id"], "title": "<script>alert('x')</script>连衣裙",
            "subtitle": "\"><img src=x onerror=alert(1)>", "description": "<p>ok</p><script>alert(2)</script>",
            "on_shelf": true
        },
        "skus": [{"code": "XSS-1-A", "stock": 5, "original_price": 1000, "sale_price": 900}]
    });
    let (s, v) = body(app.post_idem("/api/v1/admin/products", Some(&t), &body_json).await).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let id = v["product"]["id"].as_i64().unwrap();
    let c = no_redirects();
    let op = format!("mm_admin={t}");
    for (path, cookie) in [
        (format!("/p/{id}"), ""),
        ("/products?q=%E8%BF%9E%E8%A1%A3%E8%A3%99".to_string(), ""),
        ("/".to_string(), ""),
        (format!("/admin/products/{id}"), op.as_str()),
        ("/admin/products?q=XSS".to_string(), op.as_str()),
        ("/admin/categories".to_string(), op.as_str()),
    ] {
        let (s, _, html) = page(&c, &app, &path, cookie).await;
        assert_eq!(s, StatusCode::OK, "{path}");
        assert!(!html.contains("<script>alert"), "{path} lets a script through");
        assert!(!html.contains("<img src=x"), "{path} lets markup through");
        assert!(!html.contains("<b>分类<b>"), "{path} lets markup through");
    }
    let (_, _, html) = page(&c, &app, &format!("/p/{id}"), "").await;
    assert!(
        html.contains("&#60;script&#62;alert") || html.contains("&lt;script&gt;alert"),
        "the title is shown, escaped"
    );
    assert!(html.contains("<p>ok</p>"), "the sanitised description keeps its markup");
    // An error message quoting input is escaped too.
    let (s, _, html) = page(&c, &app, "/products?sort=%3Cscript%3E", "").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!html.contains("<script>"));
});

suite!(flash_sales_on_the_pages, |b| async move {
    let app = TestApp::spawn(b).await;
    let c = no_redirects();
    let shop = crate::flash::shop(&app).await;
    let id = crate::flash::create_sale(&app, &shop, &crate::flash::sale_body(&shop, 5, 2, 0)).await;

    let (s, _, home) = page(&c, &app, "/", "").await;
    assert_eq!(s, StatusCode::OK);
    assert!(home.contains(&format!("href=\"/flash/{id}\"")) && home.contains("¥19.99"), "the home page lists the sale");

    // A buyer buys through the page and lands on the payment of a flash-price order.
    let (csrf_cookie, token) = csrf(&c, &app, &format!("/flash/{id}")).await;
    let buyer = format!("{csrf_cookie}; mm_buyer={}", app.buyer_login("buyer001").await);
    let (_, _, html) = page(&c, &app, &format!("/flash/{id}"), &buyer).await;
    let idem = html.split("name=\"idem\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    let buy = || {
        c.post(format!("{}/flash/{id}", app.base))
            .header(COOKIE, &buyer)
            .header(ORIGIN, &app.base)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("_csrf={token}&idem={idem}&sku_id={}&quantity=1", shop.skus[0]))
            .send()
    };
    let r = buy().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let pay = r.headers()[LOCATION].to_str().unwrap().to_string();
    assert!(pay.starts_with("/orders/") && pay.ends_with("/pay"), "{pay}");
    // The same form sent twice buys once.
    let again = buy().await.unwrap();
    assert_eq!(again.headers()[LOCATION].to_str().unwrap(), pay);
    let (s, _, html) = page(&c, &app, &pay, &buyer).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("¥19.99"), "{html}");

    let op = format!("mm_admin={}", shop.op);
    let (s, _, html) = page(&c, &app, "/admin/flash", &op).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("整点秒杀") && html.contains("/5") && html.contains("/admin/flash/"), "{html}");
});

suite!(console_forms_go_through_the_api_rules, |b| async move {
    let app = TestApp::spawn(b).await;
    let c = no_redirects();
    let shop = crate::flash::shop(&app).await;
    let (csrf_cookie, token) = csrf(&c, &app, "/admin/login").await;
    let op = format!("{csrf_cookie}; mm_admin={}", shop.op);
    let form = |path: &str, body: String| {
        c.post(format!("{}{path}", app.base))
            .header(COOKIE, &op)
            .header(ORIGIN, &app.base)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("_csrf={token}&{body}"))
            .send()
    };
    // Stock by SKU code: recorded as a movement; a negative balance is refused by the same rule as the API.
    let r = form("/admin/stock", "idem=k1&sku_code=PHONE-B&delta=-10&note=%E7%9B%98%E7%82%B9".into()).await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap());
    // The same form sent again (a double click) changes nothing more.
    let r = form("/admin/stock", "idem=k1&sku_code=PHONE-B&delta=-10&note=%E7%9B%98%E7%82%B9".into()).await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, p) = body(app.get(&format!("/api/v1/admin/products/{}", shop.product), Some(&shop.op)).await).await;
    assert_eq!(p["skus"][0]["stock"], 990, "{p}");
    let r = form("/admin/stock", "idem=k2&sku_code=PHONE-B&delta=-5000".into()).await.unwrap();
    assert!(r.status().is_client_error(), "{}", r.status());
    let r = form("/admin/stock", "idem=k3&sku_code=NOPE&delta=1".into()).await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // A coupon made in the console can be claimed by buyers.
    let r = form(
        "/admin/coupons",
        "name=%E6%BB%A110%E5%87%8F2&kind=amount_off&threshold=10&amount_off=2&percent=90&cap=0&valid_days=7&total_quantity=10&per_buyer_limit=1".into(),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, list) = body(app.get("/api/v1/shop/coupon-templates", None).await).await;
    assert!(
        list["items"].as_array().unwrap().iter().any(|t| t["name"] == "满10减2" && t["amount_off"] == 200),
        "{list}"
    );

    // Bulk shelf: off, then the storefront no longer shows the product.
    let r = form("/admin/products/shelf", format!("ids={}&on_shelf=0", shop.product)).await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (s, _, _) = page(&c, &app, &format!("/p/{}", shop.product), "").await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // Finance may not use an operator's form: 403, nothing changes.
    let fin = format!("{csrf_cookie}; mm_admin={}", app.admin_login("finance").await);
    let r = c
        .post(format!("{}/admin/products/shelf", app.base))
        .header(COOKIE, &fin)
        .header(ORIGIN, &app.base)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("_csrf={token}&ids={}&on_shelf=1", shop.product))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let (s, _, _) = page(&c, &app, &format!("/p/{}", shop.product), "").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
});

suite!(flash_sale_made_in_the_console, |b| async move {
    let app = TestApp::spawn(b).await;
    let c = no_redirects();
    let shop = crate::flash::shop(&app).await;
    let (csrf_cookie, token) = csrf(&c, &app, "/admin/login").await;
    let op = format!("{csrf_cookie}; mm_admin={}", shop.op);
    let (s, _, html) = page(&c, &app, "/admin/flash", &op).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("id=\"new-flash-sale\"") && html.contains("type=\"datetime-local\""), "{html}");
    let idem = html.split("name=\"idem\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();

    let now = minimall_store::now_ms();
    let window = [
        ("starts_at", minimall_server::web::view::beijing_datetime_value(now)),
        ("ends_at", minimall_server::web::view::beijing_datetime_value(now + 7_200_000)),
    ];
    let send = |cookie: String, fields: Vec<(&'static str, String)>| {
        let mut form = form_urlencoded::Serializer::new(String::new());
        form.append_pair("_csrf", &token);
        for (k, v) in &fields {
            form.append_pair(k, v);
        }
        c.post(format!("{}/admin/flash", app.base))
            .header(COOKIE, cookie)
            .header(ORIGIN, &app.base)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form.finish())
            .send()
    };
    let sale = |idem: &str, quantity: &str| {
        let mut f = vec![
            ("idem", idem.to_string()),
            ("title", "控制台秒杀".to_string()),
            ("product_id", shop.product.to_string()),
            ("sku_code_0", "PHONE-B".into()),
            ("flash_price_0", "19.99".into()),
            ("quantity_0", quantity.into()),
            ("per_buyer_limit", "1".into()),
            ("shipping", "0".into()),
        ];
        f.extend(window.iter().cloned());
        f
    };

    // A bad quantity comes back on the form, next to its field, in the page's language; nothing is set up.
    let r = send(op.clone(), sale("f1", "0")).await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"err-quantity_0\">须在 1 到 1000000 之间<"), "{html}");
    assert!(html.contains("value=\"控制台秒杀\""), "the form keeps what was typed");
    let r = send(format!("{op}; lang=en"), sale("f2", "1001")).await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"err-quantity_0\">Not enough stock: at most 1000 can be set aside<"), "{html}");

    // A customer-service user may not set up a sale: 403, nothing changes.
    let service = format!("{csrf_cookie}; mm_admin={}", app.admin_login("service").await);
    let r = send(service.clone(), sale("f3", "5")).await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let (s, _, html) = page(&c, &app, "/admin/flash", &service).await;
    assert!(s == StatusCode::FORBIDDEN || !html.contains("new-flash-sale"), "the form is only for catalog managers");
    let (_, list) = body(app.get("/api/v1/admin/flash-sales", Some(&shop.op)).await).await;
    assert_eq!(list["total"], 0, "{list}");

    // The operator's form sets the sale up; the same form sent twice sets up one.
    for _ in 0..2 {
        let r = send(op.clone(), sale(&idem, "5")).await.unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap());
        assert_eq!(r.headers()[LOCATION], "/admin/flash");
    }
    let (_, list) = body(app.get("/api/v1/admin/flash-sales", Some(&shop.op)).await).await;
    assert_eq!(list["total"], 1, "{list}");
    let sale_json = &list["items"][0];
    let id = sale_json["id"].as_i64().unwrap();
    assert_eq!(sale_json["items"][0]["flash_price"], 1999);
    assert_eq!(sale_json["ends_at"].as_i64().unwrap() / 60_000, (now + 7_200_000) / 60_000, "Beijing time kept");
    let (_, _, html) = page(&c, &app, "/admin/flash", &op).await;
    assert!(html.contains("控制台秒杀") && html.contains("0/5"), "{html}");
    let (s, _, home) = page(&c, &app, "/", "").await;
    assert_eq!(s, StatusCode::OK);
    assert!(home.contains(&format!("href=\"/flash/{id}\"")) && home.contains("¥19.99"), "the home page lists it");

    // The same SKU in an overlapping window: 409, shown next to the SKU.
    let r = send(op.clone(), sale("f4", "5")).await.unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"err-sku_code_0\">该规格在同一时段已有其他秒杀（秒杀 #"), "{html}");
});

suite!(flash_sale_edited_in_the_console, |b| async move {
    let app = TestApp::spawn(b).await;
    let c = no_redirects();
    let shop = crate::flash::shop(&app).await;
    let id = crate::flash::create_sale(&app, &shop, &crate::flash::sale_body(&shop, 5, 1, 3_600_000 / 2)).await;
    let (csrf_cookie, token) = csrf(&c, &app, "/admin/login").await;
    let op = format!("{csrf_cookie}; mm_admin={}", shop.op);

    // The list links to the sale; its page shows the units and a form with the current terms.
    let (_, _, list) = page(&c, &app, "/admin/flash", &op).await;
    assert!(list.contains(&format!("href=\"/admin/flash/{id}\"")), "{list}");
    let (s, _, html) = page(&c, &app, &format!("/admin/flash/{id}"), &op).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("id=\"edit-flash-sale\"") && html.contains("value=\"整点秒杀\""), "{html}");
    assert!(html.contains("即将开始") && html.contains("¥19.99"), "{html}");

    let (_, before) = body(app.get(&format!("/api/v1/admin/flash-sales/{id}"), Some(&shop.op)).await).await;
    let form = |title: &str, limit: &str, minutes: &str| {
        let mut f = form_urlencoded::Serializer::new(String::new());
        f.append_pair("_csrf", &token);
        f.append_pair("title", title);
        f.append_pair(
            "starts_at",
            &minimall_server::web::view::beijing_datetime_value(before["starts_at"].as_i64().unwrap()),
        );
        f.append_pair(
            "ends_at",
            &minimall_server::web::view::beijing_datetime_value(before["ends_at"].as_i64().unwrap()),
        );
        f.append_pair("per_buyer_limit", limit);
        f.append_pair("shipping", "6");
        f.append_pair("unpaid_minutes", minutes);
        f.finish()
    };
    let send = |cookie: String, form: String| {
        c.post(format!("{}/admin/flash/{id}", app.base))
            .header(COOKIE, cookie)
            .header(ORIGIN, &app.base)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form)
            .send()
    };

    // A payment time out of range comes back next to its field, in minutes and in the page's language.
    let r = send(op.clone(), form("午夜秒杀", "2", "0")).await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"err-unpaid_minutes\">须在 1 到 1440 分钟之间<"), "{html}");
    assert!(html.contains("value=\"午夜秒杀\""), "the form keeps what was typed");
    let r = send(op.clone(), form("午夜秒杀", "x", "10")).await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("id=\"err-per_buyer_limit\">须为整数<"));

    // Customer service may look but not change: 403 and no form.
    let service = format!("{csrf_cookie}; mm_admin={}", app.admin_login("service").await);
    let r = send(service.clone(), form("客服改名", "2", "10")).await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let (_, _, html) = page(&c, &app, &format!("/admin/flash/{id}"), &service).await;
    assert!(!html.contains("edit-flash-sale"), "{html}");

    // The operator's change lands: title, limit, shipping and the payment time, nothing else.
    let r = send(op.clone(), form("午夜秒杀", "2", "10")).await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap());
    assert_eq!(r.headers()[LOCATION], format!("/admin/flash/{id}?saved=1"));
    let (_, after) = body(app.get(&format!("/api/v1/admin/flash-sales/{id}"), Some(&shop.op)).await).await;
    assert_eq!(after["title"], "午夜秒杀");
    assert_eq!(after["per_buyer_limit"], 2);
    assert_eq!(after["shipping"], 600);
    assert_eq!(after["unpaid_timeout_secs"], 600);
    assert_eq!(after["starts_at"].as_i64().unwrap() / 60_000, before["starts_at"].as_i64().unwrap() / 60_000);
    assert_eq!(after["items"], before["items"], "units are not changed by the form");

    // A stopped sale can no longer be changed: its page has no form, and a post is refused.
    let (s, _) =
        body(app.post(&format!("/api/v1/admin/flash-sales/{id}/stop"), Some(&shop.op), &json!({})).await).await;
    assert_eq!(s, StatusCode::OK);
    let (_, _, html) = page(&c, &app, &format!("/admin/flash/{id}"), &op).await;
    assert!(html.contains("已停止") && !html.contains("edit-flash-sale"), "{html}");
    let r = send(op.clone(), form("再改", "2", "10")).await.unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);

    // Another id is a 404 page.
    let (s, _, _) = page(&c, &app, &format!("/admin/flash/{}", id + 1000), &op).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
});

suite!(activity_edited_in_the_console, |b| async move {
    let app = TestApp::spawn(b).await;
    let c = no_redirects();
    let op_token = app.admin_login("operator").await;
    let now = minimall_store::now_ms();
    let day = 86_400_000;
    let (s, created) = body(
        app.post(
            "/api/v1/admin/activities",
            Some(&op_token),
            &json!({"name": "周末特惠", "kind": "limited_discount", "rule": {"percent": 80}, "scope": {"all": true},
                    "starts_at": now - 60_000, "ends_at": now + 7 * day, "allow_coupons": false}),
        )
        .await,
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let id = created["id"].as_i64().unwrap();
    let (csrf_cookie, token) = csrf(&c, &app, "/admin/login").await;
    let op = format!("{csrf_cookie}; mm_admin={op_token}");

    // The list links to the activity; its page shows its terms and a form with them.
    let (_, _, list) = page(&c, &app, "/admin/activities", &op).await;
    assert!(list.contains(&format!("href=\"/admin/activities/{id}\"")), "{list}");
    let (s, _, html) = page(&c, &app, &format!("/admin/activities/{id}"), &op).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("id=\"edit-activity\"") && html.contains("value=\"周末特惠\""), "{html}");
    assert!(html.contains("进行中") && html.contains("限时折扣"), "{html}");

    let form = |name: &str, starts: i64, ends: i64, limit: &str, coupons: bool| {
        let mut f = form_urlencoded::Serializer::new(String::new());
        f.append_pair("_csrf", &token);
        f.append_pair("name", name);
        f.append_pair("starts_at", &minimall_server::web::view::beijing_datetime_value(starts));
        f.append_pair("ends_at", &minimall_server::web::view::beijing_datetime_value(ends));
        f.append_pair("per_buyer_limit", limit);
        if coupons {
            f.append_pair("allow_coupons", "1");
        }
        f.finish()
    };
    let send = |cookie: String, form: String| {
        c.post(format!("{}/admin/activities/{id}", app.base))
            .header(COOKIE, cookie)
            .header(ORIGIN, &app.base)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form)
            .send()
    };
    let start = created["starts_at"].as_i64().unwrap();

    // Refusals come back next to their field, in the page's language, with what was typed kept.
    let r = send(op.clone(), form("双十一", start, start - day, "2", true)).await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"err-ends_at\">须晚于开始时间<"), "{html}");
    assert!(html.contains("value=\"双十一\""), "the form keeps what was typed");
    let r = send(op.clone(), form("双十一", start, start + day, "20000", true)).await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("id=\"err-per_buyer_limit\">须在 0 到 10000 之间<"));
    let r = send(op.clone(), form("  ", start, start + day, "2", true)).await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("id=\"err-name\">不能为空<"));
    let (_, unchanged) = body(app.get(&format!("/api/v1/admin/activities/{id}"), Some(&op_token)).await).await;
    assert_eq!(unchanged["name"], "周末特惠", "a refused form changes nothing");

    // Customer service may look but not change: 403 and no form.
    let service = format!("{csrf_cookie}; mm_admin={}", app.admin_login("service").await);
    let r = send(service.clone(), form("客服改名", start, start + day, "2", true)).await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let (_, _, html) = page(&c, &app, &format!("/admin/activities/{id}"), &service).await;
    assert!(html.contains("周末特惠") && !html.contains("edit-activity"), "{html}");

    // The operator's change lands: name, end, limit and coupons; the rule and the scope stay.
    let r = send(op.clone(), form("双十一", start, start + 3 * day, "2", true)).await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap());
    assert_eq!(r.headers()[LOCATION], format!("/admin/activities/{id}?saved=1"));
    let (_, after) = body(app.get(&format!("/api/v1/admin/activities/{id}"), Some(&op_token)).await).await;
    assert_eq!(after["name"], "双十一");
    assert_eq!(after["per_buyer_limit"], 2);
    assert_eq!(after["allow_coupons"], true);
    assert_eq!(after["ends_at"].as_i64().unwrap() / 60_000, (start + 3 * day) / 60_000);
    assert_eq!(after["rule"], created["rule"]);
    assert_eq!(after["scope"], created["scope"]);
    let (_, _, html) = page(&c, &app, &format!("/admin/activities/{id}?saved=1"), &op).await;
    assert!(html.contains("已保存"), "{html}");

    // An ended activity can no longer be changed: no form, and a post is refused.
    let (s, _) = body(app.post(&format!("/api/v1/admin/activities/{id}/end"), Some(&op_token), &json!({})).await).await;
    assert_eq!(s, StatusCode::OK);
    let (_, _, html) = page(&c, &app, &format!("/admin/activities/{id}"), &op).await;
    assert!(html.contains("已结束") && !html.contains("edit-activity"), "{html}");
    let r = send(op.clone(), form("再改", start, start + day, "2", true)).await.unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);

    // Another id is a 404 page.
    let (s, _, _) = page(&c, &app, &format!("/admin/activities/{}", id + 1000), &op).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
});

suite!(coupon_edited_in_the_console, |b| async move {
    let app = TestApp::spawn(b).await;
    let c = no_redirects();
    let op_token = app.admin_login("operator").await;
    let (s, created) = body(
        app.post(
            "/api/v1/admin/coupons",
            Some(&op_token),
            &json!({"name": "满99减10", "kind": "amount_off", "amount_off": 1000, "threshold": 9900,
                    "total_quantity": 5, "scope": {"all": true}, "valid_days": 7}),
        )
        .await,
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let id = created["id"].as_i64().unwrap();
    for n in 0..2 {
        let buyer = app.buyer_login(&format!("cp-holder{n}")).await;
        let r = app.post(&format!("/api/v1/shop/coupon-templates/{id}/claim"), Some(&buyer), &json!({})).await;
        assert_eq!(r.status(), StatusCode::CREATED);
    }
    let (csrf_cookie, token) = csrf(&c, &app, "/admin/login").await;
    let op = format!("{csrf_cookie}; mm_admin={op_token}");

    let (_, _, list) = page(&c, &app, "/admin/coupons", &op).await;
    assert!(list.contains(&format!("href=\"/admin/coupons/{id}\"")), "{list}");
    let (s, _, html) = page(&c, &app, &format!("/admin/coupons/{id}"), &op).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        html.contains("id=\"edit-coupon\"") && html.contains("value=\"满99减10\"") && html.contains("2/5"),
        "{html}"
    );

    let form = |name: &str, total: &str, per_buyer: &str| {
        let mut f = form_urlencoded::Serializer::new(String::new());
        f.append_pair("_csrf", &token);
        f.append_pair("name", name);
        f.append_pair("total_quantity", total);
        f.append_pair("per_buyer_limit", per_buyer);
        f.append_pair("claimable", "1");
        f.finish()
    };
    let send = |cookie: String, form: String| {
        c.post(format!("{}/admin/coupons/{id}", app.base))
            .header(COOKIE, cookie)
            .header(ORIGIN, &app.base)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form)
            .send()
    };

    // Fewer than are out, or a limit out of range: refused at the field, in Chinese, typed values kept.
    let r = send(op.clone(), form("满99减10（加量）", "1", "1")).await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"err-total_quantity\">已发放 2 张：总量不能少于已发放数（0 为不限）<"), "{html}");
    assert!(html.contains("value=\"满99减10（加量）\""), "the form keeps what was typed");
    let r = send(op.clone(), form("满99减10", "5", "5000")).await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("id=\"err-per_buyer_limit\">须在 0 到 1000 之间<"));
    let r = send(op.clone(), form("满99减10", "五", "1")).await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("id=\"err-total_quantity\">须为整数<"));

    // Customer service may look but not change.
    let service = format!("{csrf_cookie}; mm_admin={}", app.admin_login("service").await);
    assert_eq!(send(service.clone(), form("客服", "5", "1")).await.unwrap().status(), StatusCode::FORBIDDEN);
    let (_, _, html) = page(&c, &app, &format!("/admin/coupons/{id}"), &service).await;
    assert!(html.contains("满99减10") && !html.contains("edit-coupon"), "{html}");

    // The operator's change lands; the amounts stay.
    let r = send(op.clone(), form("满99减10（加量）", "50", "2")).await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap());
    assert_eq!(r.headers()[LOCATION], format!("/admin/coupons/{id}?saved=1"));
    let (_, after) = body(app.get(&format!("/api/v1/admin/coupons/{id}"), Some(&op_token)).await).await;
    assert_eq!(after["name"], "满99减10（加量）");
    assert_eq!((after["total_quantity"].clone(), after["per_buyer_limit"].clone()), (json!(50), json!(2)));
    assert_eq!((after["amount_off"].clone(), after["issued"].clone()), (json!(1000), json!(2)));

    // A stopped coupon has no form and a post is refused; another id is a 404 page.
    let (s, _) = body(app.post(&format!("/api/v1/admin/coupons/{id}/stop"), Some(&op_token), &json!({})).await).await;
    assert_eq!(s, StatusCode::OK);
    let (_, _, html) = page(&c, &app, &format!("/admin/coupons/{id}"), &op).await;
    assert!(!html.contains("edit-coupon"), "{html}");
    assert_eq!(send(op.clone(), form("再改", "50", "2")).await.unwrap().status(), StatusCode::CONFLICT);
    let (s, _, _) = page(&c, &app, &format!("/admin/coupons/{}", id + 1000), &op).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
});

/// What `user` sees of money: (revenue, cost); None where the role may not open the page at all.
#[allow(clippy::too_many_arguments)]
async fn check_money(
    app: &TestApp,
    c: &Client,
    ids: (i64, i64),
    user: &str,
    revenue: Option<bool>,
    cost: Option<bool>,
) {
    let (product_id, order_id) = ids;
    let token = app.admin_login(user).await;
    let cookie = format!("mm_admin={token}");
    let t = Some(token.as_str());
    let (_, me) = body(app.get("/api/v1/admin/me", t).await).await;
    let perms: Vec<&str> = me["permissions"].as_array().unwrap().iter().map(|p| p.as_str().unwrap()).collect();
    assert_eq!(perms.contains(&"read_revenue"), revenue == Some(true), "{user}: {perms:?}");
    assert_eq!(perms.contains(&"read_cost"), cost == Some(true), "{user}: {perms:?}");

    // The dashboard page and its figures.
    let (s, _, html) = page(c, app, "/admin", &cookie).await;
    assert_eq!(s, StatusCode::OK);
    let r = app.get("/api/v1/admin/stats/dashboard", t).await;
    match revenue {
        Some(rev) => {
            assert_eq!(html.contains("成交额"), rev, "{user}: 成交额 on the dashboard");
            assert_eq!(html.contains("客单价"), rev, "{user}: 客单价 on the dashboard");
            assert!(html.contains("支付买家数") && !html.contains("下单买家数"), "{user}");
            let (s, v) = body(r).await;
            assert_eq!(s, StatusCode::OK);
            for part in [&v["today"], &v["week"], &v["days"][0]] {
                assert_eq!(part.get("gmv").is_some(), rev, "{user}: gmv in {part}");
                assert_eq!(part.get("average_order_value").is_some(), rev, "{user}: aov in {part}");
                assert!(part["paid_orders"].is_i64() && part["paying_buyers"].is_i64(), "{user}: {part}");
            }
        }
        None => {
            assert!(!html.contains("成交额") && !html.contains("客单价"), "{user}");
            assert_eq!(r.status(), StatusCode::FORBIDDEN, "{user}: dashboard figures");
        }
    }

    // Products: the API and the export.
    let r = app.get(&format!("/api/v1/admin/products/{product_id}"), t).await;
    let export = app.get("/api/v1/admin/products/export", t).await;
    match cost {
        Some(cost) => {
            let (s, p) = body(r).await;
            assert_eq!(s, StatusCode::OK);
            for sku in p["skus"].as_array().unwrap() {
                assert_eq!(sku.get("cost_price").is_some(), cost, "{user}: cost_price in {sku}");
            }
            assert_eq!(export.status(), StatusCode::OK);
            let csv = export.text().await.unwrap();
            let header = csv.lines().next().unwrap();
            assert_eq!(header.contains("成本价"), cost, "{user}: {header}");
            assert!(header.contains("售价"), "{user}: {header}");
            let width = header.split(',').count();
            assert!(csv.lines().skip(1).all(|l| l.is_empty() || l.split(',').count() >= width), "{user}");
            let (s, _, html) = page(c, app, &format!("/admin/products/{product_id}"), &cookie).await;
            assert_eq!(s, StatusCode::OK);
            assert_eq!(html.contains("name=\"cost_price_0\""), cost, "{user}: cost input on the product page");
        }
        None => {
            assert_eq!(r.status(), StatusCode::FORBIDDEN, "{user}");
            assert_eq!(export.status(), StatusCode::FORBIDDEN, "{user}");
        }
    }

    // Orders: the list, one order, the export, and the console's pages.
    let list = app.get("/api/v1/admin/orders?page_size=5", t).await;
    let one = app.get(&format!("/api/v1/admin/orders/{order_id}"), t).await;
    let export = app.get("/api/v1/admin/orders/export", t).await;
    match revenue {
        Some(rev) => {
            let (_, l) = body(list).await;
            let items = l["items"].as_array().unwrap();
            assert!(!items.is_empty());
            for o in items {
                for k in ["payable", "refunded_amount", "goods_total", "shipping"] {
                    assert_eq!(o.get(k).is_some(), rev, "{user}: {k} in the order list");
                }
                assert!(o["order_no"].is_string() && o["status"].is_string());
                for line in o["lines"].as_array().unwrap() {
                    assert_eq!(line.get("paid_amount").is_some(), rev, "{user}: line paid_amount");
                    assert!(line["quantity"].is_i64());
                }
            }
            let (_, d) = body(one).await;
            assert_eq!(d["order"].get("payable").is_some(), rev, "{user}: payable in the order");
            assert_eq!(d["payment"].get("amount").is_some(), rev, "{user}: payment amount");
            assert_eq!(d["payment"].get("fee").is_some(), rev, "{user}: payment fee");
            assert_eq!(d.get("derivation").is_some(), rev, "{user}: derivation");
            assert!(d["timeline"].is_array());
            let csv = export.text().await.unwrap();
            let header = csv.lines().next().unwrap();
            for col in ["实付", "已退款", "商品金额", "运费"] {
                assert_eq!(header.contains(col), rev, "{user}: {col} in {header}");
            }
            assert!(header.contains("订单号"));
            let width = header.split(',').count();
            assert!(csv.lines().skip(1).all(|l| l.split(',').count() == width), "{user}: {csv}");
            let (_, _, html) = page(c, app, "/admin/orders", &cookie).await;
            assert_eq!(html.contains("<th>实付</th>"), rev, "{user}: 实付 column");
            let (_, _, html) = page(c, app, &format!("/admin/orders/{order_id}"), &cookie).await;
            assert_eq!(html.contains("实付款"), rev, "{user}: amounts on the order page");
        }
        None => {
            for r in [list, one, export] {
                assert_eq!(r.status(), StatusCode::FORBIDDEN, "{user}");
            }
        }
    }
}

// Money fields by role: revenue (GMV, average order value, an order's amounts) for owner, finance and operator;
// cost prices for owner and finance, and for operators once the owner says so. Checked on the dashboard page,
// its JSON, the product API, the product export, the order API and the order export: a field a role may not
// see is left out, never shown as zero.
suite!(money_fields_by_role, |b| async move {
    let app = demo_app(b).await;
    let c = no_redirects();
    let owner = app.admin_login("admin").await;
    let (_, products) = body(app.get("/api/v1/admin/products?page_size=1", Some(&owner)).await).await;
    let product_id = products["items"][0]["id"].as_i64().unwrap();
    let (_, orders) = body(app.get("/api/v1/admin/orders?status=completed&page_size=1", Some(&owner)).await).await;
    let order_id = orders["items"][0]["id"].as_i64().unwrap();

    check_money(&app, &c, (product_id, order_id), "admin", Some(true), Some(true)).await;
    check_money(&app, &c, (product_id, order_id), "finance", Some(true), Some(true)).await;
    check_money(&app, &c, (product_id, order_id), "operator", Some(true), Some(false)).await;
    check_money(&app, &c, (product_id, order_id), "service", Some(false), Some(false)).await;
    check_money(&app, &c, (product_id, order_id), "clerk", None, None).await;

    // An operator without the cost permission may not set a cost, and saving SKUs keeps the cost there is.
    let op = app.admin_login("operator").await;
    let (_, p) = body(app.get(&format!("/api/v1/admin/products/{product_id}"), Some(&owner)).await).await;
    let costs: Vec<Value> = p["skus"].as_array().unwrap().iter().map(|s| s["cost_price"].clone()).collect();
    assert!(costs.iter().all(|c| c.as_i64().unwrap() > 0), "{costs:?}");
    let skus: Vec<Value> = p["skus"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            json!({"code": s["code"], "spec": s["spec"], "barcode": s["barcode"], "original_price": s["original_price"],
                   "sale_price": s["sale_price"], "weight_g": s["weight_g"], "safety_stock": s["safety_stock"]})
        })
        .collect();
    let matrix = json!({"specs": p["specs"], "skus": skus});
    let mut with_cost = matrix.clone();
    with_cost["skus"][0]["cost_price"] = json!(1);
    assert_field_error(
        app.put(&format!("/api/v1/admin/products/{product_id}/skus"), Some(&op), &with_cost).await,
        StatusCode::FORBIDDEN,
        "skus[0].cost_price",
    )
    .await;
    let (s, saved) =
        body(app.put(&format!("/api/v1/admin/products/{product_id}/skus"), Some(&op), &matrix).await).await;
    assert_eq!(s, StatusCode::OK, "{saved}");
    assert!(saved["skus"][0].get("cost_price").is_none());
    let (_, p) = body(app.get(&format!("/api/v1/admin/products/{product_id}"), Some(&owner)).await).await;
    let after: Vec<Value> = p["skus"].as_array().unwrap().iter().map(|s| s["cost_price"].clone()).collect();
    assert_eq!(after, costs, "the operator's save kept the costs");
    // An export without the cost column imports back leaving the costs as they are; with it, only for cost roles.
    let csv = app.get("/api/v1/admin/products/export", Some(&op)).await.text().await.unwrap();
    let r = app
        .req(reqwest::Method::POST, "/api/v1/admin/products/import", Some(&op))
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    let (s, queued) = body(r).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{queued}");
    let import_id = queued["id"].as_i64().unwrap();
    let full = app.get("/api/v1/admin/products/export", Some(&owner)).await.text().await.unwrap();
    let r = app
        .req(reqwest::Method::POST, "/api/v1/admin/products/import?dry_run=true", Some(&op))
        .header("content-type", "text/csv")
        .body(full)
        .send()
        .await
        .unwrap();
    assert_field_error(r, StatusCode::FORBIDDEN, "file").await;
    eventually(20, || {
        let (app, owner) = (&app, &owner);
        async move {
            let (_, l) = body(app.get(&format!("/api/v1/admin/imports/{import_id}"), Some(owner)).await).await;
            assert_ne!(l["status"], "failed", "{l}");
            (l["status"] == "done").then_some(())
        }
    })
    .await;
    let (_, p) = body(app.get(&format!("/api/v1/admin/products/{product_id}"), Some(&owner)).await).await;
    let after: Vec<Value> = p["skus"].as_array().unwrap().iter().map(|s| s["cost_price"].clone()).collect();
    assert_eq!(after, costs, "importing a file without the cost column kept the costs");

    // The owner lets operators see cost (owner only, audited); the operator then sees it everywhere.
    for user in ["operator", "finance", "service"] {
        let t = app.admin_login(user).await;
        let r = app.put("/api/v1/admin/settings/roles", Some(&t), &json!({"operator_reads_cost": true})).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{user}");
    }
    let (s, v) =
        body(app.put("/api/v1/admin/settings/roles", Some(&owner), &json!({"operator_reads_cost": true})).await).await;
    assert_eq!((s, v), (StatusCode::OK, json!({"operator_reads_cost": true})));
    let (_, v) = body(app.get("/api/v1/admin/settings/roles", Some(&owner)).await).await;
    assert_eq!(v, json!({"operator_reads_cost": true}));
    let (_, audit) = body(app.get("/api/v1/admin/audit-log?action=settings.roles", Some(&owner)).await).await;
    assert!(
        audit["items"].as_array().unwrap().iter().any(|e| e["action"] == "settings.roles"),
        "the change is in the audit log"
    );
    check_money(&app, &c, (product_id, order_id), "operator", Some(true), Some(true)).await;
    check_money(&app, &c, (product_id, order_id), "service", Some(false), Some(false)).await;
});

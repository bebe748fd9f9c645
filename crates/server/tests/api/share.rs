//! Share links, QR codes and posters: the QR code (read back from its PNG) carries the link with its channel,
//! campaign and promoter; an order placed through it is attributed to them; the SVG images are well-formed XML;
//! the PNG poster is 600 × 960 and its QR code reads too; who may make which link; bounded inputs; cache
//! headers; the storefront's pages offer 分享/海报.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::analytics::{ev, product, send};
use crate::distribution::{become_promoter, paid_order};
use crate::helpers::*;
use crate::suite;

/// An image of the API: status, content type, cache control and bytes.
async fn image(app: &TestApp, path: &str, token: Option<&str>) -> (StatusCode, String, String, Vec<u8>) {
    let r = app.get(path, token).await;
    let h = |k: &str| r.headers().get(k).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let (ct, cc) = (h("content-type"), h("cache-control"));
    (r.status(), ct, cc, r.bytes().await.unwrap().to_vec())
}

/// The text of the QR code(s) in a PNG, read with a QR decoder.
fn read_qr(png_bytes: &[u8]) -> Vec<String> {
    let mut dec = png::Decoder::new(std::io::Cursor::new(png_bytes));
    dec.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = dec.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let frame = reader.next_frame(&mut buf).unwrap();
    let (w, h) = (frame.width as usize, frame.height as usize);
    let channels = match frame.color_type {
        png::ColorType::Grayscale => 1,
        png::ColorType::Rgb => 3,
        png::ColorType::Rgba => 4,
        other => panic!("unexpected colour type {other:?}"),
    };
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| buf[(y * w + x) * channels]);
    img.detect_grids().into_iter().map(|g| g.decode().expect("the QR code decodes").1).collect()
}

fn png_size(png_bytes: &[u8]) -> (u32, u32) {
    let reader = png::Decoder::new(std::io::Cursor::new(png_bytes)).read_info().unwrap();
    (reader.info().width, reader.info().height)
}

fn well_formed_svg(bytes: &[u8]) -> String {
    let text = String::from_utf8(bytes.to_vec()).unwrap();
    let doc = roxmltree::Document::parse(&text).unwrap_or_else(|e| panic!("not well-formed: {e}\n{text}"));
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    assert_eq!(doc.root_element().tag_name().namespace(), Some("http://www.w3.org/2000/svg"));
    text
}

async fn refusal(app: &TestApp, path: &str, token: Option<&str>) -> (StatusCode, Value) {
    body(app.get(path, token).await).await
}

async fn page(app: &TestApp, buyer: &str, path: &str) -> String {
    let r = app.req(Method::GET, path, None).header("cookie", format!("mm_buyer={buyer}")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    r.text().await.unwrap()
}

type Touches = (String, String, Option<i64>);

async fn last_touch(app: &TestApp, order: i64) -> Touches {
    sqlx::query_as("SELECT last_channel, last_campaign, last_promoter_id FROM order_touches WHERE order_id = $1")
        .bind(order)
        .fetch_one(app.store().reader())
        .await
        .unwrap()
}

suite!(a_promoters_qr_code_reads_back_as_its_link_and_orders_through_it_are_attributed, |b| async move {
    let db = TestDb::new(b).await;
    let mut cfg = test_config(&db.url);
    cfg.orders.sandbox_notify_delay_ms = 20;
    let app = TestApp::spawn_with(db, cfg, true).await;
    let op = app.admin_login("operator").await;
    let (product, sku) = product(&app, &op).await;
    let promoter = app.buyer_login("buyer040").await;
    let (promoter_id, code) = become_promoter(&app, &promoter, &op).await;

    // The promoter's link for Moments, campaign "spring": the JSON, and the QR code read back from its PNG.
    let q = format!("target=product&id={product}&ch=moments&cp=spring&pr={code}");
    let (s, link) = body(app.get(&format!("/api/v1/shop/share/link?{q}"), Some(&promoter)).await).await;
    assert_eq!(s, StatusCode::OK, "{link}");
    let path = format!("/p/{product}?ch=moments&cp=spring&pr={code}");
    assert_eq!(link["path"], path.as_str());
    assert_eq!(link["url"], format!("{}{path}", app.base));
    assert_eq!(
        (&link["channel"], &link["campaign"], &link["promoter"]),
        (&json!("moments"), &json!("spring"), &json!(code))
    );
    let (s, ct, cc, png) = image(&app, link["qr_png"].as_str().unwrap(), Some(&promoter)).await;
    assert_eq!((s, ct.as_str()), (StatusCode::OK, "image/png"));
    assert_eq!(cc, "private, max-age=3600", "a link naming its promoter is not cached for others");
    assert_eq!(read_qr(&png), [format!("{}{path}", app.base)]);
    let (s, _, _, big) = image(&app, &format!("/api/v1/shop/share/qr.png?{q}&size=1200"), Some(&promoter)).await;
    assert_eq!(s, StatusCode::OK);
    assert!(png_size(&big).0 > png_size(&png).0);

    // The poster: SVG (well-formed, with the title, the price and the QR code) and PNG (600 × 960; its QR code
    // reads as the same link).
    let (s, ct, _, svg) = image(&app, link["poster_svg"].as_str().unwrap(), Some(&promoter)).await;
    assert_eq!((s, ct.as_str()), (StatusCode::OK, "image/svg+xml"));
    let svg = well_formed_svg(&svg);
    assert!(svg.contains("¥") && !svg.contains("¥¥") && svg.contains("Minimall"), "{svg}");
    let (s, ct, _, poster) = image(&app, link["poster_png"].as_str().unwrap(), Some(&promoter)).await;
    assert_eq!((s, ct.as_str()), (StatusCode::OK, "image/png"));
    assert_eq!(png_size(&poster), (600, 960));
    assert_eq!(read_qr(&poster), [format!("{}{path}", app.base)]);

    // A friend scans it: the page names the promoter for the visit's events, which carry the link's channel and
    // campaign; the order is attributed to them.
    let friend = app.buyer_login("buyer041").await;
    let html = page(&app, &friend, &path).await;
    assert!(html.contains(&format!("id=\"mm-pr\" data-id=\"{promoter_id}\"")), "{html}");
    let extra = json!({"channel": "moments", "campaign": "spring", "promoter_id": promoter_id});
    let mut view = extra.clone();
    view["product_id"] = json!(product);
    let (s, v) = body(send(&app, Some(&friend), vec![ev("product_view", "visitor-scan", view)]).await).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    let order = paid_order(&app, &friend, sku, 1, "share-1").await["id"].as_i64().unwrap();
    assert_eq!(last_touch(&app, order).await, ("moments".into(), "spring".into(), Some(promoter_id)));

    // The promoter's own page link, and the invitation link of a buyer.
    let (s, own) = body(app.get("/api/v1/shop/share/link?target=promoter", Some(&promoter)).await).await;
    assert_eq!(s, StatusCode::OK, "{own}");
    assert_eq!(own["path"], format!("/join/{code}?ch=promoter&pr={code}"));
    let (_, _, _, png) = image(&app, own["qr_png"].as_str().unwrap(), Some(&promoter)).await;
    assert_eq!(read_qr(&png), [format!("{}/join/{code}?ch=promoter&pr={code}", app.base)]);
    let (s, invite) =
        body(app.get("/api/v1/shop/share/link?target=invite&ch=community_group&cp=g1", Some(&friend)).await).await;
    assert_eq!(s, StatusCode::OK, "{invite}");
    let ipath = invite["path"].as_str().unwrap().to_string();
    assert!(ipath.starts_with("/invite/") && ipath.ends_with("?ch=community_group&cp=g1"), "{ipath}");
    let (s, _, cc, png) = image(&app, invite["qr_png"].as_str().unwrap(), Some(&friend)).await;
    assert_eq!((s, cc.as_str()), (StatusCode::OK, "private, max-age=3600"));
    assert_eq!(read_qr(&png), [format!("{}{ipath}", app.base)]);
    let (s, _, _, svg) = image(&app, invite["poster_svg"].as_str().unwrap(), Some(&friend)).await;
    assert_eq!(s, StatusCode::OK);
    assert!(well_formed_svg(&svg).contains("好友邀请你"));
    // The invitation link's landing keeps its channel for the page it goes on to.
    let r = app.req(Method::GET, &ipath, None).header("cookie", format!("mm_buyer={promoter}")).send().await.unwrap();
    // (the client follows the redirect)
    let to = r.url().as_str().trim_start_matches(&app.base).to_string();
    assert!(to.starts_with("/invite?code=") && to.ends_with("&ch=community_group&cp=g1"), "{to}");

    // Pages offer 分享/海报: the product page (a promoter's carries their code), the promoter centre, the
    // invitation page.
    let html = page(&app, &promoter, &format!("/p/{product}")).await;
    assert!(html.contains("分享/海报") && html.contains("id=\"share-poster\""), "{html}");
    assert!(html.contains(&format!("/p/{product}?ch=promoter&#38;pr={code}")), "{html}");
    let html = page(&app, &friend, &format!("/p/{product}")).await;
    assert!(html.contains(&format!("/p/{product}?ch=share")), "{html}");
    assert!(page(&app, &promoter, "/promoter").await.contains("id=\"share-box\""));
    assert!(page(&app, &friend, "/invite").await.contains("id=\"share-box\""));
});

suite!(who_may_make_which_link_and_bounded_inputs, |b| async move {
    let db = TestDb::new(b).await;
    let cfg = test_config(&db.url);
    let app = TestApp::spawn_with(db, cfg, true).await;
    let op = app.admin_login("operator").await;
    let (product, _) = product(&app, &op).await;
    let promoter = app.buyer_login("buyer050").await;
    let (_, code) = become_promoter(&app, &promoter, &op).await;
    let other = app.buyer_login("buyer051").await;
    let base = format!("/api/v1/shop/share/qr.png?target=product&id={product}");

    // A product's link anybody may make, publicly cached, with an ETag answered by 304.
    let r = app.get(&format!("{base}&ch=search"), None).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["cache-control"], "public, max-age=600");
    let etag = r.headers()["etag"].to_str().unwrap().to_string();
    let r =
        app.req(Method::GET, &format!("{base}&ch=search"), None).header("if-none-match", &etag).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
    let (s, _, _, svg) =
        image(&app, &format!("/api/v1/shop/share/qr.svg?target=product&id={product}&ch=nearby"), None).await;
    assert_eq!(s, StatusCode::OK);
    well_formed_svg(&svg);

    // Another buyer cannot make a link crediting the promoter; nobody logged out can; a buyer who is no promoter
    // has no promoter link; the invitation needs a login.
    for path in [
        format!("{base}&ch=promoter&pr={code}"),
        format!("{base}&pr={code}"),
        format!("/api/v1/shop/share/poster.png?target=product&id={product}&pr={code}"),
    ] {
        let (s, e) = refusal(&app, &path, Some(&other)).await;
        assert_eq!(
            (s, &e["error"]["reason"], &e["error"]["field"]),
            (StatusCode::FORBIDDEN, &json!("share.not_your_code"), &json!("pr")),
            "{path}: {e}"
        );
        let (s, _) = refusal(&app, &path, None).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{path}");
    }
    let (s, e) = refusal(&app, "/api/v1/shop/share/link?target=promoter", Some(&other)).await;
    assert_eq!((s, &e["error"]["reason"]), (StatusCode::FORBIDDEN, &json!("share.not_promoter")), "{e}");
    let (s, _) = refusal(&app, "/api/v1/shop/share/link?target=invite", None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);

    // Bad input: 4xx naming the field.
    let cases = [
        (format!("{base}&ch=tiktok"), "ch", "share.unknown_channel"),
        (format!("{base}&ch=moments&cp={}", "x".repeat(33)), "cp", "share.campaign"),
        (format!("{base}&cp=双十一"), "cp", "share.campaign"),
        (format!("{base}&pr=a!"), "pr", "share.promoter_code"),
        (format!("{base}&ch=promoter"), "pr", "share.promoter_missing"),
        (format!("{base}&size=50"), "size", "number.out_of_range"),
        (format!("{base}&size=5000"), "size", "number.out_of_range"),
        ("/api/v1/shop/share/qr.png?target=product".to_string(), "id", "value.required"),
        ("/api/v1/shop/share/qr.png?target=invite&id=3".to_string(), "id", "share.id_not_taken"),
        ("/api/v1/shop/share/qr.png?target=shop".to_string(), "target", ""),
        (format!("{base}&colour=red"), "colour", ""),
    ];
    for (path, field, reason) in cases {
        let (s, e) = refusal(&app, &path, Some(&other)).await;
        assert_eq!((s, &e["error"]["field"]), (StatusCode::UNPROCESSABLE_ENTITY, &json!(field)), "{path}: {e}");
        if !reason.is_empty() {
            assert_eq!(e["error"]["reason"], reason, "{path}: {e}");
        }
    }
    let (s, _) = refusal(&app, "/api/v1/shop/share/poster.svg?target=product&id=99999999", None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = refusal(&app, "/api/v1/shop/share/qr.svg?target=group&id=99999999", None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
});

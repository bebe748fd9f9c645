//! Storefront pages of the catalog: home (with running flash sales), search and categories, a product.

use crate::analytics::recommend_pages::{self as reco_pages, RecoBlock};
use crate::web::shop::prelude::*;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/products", get(products))
        .route("/p/{id}", get(product))
        .route("/p/{id}/qr.svg", get(product_qr))
}

#[derive(Template)]
#[template(path = "shop/home.html")]
struct HomePage {
    c: Ctx,
    logged_in: bool,
    /// 为你推荐.
    recos: Vec<RecoBlock>,
    banners: Vec<String>,
    showcase: crate::showcase::ShopShowcase,
    categories: Vec<(i64, String)>,
    flash: Vec<FlashSaleDto>,
    products: Vec<ProductCard>,
}

async fn home(State(st): State<AppState>, c: Ctx, MaybeBuyer(b): MaybeBuyer, headers: HeaderMap) -> WebResult {
    let cats = st.store.list_categories(st.merchant_id).await?;
    let categories = cats.iter().filter(|r| r.parent_id.is_none()).map(|r| (r.id, r.name.clone())).collect();
    // Without banners of its own, the shop's running activities by name, as the pricing engine sees them (cached for a second, dropped on every promotion edit).
    let banners = st
        .pricing
        .get(&st, st.merchant_id)
        .await?
        .running(minimall_store::now_ms())
        .into_iter()
        .map(|a| a.name)
        .take(3)
        .collect();
    let showcase = crate::showcase::live(&st, st.merchant_id).await?;
    let products = shop_catalog::search(
        &st,
        "",
        None,
        minimall_store::catalog::ShopSort::Default,
        Page::parse(Some(1), Some(20))?,
    )
    .await?
    .items;
    let flash = crate::flash::sales::shop_flash_sales(&st, PageQuery { page: Some(1), page_size: Some(6) }).await?;
    let flash = flash.items;
    let (visitor, set_cookie) = reco_pages::visitor(&headers);
    let who = reco_pages::shopper(b.as_ref().map(|b| b.id), &visitor);
    let recos = vec![reco_pages::feed_block(&st, &who, c.t("reco.feed")).await];
    let mut resp =
        HomePage { c, logged_in: b.is_some(), recos, banners, showcase, categories, flash, products }.render_page();
    if let Some(v) = set_cookie {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(resp)
}

#[derive(Deserialize)]
struct ListQuery {
    q: Option<String>,
    category_id: Option<i64>,
    sort: Option<String>,
    page: Option<i64>,
}

#[derive(Template)]
#[template(path = "shop/products.html")]
struct ProductsPage {
    c: Ctx,
    q: String,
    category_id: i64,
    sort: String,
    categories: Vec<(i64, String, i32)>,
    products: Vec<ProductCard>,
    total: i64,
    next: Option<String>,
    prev: Option<String>,
}

async fn products(State(st): State<AppState>, c: Ctx, WebQuery(q): WebQuery<ListQuery>) -> WebResult {
    let needle = q.q.clone().unwrap_or_default().trim().to_string();
    let sort_s = q.sort.clone().unwrap_or_default();
    let sort = shop_catalog::parse_sort(&sort_s)?;
    let page = Page::parse(q.page, Some(20))?;
    let found = shop_catalog::search(&st, &needle, q.category_id, sort, page).await?;
    let cats = st.store.list_categories(st.merchant_id).await?;
    let categories = cats.iter().map(|r| (r.id, r.name.clone(), r.depth)).collect();
    let base = crate::web::view::with_query(
        "/products",
        &[
            ("q", needle.clone()),
            ("category_id", q.category_id.map(|c| c.to_string()).unwrap_or_default()),
            ("sort", sort_s.clone()),
        ],
    );
    let pager = crate::web::view::Pager::new(&base, page.page(), page.size(), found.total);
    Ok(ProductsPage {
        c,
        q: needle,
        category_id: q.category_id.unwrap_or(0),
        sort: sort_s,
        categories,
        total: found.total,
        products: found.items,
        next: pager.next,
        prev: pager.prev,
    }
    .render_page())
}

/// A SKU as the product page shows it: its price for this buyer and the rule that set it.
struct SkuView {
    id: i64,
    spec: String,
    stock: i64,
    stock_status: String,
    original_price: i64,
    price: i64,
    rule: String,
}

#[derive(Template)]
#[template(path = "shop/product.html")]
struct ProductPage {
    c: Ctx,
    p: ProductDto,
    /// The description, sanitised again at render time (it was sanitised when written).
    description_html: String,
    skus: Vec<SkuView>,
    /// The product's share link under 分享/海报 (with the buyer's promoter code when they are a promoter).
    share: Option<crate::share::links::ShareLinkDto>,
    /// The promoter whose link (`pr`) opened the page, for the visit's events.
    landing_promoter: Option<i64>,
    /// The product's group buys (拼团) with their joinable groups.
    group_buys: Vec<crate::group_buy::shop_api::ShopGroupBuyDto>,
    /// Idempotency key of this page's "open a group" form.
    idem: String,
    /// The rating and the two latest visible reviews.
    rating: crate::reviews::RatingDto,
    reviews: Vec<crate::reviews::ReviewDto>,
    /// Whether the buyer saved the product (`None` when logged out).
    saved: Option<bool>,
    /// 看了又看 and 买了又买.
    recos: Vec<RecoBlock>,
}

async fn product(
    State(st): State<AppState>,
    c: Ctx,
    MaybeBuyer(b): MaybeBuyer,
    WebPath(id): WebPath<i64>,
    WebQuery(q): WebQuery<std::collections::HashMap<String, String>>,
    headers: HeaderMap,
) -> WebResult {
    let p = shop_catalog::shop_product(&st, id).await?;
    let (visitor, set_cookie) = reco_pages::visitor(&headers);
    let who = reco_pages::shopper(b.as_ref().map(|b| b.id), &visitor);
    reco_pages::opened_from(&st, &who, q.get("rec"), id).await;
    let recos = reco_pages::product_blocks(&st, &who, id, [c.t("reco.viewed"), c.t("reco.bought")]).await;
    // Each SKU priced by the quote engine for this buyer (activities, member and first-order prices).
    let items: Vec<CartItem> = p.skus.iter().take(100).map(|s| CartItem { sku_id: s.id, quantity: 1 }).collect();
    let buyer_id = b.as_ref().map(|b| b.id).unwrap_or(0);
    let quote = if items.is_empty() {
        None
    } else {
        crate::promotions::pricing::price_cart(&st, st.merchant_id, buyer_id, &items, &[], 0, None)
            .await
            .ok()
            .map(|pr| crate::promotions::pricing::quote_dto(&pr, None, c.lang))
    };
    let skus = p
        .skus
        .iter()
        .map(|s| {
            let line = quote.as_ref().and_then(|q| q.lines.iter().find(|l| l.sku_id == s.id));
            SkuView {
                id: s.id,
                spec: if s.spec.is_empty() { c.t("shop.default_spec").to_string() } else { s.spec.join(" / ") },
                stock: s.stock,
                stock_status: s.stock_status.clone(),
                original_price: s.original_price,
                price: line.map(|l| l.unit_price).unwrap_or(s.sale_price),
                rule: line.and_then(|l| l.price_rule.clone()).unwrap_or_default(),
            }
        })
        .collect();
    let group_buys = crate::group_buy::shop_api::of_product(&st, st.merchant_id, id).await?;
    let latest = crate::reviews::ProductReviewsQuery { tab: None, page: None, page_size: Some(2) };
    let reviews = crate::reviews::of_product(&st, id, latest).await?;
    let share =
        crate::share::links::for_page(&st, b.as_ref(), crate::share::links::ShareTarget::Product, Some(id)).await;
    let landing_promoter = crate::share::links::landing_promoter(&st, q.get("pr")).await;
    let saved = match &b {
        Some(b) => {
            // A page view is in the buyer's 足迹; failing to note it does not fail the page.
            if let Err(e) = crate::personal::record_view(&st, b, id).await {
                tracing::warn!(product_id = id, error = %e.code, "browsing history not recorded");
            }
            Some(crate::personal::favourite_state(&st, b, id).await?.saved)
        }
        None => None,
    };
    let mut resp = ProductPage {
        saved,
        recos,
        group_buys,
        idem: crate::accounts::auth::new_token("web_"),
        c,
        description_html: crate::catalog::sanitize_html(&p.description),
        p,
        skus,
        share,
        landing_promoter,
        rating: reviews.rating,
        reviews: reviews.reviews.items,
    }
    .render_page();
    if let Some(v) = set_cookie {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    // Remember the entrance a shared link brought the visitor through, for attribution at login.
    if let Some(ch) = q.get("ch").filter(|c| c.len() <= 20 && c.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')) {
        if let Ok(v) = HeaderValue::from_str(&format!("mm_ch={ch}; Path=/; Max-Age=86400; SameSite=Lax; HttpOnly")) {
            resp.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    Ok(resp)
}

async fn product_qr(State(st): State<AppState>, WebPath(id): WebPath<i64>) -> WebResult {
    shop_catalog::shop_product(&st, id).await?;
    let base = st.self_url.get().cloned().unwrap_or_default();
    let code = qrcode::QrCode::new(format!("{base}/p/{id}?ch=qr_poster").as_bytes()).map_err(ApiError::internal)?;
    let svg = code.render::<qrcode::render::svg::Color>().min_dimensions(160, 160).build();
    Ok(([(header::CONTENT_TYPE, "image/svg+xml")], svg).into_response())
}

// ---- login ----------------------------------------------------------------------------------------

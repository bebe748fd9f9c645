//! The H5 storefront: mobile-first pages for buyers. Every action goes through the same code as the shop
//! API (the handlers are called in-process), so rules live in one place.

use askama::Template;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use minimall_core::page::Page;
use serde::Deserialize;

use super::csrf::Fields;
use super::view::urlencode;
use super::{Ctx, RenderPage, WebError, WebPath, WebQuery, WebResult};
use crate::auth::Buyer;
use crate::catalog::{ProductCard, ProductDto};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, Path};
use crate::pricing::{CartItem, QuoteDto};
use crate::routes::aftersales::{self as as_routes, AftersaleDto, AftersaleRequest};
use crate::routes::flash_sales::{self, FlashSaleDto};
use crate::routes::shop_orders::{self as so, CartDto, OrderDto};
use crate::routes::shop_pricing::{self as sp, CouponDto, CouponTemplateDto, PointsDto};
use crate::routes::{shop_auth, shop_catalog, PageQuery};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/products", get(products))
        .route("/p/{id}", get(product))
        .route("/p/{id}/qr.svg", get(product_qr))
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/me", get(me))
        .route("/cart", get(cart))
        .route("/cart/add", post(cart_add))
        .route("/cart/{id}", post(cart_change))
        .route("/cart/{id}/remove", post(cart_remove))
        .route("/checkout", get(checkout).post(place_order))
        .route("/addresses", post(add_address))
        .route("/orders", get(orders))
        .route("/orders/{id}", get(order))
        .route("/orders/{id}/pay", get(pay_page).post(pay))
        .route("/orders/{id}/cancel", post(cancel))
        .route("/orders/{id}/receive", post(receive))
        .route("/orders/{id}/aftersale", get(aftersale_page).post(aftersale))
        .route("/aftersales", get(aftersales))
        .route("/coupons", get(coupons))
        .route("/coupons/{id}/claim", post(claim))
        .route("/points", get(points))
        .route("/flash/{id}", get(flash_page).post(flash_buy))
}

// ---- who is shopping ------------------------------------------------------------------------------

/// The buyer, if logged in.
pub struct MaybeBuyer(pub Option<Buyer>);

impl FromRequestParts<AppState> for MaybeBuyer {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, Self::Rejection> {
        Ok(MaybeBuyer(Buyer::from_request_parts(parts, st).await.ok()))
    }
}

/// A logged-in buyer; anyone else is sent to the login page and back.
pub struct ShopBuyer(pub Buyer);

impl FromRequestParts<AppState> for ShopBuyer {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, Self::Rejection> {
        match Buyer::from_request_parts(parts, st).await {
            Ok(b) => Ok(ShopBuyer(b)),
            Err(e) if e.status == StatusCode::UNAUTHORIZED => {
                // After logging in, back to this page (or, for a form, to the page that had the form).
                let here = if parts.method == axum::http::Method::GET {
                    parts.uri.path_and_query().map(|p| p.as_str().to_string()).unwrap_or_else(|| "/".into())
                } else {
                    let referer = parts.headers.get(header::REFERER).and_then(|v| v.to_str().ok()).unwrap_or("");
                    let path = referer.split("://").nth(1).and_then(|r| r.find('/').map(|i| r[i..].to_string()));
                    super::safe_next(path.as_deref(), "/")
                };
                Err(Redirect::to(&format!("/login?next={}", urlencode(&here))).into_response())
            }
            Err(e) => Err(super::error_page(e.status, &e.message)),
        }
    }
}

fn redirect(to: &str) -> WebResult {
    Ok(Redirect::to(to).into_response())
}

/// Copy the session cookie an API login/logout answered with onto a redirect.
fn redirect_with_cookies(to: &str, from: &Response) -> Response {
    let mut r = Redirect::to(to).into_response();
    for c in from.headers().get_all(header::SET_COOKIE) {
        r.headers_mut().append(header::SET_COOKIE, c.clone());
    }
    r
}

// ---- catalog --------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "shop/home.html")]
struct HomePage {
    c: Ctx,
    logged_in: bool,
    banners: Vec<String>,
    categories: Vec<(i64, String)>,
    flash: Vec<FlashSaleDto>,
    products: Vec<ProductCard>,
}

async fn home(State(st): State<AppState>, c: Ctx, MaybeBuyer(b): MaybeBuyer) -> WebResult {
    let cats = st.store.list_categories(st.merchant_id).await?;
    let categories = cats.iter().filter(|r| r.parent_id.is_none()).map(|r| (r.id, r.name.clone())).collect();
    // The activities as the pricing engine sees them (cached for a second, dropped on every promotion edit).
    let banners = st
        .pricing
        .get(&st, st.merchant_id)
        .await?
        .running(minimall_store::now_ms())
        .into_iter()
        .map(|a| a.name)
        .take(3)
        .collect();
    let products = shop_catalog::search(
        &st,
        "",
        None,
        minimall_store::catalog::ShopSort::Default,
        Page::parse(Some(1), Some(20))?,
    )
    .await?
    .items;
    let Json(flash) =
        flash_sales::shop_flash_sales(State(st.clone()), ApiQuery(PageQuery { page: Some(1), page_size: Some(6) }))
            .await?;
    let flash = flash.items;
    Ok(HomePage { c, logged_in: b.is_some(), banners, categories, flash, products }.render_page())
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
    let base = super::view::with_query(
        "/products",
        &[
            ("q", needle.clone()),
            ("category_id", q.category_id.map(|c| c.to_string()).unwrap_or_default()),
            ("sort", sort_s.clone()),
        ],
    );
    let pager = super::view::Pager::new(&base, page.page(), page.size(), found.total);
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
    share_url: String,
}

async fn product(
    State(st): State<AppState>,
    c: Ctx,
    MaybeBuyer(b): MaybeBuyer,
    WebPath(id): WebPath<i64>,
    WebQuery(q): WebQuery<std::collections::HashMap<String, String>>,
) -> WebResult {
    let p = shop_catalog::shop_product(&st, id).await?;
    // Each SKU priced by the quote engine for this buyer (activities, member and first-order prices).
    let items: Vec<CartItem> = p.skus.iter().take(100).map(|s| CartItem { sku_id: s.id, quantity: 1 }).collect();
    let buyer_id = b.as_ref().map(|b| b.id).unwrap_or(0);
    let quote = if items.is_empty() {
        None
    } else {
        crate::pricing::price_cart(&st, st.merchant_id, buyer_id, &items, &[], 0, None)
            .await
            .ok()
            .map(|pr| crate::pricing::quote_dto(&pr, None))
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
    let base = st.self_url.get().cloned().unwrap_or_default();
    let mut resp = ProductPage {
        c,
        description_html: crate::catalog::sanitize_html(&p.description),
        p,
        skus,
        share_url: format!("{base}/p/{id}?ch=share"),
    }
    .render_page();
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

#[derive(Template)]
#[template(path = "shop/login.html")]
struct LoginPage {
    c: Ctx,
    sandbox: bool,
    buyers: Vec<(String, String)>,
    next: String,
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

async fn login_page(State(st): State<AppState>, c: Ctx, WebQuery(q): WebQuery<NextQuery>) -> WebResult {
    let mut buyers = Vec::new();
    if st.cfg.sandbox {
        let rows = st.store.list_buyers(st.merchant_id, "", 200, 0).await?;
        for b in rows.items {
            if let Some(name) = b.openid.as_deref().and_then(|o| o.strip_prefix("sandbox:")) {
                buyers.push((name.to_string(), b.nickname.clone()));
            }
        }
        buyers.sort();
        buyers.truncate(12);
    }
    let next = super::safe_next(q.next.as_deref(), "/");
    Ok(LoginPage { c, sandbox: st.cfg.sandbox, buyers, next }.render_page())
}

/// Sandbox login as a demo buyer, through the mini-program login path with a `sandbox:<name>` code.
async fn login(State(st): State<AppState>, headers: HeaderMap, f: Fields) -> WebResult {
    let channel = headers
        .get(header::COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').filter_map(|kv| kv.trim().split_once('=')).find(|(k, _)| *k == "mm_ch"))
        .map(|(_, v)| v.to_string());
    let name = f.get("name").trim().to_string();
    let mk = |channel| shop_auth::WechatLoginRequest { code: format!("sandbox:{name}"), channel };
    let resp = match shop_auth::wechat_login(State(st.clone()), headers.clone(), ApiJson(mk(channel))).await {
        // An unknown entrance in the cookie does not stop the login.
        Err(e) if e.field.as_deref() == Some("channel") => {
            shop_auth::wechat_login(State(st), headers, ApiJson(mk(None))).await?
        }
        other => other?,
    };
    Ok(redirect_with_cookies(&super::safe_next(f.opt("next"), "/"), &resp))
}

async fn logout(State(st): State<AppState>, ShopBuyer(b): ShopBuyer, headers: HeaderMap) -> WebResult {
    let resp = shop_auth::logout(State(st), b, headers).await?;
    Ok(redirect_with_cookies("/", &resp))
}

#[derive(Template)]
#[template(path = "shop/me.html")]
struct MePage {
    c: Ctx,
    nickname: String,
    points: i64,
    coupons: i64,
    share_url: String,
}

async fn me(State(st): State<AppState>, c: Ctx, ShopBuyer(b): ShopBuyer) -> WebResult {
    let row = st.store.buyer_by_id(b.merchant_id, b.id).await?;
    let coupons = st.store.buyer_coupons(b.merchant_id, b.id, "available", 1, 0).await?.total;
    let base = st.self_url.get().cloned().unwrap_or_default();
    Ok(MePage {
        c,
        nickname: row.nickname,
        points: st.store.points_balance(b.id).await?,
        coupons,
        share_url: format!("{base}/?ch=share&from={}", b.id),
    }
    .render_page())
}

// ---- cart -----------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "shop/cart.html")]
struct CartPage {
    c: Ctx,
    cart: CartDto,
}

async fn cart(State(st): State<AppState>, c: Ctx, ShopBuyer(b): ShopBuyer) -> WebResult {
    let Json(cart) = so::cart(State(st), b).await?;
    Ok(CartPage { c, cart }.render_page())
}

async fn cart_add(State(st): State<AppState>, ShopBuyer(b): ShopBuyer, f: Fields) -> WebResult {
    let sku_id = f.int("sku_id").ok_or_else(|| ApiError::invalid("sku_id", "choose a specification"))?;
    let quantity = f.int("quantity").unwrap_or(1);
    let _ = so::cart_add(State(st), b, ApiJson(so::CartAdd { sku_id, quantity })).await?;
    redirect(if f.get("buy_now") == "1" { "/checkout" } else { "/cart" })
}

async fn cart_change(
    State(st): State<AppState>,
    ShopBuyer(b): ShopBuyer,
    WebPath(id): WebPath<i64>,
    f: Fields,
) -> WebResult {
    let selected = f.opt("selected").map(|v| v == "1");
    let _ = so::cart_change(State(st), b, Path(id), ApiJson(so::CartChange { quantity: f.int("quantity"), selected }))
        .await?;
    redirect("/cart")
}

async fn cart_remove(State(st): State<AppState>, ShopBuyer(b): ShopBuyer, WebPath(id): WebPath<i64>) -> WebResult {
    let _ = so::cart_remove(State(st), b, Path(id)).await?;
    redirect("/cart")
}

// ---- checkout -------------------------------------------------------------------------------------

#[derive(Deserialize)]
struct CheckoutQuery {
    address_id: Option<i64>,
    /// A coupon id; 0 = no coupon; absent = the best one.
    coupon: Option<i64>,
    points: Option<i64>,
    /// Set when an order was refused because the price changed meanwhile.
    changed: Option<String>,
}

#[derive(Template)]
#[template(path = "shop/checkout.html")]
struct CheckoutPage {
    c: Ctx,
    quote: QuoteDto,
    addresses: Vec<sp::AddressDto>,
    address_id: i64,
    coupons: Vec<CouponDto>,
    coupon_id: i64,
    points: i64,
    idem: String,
    changed: bool,
}

async fn checkout(
    State(st): State<AppState>,
    c: Ctx,
    ShopBuyer(b): ShopBuyer,
    WebQuery(q): WebQuery<CheckoutQuery>,
) -> WebResult {
    let Json(cart) = so::cart(State(st.clone()), b.clone()).await?;
    let items: Vec<CartItem> = cart
        .items
        .iter()
        .filter(|l| l.selected && l.available)
        .map(|l| CartItem { sku_id: l.sku_id, quantity: l.quantity })
        .collect();
    if items.is_empty() {
        return redirect("/cart");
    }
    let Json(addr) = sp::list_addresses(State(st.clone()), b.clone()).await?;
    let address_id = q
        .address_id
        .filter(|id| addr.items.iter().any(|a| a.id == *id))
        .or_else(|| addr.items.iter().find(|a| a.is_default).or(addr.items.first()).map(|a| a.id));
    let points = q.points.unwrap_or(0).max(0);
    let quote_with = |coupon_ids: Vec<i64>| {
        sp::quote(
            State(st.clone()),
            b.clone(),
            ApiJson(sp::QuoteRequest { items: items.clone(), coupon_ids, points, address_id }),
        )
    };
    let Json(mut quote) = quote_with(q.coupon.filter(|c| *c > 0).into_iter().collect()).await?;
    let coupon_id = match q.coupon {
        Some(c) => c,
        None => match quote.suggested_coupon_id {
            // The best coupon is chosen for the buyer unless they chose otherwise.
            Some(best) => {
                quote = quote_with(vec![best]).await?.0;
                best
            }
            None => 0,
        },
    };
    let coupons = st
        .store
        .buyer_coupons(b.merchant_id, b.id, "available", 100, 0)
        .await?
        .items
        .iter()
        .map(CouponDto::from)
        .collect();
    Ok(CheckoutPage {
        c,
        quote,
        addresses: addr.items,
        address_id: address_id.unwrap_or(0),
        coupons,
        coupon_id,
        points,
        idem: crate::auth::new_token("web_"),
        changed: q.changed.is_some(),
    }
    .render_page())
}

async fn place_order(
    State(st): State<AppState>,
    ShopBuyer(b): ShopBuyer,
    mut headers: HeaderMap,
    f: Fields,
) -> WebResult {
    let key = f.get("idem");
    headers
        .insert("idempotency-key", HeaderValue::from_str(key).map_err(|_| ApiError::invalid("idem", "bad form key"))?);
    let req = so::CreateOrder {
        items: None,
        coupon_ids: f.int("coupon").filter(|c| *c > 0).into_iter().collect(),
        points: f.int("points").unwrap_or(0),
        address_id: f.int("address_id").filter(|a| *a > 0),
        delivery: None,
        store_id: None,
        remark: f.get("remark").to_string(),
        expected_payable: f.int("expected_payable"),
    };
    let resp = so::create_order(State(st), b, headers, ApiJson(req)).await?;
    let status = resp.status();
    let body = axum::body::to_bytes(resp.into_body(), 1 << 20).await.map_err(ApiError::internal)?;
    let v: serde_json::Value = serde_json::from_slice(&body).map_err(ApiError::internal)?;
    if status == StatusCode::CONFLICT {
        // The price changed since the page was shown: show the new one.
        return Err(WebError::Redirect("/checkout?changed=1".into()));
    }
    if !status.is_success() {
        let msg = v["error"]["message"].as_str().unwrap_or("order refused").to_string();
        return Err(ApiError::new(status, "refused", msg).into());
    }
    let id = v["id"].as_i64().ok_or_else(|| ApiError::internal("order without id"))?;
    redirect(&format!("/orders/{id}/pay"))
}

async fn add_address(State(st): State<AppState>, ShopBuyer(b): ShopBuyer, f: Fields) -> WebResult {
    let input = sp::AddressInput {
        name: f.get("name").into(),
        phone: f.get("phone").into(),
        province: f.get("province").into(),
        city: f.get("city").into(),
        district: f.get("district").into(),
        detail: f.get("detail").into(),
        is_default: true,
    };
    let _ = sp::create_address(State(st), b, ApiJson(input)).await?;
    redirect("/checkout")
}

// ---- orders ---------------------------------------------------------------------------------------

#[derive(Deserialize)]
struct OrdersQuery {
    status: Option<String>,
    page: Option<i64>,
}

#[derive(Template)]
#[template(path = "shop/orders.html")]
struct OrdersPage {
    c: Ctx,
    status: String,
    tabs: Vec<(&'static str, &'static str)>,
    orders: Vec<OrderDto>,
    next: Option<String>,
}

async fn orders(
    State(st): State<AppState>,
    c: Ctx,
    ShopBuyer(b): ShopBuyer,
    WebQuery(q): WebQuery<OrdersQuery>,
) -> WebResult {
    let status = q.status.unwrap_or_default();
    let page = q.page.unwrap_or(1);
    let Json(list) = so::my_orders(
        State(st),
        b,
        ApiQuery(so::MyOrdersQuery { status: Some(status.clone()), page: Some(page), page_size: Some(20) }),
    )
    .await?;
    let tabs = vec![
        ("", c.t("shop.all")),
        ("pending_payment", c.t("status.pending_payment")),
        ("to_ship", c.t("status.to_ship")),
        ("shipped", c.t("status.shipped")),
        ("completed", c.t("status.completed")),
    ];
    let next = (page * 20 < list.total)
        .then(|| super::view::with_query("/orders", &[("status", status.clone()), ("page", (page + 1).to_string())]));
    Ok(OrdersPage { c, status, tabs, orders: list.items, next }.render_page())
}

#[derive(Template)]
#[template(path = "shop/order.html")]
struct OrderPage {
    c: Ctx,
    o: OrderDto,
    paying: bool,
    can_aftersale: bool,
    address: String,
}

async fn order(State(st): State<AppState>, c: Ctx, ShopBuyer(b): ShopBuyer, WebPath(id): WebPath<i64>) -> WebResult {
    let Json(o) = so::my_order(State(st.clone()), b, Path(id)).await?;
    let paying = o.status == "pending_payment" && st.store.payment_for_order(o.id).await?.is_some();
    let can_aftersale = o.paid_at.is_some() && !matches!(o.status.as_str(), "cancelled" | "closed" | "pending_payment");
    let address = o.address.as_ref().map(super::view::address_line).unwrap_or_default();
    Ok(OrderPage { c, o, paying, can_aftersale, address }.render_page())
}

#[derive(Template)]
#[template(path = "shop/pay.html")]
struct PayPage {
    c: Ctx,
    o: OrderDto,
    sandbox: bool,
}

async fn pay_page(State(st): State<AppState>, c: Ctx, ShopBuyer(b): ShopBuyer, WebPath(id): WebPath<i64>) -> WebResult {
    let Json(o) = so::my_order(State(st.clone()), b, Path(id)).await?;
    if o.status != "pending_payment" {
        return redirect(&format!("/orders/{id}"));
    }
    Ok(PayPage { c, o, sandbox: st.cfg.sandbox }.render_page())
}

/// Pay in the sandbox: start the payment and complete it, as a buyer would in the provider's page. The
/// order turns paid when the provider's signed notification arrives.
async fn pay(State(st): State<AppState>, ShopBuyer(b): ShopBuyer, WebPath(id): WebPath<i64>) -> WebResult {
    let Json(start) =
        so::pay(State(st.clone()), b.clone(), Path(id), ApiJson(so::PayRequest { provider: "sandbox".into() })).await?;
    let _ = so::sandbox_complete(State(st), b, Path(start.out_trade_no)).await?;
    redirect(&format!("/orders/{id}"))
}

async fn cancel(State(st): State<AppState>, ShopBuyer(b): ShopBuyer, WebPath(id): WebPath<i64>) -> WebResult {
    let _ = so::cancel(State(st), b, Path(id)).await?;
    redirect(&format!("/orders/{id}"))
}

async fn receive(State(st): State<AppState>, ShopBuyer(b): ShopBuyer, WebPath(id): WebPath<i64>) -> WebResult {
    let _ = so::receive(State(st), b, Path(id)).await?;
    redirect(&format!("/orders/{id}"))
}

#[derive(Template)]
#[template(path = "shop/aftersale.html")]
struct AftersalePage {
    c: Ctx,
    o: OrderDto,
}

async fn aftersale_page(
    State(st): State<AppState>,
    c: Ctx,
    ShopBuyer(b): ShopBuyer,
    WebPath(id): WebPath<i64>,
) -> WebResult {
    let Json(o) = so::my_order(State(st), b, Path(id)).await?;
    Ok(AftersalePage { c, o }.render_page())
}

async fn aftersale(
    State(st): State<AppState>,
    ShopBuyer(b): ShopBuyer,
    WebPath(id): WebPath<i64>,
    f: Fields,
) -> WebResult {
    let lines =
        f.0.iter()
            .filter_map(|(k, v)| {
                let line_id = k.strip_prefix("qty_")?.parse().ok()?;
                let quantity: i64 = v.trim().parse().ok()?;
                (quantity > 0).then_some(crate::aftersales::AftersaleLine { line_id, quantity, amount: 0, points: 0 })
            })
            .collect();
    let req = AftersaleRequest { kind: f.get("kind").into(), lines, reason: f.get("reason").into(), images: vec![] };
    let _ = as_routes::request(State(st), b, Path(id), ApiJson(req)).await?;
    redirect("/aftersales")
}

#[derive(Template)]
#[template(path = "shop/aftersales.html")]
struct AftersalesPage {
    c: Ctx,
    items: Vec<AftersaleDto>,
}

async fn aftersales(State(st): State<AppState>, c: Ctx, ShopBuyer(b): ShopBuyer) -> WebResult {
    let Json(list) = as_routes::mine(
        State(st),
        b,
        ApiQuery(as_routes::AftersaleQuery { status: None, page: None, page_size: Some(50) }),
    )
    .await?;
    Ok(AftersalesPage { c, items: list.items }.render_page())
}

// ---- coupons and points ---------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "shop/coupons.html")]
struct CouponsPage {
    c: Ctx,
    mine: Vec<CouponDto>,
    claimable: Vec<CouponTemplateDto>,
}

async fn coupons(State(st): State<AppState>, c: Ctx, ShopBuyer(b): ShopBuyer) -> WebResult {
    let Json(mine) =
        sp::wallet(State(st.clone()), b, ApiQuery(sp::WalletQuery { view: None, page: None, page_size: Some(100) }))
            .await?;
    let Json(claimable) = sp::claimable(State(st), ApiQuery(PageQuery { page: None, page_size: Some(100) })).await?;
    Ok(CouponsPage { c, mine: mine.items, claimable: claimable.items }.render_page())
}

async fn claim(State(st): State<AppState>, ShopBuyer(b): ShopBuyer, WebPath(id): WebPath<i64>) -> WebResult {
    let _ = sp::claim(State(st), b, Path(id)).await?;
    redirect("/coupons")
}

#[derive(Template)]
#[template(path = "shop/points.html")]
struct PointsPage {
    c: Ctx,
    p: PointsDto,
}

async fn points(State(st): State<AppState>, c: Ctx, ShopBuyer(b): ShopBuyer) -> WebResult {
    let Json(p) = sp::points(State(st), b, ApiQuery(PageQuery { page: None, page_size: Some(50) })).await?;
    Ok(PointsPage { c, p }.render_page())
}

// ---- flash sales ----------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "shop/flash.html")]
struct FlashPage {
    c: Ctx,
    f: FlashSaleDto,
    /// Idempotency key of this page's purchase: a double submit buys once.
    idem: String,
}

async fn flash_page(State(st): State<AppState>, c: Ctx, WebPath(id): WebPath<i64>) -> WebResult {
    let Json(f) = flash_sales::shop_flash_sale(State(st), Path(id)).await?;
    Ok(FlashPage { c, f, idem: crate::auth::new_token("web_") }.render_page())
}

/// Buy in a flash sale through the flash-sale engine, then pay like any order.
async fn flash_buy(
    State(st): State<AppState>,
    ShopBuyer(b): ShopBuyer,
    mut headers: HeaderMap,
    WebPath(id): WebPath<i64>,
    f: Fields,
) -> WebResult {
    headers.insert(
        "idempotency-key",
        HeaderValue::from_str(f.get("idem")).map_err(|_| ApiError::invalid("idem", "bad form key"))?,
    );
    let addresses = st.store.addresses(b.id).await?;
    let address_id = addresses.iter().find(|a| a.is_default != 0).or(addresses.first()).map(|a| a.id);
    let req = flash_sales::FlashPurchase { sku_id: f.int("sku_id"), quantity: f.int("quantity"), address_id };
    let resp = flash_sales::buy(State(st), b, headers, Path(id), ApiJson(req)).await?;
    let status = resp.status();
    let body = axum::body::to_bytes(resp.into_body(), 1 << 20).await.map_err(ApiError::internal)?;
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    if !status.is_success() {
        let msg = v["error"]["message"].as_str().unwrap_or("refused").to_string();
        return Err(ApiError::new(status, "refused", msg).into());
    }
    let order_id = v["order_id"].as_i64().ok_or_else(|| ApiError::internal("flash order without id"))?;
    redirect(&format!("/orders/{order_id}/pay"))
}

//! Storefront pages of orders: cart, checkout, the buyer's orders, sandbox payment, cancel, receipt.

use crate::error::ApiReason;
use crate::orders::refusals::OrderRefusal;
use crate::orders::tabs::{OrderCounts, OrderTab};
use crate::web::shop::prelude::*;
use minimall_core::OrderId;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/cart", get(cart))
        .route("/cart/add", post(cart_add))
        .route("/cart/{id}", post(cart_change))
        .route("/cart/{id}/remove", post(cart_remove))
        .route("/checkout", get(checkout).post(place_order))
        .route("/orders", get(orders))
        .route("/orders/{id}", get(order))
        .route("/orders/{id}/pay", get(pay_page).post(pay))
        .route("/orders/{id}/pay-balance", post(pay_from_balance))
        .route("/orders/{id}/cancel", post(cancel))
        .route("/orders/{id}/receive", post(receive))
        .route("/orders/{id}/buy-again", post(buy_again))
}

#[derive(Template)]
#[template(path = "shop/cart.html")]
struct CartPage {
    c: Ctx,
    cart: CartDto,
    /// Buyers also bought.
    recos: Vec<crate::analytics::recommend_pages::RecoBlock>,
}

async fn cart(State(st): State<AppState>, c: Ctx, ShopBuyer(b): ShopBuyer) -> WebResult {
    let cart = crate::orders::buying::cart(&st, &b).await?;
    let recos = vec![crate::analytics::recommend_pages::cart_block(&st, b.id, c.t("reco.cart")).await];
    Ok(CartPage { c, cart, recos }.render_page())
}

async fn cart_add(State(st): State<AppState>, c: Ctx, MaybeBuyer(b): MaybeBuyer, f: Fields) -> WebResult {
    let Some(b) = b else {
        // Logged out: log in, then the same product goes into the cart.
        let keep: Vec<(&str, String)> =
            ["sku_id", "quantity", "buy_now"].iter().map(|k| (*k, f.get(k).to_string())).collect();
        return crate::web::shop::login_then("/cart/add", &keep);
    };
    let sku_id = f.int("sku_id").ok_or_else(|| ApiError::invalid_because("sku_id", &OrderRefusal::ChooseSpec))?;
    let quantity = f.int("quantity").unwrap_or(1);
    let _ = crate::orders::buying::cart_add(&st, &b, so::CartAdd { sku_id, quantity }).await?;
    if f.get("buy_now") == "1" {
        return redirect("/checkout");
    }
    redirect_toast("/cart", c.t("shop.added_to_cart"), false)
}

async fn cart_change(
    State(st): State<AppState>,
    ShopBuyer(b): ShopBuyer,
    WebPath(id): WebPath<i64>,
    f: Fields,
) -> WebResult {
    let selected = f.opt("selected").map(|v| v == "1");
    let _ = crate::orders::buying::cart_change(&st, &b, id, so::CartChange { quantity: f.int("quantity"), selected })
        .await?;
    redirect("/cart")
}

async fn cart_remove(State(st): State<AppState>, ShopBuyer(b): ShopBuyer, WebPath(id): WebPath<i64>) -> WebResult {
    let _ = crate::orders::buying::cart_remove(&st, &b, id).await?;
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
    let cart = crate::orders::buying::cart(&st, &b).await?;
    let items: Vec<CartItem> = cart
        .items
        .iter()
        .filter(|l| l.selected && l.available)
        .map(|l| CartItem { sku_id: l.sku_id, quantity: l.quantity })
        .collect();
    if items.is_empty() {
        return redirect("/cart");
    }
    let addr = crate::promotions::wallet::list_addresses(&st, &b).await?;
    let address_id = q
        .address_id
        .filter(|id| addr.items.iter().any(|a| a.id == *id))
        .or_else(|| addr.items.iter().find(|a| a.is_default).or(addr.items.first()).map(|a| a.id));
    let points = q.points.unwrap_or(0).max(0);
    let quote_with = |coupon_ids: Vec<i64>| {
        crate::promotions::wallet::quote(
            &st,
            &b,
            sp::QuoteRequest { items: items.clone(), coupon_ids, points, address_id },
            c.lang,
        )
    };
    let mut quote = quote_with(q.coupon.filter(|c| *c > 0).into_iter().collect()).await?;
    let coupon_id = match q.coupon {
        Some(c) => c,
        None => match quote.suggested_coupon_id {
            // The best coupon is chosen for the buyer unless they chose otherwise.
            Some(best) => {
                quote = quote_with(vec![best]).await?;
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
        idem: crate::accounts::auth::new_token("web_"),
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
    headers.insert(
        "idempotency-key",
        HeaderValue::from_str(key).map_err(|_| ApiError::invalid_because("idem", &ApiReason::BadFormKey))?,
    );
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
    let resp = crate::orders::buying::create_order(&st, &b, &Call::from_headers(&headers), req).await?;
    let status = StatusCode::from_u16(resp.status).unwrap_or(StatusCode::OK);
    let v: serde_json::Value = serde_json::from_str(&resp.body).map_err(ApiError::internal)?;
    if status == StatusCode::CONFLICT {
        // The price changed since the page was shown: show the new one.
        return Err(WebError::Redirect("/checkout?changed=1".into()));
    }
    if !status.is_success() {
        return Err(crate::error::kept_refusal(status, &v).into());
    }
    let id = v["id"].as_i64().ok_or_else(|| ApiError::internal("order without id"))?;
    redirect(&format!("/orders/{id}/pay"))
}

#[derive(Deserialize)]
struct OrdersQuery {
    status: Option<String>,
    tab: Option<String>,
    page: Option<i64>,
}

/// A tab of 我的订单: its address, label, count (none for 全部) and whether it is the one shown.
pub(crate) struct TabLink {
    pub href: String,
    pub label: &'static str,
    pub count: Option<i64>,
    pub on: bool,
}

/// The tabs of 我的订单 with their counts; 售后 leads to the after-sales list.
pub(crate) fn order_tabs(c: &Ctx, counts: &OrderCounts, current: Option<OrderTab>, on_list: bool) -> Vec<TabLink> {
    let mut tabs =
        vec![TabLink { href: "/orders".into(), label: c.t("shop.all"), count: None, on: on_list && current.is_none() }];
    for tab in OrderTab::ALL {
        tabs.push(TabLink {
            href: format!("/orders?tab={}", tab.as_str()),
            label: c.tp("shop.tab_", tab.as_str()),
            count: Some(counts.of(tab)),
            on: current == Some(tab),
        });
    }
    tabs.push(TabLink {
        href: "/aftersales".into(),
        label: c.t("shop.tab_aftersale"),
        count: Some(counts.aftersale),
        on: !on_list,
    });
    tabs
}

#[derive(Template)]
#[template(path = "shop/orders.html")]
struct OrdersPage {
    c: Ctx,
    tabs: Vec<TabLink>,
    orders: Vec<OrderDto>,
    next: Option<String>,
}

async fn orders(
    State(st): State<AppState>,
    c: Ctx,
    ShopBuyer(b): ShopBuyer,
    WebQuery(q): WebQuery<OrdersQuery>,
) -> WebResult {
    // The old links by status still work: 待付款 is a tab of its own.
    let tab = q.tab.as_deref().and_then(OrderTab::parse).or(match q.status.as_deref() {
        Some("pending_payment") => Some(OrderTab::ToPay),
        _ => None,
    });
    let status = if tab.is_some() { String::new() } else { q.status.unwrap_or_default() };
    let page = q.page.unwrap_or(1);
    let list = crate::orders::buying::my_orders(
        &st,
        &b,
        c.lang,
        so::MyOrdersQuery { status: Some(status.clone()), tab, page: Some(page), page_size: Some(20) },
    )
    .await?;
    let counts = crate::orders::tabs::order_counts(&st, &b).await?;
    let tabs = order_tabs(&c, &counts, tab, true);
    let next = (page * 20 < list.total).then(|| {
        let mut q = vec![("page", (page + 1).to_string())];
        if let Some(t) = tab {
            q.push(("tab", t.as_str().to_string()));
        } else if !status.is_empty() {
            q.push(("status", status.clone()));
        }
        crate::web::view::with_query("/orders", &q)
    });
    Ok(OrdersPage { c, tabs, orders: list.items, next }.render_page())
}

#[derive(Template)]
#[template(path = "shop/order.html")]
struct OrderPage {
    c: Ctx,
    o: OrderDto,
    paying: bool,
    can_aftersale: bool,
    address: String,
    logistics: crate::orders::logistics::LogisticsDto,
}

async fn order(State(st): State<AppState>, c: Ctx, ShopBuyer(b): ShopBuyer, WebPath(id): WebPath<i64>) -> WebResult {
    let o = crate::orders::buying::my_order(&st, &b, c.lang, id).await?;
    let paying = o.status == "pending_payment" && st.store.payment_for_order(OrderId::new(o.id)).await?.is_some();
    let can_aftersale = o.paid_at.is_some() && !matches!(o.status.as_str(), "cancelled" | "closed" | "pending_payment");
    let address = o.address.as_ref().map(crate::web::view::address_line).unwrap_or_default();
    let logistics = crate::orders::logistics::of_order(&st, o.id).await?;
    Ok(OrderPage { c, o, paying, can_aftersale, address, logistics }.render_page())
}

#[derive(Template)]
#[template(path = "shop/pay.html")]
struct PayPage {
    c: Ctx,
    o: OrderDto,
    sandbox: bool,
    /// The buyer's stored value, in fen.
    balance: i64,
    /// Why paying from the balance was refused (a message), when it was.
    balance_refused: Option<String>,
}

#[derive(Deserialize)]
struct PayQuery {
    short: Option<i64>,
    other: Option<i64>,
}

async fn pay_page(
    State(st): State<AppState>,
    c: Ctx,
    ShopBuyer(b): ShopBuyer,
    WebPath(id): WebPath<i64>,
    WebQuery(q): WebQuery<PayQuery>,
) -> WebResult {
    let o = crate::orders::buying::my_order(&st, &b, c.lang, id).await?;
    if o.status != "pending_payment" {
        return redirect(&format!("/orders/{id}"));
    }
    let balance = crate::stored_value::own_summary(&st, &b).await?.balance;
    let balance_refused = match (q.short, q.other) {
        (Some(_), _) => Some(c.t("sv.short").to_string()),
        (None, Some(_)) => Some(c.t("sv.other_provider").to_string()),
        _ => None,
    };
    Ok(PayPage { c, o, sandbox: st.cfg.sandbox, balance, balance_refused }.render_page())
}

/// Pay from the balance (余额支付): the order turns paid at once.
async fn pay_from_balance(
    State(st): State<AppState>,
    c: Ctx,
    ShopBuyer(b): ShopBuyer,
    WebPath(id): WebPath<i64>,
) -> WebResult {
    let req = so::PayRequest { provider: crate::stored_value::PROVIDER.into() };
    match crate::orders::buying::pay(&st, &b, id, req).await {
        Ok(_) => redirect_toast(&format!("/orders/{id}"), c.t("sv.paid"), false),
        Err(e) if e.status == StatusCode::CONFLICT && e.field.as_deref() == Some("provider") => {
            redirect(&format!("/orders/{id}/pay?short=1"))
        }
        Err(e) if e.status.is_client_error() && e.field.as_deref() == Some("provider") => {
            redirect(&format!("/orders/{id}/pay?other=1"))
        }
        Err(e) => Err(e.into()),
    }
}

/// Pay in the sandbox: start the payment and complete it, as a buyer would in the provider's page. The
/// order turns paid when the provider's signed notification arrives.
async fn pay(State(st): State<AppState>, ShopBuyer(b): ShopBuyer, WebPath(id): WebPath<i64>) -> WebResult {
    let start = crate::orders::buying::pay(&st, &b, id, so::PayRequest { provider: "sandbox".into() }).await?;
    crate::orders::buying::sandbox_complete(&st, &b, start.out_trade_no).await?;
    redirect(&format!("/orders/{id}"))
}

async fn cancel(State(st): State<AppState>, c: Ctx, ShopBuyer(b): ShopBuyer, WebPath(id): WebPath<i64>) -> WebResult {
    let _ = crate::orders::buying::cancel(&st, &b, c.lang, id).await?;
    redirect_toast(&format!("/orders/{id}"), c.t("shop.cancelled_ok"), false)
}

async fn receive(State(st): State<AppState>, c: Ctx, ShopBuyer(b): ShopBuyer, WebPath(id): WebPath<i64>) -> WebResult {
    let _ = crate::orders::buying::receive(&st, &b, c.lang, id).await?;
    redirect_toast(&format!("/orders/{id}"), c.t("shop.received_ok"), false)
}

async fn buy_again(
    State(st): State<AppState>,
    c: Ctx,
    ShopBuyer(b): ShopBuyer,
    WebPath(id): WebPath<i64>,
) -> WebResult {
    let done = crate::orders::tabs::buy_again(&st, &b, id).await?;
    let text = if done.skipped > 0 { c.t("shop.bought_again_partly") } else { c.t("shop.bought_again") };
    redirect_toast("/cart", text, false)
}

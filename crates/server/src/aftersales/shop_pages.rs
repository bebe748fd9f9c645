//! Storefront pages of after-sales: a request for an order's lines, the buyer's requests.

use crate::web::shop::prelude::*;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/orders/{id}/aftersale", get(aftersale_page).post(aftersale))
        .route("/aftersales", get(aftersales))
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
    let o = crate::orders::buying::my_order(&st, &b, c.lang, id).await?;
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
    let _ = crate::aftersales::cases::request(&st, &b, id, req).await?;
    redirect("/aftersales")
}

#[derive(Template)]
#[template(path = "shop/aftersales.html")]
struct AftersalesPage {
    c: Ctx,
    tabs: Vec<crate::orders::shop_pages::TabLink>,
    items: Vec<AftersaleDto>,
}

async fn aftersales(State(st): State<AppState>, c: Ctx, ShopBuyer(b): ShopBuyer) -> WebResult {
    let list = crate::aftersales::cases::mine(
        &st,
        &b,
        as_routes::AftersaleQuery { status: None, page: None, page_size: Some(50) },
    )
    .await?;
    let counts = crate::orders::tabs::order_counts(&st, &b).await?;
    let tabs = crate::orders::shop_pages::order_tabs(&c, &counts, None, false);
    Ok(AftersalesPage { c, tabs, items: list.items }.render_page())
}

// ---- coupons and points ---------------------------------------------------------------------------

//! Storefront pages of promotions: coupons to claim and held, points, a new address.

use crate::web::shop::prelude::*;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/addresses", post(add_address))
        .route("/coupons", get(coupons))
        .route("/coupons/{id}/claim", post(claim))
        .route("/points", get(points))
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
    let _ = crate::promotions::wallet::create_address(&st, &b, input).await?;
    redirect("/checkout")
}

// ---- orders ---------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "shop/coupons.html")]
struct CouponsPage {
    c: Ctx,
    mine: Vec<CouponDto>,
    claimable: Vec<CouponTemplateDto>,
}

async fn coupons(State(st): State<AppState>, c: Ctx, ShopBuyer(b): ShopBuyer) -> WebResult {
    let mine =
        crate::promotions::wallet::wallet(&st, &b, sp::WalletQuery { view: None, page: None, page_size: Some(100) })
            .await?;
    let claimable = crate::promotions::wallet::claimable(&st, PageQuery { page: None, page_size: Some(100) }).await?;
    Ok(CouponsPage { c, mine: mine.items, claimable: claimable.items }.render_page())
}

async fn claim(State(st): State<AppState>, ShopBuyer(b): ShopBuyer, WebPath(id): WebPath<i64>) -> WebResult {
    let _ = crate::promotions::wallet::claim(&st, &b, id).await?;
    redirect("/coupons")
}

#[derive(Template)]
#[template(path = "shop/points.html")]
struct PointsPage {
    c: Ctx,
    p: PointsDto,
}

async fn points(State(st): State<AppState>, c: Ctx, ShopBuyer(b): ShopBuyer) -> WebResult {
    let p = crate::promotions::wallet::points(&st, &b, PageQuery { page: None, page_size: Some(50) }).await?;
    Ok(PointsPage { c, p }.render_page())
}

// ---- flash sales ----------------------------------------------------------------------------------

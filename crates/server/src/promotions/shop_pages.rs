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
    /// Each template to claim, with whether the buyer holds one unused (已领取 / 去使用) or may claim no more.
    claimable: Vec<(CouponTemplateDto, Held)>,
}

#[derive(PartialEq, Eq)]
enum Held {
    No,
    Unused,
    LimitReached,
}

impl Held {
    fn unused(&self) -> bool {
        *self == Held::Unused
    }
    fn maxed(&self) -> bool {
        *self == Held::LimitReached
    }
}

async fn coupons(State(st): State<AppState>, c: Ctx, ShopBuyer(b): ShopBuyer) -> WebResult {
    let view = |v: &str| sp::WalletQuery { view: Some(v.into()), page: None, page_size: Some(100) };
    let mine = crate::promotions::wallet::wallet(&st, &b, view("available")).await?.items;
    let mut spent = crate::promotions::wallet::wallet(&st, &b, view("used")).await?.items;
    spent.extend(crate::promotions::wallet::wallet(&st, &b, view("expired")).await?.items);
    let claimable = crate::promotions::wallet::claimable(&st, PageQuery { page: None, page_size: Some(100) }).await?;
    let claimable = claimable
        .items
        .into_iter()
        .map(|t| {
            let held = if mine.iter().any(|m| m.template_id == t.id) {
                Held::Unused
            } else if t.per_buyer_limit > 0
                && spent.iter().filter(|m| m.template_id == t.id).count() as i64 >= t.per_buyer_limit
            {
                Held::LimitReached
            } else {
                Held::No
            };
            (t, held)
        })
        .collect();
    Ok(CouponsPage { c, mine, claimable }.render_page())
}

async fn claim(State(st): State<AppState>, c: Ctx, ShopBuyer(b): ShopBuyer, WebPath(id): WebPath<i64>) -> WebResult {
    let _ = crate::promotions::wallet::claim(&st, &b, id).await?;
    redirect_toast("/coupons", c.t("shop.claimed"), false)
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

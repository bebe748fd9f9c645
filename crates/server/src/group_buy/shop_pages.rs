//! Storefront pages of group buying: a group's page (members' avatars, seats left, countdown, joining) and the
//! forms that open or join a group, which place the order through the group-buying use case and go on to pay.

use crate::group_buy::refusals::GroupBuyRefusal;
use crate::group_buy::shop_api::{group_view, ShopGroupDto};
use crate::group_buy::{self as gb, GroupOrderInput};
use crate::usecase::Call;
use crate::web::shop::prelude::*;

pub fn routes() -> Router<AppState> {
    Router::new().route("/g/{id}", get(group_page).post(join)).route("/group-buys/{id}/open", post(open))
}

#[derive(Template)]
#[template(path = "shop/group.html")]
struct GroupPage {
    c: Ctx,
    g: ShopGroupDto,
    /// One entry per seat still free (drawn as empty avatars).
    empty_seats: Vec<()>,
    /// Idempotency key of this page's join: a double submit joins once.
    idem: String,
    /// The group's share link under 分享/海报.
    share: Option<crate::share::links::ShareLinkDto>,
    /// The promoter whose link (`pr`) opened the page, for the visit's events.
    landing_promoter: Option<i64>,
}

async fn group_page(
    State(st): State<AppState>,
    c: Ctx,
    ShopBuyer(b): ShopBuyer,
    WebPath(id): WebPath<i64>,
    crate::web::WebQuery(q): crate::web::WebQuery<std::collections::HashMap<String, String>>,
) -> WebResult {
    let g = group_view(&st, &b, id).await?;
    let empty_seats = vec![(); g.seats_left.clamp(0, 100) as usize];
    let share = crate::share::links::for_page(&st, Some(&b), crate::share::links::ShareTarget::Group, Some(id)).await;
    let landing_promoter = crate::share::links::landing_promoter(&st, q.get("pr")).await;
    let idem = crate::accounts::auth::new_token("web_");
    Ok(GroupPage { c, g, empty_seats, idem, share, landing_promoter }.render_page())
}

/// Place the group order with the buyer's default address, then pay. A refusal (the group full, closed, …)
/// answers a page in the page's language.
async fn place(
    st: &AppState,
    c: &Ctx,
    b: &crate::accounts::auth::Buyer,
    headers: &HeaderMap,
    activity: i64,
    group: Option<i64>,
    f: &Fields,
) -> WebResult {
    match place_order(st, b, headers, activity, group, f).await {
        Err(WebError::Api(e))
            if e.code.starts_with("group_buy.") && crate::web::i18n::has(&format!("gb.err.{}", e.code)) =>
        {
            Ok(crate::web::error_page_in(c.lang, e.status, "gb.refused", &format!("gb.err.{}", e.code)))
        }
        other => other,
    }
}

async fn place_order(
    st: &AppState,
    b: &crate::accounts::auth::Buyer,
    headers: &HeaderMap,
    activity: i64,
    group: Option<i64>,
    f: &Fields,
) -> WebResult {
    let call = Call::from_headers(headers).with_form_key(f.get("idem"))?;
    let addresses = st.store.addresses(b.id).await?;
    let Some(address_id) = addresses.iter().find(|a| a.is_default != 0).or(addresses.first()).map(|a| a.id) else {
        return redirect("/checkout");
    };
    let sku_id = f.int("sku_id").ok_or_else(|| ApiError::invalid_because("sku_id", &GroupBuyRefusal::ChooseSku))?;
    let input = GroupOrderInput { group_id: group, sku_id, address_id, coupon_ids: Vec::new(), remark: String::new() };
    let (body, _) = gb::place(st, b, &call, activity, &input).await?;
    let v: serde_json::Value = serde_json::from_str(&body).map_err(ApiError::internal)?;
    let order_id = v["order"]["id"].as_i64().ok_or_else(|| ApiError::internal("group order without id"))?;
    redirect(&format!("/orders/{order_id}/pay"))
}

async fn join(
    State(st): State<AppState>,
    c: Ctx,
    ShopBuyer(b): ShopBuyer,
    headers: HeaderMap,
    WebPath(id): WebPath<i64>,
    f: Fields,
) -> WebResult {
    let g = st.store.group(b.merchant_id, id).await?.ok_or_else(|| ApiError::not_found("group"))?;
    place(&st, &c, &b, &headers, g.activity_id, Some(g.id), &f).await
}

async fn open(
    State(st): State<AppState>,
    c: Ctx,
    ShopBuyer(b): ShopBuyer,
    headers: HeaderMap,
    WebPath(id): WebPath<i64>,
    f: Fields,
) -> WebResult {
    place(&st, &c, &b, &headers, id, None, &f).await
}

//! Storefront pages of the buyer's own collections: 我的收藏, 我的足迹 and the address book (地址管理), and the
//! favourite button of the product page.

use super::SavedProductDto;
use crate::promotions::shop_api::{AddressDto, AddressInput};
use crate::web::shop::prelude::*;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/me/favourites", get(favourites))
        .route("/me/history", get(history))
        .route("/me/history/clear", post(clear_history))
        .route("/me/history/{id}/forget", post(forget))
        .route("/favourites/{id}", post(toggle))
        .route("/me/addresses", get(addresses).post(create_address))
        .route("/me/addresses/new", get(new_address))
        .route("/me/addresses/{id}", get(edit_address).post(update_address))
        .route("/me/addresses/{id}/default", post(make_default))
        .route("/me/addresses/{id}/delete", post(delete_address))
}

const PER_PAGE: i64 = 20;

#[derive(Deserialize)]
struct PageOnly {
    page: Option<i64>,
}

#[derive(Template)]
#[template(path = "shop/saved.html")]
struct SavedPage {
    c: Ctx,
    heading: &'static str,
    history: bool,
    total: i64,
    items: Vec<SavedProductDto>,
    prev: Option<String>,
    next: Option<String>,
}

fn saved_page(c: Ctx, history: bool, list: crate::http::Paginated<SavedProductDto>, path: &str) -> SavedPage {
    let page = list.page;
    SavedPage {
        heading: c.t(if history { "saved.history" } else { "saved.favourites" }),
        c,
        history,
        total: list.total,
        prev: (page > 1).then(|| format!("{path}?page={}", page - 1)),
        next: (page * PER_PAGE < list.total).then(|| format!("{path}?page={}", page + 1)),
        items: list.items,
    }
}

async fn favourites(
    State(st): State<AppState>,
    c: Ctx,
    ShopBuyer(b): ShopBuyer,
    WebQuery(q): WebQuery<PageOnly>,
) -> WebResult {
    let list = super::favourites(&st, &b, PageQuery { page: q.page, page_size: Some(PER_PAGE) }).await?;
    Ok(saved_page(c, false, list, "/me/favourites").render_page())
}

async fn history(
    State(st): State<AppState>,
    c: Ctx,
    ShopBuyer(b): ShopBuyer,
    WebQuery(q): WebQuery<PageOnly>,
) -> WebResult {
    let list = super::history(&st, &b, PageQuery { page: q.page, page_size: Some(PER_PAGE) }).await?;
    Ok(saved_page(c, true, list, "/me/history").render_page())
}

async fn clear_history(State(st): State<AppState>, c: Ctx, ShopBuyer(b): ShopBuyer) -> WebResult {
    super::forget(&st, &b, None).await?;
    redirect_toast("/me/history", c.t("saved.cleared"), false)
}

async fn forget(State(st): State<AppState>, ShopBuyer(b): ShopBuyer, WebPath(id): WebPath<i64>) -> WebResult {
    super::forget(&st, &b, Some(id)).await?;
    redirect("/me/history")
}

/// Save or forget a product (`action` = save | remove), back to the product page or (`back` = list) to 我的收藏.
/// A logged-out buyer logs in first and the action goes on.
async fn toggle(
    State(st): State<AppState>,
    c: Ctx,
    MaybeBuyer(b): MaybeBuyer,
    WebPath(id): WebPath<i64>,
    f: Fields,
) -> WebResult {
    let save = f.get("action") != "remove";
    let to_list = f.get("back") == "list";
    let Some(b) = b else {
        let action = if save { "save" } else { "remove" };
        return crate::web::shop::login_then(&format!("/favourites/{id}"), &[("action", action.to_string())]);
    };
    let back = if to_list { "/me/favourites".to_string() } else { format!("/p/{id}") };
    if save {
        super::save(&st, &b, id).await?;
        redirect_toast(&back, c.t("saved.saved"), false)
    } else {
        super::unsave(&st, &b, id).await?;
        redirect_toast(&back, c.t("saved.unsaved"), false)
    }
}

#[derive(Template)]
#[template(path = "shop/addresses.html")]
struct AddressesPage {
    c: Ctx,
    items: Vec<AddressDto>,
}

async fn addresses(State(st): State<AppState>, c: Ctx, ShopBuyer(b): ShopBuyer) -> WebResult {
    let items = crate::promotions::wallet::list_addresses(&st, &b).await?.items;
    Ok(AddressesPage { c, items }.render_page())
}

#[derive(Template)]
#[template(path = "shop/address_form.html")]
struct AddressForm {
    c: Ctx,
    id: i64,
    a: AddressDto,
}

async fn new_address(c: Ctx, ShopBuyer(_): ShopBuyer) -> WebResult {
    let a = AddressDto {
        id: 0,
        name: String::new(),
        phone: String::new(),
        province: String::new(),
        city: String::new(),
        district: String::new(),
        detail: String::new(),
        is_default: false,
    };
    Ok(AddressForm { c, id: 0, a }.render_page())
}

async fn edit_address(
    State(st): State<AppState>,
    c: Ctx,
    ShopBuyer(b): ShopBuyer,
    WebPath(id): WebPath<i64>,
) -> WebResult {
    let a = super::address(&st, &b, id).await?;
    Ok(AddressForm { c, id, a }.render_page())
}

fn address_input(f: &Fields) -> AddressInput {
    AddressInput {
        name: f.get("name").into(),
        phone: f.get("phone").into(),
        province: f.get("province").into(),
        city: f.get("city").into(),
        district: f.get("district").into(),
        detail: f.get("detail").into(),
        is_default: f.checked("is_default"),
    }
}

async fn create_address(State(st): State<AppState>, c: Ctx, ShopBuyer(b): ShopBuyer, f: Fields) -> WebResult {
    crate::promotions::wallet::create_address(&st, &b, address_input(&f)).await?;
    redirect_toast("/me/addresses", c.t("addr.saved"), false)
}

async fn update_address(
    State(st): State<AppState>,
    c: Ctx,
    ShopBuyer(b): ShopBuyer,
    WebPath(id): WebPath<i64>,
    f: Fields,
) -> WebResult {
    super::update_address(&st, &b, id, address_input(&f)).await?;
    redirect_toast("/me/addresses", c.t("addr.saved"), false)
}

async fn make_default(
    State(st): State<AppState>,
    c: Ctx,
    ShopBuyer(b): ShopBuyer,
    WebPath(id): WebPath<i64>,
) -> WebResult {
    super::make_default(&st, &b, id).await?;
    redirect_toast("/me/addresses", c.t("addr.saved"), false)
}

async fn delete_address(
    State(st): State<AppState>,
    c: Ctx,
    ShopBuyer(b): ShopBuyer,
    WebPath(id): WebPath<i64>,
) -> WebResult {
    super::delete_address(&st, &b, id).await?;
    redirect_toast("/me/addresses", c.t("addr.deleted"), false)
}

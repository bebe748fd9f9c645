//! The storefront page of the buyer's stored value (我的余额): the balance and its movements.

use crate::web::shop::prelude::*;

pub fn routes() -> Router<AppState> {
    Router::new().route("/me/balance", get(balance))
}

const PER_PAGE: i64 = 20;

#[derive(Deserialize)]
struct PageOnly {
    page: Option<i64>,
}

#[derive(Template)]
#[template(path = "shop/balance.html")]
struct BalancePage {
    c: Ctx,
    balance: i64,
    moves: Vec<super::StoredValueMoveDto>,
    prev: Option<String>,
    next: Option<String>,
}

async fn balance(
    State(st): State<AppState>,
    c: Ctx,
    ShopBuyer(b): ShopBuyer,
    WebQuery(q): WebQuery<PageOnly>,
) -> WebResult {
    let balance = super::own_summary(&st, &b).await?.balance;
    let list = super::moves(&st, b.merchant_id, b.id, &PageQuery { page: q.page, page_size: Some(PER_PAGE) }).await?;
    let page = list.page;
    Ok(BalancePage {
        c,
        balance,
        moves: list.items,
        prev: (page > 1).then(|| format!("/me/balance?page={}", page - 1)),
        next: (page * PER_PAGE < list.total).then(|| format!("/me/balance?page={}", page + 1)),
    }
    .render_page())
}

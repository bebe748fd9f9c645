//! Console pages of reviews: the list (待回复 first), replying, hiding and showing again.

use super::{AdminReviewsQuery, HideInput, ReplyInput, ReviewDto};
use crate::web::console::prelude::*;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/reviews", get(reviews))
        .route("/admin/reviews/{id}/reply", post(reply))
        .route("/admin/reviews/{id}/hide", post(hide))
}

#[derive(Deserialize)]
struct Query {
    unreplied: Option<String>,
    page: Option<i64>,
}

#[derive(Template)]
#[template(path = "admin/reviews.html")]
struct ReviewsPage {
    c: Ctx,
    nav: Nav,
    unreplied: bool,
    can_manage: bool,
    items: Vec<ReviewDto>,
    total: i64,
    next: Option<String>,
}

async fn reviews(
    State(st): State<AppState>,
    c: Ctx,
    Console(a): Console<ReadOrders>,
    WebQuery(q): WebQuery<Query>,
) -> WebResult {
    let unreplied = q.unreplied.as_deref() == Some("1");
    let page = q.page.unwrap_or(1).max(1);
    let list = super::list(
        &st,
        a.merchant_id,
        AdminReviewsQuery { unreplied: Some(unreplied), page: Some(page), page_size: Some(30) },
    )
    .await?;
    let next = (page * 30 < list.total)
        .then(|| format!("/admin/reviews?unreplied={}&page={}", if unreplied { "1" } else { "" }, page + 1));
    let nav = nav(&c, &a);
    let can_manage = may(&a, Permission::ManageOrders);
    Ok(ReviewsPage { c, nav, unreplied, can_manage, total: list.total, items: list.items, next }.render_page())
}

async fn reply(
    State(st): State<AppState>,
    Console(a): Console<ManageOrders>,
    WebPath(id): WebPath<i64>,
    headers: HeaderMap,
    f: Fields,
) -> WebResult {
    let _ =
        super::reply(&st, &a, &Call::from_headers(&headers), id, ReplyInput { reply: f.get("reply").into() }).await?;
    back(&referer_or(&headers, "/admin/reviews"))
}

async fn hide(
    State(st): State<AppState>,
    Console(a): Console<ManageOrders>,
    WebPath(id): WebPath<i64>,
    headers: HeaderMap,
    f: Fields,
) -> WebResult {
    let input = HideInput { hidden: f.get("hidden") == "1" };
    let _ = super::hide(&st, &a, &Call::from_headers(&headers), id, input).await?;
    back(&referer_or(&headers, "/admin/reviews"))
}

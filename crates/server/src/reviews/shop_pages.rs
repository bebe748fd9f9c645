//! Storefront pages of reviews: reviewing an order's lines, and a product's reviews with its rating.

use super::{ProductReviewsQuery, RatingDto, ReviewDto, ReviewInput, ReviewTab};
use crate::web::shop::prelude::*;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/orders/{id}/review", get(review_page).post(review))
        .route("/p/{id}/reviews", get(product_reviews))
}

pub(crate) struct LineToReview {
    pub line_id: i64,
    pub title: String,
    pub spec: String,
    pub image: Option<String>,
}

#[derive(Template)]
#[template(path = "shop/review.html")]
struct ReviewPage {
    c: Ctx,
    order_id: i64,
    lines: Vec<LineToReview>,
}

async fn review_page(
    State(st): State<AppState>,
    c: Ctx,
    ShopBuyer(b): ShopBuyer,
    WebPath(id): WebPath<i64>,
) -> WebResult {
    let o = crate::orders::buying::my_order(&st, &b, c.lang, id).await?;
    let done = st.store.reviewed_lines(o.id).await?;
    let lines: Vec<LineToReview> = o
        .lines
        .into_iter()
        .filter(|l| !done.contains(&l.id))
        .map(|l| LineToReview { line_id: l.id, title: l.title, spec: l.spec.join(" / "), image: l.image })
        .collect();
    if lines.is_empty() || !matches!(o.status.as_str(), "received" | "completed") {
        return redirect(&format!("/orders/{id}"));
    }
    Ok(ReviewPage { c, order_id: id, lines }.render_page())
}

async fn review(
    State(st): State<AppState>,
    c: Ctx,
    ShopBuyer(b): ShopBuyer,
    WebPath(id): WebPath<i64>,
    f: Fields,
) -> WebResult {
    let input = ReviewInput {
        line_id: f.int("line_id").unwrap_or(0),
        rating: f.int("rating").unwrap_or(5).clamp(0, 10) as i32,
        text: f.get("text").into(),
        images: f.all("images").into_iter().filter(|s| !s.is_empty()).map(String::from).collect(),
        anonymous: f.checked("anonymous"),
    };
    let _ = super::create(&st, &b, id, input).await?;
    let o = crate::orders::buying::my_order(&st, &b, c.lang, id).await?;
    let done = st.store.reviewed_lines(o.id).await?;
    let next = if o.lines.iter().all(|l| done.contains(&l.id)) {
        "/orders?tab=to_review".to_string()
    } else {
        format!("/orders/{id}/review")
    };
    redirect_toast(&next, c.t("review.thanks"), false)
}

#[derive(Deserialize)]
struct ReviewsQuery {
    tab: Option<String>,
    page: Option<i64>,
}

pub(crate) struct ReviewTabLink {
    pub href: String,
    pub label: &'static str,
    pub count: i64,
    pub on: bool,
}

#[derive(Template)]
#[template(path = "shop/reviews.html")]
struct ReviewsPage {
    c: Ctx,
    product_id: i64,
    title: String,
    rating: RatingDto,
    tabs: Vec<ReviewTabLink>,
    reviews: Vec<ReviewDto>,
    next: Option<String>,
}

async fn product_reviews(
    State(st): State<AppState>,
    c: Ctx,
    WebPath(id): WebPath<i64>,
    WebQuery(q): WebQuery<ReviewsQuery>,
) -> WebResult {
    let p = shop_catalog::shop_product(&st, id).await?;
    let tab = q.tab.as_deref().and_then(ReviewTab::parse).unwrap_or(ReviewTab::All);
    let page = q.page.unwrap_or(1).max(1);
    let r = super::of_product(&st, id, ProductReviewsQuery { tab: Some(tab), page: Some(page), page_size: Some(20) })
        .await?;
    let tabs = ReviewTab::ALL
        .iter()
        .map(|t| ReviewTabLink {
            href: format!("/p/{id}/reviews?tab={}", t.as_str()),
            label: c.tp("review.tab_", t.as_str()),
            count: t.count(&r.rating),
            on: *t == tab,
        })
        .collect();
    let next = (page * 20 < r.reviews.total).then(|| format!("/p/{id}/reviews?tab={}&page={}", tab.as_str(), page + 1));
    Ok(ReviewsPage { c, product_id: id, title: p.title, rating: r.rating, tabs, reviews: r.reviews.items, next }
        .render_page())
}

//! What the storefront pages need to show recommendations: the shopper (the logged-in buyer, else the visitor
//! id kept in the `mm_vid` cookie, which `shop.js` also sends with its events), and a block per placement built
//! by the use cases of `recommend.rs`, as the JSON API's. A block that fails is left out; the page still shows.

use axum::http::{header, HeaderMap, HeaderValue};
use minimall_core::analytics::recommend::Placement;

use super::recommend::{self as uc, Shopper};
use crate::catalog::ProductCard;
use crate::state::AppState;

/// The storefront's anonymous visitor id cookie (not HttpOnly: `shop.js` sends the same id with its events).
pub const VISITOR_COOKIE: &str = "mm_vid";

/// A list shown on a page, each product linking back with the placement (`?rec=`) so its click is logged.
pub struct RecoBlock {
    pub title: &'static str,
    pub placement: &'static str,
    pub items: Vec<ProductCard>,
}

/// The visitor id of the request's cookie, or a new one with the `Set-Cookie` that keeps it.
pub fn visitor(headers: &HeaderMap) -> (String, Option<HeaderValue>) {
    let found = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, v)| *k == VISITOR_COOKIE && minimall_core::analytics::events::is_visitor_id(v))
        .map(|(_, v)| v.to_string());
    match found {
        Some(v) => (v, None),
        None => {
            let v = crate::accounts::auth::new_token("")
                .chars()
                .filter(|c| c.is_ascii_alphanumeric())
                .take(24)
                .collect::<String>();
            let cookie = format!("{VISITOR_COOKIE}={v}; Path=/; Max-Age=31536000; SameSite=Lax");
            (v, HeaderValue::from_str(&cookie).ok())
        }
    }
}

/// The shopper of a page.
pub fn shopper(buyer_id: Option<i64>, visitor: &str) -> Shopper {
    Shopper::new(buyer_id, Some(visitor))
}

fn keep(r: crate::error::ApiResult<uc::Recommendations>, placement: Placement) -> Vec<ProductCard> {
    match r {
        Ok(r) => r.items,
        Err(e) => {
            tracing::warn!(placement = placement.as_str(), error = %e.code, "recommendations not shown");
            Vec::new()
        }
    }
}

/// 看了又看 and 买了又买 for a product page.
pub async fn product_blocks(
    st: &AppState,
    who: &Shopper,
    product_id: i64,
    titles: [&'static str; 2],
) -> Vec<RecoBlock> {
    let mut out = Vec::new();
    for (placement, title) in [Placement::ProductViewed, Placement::ProductBought].into_iter().zip(titles) {
        let items = keep(uc::for_product(st, who, product_id, placement, 6).await, placement);
        out.push(RecoBlock { title, placement: placement.as_str(), items });
    }
    out
}

/// 为你推荐 for the home page.
pub async fn feed_block(st: &AppState, who: &Shopper, title: &'static str) -> RecoBlock {
    let items = keep(uc::feed(st, who, 6).await, Placement::HomeFeed);
    RecoBlock { title, placement: Placement::HomeFeed.as_str(), items }
}

/// Buyers also bought, for the cart page.
pub async fn cart_block(st: &AppState, buyer_id: i64, title: &'static str) -> RecoBlock {
    let items = keep(uc::for_cart(st, buyer_id, 6).await, Placement::CartBought);
    RecoBlock { title, placement: Placement::CartBought.as_str(), items }
}

/// A product page opened from a list (`?rec=<placement>`): log the click. Failing to log does not fail the page.
pub async fn opened_from(st: &AppState, who: &Shopper, rec: Option<&String>, product_id: i64) {
    let Some(placement) = rec.and_then(|r| Placement::parse(r)) else {
        return;
    };
    if let Err(e) = uc::click(st, who, placement, product_id).await {
        tracing::warn!(product_id, error = %e.code, "recommendation click not logged");
    }
}

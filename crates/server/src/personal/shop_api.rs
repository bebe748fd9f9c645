//! The JSON API of the buyer's favourites and browsing history (the address book's is in
//! `promotions::shop_api`, beside checkout).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;

use super::{FavouriteState, SavedProductDto, ViewInput};
use crate::accounts::auth::Buyer;
use crate::error::{ApiResult, ErrorBody};
use crate::http::extract::{ApiJson, ApiQuery, Path};
use crate::http::{PageQuery, Paginated};
use crate::state::AppState;

/// The buyer's saved products (收藏), last saved first, with their price now and whether they are still on sale.
#[utoipa::path(get, path = "/api/v1/shop/favourites", tag = "shop-personal", params(PageQuery), security(("bearer" = [])),
    responses((status = 200, body = Paginated<SavedProductDto>)))]
pub async fn favourites(
    State(st): State<AppState>,
    buyer: Buyer,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<Paginated<SavedProductDto>>> {
    super::favourites(&st, &buyer, q).await.map(Json)
}

/// Whether the buyer saved a product.
#[utoipa::path(get, path = "/api/v1/shop/favourites/{product_id}", tag = "shop-personal", params(("product_id" = i64, Path)),
    security(("bearer" = [])), responses((status = 200, body = FavouriteState)))]
pub async fn favourite(
    State(st): State<AppState>,
    buyer: Buyer,
    Path(product_id): Path<i64>,
) -> ApiResult<Json<FavouriteState>> {
    super::favourite_state(&st, &buyer, product_id).await.map(Json)
}

/// Save a product on sale: 201 when newly saved, 200 when it was saved already.
#[utoipa::path(put, path = "/api/v1/shop/favourites/{product_id}", tag = "shop-personal", params(("product_id" = i64, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = FavouriteState), (status = 201, body = FavouriteState), (status = 404, body = ErrorBody)))]
pub async fn save(
    State(st): State<AppState>,
    buyer: Buyer,
    Path(product_id): Path<i64>,
) -> ApiResult<(StatusCode, Json<FavouriteState>)> {
    let new = super::save(&st, &buyer, product_id).await?;
    let status = if new { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(FavouriteState { product_id, saved: true })))
}

/// Forget a saved product (no error when it was not saved).
#[utoipa::path(delete, path = "/api/v1/shop/favourites/{product_id}", tag = "shop-personal", params(("product_id" = i64, Path)),
    security(("bearer" = [])), responses((status = 204)))]
pub async fn unsave(State(st): State<AppState>, buyer: Buyer, Path(product_id): Path<i64>) -> ApiResult<StatusCode> {
    super::unsave(&st, &buyer, product_id).await.map(|()| StatusCode::NO_CONTENT)
}

/// The buyer's viewed products (足迹), last viewed first; the latest 200 products are kept.
#[utoipa::path(get, path = "/api/v1/shop/history", tag = "shop-personal", params(PageQuery), security(("bearer" = [])),
    responses((status = 200, body = Paginated<SavedProductDto>)))]
pub async fn history(
    State(st): State<AppState>,
    buyer: Buyer,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<Paginated<SavedProductDto>>> {
    super::history(&st, &buyer, q).await.map(Json)
}

/// Record that the buyer viewed a product on sale (apps call this; the storefront records its own views).
#[utoipa::path(post, path = "/api/v1/shop/history", tag = "shop-personal", request_body = ViewInput, security(("bearer" = [])),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn viewed(State(st): State<AppState>, buyer: Buyer, ApiJson(v): ApiJson<ViewInput>) -> ApiResult<StatusCode> {
    super::viewed(&st, &buyer, v.product_id).await.map(|()| StatusCode::NO_CONTENT)
}

/// Clear the buyer's whole history.
#[utoipa::path(delete, path = "/api/v1/shop/history", tag = "shop-personal", security(("bearer" = [])), responses((status = 204)))]
pub async fn clear(State(st): State<AppState>, buyer: Buyer) -> ApiResult<StatusCode> {
    super::forget(&st, &buyer, None).await.map(|()| StatusCode::NO_CONTENT)
}

/// Forget one product of the buyer's history.
#[utoipa::path(delete, path = "/api/v1/shop/history/{product_id}", tag = "shop-personal", params(("product_id" = i64, Path)),
    security(("bearer" = [])), responses((status = 204)))]
pub async fn forget(State(st): State<AppState>, buyer: Buyer, Path(product_id): Path<i64>) -> ApiResult<StatusCode> {
    super::forget(&st, &buyer, Some(product_id)).await.map(|()| StatusCode::NO_CONTENT)
}

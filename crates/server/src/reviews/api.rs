//! The JSON API of reviews: the buyer writes and reads their own; anyone reads a product's visible ones; the
//! console lists, replies and hides.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;

use super::{AdminReviewsQuery, HideInput, ProductReviews, ProductReviewsQuery, ReplyInput, ReviewDto, ReviewInput};
use crate::accounts::auth::{Admin, Buyer, ManageOrders, ReadOrders};
use crate::error::{ApiResult, ErrorBody};
use crate::http::extract::{ApiJson, ApiQuery, Path};
use crate::http::{PageQuery, Paginated};
use crate::state::AppState;
use crate::usecase::Call;

/// Review a line of one of the buyer's received orders (once per line).
#[utoipa::path(post, path = "/api/v1/shop/orders/{id}/reviews", tag = "shop-reviews", request_body = ReviewInput, params(("id" = i64, Path)),
    security(("bearer" = [])),
    responses((status = 201, body = ReviewDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(st): State<AppState>,
    buyer: Buyer,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<ReviewInput>,
) -> ApiResult<(StatusCode, Json<ReviewDto>)> {
    super::create(&st, &buyer, id, input).await.map(|r| (StatusCode::CREATED, Json(r)))
}

/// The buyer's own reviews, newest first (those the shop hid too, marked).
#[utoipa::path(get, path = "/api/v1/shop/reviews", tag = "shop-reviews", params(PageQuery), security(("bearer" = [])),
    responses((status = 200, body = Paginated<ReviewDto>)))]
pub async fn mine(
    State(st): State<AppState>,
    buyer: Buyer,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<Paginated<ReviewDto>>> {
    super::mine(&st, &buyer, q).await.map(Json)
}

/// A product's visible reviews with its rating and the counts of each tab (with images, good, neutral, bad).
#[utoipa::path(get, path = "/api/v1/shop/products/{id}/reviews", tag = "shop-reviews", params(("id" = i64, Path), ProductReviewsQuery),
    responses((status = 200, body = ProductReviews)))]
pub async fn of_product(
    State(st): State<AppState>,
    Path(id): Path<i64>,
    ApiQuery(q): ApiQuery<ProductReviewsQuery>,
) -> ApiResult<Json<ProductReviews>> {
    super::of_product(&st, id, q).await.map(Json)
}

/// The shop's reviews, newest first; `unreplied=true` for those waiting for a reply.
#[utoipa::path(get, path = "/api/v1/admin/reviews", tag = "admin-reviews", params(AdminReviewsQuery), security(("bearer" = [])),
    responses((status = 200, body = Paginated<ReviewDto>)))]
pub async fn list(
    State(st): State<AppState>,
    admin: Admin<ReadOrders>,
    ApiQuery(q): ApiQuery<AdminReviewsQuery>,
) -> ApiResult<Json<Paginated<ReviewDto>>> {
    super::list(&st, admin.merchant_id, q).await.map(Json)
}

/// Reply to a review (audited).
#[utoipa::path(post, path = "/api/v1/admin/reviews/{id}/reply", tag = "admin-reviews", request_body = ReplyInput, params(("id" = i64, Path)),
    security(("bearer" = [])), responses((status = 200, body = ReviewDto), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn reply(
    State(st): State<AppState>,
    admin: Admin<ManageOrders>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    ApiJson(input): ApiJson<ReplyInput>,
) -> ApiResult<Json<ReviewDto>> {
    super::reply(&st, &admin, &Call::from_headers(&headers), id, input).await.map(Json)
}

/// Hide a review from the product page, or show it again (audited).
#[utoipa::path(post, path = "/api/v1/admin/reviews/{id}/hide", tag = "admin-reviews", request_body = HideInput, params(("id" = i64, Path)),
    security(("bearer" = [])), responses((status = 200, body = ReviewDto), (status = 404, body = ErrorBody)))]
pub async fn hide(
    State(st): State<AppState>,
    admin: Admin<ManageOrders>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    ApiJson(input): ApiJson<HideInput>,
) -> ApiResult<Json<ReviewDto>> {
    super::hide(&st, &admin, &Call::from_headers(&headers), id, input).await.map(Json)
}

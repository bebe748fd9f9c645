//! The recommendations and experiments API: the lists for the mini-program (the same use cases as the storefront
//! pages), their clicks, a refresh on demand, and the console's experiments with their results.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use minimall_core::analytics::recommend::Placement;
use minimall_core::error::Reason;
use minimall_core::page::Page;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::api::RebuildQueued;
use super::experiments::{self as exp, ExperimentDto, ExperimentResults, NewExperimentRequest};
use super::recommend::{self as uc, Recommendations, Shopper};
use crate::accounts::auth::{Admin, Buyer, ManageCatalog, ManageJobs, ReadRevenue};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::http::extract::{ApiJson, ApiQuery, Path};
use crate::http::{PageQuery, Paginated};
use crate::state::AppState;
use crate::usecase::Call;

/// The shopper: the logged-in buyer, else the visitor id given (refused when malformed).
pub fn shopper(buyer: Option<i64>, visitor: Option<&str>) -> ApiResult<Shopper> {
    if let Some(v) = visitor {
        if !minimall_core::analytics::events::is_visitor_id(v) {
            return Err(ApiError::invalid_because("visitor", &Reason::Length { min: 8, max: 64 }));
        }
    }
    Ok(Shopper::new(buyer, visitor))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RecoQuery {
    /// The storefront's anonymous visitor id (8–64 of `A-Z a-z 0-9 _ -`), when not logged in.
    pub visitor: Option<String>,
    /// 1–20 products (default 6).
    pub limit: Option<i64>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ProductRecoQuery {
    /// `viewed` (看了又看, the default) or `bought` (买了又买).
    pub kind: Option<String>,
    /// The storefront's anonymous visitor id, when not logged in.
    pub visitor: Option<String>,
    /// 1–20 products (default 6).
    pub limit: Option<i64>,
}

/// 看了又看 or 买了又买 for an on-shelf product: its neighbours, then popular products of its category, then
/// popular products; nothing off the shelf, out of stock or already bought by the buyer. Logged as an exposure.
#[utoipa::path(get, path = "/api/v1/shop/products/{id}/recommendations", tag = "shop-analytics",
    params(("id" = i64, Path), ProductRecoQuery),
    responses((status = 200, body = Recommendations), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn product_recommendations(
    State(st): State<AppState>,
    buyer: Result<Buyer, ApiError>,
    Path(id): Path<i64>,
    ApiQuery(q): ApiQuery<ProductRecoQuery>,
) -> ApiResult<Json<Recommendations>> {
    let placement = match q.kind.as_deref().unwrap_or("viewed") {
        "viewed" => Placement::ProductViewed,
        "bought" => Placement::ProductBought,
        _ => return Err(ApiError::invalid_because("kind", &Reason::OneOf { allowed: "viewed, bought".into() })),
    };
    let k = uc::list_len(q.limit)?;
    let who = shopper(buyer.ok().map(|b| b.id), q.visitor.as_deref())?;
    Ok(Json(uc::for_product(&st, &who, id, placement, k).await?))
}

/// 为你推荐: from the shopper's recent views, adds to cart, purchases and favourites; popular products for a new
/// visitor. Logged as an exposure.
#[utoipa::path(get, path = "/api/v1/shop/recommendations", tag = "shop-analytics", params(RecoQuery),
    responses((status = 200, body = Recommendations), (status = 422, body = ErrorBody)))]
pub async fn feed(
    State(st): State<AppState>,
    buyer: Result<Buyer, ApiError>,
    ApiQuery(q): ApiQuery<RecoQuery>,
) -> ApiResult<Json<Recommendations>> {
    let k = uc::list_len(q.limit)?;
    let who = shopper(buyer.ok().map(|b| b.id), q.visitor.as_deref())?;
    Ok(Json(uc::feed(&st, &who, k).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CartRecoQuery {
    /// 1–20 products (default 6).
    pub limit: Option<i64>,
}

/// Buyers also bought: what buyers of the cart's products bought too. Logged as an exposure.
#[utoipa::path(get, path = "/api/v1/shop/cart/recommendations", tag = "shop-analytics", params(CartRecoQuery),
    security(("bearer" = [])),
    responses((status = 200, body = Recommendations), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn cart_recommendations(
    State(st): State<AppState>,
    buyer: Buyer,
    ApiQuery(q): ApiQuery<CartRecoQuery>,
) -> ApiResult<Json<Recommendations>> {
    let k = uc::list_len(q.limit)?;
    Ok(Json(uc::for_cart(&st, buyer.id, k).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecoClick {
    /// `product_viewed`, `product_bought`, `home_feed` or `cart_bought`.
    pub placement: String,
    /// The product opened from the list.
    pub product_id: i64,
    /// The storefront's anonymous visitor id, when not logged in.
    pub visitor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClickLogged {
    pub logged: bool,
}

/// A product was opened from a recommendation list: logged as a click (a conversion when an experiment on the
/// placement measures clicks).
#[utoipa::path(post, path = "/api/v1/shop/recommendations/clicks", tag = "shop-analytics", request_body = RecoClick,
    responses((status = 202, body = ClickLogged), (status = 400, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn click(
    State(st): State<AppState>,
    buyer: Result<Buyer, ApiError>,
    ApiJson(req): ApiJson<RecoClick>,
) -> ApiResult<(StatusCode, Json<ClickLogged>)> {
    let placement = Placement::parse(&req.placement).ok_or_else(|| {
        ApiError::invalid_because(
            "placement",
            &Reason::OneOf { allowed: Placement::ALL.map(|p| p.as_str()).join(", ") },
        )
    })?;
    if req.product_id <= 0 {
        return Err(ApiError::invalid_because("product_id", &Reason::IdsPositive));
    }
    let who = shopper(buyer.ok().map(|b| b.id), req.visitor.as_deref())?;
    uc::click(&st, &who, placement, req.product_id).await?;
    Ok((StatusCode::ACCEPTED, Json(ClickLogged { logged: who != Shopper::Unknown })))
}

/// Fold the events so far into the recommendations now (a durable job; it also runs every minute).
#[utoipa::path(post, path = "/api/v1/admin/analytics/recommendations/refresh", tag = "admin-analytics",
    security(("bearer" = [])),
    responses((status = 202, body = RebuildQueued), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn refresh(
    State(st): State<AppState>,
    admin: Admin<ManageJobs>,
) -> ApiResult<(StatusCode, Json<RebuildQueued>)> {
    let job_id = uc::request_refresh(&st, admin.merchant_id).await?;
    Ok((StatusCode::ACCEPTED, Json(RebuildQueued { job_id })))
}

// ---- experiments --------------------------------------------------------------------------------------

/// The shop's experiments, newest first.
#[utoipa::path(get, path = "/api/v1/admin/analytics/experiments", tag = "admin-analytics", params(PageQuery),
    security(("bearer" = [])),
    responses((status = 200, body = Paginated<ExperimentDto>), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_experiments(
    State(st): State<AppState>,
    admin: Admin<ReadRevenue>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<Paginated<ExperimentDto>>> {
    let page = Page::parse(q.page, q.page_size)?;
    Ok(Json(exp::list(&st, admin.merchant_id, page).await?))
}

/// Create an experiment as a draft: its placement, variants with weights, target metric and planned sample per
/// variant, all stated before it starts (audited).
#[utoipa::path(post, path = "/api/v1/admin/analytics/experiments", tag = "admin-analytics",
    request_body = NewExperimentRequest, security(("bearer" = [])),
    responses((status = 201, body = ExperimentDto), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_experiment(
    State(st): State<AppState>,
    admin: Admin<ManageCatalog>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<NewExperimentRequest>,
) -> ApiResult<(StatusCode, Json<ExperimentDto>)> {
    Ok((StatusCode::CREATED, Json(exp::create(&st, &admin, &Call::from_headers(&headers), req).await?)))
}

/// An experiment's results: per variant the exposures, conversions, rate with its 95 % interval, lift, z-test
/// and Welch's t-test against the control; provisional until every variant reaches the planned sample.
#[utoipa::path(get, path = "/api/v1/admin/analytics/experiments/{id}", tag = "admin-analytics",
    params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, body = ExperimentResults), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn experiment_results(
    State(st): State<AppState>,
    admin: Admin<ReadRevenue>,
    Path(id): Path<i64>,
) -> ApiResult<Json<ExperimentResults>> {
    Ok(Json(exp::results(&st, admin.merchant_id, id).await?))
}

/// Start a draft experiment (at most one running per placement; audited).
#[utoipa::path(post, path = "/api/v1/admin/analytics/experiments/{id}/start", tag = "admin-analytics",
    params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, body = ExperimentDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn start_experiment(
    State(st): State<AppState>,
    admin: Admin<ManageCatalog>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> ApiResult<Json<ExperimentDto>> {
    Ok(Json(exp::transition(&st, &admin, &Call::from_headers(&headers), id, true).await?))
}

/// Stop a running experiment (audited); its results stay.
#[utoipa::path(post, path = "/api/v1/admin/analytics/experiments/{id}/stop", tag = "admin-analytics",
    params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, body = ExperimentDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn stop_experiment(
    State(st): State<AppState>,
    admin: Admin<ManageCatalog>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> ApiResult<Json<ExperimentDto>> {
    Ok(Json(exp::transition(&st, &admin, &Call::from_headers(&headers), id, false).await?))
}

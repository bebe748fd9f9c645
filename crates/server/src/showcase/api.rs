//! The showcase's JSON API: the storefront reads what shows now; the console's operators arrange it.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use minimall_core::page::Page;
use serde::Deserialize;
use utoipa::IntoParams;

use super::{MoveInput, NewShowcaseItem, ShopShowcase, ShowcaseItemDto, ShowcaseItemInput, ShowcaseSlot};
use crate::accounts::auth::{Admin, ManageCatalog, ReadCatalog};
use crate::error::{ApiResult, ErrorBody};
use crate::http::extract::{ApiJson, ApiQuery, Path};
use crate::http::Paginated;
use crate::state::AppState;
use crate::usecase::Call;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ShowcaseQuery {
    /// The slot listed (default: the carousel).
    pub slot: Option<ShowcaseSlot>,
    pub page: Option<i64>,
    pub page_size: Option<i64>,
}

/// The home page's banners and icon grid as they show now (enabled and within their window), in order.
#[utoipa::path(get, path = "/api/v1/shop/showcase", tag = "shop-catalog",
    responses((status = 200, body = ShopShowcase)))]
pub async fn shop_showcase(State(st): State<AppState>) -> ApiResult<Json<ShopShowcase>> {
    super::live(&st, st.merchant_id).await.map(Json)
}

/// A slot's entries in their order, shown or not.
#[utoipa::path(get, path = "/api/v1/admin/showcase", tag = "admin-catalog", params(ShowcaseQuery), security(("bearer" = [])),
    responses((status = 200, body = Paginated<ShowcaseItemDto>), (status = 422, body = ErrorBody)))]
pub async fn list_showcase(
    State(st): State<AppState>,
    admin: Admin<ReadCatalog>,
    ApiQuery(q): ApiQuery<ShowcaseQuery>,
) -> ApiResult<Json<Paginated<ShowcaseItemDto>>> {
    let page = Page::parse(q.page, q.page_size)?;
    super::list(&st, admin.merchant_id, q.slot.unwrap_or(ShowcaseSlot::Carousel), page).await.map(Json)
}

/// Add a banner or an icon at the end of its slot (at most 20 per slot). The link target must exist in the
/// shop; a `page` link must be a storefront path.
#[utoipa::path(post, path = "/api/v1/admin/showcase", tag = "admin-catalog", request_body = NewShowcaseItem, security(("bearer" = [])),
    responses((status = 201, body = ShowcaseItemDto), (status = 422, body = ErrorBody)))]
pub async fn create_showcase_item(
    State(st): State<AppState>,
    admin: Admin<ManageCatalog>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<NewShowcaseItem>,
) -> ApiResult<(StatusCode, Json<ShowcaseItemDto>)> {
    let item = super::create(&st, &admin, &Call::from_headers(&headers), req).await?;
    Ok((StatusCode::CREATED, Json(item)))
}

/// Rewrite an entry (its slot and position stay).
#[utoipa::path(put, path = "/api/v1/admin/showcase/{id}", tag = "admin-catalog", params(("id" = i64, Path)),
    request_body = ShowcaseItemInput, security(("bearer" = [])),
    responses((status = 200, body = ShowcaseItemDto), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_showcase_item(
    State(st): State<AppState>,
    admin: Admin<ManageCatalog>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<ShowcaseItemInput>,
) -> ApiResult<Json<ShowcaseItemDto>> {
    super::update(&st, &admin, &Call::from_headers(&headers), id, req).await.map(Json)
}

/// Remove an entry.
#[utoipa::path(delete, path = "/api/v1/admin/showcase/{id}", tag = "admin-catalog", params(("id" = i64, Path)),
    security(("bearer" = [])), responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete_showcase_item(
    State(st): State<AppState>,
    admin: Admin<ManageCatalog>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    super::delete(&st, &admin, &Call::from_headers(&headers), id).await.map(|()| StatusCode::NO_CONTENT)
}

/// Move an entry one place up or down within its slot (no change at either end).
#[utoipa::path(post, path = "/api/v1/admin/showcase/{id}/move", tag = "admin-catalog", params(("id" = i64, Path)),
    request_body = MoveInput, security(("bearer" = [])),
    responses((status = 200, body = ShowcaseItemDto), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn move_showcase_item(
    State(st): State<AppState>,
    admin: Admin<ManageCatalog>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<MoveInput>,
) -> ApiResult<Json<ShowcaseItemDto>> {
    super::move_item(&st, &admin, &Call::from_headers(&headers), id, req.direction).await.map(Json)
}

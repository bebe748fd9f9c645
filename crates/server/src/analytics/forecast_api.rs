//! The forecast and markdown API: SKU forecasts with their backtest and restock figures, one SKU's history and
//! forecast, the markdown ladder, the slow movers and turning suggestions into a limited-time discount.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use minimall_core::page::Page;
use serde::Deserialize;
use utoipa::IntoParams;

use super::forecast::{
    self as uc, ApplyMarkdowns, ForecastQuery, MarkdownDto, MarkdownSettingsDto, SkuForecast, SkuForecastDetail,
};
use crate::accounts::auth::{Admin, ManageCatalog, ReadCatalog};
use crate::error::{ApiResult, ErrorBody};
use crate::http::extract::{ApiJson, ApiQuery, Path};
use crate::http::Paginated;
use crate::promotions::admin_api::ActivityDto;
use crate::state::AppState;
use crate::usecase::Call;

/// Sales forecast per SKU that sold in the fitted days: forecast units over the horizon, stock-out date,
/// units to restock and the backtest error beside the naive forecast's; soonest stock-out first.
#[utoipa::path(get, path = "/api/v1/admin/analytics/forecast", tag = "admin-analytics", params(ForecastQuery),
    security(("bearer" = [])),
    responses((status = 200, body = Paginated<SkuForecast>), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn forecast(
    State(st): State<AppState>,
    admin: Admin<ReadCatalog>,
    ApiQuery(q): ApiQuery<ForecastQuery>,
) -> ApiResult<Json<Paginated<SkuForecast>>> {
    let page = Page::parse(q.page, q.page_size)?;
    let h = q.horizon()?;
    Ok(Json(uc::forecasts(&st, admin.merchant_id, h, q.restock_only.unwrap_or(false), page).await?))
}

/// One SKU: every fitted day's units, the forecast day by day, and the backtest.
#[utoipa::path(get, path = "/api/v1/admin/analytics/forecast/{sku_id}", tag = "admin-analytics",
    params(("sku_id" = i64, Path), ForecastQuery), security(("bearer" = [])),
    responses((status = 200, body = SkuForecastDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn sku_forecast(
    State(st): State<AppState>,
    admin: Admin<ReadCatalog>,
    Path(sku_id): Path<i64>,
    ApiQuery(q): ApiQuery<ForecastQuery>,
) -> ApiResult<Json<SkuForecastDetail>> {
    Ok(Json(uc::sku_forecast(&st, admin.merchant_id, sku_id, q.horizon()?).await?))
}

/// The shop's markdown ladder.
#[utoipa::path(get, path = "/api/v1/admin/analytics/markdowns/settings", tag = "admin-analytics",
    security(("bearer" = [])), responses((status = 200, body = MarkdownSettingsDto), (status = 403, body = ErrorBody)))]
pub async fn markdown_settings(
    State(st): State<AppState>,
    admin: Admin<ManageCatalog>,
) -> ApiResult<Json<MarkdownSettingsDto>> {
    Ok(Json(uc::markdown_settings(&st, admin.merchant_id).await?))
}

/// Change the markdown ladder (audited).
#[utoipa::path(put, path = "/api/v1/admin/analytics/markdowns/settings", tag = "admin-analytics",
    request_body = MarkdownSettingsDto, security(("bearer" = [])),
    responses((status = 200, body = MarkdownSettingsDto), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_markdown_settings(
    State(st): State<AppState>,
    admin: Admin<ManageCatalog>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<MarkdownSettingsDto>,
) -> ApiResult<Json<MarkdownSettingsDto>> {
    Ok(Json(uc::set_markdown_settings(&st, &admin, &Call::from_headers(&headers), req).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct MarkdownQuery {
    /// Also SKUs below target that have not reached the ladder's first step yet.
    pub watching: Option<bool>,
    pub page: Option<i64>,
    pub page_size: Option<i64>,
}

/// Slow movers with a step suggested today (with `watching`, also those below target but not yet at a step),
/// longest run below the ladder's target first, with the suggested step and price.
#[utoipa::path(get, path = "/api/v1/admin/analytics/markdowns", tag = "admin-analytics", params(MarkdownQuery),
    security(("bearer" = [])),
    responses((status = 200, body = Paginated<MarkdownDto>), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn markdowns(
    State(st): State<AppState>,
    admin: Admin<ManageCatalog>,
    ApiQuery(q): ApiQuery<MarkdownQuery>,
) -> ApiResult<Json<Paginated<MarkdownDto>>> {
    let page = Page::parse(q.page, q.page_size)?;
    Ok(Json(uc::markdowns(&st, &admin, q.watching.unwrap_or(false), page).await?))
}

/// Turn today's suggestions for the SKUs into one limited-time discount (限时折扣) at the suggested prices.
#[utoipa::path(post, path = "/api/v1/admin/analytics/markdowns/apply", tag = "admin-analytics",
    request_body = ApplyMarkdowns, security(("bearer" = [])),
    responses((status = 201, body = ActivityDto), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn apply_markdowns(
    State(st): State<AppState>,
    admin: Admin<ManageCatalog>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<ApplyMarkdowns>,
) -> ApiResult<(StatusCode, Json<ActivityDto>)> {
    let dto = uc::apply_markdowns(&st, &admin, &Call::from_headers(&headers), req).await?;
    Ok((StatusCode::CREATED, Json(dto)))
}

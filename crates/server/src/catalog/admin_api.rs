//! Console catalog: categories, products and SKUs, shelf, stock, alerts, banned words.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::accounts::auth::{Admin, ManageCatalog, ManageSettings, ReadCatalog};
use crate::catalog::{BannedHitDto, ProductCard, ProductDto, ProductInput, SkuDto, SkuInput, SpecDimDto};
use crate::error::{ApiResult, ErrorBody};
use crate::http::extract::{ApiJson, ApiQuery, Path};
use crate::http::Paginated;
use crate::state::AppState;
use crate::usecase::Call;

// ---- products -----------------------------------------------------------------------------------

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ProductQuery {
    pub page: Option<i64>,
    pub page_size: Option<i64>,
    /// Title or code contains.
    pub q: Option<String>,
    /// This category and its descendants.
    pub category_id: Option<i64>,
    pub on_shelf: Option<bool>,
    pub lifecycle: Option<String>,
    /// Only products with a SKU at or below its safety stock.
    pub low_stock: Option<bool>,
}

/// Products of the catalog, filterable.
#[utoipa::path(get, path = "/api/v1/admin/products", tag = "admin-catalog", params(ProductQuery), security(("bearer" = [])),
    responses((status = 200, body = Paginated<ProductCard>), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_products(
    State(st): State<AppState>,
    admin: Admin<ReadCatalog>,
    ApiQuery(q): ApiQuery<ProductQuery>,
) -> ApiResult<Json<Paginated<ProductCard>>> {
    crate::catalog::products::list_products(&st, &admin, q).await.map(Json)
}

#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateProduct {
    pub product: ProductInput,
    /// Spec dimensions, e.g. 颜色 × 尺码; empty for a product without specs.
    #[serde(default)]
    pub specs: Vec<SpecDimDto>,
    pub skus: Vec<SkuInput>,
}

#[derive(Serialize, ToSchema)]
pub struct ProductSaved {
    pub product: ProductDto,
    /// Banned words found when the merchant's mode is `warn`.
    pub warnings: Vec<BannedHitDto>,
}

/// Create a product with its SKUs. Needs `Idempotency-Key` (it sets stock).
#[utoipa::path(post, path = "/api/v1/admin/products", tag = "admin-catalog", request_body = CreateProduct, security(("bearer" = [])),
    params(("Idempotency-Key" = String, Header)),
    responses((status = 201, body = ProductSaved), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_product(
    State(st): State<AppState>,
    admin: Admin<ManageCatalog>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<CreateProduct>,
) -> ApiResult<Response> {
    crate::catalog::products::create_product(&st, &admin, &Call::from_headers(&headers), req)
        .await
        .map(IntoResponse::into_response)
}

/// One product with its SKUs (including safety stock, and cost for roles that may see cost prices).
#[utoipa::path(get, path = "/api/v1/admin/products/{id}", tag = "admin-catalog", params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, body = ProductDto), (status = 404, body = ErrorBody)))]
pub async fn get_product(
    State(st): State<AppState>,
    admin: Admin<ReadCatalog>,
    Path(id): Path<i64>,
) -> ApiResult<Json<ProductDto>> {
    crate::catalog::products::get_product(&st, &admin, id).await.map(Json)
}

/// Replace the product-level fields (title, flags, category, …). SKUs change through `/skus`.
#[utoipa::path(put, path = "/api/v1/admin/products/{id}", tag = "admin-catalog", request_body = ProductInput, params(("id" = i64, Path)),
    security(("bearer" = [])), responses((status = 200, body = ProductSaved), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_product(
    State(st): State<AppState>,
    admin: Admin<ManageCatalog>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<ProductInput>,
) -> ApiResult<Json<ProductSaved>> {
    crate::catalog::products::update_product(&st, &admin, &Call::from_headers(&headers), id, req).await.map(Json)
}

#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SkuMatrix {
    #[serde(default)]
    pub specs: Vec<SpecDimDto>,
    /// The full list: SKUs are matched by code; new codes are created, missing ones deleted.
    pub skus: Vec<SkuInput>,
}

/// Replace the spec matrix and SKUs of a product.
#[utoipa::path(put, path = "/api/v1/admin/products/{id}/skus", tag = "admin-catalog", request_body = SkuMatrix, params(("id" = i64, Path)),
    security(("bearer" = [])), responses((status = 200, body = ProductDto), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn replace_skus(
    State(st): State<AppState>,
    admin: Admin<ManageCatalog>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<SkuMatrix>,
) -> ApiResult<Json<ProductDto>> {
    crate::catalog::products::replace_skus(&st, &admin, &Call::from_headers(&headers), id, req).await.map(Json)
}

/// Delete a product (kept for past orders, gone from every list).
#[utoipa::path(delete, path = "/api/v1/admin/products/{id}", tag = "admin-catalog", params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete_product(
    State(st): State<AppState>,
    admin: Admin<ManageCatalog>,
    Path(id): Path<i64>,
    headers: HeaderMap,
) -> ApiResult<StatusCode> {
    crate::catalog::products::delete_product(&st, &admin, &Call::from_headers(&headers), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShelfRequest {
    /// Up to 500 product ids.
    pub ids: Vec<i64>,
    pub on_shelf: bool,
}

#[derive(Serialize, ToSchema)]
pub struct ShelfResult {
    pub changed: u64,
}

/// Put products on or off the shelf in bulk.
#[utoipa::path(post, path = "/api/v1/admin/products/shelf", tag = "admin-catalog", request_body = ShelfRequest, security(("bearer" = [])),
    responses((status = 200, body = ShelfResult), (status = 422, body = ErrorBody)))]
pub async fn shelf(
    State(st): State<AppState>,
    admin: Admin<ManageCatalog>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<ShelfRequest>,
) -> ApiResult<Json<ShelfResult>> {
    crate::catalog::products::shelf(&st, &admin, &Call::from_headers(&headers), req).await.map(Json)
}

// ---- stock --------------------------------------------------------------------------------------

#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StockAdjustment {
    /// Units to add (positive) or remove (negative).
    pub delta: i64,
    /// manual (default) or return.
    #[serde(default = "manual")]
    pub reason: String,
    /// Why, for the movement's reference (e.g. 盘点 2026-11).
    #[serde(default)]
    pub note: String,
}

fn manual() -> String {
    "manual".into()
}

#[derive(Serialize, ToSchema)]
pub struct StockResult {
    pub sku: SkuDto,
}

/// Adjust a SKU's stock with a reason. Needs `Idempotency-Key`. Never goes below zero.
#[utoipa::path(post, path = "/api/v1/admin/skus/{id}/stock", tag = "admin-catalog", request_body = StockAdjustment, params(("id" = i64, Path), ("Idempotency-Key" = String, Header)),
    security(("bearer" = [])), responses((status = 200, body = StockResult), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn adjust_stock(
    State(st): State<AppState>,
    admin: Admin<ManageCatalog>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<StockAdjustment>,
) -> ApiResult<Response> {
    crate::catalog::products::adjust_stock(&st, &admin, &Call::from_headers(&headers), id, req)
        .await
        .map(IntoResponse::into_response)
}

#[derive(Serialize, ToSchema)]
pub struct MovementDto {
    pub id: i64,
    pub delta: i64,
    pub balance_after: i64,
    /// initial, sale, cancel, refund, return, manual, import
    pub reason: String,
    pub reference: String,
    pub actor: String,
    pub at: i64,
}

/// Stock movements of a SKU, newest first.
#[utoipa::path(get, path = "/api/v1/admin/skus/{id}/movements", tag = "admin-catalog", params(("id" = i64, Path), crate::http::PageQuery),
    security(("bearer" = [])), responses((status = 200, body = Paginated<MovementDto>), (status = 404, body = ErrorBody)))]
pub async fn list_movements(
    State(st): State<AppState>,
    admin: Admin<ReadCatalog>,
    Path(id): Path<i64>,
    ApiQuery(q): ApiQuery<crate::http::PageQuery>,
) -> ApiResult<Json<Paginated<MovementDto>>> {
    crate::catalog::products::list_movements(&st, &admin, id, q).await.map(Json)
}

#[derive(Serialize, ToSchema)]
pub struct AlertDto {
    pub id: i64,
    pub sku_id: i64,
    pub sku_code: String,
    pub product_id: i64,
    pub product_title: String,
    /// Stock when the alert opened.
    pub stock: i64,
    pub threshold: i64,
    pub current_stock: i64,
    pub created_at: i64,
    pub resolved_at: Option<i64>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AlertQuery {
    pub page: Option<i64>,
    pub page_size: Option<i64>,
    /// Only open alerts (default true).
    pub open: Option<bool>,
}

/// Low-stock alerts.
#[utoipa::path(get, path = "/api/v1/admin/stock-alerts", tag = "admin-catalog", params(AlertQuery), security(("bearer" = [])),
    responses((status = 200, body = Paginated<AlertDto>)))]
pub async fn list_alerts(
    State(st): State<AppState>,
    admin: Admin<ReadCatalog>,
    ApiQuery(q): ApiQuery<AlertQuery>,
) -> ApiResult<Json<Paginated<AlertDto>>> {
    crate::catalog::products::list_alerts(&st, &admin, q).await.map(Json)
}

// ---- banned words -------------------------------------------------------------------------------

#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BannedWordSettings {
    /// block: refuse the save; warn: save and return warnings.
    pub mode: String,
    pub words: Vec<String>,
}

/// The banned-word list and mode.
#[utoipa::path(get, path = "/api/v1/admin/settings/banned-words", tag = "admin-catalog", security(("bearer" = [])),
    responses((status = 200, body = BannedWordSettings)))]
pub async fn get_banned_words(
    State(st): State<AppState>,
    admin: Admin<ReadCatalog>,
) -> ApiResult<Json<BannedWordSettings>> {
    crate::catalog::products::get_banned_words(&st, &admin).await.map(Json)
}

/// Replace the banned-word list and mode.
#[utoipa::path(put, path = "/api/v1/admin/settings/banned-words", tag = "admin-catalog", request_body = BannedWordSettings, security(("bearer" = [])),
    responses((status = 200, body = BannedWordSettings), (status = 422, body = ErrorBody)))]
pub async fn put_banned_words(
    State(st): State<AppState>,
    admin: Admin<ManageSettings>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<BannedWordSettings>,
) -> ApiResult<Json<BannedWordSettings>> {
    crate::catalog::products::put_banned_words(&st, &admin, &Call::from_headers(&headers), req).await.map(Json)
}

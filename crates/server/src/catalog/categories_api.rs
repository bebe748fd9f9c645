//! Console catalog: the category tree (at most three levels, no cycles, unique names among siblings).

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::accounts::auth::{Admin, ManageCatalog, ReadCatalog};
use crate::error::{ApiResult, ErrorBody};
use crate::http::extract::{ApiJson, Path};
use crate::state::AppState;
use crate::usecase::Call;
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CategoryNode {
    pub id: i64,
    pub parent_id: Option<i64>,
    pub name: String,
    pub sort: i64,
    pub depth: i32,
    #[schema(no_recursion)]
    pub children: Vec<CategoryNode>,
}

#[derive(Serialize, ToSchema)]
pub struct CategoryTree {
    /// Root categories, each with its children, sorted by `sort` (higher first).
    pub items: Vec<CategoryNode>,
    /// All categories.
    pub total: i64,
}

/// The category tree.
#[utoipa::path(get, path = "/api/v1/admin/categories", tag = "admin-catalog", security(("bearer" = [])),
    responses((status = 200, body = CategoryTree), (status = 403, body = ErrorBody)))]
pub async fn list_categories(State(st): State<AppState>, admin: Admin<ReadCatalog>) -> ApiResult<Json<CategoryTree>> {
    crate::catalog::categories::list_categories(&st, &admin).await.map(Json)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCategory {
    pub name: String,
    /// Absent for a root category.
    pub parent_id: Option<i64>,
    #[serde(default)]
    pub sort: i64,
}

/// Create a category (at most three levels).
#[utoipa::path(post, path = "/api/v1/admin/categories", tag = "admin-catalog", request_body = CreateCategory, security(("bearer" = [])),
    responses((status = 201, body = CategoryNode), (status = 422, body = ErrorBody)))]
pub async fn create_category(
    State(st): State<AppState>,
    admin: Admin<ManageCatalog>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<CreateCategory>,
) -> ApiResult<(StatusCode, Json<CategoryNode>)> {
    Ok((
        StatusCode::CREATED,
        Json(crate::catalog::categories::create_category(&st, &admin, &Call::from_headers(&headers), req).await?),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateCategory {
    pub name: Option<String>,
    /// Move under another category; `null` makes it a root.
    #[serde(default, with = "double_option")]
    #[schema(value_type = Option<i64>)]
    pub parent_id: Option<Option<i64>>,
    pub sort: Option<i64>,
}

mod double_option {
    use serde::{Deserialize, Deserializer};
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<i64>>, D::Error> {
        Option::<i64>::deserialize(d).map(Some)
    }
}

/// Rename, re-sort or move a category (with its subtree).
#[utoipa::path(patch, path = "/api/v1/admin/categories/{id}", tag = "admin-catalog", request_body = UpdateCategory, params(("id" = i64, Path)),
    security(("bearer" = [])), responses((status = 200, body = CategoryNode), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_category(
    State(st): State<AppState>,
    admin: Admin<ManageCatalog>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<UpdateCategory>,
) -> ApiResult<Json<CategoryNode>> {
    crate::catalog::categories::update_category(&st, &admin, &Call::from_headers(&headers), id, req).await.map(Json)
}

/// Delete an empty category (no children, no products).
#[utoipa::path(delete, path = "/api/v1/admin/categories/{id}", tag = "admin-catalog", params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn delete_category(
    State(st): State<AppState>,
    admin: Admin<ManageCatalog>,
    Path(id): Path<i64>,
    headers: HeaderMap,
) -> ApiResult<StatusCode> {
    crate::catalog::categories::delete_category(&st, &admin, &Call::from_headers(&headers), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

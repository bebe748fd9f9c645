//! Console catalog: the category tree (at most three levels, no cycles, unique names among siblings).

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use minimall_core::catalog::tree::{Node, Tree};
use minimall_core::catalog::{self as cat};
use minimall_core::error::Reason;
use minimall_core::validate::display_text;
use minimall_core::FieldError;
use minimall_store::catalog::CategoryRow;
use minimall_store::StoreError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::accounts::auth::{Admin, ManageCatalog, ReadCatalog};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::http::extract::{ApiJson, Path};
use crate::http::{audit, to_json};
use crate::state::AppState;
use crate::usecase::{self, Effects};
const MAX_CATEGORIES: usize = 2000;

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

pub fn build_tree(rows: &[CategoryRow]) -> Vec<CategoryNode> {
    fn children(rows: &[CategoryRow], parent: Option<i64>) -> Vec<CategoryNode> {
        let mut v: Vec<&CategoryRow> = rows.iter().filter(|r| r.parent_id == parent).collect();
        v.sort_by(|a, b| b.sort.cmp(&a.sort).then(a.id.cmp(&b.id)));
        v.into_iter()
            .map(|r| CategoryNode {
                id: r.id,
                parent_id: r.parent_id,
                name: r.name.clone(),
                sort: r.sort,
                depth: r.depth,
                children: children(rows, Some(r.id)),
            })
            .collect()
    }
    children(rows, None)
}

pub fn nodes(rows: &[CategoryRow]) -> Vec<Node> {
    rows.iter().map(|r| Node { id: r.id, parent_id: r.parent_id, name: r.name.clone() }).collect()
}

/// The category tree.
#[utoipa::path(get, path = "/api/v1/admin/categories", tag = "admin-catalog", security(("bearer" = [])),
    responses((status = 200, body = CategoryTree), (status = 403, body = ErrorBody)))]
pub async fn list_categories(State(st): State<AppState>, admin: Admin<ReadCatalog>) -> ApiResult<Json<CategoryTree>> {
    let rows = st.store.list_categories(admin.merchant_id).await?;
    Ok(Json(CategoryTree { total: rows.len() as i64, items: build_tree(&rows) }))
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
    let name = category_name(&req.name)?;
    let mut tx = st.store.begin().await?;
    let rows = st.store.categories_tx(&mut tx, admin.merchant_id).await?;
    if rows.len() >= MAX_CATEGORIES {
        return Err(ApiError::conflict(format!("at most {MAX_CATEGORIES} categories")));
    }
    let ns = nodes(&rows);
    let depth = Tree::new(&ns).check_placement(None, req.parent_id, &name)?;
    let row =
        st.store.insert_category(&mut tx, admin.merchant_id, req.parent_id, &name, req.sort, depth as i32).await?;
    let node = CategoryNode {
        id: row.id,
        parent_id: row.parent_id,
        name: row.name,
        sort: row.sort,
        depth: row.depth,
        children: vec![],
    };
    audit(&st, &mut tx, &admin, &headers, "category.create", format!("category:{}", node.id), None, to_json(&node))
        .await?;
    let fx = Effects::new().catalog_write(&st.store, &mut tx, admin.merchant_id).await?;
    usecase::commit(&st, tx, fx).await?;
    Ok((StatusCode::CREATED, Json(node)))
}

fn category_name(s: &str) -> Result<String, FieldError> {
    let n = display_text("name", s, cat::CATEGORY_NAME_MAX)?;
    if n.contains('/') {
        return Err(FieldError::new("name", Reason::NoSlash));
    }
    Ok(n)
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
    let mut tx = st.store.begin().await?;
    let before =
        st.store.category_tx(&mut tx, admin.merchant_id, id).await.map_err(|_| ApiError::not_found("category"))?;
    let rows = st.store.categories_tx(&mut tx, admin.merchant_id).await?;
    let name = match &req.name {
        Some(n) => category_name(n)?,
        None => before.name.clone(),
    };
    let parent = req.parent_id.unwrap_or(before.parent_id);
    let ns = nodes(&rows);
    let tree = Tree::new(&ns);
    let depth = tree.check_placement(Some(id), parent, &name)?;
    let row = st
        .store
        .update_category(&mut tx, admin.merchant_id, id, parent, &name, req.sort.unwrap_or(before.sort), depth as i32)
        .await?;
    if depth as i32 != before.depth {
        // Re-level the subtree.
        for d in tree.subtree(id).into_iter().skip(1) {
            let rel = tree.depth(d) - tree.depth(id);
            st.store.set_category_depth(&mut tx, d, (depth + rel) as i32).await?;
        }
    }
    let node = CategoryNode {
        id: row.id,
        parent_id: row.parent_id,
        name: row.name,
        sort: row.sort,
        depth: row.depth,
        children: vec![],
    };
    let b = CategoryNode {
        id,
        parent_id: before.parent_id,
        name: before.name,
        sort: before.sort,
        depth: before.depth,
        children: vec![],
    };
    audit(&st, &mut tx, &admin, &headers, "category.update", format!("category:{id}"), to_json(&b), to_json(&node))
        .await?;
    let fx = Effects::new().catalog_write(&st.store, &mut tx, admin.merchant_id).await?;
    usecase::commit(&st, tx, fx).await?;
    Ok(Json(node))
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
    let mut tx = st.store.begin().await?;
    let before =
        st.store.category_tx(&mut tx, admin.merchant_id, id).await.map_err(|_| ApiError::not_found("category"))?;
    let (children, products) = st.store.category_usage(&mut tx, admin.merchant_id, id).await?;
    if children > 0 || products > 0 {
        return Err(ApiError::conflict(format!(
            "category '{}' is not empty ({children} subcategories, {products} products)",
            before.name
        )));
    }
    st.store.delete_category(&mut tx, admin.merchant_id, id).await.map_err(|e| match e {
        StoreError::Constraint(m) => ApiError::conflict(m),
        other => other.into(),
    })?;
    audit(
        &st,
        &mut tx,
        &admin,
        &headers,
        "category.delete",
        format!("category:{id}"),
        Some(serde_json::json!({"name": before.name})),
        None,
    )
    .await?;
    let fx = Effects::new().catalog_write(&st.store, &mut tx, admin.merchant_id).await?;
    usecase::commit(&st, tx, fx).await?;
    Ok(StatusCode::NO_CONTENT)
}

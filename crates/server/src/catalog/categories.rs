//! Catalog use cases: the category tree (at most three levels, no cycles, unique names among siblings).

use minimall_core::catalog::tree::{Node, Tree};
use minimall_core::catalog::{self as cat};
use minimall_core::validate::display_text;
use minimall_core::FieldError;
use minimall_store::catalog::CategoryRow;
use minimall_store::StoreError;

use super::categories_api::{CategoryNode, CategoryTree, CreateCategory, UpdateCategory};
use crate::accounts::auth::{Admin, ManageCatalog, ReadCatalog};
use crate::catalog::refusals::CatalogRefusal;
use crate::error::{ApiError, ApiResult};
use crate::ops::audit::{audit, to_json};
use crate::state::AppState;
use crate::usecase::{self, Call, Effects};

/// The category tree.
pub async fn list_categories(st: &AppState, admin: &Admin<ReadCatalog>) -> ApiResult<CategoryTree> {
    let rows = st.store.list_categories(admin.merchant_id).await?;
    Ok(CategoryTree { total: rows.len() as i64, items: build_tree(&rows) })
}

/// Create a category (at most three levels).
pub async fn create_category(
    st: &AppState,
    admin: &Admin<ManageCatalog>,
    call: &Call,
    req: CreateCategory,
) -> ApiResult<CategoryNode> {
    let name = category_name(&req.name)?;
    let mut tx = st.store.begin().await?;
    let rows = st.store.categories_tx(&mut tx, admin.merchant_id).await?;
    if rows.len() >= MAX_CATEGORIES {
        return Err(ApiError::conflict_because(&CatalogRefusal::TooManyCategories { max: MAX_CATEGORIES as i64 }));
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
    audit(st, &mut tx, &admin, call, "category.create", format!("category:{}", node.id), None, to_json(&node)).await?;
    let fx = Effects::new().catalog_write(&st.store, &mut tx, admin.merchant_id).await?;
    usecase::commit(st, tx, fx).await?;
    Ok(node)
}

/// Rename, re-sort or move a category (with its subtree).
pub async fn update_category(
    st: &AppState,
    admin: &Admin<ManageCatalog>,
    call: &Call,
    id: i64,
    req: UpdateCategory,
) -> ApiResult<CategoryNode> {
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
    audit(st, &mut tx, &admin, call, "category.update", format!("category:{id}"), to_json(&b), to_json(&node)).await?;
    let fx = Effects::new().catalog_write(&st.store, &mut tx, admin.merchant_id).await?;
    usecase::commit(st, tx, fx).await?;
    Ok(node)
}

/// Delete an empty category (no children, no products).
pub async fn delete_category(st: &AppState, admin: &Admin<ManageCatalog>, call: &Call, id: i64) -> ApiResult<()> {
    let mut tx = st.store.begin().await?;
    let before =
        st.store.category_tx(&mut tx, admin.merchant_id, id).await.map_err(|_| ApiError::not_found("category"))?;
    let (children, products) = st.store.category_usage(&mut tx, admin.merchant_id, id).await?;
    if children > 0 || products > 0 {
        return Err(ApiError::conflict_because(&CatalogRefusal::CategoryNotEmpty {
            name: before.name.clone(),
            children,
            products,
        }));
    }
    st.store.delete_category(&mut tx, admin.merchant_id, id).await.map_err(|e| match e {
        StoreError::Constraint(m) => crate::error::conflict_with_data(m),
        other => other.into(),
    })?;
    audit(
        st,
        &mut tx,
        &admin,
        call,
        "category.delete",
        format!("category:{id}"),
        Some(serde_json::json!({"name": before.name})),
        None,
    )
    .await?;
    let fx = Effects::new().catalog_write(&st.store, &mut tx, admin.merchant_id).await?;
    usecase::commit(st, tx, fx).await?;
    Ok(())
}

const MAX_CATEGORIES: usize = 2000;

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

fn category_name(s: &str) -> Result<String, FieldError> {
    let n = display_text("name", s, cat::CATEGORY_NAME_MAX)?;
    if n.contains('/') {
        return Err(FieldError::new("name", minimall_core::error::Reason::NoSlash));
    }
    Ok(n)
}

//! Buyer-facing catalog: categories, product search and lists, product detail. Served from the
//! catalog cache; only on-shelf products are visible.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use minimall_core::catalog::tree::Tree;
use minimall_core::error::Reason;
use minimall_core::page::Page;
use minimall_core::ProductId;
use minimall_store::catalog::ShopSort;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::catalog::categories::{build_tree, nodes};
use crate::catalog::categories_api::CategoryTree;
use crate::catalog::{ProductCard, ProductDto};
use crate::error::ApiReason;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::http::extract::{ApiQuery, Path};
use crate::http::Paginated;
use crate::state::AppState;

fn json_bytes(b: Bytes) -> Response {
    let mut r = b.into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r
}

/// Serve `key` from the cache or compute, cache and serve it.
async fn cached<F, Fut>(st: &AppState, key: String, compute: F) -> ApiResult<Response>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = ApiResult<Vec<u8>>>,
{
    if let Some(b) = st.catalog.get(&key) {
        return Ok(json_bytes(b));
    }
    let ticket = st.catalog.ticket();
    let bytes = Bytes::from(compute().await?);
    st.catalog.put(key, ticket, bytes.clone());
    Ok(json_bytes(bytes))
}

/// The category tree for navigation.
#[utoipa::path(get, path = "/api/v1/shop/categories", tag = "shop-catalog", responses((status = 200, body = CategoryTree)))]
pub async fn categories(State(st): State<AppState>) -> ApiResult<Response> {
    let st2 = st.clone();
    cached(&st, "c".into(), || async move {
        let rows = st2.store.list_categories(st2.merchant_id).await?;
        serde_json::to_vec(&CategoryTree { total: rows.len() as i64, items: build_tree(&rows) })
            .map_err(ApiError::internal)
    })
    .await
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ShopProductQuery {
    /// Keyword; matches anywhere in the title, subtitle or tags (Chinese needs no spaces).
    pub q: Option<String>,
    /// This category and its descendants.
    pub category_id: Option<i64>,
    /// newest, sales, price_asc, price_desc (default: the shop's order).
    pub sort: Option<String>,
    pub page: Option<i64>,
    pub page_size: Option<i64>,
}

/// On-shelf products.
#[utoipa::path(get, path = "/api/v1/shop/products", tag = "shop-catalog", params(ShopProductQuery),
    responses((status = 200, body = Paginated<ProductCard>), (status = 422, body = ErrorBody)))]
pub async fn products(State(st): State<AppState>, ApiQuery(q): ApiQuery<ShopProductQuery>) -> ApiResult<Response> {
    let page = Page::parse(q.page, q.page_size)?;
    let needle = q.q.unwrap_or_default().trim().to_string();
    check_needle(&needle)?;
    let sort = parse_sort(q.sort.as_deref().unwrap_or(""))?;
    let key = format!("l|{needle}|{}|{sort:?}|{}|{}", q.category_id.unwrap_or(0), page.page(), page.size());
    let st2 = st.clone();
    cached(&st, key, || async move {
        let out = search(&st2, &needle, q.category_id, sort, page).await?;
        serde_json::to_vec(&out).map_err(ApiError::internal)
    })
    .await
}

fn check_needle(needle: &str) -> ApiResult<()> {
    if needle.chars().count() > 64 {
        return Err(ApiError::invalid_because("q", &Reason::TooLong { max: 64 }));
    }
    Ok(())
}

/// The buyer's sort orders by name.
pub fn parse_sort(s: &str) -> ApiResult<ShopSort> {
    Ok(match s {
        "" => ShopSort::Default,
        "newest" => ShopSort::Newest,
        "sales" => ShopSort::Sales,
        "price_asc" => ShopSort::PriceAsc,
        "price_desc" => ShopSort::PriceDesc,
        _ => {
            return Err(ApiError::invalid_because(
                "sort",
                &Reason::OneOf { allowed: "newest, sales, price_asc, price_desc".into() },
            ))
        }
    })
}

/// On-shelf products matching a keyword (anywhere in title, subtitle, tags) and a category subtree.
pub async fn search(
    st: &AppState,
    needle: &str,
    category_id: Option<i64>,
    sort: ShopSort,
    page: Page,
) -> ApiResult<Paginated<ProductCard>> {
    check_needle(needle)?;
    let category_ids = match category_id {
        Some(c) => {
            let rows = st.store.list_categories(st.merchant_id).await?;
            let ns = nodes(&rows);
            let t = Tree::new(&ns);
            if !t.contains(c) {
                return Err(ApiError::invalid_because(
                    "category_id",
                    &ApiReason::NoSuch { what: crate::error::thing("category") },
                ));
            }
            t.subtree(c)
        }
        None => vec![],
    };
    let rows =
        st.store.list_products_shop(st.merchant_id, needle, &category_ids, sort, page.size(), page.offset()).await?;
    Ok(Paginated::new(rows.items.iter().map(ProductCard::from).collect(), rows.total, page))
}

/// One on-shelf product as buyers see it (404 when off the shelf).
pub async fn shop_product(st: &AppState, id: i64) -> ApiResult<ProductDto> {
    let p = st
        .store
        .product(st.store.reader(), st.merchant_id, ProductId::new(id))
        .await
        .map_err(|_| ApiError::not_found("product"))?;
    if p.on_shelf == 0 {
        return Err(ApiError::not_found("product"));
    }
    let skus = st.store.skus_of(st.store.reader(), &[ProductId::new(id)]).await?;
    let rows = st.store.list_categories(st.merchant_id).await?;
    let ns = nodes(&rows);
    Ok(ProductDto::from_rows(&p, &skus, Tree::new(&ns).path(p.category_id), false))
}

/// One on-shelf product with its SKUs, prices, stock status and flags.
#[utoipa::path(get, path = "/api/v1/shop/products/{id}", tag = "shop-catalog", params(("id" = i64, Path)),
    responses((status = 200, body = ProductDto), (status = 404, body = ErrorBody)))]
pub async fn product(State(st): State<AppState>, Path(id): Path<i64>) -> ApiResult<Response> {
    let st2 = st.clone();
    cached(&st, format!("p|{id}"), || async move {
        let dto = shop_product(&st2, id).await?;
        serde_json::to_vec(&dto).map_err(ApiError::internal)
    })
    .await
}

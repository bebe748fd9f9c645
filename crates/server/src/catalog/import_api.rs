//! CSV import (dry run, then a job with progress) and export of the product catalog.

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use minimall_core::error::Reason;
use minimall_store::imports::ImportCounts;
use minimall_store::jobs::NewJob;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::accounts::auth::{Admin, ManageCatalog, MoneyView, ReadCatalog};
use crate::catalog::import::{self, RowErrorDto, IMPORT_JOB, MAX_IMPORT_BYTES};
use crate::catalog::refusals::CatalogRefusal;
use crate::catalog::BannedHitDto;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::http::extract::{ApiQuery, Path};
use crate::ops::audit::audit;
use crate::state::AppState;
use crate::usecase::{self, Effects};

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ImportQuery {
    /// Check everything and report, writing nothing.
    #[serde(default)]
    pub dry_run: bool,
}

#[derive(Serialize, ToSchema)]
pub struct RowWarning {
    pub row: usize,
    pub hit: BannedHitDto,
}

#[derive(Serialize, ToSchema)]
pub struct DryRunReport {
    /// utf-8, utf-8-bom or gbk, as detected.
    pub encoding: String,
    pub total_rows: usize,
    /// Every problem with its row (the header is row 1) and column; empty when the file would import.
    pub errors: Vec<RowErrorDto>,
    pub warnings: Vec<RowWarning>,
    pub created_products: i64,
    pub updated_products: i64,
    pub created_skus: i64,
    pub updated_skus: i64,
}

#[derive(Serialize, ToSchema)]
pub struct ImportStatus {
    pub id: i64,
    /// queued, applying, done, failed
    pub status: String,
    pub encoding: String,
    pub total_rows: i64,
    pub processed_rows: i64,
    pub created_products: i64,
    pub updated_products: i64,
    pub created_skus: i64,
    pub updated_skus: i64,
    pub errors: Vec<serde_json::Value>,
    pub created_at: i64,
    pub finished_at: Option<i64>,
}

/// Import products from CSV as saved by Excel or WPS (UTF-8, UTF-8 with BOM or GBK, detected). The body is
/// the file. With `dry_run=true` the answer lists every problem and what would change, writing nothing.
/// Otherwise a file without problems is queued (202) and applied all or nothing by a job; follow it at
/// `/api/v1/admin/imports/{id}`. Columns: product_code 商品编码, title 商品名称, subtitle 副标题, category 分类
/// (a/b/c), tags 标签 (a|b), on_shelf 上架, lifecycle 生命周期, free_shipping 包邮, earns_points 送积分,
/// coupons_usable 可用券, purchase_limit 限购, description 商品描述, images 图片 (a|b), sku_code SKU编码,
/// spec 规格 (颜色:红;尺码:M), barcode 条码, stock 库存, original_price 划线价, sale_price 售价, cost_price 成本价
/// (yuan), weight_g 重量克, safety_stock 安全库存. Without the cost column existing SKUs keep their cost; only
/// roles that may see cost prices may send it (403 otherwise).
#[utoipa::path(post, path = "/api/v1/admin/products/import", tag = "admin-catalog", params(ImportQuery), security(("bearer" = [])),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = DryRunReport, description = "dry run"), (status = 202, body = ImportStatus), (status = 403, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn import_products(
    State(st): State<AppState>,
    admin: Admin<ManageCatalog>,
    ApiQuery(q): ApiQuery<ImportQuery>,
    headers: HeaderMap,
    req: Request,
) -> ApiResult<Response> {
    let lang = crate::error::request_lang(&headers);
    let bytes = crate::http::extract::read_body(req, MAX_IMPORT_BYTES).await?;
    if bytes.is_empty() {
        return Err(ApiError::invalid_because("file", &Reason::CsvEmpty));
    }
    let (rows, parse_errors, enc, text) = import::parse(&bytes, &st.cfg.cdn_hosts, lang)?;
    let keep_cost = !import::has_cost_column(&text);
    if !keep_cost && !MoneyView::of(&st, &admin).await?.cost {
        return Err(ApiError::forbidden_because(&CatalogRefusal::CostPriceColumnForbidden).with_field("file"));
    }
    if q.dry_run {
        let mut tx = st.store.begin().await?;
        let outcome = if parse_errors.is_empty() {
            Some(
                import::apply(
                    &st,
                    &mut tx,
                    admin.merchant_id,
                    &rows,
                    &admin.username,
                    "import:dry-run",
                    keep_cost,
                    &|_| {},
                )
                .await?,
            )
        } else {
            None
        };
        drop(tx); // roll back: a dry run writes nothing
        let (errors, warnings, counts) = match outcome {
            Some(o) => (o.errors.into_iter().map(|e| e.in_lang(lang)).collect(), o.warnings, o.counts),
            None => (parse_errors, vec![], ImportCounts::default()),
        };
        let report = DryRunReport {
            encoding: import::encoding_name(enc).into(),
            total_rows: rows.len(),
            errors,
            warnings: warnings.into_iter().map(|(row, hit)| RowWarning { row, hit }).collect(),
            created_products: counts.created_products,
            updated_products: counts.updated_products,
            created_skus: counts.created_skus,
            updated_skus: counts.updated_skus,
        };
        return Ok(Json(report).into_response());
    }
    if !parse_errors.is_empty() {
        let n = parse_errors.len();
        return Err(ApiError::invalid_because("file", &CatalogRefusal::ImportProblems { n: n as i64 })
            .with_details(serde_json::json!({ "errors": parse_errors })));
    }
    let mut tx = st.store.begin().await?;
    let id = st
        .store
        .insert_import(
            &mut tx,
            admin.merchant_id,
            &admin.username,
            import::encoding_name(enc),
            &text,
            rows.len() as i64,
        )
        .await?;
    st.store
        .enqueue_job(
            &mut tx,
            &NewJob {
                merchant_id: admin.merchant_id,
                kind: IMPORT_JOB,
                payload: &format!("{{\"import_id\":{id}}}"),
                run_at: minimall_store::now_ms(),
                dedup_key: Some(&format!("{IMPORT_JOB}:{id}")),
                max_attempts: 3,
            },
        )
        .await?;
    audit(
        &st,
        &mut tx,
        &admin,
        &headers,
        "product.import",
        format!("import:{id}"),
        None,
        Some(serde_json::json!({"rows": rows.len(), "encoding": import::encoding_name(enc)})),
    )
    .await?;
    usecase::commit(&st, tx, Effects::new().wake_jobs()).await?;
    let status = load_status(&st, admin.merchant_id, id).await?;
    Ok((StatusCode::ACCEPTED, [(header::LOCATION, format!("/api/v1/admin/imports/{id}"))], Json(status))
        .into_response())
}

async fn load_status(st: &AppState, merchant_id: i64, id: i64) -> ApiResult<ImportStatus> {
    let r = st.store.import_record(merchant_id, id).await.map_err(|_| ApiError::not_found("import"))?;
    let processed =
        if r.status == "applying" { st.imports.get(id).unwrap_or(r.processed_rows) } else { r.processed_rows };
    Ok(ImportStatus {
        id: r.id,
        status: r.status,
        encoding: r.encoding,
        total_rows: r.total_rows,
        processed_rows: processed,
        created_products: r.created_products,
        updated_products: r.updated_products,
        created_skus: r.created_skus,
        updated_skus: r.updated_skus,
        errors: serde_json::from_str(&r.errors).unwrap_or_default(),
        created_at: r.created_at,
        finished_at: r.finished_at,
    })
}

/// Progress and outcome of an import.
#[utoipa::path(get, path = "/api/v1/admin/imports/{id}", tag = "admin-catalog", params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, body = ImportStatus), (status = 404, body = ErrorBody)))]
pub async fn import_status(
    State(st): State<AppState>,
    admin: Admin<ReadCatalog>,
    Path(id): Path<i64>,
) -> ApiResult<Json<ImportStatus>> {
    Ok(Json(load_status(&st, admin.merchant_id, id).await?))
}

/// The whole catalog as CSV (UTF-8 with BOM, Chinese headers, one row per SKU); it imports back unchanged.
/// The cost column (成本价) is there only for roles that may see cost prices; a file without it imports
/// back leaving costs as they are.
#[utoipa::path(get, path = "/api/v1/admin/products/export", tag = "admin-catalog", security(("bearer" = [])),
    responses((status = 200, content_type = "text/csv", body = String)))]
pub async fn export_products(State(st): State<AppState>, admin: Admin<ReadCatalog>) -> ApiResult<Response> {
    let rows = import::export_rows(&st, admin.merchant_id).await?;
    let csv = if MoneyView::of(&st, &admin).await?.cost {
        minimall_core::catalog::csvio::write_products(&rows)
    } else {
        minimall_core::catalog::csvio::write_products_without(&rows, &[import::cost_column()])
    };
    let mut r = csv.into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    r.headers_mut()
        .insert(header::CONTENT_DISPOSITION, HeaderValue::from_static("attachment; filename=\"products.csv\""));
    Ok(r)
}

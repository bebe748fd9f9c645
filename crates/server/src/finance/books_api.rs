//! The finance reports, operating expenses and staff counts on the console API. Reading needs `ReadFinance`
//! (owner, finance); writing needs `ManageFinance` (owner, finance) and is audited.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use minimall_core::ledger::report::Granularity;
use minimall_core::page::Page;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::expenses::{self, ExpenseDto, ExpenseInput, ExpenseQuery, StaffCount, StaffList, StaffQuery};
use super::reports::{self, BreakdownQuery, FinanceReport, ProductFigures, PromotionFigures};
use crate::accounts::auth::{Admin, ManageFinance, ReadFinance};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::http::extract::{ApiJson, ApiQuery, Path};
use crate::http::Paginated;
use crate::state::AppState;
use crate::usecase::Call;

/// Operating expenses of a range of months, newest month first.
#[utoipa::path(get, path = "/api/v1/admin/finance/expenses", tag = "admin-ledger", params(ExpenseQuery), security(("bearer" = [])),
    responses((status = 200, body = Paginated<ExpenseDto>), (status = 422, body = ErrorBody)))]
pub async fn list_expenses(
    State(st): State<AppState>,
    admin: Admin<ReadFinance>,
    ApiQuery(q): ApiQuery<ExpenseQuery>,
) -> ApiResult<Json<Paginated<ExpenseDto>>> {
    Ok(Json(expenses::list_expenses(&st, admin.merchant_id, &q).await?))
}

/// Enter an operating expense of a month (finance, owner; audited). It posts to the journal on the month's
/// first day: operating expenses against the bank (paid) or accounts payable (owed). Needs `Idempotency-Key`.
#[utoipa::path(post, path = "/api/v1/admin/finance/expenses", tag = "admin-ledger", request_body = ExpenseInput, security(("bearer" = [])),
    params(("Idempotency-Key" = String, Header)),
    responses((status = 201, body = ExpenseDto), (status = 422, body = ErrorBody)))]
pub async fn record_expense(
    State(st): State<AppState>,
    admin: Admin<ManageFinance>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<ExpenseInput>,
) -> ApiResult<Response> {
    expenses::record_expense(&st, &admin, &Call::from_headers(&headers), req).await.map(IntoResponse::into_response)
}

#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VoidExpense {
    /// Why (1–200 characters), kept with the correcting posting.
    #[schema(min_length = 1, max_length = 200)]
    pub reason: String,
}

/// Void an expense entered by mistake: a correction reverses its posting (finance, owner; audited). Voiding
/// twice is a 409.
#[utoipa::path(post, path = "/api/v1/admin/finance/expenses/{id}/void", tag = "admin-ledger", request_body = VoidExpense,
    params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, body = ExpenseDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn void_expense(
    State(st): State<AppState>,
    admin: Admin<ManageFinance>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<VoidExpense>,
) -> ApiResult<Json<ExpenseDto>> {
    Ok(Json(expenses::void_expense(&st, &admin, &Call::from_headers(&headers), id, &req.reason).await?))
}

/// Staff counts per month (for revenue per staff member, 人均产值).
#[utoipa::path(get, path = "/api/v1/admin/finance/staff", tag = "admin-ledger", params(StaffQuery), security(("bearer" = [])),
    responses((status = 200, body = StaffList), (status = 422, body = ErrorBody)))]
pub async fn staff_list(
    State(st): State<AppState>,
    admin: Admin<ReadFinance>,
    ApiQuery(q): ApiQuery<StaffQuery>,
) -> ApiResult<Json<StaffList>> {
    Ok(Json(expenses::staff_list(&st, admin.merchant_id, &q).await?))
}

/// Set the staff count of a month (finance, owner; audited).
#[utoipa::path(put, path = "/api/v1/admin/finance/staff", tag = "admin-ledger", request_body = StaffCount, security(("bearer" = [])),
    responses((status = 200, body = StaffCount), (status = 422, body = ErrorBody)))]
pub async fn set_staff(
    State(st): State<AppState>,
    admin: Admin<ManageFinance>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<StaffCount>,
) -> ApiResult<Json<StaffCount>> {
    Ok(Json(expenses::set_staff(&st, &admin, &Call::from_headers(&headers), req).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ReportQuery {
    /// First day (Beijing), `YYYY-MM-DD`.
    pub from: String,
    /// Last day, included; at most 3660 days after `from`.
    pub to: String,
    /// `day`, `week` (Monday to Sunday) or `month` (default `day`); at most 400 periods.
    #[param(schema_with = reports::granularities)]
    pub granularity: Option<String>,
}

/// Profit and loss by day, week or month: revenue, refunds, fees, coupon and points cost, shipping, cost of
/// goods, gross margin, operating expenses, net profit, staff and revenue per staff member; each figure with
/// the query of its postings.
#[utoipa::path(get, path = "/api/v1/admin/finance/report", tag = "admin-ledger", params(ReportQuery), security(("bearer" = [])),
    responses((status = 200, body = FinanceReport), (status = 422, body = ErrorBody)))]
pub async fn report(
    State(st): State<AppState>,
    admin: Admin<ReadFinance>,
    ApiQuery(q): ApiQuery<ReportQuery>,
) -> ApiResult<Json<FinanceReport>> {
    let (from, to) = reports::period(&q.from, &q.to)?;
    let g = match q.granularity.as_deref() {
        None => Granularity::Day,
        Some(s) => Granularity::parse(s).ok_or_else(|| {
            ApiError::from(minimall_core::FieldError::new(
                "granularity",
                minimall_core::error::Reason::OneOf { allowed: "day, week, month".into() },
            ))
        })?,
    };
    Ok(Json(reports::finance_report(&st, admin.merchant_id, from, to, g).await?))
}

/// Figures per product over a period (revenue, refunds, coupon cost, points paid, cost of goods, gross profit),
/// highest revenue first.
#[utoipa::path(get, path = "/api/v1/admin/finance/report/products", tag = "admin-ledger", params(BreakdownQuery), security(("bearer" = [])),
    responses((status = 200, body = Paginated<ProductFigures>), (status = 422, body = ErrorBody)))]
pub async fn product_report(
    State(st): State<AppState>,
    admin: Admin<ReadFinance>,
    ApiQuery(q): ApiQuery<BreakdownQuery>,
) -> ApiResult<Json<Paginated<ProductFigures>>> {
    let (from, to) = reports::period(&q.from, &q.to)?;
    let page = Page::parse(q.page, q.page_size)?;
    Ok(Json(reports::product_report(&st, admin.merchant_id, from, to, page).await?))
}

/// Figures per promotion over a period: what it cost and what it sold, highest cost first.
#[utoipa::path(get, path = "/api/v1/admin/finance/report/promotions", tag = "admin-ledger", params(BreakdownQuery), security(("bearer" = [])),
    responses((status = 200, body = Paginated<PromotionFigures>), (status = 422, body = ErrorBody)))]
pub async fn promotion_report(
    State(st): State<AppState>,
    admin: Admin<ReadFinance>,
    ApiQuery(q): ApiQuery<BreakdownQuery>,
) -> ApiResult<Json<Paginated<PromotionFigures>>> {
    let (from, to) = reports::period(&q.from, &q.to)?;
    let page = Page::parse(q.page, q.page_size)?;
    Ok(Json(reports::promotion_report(&st, admin.merchant_id, from, to, page).await?))
}

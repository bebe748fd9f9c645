//! The journal on the console API: postings (paginated, filtered), account balances, the trial balance,
//! profit and loss over a period, and the shop's payment fee terms. Reading needs the finance permission
//! (owner, finance); changing the fee terms is a shop setting (owner), recorded in the audit log.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;
use minimall_core::error::Reason;
use minimall_core::ledger::build::{FeeRate, RefundFee};
use minimall_core::ledger::report::{profit_and_loss, AccountFlow, Granularity};
use minimall_core::ledger::{Account, PostingKind, Unit};
use minimall_core::page::Page;
use minimall_core::FieldError;
use minimall_store::journal::{FeeSetting, JournalFilter};
use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::Object;
use utoipa::{IntoParams, ToSchema};

use crate::accounts::auth::{Admin, ManageFinance, ManageSettings, ReadFinance};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::finance::{fee_terms, PROVIDERS};
use crate::http::extract::ApiJson;
use crate::http::extract::ApiQuery;
use crate::http::Paginated;
use crate::ops::audit::{audit, to_json};
use crate::state::AppState;
use crate::usecase::Call;
use crate::web::view;

/// The longest period profit and loss covers: ten years of days.
pub const MAX_PERIOD_DAYS: i64 = 3660;

fn string_enum(values: Vec<&'static str>) -> Object {
    ObjectBuilder::new().schema_type(Type::String).enum_values(Some(values)).build()
}

fn account_codes() -> Object {
    string_enum(Account::ALL.iter().map(|a| a.code()).collect())
}

fn posting_kinds() -> Object {
    string_enum(PostingKind::ALL.iter().map(|k| k.as_str()).collect())
}

fn units() -> Object {
    string_enum(vec![Unit::Fen.as_str(), Unit::Points.as_str()])
}

fn sides() -> Object {
    string_enum(vec!["debit", "credit"])
}

fn providers() -> Object {
    string_enum(PROVIDERS.to_vec())
}

fn refund_fees() -> Object {
    string_enum(vec![RefundFee::Returned.as_str(), RefundFee::Kept.as_str()])
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct JournalQuery {
    pub page: Option<i64>,
    pub page_size: Option<i64>,
    /// Only postings with an entry on this account.
    #[param(schema_with = account_codes)]
    pub account: Option<String>,
    #[param(schema_with = posting_kinds)]
    pub kind: Option<String>,
    /// First day (Beijing), `YYYY-MM-DD`.
    pub from: Option<String>,
    /// Last day (Beijing), `YYYY-MM-DD`, included.
    pub to: Option<String>,
    /// Only postings with an entry for this product.
    #[param(minimum = 1)]
    pub product_id: Option<i64>,
    /// Only postings with an entry naming this promotion (`coupon:<id>`, `activity:<id>`).
    #[param(max_length = 100)]
    pub promotion: Option<String>,
}

/// One line of a posting: debit positive, credit negative, in the account's unit.
#[derive(Serialize, ToSchema)]
pub struct EntryDto {
    #[schema(schema_with = account_codes)]
    pub account: String,
    #[schema(schema_with = units)]
    pub unit: String,
    pub amount: i64,
    pub product_id: Option<i64>,
    /// `coupon:<id>` or `activity:<id>`.
    pub promotion: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct PostingDto {
    pub id: i64,
    #[schema(schema_with = posting_kinds)]
    pub kind: String,
    /// What caused it, e.g. `payment:42`, `refund:7`, `order:9`.
    pub reference: String,
    /// The posting this one corrects.
    pub corrects: Option<i64>,
    pub memo: String,
    /// The console user who made it, when a person did.
    pub actor_id: Option<i64>,
    /// Epoch ms.
    pub at: i64,
    pub entries: Vec<EntryDto>,
}

/// A value that is not one of the listed ones (an account code, a kind of posting).
fn not_allowed(field: &str) -> ApiError {
    ApiError::invalid_because(field, &crate::error::ApiReason::NotAllowedValue)
}

fn day_param(field: &str, s: Option<&str>) -> ApiResult<Option<i64>> {
    match s {
        None => Ok(None),
        Some(s) => minimall_core::time::parse_day(s)
            .map(Some)
            .ok_or_else(|| ApiError::from(FieldError::new(field, Reason::Date))),
    }
}

/// Postings, newest first, each with its entries.
#[utoipa::path(get, path = "/api/v1/admin/ledger/postings", tag = "admin-ledger", params(JournalQuery), security(("bearer" = [])),
    responses((status = 200, body = Paginated<PostingDto>), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn postings(
    State(st): State<AppState>,
    admin: Admin<ReadFinance>,
    ApiQuery(q): ApiQuery<JournalQuery>,
) -> ApiResult<Json<Paginated<PostingDto>>> {
    let page = Page::parse(q.page, q.page_size)?;
    let account = match q.account.as_deref() {
        None => None,
        Some(c) => Some(Account::from_code(c).ok_or_else(|| not_allowed("account"))?),
    };
    let kind = match q.kind.as_deref() {
        None => None,
        Some(k) => Some(PostingKind::parse(k).ok_or_else(|| not_allowed("kind"))?),
    };
    let from = day_param("from", q.from.as_deref())?;
    let to = day_param("to", q.to.as_deref())?;
    let filter = JournalFilter {
        account,
        kind,
        from_ms: from.map(view::day_start_ms),
        to_ms: to.map(|d| view::day_start_ms(d + 1)),
        product_id: q.product_id,
        promotion: q.promotion.clone(),
        by_person: false,
    };
    if q.product_id.is_some_and(|p| p < 1) {
        return Err(minimall_core::FieldError::new("product_id", minimall_core::error::Reason::IdsPositive).into());
    }
    if q.promotion.as_ref().is_some_and(|p| p.chars().count() > 100) {
        return Err(
            minimall_core::FieldError::new("promotion", minimall_core::error::Reason::TooLong { max: 100 }).into()
        );
    }
    let rows = st.store.journal_postings(admin.merchant_id, &filter, page.size(), page.offset()).await?;
    let items = rows
        .items
        .into_iter()
        .map(|p| PostingDto {
            id: p.posting.id,
            kind: p.posting.kind,
            reference: p.posting.reference,
            corrects: p.posting.corrects,
            memo: p.posting.memo,
            actor_id: p.posting.actor_id,
            at: p.posting.at,
            entries: p
                .entries
                .into_iter()
                .map(|e| EntryDto {
                    account: e.account,
                    unit: e.unit,
                    amount: e.amount,
                    product_id: e.product_id,
                    promotion: e.promotion,
                })
                .collect(),
        })
        .collect();
    Ok(Json(Paginated::new(items, rows.total, page)))
}

/// An account with its running totals.
#[derive(Serialize, ToSchema)]
pub struct AccountDto {
    #[schema(schema_with = account_codes)]
    pub account: String,
    #[schema(schema_with = units)]
    pub unit: String,
    /// The side on which the balance grows.
    #[schema(schema_with = sides)]
    pub normal_side: String,
    /// Whether the balance may be below zero.
    pub may_go_negative: bool,
    /// Σ debits and Σ credits (both positive).
    pub debits: i64,
    pub credits: i64,
    /// The balance on the normal side.
    pub balance: i64,
    pub entries: i64,
}

#[derive(Serialize, ToSchema)]
pub struct TrialBalance {
    /// Every account of the chart.
    pub accounts: Vec<AccountDto>,
    /// Σ (debits − credits) over the fen accounts: 0 when every posting balanced.
    pub fen_difference: i64,
    /// The same over the points accounts.
    pub points_difference: i64,
}

async fn trial_balance_of(st: &AppState, merchant_id: i64) -> ApiResult<TrialBalance> {
    let rows = st.store.journal_balances(merchant_id).await?;
    let fen_difference = minimall_store::journal::trial_sum(&rows, Unit::Fen);
    let points_difference = minimall_store::journal::trial_sum(&rows, Unit::Points);
    let accounts = rows
        .into_iter()
        .map(|r| AccountDto {
            may_go_negative: Account::from_code(&r.account).is_none_or(|a| a.may_go_negative()),
            account: r.account,
            unit: r.unit,
            normal_side: r.normal_side,
            debits: r.debits,
            credits: r.credits,
            balance: r.balance,
            entries: r.entry_count,
        })
        .collect();
    Ok(TrialBalance { accounts, fen_difference, points_difference })
}

/// The trial balance: every account's debits, credits and balance from the running totals, and the
/// difference per unit (zero).
#[utoipa::path(get, path = "/api/v1/admin/ledger/trial-balance", tag = "admin-ledger", security(("bearer" = [])),
    responses((status = 200, body = TrialBalance), (status = 403, body = ErrorBody)))]
pub async fn trial_balance(State(st): State<AppState>, admin: Admin<ReadFinance>) -> ApiResult<Json<TrialBalance>> {
    Ok(Json(trial_balance_of(&st, admin.merchant_id).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PeriodQuery {
    /// First day (Beijing), `YYYY-MM-DD`.
    pub from: String,
    /// Last day (Beijing), `YYYY-MM-DD`, included; at most 3660 days after `from`.
    pub to: String,
}

/// Profit and loss of a period, fen.
#[derive(Serialize, ToSchema)]
pub struct ProfitAndLossDto {
    pub from: String,
    pub to: String,
    /// Goods sold after order-level reductions, before coupons and points.
    pub sales_revenue: i64,
    pub sales_refunds: i64,
    pub shipping_income: i64,
    /// Sales − refunds + shipping income.
    pub net_revenue: i64,
    pub cost_of_goods: i64,
    pub shipping_cost: i64,
    /// Net revenue − cost of goods − shipping cost.
    pub gross_profit: i64,
    pub payment_fees: i64,
    pub coupon_cost: i64,
    pub points_cost: i64,
    pub commission: i64,
    pub operating_expenses: i64,
    /// Gross profit − fees − coupon, points, commission and operating costs.
    pub net_profit: i64,
    /// Staff: the count of the period's month, or the average of its months' counts rounded half up.
    pub staff: Option<i64>,
    /// Net revenue over the average staff count of the period's months that have one, rounded down (人均产值).
    pub revenue_per_staff: Option<i64>,
}

/// Profit and loss over the shop's days `[from, to]`, from the journal's per-day totals.
#[utoipa::path(get, path = "/api/v1/admin/ledger/profit-and-loss", tag = "admin-ledger", params(PeriodQuery), security(("bearer" = [])),
    responses((status = 200, body = ProfitAndLossDto), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn profit_and_loss_report(
    State(st): State<AppState>,
    admin: Admin<ReadFinance>,
    ApiQuery(q): ApiQuery<PeriodQuery>,
) -> ApiResult<Json<ProfitAndLossDto>> {
    let from = day_param("from", Some(&q.from))?.unwrap_or_default();
    let to = day_param("to", Some(&q.to))?.unwrap_or_default();
    if to < from || to - from >= MAX_PERIOD_DAYS {
        return Err(FieldError::new("to", Reason::PeriodTooLong { max_days: MAX_PERIOD_DAYS }).into());
    }
    let totals = st.store.journal_period_totals(admin.merchant_id, from, to).await?;
    let flows: Vec<AccountFlow> = totals
        .iter()
        .filter_map(|t| {
            Account::from_code(&t.account).map(|account| AccountFlow { account, debits: t.debits, credits: t.credits })
        })
        .collect();
    let p = profit_and_loss(&flows);
    let total = crate::finance::reports::finance_report(&st, admin.merchant_id, from, to, Granularity::Month)
        .await
        .map(|r| r.total)
        .ok();
    Ok(Json(ProfitAndLossDto {
        staff: total.as_ref().and_then(|t| t.staff),
        revenue_per_staff: total.as_ref().and_then(|t| t.revenue_per_staff),
        from: view::date_label(from),
        to: view::date_label(to),
        sales_revenue: p.sales_revenue,
        sales_refunds: p.sales_refunds,
        shipping_income: p.shipping_income,
        net_revenue: p.net_revenue,
        cost_of_goods: p.cost_of_goods,
        shipping_cost: p.shipping_cost,
        gross_profit: p.gross_profit,
        payment_fees: p.payment_fees,
        coupon_cost: p.coupon_cost,
        points_cost: p.points_cost,
        commission: p.commission,
        operating_expenses: p.operating_expenses,
        net_profit: p.net_profit,
    }))
}

/// A shop's fee terms with one payment provider.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FeeTermsDto {
    #[schema(schema_with = providers)]
    pub provider: String,
    /// The fee rate in basis points (万分之一): 60 is 0.6 %. 0–1000.
    #[schema(minimum = 0, maximum = 1000)]
    pub fee_basis_points: i64,
    /// Whether a refund gives the fee back in proportion (`returned`) or not (`kept`).
    #[schema(schema_with = refund_fees)]
    pub refund_fee: String,
}

#[derive(Serialize, ToSchema)]
pub struct FeeTermsList {
    /// One per provider: the shop's own terms, or the defaults.
    pub items: Vec<FeeTermsDto>,
}

async fn terms_list(st: &AppState, merchant_id: i64) -> ApiResult<FeeTermsList> {
    let mut items = Vec::new();
    for p in PROVIDERS {
        let t = fee_terms(st, merchant_id, p).await?;
        items.push(FeeTermsDto {
            provider: p.to_string(),
            fee_basis_points: i64::from(t.rate.basis_points()),
            refund_fee: t.refund_fee.as_str().to_string(),
        });
    }
    Ok(FeeTermsList { items })
}

/// The payment fee terms per provider: rate, rounded half up per payment, and what refunds do with it.
#[utoipa::path(get, path = "/api/v1/admin/settings/payment-fees", tag = "admin-ledger", security(("bearer" = [])),
    responses((status = 200, body = FeeTermsList), (status = 403, body = ErrorBody)))]
pub async fn get_fee_terms(State(st): State<AppState>, admin: Admin<ReadFinance>) -> ApiResult<Json<FeeTermsList>> {
    Ok(Json(terms_list(&st, admin.merchant_id).await?))
}

/// Set the fee terms of one provider (owner; recorded in the audit log). Payments and refunds from now on
/// are posted with them.
#[utoipa::path(put, path = "/api/v1/admin/settings/payment-fees", tag = "admin-ledger", request_body = FeeTermsDto, security(("bearer" = [])),
    responses((status = 200, body = FeeTermsList), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_fee_terms(
    State(st): State<AppState>,
    admin: Admin<ManageSettings>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<FeeTermsDto>,
) -> ApiResult<Json<FeeTermsList>> {
    if !PROVIDERS.contains(&req.provider.as_str()) {
        return Err(FieldError::new("provider", Reason::OneOf { allowed: PROVIDERS.join(", ") }).into());
    }
    let bp = u32::try_from(req.fee_basis_points)
        .ok()
        .and_then(|bp| FeeRate::from_basis_points(bp).ok())
        .ok_or_else(|| FieldError::new("fee_basis_points", Reason::OutOfRange { min: 0, max: 1000 }))?;
    let refund_fee = RefundFee::parse(&req.refund_fee).ok_or_else(|| {
        let allowed = [RefundFee::Returned.as_str(), RefundFee::Kept.as_str()].join(", ");
        FieldError::new("refund_fee", Reason::OneOf { allowed })
    })?;
    let before = st.store.payment_fee_setting(st.store.reader(), admin.merchant_id, &req.provider).await?;
    let setting = FeeSetting {
        provider: req.provider.clone(),
        fee_basis_points: i64::from(bp.basis_points()),
        refund_fee: refund_fee.as_str().to_string(),
    };
    let mut tx = st.store.begin().await?;
    st.store.set_payment_fee_setting(&mut tx, admin.merchant_id, &setting).await?;
    let before = before.map(|b| FeeTermsDto {
        provider: b.provider,
        fee_basis_points: b.fee_basis_points,
        refund_fee: b.refund_fee,
    });
    audit(
        &st,
        &mut tx,
        &admin,
        &headers,
        "settings.payment_fees",
        format!("provider:{}", req.provider),
        to_json(&before),
        to_json(&req),
    )
    .await?;
    minimall_store::commit(tx).await?;
    Ok(Json(terms_list(&st, admin.merchant_id).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct BillQuery {
    /// The day (Beijing), `YYYY-MM-DD`.
    pub date: String,
}

/// The sandbox provider's trade bill of a day, in WeChat Pay's format (交易账单): its payments and refunds
/// that succeeded that day, with their fees. Only while the sandbox provider is on.
#[utoipa::path(get, path = "/api/v1/admin/ledger/statements/sandbox", tag = "admin-ledger", params(BillQuery), security(("bearer" = [])),
    responses((status = 200, content_type = "text/csv", body = String), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn sandbox_bill(
    State(st): State<AppState>,
    admin: Admin<ReadFinance>,
    ApiQuery(q): ApiQuery<BillQuery>,
) -> ApiResult<axum::response::Response> {
    use axum::response::IntoResponse;
    let day = day_param("date", Some(&q.date))?.unwrap_or_default();
    let csv = super::reconcile::sandbox_bill_csv(&st, admin.merchant_id, day).await?;
    Ok(([(axum::http::header::CONTENT_TYPE, "text/csv; charset=utf-8")], csv).into_response())
}

fn finding_kinds() -> Object {
    string_enum(vec!["missing", "extra", "amount_mismatch"])
}

fn trade_kinds() -> Object {
    string_enum(vec!["payment", "refund"])
}

/// A provider's bill of one day, to reconcile with the shop's payments and refunds of that day.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReconcileRequest {
    #[schema(schema_with = providers)]
    pub provider: String,
    /// The bill's day (Beijing), `YYYY-MM-DD`.
    pub date: String,
    /// The bill as the provider gives it: WeChat Pay's trade bill CSV (`bill_type=ALL`).
    pub bill: String,
}

/// One difference between the bill and the shop's records.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct FindingDto {
    /// `missing`: the shop recorded it, the bill does not have it; `extra`: on the bill only (or twice);
    /// `amount_mismatch`: on both with another amount or fee.
    #[schema(schema_with = finding_kinds)]
    pub finding: String,
    #[schema(schema_with = trade_kinds)]
    pub kind: String,
    /// The merchant's trade number (payments) or refund number (refunds).
    pub reference: String,
    /// For a mismatch: `amount` or `fee`.
    pub what: Option<String>,
    /// Fen, as the shop recorded it.
    pub recorded: Option<i64>,
    /// Fen, as the bill says.
    pub statement: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct ReconcileReport {
    #[schema(schema_with = providers)]
    pub provider: String,
    pub date: String,
    /// Payments and refunds on the bill.
    pub statement_lines: i64,
    /// Payments and refunds the shop recorded that day.
    pub recorded_lines: i64,
    /// Lines that agree.
    pub matched: i64,
    pub findings: Vec<FindingDto>,
}

/// Reconcile a provider's bill of one day, line by line, with the payments and refunds that succeeded that
/// day: what is missing from the bill, what is extra on it, and amounts (or fees) that differ.
#[utoipa::path(post, path = "/api/v1/admin/ledger/reconciliations", tag = "admin-ledger", request_body = ReconcileRequest, security(("bearer" = [])),
    responses((status = 200, body = ReconcileReport), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn reconcile(
    State(st): State<AppState>,
    admin: Admin<ManageFinance>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<ReconcileRequest>,
) -> ApiResult<Json<ReconcileReport>> {
    let day = day_param("date", Some(&req.date))?.unwrap_or_default();
    let (_, report) = super::reconcile::reconcile_bill(
        &st,
        admin.merchant_id,
        Some((&admin, &Call::from_headers(&headers))),
        &req.provider,
        day,
        &req.bill,
    )
    .await?;
    Ok(Json(report))
}

#[derive(Serialize, ToSchema)]
pub struct ReconciliationDto {
    pub id: i64,
    #[schema(schema_with = providers)]
    pub provider: String,
    /// The bill's day, `YYYY-MM-DD`.
    pub date: String,
    /// `import` (a person) or `job` (the daily reconciliation).
    #[schema(schema_with = sources)]
    pub source: String,
    pub statement_lines: i64,
    pub recorded_lines: i64,
    pub matched: i64,
    pub missing: i64,
    pub extra: i64,
    pub amount_mismatch: i64,
    /// Epoch ms.
    pub created_at: i64,
    pub findings: Vec<FindingDto>,
}

fn sources() -> Object {
    string_enum(vec!["import", "job"])
}

/// Reconciliations run, newest first: imported bills and the daily job's, with their findings.
#[utoipa::path(get, path = "/api/v1/admin/ledger/reconciliations", tag = "admin-ledger", params(crate::http::PageQuery), security(("bearer" = [])),
    responses((status = 200, body = Paginated<ReconciliationDto>), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn reconciliations(
    State(st): State<AppState>,
    admin: Admin<ReadFinance>,
    ApiQuery(q): ApiQuery<crate::http::PageQuery>,
) -> ApiResult<Json<Paginated<ReconciliationDto>>> {
    let page = Page::parse(q.page, q.page_size)?;
    Ok(Json(super::reconcile::list(&st, admin.merchant_id, page).await?))
}

//! Use cases of operating expenses and staff counts. Finance (and the owner) enter expenses per month and
//! category; each posts to the journal through `core::ledger::build::expense` in the transaction that records
//! it, booked on the first day of its month, and is audited. A mistaken expense is voided by a correction that
//! reverses its posting, with a reason. The staff count per month gives revenue per staff member (人均产值).

use axum::http::StatusCode;
use minimall_core::ledger::build;
use minimall_core::ledger::expense::{self, Category, Month, Refusal};
use minimall_core::ledger::Posting;
use minimall_core::page::Page;
use minimall_store::finance::{ExpenseRow, NewExpenseRow};
use minimall_store::StoreError;
use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::Object;
use utoipa::{IntoParams, ToSchema};

use crate::accounts::auth::{Admin, ManageFinance};
use crate::error::{ApiError, ApiResult};
use crate::http::{idempotency, Paginated};
use crate::ops::audit::{audit, to_json};
use crate::state::AppState;
use crate::usecase::{self, Call, Effects, Stored};
use crate::web::view;

pub fn categories() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(Category::ALL.iter().map(|c| c.code()).collect::<Vec<_>>()))
        .build()
}

/// An operating expense as entered.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpenseInput {
    /// The month it belongs to, `YYYY-MM` (2000-01 to 2099-12); booked on the month's first day.
    #[schema(pattern = "^[0-9]{4}-[0-9]{2}$", example = "2026-12")]
    pub month: String,
    #[schema(schema_with = categories)]
    pub category: String,
    /// Fen, 1 to 10,000,000,000 (¥100,000,000).
    #[schema(minimum = 1, maximum = 10_000_000_000_i64)]
    pub amount: i64,
    /// Paid from the bank (`true`) or still owed (`false`, accounts payable).
    #[serde(default = "yes")]
    pub paid: bool,
    /// At most 200 characters.
    #[serde(default)]
    #[schema(max_length = 200)]
    pub memo: String,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ExpenseDto {
    pub id: i64,
    /// `YYYY-MM`.
    pub month: String,
    #[schema(schema_with = categories)]
    pub category: String,
    pub amount: i64,
    pub paid: bool,
    pub memo: String,
    /// Its posting in the journal.
    pub posting_id: Option<i64>,
    pub created_by: Option<i64>,
    pub created_at: i64,
    /// When it was voided (epoch ms), with the reason and the correcting posting.
    pub voided_at: Option<i64>,
    pub void_reason: Option<String>,
    pub void_posting_id: Option<i64>,
}

impl From<ExpenseRow> for ExpenseDto {
    fn from(r: ExpenseRow) -> Self {
        ExpenseDto {
            id: r.id,
            month: Month::from_number(r.month).map(Month::label).unwrap_or_default(),
            category: r.category,
            amount: r.amount,
            paid: r.paid != 0,
            memo: r.memo,
            posting_id: r.posting_id,
            created_by: r.created_by,
            created_at: r.created_at,
            voided_at: r.voided_at,
            void_reason: r.void_reason,
            void_posting_id: r.void_posting_id,
        }
    }
}

fn ledger_refused(e: minimall_core::ledger::LedgerError) -> ApiError {
    ApiError::internal(format!("the journal refused a posting: {e}"))
}

/// Record an expense and post it. Needs `Idempotency-Key` (it moves money in the journal).
pub async fn record_expense(
    st: &AppState,
    who: &Admin<ManageFinance>,
    call: &Call,
    req: ExpenseInput,
) -> ApiResult<Stored> {
    let key = call.required_idempotency_key()?;
    let e = expense::new_expense(&req.month, &req.category, req.amount, req.paid, &req.memo)?;
    let at = view::day_start_ms(e.month.days().0);
    let scope = format!("admin:{}:record_expense", who.id);
    let fingerprint = idempotency::request_hash(
        "POST",
        "/api/v1/admin/finance/expenses",
        &serde_json::to_value(&req).map_err(ApiError::internal)?,
    );
    let mut tx = st.store.begin().await?;
    if let Some(replay) = idempotency::begin(&st.store, &mut tx, who.merchant_id, &scope, &key, &fingerprint).await? {
        return Ok(replay);
    }
    let row = NewExpenseRow {
        month: e.month.number(),
        category: e.category.code(),
        amount: e.amount.fen(),
        paid: e.paid,
        memo: &e.memo,
        created_by: who.id,
    };
    let id = st.store.insert_expense(&mut tx, who.merchant_id, &row).await?;
    let posting = build::expense(id, at, e.amount, e.paid)
        .map_err(ledger_refused)?
        .ok_or_else(|| ApiError::internal("an expense of zero"))?
        .with_memo(&format!(
            "{} {}",
            crate::labels::label(crate::web::i18n::Lang::Zh, "expense-category", e.category.code()),
            e.month.label()
        ))
        .map_err(ledger_refused)?;
    let posting_id = st.store.post(&mut tx, who.merchant_id, &posting, Some(who.id)).await?;
    st.store.link_expense_posting(&mut tx, id, posting_id).await?;
    let dto = ExpenseDto {
        id,
        month: e.month.label(),
        category: e.category.code().to_string(),
        amount: e.amount.fen(),
        paid: e.paid,
        memo: e.memo.clone(),
        posting_id: Some(posting_id),
        created_by: Some(who.id),
        created_at: minimall_store::now_ms(),
        voided_at: None,
        void_reason: None,
        void_posting_id: None,
    };
    audit(st, &mut tx, who, call, "finance.expense", format!("expense:{id}"), None, to_json(&dto)).await?;
    let body = serde_json::to_string(&dto).map_err(ApiError::internal)?;
    idempotency::finish(&st.store, &mut tx, &scope, &key, StatusCode::CREATED, &body).await?;
    usecase::commit(st, tx, Effects::new()).await?;
    Ok(Stored::fresh(StatusCode::CREATED, body))
}

/// Void an expense: a correction reverses its posting; the expense stays listed, marked voided.
pub async fn void_expense(
    st: &AppState,
    who: &Admin<ManageFinance>,
    call: &Call,
    id: i64,
    reason: &str,
) -> ApiResult<ExpenseDto> {
    let reason = expense::void_reason(reason)?;
    let before = st.store.expense(who.merchant_id, id).await.map_err(|_| ApiError::not_found("expense"))?;
    if before.voided_at.is_some() {
        return Err(ApiError::refused(StatusCode::CONFLICT, "conflict", &Refusal::AlreadyVoided));
    }
    let original_id = before.posting_id.ok_or_else(|| ApiError::internal("an expense without its posting"))?;
    let original = st.store.journal_posting(who.merchant_id, original_id).await?;
    let entries = original
        .entries
        .iter()
        .map(|e| {
            let account = minimall_core::ledger::Account::from_code(&e.account)
                .ok_or_else(|| ApiError::internal("an entry on an unknown account"))?;
            Ok(minimall_core::ledger::Entry::debit(account, e.amount))
        })
        .collect::<ApiResult<Vec<_>>>()?;
    let correction =
        Posting::reversal(original_id, &entries, minimall_store::now_ms(), &reason).map_err(ledger_refused)?;
    let mut tx = st.store.begin().await?;
    let posting_id = st.store.post(&mut tx, who.merchant_id, &correction, Some(who.id)).await.map_err(|e| match e {
        StoreError::Duplicate(_) => ApiError::refused(StatusCode::CONFLICT, "conflict", &Refusal::AlreadyVoided),
        o => o.into(),
    })?;
    if !st.store.void_expense(&mut tx, who.merchant_id, id, &reason, posting_id).await? {
        return Err(ApiError::refused(StatusCode::CONFLICT, "conflict", &Refusal::AlreadyVoided));
    }
    let mut after = ExpenseDto::from(before.clone());
    after.voided_at = Some(minimall_store::now_ms());
    after.void_reason = Some(reason.clone());
    after.void_posting_id = Some(posting_id);
    audit(
        st,
        &mut tx,
        who,
        call,
        "finance.expense_void",
        format!("expense:{id}"),
        to_json(&ExpenseDto::from(before)),
        to_json(&after),
    )
    .await?;
    usecase::commit(st, tx, Effects::new()).await?;
    Ok(after)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ExpenseQuery {
    pub page: Option<i64>,
    pub page_size: Option<i64>,
    /// First month, `YYYY-MM` (default 2000-01).
    pub from: Option<String>,
    /// Last month, `YYYY-MM`, included (default 2099-12).
    pub to: Option<String>,
}

fn month_or(field: &'static str, s: Option<&str>, default: Month) -> ApiResult<Month> {
    match s {
        None | Some("") => Ok(default),
        Some(s) => Ok(expense::parse_month(field, s)?),
    }
}

/// Expenses of a range of months, newest month first.
pub async fn list_expenses(st: &AppState, merchant_id: i64, q: &ExpenseQuery) -> ApiResult<Paginated<ExpenseDto>> {
    let page = Page::parse(q.page, q.page_size)?;
    let from = month_or("from", q.from.as_deref(), Month { year: Month::FIRST_YEAR, month: 1 })?;
    let to = month_or("to", q.to.as_deref(), Month { year: Month::LAST_YEAR, month: 12 })?;
    let rows = st.store.expenses(merchant_id, from.number(), to.number(), page.size(), page.offset()).await?;
    Ok(Paginated::new(rows.items.into_iter().map(ExpenseDto::from).collect(), rows.total, page))
}

/// The staff count of one month.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StaffCount {
    /// `YYYY-MM`.
    #[schema(pattern = "^[0-9]{4}-[0-9]{2}$", example = "2026-12")]
    pub month: String,
    /// People working for the shop that month, 0 to 1,000,000.
    #[schema(minimum = 0, maximum = 1_000_000)]
    pub staff: i64,
}

/// Set the staff count of a month (audited).
pub async fn set_staff(
    st: &AppState,
    who: &Admin<ManageFinance>,
    call: &Call,
    req: StaffCount,
) -> ApiResult<StaffCount> {
    let month = expense::parse_month("month", &req.month)?;
    let staff = expense::staff_count(req.staff)?;
    let before = st.store.staff_counts(who.merchant_id, month.number(), month.number()).await?;
    let mut tx = st.store.begin().await?;
    st.store.set_staff_count(&mut tx, who.merchant_id, month.number(), staff).await?;
    let after = StaffCount { month: month.label(), staff };
    let before = before.first().map(|(_, s)| StaffCount { month: month.label(), staff: *s });
    audit(
        st,
        &mut tx,
        who,
        call,
        "finance.staff",
        format!("month:{}", month.label()),
        to_json(&before),
        to_json(&after),
    )
    .await?;
    usecase::commit(st, tx, Effects::new()).await?;
    Ok(after)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct StaffQuery {
    /// First month, `YYYY-MM` (default: twelve months before `to`).
    pub from: Option<String>,
    /// Last month, `YYYY-MM` (default: this month).
    pub to: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StaffList {
    /// The months that have a count, oldest first (at most 1,200).
    pub items: Vec<StaffCount>,
}

/// Staff counts of a range of months.
pub async fn staff_list(st: &AppState, merchant_id: i64, q: &StaffQuery) -> ApiResult<StaffList> {
    let this = Month::of_day(view::beijing_day(minimall_store::now_ms())).unwrap_or(Month { year: 2026, month: 1 });
    let to = month_or("to", q.to.as_deref(), this)?;
    let a_year_before = Month::new(to.year - 1, to.month).unwrap_or(Month { year: Month::FIRST_YEAR, month: 1 });
    let from = month_or("from", q.from.as_deref(), a_year_before)?;
    let rows = st.store.staff_counts(merchant_id, from.number(), to.number()).await?;
    Ok(StaffList {
        items: rows
            .into_iter()
            .filter_map(|(m, staff)| Some(StaffCount { month: Month::from_number(m)?.label(), staff }))
            .collect(),
    })
}

//! Manual adjustment postings and the sub-ledger check.
//!
//! Finance enters an adjustment (entries with a reason; `ManageFinance`), optionally as the correction of an
//! earlier posting, which it names: core checks the entries (balanced per unit, no sub-ledger control
//! account) before any write; the store refuses a posting that would take an account that may not go
//! negative below zero; the posting is written with its author and audited, in one transaction. Reading
//! (`ReadFinance`) is for the owner and finance.
//!
//! The sub-ledger check compares each sub-ledger (points per buyer, commission per promoter) with its control
//! account in the journal.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use minimall_core::ledger::adjust::{self, AdjustError, AdjustRefusal, ManualEntry};
use minimall_core::ledger::subledger::{SubLedger, SubLedgerCheck};
use minimall_core::ledger::Account;
use minimall_store::StoreError;
use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::Object;
use utoipa::ToSchema;

use super::api::PostingDto;
use crate::accounts::auth::{Admin, ManageFinance, ReadFinance};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::http::extract::ApiJson;
use crate::http::idempotency;
use crate::ops::audit::{audit, to_json};
use crate::state::AppState;
use crate::usecase::{self, Call, Effects, Stored};

fn adjustable_accounts() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(Account::ALL.iter().filter(|a| !a.has_sub_ledger()).map(|a| a.code()).collect::<Vec<_>>()))
        .build()
}

fn control_accounts() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(SubLedger::ALL.iter().map(|s| s.control().code()).collect::<Vec<_>>()))
        .build()
}

fn sub_ledgers() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(SubLedger::ALL.iter().map(|s| s.code()).collect::<Vec<_>>()))
        .build()
}

/// One entry of a manual adjustment.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdjustmentEntryInput {
    /// Any account of the chart but the control accounts of sub-ledgers.
    #[schema(schema_with = adjustable_accounts)]
    pub account: String,
    /// In the account's unit (fen, or points): debit positive, credit negative; not zero.
    #[schema(minimum = -1_000_000_000_000_000_i64, maximum = 1_000_000_000_000_000_i64)]
    pub amount: i64,
    #[schema(minimum = 1)]
    pub product_id: Option<i64>,
}

/// A manual adjustment posting.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdjustmentInput {
    /// Why (1–200 characters), kept as the posting's memo.
    #[schema(min_length = 1, max_length = 200)]
    pub reason: String,
    /// The posting this one corrects, if it is a correction.
    #[schema(minimum = 1)]
    pub corrects: Option<i64>,
    /// 2–20 entries that sum to zero per unit.
    #[schema(min_items = 2, max_items = 20)]
    pub entries: Vec<AdjustmentEntryInput>,
}

fn refused(e: AdjustError) -> ApiError {
    match e {
        AdjustError::Field(f) => f.into(),
        AdjustError::Refused { field, reason } => ApiError::invalid_because(field, &reason),
    }
}

/// Post a manual adjustment (finance; audited). Needs `Idempotency-Key`.
pub async fn post_adjustment(
    st: &AppState,
    who: &Admin<ManageFinance>,
    call: &Call,
    req: AdjustmentInput,
) -> ApiResult<Stored> {
    let key = call.required_idempotency_key()?;
    let entries: Vec<ManualEntry> = req
        .entries
        .iter()
        .map(|e| ManualEntry { account: e.account.clone(), amount: e.amount, product_id: e.product_id })
        .collect();
    let token = crate::accounts::auth::new_token("");
    let reference = match req.corrects {
        Some(id) => format!("correction:{id}:{}", &token[..24]),
        None => format!("manual:{}", &token[..24]),
    };
    let posting = adjust::adjustment(&reference, minimall_store::now_ms(), &req.reason, req.corrects, &entries)
        .map_err(refused)?;
    if let Some(id) = req.corrects {
        st.store.journal_posting(who.merchant_id, id).await.map_err(|e| match e {
            StoreError::NotFound => ApiError::not_found("posting").with_field("corrects"),
            o => o.into(),
        })?;
    }
    let scope = format!("admin:{}:ledger_adjustment", who.id);
    let fingerprint = idempotency::request_hash(
        "POST",
        "/api/v1/admin/ledger/adjustments",
        &serde_json::to_value(&req).map_err(ApiError::internal)?,
    );
    let mut tx = st.store.begin().await?;
    if let Some(replay) = idempotency::begin(&st.store, &mut tx, who.merchant_id, &scope, &key, &fingerprint).await? {
        return Ok(replay);
    }
    let id = st.store.post(&mut tx, who.merchant_id, &posting, Some(who.id)).await.map_err(|e| match e {
        StoreError::Constraint(_) => {
            let account = posting
                .entries()
                .iter()
                .find(|e| !e.account.may_go_negative() && e.balance_change() < 0)
                .map_or("", |e| e.account.code());
            ApiError::invalid_because("entries", &AdjustRefusal::WouldGoNegative { account: account.into() })
        }
        o => o.into(),
    })?;
    let dto = PostingDto {
        id,
        kind: posting.kind().as_str().into(),
        reference: posting.reference().into(),
        corrects: posting.corrects(),
        memo: posting.memo().into(),
        actor_id: Some(who.id),
        at: posting.at_ms(),
        entries: posting
            .entries()
            .iter()
            .map(|e| super::api::EntryDto {
                account: e.account.code().into(),
                unit: e.account.unit().as_str().into(),
                amount: e.amount.value(),
                product_id: e.product_id,
                promotion: e.promotion.clone(),
            })
            .collect(),
    };
    audit(st, &mut tx, who, call, "finance.adjustment", format!("posting:{id}"), None, to_json(&dto)).await?;
    let body = serde_json::to_string(&dto).map_err(ApiError::internal)?;
    idempotency::finish(&st.store, &mut tx, &scope, &key, StatusCode::CREATED, &body).await?;
    usecase::commit(st, tx, Effects::new()).await?;
    Ok(Stored::fresh(StatusCode::CREATED, body))
}

/// One sub-ledger against its control account.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SubLedgerDto {
    #[schema(schema_with = sub_ledgers)]
    pub sub_ledger: String,
    #[schema(schema_with = control_accounts)]
    pub account: String,
    /// The control account's balance on its normal side (fen, or points for points).
    pub control_balance: i64,
    /// The sum of the holders' balances.
    pub sub_ledger_total: i64,
    /// Holders with a balance other than zero.
    pub holders: i64,
    /// Control balance − sub-ledger total.
    pub difference: i64,
    pub agrees: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SubLedgerReport {
    pub items: Vec<SubLedgerDto>,
    /// Every sub-ledger equals its control account.
    pub all_agree: bool,
}

/// Every sub-ledger against its control account.
pub async fn sub_ledger_checks(st: &AppState, merchant_id: i64) -> ApiResult<Vec<SubLedgerCheck>> {
    let mut out = Vec::with_capacity(SubLedger::ALL.len());
    for s in SubLedger::ALL {
        let (total, holders) = st.store.sub_ledger_total(merchant_id, s).await?;
        let control = st.store.journal_balance(merchant_id, s.control()).await?;
        out.push(SubLedgerCheck { sub_ledger: s, control_balance: control, sub_ledger_total: total, holders });
    }
    Ok(out)
}

pub async fn sub_ledger_report(st: &AppState, merchant_id: i64) -> ApiResult<SubLedgerReport> {
    let items: Vec<SubLedgerDto> = sub_ledger_checks(st, merchant_id)
        .await?
        .into_iter()
        .map(|c| SubLedgerDto {
            sub_ledger: c.sub_ledger.code().into(),
            account: c.sub_ledger.control().code().into(),
            control_balance: c.control_balance,
            sub_ledger_total: c.sub_ledger_total,
            holders: c.holders,
            difference: c.difference(),
            agrees: c.agrees(),
        })
        .collect();
    let all_agree = items.iter().all(|i| i.agrees);
    Ok(SubLedgerReport { items, all_agree })
}

/// Post a manual adjustment: entries (2–20, summing to zero per unit) with a reason, optionally correcting an
/// earlier posting, which it then names (finance, owner; audited; the author is kept on the posting). A set
/// of entries that does not balance is refused with `ledger.unbalanced` and the unit and amount it is off by;
/// the control accounts of sub-ledgers are refused (`ledger.sub_ledger_control`). Needs `Idempotency-Key`.
#[utoipa::path(post, path = "/api/v1/admin/ledger/adjustments", tag = "admin-ledger", request_body = AdjustmentInput,
    params(("Idempotency-Key" = String, Header)), security(("bearer" = [])),
    responses((status = 201, body = PostingDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn adjustment(
    State(st): State<AppState>,
    admin: Admin<ManageFinance>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<AdjustmentInput>,
) -> ApiResult<Response> {
    post_adjustment(&st, &admin, &Call::from_headers(&headers), req).await.map(IntoResponse::into_response)
}

/// Every sub-ledger (points per buyer, commission per promoter) against its control account in the journal.
#[utoipa::path(get, path = "/api/v1/admin/ledger/sub-ledgers", tag = "admin-ledger", security(("bearer" = [])),
    responses((status = 200, body = SubLedgerReport), (status = 403, body = ErrorBody)))]
pub async fn sub_ledgers_check(
    State(st): State<AppState>,
    admin: Admin<ReadFinance>,
) -> ApiResult<Json<SubLedgerReport>> {
    Ok(Json(sub_ledger_report(&st, admin.merchant_id).await?))
}

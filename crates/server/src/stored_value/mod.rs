//! Stored value (储值 / 余额): money a buyer holds in the shop, kept per buyer beside the journal's buyer stored
//! value account and moved only together with a posting on it, in the same transaction (core
//! `ledger::stored_value`; the store's guarded update keeps every balance at zero or above).
//!
//! What moves it: a promoter's commission withdrawal paid into stored value (`distribution`), an order paid
//! from the balance (provider `balance`) and the refund of such a payment, finance's adjustments (money
//! received or paid out at the counter, goodwill), which are audited, and referral rewards (`referral`) and
//! their reversal. Buyers read their balance and its
//! movements; the owner and finance read any buyer's.
//!
//! Paying from the balance: the buyer's money moves into provider clearing together with a durable job in one
//! transaction; the job (run at once) settles the payment through the same path as every provider's
//! notification, so an order cancelled meanwhile is refunded, into the balance, as any late payment is.

pub mod api;
pub mod console;
pub mod shop_pages;

use axum::http::StatusCode;
use minimall_core::ledger::stored_value::{self as sv, Adjustment, Reason, StoredValueError};
use minimall_core::ledger::Posting;
use minimall_core::Money;
use minimall_store::orders::{OrderRow, PaymentRow, RefundRow};
use minimall_store::stored_value::{StoredValueChange, StoredValueMove};
use minimall_store::Tx;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::accounts::auth::{Admin, Buyer, ManageFinance, ReadFinance};
use crate::error::{ApiError, ApiResult};
use crate::http::idempotency;
use crate::http::{PageQuery, Paginated};
use crate::ops::audit::audit;
use crate::orders::shop_api::PayStart;
use crate::state::AppState;
use crate::usecase::{self, Call, Effects, Stored};

/// The provider name of payments made from the balance.
pub const PROVIDER: &str = "balance";
/// Settles a payment made from the balance (runs at once; retried until it settles).
pub const SETTLE_JOB: &str = "payment.balance_settle";

minimall_core::coded_enum! {
    /// Refusals of stored value.
    pub enum StoredValueRefusal {
        Insufficient { needed_fen: Money, has_fen: Money } = "stored_value.insufficient",
        Zero = "stored_value.zero",
        TooLarge { max_fen: Money } = "stored_value.too_large",
        UnknownKind = "stored_value.unknown_kind",
    }
}

fn refusal(e: StoredValueError, field: &str) -> ApiError {
    match e {
        StoredValueError::Insufficient { needed, has } => {
            ApiError::conflict_because(&StoredValueRefusal::Insufficient { needed_fen: needed, has_fen: has })
                .with_field(field)
        }
        StoredValueError::Zero => ApiError::invalid_because(field, &StoredValueRefusal::Zero),
        StoredValueError::TooLarge { max } => {
            ApiError::invalid_because(field, &StoredValueRefusal::TooLarge { max_fen: max })
        }
    }
}

fn posting(p: Result<Posting, minimall_core::ledger::LedgerError>) -> ApiResult<Posting> {
    p.map_err(|e| ApiError::internal(format!("the journal refused a stored value posting: {e}")))
}

/// Move a buyer's stored value with its posting, in `tx`. A spend beyond the balance is refused (409
/// `stored_value.insufficient` with what was needed and what the buyer has) and nothing is written.
pub async fn move_in(
    st: &AppState,
    tx: &mut Tx,
    change: StoredValueChange<'_>,
    p: &Posting,
    field: &str,
) -> ApiResult<StoredValueMove> {
    let delta = change.delta;
    match st.store.move_stored_value(tx, change, p).await? {
        Ok(moved) => Ok(moved),
        Err(has) => Err(refusal(
            StoredValueError::Insufficient { needed: Money::from_fen(-delta), has: Money::from_fen(has) },
            field,
        )),
    }
}

/// A buyer's balance, in fen.
#[derive(Debug, Serialize, ToSchema)]
pub struct StoredValueSummary {
    pub buyer_id: i64,
    /// Fen.
    pub balance: i64,
}

/// Why a buyer's stored value moved.
#[derive(Debug, Serialize, Deserialize, ToSchema, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum StoredValueReason {
    WithdrawalPaid,
    DebtSettled,
    OrderPaid,
    OrderRefunded,
    Counter,
    Goodwill,
    ReferralReward,
    ReferralReversed,
}

/// Each reason of the API with the core reason it stands for.
const REASONS: [(StoredValueReason, Reason); 8] = [
    (StoredValueReason::WithdrawalPaid, Reason::WithdrawalPaid),
    (StoredValueReason::DebtSettled, Reason::DebtSettled),
    (StoredValueReason::OrderPaid, Reason::OrderPaid),
    (StoredValueReason::OrderRefunded, Reason::OrderRefunded),
    (StoredValueReason::Counter, Reason::Counter),
    (StoredValueReason::Goodwill, Reason::Goodwill),
    (StoredValueReason::ReferralReward, Reason::ReferralReward),
    (StoredValueReason::ReferralReversed, Reason::ReferralReversed),
];

impl StoredValueReason {
    pub fn code(self) -> &'static str {
        REASONS.iter().find(|(r, _)| *r == self).map_or("", |(_, c)| c.code())
    }

    /// The reason of a stored movement (the database allows only these).
    fn of(code: &str) -> StoredValueReason {
        REASONS.iter().find(|(_, c)| c.code() == code).map_or(StoredValueReason::Goodwill, |(r, _)| *r)
    }
}

/// One movement of a buyer's stored value.
#[derive(Debug, Serialize, ToSchema)]
pub struct StoredValueMoveDto {
    pub id: i64,
    /// Fen; positive when credited to the buyer.
    pub delta: i64,
    /// Fen.
    pub balance_after: i64,
    pub reason: StoredValueReason,
    /// What it came from: `order:<order_no>`, `refund:<out_refund_no>`, `withdrawal:<id>`, `adjustment:<token>`,
    /// `referral:<id>:<inviter|invitee>` (and `…:reversed`).
    pub reference: String,
    pub note: String,
    /// The journal posting that moved the control account with it.
    pub posting_id: Option<i64>,
    /// Epoch milliseconds.
    pub at: i64,
}

pub fn move_dto(m: StoredValueMove) -> StoredValueMoveDto {
    StoredValueMoveDto {
        id: m.id,
        delta: m.delta,
        balance_after: m.balance_after,
        reason: StoredValueReason::of(&m.reason),
        reference: m.reference,
        note: m.note,
        posting_id: m.posting_id,
        at: m.at,
    }
}

/// The balance of a buyer of the shop.
pub async fn summary(st: &AppState, merchant_id: i64, buyer_id: i64) -> ApiResult<StoredValueSummary> {
    Ok(StoredValueSummary { buyer_id, balance: st.store.stored_value_balance(merchant_id, buyer_id).await? })
}

/// A buyer's movements, newest first.
pub async fn moves(
    st: &AppState,
    merchant_id: i64,
    buyer_id: i64,
    q: &PageQuery,
) -> ApiResult<Paginated<StoredValueMoveDto>> {
    let page = q.page()?;
    let list = st.store.stored_value_moves(merchant_id, buyer_id, page.size(), page.offset()).await?;
    Ok(Paginated::new(list.items.into_iter().map(move_dto).collect(), list.total, page))
}

/// The buyer's own balance.
pub async fn own_summary(st: &AppState, buyer: &Buyer) -> ApiResult<StoredValueSummary> {
    summary(st, buyer.merchant_id, buyer.id).await
}

/// A buyer of the shop, for the console (404 for a buyer of another shop).
async fn shop_buyer(st: &AppState, merchant_id: i64, buyer_id: i64) -> ApiResult<()> {
    st.store.buyer_by_id(merchant_id, buyer_id).await.map_err(|_| ApiError::not_found("buyer"))?;
    Ok(())
}

pub async fn buyer_summary(st: &AppState, a: &Admin<ReadFinance>, buyer_id: i64) -> ApiResult<StoredValueSummary> {
    shop_buyer(st, a.merchant_id, buyer_id).await?;
    summary(st, a.merchant_id, buyer_id).await
}

pub async fn buyer_moves(
    st: &AppState,
    a: &Admin<ReadFinance>,
    buyer_id: i64,
    q: &PageQuery,
) -> ApiResult<Paginated<StoredValueMoveDto>> {
    shop_buyer(st, a.merchant_id, buyer_id).await?;
    moves(st, a.merchant_id, buyer_id, q).await
}

/// Finance's adjustment of a buyer's stored value.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StoredValueAdjustment {
    /// `counter`: money received (a top-up) or paid out at the counter, against the bank; `goodwill`: credited
    /// or taken back as goodwill, against operating expenses.
    #[schema(pattern = "^(counter|goodwill)$")]
    pub kind: String,
    /// Fen, non-zero, within ±10,000,000; positive credits the buyer.
    #[schema(minimum = -10_000_000, maximum = 10_000_000)]
    pub amount: i64,
    /// Why (1–200 characters), kept on the movement, the posting and the audit entry.
    #[schema(min_length = 1, max_length = 200)]
    pub note: String,
}

/// Adjust a buyer's stored value (finance; audited). Needs `Idempotency-Key`: the same key and body answer the
/// first result.
pub async fn adjust(
    st: &AppState,
    who: &Admin<ManageFinance>,
    call: &Call,
    buyer_id: i64,
    req: StoredValueAdjustment,
) -> ApiResult<Stored> {
    let key = call.required_idempotency_key()?;
    let how = Adjustment::parse(&req.kind)
        .ok_or_else(|| ApiError::invalid_because("kind", &StoredValueRefusal::UnknownKind))?;
    sv::check_adjustment(Money::from_fen(req.amount)).map_err(|e| refusal(e, "amount"))?;
    let note = minimall_core::validate::display_text("note", &req.note, 200)?;
    shop_buyer(st, who.merchant_id, buyer_id).await?;
    let token = crate::accounts::auth::new_token("");
    let reference = format!("adjustment:{}", &token[..24]);
    let now = minimall_store::now_ms();
    let p = posting(sv::adjusted(&reference, now, how, Money::from_fen(req.amount)).and_then(|p| p.with_memo(&note)))?;
    let scope = format!("admin:{}:stored_value:{buyer_id}", who.id);
    let path = format!("/api/v1/admin/buyers/{buyer_id}/stored-value/adjustments");
    let fingerprint =
        idempotency::request_hash("POST", &path, &serde_json::to_value(&req).map_err(ApiError::internal)?);
    let mut tx = st.store.begin().await?;
    if let Some(replay) = idempotency::begin(&st.store, &mut tx, who.merchant_id, &scope, &key, &fingerprint).await? {
        return Ok(replay);
    }
    let change = StoredValueChange {
        merchant_id: who.merchant_id,
        buyer_id,
        delta: req.amount,
        reason: how.reason(),
        reference: &reference,
        note: &note,
        by_admin: Some(who.id),
    };
    let dto = move_dto(move_in(st, &mut tx, change, &p, "amount").await?);
    let (before, after) = (dto.balance_after - dto.delta, dto.balance_after);
    audit(
        st,
        &mut tx,
        who,
        call,
        "stored_value.adjust",
        format!("buyer:{buyer_id}"),
        Some(serde_json::json!({"balance": before})),
        Some(serde_json::json!({"balance": after, "kind": how.reason().code(), "amount": req.amount, "note": note})),
    )
    .await?;
    let body = serde_json::to_string(&dto).map_err(ApiError::internal)?;
    idempotency::finish(&st.store, &mut tx, &scope, &key, StatusCode::CREATED, &body).await?;
    usecase::commit(st, tx, Effects::new()).await?;
    Ok(Stored::fresh(StatusCode::CREATED, body))
}

/// A promoter's withdrawal paid into their stored value: the commission posting credits the control account,
/// and the promoter's buyer account with it.
pub async fn withdrawal_paid(
    st: &AppState,
    tx: &mut Tx,
    merchant_id: i64,
    buyer_id: i64,
    withdrawal_id: i64,
    p: &Posting,
    by: i64,
) -> ApiResult<()> {
    let amount = -p.total_on(minimall_core::ledger::Account::BuyerStoredValue);
    let reference = format!("withdrawal:{withdrawal_id}");
    let change = StoredValueChange {
        merchant_id,
        buyer_id,
        delta: amount,
        reason: Reason::WithdrawalPaid,
        reference: &reference,
        note: "",
        by_admin: Some(by),
    };
    move_in(st, tx, change, p, "payout").await.map(|_| ())
}

/// Pay an order from the balance (the order is the buyer's own, pending and within its deadline). A second
/// request for the same order answers the same start without moving money again.
pub async fn pay_order(st: &AppState, buyer: &Buyer, o: &OrderRow) -> ApiResult<PayStart> {
    // An order's payment is started once: with another provider, it is finished that way.
    let p = st.store.ensure_payment(o.merchant_id, o.id.get(), PROVIDER, &o.order_no, o.payable).await?;
    if p.provider != PROVIDER {
        return Err(ApiError::invalid_because(
            "provider",
            &crate::orders::refusals::OrderRefusal::PaymentOtherProvider,
        ));
    }
    let start = PayStart {
        provider: p.provider.clone(),
        out_trade_no: p.out_trade_no.clone(),
        amount: p.amount,
        sandbox_complete_url: None,
        wx_request_payment: None,
    };
    let txn_id = format!("SV{}", p.id);
    let mut tx = st.store.begin().await?;
    if !st.store.claim_payment(&mut tx, p.id, &txn_id).await? {
        // Paid already (or being paid by another request): the same answer.
        return Ok(start);
    }
    let now = minimall_store::now_ms();
    let posting = posting(sv::paid(p.id, now, Money::from_fen(p.amount)))?;
    let reference = format!("order:{}", o.order_no);
    let change = StoredValueChange {
        merchant_id: o.merchant_id,
        buyer_id: buyer.id,
        delta: -p.amount,
        reason: Reason::OrderPaid,
        reference: &reference,
        note: "",
        by_admin: None,
    };
    move_in(st, &mut tx, change, &posting, "provider").await?;
    crate::orders::enqueue_job(
        st,
        &mut tx,
        o.merchant_id,
        SETTLE_JOB,
        serde_json::json!({"out_trade_no": p.out_trade_no, "transaction_id": txn_id, "amount": p.amount}),
        now,
        format!("{SETTLE_JOB}:{}", p.out_trade_no),
    )
    .await?;
    usecase::commit(st, tx, Effects::new().wake_jobs()).await?;
    // Settle now; the job settles it if this does not (a second settlement is a duplicate and changes nothing).
    if let Err(e) = crate::orders::on_paid(st, PROVIDER, None, &p.out_trade_no, &txn_id, p.amount).await {
        tracing::warn!(out_trade_no = p.out_trade_no, error = %e, "a balance payment is left to its job");
    }
    Ok(start)
}

#[derive(Deserialize)]
struct SettlePayload {
    out_trade_no: String,
    transaction_id: String,
    amount: i64,
}

/// The durable half of a balance payment.
pub async fn settle_job(st: AppState, job: minimall_store::jobs::JobRow) -> Result<(), String> {
    let p: SettlePayload = serde_json::from_str(&job.payload).map_err(|e| e.to_string())?;
    crate::orders::on_paid(&st, PROVIDER, None, &p.out_trade_no, &p.transaction_id, p.amount)
        .await
        .map(|_| ())
        .map_err(|e| format!("{e}"))
}

/// A refund of a balance payment succeeded (in the transaction that marked it so): the money goes back to the
/// buyer's stored value.
pub async fn refund_succeeded(
    st: &AppState,
    tx: &mut Tx,
    r: &RefundRow,
    payment: &PaymentRow,
    o: &OrderRow,
) -> ApiResult<()> {
    if payment.provider != PROVIDER {
        return Ok(());
    }
    let posting = posting(sv::refunded(r.id, minimall_store::now_ms(), Money::from_fen(r.amount)))?;
    let reference = format!("refund:{}", r.out_refund_no);
    let change = StoredValueChange {
        merchant_id: o.merchant_id,
        buyer_id: o.buyer_id.get(),
        delta: r.amount,
        reason: Reason::OrderRefunded,
        reference: &reference,
        note: "",
        by_admin: None,
    };
    move_in(st, tx, change, &posting, "amount").await.map(|_| ())
}

//! Customers from the orders paid: RFM classes (quintiles among the shop's buyers) with their counts and the
//! buyers behind each, and monthly cohort retention, both computed by `core::analytics::customers`.

use minimall_core::analytics::customers::{self as rules, Bands, Period, Purchase, RfmClass, RfmScore};
use minimall_core::page::Page;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::ApiResult;
use crate::state::AppState;
use crate::web::view;

/// Cohorts shown: the last 12 months of first purchases.
pub const COHORT_MONTHS: usize = 12;

pub fn class_label(c: RfmClass) -> &'static str {
    match c {
        RfmClass::ImportantValue => "重要价值客户",
        RfmClass::ImportantDevelop => "重要发展客户",
        RfmClass::ImportantKeep => "重要保持客户",
        RfmClass::ImportantRetain => "重要挽留客户",
        RfmClass::GeneralValue => "一般价值客户",
        RfmClass::GeneralDevelop => "一般发展客户",
        RfmClass::GeneralKeep => "一般保持客户",
        RfmClass::GeneralRetain => "一般挽留客户",
    }
}

/// The purchases customer analysis reads: every order paid up to now, on its shop day, at its payable.
pub async fn purchases(st: &AppState, merchant_id: i64, now_ms: i64) -> ApiResult<Vec<Purchase>> {
    Ok(st
        .store
        .paid_orders_before(merchant_id, now_ms)
        .await?
        .into_iter()
        .map(|o| Purchase { buyer_id: o.buyer_id, day: view::beijing_day(o.paid_at), amount_fen: o.payable })
        .collect())
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RfmClassCount {
    /// `important_value`, `important_develop`, … `general_retain`.
    pub class: &'static str,
    /// 重要价值客户 …
    pub label: &'static str,
    pub buyers: u64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RfmBuyer {
    pub buyer_id: i64,
    pub class: &'static str,
    /// Days since the last paid order.
    pub recency_days: i64,
    pub orders: i64,
    /// Paid in total, fen (roles that may see revenue only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spend: Option<i64>,
    /// Scores 1–5.
    pub r: u8,
    pub f: u8,
    pub m: u8,
}

/// Every buyer's scores and totals today.
pub async fn scores(st: &AppState, merchant_id: i64) -> ApiResult<Vec<(RfmScore, rules::BuyerTotals)>> {
    let now = minimall_store::now_ms();
    let totals = rules::totals(&purchases(st, merchant_id, now).await?);
    let scores = rules::rfm(&totals, &Bands::Quantile, view::beijing_day(now));
    Ok(scores.into_iter().zip(totals).collect())
}

/// Buyers per RFM class, every class listed.
pub async fn class_counts(st: &AppState, merchant_id: i64) -> ApiResult<Vec<RfmClassCount>> {
    let s: Vec<RfmScore> = scores(st, merchant_id).await?.into_iter().map(|(s, _)| s).collect();
    Ok(rules::class_counts(&s)
        .into_iter()
        .map(|(c, n)| RfmClassCount { class: c.code(), label: class_label(c), buyers: n })
        .collect())
}

/// The buyers of one class, by buyer id, one page; and how many there are.
pub async fn class_buyers(
    st: &AppState,
    merchant_id: i64,
    class: RfmClass,
    page: Page,
    revenue: bool,
) -> ApiResult<(Vec<RfmBuyer>, i64)> {
    let all: Vec<RfmBuyer> = scores(st, merchant_id)
        .await?
        .into_iter()
        .filter(|(s, _)| s.class == class)
        .map(|(s, t)| RfmBuyer {
            buyer_id: s.buyer_id,
            class: s.class.code(),
            recency_days: s.recency_days,
            orders: t.orders,
            spend: revenue.then_some(t.spend_fen),
            r: s.r,
            f: s.f,
            m: s.m,
        })
        .collect();
    let total = all.len() as i64;
    let items = all.into_iter().skip(page.offset() as usize).take(page.size() as usize).collect();
    Ok((items, total))
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CohortRow {
    /// The month of the cohort's first purchase, `YYYY-MM`.
    pub month: String,
    /// Buyers whose first paid order fell in that month.
    pub buyers: u64,
    /// Of them, how many paid in each month since (`[0]`: the cohort's own month, so equal to `buyers`).
    pub active: Vec<u64>,
    /// active / buyers per month, basis points.
    pub retention_bp: Vec<i64>,
}

fn month_label(period: i64) -> String {
    format!("{:04}-{:02}", 1970 + period.div_euclid(12), period.rem_euclid(12) + 1)
}

/// Monthly retention of the last [`COHORT_MONTHS`] cohorts, oldest first.
pub async fn cohorts(st: &AppState, merchant_id: i64) -> ApiResult<Vec<CohortRow>> {
    let now = minimall_store::now_ms();
    let all = rules::retention(&purchases(st, merchant_id, now).await?, Period::Month, view::beijing_day(now));
    let skip = all.len().saturating_sub(COHORT_MONTHS);
    Ok(all
        .into_iter()
        .skip(skip)
        .map(|c| CohortRow {
            month: month_label(c.period),
            buyers: c.size,
            retention_bp: c.active.iter().map(|&a| super::dashboard::rate_bp(a as i64, c.size as i64)).collect(),
            active: c.active,
        })
        .collect())
}

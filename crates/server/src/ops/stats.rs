//! Dashboard and finance figures: each one SQL aggregate over its period, by the shop's day.

use serde::Serialize;
use utoipa::ToSchema;

use crate::accounts::auth::MoneyView;
use crate::error::ApiResult;
use crate::state::AppState;
use crate::web::view;

/// Orders paid on one day (or in the whole period). Revenue fields are left out for roles without the
/// revenue permission.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SalesFigures {
    /// `YYYY-MM-DD` (Beijing); absent on the period's total.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// 成交额: payable amounts of the orders paid, fen.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gmv: Option<i64>,
    /// 支付订单数.
    pub paid_orders: i64,
    /// 支付买家数: distinct buyers who paid (over the whole period for the total).
    pub paying_buyers: i64,
    /// 客单价: gmv / paid_orders, fen (0 without orders).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub average_order_value: Option<i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DashboardFigures {
    /// Today's figures (Beijing day).
    pub today: SalesFigures,
    /// The last 7 days, today included, as one period.
    pub week: SalesFigures,
    /// Each of the last 7 days, oldest first.
    pub days: Vec<SalesFigures>,
}

fn aov(gmv: i64, n: i64) -> i64 {
    if n == 0 {
        0
    } else {
        gmv / n
    }
}

fn sales(date: Option<String>, gmv: i64, paid_orders: i64, buyers: i64, money: MoneyView) -> SalesFigures {
    SalesFigures {
        date,
        gmv: money.revenue.then_some(gmv),
        paid_orders,
        paying_buyers: buyers,
        average_order_value: money.revenue.then_some(aov(gmv, paid_orders)),
    }
}

/// The dashboard's figures for a user who may see sales (reads orders); `money` decides the revenue fields.
pub async fn dashboard_figures(st: &AppState, merchant_id: i64, money: MoneyView) -> ApiResult<DashboardFigures> {
    let today = view::beijing_day(minimall_store::now_ms());
    let first = today - DASHBOARD_DAYS + 1;
    let (from, to) = (view::day_start_ms(first), view::day_start_ms(today + 1));
    let rows = st.store.sales_by_day(merchant_id, from, to, view::zone_offset_ms(first)).await?;
    let total = st.store.sales_total(merchant_id, from, to).await?;
    let days: Vec<SalesFigures> = (first..=today)
        .map(|d| {
            let r = rows.iter().find(|r| r.day == d);
            let (g, n, b) = r.map(|r| (r.gmv, r.paid_orders, r.buyers)).unwrap_or((0, 0, 0));
            sales(Some(view::date_label(d)), g, n, b, money)
        })
        .collect();
    let today = days.last().cloned().unwrap_or_else(|| sales(None, 0, 0, 0, money));
    Ok(DashboardFigures { today, week: sales(None, total.gmv, total.paid_orders, total.buyers, money), days })
}

/// Money in and out on one day (or in the whole period).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FinanceDay {
    /// `YYYY-MM-DD` (Beijing); absent on the period's total.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// Payments that succeeded, fen.
    pub received: i64,
    /// Provider fees of those payments, fen.
    pub fee: i64,
    /// Refunds that succeeded (on the day they succeeded), fen.
    pub refunded: i64,
    /// received − fee − refunded, fen.
    pub net: i64,
    /// Orders paid.
    pub paid_orders: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FinanceFigures {
    /// The last 30 days, today included.
    pub total: FinanceDay,
    /// Each of the last 30 days, newest first.
    pub days: Vec<FinanceDay>,
}

/// The finance figures over the last 30 Beijing days, newest day first.
pub async fn finance_figures(st: &AppState, merchant_id: i64) -> ApiResult<FinanceFigures> {
    let today = view::beijing_day(minimall_store::now_ms());
    let first = today - FINANCE_DAYS + 1;
    let (from, to) = (view::day_start_ms(first), view::day_start_ms(today + 1));
    let rows = st.store.finance_by_day(merchant_id, from, to, view::zone_offset_ms(first)).await?;
    let day = |date: Option<String>, received: i64, fee: i64, refunded: i64, paid_orders: i64| FinanceDay {
        date,
        received,
        fee,
        refunded,
        net: received - fee - refunded,
        paid_orders,
    };
    let days = (first..=today)
        .rev()
        .map(|d| match rows.iter().find(|r| r.day == d) {
            Some(r) => day(Some(view::date_label(d)), r.received, r.fee, r.refunded, r.paid_orders),
            None => day(Some(view::date_label(d)), 0, 0, 0, 0),
        })
        .collect();
    let sum = |f: fn(&minimall_store::stats::DayFinance) -> i64| rows.iter().map(f).sum::<i64>();
    let total = day(None, sum(|r| r.received), sum(|r| r.fee), sum(|r| r.refunded), sum(|r| r.paid_orders));
    Ok(FinanceFigures { total, days })
}

/// Days the dashboard covers, today included.
pub const DASHBOARD_DAYS: i64 = 7;

/// Days the finance page covers, today included.
pub const FINANCE_DAYS: i64 = 30;

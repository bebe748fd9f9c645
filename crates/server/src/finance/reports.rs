//! Use cases of the finance reports: profit and loss by day, week or month (with operating expenses, staff
//! and revenue per staff member), by product and by promotion. Every figure comes from the journal — the
//! per-day totals for periods, the entries for products and promotions — and names the postings it drills
//! down to (`drill`: the query of `GET /api/v1/admin/ledger/postings`).

use std::collections::BTreeMap;

use axum::http::StatusCode;
use minimall_core::error::Reason;
use minimall_core::ledger::expense::{self, Month};
use minimall_core::ledger::report::{self, AccountFlow, Bucket, Granularity, ProfitAndLoss};
use minimall_core::ledger::Account;
use minimall_core::page::Page;
use minimall_core::FieldError;
use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::Object;
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, ApiResult};
use crate::http::Paginated;
use crate::state::AppState;
use crate::web::view;

/// The longest period a report covers: ten years of days.
pub const MAX_PERIOD_DAYS: i64 = 3660;
/// The most periods a report by day, week or month has.
pub const MAX_BUCKETS: usize = 400;

pub fn granularities() -> Object {
    ObjectBuilder::new().schema_type(Type::String).enum_values(Some(vec!["day", "week", "month"])).build()
}

/// The days `[from, to]` of a report, checked: both `YYYY-MM-DD`, `to` not before `from`, at most
/// [`MAX_PERIOD_DAYS`].
pub fn period(from: &str, to: &str) -> ApiResult<(i64, i64)> {
    let day = |field: &'static str, s: &str| {
        minimall_core::time::parse_day(s).ok_or_else(|| ApiError::from(FieldError::new(field, Reason::Date)))
    };
    let (from, to) = (day("from", from)?, day("to", to)?);
    if to < from || to - from >= MAX_PERIOD_DAYS {
        return Err(FieldError::new("to", Reason::PeriodTooLong { max_days: MAX_PERIOD_DAYS }).into());
    }
    Ok((from, to))
}

/// The figures of one period, fen. Each is an account's movement on its normal side, or a sum of them.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct ProfitFigures {
    /// Goods sold after order-level reductions, before coupons and points (`sales_revenue`).
    pub revenue: i64,
    /// Money given back for goods (`sales_refunds`).
    pub refunds: i64,
    /// Shipping charged to buyers, less shipping refunded (`shipping_income`).
    pub shipping_income: i64,
    /// Revenue − refunds + shipping income.
    pub net_revenue: i64,
    /// The payment provider's fees (`payment_fees`).
    pub fees: i64,
    /// Coupons at the amounts they took off (`coupon_cost`).
    pub coupon_cost: i64,
    /// Points granted at the shop's points value (`points_cost`).
    pub points_cost: i64,
    /// What carriers charged (`shipping_cost`).
    pub shipping_cost: i64,
    /// Goods at their cost price (`cost_of_goods`).
    pub cost_of_goods: i64,
    /// Net revenue − cost of goods − shipping cost.
    pub gross_profit: i64,
    /// Gross profit over net revenue, in basis points (万分之一), rounded down; none without net revenue.
    pub gross_margin_bp: Option<i64>,
    /// Commission to promoters (`commission_expense`).
    pub commission: i64,
    /// Rent, labour, office … as entered (`operating_expenses`).
    pub operating_expenses: i64,
    /// Gross profit − fees − coupon, points, commission and operating costs.
    pub net_profit: i64,
}

impl From<ProfitAndLoss> for ProfitFigures {
    fn from(p: ProfitAndLoss) -> Self {
        ProfitFigures {
            revenue: p.sales_revenue,
            refunds: p.sales_refunds,
            shipping_income: p.shipping_income,
            net_revenue: p.net_revenue,
            fees: p.payment_fees,
            coupon_cost: p.coupon_cost,
            points_cost: p.points_cost,
            shipping_cost: p.shipping_cost,
            cost_of_goods: p.cost_of_goods,
            gross_profit: p.gross_profit,
            gross_margin_bp: (p.net_revenue > 0).then(|| {
                i64::try_from((i128::from(p.gross_profit) * 10_000).div_euclid(i128::from(p.net_revenue))).unwrap_or(0)
            }),
            commission: p.commission,
            operating_expenses: p.operating_expenses,
            net_profit: p.net_profit,
        }
    }
}

/// Which account each figure comes from, for its drill-down (derived figures drill into their parts).
pub const FIGURE_ACCOUNTS: [(&str, Account); 10] = [
    ("revenue", Account::SalesRevenue),
    ("refunds", Account::SalesRefunds),
    ("shipping_income", Account::ShippingIncome),
    ("fees", Account::PaymentFees),
    ("coupon_cost", Account::CouponCost),
    ("points_cost", Account::PointsCost),
    ("shipping_cost", Account::ShippingCost),
    ("cost_of_goods", Account::CostOfGoods),
    ("commission", Account::CommissionExpense),
    ("operating_expenses", Account::OperatingExpenses),
];

/// One period of a report.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PeriodFigures {
    /// First and last day, `YYYY-MM-DD`.
    pub from: String,
    pub to: String,
    /// `2026-12-07` for a day, `2026-12-07~12-13` for a week, `2026-12` for a month.
    pub label: String,
    #[serde(flatten)]
    pub figures: ProfitFigures,
    /// Staff that period: the count of its month, or the average of its months' counts rounded half up.
    pub staff: Option<i64>,
    /// Net revenue over the average staff count of the period's months that have a count, rounded down (人均产值).
    pub revenue_per_staff: Option<i64>,
    /// The query of `GET /api/v1/admin/ledger/postings` per figure (`revenue`: `account=sales_revenue&from=…&to=…`).
    #[schema(value_type = Object)]
    pub drill: BTreeMap<&'static str, String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FinanceReport {
    pub from: String,
    pub to: String,
    #[schema(schema_with = granularities)]
    pub granularity: String,
    /// Oldest first.
    pub periods: Vec<PeriodFigures>,
    /// The whole range.
    pub total: PeriodFigures,
}

fn flows_of(totals: impl Iterator<Item = (String, i64, i64)>) -> Vec<AccountFlow> {
    totals
        .filter_map(|(code, debits, credits)| {
            Account::from_code(&code).map(|account| AccountFlow { account, debits, credits })
        })
        .collect()
}

fn drill(from: i64, to: i64, extra: &str) -> BTreeMap<&'static str, String> {
    FIGURE_ACCOUNTS
        .iter()
        .map(|(k, a)| {
            (*k, format!("account={}&from={}&to={}{extra}", a.code(), view::date_label(from), view::date_label(to)))
        })
        .collect()
}

fn bucket_label(b: Bucket, g: Granularity) -> String {
    match g {
        Granularity::Day => view::date_label(b.from_day),
        Granularity::Week => format!("{}~{}", view::date_label(b.from_day), view::day_label(b.to_day)),
        Granularity::Month => Month::of_day(b.from_day).map(Month::label).unwrap_or_default(),
    }
}

fn period_figures(b: Bucket, label: String, flows: &[AccountFlow], staff: &BTreeMap<i64, i64>) -> PeriodFigures {
    let figures = ProfitFigures::from(report::profit_and_loss(flows));
    let mut months = Vec::new();
    let mut m = Month::of_day(b.from_day);
    while let Some(x) = m {
        if x.days().0 > b.to_day {
            break;
        }
        months.push(staff.get(&x.number()).copied().unwrap_or(0));
        m = Some(x.next()).filter(|n| n.year <= Month::LAST_YEAR);
    }
    let revenue_per_staff = expense::revenue_per_staff(figures.net_revenue, &months);
    let staff = expense::average_staff_tenths(&months).map(|t| (t + 5) / 10);
    PeriodFigures {
        from: view::date_label(b.from_day),
        to: view::date_label(b.to_day),
        label,
        drill: drill(b.from_day, b.to_day, ""),
        figures,
        staff,
        revenue_per_staff,
    }
}

/// Profit and loss over days `[from, to]` by day, week or month, from the journal's per-day totals.
pub async fn finance_report(
    st: &AppState,
    merchant_id: i64,
    from: i64,
    to: i64,
    g: Granularity,
) -> ApiResult<FinanceReport> {
    let buckets = report::buckets(from, to, g);
    if buckets.len() > MAX_BUCKETS {
        return Err(ApiError::refused(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            &Reason::AtMost { max: MAX_BUCKETS as i64 },
        )
        .with_field("granularity"));
    }
    let flows = st.store.journal_daily_flows(merchant_id, from, to).await?;
    let first = Month::of_day(from).map_or(0, Month::number);
    let last = Month::of_day(to).map_or(0, Month::number);
    let staff: BTreeMap<i64, i64> = st.store.staff_counts(merchant_id, first, last).await?.into_iter().collect();
    let mut periods = Vec::with_capacity(buckets.len());
    let mut i = 0;
    for b in &buckets {
        let mut acc: BTreeMap<String, (i64, i64)> = BTreeMap::new();
        while i < flows.len() && flows[i].day <= b.to_day {
            let f = &flows[i];
            let e = acc.entry(f.account.clone()).or_default();
            e.0 += f.debits;
            e.1 += f.credits;
            i += 1;
        }
        let flows = flows_of(acc.into_iter().map(|(a, (d, c))| (a, d, c)));
        periods.push(period_figures(*b, bucket_label(*b, g), &flows, &staff));
    }
    let mut all: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for f in &flows {
        let e = all.entry(f.account.clone()).or_default();
        e.0 += f.debits;
        e.1 += f.credits;
    }
    let total_flows = flows_of(all.into_iter().map(|(a, (d, c))| (a, d, c)));
    let whole = Bucket { from_day: from, to_day: to };
    let total =
        period_figures(whole, format!("{}~{}", view::date_label(from), view::date_label(to)), &total_flows, &staff);
    Ok(FinanceReport {
        from: view::date_label(from),
        to: view::date_label(to),
        granularity: g.as_str().to_string(),
        periods,
        total,
    })
}

/// A product's figures over a period, fen.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProductFigures {
    pub product_id: i64,
    pub title: String,
    /// Sold, after order-level reductions (`sales_revenue`).
    pub revenue: i64,
    /// Given back (`sales_refunds` for the product).
    pub refunds: i64,
    /// Coupons on its lines (`coupon_cost`).
    pub coupon_cost: i64,
    /// Paid with points on its lines (`points_liability_value` debits less credits).
    pub points_paid: i64,
    /// At its cost price (`cost_of_goods`).
    pub cost_of_goods: i64,
    /// Revenue − refunds − cost of goods − coupon cost.
    pub gross_profit: i64,
    /// The postings of the product: `product_id=…&from=…&to=…`.
    pub drill: String,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct BreakdownQuery {
    /// First day (Beijing), `YYYY-MM-DD`.
    pub from: String,
    /// Last day, included; at most 3660 days after `from`.
    pub to: String,
    pub page: Option<i64>,
    pub page_size: Option<i64>,
}

fn on(rows: &[(String, i64, i64)], a: Account) -> i64 {
    rows.iter().filter(|r| r.0 == a.code()).map(|r| (r.1 - r.2) * a.normal_side().sign()).sum()
}

/// Figures per product over days `[from, to]`, highest revenue first.
pub async fn product_report(
    st: &AppState,
    merchant_id: i64,
    from: i64,
    to: i64,
    page: Page,
) -> ApiResult<Paginated<ProductFigures>> {
    let rows = st.store.journal_product_flows(merchant_id, from, to).await?;
    let mut by: BTreeMap<i64, Vec<(String, i64, i64)>> = BTreeMap::new();
    for r in rows {
        if let Ok(id) = r.key.parse::<i64>() {
            by.entry(id).or_default().push((r.account, r.debits, r.credits));
        }
    }
    let mut items: Vec<ProductFigures> = by
        .into_iter()
        .map(|(product_id, rows)| {
            let revenue = on(&rows, Account::SalesRevenue);
            let refunds = on(&rows, Account::SalesRefunds);
            let coupon_cost = on(&rows, Account::CouponCost);
            let cost_of_goods = on(&rows, Account::CostOfGoods);
            ProductFigures {
                product_id,
                title: String::new(),
                revenue,
                refunds,
                coupon_cost,
                points_paid: -on(&rows, Account::PointsLiabilityValue),
                cost_of_goods,
                gross_profit: revenue - refunds - cost_of_goods - coupon_cost,
                drill: format!("product_id={product_id}&from={}&to={}", view::date_label(from), view::date_label(to)),
            }
        })
        .collect();
    items.sort_by(|a, b| b.revenue.cmp(&a.revenue).then(a.product_id.cmp(&b.product_id)));
    let total = items.len() as i64;
    let mut items: Vec<ProductFigures> =
        items.into_iter().skip(page.offset() as usize).take(page.size() as usize).collect();
    for p in &mut items {
        p.title = st.store.product_title(merchant_id, p.product_id).await?.unwrap_or_default();
    }
    Ok(Paginated::new(items, total, page))
}

/// A promotion's figures over a period, fen.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PromotionFigures {
    /// As the journal names it: `coupon:<id>` or `activity:<id>`.
    pub promotion: String,
    /// What it cost: the coupon cost (or other costs) booked under its name.
    pub cost: i64,
    /// What it sold: the revenue of the postings it took part in (`sales_revenue`).
    pub sold: i64,
    /// The postings it took part in: `promotion=…&from=…&to=…`.
    pub drill: String,
}

/// Figures per promotion over days `[from, to]`, highest cost first.
pub async fn promotion_report(
    st: &AppState,
    merchant_id: i64,
    from: i64,
    to: i64,
    page: Page,
) -> ApiResult<Paginated<PromotionFigures>> {
    let rows = st.store.journal_promotion_flows(merchant_id, from, to).await?;
    let mut by: BTreeMap<String, Vec<(String, i64, i64)>> = BTreeMap::new();
    for r in rows {
        by.entry(r.key).or_default().push((r.account, r.debits, r.credits));
    }
    let mut items: Vec<PromotionFigures> = by
        .into_iter()
        .map(|(promotion, rows)| PromotionFigures {
            cost: on(&rows, Account::CouponCost) + on(&rows, Account::PointsCost),
            sold: on(&rows, Account::SalesRevenue),
            drill: format!(
                "promotion={}&from={}&to={}",
                view::urlencode(&promotion),
                view::date_label(from),
                view::date_label(to)
            ),
            promotion,
        })
        .collect();
    items.sort_by(|a, b| b.cost.cmp(&a.cost).then(a.promotion.cmp(&b.promotion)));
    let total = items.len() as i64;
    let items = items.into_iter().skip(page.offset() as usize).take(page.size() as usize).collect();
    Ok(Paginated::new(items, total, page))
}

//! The analytics dashboard: visitors, product viewers, buyers and conversion (distinct actors over the period,
//! counted from the events), the funnel view → cart → checkout → paid, GMV, paid orders and 客单价 (from the orders
//! paid), by day and by channel (sales by channel from the payment events' rollup, that is by the orders' last
//! touch; and by their first touch), against the previous period of the same length.

use minimall_store::attribution::TouchKind;
use minimall_store::event_stats::{ReachBy, StepActors};
use serde::Serialize;
use utoipa::ToSchema;

use crate::accounts::auth::MoneyView;
use crate::error::ApiResult;
use crate::state::AppState;
use crate::web::view;

/// The most days a dashboard period may cover.
pub const MAX_DAYS: i64 = 92;
/// The period shown when none is asked for: the last 7 days, today included.
pub const DEFAULT_DAYS: i64 = 7;

/// Figures of a period, a day or a channel.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct Figures {
    /// 访客数: distinct visitors (a buyer counts as one visitor) with any storefront event.
    pub visitors: i64,
    /// 商品访客数: distinct visitors who viewed a product.
    pub product_viewers: i64,
    /// 支付买家数: distinct buyers with a payment event.
    pub buyers: i64,
    /// 转化率: buyers / visitors, in basis points (1/100 of a percent), rounded down; 0 without visitors.
    pub conversion_bp: i64,
    /// 支付订单数.
    pub paid_orders: i64,
    /// 成交额, fen (roles that may see revenue only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gmv: Option<i64>,
    /// 客单价: gmv / paid orders, fen, rounded down (roles that may see revenue only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub average_order_value: Option<i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DayFigures {
    /// `YYYY-MM-DD` (shop calendar).
    pub date: String,
    #[serde(flatten)]
    pub figures: Figures,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChannelFigures {
    /// Channel code (`direct` when none was given).
    pub channel: String,
    #[serde(flatten)]
    pub figures: Figures,
    /// Orders paid in the period whose buyer first came through this channel (the order's first touch, kept
    /// when it was placed); `paid_orders` counts them by their last touch.
    pub first_touch_paid_orders: i64,
    /// Their amount, fen (roles that may see revenue only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_touch_gmv: Option<i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FunnelStep {
    /// `product_view`, `add_to_cart`, `checkout_started`, `order_paid`.
    pub step: &'static str,
    /// Distinct visitors who reached the step in the period.
    pub actors: i64,
    /// actors / the previous step's actors, basis points (the first step: / visitors).
    pub rate_bp: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Dashboard {
    /// First day, `YYYY-MM-DD`.
    pub from: String,
    /// Last day, `YYYY-MM-DD`.
    pub to: String,
    /// The whole period (a visitor seen on several days counts once).
    pub total: Figures,
    /// The previous period of the same length, ending the day before `from`.
    pub previous: Figures,
    /// `from` of the previous period.
    pub previous_from: String,
    pub funnel: Vec<FunnelStep>,
    /// Each day of the period, oldest first.
    pub days: Vec<DayFigures>,
    /// Each channel with events in the period. Paid orders and GMV by channel come from the payment events'
    /// daily rollup (as of its last rebuild); visitors and buyers from the events.
    pub channels: Vec<ChannelFigures>,
}

pub fn rate_bp(part: i64, whole: i64) -> i64 {
    if whole <= 0 {
        0
    } else {
        part * 10_000 / whole
    }
}

fn figures(a: Option<&StepActors>, paid_orders: i64, gmv: i64, money: MoneyView) -> Figures {
    let a = a.cloned().unwrap_or_default();
    Figures {
        visitors: a.visitors,
        product_viewers: a.viewers,
        buyers: a.buyers,
        conversion_bp: rate_bp(a.buyers, a.visitors),
        paid_orders,
        gmv: money.revenue.then_some(gmv),
        average_order_value: money.revenue.then_some(if paid_orders == 0 { 0 } else { gmv / paid_orders }),
    }
}

async fn period_total(
    st: &AppState,
    merchant_id: i64,
    from: i64,
    to: i64,
    money: MoneyView,
) -> ApiResult<(Figures, StepActors)> {
    let actors = st.store.step_actors(merchant_id, from, to, ReachBy::Period).await?;
    let sales = st.store.sales_total(merchant_id, view::day_start_ms(from), view::day_start_ms(to + 1)).await?;
    let a = actors.into_iter().next().unwrap_or_default();
    Ok((figures(Some(&a), sales.paid_orders, sales.gmv, money), a))
}

/// The dashboard of `from..=to` (shop days) for a user whose money view is `money`.
pub async fn dashboard(st: &AppState, merchant_id: i64, from: i64, to: i64, money: MoneyView) -> ApiResult<Dashboard> {
    let len = to - from + 1;
    let (total, a) = period_total(st, merchant_id, from, to, money).await?;
    let (previous, _) = period_total(st, merchant_id, from - len, from - 1, money).await?;
    let mut funnel = Vec::new();
    let mut before = a.visitors;
    for (step, n) in [
        ("product_view", a.viewers),
        ("add_to_cart", a.carts),
        ("checkout_started", a.checkouts),
        ("order_paid", a.buyers),
    ] {
        funnel.push(FunnelStep { step, actors: n, rate_bp: rate_bp(n, before) });
        before = n;
    }
    let by_day = st.store.step_actors(merchant_id, from, to, ReachBy::Day).await?;
    let sales = st
        .store
        .sales_by_day(merchant_id, view::day_start_ms(from), view::day_start_ms(to + 1), view::zone_offset_ms(from))
        .await?;
    let days = (from..=to)
        .map(|d| {
            let key = d.to_string();
            let s = sales.iter().find(|s| s.day == d);
            DayFigures {
                date: view::date_label(d),
                figures: figures(
                    by_day.iter().find(|r| r.key == key),
                    s.map_or(0, |s| s.paid_orders),
                    s.map_or(0, |s| s.gmv),
                    money,
                ),
            }
        })
        .collect();
    let by_channel = st.store.step_actors(merchant_id, from, to, ReachBy::Channel).await?;
    let channel_sales = st.store.channel_sales(merchant_id, from, to).await?;
    let first_touch = st
        .store
        .touch_sales(merchant_id, view::day_start_ms(from), view::day_start_ms(to + 1), TouchKind::First)
        .await?;
    let mut names: Vec<String> = by_channel
        .iter()
        .map(|r| r.key.clone())
        .chain(channel_sales.iter().map(|c| c.channel.clone()))
        .chain(first_touch.iter().map(|c| c.channel.clone()))
        .collect();
    names.sort();
    names.dedup();
    let channels = names
        .into_iter()
        .map(|ch| {
            let s = channel_sales.iter().find(|c| c.channel == ch);
            let figures = figures(
                by_channel.iter().find(|r| r.key == ch),
                s.map_or(0, |s| s.paid_orders),
                s.map_or(0, |s| s.gmv),
                money,
            );
            let f = first_touch.iter().find(|c| c.channel == ch);
            ChannelFigures {
                first_touch_paid_orders: f.map_or(0, |f| f.paid_orders),
                first_touch_gmv: money.revenue.then(|| f.map_or(0, |f| f.gmv)),
                channel: ch,
                figures,
            }
        })
        .collect();
    Ok(Dashboard {
        from: view::date_label(from),
        to: view::date_label(to),
        total,
        previous,
        previous_from: view::date_label(from - len),
        funnel,
        days,
        channels,
    })
}

/// The dashboard's days as CSV (UTF-8 with BOM); the money columns only for roles that may see revenue.
pub fn csv(d: &Dashboard, money: MoneyView) -> String {
    use minimall_core::catalog::csvio::text_field;
    let mut out = String::from("\u{feff}日期,访客数,商品访客数,支付买家数,转化率(%),支付订单数");
    out.push_str(if money.revenue { ",成交额(元),客单价(元)\r\n" } else { "\r\n" });
    let yuan = |fen: i64| minimall_core::Money::from_fen(fen).to_yuan_string();
    let row = |out: &mut String, label: &str, f: &Figures| {
        out.push_str(&format!(
            "{},{},{},{},{}.{:02},{}",
            text_field(label),
            f.visitors,
            f.product_viewers,
            f.buyers,
            f.conversion_bp / 100,
            f.conversion_bp % 100,
            f.paid_orders
        ));
        if let (Some(g), Some(a)) = (f.gmv, f.average_order_value) {
            out.push_str(&format!(",{},{}", yuan(g), yuan(a)));
        }
        out.push_str("\r\n");
    };
    for day in &d.days {
        row(&mut out, &day.date, &day.figures);
    }
    row(&mut out, "合计", &d.total);
    out
}

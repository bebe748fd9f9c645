//! The console's analytics pages (数据分析): the dashboard with its funnel, days and channels, the RFM classes
//! and the cohort table, and the buyers of one RFM class. They call the same use cases as the JSON API.

use minimall_core::analytics::customers::RfmClass;

use super::dashboard::{Dashboard, Figures};
use crate::web::console::prelude::*;

pub fn routes() -> Router<AppState> {
    Router::new().route("/admin/analytics", get(page)).route("/admin/analytics/rfm/{class}", get(class_page))
}

/// A figure of the period beside the previous period's, with the change in percent.
pub struct Card {
    pub label: &'static str,
    pub now: String,
    pub before: String,
    pub change: String,
}

pub struct FunnelBar {
    pub label: &'static str,
    pub actors: i64,
    pub rate: String,
    pub width: i64,
    pub y: i64,
}

#[derive(Template)]
#[template(path = "admin/analytics.html")]
struct AnalyticsPage {
    c: Ctx,
    nav: Nav,
    from: String,
    to: String,
    previous_from: String,
    error: String,
    revenue: bool,
    customers: bool,
    export: String,
    cards: Vec<Card>,
    funnel: Vec<FunnelBar>,
    days: Vec<Vec<String>>,
    channels: Vec<Vec<String>>,
    rfm: Vec<(String, &'static str, u64)>,
    cohorts: Vec<(String, u64, Vec<String>)>,
    cohort_width: usize,
}

#[derive(Deserialize)]
struct PeriodForm {
    from: Option<String>,
    to: Option<String>,
}

fn pct(bp: i64) -> String {
    format!("{}.{:02}%", bp / 100, bp % 100)
}

fn change(now: i64, before: i64) -> String {
    if before == 0 {
        return "-".into();
    }
    let bp = (now - before) * 10_000 / before;
    format!("{}{}", if bp >= 0 { "+" } else { "-" }, pct(bp.abs()))
}

fn cards(d: &Dashboard, revenue: bool) -> Vec<Card> {
    let card = |label, now: i64, before: i64, show: &dyn Fn(i64) -> String| Card {
        label,
        now: show(now),
        before: show(before),
        change: change(now, before),
    };
    let n = |v: i64| v.to_string();
    let (t, p) = (&d.total, &d.previous);
    let mut out = vec![
        card("ana.visitors", t.visitors, p.visitors, &n),
        card("ana.viewers", t.product_viewers, p.product_viewers, &n),
        card("ana.buyers", t.buyers, p.buyers, &n),
        card("ana.conversion", t.conversion_bp, p.conversion_bp, &pct),
        card("dash.paid_orders", t.paid_orders, p.paid_orders, &n),
    ];
    if revenue {
        let y = |v: i64| view::yuan(v);
        let g = |f: &Figures| f.gmv.unwrap_or(0);
        let a = |f: &Figures| f.average_order_value.unwrap_or(0);
        out.push(card("dash.gmv", g(t), g(p), &y));
        out.push(card("dash.aov", a(t), a(p), &y));
    }
    out
}

fn row(label: String, f: &Figures, revenue: bool) -> Vec<String> {
    let mut r = vec![
        label,
        f.visitors.to_string(),
        f.product_viewers.to_string(),
        f.buyers.to_string(),
        pct(f.conversion_bp),
        f.paid_orders.to_string(),
    ];
    if revenue {
        r.push(view::yuan(f.gmv.unwrap_or(0)));
        r.push(view::yuan(f.average_order_value.unwrap_or(0)));
    }
    r
}

async fn page(
    State(st): State<AppState>,
    c: Ctx,
    Console(a): Console<ReadOrders>,
    WebQuery(q): WebQuery<PeriodForm>,
) -> WebResult {
    let query = super::api::PeriodQuery {
        from: q.from.filter(|s| !s.trim().is_empty()),
        to: q.to.filter(|s| !s.trim().is_empty()),
    };
    let (period, error) = match super::api::period(&query) {
        Ok(p) => (p, String::new()),
        Err(e) => (super::api::period(&super::api::PeriodQuery { from: None, to: None })?, e.message(c.lang)),
    };
    let money = MoneyView::of(&st, &a).await?;
    let d = super::dashboard::dashboard(&st, a.merchant_id, period.0, period.1, money).await?;
    let labels = ["ana.step_view", "ana.step_cart", "ana.step_checkout", "ana.step_paid"];
    let top = d.funnel.first().map(|s| s.actors).unwrap_or(0).max(1);
    let funnel = d
        .funnel
        .iter()
        .zip(labels)
        .enumerate()
        .map(|(i, (s, label))| FunnelBar {
            label,
            actors: s.actors,
            rate: pct(s.rate_bp),
            width: 20 + s.actors * 300 / top,
            y: 10 + i as i64 * 34,
        })
        .collect();
    let days = d.days.iter().map(|x| row(x.date.clone(), &x.figures, money.revenue)).collect();
    let channels = d
        .channels
        .iter()
        .map(|x| {
            let mut r = row(c.label("channel", &x.channel), &x.figures, money.revenue);
            r.push(x.first_touch_paid_orders.to_string());
            r
        })
        .collect();
    let customers = may(&a, Permission::ReadBuyers);
    let (mut rfm, mut cohorts, mut cohort_width) = (Vec::new(), Vec::new(), 0);
    if customers {
        rfm = super::customers::class_counts(&st, a.merchant_id)
            .await?
            .into_iter()
            .map(|r| (format!("/admin/analytics/rfm/{}", r.class), r.label, r.buyers))
            .collect();
        for row in super::customers::cohorts(&st, a.merchant_id).await? {
            cohort_width = cohort_width.max(row.retention_bp.len());
            cohorts.push((row.month, row.buyers, row.retention_bp.iter().map(|&bp| pct(bp)).collect()));
        }
    }
    let export =
        view::with_query("/api/v1/admin/analytics/dashboard/export", &[("from", d.from.clone()), ("to", d.to.clone())]);
    let nav = nav(&c, &a);
    Ok(AnalyticsPage {
        cards: cards(&d, money.revenue),
        c,
        nav,
        from: d.from.clone(),
        to: d.to.clone(),
        previous_from: d.previous_from.clone(),
        error,
        revenue: money.revenue,
        customers,
        export,
        funnel,
        days,
        channels,
        rfm,
        cohorts,
        cohort_width,
    }
    .render_page())
}

async fn class_page(
    State(st): State<AppState>,
    c: Ctx,
    Console(a): Console<ReadBuyers>,
    WebPath(class): WebPath<String>,
    WebQuery(q): WebQuery<PageQuery>,
) -> WebResult {
    let Some(class) = RfmClass::parse(&class) else {
        return Err(ApiError::not_found("rfm_class").into());
    };
    let page = minimall_core::page::Page::parse(Some(q.page.unwrap_or(1).max(1)), Some(50))?;
    let revenue = MoneyView::of(&st, &a).await?.revenue;
    let (items, total) = super::customers::class_buyers(&st, a.merchant_id, class, page, revenue).await?;
    let mut p = ListPage::new(c, &a, "menu.analytics");
    p.title = format!("{} · {}", p.title, super::customers::class_label(class));
    let mut heads = vec!["ana.buyer_id", "ana.recency", "ana.orders", "ana.rfm_scores"];
    if revenue {
        heads.push("ana.spend");
    }
    p = p.heads(&heads);
    for b in items {
        let mut r = vec![
            Cell::text(b.buyer_id.to_string()),
            Cell::num(b.recency_days.to_string()),
            Cell::num(b.orders.to_string()),
            Cell::text(format!("R{} F{} M{}", b.r, b.f, b.m)),
        ];
        if let Some(s) = b.spend {
            r.push(Cell::num(view::yuan(s)));
        }
        p.rows.push(r);
    }
    p.links.push(("/admin/analytics".into(), p.c.t("ana.back").into()));
    p.pager = Some(Pager::new(&format!("/admin/analytics/rfm/{}", class.code()), page.page(), page.size(), total));
    ok(p)
}

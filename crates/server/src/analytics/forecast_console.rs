//! The console's forecast pages (销量预测, one SKU's chart) and markdown page (滞销调价: the ladder, the slow
//! movers and a button that turns a suggestion into a limited-time discount). They call the use cases of
//! `forecast.rs`, as the JSON API does.

use super::forecast::{self as uc, ApplyMarkdowns, ForecastQuery, Horizon, MarkdownSettingsDto, SkuForecastDetail};
use crate::web::console::prelude::*;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/forecast", get(forecast_page))
        .route("/admin/forecast/{sku_id}", get(sku_page))
        .route("/admin/markdowns", get(markdowns_page).post(save_ladder))
        .route("/admin/markdowns/{sku_id}/apply", post(apply))
}

#[derive(Deserialize, Default)]
struct ForecastForm {
    history_days: Option<String>,
    horizon_days: Option<String>,
    lead_days: Option<String>,
    cover_days: Option<String>,
    restock_only: Option<String>,
    page: Option<i64>,
}

fn num(s: &Option<String>) -> Option<i64> {
    s.as_deref().map(str::trim).filter(|v| !v.is_empty()).and_then(|v| v.parse().ok())
}

impl ForecastForm {
    fn query(&self) -> ForecastQuery {
        ForecastQuery {
            history_days: num(&self.history_days),
            horizon_days: num(&self.horizon_days),
            lead_days: num(&self.lead_days),
            cover_days: num(&self.cover_days),
            restock_only: Some(self.restock_only.as_deref() == Some("1")),
            page: Some(self.page.unwrap_or(1).max(1)),
            page_size: Some(50),
        }
    }
}

fn pct(bp: Option<i64>) -> String {
    bp.map(|v| format!("{}.{}%", v / 100, (v % 100) / 10)).unwrap_or_else(|| "-".into())
}

fn horizon_params(h: Horizon) -> Vec<(&'static str, String)> {
    vec![
        ("history_days", h.history_days.to_string()),
        ("horizon_days", h.horizon_days.to_string()),
        ("lead_days", h.lead_days.to_string()),
        ("cover_days", h.cover_days.to_string()),
    ]
}

async fn forecast_page(
    State(st): State<AppState>,
    c: Ctx,
    Console(a): Console<ReadCatalog>,
    WebQuery(f): WebQuery<ForecastForm>,
) -> WebResult {
    let q = f.query();
    let mut p = ListPage::new(c, &a, "menu.forecast");
    let (h, restock_only) = match q.horizon() {
        Ok(h) => (h, q.restock_only.unwrap_or(false)),
        Err(e) => {
            p.error = ApiError::from(e).message(p.c.lang);
            (ForecastQuery::default().horizon()?, false)
        }
    };
    let page = minimall_core::page::Page::parse(q.page, q.page_size)?;
    let list = uc::forecasts(&st, a.merchant_id, h, restock_only, page).await?;
    p.intro = p.c.t("fc.intro").into();
    let yes_no =
        vec![("0".to_string(), p.c.t("fc.all").to_string()), ("1".to_string(), p.c.t("fc.restock_only").to_string())];
    p.filters = Some(Form {
        id: "filters",
        title: String::new(),
        action: "/admin/forecast".into(),
        method: "get",
        fields: vec![
            Field::kind("history_days", p.c.t("fc.history_days"), "number", h.history_days.to_string()),
            Field::kind("horizon_days", p.c.t("fc.horizon_days"), "number", h.horizon_days.to_string()),
            Field::kind("lead_days", p.c.t("fc.lead_days"), "number", h.lead_days.to_string()),
            Field::kind("cover_days", p.c.t("fc.cover_days"), "number", h.cover_days.to_string()),
            Field::select("restock_only", p.c.t("fc.show"), if restock_only { "1" } else { "0" }, yes_no),
        ],
        submit: p.c.t("common.filter").into(),
    });
    p = p.heads(&[
        "fc.product",
        "fc.spec",
        "fc.stock",
        "fc.sold_7",
        "fc.forecast_units",
        "fc.stock_out",
        "fc.restock",
        "fc.model_error",
        "fc.naive_error",
    ]);
    let detail_q = horizon_params(h);
    for r in &list.items {
        let (model_err, naive_err) = match &r.backtest {
            Some(b) => (pct(b.model.wape_bp), pct(b.naive.wape_bp)),
            None => ("-".into(), "-".into()),
        };
        p.rows.push(vec![
            Cell::link(&r.title, view::with_query(&format!("/admin/forecast/{}", r.sku_id), &detail_q)),
            Cell::text(if r.spec.is_empty() { r.sku_code.clone() } else { r.spec.clone() }),
            Cell::num(r.stock.to_string()),
            Cell::num(r.sold_last_7.to_string()),
            Cell::num(format!("{:.1}", r.forecast_units)),
            match &r.stock_out_date {
                Some(d) => Cell::tag(d.clone(), "warn"),
                None => Cell::tag(p.c.t("fc.enough"), "ok"),
            },
            if r.restock_units > 0 { Cell::tag(r.restock_units.to_string(), "warn") } else { Cell::num("0") },
            Cell::num(model_err),
            Cell::num(naive_err),
        ]);
    }
    let mut base_q = detail_q;
    base_q.push(("restock_only", if restock_only { "1".into() } else { String::new() }));
    p.links.push(("/admin/markdowns".into(), p.c.t("menu.markdowns").into()));
    p.pager = Some(Pager::new(&view::with_query("/admin/forecast", &base_q), page.page(), page.size(), list.total));
    ok(p)
}

/// A point of the chart.
pub struct Point {
    pub x: i64,
    pub y: i64,
    pub label: String,
}

#[derive(Template)]
#[template(path = "admin/forecast.html")]
struct SkuPage {
    c: Ctx,
    nav: Nav,
    d: SkuForecastDetail,
    back: String,
    history: String,
    ahead: String,
    points: Vec<Point>,
    divider: i64,
    y_ticks: Vec<(i64, String)>,
    x_ticks: Vec<(i64, String)>,
    model_error: String,
    naive_error: String,
    model_mae: String,
    naive_mae: String,
}

const CHART_W: i64 = 900;
const CHART_H: i64 = 240;
const LEFT: i64 = 48;
const TOP: i64 = 12;

async fn sku_page(
    State(st): State<AppState>,
    c: Ctx,
    Console(a): Console<ReadCatalog>,
    WebPath(sku_id): WebPath<i64>,
    WebQuery(f): WebQuery<ForecastForm>,
) -> WebResult {
    let h = f.query().horizon().or_else(|_| ForecastQuery::default().horizon())?;
    let d = uc::sku_forecast(&st, a.merchant_id, sku_id, h).await?;
    let all: Vec<f64> = d.history.iter().chain(&d.days).map(|p| p.units).collect();
    // A top that four ticks divide into whole units.
    let max = (all.iter().copied().fold(1.0f64, f64::max) / 4.0).ceil() * 4.0;
    let n = all.len().max(2) as i64;
    let x = |i: usize| LEFT + i as i64 * (CHART_W - LEFT - 10) / (n - 1);
    let y = |v: f64| TOP + CHART_H - (v / max * CHART_H as f64).round() as i64;
    let path = |from: usize, pts: &[f64]| -> String {
        pts.iter().enumerate().map(|(i, v)| format!("{},{}", x(from + i), y(*v))).collect::<Vec<_>>().join(" ")
    };
    let hist: Vec<f64> = d.history.iter().map(|p| p.units).collect();
    let ahead: Vec<f64> = d.days.iter().map(|p| p.units).collect();
    let last = hist.len().saturating_sub(1);
    // The forecast line starts at the last day of history so that the two lines meet.
    let mut joined = vec![hist.last().copied().unwrap_or(0.0)];
    joined.extend(&ahead);
    let points = d
        .history
        .iter()
        .chain(&d.days)
        .enumerate()
        .map(|(i, p)| Point { x: x(i), y: y(p.units), label: format!("{} · {}", p.date, p.units) })
        .collect();
    let y_ticks = (0..=4).map(|k| (y(max * k as f64 / 4.0), format!("{:.0}", max * k as f64 / 4.0))).collect();
    let dates: Vec<&String> = d.history.iter().chain(&d.days).map(|p| &p.date).collect();
    let step = (dates.len() / 8).max(1);
    let x_ticks =
        dates.iter().enumerate().step_by(step).map(|(i, s)| (x(i), s.get(5..).unwrap_or(s).to_string())).collect();
    let (model_error, naive_error, model_mae, naive_mae) = match &d.forecast.backtest {
        Some(b) => {
            (pct(b.model.wape_bp), pct(b.naive.wape_bp), format!("{:.2}", b.model.mae), format!("{:.2}", b.naive.mae))
        }
        None => ("-".into(), "-".into(), "-".into(), "-".into()),
    };
    let nav = nav(&c, &a);
    Ok(SkuPage {
        back: view::with_query("/admin/forecast", &horizon_params(h)),
        history: path(0, &hist),
        ahead: path(last, &joined),
        divider: x(last),
        points,
        y_ticks,
        x_ticks,
        model_error,
        naive_error,
        model_mae,
        naive_mae,
        c,
        nav,
        d,
    }
    .render_page())
}

// ---- markdowns ------------------------------------------------------------------------------------

async fn markdowns_list(
    st: &AppState,
    c: Ctx,
    a: &Admin<ManageCatalog>,
    page: i64,
    watching: bool,
    error: String,
) -> WebResult {
    let page = minimall_core::page::Page::parse(Some(page.max(1)), Some(50))?;
    let ladder = uc::markdown_settings(st, a.merchant_id).await?;
    let list = uc::markdowns(st, a, watching, page).await?;
    let mut p = ListPage::new(c, a, "menu.markdowns");
    p.error = error;
    p.intro = p.c.t("md.intro").into();
    p.forms.push(Form {
        id: "ladder",
        title: p.c.t("md.ladder").into(),
        action: "/admin/markdowns".into(),
        method: "post",
        fields: vec![
            Field::kind("target_pct", p.c.t("md.target_pct"), "number", (ladder.target_bp / 100).to_string()),
            Field::kind("target_days", p.c.t("md.target_days"), "number", ladder.target_days.to_string()),
            Field::kind("n_days", p.c.t("md.n_days"), "number", ladder.n_days.to_string()),
            Field::kind(
                "margin_floor_pct",
                p.c.t("md.margin_floor_pct"),
                "number",
                (ladder.margin_floor_bp / 100).to_string(),
            ),
        ],
        submit: p.c.t("common.save").into(),
    });
    p = p.heads(&[
        "fc.product",
        "fc.spec",
        "md.received_on",
        "md.on_hand",
        "md.sell_through",
        "md.days_below",
        "md.price",
        "md.suggested",
        "",
    ]);
    for r in &list.items {
        let suggested = match (r.step, r.suggested_price) {
            (Some(step), Some(price)) => {
                let floor =
                    if r.at_floor == Some(true) { format!(" · {}", p.c.t("md.at_floor")) } else { String::new() };
                Cell::tag(format!("{} {}{floor}", view::yuan(price), p.c.tp("md.step.", step)), "warn")
            }
            _ => Cell::tag(p.c.t("md.watch"), "muted"),
        };
        p.rows.push(vec![
            Cell::link(&r.title, format!("/admin/forecast/{}", r.sku_id)),
            Cell::text(if r.spec.is_empty() { r.sku_code.clone() } else { r.spec.clone() }),
            Cell::text(&r.received_on),
            Cell::num(r.on_hand.to_string()),
            Cell::num(pct(Some(r.sell_through_bp))),
            Cell::num(r.days_below.to_string()),
            Cell::num(view::yuan(r.price)),
            suggested,
            if r.suggested_price.is_some() {
                Cell::button(format!("/admin/markdowns/{}/apply", r.sku_id), p.c.t("md.apply"))
            } else {
                Cell::text("")
            },
        ]);
    }
    if watching {
        p.links.push(("/admin/markdowns".into(), p.c.t("md.only_suggested").into()));
    } else {
        p.links.push(("/admin/markdowns?watching=1".into(), p.c.t("md.show_watching").into()));
    }
    p.links.push(("/admin/forecast".into(), p.c.t("menu.forecast").into()));
    p.links.push(("/admin/activities".into(), p.c.t("menu.activities").into()));
    let base = if watching { "/admin/markdowns?watching=1" } else { "/admin/markdowns" };
    p.pager = Some(Pager::new(base, page.page(), page.size(), list.total));
    ok(p)
}

#[derive(Deserialize)]
struct MarkdownForm {
    watching: Option<String>,
    page: Option<i64>,
}

async fn markdowns_page(
    State(st): State<AppState>,
    c: Ctx,
    Console(a): Console<ManageCatalog>,
    WebQuery(q): WebQuery<MarkdownForm>,
) -> WebResult {
    markdowns_list(&st, c, &a, q.page.unwrap_or(1), q.watching.as_deref() == Some("1"), String::new()).await
}

async fn save_ladder(
    State(st): State<AppState>,
    c: Ctx,
    Console(a): Console<ManageCatalog>,
    headers: HeaderMap,
    f: Fields,
) -> WebResult {
    let pct_bp = |k: &str| f.int(k).map(|v| v.saturating_mul(100)).unwrap_or(-1);
    let input = MarkdownSettingsDto {
        target_bp: pct_bp("target_pct"),
        target_days: f.int("target_days").unwrap_or(-1),
        n_days: f.int("n_days").unwrap_or(-1),
        margin_floor_bp: pct_bp("margin_floor_pct"),
    };
    match uc::set_markdown_settings(&st, &a, &Call::from_headers(&headers), input).await {
        Ok(_) => back("/admin/markdowns"),
        Err(e) => {
            let msg = e.message(c.lang);
            markdowns_list(&st, c, &a, 1, false, msg).await
        }
    }
}

async fn apply(
    State(st): State<AppState>,
    c: Ctx,
    Console(a): Console<ManageCatalog>,
    headers: HeaderMap,
    WebPath(sku_id): WebPath<i64>,
) -> WebResult {
    let req = ApplyMarkdowns { sku_ids: vec![sku_id], days: None };
    match uc::apply_markdowns(&st, &a, &Call::from_headers(&headers), req).await {
        Ok(act) => back(&format!("/admin/activities/{}", act.id)),
        Err(e) => {
            let msg = e.message(c.lang);
            markdowns_list(&st, c, &a, 1, false, msg).await
        }
    }
}

//! Sales forecast per SKU and markdown suggestions for slow movers, as use cases.
//!
//! - **Forecast.** The units each SKU sold per shop day over the last `history_days` whole days (today left
//!   out: it is not over) are fitted by `core::analytics::forecast` (Holt-Winters with a weekly season); the
//!   forecast runs from today. Beside it, the backtest: the last [`BACKTEST_DAYS`] days held out, the model
//!   fitted on the days before and its error (MAE and WAPE) next to the naive forecast's (the mean of those
//!   days). Stock-out day at the current stock and the units to restock for the supplier's lead time plus the
//!   days to cover follow from the same forecast.
//! - **Markdowns.** Each SKU in stock is a lot from its last receipt of stock (created with, imported or
//!   increased by hand; at most [`MAX_LOT_DAYS`] days back): the units on hand right after it and the units sold
//!   on each day since. `core::analytics::markdown` with the shop's ladder decides the slow movers and the step
//!   (−10 % / −20 %, never under cost plus the margin floor); applying suggestions creates one 限时折扣 activity
//!   at the suggested prices, through the promotions use case.

use std::collections::HashMap;

use minimall_core::analytics::forecast::{self as fc, Model};
use minimall_core::analytics::markdown::{self as md, Ladder, Lot};
use minimall_core::error::{FieldError, Reason};
use minimall_core::page::Page;
use minimall_store::sales::{MarkdownSettings, SkuStock};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::accounts::auth::{Admin, ManageCatalog, MoneyView};
use crate::error::{ApiError, ApiResult};
use crate::http::Paginated;
use crate::ops::audit::{audit, to_json};
use crate::promotions::admin_api::{ActivityDto, ActivityInput};
use crate::promotions::pricing::{RuleDto, ScopeDto, SkuPriceDto};
use crate::state::AppState;
use crate::usecase::{self, Call, Effects};
use crate::web::view;

/// Days held out by the backtest.
pub const BACKTEST_DAYS: usize = 14;
/// How far back a lot's sales are read.
pub const MAX_LOT_DAYS: i64 = 365;
/// SKUs one markdown request may apply.
pub const MAX_APPLY: usize = 100;
const DAY_MS: i64 = 86_400_000;

/// What a forecast looks at and how far it looks ahead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Horizon {
    pub history_days: i64,
    pub horizon_days: i64,
    pub lead_days: i64,
    pub cover_days: i64,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ForecastQuery {
    /// Whole days of sales fitted, 28–365 (default 56).
    #[param(minimum = 28, maximum = 365)]
    pub history_days: Option<i64>,
    /// Days forecast, 1–60 (default 14).
    #[param(minimum = 1, maximum = 60)]
    pub horizon_days: Option<i64>,
    /// The supplier's lead time in days, 0–60 (default 7).
    #[param(minimum = 0, maximum = 60)]
    pub lead_days: Option<i64>,
    /// Days a restock should cover after it arrives, 1–90 (default 14).
    #[param(minimum = 1, maximum = 90)]
    pub cover_days: Option<i64>,
    /// Only SKUs to restock.
    pub restock_only: Option<bool>,
    #[param(minimum = 1, maximum = 10000)]
    pub page: Option<i64>,
    #[param(minimum = 1, maximum = 100)]
    pub page_size: Option<i64>,
}

fn bounded(field: &'static str, v: Option<i64>, default: i64, min: i64, max: i64) -> Result<i64, FieldError> {
    let v = v.unwrap_or(default);
    if (min..=max).contains(&v) {
        Ok(v)
    } else {
        Err(FieldError::new(field, Reason::OutOfRange { min, max }))
    }
}

impl ForecastQuery {
    pub fn horizon(&self) -> Result<Horizon, FieldError> {
        Ok(Horizon {
            history_days: bounded("history_days", self.history_days, 56, 28, 365)?,
            horizon_days: bounded("horizon_days", self.horizon_days, 14, 1, 60)?,
            lead_days: bounded("lead_days", self.lead_days, 7, 0, 60)?,
            cover_days: bounded("cover_days", self.cover_days, 14, 1, 90)?,
        })
    }
}

/// Forecast error over the held-out days.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ErrorDto {
    /// Mean absolute error, units per day.
    pub mae: f64,
    /// Σ|actual − forecast| / Σ actual in basis points; absent when nothing sold in the held-out days.
    pub wape_bp: Option<i64>,
}

impl From<fc::Error> for ErrorDto {
    fn from(e: fc::Error) -> Self {
        ErrorDto { mae: round2(e.mae), wape_bp: e.wape.map(|w| (w * 10_000.0).round() as i64) }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BacktestDto {
    pub held_out_days: i64,
    pub model: ErrorDto,
    /// The naive forecast: the mean of the fitting days.
    pub naive: ErrorDto,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SkuForecast {
    pub sku_id: i64,
    pub product_id: i64,
    pub title: String,
    pub sku_code: String,
    /// Spec values joined by " / ".
    pub spec: String,
    pub stock: i64,
    /// Units sold over the fitted days and over the last 7 of them.
    pub sold: i64,
    pub sold_last_7: i64,
    /// `holt_winters`, or `mean` with fewer than 14 days.
    #[schema(pattern = "^(holt_winters|mean)$")]
    pub model: &'static str,
    /// Units forecast over the horizon, to one decimal.
    pub forecast_units: f64,
    /// The first day (`YYYY-MM-DD`) on which the forecast sales reach the stock; absent when the stock outlasts
    /// the horizon.
    pub stock_out_date: Option<String>,
    /// Units to order now to last the lead time and the days to cover.
    pub restock_units: i64,
    /// Absent when the history is shorter than the backtest needs.
    pub backtest: Option<BacktestDto>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DayUnits {
    /// `YYYY-MM-DD`.
    pub date: String,
    pub units: f64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SkuForecastDetail {
    pub forecast: SkuForecast,
    /// Every fitted day, oldest first (days without a sale as 0).
    pub history: Vec<DayUnits>,
    /// The forecast from today, one entry per day of the horizon.
    pub days: Vec<DayUnits>,
}

fn round1(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

pub fn spec_text(spec_values: &str) -> String {
    serde_json::from_str::<Vec<String>>(spec_values).map(|v| v.join(" / ")).unwrap_or_default()
}

/// Units per SKU over `days` whole days ending yesterday, one entry per day (0 without a sale).
async fn daily_units(st: &AppState, merchant_id: i64, today: i64, days: i64) -> ApiResult<HashMap<i64, Vec<f64>>> {
    let first = today - days;
    let rows = st
        .store
        .sku_daily_units(merchant_id, view::day_start_ms(first), view::day_start_ms(today), view::zone_offset_ms(first))
        .await?;
    let mut out: HashMap<i64, Vec<f64>> = HashMap::new();
    for r in rows {
        let i = r.day - first;
        if (0..days).contains(&i) {
            out.entry(r.sku_id).or_insert_with(|| vec![0.0; days as usize])[i as usize] += r.units as f64;
        }
    }
    Ok(out)
}

fn forecast_row(s: &SkuStock, y: &[f64], h: Horizon, today: i64) -> (SkuForecast, Model) {
    let model = fc::fit(y);
    let ahead = model.forecast(h.horizon_days as usize);
    let stock_out = fc::stock_out_day(&model, s.stock, h.horizon_days as usize);
    let backtest = fc::backtest(y, BACKTEST_DAYS)
        .filter(|_| y.len() >= BACKTEST_DAYS + fc::MIN_DAYS)
        .map(|b| BacktestDto { held_out_days: b.held_out as i64, model: b.model.into(), naive: b.naive.into() });
    let row = SkuForecast {
        sku_id: s.sku_id,
        product_id: s.product_id,
        title: s.title.clone(),
        sku_code: s.sku_code.clone(),
        spec: spec_text(&s.spec_values),
        stock: s.stock,
        sold: y.iter().sum::<f64>() as i64,
        sold_last_7: y.iter().rev().take(7).sum::<f64>() as i64,
        model: match model {
            Model::HoltWinters { .. } => "holt_winters",
            Model::Mean(_) => "mean",
        },
        forecast_units: round1(ahead.iter().sum()),
        stock_out_date: stock_out.map(|d| view::date_label(today + d as i64)),
        restock_units: fc::restock_units(&model, s.stock, h.lead_days as usize, h.cover_days as usize),
        backtest,
    };
    (row, model)
}

/// Every SKU that sold in the fitted days, soonest stock-out first (then by SKU); only those to restock when
/// asked.
pub async fn forecasts(
    st: &AppState,
    merchant_id: i64,
    h: Horizon,
    restock_only: bool,
    page: Page,
) -> ApiResult<Paginated<SkuForecast>> {
    let today = view::beijing_day(minimall_store::now_ms());
    let series = daily_units(st, merchant_id, today, h.history_days).await?;
    let mut rows: Vec<SkuForecast> = st
        .store
        .sku_stock(merchant_id, None)
        .await?
        .iter()
        .filter_map(|s| series.get(&s.sku_id).map(|y| forecast_row(s, y, h, today).0))
        .filter(|r| !restock_only || r.restock_units > 0)
        .collect();
    rows.sort_by(|a, b| {
        (a.stock_out_date.is_none(), &a.stock_out_date, a.sku_id).cmp(&(
            b.stock_out_date.is_none(),
            &b.stock_out_date,
            b.sku_id,
        ))
    });
    let total = rows.len() as i64;
    let items = rows.into_iter().skip(page.offset() as usize).take(page.size() as usize).collect();
    Ok(Paginated::new(items, total, page))
}

/// One SKU's history, forecast and backtest.
pub async fn sku_forecast(st: &AppState, merchant_id: i64, sku_id: i64, h: Horizon) -> ApiResult<SkuForecastDetail> {
    let today = view::beijing_day(minimall_store::now_ms());
    let sku = st.store.sku_stock(merchant_id, Some(&[sku_id])).await?.into_iter().next();
    let sku = sku.ok_or_else(|| ApiError::not_found("sku"))?;
    let y = daily_units(st, merchant_id, today, h.history_days)
        .await?
        .remove(&sku_id)
        .unwrap_or_else(|| vec![0.0; h.history_days as usize]);
    let (row, model) = forecast_row(&sku, &y, h, today);
    let first = today - h.history_days;
    Ok(SkuForecastDetail {
        forecast: row,
        history: y
            .iter()
            .enumerate()
            .map(|(i, u)| DayUnits { date: view::date_label(first + i as i64), units: *u })
            .collect(),
        days: model
            .forecast(h.horizon_days as usize)
            .into_iter()
            .enumerate()
            .map(|(i, u)| DayUnits { date: view::date_label(today + i as i64), units: round1(u) })
            .collect(),
    })
}

// ---- markdowns ------------------------------------------------------------------------------------

/// The shop's markdown ladder.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MarkdownSettingsDto {
    /// Sell-through to reach, basis points 1–10000 (6000 = 60 %).
    #[schema(minimum = 1, maximum = 10000)]
    pub target_bp: i64,
    /// By this many days after receiving, 1–365.
    #[schema(minimum = 1, maximum = 365)]
    pub target_days: i64,
    /// Days below target before −10 %; −20 % after twice as many. 1–180.
    #[schema(minimum = 1, maximum = 180)]
    pub n_days: i64,
    /// The least margin over cost a marked-down price keeps, basis points 0–10000.
    #[schema(minimum = 0, maximum = 10000)]
    pub margin_floor_bp: i64,
}

impl From<MarkdownSettings> for MarkdownSettingsDto {
    fn from(s: MarkdownSettings) -> Self {
        MarkdownSettingsDto {
            target_bp: s.target_bp,
            target_days: s.target_days,
            n_days: s.n_days,
            margin_floor_bp: s.margin_floor_bp,
        }
    }
}

impl MarkdownSettingsDto {
    fn ladder(&self) -> Ladder {
        Ladder {
            target_bp: self.target_bp,
            target_days: self.target_days,
            n_days: self.n_days,
            margin_floor_bp: self.margin_floor_bp,
        }
    }
}

pub async fn markdown_settings(st: &AppState, merchant_id: i64) -> ApiResult<MarkdownSettingsDto> {
    Ok(st.store.markdown_settings(merchant_id).await?.into())
}

/// Change the ladder (audited).
pub async fn set_markdown_settings(
    st: &AppState,
    admin: &Admin<ManageCatalog>,
    call: &Call,
    input: MarkdownSettingsDto,
) -> ApiResult<MarkdownSettingsDto> {
    input.ladder().validate().map_err(|e| match e {
        md::LadderError::OutOfRange { field, min, max } => FieldError::new(field, Reason::OutOfRange { min, max }),
    })?;
    let before = markdown_settings(st, admin.merchant_id).await?;
    let mut tx = st.store.begin().await?;
    let s = MarkdownSettings {
        target_bp: input.target_bp,
        target_days: input.target_days,
        n_days: input.n_days,
        margin_floor_bp: input.margin_floor_bp,
    };
    st.store.set_markdown_settings(&mut tx, admin.merchant_id, s).await?;
    audit(st, &mut tx, admin, call, "markdown.settings", "merchant".into(), to_json(&before), to_json(&input)).await?;
    usecase::commit(st, tx, Effects::new()).await?;
    Ok(input)
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MarkdownDto {
    pub sku_id: i64,
    pub product_id: i64,
    pub title: String,
    pub sku_code: String,
    pub spec: String,
    /// The current sale price, fen.
    pub price: i64,
    /// `YYYY-MM-DD` of the lot's receipt.
    pub received_on: String,
    pub age_days: i64,
    pub received_units: i64,
    pub sold_units: i64,
    pub on_hand: i64,
    pub sell_through_bp: i64,
    /// Days in a row below the target sell-through, up to today.
    pub days_below: i64,
    /// `ten_off` or `twenty_off`; absent while the run is shorter than the ladder's first step or without cost.
    #[schema(pattern = "^(ten_off|twenty_off)$")]
    pub step: Option<&'static str>,
    /// The suggested price, fen.
    pub suggested_price: Option<i64>,
    /// The lowest price the margin floor allows, fen (roles that may read cost only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub floor_price: Option<i64>,
    /// The step would undercut the floor, so the floor is suggested (roles that may read cost only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at_floor: Option<bool>,
}

/// Lots of the SKUs in stock (only `sku_ids` when given) and the SKUs behind them.
async fn lots(st: &AppState, merchant_id: i64, sku_ids: Option<&[i64]>) -> ApiResult<Vec<(SkuStock, Lot, i64)>> {
    let now = minimall_store::now_ms();
    let today = view::beijing_day(now);
    let skus: Vec<SkuStock> = st
        .store
        .sku_stock(merchant_id, sku_ids)
        .await?
        .into_iter()
        .filter(|s| s.on_shelf != 0 && s.stock > 0 && s.received_at.is_some())
        .collect();
    let first = today - MAX_LOT_DAYS + 1;
    let earliest = skus.iter().filter_map(|s| s.received_at).min().unwrap_or(now).max(view::day_start_ms(first));
    let from_day = view::beijing_day(earliest);
    let rows = st
        .store
        .sku_daily_units(merchant_id, view::day_start_ms(from_day), now + 1, view::zone_offset_ms(from_day))
        .await?;
    let mut sold: HashMap<i64, HashMap<i64, i64>> = HashMap::new();
    for r in rows {
        *sold.entry(r.sku_id).or_default().entry(r.day).or_default() += r.units;
    }
    Ok(skus
        .into_iter()
        .map(|s| {
            let received_day = view::beijing_day(s.received_at.unwrap_or(now)).max(first);
            let days = sold.get(&s.sku_id);
            let daily_sold =
                (received_day..=today).map(|d| days.and_then(|m| m.get(&d)).copied().unwrap_or(0)).collect();
            let lot = Lot {
                sku_id: s.sku_id,
                price_fen: s.sale_price,
                cost_fen: (s.cost_price > 0).then_some(s.cost_price),
                received_units: s.received_balance.unwrap_or(0).max(0),
                daily_sold,
            };
            (s, lot, received_day)
        })
        .collect())
}

fn markdown_row(s: &SkuStock, a: &md::Assessment, received_day: i64, cost: bool) -> MarkdownDto {
    let sug = a.suggestion.as_ref();
    MarkdownDto {
        sku_id: s.sku_id,
        product_id: s.product_id,
        title: s.title.clone(),
        sku_code: s.sku_code.clone(),
        spec: spec_text(&s.spec_values),
        price: s.sale_price,
        received_on: view::date_label(received_day),
        age_days: a.age_days,
        received_units: s.received_balance.unwrap_or(0),
        sold_units: a.sold_units,
        on_hand: a.on_hand,
        sell_through_bp: a.sell_through_bp,
        days_below: a.days_below,
        step: sug.map(|x| x.step.code()),
        suggested_price: sug.map(|x| x.price_fen),
        floor_price: sug.filter(|_| cost).map(|x| x.floor_fen),
        at_floor: sug.filter(|_| cost).map(|x| x.at_floor),
    }
}

/// The slow movers with a step suggested today (and, with `watching`, those below target but not yet at a
/// step): longest run below target first.
pub async fn markdowns(
    st: &AppState,
    admin: &Admin<ManageCatalog>,
    watching: bool,
    page: Page,
) -> ApiResult<Paginated<MarkdownDto>> {
    let ladder = markdown_settings(st, admin.merchant_id).await?.ladder();
    let cost = MoneyView::of(st, admin).await?.cost;
    let lots = lots(st, admin.merchant_id, None).await?;
    let by_sku: HashMap<i64, (&SkuStock, i64)> = lots.iter().map(|(s, _, d)| (s.sku_id, (s, *d))).collect();
    let plain: Vec<Lot> = lots.iter().map(|(_, l, _)| l.clone()).collect();
    let slow: Vec<md::Assessment> =
        md::slow_movers(&ladder, &plain).into_iter().filter(|a| watching || a.suggestion.is_some()).collect();
    let total = slow.len() as i64;
    let items = slow
        .iter()
        .skip(page.offset() as usize)
        .take(page.size() as usize)
        .filter_map(|a| by_sku.get(&a.sku_id).map(|(s, d)| markdown_row(s, a, *d, cost)))
        .collect();
    Ok(Paginated::new(items, total, page))
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplyMarkdowns {
    /// SKUs whose current suggestion becomes their price in one 限时折扣 activity, 1–100.
    #[schema(min_items = 1, max_items = 100)]
    pub sku_ids: Vec<i64>,
    /// The activity runs from now for this many days, 1–90 (default 14).
    #[schema(minimum = 1, maximum = 90)]
    pub days: Option<i64>,
}

/// Turn the current suggestions of `sku_ids` into one limited-time discount at the suggested prices (computed
/// here, never taken from the request). A SKU without a suggestion is refused by its index.
pub async fn apply_markdowns(
    st: &AppState,
    admin: &Admin<ManageCatalog>,
    call: &Call,
    req: ApplyMarkdowns,
) -> ApiResult<ActivityDto> {
    if req.sku_ids.is_empty() || req.sku_ids.len() > MAX_APPLY {
        return Err(FieldError::new("sku_ids", Reason::ListCount { min: 1, max: MAX_APPLY as i64 }).into());
    }
    for (i, id) in req.sku_ids.iter().enumerate() {
        if *id <= 0 {
            return Err(FieldError::new(format!("sku_ids[{i}]"), Reason::IdsPositive).into());
        }
        if req.sku_ids[..i].contains(id) {
            return Err(FieldError::new(format!("sku_ids[{i}]"), Reason::Duplicate).into());
        }
    }
    let days = bounded("days", req.days, 14, 1, 90)?;
    let ladder = markdown_settings(st, admin.merchant_id).await?.ladder();
    let lots = lots(st, admin.merchant_id, Some(&req.sku_ids)).await?;
    let mut prices = Vec::with_capacity(req.sku_ids.len());
    for (i, id) in req.sku_ids.iter().enumerate() {
        let suggestion =
            lots.iter().find(|(s, _, _)| s.sku_id == *id).and_then(|(_, lot, _)| md::assess(&ladder, lot).suggestion);
        match suggestion {
            Some(s) => prices.push(SkuPriceDto { sku_id: *id, price: s.price_fen }),
            None => return Err(FieldError::new(format!("sku_ids[{i}]"), Reason::NoMarkdown).into()),
        }
    }
    let now = minimall_store::now_ms();
    let input = ActivityInput {
        name: format!("清仓调价 {}", view::date_label(view::beijing_day(now))),
        kind: "limited_discount".into(),
        rule: RuleDto { prices: Some(prices), ..Default::default() },
        scope: ScopeDto { skus: req.sku_ids.clone(), ..Default::default() },
        starts_at: now,
        ends_at: now + days * DAY_MS,
        allow_coupons: true,
        allow_points: true,
        per_buyer_limit: 0,
        free_shipping: false,
        allow_overlap: false,
    };
    crate::promotions::activities::create_activity(st, admin, call, input).await
}

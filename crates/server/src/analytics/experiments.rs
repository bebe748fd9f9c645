//! A/B experiments on a recommendation placement: the operator states the variants (each a strategy with a
//! weight), the target metric and the planned sample per variant before the start; shoppers are assigned by a
//! hash of (experiment, buyer or visitor) (`core::analytics::ab`), their first exposure and first conversion
//! after it are kept, and the results compare every variant with the control (variant 0): conversion with its
//! Wilson interval, the two-proportion z-test, Welch's t-test on the converted orders' amounts, and a verdict
//! that stays provisional until every variant has reached the planned sample (no peeking).

use minimall_core::analytics::ab;
use minimall_core::analytics::recommend::{Placement, Strategy};
use minimall_core::error::Reason;
use minimall_core::page::Page;
use minimall_store::experiments::{ExperimentRow, NewExperiment};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::recommend::Shopper;
use super::refusals::AnalyticsRefusal;
use crate::accounts::auth::AdminUser;
use crate::error::{ApiError, ApiResult};
use crate::http::Paginated;
use crate::ops::audit::{audit, to_json};
use crate::state::AppState;
use crate::usecase::Call;

/// The planned sample per variant: at least this many…
pub const PLANNED_MIN: i64 = 10;
/// …and at most this many.
pub const PLANNED_MAX: i64 = 10_000_000;
pub const VARIANTS_MIN: usize = 2;
pub const VARIANTS_MAX: usize = 4;
pub const WEIGHT_MAX: i64 = 100;
pub const NAME_MAX_CHARS: usize = 40;
pub const VARIANT_NAME_MAX_CHARS: usize = 20;

/// One variant: what it shows and its share of the shoppers.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VariantSpec {
    /// 1–20 characters.
    pub name: String,
    /// `personal` (neighbours) or `popular` (popularity alone).
    pub strategy: String,
    /// 1–100, relative to the other variants'.
    pub weight: i64,
}

/// A new experiment, stated in full before it starts.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewExperimentRequest {
    /// 1–40 characters.
    pub name: String,
    /// `product_viewed`, `product_bought`, `home_feed` or `cart_bought`.
    pub placement: String,
    /// `click` (opened a product from the placement) or `purchase` (paid an order after the exposure).
    pub metric: String,
    /// 2–4 variants; the first is the control.
    pub variants: Vec<VariantSpec>,
    /// Shoppers per variant before the result is final, 10–10,000,000.
    pub planned_per_variant: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ExperimentDto {
    pub id: i64,
    pub name: String,
    pub placement: String,
    pub metric: String,
    pub variants: Vec<VariantSpec>,
    pub planned_per_variant: i64,
    /// `draft`, `running` or `stopped`.
    pub status: String,
    pub created_at: i64,
    pub started_at: Option<i64>,
    pub stopped_at: Option<i64>,
}

fn dto(r: &ExperimentRow) -> ExperimentDto {
    ExperimentDto {
        id: r.id,
        name: r.name.clone(),
        placement: r.placement.clone(),
        metric: r.metric.clone(),
        variants: serde_json::from_str(&r.variants).unwrap_or_default(),
        planned_per_variant: r.planned,
        status: r.status.clone(),
        created_at: r.created_at,
        started_at: r.started_at,
        stopped_at: r.stopped_at,
    }
}

/// The assignment key of an experiment (part of the hash: never change it).
fn key(id: i64) -> String {
    format!("exp{id}")
}

fn weights(variants: &[VariantSpec]) -> Vec<u32> {
    variants.iter().map(|v| v.weight.clamp(0, WEIGHT_MAX) as u32).collect()
}

/// The variant a shopper is assigned to in an experiment (stable: a hash of the experiment and the shopper).
pub fn assign(experiment_id: i64, variants: &[VariantSpec], shopper: &Shopper) -> Option<usize> {
    let w = weights(variants);
    match shopper {
        Shopper::Buyer(b) => ab::assign(&key(experiment_id), *b, &w),
        Shopper::Visitor(v) => ab::assign_visitor(&key(experiment_id), v, &w),
        Shopper::Unknown => None,
    }
}

/// The variant of the running experiment a shopper sees on a placement.
#[derive(Debug, Clone)]
pub struct Arm {
    pub experiment_id: i64,
    pub variant: usize,
    pub name: String,
    pub strategy: Strategy,
}

/// The shopper's arm of the experiment running on a placement, if any (the caller logs the exposure).
pub async fn arm(st: &AppState, placement: Placement, shopper: &Shopper) -> ApiResult<Option<Arm>> {
    if *shopper == Shopper::Unknown {
        return Ok(None);
    }
    let Some(e) = st.store.running_experiment(st.merchant_id, placement.as_str()).await? else {
        return Ok(None);
    };
    let variants: Vec<VariantSpec> = serde_json::from_str(&e.variants).unwrap_or_default();
    let Some(i) = assign(e.id, &variants, shopper) else {
        return Ok(None);
    };
    let v = &variants[i];
    Ok(Some(Arm {
        experiment_id: e.id,
        variant: i,
        name: v.name.clone(),
        strategy: Strategy::parse(&v.strategy).unwrap_or(Strategy::Personal),
    }))
}

fn text(field: &str, s: &str, max: usize) -> ApiResult<String> {
    let t = s.trim();
    let n = t.chars().count();
    if n == 0 {
        return Err(ApiError::invalid_because(field, &Reason::Empty));
    }
    if n > max {
        return Err(ApiError::invalid_because(field, &Reason::TooLong { max: max as i64 }));
    }
    if t.chars().any(char::is_control) {
        return Err(ApiError::invalid_because(field, &Reason::ControlChars));
    }
    Ok(t.to_string())
}

fn one_of(field: &str, allowed: &[&str]) -> ApiError {
    ApiError::invalid_because(field, &Reason::OneOf { allowed: allowed.join(", ") })
}

/// Check a new experiment; its variants as stored.
fn check(req: &NewExperimentRequest) -> ApiResult<(String, Vec<VariantSpec>)> {
    let name = text("name", &req.name, NAME_MAX_CHARS)?;
    if Placement::parse(&req.placement).is_none() {
        return Err(one_of("placement", &Placement::ALL.map(|p| p.as_str())));
    }
    if req.metric != "click" && req.metric != "purchase" {
        return Err(one_of("metric", &["click", "purchase"]));
    }
    if !(VARIANTS_MIN..=VARIANTS_MAX).contains(&req.variants.len()) {
        return Err(ApiError::invalid_because(
            "variants",
            &Reason::ListCount { min: VARIANTS_MIN as i64, max: VARIANTS_MAX as i64 },
        ));
    }
    let mut out = Vec::new();
    for (i, v) in req.variants.iter().enumerate() {
        let name = text(&format!("variants[{i}].name"), &v.name, VARIANT_NAME_MAX_CHARS)?;
        if out.iter().any(|o: &VariantSpec| o.name == name) {
            return Err(ApiError::invalid_because(format!("variants[{i}].name"), &Reason::Duplicate));
        }
        if Strategy::parse(&v.strategy).is_none() {
            return Err(one_of(&format!("variants[{i}].strategy"), &Strategy::ALL.map(|s| s.as_str())));
        }
        if !(1..=WEIGHT_MAX).contains(&v.weight) {
            return Err(ApiError::invalid_because(
                format!("variants[{i}].weight"),
                &Reason::OutOfRange { min: 1, max: WEIGHT_MAX },
            ));
        }
        out.push(VariantSpec { name, strategy: v.strategy.clone(), weight: v.weight });
    }
    if !(PLANNED_MIN..=PLANNED_MAX).contains(&req.planned_per_variant) {
        return Err(ApiError::invalid_because(
            "planned_per_variant",
            &Reason::OutOfRange { min: PLANNED_MIN, max: PLANNED_MAX },
        ));
    }
    Ok((name, out))
}

/// Create an experiment as a draft (audited).
pub async fn create(
    st: &AppState,
    admin: &AdminUser,
    call: &Call,
    req: NewExperimentRequest,
) -> ApiResult<ExperimentDto> {
    let (name, variants) = check(&req)?;
    let json = serde_json::to_string(&variants).map_err(ApiError::internal)?;
    let mut tx = st.store.begin().await?;
    let e = NewExperiment {
        name: &name,
        placement: &req.placement,
        metric: &req.metric,
        variants: &json,
        planned: req.planned_per_variant,
        created_by: admin.id,
    };
    let id = st.store.create_experiment(&mut tx, admin.merchant_id, &e).await?;
    let row = st.store.experiment(&mut *tx, admin.merchant_id, id).await?.ok_or_else(|| ApiError::internal("lost"))?;
    let out = dto(&row);
    audit(st, &mut tx, admin, call, "experiment.create", format!("experiment:{id}"), None, to_json(&out)).await?;
    minimall_store::commit(tx).await?;
    Ok(out)
}

pub async fn get(st: &AppState, merchant_id: i64, id: i64) -> ApiResult<ExperimentDto> {
    let row = st
        .store
        .experiment(st.store.reader(), merchant_id, id)
        .await?
        .ok_or_else(|| ApiError::not_found("experiment"))?;
    Ok(dto(&row))
}

pub async fn list(st: &AppState, merchant_id: i64, page: Page) -> ApiResult<Paginated<ExperimentDto>> {
    let rows = st.store.list_experiments(merchant_id, page.size(), page.offset()).await?;
    Ok(Paginated::new(rows.items.iter().map(dto).collect(), rows.total, page))
}

/// Start a draft (at most one running experiment per placement), or stop a running one (audited).
pub async fn transition(
    st: &AppState,
    admin: &AdminUser,
    call: &Call,
    id: i64,
    start: bool,
) -> ApiResult<ExperimentDto> {
    let m = admin.merchant_id;
    let mut tx = st.store.begin().await?;
    let row = st.store.experiment(&mut *tx, m, id).await?.ok_or_else(|| ApiError::not_found("experiment"))?;
    let (from, to, action) =
        if start { ("draft", "running", "experiment.start") } else { ("running", "stopped", "experiment.stop") };
    if row.status != from {
        let why = if start { AnalyticsRefusal::ExperimentNotDraft } else { AnalyticsRefusal::ExperimentNotRunning };
        return Err(ApiError::conflict_because(&why));
    }
    if start && st.store.placement_busy(&mut tx, m, &row.placement).await? {
        return Err(ApiError::conflict_because(&AnalyticsRefusal::PlacementBusy));
    }
    if !st.store.set_experiment_status(&mut tx, m, id, from, to).await? {
        return Err(ApiError::conflict_because(&AnalyticsRefusal::ExperimentNotDraft));
    }
    let before = dto(&row);
    let row = st.store.experiment(&mut *tx, m, id).await?.ok_or_else(|| ApiError::internal("lost"))?;
    let out = dto(&row);
    audit(st, &mut tx, admin, call, action, format!("experiment:{id}"), to_json(&before.status), to_json(&out.status))
        .await?;
    minimall_store::commit(tx).await?;
    Ok(out)
}

/// A paid order: a conversion in each running purchase experiment its buyer was exposed to (in the payment's
/// transaction).
pub async fn order_paid(
    st: &AppState,
    tx: &mut minimall_store::Tx,
    merchant_id: i64,
    buyer_id: i64,
    order_id: i64,
    amount: i64,
) -> ApiResult<()> {
    st.store.convert_purchase(tx, merchant_id, buyer_id, order_id, amount).await?;
    Ok(())
}

// ---- results ----------------------------------------------------------------------------------------

/// One variant's figures, compared with the control (variant 0).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VariantResult {
    pub index: i64,
    pub name: String,
    pub strategy: String,
    pub weight: i64,
    /// Shoppers exposed.
    pub exposed: i64,
    /// Of those, converted (the first conversion after exposure).
    pub converted: i64,
    /// converted / exposed.
    pub rate: Option<f64>,
    /// Wilson score interval of the rate at 95 %.
    pub rate_low: Option<f64>,
    pub rate_high: Option<f64>,
    /// (rate − control's) / control's.
    pub lift: Option<f64>,
    /// Two-proportion z-test (pooled) against the control, two-sided.
    pub z: Option<f64>,
    pub z_p_value: Option<f64>,
    /// Converted orders with an amount, their mean (fen).
    pub orders: i64,
    pub mean_order_fen: Option<f64>,
    /// Welch's t-test of the order amounts against the control's, two-sided.
    pub t: Option<f64>,
    pub t_df: Option<f64>,
    pub t_p_value: Option<f64>,
    /// `collecting`, `significant`, `not_significant` or `undecidable` (none for the control).
    pub verdict: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ExperimentResults {
    pub experiment: ExperimentDto,
    pub confidence: f64,
    pub alpha: f64,
    /// Not every variant has reached the planned sample: the figures are shown but no conclusion is drawn.
    pub provisional: bool,
    /// The fewest shoppers any variant has.
    pub smallest_sample: i64,
    pub variants: Vec<VariantResult>,
}

/// An experiment's results, every figure from its exposures and conversions.
pub async fn results(st: &AppState, merchant_id: i64, id: i64) -> ApiResult<ExperimentResults> {
    let e = get(st, merchant_id, id).await?;
    let counts = st.store.experiment_counts(merchant_id, id).await?;
    let amounts = st.store.experiment_amounts(merchant_id, id).await?;
    let observed: Vec<ab::Observed> = (0..e.variants.len() as i64)
        .map(|i| {
            let c = counts.iter().find(|c| c.variant == i);
            ab::Observed { exposed: c.map_or(0, |c| c.exposed as u64), converted: c.map_or(0, |c| c.converted as u64) }
        })
        .collect();
    let values: Vec<Vec<i64>> =
        (0..e.variants.len() as i64).map(|i| amounts.iter().filter(|a| a.0 == i).map(|a| a.1).collect()).collect();
    let moments: Vec<Option<ab::Moments>> = values.iter().map(|v| ab::Moments::of(v)).collect();
    let planned = e.planned_per_variant as u64;
    let smallest = observed.iter().map(|o| o.exposed).min().unwrap_or(0);
    let mut variants = Vec::new();
    for (i, v) in e.variants.iter().enumerate() {
        let o = observed[i];
        let rate = ab::conversion_rate(o.converted, o.exposed, ab::CONFIDENCE);
        let control = observed[0];
        let (z, lift, verdict, welch) = if i == 0 {
            (None, None, None, None)
        } else {
            let z = ab::two_proportion_z(control.converted, control.exposed, o.converted, o.exposed);
            // Judged on the plan: every variant must have reached it, not only these two.
            let verdict = if smallest < planned {
                "collecting"
            } else {
                ab::judge(e.planned_per_variant as u64, control, o, ab::ALPHA).code()
            };
            let welch = match (moments[0], moments[i]) {
                (Some(a), Some(b)) => ab::welch_t(a, b),
                _ => None,
            };
            (z, ab::lift(control, o), Some(verdict.to_string()), welch)
        };
        variants.push(VariantResult {
            index: i as i64,
            name: v.name.clone(),
            strategy: v.strategy.clone(),
            weight: v.weight,
            exposed: o.exposed as i64,
            converted: o.converted as i64,
            rate: rate.map(|r| r.rate),
            rate_low: rate.map(|r| r.low),
            rate_high: rate.map(|r| r.high),
            lift,
            z: z.map(|t| t.statistic),
            z_p_value: z.map(|t| t.p_value),
            orders: values[i].len() as i64,
            mean_order_fen: moments[i].map(|m| m.mean).or_else(|| values[i].first().map(|&v| v as f64)),
            t: welch.map(|w| w.0.statistic),
            t_df: welch.map(|w| w.1),
            t_p_value: welch.map(|w| w.0.p_value),
            verdict,
        });
    }
    Ok(ExperimentResults {
        experiment: e,
        confidence: ab::CONFIDENCE,
        alpha: ab::ALPHA,
        provisional: smallest < planned,
        smallest_sample: smallest as i64,
        variants,
    })
}

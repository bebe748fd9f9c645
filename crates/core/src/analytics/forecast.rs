//! Daily sales forecast per SKU: Holt-Winters with additive trend and additive weekly seasonality.
//!
//! - Model: level ℓ, trend b, seasonal s with period 7:
//!   ℓₜ = α(yₜ − sₜ₋₇) + (1−α)(ℓₜ₋₁ + bₜ₋₁); bₜ = β(ℓₜ − ℓₜ₋₁) + (1−β)bₜ₋₁; sₜ = γ(yₜ − ℓₜ) + (1−γ)sₜ₋₇;
//!   ŷₜ₊ₕ = ℓₜ + h·bₜ + sₜ₊ₕ₋₇⌈h/7⌉, never below zero.
//! - Start: ℓ the first week's mean, b the change of the weekly mean from the first week to the last whole week
//!   per day between them (the whole series, so that one noisy week does not set the trend),
//!   s the first week's deviations from its mean.
//! - Parameters: α, β, γ from a small grid, the triple with the least sum of squared one-step errors after the
//!   first week (ties: the first in grid order). Fewer than [`MIN_DAYS`] days: the mean of the days given.
//! - Error: a backtest holds out the last k days, fits on the days before them and forecasts the k days. The error
//!   is **WAPE** (Σ|y − ŷ| / Σy, the absolute percentage error weighted by each day's sales, which days without
//!   sales cannot divide by zero) and the **MAE**; with no sale at all in the held-out days only the MAE is
//!   defined. The same is given for the naive forecast, the mean of the fitting days, so the two can be compared.

/// Seasonal period: a week of days.
pub const PERIOD: usize = 7;
/// The fewest days fitted with the seasonal model: two weeks.
pub const MIN_DAYS: usize = 2 * PERIOD;

const ALPHAS: [f64; 7] = [0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9];
const BETAS: [f64; 4] = [0.0, 0.02, 0.05, 0.1];
const GAMMAS: [f64; 6] = [0.0, 0.05, 0.1, 0.2, 0.4, 0.6];

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Params {
    pub alpha: f64,
    pub beta: f64,
    pub gamma: f64,
}

/// A fitted model, ready to forecast the days after the series.
#[derive(Debug, Clone, PartialEq)]
pub enum Model {
    HoltWinters {
        params: Params,
        level: f64,
        trend: f64,
        season: [f64; PERIOD],
        sse: f64,
    },
    /// Too few days for the seasonal model: their mean (0 with no day at all).
    Mean(f64),
}

/// Runs the model over `y`: the final state and the sum of squared one-step errors after the first week.
fn run(y: &[f64], p: Params) -> (f64, f64, [f64; PERIOD], f64) {
    let weeks = y.len() / PERIOD;
    let week_mean = |w: usize| y[w * PERIOD..(w + 1) * PERIOD].iter().sum::<f64>() / PERIOD as f64;
    let first = week_mean(0);
    let mut level = first;
    let mut trend = (week_mean(weeks - 1) - first) / ((weeks - 1) * PERIOD) as f64;
    let mut season = [0.0; PERIOD];
    for (i, s) in season.iter_mut().enumerate() {
        *s = y[i] - first;
    }
    let mut sse = 0.0;
    for (t, &obs) in y.iter().enumerate().skip(PERIOD) {
        let s = season[t % PERIOD];
        let predicted = level + trend + s;
        sse += (obs - predicted) * (obs - predicted);
        let prev = level;
        level = p.alpha * (obs - s) + (1.0 - p.alpha) * (level + trend);
        trend = p.beta * (level - prev) + (1.0 - p.beta) * trend;
        season[t % PERIOD] = p.gamma * (obs - level) + (1.0 - p.gamma) * s;
    }
    // Rotate so that season[0] belongs to the first day after the series.
    let mut next = [0.0; PERIOD];
    for (h, n) in next.iter_mut().enumerate() {
        *n = season[(y.len() + h) % PERIOD];
    }
    (level, trend, next, sse)
}

/// Fits the model to daily sales (oldest first).
pub fn fit(y: &[f64]) -> Model {
    if y.len() < MIN_DAYS {
        let mean = if y.is_empty() { 0.0 } else { y.iter().sum::<f64>() / y.len() as f64 };
        return Model::Mean(mean);
    }
    let mut best: Option<Model> = None;
    for alpha in ALPHAS {
        for beta in BETAS {
            for gamma in GAMMAS {
                let params = Params { alpha, beta, gamma };
                let (level, trend, season, sse) = run(y, params);
                let better = match &best {
                    Some(Model::HoltWinters { sse: b, .. }) => sse < *b,
                    _ => sse.is_finite(),
                };
                if better {
                    best = Some(Model::HoltWinters { params, level, trend, season, sse });
                }
            }
        }
    }
    best.unwrap_or(Model::Mean(y.iter().sum::<f64>() / y.len() as f64))
}

impl Model {
    /// The next `days` days' sales, none below zero.
    pub fn forecast(&self, days: usize) -> Vec<f64> {
        match self {
            Model::Mean(m) => vec![m.max(0.0); days],
            Model::HoltWinters { level, trend, season, .. } => {
                (0..days).map(|h| (level + (h + 1) as f64 * trend + season[h % PERIOD]).max(0.0)).collect()
            }
        }
    }
}

/// An error measure over held-out days.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Error {
    pub mae: f64,
    /// Σ|y − ŷ| / Σy; `None` when the held-out days sold nothing.
    pub wape: Option<f64>,
}

fn error(actual: &[f64], predicted: &[f64]) -> Error {
    let abs: f64 = actual.iter().zip(predicted).map(|(a, p)| (a - p).abs()).sum();
    let total: f64 = actual.iter().sum();
    Error {
        mae: if actual.is_empty() { 0.0 } else { abs / actual.len() as f64 },
        wape: (total > 0.0).then(|| abs / total),
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Backtest {
    pub held_out: usize,
    pub model: Error,
    /// The mean of the fitting days, forecast flat.
    pub naive: Error,
}

/// Hold out the last `k` days, fit on the rest, and measure both forecasts on the held-out days. `None` when
/// `k` is 0 or leaves no day to fit.
pub fn backtest(y: &[f64], k: usize) -> Option<Backtest> {
    if k == 0 || k >= y.len() {
        return None;
    }
    let (train, test) = y.split_at(y.len() - k);
    let model = fit(train).forecast(k);
    let mean = train.iter().sum::<f64>() / train.len() as f64;
    Some(Backtest { held_out: k, model: error(test, &model), naive: error(test, &vec![mean; k]) })
}

/// The first day (0 = tomorrow) on which the forecast's cumulative sales reach the current stock, looking at
/// most `horizon` days ahead; `Some(0)` when nothing is in stock, `None` when the stock outlasts the horizon.
pub fn stock_out_day(model: &Model, stock: i64, horizon: usize) -> Option<usize> {
    if stock <= 0 {
        return Some(0);
    }
    let mut sold = 0.0;
    for (day, units) in model.forecast(horizon).into_iter().enumerate() {
        sold += units;
        if sold >= stock as f64 {
            return Some(day);
        }
    }
    None
}

/// Units to order now so that stock lasts the supplier's lead time and then `cover_days` more: the forecast over
/// both, rounded up, less what is in stock (never negative).
pub fn restock_units(model: &Model, stock: i64, lead_days: usize, cover_days: usize) -> i64 {
    let need: f64 = model.forecast(lead_days + cover_days).iter().sum();
    (need.ceil() as i64 - stock.max(0)).max(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A week of sales: quiet early in the week, busy at the weekend.
    const WEEK: [f64; PERIOD] = [0.6, 0.7, 0.8, 0.9, 1.2, 1.6, 1.2];

    fn seasonal(days: usize, base: f64, growth: f64, noise: &[f64]) -> Vec<f64> {
        (0..days)
            .map(|t| ((base + growth * t as f64) * WEEK[t % PERIOD] * (1.0 + noise[t % noise.len()])).round().max(0.0))
            .collect()
    }

    #[test]
    fn a_pure_seasonal_series_is_forecast_closely() {
        let y: Vec<f64> = (0..56).map(|t| 100.0 * WEEK[t % PERIOD]).collect();
        let m = fit(&y);
        let f = m.forecast(14);
        for (h, v) in f.iter().enumerate() {
            assert!((v - 100.0 * WEEK[(56 + h) % PERIOD]).abs() < 1e-6, "day {h}: {v}");
        }
        let bt = backtest(&y, 14).unwrap();
        assert!(bt.model.wape.unwrap() < 1e-9 && bt.naive.wape.unwrap() > 0.2, "{bt:?}");
    }

    #[test]
    fn short_or_empty_series_fall_back_to_their_mean() {
        assert_eq!(fit(&[]), Model::Mean(0.0));
        assert_eq!(fit(&[2.0, 4.0]).forecast(3), vec![3.0; 3]);
        assert_eq!(backtest(&[1.0; 5], 5), None);
        assert_eq!(backtest(&[1.0; 5], 0), None);
    }

    #[test]
    fn days_without_sales_count_by_their_absolute_error() {
        let e = error(&[0.0, 0.0, 4.0], &[1.0, 0.0, 2.0]);
        assert_eq!(e.mae, 1.0);
        assert_eq!(e.wape, Some(0.75));
        assert_eq!(error(&[0.0, 0.0], &[1.0, 1.0]).wape, None);
    }

    #[test]
    fn stock_out_and_restock_follow_the_forecast() {
        let m = Model::Mean(3.0);
        assert_eq!(stock_out_day(&m, 0, 30), Some(0));
        assert_eq!(stock_out_day(&m, 3, 30), Some(0));
        assert_eq!(stock_out_day(&m, 10, 30), Some(3), "3, 6, 9, 12: the fourth day runs out");
        assert_eq!(stock_out_day(&m, 1_000, 30), None);
        assert_eq!(stock_out_day(&Model::Mean(0.0), 5, 365), None);
        assert_eq!(restock_units(&m, 10, 5, 10), 35);
        assert_eq!(restock_units(&m, 100, 5, 10), 0);
    }

    /// On weekly seasonal series with noise (±15 %, runs of noisy days included) and a mild trend, the model beats
    /// the naive mean on all but a few series and by far in total. A statement about many series, not each one: a
    /// dip in the last fitting days can mislead any smoothing model, so the sample is fixed (a deterministic run)
    /// and the bounds are on the share and the sum.
    #[test]
    fn the_forecast_beats_the_naive_mean_on_seasonal_sales() {
        use proptest::strategy::ValueTree;
        use proptest::test_runner::TestRunner;
        let series = (20.0f64..400.0, -0.05f64..0.3, 6usize..16, prop::collection::vec(-0.15f64..0.15, 30..60));
        let mut runner = TestRunner::deterministic();
        let (mut wins, mut model_abs, mut naive_abs) = (0, 0.0, 0.0);
        const N: usize = 400;
        for _ in 0..N {
            let (base, growth, weeks, noise) = series.new_tree(&mut runner).unwrap().current();
            let bt = backtest(&seasonal(weeks * PERIOD, base, growth, &noise), 14).unwrap();
            wins += usize::from(bt.model.mae < bt.naive.mae);
            model_abs += bt.model.mae;
            naive_abs += bt.naive.mae;
        }
        assert!(wins * 100 >= N * 95, "the model beat the mean on {wins} of {N} series");
        assert!(model_abs < 0.5 * naive_abs, "total error {model_abs:.0} against the mean's {naive_abs:.0}");
    }

    proptest! {
        #[test]
        fn forecasts_are_never_negative(y in prop::collection::vec(0.0f64..50.0, 0..60), days in 0usize..30) {
            let f = fit(&y).forecast(days);
            prop_assert_eq!(f.len(), days);
            prop_assert!(f.iter().all(|v| *v >= 0.0 && v.is_finite()));
        }
    }
}

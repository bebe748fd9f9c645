//! Measuring a scenario: setup, load, verification; and measuring it against `ceiling` in the same run.

use std::time::Duration;

use anyhow::{Context, Result};

use crate::api::Ctx;
use crate::load::{self, Plan};
use crate::report::{Outcome, Ratio, RunReport};
use crate::scenario::{Ceiling, Scenario};

/// Pause between two measurements, so that the first one's connections are gone.
const SETTLE: Duration = Duration::from_millis(500);

pub struct RunEnv {
    pub ctx: Ctx,
    pub plan: Plan,
}

/// Set up, load and verify one scenario. A failed verification is kept in the report.
pub async fn measure<S: Scenario>(scenario: &mut S, env: &RunEnv) -> Result<RunReport> {
    let name = scenario.name();
    scenario.setup(&env.ctx).await.with_context(|| format!("{name}: setup"))?;
    eprintln!("{name}: {}", describe(&env.plan, &scenario.request_line()));
    let totals = load::run(&env.plan, scenario.opens_first(), |conn| scenario.generator(conn)).await?;
    let mut report = RunReport::new(name, scenario.request_line(), &env.plan, &totals);
    match scenario.verify(&env.ctx, &report).await {
        Ok(notes) => report.notes = notes,
        Err(e) => report.verify_error = Some(format!("{e:#}")),
    }
    Ok(report)
}

/// One scenario on its own.
pub async fn alone<S: Scenario>(mut scenario: S, env: &RunEnv) -> Result<Outcome> {
    let run = measure(&mut scenario, env).await?;
    Ok(Outcome::new(vec![run], None))
}

/// `ceiling` first, then the scenario, and the scenario's figures as a ratio to the ceiling's.
pub async fn against_ceiling<S: Scenario>(mut scenario: S, env: &RunEnv) -> Result<Outcome> {
    let ceiling = measure(&mut Ceiling, env).await?;
    tokio::time::sleep(SETTLE).await;
    let mut run = measure(&mut scenario, env).await?;
    run.notes.extend(scenario.against_ceiling(&ceiling));
    let ratio = Ratio::between(&ceiling, &run);
    Ok(Outcome::new(vec![ceiling, run], Some(ratio)))
}

/// Progress line, e.g. `GET /healthz, 64 connections to 1 URL, 1 s warm-up, then 10 s`.
fn describe(plan: &Plan, request: &str) -> String {
    let urls = match plan.endpoints.len() {
        1 => "1 URL".to_string(),
        n => format!("{n} URLs"),
    };
    let limit = match (plan.duration, plan.max_requests) {
        (Some(d), Some(n)) => format!("{} s or {n} requests", secs(d)),
        (Some(d), None) => format!("{} s", secs(d)),
        (None, Some(n)) => format!("{n} requests"),
        (None, None) => "no limit".to_string(),
    };
    format!("{request}, {} connections to {urls}, {} s warm-up, then {limit}", plan.connections, secs(plan.warmup))
}

fn secs(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s.fract() == 0.0 {
        format!("{s:.0}")
    } else {
        format!("{s}")
    }
}

//! `finance-report`: the console's finance reports (`GET /api/v1/admin/finance/report` by day, week and
//! month, `…/report/products`, `…/report/promotions`) over the last 30 and 180 days of the shop (Beijing
//! days), with a console token of `--admin-user`. Meant for a shop generated with `minimall demo --orders
//! N`. Every connection picks one of the seven requests at random. Afterwards each request is sent again
//! alone, five times one after another, and its answer times are reported: the time one person waits for
//! a report, which the load's latencies (many requests at once on two cores) are not.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{ensure, Context, Result};
use serde_json::Value;

use super::pool::Pool;
use super::{Req, RequestGen, Scenario};
use crate::api::Ctx;
use crate::report::RunReport;

pub const PATH: &str = "/api/v1/admin/finance/report";
/// Times each request is sent alone after the load.
const ALONE: usize = 5;
/// The answer time the reports are to stay under.
const TARGET: Duration = Duration::from_millis(250);

#[derive(Default)]
pub struct FinanceReport {
    token: Option<String>,
    paths: Vec<String>,
    pool: Pool,
}

/// `YYYY-MM-DD` of day `days` since 1970-01-01 (proleptic Gregorian; Howard Hinnant's civil_from_days).
fn date_of(days: i64) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Today in Beijing (UTC+8), as days since 1970-01-01.
fn beijing_today() -> i64 {
    let ms = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64);
    (ms + 8 * 3_600_000).div_euclid(86_400_000)
}

/// The seven report requests over the periods ending `today`.
pub fn paths(today: i64) -> Vec<String> {
    let (to, d30, d180) = (date_of(today), date_of(today - 29), date_of(today - 179));
    vec![
        format!("{PATH}?from={d30}&to={to}&granularity=day"),
        format!("{PATH}?from={d180}&to={to}&granularity=week"),
        format!("{PATH}?from={d180}&to={to}&granularity=month"),
        format!("{PATH}/products?from={d30}&to={to}&page_size=20"),
        format!("{PATH}/products?from={d180}&to={to}&page_size=20"),
        format!("{PATH}/promotions?from={d30}&to={to}&page_size=20"),
        format!("{PATH}/promotions?from={d180}&to={to}&page_size=20"),
    ]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

impl Scenario for FinanceReport {
    fn name(&self) -> &'static str {
        "finance-report"
    }

    fn request_line(&self) -> String {
        format!("GET {PATH}[/products|/promotions]?from=…&to=…")
    }

    async fn setup(&mut self, ctx: &Ctx) -> Result<()> {
        let token = ctx.admin_login().await?;
        self.paths = paths(beijing_today());
        let reqs = self.paths.iter().map(|p| Req::get(p)?.bearer(&token)).collect::<Result<Vec<_>>>()?;
        self.pool = Pool::new(reqs);
        self.token = Some(token);
        Ok(())
    }

    fn generator(&self, conn: usize) -> Box<dyn RequestGen> {
        Box::new(self.pool.generator(conn))
    }

    async fn verify(&mut self, ctx: &Ctx, _report: &RunReport) -> Result<Vec<String>> {
        let token = self.token.take().context("no token: setup did not run")?;
        let mut lines = Vec::new();
        let mut slowest = Duration::ZERO;
        for path in &self.paths {
            let mut times = Vec::with_capacity(ALONE);
            let mut answer = Value::Null;
            for _ in 0..ALONE {
                let started = Instant::now();
                answer = ctx.api().expect_json(Req::get(path)?.bearer(&token)?).await?;
                times.push(started.elapsed());
            }
            times.sort();
            slowest = slowest.max(times[ALONE - 1]);
            let what = if let Some(total) = answer.get("total").and_then(|t| t.get("revenue")) {
                format!("revenue {total} fen")
            } else {
                format!("{} rows", answer.get("total").and_then(Value::as_i64).unwrap_or(0))
            };
            lines.push(format!(
                "alone, {ALONE} times: median {} / slowest {} — GET {path} ({what})",
                ms(times[ALONE / 2]),
                ms(times[ALONE - 1])
            ));
            if path.contains("granularity=month") {
                let revenue = answer.pointer("/total/revenue").and_then(Value::as_i64).unwrap_or(0);
                ensure!(
                    revenue > 0,
                    "the shop sold nothing over 180 days: generate it with `minimall demo --orders N`"
                );
            }
        }
        lines.push(format!("slowest answer alone {} (target under {})", ms(slowest), ms(TARGET)));
        ctx.admin_logout(&token).await?;
        Ok(lines)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(date_of(0), "1970-01-01");
        assert_eq!(date_of(20_429), "2025-12-07");
        assert_eq!(date_of(11_016), "2000-02-29");
        let p = paths(20_429);
        assert_eq!(p.len(), 7);
        assert_eq!(p[0], "/api/v1/admin/finance/report?from=2025-11-08&to=2025-12-07&granularity=day");
        assert!(p[4].starts_with("/api/v1/admin/finance/report/products?from=2025-06-11&to=2025-12-07"));
    }
}

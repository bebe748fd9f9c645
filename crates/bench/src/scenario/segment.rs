//! `segment`: saved segments (人群) over a generated crowd, with a console token of `--admin-user`. Setup
//! creates seven segments through the admin API, one per filter shape — a level, a tag, a spend band, ordered
//! within 30 days, a region, a lifecycle stage, and the last four together — and the load sends each
//! segment's count (`GET /api/v1/admin/segments/{id}`) and first page of members (`…/{id}/members?page_size=
//! 20`), every connection picking one of the fourteen requests at random. Afterwards each request is sent
//! from several connections at once (up to `CONCURRENT`), `ROUNDS` times, and its median and slowest answer
//! are reported against the 100 ms target; then the segments are deleted. Meant for a shop generated with
//! `minimall demo --buyers N --orders M`.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{ensure, Context, Result};
use hyper::Method;
use serde_json::{json, Value};

use super::pool::Pool;
use super::{Req, RequestGen, Scenario};
use crate::api::Ctx;
use crate::report::RunReport;

pub const PATH: &str = "/api/v1/admin/segments";
/// Rounds of each request after the load.
const ROUNDS: usize = 5;
/// Connections sending one request at once after the load.
const CONCURRENT: usize = 4;
/// The answer time a segment's count and first page are to stay under.
const TARGET: Duration = Duration::from_millis(100);

#[derive(Default)]
pub struct Segment {
    token: Option<String>,
    /// (segment id, its shape).
    segments: Vec<(i64, String)>,
    pool: Pool,
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// The filter shapes, named, given a level id, a tag id and a region.
pub fn shapes(level: i64, tag: i64, region: &str) -> Vec<(&'static str, Value)> {
    vec![
        ("level", json!({ "level_ids": [level] })),
        ("tag", json!({ "tag_ids": [tag] })),
        ("spend band", json!({ "min_spend_fen": 50_000, "max_spend_fen": 200_000 })),
        ("ordered within 30 days", json!({ "ordered_within_days": 30 })),
        ("region", json!({ "regions": [region] })),
        ("lifecycle", json!({ "stages": ["silent"] })),
        (
            "combined",
            json!({ "stages": ["active"], "regions": [region], "min_spend_fen": 30_000, "ordered_within_days": 60 }),
        ),
    ]
}

impl Segment {
    fn paths(&self) -> Vec<(String, String)> {
        self.segments
            .iter()
            .flat_map(|(id, shape)| {
                [
                    (format!("{PATH}/{id}"), format!("{shape}: count")),
                    (format!("{PATH}/{id}/members?page_size=20"), format!("{shape}: first page")),
                ]
            })
            .collect()
    }
}

impl Scenario for Segment {
    fn name(&self) -> &'static str {
        "segment"
    }

    fn request_line(&self) -> String {
        format!("GET {PATH}/{{id}}[/members?page_size=20]")
    }

    async fn setup(&mut self, ctx: &Ctx) -> Result<()> {
        let token = ctx.admin_login().await?;
        let levels = ctx.api().expect_json(Req::get("/api/v1/admin/members/levels")?.bearer(&token)?).await?;
        let levels = levels.get("items").and_then(Value::as_array).cloned().unwrap_or_default();
        // The lowest level: the one most members reach.
        let level = levels
            .first()
            .and_then(|l| l.get("id"))
            .and_then(Value::as_i64)
            .context("the shop has no member levels")?;
        let tags = ctx.api().expect_json(Req::get("/api/v1/admin/member-tags?page_size=100")?.bearer(&token)?).await?;
        let tag = tags
            .get("items")
            .and_then(Value::as_array)
            .and_then(|t| t.iter().max_by_key(|t| t.get("buyers").and_then(Value::as_i64).unwrap_or(0)))
            .and_then(|t| t.get("id"))
            .and_then(Value::as_i64)
            .context("the shop has no member tags: generate it with `minimall demo --buyers N`")?;
        let run = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() % 100_000);
        for (n, (shape, filter)) in shapes(level, tag, "广东省").into_iter().enumerate() {
            let body = json!({ "name": format!("压测人群{run}-{n}"), "filter": filter });
            let seg = ctx.api().expect_json(Req::post(PATH)?.bearer(&token)?.json(&body)?).await?;
            let id = seg.get("id").and_then(Value::as_i64).context("a created segment has no id")?;
            self.segments.push((id, shape.to_string()));
        }
        let reqs = self.paths().iter().map(|(p, _)| Req::get(p)?.bearer(&token)).collect::<Result<Vec<_>>>()?;
        self.pool = Pool::new(reqs);
        self.token = Some(token);
        Ok(())
    }

    fn generator(&self, conn: usize) -> Box<dyn RequestGen> {
        Box::new(self.pool.generator(conn))
    }

    async fn verify(&mut self, ctx: &Ctx, _report: &RunReport) -> Result<Vec<String>> {
        let token = self.token.take().context("no token: setup did not run")?;
        let concurrent = ctx.connections().clamp(1, CONCURRENT);
        let mut lines = Vec::new();
        let mut slowest = Duration::ZERO;
        let mut largest = 0;
        for (path, what) in self.paths() {
            let mut times = Vec::with_capacity(ROUNDS * concurrent);
            let mut answer = Value::Null;
            for _ in 0..ROUNDS {
                let mut calls = Vec::with_capacity(concurrent);
                for _ in 0..concurrent {
                    let (api, req) = (ctx.api().clone(), Req::get(&path)?.bearer(&token)?);
                    calls.push(tokio::spawn(async move {
                        let started = Instant::now();
                        let answer = api.expect_json(req).await;
                        (started.elapsed(), answer)
                    }));
                }
                for call in calls {
                    let (took, a) = call.await?;
                    times.push(took);
                    answer = a?;
                }
            }
            times.sort();
            let worst = times[times.len() - 1];
            slowest = slowest.max(worst);
            let count = answer.get("count").or(answer.get("total")).and_then(Value::as_i64).unwrap_or(0);
            largest = largest.max(count);
            lines.push(format!(
                "{concurrent} at once, {ROUNDS} rounds: median {} / slowest {} — {what} ({count} buyers) GET {path}",
                ms(times[times.len() / 2]),
                ms(worst)
            ));
        }
        lines.push(format!("slowest answer {} (target under {})", ms(slowest), ms(TARGET)));
        for (id, _) in self.segments.drain(..) {
            ctx.api().expect_json(Req::new(Method::DELETE, &format!("{PATH}/{id}"))?.bearer(&token)?).await?;
        }
        ctx.admin_logout(&token).await?;
        ensure!(largest > 0, "every segment is empty: generate the shop with `minimall demo --buyers N --orders M`");
        Ok(lines)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shape_is_a_different_filter() {
        let s = shapes(2, 7, "广东省");
        assert_eq!(s.len(), 7);
        for (i, a) in s.iter().enumerate() {
            for b in &s[i + 1..] {
                assert_ne!(a.1, b.1);
            }
        }
        assert_eq!(s[1].1, json!({"tag_ids": [7]}));
    }
}

//! Reports: the figures of each measurement, as a table for people and as JSON for tools.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use hdrhistogram::Histogram;
use serde::Serialize;

use crate::load::{Plan, Totals};

/// One measured scenario.
#[derive(Clone, Debug, Serialize)]
pub struct RunReport {
    pub scenario: String,
    /// What one request is, e.g. `GET /healthz`.
    pub request: String,
    pub urls: Vec<String>,
    pub connections: u32,
    pub warmup_secs: f64,
    /// Measured time, from the end of the warm-up to the last answer.
    pub duration_secs: f64,
    /// Attempts in the measured time: answers plus transport errors.
    pub requests: u64,
    /// Successful (2xx) answers.
    pub ok: u64,
    /// Non-2xx answers and transport errors.
    pub errors: u64,
    pub errors_by_kind: BTreeMap<String, u64>,
    /// Connections opened again after one closed or broke.
    pub reconnects: u64,
    /// Successful answers per second.
    pub requests_per_sec: f64,
    /// Latency of successful answers.
    pub latency_ms: Latency,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verify_error: Option<String>,
}

impl RunReport {
    pub fn new(scenario: &str, request: String, plan: &Plan, totals: &Totals) -> RunReport {
        let secs = totals.elapsed.as_secs_f64();
        RunReport {
            scenario: scenario.to_string(),
            request,
            urls: plan.endpoints.iter().map(|e| e.url.clone()).collect(),
            connections: plan.connections,
            warmup_secs: plan.warmup.as_secs_f64(),
            duration_secs: secs,
            requests: totals.requests,
            ok: totals.ok,
            errors: totals.errors.values().sum(),
            errors_by_kind: totals.errors.clone(),
            reconnects: totals.reconnects,
            requests_per_sec: if secs > 0.0 { totals.ok as f64 / secs } else { 0.0 },
            latency_ms: Latency::of(&totals.hist),
            notes: Vec::new(),
            verify_error: None,
        }
    }
}

/// Percentiles in milliseconds; `None` when nothing succeeded.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Latency {
    pub p50: Option<f64>,
    pub p90: Option<f64>,
    pub p99: Option<f64>,
    pub max: Option<f64>,
    pub mean: Option<f64>,
}

impl Latency {
    /// From a histogram of microseconds.
    pub fn of(hist: &Histogram<u64>) -> Latency {
        if hist.is_empty() {
            return Latency { p50: None, p90: None, p99: None, max: None, mean: None };
        }
        let ms = |micros: u64| Some(micros as f64 / 1000.0);
        Latency {
            p50: ms(hist.value_at_quantile(0.50)),
            p90: ms(hist.value_at_quantile(0.90)),
            p99: ms(hist.value_at_quantile(0.99)),
            max: ms(hist.max()),
            mean: Some(hist.mean() / 1000.0),
        }
    }
}

/// A scenario against the ceiling measured in the same run.
#[derive(Clone, Debug, Serialize)]
pub struct Ratio {
    pub baseline: String,
    pub scenario: String,
    /// Scenario req/s divided by ceiling req/s (below 1: slower).
    pub requests_per_sec: Option<f64>,
    /// Scenario p99 divided by ceiling p99 (above 1: slower).
    pub p99: Option<f64>,
}

impl Ratio {
    pub fn between(baseline: &RunReport, run: &RunReport) -> Ratio {
        let div = |a: Option<f64>, b: Option<f64>| match (a, b) {
            (Some(a), Some(b)) if b > 0.0 => Some(a / b),
            _ => None,
        };
        Ratio {
            baseline: baseline.scenario.clone(),
            scenario: run.scenario.clone(),
            requests_per_sec: div(Some(run.requests_per_sec), Some(baseline.requests_per_sec)),
            p99: div(run.latency_ms.p99, baseline.latency_ms.p99),
        }
    }
}

/// Everything one invocation measured; this is the JSON report.
#[derive(Clone, Debug, Serialize)]
pub struct Outcome {
    pub tool: &'static str,
    pub version: &'static str,
    pub runs: Vec<RunReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ratio_to_ceiling: Option<Ratio>,
}

impl Outcome {
    pub fn new(runs: Vec<RunReport>, ratio_to_ceiling: Option<Ratio>) -> Outcome {
        Outcome { tool: "minimall-bench", version: env!("CARGO_PKG_VERSION"), runs, ratio_to_ceiling }
    }

    /// Why this outcome should fail the command: a run without any success, or a failed verification.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        for run in &self.runs {
            if run.ok == 0 {
                out.push(format!("{}: no request succeeded", run.scenario));
            }
            if let Some(e) = &run.verify_error {
                out.push(format!("{}: verification failed: {e}", run.scenario));
            }
        }
        out
    }
}

/// The readable report: a table per run, then the comparison with the ceiling.
pub fn render(outcome: &Outcome) -> String {
    let mut out = String::new();
    for run in &outcome.runs {
        out.push_str(&render_run(run));
        out.push('\n');
    }
    if let Some(ratio) = &outcome.ratio_to_ceiling {
        let base = outcome.runs.iter().find(|r| r.scenario == ratio.baseline);
        let run = outcome.runs.iter().find(|r| r.scenario == ratio.scenario);
        if let (Some(base), Some(run)) = (base, run) {
            out.push_str(&render_ratio(base, run, ratio));
        }
    }
    out
}

pub fn render_run(r: &RunReport) -> String {
    let mut rows: Vec<(String, String)> = vec![
        ("targets".into(), r.urls.join(", ")),
        ("connections".into(), r.connections.to_string()),
        ("warm-up".into(), format!("{:.2} s", r.warmup_secs)),
        ("duration".into(), format!("{:.2} s", r.duration_secs)),
        ("requests".into(), group(r.requests)),
        ("ok (2xx)".into(), group(r.ok)),
        ("errors".into(), group(r.errors)),
    ];
    for (kind, n) in &r.errors_by_kind {
        rows.push((format!("  {kind}"), group(*n)));
    }
    rows.push(("reconnects".into(), group(r.reconnects)));
    rows.push(("req/s".into(), rate(r.requests_per_sec)));
    let l = &r.latency_ms;
    for (name, v) in [("p50", l.p50), ("p90", l.p90), ("p99", l.p99), ("max", l.max)] {
        rows.push((format!("latency {name}"), millis(v)));
    }
    let mut out = format!("== {}: {} ==\n", r.scenario, r.request);
    let width = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    for (k, v) in rows {
        let _ = writeln!(out, "{k:<width$}  {v}");
    }
    for note in &r.notes {
        let _ = writeln!(out, "check: {note}");
    }
    if let Some(e) = &r.verify_error {
        let _ = writeln!(out, "CHECK FAILED: {e}");
    }
    out
}

pub fn render_ratio(base: &RunReport, run: &RunReport, ratio: &Ratio) -> String {
    let rows = [
        ("", base.scenario.clone(), run.scenario.clone(), "ratio".to_string()),
        ("req/s", rate(base.requests_per_sec), rate(run.requests_per_sec), factor(ratio.requests_per_sec)),
        ("p99", millis(base.latency_ms.p99), millis(run.latency_ms.p99), factor(ratio.p99)),
    ];
    let w1 = rows.iter().map(|r| r.1.len()).max().unwrap_or(0);
    let w2 = rows.iter().map(|r| r.2.len()).max().unwrap_or(0);
    let mut out = format!("== {} against {} ==\n", run.scenario, base.scenario);
    for (k, a, b, c) in &rows {
        let _ = writeln!(out, "{k:<5}  {a:>w1$}  {b:>w2$}  {c:>5}");
    }
    let _ = writeln!(out, "ratio to ceiling: {} (req/s)", factor(ratio.requests_per_sec));
    let _ = writeln!(out, "p99 ratio to ceiling: {}", factor(ratio.p99));
    out
}

/// `1234567` → `1,234,567`.
pub fn group(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Requests per second with one decimal: `12,345.7`.
pub fn rate(per_sec: f64) -> String {
    if !per_sec.is_finite() || per_sec < 0.0 {
        return "-".into();
    }
    let tenths = (per_sec * 10.0).round() as u64;
    format!("{}.{}", group(tenths / 10), tenths % 10)
}

/// `1.234 ms`, or `-` without a value.
pub fn millis(v: Option<f64>) -> String {
    v.map_or_else(|| "-".into(), |ms| format!("{ms:.3} ms"))
}

/// `0.47`, or `-` without a value.
pub fn factor(v: Option<f64>) -> String {
    v.map_or_else(|| "-".into(), |x| format!("{x:.2}"))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::client::Endpoint;
    use crate::load::new_histogram;

    fn plan() -> Plan {
        Plan {
            endpoints: vec![Endpoint {
                url: "http://127.0.0.1:18181".into(),
                addr: "127.0.0.1:18181".parse().unwrap(),
                host: hyper::header::HeaderValue::from_static("127.0.0.1:18181"),
            }],
            connections: 64,
            warmup: Duration::from_secs(1),
            duration: Some(Duration::from_secs(2)),
            max_requests: None,
            timeout: Duration::from_secs(10),
        }
    }

    /// 1..=1000 ms, one each, plus two errors, over 2 s.
    fn report(name: &str, scale: u64) -> RunReport {
        let mut hist = new_histogram();
        for ms in 1..=1000u64 {
            hist.record(ms * 1000 * scale).unwrap();
        }
        let totals = Totals {
            hist,
            requests: 1002,
            ok: 1000,
            errors: BTreeMap::from([("HTTP 503".to_string(), 1), ("io: ConnectionReset".to_string(), 1)]),
            reconnects: 1,
            elapsed: Duration::from_secs(2),
        };
        RunReport::new(name, "GET /healthz".into(), &plan(), &totals)
    }

    #[test]
    fn formats_numbers() {
        assert_eq!(group(0), "0");
        assert_eq!(group(999), "999");
        assert_eq!(group(1000), "1,000");
        assert_eq!(group(1_234_567), "1,234,567");
        assert_eq!(rate(12_345.67), "12,345.7");
        assert_eq!(rate(0.04), "0.0");
        assert_eq!(rate(f64::NAN), "-");
        assert_eq!(millis(Some(1.5)), "1.500 ms");
        assert_eq!(millis(None), "-");
        assert_eq!(factor(Some(0.4719)), "0.47");
        assert_eq!(factor(None), "-");
    }

    #[test]
    fn percentiles_in_milliseconds() {
        let r = report("ceiling", 1);
        assert_eq!(r.requests_per_sec, 500.0);
        assert_eq!(r.errors, 2);
        let l = r.latency_ms;
        // Three significant digits: within 0.1 %.
        for (got, want) in [(l.p50, 500.0), (l.p90, 900.0), (l.p99, 990.0), (l.max, 1000.0), (l.mean, 500.5)] {
            let got = got.unwrap();
            assert!((got - want).abs() <= want * 0.001, "{got} vs {want}");
        }
        assert_eq!(Latency::of(&new_histogram()).p99, None);
    }

    #[test]
    fn table() {
        let text = render_run(&report("ceiling", 1));
        assert!(text.starts_with("== ceiling: GET /healthz ==\n"), "{text}");
        let lines: Vec<&str> = text.lines().collect();
        let row =
            |key: &str| lines.iter().find(|l| l.starts_with(key)).map(|l| l[key.len()..].trim().to_string()).unwrap();
        assert_eq!(row("targets"), "http://127.0.0.1:18181");
        assert_eq!(row("requests"), "1,002");
        assert_eq!(row("ok (2xx)"), "1,000");
        assert_eq!(row("errors"), "2");
        assert_eq!(row("  HTTP 503"), "1");
        assert_eq!(row("  io: ConnectionReset"), "1");
        assert_eq!(row("req/s"), "500.0");
        assert!(row("latency p99").ends_with(" ms"));
        assert_eq!(row("duration"), "2.00 s");
    }

    #[test]
    fn ratio_to_ceiling() {
        let base = report("ceiling", 1);
        let mut run = report("admin-me", 2);
        run.requests_per_sec = 235.0;
        let ratio = Ratio::between(&base, &run);
        assert_eq!(factor(ratio.requests_per_sec), "0.47");
        assert_eq!(factor(ratio.p99), "2.00");
        let outcome = Outcome::new(vec![base, run], Some(ratio));
        let text = render(&outcome);
        assert!(text.contains("== admin-me against ceiling ==\n"), "{text}");
        assert!(text.contains("ratio to ceiling: 0.47 (req/s)\n"), "{text}");
        assert!(text.contains("p99 ratio to ceiling: 2.00\n"), "{text}");
        assert!(outcome.problems().is_empty());
    }

    #[test]
    fn json_has_the_same_figures() {
        let base = report("ceiling", 1);
        let run = report("admin-me", 2);
        let ratio = Ratio::between(&base, &run);
        let v = serde_json::to_value(Outcome::new(vec![base, run], Some(ratio))).unwrap();
        assert_eq!(v["tool"], "minimall-bench");
        assert_eq!(v["runs"][0]["scenario"], "ceiling");
        assert_eq!(v["runs"][0]["requests"], 1002);
        assert_eq!(v["runs"][0]["errors"], 2);
        assert_eq!(v["runs"][0]["errors_by_kind"]["HTTP 503"], 1);
        assert_eq!(v["runs"][0]["requests_per_sec"], 500.0);
        assert_eq!(v["runs"][0]["duration_secs"], 2.0);
        assert!(v["runs"][1]["latency_ms"]["p99"].as_f64().unwrap() > 1900.0);
        assert_eq!(v["ratio_to_ceiling"]["requests_per_sec"], 1.0);
        assert!(v["runs"][0].get("verify_error").is_none());
    }

    #[test]
    fn problems_fail_the_command() {
        let mut r = report("admin-me", 1);
        r.ok = 0;
        r.verify_error = Some("token revoked".into());
        let p = Outcome::new(vec![r], None).problems();
        assert_eq!(p, ["admin-me: no request succeeded", "admin-me: verification failed: token revoked"]);
    }
}

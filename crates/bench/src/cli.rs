//! Command line.

use std::path::PathBuf;
use std::time::Duration;

use clap::builder::TypedValueParser as _;
use clap::Parser;

use crate::client::Target;
use crate::scenario::ScenarioName;

/// Seconds measured when neither --duration nor --requests is given.
pub const DEFAULT_DURATION_SECS: f64 = 10.0;

/// Keep-alive HTTP/1.1 load generator for a running Minimall server.
///
/// Every scenario except `ceiling` first measures `ceiling` (GET /healthz) in the same run and reports
/// its throughput and p99 latency as a ratio to it. Requests go only to the given --url values.
#[derive(Parser, Debug)]
#[command(name = "minimall-bench", version)]
pub struct Args {
    /// What to load.
    #[arg(value_enum)]
    pub scenario: ScenarioName,

    /// Base URL of a server, e.g. http://127.0.0.1:8080 (plain HTTP, no path). Repeat the option to spread
    /// the connections round-robin over several instances; setup requests go to the first.
    #[arg(long = "url", value_name = "URL", required = true, value_parser = Target::parse)]
    pub urls: Vec<Target>,

    /// Persistent connections, each sending its requests back to back.
    #[arg(long, value_name = "N", default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub connections: u32,

    /// Seconds to measure after the warm-up [default: 10, or no time limit when --requests is given].
    #[arg(long, value_name = "SECS", value_parser = parse_positive_secs)]
    pub duration: Option<f64>,

    /// Stop after this many measured requests (all connections together) instead of after a time; with
    /// --duration too, whichever comes first.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub requests: Option<u64>,

    /// Seconds of load before measuring starts; their requests are not counted.
    #[arg(long, value_name = "SECS", default_value_t = 1.0, value_parser = parse_secs)]
    pub warmup: f64,

    /// Seconds one request (or connection attempt) may take before it counts as a timeout error.
    #[arg(long, value_name = "SECS", default_value_t = 10.0, value_parser = parse_positive_secs)]
    pub timeout: f64,

    /// Also write the report as JSON to this file.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,

    /// Console user that scenarios needing an admin log in as.
    #[arg(long, value_name = "USER", default_value = "admin")]
    pub admin_user: String,

    /// Password of --admin-user, for scenarios that log in to the console API.
    #[arg(long, value_name = "P", env = "MINIMALL_ADMIN_PASSWORD", hide_env_values = true)]
    pub admin_password: Option<String>,

    /// Measure the scenario alone, without the `ceiling` run and the ratio to it.
    #[arg(long)]
    pub no_ceiling: bool,

    /// Also measure the machine's bare ceiling first: `GET /healthz` of a trivial axum server (no layers,
    /// no state) served by this process, and report the server's ceiling as a ratio to it.
    #[arg(long)]
    pub bare: bool,

    /// flash: buyers logged in beforehand and shared by the connections.
    #[arg(long, value_name = "N", default_value_t = 500, value_parser = clap::value_parser!(u32).range(1..=100_000).map(|v| v as usize))]
    pub buyers: usize,

    /// flash: units on sale.
    #[arg(long, value_name = "N", default_value_t = 100, value_parser = clap::value_parser!(i64).range(1..=1_000_000))]
    pub stock: i64,

    /// flash: units one buyer may hold.
    #[arg(long = "per-buyer", value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(i64).range(1..=1000))]
    pub per_buyer: i64,

    /// checkout: bind every buyer to a promoter of their own (who has a team leader) and set the shop's
    /// distribution rates (10 % direct, 5 % leader), so that every paid order earns commission.
    #[arg(long)]
    pub promoters: bool,

    /// Worker threads of the load generator [default: one per CPU core].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256).map(usize::from))]
    pub threads: Option<usize>,
}

impl Args {
    pub fn warmup(&self) -> Duration {
        Duration::from_secs_f64(self.warmup)
    }

    /// The time limit of a measurement: none when only --requests bounds it.
    pub fn duration(&self) -> Option<Duration> {
        match (self.duration, self.requests) {
            (Some(d), _) => Some(Duration::from_secs_f64(d)),
            (None, Some(_)) => None,
            (None, None) => Some(Duration::from_secs_f64(DEFAULT_DURATION_SECS)),
        }
    }

    pub fn timeout(&self) -> Duration {
        Duration::from_secs_f64(self.timeout)
    }
}

/// Seconds, from 0 to one day.
fn parse_secs(s: &str) -> Result<f64, String> {
    let v: f64 = s.trim().parse().map_err(|_| format!("`{s}` is not a number of seconds"))?;
    if !v.is_finite() || !(0.0..=86_400.0).contains(&v) {
        return Err("must be from 0 to 86400 seconds".into());
    }
    Ok(v)
}

/// Seconds, more than 0 and at most one day.
fn parse_positive_secs(s: &str) -> Result<f64, String> {
    let v = parse_secs(s)?;
    if v < 0.001 {
        return Err("must be at least 0.001 seconds".into());
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Args, clap::Error> {
        Args::try_parse_from(std::iter::once("minimall-bench").chain(args.iter().copied()))
    }

    #[test]
    fn defaults() {
        let a = parse(&["ceiling", "--url", "http://127.0.0.1:8080"]).unwrap();
        assert_eq!(a.scenario, ScenarioName::Ceiling);
        assert_eq!(a.connections, 64);
        assert_eq!(a.duration(), Some(Duration::from_secs(10)));
        assert_eq!(a.warmup(), Duration::from_secs(1));
        assert_eq!(a.requests, None);
        assert_eq!(a.admin_user, "admin");
        assert_eq!(a.urls.len(), 1);
        assert_eq!(a.urls[0].url, "http://127.0.0.1:8080");
        assert!(!a.no_ceiling);
        assert!(!a.promoters);
        let a = parse(&["checkout", "--url", "http://127.0.0.1:8080", "--promoters"]).unwrap();
        assert!(a.promoters);
        let a = parse(&["group-join", "--url", "http://127.0.0.1:8080"]).unwrap();
        assert_eq!(a.scenario, ScenarioName::GroupJoin);
    }

    #[test]
    fn all_options() {
        let a = parse(&[
            "admin-me",
            "--url",
            "http://127.0.0.1:8080/",
            "--url",
            "http://localhost:8081",
            "--connections",
            "8",
            "--duration",
            "2.5",
            "--warmup",
            "0",
            "--json",
            "out.json",
            "--admin-password",
            "secret-pass",
            "--admin-user",
            "ops",
            "--threads",
            "2",
        ])
        .unwrap();
        assert_eq!(a.scenario, ScenarioName::AdminMe);
        assert_eq!(
            a.urls.iter().map(|t| t.url.as_str()).collect::<Vec<_>>(),
            ["http://127.0.0.1:8080", "http://localhost:8081"]
        );
        assert_eq!(a.connections, 8);
        assert_eq!(a.duration(), Some(Duration::from_millis(2500)));
        assert_eq!(a.warmup(), Duration::ZERO);
        assert_eq!(a.json.as_deref(), Some(std::path::Path::new("out.json")));
        assert_eq!(a.admin_password.as_deref(), Some("secret-pass"));
        assert_eq!(a.admin_user, "ops");
        assert_eq!(a.threads, Some(2));
    }

    #[test]
    fn requests_alone_lift_the_time_limit() {
        let a = parse(&["ceiling", "--url", "http://127.0.0.1:8080", "--requests", "1000"]).unwrap();
        assert_eq!(a.requests, Some(1000));
        assert_eq!(a.duration(), None);
        let a = parse(&["ceiling", "--url", "http://127.0.0.1:8080", "--requests", "1000", "--duration", "3"]).unwrap();
        assert_eq!(a.duration(), Some(Duration::from_secs(3)));
    }

    #[test]
    fn rejects_bad_values() {
        for bad in [
            &["ceiling"][..],
            &["ceiling", "--url", "https://127.0.0.1:8080"],
            &["ceiling", "--url", "http://127.0.0.1:8080/api"],
            &["ceiling", "--url", "127.0.0.1:8080"],
            &["ceiling", "--url", "http://127.0.0.1:8080", "--connections", "0"],
            &["ceiling", "--url", "http://127.0.0.1:8080", "--duration", "0"],
            &["ceiling", "--url", "http://127.0.0.1:8080", "--duration", "-1"],
            &["ceiling", "--url", "http://127.0.0.1:8080", "--warmup", "nan"],
            &["ceiling", "--url", "http://127.0.0.1:8080", "--requests", "0"],
            &["no-such-scenario", "--url", "http://127.0.0.1:8080"],
        ] {
            assert!(parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn help_describes_every_option() {
        use clap::CommandFactory;
        let cmd = Args::command();
        cmd.clone().debug_assert();
        for arg in cmd.get_arguments() {
            if arg.get_id() == "help" || arg.get_id() == "version" {
                continue;
            }
            assert!(arg.get_help().is_some(), "--{} has no help", arg.get_id());
        }
    }
}

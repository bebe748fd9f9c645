//! `minimall-bench`: keep-alive HTTP/1.1 load against a running Minimall server.
//!
//! Each scenario prepares itself through the public API, then N persistent connections send its requests
//! back to back for a bounded time (or a bounded number of requests). Every scenario except `ceiling` is
//! measured right after `ceiling` (`GET /healthz`) in the same run, and its throughput and p99 latency are
//! given as a ratio to that ceiling.

#![forbid(unsafe_code)]

mod api;
mod cli;
mod client;
mod load;
mod report;
mod runner;
mod scenario;

use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Parser;

use crate::api::{Api, Ctx};
use crate::cli::Args;
use crate::load::Plan;
use crate::runner::RunEnv;

fn main() -> ExitCode {
    let args = Args::parse();
    let mut rt = tokio::runtime::Builder::new_multi_thread();
    if let Some(n) = args.threads {
        rt.worker_threads(n);
    }
    let rt = match rt.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<()> {
    let mut endpoints = Vec::with_capacity(args.urls.len());
    for target in &args.urls {
        endpoints.push(target.resolve().await?);
    }
    let timeout = args.timeout();
    for ep in &endpoints {
        Api::new(ep.clone(), timeout)
            .expect_json(scenario::Req::get("/healthz")?)
            .await
            .with_context(|| format!("{} does not answer GET /healthz", ep.url))?;
    }
    let ctx = Ctx::new(Api::new(endpoints[0].clone(), timeout), args.admin_user.clone(), args.admin_password.clone())
        .with_connections(args.connections as usize);
    let env = RunEnv {
        ctx,
        plan: Plan {
            endpoints,
            connections: args.connections,
            warmup: args.warmup(),
            duration: args.duration(),
            max_requests: args.requests,
            timeout,
        },
    };

    let flash = scenario::FlashOpts { buyers: args.buyers, stock: args.stock, per_buyer: args.per_buyer };
    let outcome = scenario::run(args.scenario, &env, !args.no_ceiling, flash).await?;
    print!("{}", report::render(&outcome));
    if let Some(path) = &args.json {
        let text = serde_json::to_string_pretty(&outcome)?;
        std::fs::write(path, text + "\n").with_context(|| format!("writing {}", path.display()))?;
        eprintln!("report written to {}", path.display());
    }
    let problems = outcome.problems();
    if problems.is_empty() {
        Ok(())
    } else {
        anyhow::bail!("{}", problems.join("; "))
    }
}

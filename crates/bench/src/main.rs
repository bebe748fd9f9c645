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

    let bare = if args.bare { Some(bare_ceiling(&env.plan, &args).await?) } else { None };
    let opts = scenario::Opts {
        flash: scenario::FlashOpts { buyers: args.buyers, stock: args.stock, per_buyer: args.per_buyer },
        promoters: args.promoters,
    };
    let mut outcome = scenario::run(args.scenario, &env, !args.no_ceiling, opts).await?;
    if let Some(bare) = bare {
        if let Some(server) = outcome.runs.iter_mut().find(|r| r.scenario == "ceiling") {
            server.notes.push(format!(
                "server ceiling / bare ceiling: {:.3} ({:.1} / {:.1} req/s)",
                server.requests_per_sec / bare.requests_per_sec,
                server.requests_per_sec,
                bare.requests_per_sec
            ));
        }
        outcome.runs.insert(0, bare);
    }
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

/// `GET /healthz` of a bare axum server in this process, with the plan's connections and times.
async fn bare_ceiling(plan: &Plan, args: &Args) -> Result<report::RunReport> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.context("bare ceiling: binding a port")?;
    let addr = listener.local_addr()?;
    let app = axum::Router::new().route(
        "/healthz",
        axum::routing::get(|| async {
            ([(axum::http::header::CONTENT_TYPE, "application/json")], r#"{"status":"ok"}"#)
        }),
    );
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let target = client::Target::parse(&format!("http://{addr}")).map_err(anyhow::Error::msg)?;
    let ep = target.resolve().await?;
    let env = RunEnv {
        ctx: Ctx::new(Api::new(ep.clone(), plan.timeout), args.admin_user.clone(), None),
        plan: Plan { endpoints: vec![ep], ..plan.clone() },
    };
    let mut run = runner::measure(&mut scenario::Ceiling, &env).await?;
    server.abort();
    run.scenario = "bare-ceiling".into();
    run.request = "GET /healthz (bare axum, no layers, served by minimall-bench)".into();
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    Ok(run)
}

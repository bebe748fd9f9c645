//! `minimall`: serve the shop, migrate the database, manage console users, seed demo data.
#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use minimall_core::auth::Role;
use minimall_core::validate::{display_text, Password, Username};
use minimall_server::config::{Config, LogFormat, Overrides};
use minimall_server::Application;

/// The server allocates and frees many short-lived buffers on several threads at once (request bodies,
/// statements and their arguments); mimalloc serves those faster than the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "minimall",
    version,
    about = "Minimall: a mini-program mall engine (shop API, H5 storefront, admin console)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone)]
struct Common {
    /// TOML configuration file (settings: bind, database_url, sandbox, [jobs], [wechat], …).
    #[arg(long, global = true, env = "MINIMALL_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    /// Database URL: sqlite://minimall.db (default) or postgres://user@host/db. Overrides MINIMALL_DATABASE_URL.
    #[arg(long, global = true, value_name = "URL")]
    database_url: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP server and background job workers.
    Serve {
        /// Seed demo data into an empty database, turn sandbox mode on, and print URLs and logins.
        /// Refused on a database that was not created as a demo.
        #[arg(long)]
        demo: bool,
        /// Address to listen on, e.g. 127.0.0.1:8080 or 0.0.0.0:80. Overrides MINIMALL_BIND.
        #[arg(long, value_name = "ADDR")]
        bind: Option<String>,
        #[command(flatten)]
        common: Common,
    },
    /// Apply database migrations and exit.
    Migrate {
        #[command(flatten)]
        common: Common,
    },
    /// Seed demo data (console users of every role, buyers) into an empty database and exit. With --buyers,
    /// --orders or --events, also generate a crowd of buyers with member profiles, tags, levels and points, and
    /// a shop's history over the last 180 days (orders of the crowd or of the demo buyers, and tracked events),
    /// the same for the same seed on the same day, and rebuild its daily rollups.
    Demo {
        /// Buyers to generate, registered over the last two years, with their member profiles; the orders go
        /// to them.
        #[arg(long, default_value_t = 0)]
        buyers: u64,
        /// Orders to generate (85 % paid).
        #[arg(long, default_value_t = 0)]
        orders: u64,
        /// Storefront events to generate (besides each order's placed and paid events).
        #[arg(long, default_value_t = 0)]
        events: u64,
        /// The generator's seed.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[command(flatten)]
        common: Common,
    },
    /// Console user administration.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Tracked events and their daily rollups.
    Analytics {
        #[command(subcommand)]
        command: AnalyticsCommand,
    },
}

#[derive(Subcommand)]
enum AnalyticsCommand {
    /// Recount a day's rollup from its raw events and list every cell that differs; exits with failure when
    /// some do (after a rebuild with --rebuild, when some still do).
    Recount {
        /// The day, YYYY-MM-DD (shop calendar, Beijing time).
        #[arg(long)]
        day: String,
        /// Rebuild the day's rollup when it differs, then recount again.
        #[arg(long)]
        rebuild: bool,
        #[command(flatten)]
        common: Common,
    },
    /// Rebuild the rollups of a range of days from the raw events (rebuilding twice gives the same rows).
    Rebuild {
        /// First day, YYYY-MM-DD.
        #[arg(long)]
        from: String,
        /// Last day, YYYY-MM-DD.
        #[arg(long)]
        to: String,
        #[command(flatten)]
        common: Common,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create a console user of the default merchant.
    CreateUser {
        /// Login name: 3–32 of a-z 0-9 _ . -
        #[arg(long)]
        username: String,
        /// owner, operator, finance or service.
        #[arg(long)]
        role: String,
        /// Password (8–128 characters). Read from MINIMALL_NEW_USER_PASSWORD when omitted; generated and printed when neither is given.
        #[arg(long, env = "MINIMALL_NEW_USER_PASSWORD", hide_env_values = true)]
        password: Option<String>,
        /// Name shown in the console.
        #[arg(long)]
        display_name: Option<String>,
        #[command(flatten)]
        common: Common,
    },
}

fn load(common: &Common, bind: Option<String>, sandbox: Option<bool>) -> Result<Config, String> {
    let env: Vec<(String, String)> = std::env::vars().filter(|(k, _)| k.starts_with("MINIMALL_")).collect();
    let flags = Overrides { bind, database_url: common.database_url.clone(), sandbox };
    Config::load(common.config.as_deref(), &env, &flags).map_err(|e| e.to_string())
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,tower_http=warn"));
    let b = tracing_subscriber::fmt().with_env_filter(filter);
    match format {
        LogFormat::Json => b.json().init(),
        LogFormat::Text => b.init(),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("error: {msg}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), String> {
    match cli.command {
        Command::Serve { demo, bind, common } => {
            let cfg = load(&common, bind, demo.then_some(true))?;
            init_logging(cfg.log_format);
            let (app, report) = Application::build(cfg.clone(), demo).await.map_err(|e| format!("{e:#}"))?;
            print_banner(&app, &cfg, &report);
            app.run_until_stopped().await.map_err(|e| format!("{e:#}"))
        }
        Command::Migrate { common } => {
            let cfg = load(&common, None, None)?;
            let store =
                minimall_store::Store::connect(&cfg.database_url).await.map_err(|e| format!("database_url: {e}"))?;
            store.migrate().await.map_err(|e| e.to_string())?;
            store.default_merchant().await.map_err(|e| e.to_string())?;
            println!("migrations applied to {}", minimall_store::redact(&cfg.database_url));
            Ok(())
        }
        Command::Demo { buyers, orders, events, seed, common } => {
            let mut cfg = load(&common, None, Some(true))?;
            cfg.jobs.enabled = false;
            cfg.bind = "127.0.0.1:0".into();
            let (app, report) = Application::build(cfg.clone(), true).await.map_err(|e| format!("{e:#}"))?;
            if let Some(d) = &report.demo {
                print_demo(d);
            }
            if buyers > 0 || orders > 0 || events > 0 {
                let started = std::time::Instant::now();
                let plan = minimall_server::demo::generate::Plan { buyers, orders, events, seed };
                let g =
                    minimall_server::demo::generate::generate(app.state(), plan).await.map_err(|e| format!("{e:#}"))?;
                println!(
                    "  Generated {} buyers, {} orders and {} events (seed {seed}), {} rollup rows, in {:.1?}",
                    g.buyers,
                    g.orders,
                    g.events,
                    g.rollup_rows,
                    started.elapsed()
                );
            }
            app.shutdown().await.map_err(|e| format!("{e:#}"))
        }
        Command::Admin { command: AdminCommand::CreateUser { username, role, password, display_name, common } } => {
            let cfg = load(&common, None, None)?;
            let username = Username::parse("--username", &username).map_err(|e| e.to_string())?;
            let role: Role =
                role.parse().map_err(|_| "--role: one of owner, operator, finance, service, clerk".to_string())?;
            let display = display_text("--display-name", display_name.as_deref().unwrap_or(username.as_str()), 32)
                .map_err(|e| e.to_string())?;
            let (password, generated) = match password {
                Some(p) => (Password::parse("--password", &p).map_err(|e| e.to_string())?.expose().to_string(), false),
                None => (format!("mm-{}", &minimall_server::accounts::auth::new_token("")[..16]), true),
            };
            let store =
                minimall_store::Store::connect(&cfg.database_url).await.map_err(|e| format!("database_url: {e}"))?;
            store.migrate().await.map_err(|e| e.to_string())?;
            let merchant = store.default_merchant().await.map_err(|e| e.to_string())?;
            let hash =
                minimall_server::accounts::auth::hash_password(password.clone()).await.map_err(|e| e.to_string())?;
            let mut tx = store.begin().await.map_err(|e| e.to_string())?;
            store
                .insert_admin(
                    &mut tx,
                    &minimall_store::admins::NewAdmin {
                        merchant_id: merchant.id,
                        username: username.as_str(),
                        display_name: &display,
                        password_hash: &hash,
                        role: role.as_str(),
                    },
                )
                .await
                .map_err(|e| match e {
                    minimall_store::StoreError::Duplicate(_) => format!("--username: '{username}' already exists"),
                    other => other.to_string(),
                })?;
            minimall_store::commit(tx).await.map_err(|e| e.to_string())?;
            println!("created {role} '{username}'");
            if generated {
                println!("password: {password}");
            }
            Ok(())
        }
        Command::Analytics { command } => analytics(command).await,
    }
}

async fn open_store(common: &Common) -> Result<(minimall_store::Store, i64), String> {
    let cfg = load(common, None, None)?;
    let store = minimall_store::Store::connect(&cfg.database_url).await.map_err(|e| format!("database_url: {e}"))?;
    store.migrate().await.map_err(|e| e.to_string())?;
    let merchant = store.default_merchant().await.map_err(|e| e.to_string())?;
    Ok((store, merchant.id))
}

async fn analytics(command: AnalyticsCommand) -> Result<(), String> {
    use minimall_server::analytics::rollup;
    match command {
        AnalyticsCommand::Recount { day, rebuild, common } => {
            let d = minimall_core::time::parse_day(&day).ok_or_else(|| format!("--day: '{day}' is not YYYY-MM-DD"))?;
            let (store, merchant) = open_store(&common).await?;
            let r = rollup::recount(&store, merchant, d, rebuild).await.map_err(|e| e.to_string())?;
            for x in &r.differences {
                let show = |v: &Option<Vec<i64>>| match v {
                    Some(v) => format!("{v:?}"),
                    None => "none".to_string(),
                };
                println!(
                    "{} channel={} campaign={} product={} kind={}: rollup {} events {}",
                    x.table,
                    x.channel,
                    x.campaign,
                    x.product_id,
                    x.kind,
                    show(&x.rollup),
                    show(&x.events)
                );
            }
            println!("{}: {} difference(s)", r.date, r.differences.len());
            store.close().await;
            match r.remaining {
                Some(0) => {
                    println!("rebuilt: the rollup now agrees with the events");
                    Ok(())
                }
                Some(n) => Err(format!("{n} difference(s) remain after the rebuild")),
                None if r.differences.is_empty() => Ok(()),
                None => Err("the rollup differs from the events (run again with --rebuild)".into()),
            }
        }
        AnalyticsCommand::Rebuild { from, to, common } => {
            let parse = |flag: &str, s: &str| {
                minimall_core::time::parse_day(s).ok_or_else(|| format!("{flag}: '{s}' is not YYYY-MM-DD"))
            };
            let (f, t) = (parse("--from", &from)?, parse("--to", &to)?);
            if f > t {
                return Err("--to: must not be before --from".into());
            }
            let (store, merchant) = open_store(&common).await?;
            let started = std::time::Instant::now();
            let rows = rollup::rebuild_days(&store, merchant, f, t).await.map_err(|e| e.to_string())?;
            println!("rebuilt {} day(s), {rows} rollup row(s) in {:.2?}", t - f + 1, started.elapsed());
            store.close().await;
            Ok(())
        }
    }
}

fn print_banner(app: &Application, cfg: &Config, report: &minimall_server::app::StartReport) {
    let base = format!("http://{}", app.addr());
    println!();
    println!("Minimall is running — database {}", minimall_store::redact(&cfg.database_url));
    println!("  Storefront (H5)     {base}/");
    println!("  Admin console       {base}/admin");
    println!("  API document        {base}/openapi.json");
    println!("  Shop API            {base}/api/v1/shop/…");
    println!("  Admin API           {base}/api/v1/admin/…");
    println!("  Health / metrics    {base}/healthz  {base}/readyz  {base}/metrics");
    if cfg.sandbox {
        println!("  Sandbox mode is ON: buyers log in with code \"sandbox:<name>\" (demo buyers buyer001 … buyer200)");
    }
    if let Some(pw) = &report.bootstrap_password {
        println!("  Created the owner account: admin / {pw}");
    }
    if let Some(d) = &report.demo {
        print_demo(d);
    }
    println!("Press Ctrl-C to stop.");
}

fn print_demo(d: &minimall_server::demo::DemoReport) {
    println!(
        "  Demo data: {} ({} buyers, {} products)",
        if d.seeded { "seeded into the empty database" } else { "already present" },
        d.buyers,
        d.products
    );
    let pw = d.password.as_deref().unwrap_or("(unchanged; set MINIMALL_ADMIN_PASSWORD to reset it)");
    for (u, r) in &d.users {
        println!("    console login  {u:<9} / {pw}   ({} {})", r.as_str(), r.label_zh());
    }
    println!("    log in:  curl -s -X POST -H 'content-type: application/json' -d '{{\"username\":\"admin\",\"password\":\"…\"}}' <base>/api/v1/admin/auth/login");
}

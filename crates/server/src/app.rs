//! Building and running one server: store, migrations, router, listener, job workers.
//! Tests call [`Application::build`] exactly as `main` does, on port 0.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::http::{header, HeaderValue, StatusCode};
use axum::routing::get;
use axum::Router;
use minimall_store::Store;
use tokio::net::TcpListener;
use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;

use crate::config::Config;
use crate::error::ApiError;
use crate::error::ApiReason;
use crate::state::AppState;

pub struct Application {
    addr: SocketAddr,
    state: AppState,
    shutdown: watch::Sender<bool>,
    server: JoinHandle<std::io::Result<()>>,
    workers: Vec<JoinHandle<()>>,
}

/// What start-up did that the operator should know.
pub struct StartReport {
    pub demo: Option<crate::demo::DemoReport>,
    pub bootstrap_password: Option<String>,
}

impl Application {
    /// Connect, migrate, seed (demo), bind, and start serving and working in the background.
    pub async fn build(cfg: Config, demo: bool) -> anyhow::Result<(Application, StartReport)> {
        let store = Store::connect(&cfg.database_url)
            .await
            .with_context(|| format!("database_url: cannot open {}", minimall_store::redact(&cfg.database_url)))?;
        store.migrate().await.context("applying migrations")?;
        crate::http::metrics::handle();
        // The message catalogues are parsed here, not by the first refused request while others wait on it.
        crate::messages::load();
        let merchant = store.default_merchant().await?;
        let db_name = minimall_store::redact(&cfg.database_url);
        let sandbox_secret = crate::demo::settle_installation(&store, demo, cfg.sandbox, &db_name).await?;
        let mut cfg = cfg;
        if cfg.orders.sandbox_secret().is_none() {
            cfg.orders.sandbox_secret = Some(crate::config::Secret::new(sandbox_secret));
        }
        let http = reqwest::Client::builder().timeout(Duration::from_secs(10)).build()?;
        let wechat_pay = match &cfg.wechat_pay {
            Some(w) => Some(Arc::new(
                crate::payments::wechat::WechatPay::with_client(w.resolve()?, http.clone())
                    .map_err(|e| anyhow::anyhow!("wechat_pay: {e}"))?,
            )),
            None => None,
        };
        let state = AppState::new(crate::state::Shared {
            store: store.clone(),
            cfg: Arc::new(cfg.clone()),
            merchant_id: merchant.id,
            http,
            jobs_wakeup: Arc::new(Notify::new()),
            catalog: Arc::new(crate::catalog::cache::CatalogCache::new()),
            pricing: Arc::new(crate::promotions::cache::PricingCache::new()),
            imports: Arc::new(crate::catalog::import::Progress::default()),
            self_url: Arc::new(std::sync::OnceLock::new()),
            wechat_pay,
            flash: crate::flash::FlashEngine::start(store.clone(), &cfg)
                .await
                .context("redis_url: cannot reach the flash-sale gate")?,
            sessions: Arc::default(),
            analytics: Arc::default(),
        });
        let report = if demo {
            let r = crate::demo::seed(&state).await?;
            StartReport { bootstrap_password: None, demo: Some(r) }
        } else {
            StartReport { bootstrap_password: crate::demo::bootstrap_owner(&state).await?, demo: None }
        };
        crate::ops::jobs::schedule_housekeeping(&state, minimall_store::now_ms()).await?;
        let today = minimall_core::time::day_of(minimall_store::now_ms()).unwrap_or(0);
        crate::members::rules(&state, state.merchant_id)
            .await
            .map_err(|e| anyhow::anyhow!(e.message(crate::web::i18n::Lang::En)))?;
        crate::members::schedule_daily(&state, state.merchant_id, today)
            .await
            .map_err(|e| anyhow::anyhow!(e.to_string()))?;
        let next_year = minimall_core::time::year_of(minimall_store::now_ms()).map_or(2000, i32::from) + 1;
        crate::members::schedule_yearly(&state, state.merchant_id, next_year)
            .await
            .map_err(|e| anyhow::anyhow!(e.to_string()))?;
        crate::finance::reconcile::schedule_daily(&state, state.merchant_id, today - 1)
            .await
            .map_err(|e| anyhow::anyhow!(e.to_string()))?;
        crate::analytics::rollup::schedule_rollup(&state.store, state.merchant_id, minimall_store::now_ms()).await?;
        crate::analytics::recommend::schedule_refresh(&state.store, state.merchant_id, minimall_store::now_ms())
            .await?;
        let sales = state.flash.rebuild(state.merchant_id).await.map_err(|e| anyhow::anyhow!(e.to_string()))?;
        tracing::info!(sales, redis = state.flash.uses_redis(), "flash-sale gate ready");
        if state.flash.uses_redis() {
            crate::flash::schedule_reconcile(&state, minimall_store::now_ms())
                .await
                .map_err(|e| anyhow::anyhow!(e.to_string()))?;
        }
        if state.wechat_pay.is_some() {
            crate::orders::schedule_reconcile(&state, minimall_store::now_ms())
                .await
                .map_err(|e| anyhow::anyhow!(e.to_string()))?;
        }

        let listener = TcpListener::bind(cfg.bind_addr()?)
            .await
            .with_context(|| format!("bind: cannot listen on {}", cfg.bind))?;
        let addr = listener.local_addr()?;
        let _ = state.self_url.set(format!("http://{addr}"));
        let (tx, rx) = watch::channel(false);
        let router = router(state.clone());
        let mut srv_rx = rx.clone();
        let server = tokio::spawn(async move {
            axum::serve(
                listener,
                axum::ServiceExt::<axum::extract::Request>::into_make_service_with_connect_info::<SocketAddr>(router),
            )
            .with_graceful_shutdown(async move {
                let _ = srv_rx.wait_for(|v| *v).await;
            })
            .await
        });
        let mut workers = if cfg.jobs.enabled {
            crate::ops::jobs::spawn_workers(state.clone(), cfg.jobs.workers, rx.clone())
        } else {
            Vec::new()
        };
        workers.push(tokio::spawn(follow_catalog_version(state.clone(), rx.clone())));
        if state.store.backend() == minimall_store::Backend::Sqlite {
            workers.push(tokio::spawn(checkpoint_wal(state.clone(), rx)));
        }
        Ok((Application { addr, state, shutdown: tx, server, workers }, report))
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serve until Ctrl-C / SIGTERM, then stop gracefully.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        shutdown_signal().await;
        tracing::info!("shutting down");
        self.shutdown().await
    }

    /// Stop accepting, let in-flight requests and jobs finish, close the database.
    pub async fn shutdown(self) -> anyhow::Result<()> {
        let _ = self.shutdown.send(true);
        for w in self.workers {
            let _ = w.await;
        }
        self.server.await??;
        self.state.store.close().await;
        Ok(())
    }
}

/// Clear this instance's catalog cache when another instance changed the catalog.
async fn follow_catalog_version(st: AppState, mut stop: watch::Receiver<bool>) {
    while !*stop.borrow() {
        if let Ok(v) = st.store.catalog_version(st.merchant_id).await {
            if st.catalog.observe_version(v) {
                st.pricing.invalidate();
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(crate::catalog::cache::POLL) => {}
            _ = stop.changed() => {}
        }
    }
}

/// Keep SQLite's write-ahead log short without making the writer stop for it.
async fn checkpoint_wal(st: AppState, mut stop: watch::Receiver<bool>) {
    while !*stop.borrow() {
        tokio::select! {
            _ = tokio::time::sleep(minimall_store::CHECKPOINT_EVERY) => {}
            _ = stop.changed() => break,
        }
        if let Err(e) = st.store.checkpoint().await {
            tracing::debug!(error = %e, "checkpoint skipped");
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

/// The whole HTTP surface: the routes, and around them what every request passes ([`crate::http::edge`]).
pub fn router(state: AppState) -> crate::http::edge::Edge<Router> {
    let (api, doc) = crate::http::api().split_for_parts();
    let doc = crate::http::contract::finish(serde_json::to_value(doc).expect("the OpenAPI document serializes"));
    let doc = axum::body::Bytes::from(serde_json::to_vec(&doc).expect("the OpenAPI document serializes"));
    let router = api
        .route(
            "/openapi.json",
            get(move || {
                let doc = doc.clone();
                async move { ([(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], doc) }
            }),
        )
        .route("/metrics", get(crate::http::metrics::render))
        .route("/uploads/{name}", get(crate::ops::uploads::serve_upload))
        .route("/img/placeholder/{file}", get(crate::ops::uploads::placeholder))
        .merge(crate::web::router(&state.cfg.cdn_hosts))
        .fallback(|| async { ApiError::refused(StatusCode::NOT_FOUND, "not_found", &ApiReason::NoRoute) })
        .method_not_allowed_fallback(|| async {
            ApiError::refused(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", &ApiReason::MethodNotAllowed)
        })
        // Per route, where the matched route is known: metrics and the query-length limit.
        .layer(crate::http::metrics::TrackLayer)
        .with_state(state.clone());
    crate::http::edge::Edge::new(router, state.cfg.secure_cookies)
}

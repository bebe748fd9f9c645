//! Test harness: a real server on port 0 with a fresh database per test, on SQLite always and on
//! PostgreSQL when `MINIMALL_TEST_PG_URL` is set. Tests talk to it over HTTP only; `db_*` helpers are the
//! few deliberate shortcuts into storage.

use std::sync::atomic::{AtomicU64, Ordering};

use minimall_server::config::Config;
use minimall_server::Application;
use reqwest::{Client, Method, RequestBuilder, Response, StatusCode};
use serde_json::{json, Value};

pub const PASSWORD: &str = "test-pass-123";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs the body once per backend: `suite!(name, |b| async move { … })` gives `name::sqlite` and `name::postgres`.
#[macro_export]
macro_rules! suite {
    ($name:ident, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let f = $body;
                f($crate::helpers::Backend::Sqlite).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if $crate::helpers::pg_url().is_none() {
                    assert!(
                        std::env::var_os("CI").is_none(),
                        "CI runs every PostgreSQL test: set MINIMALL_TEST_PG_URL"
                    );
                    eprintln!("skipped: MINIMALL_TEST_PG_URL is not set, PostgreSQL tests do not run");
                    return;
                }
                let f = $body;
                f($crate::helpers::Backend::Postgres).await;
            }
        }
    };
}

pub fn pg_url() -> Option<String> {
    std::env::var("MINIMALL_TEST_PG_URL").ok().filter(|s| !s.is_empty())
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A fresh, empty database for one test.
pub struct TestDb {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    pg_name: Option<String>,
}

impl TestDb {
    pub async fn new(b: Backend) -> TestDb {
        match b {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                let url = format!("sqlite://{}", dir.path().join("t.db").display());
                TestDb { url, _dir: Some(dir), pg_name: None }
            }
            Backend::Postgres => {
                let admin = pg_url().unwrap();
                let name = format!(
                    "mm_t_{}_{}_{}",
                    std::process::id(),
                    COUNTER.fetch_add(1, Ordering::SeqCst),
                    minimall_store::now_ms() % 1_000_000
                );
                sqlx::any::install_default_drivers();
                let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&admin)
                    .await
                    .expect("connect to MINIMALL_TEST_PG_URL");
                sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await.unwrap();
                let base = admin.rsplit_once('/').map(|(b, _)| b.to_string()).unwrap();
                TestDb { url: format!("{base}/{name}"), _dir: None, pg_name: Some(name) }
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let (Some(name), Some(admin)) = (self.pg_name.take(), pg_url()) {
            // Best effort, off the test's runtime.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
                rt.block_on(async move {
                    if let Ok(mut c) = <sqlx::AnyConnection as sqlx::Connection>::connect(&admin).await {
                        let _ =
                            sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut c).await;
                    }
                });
            })
            .join();
        }
    }
}

pub fn test_config(db_url: &str) -> Config {
    let mut cfg = Config {
        bind: "127.0.0.1:0".into(),
        database_url: db_url.into(),
        sandbox: true,
        admin_password: Some(minimall_server::config::Secret::new(PASSWORD)),
        ..Default::default()
    };
    cfg.jobs.poll_interval_ms = 50;
    cfg.demo_products = 0;
    cfg.uploads_dir = std::env::temp_dir()
        .join(format!("minimall-test-uploads-{}-{}", std::process::id(), COUNTER.fetch_add(1, Ordering::SeqCst)))
        .display()
        .to_string();
    cfg.sms.resend_interval_secs = 60;
    cfg
}

pub struct TestApp {
    pub app: Option<Application>,
    pub base: String,
    pub client: Client,
    pub db: TestDb,
}

impl TestApp {
    /// Demo-seeded app (console users of every role, 200 buyers) on a fresh database.
    pub async fn spawn(b: Backend) -> TestApp {
        let db = TestDb::new(b).await;
        let cfg = test_config(&db.url);
        Self::spawn_with(db, cfg, true).await
    }

    pub async fn spawn_with(db: TestDb, cfg: Config, demo: bool) -> TestApp {
        let (app, _) = Application::build(cfg, demo).await.expect("server starts");
        let base = format!("http://{}", app.addr());
        TestApp { app: Some(app), base, client: Client::builder().no_proxy().build().unwrap(), db }
    }

    /// Stop the server (gracefully) and keep the database.
    pub async fn stop(mut self) -> TestDb {
        if let Some(app) = self.app.take() {
            app.shutdown().await.unwrap();
        }
        self.db
    }

    pub fn store(&self) -> &minimall_store::Store {
        &self.app.as_ref().unwrap().state().store
    }

    /// The secret this installation's sandbox payment provider signs notifications with.
    pub fn sandbox_secret(&self) -> String {
        self.app.as_ref().unwrap().state().cfg.orders.sandbox_secret().expect("a sandbox secret").to_string()
    }

    pub fn req(&self, method: Method, path: &str, token: Option<&str>) -> RequestBuilder {
        let mut r = self.client.request(method, format!("{}{}", self.base, path));
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        r
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Response {
        self.req(Method::GET, path, token).send().await.unwrap()
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> Response {
        self.req(Method::POST, path, token).json(body).send().await.unwrap()
    }

    pub async fn admin_login(&self, user: &str) -> String {
        let r = self.post("/api/v1/admin/auth/login", None, &json!({"username": user, "password": PASSWORD})).await;
        assert_eq!(r.status(), StatusCode::OK, "login {user}");
        r.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_string()
    }

    /// POST with a fresh Idempotency-Key.
    pub async fn post_idem(&self, path: &str, token: Option<&str>, body: &Value) -> Response {
        let key = format!("k-{}", COUNTER.fetch_add(1, Ordering::SeqCst));
        self.req(Method::POST, path, token).header("Idempotency-Key", key).json(body).send().await.unwrap()
    }

    pub async fn put(&self, path: &str, token: Option<&str>, body: &Value) -> Response {
        self.req(Method::PUT, path, token).json(body).send().await.unwrap()
    }

    pub async fn buyer_login(&self, name: &str) -> String {
        let r = self.post("/api/v1/shop/auth/wechat", None, &json!({"code": format!("sandbox:{name}")})).await;
        assert_eq!(r.status(), StatusCode::OK, "buyer login {name}");
        r.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_string()
    }
}

/// Status and JSON body.
pub async fn body(r: Response) -> (StatusCode, Value) {
    let s = r.status();
    let text = r.text().await.unwrap();
    let v = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (s, v)
}

/// Assert a 4xx error envelope naming `field`.
pub async fn assert_field_error(r: Response, status: StatusCode, field: &str) {
    let (s, v) = body(r).await;
    assert_eq!(s, status, "{v}");
    assert_eq!(v["error"]["field"], field, "{v}");
    assert!(v["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{v}");
}

/// Poll `f` until it returns Some, for up to `secs`.
pub async fn eventually<T, F, Fut>(secs: u64, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(std::time::Instant::now() < deadline, "condition not reached within {secs}s");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// The Beijing day (days since 1970-01-01) of epoch ms, as the shop counts days.
pub fn beijing_day(ms: i64) -> i64 {
    (ms.div_euclid(1000) + 8 * 3600).div_euclid(86_400)
}

/// The first ms of a Beijing day.
pub fn day_start(day: i64) -> i64 {
    (day * 86_400 - 8 * 3600) * 1000
}

/// `YYYY-MM-DD` of a day number.
pub fn date(day: i64) -> String {
    minimall_core::time::date_of_day(day).unwrap().to_string()
}

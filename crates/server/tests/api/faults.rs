//! Faults: Redis killed and restarted empty under two instances (purchases refused fast, pages fall back to the
//! database, nothing oversold, quick recovery), and readiness naming each failing dependency. Each test starts a
//! Redis of its own on a free port, never the machine's shared one.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::header::{COOKIE, RETRY_AFTER};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

use crate::flash::{create_sale, db_buyers, sale_body, shop};
use crate::helpers::*;
use crate::suite;

/// A `redis-server` on a free port with no persistence, killed with SIGKILL when dropped.
struct PrivateRedis {
    port: u16,
    child: Option<Child>,
}

impl PrivateRedis {
    fn start() -> PrivateRedis {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut r = PrivateRedis { port, child: None };
        r.restart();
        r
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Start (again, empty) on the same port and wait until it answers.
    fn restart(&mut self) {
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server is installed");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", self.port)) {
                use std::io::{Read, Write};
                let mut buf = [0u8; 16];
                if s.write_all(b"PING\r\n").is_ok() && s.read(&mut buf).is_ok_and(|n| buf[..n].starts_with(b"+PONG")) {
                    return;
                }
            }
            assert!(Instant::now() < deadline, "private redis-server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// kill -9.
    fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            c.kill().unwrap();
            c.wait().unwrap();
        }
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        self.kill();
    }
}

/// One request, timed; status, `Retry-After`, body.
async fn timed(req: reqwest::RequestBuilder) -> (StatusCode, Option<String>, Value, Duration) {
    let started = Instant::now();
    let r = req.timeout(Duration::from_secs(10)).send().await.expect("an answer within 10 s");
    let retry = r.headers().get(RETRY_AFTER).and_then(|v| v.to_str().ok()).map(str::to_string);
    let (s, v) = body(r).await;
    (s, retry, v, started.elapsed())
}

async fn purchase(
    c: &Client,
    base: &str,
    sale: i64,
    token: &str,
    key: &str,
) -> (StatusCode, Option<String>, Value, Duration) {
    timed(
        c.post(format!("{base}/api/v1/shop/flash-sales/{sale}/orders"))
            .bearer_auth(token)
            .header("Idempotency-Key", key)
            .json(&json!({})),
    )
    .await
}

async fn db_sold(app: &TestApp, sale: i64) -> (i64, i64) {
    let (q, s): (i64, i64) = sqlx::query_as(
        "SELECT CAST(SUM(quantity) AS BIGINT), CAST(SUM(sold) AS BIGINT) FROM flash_sale_items WHERE sale_id = $1",
    )
    .bind(sale)
    .fetch_one(app.store().reader())
    .await
    .unwrap();
    (q, s)
}

async fn live_orders(app: &TestApp, sale: i64) -> i64 {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM flash_orders WHERE sale_id = $1 AND live = 1")
        .bind(sale)
        .fetch_one(app.store().reader())
        .await
        .unwrap();
    n
}

/// Two instances on PostgreSQL sharing a private Redis, which is killed with SIGKILL mid-sale and restarted
/// empty: purchases answer 503 with Retry-After in under a second; the shop's and the console's sale views and
/// the storefront answer in under a second with the database's figures; readiness names Redis; after the
/// restart the first purchase succeeds in under a second; nothing is oversold.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_killed_mid_sale_refuses_fast_shows_database_figures_and_recovers() {
    if pg_url().is_none() {
        assert!(std::env::var_os("CI").is_none(), "CI runs every PostgreSQL test: set MINIMALL_TEST_PG_URL");
        eprintln!("skipped: MINIMALL_TEST_PG_URL is not set");
        return;
    }
    let mut redis = PrivateRedis::start();
    let db = TestDb::new(Backend::Postgres).await;
    let mut cfg = test_config(&db.url);
    cfg.redis_url = Some(redis.url());
    let url = db.url.clone();
    let app = TestApp::spawn_with(db, cfg.clone(), true).await;
    cfg.database_url = url;
    let (second, _) = minimall_server::Application::build(cfg.clone(), false).await.expect("second instance");
    let bases = [app.base.clone(), format!("http://{}", second.addr())];
    let c = Client::builder().no_proxy().build().unwrap();

    const UNITS: i64 = 30;
    let shop = shop(&app).await;
    let sale = create_sale(&app, &shop, &sale_body(&shop, UNITS, 1, 0)).await;
    let buyers = db_buyers(app.store(), "outage", 60).await;
    let owner = format!("mm_admin={}", app.admin_login("admin").await);

    // Before the outage: ten purchases over both instances.
    for (i, (_, token)) in buyers[..10].iter().enumerate() {
        let (s, _, v, _) = purchase(&c, &bases[i % 2], sale, token, &format!("k{i}")).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
    }

    redis.kill();

    // Purchases: 503 with Retry-After, each in under a second, on both instances, repeatedly.
    for (i, (_, token)) in buyers[10..20].iter().enumerate() {
        let (s, retry, v, took) = purchase(&c, &bases[i % 2], sale, token, &format!("k{}", i + 10)).await;
        assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE, "{v}");
        assert_eq!(v["error"]["code"], "unavailable", "{v}");
        assert!(retry.as_deref().and_then(|r| r.parse::<u64>().ok()).is_some_and(|r| r >= 1), "Retry-After: {retry:?}");
        assert!(took < Duration::from_secs(1), "purchase refused after {took:?}");
    }

    // Views of the sale: every answer in under a second, with the database's figures.
    let (quantity, sold) = db_sold(&app, sale).await;
    assert_eq!((quantity, sold), (UNITS, 10));
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let mut all_db_figures = true;
        for base in &bases {
            let (s, _, list, took) = timed(c.get(format!("{base}/api/v1/shop/flash-sales"))).await;
            assert_eq!(s, StatusCode::OK, "{list}");
            assert!(took < Duration::from_secs(1), "shop list took {took:?}");
            let shown =
                list["items"].as_array().unwrap().iter().find(|x| x["id"] == sale).expect("sale listed").clone();
            let (s, _, one, took) = timed(c.get(format!("{base}/api/v1/shop/flash-sales/{sale}"))).await;
            assert_eq!(s, StatusCode::OK, "{one}");
            assert!(took < Duration::from_secs(1), "shop sale took {took:?}");
            let (s, _, admin, took) =
                timed(c.get(format!("{base}/api/v1/admin/flash-sales/{sale}")).bearer_auth(&shop.op)).await;
            assert_eq!(s, StatusCode::OK, "{admin}");
            assert!(took < Duration::from_secs(1), "console API sale took {took:?}");
            assert_eq!(admin["gate_remaining"], json!([]), "{admin}");
            let (s, _, admin_list, took) =
                timed(c.get(format!("{base}/api/v1/admin/flash-sales")).bearer_auth(&shop.op)).await;
            assert_eq!(s, StatusCode::OK, "{admin_list}");
            assert!(took < Duration::from_secs(1), "console API list took {took:?}");
            for v in [&shown, &one, &admin] {
                all_db_figures &= v["items"][0]["remaining"] == UNITS - 10 && v["items"][0]["sold"] == 10;
            }
            for path in ["/".to_string(), format!("/flash/{sale}")] {
                let (s, _, html, took) = timed(c.get(format!("{base}{path}"))).await;
                assert_eq!(s, StatusCode::OK, "{path}");
                assert!(took < Duration::from_secs(1), "{path} took {took:?}");
                assert!(html.as_str().unwrap().contains("整点秒杀"), "{path} shows the sale");
            }
            for path in ["/admin/flash".to_string(), format!("/admin/flash/{sale}")] {
                let (s, _, html, took) = timed(c.get(format!("{base}{path}")).header(COOKIE, &owner)).await;
                assert_eq!(s, StatusCode::OK, "{path}");
                assert!(took < Duration::from_secs(1), "{path} took {took:?}");
                assert!(html.as_str().unwrap().contains("整点秒杀"), "{path} shows the sale");
            }
            // Readiness takes the instance out; liveness stays.
            let (s, _, ready, took) = timed(c.get(format!("{base}/readyz"))).await;
            assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE, "{ready}");
            assert!(took < Duration::from_secs(1), "readyz took {took:?}");
            assert_eq!(ready["error"]["code"], "not_ready", "{ready}");
            assert!(ready["error"]["message"].as_str().unwrap().contains("redis"), "{ready}");
            let checks = ready["error"]["details"]["checks"].as_array().unwrap();
            assert!(checks.iter().any(|x| x["name"] == "database" && x["ok"] == true), "{ready}");
            assert!(checks.iter().any(|x| x["name"] == "redis" && x["ok"] == false), "{ready}");
            assert_eq!(c.get(format!("{base}/healthz")).send().await.unwrap().status(), StatusCode::OK);
        }
        if all_db_figures {
            break;
        }
        assert!(Instant::now() < deadline, "views never showed the database's figures");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // Redis comes back empty. After the breaker's cool-down the first purchase succeeds at once.
    redis.restart();
    tokio::time::sleep(Duration::from_millis(cfg.redis_cooldown_ms + 300)).await;
    for (i, base) in bases.iter().enumerate() {
        let (s, _, v, took) = purchase(&c, base, sale, &buyers[20 + i].1, &format!("k{}", 20 + i)).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert!(took < Duration::from_secs(1), "first purchase after recovery took {took:?}");
        let (s, _, ready, _) = timed(c.get(format!("{base}/readyz"))).await;
        assert_eq!(s, StatusCode::OK, "{ready}");
    }

    // The rest of the buyers (and those refused during the outage, again): exactly the units left sell.
    let mut created = 12;
    for (i, (_, token)) in buyers.iter().enumerate().skip(10) {
        if (20..22).contains(&i) {
            continue;
        }
        let (s, _, v, _) = purchase(&c, &bases[i % 2], sale, token, &format!("k{i}")).await;
        match s {
            StatusCode::CREATED => created += 1,
            StatusCode::CONFLICT => assert_eq!(v["error"]["code"], "flash_sold_out", "{v}"),
            _ => panic!("{s} {v}"),
        }
    }
    assert_eq!(created, UNITS, "every unit sells once after the outage");
    assert_eq!(db_sold(&app, sale).await, (UNITS, UNITS));
    assert_eq!(live_orders(&app, sale).await, UNITS);
    second.shutdown().await.unwrap();
}

// Readiness on one instance with a private Redis: ok with both dependencies; Redis killed -> 503 naming redis
// (liveness still 200); Redis back -> ok again.
suite!(readiness_names_redis_while_it_is_down, |b| async move {
    let mut redis = PrivateRedis::start();
    let db = TestDb::new(b).await;
    let mut cfg = test_config(&db.url);
    cfg.redis_url = Some(redis.url());
    let app = TestApp::spawn_with(db, cfg.clone(), true).await;

    let (s, ready) = body(app.get("/readyz", None).await).await;
    assert_eq!(s, StatusCode::OK, "{ready}");
    assert_eq!(ready["status"], "ok");
    let names: Vec<&str> = ready["checks"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["database", "redis"], "{ready}");

    redis.kill();
    for _ in 0..3 {
        let started = Instant::now();
        let (s, ready) = body(app.get("/readyz", None).await).await;
        assert!(started.elapsed() < Duration::from_secs(1));
        assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE, "{ready}");
        assert_eq!(ready["error"]["reason"], "ops.not_ready", "{ready}");
        assert_eq!(ready["error"]["params"]["failing"], "redis", "{ready}");
        assert_eq!(app.get("/healthz", None).await.status(), StatusCode::OK);
    }

    redis.restart();
    eventually(5, || async {
        let (s, _) = body(app.get("/readyz", None).await).await;
        (s == StatusCode::OK).then_some(())
    })
    .await;
});

// Readiness writes: a database that stops taking writes (PostgreSQL: the database made read-only; SQLite:
// every write refused, as on a full disk) answers 503 naming the database; liveness stays 200.
suite!(readiness_names_a_database_that_takes_no_writes, |b| async move {
    let app = TestApp::spawn(b).await;
    let (s, ready) = body(app.get("/readyz", None).await).await;
    assert_eq!(s, StatusCode::OK, "{ready}");
    assert_eq!(ready["checks"], json!([{"name": "database", "ok": true, "ms": ready["checks"][0]["ms"]}]));

    let admin = pg_url();
    let pg_name = app.db.url.rsplit('/').next().unwrap().to_string();
    let set_read_only = |on: bool| {
        let (admin, name) = (admin.clone(), pg_name.clone());
        async move {
            let mut c = <sqlx::AnyConnection as sqlx::Connection>::connect(&admin.unwrap()).await.unwrap();
            let setting =
                if on { "SET default_transaction_read_only = on" } else { "RESET default_transaction_read_only" };
            sqlx::query(&format!("ALTER DATABASE {name} {setting}")).execute(&mut c).await.unwrap();
            // Sessions already open keep their settings: end them, the pool opens new ones. A session the pool
            // was opening while the setting changed may have started before it: end those too, a moment later.
            for _ in 0..3 {
                sqlx::query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1")
                    .bind(&name)
                    .execute(&mut c)
                    .await
                    .unwrap();
                tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            }
        }
    };
    match b {
        Backend::Postgres => set_read_only(true).await,
        Backend::Sqlite => {
            let mut tx = app.store().begin().await.unwrap();
            sqlx::query(
                "CREATE TRIGGER refuse_writes BEFORE UPDATE ON installation BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END",
            )
            .execute(&mut *tx)
            .await
            .unwrap();
            minimall_store::commit(tx).await.unwrap();
        }
    }
    let ready = eventually(10, || async {
        let (s, v) = body(app.get("/readyz", None).await).await;
        (s == StatusCode::SERVICE_UNAVAILABLE && v["error"]["params"]["failing"] == "database").then_some(v)
    })
    .await;
    let check = &ready["error"]["details"]["checks"][0];
    assert_eq!((check["name"].as_str(), check["ok"].as_bool()), (Some("database"), Some(false)), "{ready}");
    assert!(check["error"].as_str().is_some_and(|e| e.starts_with("not writable")), "{ready}");
    // It stays out while writes are refused; liveness is unaffected.
    let (s, _) = body(app.get("/readyz", None).await).await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(app.get("/healthz", None).await.status(), StatusCode::OK);

    match b {
        Backend::Postgres => set_read_only(false).await,
        Backend::Sqlite => {
            let mut tx = app.store().begin().await.unwrap();
            sqlx::query("DROP TRIGGER refuse_writes").execute(&mut *tx).await.unwrap();
            minimall_store::commit(tx).await.unwrap();
        }
    }
    eventually(10, || async {
        let (s, _) = body(app.get("/readyz", None).await).await;
        (s == StatusCode::OK).then_some(())
    })
    .await;
});

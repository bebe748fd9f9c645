//! kill -9 of a running server in the middle of a flash sale, then a restart on the same database: every
//! acknowledged order exists, sold + remaining = initial, and the rebuilt gate agrees with the database.
//! Spawns the real `minimall` binary.

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

const PASSWORD: &str = "crash-pass-123";

struct Server {
    child: Child,
    base: String,
}

fn start(db_url: &str) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_minimall"))
        .args(["serve", "--bind", "127.0.0.1:0", "--database-url", db_url])
        .env("MINIMALL_ADMIN_PASSWORD", PASSWORD)
        .env("MINIMALL_SANDBOX", "true")
        .env("MINIMALL_LOG_FORMAT", "text")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn minimall");
    let out = child.stdout.take().unwrap();
    let mut lines = BufReader::new(out).lines();
    let base = loop {
        let line = lines.next().expect("server printed its address").unwrap();
        if let Some(rest) = line.trim().strip_prefix("Storefront (H5)") {
            break rest.trim().trim_end_matches('/').to_string();
        }
    };
    // Keep draining stdout so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Server { child, base }
}

async fn json_of(r: reqwest::Response) -> (StatusCode, Value) {
    let s = r.status();
    (s, r.json().await.unwrap_or(Value::Null))
}

async fn admin(client: &Client, base: &str) -> String {
    let (s, v) = json_of(
        client
            .post(format!("{base}/api/v1/admin/auth/login"))
            .json(&json!({"username": "admin", "password": PASSWORD}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v["token"].as_str().unwrap().to_string()
}

/// `n` sandbox buyers named `{prefix}{i}`, logged in; their tokens.
async fn log_in(client: &Client, base: &str, prefix: &str, n: usize) -> Vec<String> {
    futures_util::stream::iter(0..n)
        .map(|i| async move {
            let r = client
                .post(format!("{base}/api/v1/shop/auth/wechat"))
                .json(&json!({"code": format!("sandbox:{prefix}{i}")}))
                .send()
                .await
                .unwrap();
            json_of(r).await.1["token"].as_str().unwrap().to_string()
        })
        .buffer_unordered(16)
        .collect()
        .await
}

async fn sale_state(client: &Client, base: &str, token: &str, id: i64) -> Value {
    json_of(client.get(format!("{base}/api/v1/admin/flash-sales/{id}")).bearer_auth(token).send().await.unwrap())
        .await
        .1
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_in_the_middle_of_a_flash_sale_loses_no_acknowledged_order() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("crash.db").display());
    let client = Client::builder().no_proxy().build().unwrap();
    let mut server = start(&db);
    let base = server.base.clone();
    let owner = admin(&client, &base).await;
    let post = |path: &str, body: Value| {
        client
            .post(format!("{base}{path}"))
            .bearer_auth(&owner)
            .header("Idempotency-Key", format!("k{}", rand_key()))
            .json(&body)
    };
    let (_, cat) = json_of(post("/api/v1/admin/categories", json!({"name": "秒杀"})).send().await.unwrap()).await;
    let (s, p) = json_of(
        post(
            "/api/v1/admin/products",
            json!({"product": {"code": "CRASH", "category_id": cat["id"], "title": "断电测试", "on_shelf": true},
                   "skus": [{"code": "CRASH-1", "stock": 5000, "original_price": 9900, "sale_price": 8800}]}),
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    let units = 400;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64;
    let (s, sale) = json_of(
        post(
            "/api/v1/admin/flash-sales",
            json!({"title": "断电秒杀", "product_id": p["product"]["id"], "starts_at": now, "ends_at": now + 3_600_000,
                   "per_buyer_limit": 1, "items": [{"sku_id": p["product"]["skus"][0]["id"], "flash_price": 100, "quantity": units}]}),
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{sale}");
    let id = sale["id"].as_i64().unwrap();

    // Buyers log in beforehand.
    let buyers = log_in(&client, &base, "crash", 1000).await;

    // Everyone buys; after 100 acknowledgements the server is killed with SIGKILL.
    let acked = Arc::new(AtomicUsize::new(0));
    let (kill_tx, kill_rx) = tokio::sync::oneshot::channel::<()>();
    let kill_tx = Arc::new(std::sync::Mutex::new(Some(kill_tx)));
    let storm = {
        let client = client.clone();
        let base = base.clone();
        let acked = acked.clone();
        tokio::spawn(async move {
            futures_util::stream::iter(buyers.into_iter().enumerate())
                .map(|(i, token)| {
                    let client = client.clone();
                    let base = base.clone();
                    let acked = acked.clone();
                    let kill_tx = kill_tx.clone();
                    async move {
                        let r = client
                            .post(format!("{base}/api/v1/shop/flash-sales/{id}/orders"))
                            .bearer_auth(&token)
                            .header("Idempotency-Key", format!("crash-{i}"))
                            .json(&json!({}))
                            .send()
                            .await;
                        let Ok(r) = r else { return None };
                        if r.status() != StatusCode::CREATED {
                            return None;
                        }
                        let v: Value = r.json().await.ok()?;
                        if acked.fetch_add(1, Ordering::SeqCst) + 1 == 100 {
                            if let Some(tx) = kill_tx.lock().unwrap().take() {
                                let _ = tx.send(());
                            }
                        }
                        v["order_id"].as_i64()
                    }
                })
                .buffer_unordered(64)
                .collect::<Vec<Option<i64>>>()
                .await
        })
    };
    let _ = tokio::time::timeout(Duration::from_secs(120), kill_rx).await;
    server.child.kill().expect("SIGKILL");
    server.child.wait().unwrap();
    let acknowledged: HashSet<i64> = storm.await.unwrap().into_iter().flatten().collect();
    assert!(acknowledged.len() >= 100, "the sale was under way when the server died ({})", acknowledged.len());

    // Restart on the same database.
    let mut server = start(&db);
    let base = server.base.clone();
    let owner = admin(&client, &base).await;
    for oid in &acknowledged {
        let r = client.get(format!("{base}/api/v1/admin/orders/{oid}")).bearer_auth(&owner).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "acknowledged order {oid} must survive kill -9");
    }
    let v = sale_state(&client, &base, &owner, id).await;
    let sold = v["items"][0]["sold"].as_i64().unwrap();
    let gate = v["gate_remaining"][0]["remaining"].as_i64().unwrap();
    assert_eq!(v["live_units"], sold, "{v}");
    assert!(sold >= acknowledged.len() as i64, "{v}");
    assert_eq!(sold + gate, units, "sold + remaining = initial after the restart: {v}");

    // The rebuilt gate sells exactly what is left, and not one unit more.
    let tokens = log_in(&client, &base, "after", units as usize + 50).await;
    let after: Vec<StatusCode> = futures_util::stream::iter(tokens.into_iter().enumerate())
        .map(|(i, token)| {
            let client = client.clone();
            let base = base.clone();
            async move {
                client
                    .post(format!("{base}/api/v1/shop/flash-sales/{id}/orders"))
                    .bearer_auth(&token)
                    .header("Idempotency-Key", format!("after-{i}"))
                    .json(&json!({}))
                    .send()
                    .await
                    .unwrap()
                    .status()
            }
        })
        .buffer_unordered(64)
        .collect()
        .await;
    let created = after.iter().filter(|s| **s == StatusCode::CREATED).count() as i64;
    assert_eq!(created, gate, "the units the gate had left were sold, exactly");
    let v = sale_state(&client, &base, &owner, id).await;
    assert_eq!(v["items"][0]["sold"], units, "{v}");
    assert_eq!(v["gate_remaining"][0]["remaining"], 0, "{v}");
    server.child.kill().unwrap();
    server.child.wait().unwrap();
}

fn rand_key() -> u64 {
    use std::sync::atomic::AtomicU64;
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::SeqCst)
}

//! `checkout`: the buyers' whole purchase, in a loop on every connection: quote the cart
//! (`POST /api/v1/shop/quote`), place the order at that payable (`POST /api/v1/shop/orders`, a fresh
//! `Idempotency-Key` each), start paying (`POST /api/v1/shop/orders/{id}/pay`, sandbox) and complete the
//! sandbox payment (`POST` the returned URL, 202). A flow counts when all four answers are right.
//!
//! Setup logs in to the console, creates a category and a product with one SKU and a large stock, then logs
//! in one sandbox buyer per connection and gives each an address. Afterwards the server's count of orders
//! for that product (console order list) must be at least the client's count of 201 answers.

use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{ensure, Context, Result};
use bytes::Bytes;
use hyper::header::HeaderValue;
use hyper::http::uri::PathAndQuery;
use hyper::StatusCode;
use serde_json::{json, Value};

use super::pool::total_of;
use super::{complete_path, status_kind, Req, RequestGen, Scenario, IDEMPOTENCY_KEY};
use crate::api::{in_parallel, Api, Buyer, Ctx};
use crate::load::new_histogram;
use crate::report::{factor, group, millis, rate, Latency, RunReport};

pub const QUOTE: &str = "/api/v1/shop/quote";
pub const ORDERS: &str = "/api/v1/shop/orders";
const STOCK: i64 = 10_000_000;

#[derive(Default)]
pub struct Checkout {
    /// Makes this run's codes, buyer names and idempotency keys unique.
    tag: String,
    product_id: Option<i64>,
    sku_id: i64,
    buyers: Vec<Buyer>,
    /// With `--promoters`: every buyer bound to a promoter; the promoters' ids, one per buyer.
    promoters: Option<Vec<i64>>,
    shared: Arc<Shared>,
    /// The flow figures of the measured time, set by verification.
    figures: Option<Figures>,
}

/// The shop's distribution settings with `--promoters`: 10 % of the paid line amount to the buyer's promoter,
/// 5 % to the promoter's team leader, and the risk limits at their most, so that no bench commission is held.
fn distribution_settings() -> Value {
    json!({
        "approval": "manual", "touch": "first", "settle_days": 7,
        "rates": {"direct": {"mode": "percent", "value": 1000}, "leader": {"mode": "percent", "value": 500}},
        "withdrawal_min": 100, "withdrawal_max": 100000,
        "risk_daily_limit": 1000, "risk_crowd_limit": 1000,
    })
}

/// Make `token`'s buyer a promoter (apply, approved by `admin`): their promoter id and code.
async fn become_promoter(api: &Api, admin: &str, token: &str) -> Result<(i64, String)> {
    let applied = api
        .expect_json(Req::post("/api/v1/shop/promoter/apply")?.bearer(token)?.json(&json!({"real_name": "压测"}))?)
        .await
        .context("applying to become a promoter")?;
    let id = applied.get("id").and_then(Value::as_i64).context("the application has no id")?;
    let code = applied.get("code").and_then(Value::as_str).context("the application has no code")?.to_string();
    api.expect_json(Req::post(&format!("/api/v1/admin/promoters/{id}/approve"))?.bearer(admin)?.json(&json!({}))?)
        .await
        .context("approving a promoter")?;
    Ok((id, code))
}

/// Bind `token`'s buyer to the promoter of `code`, as a share link does.
async fn bind(api: &Api, token: &str, code: &str) -> Result<()> {
    api.expect_json(
        Req::post("/api/v1/shop/promoter/bind")?.bearer(token)?.json(&json!({"code": code, "source": "link"}))?,
    )
    .await
    .context("binding to a promoter")
    .map(drop)
}

/// What the connections report back.
#[derive(Default)]
struct Shared {
    /// When the first generator was made, i.e. when the load started; the warm-up ends `warmup` later.
    load_start: OnceLock<Instant>,
    log: Mutex<FlowLog>,
}

/// A connection's flow events; merged into [`Shared`] when its generator is dropped (after the load).
#[derive(Default, Debug)]
struct FlowLog {
    /// 201 answers to `POST /api/v1/shop/orders`, warm-up included (the server counts those orders too).
    created: u64,
    /// When each flow completed.
    completed: Vec<Instant>,
    /// When each flow failed.
    failed: Vec<Instant>,
    /// Successful order requests: when sent, and the latency in microseconds.
    orders: Vec<(Instant, u64)>,
}

impl FlowLog {
    fn merge(&mut self, other: FlowLog) {
        self.created += other.created;
        self.completed.extend(other.completed);
        self.failed.extend(other.failed);
        self.orders.extend(other.orders);
    }
}

/// The flow figures of the measured time.
#[derive(Clone, Copy, Debug)]
struct Figures {
    completed: u64,
    orders_per_sec: f64,
    order_latency: Latency,
}

impl Checkout {
    /// With `promoters`, every buyer is bound to a promoter and the shop's distribution rates are set.
    pub fn new(promoters: bool) -> Checkout {
        Checkout { promoters: promoters.then(Vec::new), ..Checkout::default() }
    }

    fn items(&self) -> Value {
        json!([{ "sku_id": self.sku_id, "quantity": 1 }])
    }
}

impl Scenario for Checkout {
    fn name(&self) -> &'static str {
        "checkout"
    }

    fn request_line(&self) -> String {
        let with = if self.promoters.is_some() { " (buyers bound to promoters)" } else { "" };
        format!("POST {QUOTE} → POST {ORDERS} → POST {ORDERS}/{{id}}/pay → POST sandbox complete{with}")
    }

    async fn setup(&mut self, ctx: &Ctx) -> Result<()> {
        self.tag = unique_tag();
        let api = ctx.api();
        let admin = ctx.admin_login().await?;
        let category_id = api.root_category(&admin, "压测").await?;
        let product =
            api.create_product(&admin, category_id, &format!("BENCH-{}", self.tag), "压测商品", STOCK, 990).await?;
        self.product_id = Some(product.id);
        self.sku_id = product.sku_id;

        let names = (0..ctx_connections(ctx)).map(|conn| format!("bench{conn}-{}", self.tag)).collect();
        self.buyers = api.buyers_with_addresses(names).await?;
        if self.promoters.is_some() {
            api.expect_json(
                Req::new(hyper::Method::PUT, "/api/v1/admin/distribution/settings")?
                    .bearer(&admin)?
                    .json(&distribution_settings())?,
            )
            .await
            .context("setting the distribution rates")?;
            // Each buyer's promoter, bound to a team leader of their own.
            let jobs: Vec<(usize, String)> = self.buyers.iter().map(|b| b.token.clone()).enumerate().collect();
            let (api2, admin2, tag) = (api.clone(), admin.clone(), self.tag.clone());
            let ids = in_parallel(jobs, move |(conn, buyer)| {
                let (api, admin, tag) = (api2.clone(), admin2.clone(), tag.clone());
                async move {
                    let leader = api.buyer_login(&format!("benchlead{conn}-{tag}")).await?;
                    let (_, leader_code) = become_promoter(&api, &admin, &leader).await?;
                    let promoter = api.buyer_login(&format!("benchprom{conn}-{tag}")).await?;
                    bind(&api, &promoter, &leader_code).await?;
                    let (id, code) = become_promoter(&api, &admin, &promoter).await?;
                    bind(&api, &buyer, &code).await?;
                    anyhow::Ok(id)
                }
            })
            .await?;
            self.promoters = Some(ids);
        }
        ctx.admin_logout(&admin).await?;
        Ok(())
    }

    fn generator(&self, conn: usize) -> Box<dyn RequestGen> {
        self.shared.load_start.get_or_init(Instant::now);
        let buyer = &self.buyers[conn % self.buyers.len()];
        Box::new(
            FlowGen::new(&buyer.token, buyer.address_id, self.items(), format!("{}-{conn}", self.tag), &self.shared)
                .expect("setup gives valid tokens"),
        )
    }

    async fn verify(&mut self, ctx: &Ctx, report: &RunReport) -> Result<Vec<String>> {
        let product_id = self.product_id.context("no product: setup did not run")?;
        let log = std::mem::take(&mut *self.shared.log.lock().expect("flow log"));
        let start = *self.shared.load_start.get().context("no load ran")?;
        let measure_start = start + Duration::from_secs_f64(report.warmup_secs);
        let figures = figures(&log, measure_start, report.duration_secs);
        let failed = log.failed.iter().filter(|t| **t >= measure_start).count() as u64;
        self.figures = Some(figures);

        let admin = ctx.admin_login().await?;
        let list = ctx
            .api()
            .expect_json(
                Req::get(&format!("/api/v1/admin/orders?product_id={product_id}&page_size=1"))?.bearer(&admin)?,
            )
            .await;
        let commissions = match &self.promoters {
            Some(ids) => Some(commission_rows(ctx.api(), &admin, ids).await?),
            None => None,
        };
        ctx.admin_logout(&admin).await?;
        let server = total_of(&list?)?;
        let l = figures.order_latency;
        let mut notes = vec![
            format!(
                "flows: {} completed, {} failed in the measured time: {} orders/s",
                group(figures.completed),
                group(failed),
                rate(figures.orders_per_sec)
            ),
            format!("order request (POST {ORDERS}): p50 {}, p99 {}", millis(l.p50), millis(l.p99)),
            format!(
                "orders of product {product_id}: server {}, client's 201 answers {} (warm-up included)",
                group(server),
                group(log.created)
            ),
        ];
        if let Some((rows, held)) = commissions {
            notes.push(format!(
                "commission rows of the buyers' promoters: {} ({} held) for {} completed flows (warm-up included)",
                group(rows),
                group(held),
                group(log.completed.len() as u64)
            ));
            ensure!(rows > 0, "--promoters: no commission was recorded");
        }
        ensure!(
            server >= log.created,
            "the server lists {server} orders of product {product_id}, fewer than the {} created (201) answers",
            log.created
        );
        Ok(notes)
    }

    fn against_ceiling(&self, ceiling: &RunReport) -> Vec<String> {
        let Some(f) = self.figures else { return Vec::new() };
        let div = |a: Option<f64>, b: Option<f64>| match (a, b) {
            (Some(a), Some(b)) if b > 0.0 => Some(a / b),
            _ => None,
        };
        vec![
            format!(
                "orders/s ratio to ceiling req/s: {} ({} / {})",
                div(Some(f.orders_per_sec), Some(ceiling.requests_per_sec))
                    .map_or_else(|| "-".into(), |x| format!("{x:.4}")),
                rate(f.orders_per_sec),
                rate(ceiling.requests_per_sec)
            ),
            format!(
                "order p50 / p99 ratio to ceiling: {} / {}",
                factor(div(f.order_latency.p50, ceiling.latency_ms.p50)),
                factor(div(f.order_latency.p99, ceiling.latency_ms.p99))
            ),
        ]
    }
}

/// The commission rows of these promoters, and how many of them are held for review.
async fn commission_rows(api: &Api, admin: &str, promoters: &[i64]) -> Result<(u64, u64)> {
    let (mut rows, mut held) = (0, 0);
    for id in promoters {
        let path = format!("/api/v1/admin/promoters/{id}/commissions?page_size=1");
        rows += total_of(&api.expect_json(Req::get(&path)?.bearer(admin)?).await?)?;
        let path = format!("{path}&status=held");
        held += total_of(&api.expect_json(Req::get(&path)?.bearer(admin)?).await?)?;
    }
    Ok((rows, held))
}

/// The number of connections the load will open: setup makes one buyer each.
fn ctx_connections(ctx: &Ctx) -> usize {
    ctx.connections().max(1)
}

/// Completed flows and order latencies from `measure_start` on.
fn figures(log: &FlowLog, measure_start: Instant, secs: f64) -> Figures {
    let completed = log.completed.iter().filter(|t| **t >= measure_start).count() as u64;
    let mut hist = new_histogram();
    for (sent, micros) in &log.orders {
        if *sent >= measure_start {
            hist.saturating_record((*micros).max(1));
        }
    }
    Figures {
        completed,
        orders_per_sec: if secs > 0.0 { completed as f64 / secs } else { 0.0 },
        order_latency: Latency::of(&hist),
    }
}

/// A tag unique enough for one run: seconds and nanoseconds since the epoch, and the process id.
pub(super) fn unique_tag() -> String {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    format!("{:x}{:08x}{:x}", now.as_secs(), now.subsec_nanos(), std::process::id())
}

/// Where a connection is in its flow: the request to send next.
#[derive(Clone, Debug, PartialEq)]
enum Step {
    Quote,
    Order { payable: i64 },
    Pay { order_id: i64 },
    Complete { path: PathAndQuery },
}

/// One connection's checkout flow.
pub struct FlowGen {
    step: Step,
    auth: HeaderValue,
    quote: Req,
    items: Value,
    address_id: i64,
    /// Prefix of this connection's idempotency keys.
    key_prefix: String,
    seq: u64,
    /// When the last request was handed out; `None` once its answer was checked.
    sent: Option<Instant>,
    log: FlowLog,
    shared: Arc<Shared>,
}

impl FlowGen {
    fn new(token: &str, address_id: i64, items: Value, key_prefix: String, shared: &Arc<Shared>) -> Result<FlowGen> {
        let quote = Req::post(QUOTE)?.bearer(token)?.json(&json!({"items": items, "address_id": address_id}))?;
        let mut auth = HeaderValue::from_str(&format!("Bearer {token}"))?;
        auth.set_sensitive(true);
        Ok(FlowGen {
            step: Step::Quote,
            auth,
            quote,
            items,
            address_id,
            key_prefix,
            seq: 0,
            sent: None,
            log: FlowLog::default(),
            shared: shared.clone(),
        })
    }

    fn post(&self, path: PathAndQuery, body: &Value) -> Req {
        Req {
            method: hyper::Method::POST,
            path,
            headers: vec![
                (hyper::header::AUTHORIZATION, self.auth.clone()),
                (hyper::header::CONTENT_TYPE, HeaderValue::from_static("application/json")),
            ],
            body: Bytes::from(serde_json::to_vec(body).expect("JSON")),
        }
    }

    /// The flow failed: count it and start over with a quote.
    fn fail(&mut self, kind: String) -> Result<(), String> {
        self.log.failed.push(Instant::now());
        self.step = Step::Quote;
        Err(kind)
    }
}

impl RequestGen for FlowGen {
    fn next_request(&mut self) -> Req {
        if self.sent.is_some() {
            // The last request got no answer (timeout or broken connection): that flow failed.
            self.log.failed.push(Instant::now());
            self.step = Step::Quote;
        }
        self.sent = Some(Instant::now());
        match &self.step {
            Step::Quote => self.quote.clone(),
            Step::Order { payable } => {
                self.seq += 1;
                let body = json!({"items": self.items, "address_id": self.address_id, "expected_payable": payable});
                let mut req = self.post(PathAndQuery::from_static(ORDERS), &body);
                let key = HeaderValue::from_str(&format!("bench-{}-{}", self.key_prefix, self.seq))
                    .expect("the key is ASCII");
                req.headers.push((IDEMPOTENCY_KEY, key));
                req
            }
            Step::Pay { order_id } => {
                let path = PathAndQuery::try_from(format!("{ORDERS}/{order_id}/pay")).expect("valid path");
                self.post(path, &json!({"provider": "sandbox"}))
            }
            Step::Complete { path } => self.post(path.clone(), &json!({})),
        }
    }

    fn check(&mut self, status: StatusCode, body: &Bytes) -> Result<(), String> {
        let sent = self.sent.take();
        let answer = || serde_json::from_slice::<Value>(body).ok();
        match self.step.clone() {
            Step::Quote => {
                if status != StatusCode::OK {
                    return self.fail(status_kind(status));
                }
                match answer().and_then(|a| a.get("payable").and_then(Value::as_i64)) {
                    Some(payable) => self.step = Step::Order { payable },
                    None => return self.fail("quote without payable".into()),
                }
            }
            Step::Order { .. } => {
                if status != StatusCode::CREATED {
                    return self.fail(status_kind(status));
                }
                self.log.created += 1;
                if let Some(sent) = sent {
                    let micros = u64::try_from(sent.elapsed().as_micros()).unwrap_or(u64::MAX);
                    self.log.orders.push((sent, micros));
                }
                match answer().and_then(|a| a.get("id").and_then(Value::as_i64)) {
                    Some(order_id) => self.step = Step::Pay { order_id },
                    None => return self.fail("order without id".into()),
                }
            }
            Step::Pay { .. } => {
                if status != StatusCode::OK {
                    return self.fail(status_kind(status));
                }
                let url =
                    answer().and_then(|a| a.get("sandbox_complete_url").and_then(Value::as_str).map(String::from));
                match url.as_deref().and_then(complete_path) {
                    Some(path) => self.step = Step::Complete { path },
                    None => return self.fail("pay without sandbox_complete_url".into()),
                }
            }
            Step::Complete { .. } => {
                if status != StatusCode::ACCEPTED {
                    return self.fail(status_kind(status));
                }
                self.log.completed.push(Instant::now());
                self.step = Step::Quote;
            }
        }
        Ok(())
    }
}

impl Drop for FlowGen {
    fn drop(&mut self) {
        if let Ok(mut log) = self.shared.log.lock() {
            log.merge(std::mem::take(&mut self.log));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gen(shared: &Arc<Shared>) -> FlowGen {
        FlowGen::new("tok", 7, json!([{"sku_id": 42, "quantity": 1}]), "t-3".into(), shared).unwrap()
    }

    fn body(req: &Req) -> Value {
        serde_json::from_slice(&req.body).unwrap()
    }

    fn header<'a>(req: &'a Req, name: &str) -> Option<&'a str> {
        req.headers.iter().find(|(n, _)| n.as_str() == name).map(|(_, v)| v.to_str().unwrap())
    }

    fn bytes(v: Value) -> Bytes {
        Bytes::from(serde_json::to_vec(&v).unwrap())
    }

    /// Drive one whole flow with canned answers; returns the order request.
    fn whole_flow(g: &mut FlowGen, order_id: i64) -> Req {
        let q = g.next_request();
        assert_eq!(q.line(), "POST /api/v1/shop/quote");
        assert_eq!(body(&q), json!({"items": [{"sku_id": 42, "quantity": 1}], "address_id": 7}));
        assert_eq!(header(&q, "authorization"), Some("Bearer tok"));
        assert_eq!(g.check(StatusCode::OK, &bytes(json!({"payable": 1990, "shipping": 1000}))), Ok(()));

        let o = g.next_request();
        assert_eq!(o.line(), "POST /api/v1/shop/orders");
        assert_eq!(
            body(&o),
            json!({"items": [{"sku_id": 42, "quantity": 1}], "address_id": 7, "expected_payable": 1990})
        );
        assert_eq!(header(&o, "authorization"), Some("Bearer tok"));
        assert_eq!(header(&o, "content-type"), Some("application/json"));
        assert_eq!(g.check(StatusCode::CREATED, &bytes(json!({"id": order_id, "status": "pending"}))), Ok(()));

        let p = g.next_request();
        assert_eq!(p.line(), format!("POST /api/v1/shop/orders/{order_id}/pay"));
        assert_eq!(body(&p), json!({"provider": "sandbox"}));
        let url = format!("/api/v1/shop/sandbox/payments/T{order_id}/complete");
        assert_eq!(g.check(StatusCode::OK, &bytes(json!({"sandbox_complete_url": url}))), Ok(()));

        let c = g.next_request();
        assert_eq!(c.line(), format!("POST {url}"));
        assert_eq!(body(&c), json!({}));
        assert_eq!(g.check(StatusCode::ACCEPTED, &Bytes::new()), Ok(()));
        assert_eq!(g.step, Step::Quote);
        o
    }

    #[test]
    fn flow_runs_quote_order_pay_complete() {
        let shared = Arc::new(Shared::default());
        let mut g = gen(&shared);
        let first = whole_flow(&mut g, 100);
        let second = whole_flow(&mut g, 101);
        assert_eq!(header(&first, "idempotency-key"), Some("bench-t-3-1"));
        assert_eq!(header(&second, "idempotency-key"), Some("bench-t-3-2"), "a fresh key per order");
        assert_eq!(g.log.completed.len(), 2);
        assert_eq!(g.log.created, 2);
        assert_eq!(g.log.orders.len(), 2);
        assert!(g.log.failed.is_empty());
        drop(g);
        let log = shared.log.lock().unwrap();
        assert_eq!((log.created, log.completed.len(), log.orders.len()), (2, 2, 2), "merged when dropped");
    }

    #[test]
    fn a_failed_step_restarts_the_flow() {
        let shared = Arc::new(Shared::default());
        let mut g = gen(&shared);
        // The payable changed between quote and order: 409, counted, back to the quote.
        g.next_request();
        g.check(StatusCode::OK, &bytes(json!({"payable": 990}))).unwrap();
        g.next_request();
        assert_eq!(g.check(StatusCode::CONFLICT, &bytes(json!({"error": {}}))), Err("HTTP 409".into()));
        assert_eq!(g.step, Step::Quote);
        assert_eq!((g.log.failed.len(), g.log.created), (1, 0));
        // A quote without a payable.
        g.next_request();
        assert_eq!(g.check(StatusCode::OK, &bytes(json!({}))), Err("quote without payable".into()));
        // A created order whose pay answer has no URL: the order counts as created, the flow fails.
        g.next_request();
        g.check(StatusCode::OK, &bytes(json!({"payable": 990}))).unwrap();
        g.next_request();
        g.check(StatusCode::CREATED, &bytes(json!({"id": 5}))).unwrap();
        g.next_request();
        assert_eq!(
            g.check(StatusCode::OK, &bytes(json!({"provider": "sandbox"}))),
            Err("pay without sandbox_complete_url".into())
        );
        assert_eq!((g.log.failed.len(), g.log.created), (3, 1));
        // Completion must be 202.
        g.next_request();
        g.check(StatusCode::OK, &bytes(json!({"payable": 990}))).unwrap();
        g.next_request();
        g.check(StatusCode::CREATED, &bytes(json!({"id": 6}))).unwrap();
        g.next_request();
        g.check(StatusCode::OK, &bytes(json!({"sandbox_complete_url": "/x/complete"}))).unwrap();
        g.next_request();
        assert_eq!(g.check(StatusCode::FORBIDDEN, &Bytes::new()), Err("HTTP 403".into()));
        assert_eq!((g.log.failed.len(), g.log.created, g.log.completed.len()), (4, 2, 0));
        assert_eq!(g.step, Step::Quote);
    }

    #[test]
    fn a_request_without_answer_fails_the_flow() {
        let shared = Arc::new(Shared::default());
        let mut g = gen(&shared);
        g.next_request();
        g.check(StatusCode::OK, &bytes(json!({"payable": 990}))).unwrap();
        g.next_request(); // the order: timed out, never checked
        let again = g.next_request();
        assert_eq!(again.line(), "POST /api/v1/shop/quote", "starts over");
        assert_eq!(g.log.failed.len(), 1);
    }

    #[test]
    fn figures_count_the_measured_time_only() {
        let t0 = Instant::now();
        let at = |ms| t0 + Duration::from_millis(ms);
        let log = FlowLog {
            created: 5,
            completed: vec![at(100), at(1_000), at(1_500), at(2_000)],
            failed: vec![],
            orders: vec![(at(50), 900), (at(1_000), 1_000), (at(1_200), 3_000)],
        };
        let f = figures(&log, at(1_000), 2.0);
        assert_eq!(f.completed, 3);
        assert!((f.orders_per_sec - 1.5).abs() < 1e-9);
        let p50 = f.order_latency.p50.unwrap();
        assert!((0.99..=1.01).contains(&p50), "{p50}");
        let p99 = f.order_latency.p99.unwrap();
        assert!((2.99..=3.01).contains(&p99), "{p99}");
        let none = figures(&FlowLog::default(), t0, 0.0);
        assert_eq!((none.completed, none.orders_per_sec, none.order_latency.p50), (0, 0.0, None));
    }

    #[test]
    fn tags_differ() {
        let a = unique_tag();
        std::thread::sleep(Duration::from_millis(1));
        assert_ne!(a, unique_tag());
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
    }
}

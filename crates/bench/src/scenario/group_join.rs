//! `group-join`: the last seats of 拼团 group buying under a crowd. Setup creates a product and a group buy of
//! groups of [`GROUP_SIZE`] through the console API, logs in [`GROUPS`] leaders and [`JOINERS`] buyers (each
//! with an address), and every leader opens a group and pays in the sandbox; the load starts once every
//! leader's payment has seated them. Then every connection is opened, and all fire at once: each connection
//! takes its buyers one after another (connection c takes buyers c, c + n, …), and buyer j joins group
//! j mod [`GROUPS`], so that 20 buyers compete for each group's 19 seats. A join is the group order
//! (`POST /api/v1/shop/group-buys/{id}/orders` with the group, a fresh `Idempotency-Key`), paying it
//! (`POST /api/v1/shop/orders/{id}/pay`, sandbox) and completing the sandbox payment (202); a refusal of the
//! order (409 `group_buy.*`, e.g. `group_buy.full`) ends that buyer's turn and counts as an answer.
//!
//! Afterwards the groups are read back from the console (`GET /api/v1/admin/group-buys/groups`), once the
//! server has taken in every payment: every group must be complete with exactly [`GROUP_SIZE`] paid members,
//! and no buyer may be charged for a seat they did not get: the buyers seated plus those whose payment is
//! being given back (`refund_due`) must equal those whose payment the client completed.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use anyhow::{ensure, Context, Result};
use bytes::Bytes;
use hyper::header::{HeaderValue, AUTHORIZATION, CONTENT_TYPE};
use hyper::http::uri::PathAndQuery;
use hyper::{Method, StatusCode};
use serde_json::{json, Value};

use super::checkout::unique_tag;
use super::{complete_path, error_code, status_kind, Req, RequestGen, Scenario, IDEMPOTENCY_KEY};
use crate::api::{in_parallel, Api, Buyer, Ctx};
use crate::load::new_histogram;
use crate::report::{factor, group, millis, rate, Latency, RunReport};

/// Groups opened by their leaders in setup.
pub const GROUPS: usize = 100;
/// Members of a complete group, the leader included.
pub const GROUP_SIZE: i64 = 20;
/// Buyers who join during the load: 20 for each group's 19 seats.
pub const JOINERS: usize = 2_000;
const GROUP_PRICE: i64 = 3900;
/// How long verification waits for the server to take in the payments the client completed.
const SETTLE_WAIT: Duration = Duration::from_secs(60);

#[derive(Default)]
pub struct GroupJoin {
    tag: String,
    activity_id: i64,
    sku_id: i64,
    /// The groups the leaders opened.
    groups: Vec<i64>,
    joiners: Vec<Buyer>,
    conns: usize,
    shared: Arc<Shared>,
    figures: Option<Figures>,
}

#[derive(Default)]
struct Shared {
    /// When the first generator was made: the load's start.
    start: OnceLock<Instant>,
    log: Mutex<Log>,
}

/// What the connections saw.
#[derive(Default, Debug)]
struct Log {
    /// Latencies of the group order requests answered 201, in µs.
    placed: Vec<u64>,
    /// Joins whose sandbox payment was completed (202): when, and the whole join's time (order, pay,
    /// complete) in µs.
    paid: Vec<(Instant, u64)>,
    /// Refused group orders by error code.
    refused: BTreeMap<String, u64>,
    /// Joins given up after an unexpected answer.
    failed: u64,
}

impl Log {
    fn merge(&mut self, other: Log) {
        self.placed.extend(other.placed);
        self.paid.extend(other.paid);
        for (code, n) in other.refused {
            *self.refused.entry(code).or_default() += n;
        }
        self.failed += other.failed;
    }
}

#[derive(Clone, Copy, Debug)]
struct Figures {
    joins_per_sec: f64,
    order_latency: Latency,
    join_latency: Latency,
}

/// The groups as the console shows them.
#[derive(Debug, Default, PartialEq)]
struct Tally {
    groups: usize,
    /// Groups complete with exactly [`GROUP_SIZE`] paid members.
    full: usize,
    /// Members in state `paid`, leaders included.
    seated: u64,
    /// Members whose payment is given back.
    refunded: u64,
    /// Members whose order is placed but not (yet) paid.
    awaiting: u64,
}

fn tally(groups: &[Value]) -> Tally {
    let mut t = Tally { groups: groups.len(), ..Tally::default() };
    for g in groups {
        let members = g["members"].as_array().map(Vec::as_slice).unwrap_or_default();
        let count = |state: &str| members.iter().filter(|m| m["state"] == state).count() as u64;
        let paid = count("paid");
        t.seated += paid;
        t.refunded += count("refund_due");
        t.awaiting += count("awaiting_payment");
        if g["status"] == "complete" && g["paid"] == GROUP_SIZE && paid == GROUP_SIZE as u64 {
            t.full += 1;
        }
    }
    t
}

impl GroupJoin {
    fn orders_path(&self) -> String {
        format!("/api/v1/shop/group-buys/{}/orders", self.activity_id)
    }

    /// The activity's groups, from the console.
    async fn read_groups(&self, api: &Api, admin: &str) -> Result<Vec<Value>> {
        let path = format!("/api/v1/admin/group-buys/groups?activity_id={}&page_size=100", self.activity_id);
        let answer = api.expect_json(Req::get(&path)?.bearer(admin)?).await.context("reading the groups")?;
        Ok(answer["items"].as_array().cloned().unwrap_or_default())
    }
}

impl Scenario for GroupJoin {
    fn name(&self) -> &'static str {
        "group-join"
    }

    fn request_line(&self) -> String {
        format!(
            "POST /api/v1/shop/group-buys/{{id}}/orders → pay → sandbox complete ({JOINERS} buyers, {GROUPS} groups \
             of {GROUP_SIZE})"
        )
    }

    async fn setup(&mut self, ctx: &Ctx) -> Result<()> {
        self.tag = unique_tag();
        self.conns = ctx.connections().max(1);
        let api = ctx.api();
        let admin = ctx.admin_login().await?;
        let category_id = api.root_category(&admin, "拼团压测").await?;
        let product = api
            .create_product(&admin, category_id, &format!("GROUP-{}", self.tag), "拼团压测商品", 10_000, 5000)
            .await?;
        self.sku_id = product.sku_id;
        let now =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_millis() as i64;
        let activity = api
            .expect_json(Req::post("/api/v1/admin/group-buys")?.bearer(&admin)?.json(&json!({
                "name": "拼团压测", "product_id": product.id, "starts_at": now - 60_000, "ends_at": now + 86_400_000,
                "group_size": GROUP_SIZE, "time_limit_minutes": 60, "per_buyer_limit": 1,
                "skus": [{"sku_id": product.sku_id, "group_price": GROUP_PRICE}],
            }))?)
            .await
            .context("creating the group buy")?;
        self.activity_id = activity.get("id").and_then(Value::as_i64).context("the group buy answer has no id")?;

        eprintln!("group-join: logging in {GROUPS} leaders and {JOINERS} buyers");
        let names = (0..GROUPS)
            .map(|i| format!("gblead{i}-{}", self.tag))
            .chain((0..JOINERS).map(|j| format!("gbjoin{j}-{}", self.tag)))
            .collect();
        let mut buyers = api.buyers_with_addresses(names).await?;
        self.joiners = buyers.split_off(GROUPS);

        eprintln!("group-join: {GROUPS} leaders open a group each and pay");
        let (api2, path, sku_id, tag) = (api.clone(), self.orders_path(), self.sku_id, self.tag.clone());
        self.groups = in_parallel(buyers.into_iter().enumerate().collect(), move |(i, leader): (usize, Buyer)| {
            let (api, path, tag) = (api2.clone(), path.clone(), tag.clone());
            async move {
                let mut req = Req::post(&path)?
                    .bearer(&leader.token)?
                    .json(&json!({"sku_id": sku_id, "address_id": leader.address_id}))?;
                req.headers.push((IDEMPOTENCY_KEY, HeaderValue::from_str(&format!("bench-gblead-{tag}-{i}"))?));
                let opened = api.expect_json(req).await.context("opening a group")?;
                let order_id = opened.pointer("/order/id").and_then(Value::as_i64).context("no order id")?;
                api.pay_in_sandbox(&leader.token, order_id).await?;
                opened.get("group_id").and_then(Value::as_i64).context("no group id")
            }
        })
        .await?;

        // Joins are refused until the leader has paid: wait for the server to take in the leaders' payments.
        let deadline = Instant::now() + SETTLE_WAIT;
        loop {
            let t = tally(&self.read_groups(api, &admin).await?);
            if t.groups == GROUPS && t.seated == GROUPS as u64 {
                break;
            }
            ensure!(Instant::now() < deadline, "the leaders' payments were not taken in within {SETTLE_WAIT:?}: {t:?}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        ctx.admin_logout(&admin).await?;
        Ok(())
    }

    /// The buyers are waiting on open connections when the joining starts.
    fn opens_first(&self) -> bool {
        true
    }

    fn generator(&self, conn: usize) -> Box<dyn RequestGen> {
        self.shared.start.get_or_init(Instant::now);
        let n = self.conns.max(1);
        let mine = (conn..self.joiners.len())
            .step_by(n)
            .map(|j| {
                let b = &self.joiners[j];
                let mut auth = HeaderValue::from_str(&format!("Bearer {}", b.token)).expect("tokens are ASCII");
                auth.set_sensitive(true);
                Joiner { auth, address_id: b.address_id, group_id: self.groups[j % self.groups.len()], no: j }
            })
            .collect();
        Box::new(JoinGen {
            orders: PathAndQuery::try_from(self.orders_path()).expect("valid path"),
            sku_id: self.sku_id,
            joiners: mine,
            next: 0,
            step: Step::Place,
            prefix: self.tag.clone(),
            sent: None,
            began: None,
            log: Log::default(),
            shared: self.shared.clone(),
        })
    }

    async fn verify(&mut self, ctx: &Ctx, _report: &RunReport) -> Result<Vec<String>> {
        let log = std::mem::take(&mut *self.shared.log.lock().expect("join log"));
        let start = *self.shared.start.get().context("no load ran")?;
        let paid = log.paid.len() as u64;
        let admin = ctx.admin_login().await?;
        // The sandbox notifies the server of each completed payment a little later: wait until every payment
        // the client completed is either seated or being given back.
        let deadline = Instant::now() + SETTLE_WAIT;
        let t = loop {
            let t = tally(&self.read_groups(ctx.api(), &admin).await?);
            let taken_in = (t.seated + t.refunded).saturating_sub(GROUPS as u64);
            if taken_in >= paid || Instant::now() >= deadline {
                break t;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        };
        ctx.admin_logout(&admin).await?;

        let last = log.paid.iter().map(|p| p.0).max();
        let secs = last.map(|t| (t - start).as_secs_f64()).unwrap_or(0.0);
        let mut order_hist = new_histogram();
        for us in &log.placed {
            order_hist.saturating_record((*us).max(1));
        }
        let mut join_hist = new_histogram();
        for (_, us) in &log.paid {
            join_hist.saturating_record((*us).max(1));
        }
        let f = Figures {
            joins_per_sec: if secs > 0.0 { paid as f64 / secs } else { 0.0 },
            order_latency: Latency::of(&order_hist),
            join_latency: Latency::of(&join_hist),
        };
        self.figures = Some(f);
        let seated = t.seated.saturating_sub(GROUPS as u64);
        let mut notes = vec![
            format!(
                "groups complete with exactly {GROUP_SIZE} paid members: {} of {} (server: {} seated buyers and \
                 {GROUPS} leaders, {} refunded, {} awaiting payment)",
                t.full,
                t.groups,
                group(seated),
                group(t.refunded),
                group(t.awaiting)
            ),
            format!(
                "paid by the client: {}; seated {} + refunded {} = {}",
                group(paid),
                group(seated),
                group(t.refunded),
                group(seated + t.refunded)
            ),
            format!(
                "joining: {} joins/s over {:.1} ms; order p50 {} / p99 {}, whole join p50 {} / p99 {}",
                rate(f.joins_per_sec),
                secs * 1000.0,
                millis(f.order_latency.p50),
                millis(f.order_latency.p99),
                millis(f.join_latency.p50),
                millis(f.join_latency.p99)
            ),
        ];
        for (code, n) in &log.refused {
            notes.push(format!("refused {code}: {}", group(*n)));
        }
        if log.failed > 0 {
            notes.push(format!("joins given up after an unexpected answer: {}", group(log.failed)));
        }
        ensure!(
            t.groups == GROUPS && t.full == GROUPS,
            "{} of {} groups are complete with exactly {GROUP_SIZE} paid members",
            t.full,
            t.groups
        );
        ensure!(
            seated + t.refunded == paid,
            "seated {seated} + refunded {} ≠ {paid} payments the client completed",
            t.refunded
        );
        Ok(notes)
    }

    fn against_ceiling(&self, ceiling: &RunReport) -> Vec<String> {
        let Some(f) = self.figures else { return Vec::new() };
        let ratio = if ceiling.requests_per_sec > 0.0 {
            format!("{:.4}", f.joins_per_sec / ceiling.requests_per_sec)
        } else {
            "-".into()
        };
        vec![
            format!(
                "joins/s ratio to ceiling req/s: {ratio} ({} / {})",
                rate(f.joins_per_sec),
                rate(ceiling.requests_per_sec)
            ),
            format!(
                "order p99 / whole join p99 ratio to ceiling p99: {} / {}",
                factor(f.order_latency.p99.zip(ceiling.latency_ms.p99).map(|(a, b)| a / b)),
                factor(f.join_latency.p99.zip(ceiling.latency_ms.p99).map(|(a, b)| a / b))
            ),
        ]
    }
}

/// One buyer's join: who, with which address, into which group; `no` makes the idempotency key.
struct Joiner {
    auth: HeaderValue,
    address_id: i64,
    group_id: i64,
    no: usize,
}

#[derive(Clone, Debug, PartialEq)]
enum Step {
    Place,
    Pay { order_id: i64 },
    Complete { path: PathAndQuery },
}

/// One connection's buyers, each joining in turn.
struct JoinGen {
    orders: PathAndQuery,
    sku_id: i64,
    joiners: Vec<Joiner>,
    /// The buyer whose join is under way.
    next: usize,
    step: Step,
    prefix: String,
    sent: Option<Instant>,
    /// When the current buyer's first request went out.
    began: Option<Instant>,
    log: Log,
    shared: Arc<Shared>,
}

impl JoinGen {
    fn post(&self, path: PathAndQuery, body: &Value) -> Req {
        let j = &self.joiners[self.next];
        Req {
            method: Method::POST,
            path,
            headers: vec![
                (AUTHORIZATION, j.auth.clone()),
                (CONTENT_TYPE, HeaderValue::from_static("application/json")),
            ],
            body: Bytes::from(serde_json::to_vec(body).expect("JSON")),
        }
    }

    /// The next buyer's turn.
    fn advance(&mut self) {
        self.next += 1;
        self.step = Step::Place;
        self.began = None;
    }

    fn fail(&mut self, kind: String) -> Result<(), String> {
        self.log.failed += 1;
        self.advance();
        Err(kind)
    }
}

impl RequestGen for JoinGen {
    fn finished(&self) -> bool {
        self.next >= self.joiners.len()
    }

    /// A request that got no answer (timeout, broken connection) is sent again: the order under the same
    /// idempotency key, so that it is placed at most once.
    fn next_request(&mut self) -> Req {
        let now = Instant::now();
        self.sent = Some(now);
        self.began.get_or_insert(now);
        match self.step.clone() {
            Step::Place => {
                let j = &self.joiners[self.next];
                let body = json!({"sku_id": self.sku_id, "address_id": j.address_id, "group_id": j.group_id});
                let key = HeaderValue::from_str(&format!("bench-gbjoin-{}-{}", self.prefix, j.no)).expect("ASCII");
                let mut req = self.post(self.orders.clone(), &body);
                req.headers.push((IDEMPOTENCY_KEY, key));
                req
            }
            Step::Pay { order_id } => {
                let path = PathAndQuery::try_from(format!("/api/v1/shop/orders/{order_id}/pay")).expect("valid path");
                self.post(path, &json!({"provider": "sandbox"}))
            }
            Step::Complete { path } => self.post(path, &json!({})),
        }
    }

    fn check(&mut self, status: StatusCode, body: &Bytes) -> Result<(), String> {
        let now = Instant::now();
        let micros = |t: Option<Instant>| t.map(|t| u64::try_from((now - t).as_micros()).unwrap_or(u64::MAX));
        let sent = micros(self.sent.take());
        let answer = || serde_json::from_slice::<Value>(body).ok();
        match self.step.clone() {
            Step::Place => match status {
                StatusCode::CREATED => match answer().and_then(|a| a.pointer("/order/id").and_then(Value::as_i64)) {
                    Some(order_id) => {
                        self.log.placed.extend(sent);
                        self.step = Step::Pay { order_id };
                    }
                    None => return self.fail("group order without id".into()),
                },
                StatusCode::CONFLICT => {
                    let code = error_code(body).unwrap_or_else(|| "conflict".into());
                    if !code.starts_with("group_buy.") {
                        return self.fail(code);
                    }
                    *self.log.refused.entry(code).or_default() += 1;
                    self.advance();
                }
                other => return self.fail(status_kind(other)),
            },
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
                self.log.paid.push((now, micros(self.began).unwrap_or(0)));
                self.advance();
            }
        }
        Ok(())
    }
}

impl Drop for JoinGen {
    fn drop(&mut self) {
        if let Ok(mut log) = self.shared.log.lock() {
            log.merge(std::mem::take(&mut self.log));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gen(shared: &Arc<Shared>) -> JoinGen {
        let joiner = |no, group_id| Joiner { auth: HeaderValue::from_static("Bearer a"), address_id: 5, group_id, no };
        JoinGen {
            orders: PathAndQuery::from_static("/api/v1/shop/group-buys/3/orders"),
            sku_id: 42,
            joiners: vec![joiner(0, 11), joiner(7, 12)],
            next: 0,
            step: Step::Place,
            prefix: "t".into(),
            sent: None,
            began: None,
            log: Log::default(),
            shared: shared.clone(),
        }
    }

    fn body(req: &Req) -> Value {
        serde_json::from_slice(&req.body).unwrap()
    }

    #[test]
    fn a_join_orders_pays_and_completes_and_a_refusal_ends_the_turn() {
        let shared = Arc::new(Shared::default());
        let mut g = gen(&shared);
        assert!(!g.finished());
        let r = g.next_request();
        assert_eq!(r.line(), "POST /api/v1/shop/group-buys/3/orders");
        assert_eq!(body(&r), json!({"sku_id": 42, "address_id": 5, "group_id": 11}));
        let key = r.headers.iter().find(|h| h.0 == IDEMPOTENCY_KEY).unwrap().1.clone();
        assert_eq!(key, "bench-gbjoin-t-0");
        // No answer: the same order again, under the same key.
        let again = g.next_request();
        assert_eq!(again.headers.iter().find(|h| h.0 == IDEMPOTENCY_KEY).unwrap().1, key);
        assert_eq!(g.check(StatusCode::CREATED, &Bytes::from_static(br#"{"order":{"id":9},"group_id":11}"#)), Ok(()));
        assert_eq!(g.next_request().line(), "POST /api/v1/shop/orders/9/pay");
        let paying = Bytes::from_static(br#"{"sandbox_complete_url":"/api/v1/shop/sandbox/payments/N1/complete"}"#);
        assert_eq!(g.check(StatusCode::OK, &paying), Ok(()));
        assert_eq!(g.next_request().line(), "POST /api/v1/shop/sandbox/payments/N1/complete");
        assert_eq!(g.check(StatusCode::ACCEPTED, &Bytes::new()), Ok(()));
        // The second buyer is refused: their turn ends, and so does the connection's load.
        let r = g.next_request();
        assert_eq!(body(&r)["group_id"], 12);
        let full = Bytes::from_static(br#"{"error":{"code":"group_buy.full"}}"#);
        assert_eq!(g.check(StatusCode::CONFLICT, &full), Ok(()));
        assert!(g.finished());
        drop(g);
        let log = shared.log.lock().unwrap();
        assert_eq!((log.placed.len(), log.paid.len(), log.failed), (1, 1, 0));
        assert_eq!(log.refused["group_buy.full"], 1);
    }

    #[test]
    fn unexpected_answers_give_the_join_up() {
        let shared = Arc::new(Shared::default());
        let mut g = gen(&shared);
        g.next_request();
        assert_eq!(g.check(StatusCode::CONFLICT, &Bytes::from_static(b"{}")), Err("conflict".into()));
        g.next_request();
        assert_eq!(g.check(StatusCode::CREATED, &Bytes::from_static(br#"{"order":{"id":1}}"#)), Ok(()));
        g.next_request();
        assert_eq!(g.check(StatusCode::INTERNAL_SERVER_ERROR, &Bytes::new()), Err("HTTP 500".into()));
        assert!(g.finished());
        drop(g);
        assert_eq!(shared.log.lock().unwrap().failed, 2);
    }

    #[test]
    fn groups_are_tallied_by_member_state() {
        let member = |state: &str| json!({"state": state});
        let mut complete: Vec<Value> = (0..20).map(|_| member("paid")).collect();
        complete.push(member("refund_due"));
        let groups = [
            json!({"status": "complete", "paid": 20, "members": complete}),
            json!({"status": "open", "paid": 2, "members": [member("paid"), member("paid"), member("awaiting_payment")]}),
        ];
        assert_eq!(tally(&groups), Tally { groups: 2, full: 1, seated: 22, refunded: 1, awaiting: 1 });
    }
}

//! `flash`: a flash sale (秒杀) under a crowd. Setup creates a product and a sale of `--stock` units with a
//! per-buyer limit of `--per-buyer` through the console API, and logs `--buyers` sandbox buyers in beforehand.
//! Then every connection fires at once and keeps firing after the sale sold out: each request is one buyer's
//! `POST /api/v1/shop/flash-sales/{id}/orders` with a fresh `Idempotency-Key`, the connection's buyers taking
//! turns. Answers: 201 (an order), or 409 with the refusal's reason; anything else is an error.
//!
//! Afterwards the sale is read back from the server: `oversold` is the units in live orders beyond the stock
//! (must be 0), and the server's count of flash orders must equal the client's count of 201 answers.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use anyhow::{ensure, Context, Result};
use bytes::Bytes;
use hyper::header::HeaderValue;
use hyper::http::uri::PathAndQuery;
use hyper::StatusCode;
use serde_json::{json, Value};

use super::{error_code, status_kind, Req, RequestGen, Scenario, IDEMPOTENCY_KEY};
use crate::api::Ctx;
use crate::load::new_histogram;
use crate::report::{factor, group, millis, rate, Latency, RunReport};

/// Sale shape from the command line.
#[derive(Clone, Copy, Debug)]
pub struct FlashOpts {
    pub buyers: usize,
    pub stock: i64,
    pub per_buyer: i64,
}

impl Default for FlashOpts {
    fn default() -> Self {
        FlashOpts { buyers: 500, stock: 100, per_buyer: 1 }
    }
}

#[derive(Default)]
pub struct Flash {
    opts: FlashOpts,
    tag: String,
    sale_id: i64,
    conns: usize,
    tokens: Vec<String>,
    shared: Arc<Shared>,
    figures: Option<Figures>,
}

#[derive(Default)]
struct Shared {
    start: OnceLock<Instant>,
    log: Mutex<Log>,
}

#[derive(Default, Debug)]
struct Log {
    /// 201 answers: when answered, and the latency in µs.
    created: Vec<(Instant, u64)>,
    /// Refusals by reason code, with when answered and the latency in µs.
    refused: BTreeMap<String, Vec<(Instant, u64)>>,
}

impl Log {
    fn merge(&mut self, other: Log) {
        self.created.extend(other.created);
        for (k, v) in other.refused {
            self.refused.entry(k).or_default().extend(v);
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct Figures {
    orders: u64,
    orders_per_sec: f64,
    order_latency: Latency,
    sold_out_per_sec: f64,
    sold_out_latency: Latency,
}

impl Flash {
    pub fn new(opts: FlashOpts) -> Flash {
        Flash { opts, ..Flash::default() }
    }
}

impl Scenario for Flash {
    fn name(&self) -> &'static str {
        "flash"
    }

    fn request_line(&self) -> String {
        format!(
            "POST /api/v1/shop/flash-sales/{{id}}/orders ({} buyers, {} units, limit {} each)",
            self.opts.buyers, self.opts.stock, self.opts.per_buyer
        )
    }

    async fn setup(&mut self, ctx: &Ctx) -> Result<()> {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
        self.tag = format!("{:x}{:x}", now.as_secs(), now.subsec_nanos());
        let api = ctx.api();
        let admin = ctx.admin_login().await?;
        let category_id = api.root_category(&admin, "秒杀压测").await?;
        let product = api
            .create_product(&admin, category_id, &format!("FLASH-{}", self.tag), "秒杀压测商品", self.opts.stock, 8800)
            .await?;
        let ms = now.as_millis() as i64;
        let sale = api
            .expect_json(Req::post("/api/v1/admin/flash-sales")?.bearer(&admin)?.json(&json!({
                "title": format!("压测秒杀 {}", self.tag),
                "product_id": product.id,
                "starts_at": ms, "ends_at": ms + 3_600_000,
                "per_buyer_limit": self.opts.per_buyer,
                "items": [{"sku_id": product.sku_id, "flash_price": 100, "quantity": self.opts.stock}],
            }))?)
            .await
            .context("creating the flash sale")?;
        self.sale_id = sale.get("id").and_then(Value::as_i64).context("the sale answer has no id")?;
        ctx.admin_logout(&admin).await?;

        eprintln!("flash: logging in {} buyers", self.opts.buyers);
        let names = (0..self.opts.buyers).map(|i| format!("flash{i}-{}", self.tag)).collect();
        self.tokens = api.buyer_tokens(names).await?;
        self.conns = ctx.connections();
        Ok(())
    }

    /// The buyers are waiting on open connections when the sale starts; the selling time runs from the
    /// moment the first request goes out, not from the first connection attempt.
    fn opens_first(&self) -> bool {
        true
    }

    fn generator(&self, conn: usize) -> Box<dyn RequestGen> {
        self.shared.start.get_or_init(Instant::now);
        // Connection c takes buyers c, c + n, c + 2n, … of n connections (or one buyer when there are fewer).
        let n = self.conns.max(1);
        let picked: Vec<&String> = if self.tokens.len() >= n {
            self.tokens.iter().skip(conn % n).step_by(n).collect()
        } else {
            self.tokens.get(conn % self.tokens.len().max(1)).into_iter().collect()
        };
        let mine: Vec<HeaderValue> = picked
            .into_iter()
            .map(|t| {
                let mut v = HeaderValue::from_str(&format!("Bearer {t}")).expect("token");
                v.set_sensitive(true);
                v
            })
            .collect();
        Box::new(FlashGen {
            path: PathAndQuery::try_from(format!("/api/v1/shop/flash-sales/{}/orders", self.sale_id)).expect("path"),
            buyers: mine,
            next: 0,
            seq: 0,
            prefix: format!("{}-{conn}", self.tag),
            sent: None,
            log: Log::default(),
            shared: self.shared.clone(),
        })
    }

    async fn verify(&mut self, ctx: &Ctx, _report: &RunReport) -> Result<Vec<String>> {
        let log = std::mem::take(&mut *self.shared.log.lock().expect("flash log"));
        let start = *self.shared.start.get().context("no load ran")?;
        let admin = ctx.admin_login().await?;
        let sale = ctx
            .api()
            .expect_json(Req::get(&format!("/api/v1/admin/flash-sales/{}", self.sale_id))?.bearer(&admin)?)
            .await
            .context("reading the sale back")?;
        ctx.admin_logout(&admin).await?;
        let live_units = sale.get("live_units").and_then(Value::as_i64).context("no live_units")?;
        let live_orders = sale.get("live_orders").and_then(Value::as_i64).context("no live_orders")?;
        let sold = sale.pointer("/items/0/sold").and_then(Value::as_i64).context("no sold")?;
        let oversold = (live_units - self.opts.stock).max(0) + (sold - self.opts.stock).max(0);

        let last_order = log.created.iter().map(|c| c.0).max();
        let selling = last_order.map(|t| (t - start).as_secs_f64()).unwrap_or(0.0);
        let mut hist = new_histogram();
        for (_, us) in &log.created {
            hist.saturating_record((*us).max(1));
        }
        let sold_out = log.refused.get("flash_sold_out").cloned().unwrap_or_default();
        let after: Vec<&(Instant, u64)> = sold_out.iter().filter(|r| last_order.is_none_or(|t| r.0 > t)).collect();
        let end = after.iter().map(|r| r.0).max();
        let after_secs = match (last_order, end) {
            (Some(a), Some(b)) if b > a => (b - a).as_secs_f64(),
            _ => 0.0,
        };
        let mut refusal_hist = new_histogram();
        for r in &after {
            refusal_hist.saturating_record(r.1.max(1));
        }
        let f = Figures {
            orders: log.created.len() as u64,
            orders_per_sec: if selling > 0.0 { log.created.len() as f64 / selling } else { 0.0 },
            order_latency: Latency::of(&hist),
            sold_out_per_sec: if after_secs > 0.0 { after.len() as f64 / after_secs } else { 0.0 },
            sold_out_latency: Latency::of(&refusal_hist),
        };
        self.figures = Some(f);
        let mut notes = vec![
            format!("oversold: {oversold}"),
            format!(
                "orders: {} of {} units (server: {} orders, {} units in live orders, sold {})",
                group(f.orders),
                group(self.opts.stock as u64),
                group(live_orders as u64),
                group(live_units as u64),
                group(sold as u64)
            ),
            format!(
                "selling: {} orders/s over {:.1} ms, order p50 {} / p99 {}",
                rate(f.orders_per_sec),
                selling * 1000.0,
                millis(f.order_latency.p50),
                millis(f.order_latency.p99)
            ),
            format!(
                "after sell-out: {} sold-out refusals/s, p50 {} / p99 {}",
                rate(f.sold_out_per_sec),
                millis(f.sold_out_latency.p50),
                millis(f.sold_out_latency.p99)
            ),
        ];
        for (reason, v) in &log.refused {
            notes.push(format!("refused {reason}: {}", group(v.len() as u64)));
        }
        ensure!(oversold == 0, "oversold: {oversold}");
        ensure!(
            live_orders == log.created.len() as i64,
            "the server holds {live_orders} flash orders, the client saw {} created (201) answers",
            log.created.len()
        );
        Ok(notes)
    }

    fn against_ceiling(&self, ceiling: &RunReport) -> Vec<String> {
        let Some(f) = self.figures else { return Vec::new() };
        let div = |a: f64, b: f64| if b > 0.0 { format!("{:.3}", a / b) } else { "-".into() };
        vec![
            format!(
                "orders/s while selling, ratio to ceiling req/s: {} ({} / {})",
                div(f.orders_per_sec, ceiling.requests_per_sec),
                rate(f.orders_per_sec),
                rate(ceiling.requests_per_sec)
            ),
            format!(
                "sold-out refusals/s, ratio to ceiling req/s: {} ({} / {})",
                div(f.sold_out_per_sec, ceiling.requests_per_sec),
                rate(f.sold_out_per_sec),
                rate(ceiling.requests_per_sec)
            ),
            format!(
                "order p99 / sold-out p99 ratio to ceiling p99: {} / {}",
                factor(f.order_latency.p99.zip(ceiling.latency_ms.p99).map(|(a, b)| a / b)),
                factor(f.sold_out_latency.p99.zip(ceiling.latency_ms.p99).map(|(a, b)| a / b))
            ),
        ]
    }
}

struct FlashGen {
    path: PathAndQuery,
    buyers: Vec<HeaderValue>,
    next: usize,
    seq: u64,
    prefix: String,
    sent: Option<Instant>,
    log: Log,
    shared: Arc<Shared>,
}

impl RequestGen for FlashGen {
    fn next_request(&mut self) -> Req {
        let i = self.next % self.buyers.len().max(1);
        self.next += 1;
        self.seq += 1;
        self.sent = Some(Instant::now());
        let mut headers = vec![(hyper::header::CONTENT_TYPE, HeaderValue::from_static("application/json"))];
        if let Some(auth) = self.buyers.get(i) {
            headers.push((hyper::header::AUTHORIZATION, auth.clone()));
        }
        headers.push((
            IDEMPOTENCY_KEY,
            HeaderValue::from_str(&format!("bench-{}-{}", self.prefix, self.seq)).expect("ASCII key"),
        ));
        Req { method: hyper::Method::POST, path: self.path.clone(), headers, body: Bytes::from_static(b"{}") }
    }

    fn check(&mut self, status: StatusCode, body: &Bytes) -> Result<(), String> {
        let now = Instant::now();
        let us = self.sent.take().map(|s| u64::try_from((now - s).as_micros()).unwrap_or(u64::MAX)).unwrap_or(0);
        match status {
            StatusCode::CREATED => {
                self.log.created.push((now, us));
                Ok(())
            }
            StatusCode::CONFLICT => {
                let code = error_code(body).unwrap_or_else(|| "conflict".into());
                let ok = code.starts_with("flash_");
                self.log.refused.entry(code.clone()).or_default().push((now, us));
                if ok {
                    Ok(())
                } else {
                    Err(code)
                }
            }
            other => Err(status_kind(other)),
        }
    }
}

impl Drop for FlashGen {
    fn drop(&mut self) {
        if let Ok(mut log) = self.shared.log.lock() {
            log.merge(std::mem::take(&mut self.log));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_take_turns_and_refusals_are_counted_by_reason() {
        let shared = Arc::new(Shared::default());
        let mut g = FlashGen {
            path: PathAndQuery::from_static("/api/v1/shop/flash-sales/7/orders"),
            buyers: vec![HeaderValue::from_static("Bearer a"), HeaderValue::from_static("Bearer b")],
            next: 0,
            seq: 0,
            prefix: "t-0".into(),
            sent: None,
            log: Log::default(),
            shared: shared.clone(),
        };
        let auth = |r: &Req| r.headers.iter().find(|h| h.0 == hyper::header::AUTHORIZATION).unwrap().1.clone();
        let key = |r: &Req| r.headers.iter().find(|h| h.0 == IDEMPOTENCY_KEY).unwrap().1.clone();
        let r1 = g.next_request();
        assert_eq!(r1.line(), "POST /api/v1/shop/flash-sales/7/orders");
        assert_eq!(auth(&r1), "Bearer a");
        assert_eq!(g.check(StatusCode::CREATED, &Bytes::from_static(b"{\"order_id\":1}")), Ok(()));
        let r2 = g.next_request();
        assert_eq!(auth(&r2), "Bearer b");
        assert_ne!(key(&r1), key(&r2));
        let sold_out = Bytes::from_static(br#"{"error":{"code":"flash_sold_out"}}"#);
        assert_eq!(g.check(StatusCode::CONFLICT, &sold_out), Ok(()));
        g.next_request();
        assert_eq!(g.check(StatusCode::CONFLICT, &Bytes::from_static(b"{}")), Err("conflict".into()));
        g.next_request();
        assert_eq!(g.check(StatusCode::INTERNAL_SERVER_ERROR, &Bytes::new()), Err("HTTP 500".into()));
        drop(g);
        let log = shared.log.lock().unwrap();
        assert_eq!(log.created.len(), 1);
        assert_eq!(log.refused["flash_sold_out"].len(), 1);
        assert_eq!(log.refused["conflict"].len(), 1);
    }
}

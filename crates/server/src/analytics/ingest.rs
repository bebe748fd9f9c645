//! Storefront events: a batch validated by core, charged to its visitor (or logged-in buyer) and to its address
//! by token buckets, and appended in one statement.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use minimall_core::analytics::events::{self as rules, ClientEvent};
use minimall_store::events::NewEvent;

use crate::analytics::refusals::AnalyticsRefusal;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// The largest body the events endpoint reads (a full batch of 100 events fits well within it).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// What one actor (a visitor, or a logged-in buyer) may send: a burst of this many events…
pub const ACTOR_BURST: f64 = 300.0;
/// …refilled at this many events a second.
pub const ACTOR_RATE: f64 = 5.0;
/// What one address may send (several visitors behind one network): a burst…
pub const ADDRESS_BURST: f64 = 5_000.0;
/// …refilled at this many events a second.
pub const ADDRESS_RATE: f64 = 100.0;
/// A request costs at least this many events, so that a flood of tiny batches is limited too.
pub const MIN_COST: f64 = 5.0;

/// Token buckets by key. Idle keys are forgotten when the table grows large (a forgotten key starts full,
/// which is what an idle key would have reached anyway).
struct Buckets {
    burst: f64,
    rate: f64,
    map: HashMap<String, (f64, Instant)>,
}

impl Buckets {
    const MAX_KEYS: usize = 100_000;

    fn new(burst: f64, rate: f64) -> Buckets {
        Buckets { burst, rate, map: HashMap::new() }
    }

    fn level(&self, key: &str, now: Instant) -> f64 {
        match self.map.get(key) {
            Some((tokens, at)) => (tokens + now.duration_since(*at).as_secs_f64() * self.rate).min(self.burst),
            None => self.burst,
        }
    }

    /// Seconds until `cost` is available (0: available now).
    fn wait(&self, key: &str, cost: f64, now: Instant) -> f64 {
        let have = self.level(key, now);
        if have >= cost {
            0.0
        } else {
            (cost.min(self.burst) - have) / self.rate
        }
    }

    fn take(&mut self, key: &str, cost: f64, now: Instant) {
        if self.map.len() >= Self::MAX_KEYS {
            let (burst, rate) = (self.burst, self.rate);
            self.map.retain(|_, (t, at)| *t + now.duration_since(*at).as_secs_f64() * rate < burst);
        }
        let level = self.level(key, now);
        self.map.insert(key.to_string(), (level - cost, now));
    }
}

/// The rate limits of the events endpoint, per actor and per address.
pub struct Limiter {
    inner: Mutex<(Buckets, Buckets)>,
}

impl Default for Limiter {
    fn default() -> Limiter {
        Limiter::new(ACTOR_BURST, ACTOR_RATE, ADDRESS_BURST, ADDRESS_RATE)
    }
}

impl Limiter {
    pub fn new(actor_burst: f64, actor_rate: f64, address_burst: f64, address_rate: f64) -> Limiter {
        Limiter {
            inner: Mutex::new((Buckets::new(actor_burst, actor_rate), Buckets::new(address_burst, address_rate))),
        }
    }

    /// Charge `costs` (actor, events) and the address their total, all or nothing; otherwise the seconds to wait.
    pub fn charge(&self, address: &str, costs: &[(String, usize)]) -> Result<(), u64> {
        let now = Instant::now();
        let mut g = self.inner.lock().expect("events limiter");
        let (actors, addresses) = &mut *g;
        let cost = |n: usize| (n as f64).max(MIN_COST);
        let total: f64 = costs.iter().map(|(_, n)| cost(*n)).sum();
        let mut wait = addresses.wait(address, total, now);
        for (actor, n) in costs {
            wait = wait.max(actors.wait(actor, cost(*n), now));
        }
        if wait > 0.0 {
            return Err(wait.ceil() as u64);
        }
        addresses.take(address, total, now);
        for (actor, n) in costs {
            actors.take(actor, cost(*n), now);
        }
        Ok(())
    }
}

/// Who sends a batch.
#[derive(Debug, Clone)]
pub struct Sender {
    /// The logged-in buyer, if any.
    pub buyer_id: Option<i64>,
    /// The client's address (see `http::client_addr`).
    pub address: String,
}

/// Validate a batch, charge it to its senders and append it. Returns the number of events stored.
pub async fn ingest(st: &AppState, who: &Sender, batch: Vec<ClientEvent>) -> ApiResult<u64> {
    let now = minimall_store::now_ms();
    let events = rules::validate_batch(&batch, now).map_err(|e| ApiError::invalid_because(e.field(), &e.reason()))?;
    let mut costs: Vec<(String, usize)> = Vec::new();
    match who.buyer_id {
        Some(b) => costs.push((format!("b{b}"), events.len())),
        None => {
            for e in &events {
                let key = format!("v{}", e.visitor);
                match costs.iter_mut().find(|(k, _)| *k == key) {
                    Some((_, n)) => *n += 1,
                    None => costs.push((key, 1)),
                }
            }
        }
    }
    if let Err(secs) = st.analytics.charge(&who.address, &costs) {
        metrics::counter!("events_limited_total").increment(events.len() as u64);
        return Err(ApiError::too_many_because(&AnalyticsRefusal::TooManyEvents, secs));
    }
    let shared = events.iter().any(|e| e.kind == minimall_core::analytics::events::EventKind::Share);
    let rows: Vec<NewEvent> = events
        .into_iter()
        .map(|e| NewEvent {
            kind: e.kind,
            buyer_id: who.buyer_id,
            visitor: Some(e.visitor),
            session: Some(e.session),
            channel: e.channel,
            campaign: e.campaign.unwrap_or_default(),
            promoter_id: e.promoter_id,
            product_id: e.product_id,
            sku_id: e.sku_id,
            order_id: None,
            amount_fen: None,
            query: e.query,
            client_at_ms: e.client_at_ms,
            server_at_ms: now,
        })
        .collect();
    let n = st.store.record_events(st.merchant_id, &rows).await?;
    metrics::counter!("events_accepted_total").increment(n);
    // The events are stored whatever happens to the share task: answering an error would make the client
    // send them again. The next share event tries the task again.
    if let (true, Some(buyer_id)) = (shared, who.buyer_id) {
        if let Err(e) = crate::members::tasks::shared(st, st.merchant_id, buyer_id).await {
            tracing::warn!(buyer = buyer_id, error = %e, "the share task was not recorded");
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flooding_actor_is_limited_and_another_is_not() {
        let l = Limiter::new(300.0, 5.0, 5_000.0, 100.0);
        for _ in 0..3 {
            assert!(l.charge("1.2.3.4", &[("vflood".into(), 100)]).is_ok());
        }
        let wait = l.charge("1.2.3.4", &[("vflood".into(), 100)]).unwrap_err();
        assert!((1..=20).contains(&wait), "{wait}");
        assert!(l.charge("1.2.3.4", &[("vother".into(), 100)]).is_ok());
    }

    #[test]
    fn an_address_is_limited_across_visitors_and_a_refusal_takes_nothing() {
        let l = Limiter::new(300.0, 5.0, 500.0, 10.0);
        for i in 0..5 {
            assert!(l.charge("9.9.9.9", &[(format!("v{i}"), 100)]).is_ok());
        }
        assert!(l.charge("9.9.9.9", &[("vnew".into(), 100)]).is_err());
        // The refused batch took nothing from its visitor: from another address it passes in full.
        assert!(l.charge("8.8.8.8", &[("vnew".into(), 300)]).is_ok());
        // Tiny batches cost the minimum.
        let l = Limiter::new(10.0, 0.001, 1_000.0, 1.0);
        assert!(l.charge("a", &[("v".into(), 1)]).is_ok());
        assert!(l.charge("a", &[("v".into(), 1)]).is_ok());
        assert!(l.charge("a", &[("v".into(), 1)]).is_err());
    }
}

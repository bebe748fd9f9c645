//! The flash-sale gate in Redis, shared by every instance. Each operation is one Lua script, so it runs
//! atomically on the Redis server:
//!
//! - `ADMIT`: check units free and the buyer's count against the limit, then take the units, count them to
//!   the buyer and record a reservation (`sku:buyer:qty:ms`) under a random id.
//! - `CONFIRM` (the order committed): drop the reservation.
//! - `CANCEL` (the write failed, or reconciliation found no order): drop the reservation and give its units
//!   back — only if the reservation was still there, so it happens once.
//! - `RELEASE` (a committed order was cancelled): give its units back once per order id.
//! - `INIT`: load a sale from the database, only when Redis does not have it (first use, or Redis lost it).
//!
//! Keys, per database (`installation_key`) and sale: `mm:{ns}:fs:{sale}:{free,held,resv,rel,init}`.
//!
//! Every call goes through a circuit breaker ([`Link`]). A call fails when Redis has answered nothing for
//! `redis_timeout_ms` (down or hung; while it answers other calls it is only busy, and a call waits on, at
//! most ten such periods), and a failure opens the breaker: calls are then refused at once (503 with
//! `Retry-After`) instead of waiting on a dead server. A background task re-establishes the connection — a
//! PING at once, then one every `redis_cooldown_ms` — and closes the breaker when Redis answers, so the first
//! call after recovery finds a live connection.

use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use minimall_core::flash::Refusal;
use minimall_store::flash::ReleasedUnits;
use minimall_store::Store;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{RedisResult, Script};

use crate::error::{ApiError, ApiResult};
use crate::flash::refusals::FlashRefusal;
use crate::flash::{SaleMeta, Ticket};

const ADMIT: &str = r"
if redis.call('EXISTS', KEYS[4]) == 0 then return {-1, 0} end
local held = tonumber(redis.call('HGET', KEYS[2], ARGV[2]) or '0')
local free = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
local q = tonumber(ARGV[3])
if free < q then return {-2, held} end
if held + q > tonumber(ARGV[4]) then return {-3, held} end
redis.call('HINCRBY', KEYS[1], ARGV[1], -q)
redis.call('HINCRBY', KEYS[2], ARGV[2], q)
redis.call('HSET', KEYS[3], ARGV[5], ARGV[6])
return {1, held + q}
";

const CANCEL: &str = r"
if redis.call('HDEL', KEYS[3], ARGV[1]) == 1 then
  redis.call('HINCRBY', KEYS[1], ARGV[2], tonumber(ARGV[4]))
  redis.call('HINCRBY', KEYS[2], ARGV[3], -tonumber(ARGV[4]))
  return 1
end
return 0
";

const RELEASE: &str = r"
if redis.call('EXISTS', KEYS[4]) == 0 then return 0 end
if redis.call('SADD', KEYS[3], ARGV[1]) == 1 then
  redis.call('HINCRBY', KEYS[1], ARGV[2], tonumber(ARGV[4]))
  redis.call('HINCRBY', KEYS[2], ARGV[3], -tonumber(ARGV[4]))
  redis.call('PEXPIRE', KEYS[3], redis.call('PTTL', KEYS[4]))
  return 1
end
return 0
";

const INIT: &str = r"
if not redis.call('SET', KEYS[3], '1', 'NX') then return 0 end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[4])
local n = tonumber(ARGV[1])
local i = 3
for _ = 1, n do
  redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
  i = i + 2
end
while i <= #ARGV do
  redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1])
  i = i + 2
end
for _, k in ipairs({KEYS[1], KEYS[3]}) do redis.call('PEXPIREAT', k, ARGV[2]) end
if redis.call('EXISTS', KEYS[2]) == 1 then redis.call('PEXPIREAT', KEYS[2], ARGV[2]) end
return 1
";

/// The connection to Redis behind its circuit breaker.
pub struct Link {
    client: redis::Client,
    conn: RwLock<ConnectionManager>,
    /// Open: calls are refused without trying Redis.
    open: AtomicBool,
    /// A recovery task is running.
    recovering: AtomicBool,
    timeout: Duration,
    cooldown: Duration,
    /// When Redis last answered a call, ms after `epoch`.
    last_answer: AtomicU64,
    epoch: Instant,
}

/// A call waiting while Redis answers others gives up after this many timeouts.
const BUSY_WAITS: u32 = 10;

impl Link {
    fn manager_config(timeout: Duration) -> ConnectionManagerConfig {
        // No retries and a short connection timeout inside the manager: waiting and retrying are the breaker's
        // job. The manager's own defaults (no timeout, six retries with growing pauses) made every call wait
        // while it reconnected, for up to minutes after a restart of Redis. Its response timeout is the longest
        // a call waits in all: under load an answer may queue behind thousands of others, which `Link::call`
        // tells from a dead Redis.
        ConnectionManagerConfig::new()
            .set_connection_timeout(timeout)
            .set_response_timeout(timeout * BUSY_WAITS)
            .set_number_of_retries(0)
    }

    async fn open_manager(client: &redis::Client, timeout: Duration) -> RedisResult<ConnectionManager> {
        match tokio::time::timeout(
            timeout,
            ConnectionManager::new_with_config(client.clone(), Self::manager_config(timeout)),
        )
        .await
        {
            Ok(r) => r,
            Err(_) => Err(timed_out()),
        }
    }

    /// Whether calls are being refused (a failure was seen and Redis has not answered since).
    pub fn is_open(&self) -> bool {
        self.open.load(Ordering::Acquire)
    }

    fn retry_after_secs(&self) -> u64 {
        self.cooldown.as_millis().div_ceil(1000).max(1) as u64
    }

    fn refusal(&self, why: impl std::fmt::Display) -> ApiError {
        tracing::debug!(%why, "flash-sale gate refused a call");
        let retry_after_secs = i64::try_from(self.retry_after_secs()).unwrap_or(i64::MAX);
        let mut e = ApiError::unavailable_because(&FlashRefusal::RedisUnavailable { retry_after_secs });
        e.retry_after_secs = Some(self.retry_after_secs());
        e
    }

    /// Run one call to Redis: refused at once while the breaker is open; any failure opens the breaker. A call
    /// fails when Redis has answered nothing at all for the timeout (it is down or hung). While Redis answers
    /// other calls it is alive and only busy — at a sale's start thousands of calls queue on one connection —
    /// so a call then waits on, up to [`BUSY_WAITS`] timeouts in all.
    pub async fn call<T, F, Fut>(self: &Arc<Self>, f: F) -> ApiResult<T>
    where
        F: FnOnce(ConnectionManager) -> Fut,
        Fut: Future<Output = RedisResult<T>>,
    {
        if self.is_open() {
            return Err(self.refusal("circuit open"));
        }
        let conn = self.conn.read().expect("redis conn").clone();
        match self.answer(f(conn)).await {
            Ok(v) => Ok(v),
            Err(why) => {
                self.trip(&why);
                Err(self.refusal(why))
            }
        }
    }

    /// Wait for one call's answer under the rule of [`Link::call`].
    async fn answer<T>(&self, fut: impl Future<Output = RedisResult<T>>) -> Result<T, String> {
        tokio::pin!(fut);
        let mut waits = 0;
        loop {
            match tokio::time::timeout(self.timeout, &mut fut).await {
                Ok(Ok(v)) => {
                    self.answered();
                    return Ok(v);
                }
                Ok(Err(e)) => return Err(e.to_string()),
                Err(_) => {
                    waits += 1;
                    if waits >= BUSY_WAITS || self.since_answer() >= self.timeout {
                        return Err(format!("no answer within {} ms", self.timeout.as_millis() * u128::from(waits)));
                    }
                }
            }
        }
    }

    fn answered(&self) {
        self.last_answer.store(self.epoch.elapsed().as_millis() as u64, Ordering::Relaxed);
    }

    fn since_answer(&self) -> Duration {
        let last = Duration::from_millis(self.last_answer.load(Ordering::Relaxed));
        self.epoch.elapsed().saturating_sub(last)
    }

    /// PING within the timeout (readiness); a failure opens the breaker like any other call.
    pub async fn ping(self: &Arc<Self>) -> ApiResult<()> {
        self.call(|mut c| async move { redis::cmd("PING").query_async::<String>(&mut c).await }).await.map(|_| ())
    }

    fn trip(self: &Arc<Self>, why: &str) {
        if !self.open.swap(true, Ordering::AcqRel) {
            tracing::warn!(error = %why, "Redis failed: flash-sale gate calls refused until it answers again");
            metrics::counter!("redis_breaker_opened_total").increment(1);
        }
        if !self.recovering.swap(true, Ordering::AcqRel) {
            let link = self.clone();
            tokio::spawn(async move { link.recover().await });
        }
    }

    /// Probe until Redis answers: at once, then once per cool-down. A probe that fails on the current
    /// connection opens a new one, so a restarted Redis is reached without waiting on the old connection.
    async fn recover(self: Arc<Self>) {
        loop {
            if self.probe().await {
                self.recovering.store(false, Ordering::Release);
                self.open.store(false, Ordering::Release);
                tracing::info!("Redis answers again: flash-sale gate calls resume");
                return;
            }
            self.open.store(true, Ordering::Release);
            tokio::time::sleep(self.cooldown).await;
        }
    }

    async fn probe(&self) -> bool {
        let ping = |mut c: ConnectionManager| async move {
            self.answer(async move { redis::cmd("PING").query_async::<String>(&mut c).await }).await.is_ok()
        };
        let current = self.conn.read().expect("redis conn").clone();
        if ping(current).await {
            return true;
        }
        let Ok(fresh) = Self::open_manager(&self.client, self.timeout).await else { return false };
        if !ping(fresh.clone()).await {
            return false;
        }
        *self.conn.write().expect("redis conn") = fresh;
        true
    }
}

fn timed_out() -> redis::RedisError {
    redis::RedisError::from(std::io::Error::new(std::io::ErrorKind::TimedOut, "Redis did not answer in time"))
}

pub struct RedisGate {
    link: Arc<Link>,
    ns: String,
    admit: Script,
    cancel: Script,
    release: Script,
    init: Script,
}

struct Keys {
    free: String,
    held: String,
    resv: String,
    rel: String,
    init: String,
}

impl RedisGate {
    pub async fn connect(
        url: &str,
        installation: &str,
        timeout: Duration,
        cooldown: Duration,
    ) -> anyhow::Result<RedisGate> {
        let client = redis::Client::open(url)?;
        let conn = Link::open_manager(&client, timeout).await?;
        let link = Link {
            client,
            conn: RwLock::new(conn),
            open: AtomicBool::new(false),
            recovering: AtomicBool::new(false),
            timeout,
            cooldown,
            last_answer: AtomicU64::new(0),
            epoch: Instant::now(),
        };
        Ok(RedisGate {
            link: Arc::new(link),
            ns: format!("mm:{installation}"),
            admit: Script::new(ADMIT),
            cancel: Script::new(CANCEL),
            release: Script::new(RELEASE),
            init: Script::new(INIT),
        })
    }

    pub fn link(&self) -> &Arc<Link> {
        &self.link
    }

    fn keys(&self, sale: i64) -> Keys {
        let p = format!("{}:fs:{sale}", self.ns);
        Keys {
            free: format!("{p}:free"),
            held: format!("{p}:held"),
            resv: format!("{p}:resv"),
            rel: format!("{p}:rel"),
            init: format!("{p}:init"),
        }
    }

    /// Load the sale into Redis from the database unless it is there already.
    pub async fn ensure_loaded(&self, store: &Store, meta: &SaleMeta) -> ApiResult<()> {
        if self.link.is_open() {
            return Err(self.link.refusal("circuit open"));
        }
        let k = self.keys(meta.sale.id);
        let (free, held) = store.flash_gate_snapshot(meta.sale.id).await?;
        let expire_at = meta.sale.ends_at.max(minimall_store::now_ms()) + 86_400_000;
        let mut inv = self.init.prepare_invoke();
        inv.key(&k.free).key(&k.held).key(&k.init).key(&k.rel).arg(free.len()).arg(expire_at);
        for (sku, n) in &free {
            inv.arg(sku).arg(n);
        }
        for (buyer, n) in &held {
            inv.arg(buyer).arg(n);
        }
        let _: i64 = self.link.call(|mut c| async move { inv.invoke_async(&mut c).await }).await?;
        Ok(())
    }

    pub async fn admit(&self, store: &Store, meta: &SaleMeta, t: Ticket) -> ApiResult<Result<Ticket, (Refusal, i64)>> {
        let k = self.keys(t.sale_id);
        for _ in 0..2 {
            let value = format!("{}:{}:{}:{}", t.sku_id, t.buyer_id, t.quantity, minimall_store::now_ms());
            let mut inv = self.admit.prepare_invoke();
            inv.key(&k.free)
                .key(&k.held)
                .key(&k.resv)
                .key(&k.init)
                .arg(t.sku_id)
                .arg(t.buyer_id)
                .arg(t.quantity)
                .arg(meta.sale.per_buyer_limit)
                .arg(&t.reservation)
                .arg(value);
            let (code, held): (i64, i64) =
                self.link.call(|mut c| async move { inv.invoke_async(&mut c).await }).await?;
            match code {
                1 => return Ok(Ok(t)),
                -2 => return Ok(Err((Refusal::SoldOut, held))),
                -3 => return Ok(Err((Refusal::LimitReached, held))),
                _ => self.ensure_loaded(store, meta).await?,
            }
        }
        Err(ApiError::unavailable_because(&FlashRefusal::GateUnavailable))
    }

    pub async fn confirm(&self, t: &Ticket) -> ApiResult<()> {
        let k = self.keys(t.sale_id);
        let cmd = redis::cmd("HDEL").arg(&k.resv).arg(&t.reservation).clone();
        self.link.call(|mut c| async move { cmd.query_async::<i64>(&mut c).await }).await?;
        Ok(())
    }

    /// Drop a reservation and give its units back, if it is still there.
    pub async fn cancel_reservation(&self, t: &Ticket) -> ApiResult<bool> {
        let k = self.keys(t.sale_id);
        let mut inv = self.cancel.prepare_invoke();
        inv.key(&k.free).key(&k.held).key(&k.resv).arg(&t.reservation).arg(t.sku_id).arg(t.buyer_id).arg(t.quantity);
        let n: i64 = self.link.call(|mut c| async move { inv.invoke_async(&mut c).await }).await?;
        Ok(n == 1)
    }

    pub async fn release_order(&self, order_id: i64, r: &ReleasedUnits) -> ApiResult<()> {
        let k = self.keys(r.sale_id);
        let mut inv = self.release.prepare_invoke();
        inv.key(&k.free)
            .key(&k.held)
            .key(&k.rel)
            .key(&k.init)
            .arg(order_id)
            .arg(r.sku_id)
            .arg(r.buyer_id)
            .arg(r.quantity);
        let _: i64 = self.link.call(|mut c| async move { inv.invoke_async(&mut c).await }).await?;
        Ok(())
    }

    /// Units Redis says are free per SKU (one round trip); a SKU Redis does not have counts as in the database.
    pub async fn remaining(&self, meta: &SaleMeta) -> ApiResult<Vec<(i64, i64)>> {
        if meta.items.is_empty() {
            return Ok(Vec::new());
        }
        let k = self.keys(meta.sale.id);
        let mut cmd = redis::cmd("HMGET");
        cmd.arg(&k.free);
        for i in &meta.items {
            cmd.arg(i.sku_id);
        }
        let values: Vec<Option<i64>> = self.link.call(|mut c| async move { cmd.query_async(&mut c).await }).await?;
        Ok(meta.items.iter().zip(values).map(|(i, v)| (i.sku_id, v.unwrap_or(i.quantity - i.sold))).collect())
    }

    /// Reservations made before `cutoff_ms`: drop those whose order exists, give back those whose order was
    /// never written. Returns how many were given back.
    pub async fn reclaim(&self, store: &Store, sale: i64, cutoff_ms: i64) -> ApiResult<usize> {
        let k = self.keys(sale);
        let cmd = redis::cmd("HGETALL").arg(&k.resv).clone();
        let all: Vec<(String, String)> = self.link.call(|mut c| async move { cmd.query_async(&mut c).await }).await?;
        let stale: Vec<(String, Ticket)> = all
            .into_iter()
            .filter_map(|(id, v)| {
                let p: Vec<i64> = v.split(':').filter_map(|x| x.parse().ok()).collect();
                (p.len() == 4 && p[3] < cutoff_ms).then(|| {
                    (
                        id.clone(),
                        Ticket { sale_id: sale, sku_id: p[0], buyer_id: p[1], quantity: p[2], reservation: id },
                    )
                })
            })
            .collect();
        if stale.is_empty() {
            return Ok(0);
        }
        let ids: Vec<String> = stale.iter().map(|s| s.0.clone()).collect();
        let written = store.flash_reservations_written(&ids).await?;
        let mut given_back = 0;
        for (id, t) in stale {
            if written.contains(&id) {
                self.confirm(&t).await?;
            } else if self.cancel_reservation(&t).await? {
                given_back += 1;
            }
        }
        Ok(given_back)
    }
}

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

use minimall_core::flash::Refusal;
use minimall_store::flash::ReleasedUnits;
use minimall_store::Store;
use redis::aio::ConnectionManager;
use redis::Script;

use crate::error::{ApiError, ApiResult};
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

pub struct RedisGate {
    conn: ConnectionManager,
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

fn redis_err(e: redis::RedisError) -> ApiError {
    ApiError::unavailable(format!("flash gate (Redis): {e}"))
}

impl RedisGate {
    pub async fn connect(url: &str, installation: &str) -> anyhow::Result<RedisGate> {
        let client = redis::Client::open(url)?;
        let conn = ConnectionManager::new(client).await?;
        Ok(RedisGate {
            conn,
            ns: format!("mm:{installation}"),
            admit: Script::new(ADMIT),
            cancel: Script::new(CANCEL),
            release: Script::new(RELEASE),
            init: Script::new(INIT),
        })
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
        let _: i64 = inv.invoke_async(&mut self.conn.clone()).await.map_err(redis_err)?;
        Ok(())
    }

    pub async fn admit(&self, store: &Store, meta: &SaleMeta, t: Ticket) -> ApiResult<Result<Ticket, (Refusal, i64)>> {
        let k = self.keys(t.sale_id);
        for _ in 0..2 {
            let value = format!("{}:{}:{}:{}", t.sku_id, t.buyer_id, t.quantity, minimall_store::now_ms());
            let (code, held): (i64, i64) = self
                .admit
                .key(&k.free)
                .key(&k.held)
                .key(&k.resv)
                .key(&k.init)
                .arg(t.sku_id)
                .arg(t.buyer_id)
                .arg(t.quantity)
                .arg(meta.sale.per_buyer_limit)
                .arg(&t.reservation)
                .arg(value)
                .invoke_async(&mut self.conn.clone())
                .await
                .map_err(redis_err)?;
            match code {
                1 => return Ok(Ok(t)),
                -2 => return Ok(Err((Refusal::SoldOut, held))),
                -3 => return Ok(Err((Refusal::LimitReached, held))),
                _ => self.ensure_loaded(store, meta).await?,
            }
        }
        Err(ApiError::unavailable("flash gate could not be loaded"))
    }

    pub async fn confirm(&self, t: &Ticket) -> Result<(), redis::RedisError> {
        let k = self.keys(t.sale_id);
        redis::cmd("HDEL").arg(&k.resv).arg(&t.reservation).query_async::<i64>(&mut self.conn.clone()).await?;
        Ok(())
    }

    /// Drop a reservation and give its units back, if it is still there.
    pub async fn cancel_reservation(&self, t: &Ticket) -> Result<bool, redis::RedisError> {
        let k = self.keys(t.sale_id);
        let n: i64 = self
            .cancel
            .key(&k.free)
            .key(&k.held)
            .key(&k.resv)
            .arg(&t.reservation)
            .arg(t.sku_id)
            .arg(t.buyer_id)
            .arg(t.quantity)
            .invoke_async(&mut self.conn.clone())
            .await?;
        Ok(n == 1)
    }

    pub async fn release_order(&self, order_id: i64, r: &ReleasedUnits) -> Result<(), redis::RedisError> {
        let k = self.keys(r.sale_id);
        let _: i64 = self
            .release
            .key(&k.free)
            .key(&k.held)
            .key(&k.rel)
            .key(&k.init)
            .arg(order_id)
            .arg(r.sku_id)
            .arg(r.buyer_id)
            .arg(r.quantity)
            .invoke_async(&mut self.conn.clone())
            .await?;
        Ok(())
    }

    pub async fn remaining(&self, meta: &SaleMeta) -> ApiResult<Vec<(i64, i64)>> {
        let k = self.keys(meta.sale.id);
        let mut out = Vec::new();
        for i in &meta.items {
            let v: Option<i64> = redis::cmd("HGET")
                .arg(&k.free)
                .arg(i.sku_id)
                .query_async(&mut self.conn.clone())
                .await
                .map_err(redis_err)?;
            out.push((i.sku_id, v.unwrap_or(i.quantity - i.sold)));
        }
        Ok(out)
    }

    /// Reservations made before `cutoff_ms`: drop those whose order exists, give back those whose order was
    /// never written. Returns how many were given back.
    pub async fn reclaim(&self, store: &Store, sale: i64, cutoff_ms: i64) -> ApiResult<usize> {
        let k = self.keys(sale);
        let all: Vec<(String, String)> =
            redis::cmd("HGETALL").arg(&k.resv).query_async(&mut self.conn.clone()).await.map_err(redis_err)?;
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
                self.confirm(&t).await.map_err(redis_err)?;
            } else if self.cancel_reservation(&t).await.map_err(redis_err)? {
                given_back += 1;
            }
        }
        Ok(given_back)
    }
}

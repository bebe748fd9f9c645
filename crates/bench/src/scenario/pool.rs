//! Request pools for the shop catalog scenarios: the requests are built once in setup, and each connection
//! picks from the shared pool with its own cheap PRNG, so generating a request is an index and a cheap
//! clone (no allocation, no lock).

use std::sync::Arc;

use anyhow::{Context, Result};
use bytes::Bytes;
use hyper::StatusCode;
use serde_json::Value;

use super::{status_kind, Req, RequestGen};

/// SplitMix64: tiny, fast, and good enough to spread requests over a pool.
#[derive(Clone, Debug)]
pub struct SplitMix(u64);

impl SplitMix {
    pub fn new(seed: u64) -> SplitMix {
        SplitMix(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (multiply-shift; `n` must be above 0).
    pub fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }
}

/// Requests shared by all connections.
#[derive(Clone, Debug, Default)]
pub struct Pool(Arc<[Req]>);

impl Pool {
    pub fn new(reqs: Vec<Req>) -> Pool {
        Pool(reqs.into())
    }

    /// GET requests to these paths.
    pub fn of_paths<S: AsRef<str>>(paths: &[S]) -> Result<Pool> {
        let reqs = paths.iter().map(|p| Req::get(p.as_ref())).collect::<Result<Vec<_>>>()?;
        Ok(Pool::new(reqs))
    }

    /// The generator of connection `conn`: random picks, its own sequence, from its own starting point.
    pub fn generator(&self, conn: usize) -> PoolGen {
        assert!(!self.0.is_empty(), "setup fills the pool before the load");
        let mut rng = SplitMix::new(0x5EED_0000_0000_0000 ^ conn as u64);
        // Skip a connection-dependent number of draws: the sequences also start at different offsets.
        for _ in 0..conn % 17 {
            rng.next_u64();
        }
        PoolGen { pool: self.0.clone(), rng }
    }
}

/// A connection's requests: uniform random picks from the pool; only `200 OK` counts as a success.
pub struct PoolGen {
    pool: Arc<[Req]>,
    rng: SplitMix,
}

impl RequestGen for PoolGen {
    fn next_request(&mut self) -> Req {
        self.pool[self.rng.below(self.pool.len())].clone()
    }

    fn check(&mut self, status: StatusCode, _body: &Bytes) -> Result<(), String> {
        if status == StatusCode::OK {
            Ok(())
        } else {
            Err(status_kind(status))
        }
    }
}

/// `total` of a paginated answer.
pub fn total_of(answer: &Value) -> Result<u64> {
    answer.get("total").and_then(Value::as_u64).context("the answer has no `total`")
}

/// The `id` of each entry of `items`.
pub fn item_ids(answer: &Value) -> Result<Vec<i64>> {
    let items = answer.get("items").and_then(Value::as_array).context("the answer has no `items` list")?;
    items.iter().map(|it| it.get("id").and_then(Value::as_i64).context("an item has no `id`")).collect()
}

/// Pages of `page_size` needed for `total` rows, at least 1 (page 1 of an empty list is still valid).
pub fn pages(total: u64, page_size: u64) -> u64 {
    total.div_ceil(page_size).max(1)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn prng_is_spread_and_in_range() {
        let mut r = SplitMix::new(1);
        let mut seen = [0u32; 10];
        for _ in 0..10_000 {
            seen[r.below(10)] += 1;
        }
        assert!(seen.iter().all(|&n| (800..1200).contains(&n)), "{seen:?}");
        assert_eq!(SplitMix::new(7).next_u64(), SplitMix::new(7).next_u64());
        assert_ne!(SplitMix::new(7).next_u64(), SplitMix::new(8).next_u64());
        assert_eq!(SplitMix::new(3).below(1), 0);
    }

    #[test]
    fn connections_pick_differently_from_one_pool() {
        let pool = Pool::of_paths(&(0..100).map(|i| format!("/p/{i}")).collect::<Vec<_>>()).unwrap();
        assert_eq!(pool.0.len(), 100);
        let seq = |conn| {
            let mut g = pool.generator(conn);
            (0..20).map(|_| g.next_request().path.to_string()).collect::<Vec<_>>()
        };
        assert_eq!(seq(0), seq(0));
        assert_ne!(seq(0), seq(1));
        assert_ne!(seq(1), seq(18));
        let mut g = pool.generator(5);
        assert!(g.next_request().path.as_str().starts_with("/p/"));
    }

    #[test]
    fn only_200_is_a_success() {
        let mut g = Pool::of_paths(&["/a"]).unwrap().generator(0);
        assert_eq!(g.check(StatusCode::OK, &Bytes::new()), Ok(()));
        assert_eq!(g.check(StatusCode::NO_CONTENT, &Bytes::new()), Err("HTTP 204".into()));
        assert_eq!(g.check(StatusCode::NOT_FOUND, &Bytes::new()), Err("HTTP 404".into()));
    }

    #[test]
    fn answers() {
        let a = json!({"items": [{"id": 3, "title": "x"}, {"id": 9}], "total": 1200, "page": 1, "page_size": 100});
        assert_eq!(total_of(&a).unwrap(), 1200);
        assert_eq!(item_ids(&a).unwrap(), [3, 9]);
        assert!(total_of(&json!({"items": []})).is_err());
        assert!(item_ids(&json!({"items": [{"title": "no id"}]})).is_err());
        assert!(item_ids(&json!({"total": 0})).is_err());
        assert_eq!(pages(0, 20), 1);
        assert_eq!(pages(1, 20), 1);
        assert_eq!(pages(20, 20), 1);
        assert_eq!(pages(21, 20), 2);
        assert_eq!(pages(1200, 20), 60);
    }
}

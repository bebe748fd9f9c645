//! Read cache for the buyer-facing catalog (the hottest path): whole JSON responses keyed by request.
//!
//! Every catalog write bumps the merchant's `catalog_version` in its transaction and, after commit,
//! clears this cache, so a read that follows a write on the same instance never sees stale data. A
//! response computed while a write was committing is not stored: inserts carry the epoch they started
//! in and are dropped when an invalidation happened since. Other instances notice the version change
//! within `POLL` and clear theirs. Stock moves with every order without a catalog write: the order paths drop
//! the affected product pages only ([`CatalogCache::drop_key`]); lists carry no stock and stay cached.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::RwLock;
use std::time::{Duration, Instant};

use axum::body::Bytes;

const MAX_ENTRIES: usize = 50_000;
pub const POLL: Duration = Duration::from_millis(500);
/// How long a dropped key remembers its drop (longer than any computation of a response).
const DROP_MEMORY: Duration = Duration::from_secs(10);

#[derive(Default)]
pub struct CatalogCache {
    epoch: AtomicU64,
    /// The database catalog version this cache reflects.
    version: AtomicI64,
    entries: RwLock<HashMap<String, Bytes>>,
    /// Keys dropped one by one, and when: a response computed before that moment is not stored.
    dropped: RwLock<HashMap<String, Instant>>,
}

/// When a response's computation started (pass to [`CatalogCache::put`]).
#[derive(Debug, Clone, Copy)]
pub struct Ticket {
    epoch: u64,
    started: Instant,
}

impl CatalogCache {
    pub fn new() -> Self {
        Self::default()
    }

    /// Take before computing a response, pass to [`CatalogCache::put`].
    pub fn ticket(&self) -> Ticket {
        Ticket { epoch: self.epoch.load(Ordering::Acquire), started: Instant::now() }
    }

    pub fn get(&self, key: &str) -> Option<Bytes> {
        self.entries.read().ok()?.get(key).cloned()
    }

    /// Store a response computed since `ticket`, unless the catalog or this key changed meanwhile.
    pub fn put(&self, key: String, ticket: Ticket, value: Bytes) {
        if let Ok(mut m) = self.entries.write() {
            if self.epoch.load(Ordering::Acquire) != ticket.epoch {
                return;
            }
            if self.dropped.read().ok().and_then(|d| d.get(&key).copied()).is_some_and(|at| at >= ticket.started) {
                return;
            }
            if m.len() >= MAX_ENTRIES {
                m.clear();
            }
            m.insert(key, value);
        }
    }

    /// Drop one entry (e.g. a product page whose stock moved with an order).
    pub fn drop_key(&self, key: &str) {
        if let Ok(mut d) = self.dropped.write() {
            if d.len() > 10_000 {
                d.retain(|_, at| at.elapsed() < DROP_MEMORY);
            }
            d.insert(key.to_string(), Instant::now());
        }
        if let Ok(mut m) = self.entries.write() {
            m.remove(key);
        }
    }

    /// The key of a product's page.
    pub fn product_key(product_id: i64) -> String {
        format!("p|{product_id}")
    }

    /// Drop everything (after a catalog write commits, or when another instance wrote).
    pub fn invalidate(&self, version: Option<i64>) {
        if let Ok(mut m) = self.entries.write() {
            self.epoch.fetch_add(1, Ordering::AcqRel);
            if let Some(v) = version {
                self.version.fetch_max(v, Ordering::AcqRel);
            }
            m.clear();
        }
    }

    /// Called by the poller with the database's version: clears when it moved (and says so).
    pub fn observe_version(&self, v: i64) -> bool {
        if v != self.version.load(Ordering::Acquire) {
            self.invalidate(None);
            self.version.store(v, Ordering::Release);
            return true;
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_puts_are_dropped() {
        let c = CatalogCache::new();
        c.put("a".into(), c.ticket(), Bytes::from_static(b"1"));
        assert_eq!(c.get("a").unwrap(), Bytes::from_static(b"1"));
        let before = c.ticket();
        c.invalidate(Some(3));
        assert!(c.get("a").is_none());
        c.put("a".into(), before, Bytes::from_static(b"old"));
        assert!(c.get("a").is_none(), "computed before the write: not cached");
        c.observe_version(3);
        c.put("b".into(), c.ticket(), Bytes::from_static(b"2"));
        c.observe_version(4);
        assert!(c.get("b").is_none());
    }

    #[test]
    fn dropping_one_key_keeps_the_others() {
        let c = CatalogCache::new();
        c.put("p|1".into(), c.ticket(), Bytes::from_static(b"1"));
        c.put("l|x".into(), c.ticket(), Bytes::from_static(b"list"));
        let before = c.ticket();
        std::thread::sleep(Duration::from_millis(2));
        c.drop_key("p|1");
        assert!(c.get("p|1").is_none());
        assert!(c.get("l|x").is_some());
        c.put("p|1".into(), before, Bytes::from_static(b"stale"));
        assert!(c.get("p|1").is_none(), "computed before the drop: not cached");
        c.put("p|1".into(), c.ticket(), Bytes::from_static(b"fresh"));
        assert_eq!(c.get("p|1").unwrap(), Bytes::from_static(b"fresh"));
    }
}

//! Read cache for the buyer-facing catalog (the hottest path): whole JSON responses keyed by request.
//!
//! Every catalog write bumps the merchant's `catalog_version` in its transaction and, after commit,
//! clears this cache, so a read that follows a write on the same instance never sees stale data. A
//! response computed while a write was committing is not stored: inserts carry the epoch they started
//! in and are dropped when an invalidation happened since. Other instances notice the version change
//! within `POLL` and clear theirs.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::RwLock;
use std::time::Duration;

use axum::body::Bytes;

const MAX_ENTRIES: usize = 50_000;
pub const POLL: Duration = Duration::from_millis(500);

#[derive(Default)]
pub struct CatalogCache {
    epoch: AtomicU64,
    /// The database catalog version this cache reflects.
    version: AtomicI64,
    entries: RwLock<HashMap<String, Bytes>>,
}

impl CatalogCache {
    pub fn new() -> Self {
        Self::default()
    }

    /// The epoch to pass to [`CatalogCache::put`] for a response about to be computed.
    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::Acquire)
    }

    pub fn get(&self, key: &str) -> Option<Bytes> {
        self.entries.read().ok()?.get(key).cloned()
    }

    /// Store a response computed from data read at `epoch`, unless the catalog changed meanwhile.
    pub fn put(&self, key: String, epoch: u64, value: Bytes) {
        if let Ok(mut m) = self.entries.write() {
            if self.epoch.load(Ordering::Acquire) != epoch {
                return;
            }
            if m.len() >= MAX_ENTRIES {
                m.clear();
            }
            m.insert(key, value);
        }
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

    /// Called by the poller with the database's version: clears when it moved.
    pub fn observe_version(&self, v: i64) {
        if v != self.version.load(Ordering::Acquire) {
            self.invalidate(None);
            self.version.store(v, Ordering::Release);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_puts_are_dropped() {
        let c = CatalogCache::new();
        let e = c.epoch();
        c.put("a".into(), e, Bytes::from_static(b"1"));
        assert_eq!(c.get("a").unwrap(), Bytes::from_static(b"1"));
        let before = c.epoch();
        c.invalidate(Some(3));
        assert!(c.get("a").is_none());
        c.put("a".into(), before, Bytes::from_static(b"old"));
        assert!(c.get("a").is_none(), "computed before the write: not cached");
        c.observe_version(3);
        c.put("b".into(), c.epoch(), Bytes::from_static(b"2"));
        c.observe_version(4);
        assert!(c.get("b").is_none());
    }
}

//! What every quote of a merchant needs and what only the console changes: the category paths, the
//! activities not yet over, the points rule and the freight templates. Kept in memory for [`TTL`], so a
//! checkout reads only its buyer's own rows.
//!
//! Writes on this instance clear it after they commit ([`PricingCache::invalidate`]: catalog writes,
//! activities, freight, settings); a load that raced with such a write is not kept. Another instance's
//! change takes effect here within [`TTL`]. Time windows are checked on every quote against the clock, not
//! at load, so an activity starts and ends to the millisecond.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use minimall_core::catalog::tree::Tree;
use minimall_core::pricing::{Activity, FreightTemplate};

use crate::error::ApiResult;
use crate::state::AppState;

pub const TTL: Duration = Duration::from_secs(1);

/// A merchant's pricing context as loaded.
pub struct MerchantPricing {
    /// Category id → the category and its ancestors.
    pub paths: HashMap<i64, Vec<i64>>,
    /// Active activities that had not ended at load time.
    pub activities: Vec<Activity>,
    pub points_per_yuan: i64,
    pub points_max_share_pct: i32,
    pub default_freight_template_id: Option<i64>,
    pub freight_templates: Vec<FreightTemplate>,
    loaded: Instant,
}

impl MerchantPricing {
    /// The activities running at `now_ms`.
    pub fn running(&self, now_ms: i64) -> Vec<Activity> {
        self.activities.iter().filter(|a| a.starts_at_ms <= now_ms && a.ends_at_ms > now_ms).cloned().collect()
    }
}

#[derive(Default)]
pub struct PricingCache {
    epoch: AtomicU64,
    entries: RwLock<HashMap<i64, Arc<MerchantPricing>>>,
}

impl PricingCache {
    pub fn new() -> Self {
        Self::default()
    }

    /// Forget everything (after a write that changes prices commits).
    pub fn invalidate(&self) {
        if let Ok(mut m) = self.entries.write() {
            self.epoch.fetch_add(1, Ordering::AcqRel);
            m.clear();
        }
    }

    /// The merchant's context, loaded when missing or older than [`TTL`].
    pub async fn get(&self, st: &AppState, merchant_id: i64) -> ApiResult<Arc<MerchantPricing>> {
        if let Some(hit) = self.entries.read().ok().and_then(|m| m.get(&merchant_id).cloned()) {
            if hit.loaded.elapsed() < TTL {
                return Ok(hit);
            }
        }
        let epoch = self.epoch.load(Ordering::Acquire);
        let loaded = Arc::new(load(st, merchant_id).await?);
        if let Ok(mut m) = self.entries.write() {
            if self.epoch.load(Ordering::Acquire) == epoch {
                m.insert(merchant_id, loaded.clone());
            }
        }
        Ok(loaded)
    }
}

async fn load(st: &AppState, merchant_id: i64) -> ApiResult<MerchantPricing> {
    let loaded = Instant::now();
    let cats = st.store.list_categories(merchant_id).await?;
    let nodes = crate::catalog::categories::nodes(&cats);
    let tree = Tree::new(&nodes);
    let paths = nodes.iter().map(|n| (n.id, tree.ancestors(n.id))).collect();
    let activities = st
        .store
        .unfinished_activities(merchant_id, minimall_store::now_ms())
        .await?
        .iter()
        .filter_map(crate::promotions::pricing::activity_from_row)
        .collect();
    let (points_per_yuan, points_max_share_pct, default_freight_template_id) =
        st.store.pricing_settings(merchant_id).await?;
    let freight_templates = st
        .store
        .freight_templates(merchant_id)
        .await?
        .iter()
        .filter_map(crate::promotions::pricing::freight_from_row)
        .collect();
    Ok(MerchantPricing {
        paths,
        activities,
        points_per_yuan,
        points_max_share_pct,
        default_freight_template_id,
        freight_templates,
        loaded,
    })
}

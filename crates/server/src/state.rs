//! Shared state of one server process.

use std::sync::Arc;

use minimall_store::Store;
use tokio::sync::Notify;

use crate::config::Config;

/// Cloned for every request (handlers take it by value): one shared pointer, so a clone is one reference
/// count, not one per field.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl AppState {
    pub fn new(shared: Shared) -> Self {
        AppState(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// What [`AppState`] shares.
pub struct Shared {
    pub store: Store,
    pub cfg: Arc<Config>,
    /// The merchant of self-operated mode; shop requests belong to it.
    pub merchant_id: i64,
    /// Outgoing HTTP (code2session, payment providers).
    pub http: reqwest::Client,
    /// Wakes idle job workers when this process enqueues work.
    pub jobs_wakeup: Arc<Notify>,
    /// Cached buyer-facing catalog responses.
    pub catalog: Arc<crate::catalog::cache::CatalogCache>,
    /// What quotes of a merchant share (categories, activities, points rule, freight).
    pub pricing: Arc<crate::promotions::cache::PricingCache>,
    /// Progress of imports running in this process.
    pub imports: Arc<crate::catalog::import::Progress>,
    /// This server's own base URL (known once bound), for the sandbox provider's callbacks.
    pub self_url: Arc<std::sync::OnceLock<String>>,
    /// WeChat Pay client, when configured.
    pub wechat_pay: Option<Arc<crate::payments::wechat::WechatPay>>,
    /// Flash-sale gate and group-commit writer.
    pub flash: Arc<crate::flash::FlashEngine>,
    /// Recently verified sessions.
    pub sessions: Arc<crate::accounts::auth::SessionCache>,
    /// The storefront events' rate limits.
    pub analytics: Arc<crate::analytics::ingest::Limiter>,
}

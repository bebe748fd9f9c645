//! What every use case shares. A use case is a plain async function of the application state, the acting user,
//! the [`Call`] it was asked in and its typed input, returning typed output or an [`ApiError`]; the JSON handlers
//! (`*api.rs`) and the pages (`console.rs`, `shop_pages.rs`) of a domain are thin adapters over it.
//!
//! A use case that writes declares what its change asks of this process once it is committed — wake the job
//! workers, drop cached catalog reads, drop the pages of products whose stock moved, drop the shared pricing
//! context — as [`Effects`], and commits through [`commit`], the one place where they run. A transaction that
//! fails to commit (or is dropped on an error) runs none of them.

use axum::http::{HeaderMap, HeaderValue};
use minimall_store::{Store, Tx};

use crate::error::ApiReason;
use crate::error::{ApiError, ApiResult};
use crate::http::idempotency::IdemKey;
use crate::state::AppState;

/// What a use case knows of the request that asked for it, beyond its input.
#[derive(Clone, Debug, Default)]
pub struct Call {
    /// The request id, recorded with audit entries.
    pub request_id: Option<String>,
    /// The `Idempotency-Key` as given, checked when a use case that needs one asks for it.
    idempotency_key: Option<HeaderValue>,
    /// The language the answer is worded in (cookie `lang`, else `Accept-Language`, else Chinese).
    pub lang: crate::web::i18n::Lang,
}

impl Call {
    /// The call of an HTTP request.
    pub fn from_headers(headers: &HeaderMap) -> Call {
        Call {
            request_id: headers.get("x-request-id").and_then(|v| v.to_str().ok()).map(str::to_string),
            idempotency_key: headers.get(crate::http::idempotency::HEADER).cloned(),
            lang: crate::error::request_lang(headers),
        }
    }

    /// This call with the idempotency key a page rendered into its form (or into its button's URL).
    pub fn with_form_key(mut self, key: &str) -> Result<Call, ApiError> {
        let v = HeaderValue::from_str(key).map_err(|_| ApiError::invalid_because("idem", &ApiReason::BadFormKey))?;
        self.idempotency_key = Some(v);
        Ok(self)
    }

    /// The idempotency key, if any; a malformed key is an error, not ignored.
    pub fn idempotency_key(&self) -> Result<Option<IdemKey>, ApiError> {
        IdemKey::parse(self.idempotency_key.as_ref())
    }

    /// The idempotency key of a request that must carry one (money or stock).
    pub fn required_idempotency_key(&self) -> Result<IdemKey, ApiError> {
        self.idempotency_key()?
            .ok_or_else(|| ApiError::invalid_because("Idempotency-Key", &ApiReason::IdempotencyKeyRequired))
    }
}

/// The answer of a use case that an `Idempotency-Key` may replay: its status and JSON body as kept with the key,
/// fresh or replayed.
#[derive(Debug)]
pub struct Stored {
    pub status: u16,
    pub body: String,
    pub replayed: bool,
}

impl Stored {
    pub fn fresh(status: axum::http::StatusCode, body: String) -> Stored {
        Stored { status: status.as_u16(), body, replayed: false }
    }
}

/// What a committed change asks of this process afterwards. Collected while the use case runs, run by
/// [`commit`] (or [`Effects::committed`]) only after the commit succeeded.
#[derive(Debug, Default)]
#[must_use = "effects run only through `usecase::commit`"]
pub struct Effects {
    wake_jobs: bool,
    /// The merchant's catalog version after a catalog write.
    catalog_version: Option<i64>,
    pricing: bool,
    stock_moved: Vec<i64>,
}

impl Effects {
    pub fn new() -> Effects {
        Effects::default()
    }

    /// Jobs were enqueued: wake idle workers instead of waiting for their next poll.
    pub fn wake_jobs(mut self) -> Effects {
        self.wake_jobs = true;
        self
    }

    /// A catalog write: bump the merchant's catalog version inside `tx` (other instances drop their cached
    /// reads when they see it) and, after the commit, drop this instance's cached catalog and pricing reads.
    pub async fn catalog_write(mut self, store: &Store, tx: &mut Tx, merchant_id: i64) -> ApiResult<Effects> {
        self.catalog_version = Some(store.bump_catalog_version(tx, merchant_id).await?);
        Ok(self)
    }

    /// A promotions write (activities, coupons, freight, pricing rules): drop the shared pricing context.
    pub fn promotions_write(mut self) -> Effects {
        self.pricing = true;
        self
    }

    /// Stock of these products moved without a catalog write: drop their cached pages.
    pub fn stock_moved(mut self, product_ids: impl IntoIterator<Item = i64>) -> Effects {
        self.stock_moved.extend(product_ids);
        self
    }

    /// Run the effects of a change that was committed elsewhere (the flash-sale writer commits its batches
    /// inside the store).
    pub fn committed(self, st: &AppState) {
        if let Some(v) = self.catalog_version {
            st.catalog.invalidate(Some(v));
        }
        if self.catalog_version.is_some() || self.pricing {
            st.pricing.invalidate();
        }
        for p in self.stock_moved {
            st.catalog.drop_key(&crate::catalog::cache::CatalogCache::product_key(p));
        }
        if self.wake_jobs {
            st.jobs_wakeup.notify_waiters();
        }
    }
}

/// Commit `tx`, then run what the change declared. When the commit fails, nothing runs.
pub async fn commit(st: &AppState, tx: Tx, fx: Effects) -> ApiResult<()> {
    minimall_store::commit(tx).await?;
    fx.committed(st);
    Ok(())
}

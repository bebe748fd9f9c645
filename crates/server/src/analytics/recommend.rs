//! Recommendations (智能推荐): item-to-item neighbours computed incrementally by a durable job from the events
//! (views, adds to cart, paid orders' lines), and the lists the storefront shows from them: 看了又看 and 买了又买
//! on the product page, 为你推荐 on the home page, "buyers also bought" in the cart.
//!
//! - The job folds the events after its cursor into each actor's profile (`minimall_store::recommend`), marking
//!   every product whose co-occurrences changed as due, and recomputes the neighbours of the due products
//!   (`core::analytics::recommend::rank`), then reschedules itself; the computation is the same whichever
//!   instance runs it, so a rerun is harmless. A run stops at a budget of a third of the job lease and leaves the
//!   rest to a follow-up job enqueued at once (a long backlog never outlives its lease, holds a worker, or keeps
//!   the server from shutting down); what it folded and marked is committed, so nothing is lost or done twice.
//! - A list is never anything off the shelf, out of stock or already bought by the buyer; neighbours come first,
//!   then popular products of the seeds' categories, then popular products (a new visitor's whole list).
//! - Every list shown is logged as an exposure, every product opened from one as a click; when an experiment runs
//!   on the placement, the shopper's variant chooses the strategy (neighbours or popularity alone).

use minimall_core::ProductId;
use std::collections::{HashMap, HashSet};

use minimall_core::analytics::recommend::{
    self as rules, Catalog, CoSum, Config, Excluded, Neighbour, Neighbours, Placement, Recent, Strategy,
};
use minimall_store::jobs::{JobRow, NewJob};
use minimall_store::recommend::{Basis, RecoEvent};
use minimall_store::{Store, StoreError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::catalog::ProductCard;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Folds new events into the profiles and recomputes the neighbours that changed; reschedules itself.
pub const REFRESH_JOB: &str = "analytics.recommend";
/// How often the periodic refresh runs.
pub const REFRESH_EVERY_MS: i64 = 60_000;
/// Events read per step of a refresh.
const EVENTS_PER_STEP: i64 = 20_000;
/// Products whose neighbours are written per transaction.
const WRITE_BATCH: usize = 200;
/// The most products one list holds.
pub const LIST_MAX: i64 = 20;
/// The default length of a list.
pub const LIST_DEFAULT: i64 = 6;
/// Popular products considered for the fallbacks.
const POPULAR_POOL: i64 = 100;
/// The shopper's recent products the feed starts from.
const RECENT: i64 = 10;

/// The neighbour computation's settings (the core's defaults).
pub fn config() -> Config {
    Config::default()
}

fn basis(p: Placement) -> Basis {
    if p.purchases_only() {
        Basis::Purchases
    } else {
        Basis::All
    }
}

/// Who is shopping: a logged-in buyer, an anonymous visitor (the storefront's visitor id), or someone unknown
/// (shown the popular products, nothing logged against them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shopper {
    Buyer(i64),
    Visitor(String),
    Unknown,
}

impl Shopper {
    /// The buyer when logged in, else the visitor id when it is well formed.
    pub fn new(buyer_id: Option<i64>, visitor: Option<&str>) -> Shopper {
        match (buyer_id, visitor) {
            (Some(b), _) => Shopper::Buyer(b),
            (None, Some(v)) if minimall_core::analytics::events::is_visitor_id(v) => Shopper::Visitor(v.to_string()),
            _ => Shopper::Unknown,
        }
    }

    /// As the events name it: `b<buyer id>` or `v<visitor id>`.
    pub fn actor(&self) -> Option<String> {
        match self {
            Shopper::Buyer(b) => Some(format!("b{b}")),
            Shopper::Visitor(v) => Some(format!("v{v}")),
            Shopper::Unknown => None,
        }
    }

    pub fn buyer_id(&self) -> Option<i64> {
        match self {
            Shopper::Buyer(b) => Some(*b),
            _ => None,
        }
    }
}

/// A list of recommended products for one placement.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Recommendations {
    /// `product_viewed` (看了又看), `product_bought` (买了又买), `home_feed` (为你推荐) or `cart_bought`.
    pub placement: String,
    /// `personal` (from the neighbours, then popularity) or `popular` (popularity alone).
    pub strategy: String,
    /// The running experiment that chose the strategy for this shopper, if any.
    pub experiment_id: Option<i64>,
    /// The shopper's variant in that experiment.
    pub variant: Option<String>,
    /// On the shelf, in stock, not bought before; best first.
    pub items: Vec<ProductCard>,
}

/// The number of products asked for, 1 to [`LIST_MAX`] (default [`LIST_DEFAULT`]).
pub fn list_len(limit: Option<i64>) -> ApiResult<usize> {
    let n = limit.unwrap_or(LIST_DEFAULT);
    if !(1..=LIST_MAX).contains(&n) {
        return Err(ApiError::invalid_because(
            "limit",
            &minimall_core::error::Reason::OutOfRange { min: 1, max: LIST_MAX },
        ));
    }
    Ok(n as usize)
}

// ---- the job ----------------------------------------------------------------------------------------

/// Make sure the next periodic refresh exists. Its key makes this safe to call from every instance.
pub async fn schedule_refresh(store: &Store, merchant_id: i64, at: i64) -> Result<(), StoreError> {
    let slot = at / REFRESH_EVERY_MS * REFRESH_EVERY_MS;
    let mut tx = store.begin().await?;
    let key = format!("{REFRESH_JOB}:{slot}");
    let job =
        NewJob { merchant_id, kind: REFRESH_JOB, payload: "{}", run_at: slot, dedup_key: Some(&key), max_attempts: 3 };
    store.enqueue_job(&mut tx, &job).await?;
    minimall_store::commit(tx).await
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct RefreshPayload {
    /// Asked for by an operator: run once, do not reschedule.
    #[serde(default)]
    once: bool,
    /// The slot of the periodic run this one continues (a follow-up of a run that met its budget).
    #[serde(default)]
    slot: Option<i64>,
}

pub async fn refresh_job(st: AppState, job: JobRow) -> Result<(), String> {
    let p: RefreshPayload = serde_json::from_str(&job.payload).unwrap_or_default();
    let budget = std::time::Duration::from_millis(st.cfg.jobs.lease_secs * 1000 / 3);
    let done = refresh(&st.store, job.merchant_id, Some(budget)).await.map_err(|e| e.to_string())?;
    let slot = p.slot.unwrap_or(job.run_at);
    if done.more {
        continue_refresh(&st, job.merchant_id, p.once, slot).await.map_err(|e| e.to_string())?;
        return Ok(());
    }
    if p.once {
        return Ok(());
    }
    schedule_refresh(&st.store, job.merchant_id, slot + REFRESH_EVERY_MS).await.map_err(|e| e.to_string())
}

/// The follow-up of a run that met its budget: due now, keyed by the cursor it starts from and the work due,
/// so that a rerun of the same run does not enqueue it twice.
async fn continue_refresh(st: &AppState, merchant_id: i64, once: bool, slot: i64) -> Result<(), StoreError> {
    let cursor = st.store.reco_cursor(merchant_id).await?;
    let due = st.store.reco_dirty(merchant_id, 1).await?.first().copied().unwrap_or(0);
    let payload = serde_json::to_string(&RefreshPayload { once, slot: Some(slot) }).unwrap_or_else(|_| "{}".into());
    let key = format!("{REFRESH_JOB}:more:{cursor}:{due}");
    let mut tx = st.store.begin().await?;
    let job = NewJob {
        merchant_id,
        kind: REFRESH_JOB,
        payload: &payload,
        run_at: minimall_store::now_ms(),
        dedup_key: Some(&key),
        max_attempts: 3,
    };
    st.store.enqueue_job(&mut tx, &job).await?;
    minimall_store::commit(tx).await?;
    st.jobs_wakeup.notify_waiters();
    Ok(())
}

/// Ask for a refresh now (a durable job); its id.
pub async fn request_refresh(st: &AppState, merchant_id: i64) -> ApiResult<i64> {
    let mut tx = st.store.begin().await?;
    let payload = serde_json::to_string(&RefreshPayload { once: true, slot: None }).map_err(ApiError::internal)?;
    let job = NewJob {
        merchant_id,
        kind: REFRESH_JOB,
        payload: &payload,
        run_at: minimall_store::now_ms(),
        dedup_key: None,
        max_attempts: 3,
    };
    let id = st.store.enqueue_job(&mut tx, &job).await?.ok_or_else(|| ApiError::internal("job not enqueued"))?;
    minimall_store::commit(tx).await?;
    st.jobs_wakeup.notify_waiters();
    Ok(id)
}

/// What a refresh did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Refreshed {
    pub signals: u64,
    pub products: u64,
    /// The budget ran out with work left (events after the cursor or products due).
    pub more: bool,
}

/// Fold the events after the cursor into the profiles and recompute the neighbours of the products due, in
/// steps (a batch of events, a batch of products), each committed. With a `budget`, stop after the step during
/// which it ran out (at least one step is taken) and say whether work is left.
pub async fn refresh(
    store: &Store,
    merchant_id: i64,
    budget: Option<std::time::Duration>,
) -> Result<Refreshed, StoreError> {
    let cfg = config();
    let started = std::time::Instant::now();
    let spent = || budget.is_some_and(|b| started.elapsed() >= b);
    let mut done = Refreshed::default();
    loop {
        // The products due first: those of an earlier run that stopped, then those this run marks.
        loop {
            let due = store.reco_dirty(merchant_id, WRITE_BATCH as i64).await?;
            if due.is_empty() {
                break;
            }
            recompute(store, merchant_id, &due, &cfg).await?;
            store.clear_reco_dirty(merchant_id, &due).await?;
            done.products += due.len() as u64;
            if spent() {
                done.more = true;
                return Ok(done);
            }
        }
        let after = store.reco_cursor(merchant_id).await?;
        let (signals, upto) = store.reco_signals(merchant_id, after, EVENTS_PER_STEP).await?;
        if upto == after {
            return Ok(done);
        }
        store.apply_reco_signals(merchant_id, &signals, upto, cfg.max_items_per_actor as i64).await?;
        done.signals += signals.len() as u64;
        if spent() {
            done.more = true;
            return Ok(done);
        }
    }
}

/// Recompute and store the neighbours of these products, on both bases.
pub async fn recompute(store: &Store, merchant_id: i64, products: &[i64], cfg: &Config) -> Result<(), StoreError> {
    for b in [Basis::All, Basis::Purchases] {
        for chunk in products.chunks(WRITE_BATCH) {
            let mut lists = Vec::with_capacity(chunk.len());
            for &p in chunk {
                let (co, norms) = store.reco_co_sums(merchant_id, p, b).await?;
                let co: Vec<CoSum> = co
                    .into_iter()
                    .map(|(q, dot, support)| CoSum { product_id: q, dot: dot as f64, support: support as u32 })
                    .collect();
                let norms: HashMap<i64, f64> = norms.into_iter().map(|(q, n)| (q, n as f64)).collect();
                let list = rules::rank(p, &co, &norms, cfg)
                    .into_iter()
                    .map(|n| (n.product_id, (n.score * 1e6).round() as i64, i64::from(n.support)))
                    .collect();
                lists.push((p, list));
            }
            store.put_reco_neighbours(merchant_id, b, &lists).await?;
        }
    }
    Ok(())
}

// ---- the lists --------------------------------------------------------------------------------------

/// 看了又看 (`ProductViewed`) or 买了又买 (`ProductBought`) for a product on the shelf.
pub async fn for_product(
    st: &AppState,
    shopper: &Shopper,
    product_id: i64,
    placement: Placement,
    k: usize,
) -> ApiResult<Recommendations> {
    let p = st
        .store
        .product(st.store.reader(), st.merchant_id, ProductId::new(product_id))
        .await
        .map_err(|_| ApiError::not_found("product"))?;
    if p.on_shelf == 0 {
        return Err(ApiError::not_found("product"));
    }
    let seeds = [Recent { product_id, action: rules::Action::View }];
    serve(st, shopper, placement, Some(product_id), &seeds, k).await
}

/// 为你推荐: from the shopper's recent products (views, adds to cart, purchases, and a buyer's favourites).
pub async fn feed(st: &AppState, shopper: &Shopper, k: usize) -> ApiResult<Recommendations> {
    let mut recent: Vec<(i64, i64, i64)> = match shopper.actor() {
        Some(a) => st.store.reco_recent(st.merchant_id, &a, RECENT).await?,
        None => Vec::new(),
    };
    if let Some(b) = shopper.buyer_id() {
        for (p, at) in st.store.reco_favourites(st.merchant_id, b, RECENT).await? {
            recent.push((p, rules::weight_code(rules::Action::Cart), at));
        }
    }
    recent.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(&b.0)));
    let mut seen = HashSet::new();
    let seeds: Vec<Recent> = recent
        .into_iter()
        .filter(|r| seen.insert(r.0))
        .take(RECENT as usize)
        .map(|(p, w, _)| Recent { product_id: p, action: rules::action_of(w) })
        .collect();
    serve(st, shopper, Placement::HomeFeed, None, &seeds, k).await
}

/// Buyers also bought: purchase neighbours of the products in the buyer's cart (not those themselves).
pub async fn for_cart(st: &AppState, buyer_id: i64, k: usize) -> ApiResult<Recommendations> {
    let seeds: Vec<Recent> = st
        .store
        .reco_cart_products(st.merchant_id, buyer_id)
        .await?
        .into_iter()
        .take(RECENT as usize)
        .map(|p| Recent { product_id: p, action: rules::Action::Cart })
        .collect();
    serve(st, &Shopper::Buyer(buyer_id), Placement::CartBought, None, &seeds, k).await
}

/// Build a placement's list, log it as an exposure and return it.
async fn serve(
    st: &AppState,
    shopper: &Shopper,
    placement: Placement,
    product: Option<i64>,
    seeds: &[Recent],
    k: usize,
) -> ApiResult<Recommendations> {
    let m = st.merchant_id;
    let arm = super::experiments::arm(st, placement, shopper).await?;
    let strategy = arm.as_ref().map_or(Strategy::Personal, |a| a.strategy);
    let seed_ids: Vec<i64> = seeds.iter().map(|s| s.product_id).collect();
    let mut nb = Neighbours::new();
    if strategy == Strategy::Personal {
        for r in st.store.reco_neighbours(m, basis(placement), &seed_ids).await? {
            nb.entry(r.product_id).or_default().push(Neighbour {
                product_id: r.neighbour_id,
                score: r.score_micros as f64 / 1e6,
                support: r.support as u32,
            });
        }
    }
    let popular = st.store.reco_popular(m, POPULAR_POOL).await?;
    let mut category: HashMap<i64, i64> = popular.iter().copied().collect();
    category.extend(st.store.reco_categories(m, &seed_ids).await?);
    let candidates: Vec<i64> =
        nb.values().flatten().map(|n| n.product_id).collect::<HashSet<_>>().into_iter().collect();
    let available: HashSet<i64> = st.store.reco_available(m, &candidates).await?.into_iter().map(|r| r.0).collect();
    let mut excluded: Excluded = candidates.into_iter().filter(|p| !available.contains(p)).collect();
    if let Some(b) = shopper.buyer_id() {
        excluded.extend(st.store.reco_bought(m, b).await?);
    }
    let catalog = Catalog { popular: popular.iter().map(|r| r.0).collect(), category };
    let ids = match product {
        Some(p) => rules::for_product(p, &nb, &catalog, &excluded, k),
        None => rules::feed(seeds, &nb, &config(), &catalog, &excluded, k),
    };
    let rows = st.store.reco_products(m, &ids).await?;
    let by_id: HashMap<i64, ProductCard> = rows.iter().map(|r| (r.id.get(), ProductCard::from(r))).collect();
    let items: Vec<ProductCard> = ids.iter().filter_map(|id| by_id.get(id).cloned()).collect();
    if let Some(actor) = shopper.actor() {
        let shown: Vec<i64> = items.iter().map(|p| p.id).collect();
        let mut tx = st.store.begin().await?;
        if let Some(a) = &arm {
            st.store.expose_experiment(&mut tx, m, a.experiment_id, &actor, a.variant as i64).await?;
        }
        let e = RecoEvent {
            placement: placement.as_str(),
            kind: 1,
            actor: &actor,
            product_id: product,
            items: &shown,
            experiment_id: arm.as_ref().map(|a| a.experiment_id),
            variant: arm.as_ref().map(|a| a.variant as i64),
        };
        st.store.log_reco_event(&mut tx, m, &e).await?;
        minimall_store::commit(tx).await?;
    }
    Ok(Recommendations {
        placement: placement.as_str().to_string(),
        strategy: strategy.as_str().to_string(),
        experiment_id: arm.as_ref().map(|a| a.experiment_id),
        variant: arm.map(|a| a.name),
        items,
    })
}

/// A product was opened from a placement's list: log the click (with the shopper's experiment variant, counted
/// as a conversion when the experiment's metric is the click).
pub async fn click(st: &AppState, shopper: &Shopper, placement: Placement, product_id: i64) -> ApiResult<()> {
    let Some(actor) = shopper.actor() else {
        return Ok(());
    };
    let m = st.merchant_id;
    let mut tx = st.store.begin().await?;
    let exposed = st.store.exposure_on(&mut tx, m, placement.as_str(), &actor).await?;
    if let Some(x) = &exposed {
        if x.metric == "click" {
            st.store.convert_experiment(&mut tx, m, x.experiment_id, &actor, x.variant, None, None).await?;
        }
    }
    let e = RecoEvent {
        placement: placement.as_str(),
        kind: 2,
        actor: &actor,
        product_id: Some(product_id),
        items: &[],
        experiment_id: exposed.as_ref().map(|x| x.experiment_id),
        variant: exposed.as_ref().map(|x| x.variant),
    };
    st.store.log_reco_event(&mut tx, m, &e).await?;
    minimall_store::commit(tx).await?;
    Ok(())
}

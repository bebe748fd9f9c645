//! The flash-sale engine: an admission gate in front of grouped durable writes.
//!
//! A purchase is admitted (or refused) by the gate — in this process's memory, or in Redis when
//! `redis_url` is set so that several instances share one sale — without touching the database. Admitted
//! purchases queue for one writer task, which writes whatever has queued as one transaction (group commit) and
//! answers each buyer only after that transaction committed. A write that fails gives its units back to the
//! gate; the database's own guard (`sold <= quantity`) refuses any write a wrong gate would let through.
//! On start the in-memory gate is rebuilt from the database, so a crash between admission and commit loses
//! nothing for good. The Redis gate records a reservation per admission; reservations that never became
//! orders are reclaimed by `flash.reconcile`. See ARCHITECTURE.md, "Flash sales".

pub mod api;
pub mod console;
pub mod redis;
pub mod refusals;
pub mod sales;
pub mod shop_pages;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use minimall_core::flash::{window, Refusal, SaleGate};
use minimall_store::flash::{FlashItemRow, FlashOrderWrite, FlashSaleRow, FlashWriteOutcome, ReleasedUnits};
use minimall_store::{Store, StoreError};
use serde::Serialize;
use tokio::sync::{mpsc, oneshot};
use utoipa::ToSchema;

use crate::error::ApiReason;
use crate::error::{ApiError, ApiResult};
use crate::flash::redis::RedisGate;
use crate::flash::refusals::FlashRefusal;
use crate::usecase::Effects;

pub const FINISH_JOB: &str = "flash.finish";
pub const RECONCILE_JOB: &str = "flash.reconcile";
/// Most purchases one group commit writes (the `flash.max_batch` setting is capped here). A batch larger
/// than the store's statement size is written as several statements in the same transaction.
pub const MAX_BATCH: usize = 1024;
/// How long a sale's terms are trusted before they are read again (edits made on another instance).
const META_TTL: Duration = Duration::from_secs(1);

/// A sale's terms and SKUs, as the purchase path needs them.
#[derive(Debug, Clone)]
pub struct SaleMeta {
    pub sale: FlashSaleRow,
    pub items: Vec<FlashItemRow>,
    loaded: Instant,
}

impl SaleMeta {
    pub fn item(&self, sku_id: i64) -> Option<&FlashItemRow> {
        self.items.iter().find(|i| i.sku_id == sku_id)
    }
}

/// Units taken from the gate for one purchase, to be confirmed or given back.
#[derive(Debug, Clone)]
pub struct Ticket {
    pub sale_id: i64,
    pub sku_id: i64,
    pub buyer_id: i64,
    pub quantity: i64,
    pub reservation: String,
}

/// The answer to a purchase, shared with identical requests that arrived while it was in flight.
#[derive(Debug, Clone)]
pub enum Answer {
    Created(String),
    Replay { status: u16, body: String },
    Failed(ApiError),
}

/// Response of a successful purchase.
#[derive(Debug, Serialize, ToSchema)]
pub struct FlashOrderCreated {
    pub order_id: i64,
    pub order_no: String,
    pub sale_id: i64,
    pub sku_id: i64,
    pub quantity: i64,
    /// Fen.
    pub payable: i64,
    pub status: String,
    /// Epoch ms; unpaid, the order is cancelled then and its units go back to the sale.
    pub pay_deadline: i64,
}

enum Gate {
    Local(Mutex<HashMap<i64, SaleGate>>),
    Redis(Arc<RedisGate>),
}

struct Pending {
    write: FlashOrderWrite,
    done: oneshot::Sender<Result<FlashWriteOutcome, ApiError>>,
}

type Waiters = Vec<oneshot::Sender<Answer>>;

pub struct FlashEngine {
    store: Store,
    metas: Mutex<HashMap<i64, Arc<SaleMeta>>>,
    /// Sales whose terms one caller is reading again.
    refreshing: Mutex<HashSet<i64>>,
    gate: Gate,
    writer: mpsc::Sender<Pending>,
    inflight: Mutex<HashMap<(i64, String), (String, Waiters)>>,
    /// In-memory gate only: the answers of the orders this process created, per (sale, buyer). A refused
    /// buyer who holds units may be repeating one of them; their key is looked up here.
    answers: Mutex<HashMap<(i64, i64), Vec<Earlier>>>,
    /// In-memory gate only: buyers who held units when a sale's gate was loaded from the database. Their
    /// earlier keys may be in the database only, so a refusal of theirs still looks there.
    loaded_holders: Mutex<HashSet<(i64, i64)>>,
}

/// Marks a sale's terms as being read again until dropped (also when the reading request is dropped).
struct Refreshing<'a>(&'a Mutex<HashSet<i64>>, i64);

impl Drop for Refreshing<'_> {
    fn drop(&mut self) {
        self.0.lock().expect("flash refreshing").remove(&self.1);
    }
}

/// A created order's key and answer.
struct Earlier {
    slot: String,
    hash: String,
    body: String,
}

impl FlashEngine {
    /// Start the engine: connect the gate (Redis when `redis_url` is set) and spawn the writer task.
    pub async fn start(store: Store, cfg: &crate::config::Config) -> anyhow::Result<Arc<FlashEngine>> {
        let gate = match cfg.redis_url.as_deref() {
            Some(url) => Gate::Redis(Arc::new(
                RedisGate::connect(
                    url,
                    &store.installation_key().await?,
                    Duration::from_millis(cfg.redis_timeout_ms),
                    Duration::from_millis(cfg.redis_cooldown_ms),
                )
                .await?,
            )),
            None => Gate::Local(Mutex::new(HashMap::new())),
        };
        let max_batch = cfg.flash.max_batch;
        let (tx, rx) = mpsc::channel::<Pending>(65_536);
        // The writer runs on a thread and runtime of its own: on the shared runtime, each of its statements
        // would wait behind every queued request task (thousands during a sale) before it could go on.
        let writer_store = store.clone();
        let max = max_batch.clamp(1, MAX_BATCH);
        std::thread::Builder::new().name("flash-writer".into()).spawn(move || {
            match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                Ok(rt) => rt.block_on(run_writer(writer_store, rx, max)),
                Err(e) => tracing::error!(error = %e, "flash writer could not start"),
            }
        })?;
        let engine = Arc::new(FlashEngine {
            store,
            metas: Mutex::default(),
            refreshing: Mutex::default(),
            gate,
            writer: tx,
            inflight: Mutex::default(),
            answers: Mutex::default(),
            loaded_holders: Mutex::default(),
        });
        Ok(engine)
    }

    pub fn uses_redis(&self) -> bool {
        matches!(self.gate, Gate::Redis(_))
    }

    /// Readiness of the Redis gate: `None` without Redis; otherwise the breaker's state and a PING.
    pub async fn redis_ready(&self) -> Option<Result<(), String>> {
        let Gate::Redis(r) = &self.gate else { return None };
        if r.link().is_open() {
            return Some(Err("not answering (calls refused until it answers again)".into()));
        }
        Some(r.link().ping().await.map_err(|e| e.to_string()))
    }

    /// Rebuild the in-memory gate of every sale that has not ended from the database (start-up).
    pub async fn rebuild(&self, merchant_id: i64) -> ApiResult<usize> {
        let live = self.store.flash_sales(merchant_id, Some(minimall_store::now_ms()), 1000, 0).await?;
        for s in &live.items {
            self.meta(merchant_id, s.id, true).await?;
            if let Gate::Local(_) = self.gate {
                self.load_local(s.id).await?;
            }
        }
        Ok(live.items.len())
    }

    /// A sale's terms, from memory when read within the last second. When they are older, one caller reads
    /// them again while the others go on with the ones read a moment ago (at a sale's start thousands of
    /// purchases arrive together; they should not all read the same row).
    pub async fn meta(&self, merchant_id: i64, sale_id: i64, fresh: bool) -> ApiResult<Arc<SaleMeta>> {
        if !fresh {
            let cached = self.metas.lock().expect("flash metas").get(&sale_id).cloned();
            if let Some(m) = cached.filter(|m| m.sale.merchant_id == merchant_id) {
                if m.loaded.elapsed() < META_TTL {
                    return Ok(m);
                }
                if !self.refreshing.lock().expect("flash refreshing").insert(sale_id) {
                    return Ok(m);
                }
                let _done = Refreshing(&self.refreshing, sale_id);
                return self.load_meta(merchant_id, sale_id).await;
            }
        }
        self.load_meta(merchant_id, sale_id).await
    }

    async fn load_meta(&self, merchant_id: i64, sale_id: i64) -> ApiResult<Arc<SaleMeta>> {
        let sale = match self.store.flash_sale(self.store.reader(), merchant_id, sale_id).await {
            Ok(s) => s,
            Err(StoreError::NotFound) => return Err(ApiError::not_found("flash_sale")),
            Err(e) => return Err(e.into()),
        };
        let items = self.store.flash_items(sale_id).await?;
        let meta = Arc::new(SaleMeta { sale, items, loaded: Instant::now() });
        if let Gate::Local(g) = &self.gate {
            if let Some(gate) = g.lock().expect("flash gate").get_mut(&sale_id) {
                gate.set_terms(meta.sale.starts_at, meta.sale.ends_at, meta.sale.per_buyer_limit);
            }
        }
        self.metas.lock().expect("flash metas").insert(sale_id, meta.clone());
        Ok(meta)
    }

    /// Forget a sale's cached terms (after an edit on this instance).
    pub fn forget(&self, sale_id: i64) {
        self.metas.lock().expect("flash metas").remove(&sale_id);
    }

    async fn load_local(&self, sale_id: i64) -> ApiResult<()> {
        let Gate::Local(g) = &self.gate else { return Ok(()) };
        if g.lock().expect("flash gate").contains_key(&sale_id) {
            return Ok(());
        }
        let (free, held) = self.store.flash_gate_snapshot(sale_id).await?;
        self.loaded_holders
            .lock()
            .expect("flash holders")
            .extend(held.iter().filter(|(_, n)| *n > 0).map(|(b, _)| (sale_id, *b)));
        let meta = self.metas.lock().expect("flash metas").get(&sale_id).cloned();
        let (s, e, l) = meta.map(|m| (m.sale.starts_at, m.sale.ends_at, m.sale.per_buyer_limit)).unwrap_or((0, 0, 1));
        g.lock().expect("flash gate").entry(sale_id).or_insert_with(|| SaleGate::new(s, e, l, free, held));
        Ok(())
    }

    /// Install the gate of a sale just created on this instance (all its units free).
    pub async fn created(&self, merchant_id: i64, sale_id: i64) -> ApiResult<()> {
        let meta = self.meta(merchant_id, sale_id, true).await?;
        match &self.gate {
            Gate::Local(_) => self.load_local(sale_id).await,
            // Redis not answering: the sale is loaded there at its first purchase instead.
            Gate::Redis(r) => {
                if let Err(e) = r.ensure_loaded(&self.store, &meta).await {
                    tracing::warn!(error = %e, sale_id, "flash sale to be loaded into Redis at first use");
                }
                Ok(())
            }
        }
    }

    /// Take units for a purchase, or say why not (with the units the buyer already holds).
    async fn admit(
        &self,
        meta: &SaleMeta,
        buyer: i64,
        sku: i64,
        qty: i64,
    ) -> ApiResult<Result<Ticket, (Refusal, i64)>> {
        let now = minimall_store::now_ms();
        if meta.sale.status != "scheduled" {
            return Ok(Err((Refusal::Ended, 0)));
        }
        if let Err(r) = window(now, meta.sale.starts_at, meta.sale.ends_at) {
            return Ok(Err((r, 0)));
        }
        let ticket = Ticket {
            sale_id: meta.sale.id,
            sku_id: sku,
            buyer_id: buyer,
            quantity: qty,
            reservation: reservation_id(now),
        };
        match &self.gate {
            Gate::Local(g) => {
                let verdict = {
                    let mut map = g.lock().expect("flash gate");
                    map.get_mut(&meta.sale.id)
                        .map(|gate| gate.admit(now, buyer, sku, qty).map_err(|r| (r, gate.held(buyer))))
                };
                match verdict {
                    Some(v) => Ok(v.map(|_| ticket)),
                    None => {
                        self.load_local(meta.sale.id).await?;
                        let mut map = g.lock().expect("flash gate");
                        let gate =
                            map.get_mut(&meta.sale.id).ok_or_else(|| ApiError::internal("flash gate missing"))?;
                        Ok(gate.admit(now, buyer, sku, qty).map(|_| ticket).map_err(|r| (r, gate.held(buyer))))
                    }
                }
            }
            Gate::Redis(r) => r.admit(&self.store, meta, ticket).await,
        }
    }

    /// Give units back to the gate (a write that did not happen, an order cancelled while the sale runs).
    async fn give_back(&self, t: &Ticket) {
        match &self.gate {
            Gate::Local(g) => {
                if let Some(gate) = g.lock().expect("flash gate").get_mut(&t.sale_id) {
                    gate.release(t.buyer_id, t.sku_id, t.quantity);
                }
            }
            Gate::Redis(r) => {
                if let Err(e) = r.cancel_reservation(t).await {
                    tracing::warn!(error = %e, "flash reservation left for reconciliation");
                }
            }
        }
    }

    /// The order of a ticket committed: drop its Redis reservation, after the buyer has the answer (until then
    /// the reservation only tells reconciliation to look for the order, which it will find).
    fn confirmed(&self, t: &Ticket) {
        if let Gate::Redis(r) = &self.gate {
            let (gate, t) = (r.clone(), t.clone());
            tokio::spawn(async move {
                if let Err(e) = gate.confirm(&t).await {
                    tracing::warn!(error = %e, "flash reservation left for reconciliation");
                }
            });
        }
    }

    /// A flash order was cancelled and its units went back to the sale in the database: tell the gate.
    /// Called after the cancellation committed; exactly once per order (the order left pending once).
    pub async fn released(&self, order_id: i64, r: &ReleasedUnits) {
        if !r.to_sale {
            return;
        }
        match &self.gate {
            Gate::Local(g) => {
                if let Some(gate) = g.lock().expect("flash gate").get_mut(&r.sale_id) {
                    gate.release(r.buyer_id, r.sku_id, r.quantity);
                }
            }
            Gate::Redis(gate) => {
                if let Err(e) = gate.release_order(order_id, r).await {
                    tracing::warn!(error = %e, order_id, "flash release left for reconciliation");
                }
            }
        }
    }

    /// Units the gate says are still free per SKU.
    pub async fn gate_remaining(&self, meta: &SaleMeta) -> ApiResult<Vec<(i64, i64)>> {
        match &self.gate {
            Gate::Local(g) => {
                let map = g.lock().expect("flash gate");
                Ok(meta
                    .items
                    .iter()
                    .map(|i| {
                        (i.sku_id, map.get(&meta.sale.id).map(|g| g.remaining(i.sku_id)).unwrap_or(i.quantity - i.sold))
                    })
                    .collect())
            }
            Gate::Redis(r) => r.remaining(meta).await,
        }
    }

    /// Units still on sale per SKU for pages and APIs that show a sale: the gate's figures, or, when the gate
    /// is not answering (Redis down), none — the caller then shows the database's (`quantity - sold`).
    pub async fn shown_remaining(&self, meta: &SaleMeta) -> Vec<(i64, i64)> {
        self.gate_remaining(meta).await.unwrap_or_default()
    }

    /// A sale ended: its gate is no longer needed.
    pub fn ended(&self, sale_id: i64) {
        if let Gate::Local(g) = &self.gate {
            g.lock().expect("flash gate").remove(&sale_id);
        }
        self.answers.lock().expect("flash answers").retain(|k, _| k.0 != sale_id);
        self.loaded_holders.lock().expect("flash holders").retain(|k| k.0 != sale_id);
        self.forget(sale_id);
    }

    /// Reclaim Redis reservations older than `older_than_ms` that never became orders.
    pub async fn reconcile(&self, merchant_id: i64, older_than_ms: i64) -> ApiResult<usize> {
        let Gate::Redis(r) = &self.gate else { return Ok(0) };
        let now = minimall_store::now_ms();
        let sales = self.store.flash_sales(merchant_id, Some(now - 3_600_000), 1000, 0).await?;
        let mut n = 0;
        for s in sales.items {
            n += r.reclaim(&self.store, s.id, now - older_than_ms).await?;
        }
        Ok(n)
    }

    /// A refusal that needs neither the database nor the in-flight table: the sale is not running, or the
    /// SKU is sold out and the buyer holds none of it (so no earlier answer under their key can exist).
    pub fn quick_refusal(&self, meta: &SaleMeta, buyer: i64, sku: i64, qty: i64) -> Option<Refusal> {
        let Gate::Local(g) = &self.gate else { return None };
        let map = g.lock().expect("flash gate");
        let gate = map.get(&meta.sale.id)?;
        if gate.held(buyer) > 0 {
            return None;
        }
        let now = minimall_store::now_ms();
        if meta.sale.status != "scheduled" {
            return Some(Refusal::Ended);
        }
        if let Err(r) = window(now, meta.sale.starts_at, meta.sale.ends_at) {
            return Some(r);
        }
        (gate.remaining(sku) < qty).then_some(Refusal::SoldOut)
    }

    /// The stored answer of an earlier purchase under this request's key, for a refused buyer who holds
    /// units. With the in-memory gate, orders this process created are answered from memory and only buyers
    /// who already held units when the gate was loaded are looked up in the database.
    async fn earlier_answer(&self, p: &Purchase, slot: &str) -> Option<Answer> {
        let answer = |hash: &str, status: u16, body: String| {
            if hash == p.idem_hash {
                Answer::Replay { status, body }
            } else {
                Answer::Failed(reused_key())
            }
        };
        if let Gate::Local(_) = self.gate {
            let who = (p.meta.sale.id, p.buyer_id);
            if let Some(e) =
                self.answers.lock().expect("flash answers").get(&who).and_then(|l| l.iter().find(|e| e.slot == slot))
            {
                return Some(answer(&e.hash, 201, e.body.clone()));
            }
            if !self.loaded_holders.lock().expect("flash holders").contains(&who) {
                return None;
            }
        }
        match self.store.idempotency_record(&p.idem_scope, &p.idem_key).await {
            Ok(Some((hash, status, body))) => Some(answer(&hash, status, body)),
            _ => None,
        }
    }

    /// Buy: admit, write in the next group commit, answer once durable. Identical requests in flight share
    /// one answer; a refused buyer who already holds units gets their earlier answer if the key matches.
    pub async fn purchase(&self, p: Purchase) -> Answer {
        // The key's scope and value as one string: the slot of this request in the in-flight table and the
        // engine's record of created orders.
        let slot = (p.buyer_id, format!("{}\n{}", p.idem_scope, p.idem_key));
        let rx = {
            let mut inflight = self.inflight.lock().expect("flash inflight");
            match inflight.get_mut(&slot) {
                Some((hash, waiters)) => {
                    if *hash != p.idem_hash {
                        return Answer::Failed(reused_key());
                    }
                    let (tx, rx) = oneshot::channel();
                    waiters.push(tx);
                    Some(rx)
                }
                None => {
                    inflight.insert(slot.clone(), (p.idem_hash.clone(), Vec::new()));
                    None
                }
            }
        };
        if let Some(rx) = rx {
            return match rx.await {
                Ok(Answer::Created(body)) => Answer::Replay { status: 201, body },
                Ok(a) => a,
                Err(_) => Answer::Failed(ApiError::unavailable_because(&FlashRefusal::FirstFailed)),
            };
        }
        let answer = self.purchase_once(&p, &slot.1).await;
        let waiters = self.inflight.lock().expect("flash inflight").remove(&slot).map(|w| w.1).unwrap_or_default();
        for w in waiters {
            let _ = w.send(answer.clone());
        }
        answer
    }

    async fn purchase_once(&self, p: &Purchase, slot: &str) -> Answer {
        let ticket = match self.admit(&p.meta, p.buyer_id, p.sku_id, p.quantity).await {
            Ok(Ok(t)) => t,
            Ok(Err((refusal, held))) => {
                if held > 0 {
                    if let Some(earlier) = self.earlier_answer(p, slot).await {
                        return earlier;
                    }
                }
                metrics::counter!("flash_refusals_total", "reason" => refusal.label()).increment(1);
                return Answer::Failed(refused(refusal));
            }
            Err(e) => return Answer::Failed(e),
        };
        let item = p.meta.item(p.sku_id).expect("sku checked before admission");
        let now = minimall_store::now_ms();
        let write = FlashOrderWrite {
            merchant_id: p.meta.sale.merchant_id,
            sale_id: p.meta.sale.id,
            item_id: item.id,
            sku_id: p.sku_id,
            product_id: item.product_id,
            buyer_id: p.buyer_id,
            quantity: p.quantity,
            order_no: minimall_core::orders::order_no(now, crate::orders::next_seq()),
            title: item.title.clone(),
            spec: item.spec_values.clone(),
            image: serde_json::from_str::<Vec<String>>(&item.images).ok().and_then(|v| v.into_iter().next()),
            sale_price: item.sale_price,
            flash_price: item.flash_price,
            shipping: p.meta.sale.shipping,
            address: p.address.clone(),
            pay_deadline: now + p.meta.sale.unpaid_timeout_secs * 1000,
            reservation: ticket.reservation.clone(),
            idem_scope: p.idem_scope.clone(),
            idem_key: p.idem_key.clone(),
            idem_hash: p.idem_hash.clone(),
        };
        let (tx, rx) = oneshot::channel();
        if self.writer.send(Pending { write, done: tx }).await.is_err() {
            self.give_back(&ticket).await;
            return Answer::Failed(ApiError::unavailable_because(&FlashRefusal::ShuttingDown));
        }
        match rx.await {
            Ok(Ok(FlashWriteOutcome::Created { body, .. })) => {
                if let Gate::Local(_) = self.gate {
                    let earlier = Earlier { slot: slot.to_string(), hash: p.idem_hash.clone(), body: body.clone() };
                    self.answers
                        .lock()
                        .expect("flash answers")
                        .entry((p.meta.sale.id, p.buyer_id))
                        .or_default()
                        .push(earlier);
                }
                self.confirmed(&ticket);
                metrics::counter!("flash_orders_total").increment(1);
                Answer::Created(body)
            }
            Ok(Ok(FlashWriteOutcome::Replay { status, body })) => {
                self.give_back(&ticket).await;
                Answer::Replay { status, body }
            }
            Ok(Ok(FlashWriteOutcome::Mismatch)) => {
                self.give_back(&ticket).await;
                Answer::Failed(reused_key())
            }
            Ok(Err(e)) => {
                self.give_back(&ticket).await;
                if e.code == "flash_sold_out" {
                    // The database refused more units than the gate thought free: trust the database.
                    if let Gate::Local(g) = &self.gate {
                        g.lock().expect("flash gate").remove(&ticket.sale_id);
                    }
                }
                Answer::Failed(e)
            }
            Err(_) => {
                self.give_back(&ticket).await;
                Answer::Failed(ApiError::unavailable_because(&FlashRefusal::WriterStopped))
            }
        }
    }
}

/// A validated purchase request.
pub struct Purchase {
    pub meta: Arc<SaleMeta>,
    pub buyer_id: i64,
    pub sku_id: i64,
    pub quantity: i64,
    pub address: Option<String>,
    pub idem_scope: String,
    pub idem_key: String,
    pub idem_hash: String,
}

/// A reservation's id: the time in milliseconds (11 hex digits, in order until the year 2527), then 13 random
/// hex digits. Ids of one moment sort together, so the flash rows' unique index on them takes each batch
/// at its end rather than one page per purchase.
fn reservation_id(now_ms: i64) -> String {
    let random = crate::accounts::auth::new_token("");
    format!("r{:011x}{}", now_ms.max(0), &random[..13])
}

pub fn refused(r: Refusal) -> ApiError {
    ApiError::refused(axum::http::StatusCode::CONFLICT, r.api_code(), &r)
}

fn reused_key() -> ApiError {
    ApiError::refused(
        axum::http::StatusCode::UNPROCESSABLE_ENTITY,
        "idempotency_key_reused",
        &ApiReason::IdempotencyKeyReused,
    )
    .with_field("Idempotency-Key")
}

fn render(w: &FlashOrderWrite, order_id: i64) -> String {
    serde_json::to_string(&FlashOrderCreated {
        order_id,
        order_no: w.order_no.clone(),
        sale_id: w.sale_id,
        sku_id: w.sku_id,
        quantity: w.quantity,
        payable: w.payable(),
        status: "pending_payment".into(),
        pay_deadline: w.pay_deadline,
    })
    .unwrap_or_default()
}

/// The group-commit loop: take everything queued (up to `max`), write it as one transaction, answer.
/// If a batch fails as a whole, its purchases are written one by one so that one bad write fails alone.
async fn run_writer(store: Store, mut rx: mpsc::Receiver<Pending>, max: usize) {
    let mut batch: Vec<Pending> = Vec::with_capacity(max);
    while let Some(first) = rx.recv().await {
        batch.push(first);
        while batch.len() < max {
            match rx.try_recv() {
                Ok(p) => batch.push(p),
                Err(_) => break,
            }
        }
        metrics::histogram!("flash_batch_size").record(batch.len() as f64);
        let (writes, dones): (Vec<FlashOrderWrite>, Vec<_>) = batch.drain(..).map(|p| (p.write, p.done)).unzip();
        let started = Instant::now();
        let result = store.write_flash_batch(&writes, crate::orders::EXPIRE_JOB, &render).await;
        tracing::debug!(size = writes.len(), ms = started.elapsed().as_secs_f64() * 1000.0, "flash batch written");
        match result {
            Ok(outcomes) => {
                for (done, o) in dones.into_iter().zip(outcomes) {
                    let _ = done.send(Ok(o));
                }
            }
            Err(e) if writes.len() == 1 => {
                if let Some(done) = dones.into_iter().next() {
                    let _ = done.send(Err(write_error(e)));
                }
            }
            Err(_) => {
                for (mut write, done) in writes.into_iter().zip(dones) {
                    let mut result =
                        store.write_flash_batch(std::slice::from_ref(&write), crate::orders::EXPIRE_JOB, &render).await;
                    if let Err(StoreError::Duplicate(_)) = result {
                        // Another instance took this order number in the same second: take a new one.
                        write.order_no =
                            minimall_core::orders::order_no(minimall_store::now_ms(), crate::orders::next_seq());
                        result = store
                            .write_flash_batch(std::slice::from_ref(&write), crate::orders::EXPIRE_JOB, &render)
                            .await;
                    }
                    let _ = done.send(result.map(|mut v| v.remove(0)).map_err(write_error));
                }
            }
        }
    }
}

fn write_error(e: StoreError) -> ApiError {
    match e {
        StoreError::Constraint(_) => refused(Refusal::SoldOut),
        other => other.into(),
    }
}

const RECONCILE_EVERY_MS: i64 = 10_000;

#[derive(serde::Deserialize)]
struct SalePayload {
    sale_id: i64,
}

/// End of a sale's window: unsold units go back to their SKUs, once.
pub async fn finish_job(st: crate::state::AppState, job: minimall_store::jobs::JobRow) -> Result<(), String> {
    let p: SalePayload = serde_json::from_str(&job.payload).map_err(|e| e.to_string())?;
    let sale = match st.store.flash_sale(st.store.reader(), job.merchant_id, p.sale_id).await {
        Ok(s) => s,
        Err(StoreError::NotFound) => return Ok(()),
        Err(e) => return Err(e.to_string()),
    };
    let now = minimall_store::now_ms();
    if sale.ends_at > now {
        // The sale was extended: run again at its new end.
        return schedule_finish(&st, sale.merchant_id, sale.id, sale.ends_at).await.map_err(|e| e.to_string());
    }
    end_sale(&st, sale.merchant_id, sale.id, "finished").await.map_err(|e| e.to_string())?;
    Ok(())
}

/// Stop or finish a sale: unsold units back to stock, gate dropped. False when it had already ended.
pub async fn end_sale(st: &crate::state::AppState, merchant_id: i64, sale_id: i64, status: &str) -> ApiResult<bool> {
    let mut tx = st.store.begin().await?;
    let done = st.store.finish_flash_sale(&mut tx, merchant_id, sale_id, status).await?;
    minimall_store::commit(tx).await?;
    st.flash.ended(sale_id);
    if done {
        let meta = st.store.flash_sale(st.store.reader(), merchant_id, sale_id).await?;
        Effects::new().stock_moved([meta.product_id]).committed(st);
    }
    Ok(done)
}

pub async fn schedule_finish(st: &crate::state::AppState, merchant_id: i64, sale_id: i64, at: i64) -> ApiResult<()> {
    crate::orders::schedule(
        st,
        merchant_id,
        FINISH_JOB,
        serde_json::json!({ "sale_id": sale_id }),
        at,
        format!("{FINISH_JOB}:{sale_id}:{at}"),
    )
    .await
}

/// Every few seconds with Redis: give back reservations that never became orders.
/// A round that fails (Redis down) is skipped: the next one is scheduled all the same, so that a long outage
/// does not use up the job's attempts and stop reconciliation for good.
pub async fn reconcile_job(st: crate::state::AppState, job: minimall_store::jobs::JobRow) -> Result<(), String> {
    match st.flash.reconcile(st.merchant_id, st.cfg.flash.reclaim_after_secs * 1000).await {
        Ok(0) => {}
        Ok(n) => {
            tracing::warn!(reclaimed = n, "flash reservations without orders given back");
            metrics::counter!("flash_reservations_reclaimed_total").increment(n as u64);
        }
        Err(e) => tracing::warn!(error = %e, "flash reconciliation skipped this round"),
    }
    schedule_reconcile(&st, job.run_at + RECONCILE_EVERY_MS).await.map_err(|e| e.to_string())
}

pub async fn schedule_reconcile(st: &crate::state::AppState, at: i64) -> ApiResult<()> {
    let slot = at / RECONCILE_EVERY_MS * RECONCILE_EVERY_MS;
    crate::orders::schedule(
        st,
        st.merchant_id,
        RECONCILE_JOB,
        serde_json::json!({}),
        slot,
        format!("{RECONCILE_JOB}:{slot}"),
    )
    .await
}

//! Order use cases: checkout (re-quote, take stock, lock coupons, spend points, store apportioned lines),
//! payment results, cancellation that gives everything back exactly once, shipping and receipt.
//! State changes follow `core::orders::transition` and are applied with conditional updates.

pub mod admin_api;
pub mod buying;
pub mod console;
pub mod fulfilment;
pub mod logistics;
pub mod pickup;
pub mod refusals;
pub mod shop_api;
pub mod shop_pages;
pub mod stores;
pub mod tabs;

use minimall_core::orders::{transition, OrderEvent, OrderStatus, TransitionCtx};
use minimall_core::{BuyerId, MerchantId, OrderId, ProductId, SkuId};
use minimall_store::jobs::NewJob;
use minimall_store::orders::{NewLine, NewOrder, OrderLineRow, OrderRow};
use minimall_store::stock::StockReason;
use minimall_store::{Counted, Tx, Writes};

use crate::error::ApiReason;
use crate::error::{ApiError, ApiResult};
use crate::orders::refusals::OrderRefusal;
use crate::promotions::pricing::Priced;
use crate::state::AppState;
use crate::usecase::{self, Effects};
use minimall_store::orders::OrderScope;

pub const EXPIRE_JOB: &str = "order.expire";
pub const AUTO_RECEIVE_JOB: &str = "order.auto_receive";
pub const COMPLETE_JOB: &str = "order.complete";
pub const SANDBOX_NOTIFY_JOB: &str = "payment.sandbox_notify";
pub const REFUND_JOB: &str = "payment.refund";

/// The next status for an event, or a 409 naming the current one.
pub fn next_status(current: &str, event: OrderEvent) -> ApiResult<(OrderStatus, OrderStatus)> {
    let from =
        OrderStatus::parse(current).ok_or_else(|| ApiError::internal(format!("unknown order status {current}")))?;
    let to = transition(from, event, &TransitionCtx { is_group_order: false })
        .map_err(|e| ApiError::conflict_because(&e))?;
    Ok((from, to))
}

/// Enqueue a job inside `tx` (deduplicated by `dedup`).
pub async fn enqueue_job(
    st: &AppState,
    tx: &mut Tx,
    merchant_id: i64,
    kind: &str,
    payload: serde_json::Value,
    run_at: i64,
    dedup: String,
) -> ApiResult<()> {
    let mut w = st.store.writes();
    add_job(&mut w, merchant_id, kind, payload, run_at, dedup);
    w.run(tx).await?;
    Ok(())
}

/// [`enqueue_job`] as one of the writes a transaction sends together.
pub fn add_job(w: &mut Writes, merchant_id: i64, kind: &str, payload: serde_json::Value, run_at: i64, dedup: String) {
    w.job(&NewJob {
        merchant_id,
        kind,
        payload: &payload.to_string(),
        run_at,
        dedup_key: Some(&dedup),
        max_attempts: 20,
    });
}

/// The delivery address as the order keeps it (a snapshot: later edits of the address book do not change it).
pub fn address_snapshot(a: &minimall_store::addresses::AddressRow) -> String {
    serde_json::json!({
        "name": a.name, "phone": a.phone, "province": a.province, "city": a.city,
        "district": a.district, "detail": a.detail
    })
    .to_string()
}

pub struct Checkout<'a> {
    pub buyer_id: i64,
    pub merchant_id: i64,
    pub priced: &'a Priced,
    pub coupon_ids: &'a [i64],
    pub address_json: Option<String>,
    pub remark: String,
    /// Picked up at this store with this verification code.
    pub pickup: Option<(i64, String)>,
}

/// Write the order inside `tx`: lines, timeline, the unpaid-timeout job, what `more` adds (it sees the order and
/// its lines as stored), and last the claims — stock, coupons, points, product sales — so that the rows every
/// buyer shares (a SKU's stock, a product's sales) are locked for as short a time as possible, in id order.
/// Everything after the order and its lines goes as one batch of writes. Returns the order and its lines. A
/// refusal leaves writes behind in `tx`: the caller must drop it.
pub async fn create(
    st: &AppState,
    tx: &mut Tx,
    c: &Checkout<'_>,
    derivation: &str,
    more: impl FnOnce(&OrderRow, &[OrderLineRow], &mut Writes) -> ApiResult<()>,
) -> ApiResult<(OrderRow, Vec<OrderLineRow>)> {
    let q = &c.priced.quote;
    let now = minimall_store::now_ms();
    let order_no = minimall_core::orders::order_no(now, next_seq());
    let lines: Vec<NewLine> = q
        .lines
        .iter()
        .zip(&c.priced.titles)
        .zip(&c.priced.input.lines)
        .map(|((l, (title, spec, image)), input)| NewLine {
            sku_id: SkuId::new(l.sku_id),
            product_id: ProductId::new(input.product_id),
            title: title.clone(),
            spec: serde_json::to_string(spec).unwrap_or_else(|_| "[]".into()),
            image: image.clone(),
            quantity: l.quantity,
            sale_price: l.sale_price.fen(),
            unit_price: l.unit_price.fen(),
            price_source: format!("{:?}", l.price_source),
            goods_amount: l.goods_amount.fen(),
            order_discount: l.order_discount.fen(),
            coupon_discount: l.coupon_discount.fen(),
            points_discount: l.points_discount.fen(),
            paid_amount: l.paid_amount.fen(),
            price_activity_id: match &l.price_source {
                minimall_core::pricing::PriceSource::Activity { id, .. } => Some(*id),
                _ => None,
            },
        })
        .collect();
    let deadline = now + st.cfg.orders.unpaid_timeout_secs * 1000;
    let (order, lines) = st
        .store
        .insert_order(
            tx,
            c.merchant_id,
            &NewOrder {
                order_no: order_no.clone(),
                buyer_id: BuyerId::new(c.buyer_id),
                status: OrderStatus::PendingPayment,
                list_total: q.list_total.fen(),
                goods_total: q.goods_total.fen(),
                order_discount: q.order_discount.fen(),
                coupon_discount: q.coupon_discount.fen(),
                points_used: q.points_used,
                points_discount: q.points_discount.fen(),
                shipping: q.shipping.fen(),
                payable: q.payable.fen(),
                coupon_ids: serde_json::to_string(&q.applied_coupons).unwrap_or_else(|_| "[]".into()),
                address: c.address_json.clone(),
                remark: c.remark.clone(),
                derivation: derivation.to_string(),
                pay_deadline: deadline,
                pickup: c.pickup.clone(),
            },
            &lines,
        )
        .await?;
    let id = order.id;
    let mut w = st.store.writes();
    w.order_event(
        c.merchant_id,
        id.get(),
        "created",
        None,
        Some("pending_payment"),
        &serde_json::json!({"payable": q.payable.fen()}).to_string(),
        "buyer",
    );
    add_job(
        &mut w,
        c.merchant_id,
        EXPIRE_JOB,
        serde_json::json!({"order_id": id.get()}),
        deadline,
        format!("{EXPIRE_JOB}:{id}"),
    );
    more(&order, &lines, &mut w)?;
    // The claims, last; their counts say which, if any, was not there.
    let coupons: Vec<Counted> =
        q.applied_coupons.iter().map(|cid| w.lock_coupon(c.buyer_id, *cid, &order_no)).collect();
    let points =
        (q.points_used > 0).then(|| w.spend_points(c.merchant_id, c.buyer_id, q.points_used, "order", &order_no));
    let mut by_sku: Vec<_> = q.lines.iter().enumerate().collect();
    by_sku.sort_by_key(|(_, l)| l.sku_id);
    let stock: Vec<(usize, Counted)> = by_sku
        .iter()
        .map(|(i, l)| (*i, w.take_stock(c.merchant_id, l.sku_id, l.quantity, StockReason::Sale, &order_no, "buyer")))
        .collect();
    let mut sales: Vec<(i64, i64)> = lines.iter().map(|l| (l.product_id.get(), l.quantity)).collect();
    sales.sort_unstable();
    for (product, n) in sales {
        w.product_sales(product, n);
    }
    let counts = w.run(tx).await?;
    if let Some(i) = stock.iter().filter(|(_, taken)| !taken.took(&counts)).map(|(i, _)| *i).min() {
        return Err(match st.store.sku_stock_tx(tx, c.merchant_id, q.lines[i].sku_id).await? {
            Some(have) => {
                ApiError::refused(axum::http::StatusCode::CONFLICT, "out_of_stock", &OrderRefusal::OnlyLeft { have })
                    .with_field(format!("items[{i}].quantity"))
            }
            None => ApiError::invalid_because(
                format!("items[{i}].sku_id"),
                &ApiReason::NoSuch { what: crate::error::thing("product") },
            ),
        });
    }
    for (i, (cid, locked)) in q.applied_coupons.iter().zip(&coupons).enumerate() {
        if !locked.took(&counts) {
            let pos = c.coupon_ids.iter().position(|x| x == cid).unwrap_or(i);
            return Err(ApiError::conflict_because(&OrderRefusal::CouponGone).with_field(format!("coupon_ids[{pos}]")));
        }
    }
    if points.is_some_and(|p| !p.took(&counts)) {
        return Err(ApiError::conflict_because(&ApiReason::NotEnoughPoints).with_field("points"));
    }
    if q.points_used > 0 {
        crate::finance::points_spent(st, tx, c.merchant_id, &format!("order:{order_no}"), q.points_used).await?;
    }
    Ok((order, lines))
}

pub fn next_seq() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let salt = u64::from(std::process::id()) * 7919;
    salt.wrapping_add(SEQ.fetch_add(1, Ordering::Relaxed))
}

/// Cancel an unpaid order and give back stock, coupons and points — once, whoever calls first.
/// Returns false when the order was no longer pending.
pub async fn cancel_unpaid(st: &AppState, order_id: i64, event: OrderEvent, actor: &str) -> ApiResult<bool> {
    let mut tx = st.store.begin().await?;
    let o = st.store.order(&mut *tx, OrderScope::Trusted, OrderId::new(order_id)).await?;
    let Ok((from, to)) = next_status(o.status.as_str(), event) else { return Ok(false) };
    // A group order's seat is released with it (the group's row is taken first).
    crate::group_buy::order_lapsing(st, &mut tx, order_id).await?;
    if !st
        .store
        .transition_order(&mut tx, OrderId::new(order_id), from.as_str(), to.as_str(), Some("cancelled_at"))
        .await?
    {
        return Ok(false);
    }
    let flash = release(st, &mut tx, &o, "cancel").await?;
    st.store
        .order_event(
            &mut tx,
            o.merchant_id,
            order_id,
            "cancelled",
            Some(from.as_str()),
            Some(to.as_str()),
            &serde_json::json!({"reason": format!("{event:?}")}).to_string(),
            actor,
        )
        .await?;
    let products: Vec<i64> =
        st.store.order_lines(&mut *tx, OrderId::new(order_id)).await?.iter().map(|l| l.product_id.get()).collect();
    usecase::commit(st, tx, Effects::new().stock_moved(products)).await?;
    if let Some(units) = flash {
        st.flash.released(order_id, &units).await;
    }
    Ok(true)
}

/// Give back what an order took: stock (a flash order's units go back to its sale), locked coupons, spent
/// points. Returns the flash units given back, for the gate once the transaction committed.
async fn release(
    st: &AppState,
    tx: &mut Tx,
    o: &OrderRow,
    reason: &str,
) -> ApiResult<Option<minimall_store::flash::ReleasedUnits>> {
    let flash = st.store.release_flash_order(tx, o.id.get()).await?;
    let lines = if flash.is_some() { Vec::new() } else { st.store.order_lines(&mut **tx, o.id).await? };
    for l in lines {
        let back = l.quantity - l.shipped_qty;
        if back > 0 {
            st.store
                .move_stock(tx, o.merchant_id, l.sku_id.get(), back, StockReason::Cancel, &o.order_no, reason)
                .await
                .map_err(|e| ApiError::internal(format!("{e:?}")))?;
        }
    }
    st.store.settle_coupons(tx, &o.order_no, false).await?;
    if o.points_used > 0 {
        st.store.move_points(tx, o.merchant_id, o.buyer_id.get(), o.points_used, "order_cancel", &o.order_no).await?;
        crate::finance::points_restored(st, tx, o.merchant_id, &format!("order:{}", o.order_no), o.points_used).await?;
    }
    Ok(flash)
}

/// A verified payment notification: mark paid once; a payment for an order that is no longer payable is
/// refunded automatically.
/// A provider says `out_trade_no` was paid. `notice` is the notification's id when the news came as one; it is
/// recorded in the same transaction (a refused notification is recorded by the caller).
pub async fn on_paid(
    st: &AppState,
    provider: &str,
    notice: Option<&str>,
    out_trade_no: &str,
    txn_id: &str,
    amount: i64,
) -> ApiResult<&'static str> {
    let Some(p) = st.store.payment_by_trade_no(out_trade_no).await? else {
        return Err(ApiError::not_found("payment"));
    };
    if p.amount != amount {
        return Err(ApiError::invalid_because(
            "amount",
            &OrderRefusal::AmountMismatch {
                notified_fen: minimall_core::Money::from_fen(amount),
                payment_fen: minimall_core::Money::from_fen(p.amount),
            },
        ));
    }
    if p.provider != provider {
        return Err(ApiError::invalid_because("provider", &OrderRefusal::PaymentOtherProvider));
    }
    let fee = crate::finance::payment_fee(st, p.merchant_id, provider, amount).await?;
    // The order as last committed: the move to paid below is conditional on the status read here, so an
    // order that changed since is not moved (and the payment is refunded as late).
    let o = st.store.order(st.store.reader(), OrderScope::Merchant(MerchantId::new(p.merchant_id)), p.order_id).await?;
    // A group order's payment is decided with its group.
    if let Some(member) = st.store.group_member_of_order(st.store.reader(), o.id.get()).await? {
        return crate::group_buy::on_paid(st, provider, notice, &p, &member, txn_id, amount, fee).await;
    }
    let next = next_status(o.status.as_str(), OrderEvent::Pay).ok();
    let commission = crate::distribution::plan_for(st, &o).await?;
    let mut tx = st.store.begin().await?;
    let mut first = st.store.writes();
    let paid = first.payment_succeeded(out_trade_no, txn_id, fee);
    let moved = next.map(|(from, to)| first.transition_order(o.id.get(), from.as_str(), to.as_str(), Some("paid_at")));
    let counts = first.run(&mut tx).await?;
    let moved = moved.is_some_and(|m| m.took(&counts));
    let mut rest = st.store.writes();
    if !paid.took(&counts) {
        if moved {
            // A pending order whose payment had already succeeded cannot exist: keep it untouched.
            return Err(ApiError::internal(format!("order {} was pending with its payment succeeded", o.id)));
        }
        if let Some(id) = notice {
            rest.notification(provider, id, out_trade_no, "duplicate");
            rest.run(&mut tx).await?;
            minimall_store::commit(tx).await?;
        }
        return Ok("duplicate");
    }
    if let Some(id) = notice {
        rest.notification(provider, id, out_trade_no, "paid");
    }
    match next {
        Some((from, to)) if moved => {
            crate::finance::payment_succeeded(st, &mut tx, &o, &p, fee, false).await?;
            crate::distribution::order_paid(st, &mut tx, &o, commission).await?;
            crate::members::cards::order_paid(st, &mut tx, &o).await?;
            if has_coupons(&o) {
                rest.settle_coupons(&o.order_no, true);
            }
            rest.order_event(
                o.merchant_id,
                o.id.get(),
                "paid",
                Some(from.as_str()),
                Some(to.as_str()),
                &serde_json::json!({"provider": provider, "transaction_id": txn_id, "amount": amount, "fee": fee})
                    .to_string(),
                provider,
            );
            rest.run(&mut tx).await?;
            crate::analytics::record::order_paid(st, &mut tx, &o, amount).await?;
        }
        _ => {
            // Paid too late (cancelled meanwhile): refund the whole payment.
            rest.run(&mut tx).await?;
            crate::finance::payment_succeeded(st, &mut tx, &o, &p, fee, true).await?;
            let out_refund_no = format!("{}-R0", o.order_no);
            st.store
                .insert_refund(
                    &mut tx,
                    o.merchant_id,
                    o.id.get(),
                    p.id,
                    &out_refund_no,
                    amount,
                    "payment for a cancelled order",
                )
                .await?;
            enqueue_job(
                st,
                &mut tx,
                o.merchant_id,
                REFUND_JOB,
                serde_json::json!({"out_refund_no": out_refund_no}),
                minimall_store::now_ms(),
                format!("{REFUND_JOB}:{out_refund_no}"),
            )
            .await?;
            st.store
                .order_event(
                    &mut tx,
                    o.merchant_id,
                    o.id.get(),
                    "late_payment_refunded",
                    None,
                    None,
                    &serde_json::json!({"amount": amount}).to_string(),
                    provider,
                )
                .await?;
        }
    }
    usecase::commit(st, tx, Effects::new().wake_jobs()).await?;
    Ok("paid")
}

/// Whether the order holds coupons (an unreadable list counts as yes, so they are settled anyway).
fn has_coupons(o: &OrderRow) -> bool {
    serde_json::from_str::<Vec<i64>>(&o.coupon_ids).map(|v| !v.is_empty()).unwrap_or(true)
}

pub async fn schedule(
    st: &AppState,
    merchant_id: i64,
    kind: &str,
    payload: serde_json::Value,
    run_at: i64,
    dedup: String,
) -> ApiResult<()> {
    let mut tx = st.store.begin().await?;
    enqueue_job(st, &mut tx, merchant_id, kind, payload, run_at, dedup).await?;
    usecase::commit(st, tx, Effects::new().wake_jobs()).await
}

/// Move an order by an event inside `tx` (409 when the event does not apply now).
pub async fn apply_event(
    st: &AppState,
    tx: &mut Tx,
    o: &OrderRow,
    event: OrderEvent,
    stamp: Option<&str>,
    detail: serde_json::Value,
    actor: &str,
) -> ApiResult<OrderStatus> {
    let (from, to) = next_status(o.status.as_str(), event)?;
    if !st.store.transition_order(tx, o.id, from.as_str(), to.as_str(), stamp).await? {
        return Err(ApiError::conflict_because(&OrderRefusal::ChangedMeanwhile));
    }
    st.store
        .order_event(
            tx,
            o.merchant_id,
            o.id.get(),
            &format!("{event:?}").to_lowercase(),
            Some(from.as_str()),
            Some(to.as_str()),
            &detail.to_string(),
            actor,
        )
        .await?;
    Ok(to)
}

pub async fn enqueue_in(
    st: &AppState,
    tx: &mut Tx,
    merchant_id: i64,
    kind: &str,
    order_id: i64,
    run_at: i64,
) -> ApiResult<()> {
    enqueue_job(
        st,
        tx,
        merchant_id,
        kind,
        serde_json::json!({"order_id": order_id}),
        run_at,
        format!("{kind}:{order_id}"),
    )
    .await
}

// ---- jobs ---------------------------------------------------------------------------------------

#[derive(serde::Deserialize)]
struct OrderPayload {
    order_id: i64,
}

fn order_id(job: &minimall_store::jobs::JobRow) -> Result<i64, String> {
    serde_json::from_str::<OrderPayload>(&job.payload).map(|p| p.order_id).map_err(|e| e.to_string())
}

/// The orders an `order.expire` job times out: one (`{"order_id": …}`, a checkout) or several sharing one
/// deadline (`{"order_ids": […]}`, a batch of flash orders).
#[derive(serde::Deserialize)]
struct ExpirePayload {
    #[serde(default)]
    order_id: Option<i64>,
    #[serde(default)]
    order_ids: Vec<i64>,
}

/// Orders one `order.expire` job cancels at a time (each in a transaction of its own), as many as a worker
/// runs single-order jobs at once.
const EXPIRE_CONCURRENCY: usize = 16;

/// `order.expire`: cancel each of its orders that is still unpaid (a paid or cancelled order is left alone,
/// so a job run again after a failure part-way cancels only what is left).
pub async fn expire_job(st: AppState, job: minimall_store::jobs::JobRow) -> Result<(), String> {
    use futures_util::stream::{self, StreamExt};
    let p: ExpirePayload = serde_json::from_str(&job.payload).map_err(|e| e.to_string())?;
    let st = &st;
    let failed: Vec<String> = stream::iter(p.order_id.into_iter().chain(p.order_ids))
        .map(|id| async move {
            cancel_unpaid(st, id, OrderEvent::CancelUnpaidTimeout, "system")
                .await
                .err()
                .map(|e| format!("order {id}: {e}"))
        })
        .buffer_unordered(EXPIRE_CONCURRENCY)
        .filter_map(|failure| async move { failure })
        .collect()
        .await;
    if failed.is_empty() {
        Ok(())
    } else {
        Err(failed.join("; "))
    }
}

/// `order.auto_receive`: a shipped order nobody confirmed is received after N days.
pub async fn auto_receive_job(st: AppState, job: minimall_store::jobs::JobRow) -> Result<(), String> {
    let id = order_id(&job)?;
    let mut tx = st.store.begin().await.map_err(|e| e.to_string())?;
    let o = st.store.order(&mut *tx, OrderScope::Trusted, OrderId::new(id)).await.map_err(|e| e.to_string())?;
    if next_status(o.status.as_str(), OrderEvent::AutoReceive).is_err() {
        return Ok(());
    }
    apply_event(
        &st,
        &mut tx,
        &o,
        OrderEvent::AutoReceive,
        Some("received_at"),
        serde_json::json!({"by": "schedule"}),
        "system",
    )
    .await
    .map_err(|e| e.to_string())?;
    let at = minimall_store::now_ms() + st.cfg.orders.aftersale_days * 86_400_000;
    enqueue_in(&st, &mut tx, o.merchant_id, COMPLETE_JOB, id, at).await.map_err(|e| e.to_string())?;
    crate::distribution::order_received(&st, &mut tx, &o).await.map_err(|e| e.to_string())?;
    minimall_store::commit(tx).await.map_err(|e| e.to_string())
}

/// `order.complete`: the after-sales window closed.
pub async fn complete_job(st: AppState, job: minimall_store::jobs::JobRow) -> Result<(), String> {
    let id = order_id(&job)?;
    let members = crate::members::rules(&st, job.merchant_id).await.map_err(|e| e.to_string())?;
    let referral = crate::referral::prepare(&st, job.merchant_id).await.map_err(|e| e.to_string())?;
    let mut tx = st.store.begin().await.map_err(|e| e.to_string())?;
    let o = st.store.order(&mut *tx, OrderScope::Trusted, OrderId::new(id)).await.map_err(|e| e.to_string())?;
    if next_status(o.status.as_str(), OrderEvent::Complete).is_err() {
        return Ok(());
    }
    apply_event(&st, &mut tx, &o, OrderEvent::Complete, Some("completed_at"), serde_json::json!({}), "system")
        .await
        .map_err(|e| e.to_string())?;
    crate::members::order_completed(&st, &mut tx, &members, o.merchant_id, o.buyer_id.get(), o.id.get())
        .await
        .map_err(|e| e.to_string())?;
    crate::finance::order_completed(&st, &mut tx, &o).await.map_err(|e| e.to_string())?;
    crate::referral::order_completed(&st, &mut tx, &referral, &o).await.map_err(|e| e.to_string())?;
    minimall_store::commit(tx).await.map_err(|e| e.to_string())
}

#[derive(serde::Deserialize)]
struct NotifyPayload {
    out_trade_no: String,
    amount: i64,
    delivery: u32,
}

/// `payment.sandbox_notify`: the sandbox provider delivers a signed notification to the shop's callback
/// over HTTP, as a real provider would.
pub async fn sandbox_notify_job(st: AppState, job: minimall_store::jobs::JobRow) -> Result<(), String> {
    let p: NotifyPayload = serde_json::from_str(&job.payload).map_err(|e| e.to_string())?;
    let Some(base) = st.self_url.get() else { return Err("server address not known yet".into()) };
    let notice = crate::payments::sandbox::SandboxNotice {
        id: format!("{}-{}", p.out_trade_no, p.delivery),
        event_type: "TRANSACTION.SUCCESS".into(),
        out_trade_no: p.out_trade_no.clone(),
        transaction_id: format!("SBX{}", p.out_trade_no),
        amount: p.amount,
        out_refund_no: None,
    };
    let body = serde_json::to_vec(&notice).map_err(|e| e.to_string())?;
    let ts = (minimall_store::now_ms() / 1000).to_string();
    let nonce = crate::accounts::auth::new_token("")[..16].to_string();
    let secret = st.cfg.orders.sandbox_secret().ok_or("no sandbox secret")?;
    let sig = crate::payments::sandbox::sign(secret, &ts, &nonce, &body);
    let resp = st
        .http
        .post(format!("{base}/api/v1/payments/sandbox/notify"))
        .header("content-type", "application/json")
        .header("x-sandbox-timestamp", ts)
        .header("x-sandbox-nonce", nonce)
        .header("x-sandbox-signature", sig)
        .body(body)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if resp.status().is_success() {
        Ok(())
    } else {
        Err(format!("callback answered {}", resp.status()))
    }
}

#[derive(serde::Deserialize)]
struct RefundPayload {
    out_refund_no: String,
}

/// `payment.refund`: send a refund to its provider. The sandbox refunds at once; the refund number makes
/// it idempotent on the provider's side.
pub async fn refund_job(st: AppState, job: minimall_store::jobs::JobRow) -> Result<(), String> {
    let p: RefundPayload = serde_json::from_str(&job.payload).map_err(|e| e.to_string())?;
    let Some(r) = st.store.refund_by_no(&p.out_refund_no).await.map_err(|e| e.to_string())? else { return Ok(()) };
    if r.status != "pending" {
        return Ok(());
    }
    let payment = st.store.payment_by_id(r.payment_id).await.map_err(|e| e.to_string())?;
    if payment.provider == "wechat" && !refund_wechat(&st, &r).await? {
        // Accepted and processing: the REFUND.SUCCESS notification settles it.
        return Ok(());
    }
    settle_refund(&st, &p.out_refund_no).await
}

/// Mark a refund succeeded (once) and note it on the order's timeline.
pub async fn settle_refund(st: &AppState, out_refund_no: &str) -> Result<(), String> {
    let Some(r) = st.store.refund_by_no(out_refund_no).await.map_err(|e| e.to_string())? else { return Ok(()) };
    let mut tx = st.store.begin().await.map_err(|e| e.to_string())?;
    if st.store.refund_succeeded(&mut tx, out_refund_no).await.map_err(|e| e.to_string())? {
        crate::finance::refund_succeeded(st, &mut tx, &r).await.map_err(|e| e.to_string())?;
        crate::distribution::refund_succeeded(st, &mut tx, &r).await.map_err(|e| e.to_string())?;
        crate::referral::refund_succeeded(st, &mut tx, &r).await.map_err(|e| e.to_string())?;
        let o = st.store.order(&mut *tx, OrderScope::Trusted, r.order_id).await.map_err(|e| e.to_string())?;
        let payment = st.store.payment_by_id(r.payment_id).await.map_err(|e| e.to_string())?;
        crate::stored_value::refund_succeeded(st, &mut tx, &r, &payment, &o).await.map_err(|e| e.to_string())?;
        st.store
            .order_event(
                &mut tx,
                o.merchant_id,
                o.id.get(),
                "refunded",
                None,
                None,
                &serde_json::json!({"out_refund_no": r.out_refund_no, "amount": r.amount}).to_string(),
                "system",
            )
            .await
            .map_err(|e| e.to_string())?;
        crate::analytics::record::order_refunded(st, &mut tx, &o, r.amount).await.map_err(|e| e.to_string())?;
    }
    minimall_store::commit(tx).await.map_err(|e| e.to_string())
}

// ---- WeChat Pay ---------------------------------------------------------------------------------

pub const RECONCILE_JOB: &str = "payment.reconcile";
const RECONCILE_EVERY_MS: i64 = 300_000;

/// Ask WeChat about pending payments whose notification never came (older than two minutes) and settle
/// the ones that were paid. Runs every five minutes.
pub async fn reconcile_job(st: AppState, job: minimall_store::jobs::JobRow) -> Result<(), String> {
    if let Some(wx) = &st.wechat_pay {
        let pending = st
            .store
            .pending_payments("wechat", minimall_store::now_ms() - 120_000, 200)
            .await
            .map_err(|e| e.to_string())?;
        for p in pending {
            match wx.query_order(&p.out_trade_no).await {
                Ok(t) if t.trade_state == crate::payments::wechat::TradeState::Success => {
                    let txn = t.transaction_id.unwrap_or_default();
                    if let Err(e) = on_paid(&st, "wechat", None, &p.out_trade_no, &txn, t.amount.total).await {
                        tracing::warn!(out_trade_no = p.out_trade_no, error = %e, "reconcile could not settle a payment");
                    } else {
                        metrics::counter!("payments_reconciled_total").increment(1);
                    }
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(out_trade_no = p.out_trade_no, error = %e, "reconcile query failed"),
            }
        }
    }
    schedule_reconcile(&st, job.run_at + RECONCILE_EVERY_MS).await.map_err(|e| e.to_string())
}

pub async fn schedule_reconcile(st: &AppState, at: i64) -> ApiResult<()> {
    let slot = at / RECONCILE_EVERY_MS * RECONCILE_EVERY_MS;
    schedule(st, st.merchant_id, RECONCILE_JOB, serde_json::json!({}), slot, format!("{RECONCILE_JOB}:{slot}")).await
}

/// Send a refund of a WeChat payment; settled now if WeChat says SUCCESS, otherwise by its notification.
async fn refund_wechat(st: &AppState, r: &minimall_store::orders::RefundRow) -> Result<bool, String> {
    let Some(wx) = &st.wechat_pay else { return Err("WeChat Pay is not configured".into()) };
    let payment = st.store.payment_by_id(r.payment_id).await.map_err(|e| e.to_string())?;
    let res = wx
        .refund(&payment.out_trade_no, &r.out_refund_no, r.amount, payment.amount, &r.reason)
        .await
        .map_err(|e| e.to_string())?;
    Ok(res.status == crate::payments::wechat::RefundStatus::Success)
}

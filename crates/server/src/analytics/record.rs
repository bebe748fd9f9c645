//! The events the server records where the business happens, each in the transaction of the change it records
//! (so they are there exactly when the change is): an order placed, paid or refunded, a seat taken in a group, a
//! coupon claimed.
//!
//! An order keeps its first and last touch when it is placed (`order_touches`): the buyer's earliest storefront
//! visit, and the latest visit through a channel other than direct (else the latest direct one) within the
//! attribution window; its payment and refunds carry the last touch, so sales by channel add up.

use minimall_core::analytics::events::{EventKind, DIRECT};
use minimall_core::social::channel::{self, AttributionWindow};
use minimall_store::attribution::{OrderTouches, Visit};
use minimall_store::event_stats::Touch;
use minimall_store::events::NewEvent;
use minimall_store::orders::OrderRow;
use minimall_store::Tx;

use crate::error::ApiResult;
use crate::state::AppState;

fn direct() -> Touch {
    Touch { channel: DIRECT.to_string(), campaign: String::new(), promoter_id: None }
}

fn event(kind: EventKind, buyer_id: i64, touch: Touch, now: i64) -> NewEvent {
    NewEvent {
        kind,
        buyer_id: Some(buyer_id),
        visitor: None,
        session: None,
        channel: touch.channel,
        campaign: touch.campaign,
        promoter_id: touch.promoter_id,
        product_id: None,
        sku_id: None,
        order_id: None,
        amount_fen: None,
        query: None,
        client_at_ms: now,
        server_at_ms: now,
    }
}

/// The touch of an order already placed: its own `order_placed` event's, else the buyer's latest.
async fn touch_of(st: &AppState, tx: &mut Tx, o: &OrderRow) -> ApiResult<Touch> {
    Ok(match st.store.order_touch(tx, o.merchant_id, o.id.get()).await? {
        Some(t) => t,
        None => st.store.last_touch(tx, o.merchant_id, o.buyer_id.get()).await?.unwrap_or_else(direct),
    })
}

/// The touches an order placed now keeps (`core::social::channel::order_touches` over the buyer's visits).
async fn attribute(st: &AppState, tx: &mut Tx, o: &OrderRow, now: i64) -> ApiResult<OrderTouches> {
    let v = st.store.buyer_visits(tx, o.merchant_id, o.buyer_id.get()).await?;
    let at = |x: Option<Visit>| x.map(|v| (v.clone(), v.at));
    let (first, last) =
        channel::order_touches(at(v.earliest), at(v.latest_other), at(v.latest), now, AttributionWindow::DEFAULT);
    let (first_at, last_at) = (first.as_ref().map(|v| v.at), last.as_ref().map(|v| v.at));
    let touch = |x: Option<Visit>| x.map_or_else(direct, |v| v.touch());
    let (first, last) = (touch(first), touch(last));
    Ok(OrderTouches {
        order_id: o.id.get(),
        first_channel: first.channel,
        first_campaign: first.campaign,
        first_promoter_id: first.promoter_id,
        first_at,
        last_channel: last.channel,
        last_campaign: last.campaign,
        last_promoter_id: last.promoter_id,
        last_at,
    })
}

/// An order was placed (amount: its payable). Its first and last touch are kept with it, and its event carries
/// the last touch, as its payment and refunds will.
pub async fn order_placed(st: &AppState, tx: &mut Tx, o: &OrderRow) -> ApiResult<()> {
    let now = minimall_store::now_ms();
    let touches = attribute(st, tx, o, now).await?;
    st.store.insert_order_touches(tx, o.merchant_id, &touches).await?;
    let touch =
        Touch { channel: touches.last_channel, campaign: touches.last_campaign, promoter_id: touches.last_promoter_id };
    let mut e = event(EventKind::OrderPlaced, o.buyer_id.get(), touch, now);
    e.order_id = Some(o.id.get());
    e.amount_fen = Some(o.payable);
    st.store.append_events(tx, o.merchant_id, &[e]).await?;
    Ok(())
}

/// An order was paid (amount: the payment's).
pub async fn order_paid(st: &AppState, tx: &mut Tx, o: &OrderRow, amount: i64) -> ApiResult<()> {
    let touch = touch_of(st, tx, o).await?;
    let mut e = event(EventKind::OrderPaid, o.buyer_id.get(), touch, minimall_store::now_ms());
    e.order_id = Some(o.id.get());
    e.amount_fen = Some(amount);
    st.store.append_events(tx, o.merchant_id, &[e]).await?;
    super::experiments::order_paid(st, tx, o.merchant_id, o.buyer_id.get(), o.id.get(), amount).await
}

/// A refund of an order succeeded (amount: the refund's).
pub async fn order_refunded(st: &AppState, tx: &mut Tx, o: &OrderRow, amount: i64) -> ApiResult<()> {
    let touch = touch_of(st, tx, o).await?;
    let mut e = event(EventKind::OrderRefunded, o.buyer_id.get(), touch, minimall_store::now_ms());
    e.order_id = Some(o.id.get());
    e.amount_fen = Some(amount);
    st.store.append_events(tx, o.merchant_id, &[e]).await?;
    Ok(())
}

/// A buyer took a seat in a group by paying its order.
pub async fn group_joined(st: &AppState, tx: &mut Tx, o: &OrderRow) -> ApiResult<()> {
    let touch = touch_of(st, tx, o).await?;
    let mut e = event(EventKind::GroupJoined, o.buyer_id.get(), touch, minimall_store::now_ms());
    e.order_id = Some(o.id.get());
    st.store.append_events(tx, o.merchant_id, &[e]).await?;
    Ok(())
}

/// A buyer claimed a coupon of template `template_id` (kept as the event's campaign `coupon:<id>`).
pub async fn coupon_claimed(
    st: &AppState,
    tx: &mut Tx,
    merchant_id: i64,
    buyer_id: i64,
    template_id: i64,
) -> ApiResult<()> {
    let mut touch = st.store.last_touch(tx, merchant_id, buyer_id).await?.unwrap_or_else(direct);
    if touch.campaign.is_empty() {
        touch.campaign = format!("coupon:{template_id}");
    }
    let e = event(EventKind::CouponClaimed, buyer_id, touch, minimall_store::now_ms());
    st.store.append_events(tx, merchant_id, &[e]).await?;
    Ok(())
}

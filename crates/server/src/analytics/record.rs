//! The events the server records where the business happens, each in the transaction of the change it records
//! (so they are there exactly when the change is): an order placed, paid or refunded, a seat taken in a group, a
//! coupon claimed.
//!
//! An order is attributed to the buyer's latest storefront event when it is placed (channel, campaign,
//! promoter); its payment and refunds carry the same touch, so sales by channel add up.

use minimall_core::analytics::events::{EventKind, DIRECT};
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
    Ok(match st.store.order_touch(tx, o.merchant_id, o.id).await? {
        Some(t) => t,
        None => st.store.last_touch(tx, o.merchant_id, o.buyer_id).await?.unwrap_or_else(direct),
    })
}

/// An order was placed (amount: its payable).
pub async fn order_placed(st: &AppState, tx: &mut Tx, o: &OrderRow) -> ApiResult<()> {
    let touch = st.store.last_touch(tx, o.merchant_id, o.buyer_id).await?.unwrap_or_else(direct);
    let mut e = event(EventKind::OrderPlaced, o.buyer_id, touch, minimall_store::now_ms());
    e.order_id = Some(o.id);
    e.amount_fen = Some(o.payable);
    st.store.append_events(tx, o.merchant_id, &[e]).await?;
    Ok(())
}

/// An order was paid (amount: the payment's).
pub async fn order_paid(st: &AppState, tx: &mut Tx, o: &OrderRow, amount: i64) -> ApiResult<()> {
    let touch = touch_of(st, tx, o).await?;
    let mut e = event(EventKind::OrderPaid, o.buyer_id, touch, minimall_store::now_ms());
    e.order_id = Some(o.id);
    e.amount_fen = Some(amount);
    st.store.append_events(tx, o.merchant_id, &[e]).await?;
    Ok(())
}

/// A refund of an order succeeded (amount: the refund's).
pub async fn order_refunded(st: &AppState, tx: &mut Tx, o: &OrderRow, amount: i64) -> ApiResult<()> {
    let touch = touch_of(st, tx, o).await?;
    let mut e = event(EventKind::OrderRefunded, o.buyer_id, touch, minimall_store::now_ms());
    e.order_id = Some(o.id);
    e.amount_fen = Some(amount);
    st.store.append_events(tx, o.merchant_id, &[e]).await?;
    Ok(())
}

/// A buyer took a seat in a group by paying its order.
pub async fn group_joined(st: &AppState, tx: &mut Tx, o: &OrderRow) -> ApiResult<()> {
    let touch = touch_of(st, tx, o).await?;
    let mut e = event(EventKind::GroupJoined, o.buyer_id, touch, minimall_store::now_ms());
    e.order_id = Some(o.id);
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

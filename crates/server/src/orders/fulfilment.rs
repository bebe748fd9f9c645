//! Fulfilment use cases: shipping an order.

use minimall_core::orders::OrderEvent;
use minimall_core::{MerchantId, OrderId};

use super::admin_api::{ShipLine, ShipRequest};
use crate::accounts::auth::{Admin, ManageOrders};
use crate::error::ApiReason;
use crate::error::{ApiError, ApiResult};
use crate::ops::audit::audit;
use crate::orders as ord;
use crate::orders::refusals::OrderRefusal;
use crate::orders::shop_api::{order_dto, OrderDto};
use crate::state::AppState;
use crate::usecase::Call;
use minimall_store::orders::OrderScope;

/// Ship an order, in full or in part.
pub async fn ship(
    st: &AppState,
    admin: &Admin<ManageOrders>,
    call: &Call,
    id: i64,
    req: ShipRequest,
) -> ApiResult<OrderDto> {
    let carrier = minimall_core::validate::display_text("carrier", &req.carrier, 20)?;
    let tracking = req.tracking_no.trim();
    if tracking.is_empty() || tracking.len() > 40 || !tracking.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return Err(ApiError::invalid_because("tracking_no", &ApiReason::TrackingNoFormat));
    }
    let cost = minimall_core::Money::parse_fen("cost", req.cost.unwrap_or(0))?.fen();
    let o = st
        .store
        .order(st.store.reader(), OrderScope::Merchant(MerchantId::new(admin.merchant_id)), OrderId::new(id))
        .await
        .map_err(|_| ApiError::not_found("order"))?;
    let mut tx = st.store.begin().await?;
    let lines = st.store.order_lines(&mut *tx, OrderId::new(id)).await?;
    let parcel: Vec<ShipLine> = match req.lines {
        Some(l) if !l.is_empty() => l,
        Some(_) => return Err(ApiError::invalid_because("lines", &OrderRefusal::NoLines)),
        None => lines
            .iter()
            .filter(|l| l.quantity - l.refunded_qty - l.shipped_qty > 0)
            .map(|l| ShipLine { line_id: l.id, quantity: l.quantity - l.refunded_qty - l.shipped_qty })
            .collect(),
    };
    if parcel.is_empty() {
        return Err(ApiError::conflict_because(&OrderRefusal::NothingToShip));
    }
    for (i, p) in parcel.iter().enumerate() {
        if p.quantity <= 0 || !lines.iter().any(|l| l.id == p.line_id) {
            return Err(ApiError::invalid_because(format!("lines[{i}]"), &OrderRefusal::BadShipLine));
        }
        if !st.store.ship_line(&mut tx, OrderId::new(id), p.line_id, p.quantity).await? {
            return Err(
                ApiError::conflict_because(&OrderRefusal::ShipTooMany).with_field(format!("lines[{i}].quantity"))
            );
        }
    }
    let after = st.store.order_lines(&mut *tx, OrderId::new(id)).await?;
    let all = after.iter().all(|l| l.shipped_qty + l.refunded_qty >= l.quantity);
    let event = if all { OrderEvent::ShipAll } else { OrderEvent::ShipPartial };
    let shipment = st
        .store
        .insert_shipment(
            &mut tx,
            admin.merchant_id,
            OrderId::new(id),
            &carrier,
            tracking,
            &serde_json::to_string(&parcel).unwrap_or_default(),
        )
        .await?;
    if cost > 0 {
        st.store.set_shipment_cost(&mut tx, shipment, cost).await?;
        crate::finance::shipment_cost(st, &mut tx, admin.merchant_id, shipment, cost).await?;
    }
    ord::apply_event(
        st,
        &mut tx,
        &o,
        event,
        Some("shipped_at"),
        serde_json::json!({"carrier": carrier, "tracking_no": tracking, "lines": parcel}),
        &admin.username,
    )
    .await?;
    if all {
        let at = minimall_store::now_ms() + st.cfg.orders.auto_receive_days * 86_400_000;
        ord::enqueue_in(st, &mut tx, admin.merchant_id, ord::AUTO_RECEIVE_JOB, id, at).await?;
    }
    audit(
        st,
        &mut tx,
        &admin,
        call,
        "order.ship",
        format!("order:{id}"),
        None,
        Some(serde_json::json!({"carrier": carrier, "tracking_no": tracking, "all": all, "cost": cost})),
    )
    .await?;
    minimall_store::commit(tx).await?;
    let o = st
        .store
        .order(st.store.reader(), OrderScope::Merchant(MerchantId::new(admin.merchant_id)), OrderId::new(id))
        .await?;
    order_dto(st, o, call.lang).await
}

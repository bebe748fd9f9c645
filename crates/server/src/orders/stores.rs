//! Pick-up use cases: the shop's stores and verifying a pick-up code.

use minimall_core::orders::OrderEvent;
use minimall_core::validate::display_text;
use minimall_core::MerchantId;

use super::pickup::{StoreDto, StoreInput, StoreList, VerifyRequest};
use crate::accounts::auth::{Admin, ManageSettings, ReadOrders, VerifyPickup};
use crate::error::{ApiError, ApiResult};
use crate::ops::audit::audit;
use crate::orders as ord;
use crate::orders::refusals::OrderRefusal;
use crate::orders::shop_api::{order_dto, OrderDto};
use crate::state::AppState;
use crate::usecase::Call;
use minimall_store::orders::OrderScope;

/// The merchant's stores.
pub async fn admin_stores(st: &AppState, admin: &Admin<ReadOrders>) -> ApiResult<StoreList> {
    let items: Vec<StoreDto> = st.store.stores(admin.merchant_id).await?.into_iter().map(Into::into).collect();
    Ok(StoreList { total: items.len() as i64, items })
}

/// Add a store (at most 200).
pub async fn create_store(
    st: &AppState,
    admin: &Admin<ManageSettings>,
    call: &Call,
    req: StoreInput,
) -> ApiResult<StoreDto> {
    let name = display_text("name", &req.name, 40)?;
    let address = display_text("address", &req.address, 120)?;
    if req.phone.chars().count() > 20 || req.hours.chars().count() > 40 {
        return Err(ApiError::invalid_because("phone", &OrderRefusal::StorePhoneHours));
    }
    if st.store.stores(admin.merchant_id).await?.len() >= 200 {
        return Err(ApiError::conflict_because(&OrderRefusal::TooManyStores));
    }
    let mut tx = st.store.begin().await?;
    let row =
        st.store.insert_store(&mut tx, admin.merchant_id, &name, &address, req.phone.trim(), req.hours.trim()).await?;
    audit(
        st,
        &mut tx,
        &admin,
        call,
        "store.create",
        format!("store:{}", row.id),
        None,
        Some(serde_json::json!({"name": name})),
    )
    .await?;
    minimall_store::commit(tx).await?;
    Ok(row.into())
}

/// Verify a pick-up code: the order is handed over once. A code of another merchant is not found.
pub async fn verify(
    st: &AppState,
    admin: &Admin<VerifyPickup>,
    call: &Call,
    req: VerifyRequest,
) -> ApiResult<OrderDto> {
    let code = req.code.trim();
    if code.len() != 12 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::invalid_because("code", &OrderRefusal::PickupCodeFormat));
    }
    let mut tx = st.store.begin().await?;
    let o = st
        .store
        .order_by_pickup_code(&mut tx, admin.merchant_id, code)
        .await?
        .ok_or_else(|| ApiError::not_found("pickup_code"))?;
    if o.picked_up_at.is_some() {
        return Err(ApiError::conflict_because(&OrderRefusal::AlreadyPickedUp));
    }
    if o.status != minimall_core::orders::OrderStatus::ToShip {
        return Err(ApiError::conflict_because(&OrderRefusal::CannotHandOver {
            status: crate::error::order_status(o.status.as_str()),
        }));
    }
    if !st.store.mark_picked_up(&mut tx, o.id.get()).await? {
        return Err(ApiError::conflict_because(&OrderRefusal::AlreadyPickedUp));
    }
    let lines = st.store.order_lines(&mut *tx, o.id).await?;
    for l in &lines {
        let left = l.quantity - l.refunded_qty - l.shipped_qty;
        if left > 0 {
            st.store.ship_line(&mut tx, o.id, l.id, left).await?;
        }
    }
    let detail = serde_json::json!({"store_id": o.store_id, "clerk": admin.username});
    ord::apply_event(st, &mut tx, &o, OrderEvent::ShipAll, Some("shipped_at"), detail.clone(), &admin.username).await?;
    let o2 = st.store.order(&mut *tx, OrderScope::Trusted, o.id).await?;
    ord::apply_event(st, &mut tx, &o2, OrderEvent::ConfirmReceipt, Some("received_at"), detail, &admin.username)
        .await?;
    let at = minimall_store::now_ms() + st.cfg.orders.aftersale_days * 86_400_000;
    ord::enqueue_in(st, &mut tx, o.merchant_id, ord::COMPLETE_JOB, o.id.get(), at).await?;
    crate::distribution::order_received(st, &mut tx, &o).await?;
    audit(
        st,
        &mut tx,
        &admin,
        call,
        "pickup.verify",
        format!("order:{}", o.id),
        None,
        Some(serde_json::json!({"order_no": o.order_no})),
    )
    .await?;
    minimall_store::commit(tx).await?;
    let o = st.store.order(st.store.reader(), OrderScope::Merchant(MerchantId::new(admin.merchant_id)), o.id).await?;
    order_dto(st, o, call.lang).await
}

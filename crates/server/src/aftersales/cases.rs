//! After-sales use cases: a buyer's request and their list, the console's queue, approval, refusal, returns received.

use minimall_core::error::Reason;
use minimall_core::orders::OrderStatus;
use minimall_core::page::Page;
use minimall_core::validate::display_text;
use minimall_core::{BuyerId, OrderId};
use minimall_store::aftersales::NewAftersale;

use super::api::{merchant_owned, release};
use crate::accounts::auth::{Admin, Buyer, ManageOrders, ReadOrders};
use crate::aftersales::refusals::AftersaleRefusal;
use crate::aftersales::{self as af};
use crate::error::{ApiError, ApiResult};
use crate::http::Paginated;
use crate::ops::audit::audit;
use crate::state::AppState;

use super::api::{AftersaleDto, AftersaleQuery, AftersaleRequest, RejectRequest};
use crate::usecase::{self, Call, Effects};
use minimall_store::orders::OrderScope;

/// Request after-sales on lines of a paid order.
pub async fn request(st: &AppState, buyer: &Buyer, id: i64, req: AftersaleRequest) -> ApiResult<AftersaleDto> {
    if !["refund_only", "return_refund", "exchange"].contains(&req.kind.as_str()) {
        return Err(ApiError::invalid_because(
            "kind",
            &Reason::OneOf { allowed: "refund_only, return_refund, exchange".into() },
        ));
    }
    let reason = display_text("reason", &req.reason, 200)?;
    if req.images.len() > 9 {
        return Err(ApiError::invalid_because("images", &Reason::AtMost { max: 9 }));
    }
    for (i, img) in req.images.iter().enumerate() {
        minimall_core::catalog::image::parse_image_ref(&format!("images[{i}]"), img, &st.cfg.cdn_hosts)?;
    }
    let o = st
        .store
        .order(st.store.reader(), OrderScope::Buyer(BuyerId::new(buyer.id)), OrderId::new(id))
        .await
        .map_err(|_| ApiError::not_found("order"))?;
    if !["to_ship", "partially_shipped", "shipped", "received"].contains(&o.status.as_str()) {
        return Err(ApiError::conflict_because(&AftersaleRefusal::OrderNotEligible {
            status: crate::error::order_status(o.status.as_str()),
        }));
    }
    if req.kind != "refund_only" && o.status == OrderStatus::ToShip {
        return Err(ApiError::invalid_because("kind", &AftersaleRefusal::NotShipped));
    }
    let mut tx = st.store.begin().await?;
    let (lines, amount, points, shipping) = af::plan(st, &mut tx, o.id.get(), &req.lines).await?;
    let (amount, points, shipping) = if req.kind == "exchange" { (0, 0, 0) } else { (amount, points, shipping) };
    let aid = st
        .store
        .insert_aftersale(
            &mut tx,
            o.merchant_id,
            &NewAftersale {
                order_id: o.id.get(),
                buyer_id: buyer.id,
                kind: &req.kind,
                reason: &reason,
                images: &serde_json::to_string(&req.images).unwrap_or_default(),
                lines: &serde_json::to_string(&lines).unwrap_or_default(),
                amount,
                points,
                shipping_refund: shipping,
            },
        )
        .await?;
    st.store
        .order_event(
            &mut tx,
            o.merchant_id,
            o.id.get(),
            "aftersale_requested",
            None,
            None,
            &serde_json::json!({"aftersale_id": aid, "kind": req.kind, "amount": amount}).to_string(),
            "buyer",
        )
        .await?;
    let a = st.store.aftersale(&mut *tx, aid).await?;
    minimall_store::commit(tx).await?;
    Ok(a.into())
}

/// The buyer's after-sales requests.
pub async fn mine(st: &AppState, buyer: &Buyer, q: AftersaleQuery) -> ApiResult<Paginated<AftersaleDto>> {
    let page = Page::parse(q.page, q.page_size)?;
    let rows = st
        .store
        .list_aftersales(buyer.merchant_id, buyer.id, q.status.as_deref().unwrap_or(""), page.size(), page.offset())
        .await?;
    Ok(Paginated::new(rows.items.into_iter().map(Into::into).collect(), rows.total, page))
}

/// After-sales queue of the merchant.
pub async fn queue(st: &AppState, admin: &Admin<ReadOrders>, q: AftersaleQuery) -> ApiResult<Paginated<AftersaleDto>> {
    let page = Page::parse(q.page, q.page_size)?;
    let rows = st
        .store
        .list_aftersales(admin.merchant_id, 0, q.status.as_deref().unwrap_or(""), page.size(), page.offset())
        .await?;
    Ok(Paginated::new(rows.items.into_iter().map(Into::into).collect(), rows.total, page))
}

/// Approve: a refund-only request is refunded at once; returns and exchanges wait for the goods.
pub async fn approve(st: &AppState, admin: &Admin<ManageOrders>, call: &Call, id: i64) -> ApiResult<AftersaleDto> {
    let a = merchant_owned(st, admin.merchant_id, id).await?;
    let mut tx = st.store.begin().await?;
    let to = if a.kind == "refund_only" { "refunded" } else { "approved" };
    if !st.store.aftersale_transition(&mut tx, a.id, "pending", to).await? {
        return Err(ApiError::conflict_because(&AftersaleRefusal::RequestIs {
            status: crate::error::aftersale_status(&a.status),
        }));
    }
    if a.kind == "refund_only" {
        // Units not yet shipped go back to stock; shipped ones the buyer keeps.
        let o = st.store.order(&mut *tx, OrderScope::Trusted, OrderId::new(a.order_id)).await?;
        let lines = st.store.order_lines(&mut *tx, o.id).await?;
        let unshipped = lines.iter().all(|l| l.shipped_qty == 0);
        af::refund(st, &mut tx, &a, unshipped, &admin.username).await?;
    }
    audit(
        st,
        &mut tx,
        &admin,
        call,
        "aftersale.approve",
        format!("aftersale:{id}"),
        None,
        Some(serde_json::json!({"status": to})),
    )
    .await?;
    let a = st.store.aftersale(&mut *tx, id).await?;
    let products: Vec<i64> =
        st.store.order_lines(&mut *tx, OrderId::new(a.order_id)).await?.iter().map(|l| l.product_id.get()).collect();
    usecase::commit(st, tx, Effects::new().stock_moved(products).wake_jobs()).await?;
    Ok(a.into())
}

/// Reject a pending request.
pub async fn reject(
    st: &AppState,
    admin: &Admin<ManageOrders>,
    call: &Call,
    id: i64,
    req: RejectRequest,
) -> ApiResult<AftersaleDto> {
    let reason = display_text("reason", &req.reason, 200)?;
    let a = merchant_owned(st, admin.merchant_id, id).await?;
    let mut tx = st.store.begin().await?;
    if !st.store.aftersale_transition(&mut tx, a.id, "pending", "rejected").await? {
        return Err(ApiError::conflict_because(&AftersaleRefusal::RequestIs {
            status: crate::error::aftersale_status(&a.status),
        }));
    }
    st.store.aftersale_set_reject(&mut tx, a.id, &reason).await?;
    release(st, &mut tx, &a).await?;
    audit(
        st,
        &mut tx,
        &admin,
        call,
        "aftersale.reject",
        format!("aftersale:{id}"),
        None,
        Some(serde_json::json!({"reason": reason})),
    )
    .await?;
    let a = st.store.aftersale(&mut *tx, id).await?;
    minimall_store::commit(tx).await?;
    Ok(a.into())
}

/// The returned goods arrived: stock comes back; a return is refunded, an exchange is marked exchanged.
pub async fn receive_return(
    st: &AppState,
    admin: &Admin<ManageOrders>,
    call: &Call,
    id: i64,
) -> ApiResult<AftersaleDto> {
    let a = merchant_owned(st, admin.merchant_id, id).await?;
    let to = if a.kind == "exchange" { "exchanged" } else { "refunded" };
    let mut tx = st.store.begin().await?;
    if !st.store.aftersale_transition(&mut tx, a.id, "returning", to).await? {
        return Err(ApiError::conflict_because(&AftersaleRefusal::RequestIs {
            status: crate::error::aftersale_status(&a.status),
        }));
    }
    if a.kind == "exchange" {
        release(st, &mut tx, &a).await?;
    } else {
        af::refund(st, &mut tx, &a, true, &admin.username).await?;
    }
    audit(
        st,
        &mut tx,
        &admin,
        call,
        "aftersale.receive",
        format!("aftersale:{id}"),
        None,
        Some(serde_json::json!({"status": to})),
    )
    .await?;
    let a = st.store.aftersale(&mut *tx, id).await?;
    let products: Vec<i64> =
        st.store.order_lines(&mut *tx, OrderId::new(a.order_id)).await?.iter().map(|l| l.product_id.get()).collect();
    usecase::commit(st, tx, Effects::new().stock_moved(products).wake_jobs()).await?;
    Ok(a.into())
}

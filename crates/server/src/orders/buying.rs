//! The buyer's order use cases: cart, their orders, payment start, sandbox completion, cancellation, receipt.

use axum::http::StatusCode;
use minimall_core::error::Reason;
use minimall_core::orders::OrderEvent;
use minimall_core::orders::OrderStatus;
use minimall_core::page::Page;
use minimall_core::BuyerId;

use super::shop_api::order_dto_from;
use super::shop_api::{check_status_filter, order_dto, own};
use crate::accounts::auth::Buyer;
use crate::error::ApiReason;
use crate::error::{ApiError, ApiResult};
use crate::http::idempotency::{self};
use crate::http::Paginated;
use crate::orders::refusals::OrderRefusal;
use crate::orders::{self as ord, Checkout};
use crate::payments::sandbox;
use crate::promotions::pricing::{self, CartItem, MAX_QUANTITY};
use crate::state::AppState;
use crate::web::i18n::Lang;

use super::shop_api::{
    CartAdd, CartChange, CartDto, CartLineDto, CreateOrder, MyOrdersQuery, OrderDto, PayRequest, PayStart,
};
use super::tabs::BuyerOrderReason::TabAndStatus;
use crate::usecase::{self, Call, Effects, Stored};

/// The buyer's cart. Unavailable lines are kept and marked, never dropped.
pub async fn cart(st: &AppState, buyer: &Buyer) -> ApiResult<CartDto> {
    let rows = st.store.cart(buyer.id).await?;
    let items: Vec<CartLineDto> = rows
        .into_iter()
        .map(|r| {
            let reason = if r.deleted != 0 {
                Some("deleted")
            } else if r.on_shelf == 0 {
                Some("off_shelf")
            } else if r.stock < r.quantity {
                Some(if r.stock == 0 { "sold_out" } else { "not_enough_stock" })
            } else {
                None
            };
            let images: Vec<String> = serde_json::from_str(&r.images).unwrap_or_default();
            CartLineDto {
                id: r.id,
                sku_id: r.sku_id,
                product_id: r.product_id,
                title: r.title,
                spec: serde_json::from_str(&r.spec_values).unwrap_or_default(),
                image: images.into_iter().next(),
                quantity: r.quantity,
                selected: r.selected != 0,
                sale_price: r.sale_price,
                original_price: r.original_price,
                available: reason.is_none(),
                unavailable_reason: reason.map(str::to_string),
            }
        })
        .collect();
    let selected_amount = items.iter().filter(|i| i.selected && i.available).map(|i| i.sale_price * i.quantity).sum();
    Ok(CartDto { total: items.len() as i64, items, selected_amount })
}

/// Add to the cart (merging with the same SKU).
pub async fn cart_add(st: &AppState, buyer: &Buyer, req: CartAdd) -> ApiResult<CartDto> {
    if !(1..=MAX_QUANTITY).contains(&req.quantity) {
        return Err(ApiError::invalid_because("quantity", &Reason::OutOfRange { min: 1, max: MAX_QUANTITY }));
    }
    let sku = st.store.skus_for_quote(buyer.merchant_id, &[req.sku_id]).await?;
    if sku.first().is_none_or(|s| s.on_shelf == 0) {
        return Err(ApiError::invalid_because("sku_id", &OrderRefusal::NotOnShelf));
    }
    let mut tx = st.store.begin().await?;
    if !st.store.cart_add(&mut tx, buyer.merchant_id, buyer.id, req.sku_id, req.quantity, MAX_QUANTITY).await? {
        return Err(ApiError::refused(
            StatusCode::CONFLICT,
            "conflict",
            &crate::orders::tabs::BuyerOrderReason::CartFull,
        ));
    }
    minimall_store::commit(tx).await?;
    cart(st, buyer).await
}

/// Change a cart line's quantity or selection.
pub async fn cart_change(st: &AppState, buyer: &Buyer, id: i64, req: CartChange) -> ApiResult<CartDto> {
    if let Some(q) = req.quantity {
        if !(1..=MAX_QUANTITY).contains(&q) {
            return Err(ApiError::invalid_because("quantity", &Reason::OutOfRange { min: 1, max: MAX_QUANTITY }));
        }
    }
    let mut tx = st.store.begin().await?;
    if !st.store.cart_update(&mut tx, buyer.id, id, req.quantity, req.selected).await? {
        return Err(ApiError::not_found("cart_line"));
    }
    minimall_store::commit(tx).await?;
    cart(st, buyer).await
}

/// Remove a cart line.
pub async fn cart_remove(st: &AppState, buyer: &Buyer, id: i64) -> ApiResult<CartDto> {
    let mut tx = st.store.begin().await?;
    if !st.store.cart_remove(&mut tx, buyer.id, id).await? {
        return Err(ApiError::not_found("cart_line"));
    }
    minimall_store::commit(tx).await?;
    cart(st, buyer).await
}

/// The buyer's own orders, newest first.
pub async fn my_orders(st: &AppState, buyer: &Buyer, lang: Lang, q: MyOrdersQuery) -> ApiResult<Paginated<OrderDto>> {
    let page = Page::parse(q.page, q.page_size)?;
    let status = q.status.unwrap_or_default();
    check_status_filter(&status)?;
    let rows = match q.tab {
        Some(_) if !status.is_empty() => {
            return Err(ApiError::refused(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed", &TabAndStatus)
                .with_field("tab"))
        }
        Some(super::tabs::OrderTab::ToReview) => {
            st.store.buyer_orders_to_review(buyer.id, page.size(), page.offset()).await?
        }
        Some(tab) => st.store.buyer_orders_in(buyer.id, tab.statuses(), page.size(), page.offset()).await?,
        None => st.store.buyer_orders(BuyerId::new(buyer.id), &status, page.size(), page.offset()).await?,
    };
    let mut items = Vec::new();
    for o in rows.items {
        items.push(order_dto(st, o, lang).await?);
    }
    Ok(Paginated::new(items, rows.total, page))
}

/// One of the buyer's orders (another buyer's order is 404).
pub async fn my_order(st: &AppState, buyer: &Buyer, lang: Lang, id: i64) -> ApiResult<OrderDto> {
    let o = own(st, buyer, id).await?;
    order_dto(st, o, lang).await
}

/// Cancel an unpaid order; stock, coupons and points come back.
pub async fn cancel(st: &AppState, buyer: &Buyer, lang: Lang, id: i64) -> ApiResult<OrderDto> {
    let o = own(st, buyer, id).await?;
    if !ord::cancel_unpaid(st, o.id.get(), OrderEvent::CancelByBuyer, "buyer").await? {
        let o = own(st, buyer, id).await?;
        return Err(ApiError::conflict_because(&OrderRefusal::CannotCancel {
            status: crate::error::order_status(o.status.as_str()),
        }));
    }
    order_dto(st, own(st, buyer, id).await?, lang).await
}

/// Confirm receipt of a shipped order.
pub async fn receive(st: &AppState, buyer: &Buyer, lang: Lang, id: i64) -> ApiResult<OrderDto> {
    let o = own(st, buyer, id).await?;
    let mut tx = st.store.begin().await?;
    ord::apply_event(st, &mut tx, &o, OrderEvent::ConfirmReceipt, Some("received_at"), serde_json::json!({}), "buyer")
        .await?;
    let at = minimall_store::now_ms() + st.cfg.orders.aftersale_days * 86_400_000;
    ord::enqueue_in(st, &mut tx, o.merchant_id, ord::COMPLETE_JOB, o.id.get(), at).await?;
    crate::distribution::order_received(st, &mut tx, &o).await?;
    minimall_store::commit(tx).await?;
    order_dto(st, own(st, buyer, id).await?, lang).await
}

/// Start paying an order.
pub async fn pay(st: &AppState, buyer: &Buyer, id: i64, req: PayRequest) -> ApiResult<PayStart> {
    let o = own(st, buyer, id).await?;
    if o.status != OrderStatus::PendingPayment {
        return Err(ApiError::conflict_because(&OrderRefusal::CannotPay {
            status: crate::error::order_status(o.status.as_str()),
        }));
    }
    if o.pay_deadline <= minimall_store::now_ms() {
        return Err(ApiError::conflict_because(&OrderRefusal::PayExpired));
    }
    match req.provider.as_str() {
        sandbox::PROVIDER => {
            if !st.cfg.sandbox {
                return Err(ApiError::forbidden_because(&OrderRefusal::SandboxPayOff).with_field("provider"));
            }
            let p =
                st.store.ensure_payment(o.merchant_id, o.id.get(), sandbox::PROVIDER, &o.order_no, o.payable).await?;
            Ok(PayStart {
                provider: p.provider,
                sandbox_complete_url: Some(format!("/api/v1/shop/sandbox/payments/{}/complete", p.out_trade_no)),
                out_trade_no: p.out_trade_no,
                amount: p.amount,
                wx_request_payment: None,
            })
        }
        "wechat" => {
            let Some(wx) = &st.wechat_pay else {
                return Err(ApiError::unavailable_because(&OrderRefusal::WechatPayOff).with_field("provider"));
            };
            let b = st.store.buyer_by_id(buyer.merchant_id, buyer.id).await?;
            let Some(openid) = b.openid else {
                return Err(ApiError::invalid_because("provider", &OrderRefusal::WechatNeedsOpenid));
            };
            let p = st.store.ensure_payment(o.merchant_id, o.id.get(), "wechat", &o.order_no, o.payable).await?;
            let lines = st.store.order_lines(st.store.reader(), o.id).await?;
            let title: String =
                lines.first().map(|l| l.title.chars().take(100).collect()).unwrap_or_else(|| o.order_no.clone());
            let prepay = wx
                .jsapi_prepay(&p.out_trade_no, &title, p.amount, &openid, Some(o.pay_deadline))
                .await
                .map_err(|e| {
                    tracing::warn!(error = %e, "wechat prepay failed");
                    {
                        tracing::warn!(error = %e, "WeChat Pay refused or is unreachable");
                        ApiError::unavailable_because(&OrderRefusal::WechatPayFailed)
                    }
                })?;
            let params = serde_json::to_value(wx.request_payment_params(&prepay)).map_err(ApiError::internal)?;
            Ok(PayStart {
                provider: p.provider,
                out_trade_no: p.out_trade_no,
                amount: p.amount,
                sandbox_complete_url: None,
                wx_request_payment: Some(params),
            })
        }
        crate::stored_value::PROVIDER => crate::stored_value::pay_order(st, buyer, &o).await,
        _ => Err(ApiError::invalid_because("provider", &Reason::OneOf { allowed: "sandbox, wechat, balance".into() })),
    }
}

/// Sandbox: the buyer completes the payment. Like a real provider, the shop learns of it only through
/// signed notifications that arrive asynchronously (possibly several times, out of order).
pub async fn sandbox_complete(st: &AppState, buyer: &Buyer, no: String) -> ApiResult<()> {
    if !st.cfg.sandbox {
        return Err(ApiError::forbidden_because(&OrderRefusal::SandboxPayOff));
    }
    let p = st.store.payment_by_trade_no(&no).await?.ok_or_else(|| ApiError::not_found("payment"))?;
    own(st, buyer, p.order_id.get()).await?;
    let now = minimall_store::now_ms();
    let delay = st.cfg.orders.sandbox_notify_delay_ms;
    let mut deliveries = st.store.writes();
    for k in 0..st.cfg.orders.sandbox_duplicates {
        let jitter = (rand::random::<u32>() as i64) % (delay.max(1));
        ord::add_job(
            &mut deliveries,
            p.merchant_id,
            ord::SANDBOX_NOTIFY_JOB,
            serde_json::json!({"out_trade_no": p.out_trade_no, "amount": p.amount, "delivery": k}),
            now + delay + jitter * i64::from(k),
            format!("{}:{}:{k}", ord::SANDBOX_NOTIFY_JOB, p.out_trade_no),
        );
    }
    let mut tx = st.store.begin().await?;
    deliveries.run(&mut tx).await?;
    usecase::commit(st, tx, Effects::new().wake_jobs()).await?;
    Ok(())
}

/// Place an order. Needs `Idempotency-Key`: the same key and body return the same order; another body
/// with that key is a 422. The server re-quotes; prices from the client are never trusted. The order is
/// placed at exactly the quote `POST /api/v1/shop/quote` gives for the same body, or refused as that quote's
/// first `blocking` entry says: 422 with its `reason` as the code, its `field`, and the rule in `details`.
pub async fn create_order(st: &AppState, buyer: &Buyer, call: &Call, req: CreateOrder) -> ApiResult<Stored> {
    let key = call.required_idempotency_key()?;
    if req.remark.chars().count() > 200 {
        return Err(ApiError::invalid_because("remark", &Reason::TooLong { max: 200 }));
    }
    let scope = format!("buyer:{}:create_order", buyer.id);
    let fingerprint = idempotency::request_hash(
        "POST",
        "/api/v1/shop/orders",
        &serde_json::to_value(&req).map_err(ApiError::internal)?,
    );
    // A replay answers before any pricing work.
    if let Some(replay) = idempotency::replay(&st.store, &scope, &key, &fingerprint).await? {
        return Ok(replay);
    }
    let from_cart = req.items.is_none();
    let items: Vec<CartItem> = match &req.items {
        Some(i) => i.clone(),
        None => st
            .store
            .cart(buyer.id)
            .await?
            .into_iter()
            .filter(|c| c.selected != 0)
            .map(|c| CartItem { sku_id: c.sku_id, quantity: c.quantity })
            .collect(),
    };
    if items.is_empty() {
        return Err(ApiError::invalid_because("items", &OrderRefusal::NothingToOrder));
    }
    let pickup = match req.delivery.as_deref().unwrap_or("express") {
        "express" => None,
        "pickup" => {
            let sid = req.store_id.ok_or_else(|| ApiError::invalid_because("store_id", &OrderRefusal::ChooseStore))?;
            let stores = st.store.stores(buyer.merchant_id).await?;
            if !stores.iter().any(|s| s.id == sid && s.active != 0) {
                return Err(ApiError::invalid_because(
                    "store_id",
                    &ApiReason::NoSuch { what: crate::error::thing("store") },
                ));
            }
            Some(sid)
        }
        _ => return Err(ApiError::invalid_because("delivery", &Reason::OneOf { allowed: "express, pickup".into() })),
    };
    let (address, province) = match (pickup, req.address_id) {
        (Some(_), _) => (None, None),
        (None, Some(aid)) => {
            let a = st.store.address(buyer.id, aid).await.map_err(|_| {
                ApiError::invalid_because("address_id", &ApiReason::NoSuch { what: crate::error::thing("address") })
            })?;
            let p = Some(a.province.clone());
            (Some(a), p)
        }
        (None, None) => return Err(ApiError::invalid_because("address_id", &OrderRefusal::ChooseAddress)),
    };
    let priced =
        pricing::price_cart(st, buyer.merchant_id, buyer.id, &items, &req.coupon_ids, req.points, province).await?;
    // One rule with the quote: the order is placed at exactly this quote, or refused as its first blocking
    // refusal says (same reason as code, same field).
    if let Some(refusal) = pricing::blocking_error(&priced) {
        return Err(refusal);
    }
    let quote = pricing::quote_dto(&priced, None, call.lang);
    if req.expected_payable.is_some_and(|p| p != quote.payable) {
        let body = serde_json::json!({
            "error": {"code": "quote_changed", "message": format!("the payable is now {} fen", quote.payable), "field": "expected_payable"},
            "quote": quote,
        });
        return Ok(Stored::fresh(StatusCode::CONFLICT, body.to_string()));
    }
    let address_json = address.as_ref().map(ord::address_snapshot);
    let derivation = serde_json::json!({"steps": quote.steps, "rejected": quote.rejected}).to_string();
    let mut tx = st.store.begin().await?;
    if let Some(replay) = idempotency::begin(&st.store, &mut tx, buyer.merchant_id, &scope, &key, &fingerprint).await? {
        return Ok(replay);
    }
    let mut body = String::new();
    let (order, _) = ord::create(
        st,
        &mut tx,
        &Checkout {
            buyer_id: buyer.id,
            merchant_id: buyer.merchant_id,
            priced: &priced,
            coupon_ids: &req.coupon_ids,
            address_json,
            remark: req.remark.trim().to_string(),
            pickup: pickup.map(|sid| (sid, crate::orders::pickup::new_code())),
        },
        &derivation,
        |order, lines, w| {
            if from_cart {
                let skus: Vec<i64> = items.iter().map(|i| i.sku_id).collect();
                w.cart_remove(buyer.id, &skus);
            }
            let mut dto = order_dto_from(order.clone(), call.lang);
            dto.lines = lines.iter().cloned().map(Into::into).collect();
            body = serde_json::to_string(&dto).map_err(ApiError::internal)?;
            idempotency::finish_with(w, &scope, &key, StatusCode::CREATED, &body);
            Ok(())
        },
    )
    .await?;
    crate::analytics::record::order_placed(st, &mut tx, &order).await?;
    let fx = Effects::new().stock_moved(priced.input.lines.iter().map(|l| l.product_id)).wake_jobs();
    usecase::commit(st, tx, fx).await?;
    Ok(Stored::fresh(StatusCode::CREATED, body))
}

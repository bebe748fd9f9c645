//! Buyer orders: cart, idempotent checkout, paying, cancelling, receiving; the sandbox payment flow and
//! the payment notification callback.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use minimall_core::orders::OrderEvent;
use minimall_core::page::Page;
use minimall_store::orders::{OrderLineRow, OrderRow};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::accounts::auth::Buyer;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::http::extract::{ApiJson, ApiQuery, Path};
use crate::http::idempotency::{self, IdemKey};
use crate::http::Paginated;
use crate::orders::{self as ord, Checkout};
use crate::payments::sandbox;
use crate::promotions::pricing::{self, CartItem, QuoteDto, MAX_QUANTITY};
use crate::state::AppState;
use crate::usecase::{self, Effects};

// ---- cart ---------------------------------------------------------------------------------------

#[derive(Serialize, ToSchema)]
pub struct CartLineDto {
    pub id: i64,
    pub sku_id: i64,
    pub product_id: i64,
    pub title: String,
    pub spec: Vec<String>,
    pub image: Option<String>,
    pub quantity: i64,
    pub selected: bool,
    pub sale_price: i64,
    pub original_price: i64,
    /// false when off the shelf, deleted or out of stock; such lines stay in the cart, marked.
    pub available: bool,
    pub unavailable_reason: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct CartDto {
    pub items: Vec<CartLineDto>,
    pub total: i64,
    /// Σ sale price × quantity of selected, available lines (before promotions; quote for the payable).
    pub selected_amount: i64,
}

/// The buyer's cart. Unavailable lines are kept and marked, never dropped.
#[utoipa::path(get, path = "/api/v1/shop/cart", tag = "shop-orders", security(("bearer" = [])), responses((status = 200, body = CartDto)))]
pub async fn cart(State(st): State<AppState>, buyer: Buyer) -> ApiResult<Json<CartDto>> {
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
    Ok(Json(CartDto { total: items.len() as i64, items, selected_amount }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CartAdd {
    pub sku_id: i64,
    pub quantity: i64,
}

/// Add to the cart (merging with the same SKU).
#[utoipa::path(post, path = "/api/v1/shop/cart/items", tag = "shop-orders", request_body = CartAdd, security(("bearer" = [])),
    responses((status = 200, body = CartDto), (status = 422, body = ErrorBody)))]
pub async fn cart_add(
    State(st): State<AppState>,
    buyer: Buyer,
    ApiJson(req): ApiJson<CartAdd>,
) -> ApiResult<Json<CartDto>> {
    if !(1..=MAX_QUANTITY).contains(&req.quantity) {
        return Err(ApiError::invalid("quantity", format!("must be between 1 and {MAX_QUANTITY}")));
    }
    let sku = st.store.skus_for_quote(buyer.merchant_id, &[req.sku_id]).await?;
    if sku.first().is_none_or(|s| s.on_shelf == 0) {
        return Err(ApiError::invalid("sku_id", "no such product on the shelf"));
    }
    let mut tx = st.store.begin().await?;
    if !st.store.cart_add(&mut tx, buyer.merchant_id, buyer.id, req.sku_id, req.quantity, MAX_QUANTITY).await? {
        return Err(ApiError::conflict("the cart holds at most 100 products"));
    }
    minimall_store::commit(tx).await?;
    cart(State(st), buyer).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CartChange {
    pub quantity: Option<i64>,
    pub selected: Option<bool>,
}

/// Change a cart line's quantity or selection.
#[utoipa::path(patch, path = "/api/v1/shop/cart/items/{id}", tag = "shop-orders", request_body = CartChange, params(("id" = i64, Path)),
    security(("bearer" = [])), responses((status = 200, body = CartDto), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn cart_change(
    State(st): State<AppState>,
    buyer: Buyer,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<CartChange>,
) -> ApiResult<Json<CartDto>> {
    if let Some(q) = req.quantity {
        if !(1..=MAX_QUANTITY).contains(&q) {
            return Err(ApiError::invalid("quantity", format!("must be between 1 and {MAX_QUANTITY}")));
        }
    }
    let mut tx = st.store.begin().await?;
    if !st.store.cart_update(&mut tx, buyer.id, id, req.quantity, req.selected).await? {
        return Err(ApiError::not_found("cart line"));
    }
    minimall_store::commit(tx).await?;
    cart(State(st), buyer).await
}

/// Remove a cart line.
#[utoipa::path(delete, path = "/api/v1/shop/cart/items/{id}", tag = "shop-orders", params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, body = CartDto), (status = 404, body = ErrorBody)))]
pub async fn cart_remove(State(st): State<AppState>, buyer: Buyer, Path(id): Path<i64>) -> ApiResult<Json<CartDto>> {
    let mut tx = st.store.begin().await?;
    if !st.store.cart_remove(&mut tx, buyer.id, id).await? {
        return Err(ApiError::not_found("cart line"));
    }
    minimall_store::commit(tx).await?;
    cart(State(st), buyer).await
}

// ---- orders -------------------------------------------------------------------------------------

#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOrder {
    /// The items to buy; omit to buy the selected lines of the cart.
    pub items: Option<Vec<CartItem>>,
    #[serde(default)]
    pub coupon_ids: Vec<i64>,
    #[serde(default)]
    pub points: i64,
    /// Required for delivery; not used for pick-up.
    pub address_id: Option<i64>,
    /// express (default) or pickup.
    #[serde(default)]
    pub delivery: Option<String>,
    /// The store for pick-up.
    pub store_id: Option<i64>,
    #[serde(default)]
    pub remark: String,
    /// The payable the buyer saw; if the server's quote differs the answer is 409 with the new quote.
    pub expected_payable: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct OrderLineDto {
    pub id: i64,
    pub sku_id: i64,
    pub product_id: i64,
    pub title: String,
    pub spec: Vec<String>,
    pub image: Option<String>,
    pub quantity: i64,
    pub sale_price: i64,
    pub unit_price: i64,
    /// Always there for the buyer; left out in the console's order API for roles that may not see revenue.
    #[schema(required = false)]
    pub goods_amount: i64,
    /// Always there for the buyer; left out in the console's order API for roles that may not see revenue.
    #[schema(required = false)]
    pub order_discount: i64,
    /// Always there for the buyer; left out in the console's order API for roles that may not see revenue.
    #[schema(required = false)]
    pub coupon_discount: i64,
    /// Always there for the buyer; left out in the console's order API for roles that may not see revenue.
    #[schema(required = false)]
    pub points_discount: i64,
    /// Always there for the buyer; left out in the console's order API for roles that may not see revenue.
    #[schema(required = false)]
    pub paid_amount: i64,
    pub shipped_qty: i64,
    pub refunded_qty: i64,
    /// Always there for the buyer; left out in the console's order API for roles that may not see revenue.
    #[schema(required = false)]
    pub refunded_amount: i64,
}

impl From<OrderLineRow> for OrderLineDto {
    fn from(l: OrderLineRow) -> Self {
        OrderLineDto {
            id: l.id,
            sku_id: l.sku_id,
            product_id: l.product_id,
            title: l.title,
            spec: serde_json::from_str(&l.spec).unwrap_or_default(),
            image: l.image,
            quantity: l.quantity,
            sale_price: l.sale_price,
            unit_price: l.unit_price,
            goods_amount: l.goods_amount,
            order_discount: l.order_discount,
            coupon_discount: l.coupon_discount,
            points_discount: l.points_discount,
            paid_amount: l.paid_amount,
            shipped_qty: l.shipped_qty,
            refunded_qty: l.refunded_qty,
            refunded_amount: l.refunded_amount,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct OrderDto {
    pub id: i64,
    pub order_no: String,
    pub buyer_id: i64,
    /// pending_payment, to_ship, partially_shipped, shipped, received, completed, cancelled, closed
    pub status: String,
    pub status_label: String,
    /// Always there for the buyer; left out in the console's order API for roles that may not see revenue.
    #[schema(required = false)]
    pub list_total: i64,
    /// Always there for the buyer; left out in the console's order API for roles that may not see revenue.
    #[schema(required = false)]
    pub goods_total: i64,
    /// Always there for the buyer; left out in the console's order API for roles that may not see revenue.
    #[schema(required = false)]
    pub order_discount: i64,
    /// Always there for the buyer; left out in the console's order API for roles that may not see revenue.
    #[schema(required = false)]
    pub coupon_discount: i64,
    pub points_used: i64,
    /// Always there for the buyer; left out in the console's order API for roles that may not see revenue.
    #[schema(required = false)]
    pub points_discount: i64,
    /// Always there for the buyer; left out in the console's order API for roles that may not see revenue.
    #[schema(required = false)]
    pub shipping: i64,
    /// Always there for the buyer; left out in the console's order API for roles that may not see revenue.
    #[schema(required = false)]
    pub payable: i64,
    /// Always there for the buyer; left out in the console's order API for roles that may not see revenue.
    #[schema(required = false)]
    pub refunded_amount: i64,
    #[schema(value_type = Option<Object>)]
    pub address: Option<serde_json::Value>,
    pub remark: String,
    pub pay_deadline: i64,
    pub paid_at: Option<i64>,
    pub shipped_at: Option<i64>,
    pub received_at: Option<i64>,
    pub completed_at: Option<i64>,
    pub cancelled_at: Option<i64>,
    pub created_at: i64,
    /// express or pickup
    pub delivery: String,
    pub store_id: Option<i64>,
    /// The pick-up code, shown once the order is paid.
    pub pickup_code: Option<String>,
    pub picked_up_at: Option<i64>,
    pub lines: Vec<OrderLineDto>,
}

pub async fn order_dto(st: &AppState, o: OrderRow) -> ApiResult<OrderDto> {
    let lines = st.store.order_lines(o.id).await?.into_iter().map(Into::into).collect();
    Ok(OrderDto { lines, ..order_dto_from(o) })
}

#[derive(Serialize, ToSchema)]
pub struct QuoteChanged {
    pub error: crate::error::ErrorDetail,
    pub quote: QuoteDto,
}

/// Place an order. Needs `Idempotency-Key`: the same key and body return the same order; another body
/// with that key is a 422. The server re-quotes; prices from the client are never trusted. The order is
/// placed at exactly the quote `POST /api/v1/shop/quote` gives for the same body, or refused as that quote's
/// first `blocking` entry says: 422 with its `reason` as the code, its `field`, and the rule in `details`.
#[utoipa::path(post, path = "/api/v1/shop/orders", tag = "shop-orders", request_body = CreateOrder, security(("bearer" = [])),
    params(("Idempotency-Key" = String, Header)),
    responses((status = 201, body = OrderDto), (status = 409, body = QuoteChanged), (status = 422, body = ErrorBody)))]
pub async fn create_order(
    State(st): State<AppState>,
    buyer: Buyer,
    headers: HeaderMap,
    ApiJson(req): ApiJson<CreateOrder>,
) -> ApiResult<Response> {
    let key = IdemKey::required(&headers)?;
    if req.remark.chars().count() > 200 {
        return Err(ApiError::invalid("remark", "must be at most 200 characters"));
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
        return Err(ApiError::invalid("items", "nothing to order: give items or select cart lines"));
    }
    let pickup = match req.delivery.as_deref().unwrap_or("express") {
        "express" => None,
        "pickup" => {
            let sid = req.store_id.ok_or_else(|| ApiError::invalid("store_id", "choose a store for pick-up"))?;
            let stores = st.store.stores(buyer.merchant_id).await?;
            if !stores.iter().any(|s| s.id == sid && s.active != 0) {
                return Err(ApiError::invalid("store_id", "no such store"));
            }
            Some(sid)
        }
        _ => return Err(ApiError::invalid("delivery", "must be express or pickup")),
    };
    let (address, province) = match (pickup, req.address_id) {
        (Some(_), _) => (None, None),
        (None, Some(aid)) => {
            let a = st
                .store
                .address(buyer.id, aid)
                .await
                .map_err(|_| ApiError::invalid("address_id", "no such address"))?;
            let p = Some(a.province.clone());
            (Some(a), p)
        }
        (None, None) => return Err(ApiError::invalid("address_id", "choose a delivery address")),
    };
    let priced =
        pricing::price_cart(&st, buyer.merchant_id, buyer.id, &items, &req.coupon_ids, req.points, province).await?;
    // One rule with the quote: the order is placed at exactly this quote, or refused as its first blocking
    // refusal says (same reason as code, same field).
    if let Some(refusal) = pricing::blocking_error(&priced) {
        return Err(refusal);
    }
    let quote = pricing::quote_dto(&priced, None, crate::error::request_lang(&headers));
    if req.expected_payable.is_some_and(|p| p != quote.payable) {
        let body = serde_json::json!({
            "error": {"code": "quote_changed", "message": format!("the payable is now {} fen", quote.payable), "field": "expected_payable"},
            "quote": quote,
        });
        return Ok((StatusCode::CONFLICT, Json(body)).into_response());
    }
    let address_json = address.as_ref().map(ord::address_snapshot);
    let derivation = serde_json::json!({"steps": quote.steps, "rejected": quote.rejected}).to_string();
    let mut tx = st.store.begin().await?;
    if let Some(replay) = idempotency::begin(&st.store, &mut tx, buyer.merchant_id, &scope, &key, &fingerprint).await? {
        return Ok(replay);
    }
    let mut body = String::new();
    let (order, _) = ord::create(
        &st,
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
            let mut dto = order_dto_from(order.clone());
            dto.lines = lines.iter().cloned().map(Into::into).collect();
            body = serde_json::to_string(&dto).map_err(ApiError::internal)?;
            idempotency::finish_with(w, &scope, &key, StatusCode::CREATED, &body);
            Ok(())
        },
    )
    .await?;
    crate::analytics::record::order_placed(&st, &mut tx, &order).await?;
    let fx = Effects::new().stock_moved(priced.input.lines.iter().map(|l| l.product_id)).wake_jobs();
    usecase::commit(&st, tx, fx).await?;
    Ok((StatusCode::CREATED, [(axum::http::header::CONTENT_TYPE, "application/json")], body).into_response())
}

pub(crate) fn order_dto_from(o: OrderRow) -> OrderDto {
    let label = minimall_core::orders::OrderStatus::parse(&o.status).map(|s| s.label_zh()).unwrap_or("").to_string();
    OrderDto {
        id: o.id,
        order_no: o.order_no,
        buyer_id: o.buyer_id,
        status: o.status,
        status_label: label,
        list_total: o.list_total,
        goods_total: o.goods_total,
        order_discount: o.order_discount,
        coupon_discount: o.coupon_discount,
        points_used: o.points_used,
        points_discount: o.points_discount,
        shipping: o.shipping,
        payable: o.payable,
        refunded_amount: o.refunded_amount,
        address: o.address.and_then(|a| serde_json::from_str(&a).ok()),
        remark: o.remark,
        pay_deadline: o.pay_deadline,
        paid_at: o.paid_at,
        shipped_at: o.shipped_at,
        received_at: o.received_at,
        completed_at: o.completed_at,
        cancelled_at: o.cancelled_at,
        created_at: o.created_at,
        pickup_code: o.pickup_code.filter(|_| o.paid_at.is_some()),
        delivery: o.delivery,
        store_id: o.store_id,
        picked_up_at: o.picked_up_at,
        lines: Vec::new(),
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct MyOrdersQuery {
    pub status: Option<String>,
    pub page: Option<i64>,
    pub page_size: Option<i64>,
}

pub fn check_status_filter(s: &str) -> ApiResult<()> {
    if !s.is_empty() && minimall_core::orders::OrderStatus::parse(s).is_none() {
        return Err(ApiError::invalid("status", "is not an order status"));
    }
    Ok(())
}

/// The buyer's own orders, newest first.
#[utoipa::path(get, path = "/api/v1/shop/orders", tag = "shop-orders", params(MyOrdersQuery), security(("bearer" = [])),
    responses((status = 200, body = Paginated<OrderDto>)))]
pub async fn my_orders(
    State(st): State<AppState>,
    buyer: Buyer,
    ApiQuery(q): ApiQuery<MyOrdersQuery>,
) -> ApiResult<Json<Paginated<OrderDto>>> {
    let page = Page::parse(q.page, q.page_size)?;
    let status = q.status.unwrap_or_default();
    check_status_filter(&status)?;
    let rows = st.store.buyer_orders(buyer.id, &status, page.size(), page.offset()).await?;
    let mut items = Vec::new();
    for o in rows.items {
        items.push(order_dto(&st, o).await?);
    }
    Ok(Json(Paginated::new(items, rows.total, page)))
}

async fn own(st: &AppState, buyer: &Buyer, id: i64) -> ApiResult<OrderRow> {
    st.store.buyer_order(buyer.id, id).await.map_err(|_| ApiError::not_found("order"))
}

/// One of the buyer's orders (another buyer's order is 404).
#[utoipa::path(get, path = "/api/v1/shop/orders/{id}", tag = "shop-orders", params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, body = OrderDto), (status = 404, body = ErrorBody)))]
pub async fn my_order(State(st): State<AppState>, buyer: Buyer, Path(id): Path<i64>) -> ApiResult<Json<OrderDto>> {
    let o = own(&st, &buyer, id).await?;
    Ok(Json(order_dto(&st, o).await?))
}

/// Cancel an unpaid order; stock, coupons and points come back.
#[utoipa::path(post, path = "/api/v1/shop/orders/{id}/cancel", tag = "shop-orders", params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, body = OrderDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn cancel(State(st): State<AppState>, buyer: Buyer, Path(id): Path<i64>) -> ApiResult<Json<OrderDto>> {
    let o = own(&st, &buyer, id).await?;
    if !ord::cancel_unpaid(&st, o.id, OrderEvent::CancelByBuyer, "buyer").await? {
        let o = own(&st, &buyer, id).await?;
        return Err(ApiError::conflict(format!("the order is {} and cannot be cancelled", o.status)));
    }
    Ok(Json(order_dto(&st, own(&st, &buyer, id).await?).await?))
}

/// Confirm receipt of a shipped order.
#[utoipa::path(post, path = "/api/v1/shop/orders/{id}/receive", tag = "shop-orders", params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, body = OrderDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn receive(State(st): State<AppState>, buyer: Buyer, Path(id): Path<i64>) -> ApiResult<Json<OrderDto>> {
    let o = own(&st, &buyer, id).await?;
    let mut tx = st.store.begin().await?;
    ord::apply_event(&st, &mut tx, &o, OrderEvent::ConfirmReceipt, Some("received_at"), serde_json::json!({}), "buyer")
        .await?;
    let at = minimall_store::now_ms() + st.cfg.orders.aftersale_days * 86_400_000;
    ord::enqueue_in(&st, &mut tx, o.merchant_id, ord::COMPLETE_JOB, o.id, at).await?;
    minimall_store::commit(tx).await?;
    Ok(Json(order_dto(&st, own(&st, &buyer, id).await?).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PayRequest {
    /// sandbox (demo and tests) or wechat.
    pub provider: String,
}

#[derive(Serialize, ToSchema)]
pub struct PayStart {
    pub provider: String,
    pub out_trade_no: String,
    pub amount: i64,
    /// Sandbox: POST here to complete the payment.
    pub sandbox_complete_url: Option<String>,
    /// WeChat: the arguments of `wx.requestPayment`.
    #[schema(value_type = Option<Object>)]
    pub wx_request_payment: Option<serde_json::Value>,
}

/// Start paying an order.
#[utoipa::path(post, path = "/api/v1/shop/orders/{id}/pay", tag = "shop-orders", request_body = PayRequest, params(("id" = i64, Path)),
    security(("bearer" = [])), responses((status = 200, body = PayStart), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn pay(
    State(st): State<AppState>,
    buyer: Buyer,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<PayRequest>,
) -> ApiResult<Json<PayStart>> {
    let o = own(&st, &buyer, id).await?;
    if o.status != "pending_payment" {
        return Err(ApiError::conflict(format!("the order is {} and cannot be paid", o.status)));
    }
    if o.pay_deadline <= minimall_store::now_ms() {
        return Err(ApiError::conflict("the time to pay this order has passed"));
    }
    match req.provider.as_str() {
        sandbox::PROVIDER => {
            if !st.cfg.sandbox {
                return Err(ApiError::forbidden("sandbox payment is disabled on this server").with_field("provider"));
            }
            let p = st.store.ensure_payment(o.merchant_id, o.id, sandbox::PROVIDER, &o.order_no, o.payable).await?;
            Ok(Json(PayStart {
                provider: p.provider,
                sandbox_complete_url: Some(format!("/api/v1/shop/sandbox/payments/{}/complete", p.out_trade_no)),
                out_trade_no: p.out_trade_no,
                amount: p.amount,
                wx_request_payment: None,
            }))
        }
        "wechat" => {
            let Some(wx) = &st.wechat_pay else {
                return Err(ApiError::unavailable("WeChat Pay is not configured on this server").with_field("provider"));
            };
            let b = st.store.buyer_by_id(buyer.merchant_id, buyer.id).await?;
            let Some(openid) = b.openid else {
                return Err(ApiError::invalid("provider", "log in through the mini-program to pay with WeChat"));
            };
            let p = st.store.ensure_payment(o.merchant_id, o.id, "wechat", &o.order_no, o.payable).await?;
            let lines = st.store.order_lines(o.id).await?;
            let title: String =
                lines.first().map(|l| l.title.chars().take(100).collect()).unwrap_or_else(|| o.order_no.clone());
            let prepay = wx
                .jsapi_prepay(&p.out_trade_no, &title, p.amount, &openid, Some(o.pay_deadline))
                .await
                .map_err(|e| {
                    tracing::warn!(error = %e, "wechat prepay failed");
                    ApiError::unavailable(format!("WeChat Pay refused or is unreachable: {e}"))
                })?;
            let params = serde_json::to_value(wx.request_payment_params(&prepay)).map_err(ApiError::internal)?;
            Ok(Json(PayStart {
                provider: p.provider,
                out_trade_no: p.out_trade_no,
                amount: p.amount,
                sandbox_complete_url: None,
                wx_request_payment: Some(params),
            }))
        }
        _ => Err(ApiError::invalid("provider", "must be sandbox or wechat")),
    }
}

/// Sandbox: the buyer completes the payment. Like a real provider, the shop learns of it only through
/// signed notifications that arrive asynchronously (possibly several times, out of order).
#[utoipa::path(post, path = "/api/v1/shop/sandbox/payments/{out_trade_no}/complete", tag = "shop-orders", params(("out_trade_no" = String, Path)),
    security(("bearer" = [])), responses((status = 202), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn sandbox_complete(
    State(st): State<AppState>,
    buyer: Buyer,
    Path(no): Path<String>,
) -> ApiResult<StatusCode> {
    if !st.cfg.sandbox {
        return Err(ApiError::forbidden("sandbox payment is disabled on this server"));
    }
    let p = st.store.payment_by_trade_no(&no).await?.ok_or_else(|| ApiError::not_found("payment"))?;
    own(&st, &buyer, p.order_id).await?;
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
    usecase::commit(&st, tx, Effects::new().wake_jobs()).await?;
    Ok(StatusCode::ACCEPTED)
}

/// The sandbox provider's notification callback. Verified (HMAC-SHA256 with this installation's sandbox
/// secret, timestamp within 5 minutes), amount checked, idempotent: a duplicate changes nothing. Absent
/// (404) when sandbox mode is off.
#[utoipa::path(post, path = "/api/v1/payments/sandbox/notify", tag = "payments",
    request_body(content = String, content_type = "application/json"),
    responses((status = 200), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn sandbox_notify(
    State(st): State<AppState>,
    headers: HeaderMap,
    req: axum::extract::Request,
) -> ApiResult<StatusCode> {
    if !st.cfg.sandbox {
        return Err(ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such route"));
    }
    let body: Bytes = crate::http::extract::read_body(req, 64 * 1024).await?;
    let h = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let Some(secret) = st.cfg.orders.sandbox_secret() else {
        return Err(ApiError::unauthorized("notification refused: no sandbox secret"));
    };
    let notice = sandbox::verify(
        secret,
        &h("x-sandbox-timestamp"),
        &h("x-sandbox-nonce"),
        &h("x-sandbox-signature"),
        &body,
        minimall_store::now_ms(),
    )
    .map_err(|e| {
        metrics::counter!("payment_notifications_refused_total", "provider" => "sandbox").increment(1);
        ApiError::unauthorized(format!("notification refused: {e:?}"))
    })?;
    if notice.event_type != "TRANSACTION.SUCCESS" {
        return Err(ApiError::invalid("event_type", "unsupported event"));
    }
    let outcome = ord::on_paid(
        &st,
        sandbox::PROVIDER,
        Some(&notice.id),
        &notice.out_trade_no,
        &notice.transaction_id,
        notice.amount,
    )
    .await;
    if outcome.is_err() {
        st.store.record_notification(sandbox::PROVIDER, &notice.id, &notice.out_trade_no, "refused").await?;
    }
    outcome.map(|_| StatusCode::OK)
}

/// WeChat Pay's notification callback: signature and timestamp verified with the platform key, resource
/// decrypted with the API v3 key, amount checked, idempotent; answered quickly.
#[utoipa::path(post, path = "/api/v1/payments/wechat/notify", tag = "payments",
    request_body(content = String, content_type = "application/json"),
    responses((status = 200), (status = 400), (status = 401)))]
pub async fn wechat_notify(State(st): State<AppState>, headers: HeaderMap, req: axum::extract::Request) -> Response {
    use crate::payments::wechat::{NotificationPayload, RefundStatus, TradeState, WechatPay};
    let Some(wx) = st.wechat_pay.clone() else {
        return WechatPay::failure_ack(StatusCode::NOT_FOUND, "WeChat Pay is not configured").into_response();
    };
    let body = match crate::http::extract::read_body(req, 64 * 1024).await {
        Ok(b) => b,
        Err(e) => return WechatPay::failure_ack(StatusCode::PAYLOAD_TOO_LARGE, &e.to_string()).into_response(),
    };
    let n = match wx.verify_notification_request(&headers, &body, minimall_store::now_ms() / 1000) {
        Ok(n) => n,
        Err(e) => {
            metrics::counter!("payment_notifications_refused_total", "provider" => "wechat").increment(1);
            return WechatPay::failure_ack_for(&e).into_response();
        }
    };
    match n.payload {
        NotificationPayload::Transaction(t) => {
            if t.trade_state != TradeState::Success {
                return WechatPay::success_ack().into_response();
            }
            let txn = t.transaction_id.clone().unwrap_or_default();
            let outcome = ord::on_paid(&st, "wechat", Some(&n.id), &t.out_trade_no, &txn, t.amount.total).await;
            if outcome.is_err() {
                let _ = st.store.record_notification("wechat", &n.id, &t.out_trade_no, "refused").await;
            }
            match outcome {
                Ok(_) => WechatPay::success_ack().into_response(),
                Err(e) if e.status.is_client_error() => {
                    WechatPay::failure_ack(StatusCode::BAD_REQUEST, &e.to_string()).into_response()
                }
                Err(e) => WechatPay::failure_ack(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()).into_response(),
            }
        }
        NotificationPayload::Refund(r) => {
            if r.refund_status == RefundStatus::Success {
                if let Err(e) = ord::settle_refund(&st, &r.out_refund_no).await {
                    return WechatPay::failure_ack(StatusCode::INTERNAL_SERVER_ERROR, &e).into_response();
                }
            }
            let _ = st.store.record_notification("wechat", &n.id, &r.out_trade_no, "refund").await;
            WechatPay::success_ack().into_response()
        }
        NotificationPayload::Other(_) => WechatPay::success_ack().into_response(),
    }
}

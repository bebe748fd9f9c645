//! Buyer orders: cart, idempotent checkout, paying, cancelling, receiving; the sandbox payment flow and
//! the payment notification callback.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use minimall_core::{BuyerId, OrderId};
use minimall_store::orders::{OrderLineRow, OrderRow};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::accounts::auth::Buyer;
use crate::error::ApiReason;
use crate::error::{ApiError, ApiResult, ErrorBody, ReqLang};
use crate::http::extract::{ApiJson, ApiQuery, Path};
use crate::http::Paginated;
use crate::orders::refusals::OrderRefusal;
use crate::orders::{self as ord};
use crate::payments::sandbox;
use crate::promotions::pricing::{CartItem, QuoteDto};
use crate::state::AppState;
use crate::usecase::Call;
use crate::web::i18n::Lang;
use minimall_store::orders::OrderScope;

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
    crate::orders::buying::cart(&st, &buyer).await.map(Json)
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
    crate::orders::buying::cart_add(&st, &buyer, req).await.map(Json)
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
    crate::orders::buying::cart_change(&st, &buyer, id, req).await.map(Json)
}

/// Remove a cart line.
#[utoipa::path(delete, path = "/api/v1/shop/cart/items/{id}", tag = "shop-orders", params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, body = CartDto), (status = 404, body = ErrorBody)))]
pub async fn cart_remove(State(st): State<AppState>, buyer: Buyer, Path(id): Path<i64>) -> ApiResult<Json<CartDto>> {
    crate::orders::buying::cart_remove(&st, &buyer, id).await.map(Json)
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
            sku_id: l.sku_id.get(),
            product_id: l.product_id.get(),
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

/// An order with its lines, its status worded in `lang`.
pub async fn order_dto(st: &AppState, o: OrderRow, lang: Lang) -> ApiResult<OrderDto> {
    let lines = st.store.order_lines(st.store.reader(), o.id).await?.into_iter().map(Into::into).collect();
    Ok(OrderDto { lines, ..order_dto_from(o, lang) })
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
    crate::orders::buying::create_order(&st, &buyer, &Call::from_headers(&headers), req)
        .await
        .map(IntoResponse::into_response)
}

pub(crate) fn order_dto_from(o: OrderRow, lang: Lang) -> OrderDto {
    let label = crate::labels::label(lang, "order-status", o.status.as_str());
    OrderDto {
        id: o.id.get(),
        order_no: o.order_no,
        buyer_id: o.buyer_id.get(),
        status: o.status.as_str().to_string(),
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
    /// A tab of 我的订单 instead of one status: to_pay, to_ship, to_receive, to_review.
    pub tab: Option<super::tabs::OrderTab>,
    pub page: Option<i64>,
    pub page_size: Option<i64>,
}

pub fn check_status_filter(s: &str) -> ApiResult<()> {
    if !s.is_empty() && minimall_core::orders::OrderStatus::parse(s).is_none() {
        return Err(ApiError::invalid_because("status", &OrderRefusal::NotAStatus));
    }
    Ok(())
}

/// The buyer's own orders, newest first.
#[utoipa::path(get, path = "/api/v1/shop/orders", tag = "shop-orders", params(MyOrdersQuery), security(("bearer" = [])),
    responses((status = 200, body = Paginated<OrderDto>)))]
pub async fn my_orders(
    State(st): State<AppState>,
    buyer: Buyer,
    ReqLang(lang): ReqLang,
    ApiQuery(q): ApiQuery<MyOrdersQuery>,
) -> ApiResult<Json<Paginated<OrderDto>>> {
    crate::orders::buying::my_orders(&st, &buyer, lang, q).await.map(Json)
}

pub(crate) async fn own(st: &AppState, buyer: &Buyer, id: i64) -> ApiResult<OrderRow> {
    st.store
        .order(st.store.reader(), OrderScope::Buyer(BuyerId::new(buyer.id)), OrderId::new(id))
        .await
        .map_err(|_| ApiError::not_found("order"))
}

/// One of the buyer's orders (another buyer's order is 404).
#[utoipa::path(get, path = "/api/v1/shop/orders/{id}", tag = "shop-orders", params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, body = OrderDto), (status = 404, body = ErrorBody)))]
pub async fn my_order(
    State(st): State<AppState>,
    buyer: Buyer,
    ReqLang(lang): ReqLang,
    Path(id): Path<i64>,
) -> ApiResult<Json<OrderDto>> {
    crate::orders::buying::my_order(&st, &buyer, lang, id).await.map(Json)
}

/// Cancel an unpaid order; stock, coupons and points come back.
#[utoipa::path(post, path = "/api/v1/shop/orders/{id}/cancel", tag = "shop-orders", params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, body = OrderDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn cancel(
    State(st): State<AppState>,
    buyer: Buyer,
    ReqLang(lang): ReqLang,
    Path(id): Path<i64>,
) -> ApiResult<Json<OrderDto>> {
    crate::orders::buying::cancel(&st, &buyer, lang, id).await.map(Json)
}

/// How many of the buyer's orders each tab of 我的订单 holds, and the after-sales requests still open.
#[utoipa::path(get, path = "/api/v1/shop/orders/counts", tag = "shop-orders", security(("bearer" = [])),
    responses((status = 200, body = super::tabs::OrderCounts)))]
pub async fn order_counts(State(st): State<AppState>, buyer: Buyer) -> ApiResult<Json<super::tabs::OrderCounts>> {
    super::tabs::order_counts(&st, &buyer).await.map(Json)
}

/// Buy an order again: its products go back into the cart; those no longer on sale are left out.
#[utoipa::path(post, path = "/api/v1/shop/orders/{id}/buy-again", tag = "shop-orders", params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, body = super::tabs::BuyAgainDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn buy_again(
    State(st): State<AppState>,
    buyer: Buyer,
    Path(id): Path<i64>,
) -> ApiResult<Json<super::tabs::BuyAgainDto>> {
    super::tabs::buy_again(&st, &buyer, id).await.map(Json)
}

/// Confirm receipt of a shipped order.
#[utoipa::path(post, path = "/api/v1/shop/orders/{id}/receive", tag = "shop-orders", params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, body = OrderDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn receive(
    State(st): State<AppState>,
    buyer: Buyer,
    ReqLang(lang): ReqLang,
    Path(id): Path<i64>,
) -> ApiResult<Json<OrderDto>> {
    crate::orders::buying::receive(&st, &buyer, lang, id).await.map(Json)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PayRequest {
    /// `sandbox` (demo and tests), `wechat`, or `balance` (the buyer's stored value: the order is paid at once,
    /// or 409 `stored_value.insufficient`).
    #[schema(pattern = "^(sandbox|wechat|balance)$")]
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
    crate::orders::buying::pay(&st, &buyer, id, req).await.map(Json)
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
    crate::orders::buying::sandbox_complete(&st, &buyer, no).await?;
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
        return Err(ApiError::refused(StatusCode::NOT_FOUND, "not_found", &ApiReason::NoRoute));
    }
    let body: Bytes = crate::http::extract::read_body(req, 64 * 1024).await?;
    let h = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let Some(secret) = st.cfg.orders.sandbox_secret() else {
        return Err(ApiError::unauthorized_because(&OrderRefusal::SandboxNoSecret));
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
        tracing::warn!(error = ?e, "sandbox notification refused");
        ApiError::unauthorized_because(&OrderRefusal::NotificationRefused)
    })?;
    if notice.event_type != "TRANSACTION.SUCCESS" {
        return Err(ApiError::invalid_because("event_type", &OrderRefusal::UnsupportedEvent));
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

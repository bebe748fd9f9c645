//! After-sales on both sides: buyers request (refund only, return and refund, exchange) by line and
//! quantity; the merchant approves, rejects, and receives returns; refunds go through the provider.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use minimall_core::validate::display_text;
use minimall_store::aftersales::AftersaleRow;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::accounts::auth::{Admin, Buyer, ManageOrders, ReadOrders};
use crate::aftersales::refusals::AftersaleRefusal;
use crate::aftersales::AftersaleLine;
use crate::error::ApiReason;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::http::extract::{ApiJson, ApiQuery, Path};
use crate::http::Paginated;
use crate::state::AppState;
use crate::usecase::Call;

#[derive(Serialize, ToSchema)]
pub struct AftersaleDto {
    pub id: i64,
    pub order_id: i64,
    pub buyer_id: i64,
    /// refund_only, return_refund, exchange
    pub kind: String,
    /// pending, approved, returning, refunded, exchanged, rejected, cancelled
    pub status: String,
    pub reason: String,
    pub images: Vec<String>,
    pub lines: Vec<AftersaleLine>,
    /// Goods refund (fen), from the lines' apportioned paid amounts.
    pub amount: i64,
    pub points: i64,
    pub shipping_refund: i64,
    pub return_carrier: Option<String>,
    pub return_tracking: Option<String>,
    pub reject_reason: Option<String>,
    pub created_at: i64,
}

impl From<AftersaleRow> for AftersaleDto {
    fn from(a: AftersaleRow) -> Self {
        AftersaleDto {
            id: a.id,
            order_id: a.order_id,
            buyer_id: a.buyer_id,
            kind: a.kind,
            status: a.status,
            reason: a.reason,
            images: serde_json::from_str(&a.images).unwrap_or_default(),
            lines: serde_json::from_str(&a.lines).unwrap_or_default(),
            amount: a.amount,
            points: a.points,
            shipping_refund: a.shipping_refund,
            return_carrier: a.return_carrier,
            return_tracking: a.return_tracking,
            reject_reason: a.reject_reason,
            created_at: a.created_at,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AftersaleRequest {
    pub kind: String,
    pub lines: Vec<AftersaleLine>,
    pub reason: String,
    /// Up to 9 uploaded image paths.
    #[serde(default)]
    pub images: Vec<String>,
}

/// Request after-sales on lines of a paid order.
#[utoipa::path(post, path = "/api/v1/shop/orders/{id}/aftersales", tag = "aftersales", request_body = AftersaleRequest, params(("id" = i64, Path)),
    security(("bearer" = [])), responses((status = 201, body = AftersaleDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn request(
    State(st): State<AppState>,
    buyer: Buyer,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<AftersaleRequest>,
) -> ApiResult<(StatusCode, Json<AftersaleDto>)> {
    Ok((StatusCode::CREATED, Json(crate::aftersales::cases::request(&st, &buyer, id, req).await?)))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AftersaleQuery {
    pub status: Option<String>,
    pub page: Option<i64>,
    pub page_size: Option<i64>,
}

/// The buyer's after-sales requests.
#[utoipa::path(get, path = "/api/v1/shop/aftersales", tag = "aftersales", params(AftersaleQuery), security(("bearer" = [])),
    responses((status = 200, body = Paginated<AftersaleDto>)))]
pub async fn mine(
    State(st): State<AppState>,
    buyer: Buyer,
    ApiQuery(q): ApiQuery<AftersaleQuery>,
) -> ApiResult<Json<Paginated<AftersaleDto>>> {
    crate::aftersales::cases::mine(&st, &buyer, q).await.map(Json)
}

async fn own(st: &AppState, buyer: &Buyer, id: i64) -> ApiResult<AftersaleRow> {
    match st.store.aftersale(st.store.reader(), id).await {
        Ok(a) if a.buyer_id == buyer.id => Ok(a),
        _ => Err(ApiError::not_found("aftersale")),
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnShipment {
    pub carrier: String,
    pub tracking_no: String,
}

/// The buyer sends the goods back (after approval of a return or exchange).
#[utoipa::path(post, path = "/api/v1/shop/aftersales/{id}/return", tag = "aftersales", request_body = ReturnShipment, params(("id" = i64, Path)),
    security(("bearer" = [])), responses((status = 200, body = AftersaleDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn send_back(
    State(st): State<AppState>,
    buyer: Buyer,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<ReturnShipment>,
) -> ApiResult<Json<AftersaleDto>> {
    let carrier = display_text("carrier", &req.carrier, 20)?;
    let tracking = req.tracking_no.trim();
    if tracking.is_empty() || tracking.len() > 40 || !tracking.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return Err(ApiError::invalid_because("tracking_no", &ApiReason::TrackingNoFormat));
    }
    let a = own(&st, &buyer, id).await?;
    let mut tx = st.store.begin().await?;
    if !st.store.aftersale_transition(&mut tx, a.id, "approved", "returning").await? {
        return Err(ApiError::conflict_because(&AftersaleRefusal::RequestIs {
            status: crate::error::aftersale_status(&a.status),
        }));
    }
    st.store.aftersale_set_return(&mut tx, a.id, &carrier, tracking).await?;
    let a = st.store.aftersale(&mut *tx, id).await?;
    minimall_store::commit(tx).await?;
    Ok(Json(a.into()))
}

/// Withdraw a pending request; its units become available again.
#[utoipa::path(post, path = "/api/v1/shop/aftersales/{id}/cancel", tag = "aftersales", params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, body = AftersaleDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn withdraw(State(st): State<AppState>, buyer: Buyer, Path(id): Path<i64>) -> ApiResult<Json<AftersaleDto>> {
    let a = own(&st, &buyer, id).await?;
    let mut tx = st.store.begin().await?;
    if !st.store.aftersale_transition(&mut tx, a.id, "pending", "cancelled").await? {
        return Err(ApiError::conflict_because(&AftersaleRefusal::RequestIs {
            status: crate::error::aftersale_status(&a.status),
        }));
    }
    release(&st, &mut tx, &a).await?;
    let a = st.store.aftersale(&mut *tx, id).await?;
    minimall_store::commit(tx).await?;
    Ok(Json(a.into()))
}

pub(crate) async fn release(st: &AppState, tx: &mut minimall_store::Tx, a: &AftersaleRow) -> ApiResult<()> {
    let lines: Vec<AftersaleLine> = serde_json::from_str(&a.lines).unwrap_or_default();
    for l in lines {
        st.store.release_refund_units(tx, l.line_id, l.quantity).await?;
    }
    Ok(())
}

/// After-sales queue of the merchant.
#[utoipa::path(get, path = "/api/v1/admin/aftersales", tag = "aftersales", params(AftersaleQuery), security(("bearer" = [])),
    responses((status = 200, body = Paginated<AftersaleDto>), (status = 403, body = ErrorBody)))]
pub async fn queue(
    State(st): State<AppState>,
    admin: Admin<ReadOrders>,
    ApiQuery(q): ApiQuery<AftersaleQuery>,
) -> ApiResult<Json<Paginated<AftersaleDto>>> {
    crate::aftersales::cases::queue(&st, &admin, q).await.map(Json)
}

pub(crate) async fn merchant_owned(st: &AppState, merchant_id: i64, id: i64) -> ApiResult<AftersaleRow> {
    match st.store.aftersale(st.store.reader(), id).await {
        Ok(a) if a.merchant_id == merchant_id => Ok(a),
        _ => Err(ApiError::not_found("aftersale")),
    }
}

/// Approve: a refund-only request is refunded at once; returns and exchanges wait for the goods.
#[utoipa::path(post, path = "/api/v1/admin/aftersales/{id}/approve", tag = "aftersales", params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, body = AftersaleDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn approve(
    State(st): State<AppState>,
    admin: Admin<ManageOrders>,
    Path(id): Path<i64>,
    headers: HeaderMap,
) -> ApiResult<Json<AftersaleDto>> {
    crate::aftersales::cases::approve(&st, &admin, &Call::from_headers(&headers), id).await.map(Json)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectRequest {
    pub reason: String,
}

/// Reject a pending request.
#[utoipa::path(post, path = "/api/v1/admin/aftersales/{id}/reject", tag = "aftersales", request_body = RejectRequest, params(("id" = i64, Path)),
    security(("bearer" = [])), responses((status = 200, body = AftersaleDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn reject(
    State(st): State<AppState>,
    admin: Admin<ManageOrders>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<RejectRequest>,
) -> ApiResult<Json<AftersaleDto>> {
    crate::aftersales::cases::reject(&st, &admin, &Call::from_headers(&headers), id, req).await.map(Json)
}

/// The returned goods arrived: stock comes back; a return is refunded, an exchange is marked exchanged.
#[utoipa::path(post, path = "/api/v1/admin/aftersales/{id}/receive", tag = "aftersales", params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, body = AftersaleDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn receive_return(
    State(st): State<AppState>,
    admin: Admin<ManageOrders>,
    Path(id): Path<i64>,
    headers: HeaderMap,
) -> ApiResult<Json<AftersaleDto>> {
    crate::aftersales::cases::receive_return(&st, &admin, &Call::from_headers(&headers), id).await.map(Json)
}

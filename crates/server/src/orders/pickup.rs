//! O2O pick-up (到店自提): stores, the buyer's pick-up code and its QR image, and verification (核销) by
//! store staff of the same merchant.

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use minimall_core::{BuyerId, OrderId};
use minimall_store::orders::StoreRow;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::accounts::auth::{Admin, Buyer, ManageSettings, ReadOrders, VerifyPickup};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::http::extract::{ApiJson, Path};
use crate::orders::refusals::OrderRefusal;
use crate::orders::shop_api::OrderDto;
use crate::state::AppState;
use crate::usecase::Call;
use minimall_store::orders::OrderScope;

#[derive(Serialize, ToSchema)]
pub struct StoreDto {
    pub id: i64,
    pub name: String,
    pub address: String,
    pub phone: String,
    /// e.g. 09:00-21:00
    pub hours: String,
    pub active: bool,
}

impl From<StoreRow> for StoreDto {
    fn from(s: StoreRow) -> Self {
        StoreDto { id: s.id, name: s.name, address: s.address, phone: s.phone, hours: s.hours, active: s.active != 0 }
    }
}

#[derive(Serialize, ToSchema)]
pub struct StoreList {
    pub items: Vec<StoreDto>,
    pub total: i64,
}

/// Stores where orders can be picked up.
#[utoipa::path(get, path = "/api/v1/shop/stores", tag = "pickup", responses((status = 200, body = StoreList)))]
pub async fn shop_stores(State(st): State<AppState>) -> ApiResult<Json<StoreList>> {
    let items: Vec<StoreDto> =
        st.store.stores(st.merchant_id).await?.into_iter().filter(|s| s.active != 0).map(Into::into).collect();
    Ok(Json(StoreList { total: items.len() as i64, items }))
}

/// The merchant's stores.
#[utoipa::path(get, path = "/api/v1/admin/stores", tag = "pickup", security(("bearer" = [])), responses((status = 200, body = StoreList)))]
pub async fn admin_stores(State(st): State<AppState>, admin: Admin<ReadOrders>) -> ApiResult<Json<StoreList>> {
    crate::orders::stores::admin_stores(&st, &admin).await.map(Json)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StoreInput {
    pub name: String,
    pub address: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub hours: String,
}

/// Add a store (at most 200).
#[utoipa::path(post, path = "/api/v1/admin/stores", tag = "pickup", request_body = StoreInput, security(("bearer" = [])),
    responses((status = 201, body = StoreDto), (status = 422, body = ErrorBody)))]
pub async fn create_store(
    State(st): State<AppState>,
    admin: Admin<ManageSettings>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<StoreInput>,
) -> ApiResult<(StatusCode, Json<StoreDto>)> {
    Ok((
        StatusCode::CREATED,
        Json(crate::orders::stores::create_store(&st, &admin, &Call::from_headers(&headers), req).await?),
    ))
}

/// A new pick-up code: 12 random digits.
pub fn new_code() -> String {
    use rand::Rng;
    let mut r = rand::thread_rng();
    (0..12).map(|_| char::from(b'0' + r.gen_range(0..10u8))).collect()
}

/// The pick-up code of a paid pick-up order as a QR image (SVG) for the store to scan.
#[utoipa::path(get, path = "/api/v1/shop/orders/{id}/pickup-qr", tag = "pickup", params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, content_type = "image/svg+xml", body = String), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn pickup_qr(State(st): State<AppState>, buyer: Buyer, Path(id): Path<i64>) -> ApiResult<Response> {
    let o = st
        .store
        .order(st.store.reader(), OrderScope::Buyer(BuyerId::new(buyer.id)), OrderId::new(id))
        .await
        .map_err(|_| ApiError::not_found("order"))?;
    let code = o.pickup_code.ok_or_else(|| ApiError::conflict_because(&OrderRefusal::NotPickup))?;
    if o.status != minimall_core::orders::OrderStatus::ToShip {
        return Err(ApiError::conflict_because(&OrderRefusal::PickupNotReady {
            status: crate::error::order_status(o.status.as_str()),
        }));
    }
    let qr = qrcode::QrCode::new(code.as_bytes()).map_err(ApiError::internal)?;
    let svg = qr.render::<qrcode::render::svg::Color<'_>>().min_dimensions(240, 240).build();
    let mut r = svg.into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("image/svg+xml"));
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    Ok(r)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyRequest {
    /// The 12-digit pick-up code (typed or scanned).
    pub code: String,
}

/// Verify a pick-up code: the order is handed over once. A code of another merchant is not found.
#[utoipa::path(post, path = "/api/v1/admin/pickup/verify", tag = "pickup", request_body = VerifyRequest, security(("bearer" = [])),
    responses((status = 200, body = OrderDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn verify(
    State(st): State<AppState>,
    admin: Admin<VerifyPickup>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<VerifyRequest>,
) -> ApiResult<Json<OrderDto>> {
    crate::orders::stores::verify(&st, &admin, &Call::from_headers(&headers), req).await.map(Json)
}

//! Flash sales (秒杀): console setup (units set aside from stock), the shop's list with countdown data, and the
//! purchase path through the gate and the group-commit writer (`crate::flash`).

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use minimall_core::error::Reason;
use minimall_core::flash::validate_terms;
use minimall_core::validate::display_text;
use minimall_store::flash::{FlashItemRow, FlashSaleRow, NewFlashSale};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::accounts::auth::{Admin, Buyer, ManageCatalog, ReadCatalog};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::flash::{FlashOrderCreated, SaleMeta};
use crate::http::extract::{ApiJson, ApiQuery, Path};
use crate::http::{PageQuery, Paginated};
use crate::state::AppState;
use crate::usecase::Call;

#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FlashItemInput {
    pub sku_id: i64,
    /// Fen, below the SKU's sale price.
    pub flash_price: i64,
    /// Units set aside from the SKU's stock for this sale.
    pub quantity: i64,
}

#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FlashSaleInput {
    pub title: String,
    pub product_id: i64,
    /// Epoch ms.
    pub starts_at: i64,
    pub ends_at: i64,
    /// Units one buyer may hold in live orders of this sale; default 1.
    #[serde(default = "one")]
    pub per_buyer_limit: i64,
    /// Flat shipping of a flash order, fen; default 0 (free).
    #[serde(default)]
    pub shipping: i64,
    /// Unpaid flash orders are cancelled after this long and their units go back on sale; default from
    /// configuration (`flash.unpaid_timeout_secs`, 300).
    pub unpaid_timeout_secs: Option<i64>,
    pub items: Vec<FlashItemInput>,
}

fn one() -> i64 {
    1
}

/// What may change once a sale exists (its units are fixed when set aside).
#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FlashSaleUpdate {
    pub title: String,
    pub starts_at: i64,
    pub ends_at: i64,
    pub per_buyer_limit: i64,
    #[serde(default)]
    pub shipping: i64,
    pub unpaid_timeout_secs: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct FlashItemDto {
    pub sku_id: i64,
    pub spec: Vec<String>,
    /// Fen.
    pub flash_price: i64,
    pub sale_price: i64,
    pub original_price: i64,
    pub quantity: i64,
    /// Units in live (pending or paid) orders, from the database.
    pub sold: i64,
    /// Units still on sale.
    pub remaining: i64,
}

#[derive(Serialize, ToSchema)]
pub struct FlashSaleDto {
    pub id: i64,
    pub title: String,
    pub product_id: i64,
    pub product_title: String,
    pub image: Option<String>,
    pub starts_at: i64,
    pub ends_at: i64,
    /// upcoming, running, sold_out, ended or stopped.
    pub state: String,
    pub per_buyer_limit: i64,
    pub shipping: i64,
    pub unpaid_timeout_secs: i64,
    pub items: Vec<FlashItemDto>,
    /// Server time (epoch ms) for the countdown.
    pub now: i64,
}

/// The console's view adds the gate's and the database's counts side by side.
#[derive(Serialize, ToSchema)]
pub struct FlashSaleAdminDto {
    #[serde(flatten)]
    pub sale: FlashSaleDto,
    /// Units the admission gate says are free, per SKU; empty while the gate is not answering (Redis down),
    /// when `remaining` shows the database's figures.
    pub gate_remaining: Vec<FlashCount>,
    /// Units held by live flash orders (database).
    pub live_units: i64,
    pub live_orders: i64,
    /// Whether the gate runs in Redis (shared by instances) or in this process.
    pub gate: String,
}

#[derive(Serialize, ToSchema)]
pub struct FlashCount {
    pub sku_id: i64,
    pub remaining: i64,
}

fn state_of(s: &FlashSaleRow, remaining: i64, now: i64) -> &'static str {
    match s.status.as_str() {
        "stopped" => "stopped",
        "finished" => "ended",
        _ if now >= s.ends_at => "ended",
        _ if now < s.starts_at => "upcoming",
        _ if remaining <= 0 => "sold_out",
        _ => "running",
    }
}

pub(crate) fn dto(meta: &SaleMeta, gate: &[(i64, i64)]) -> FlashSaleDto {
    let now = minimall_store::now_ms();
    let items: Vec<FlashItemDto> = meta
        .items
        .iter()
        .map(|i: &FlashItemRow| FlashItemDto {
            sku_id: i.sku_id,
            spec: serde_json::from_str(&i.spec_values).unwrap_or_default(),
            flash_price: i.flash_price,
            sale_price: i.sale_price,
            original_price: i.original_price,
            quantity: i.quantity,
            sold: i.sold,
            remaining: gate.iter().find(|g| g.0 == i.sku_id).map(|g| g.1).unwrap_or(i.quantity - i.sold).max(0),
        })
        .collect();
    let remaining = items.iter().map(|i| i.remaining).sum();
    let first = meta.items.first();
    FlashSaleDto {
        id: meta.sale.id,
        title: meta.sale.title.clone(),
        product_id: meta.sale.product_id,
        product_title: first.map(|i| i.title.clone()).unwrap_or_default(),
        image: first
            .and_then(|i| serde_json::from_str::<Vec<String>>(&i.images).ok())
            .and_then(|v| v.into_iter().next()),
        starts_at: meta.sale.starts_at,
        ends_at: meta.sale.ends_at,
        state: state_of(&meta.sale, remaining, now).into(),
        per_buyer_limit: meta.sale.per_buyer_limit,
        shipping: meta.sale.shipping,
        unpaid_timeout_secs: meta.sale.unpaid_timeout_secs,
        items,
        now,
    }
}

pub(crate) fn terms(
    st: &AppState,
    title: &str,
    starts_at: i64,
    ends_at: i64,
    limit: i64,
    shipping: i64,
    timeout: Option<i64>,
) -> ApiResult<NewFlashSale> {
    let title = display_text("title", title, 60)?;
    if !(0..=100_000).contains(&shipping) {
        return Err(ApiError::invalid_because(
            "shipping",
            &Reason::MoneyRange { max_fen: minimall_core::Money::from_fen(100000) },
        ));
    }
    if timeout.is_some_and(|t| !(60..=86_400).contains(&t)) {
        return Err(ApiError::invalid_because("unpaid_timeout_secs", &Reason::OutOfRange { min: 60, max: 86400 }));
    }
    let unpaid_timeout_secs = timeout.unwrap_or(st.cfg.flash.unpaid_timeout_secs);
    validate_terms(starts_at, ends_at, limit)?;
    Ok(NewFlashSale {
        title,
        product_id: 0,
        starts_at,
        ends_at,
        per_buyer_limit: limit,
        allow_coupons: false,
        shipping,
        unpaid_timeout_secs,
    })
}

pub(crate) async fn admin_dto(st: &AppState, merchant_id: i64, id: i64) -> ApiResult<FlashSaleAdminDto> {
    let meta = st.flash.meta(merchant_id, id, true).await?;
    let gate = st.flash.shown_remaining(&meta).await;
    let (live_units, live_orders) = st.store.flash_order_totals(id).await?;
    Ok(FlashSaleAdminDto {
        sale: dto(&meta, &gate),
        gate_remaining: gate.iter().map(|(s, r)| FlashCount { sku_id: *s, remaining: *r }).collect(),
        live_units,
        live_orders,
        gate: if st.flash.uses_redis() { "redis" } else { "memory" }.into(),
    })
}

/// Set up a flash sale: its units are taken from each SKU's stock now and set aside; unsold units go back
/// when it ends or is stopped. SKUs may not be in another sale whose window overlaps. An optional
/// `Idempotency-Key` makes a repeated request answer the first sale (`Idempotent-Replayed: true`).
#[utoipa::path(post, path = "/api/v1/admin/flash-sales", tag = "flash-sales", request_body = FlashSaleInput, security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "optional: the same request sent again creates nothing more")),
    responses((status = 201, body = FlashSaleAdminDto), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_flash_sale(
    State(st): State<AppState>,
    admin: Admin<ManageCatalog>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<FlashSaleInput>,
) -> ApiResult<Response> {
    let (id, replayed) = crate::flash::sales::create_sale(&st, &admin, &Call::from_headers(&headers), &req).await?;
    let mut resp = (StatusCode::CREATED, Json(admin_dto(&st, admin.merchant_id, id).await?)).into_response();
    if replayed {
        resp.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    Ok(resp)
}

/// Flash sales, newest first.
#[utoipa::path(get, path = "/api/v1/admin/flash-sales", tag = "flash-sales", params(PageQuery), security(("bearer" = [])),
    responses((status = 200, body = Paginated<FlashSaleDto>)))]
pub async fn list_flash_sales(
    State(st): State<AppState>,
    admin: Admin<ReadCatalog>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<Paginated<FlashSaleDto>>> {
    crate::flash::sales::list_flash_sales(&st, &admin, q).await.map(Json)
}

/// One flash sale with the gate's count beside the database's.
#[utoipa::path(get, path = "/api/v1/admin/flash-sales/{id}", tag = "flash-sales", params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, body = FlashSaleAdminDto), (status = 404, body = ErrorBody)))]
pub async fn get_flash_sale(
    State(st): State<AppState>,
    admin: Admin<ReadCatalog>,
    Path(id): Path<i64>,
) -> ApiResult<Json<FlashSaleAdminDto>> {
    crate::flash::sales::get_flash_sale(&st, &admin, id).await.map(Json)
}

/// Change a sale's title, window, limit, shipping or payment time (not its units).
#[utoipa::path(put, path = "/api/v1/admin/flash-sales/{id}", tag = "flash-sales", params(("id" = i64, Path)), request_body = FlashSaleUpdate,
    security(("bearer" = [])), responses((status = 200, body = FlashSaleAdminDto), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_flash_sale(
    State(st): State<AppState>,
    admin: Admin<ManageCatalog>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<FlashSaleUpdate>,
) -> ApiResult<Json<FlashSaleAdminDto>> {
    crate::flash::sales::update_flash_sale(&st, &admin, &Call::from_headers(&headers), id, req).await.map(Json)
}

/// Stop a sale now: it refuses purchases and its unsold units go back to stock. Orders already placed stay.
#[utoipa::path(post, path = "/api/v1/admin/flash-sales/{id}/stop", tag = "flash-sales", params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, body = FlashSaleAdminDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn stop_flash_sale(
    State(st): State<AppState>,
    admin: Admin<ManageCatalog>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> ApiResult<Json<FlashSaleAdminDto>> {
    crate::flash::sales::stop_flash_sale(&st, &admin, &Call::from_headers(&headers), id).await.map(Json)
}

/// Running and upcoming flash sales, soonest first, with the server time for countdowns.
#[utoipa::path(get, path = "/api/v1/shop/flash-sales", tag = "flash-sales", params(PageQuery),
    responses((status = 200, body = Paginated<FlashSaleDto>)))]
pub async fn shop_flash_sales(
    State(st): State<AppState>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<Paginated<FlashSaleDto>>> {
    crate::flash::sales::shop_flash_sales(&st, q).await.map(Json)
}

/// One flash sale.
#[utoipa::path(get, path = "/api/v1/shop/flash-sales/{id}", tag = "flash-sales", params(("id" = i64, Path)),
    responses((status = 200, body = FlashSaleDto), (status = 404, body = ErrorBody)))]
pub async fn shop_flash_sale(State(st): State<AppState>, Path(id): Path<i64>) -> ApiResult<Json<FlashSaleDto>> {
    crate::flash::sales::shop_flash_sale(&st, id).await.map(Json)
}

#[derive(Deserialize, Serialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct FlashPurchase {
    /// Required when the sale has more than one SKU.
    pub sku_id: Option<i64>,
    /// Default 1; at most the sale's per-buyer limit.
    pub quantity: Option<i64>,
    /// Delivery address (one of the buyer's); may also be chosen before paying.
    pub address_id: Option<i64>,
}

/// Buy in a flash sale. Needs `Idempotency-Key`. 201: a pending-payment order at the flash price, written
/// durably before this answer. 409 with `flash_not_started`, `flash_sold_out`, `flash_limit_reached` or
/// `flash_ended`: refused without touching the database. 503 with `Retry-After` while the shared gate (Redis)
/// is not answering: nothing was taken, the same request may be sent again.
#[utoipa::path(post, path = "/api/v1/shop/flash-sales/{id}/orders", tag = "flash-sales", params(("id" = i64, Path), ("Idempotency-Key" = String, Header)),
    request_body = FlashPurchase, security(("bearer" = [])),
    responses((status = 201, body = FlashOrderCreated), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 503, body = ErrorBody, description = "the flash-sale gate (Redis) is not answering; retry after Retry-After seconds")))]
pub async fn buy(
    State(st): State<AppState>,
    buyer: Buyer,
    headers: HeaderMap,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<FlashPurchase>,
) -> ApiResult<Response> {
    crate::flash::sales::buy(&st, &buyer, &Call::from_headers(&headers), id, req).await.map(IntoResponse::into_response)
}

//! Buyer side of promotions: quotes with their derivation, the coupon wallet and claiming, addresses, points.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use minimall_core::validate::{display_text, Phone};
use minimall_store::addresses::{AddressFields, AddressRow};
use minimall_store::promotions::{BuyerCouponRow, ClaimError, CouponTemplateRow};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::accounts::auth::Buyer;
use crate::error::ApiReason;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::http::extract::{ApiJson, ApiQuery, Path};
use crate::http::Paginated;
use crate::promotions::pricing::{CartItem, QuoteDto};
use crate::promotions::refusals::PromotionRefusal;
use crate::state::AppState;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuoteRequest {
    pub items: Vec<CartItem>,
    #[serde(default)]
    pub coupon_ids: Vec<i64>,
    /// Points to spend (积分抵现).
    #[serde(default)]
    pub points: i64,
    /// Delivery address; without it the quote has no shipping.
    pub address_id: Option<i64>,
}

/// Province of one of the buyer's addresses.
pub async fn province_of(st: &AppState, buyer: &Buyer, address_id: Option<i64>) -> ApiResult<Option<String>> {
    match address_id {
        None => Ok(None),
        Some(id) => {
            let a = st.store.address(buyer.id, id).await.map_err(|_| {
                ApiError::invalid_because("address_id", &ApiReason::NoSuch { what: crate::error::thing("address") })
            })?;
            Ok(Some(a.province))
        }
    }
}

/// Price a cart: every line's unit price and the rule that set it, order reductions, coupon, points,
/// shipping, the payable, the derivation, the rules that did not apply and why, and the best coupon.
#[utoipa::path(post, path = "/api/v1/shop/quote", tag = "shop-pricing", request_body = QuoteRequest, security(("bearer" = [])),
    responses((status = 200, body = QuoteDto), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn quote(
    State(st): State<AppState>,
    buyer: Buyer,
    crate::error::ReqLang(lang): crate::error::ReqLang,
    ApiJson(req): ApiJson<QuoteRequest>,
) -> ApiResult<Json<QuoteDto>> {
    crate::promotions::wallet::quote(&st, &buyer, req, lang).await.map(Json)
}

#[derive(Serialize, ToSchema)]
pub struct CouponDto {
    pub id: i64,
    pub template_id: i64,
    pub name: String,
    /// amount_off, percent_off, free_shipping
    pub kind: String,
    pub threshold: i64,
    pub amount_off: i64,
    pub percent: i32,
    pub cap: i64,
    /// unused, locked, used, expired, returned
    pub state: String,
    pub valid_from: i64,
    pub valid_until: i64,
    pub source: String,
}

impl From<&BuyerCouponRow> for CouponDto {
    fn from(r: &BuyerCouponRow) -> Self {
        let expired = r.state == "unused" && r.valid_until <= minimall_store::now_ms();
        CouponDto {
            id: r.id,
            template_id: r.template_id,
            name: r.name.clone(),
            kind: r.kind.clone(),
            threshold: r.threshold,
            amount_off: r.amount_off,
            percent: r.percent,
            cap: r.cap,
            state: if expired { "expired".into() } else { r.state.clone() },
            valid_from: r.valid_from,
            valid_until: r.valid_until,
            source: r.source.clone(),
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct WalletQuery {
    /// available (default), used, expired
    pub view: Option<String>,
    pub page: Option<i64>,
    pub page_size: Option<i64>,
}

/// The buyer's coupons.
#[utoipa::path(get, path = "/api/v1/shop/coupons", tag = "shop-pricing", params(WalletQuery), security(("bearer" = [])),
    responses((status = 200, body = Paginated<CouponDto>), (status = 401, body = ErrorBody)))]
pub async fn wallet(
    State(st): State<AppState>,
    buyer: Buyer,
    ApiQuery(q): ApiQuery<WalletQuery>,
) -> ApiResult<Json<Paginated<CouponDto>>> {
    crate::promotions::wallet::wallet(&st, &buyer, q).await.map(Json)
}

#[derive(Serialize, ToSchema)]
pub struct CouponTemplateDto {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub threshold: i64,
    pub amount_off: i64,
    pub percent: i32,
    pub cap: i64,
    #[schema(value_type = Object)]
    pub scope: serde_json::Value,
    pub valid_from: Option<i64>,
    pub valid_until: Option<i64>,
    pub valid_days: Option<i32>,
    /// 0 = unlimited.
    pub total_quantity: i64,
    pub issued: i64,
    pub per_buyer_limit: i64,
    pub claimable: bool,
    pub status: String,
}

impl From<&CouponTemplateRow> for CouponTemplateDto {
    fn from(t: &CouponTemplateRow) -> Self {
        CouponTemplateDto {
            id: t.id,
            name: t.name.clone(),
            kind: t.kind.clone(),
            threshold: t.threshold,
            amount_off: t.amount_off,
            percent: t.percent,
            cap: t.cap,
            scope: serde_json::from_str(&t.scope).unwrap_or_default(),
            valid_from: t.valid_from,
            valid_until: t.valid_until,
            valid_days: t.valid_days,
            total_quantity: t.total_quantity,
            issued: t.issued,
            per_buyer_limit: t.per_buyer_limit,
            claimable: t.claimable != 0,
            status: t.status.clone(),
        }
    }
}

/// Coupons a buyer can claim now.
#[utoipa::path(get, path = "/api/v1/shop/coupon-templates", tag = "shop-pricing", params(crate::http::PageQuery),
    responses((status = 200, body = Paginated<CouponTemplateDto>)))]
pub async fn claimable(
    State(st): State<AppState>,
    ApiQuery(q): ApiQuery<crate::http::PageQuery>,
) -> ApiResult<Json<Paginated<CouponTemplateDto>>> {
    crate::promotions::wallet::claimable(&st, q).await.map(Json)
}

pub fn claim_error(e: ClaimError) -> ApiError {
    match e {
        ClaimError::NotFound => ApiError::not_found("coupon"),
        ClaimError::NotClaimable => ApiError::conflict_because(&PromotionRefusal::NotClaimable),
        ClaimError::SoldOut => ApiError::refused(StatusCode::CONFLICT, "sold_out", &PromotionRefusal::AllClaimed),
        ClaimError::LimitReached => {
            ApiError::refused(StatusCode::CONFLICT, "limit_reached", &PromotionRefusal::LimitReached)
        }
        ClaimError::Store(s) => s.into(),
    }
}

/// Claim a coupon. Quantity and per-buyer limits hold under concurrency.
#[utoipa::path(post, path = "/api/v1/shop/coupon-templates/{id}/claim", tag = "shop-pricing", params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 201, body = CouponDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn claim(
    State(st): State<AppState>,
    buyer: Buyer,
    Path(id): Path<i64>,
) -> ApiResult<(StatusCode, Json<CouponDto>)> {
    Ok((StatusCode::CREATED, Json(crate::promotions::wallet::claim(&st, &buyer, id).await?)))
}

// ---- addresses ----------------------------------------------------------------------------------

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddressInput {
    /// Recipient.
    pub name: String,
    pub phone: String,
    pub province: String,
    pub city: String,
    pub district: String,
    pub detail: String,
    #[serde(default)]
    pub is_default: bool,
}

#[derive(Serialize, ToSchema)]
pub struct AddressDto {
    pub id: i64,
    pub name: String,
    pub phone: String,
    pub province: String,
    pub city: String,
    pub district: String,
    pub detail: String,
    pub is_default: bool,
}

impl From<AddressRow> for AddressDto {
    fn from(a: AddressRow) -> Self {
        AddressDto {
            id: a.id,
            name: a.name,
            phone: a.phone,
            province: a.province,
            city: a.city,
            district: a.district,
            detail: a.detail,
            is_default: a.is_default != 0,
        }
    }
}

pub(crate) fn address_fields(a: &AddressInput) -> Result<AddressFields, minimall_core::FieldError> {
    Ok(AddressFields {
        name: display_text("name", &a.name, 20)?,
        phone: Phone::parse("phone", &a.phone)?.into_inner(),
        province: display_text("province", &a.province, 20)?,
        city: display_text("city", &a.city, 20)?,
        district: display_text("district", &a.district, 20)?,
        detail: display_text("detail", &a.detail, 120)?,
        is_default: a.is_default,
    })
}

#[derive(Serialize, ToSchema)]
pub struct AddressList {
    pub items: Vec<AddressDto>,
    pub total: i64,
}

/// The buyer's addresses (at most 30), default first.
#[utoipa::path(get, path = "/api/v1/shop/addresses", tag = "shop-pricing", security(("bearer" = [])), responses((status = 200, body = AddressList)))]
pub async fn list_addresses(State(st): State<AppState>, buyer: Buyer) -> ApiResult<Json<AddressList>> {
    crate::promotions::wallet::list_addresses(&st, &buyer).await.map(Json)
}

/// Add an address.
#[utoipa::path(post, path = "/api/v1/shop/addresses", tag = "shop-pricing", request_body = AddressInput, security(("bearer" = [])),
    responses((status = 201, body = AddressDto), (status = 422, body = ErrorBody)))]
pub async fn create_address(
    State(st): State<AppState>,
    buyer: Buyer,
    ApiJson(req): ApiJson<AddressInput>,
) -> ApiResult<(StatusCode, Json<AddressDto>)> {
    Ok((StatusCode::CREATED, Json(crate::promotions::wallet::create_address(&st, &buyer, req).await?)))
}

/// Change an address.
#[utoipa::path(put, path = "/api/v1/shop/addresses/{id}", tag = "shop-pricing", request_body = AddressInput, params(("id" = i64, Path)),
    security(("bearer" = [])), responses((status = 200, body = AddressDto), (status = 404, body = ErrorBody)))]
pub async fn update_address(
    State(st): State<AppState>,
    buyer: Buyer,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<AddressInput>,
) -> ApiResult<Json<AddressDto>> {
    crate::personal::update_address(&st, &buyer, id, req).await.map(Json)
}

/// Remove an address.
#[utoipa::path(delete, path = "/api/v1/shop/addresses/{id}", tag = "shop-pricing", params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete_address(State(st): State<AppState>, buyer: Buyer, Path(id): Path<i64>) -> ApiResult<StatusCode> {
    crate::personal::delete_address(&st, &buyer, id).await.map(|()| StatusCode::NO_CONTENT)
}

// ---- points -------------------------------------------------------------------------------------

#[derive(Serialize, ToSchema)]
pub struct PointsEntryDto {
    pub id: i64,
    pub delta: i64,
    pub balance_after: i64,
    pub reason: String,
    pub reference: String,
    pub at: i64,
}

#[derive(Serialize, ToSchema)]
pub struct PointsDto {
    pub balance: i64,
    /// Points worth ¥1 when spent.
    pub points_per_yuan: i64,
    pub entries: Paginated<PointsEntryDto>,
}

/// The buyer's points balance and ledger.
#[utoipa::path(get, path = "/api/v1/shop/points", tag = "shop-pricing", params(crate::http::PageQuery), security(("bearer" = [])),
    responses((status = 200, body = PointsDto)))]
pub async fn points(
    State(st): State<AppState>,
    buyer: Buyer,
    ApiQuery(q): ApiQuery<crate::http::PageQuery>,
) -> ApiResult<Json<PointsDto>> {
    crate::promotions::wallet::points(&st, &buyer, q).await.map(Json)
}

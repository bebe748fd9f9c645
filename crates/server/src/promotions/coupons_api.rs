//! Console coupons: templates, their changes that never hurt holders, stopping, pushing to buyers.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use minimall_core::error::{Label, Reason};
use minimall_core::validate::display_text;
use minimall_core::FieldError;
use minimall_store::promotions::CouponTemplateFields;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::admin_api::yes;
use crate::accounts::auth::{Admin, ManageCatalog, ReadCatalog};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::http::extract::{ApiJson, ApiQuery, Path};
use crate::http::Paginated;
use crate::ops::audit::audit;
use crate::promotions::pricing::{self, ScopeDto};
use crate::promotions::shop_api::{claim_error, CouponTemplateDto};
use crate::state::AppState;
use crate::usecase::Call;
use crate::usecase::{self, Effects};
#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CouponTemplateInput {
    pub name: String,
    /// amount_off, percent_off, free_shipping
    pub kind: String,
    /// Eligible amount needed (fen); 0 = none.
    #[serde(default)]
    pub threshold: i64,
    #[serde(default)]
    pub amount_off: i64,
    /// percent_off: percent paid (90 = 10 % off).
    #[serde(default)]
    pub percent: i32,
    /// percent_off: most fen off; 0 = no cap.
    #[serde(default)]
    pub cap: i64,
    pub scope: ScopeDto,
    /// Validity as a window …
    pub valid_from: Option<i64>,
    pub valid_until: Option<i64>,
    /// … or N days after the buyer gets it.
    pub valid_days: Option<i32>,
    /// Coupons in all; 0 = unlimited.
    #[serde(default)]
    pub total_quantity: i64,
    #[serde(default = "one")]
    pub per_buyer_limit: i64,
    /// Buyers may claim it themselves (otherwise only pushed or rewarded).
    #[serde(default = "yes")]
    pub claimable: bool,
}

fn one() -> i64 {
    1
}

/// How many coupons in all (0 = unlimited) and per buyer, within bounds; at creation and on a change.
pub(crate) fn check_coupon_counts(total_quantity: i64, per_buyer_limit: i64) -> Result<(), FieldError> {
    if !(0..=100_000_000).contains(&total_quantity) {
        return Err(FieldError::new("total_quantity", Reason::OutOfRange { min: 0, max: 100_000_000 }));
    }
    if !(0..=1000).contains(&per_buyer_limit) {
        return Err(FieldError::new("per_buyer_limit", Reason::OutOfRange { min: 0, max: 1000 }));
    }
    Ok(())
}

pub(crate) fn validate_coupon(c: &CouponTemplateInput) -> Result<CouponTemplateFields, FieldError> {
    let name = display_text("name", &c.name, 40)?;
    pricing::coupon_kind(&c.kind, c.threshold, c.amount_off, c.percent, c.cap)?;
    c.scope.validate("scope")?;
    match (c.valid_days, c.valid_from, c.valid_until) {
        (Some(d), None, None) => {
            if !(1..=3650).contains(&d) {
                return Err(FieldError::new("valid_days", Reason::OutOfRange { min: 1, max: 3650 }));
            }
        }
        (None, Some(f), Some(u)) => {
            if u <= f {
                return Err(FieldError::new("valid_until", Reason::NotAfter { other: Label::field("valid_from") }));
            }
        }
        (None, _, _) => return Err(FieldError::new("valid_until", Reason::ValidityMissing)),
        (Some(_), _, _) => return Err(FieldError::new("valid_days", Reason::ValidityBoth)),
    }
    check_coupon_counts(c.total_quantity, c.per_buyer_limit)?;
    Ok(CouponTemplateFields {
        name,
        kind: c.kind.clone(),
        threshold: c.threshold,
        amount_off: c.amount_off,
        percent: c.percent,
        cap: c.cap,
        scope: serde_json::to_string(&c.scope).unwrap_or_default(),
        valid_from: c.valid_from,
        valid_until: c.valid_until,
        valid_days: c.valid_days,
        total_quantity: c.total_quantity,
        per_buyer_limit: c.per_buyer_limit,
        claimable: c.claimable,
    })
}

/// Coupon templates, newest first.
#[utoipa::path(get, path = "/api/v1/admin/coupons", tag = "admin-promotions", params(crate::http::PageQuery), security(("bearer" = [])),
    responses((status = 200, body = Paginated<CouponTemplateDto>)))]
pub async fn list_coupons(
    State(st): State<AppState>,
    admin: Admin<ReadCatalog>,
    ApiQuery(q): ApiQuery<crate::http::PageQuery>,
) -> ApiResult<Json<Paginated<CouponTemplateDto>>> {
    crate::promotions::coupons::list_coupons(&st, &admin, q).await.map(Json)
}

/// Create a coupon template.
#[utoipa::path(post, path = "/api/v1/admin/coupons", tag = "admin-promotions", request_body = CouponTemplateInput, security(("bearer" = [])),
    responses((status = 201, body = CouponTemplateDto), (status = 422, body = ErrorBody)))]
pub async fn create_coupon(
    State(st): State<AppState>,
    admin: Admin<ManageCatalog>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<CouponTemplateInput>,
) -> ApiResult<(StatusCode, Json<CouponTemplateDto>)> {
    Ok((
        StatusCode::CREATED,
        Json(crate::promotions::coupons::create_coupon(&st, &admin, &Call::from_headers(&headers), req).await?),
    ))
}

/// One coupon template.
#[utoipa::path(get, path = "/api/v1/admin/coupons/{id}", tag = "admin-promotions", params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, body = CouponTemplateDto), (status = 404, body = ErrorBody)))]
pub async fn get_coupon(
    State(st): State<AppState>,
    admin: Admin<ReadCatalog>,
    Path(id): Path<i64>,
) -> ApiResult<Json<CouponTemplateDto>> {
    crate::promotions::coupons::get_coupon(&st, &admin, id).await.map(Json)
}

/// What may change of a coupon template once coupons are out. Its kind, amounts, scope and validity stay:
/// buyers already hold coupons made from them.
#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CouponTemplateChange {
    pub name: String,
    /// Coupons in all; 0 = unlimited, otherwise at least those already issued.
    pub total_quantity: i64,
    pub per_buyer_limit: i64,
    pub claimable: bool,
}

/// Change a coupon template's name, quantity, per-buyer limit or whether buyers may claim it.
#[utoipa::path(put, path = "/api/v1/admin/coupons/{id}", tag = "admin-promotions", request_body = CouponTemplateChange, params(("id" = i64, Path)),
    security(("bearer" = [])), responses((status = 200, body = CouponTemplateDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_coupon(
    State(st): State<AppState>,
    admin: Admin<ManageCatalog>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<CouponTemplateChange>,
) -> ApiResult<Json<CouponTemplateDto>> {
    crate::promotions::coupons::update_coupon(&st, &admin, &Call::from_headers(&headers), id, req).await.map(Json)
}

/// Stop issuing a coupon (coupons already held stay valid).
#[utoipa::path(post, path = "/api/v1/admin/coupons/{id}/stop", tag = "admin-promotions", params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, body = CouponTemplateDto), (status = 404, body = ErrorBody)))]
pub async fn stop_coupon(
    State(st): State<AppState>,
    admin: Admin<ManageCatalog>,
    Path(id): Path<i64>,
    headers: HeaderMap,
) -> ApiResult<Json<CouponTemplateDto>> {
    crate::promotions::coupons::stop_coupon(&st, &admin, &Call::from_headers(&headers), id).await.map(Json)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PushRequest {
    /// Up to 1,000 buyers.
    pub buyer_ids: Vec<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct PushResult {
    pub issued: i64,
    /// Buyers who did not get one, and why.
    pub skipped: Vec<PushSkip>,
}

#[derive(Serialize, ToSchema)]
pub struct PushSkip {
    pub buyer_id: i64,
    pub reason: String,
}

/// Push a coupon to a list of buyers.
#[utoipa::path(post, path = "/api/v1/admin/coupons/{id}/push", tag = "admin-promotions", request_body = PushRequest, params(("id" = i64, Path)),
    security(("bearer" = [])), responses((status = 200, body = PushResult), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn push_coupon(
    State(st): State<AppState>,
    admin: Admin<ManageCatalog>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<PushRequest>,
) -> ApiResult<Json<PushResult>> {
    if req.buyer_ids.is_empty() || req.buyer_ids.len() > 1000 {
        return Err(ApiError::invalid_because("buyer_ids", &Reason::ListCount { min: 1, max: 1000 }));
    }
    let t = st.store.coupon_template(admin.merchant_id, id).await.map_err(|_| ApiError::not_found("coupon"))?;
    let now = minimall_store::now_ms();
    let mut issued = 0;
    let mut skipped = Vec::new();
    for b in &req.buyer_ids {
        if st.store.buyer_by_id(admin.merchant_id, *b).await.is_err() {
            skipped.push(PushSkip { buyer_id: *b, reason: "no such buyer".into() });
            continue;
        }
        let mut tx = st.store.begin().await?;
        match st.store.issue_coupon(&mut tx, admin.merchant_id, id, *b, "push", pricing::validity(&t, now), false).await
        {
            Ok(_) => {
                usecase::commit(&st, tx, Effects::new().promotions_write()).await?;
                issued += 1;
            }
            Err(e) => {
                skipped.push(PushSkip { buyer_id: *b, reason: claim_error(e).message(crate::web::i18n::Lang::Zh) })
            }
        }
    }
    let mut tx = st.store.begin().await?;
    audit(
        &st,
        &mut tx,
        &admin,
        &headers,
        "coupon.push",
        format!("coupon_template:{id}"),
        None,
        Some(serde_json::json!({"issued": issued, "skipped": skipped.len()})),
    )
    .await?;
    usecase::commit(&st, tx, Effects::new().promotions_write()).await?;
    Ok(Json(PushResult { issued, skipped }))
}

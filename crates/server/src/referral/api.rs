//! Referral's handlers: the buyer's 邀请有礼 and accepting an invitation; the console's settings and review queue.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;

use super::cases::{self, AcceptInput, MyReferralDto, ReferralDto, ReferralQuery, ReferralSettingsDto, Review};
use crate::accounts::auth::{Admin, Buyer, ManageMembers, ManageSettings, ReadBuyers};
use crate::error::{ApiResult, ErrorBody};
use crate::http::extract::{ApiJson, ApiQuery, Path};
use crate::http::{PageQuery, Paginated};
use crate::state::AppState;
use crate::usecase::Call;

/// The buyer's invitation code and link, the shop's rewards, who invited them and their invitees.
#[utoipa::path(get, path = "/api/v1/shop/referral", tag = "shop-referral", params(PageQuery), security(("bearer" = [])),
    responses((status = 200, body = MyReferralDto), (status = 422, body = ErrorBody)))]
pub async fn my_referral(
    State(st): State<AppState>,
    buyer: Buyer,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<MyReferralDto>> {
    Ok(Json(cases::mine(&st, &buyer, q.page()?).await?))
}

/// Accept an invitation by the inviter's code (never one's own; once; before one's first paid order).
#[utoipa::path(post, path = "/api/v1/shop/referral/accept", tag = "shop-referral", request_body = AcceptInput, security(("bearer" = [])),
    responses((status = 201, body = ReferralDto), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn accept_referral(
    State(st): State<AppState>,
    buyer: Buyer,
    ApiJson(input): ApiJson<AcceptInput>,
) -> ApiResult<(StatusCode, Json<ReferralDto>)> {
    Ok((StatusCode::CREATED, Json(cases::accept(&st, &buyer, &input).await?)))
}

/// The shop's referral rule.
#[utoipa::path(get, path = "/api/v1/admin/referral/settings", tag = "admin-referral", security(("bearer" = [])),
    responses((status = 200, body = ReferralSettingsDto)))]
pub async fn get_referral_settings(
    State(st): State<AppState>,
    admin: Admin<ReadBuyers>,
) -> ApiResult<Json<ReferralSettingsDto>> {
    Ok(Json(cases::settings(&st, &admin).await?))
}

/// Save the shop's referral rule (the owner's; audited).
#[utoipa::path(put, path = "/api/v1/admin/referral/settings", tag = "admin-referral", request_body = ReferralSettingsDto,
    security(("bearer" = [])), responses((status = 200, body = ReferralSettingsDto), (status = 422, body = ErrorBody)))]
pub async fn put_referral_settings(
    State(st): State<AppState>,
    admin: Admin<ManageSettings>,
    headers: HeaderMap,
    ApiJson(input): ApiJson<ReferralSettingsDto>,
) -> ApiResult<Json<ReferralSettingsDto>> {
    Ok(Json(cases::put_settings(&st, &admin, &Call::from_headers(&headers), &input).await?))
}

/// Invitations, newest first; `status=held` is the review queue.
#[utoipa::path(get, path = "/api/v1/admin/referrals", tag = "admin-referral", params(ReferralQuery), security(("bearer" = [])),
    responses((status = 200, body = Paginated<ReferralDto>), (status = 422, body = ErrorBody)))]
pub async fn list_referrals(
    State(st): State<AppState>,
    admin: Admin<ReadBuyers>,
    ApiQuery(q): ApiQuery<ReferralQuery>,
) -> ApiResult<Json<Paginated<ReferralDto>>> {
    Ok(Json(cases::list(&st, &admin, &q).await?))
}

/// Release a held reward: both sides receive it now (audited).
#[utoipa::path(post, path = "/api/v1/admin/referrals/{id}/release", tag = "admin-referral", params(("id" = i64, Path)),
    security(("bearer" = [])), responses((status = 200, body = ReferralDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn release_referral(
    State(st): State<AppState>,
    admin: Admin<ManageMembers>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> ApiResult<Json<ReferralDto>> {
    Ok(Json(cases::review(&st, &admin, &Call::from_headers(&headers), id, Review::Release).await?))
}

/// Reject a held reward: nobody receives it (audited).
#[utoipa::path(post, path = "/api/v1/admin/referrals/{id}/reject", tag = "admin-referral", params(("id" = i64, Path)),
    security(("bearer" = [])), responses((status = 200, body = ReferralDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn reject_referral(
    State(st): State<AppState>,
    admin: Admin<ManageMembers>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> ApiResult<Json<ReferralDto>> {
    Ok(Json(cases::review(&st, &admin, &Call::from_headers(&headers), id, Review::Reject).await?))
}

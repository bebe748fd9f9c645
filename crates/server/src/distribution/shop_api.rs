//! The buyer's promoter centre (推广中心): applying, binding to a promoter, team, commissions, earnings and
//! withdrawals.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;

use super::cases::{
    self, ApplyInput, BindInput, CentreDto, CommissionDto, PromoterDto, StatusQuery, TeamMemberDto, WithdrawInput,
    WithdrawalDto,
};
use crate::accounts::auth::Buyer;
use crate::error::{ApiResult, ErrorBody};
use crate::http::extract::{ApiJson, ApiQuery};
use crate::http::{PageQuery, Paginated};
use crate::state::AppState;

/// The buyer's promoter centre: their promoter record with earnings by state, their binding, their share link.
#[utoipa::path(get, path = "/api/v1/shop/promoter", tag = "shop-distribution", security(("bearer" = [])),
    responses((status = 200, body = CentreDto)))]
pub async fn promoter_centre(State(st): State<AppState>, buyer: Buyer) -> ApiResult<Json<CentreDto>> {
    Ok(Json(cases::centre(&st, &buyer).await?))
}

/// Apply to become a promoter (approved at once when the shop's rule says so).
#[utoipa::path(post, path = "/api/v1/shop/promoter/apply", tag = "shop-distribution", request_body = ApplyInput, security(("bearer" = [])),
    responses((status = 201, body = PromoterDto), (status = 409, body = ErrorBody)))]
pub async fn apply_promoter(
    State(st): State<AppState>,
    buyer: Buyer,
    ApiJson(input): ApiJson<ApplyInput>,
) -> ApiResult<(StatusCode, Json<PromoterDto>)> {
    Ok((StatusCode::CREATED, Json(cases::apply(&st, &buyer, &input).await?)))
}

/// Bind to the promoter whose code, link or poster the buyer came through (never to oneself).
#[utoipa::path(post, path = "/api/v1/shop/promoter/bind", tag = "shop-distribution", request_body = BindInput, security(("bearer" = [])),
    responses((status = 200, body = CentreDto), (status = 409, body = ErrorBody)))]
pub async fn bind_promoter(
    State(st): State<AppState>,
    buyer: Buyer,
    ApiJson(input): ApiJson<BindInput>,
) -> ApiResult<Json<CentreDto>> {
    Ok(Json(cases::bind(&st, &buyer, &input).await?))
}

/// The buyers bound to the promoter.
#[utoipa::path(get, path = "/api/v1/shop/promoter/team", tag = "shop-distribution", params(PageQuery), security(("bearer" = [])),
    responses((status = 200, body = Paginated<TeamMemberDto>), (status = 422, body = ErrorBody)))]
pub async fn promoter_team(
    State(st): State<AppState>,
    buyer: Buyer,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<Paginated<TeamMemberDto>>> {
    Ok(Json(cases::my_team(&st, &buyer, &q).await?))
}

/// The promoter's commissions on their buyers' orders; of one status (frozen, held, settled, rejected) when given.
#[utoipa::path(get, path = "/api/v1/shop/promoter/commissions", tag = "shop-distribution", params(StatusQuery), security(("bearer" = [])),
    responses((status = 200, body = Paginated<CommissionDto>), (status = 422, body = ErrorBody)))]
pub async fn promoter_commissions(
    State(st): State<AppState>,
    buyer: Buyer,
    ApiQuery(q): ApiQuery<StatusQuery>,
) -> ApiResult<Json<Paginated<CommissionDto>>> {
    Ok(Json(cases::my_commissions(&st, &buyer, &q).await?))
}

/// The promoter's withdrawals.
#[utoipa::path(get, path = "/api/v1/shop/promoter/withdrawals", tag = "shop-distribution", params(StatusQuery), security(("bearer" = [])),
    responses((status = 200, body = Paginated<WithdrawalDto>), (status = 422, body = ErrorBody)))]
pub async fn promoter_withdrawals(
    State(st): State<AppState>,
    buyer: Buyer,
    ApiQuery(q): ApiQuery<StatusQuery>,
) -> ApiResult<Json<Paginated<WithdrawalDto>>> {
    Ok(Json(cases::my_withdrawals(&st, &buyer, &q).await?))
}

/// Ask to withdraw settled commission (within the shop's limits and what is available).
#[utoipa::path(post, path = "/api/v1/shop/promoter/withdrawals", tag = "shop-distribution", request_body = WithdrawInput, security(("bearer" = [])),
    responses((status = 201, body = WithdrawalDto), (status = 422, body = ErrorBody)))]
pub async fn request_withdrawal(
    State(st): State<AppState>,
    buyer: Buyer,
    ApiJson(input): ApiJson<WithdrawInput>,
) -> ApiResult<(StatusCode, Json<WithdrawalDto>)> {
    Ok((StatusCode::CREATED, Json(cases::request_withdrawal(&st, &buyer, &input).await?)))
}

//! Shop JSON API of members: the buyer's level card, daily sign-in and its calendar.

use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::mall::{Exchanged, MallItemDto};
use super::{MemberCard, ProfileInput, SignInDay, SignedIn};
use crate::accounts::auth::Buyer;
use crate::error::{ApiResult, ErrorBody};
use crate::http::extract::{ApiJson, ApiQuery, Path};
use crate::http::{PageQuery, Paginated};
use crate::state::AppState;

/// The buyer's level, progress to the next level, points and today's sign-in.
#[utoipa::path(get, path = "/api/v1/shop/member", tag = "shop-members", security(("bearer" = [])),
    responses((status = 200, body = MemberCard)))]
pub async fn card(State(st): State<AppState>, buyer: Buyer) -> ApiResult<Json<MemberCard>> {
    Ok(Json(super::card(&st, buyer.merchant_id, buyer.id).await?))
}

/// Sign in for today (once per day in the shop's zone; a second time answers 409).
#[utoipa::path(post, path = "/api/v1/shop/member/sign-in", tag = "shop-members", security(("bearer" = [])),
    responses((status = 200, body = SignedIn), (status = 409, body = ErrorBody)))]
pub async fn sign_in(State(st): State<AppState>, buyer: Buyer) -> ApiResult<Json<SignedIn>> {
    Ok(Json(super::sign_in(&st, buyer.merchant_id, buyer.id).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CalendarQuery {
    /// `YYYY-MM`; this month by default.
    #[param(pattern = r"^\d{4}-\d{2}$")]
    pub month: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct SignInCalendar {
    pub month: String,
    pub days: Vec<SignInDay>,
}

/// The buyer's sign-ins in a month.
#[utoipa::path(get, path = "/api/v1/shop/member/sign-ins", tag = "shop-members", params(CalendarQuery), security(("bearer" = [])),
    responses((status = 200, body = SignInCalendar), (status = 422, body = ErrorBody)))]
pub async fn sign_ins(
    State(st): State<AppState>,
    buyer: Buyer,
    ApiQuery(q): ApiQuery<CalendarQuery>,
) -> ApiResult<Json<SignInCalendar>> {
    let (month, days) = super::sign_in_calendar(&st, buyer.id, q.month.as_deref()).await?;
    Ok(Json(SignInCalendar { month, days }))
}

/// Birthday and gender (the birthday brings the level's birthday coupon once a year).
#[utoipa::path(put, path = "/api/v1/shop/member/profile", tag = "shop-members", request_body = ProfileInput, security(("bearer" = [])),
    responses((status = 204), (status = 422, body = ErrorBody)))]
pub async fn put_profile(
    State(st): State<AppState>,
    buyer: Buyer,
    ApiJson(p): ApiJson<ProfileInput>,
) -> ApiResult<axum::http::StatusCode> {
    super::save_profile(&st, buyer.merchant_id, buyer.id, p).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// What the points mall offers now.
#[utoipa::path(get, path = "/api/v1/shop/points-mall", tag = "shop-members", params(PageQuery), security(("bearer" = [])),
    responses((status = 200, body = Paginated<MallItemDto>)))]
pub async fn mall(
    State(st): State<AppState>,
    buyer: Buyer,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<Paginated<MallItemDto>>> {
    Ok(Json(super::mall::items(&st, buyer.merchant_id, true, q.page()?).await?))
}

/// Take an item for points (409 when sold out, over the limit or short of points).
#[utoipa::path(post, path = "/api/v1/shop/points-mall/{id}/exchange", tag = "shop-members", params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, body = Exchanged), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn exchange(State(st): State<AppState>, buyer: Buyer, Path(id): Path<i64>) -> ApiResult<Json<Exchanged>> {
    Ok(Json(super::mall::exchange(&st, buyer.merchant_id, buyer.id, id).await?))
}

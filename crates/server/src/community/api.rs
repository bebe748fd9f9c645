//! Community groups' handlers: the console's groups, members, coupons, pushes and QR codes; the buyer's groups,
//! joining and leaving, and claiming a group's coupon.

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use minimall_core::error::Reason;
use serde::Deserialize;
use utoipa::IntoParams;

use super::cases::{
    self, CommunityCouponInput, CommunityGroupDto, CommunityGroupInput, CommunityGroupQuery, CommunityMemberDto,
    CommunityPushDto, CommunityPushInput, MyCommunityDto, ShopCommunityDto,
};
use crate::accounts::auth::{Admin, Buyer, ManageMembers, ReadBuyers};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::http::extract::{ApiJson, ApiQuery, Path};
use crate::http::{PageQuery, Paginated};
use crate::promotions::shop_api::{CouponDto, CouponTemplateDto};
use crate::share::api::ImageBytes;
use crate::share::links::{QR_SIZE_DEFAULT, QR_SIZE_MAX, QR_SIZE_MIN};
use crate::share::qr;
use crate::state::AppState;
use crate::usecase::Call;

// ---- the console -----------------------------------------------------------------------------------

/// Community groups, newest first, each with its figures (GMV and commission for roles that read revenue).
#[utoipa::path(get, path = "/api/v1/admin/community-groups", tag = "admin-community", params(CommunityGroupQuery),
    security(("bearer" = [])), responses((status = 200, body = Paginated<CommunityGroupDto>), (status = 422, body = ErrorBody)))]
pub async fn list_groups(
    State(st): State<AppState>,
    admin: Admin<ReadBuyers>,
    ApiQuery(q): ApiQuery<CommunityGroupQuery>,
) -> ApiResult<Json<Paginated<CommunityGroupDto>>> {
    Ok(Json(cases::list(&st, &admin, &q).await?))
}

/// Add a group: active, with a fresh join code; the owner named by their promoter code (audited).
#[utoipa::path(post, path = "/api/v1/admin/community-groups", tag = "admin-community", request_body = CommunityGroupInput,
    security(("bearer" = [])), responses((status = 201, body = CommunityGroupDto), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn create_group(
    State(st): State<AppState>,
    admin: Admin<ManageMembers>,
    headers: HeaderMap,
    ApiJson(input): ApiJson<CommunityGroupInput>,
) -> ApiResult<(StatusCode, Json<CommunityGroupDto>)> {
    Ok((StatusCode::CREATED, Json(cases::create(&st, &admin, &Call::from_headers(&headers), &input).await?)))
}

/// A group with its figures.
#[utoipa::path(get, path = "/api/v1/admin/community-groups/{id}", tag = "admin-community", params(("id" = i64, Path)),
    security(("bearer" = [])), responses((status = 200, body = CommunityGroupDto), (status = 404, body = ErrorBody)))]
pub async fn get_group(
    State(st): State<AppState>,
    admin: Admin<ReadBuyers>,
    Path(id): Path<i64>,
) -> ApiResult<Json<CommunityGroupDto>> {
    Ok(Json(cases::get(&st, &admin, id).await?))
}

/// Change a group's name, note, owner or status (closed: no new members, no claims, no pushes); audited.
#[utoipa::path(put, path = "/api/v1/admin/community-groups/{id}", tag = "admin-community", params(("id" = i64, Path)),
    request_body = CommunityGroupInput, security(("bearer" = [])), responses((status = 200, body = CommunityGroupDto),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_group(
    State(st): State<AppState>,
    admin: Admin<ManageMembers>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<CommunityGroupInput>,
) -> ApiResult<Json<CommunityGroupDto>> {
    Ok(Json(cases::update(&st, &admin, &Call::from_headers(&headers), id, &input).await?))
}

/// A group's members, current ones first, each with the paid orders placed while a member.
#[utoipa::path(get, path = "/api/v1/admin/community-groups/{id}/members", tag = "admin-community",
    params(("id" = i64, Path), PageQuery), security(("bearer" = [])),
    responses((status = 200, body = Paginated<CommunityMemberDto>), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn group_members(
    State(st): State<AppState>,
    admin: Admin<ReadBuyers>,
    Path(id): Path<i64>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<Paginated<CommunityMemberDto>>> {
    Ok(Json(cases::members(&st, &admin, id, &q).await?))
}

/// The coupon templates only the group's members may claim.
#[utoipa::path(get, path = "/api/v1/admin/community-groups/{id}/coupons", tag = "admin-community",
    params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, body = Vec<CouponTemplateDto>), (status = 404, body = ErrorBody)))]
pub async fn group_coupons(
    State(st): State<AppState>,
    admin: Admin<ReadBuyers>,
    Path(id): Path<i64>,
) -> ApiResult<Json<Vec<CouponTemplateDto>>> {
    Ok(Json(cases::coupons(&st, &admin, id).await?))
}

/// Make a coupon template the group's: only members of the groups it is linked to claim it (audited).
#[utoipa::path(post, path = "/api/v1/admin/community-groups/{id}/coupons", tag = "admin-community",
    params(("id" = i64, Path)), request_body = CommunityCouponInput, security(("bearer" = [])),
    responses((status = 200, body = Vec<CouponTemplateDto>), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn link_group_coupon(
    State(st): State<AppState>,
    admin: Admin<ManageMembers>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<CommunityCouponInput>,
) -> ApiResult<Json<Vec<CouponTemplateDto>>> {
    Ok(Json(cases::link_coupon(&st, &admin, &Call::from_headers(&headers), id, &input).await?))
}

/// Unlink a coupon template from the group (audited).
#[utoipa::path(delete, path = "/api/v1/admin/community-groups/{id}/coupons/{template_id}", tag = "admin-community",
    params(("id" = i64, Path), ("template_id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, body = Vec<CouponTemplateDto>), (status = 404, body = ErrorBody)))]
pub async fn unlink_group_coupon(
    State(st): State<AppState>,
    admin: Admin<ManageMembers>,
    headers: HeaderMap,
    Path((id, template_id)): Path<(i64, i64)>,
) -> ApiResult<Json<Vec<CouponTemplateDto>>> {
    Ok(Json(cases::unlink_coupon(&st, &admin, &Call::from_headers(&headers), id, template_id).await?))
}

/// The group's pushes, newest first, each with the page it opens through the group's link.
#[utoipa::path(get, path = "/api/v1/admin/community-groups/{id}/pushes", tag = "admin-community",
    params(("id" = i64, Path), PageQuery), security(("bearer" = [])),
    responses((status = 200, body = Paginated<CommunityPushDto>), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn group_pushes(
    State(st): State<AppState>,
    admin: Admin<ReadBuyers>,
    Path(id): Path<i64>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<Paginated<CommunityPushDto>>> {
    Ok(Json(cases::admin_pushes(&st, &admin, id, &q).await?))
}

/// Push a coupon (claimable by the group's members), a running or coming flash sale, or a product on shelf to
/// the group (audited).
#[utoipa::path(post, path = "/api/v1/admin/community-groups/{id}/pushes", tag = "admin-community",
    params(("id" = i64, Path)), request_body = CommunityPushInput, security(("bearer" = [])),
    responses((status = 201, body = CommunityPushDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn push_to_group(
    State(st): State<AppState>,
    admin: Admin<ManageMembers>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<CommunityPushInput>,
) -> ApiResult<(StatusCode, Json<CommunityPushDto>)> {
    Ok((StatusCode::CREATED, Json(cases::push(&st, &admin, &Call::from_headers(&headers), id, &input).await?)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct QrQuery {
    /// The PNG's side in pixels, 120 to 1200; default 360.
    #[param(minimum = 120, maximum = 1200)]
    pub size: Option<i64>,
}

fn qr_size(q: &QrQuery) -> ApiResult<u32> {
    let s = q.size.unwrap_or(QR_SIZE_DEFAULT);
    if !(QR_SIZE_MIN..=QR_SIZE_MAX).contains(&s) {
        return Err(ApiError::invalid_because("size", &Reason::OutOfRange { min: QR_SIZE_MIN, max: QR_SIZE_MAX }));
    }
    Ok(u32::try_from(s).unwrap_or(360))
}

fn image(content_type: &'static str, body: Vec<u8>) -> Response {
    let mut resp = body.into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=600"));
    resp
}

/// The join link's QR code as PNG, to print or post in the group.
#[utoipa::path(get, path = "/api/v1/admin/community-groups/{id}/qr.png", tag = "admin-community",
    params(("id" = i64, Path), QrQuery), security(("bearer" = [])),
    responses((status = 200, content_type = "image/png", body = ImageBytes), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn group_qr_png(
    State(st): State<AppState>,
    admin: Admin<ReadBuyers>,
    Path(id): Path<i64>,
    ApiQuery(q): ApiQuery<QrQuery>,
) -> ApiResult<Response> {
    let size = qr_size(&q)?;
    let (_, m) = cases::qr(&st, &admin, id).await?;
    Ok(image("image/png", qr::png(&m, size)?))
}

/// The join link's QR code as SVG.
#[utoipa::path(get, path = "/api/v1/admin/community-groups/{id}/qr.svg", tag = "admin-community",
    params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, content_type = "image/svg+xml", body = ImageBytes), (status = 404, body = ErrorBody)))]
pub async fn group_qr_svg(
    State(st): State<AppState>,
    admin: Admin<ReadBuyers>,
    Path(id): Path<i64>,
) -> ApiResult<Response> {
    let (_, m) = cases::qr(&st, &admin, id).await?;
    Ok(image("image/svg+xml", qr::svg(&m).into_bytes()))
}

// ---- the buyer's side -------------------------------------------------------------------------------

/// The groups the buyer is a member of.
#[utoipa::path(get, path = "/api/v1/shop/community-groups", tag = "shop-community", params(PageQuery),
    security(("bearer" = [])), responses((status = 200, body = Paginated<MyCommunityDto>), (status = 422, body = ErrorBody)))]
pub async fn my_groups(
    State(st): State<AppState>,
    buyer: Buyer,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<Paginated<MyCommunityDto>>> {
    Ok(Json(cases::mine(&st, &buyer, &q).await?))
}

/// A group by its join code: what it is, whether the buyer is a member, its members' coupons and its pushes.
#[utoipa::path(get, path = "/api/v1/shop/community-groups/{code}", tag = "shop-community",
    params(("code" = String, Path, min_length = 8, max_length = 8), PageQuery), security(("bearer" = [])),
    responses((status = 200, body = ShopCommunityDto), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn shop_group(
    State(st): State<AppState>,
    buyer: Buyer,
    Path(code): Path<String>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<ShopCommunityDto>> {
    Ok(Json(cases::show(&st, &buyer, &code, q.page()?).await?))
}

/// Join the group (an active one; once at a time). The buyer is bound to the group's owner as the shop's binding
/// rule says.
#[utoipa::path(post, path = "/api/v1/shop/community-groups/{code}/membership", tag = "shop-community",
    params(("code" = String, Path, min_length = 8, max_length = 8)), security(("bearer" = [])),
    responses((status = 201, body = ShopCommunityDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn join_group(
    State(st): State<AppState>,
    buyer: Buyer,
    Path(code): Path<String>,
) -> ApiResult<(StatusCode, Json<ShopCommunityDto>)> {
    Ok((StatusCode::CREATED, Json(cases::join(&st, &buyer, &code).await?)))
}

/// Leave the group.
#[utoipa::path(delete, path = "/api/v1/shop/community-groups/{code}/membership", tag = "shop-community",
    params(("code" = String, Path, min_length = 8, max_length = 8)), security(("bearer" = [])),
    responses((status = 200, body = ShopCommunityDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn leave_group(
    State(st): State<AppState>,
    buyer: Buyer,
    Path(code): Path<String>,
) -> ApiResult<Json<ShopCommunityDto>> {
    Ok(Json(cases::leave(&st, &buyer, &code).await?))
}

/// Claim one of the group's coupons (members only; the template's quantity and per-buyer limits hold).
#[utoipa::path(post, path = "/api/v1/shop/community-groups/{code}/coupons/{template_id}/claim", tag = "shop-community",
    params(("code" = String, Path, min_length = 8, max_length = 8), ("template_id" = i64, Path)), security(("bearer" = [])),
    responses((status = 201, body = CouponDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub async fn claim_group_coupon(
    State(st): State<AppState>,
    buyer: Buyer,
    Path((code, template_id)): Path<(String, i64)>,
) -> ApiResult<(StatusCode, Json<CouponDto>)> {
    Ok((StatusCode::CREATED, Json(cases::claim(&st, &buyer, &code, template_id).await?)))
}

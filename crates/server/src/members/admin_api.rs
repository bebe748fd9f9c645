//! Admin JSON API of members: levels, points rules and adjustments, the member list by filter, segments, tags.

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use minimall_core::page::Page;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::segments::{
    self as seg, FilterDto, MemberDetail, MemberDto, MemberQuery, SegmentDto, SegmentInput, TagBuyers, TagDto,
    TagInput, Tagged,
};
use super::{LevelDto, LevelsInput, MemberSettings};
use crate::accounts::auth::{Admin, ManageMembers, ReadBuyers};
use crate::error::{ApiResult, ErrorBody};
use crate::http::extract::{ApiJson, ApiQuery, Path};
use crate::http::{PageQuery, Paginated};
use crate::state::AppState;
use crate::usecase::Call;

#[derive(Serialize, ToSchema)]
pub struct LevelList {
    /// Lowest rank first.
    pub items: Vec<LevelDto>,
}

/// The shop's member levels (a new shop starts with the default table).
#[utoipa::path(get, path = "/api/v1/admin/members/levels", tag = "admin-members", security(("bearer" = [])),
    responses((status = 200, body = LevelList)))]
pub async fn list_levels(State(st): State<AppState>, admin: Admin<ReadBuyers>) -> ApiResult<Json<LevelList>> {
    let rules = super::rules(&st, admin.merchant_id).await?;
    Ok(Json(LevelList { items: rules.levels.iter().map(LevelDto::from).collect() }))
}

/// Replace the level table. Levels named by id are updated, new ones created, the others deleted (refused
/// with 409 while a buyer holds one). A higher rank must ask at least as much of every measure it shares
/// with a lower one.
#[utoipa::path(put, path = "/api/v1/admin/members/levels", tag = "admin-members", request_body = LevelsInput,
    security(("bearer" = [])), responses((status = 200, body = LevelList), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_levels(
    State(st): State<AppState>,
    admin: Admin<ManageMembers>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<LevelsInput>,
) -> ApiResult<Json<LevelList>> {
    let items = super::save_levels(&st, &admin, &Call::from_headers(&headers), req).await?;
    Ok(Json(LevelList { items }))
}

/// Points and lifecycle rules.
#[utoipa::path(get, path = "/api/v1/admin/members/settings", tag = "admin-members", security(("bearer" = [])),
    responses((status = 200, body = MemberSettings)))]
pub async fn get_settings(State(st): State<AppState>, admin: Admin<ReadBuyers>) -> ApiResult<Json<MemberSettings>> {
    Ok(Json(super::settings(&st, admin.merchant_id).await?))
}

#[utoipa::path(put, path = "/api/v1/admin/members/settings", tag = "admin-members", request_body = MemberSettings,
    security(("bearer" = [])), responses((status = 200, body = MemberSettings), (status = 422, body = ErrorBody)))]
pub async fn put_settings(
    State(st): State<AppState>,
    admin: Admin<ManageMembers>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<MemberSettings>,
) -> ApiResult<Json<MemberSettings>> {
    Ok(Json(super::save_settings(&st, &admin, &Call::from_headers(&headers), req).await?))
}

/// Buyers by filter: level, tag, lifecycle stage, spend, orders, recency, region, age band, channel, gender.
#[utoipa::path(get, path = "/api/v1/admin/members", tag = "admin-members", params(MemberQuery), security(("bearer" = [])),
    responses((status = 200, body = Paginated<MemberDto>), (status = 422, body = ErrorBody)))]
pub async fn list_members(
    State(st): State<AppState>,
    admin: Admin<ReadBuyers>,
    ApiQuery(q): ApiQuery<MemberQuery>,
) -> ApiResult<Json<Paginated<MemberDto>>> {
    let page = Page::parse(q.page, q.page_size)?;
    Ok(Json(seg::members(&st, &admin, &q.filter()?, page).await?))
}

/// One buyer's membership: level, spend, points, tags, level history.
#[utoipa::path(get, path = "/api/v1/admin/members/{id}", tag = "admin-members", params(("id" = i64, Path)),
    security(("bearer" = [])), responses((status = 200, body = MemberDetail), (status = 404, body = ErrorBody)))]
pub async fn get_member(
    State(st): State<AppState>,
    admin: Admin<ReadBuyers>,
    Path(id): Path<i64>,
) -> ApiResult<Json<MemberDetail>> {
    Ok(Json(seg::member(&st, &admin, id).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PointsAdjustment {
    /// Points to add (positive) or take (negative).
    #[schema(minimum = -10_000_000, maximum = 10_000_000)]
    pub delta: i64,
    /// Why (shown in the audit log).
    #[schema(min_length = 1, max_length = 100)]
    pub reason: String,
}

#[derive(Serialize, ToSchema)]
pub struct PointsBalanceDto {
    pub buyer_id: i64,
    pub balance: i64,
}

/// Adjust a buyer's points with a reason (audited; posted to the journal).
#[utoipa::path(post, path = "/api/v1/admin/members/{id}/points", tag = "admin-members", request_body = PointsAdjustment,
    params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, body = PointsBalanceDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn adjust_points(
    State(st): State<AppState>,
    admin: Admin<ManageMembers>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<PointsAdjustment>,
) -> ApiResult<Json<PointsBalanceDto>> {
    let balance = super::adjust_points(&st, &admin, &Call::from_headers(&headers), id, req.delta, &req.reason).await?;
    Ok(Json(PointsBalanceDto { buyer_id: id, balance }))
}

/// Saved segments with their live counts.
#[utoipa::path(get, path = "/api/v1/admin/segments", tag = "admin-members", params(PageQuery), security(("bearer" = [])),
    responses((status = 200, body = Paginated<SegmentDto>)))]
pub async fn list_segments(
    State(st): State<AppState>,
    admin: Admin<ReadBuyers>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<Paginated<SegmentDto>>> {
    Ok(Json(seg::segments(&st, &admin, q.page()?).await?))
}

#[utoipa::path(post, path = "/api/v1/admin/segments", tag = "admin-members", request_body = SegmentInput, security(("bearer" = [])),
    responses((status = 201, body = SegmentDto), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_segment(
    State(st): State<AppState>,
    admin: Admin<ManageMembers>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<SegmentInput>,
) -> ApiResult<(axum::http::StatusCode, Json<SegmentDto>)> {
    let s = seg::create_segment(&st, &admin, &Call::from_headers(&headers), req).await?;
    Ok((axum::http::StatusCode::CREATED, Json(s)))
}

#[utoipa::path(get, path = "/api/v1/admin/segments/{id}", tag = "admin-members", params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, body = SegmentDto), (status = 404, body = ErrorBody)))]
pub async fn get_segment(
    State(st): State<AppState>,
    admin: Admin<ReadBuyers>,
    Path(id): Path<i64>,
) -> ApiResult<Json<SegmentDto>> {
    Ok(Json(seg::segment(&st, &admin, id).await?))
}

#[utoipa::path(put, path = "/api/v1/admin/segments/{id}", tag = "admin-members", request_body = SegmentInput, params(("id" = i64, Path)),
    security(("bearer" = [])), responses((status = 200, body = SegmentDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_segment(
    State(st): State<AppState>,
    admin: Admin<ManageMembers>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<SegmentInput>,
) -> ApiResult<Json<SegmentDto>> {
    Ok(Json(seg::update_segment(&st, &admin, &Call::from_headers(&headers), id, req).await?))
}

#[utoipa::path(delete, path = "/api/v1/admin/segments/{id}", tag = "admin-members", params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete_segment(
    State(st): State<AppState>,
    admin: Admin<ManageMembers>,
    Path(id): Path<i64>,
    headers: HeaderMap,
) -> ApiResult<axum::http::StatusCode> {
    seg::delete_segment(&st, &admin, &Call::from_headers(&headers), id).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// A segment's buyers, by the saved filter as it selects now.
#[utoipa::path(get, path = "/api/v1/admin/segments/{id}/members", tag = "admin-members", params(("id" = i64, Path), PageQuery),
    security(("bearer" = [])), responses((status = 200, body = Paginated<MemberDto>), (status = 404, body = ErrorBody)))]
pub async fn segment_members(
    State(st): State<AppState>,
    admin: Admin<ReadBuyers>,
    Path(id): Path<i64>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<Paginated<MemberDto>>> {
    let filter = seg::segment_filter(&st, &admin, id).await?;
    Ok(Json(seg::members(&st, &admin, &filter, q.page()?).await?))
}

/// A segment's buyers as CSV (UTF-8 with BOM).
#[utoipa::path(get, path = "/api/v1/admin/segments/{id}/export", tag = "admin-members", params(("id" = i64, Path)),
    security(("bearer" = [])), responses((status = 200, content_type = "text/csv", body = String), (status = 404, body = ErrorBody)))]
pub async fn export_segment(
    State(st): State<AppState>,
    admin: Admin<ReadBuyers>,
    Path(id): Path<i64>,
) -> ApiResult<Response> {
    let (name, bytes) = seg::export_segment(&st, &admin, id).await?;
    let mut r = bytes.into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(r)
}

/// Count the buyers a filter selects, without saving it.
#[utoipa::path(post, path = "/api/v1/admin/segments/preview", tag = "admin-members", request_body = FilterDto, security(("bearer" = [])),
    responses((status = 200, body = Paginated<MemberDto>), (status = 422, body = ErrorBody)))]
pub async fn preview_segment(
    State(st): State<AppState>,
    admin: Admin<ReadBuyers>,
    ApiJson(f): ApiJson<FilterDto>,
) -> ApiResult<Json<Paginated<MemberDto>>> {
    Ok(Json(seg::members(&st, &admin, &f, Page::parse(Some(1), Some(20))?).await?))
}

#[utoipa::path(get, path = "/api/v1/admin/member-tags", tag = "admin-members", params(PageQuery), security(("bearer" = [])),
    responses((status = 200, body = Paginated<TagDto>)))]
pub async fn list_tags(
    State(st): State<AppState>,
    admin: Admin<ReadBuyers>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<Paginated<TagDto>>> {
    Ok(Json(seg::tags(&st, &admin, q.page()?).await?))
}

#[utoipa::path(post, path = "/api/v1/admin/member-tags", tag = "admin-members", request_body = TagInput, security(("bearer" = [])),
    responses((status = 201, body = TagDto), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_tag(
    State(st): State<AppState>,
    admin: Admin<ManageMembers>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<TagInput>,
) -> ApiResult<(axum::http::StatusCode, Json<TagDto>)> {
    Ok((axum::http::StatusCode::CREATED, Json(seg::create_tag(&st, &admin, &Call::from_headers(&headers), req).await?)))
}

#[utoipa::path(delete, path = "/api/v1/admin/member-tags/{id}", tag = "admin-members", params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete_tag(
    State(st): State<AppState>,
    admin: Admin<ManageMembers>,
    Path(id): Path<i64>,
    headers: HeaderMap,
) -> ApiResult<axum::http::StatusCode> {
    seg::delete_tag(&st, &admin, &Call::from_headers(&headers), id).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// Tag buyers by id, or everyone a filter selects.
#[utoipa::path(post, path = "/api/v1/admin/member-tags/{id}/buyers", tag = "admin-members", request_body = TagBuyers, params(("id" = i64, Path)),
    security(("bearer" = [])), responses((status = 200, body = Tagged), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn tag_buyers(
    State(st): State<AppState>,
    admin: Admin<ManageMembers>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<TagBuyers>,
) -> ApiResult<Json<Tagged>> {
    Ok(Json(seg::tag_buyers(&st, &admin, &Call::from_headers(&headers), id, req).await?))
}

/// The points mall's items, on sale or not.
#[utoipa::path(get, path = "/api/v1/admin/points-mall", tag = "admin-members", params(PageQuery), security(("bearer" = [])),
    responses((status = 200, body = Paginated<super::mall::MallItemDto>)))]
pub async fn list_mall(
    State(st): State<AppState>,
    admin: Admin<ReadBuyers>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<Paginated<super::mall::MallItemDto>>> {
    Ok(Json(super::mall::items(&st, admin.merchant_id, false, q.page()?).await?))
}

#[utoipa::path(post, path = "/api/v1/admin/points-mall", tag = "admin-members", request_body = super::mall::NewMallItem, security(("bearer" = [])),
    responses((status = 201, body = super::mall::MallItemDto), (status = 422, body = ErrorBody)))]
pub async fn create_mall_item(
    State(st): State<AppState>,
    admin: Admin<ManageMembers>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<super::mall::NewMallItem>,
) -> ApiResult<(axum::http::StatusCode, Json<super::mall::MallItemDto>)> {
    let item = super::mall::create_item(&st, &admin, &Call::from_headers(&headers), req).await?;
    Ok((axum::http::StatusCode::CREATED, Json(item)))
}

#[utoipa::path(put, path = "/api/v1/admin/points-mall/{id}", tag = "admin-members", request_body = super::mall::MallItemChange, params(("id" = i64, Path)),
    security(("bearer" = [])), responses((status = 200, body = super::mall::MallItemDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn change_mall_item(
    State(st): State<AppState>,
    admin: Admin<ManageMembers>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<super::mall::MallItemChange>,
) -> ApiResult<Json<super::mall::MallItemDto>> {
    Ok(Json(super::mall::change_item(&st, &admin, &Call::from_headers(&headers), id, req).await?))
}

/// Paid membership cards (付费会员/年卡): products sold as a level for a term.
#[utoipa::path(get, path = "/api/v1/admin/member-cards", tag = "admin-members", params(PageQuery), security(("bearer" = [])),
    responses((status = 200, body = Paginated<super::cards::PaidCardDto>), (status = 422, body = ErrorBody)))]
pub async fn list_cards(
    State(st): State<AppState>,
    admin: Admin<ReadBuyers>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<Paginated<super::cards::PaidCardDto>>> {
    Ok(Json(super::cards::cards(&st, admin.merchant_id, q.page()?).await?))
}

/// Sell a product as a paid membership card: buying it grants the level for the term (renewals extend it).
#[utoipa::path(post, path = "/api/v1/admin/member-cards", tag = "admin-members", request_body = super::cards::NewPaidCard, security(("bearer" = [])),
    responses((status = 201, body = super::cards::PaidCardDto), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_card(
    State(st): State<AppState>,
    admin: Admin<ManageMembers>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<super::cards::NewPaidCard>,
) -> ApiResult<(axum::http::StatusCode, Json<super::cards::PaidCardDto>)> {
    let card = super::cards::create_card(&st, &admin, &Call::from_headers(&headers), req).await?;
    Ok((axum::http::StatusCode::CREATED, Json(card)))
}

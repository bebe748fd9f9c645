//! The console's group buying: activities (create, list, read, stop) and their groups with members and orders.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use minimall_core::error::Reason;
use minimall_core::social::group_buy::{GroupSku, Terms};
use minimall_core::Money;
use minimall_store::group_buy::{GroupActivityRow, GroupRow, NewGroupActivity};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::accounts::auth::{Admin, ManageCatalog, ReadCatalog, ReadOrders};
use crate::error::ApiReason;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::group_buy::refusals::GroupBuyRefusal;
use crate::group_buy::shop_api::{sku_dtos, GroupSkuDto};
use crate::http::extract::{ApiJson, ApiQuery, Path};
use crate::http::{PageQuery, Paginated};
use crate::ops::audit::{audit, to_json};
use crate::state::AppState;
use crate::usecase::{self, Effects};

#[derive(Deserialize, Serialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct GroupSkuInput {
    pub sku_id: i64,
    /// Fen, 1 to the SKU's sale price.
    pub group_price: i64,
}

#[derive(Deserialize, Serialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct GroupBuyInput {
    pub name: String,
    pub product_id: i64,
    /// Epoch ms.
    pub starts_at: i64,
    pub ends_at: i64,
    /// Members a group needs, the leader included: 2 to 100.
    pub group_size: i64,
    /// How long a group stays open: 5 minutes to 7 days.
    pub time_limit_minutes: i64,
    /// Fen taken off the group price for the leader; default 0.
    #[serde(default)]
    pub leader_discount: i64,
    #[serde(default)]
    pub free_shipping: bool,
    /// Seats one buyer may hold at a time: 1 to 99; default 1.
    #[serde(default = "one")]
    pub per_buyer_limit: i64,
    /// Fill short groups whose leader paid with mock members at the deadline; off by default, shown to buyers.
    #[serde(default)]
    pub mock_fill: bool,
    pub skus: Vec<GroupSkuInput>,
}

fn one() -> i64 {
    1
}

#[derive(Serialize, ToSchema)]
pub struct GroupBuyDto {
    pub id: i64,
    pub name: String,
    pub product_id: i64,
    pub starts_at: i64,
    pub ends_at: i64,
    pub group_size: i64,
    pub time_limit_minutes: i64,
    pub leader_discount: i64,
    pub free_shipping: bool,
    pub per_buyer_limit: i64,
    pub mock_fill: bool,
    /// upcoming, running, ended or stopped
    pub state: String,
    pub skus: Vec<GroupSkuDto>,
    pub created_at: i64,
}

pub fn state_of(a: &GroupActivityRow, now: i64) -> &'static str {
    if a.status == "stopped" {
        "stopped"
    } else if now >= a.ends_at {
        "ended"
    } else if now < a.starts_at {
        "upcoming"
    } else {
        "running"
    }
}

pub async fn dto(st: &AppState, a: &GroupActivityRow) -> ApiResult<GroupBuyDto> {
    let skus = st.store.group_activity_skus(a.id).await?;
    Ok(GroupBuyDto {
        id: a.id,
        name: a.name.clone(),
        product_id: a.product_id,
        starts_at: a.starts_at,
        ends_at: a.ends_at,
        group_size: a.group_size,
        time_limit_minutes: a.time_limit_minutes,
        leader_discount: a.leader_discount,
        free_shipping: a.free_shipping != 0,
        per_buyer_limit: a.per_buyer_limit,
        mock_fill: a.mock_fill != 0,
        state: state_of(a, minimall_store::now_ms()).into(),
        skus: sku_dtos(a, &skus),
        created_at: a.created_at,
    })
}

fn fits_u32(field: &str, v: i64) -> ApiResult<u32> {
    u32::try_from(v).map_err(|_| ApiError::invalid_because(field, &ApiReason::OutOfRange))
}

/// Create a group buy (the API's and the console's path): the terms checked by `core`, the SKUs the product's.
pub async fn create(
    st: &AppState,
    admin: &Admin<ManageCatalog>,
    headers: &HeaderMap,
    req: &GroupBuyInput,
) -> ApiResult<i64> {
    let prices = st.store.product_sku_prices(admin.merchant_id, req.product_id).await?;
    if prices.is_empty() {
        return Err(ApiError::invalid_because(
            "product_id",
            &ApiReason::NoSuch { what: crate::error::thing("product") },
        ));
    }
    let mut skus = Vec::with_capacity(req.skus.len());
    for (i, s) in req.skus.iter().enumerate() {
        let Some((_, sale)) = prices.iter().find(|(id, _)| *id == s.sku_id) else {
            return Err(ApiError::invalid_because(format!("skus[{i}].sku_id"), &ApiReason::NotSkuOfProduct));
        };
        skus.push(GroupSku {
            sku_id: s.sku_id,
            list_price: Money::from_fen(*sale),
            group_price: Money::from_fen(s.group_price),
        });
    }
    let t = Terms {
        name: req.name.trim().to_string(),
        starts_at_ms: req.starts_at,
        ends_at_ms: req.ends_at,
        skus,
        group_size: fits_u32("group_size", req.group_size)?,
        time_limit_minutes: fits_u32("time_limit_minutes", req.time_limit_minutes)?,
        leader_discount: Money::from_fen(req.leader_discount),
        free_shipping: req.free_shipping,
        per_buyer_limit: fits_u32("per_buyer_limit", req.per_buyer_limit)?,
        mock_fill: req.mock_fill,
    };
    t.validate().map_err(|e| {
        ApiError::refused(StatusCode::UNPROCESSABLE_ENTITY, e.code(), &e.reason()).with_field(e.field())
    })?;
    if req.ends_at - req.starts_at > 366 * 86_400_000 {
        return Err(ApiError::invalid_because("ends_at", &Reason::ActivityTooLong { days: 366 }));
    }
    let sku_rows: Vec<(i64, i64, i64)> =
        t.skus.iter().map(|s| (s.sku_id, s.list_price.fen(), s.group_price.fen())).collect();
    let mut tx = st.store.begin().await?;
    let row = st
        .store
        .insert_group_activity(
            &mut tx,
            admin.merchant_id,
            &NewGroupActivity {
                name: &t.name,
                product_id: req.product_id,
                starts_at: req.starts_at,
                ends_at: req.ends_at,
                group_size: req.group_size,
                time_limit_minutes: req.time_limit_minutes,
                leader_discount: req.leader_discount,
                free_shipping: req.free_shipping,
                per_buyer_limit: req.per_buyer_limit,
                mock_fill: req.mock_fill,
                skus: &sku_rows,
            },
        )
        .await?;
    audit(st, &mut tx, admin, headers, "group_buy.create", format!("group_buy:{}", row.id), None, to_json(req)).await?;
    usecase::commit(st, tx, Effects::new()).await?;
    Ok(row.id)
}

/// Create a group buy (拼团) on one product's SKUs with their group prices.
#[utoipa::path(post, path = "/api/v1/admin/group-buys", tag = "admin-group-buys", request_body = GroupBuyInput, security(("bearer" = [])),
    responses((status = 201, body = GroupBuyDto), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_group_buy(
    State(st): State<AppState>,
    admin: Admin<ManageCatalog>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<GroupBuyInput>,
) -> ApiResult<(StatusCode, Json<GroupBuyDto>)> {
    let id = create(&st, &admin, &headers, &req).await?;
    let a = st
        .store
        .group_activity(st.store.reader(), admin.merchant_id, id)
        .await?
        .ok_or_else(|| ApiError::not_found("group_buy"))?;
    Ok((StatusCode::CREATED, Json(dto(&st, &a).await?)))
}

/// Group buys, newest first.
#[utoipa::path(get, path = "/api/v1/admin/group-buys", tag = "admin-group-buys", params(PageQuery), security(("bearer" = [])),
    responses((status = 200, body = Paginated<GroupBuyDto>), (status = 403, body = ErrorBody)))]
pub async fn list_group_buys(
    State(st): State<AppState>,
    admin: Admin<ReadCatalog>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<Paginated<GroupBuyDto>>> {
    Ok(Json(activities(&st, &admin, q).await?))
}

/// The shop's group buys, newest first (the API and the console).
pub async fn activities(st: &AppState, admin: &Admin<ReadCatalog>, q: PageQuery) -> ApiResult<Paginated<GroupBuyDto>> {
    let page = q.page()?;
    let rows = st.store.list_group_activities(admin.merchant_id, page.size(), page.offset()).await?;
    let mut items = Vec::with_capacity(rows.items.len());
    for a in &rows.items {
        items.push(dto(st, a).await?);
    }
    Ok(Paginated::new(items, rows.total, page))
}

/// One group buy.
#[utoipa::path(get, path = "/api/v1/admin/group-buys/{id}", tag = "admin-group-buys", params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, body = GroupBuyDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_group_buy(
    State(st): State<AppState>,
    admin: Admin<ReadCatalog>,
    Path(id): Path<i64>,
) -> ApiResult<Json<GroupBuyDto>> {
    let a = st
        .store
        .group_activity(st.store.reader(), admin.merchant_id, id)
        .await?
        .ok_or_else(|| ApiError::not_found("group_buy"))?;
    Ok(Json(dto(&st, &a).await?))
}

/// Stop a group buy: no new groups open and nobody joins; groups already open run to their deadline.
pub async fn stop(st: &AppState, admin: &Admin<ManageCatalog>, headers: &HeaderMap, id: i64) -> ApiResult<()> {
    let before = st
        .store
        .group_activity(st.store.reader(), admin.merchant_id, id)
        .await?
        .ok_or_else(|| ApiError::not_found("group_buy"))?;
    let mut tx = st.store.begin().await?;
    if !st.store.stop_group_activity(&mut tx, admin.merchant_id, id).await? {
        return Err(ApiError::conflict_because(&GroupBuyRefusal::Stopped));
    }
    audit(
        st,
        &mut tx,
        admin,
        headers,
        "group_buy.stop",
        format!("group_buy:{id}"),
        Some(serde_json::json!({"status": before.status})),
        Some(serde_json::json!({"status": "stopped"})),
    )
    .await?;
    usecase::commit(st, tx, Effects::new()).await
}

/// Stop a group buy.
#[utoipa::path(post, path = "/api/v1/admin/group-buys/{id}/stop", tag = "admin-group-buys", params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, body = GroupBuyDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn stop_group_buy(
    State(st): State<AppState>,
    admin: Admin<ManageCatalog>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> ApiResult<Json<GroupBuyDto>> {
    stop(&st, &admin, &headers, id).await?;
    let a = st
        .store
        .group_activity(st.store.reader(), admin.merchant_id, id)
        .await?
        .ok_or_else(|| ApiError::not_found("group_buy"))?;
    Ok(Json(dto(&st, &a).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct GroupsQuery {
    pub activity_id: Option<i64>,
    /// open, complete or expired
    pub status: Option<String>,
    pub page: Option<i64>,
    pub page_size: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct AdminGroupMemberDto {
    pub buyer_id: i64,
    pub nickname: String,
    pub order_id: i64,
    pub leader: bool,
    /// awaiting_payment, paid, lapsed or refund_due
    pub state: String,
    pub refund_reason: Option<String>,
    pub joined_at: i64,
}

#[derive(Serialize, ToSchema)]
pub struct AdminGroupDto {
    pub id: i64,
    pub activity_id: i64,
    pub product_id: i64,
    pub size: i64,
    pub seats: i64,
    pub paid: i64,
    pub mock_seats: i64,
    /// open (待成团), complete or expired
    pub status: String,
    pub opened_at: i64,
    pub deadline: i64,
    pub closed_at: Option<i64>,
    pub members: Vec<AdminGroupMemberDto>,
}

pub async fn group_dto(st: &AppState, g: GroupRow) -> ApiResult<AdminGroupDto> {
    let members = st
        .store
        .group_members(st.store.reader(), g.id)
        .await?
        .into_iter()
        .map(|m| AdminGroupMemberDto {
            buyer_id: m.buyer_id,
            nickname: m.nickname,
            order_id: m.order_id,
            leader: m.leader != 0,
            state: m.state,
            refund_reason: m.refund_reason,
            joined_at: m.joined_at,
        })
        .collect();
    Ok(AdminGroupDto {
        id: g.id,
        activity_id: g.activity_id,
        product_id: g.product_id,
        size: g.size,
        seats: g.seats,
        paid: g.paid,
        mock_seats: g.mock_seats,
        status: g.status,
        opened_at: g.opened_at,
        deadline: g.deadline,
        closed_at: g.closed_at,
        members,
    })
}

/// Groups, newest first, with their members and orders; of one activity and one status when given.
#[utoipa::path(get, path = "/api/v1/admin/group-buys/groups", tag = "admin-group-buys", params(GroupsQuery), security(("bearer" = [])),
    responses((status = 200, body = Paginated<AdminGroupDto>), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_groups(
    State(st): State<AppState>,
    admin: Admin<ReadOrders>,
    ApiQuery(q): ApiQuery<GroupsQuery>,
) -> ApiResult<Json<Paginated<AdminGroupDto>>> {
    Ok(Json(groups(&st, &admin, q).await?))
}

/// Groups of the shop's group buys with their members (the API and the console).
pub async fn groups(st: &AppState, admin: &Admin<ReadOrders>, q: GroupsQuery) -> ApiResult<Paginated<AdminGroupDto>> {
    let page = minimall_core::page::Page::parse(q.page, q.page_size)?;
    let status = q.status.unwrap_or_default();
    if !status.is_empty() && minimall_core::social::group_buy::GroupStatus::parse(&status).is_none() {
        return Err(ApiError::invalid_because("status", &Reason::OneOf { allowed: "open, complete, expired".into() }));
    }
    let activity = q.activity_id.unwrap_or(0);
    if activity < 0 {
        return Err(ApiError::invalid_because("activity_id", &ApiReason::Positive));
    }
    let rows = st.store.list_groups(admin.merchant_id, activity, &status, page.size(), page.offset()).await?;
    let mut items = Vec::with_capacity(rows.items.len());
    for g in rows.items {
        items.push(group_dto(st, g).await?);
    }
    Ok(Paginated::new(items, rows.total, page))
}

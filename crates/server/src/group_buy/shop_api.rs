//! The shop's group buying: a product's group buys with their joinable groups and countdown, opening or
//! joining a group, and a group's page (members and seats left).

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use minimall_store::group_buy::{GroupActivityRow, GroupMemberRow, GroupRow, GroupSkuRow};
use serde::Serialize;
use utoipa::ToSchema;

use crate::accounts::auth::Buyer;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::group_buy::{self as gb, GroupOrderCreated, GroupOrderInput};
use crate::http::extract::{ApiJson, Path};
use crate::state::AppState;
use crate::usecase::Call;

/// How many joinable groups a product's page lists per activity.
pub const JOINABLE_SHOWN: i64 = 10;

#[derive(Serialize, ToSchema)]
pub struct GroupSkuDto {
    pub sku_id: i64,
    pub spec: Vec<String>,
    /// The SKU's usual price, struck through (fen).
    pub list_price: i64,
    /// A member's price (fen).
    pub group_price: i64,
    /// The leader's price: the group price less the leader's discount, at least 1 fen.
    pub leader_price: i64,
    pub in_stock: bool,
}

#[derive(Serialize, ToSchema)]
pub struct JoinableGroupDto {
    pub id: i64,
    /// The leader's name as shown to others (first character, the rest hidden).
    pub leader: String,
    pub size: i64,
    pub seats_left: i64,
    /// Epoch ms.
    pub deadline: i64,
}

#[derive(Serialize, ToSchema)]
pub struct ShopGroupBuyDto {
    pub id: i64,
    pub name: String,
    pub product_id: i64,
    pub group_size: i64,
    pub time_limit_minutes: i64,
    pub starts_at: i64,
    pub ends_at: i64,
    pub free_shipping: bool,
    pub per_buyer_limit: i64,
    /// Groups short of members when their time runs out are filled with mock members (shown to buyers).
    pub mock_fill: bool,
    /// upcoming or running
    pub state: String,
    pub skus: Vec<GroupSkuDto>,
    pub groups: Vec<JoinableGroupDto>,
    /// Server time (epoch ms) for the countdown.
    pub now: i64,
}

/// A name as others see it: its first character and `**`.
pub fn masked(nickname: &str) -> String {
    let first: String = nickname.chars().take(1).collect();
    if first.is_empty() {
        "**".into()
    } else {
        format!("{first}**")
    }
}

pub(crate) fn sku_dtos(a: &GroupActivityRow, skus: &[GroupSkuRow]) -> Vec<GroupSkuDto> {
    let t = gb::terms(a, skus);
    skus.iter()
        .map(|s| GroupSkuDto {
            sku_id: s.sku_id,
            spec: serde_json::from_str(&s.spec_values).unwrap_or_default(),
            list_price: s.list_price,
            group_price: s.group_price,
            leader_price: t.seat_price(s.sku_id, true).map(|m| m.fen()).unwrap_or(s.group_price),
            in_stock: s.stock > 0,
        })
        .collect()
}

/// The product's group buys (running or upcoming) with the groups one may join now, the fullest first.
pub async fn of_product(st: &AppState, merchant_id: i64, product_id: i64) -> ApiResult<Vec<ShopGroupBuyDto>> {
    let now = minimall_store::now_ms();
    let mut out = Vec::new();
    for a in st.store.group_activities_of_product(merchant_id, product_id, now).await? {
        let skus = st.store.group_activity_skus(a.id).await?;
        let mut groups = Vec::new();
        if a.starts_at <= now {
            for g in st.store.joinable_groups(a.id, now, JOINABLE_SHOWN).await? {
                let leader = st
                    .store
                    .group_members(st.store.reader(), g.id)
                    .await?
                    .into_iter()
                    .find(|m| m.leader != 0)
                    .map(|m| masked(&m.nickname))
                    .unwrap_or_default();
                groups.push(JoinableGroupDto {
                    id: g.id,
                    leader,
                    size: g.size,
                    seats_left: (g.size - g.seats - g.mock_seats).max(0),
                    deadline: g.deadline,
                });
            }
        }
        out.push(ShopGroupBuyDto {
            id: a.id,
            name: a.name.clone(),
            product_id: a.product_id,
            group_size: a.group_size,
            time_limit_minutes: a.time_limit_minutes,
            starts_at: a.starts_at,
            ends_at: a.ends_at,
            free_shipping: a.free_shipping != 0,
            per_buyer_limit: a.per_buyer_limit,
            mock_fill: a.mock_fill != 0,
            state: if a.starts_at > now { "upcoming" } else { "running" }.into(),
            skus: sku_dtos(&a, &skus),
            groups,
            now,
        });
    }
    Ok(out)
}

/// A product's group buys (拼团), running or upcoming, each with the groups one may join now and their
/// countdown. Anyone may read it.
#[utoipa::path(get, path = "/api/v1/shop/products/{id}/group-buys", tag = "shop-group-buys", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<ShopGroupBuyDto>)))]
pub async fn product_group_buys(
    State(st): State<AppState>,
    Path(id): Path<i64>,
) -> ApiResult<Json<Vec<ShopGroupBuyDto>>> {
    Ok(Json(of_product(&st, st.merchant_id, id).await?))
}

/// Open a group (omit `group_id`; the buyer leads it and pays the leader's price) or join one, by placing an
/// order for one unit at the group price. Needs `Idempotency-Key`. The order is `pending_payment`; once paid
/// it waits for the group (`awaiting_group`, 待成团) and proceeds to shipping when the last seat is paid. If the
/// group's time runs out first, every paid member is refunded. Refusals name `group_id`, `sku_id` or
/// `activity_id` with a `group_buy.*` code (`group_buy.full` when every seat is taken).
#[utoipa::path(post, path = "/api/v1/shop/group-buys/{id}/orders", tag = "shop-group-buys", request_body = GroupOrderInput,
    params(("id" = i64, Path), ("Idempotency-Key" = String, Header)), security(("bearer" = [])),
    responses((status = 201, body = GroupOrderCreated), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn place_group_order(
    State(st): State<AppState>,
    buyer: Buyer,
    headers: HeaderMap,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<GroupOrderInput>,
) -> ApiResult<Response> {
    let (body, replayed) = gb::place(&st, &buyer, &Call::from_headers(&headers), id, &input).await?;
    let mut resp =
        (StatusCode::CREATED, [(axum::http::header::CONTENT_TYPE, "application/json")], body).into_response();
    if replayed {
        resp.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    Ok(resp)
}

#[derive(Serialize, ToSchema)]
pub struct GroupMemberDto {
    /// As others see it (first character, the rest hidden).
    pub name: String,
    pub leader: bool,
    pub paid: bool,
}

#[derive(Serialize, ToSchema)]
pub struct ShopGroupDto {
    pub id: i64,
    pub activity_id: i64,
    pub activity_name: String,
    pub product_id: i64,
    pub product_title: String,
    pub image: Option<String>,
    pub size: i64,
    pub seats_left: i64,
    /// Seats filled by mock members when the group's time ran out.
    pub mock_seats: i64,
    /// open (待成团), complete (拼团成功) or expired (拼团失败).
    pub status: String,
    pub deadline: i64,
    pub now: i64,
    pub mock_fill: bool,
    /// Members holding a seat, in order of joining.
    pub members: Vec<GroupMemberDto>,
    /// The viewer's own order in this group, if any (nobody else's order is shown).
    pub my_order_id: Option<i64>,
    /// Whether the viewer may join now.
    pub joinable: bool,
    pub skus: Vec<GroupSkuDto>,
}

pub(crate) async fn group_view(st: &AppState, buyer: &Buyer, id: i64) -> ApiResult<ShopGroupDto> {
    let g: GroupRow = st.store.group(buyer.merchant_id, id).await?.ok_or_else(|| ApiError::not_found("group"))?;
    let a = st
        .store
        .group_activity(st.store.reader(), buyer.merchant_id, g.activity_id)
        .await?
        .ok_or_else(|| ApiError::not_found("group"))?;
    let skus = st.store.group_activity_skus(a.id).await?;
    let members: Vec<GroupMemberRow> = st.store.group_members(st.store.reader(), g.id).await?;
    let now = minimall_store::now_ms();
    let mine =
        members.iter().find(|m| m.buyer_id == buyer.id && matches!(m.state.as_str(), "awaiting_payment" | "paid"));
    let my_order_id =
        mine.map(|m| m.order_id).or_else(|| members.iter().rev().find(|m| m.buyer_id == buyer.id).map(|m| m.order_id));
    let t = gb::terms(&a, &skus);
    let joinable = a.status == "active"
        && skus.first().is_some_and(|s| gb::group_of(&g, &members).may_join(&t, s.sku_id, buyer.id, now, 0).is_ok());
    Ok(ShopGroupDto {
        id: g.id,
        activity_id: a.id,
        activity_name: a.name.clone(),
        product_id: g.product_id,
        product_title: skus.first().map(|s| s.title.clone()).unwrap_or_default(),
        image: skus
            .first()
            .and_then(|s| serde_json::from_str::<Vec<String>>(&s.images).ok())
            .and_then(|v| v.into_iter().next()),
        size: g.size,
        seats_left: (g.size - g.seats - g.mock_seats).max(0),
        mock_seats: g.mock_seats,
        status: g.status.clone(),
        deadline: g.deadline,
        now,
        mock_fill: a.mock_fill != 0,
        members: members
            .iter()
            .filter(|m| {
                matches!(m.state.as_str(), "awaiting_payment" | "paid")
                    || (g.status == "expired" && m.state == "refund_due")
            })
            .map(|m| GroupMemberDto {
                name: masked(&m.nickname),
                leader: m.leader != 0,
                paid: m.state != "awaiting_payment",
            })
            .collect(),
        my_order_id,
        joinable,
        skus: sku_dtos(&a, &skus),
    })
}

/// A group as its members and those invited see it: members (names hidden but the first character), seats
/// left and the countdown; the viewer's own order only.
#[utoipa::path(get, path = "/api/v1/shop/group-buys/groups/{id}", tag = "shop-group-buys", params(("id" = i64, Path)),
    security(("bearer" = [])), responses((status = 200, body = ShopGroupDto), (status = 404, body = ErrorBody)))]
pub async fn shop_group(
    State(st): State<AppState>,
    buyer: Buyer,
    Path(id): Path<i64>,
) -> ApiResult<Json<ShopGroupDto>> {
    Ok(Json(group_view(&st, &buyer, id).await?))
}

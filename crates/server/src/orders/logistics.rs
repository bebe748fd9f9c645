//! Logistics: what shipped in which parcel, and each parcel's timeline as the merchant records it. The console
//! (and the admin API) adds timeline entries; the buyer reads their own order's parcels.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use minimall_core::{MerchantId, OrderId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::accounts::auth::{Admin, Buyer, ManageOrders, ReadOrders};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::http::extract::{ApiJson, Path};
use crate::ops::audit::audit;
use crate::state::AppState;
use crate::usecase::Call;
use minimall_store::logistics::NewTrack;
use minimall_store::orders::OrderScope;

minimall_core::coded_enum! {
    /// Refusals of logistics.
    pub enum LogisticsReason {
        NoSuchShipment = "logistics.no_such_shipment",
        TooManyTracks { max: i64 } = "logistics.too_many_tracks",
        TimeOutOfRange = "logistics.time_out_of_range",
    }
}

/// What happened to a parcel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TrackKind {
    /// 已揽件
    Collected,
    /// 运输中
    InTransit,
    /// 派送中
    Delivering,
    /// 已签收
    Delivered,
    /// 异常
    Exception,
}

impl TrackKind {
    pub const ALL: [TrackKind; 5] =
        [TrackKind::Collected, TrackKind::InTransit, TrackKind::Delivering, TrackKind::Delivered, TrackKind::Exception];

    pub fn as_str(self) -> &'static str {
        match self {
            TrackKind::Collected => "collected",
            TrackKind::InTransit => "in_transit",
            TrackKind::Delivering => "delivering",
            TrackKind::Delivered => "delivered",
            TrackKind::Exception => "exception",
        }
    }

    pub fn parse(s: &str) -> Option<TrackKind> {
        TrackKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// An entry of a parcel's timeline.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TrackInput {
    pub kind: TrackKind,
    /// What happened, e.g. 已到达【杭州转运中心】; 1 to 100 characters.
    #[schema(min_length = 1, max_length = 100)]
    pub text: String,
    /// When it happened (epoch ms), not before the parcel shipped nor in the future; now when left out.
    pub at: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct TrackDto {
    pub at: i64,
    pub kind: TrackKind,
    pub text: String,
}

/// Units of an order line, in a parcel or still to ship.
#[derive(Serialize, ToSchema)]
pub struct ParcelLine {
    pub line_id: i64,
    pub product_id: i64,
    pub title: String,
    pub spec: Vec<String>,
    pub image: Option<String>,
    pub quantity: i64,
}

/// A parcel: carrier, tracking number, what it holds and its timeline, newest entry first.
#[derive(Serialize, ToSchema)]
pub struct ParcelDto {
    pub id: i64,
    pub carrier: String,
    pub tracking_no: String,
    pub shipped_at: i64,
    pub lines: Vec<ParcelLine>,
    pub tracks: Vec<TrackDto>,
}

/// An order's logistics: its parcels, and the units not shipped yet (a partial shipment).
#[derive(Serialize, ToSchema)]
pub struct LogisticsDto {
    pub parcels: Vec<ParcelDto>,
    pub to_ship: Vec<ParcelLine>,
}

/// The parcels of an order.
pub async fn of_order(st: &AppState, order_id: i64) -> ApiResult<LogisticsDto> {
    let lines = st.store.order_lines(st.store.reader(), OrderId::new(order_id)).await?;
    let shipments = st.store.shipments_of(OrderId::new(order_id)).await?;
    let tracks = st.store.tracks_of_order(order_id).await?;
    let line = |id: i64, quantity: i64| {
        lines.iter().find(|l| l.id == id).map(|l| ParcelLine {
            line_id: l.id,
            product_id: l.product_id.get(),
            title: l.title.clone(),
            spec: serde_json::from_str(&l.spec).unwrap_or_default(),
            image: l.image.clone(),
            quantity,
        })
    };
    let parcels = shipments
        .iter()
        .map(|s| {
            let parcel: Vec<super::admin_api::ShipLine> = serde_json::from_str(&s.lines).unwrap_or_default();
            ParcelDto {
                id: s.id,
                carrier: s.carrier.clone(),
                tracking_no: s.tracking_no.clone(),
                shipped_at: s.created_at,
                lines: parcel.iter().filter_map(|p| line(p.line_id, p.quantity)).collect(),
                tracks: tracks
                    .iter()
                    .filter(|t| t.shipment_id == s.id)
                    .filter_map(|t| Some(TrackDto { at: t.at, kind: TrackKind::parse(&t.kind)?, text: t.text.clone() }))
                    .collect(),
            }
        })
        .collect();
    let to_ship = lines
        .iter()
        .filter(|l| l.quantity - l.refunded_qty - l.shipped_qty > 0)
        .filter_map(|l| line(l.id, l.quantity - l.refunded_qty - l.shipped_qty))
        .collect();
    Ok(LogisticsDto { parcels, to_ship })
}

/// The buyer's own order's logistics (another buyer's order is 404).
pub async fn mine(st: &AppState, buyer: &Buyer, order_id: i64) -> ApiResult<LogisticsDto> {
    let o = super::shop_api::own(st, buyer, order_id).await?;
    of_order(st, o.id.get()).await
}

/// Add an entry to a parcel's timeline (audited).
pub async fn add_track(
    st: &AppState,
    admin: &Admin<ManageOrders>,
    call: &Call,
    order_id: i64,
    shipment_id: i64,
    input: TrackInput,
) -> ApiResult<LogisticsDto> {
    let text = minimall_core::validate::display_text("text", &input.text, 100)?;
    let s = st
        .store
        .shipment_of_order(admin.merchant_id, order_id, shipment_id)
        .await?
        .ok_or_else(|| ApiError::refused(StatusCode::NOT_FOUND, "not_found", &LogisticsReason::NoSuchShipment))?;
    let now = minimall_store::now_ms();
    let at = input.at.unwrap_or(now);
    if at < s.created_at - 60_000 || at > now + 300_000 {
        return Err(ApiError::refused(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            &LogisticsReason::TimeOutOfRange,
        )
        .with_field("at"));
    }
    let kind = input.kind.as_str();
    let mut tx = st.store.begin().await?;
    let t = NewTrack { at, kind, text: &text, created_by: &admin.username };
    if !st.store.insert_track(&mut tx, admin.merchant_id, s.id, &t).await? {
        let max = minimall_store::logistics::MAX_TRACKS;
        return Err(ApiError::refused(StatusCode::CONFLICT, "conflict", &LogisticsReason::TooManyTracks { max }));
    }
    let after =
        serde_json::json!({"shipment_id": s.id, "tracking_no": s.tracking_no, "at": at, "kind": kind, "text": text});
    audit(st, &mut tx, admin, call, "shipment.track", format!("order:{order_id}"), None, Some(after)).await?;
    minimall_store::commit(tx).await?;
    of_order(st, order_id).await
}

// ---- handlers -------------------------------------------------------------------------------------

/// The buyer's order's parcels: carrier, tracking number, contents and timeline; and what is still to ship.
#[utoipa::path(get, path = "/api/v1/shop/orders/{id}/logistics", tag = "shop-orders", params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, body = LogisticsDto), (status = 404, body = ErrorBody)))]
pub async fn shop_logistics(
    State(st): State<AppState>,
    buyer: Buyer,
    Path(id): Path<i64>,
) -> ApiResult<Json<LogisticsDto>> {
    mine(&st, &buyer, id).await.map(Json)
}

/// An order's parcels with their timelines.
#[utoipa::path(get, path = "/api/v1/admin/orders/{id}/logistics", tag = "admin-orders", params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, body = LogisticsDto), (status = 404, body = ErrorBody)))]
pub async fn admin_logistics(
    State(st): State<AppState>,
    admin: Admin<ReadOrders>,
    Path(id): Path<i64>,
) -> ApiResult<Json<LogisticsDto>> {
    let o = st
        .store
        .order(st.store.reader(), OrderScope::Merchant(MerchantId::new(admin.merchant_id)), OrderId::new(id))
        .await
        .map_err(|_| ApiError::not_found("order"))?;
    of_order(&st, o.id.get()).await.map(Json)
}

/// Add an entry to a parcel's timeline, as the carrier reported it (audited).
#[utoipa::path(post, path = "/api/v1/admin/orders/{id}/shipments/{shipment_id}/tracks", tag = "admin-orders", request_body = TrackInput,
    params(("id" = i64, Path), ("shipment_id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, body = LogisticsDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_track_api(
    State(st): State<AppState>,
    admin: Admin<ManageOrders>,
    Path((id, shipment_id)): Path<(i64, i64)>,
    headers: HeaderMap,
    ApiJson(input): ApiJson<TrackInput>,
) -> ApiResult<Json<LogisticsDto>> {
    add_track(&st, &admin, &Call::from_headers(&headers), id, shipment_id, input).await.map(Json)
}

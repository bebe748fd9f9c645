//! The analytics API: the storefront's event batches, and the console's dashboard, customer tables, rollup
//! rebuilds and recounts.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use minimall_core::analytics::customers::RfmClass;
use minimall_core::analytics::events::ClientEvent;
use minimall_core::page::Page;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::customers::{CohortRow, RfmBuyer, RfmClassCount};
use super::dashboard::{Dashboard, DEFAULT_DAYS, MAX_DAYS};
use super::rollup::{Recount, MAX_REBUILD_DAYS};
use crate::accounts::auth::{Admin, Buyer, ManageJobs, MoneyView, ReadBuyers, ReadOrders};
use crate::analytics::refusals::AnalyticsRefusal;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::http::extract::{parse_json, read_body, ApiJson, ApiQuery, Path};
use crate::http::Paginated;
use crate::state::AppState;
use crate::web::view;

// ---- ingest ---------------------------------------------------------------------------------------

/// One event as the storefront sends it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventInput {
    /// `page_view`, `product_view`, `add_to_cart`, `checkout_started`, `share` or `search` (the others are
    /// recorded by the server).
    pub kind: String,
    /// The client's clock, epoch ms: at most 5 minutes ahead of the server's and 7 days old.
    pub client_at: i64,
    /// The anonymous visitor id the storefront keeps (8–64 of `A-Z a-z 0-9 _ -`).
    pub visitor: String,
    /// The visit (8–64 of `A-Z a-z 0-9 _ -`).
    pub session: String,
    /// Channel code (1–32 of `a-z 0-9 _`), `direct` when absent.
    pub channel: Option<String>,
    pub campaign: Option<String>,
    pub promoter_id: Option<i64>,
    /// Required for `product_view` and `add_to_cart`.
    pub product_id: Option<i64>,
    pub sku_id: Option<i64>,
    /// The search words (`search` only).
    pub query: Option<String>,
    /// The page's path.
    pub page: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventBatch {
    /// 1 to 100 events.
    pub events: Vec<EventInput>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Accepted {
    /// Events stored.
    pub accepted: u64,
}

impl From<EventInput> for ClientEvent {
    fn from(e: EventInput) -> ClientEvent {
        ClientEvent {
            kind: e.kind,
            client_at_ms: e.client_at,
            visitor: e.visitor,
            session: e.session,
            channel: e.channel,
            campaign: e.campaign,
            promoter_id: e.promoter_id,
            product_id: e.product_id,
            sku_id: e.sku_id,
            query: e.query,
            page: e.page,
        }
    }
}

/// Record a batch of storefront events. Anonymous visitors may send them; a logged-in buyer's are recorded
/// as theirs. The body is JSON, sent as `application/json` or as `text/plain` (what `navigator.sendBeacon`
/// sends), at most 64 KiB. Each visitor (or buyer) and each address has its own allowance; beyond it the
/// answer is 429 with `Retry-After`, and other visitors are not affected.
#[utoipa::path(post, path = "/api/v1/shop/events", tag = "shop-analytics", request_body = EventBatch,
    responses((status = 202, body = Accepted), (status = 400, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 415, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn events(
    State(st): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    buyer: Result<Buyer, ApiError>,
    req: Request,
) -> ApiResult<(StatusCode, Json<Accepted>)> {
    let ct = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let ct = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if ct != "application/json" && ct != "text/plain" {
        return Err(ApiError::refused(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            &AnalyticsRefusal::ContentType,
        ));
    }
    let address = crate::accounts::two_factor_api::client_ip(&st, peer, req.headers());
    let limit = super::ingest::MAX_BODY_BYTES.min(st.cfg.max_body_bytes);
    let bytes = read_body(req, limit).await?;
    let batch: EventBatch = parse_json(&bytes)?;
    let who = super::ingest::Sender { buyer_id: buyer.ok().map(|b| b.id), address };
    let n = super::ingest::ingest(&st, &who, batch.events.into_iter().map(Into::into).collect()).await?;
    Ok((StatusCode::ACCEPTED, Json(Accepted { accepted: n })))
}

// ---- dashboard ------------------------------------------------------------------------------------

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PeriodQuery {
    /// First day, `YYYY-MM-DD`; with `to`. Default: 6 days before today.
    pub from: Option<String>,
    /// Last day, `YYYY-MM-DD`; at most 92 days after `from`. Default: today.
    pub to: Option<String>,
}

/// The period asked for: both ends, or neither (the last 7 days).
pub fn period(q: &PeriodQuery) -> ApiResult<(i64, i64)> {
    match (&q.from, &q.to) {
        (Some(f), Some(t)) => super::rollup::day_range(f, t, MAX_DAYS),
        (None, None) => {
            let today = view::beijing_day(minimall_store::now_ms());
            Ok((today - DEFAULT_DAYS + 1, today))
        }
        (None, Some(_)) => Err(ApiError::invalid_because("from", &AnalyticsRefusal::FromAndTo)),
        (Some(_), None) => Err(ApiError::invalid_because("to", &AnalyticsRefusal::FromAndTo)),
    }
}

/// Visitors, product viewers, buyers, conversion, the funnel, paid orders, GMV and 客单价 over a period, by
/// day and by channel, with the previous period of the same length. GMV and 客单价 only for roles that may see
/// revenue.
#[utoipa::path(get, path = "/api/v1/admin/analytics/dashboard", tag = "admin-analytics", params(PeriodQuery),
    security(("bearer" = [])),
    responses((status = 200, body = Dashboard), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn analytics_dashboard(
    State(st): State<AppState>,
    admin: Admin<ReadOrders>,
    ApiQuery(q): ApiQuery<PeriodQuery>,
) -> ApiResult<Json<Dashboard>> {
    let (from, to) = period(&q)?;
    let money = MoneyView::of(&st, &admin).await?;
    Ok(Json(super::dashboard::dashboard(&st, admin.merchant_id, from, to, money).await?))
}

/// The dashboard's days and total as CSV (UTF-8 with BOM).
#[utoipa::path(get, path = "/api/v1/admin/analytics/dashboard/export", tag = "admin-analytics", params(PeriodQuery),
    security(("bearer" = [])),
    responses((status = 200, content_type = "text/csv", body = String), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn analytics_export(
    State(st): State<AppState>,
    admin: Admin<ReadOrders>,
    ApiQuery(q): ApiQuery<PeriodQuery>,
) -> ApiResult<Response> {
    let (from, to) = period(&q)?;
    let money = MoneyView::of(&st, &admin).await?;
    let d = super::dashboard::dashboard(&st, admin.merchant_id, from, to, money).await?;
    let mut r = super::dashboard::csv(&d, money).into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    r.headers_mut()
        .insert(header::CONTENT_DISPOSITION, HeaderValue::from_static("attachment; filename=\"analytics.csv\""));
    Ok(r)
}

// ---- customers ------------------------------------------------------------------------------------

/// Buyers per RFM class (quintile scores among the shop's paying buyers; a score of 3 or more is high).
#[utoipa::path(get, path = "/api/v1/admin/analytics/rfm", tag = "admin-analytics", security(("bearer" = [])),
    responses((status = 200, body = Vec<RfmClassCount>), (status = 403, body = ErrorBody)))]
pub async fn rfm(State(st): State<AppState>, admin: Admin<ReadBuyers>) -> ApiResult<Json<Vec<RfmClassCount>>> {
    Ok(Json(super::customers::class_counts(&st, admin.merchant_id).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ClassQuery {
    pub page: Option<i64>,
    pub page_size: Option<i64>,
}

/// The buyers of one RFM class, by buyer id.
#[utoipa::path(get, path = "/api/v1/admin/analytics/rfm/{class}", tag = "admin-analytics",
    params(("class" = String, Path, description = "important_value, important_develop, important_keep, important_retain, general_value, general_develop, general_keep or general_retain"), ClassQuery),
    security(("bearer" = [])),
    responses((status = 200, body = Paginated<RfmBuyer>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn rfm_buyers(
    State(st): State<AppState>,
    admin: Admin<ReadBuyers>,
    Path(class): Path<String>,
    ApiQuery(q): ApiQuery<ClassQuery>,
) -> ApiResult<Json<Paginated<RfmBuyer>>> {
    let class = RfmClass::parse(&class).ok_or_else(|| ApiError::not_found("rfm_class"))?;
    let page = Page::parse(q.page, q.page_size)?;
    let revenue = MoneyView::of(&st, &admin).await?.revenue;
    let (items, total) = super::customers::class_buyers(&st, admin.merchant_id, class, page, revenue).await?;
    Ok(Json(Paginated::new(items, total, page)))
}

/// Monthly cohort retention of the last 12 cohorts: buyers by the month of their first paid order, and how many
/// of them paid in each month since.
#[utoipa::path(get, path = "/api/v1/admin/analytics/cohorts", tag = "admin-analytics", security(("bearer" = [])),
    responses((status = 200, body = Vec<CohortRow>), (status = 403, body = ErrorBody)))]
pub async fn cohorts(State(st): State<AppState>, admin: Admin<ReadBuyers>) -> ApiResult<Json<Vec<CohortRow>>> {
    Ok(Json(super::customers::cohorts(&st, admin.merchant_id).await?))
}

// ---- rollups --------------------------------------------------------------------------------------

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RebuildRequest {
    /// First day, `YYYY-MM-DD`.
    pub from: String,
    /// Last day, `YYYY-MM-DD`; at most 366 days after `from`.
    pub to: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RebuildQueued {
    /// The job that rebuilds the days (see `/api/v1/admin/jobs`).
    pub job_id: i64,
}

/// Rebuild the daily rollups of a range of days from the events, as a durable job. Rebuilding twice gives the
/// same rows.
#[utoipa::path(post, path = "/api/v1/admin/analytics/rollups/rebuild", tag = "admin-analytics",
    request_body = RebuildRequest, security(("bearer" = [])),
    responses((status = 202, body = RebuildQueued), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn rebuild(
    State(st): State<AppState>,
    admin: Admin<ManageJobs>,
    ApiJson(req): ApiJson<RebuildRequest>,
) -> ApiResult<(StatusCode, Json<RebuildQueued>)> {
    let (from, to) = super::rollup::day_range(&req.from, &req.to, MAX_REBUILD_DAYS)?;
    let job_id = super::rollup::request_rebuild(&st, admin.merchant_id, from, to).await?;
    Ok((StatusCode::ACCEPTED, Json(RebuildQueued { job_id })))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RecountQuery {
    /// The day, `YYYY-MM-DD`.
    pub date: String,
}

/// Recount a day from its raw events and list every rollup cell that differs (empty: the rollup agrees).
#[utoipa::path(get, path = "/api/v1/admin/analytics/recount", tag = "admin-analytics", params(RecountQuery),
    security(("bearer" = [])),
    responses((status = 200, body = Recount), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn recount(
    State(st): State<AppState>,
    admin: Admin<ManageJobs>,
    ApiQuery(q): ApiQuery<RecountQuery>,
) -> ApiResult<Json<Recount>> {
    let day =
        view::parse_day(&q.date).ok_or_else(|| ApiError::invalid_because("date", &AnalyticsRefusal::DateFormat))?;
    Ok(Json(super::rollup::recount(&st.store, admin.merchant_id, day, false).await?))
}

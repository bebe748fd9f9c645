//! Operational reads of the console: audit log, buyers, message outbox, background jobs.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use minimall_core::error::Reason;
use minimall_core::page::Page;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::accounts::auth::{Admin, ManageJobs, ReadAudit, ReadBuyers, ReadMessages};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::http::extract::{ApiQuery, Path};
use crate::http::Paginated;
use crate::ops::refusals::OpsRefusal;
use crate::state::AppState;
use crate::usecase::Effects;

#[derive(Serialize, ToSchema)]
pub struct AuditDto {
    pub id: i64,
    pub actor_id: i64,
    pub actor_name: String,
    pub action: String,
    pub target: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub request_id: Option<String>,
    pub at: i64,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    pub page: Option<i64>,
    pub page_size: Option<i64>,
    /// e.g. `user.create`.
    pub action: Option<String>,
    pub actor_id: Option<i64>,
}

pub(crate) fn parse_json_opt(s: Option<String>) -> Option<serde_json::Value> {
    s.and_then(|t| serde_json::from_str(&t).ok())
}

/// Who did what, newest first.
#[utoipa::path(get, path = "/api/v1/admin/audit-log", tag = "admin-ops", params(AuditQuery), security(("bearer" = [])),
    responses((status = 200, body = Paginated<AuditDto>), (status = 403, body = ErrorBody)))]
pub async fn list_audit(
    State(st): State<AppState>,
    admin: Admin<ReadAudit>,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> ApiResult<Json<Paginated<AuditDto>>> {
    crate::ops::people::list_audit(&st, &admin, q).await.map(Json)
}

/// A buyer as the console lists them (the storefront's own `BuyerDto` is the buyer's view of themself).
#[derive(Serialize, ToSchema)]
#[schema(as = AdminBuyerDto)]
pub struct BuyerDto {
    pub id: i64,
    pub nickname: String,
    /// Masked, e.g. 138****8000.
    pub phone: Option<String>,
    pub has_wechat: bool,
    /// Where the buyer first came from.
    pub channel: String,
    pub created_at: i64,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct BuyerQuery {
    pub page: Option<i64>,
    pub page_size: Option<i64>,
    /// Nickname or phone contains.
    pub q: Option<String>,
}

/// Buyers of this shop, newest first.
#[utoipa::path(get, path = "/api/v1/admin/buyers", tag = "admin-ops", params(BuyerQuery), security(("bearer" = [])),
    responses((status = 200, body = Paginated<BuyerDto>), (status = 403, body = ErrorBody)))]
pub async fn list_buyers(
    State(st): State<AppState>,
    admin: Admin<ReadBuyers>,
    ApiQuery(q): ApiQuery<BuyerQuery>,
) -> ApiResult<Json<Paginated<BuyerDto>>> {
    crate::ops::people::list_buyers(&st, &admin, q).await.map(Json)
}

#[derive(Serialize, ToSchema)]
pub struct MessageDto {
    pub id: i64,
    /// sms, email, wechat.
    pub channel: String,
    pub recipient: String,
    pub template: String,
    pub body: String,
    /// pending, sent, failed.
    pub status: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub sent_at: Option<i64>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct MessageQuery {
    pub page: Option<i64>,
    pub page_size: Option<i64>,
    pub recipient: Option<String>,
    pub status: Option<String>,
}

/// The message outbox, newest first.
#[utoipa::path(get, path = "/api/v1/admin/messages", tag = "admin-ops", params(MessageQuery), security(("bearer" = [])),
    responses((status = 200, body = Paginated<MessageDto>), (status = 403, body = ErrorBody)))]
pub async fn list_messages(
    State(st): State<AppState>,
    admin: Admin<ReadMessages>,
    ApiQuery(q): ApiQuery<MessageQuery>,
) -> ApiResult<Json<Paginated<MessageDto>>> {
    let page = Page::parse(q.page, q.page_size)?;
    if let Some(s) = &q.status {
        if !["pending", "sent", "failed"].contains(&s.as_str()) {
            return Err(ApiError::invalid_because(
                "status",
                &Reason::OneOf { allowed: "pending, sent, failed".into() },
            ));
        }
    }
    let rows = st
        .store
        .list_messages(admin.merchant_id, q.recipient.as_deref(), q.status.as_deref(), page.size(), page.offset())
        .await?;
    let items = rows
        .items
        .into_iter()
        .map(|m| MessageDto {
            id: m.id,
            channel: m.channel,
            recipient: m.recipient,
            template: m.template,
            body: m.body,
            status: m.status,
            attempts: m.attempts,
            last_error: m.last_error,
            created_at: m.created_at,
            sent_at: m.sent_at,
        })
        .collect();
    Ok(Json(Paginated::new(items, rows.total, page)))
}

#[derive(Serialize, ToSchema)]
pub struct JobDto {
    pub id: i64,
    pub kind: String,
    pub payload: serde_json::Value,
    /// pending, done, dead.
    pub status: String,
    pub run_at: i64,
    pub attempts: i32,
    pub max_attempts: i32,
    pub locked_until: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub finished_at: Option<i64>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct JobQuery {
    pub page: Option<i64>,
    pub page_size: Option<i64>,
    pub status: Option<String>,
    pub kind: Option<String>,
}

/// Background jobs, newest first.
#[utoipa::path(get, path = "/api/v1/admin/jobs", tag = "admin-ops", params(JobQuery), security(("bearer" = [])),
    responses((status = 200, body = Paginated<JobDto>), (status = 403, body = ErrorBody)))]
pub async fn list_jobs(
    State(st): State<AppState>,
    admin: Admin<ManageJobs>,
    ApiQuery(q): ApiQuery<JobQuery>,
) -> ApiResult<Json<Paginated<JobDto>>> {
    let page = Page::parse(q.page, q.page_size)?;
    if let Some(s) = &q.status {
        if !["pending", "done", "dead"].contains(&s.as_str()) {
            return Err(ApiError::invalid_because("status", &Reason::OneOf { allowed: "pending, done, dead".into() }));
        }
    }
    let rows = st
        .store
        .list_jobs(admin.merchant_id, q.status.as_deref(), q.kind.as_deref(), page.size(), page.offset())
        .await?;
    let items = rows
        .items
        .into_iter()
        .map(|j| JobDto {
            id: j.id,
            kind: j.kind,
            payload: serde_json::from_str(&j.payload).unwrap_or(serde_json::Value::Null),
            status: j.status,
            run_at: j.run_at,
            attempts: j.attempts,
            max_attempts: j.max_attempts,
            locked_until: j.locked_until,
            last_error: j.last_error,
            created_at: j.created_at,
            finished_at: j.finished_at,
        })
        .collect();
    Ok(Json(Paginated::new(items, rows.total, page)))
}

/// Put a dead job back in the queue.
#[utoipa::path(post, path = "/api/v1/admin/jobs/{id}/retry", tag = "admin-ops", params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 202), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn retry_job(
    State(st): State<AppState>,
    admin: Admin<ManageJobs>,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    let job = st.store.job(id).await.map_err(|_| ApiError::not_found("job"))?;
    if job.merchant_id != admin.merchant_id {
        return Err(ApiError::not_found("job"));
    }
    if !st.store.retry_job(admin.merchant_id, id).await? {
        return Err(ApiError::conflict_because(&OpsRefusal::JobNotDead { id, status: job.status.clone() }));
    }
    Effects::new().wake_jobs().committed(&st);
    Ok(StatusCode::ACCEPTED)
}

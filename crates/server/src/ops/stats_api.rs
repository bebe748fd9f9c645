//! Dashboard and finance figures as JSON, and the shop's choice of who sees cost prices. Every figure is one
//! SQL aggregate over its period; days are the shop's calendar days (core::time).

use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::stats::{dashboard_figures, finance_figures, DashboardFigures, FinanceFigures};
use crate::accounts::auth::{Admin, ManageSettings, MoneyView, ReadFinance, Session};
use crate::error::{ApiResult, ErrorBody};
use crate::http::extract::ApiJson;
use crate::ops::audit::{audit, to_json};
use crate::state::AppState;

/// Sales on the dashboard over the last 7 Beijing days: today, the whole period (buyers counted once over
/// it) and each day. Needs the orders permission; GMV and average order value only with the revenue one.
#[utoipa::path(get, path = "/api/v1/admin/stats/dashboard", tag = "admin-stats", security(("bearer" = [])),
    responses((status = 200, body = DashboardFigures), (status = 403, body = ErrorBody)))]
pub async fn dashboard(State(st): State<AppState>, admin: Admin<Session>) -> ApiResult<Json<DashboardFigures>> {
    if !admin.role.allows(minimall_core::auth::Permission::ReadOrders) {
        return Err(crate::error::role_may_not(admin.role, "ReadOrders"));
    }
    let money = MoneyView::of(&st, &admin).await?;
    Ok(Json(dashboard_figures(&st, admin.merchant_id, money).await?))
}

/// Payments, fees, refunds and paid orders per Beijing day over the last 30 days. A refund counts on the
/// day it succeeded.
#[utoipa::path(get, path = "/api/v1/admin/stats/finance", tag = "admin-stats", security(("bearer" = [])),
    responses((status = 200, body = FinanceFigures), (status = 403, body = ErrorBody)))]
pub async fn finance(State(st): State<AppState>, admin: Admin<ReadFinance>) -> ApiResult<Json<FinanceFigures>> {
    Ok(Json(finance_figures(&st, admin.merchant_id).await?))
}

/// What the shop decides about its roles.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleSettings {
    /// Operators (运营) see cost prices (成本价) in the console, the API and exports. Off by default.
    pub operator_reads_cost: bool,
}

/// Who sees what beyond the fixed role table (owner only).
#[utoipa::path(get, path = "/api/v1/admin/settings/roles", tag = "admin-stats", security(("bearer" = [])),
    responses((status = 200, body = RoleSettings), (status = 403, body = ErrorBody)))]
pub async fn get_role_settings(
    State(st): State<AppState>,
    admin: Admin<ManageSettings>,
) -> ApiResult<Json<RoleSettings>> {
    Ok(Json(RoleSettings { operator_reads_cost: st.store.operator_reads_cost(admin.merchant_id).await? }))
}

/// Change who sees what beyond the fixed role table (owner only, recorded in the audit log).
#[utoipa::path(put, path = "/api/v1/admin/settings/roles", tag = "admin-stats", request_body = RoleSettings, security(("bearer" = [])),
    responses((status = 200, body = RoleSettings), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_role_settings(
    State(st): State<AppState>,
    admin: Admin<ManageSettings>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<RoleSettings>,
) -> ApiResult<Json<RoleSettings>> {
    let before = RoleSettings { operator_reads_cost: st.store.operator_reads_cost(admin.merchant_id).await? };
    let mut tx = st.store.begin().await?;
    st.store.set_operator_reads_cost(&mut tx, admin.merchant_id, req.operator_reads_cost).await?;
    audit(&st, &mut tx, &admin, &headers, "settings.roles", "merchant".into(), to_json(&before), to_json(&req)).await?;
    minimall_store::commit(tx).await?;
    Ok(Json(req))
}

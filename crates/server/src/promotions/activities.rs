//! Promotion use cases: activities (limited-time discounts, full reductions) and their windows.

use std::collections::HashSet;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use minimall_core::catalog::tree::{Node, Tree};
use minimall_core::page::Page;
use minimall_core::validate::display_text;
use minimall_core::FieldError;
use minimall_store::promotions::{ActivityFields, ActivityRow, FreightRow};
use minimall_store::StoreError;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::accounts::auth::{Admin, ManageCatalog, ManageSettings, ReadCatalog};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::http::extract::{ApiJson, ApiQuery, Path};
use crate::http::Paginated;
use crate::ops::audit::{audit, to_json};
use crate::promotions::pricing::{self, FreightRules, RuleDto, ScopeDto};
use super::admin_api::{check_overlap, validate_activity};
use crate::state::AppState;

#[allow(unused_imports)]
use super::admin_api::{ActivityInput, ActivityDto, ActivityQuery, FreightInput, FreightDto, FreightList, PricingSettings, ProductFreight, PointsGrant, PointsBalance};
#[allow(unused_imports)]
use crate::usecase::{self, Call, Effects, Stored};

/// Activities, newest first.
pub async fn list_activities(st: &AppState, admin: &Admin<ReadCatalog>, q: ActivityQuery) -> ApiResult<Paginated<ActivityDto>> {
    let page = Page::parse(q.page, q.page_size)?;
    let state = q.state.unwrap_or_default();
    if !["", "running", "upcoming", "ended"].contains(&state.as_str()) {
        return Err(ApiError::invalid("state", "must be running, upcoming or ended"));
    }
    let rows = st
        .store
        .list_activities(admin.merchant_id, &state, q.kind.as_deref().unwrap_or(""), page.size(), page.offset())
        .await?;
    Ok(Paginated::new(rows.items.iter().map(ActivityDto::from).collect(), rows.total, page))
}

/// Create an activity.
pub async fn create_activity(st: &AppState, admin: &Admin<ManageCatalog>, call: &Call, req: ActivityInput) -> ApiResult<ActivityDto> {
    let (fields, product_level) = validate_activity(&req)?;
    let mut tx = st.store.begin().await?;
    if product_level {
        check_overlap(&st, &mut tx, admin.merchant_id, None, &fields, &req.scope).await?;
    }
    let row = st.store.insert_activity(&mut tx, admin.merchant_id, &fields).await?;
    let dto = ActivityDto::from(&row);
    audit(&st, &mut tx, &admin, call, "activity.create", format!("activity:{}", row.id), None, to_json(&dto))
        .await?;
    usecase::commit(&st, tx, Effects::new().promotions_write()).await?;
    Ok(dto)
}

/// One activity.
pub async fn get_activity(st: &AppState, admin: &Admin<ReadCatalog>, id: i64) -> ApiResult<ActivityDto> {
    let row = st.store.activity(admin.merchant_id, id).await.map_err(|_| ApiError::not_found("activity"))?;
    Ok(ActivityDto::from(&row))
}

/// Change an activity.
pub async fn update_activity(st: &AppState, admin: &Admin<ManageCatalog>, call: &Call, id: i64, req: ActivityInput) -> ApiResult<ActivityDto> {
    let (fields, product_level) = validate_activity(&req)?;
    let before = st.store.activity(admin.merchant_id, id).await.map_err(|_| ApiError::not_found("activity"))?;
    if before.status == "ended" {
        return Err(ApiError::conflict("an ended activity cannot change"));
    }
    let mut tx = st.store.begin().await?;
    if product_level {
        check_overlap(&st, &mut tx, admin.merchant_id, Some(id), &fields, &req.scope).await?;
    }
    let row = st.store.update_activity(&mut tx, admin.merchant_id, id, &fields).await?;
    let dto = ActivityDto::from(&row);
    audit(
        &st,
        &mut tx,
        &admin,
        call,
        "activity.update",
        format!("activity:{id}"),
        to_json(&ActivityDto::from(&before)),
        to_json(&dto),
    )
    .await?;
    usecase::commit(&st, tx, Effects::new().promotions_write()).await?;
    Ok(dto)
}

/// End an activity now.
pub async fn end_activity(st: &AppState, admin: &Admin<ManageCatalog>, call: &Call, id: i64) -> ApiResult<ActivityDto> {
    let mut tx = st.store.begin().await?;
    let row =
        st.store.end_activity(&mut tx, admin.merchant_id, id).await.map_err(|_| ApiError::not_found("activity"))?;
    let dto = ActivityDto::from(&row);
    audit(&st, &mut tx, &admin, call, "activity.end", format!("activity:{id}"), None, to_json(&dto)).await?;
    usecase::commit(&st, tx, Effects::new().promotions_write()).await?;
    Ok(dto)
}

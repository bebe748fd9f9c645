//! Promotion use cases: activities (limited-time discounts, full reductions) and their windows.

use minimall_core::error::Reason;
use minimall_core::page::Page;

use super::admin_api::{check_overlap, validate_activity};
use crate::accounts::auth::{Admin, ManageCatalog, ReadCatalog};
use crate::error::{ApiError, ApiResult};
use crate::http::Paginated;
use crate::ops::audit::{audit, to_json};
use crate::promotions::refusals::PromotionRefusal;
use crate::state::AppState;

use super::admin_api::{ActivityDto, ActivityInput, ActivityQuery};
use crate::usecase::{self, Call, Effects};

/// Activities, newest first.
pub async fn list_activities(
    st: &AppState,
    admin: &Admin<ReadCatalog>,
    q: ActivityQuery,
) -> ApiResult<Paginated<ActivityDto>> {
    let page = Page::parse(q.page, q.page_size)?;
    let state = q.state.unwrap_or_default();
    if !["", "running", "upcoming", "ended"].contains(&state.as_str()) {
        return Err(ApiError::invalid_because("state", &Reason::OneOf { allowed: "running, upcoming, ended".into() }));
    }
    let rows = st
        .store
        .list_activities(admin.merchant_id, &state, q.kind.as_deref().unwrap_or(""), page.size(), page.offset())
        .await?;
    Ok(Paginated::new(rows.items.iter().map(ActivityDto::from).collect(), rows.total, page))
}

/// Create an activity.
pub async fn create_activity(
    st: &AppState,
    admin: &Admin<ManageCatalog>,
    call: &Call,
    req: ActivityInput,
) -> ApiResult<ActivityDto> {
    let (fields, product_level) = validate_activity(&req)?;
    let mut tx = st.store.begin().await?;
    if product_level {
        check_overlap(st, &mut tx, admin.merchant_id, None, &fields, &req.scope).await?;
    }
    let row = st.store.insert_activity(&mut tx, admin.merchant_id, &fields).await?;
    let dto = ActivityDto::from(&row);
    audit(st, &mut tx, &admin, call, "activity.create", format!("activity:{}", row.id), None, to_json(&dto)).await?;
    usecase::commit(st, tx, Effects::new().promotions_write()).await?;
    Ok(dto)
}

/// One activity.
pub async fn get_activity(st: &AppState, admin: &Admin<ReadCatalog>, id: i64) -> ApiResult<ActivityDto> {
    let row = st.store.activity(admin.merchant_id, id).await.map_err(|_| ApiError::not_found("activity"))?;
    Ok(ActivityDto::from(&row))
}

/// Change an activity.
pub async fn update_activity(
    st: &AppState,
    admin: &Admin<ManageCatalog>,
    call: &Call,
    id: i64,
    req: ActivityInput,
) -> ApiResult<ActivityDto> {
    let (fields, product_level) = validate_activity(&req)?;
    let before = st.store.activity(admin.merchant_id, id).await.map_err(|_| ApiError::not_found("activity"))?;
    if before.status == "ended" {
        return Err(ApiError::conflict_because(&PromotionRefusal::ActivityEnded));
    }
    let mut tx = st.store.begin().await?;
    if product_level {
        check_overlap(st, &mut tx, admin.merchant_id, Some(id), &fields, &req.scope).await?;
    }
    let row = st.store.update_activity(&mut tx, admin.merchant_id, id, &fields).await?;
    let dto = ActivityDto::from(&row);
    audit(
        st,
        &mut tx,
        &admin,
        call,
        "activity.update",
        format!("activity:{id}"),
        to_json(&ActivityDto::from(&before)),
        to_json(&dto),
    )
    .await?;
    usecase::commit(st, tx, Effects::new().promotions_write()).await?;
    Ok(dto)
}

/// End an activity now.
pub async fn end_activity(st: &AppState, admin: &Admin<ManageCatalog>, call: &Call, id: i64) -> ApiResult<ActivityDto> {
    let mut tx = st.store.begin().await?;
    let row =
        st.store.end_activity(&mut tx, admin.merchant_id, id).await.map_err(|_| ApiError::not_found("activity"))?;
    let dto = ActivityDto::from(&row);
    audit(st, &mut tx, &admin, call, "activity.end", format!("activity:{id}"), None, to_json(&dto)).await?;
    usecase::commit(st, tx, Effects::new().promotions_write()).await?;
    Ok(dto)
}
